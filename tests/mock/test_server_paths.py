"""Where a contract's server URL puts the API: its path, whatever form the URL takes."""

from __future__ import annotations

import pytest

from conformance.contract import Contract
from mock_server.contracts.servers import server_path
from mock_server.http.app import base_path_of


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://api.example.com/v2/", "/v2"),
        ("//kubernetes.local", ""),  # scheme-relative, as converted Swagger 2 contracts say
        ("//api.example.com/base", "/base"),
        ("/v1", "/v1"),
        ("", ""),
        ("https://{region}.example.com/{version}", "/v3"),
    ],
)
def test_a_server_url_is_served_at_its_path(url: str, path: str) -> None:
    server = {"url": url, "variables": {"region": {"default": "eu"}, "version": {"default": "v3"}}}
    assert server_path(server) == path
    document = {"openapi": "3.0.0", "servers": [server], "paths": {}}
    assert base_path_of(document) == path
    assert Contract(name="t", openapi_path=None, document=document).server_base_path() == path
