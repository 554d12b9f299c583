"""The path part of a contract's server URL, which is where an API is served and called.

A server URL may be absolute (`https://api.example.com/v2`), scheme-relative
(`//api.example.com`, as converted Swagger 2 contracts often say), or a bare path (`/v2`);
variables take their defaults. Only the path matters to a mock on its own host and port.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def server_path(server: dict[str, Any]) -> str:
    """`/v2` for `https://api.example.com/v2/`, "" for `//api.example.com`, `/v2` for `/v2`."""
    url = str(server.get("url", ""))
    for name, variable in (server.get("variables") or {}).items():
        if isinstance(variable, dict):
            url = url.replace("{" + name + "}", str(variable.get("default", "")))
    path = urlsplit(url).path if "://" in url or url.startswith("//") else url
    return path.rstrip("/")
