"""The handshake: where the token goes in an upgrade request, and the `ws_handshake_auth` probe.

Every documented token way (query parameter, `Authorization: Bearer`, a header, the
`access_token.<jwt>` subprotocol) must be accepted; no token and a bad token must be refused,
with the status and body the channel's `x-apitwin-handshake-errors` documents.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from websockets.exceptions import InvalidStatus

from conformance.websocket.asyncapi import Channel, TokenWay
from conformance.websocket.connection import Connection, Violated

if TYPE_CHECKING:
    from conformance.websocket.context import WsContext

BAD_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcGl0d2luIn0.invalid-signature"


def place_token(url: str, way: TokenWay | None, token: str | None) -> tuple[str, dict[str, str], list[str] | None]:
    """The URL, headers and subprotocols of an upgrade request carrying `token` the `way` given."""
    headers: dict[str, str] = {}
    subprotocols = None
    if way is not None and token is not None:
        if way.kind == "query":
            url += ("&" if "?" in url else "?") + urlencode({way.name: token})
        elif way.kind == "bearer":
            headers["Authorization"] = f"Bearer {token}"
        elif way.kind == "subprotocol":
            subprotocols = [f"access_token.{token}"]
        else:
            headers[way.name] = token
    return url, headers, subprotocols


async def handshake_auth(run: WsContext, channel: Channel, opened: list[Connection]) -> None:
    """Every documented way with the session's token is accepted; no token is refused, and a
    made-up one too where the contract says which tokens are valid (its login issues them).
    Without a token to use (no login, no --token) only the refusal can be tested."""
    token = run.session.current_token()
    if not token and run.target.contract.states_valid_credentials:
        raise Violated("cannot test the handshake", "a token from the contract's login", run.session.failure or "no token")
    for way in channel.token_ways if token else ():
        try:
            socket = await run.dial(channel, way, token, f"auth {way.label}")
        except InvalidStatus as refused:
            raise Violated(
                f"handshake with the token as {way.label} refused",
                "101 Switching Protocols",
                f"{refused.response.status_code} {refused.response.body[:200]!r}",
            ) from None
        run.attach(opened, channel, socket, f"auth {way.label}")
        if way.kind == "subprotocol" and socket.subprotocol != f"access_token.{token}":
            raise Violated(
                "the token subprotocol is not echoed",
                "Sec-WebSocket-Protocol: access_token.<jwt> in the answer",
                str(socket.subprotocol),
            )
    expected_status = 401 if "401" in {str(key) for key in channel.extension("handshake-errors", {}) or {}} else None
    refusals: list[tuple[str, TokenWay | None, str | None]] = [("no token", None, None)]
    if run.target.contract.states_valid_credentials:
        refusals.append(("a bad token", channel.token_ways[0], BAD_TOKEN))
    for description, way, value in refusals:
        try:
            socket = await run.dial(channel, way, value, f"refusal {description}")
        except InvalidStatus as refused:
            status = refused.response.status_code
            if (expected_status and status != expected_status) or not 400 <= status < 500:
                raise Violated(
                    f"handshake with {description} refused with the wrong status",
                    f"{expected_status or '4xx'}",
                    f"{status} {refused.response.body[:200]!r}",
                ) from None
            check_refusal_body(run, channel, status, refused.response.body or b"", description)
            continue
        run.attach(opened, channel, socket, f"refusal {description}")
        raise Violated(
            f"handshake with {description} accepted",
            f"the upgrade refused with {expected_status or '401'}",
            "101 Switching Protocols",
        )


def check_refusal_body(run: WsContext, channel: Channel, status: int, body: bytes, description: str) -> None:
    schemas = {str(key): value for key, value in (channel.extension("handshake-errors", {}) or {}).items()}
    schema = schemas.get(str(status))
    if not schema:
        return
    try:
        data = json.loads(body or b"null")
    except ValueError:
        data = body.decode("utf-8", "replace")
    problems = run.contract.errors(run.contract.resolve(schema), data)
    if problems:
        raise Violated(
            f"{status} handshake refusal ({description}) not in the documented body",
            "a body valid against x-apitwin-handshake-errors",
            f"{str(data)[:200]} ({'; '.join(problems)})",
        )
