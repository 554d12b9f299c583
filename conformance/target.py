"""Where a check run points: which contracts, which URLs, and whether anything answers there.

A bundled name with no URL means "that API's mock on this machine": the contract's
`x-apitwin.port` on localhost with the contract's own base path. An unreachable target is a
usage-level problem (exit 2) described in one line (DNS, refused, TLS, timeout, a reset, an
answer that is not HTTP), found by one probe (a connection, then one GET through the bounded
transport) before any test starts, so a typo in a URL never turns into hundreds of failures.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from mock_server.contracts.bundle import resolve_target
from mock_server.contracts.loader import ContractError

from conformance.contract import Contract
from conformance.settings import CheckSettings, SettingsError


class Unreachable(Exception):
    """Nothing usable answers at the target address (exit code 2)."""


@dataclass(frozen=True)
class Target:
    contract: Contract
    base_url: str
    ws_url: str | None

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def resolve(settings: CheckSettings) -> Target:
    """Load the contracts named by the target and work out the URLs to test."""
    try:
        api = resolve_target(settings.target)
    except ContractError as exc:
        raise SettingsError(str(exc)) from None
    asyncapi = Path(settings.asyncapi) if settings.asyncapi else api.asyncapi
    if asyncapi is not None and not asyncapi.is_file():
        raise SettingsError(f"--asyncapi: no such file: {asyncapi}")
    try:
        contract = Contract.load(api.name, api.openapi, asyncapi, api.graphql)
    except ContractError as exc:
        raise SettingsError(str(exc)) from None
    base_url = settings.base_url or default_base_url(contract, api.port)
    if not base_url:
        raise SettingsError(f"{settings.target}: no --base-url given and the contract declares no x-apitwin.port")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"--base-url {base_url!r}: expected http(s)://host[:port][/base]")
    if not parts.path.strip("/") and contract.server_base_path():
        base_url = base_url.rstrip("/") + contract.server_base_path()
    ws_url = settings.ws_url or (websocket_origin(base_url) if contract.asyncapi_path else None)
    return Target(contract=contract, base_url=base_url.rstrip("/"), ws_url=ws_url)


def default_base_url(contract: Contract, port: int | None) -> str | None:
    if port is None:
        return None
    return f"http://localhost:{port}{contract.server_base_path()}"


def websocket_origin(base_url: str) -> str:
    parts = urlsplit(base_url)
    return urlunsplit(("wss" if parts.scheme == "https" else "ws", parts.netloc, "", "", ""))


def probe(url: str, timeout: float = 5.0) -> None:
    """Open one TCP (and TLS) connection to the target, naming the failure precisely."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme in ("https", "wss") else 80)
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Unreachable(f"cannot resolve host {host!r} (DNS: {exc.strerror})") from None
    last: str = ""
    for family, kind, proto, _, address in addresses:
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(timeout)
                sock.connect(address)
                if parts.scheme in ("https", "wss"):
                    handshake(sock, host, port)
            break
        except ssl.SSLError as exc:
            raise Unreachable(f"TLS handshake with {host}:{port} failed: {exc.reason or exc}") from None
        except TimeoutError:
            last = f"connection to {host}:{port} timed out after {timeout:g}s"
        except ConnectionRefusedError:
            last = f"connection to {host}:{port} refused (is the server running?)"
        except OSError as exc:
            last = f"cannot connect to {host}:{port}: {exc.strerror or exc}"
    else:
        raise Unreachable(last or f"cannot connect to {host}:{port}")
    if parts.scheme in ("http", "https"):
        speaks_http(url, timeout)


def handshake(sock: socket.socket, host: str, port: int) -> None:
    context = ssl.create_default_context()
    try:
        with context.wrap_socket(sock, server_hostname=host):
            pass
    except TimeoutError:
        raise Unreachable(f"TLS handshake with {host}:{port} got no answer (is it an HTTPS server?)") from None
    except ConnectionResetError:
        raise Unreachable(f"TLS handshake with {host}:{port}: the server reset the connection (is it an HTTPS server?)") from None


def speaks_http(url: str, timeout: float) -> None:
    """One GET to the base URL through the bounded transport: any HTTP answer will do (its body is
    not read); no answer, a reset, or bytes that are not HTTP are named in one line."""
    import requests

    from conformance.http.transport import HttpClient, Limits

    client = HttpClient(limits=Limits(timeout=timeout))
    try:
        client.request("GET", url, stream=True, allow_redirects=False).close()
    except requests.exceptions.SSLError as exc:
        raise Unreachable(f"TLS with {urlsplit(url).netloc} failed: {innermost(exc)}") from None
    except requests.exceptions.Timeout:
        raise Unreachable(f"no answer to GET {url} within {timeout:g} s") from None
    except requests.exceptions.RequestException as exc:
        hint = " (if it serves HTTPS, use an https:// URL)" if urlsplit(url).scheme == "http" else ""
        raise Unreachable(describe_broken_answer(exc) + hint) from None


def innermost(exc: BaseException) -> str:
    """The deepest cause's message (requests nests urllib3's, which nests the socket's)."""
    seen: set[int] = set()
    current: BaseException = exc
    while id(current) not in seen:
        seen.add(id(current))
        nested = current.__cause__ or current.__context__ or next((arg for arg in current.args if isinstance(arg, BaseException)), None)
        if nested is None:
            break
        current = nested
    return str(getattr(current, "reason", None) or current) or type(current).__name__


def describe_broken_answer(exc: BaseException) -> str:
    from http.client import BadStatusLine, RemoteDisconnected

    chain: list[BaseException] = []
    pending: list[object] = [exc]
    while pending:
        current = pending.pop()
        if isinstance(current, BaseException) and all(current is not seen for seen in chain):
            chain.append(current)
            pending.extend((current.__cause__, current.__context__, getattr(current, "reason", None), *current.args))
    if any(isinstance(item, RemoteDisconnected) for item in chain):
        return "the server closed the connection without answering"
    bad = next((item for item in chain if isinstance(item, BadStatusLine)), None)
    if bad is not None:
        return f"the server does not speak HTTP: it answered {str(bad)[:60]!r}"
    if any(isinstance(item, ConnectionResetError) for item in chain):
        return "the server reset the connection instead of answering"
    return f"no usable HTTP answer: {innermost(exc)}"
