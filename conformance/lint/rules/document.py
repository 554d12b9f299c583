"""Rules that every YAML/JSON contract must pass before anything else is checked."""

from __future__ import annotations

from collections.abc import Iterator

from conformance.lint.contract import Contract
from conformance.lint.problems import Finding
from conformance.lint.rules.base import rule
from mock_server.contracts.loader import ContractError
from mock_server.contracts.refs import broken_refs, pointer_join


@rule("parse", ["openapi", "asyncapi"],
      "the file exists and is YAML or JSON without duplicate keys, with a mapping at its root",
      gate=True)
def parse(contract: Contract) -> Iterator[Finding]:
    try:
        contract.document
    except ContractError as error:
        yield Finding(error.cause, line=error.line, column=error.column)


@rule("ref", ["openapi", "asyncapi"],
      "every $ref resolves, in this file or in a relative file next to it (never fetched)")
def ref(contract: Contract) -> Iterator[Finding]:
    for broken in broken_refs(contract.document, base=contract.path):
        yield Finding(f"$ref '{broken.ref}' does not resolve: {broken.reason}",
                      pointer=pointer_join(broken.pointer, "$ref"), file=broken.file)
