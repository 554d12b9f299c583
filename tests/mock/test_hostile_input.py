"""What a fuzzer, a load test or a broken client throws at the mock: bounded answers, never a 5xx.

Every test talks to a real `apitwin mock` process over real sockets: JSON nested 100,000 deep
(HTTP body, GraphQL query and variables, WebSocket frame), too many keys, half-sent requests
(slowloris), bodies that stop, oversized heads, more connections than the cap, hostile URLs and
forged tokens.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import selectors
import socket
import time
from pathlib import Path

import httpx
import pytest

from mock_server.serve import DEFAULT_HEADER_TIMEOUT, add_arguments
from tests.mock.mockutil import BASE, client, login
from tests.mock.test_mock_errors import ENDPOINTS, assert_envelope
from tests.realtime.helpers import Socket, realtime_token, run
from tests.support.servers import ServerProcess, run_mock

DEEP = 100_000


def deep_array(depth: int = DEEP) -> bytes:
    return b"[" * depth + b"]" * depth


def deep_object(depth: int = DEEP) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def wide_object(keys: int) -> bytes:
    return ("{" + ",".join(f'"k{i}":{i}' for i in range(keys)) + "}").encode()


def raw_exchange(server: ServerProcess, data: bytes, timeout: float = 10.0) -> bytes:
    """Send `data` on a fresh socket and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def read_response(sock: socket.socket) -> bytes:
    """One whole response (head and Content-Length body) from a kept-alive socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed in the middle of a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "closed in the middle of a body"
        body += chunk
    return head + b"\r\n\r\n" + body


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def body_of(response: bytes) -> dict:
    return json.loads(response.split(b"\r\n\r\n", 1)[1])


def open_sockets(pid: int) -> int:
    """How many sockets the process holds (Linux: its file descriptors that are sockets)."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except OSError:
            pass
    return count


# -- 1. request bodies: depth, keys, size ---------------------------------------------------------


@pytest.fixture(scope="module")
def servers(mock_server):
    return {api: mock_server(api) for api in ENDPOINTS}


@pytest.mark.parametrize("api", list(ENDPOINTS))
@pytest.mark.parametrize("body", [deep_array(), deep_object(), deep_array(65), wide_object(5000)], ids=["array", "object", "65-deep", "5000-keys"])
def test_a_json_body_beyond_the_parser_limits_is_400_in_the_apis_envelope(servers, api, body):
    method, path = ENDPOINTS[api]["json"]
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {login(servers[api], api)}"}
    response = httpx.request(method, servers[api].url + BASE[api] + path, content=body, headers=headers, timeout=30)
    assert response.status_code == 400, response.text
    assert_envelope(api, response, method, path)


def test_the_documented_deep_body_reproduction_is_400_and_the_journal_still_answers(servers):
    server = servers["enterprise"]
    with client(server, "enterprise", login(server, "enterprise")) as http:
        response = http.post("/data/products", content=deep_array(), headers={"Content-Type": "application/json"})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "INVALID_REQUEST"
        assert "deeper than 64" in response.json()["error"]["message"]
        fine = http.post("/data/products", json={"name": "ok", "nested": [[[[1]]]]})
        assert fine.status_code < 500
    journal = httpx.get(f"{server.url}/__mock/requests", params={"path": "/v2/data/products", "status": "400"}, timeout=10)
    assert journal.status_code == 200 and journal.json()["count"] >= 1


def test_a_50_mb_body_is_413_before_it_is_read(servers):
    server = servers["enterprise"]
    with client(server, "enterprise", login(server, "enterprise")) as http:
        response = http.post("/data/products", content=b"[" + b"1," * (25 * 1024 * 1024) + b"1]",
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_a_form_body_with_too_many_fields_is_400(servers):
    server = servers["accounts"]
    form = "&".join(f"f{i}=x" for i in range(5000))
    response = httpx.post(f"{server.url}/api/v1/auth/login", content=form,
                          headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert response.status_code == 400, response.text
    assert "fields" in response.text


# -- GraphQL: query depth and variables ------------------------------------------------------------


def test_graphql_deep_query_body_and_variables_are_400_in_graphql_errors(mock_server):
    server = mock_server("directory")
    with client(server, "directory", login(server, "directory")) as http:
        deep_query = "{" + "user(id: 1) {" * 5000 + "id" + "}" * 5000 + "}"
        answers = [
            http.post("/graphql", json={"query": deep_query}),
            http.get("/graphql", params={"query": "{" + "user(id: 1) {" * 200 + "id" + "}" * 200 + "}"}),
            http.post("/graphql", content=b'{"query": "{ __typename }", "variables": ' + deep_object() + b"}",
                      headers={"Content-Type": "application/json"}),
            http.get("/graphql", params={"query": "{ __typename }", "variables": deep_array(1000).decode()}),
            http.post("/graphql", content=deep_array(), headers={"Content-Type": "application/json"}),
        ]
        for response in answers:
            assert response.status_code == 400, response.text
            assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_REQUEST"
        many_tokens = http.post("/graphql", json={"query": "{ " + "__typename " * 20_000 + "}"})
        assert many_tokens.status_code == 200 and "token" in many_tokens.json()["errors"][0]["message"]
        fine = http.post("/graphql", json={"query": "query Q { __typename }", "variables": {"shallow": [[[1]]]}})
        assert fine.status_code == 200 and fine.json() == {"data": {"__typename": "Query"}}


def _fragment_chain(length: int, hop: str) -> str:
    """A query whose fragments each nest a little, chained `length` long."""
    fragments = [f"fragment F{i} on User {{ {hop.replace('NEXT', f'...F{i + 1}' if i < length - 1 else 'id')} }}" for i in range(length)]
    return '{ user(id: "usr_1") { ...F0 } } ' + " ".join(fragments)


@pytest.mark.parametrize("length, hop", [(30, "posts(first: 1) { edges { node { author { NEXT } } } }"), (1000, "NEXT")],
                         ids=["deep-fragments", "long-spread-chain"])
def test_a_graphql_fragment_chain_deeper_than_the_limit_is_400(mock_server, length, hop):
    server = mock_server("directory")
    with client(server, "directory", login(server, "directory")) as http:
        response = http.post("/graphql", json={"query": _fragment_chain(length, hop)})
        assert response.status_code == 400, response.text[:300]
        assert "through its fragments" in response.json()["errors"][0]["message"]
        shallow = http.post("/graphql", json={"query": _fragment_chain(3, "posts(first: 1) { edges { node { author { NEXT } } } }")})
        assert shallow.status_code == 200 and "errors" not in shallow.json(), shallow.text[:300]


# -- WebSocket frames ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def realtime(mock_server):
    return mock_server("realtime")


def test_a_deep_websocket_frame_gets_an_error_frame_and_the_socket_stays_open(realtime):
    token = realtime_token(realtime)

    async def scenario() -> tuple[dict, dict]:
        async with await Socket.open(f"{realtime.ws_url}/ws?token={token}") as socket_:
            await socket_.receive()  # welcome
            await socket_.send('{"type": "Ping", "data": ' + "[" * 30_000 + "]" * 30_000 + "}")
            error = await socket_.receive_until(lambda f: f.get("type") == "Error")
            await socket_.send({"type": "Ping", "data": {"timestamp": 5}})
            pong = await socket_.receive_until(lambda f: f.get("type") == "Pong")
            return error, pong

    error, pong = run(scenario())
    assert "deeper than 64" in json.dumps(error)
    assert pong["type"] == "Pong"


def test_a_2_mib_websocket_frame_closes_with_1009(realtime):
    token = realtime_token(realtime)

    async def scenario() -> int | None:
        async with await Socket.open(f"{realtime.ws_url}/ws?token={token}", max_size=None) as socket_:
            await socket_.receive()
            return await socket_.close_code_after(json.dumps({"type": "Ping", "data": {"pad": "x" * (2 * 1024 * 1024)}}))

    assert run(scenario()) == 1009


def test_a_20000_frame_flood_on_one_socket_is_answered_and_the_server_stays_up(realtime):
    token = realtime_token(realtime)
    frames = 20_000

    async def scenario() -> int:
        async with await Socket.open(f"{realtime.ws_url}/ws?token={token}") as socket_:
            await socket_.receive()

            async def flood() -> None:
                for n in range(frames):
                    await socket_.send({"type": "Ping", "data": {"timestamp": n}})

            async def count_pongs() -> int:
                pongs = 0
                while pongs < frames:
                    frame = await socket_.receive(timeout=30)
                    pongs += frame.get("type") == "Pong"
                return pongs

            sender = asyncio.create_task(flood())
            pongs = await count_pongs()
            await sender
            return pongs

    assert run(scenario()) == frames
    assert httpx.get(f"{realtime.url}/health", timeout=10).status_code == 200


# -- URLs and tokens ------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [b"/v2/data/products/%ff%fe", b"/v2/data/products/%00", b"/v2/data/products/%zz",
                                    b"/v2/data/products/ab%c3", b"/v2/data/products?sort=%00", b"/v2/data/products?sort=%ff",
                                    b"/v2/data/products/\xff", b"/v2/data/products/a\x00b"])
def test_bad_utf8_nul_and_malformed_percent_encoding_in_urls_are_400(servers, target):
    server = servers["enterprise"]
    token = login(server, "enterprise").encode()
    answer = raw_exchange(server, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + b"\r\nConnection: close\r\n\r\n")
    assert status_of(answer) == 400, answer[:300]


def _unsigned(token: str, alg: str = "none") -> str:
    def b64(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(claims)}."


@pytest.mark.parametrize("api", ["enterprise", "accounts"])
def test_alg_none_tokens_are_refused(servers, api):
    server = servers[api]
    real = login(server, api)
    path = {"enterprise": "/data/products", "accounts": "/api/v1/users/"}[api]
    with client(server, api, real) as http:
        assert http.get(path).status_code == 200
    for forged in (_unsigned(real), _unsigned(real, "None"), _unsigned(real)[:-1]):
        with client(server, api, forged) as http:
            assert http.get(path).status_code == 401


def test_a_token_with_a_deeply_nested_header_is_401_without_internals(servers):
    deep = base64.urlsafe_b64encode(b"[" * 20_000 + b"]" * 20_000).decode().rstrip("=")
    with client(servers["enterprise"], "enterprise", f"{deep}.e30.c2ln") as http:
        response = http.get("/data/products")
    assert response.status_code == 401
    assert "recursion" not in response.text and "malformed token header" in response.text


def test_a_clients_request_id_is_echoed(servers):
    server = servers["enterprise"]
    answered = httpx.get(f"{server.url}/v2/data/products", headers={"X-Request-Id": "trace-42"}, timeout=10)
    assert answered.status_code == 401 and answered.headers["x-request-id"] == "trace-42"
    odd = httpx.get(f"{server.url}/v2/data/products", headers={"X-Request-Id": "x" * 500}, timeout=10)
    assert "x-request-id" not in odd.headers


# -- 2. connections: header deadline, body pauses, head size, the cap -------------------------------


def test_the_header_timeout_defaults_to_10_seconds():
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args([]).header_timeout == DEFAULT_HEADER_TIMEOUT == 10


def test_300_half_sent_requests_are_closed_in_time_while_a_normal_client_is_served():
    timeout = 2.0
    with run_mock("enterprise", "--rate-limits", "off", "--header-timeout", str(timeout)) as server:
        baseline = open_sockets(server.process.pid)
        first_opened = time.monotonic()
        half_sent = []
        for index in range(300):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            # half a request line and some headers, or nothing at all
            sock.sendall(b"GET /v2/data/products HTTP/1.1\r\nHost: x\r\nX-Slow: " if index % 3 else b"")
            half_sent.append(sock)
        opened = time.monotonic()
        with httpx.Client(base_url=server.url + "/v2", timeout=5) as http:  # one keep-alive connection
            for _ in range(6):
                started = time.monotonic()
                assert http.get("/data/products").status_code == 401
                assert time.monotonic() - started < 1.0
                time.sleep(0.5)
            first_closed, last_closed = _wait_closed(half_sent, opened + timeout + 5)
            assert http.get("/data/products").status_code == 401  # the same client, after the purge
        assert first_closed - first_opened > timeout * 0.8  # not before the deadline...
        assert last_closed - opened < timeout + 5           # ...and all soon after it
        time.sleep(0.5)
        assert open_sockets(server.process.pid) <= baseline + 2
        for sock in half_sent:
            sock.close()


def _wait_closed(sockets: list[socket.socket], deadline: float) -> tuple[float, float]:
    """Block until the server has closed every socket (EOF); return when the first and the last
    one closed. Those that sent part of a request must have been answered 408 first."""
    selector = selectors.DefaultSelector()
    received: dict[socket.socket, bytes] = {}
    for sock in sockets:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        received[sock] = b""
    remaining = set(sockets)
    closed_at: list[float] = []
    while remaining and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.2):
            sock = key.fileobj
            try:
                chunk = sock.recv(65536)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                chunk = b""
            if chunk:
                received[sock] += chunk
            else:
                selector.unregister(sock)
                remaining.discard(sock)
                closed_at.append(time.monotonic())
    selector.close()
    assert not remaining, f"{len(remaining)} of {len(sockets)} half-sent connections still open"
    for index, sock in enumerate(sockets):
        if index % 3:
            assert received[sock].startswith(b"HTTP/1.1 408"), received[sock][:200]
            assert body_of(received[sock])["error"]["code"] == "REQUEST_TIMEOUT"
        else:
            assert received[sock] == b""
    return min(closed_at), max(closed_at)


def test_a_body_that_stops_arriving_gets_408_and_an_oversized_head_431():
    with run_mock("enterprise", "--rate-limits", "off", "--header-timeout", "1") as server:
        started = time.monotonic()
        stalled = raw_exchange(server, b"POST /v2/data/products HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                       b"Content-Length: 100\r\n\r\n{\"name\":")
        assert status_of(stalled) == 408 and time.monotonic() - started < 5
        assert body_of(stalled)["error"]["code"] == "REQUEST_TIMEOUT"
        huge_head = raw_exchange(server, b"GET /v2/data/products HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"a" * 100_000 + b"\r\n\r\n")
        assert status_of(huge_head) == 431
        assert httpx.get(f"{server.url}/v2/data/products", timeout=5).status_code == 401


def test_an_idle_keep_alive_connection_is_closed_after_the_idle_timeout():
    with run_mock("enterprise", "--rate-limits", "off", "--idle-timeout", "1") as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"GET /v2/data/products HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(sock).startswith(b"HTTP/1.1 401")
            sock.sendall(b"GET /v2/data/products HTTP/1.1\r\nHost: x\r\n\r\n")  # kept alive: served again
            assert read_response(sock).startswith(b"HTTP/1.1 401")
            answered = time.monotonic()
            assert sock.recv(65536) == b""  # then closed by the server
            assert 0.8 < time.monotonic() - answered < 4


def test_past_the_connection_limit_a_new_connection_gets_503_in_the_envelope():
    with run_mock("enterprise", "--rate-limits", "off", "--connection-limit", "20") as server:
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(20)]
        time.sleep(0.3)
        refused = raw_exchange(server, b"GET /v2/data/products HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status_of(refused) == 503
        assert body_of(refused)["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert "limit 20" in body_of(refused)["error"]["message"]
        for sock in held:
            sock.close()
        deadline = time.monotonic() + 5
        while True:
            answer = httpx.get(f"{server.url}/v2/data/products", timeout=5)
            if answer.status_code == 401 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert answer.status_code == 401
        assert "refused 1 connection(s) past the limit of 20" in server.stop()


def test_bad_connection_options_are_one_line_exit_2():
    import subprocess
    import sys

    for option, value in (("--header-timeout", "0"), ("--idle-timeout", "-1"), ("--connection-limit", "0")):
        result = subprocess.run([sys.executable, "-m", "mock_server", "mock", "enterprise", option, value],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and option in result.stderr
