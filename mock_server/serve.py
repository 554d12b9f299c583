"""`apitwin mock`: serve contracts as living mock APIs.

With no target every bundled API is served, each on the port its contract declares
(``x-apitwin.port``). All servers run in one process and one event loop (uvicorn servers side by
side): start-up is one import and one contract load per API, Ctrl-C stops them together, and
nothing is left behind; a mock for frontend work needs concurrency, not parallel CPU.

Sockets are bound before anything is printed, so a port in use is a one-line error (exit 2),
as is a broken contract, a bad option value or an unusable ``--state`` file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import socket
import sys
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

from mock_server.settings import MockSettings, parse_chaos, parse_latency

DEFAULT_HOST = "127.0.0.1"
FALLBACK_PORT = 8080
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_IDLE_TIMEOUT = 5.0
#: connections allowed beyond the WebSocket capacity, so HTTP is served when WebSocket is full
HTTP_HEADROOM = 1000


class UsageError(Exception):
    """A problem with what the user asked for: reported in one line, exit status 2."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("targets", nargs="*", metavar="API|PATH", help="bundled API names, spec files or directories (default: all bundled APIs)")
    parser.add_argument("--port", type=int, help="port to listen on (one target only; default: the contract's x-apitwin.port)")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"interface to listen on (default {DEFAULT_HOST})")
    parser.add_argument("--seed", type=int, default=0, help="seed for generated data: the same seed gives the same data (default 0)")
    parser.add_argument("--state", metavar="FILE", help="keep state in this SQLite file across restarts (several APIs: FILE.<api>)")
    parser.add_argument("--latency", metavar="MS|MIN-MAX", help="delay every answer, e.g. 50-200 (milliseconds)")
    parser.add_argument("--chaos", metavar="FRACTION", help="answer this fraction of requests with a documented error, e.g. 0.05")
    parser.add_argument("--rate-limits", choices=("on", "off"), default="on", help="apply the contracts' rate limits (default on)")
    parser.add_argument("--cors-origin", default="*", help="allowed CORS origin(s), comma-separated (default *)")
    parser.add_argument("--max-connections", type=int, help="WebSocket capacity (default: the contract's)")
    parser.add_argument("--ws-compression", choices=("on", "off"), default="on",
                        help="accept permessage-deflate on WebSocket connections (default on, as browsers offer it; "
                             "off saves the compressor's memory on every connection)")
    parser.add_argument("--header-timeout", type=float, default=DEFAULT_HEADER_TIMEOUT, metavar="SECONDS",
                        help=f"answer 408 and close a connection whose request line and headers are not complete in time, "
                             f"or whose body pauses longer (default {DEFAULT_HEADER_TIMEOUT:g})")
    parser.add_argument("--idle-timeout", type=float, default=DEFAULT_IDLE_TIMEOUT, metavar="SECONDS",
                        help=f"close a keep-alive connection idle this long between requests (default {DEFAULT_IDLE_TIMEOUT:g})")
    parser.add_argument("--connection-limit", type=int, metavar="N",
                        help="open connections (HTTP and WebSocket) per port; past it a new one gets 503 and is closed "
                             f"(default: the WebSocket capacity + {HTTP_HEADROOM})")


def run(args: argparse.Namespace) -> int:
    warnings.filterwarnings("ignore", message=".*httpx.*testclient.*")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        servers = prepare(args)
    except UsageError as error:
        print(f"apitwin mock: {error}", file=sys.stderr)
        return 2
    print_table(servers)
    try:
        asyncio.run(serve_all(servers, ws_compression=getattr(args, "ws_compression", "on") != "off",
                              header_timeout=args.header_timeout, idle_timeout=args.idle_timeout))
    except KeyboardInterrupt:
        pass
    return 0


class PreparedServer:
    def __init__(self, app: Any, host: str, port: int, sock: socket.socket, connection_limit: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.sock = sock
        self.connection_limit = connection_limit or app.runtime.stats.max_connections + HTTP_HEADROOM

    @property
    def url(self) -> str:
        host = "localhost" if self.host in ("0.0.0.0", "::", "127.0.0.1") else self.host
        return f"http://{host}:{self.port}"


def settings_from(args: argparse.Namespace) -> MockSettings:
    try:
        latency = parse_latency(args.latency) if args.latency else None
        chaos = parse_chaos(args.chaos) if args.chaos else 0.0
    except ValueError as error:
        raise UsageError(str(error)) from None
    if args.port is not None and not 0 < args.port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, got {args.port}")
    if args.max_connections is not None and args.max_connections < 1:
        raise UsageError("--max-connections must be at least 1")
    if getattr(args, "connection_limit", None) is not None and args.connection_limit < 1:
        raise UsageError("--connection-limit must be at least 1")
    for option in ("header_timeout", "idle_timeout"):
        value = getattr(args, option, None)
        if value is not None and not 0 < value <= 3600:
            raise UsageError(f"--{option.replace('_', '-')} must be between 0 and 3600 seconds, got {value:g}")
    return MockSettings(
        seed=args.seed,
        latency=latency,
        chaos=chaos,
        rate_limits=args.rate_limits == "on",
        cors_origin=args.cors_origin,
        state_file=Path(args.state) if args.state else None,
        max_connections=args.max_connections,
        host=args.host,
        port=args.port,
        read_timeout=getattr(args, "header_timeout", None) or DEFAULT_HEADER_TIMEOUT,
    )


def prepare(args: argparse.Namespace) -> list[PreparedServer]:
    """Resolve targets, build every app, bind every socket; UsageError on the first problem."""
    from mock_server.app import MockApp
    from mock_server.contracts.bundle import bundled_apis, resolve_target
    from mock_server.contracts.downgrade import DowngradeError
    from mock_server.contracts.loader import ContractError
    from mock_server.runtime import ApiRuntime
    from mock_server.state.store import StateFileError

    settings = settings_from(args)
    try:
        apis = [resolve_target(t) for t in args.targets] if args.targets else [a for a in bundled_apis() if a.openapi]
    except ContractError as error:
        raise UsageError(str(error)) from None
    apis = [a for a in apis if a.openapi is not None or a.asyncapi is not None]
    if not apis:
        raise UsageError("nothing to serve: no OpenAPI or AsyncAPI contract found")
    if args.port is not None and len(apis) > 1:
        raise UsageError("--port needs exactly one target (each API otherwise uses its contract's x-apitwin.port)")
    names = [a.name for a in apis]
    if len(set(names)) != len(names):
        raise UsageError(f"the same API is named twice: {', '.join(names)}")

    prepared: list[PreparedServer] = []
    try:
        for api in apis:
            api_settings = settings
            if settings.state_file is not None and len(apis) > 1:
                api_settings = replace(settings, state_file=settings.state_file.with_name(f"{settings.state_file.name}.{api.name}"))
            try:
                runtime = ApiRuntime.build(api, api_settings)
                app = MockApp(runtime)
            except (ContractError, DowngradeError, StateFileError) as error:
                raise UsageError(str(error)) from None
            except Exception as error:  # a contract the engine cannot serve: say which and why
                raise UsageError(f"{api.openapi or api.asyncapi}: cannot serve this contract: {type(error).__name__}: {error}") from None
            port = args.port if args.port is not None else (api.port or runtime.declarations.get("port") or FALLBACK_PORT)
            runtime.stats.port = int(port)
            prepared.append(PreparedServer(app, args.host, int(port), bind(args.host, int(port)), getattr(args, "connection_limit", None) or 0))
    except UsageError:
        for server in prepared:
            server.sock.close()
        raise
    return prepared


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets whose proto says TCP, and
    # without it every kept-alive response waits ~40 ms for Nagle's algorithm.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        reason = "already in use" if error.errno in (98, 48) else error.strerror or str(error)
        raise UsageError(f"cannot listen on {host}:{port}: {reason}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


async def serve_all(
    servers: list[PreparedServer],
    *,
    ws_compression: bool = True,
    header_timeout: float = DEFAULT_HEADER_TIMEOUT,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
) -> None:
    import uvicorn
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    from mock_server.connection_guard import ConnectionPolicy, guarded_protocol

    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self):  # one handler for all servers, installed below
            yield

    running = []
    for prepared in servers:
        policy = ConnectionPolicy(header_timeout=header_timeout, max_connections=prepared.connection_limit)
        config = uvicorn.Config(
            prepared.app, log_level="warning", access_log=False, lifespan="off", ws_max_size=16 * 1024 * 1024, timeout_graceful_shutdown=2,
            ws_per_message_deflate=ws_compression, timeout_keep_alive=idle_timeout,  # type: ignore[arg-type]  # a float works
            http=guarded_protocol(AutoHTTPProtocol, policy, refusal_renderer(prepared.app)),
        )
        running.append(_Server(config))

    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server in running:
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
    try:
        await asyncio.gather(*(server.serve(sockets=[prepared.sock]) for server, prepared in zip(running, servers)))
    finally:
        for prepared in servers:
            with contextlib.suppress(Exception):
                prepared.app.runtime.close()


def refusal_renderer(app: Any) -> Any:
    """What the connection guard answers (408, 431, 503): a whole response in the API's envelope."""
    import json
    from http import HTTPStatus

    from mock_server.connection_guard import response_bytes
    from mock_server.http.errors import MockError

    def render(status: int, message: str) -> bytes:
        status, body, headers = app.errors.render(MockError(status, message))
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
        return response_bytes(status, HTTPStatus(status).phrase, data, app.errors.media_type, headers)

    return render


def print_table(servers: list[PreparedServer]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="apitwin mock", title_justify="left")
    table.add_column("API", style="bold")
    table.add_column("URL")
    table.add_column("docs")
    table.add_column("auth")
    table.add_column("demo credentials")
    for server in servers:
        app = server.app
        base = server.url + app.base_path
        ui = next((p for p, kind in app.docs_paths.items() if kind == "ui"), None)
        ui = ui or next((op.path for op in app.runtime.operations.values() if op.extension("x-apitwin-docs") in ("swagger-ui", "ui")), None)
        if not app.runtime.operations and getattr(app.runtime.api, "asyncapi", None):
            base = "ws" + base[len("http"):]  # an AsyncAPI contract alone: the WebSocket API is the API
        login_fields = _login_fields(app.runtime)
        table.add_row(app.runtime.name, base, (server.url + ui) if ui else "-", auth_mode(app.runtime),
                      demo_credentials(app.runtime.declarations, login_fields))
    Console(highlight=False, width=None if sys.stdout.isatty() else 200).print(table)
    print("Ctrl-C stops the mock.", flush=True)


def auth_mode(runtime: Any) -> str:
    """What the mock accepts: the tokens it issues (the contract declares ``x-apitwin.auth``),
    or any well-formed credential of the kinds the contract's security schemes name."""
    return str(getattr(runtime.authenticator, "mode", "-"))


def _login_fields(runtime: Any) -> set[str]:
    """The identifying fields the API's login operation takes (username, email...)."""
    from mock_server.contracts.schemas import deref

    for operation in runtime.operations.values():
        if operation.extension("x-apitwin-auth") == "login" and operation.request_body:
            for media in (operation.request_body.get("content") or {}).values():
                schema = deref((media or {}).get("schema") or {}, runtime.document)
                return set((schema.get("properties") or {}))
    return set()


def demo_credentials(declarations: dict[str, Any], login_fields: set[str] | None = None) -> str:
    auth = declarations.get("auth") or {}
    lines = []
    for user in auth.get("users") or []:
        login = user.get("username") or user.get("email")
        if login_fields and "username" not in login_fields and "email" in login_fields:
            login = user.get("email") or login
        if login and user.get("password"):
            extra = f" (MFA {user['mfa_code']})" if user.get("mfa_code") else ""
            lines.append(f"{login} / {user['password']}{extra}")
    for client in auth.get("clients") or []:
        if client.get("client_id"):
            lines.append(f"client {client['client_id']} / {client.get('client_secret', '')}")
    return "\n".join(lines) or "-"
