"""Loading, serving and checking a contract never reaches for the network: URLs in `$ref` keys
that are data (examples, defaults, extensions) are not fetched by the mock, by Connexion under it,
or by the suite; a structural remote `$ref` stops both commands with the file, line and ref."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import free_port, run_mock

CONTRACT = """\
openapi: {version}
info: {{title: data refs, version: "1"}}
x-vendor: {{$ref: "{url}/root-extension.yaml"}}
paths:
  /notes:
    post:
      operationId: createNote
      requestBody:
        required: true
        content:
          application/json:
            schema: {{$ref: "#/components/schemas/Note"}}
            examples:
              linked:
                value: {{text: hello, "$ref": "{url}/media-example.yaml"}}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {{$ref: "#/components/schemas/Note"}}
              example: {{text: hi, "$ref": "{url}/response-example.yaml"}}
        "400":
          description: not a note
          content:
            application/json:
              schema: {{type: object}}
components:
  schemas:
    Note:
      type: object
      required: [text]
      properties:
        text: {{type: string, maxLength: 20, default: {{"$ref": "{url}/default.yaml"}}}}
        "$ref": {{type: string, examples: [{{"$ref": "{url}/schema-examples.yaml"}}]}}
      x-tool: {{$ref: "{url}/schema-extension.yaml"}}
"""


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/yaml")
        self.end_headers()
        self.wfile.write(b"type: string\n")

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture()
def listener() -> Iterator[str]:
    """An HTTP server that records every request: where the data refs point."""
    _Recorder.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("version", ["3.1.0", "3.0.3"])
def test_data_refs_to_urls_are_never_fetched(tmp_path: Path, listener: str, version: str) -> None:
    contract = tmp_path / "openapi.yaml"
    contract.write_text(CONTRACT.format(url=listener, version=version))
    with run_mock(str(contract), "--rate-limits", "off") as server:
        created = httpx.post(server.url + "/notes", json={"text": "hello", "$ref": f"{listener}/body.yaml"}, timeout=10)
        assert created.status_code == 201, created.text
        assert created.json()["$ref"] == f"{listener}/body.yaml"
        assert _Recorder.hits == [], "the mock fetched"
        result = subprocess.run(
            [sys.executable, "-m", "mock_server", "check", str(contract), "--base-url", server.url, "--seed", "1"],
            capture_output=True, text=True, timeout=300,
        )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert _Recorder.hits == [], "the suite fetched"


@pytest.mark.parametrize("command", ["mock", "check"])
def test_a_remote_ref_stops_the_command_naming_file_line_and_ref(tmp_path: Path, listener: str, command: str) -> None:
    contract = tmp_path / "openapi.yaml"
    contract.write_text(CONTRACT.format(url=listener, version="3.1.0").replace(
        'schema: {$ref: "#/components/schemas/Note"}\n            examples', f'schema: {{$ref: "{listener}/note.yaml"}}\n            examples'))
    argv = [sys.executable, "-m", "mock_server", command, str(contract)]
    argv += ["--port", str(free_port())] if command == "mock" else ["--base-url", "http://127.0.0.1:9"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    message = result.stderr.strip().splitlines()[-1]
    assert f"{contract}:12:" in message and f"{listener}/note.yaml" in message and "not fetched" in message
    assert _Recorder.hits == []
