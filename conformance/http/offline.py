"""Schemathesis, offline: the suite never fetches part of a contract over the network.

A structural remote `$ref` stops `apitwin check` before Schemathesis loads anything
(`mock_server.contracts.refs.refuse_remote_refs`). What is left are `$ref` keys that are data (an
example value, a `default`, another tool's `x-` extension): Schemathesis registers the whole
document with its JSON Schema registry, which follows every `$ref` it meets, data included. Its
retriever is therefore replaced by one that reads files (relative references stay supported)
and refuses URLs; Schemathesis treats that like any other unreachable document and carries on.
"""

from __future__ import annotations

from typing import Any

from schemathesis.core.errors import RemoteDocumentError
from schemathesis.core.jsonschema import resolver as _resolver

_ORIGINAL_RETRIEVE = _resolver.retrieve


def _files_only(uri: str) -> Any:
    if uri.startswith(("http://", "https://", "//")):
        raise RemoteDocumentError(f"{uri}: remote references are not fetched")
    return _ORIGINAL_RETRIEVE(uri)


def install() -> None:
    """From now on Schemathesis in this process reads referenced files but fetches no URL."""
    _resolver.retrieve = _files_only
