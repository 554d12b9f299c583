"""What every WebSocket probe of one run shares: the target, the contract, the report, and the
way to open a connection to a channel as the contract says (its address parameters, its token).

The probes (handshake, exchange, delivery, rest_events, protocol) are plain functions of this
context; `conformance.websocket.runner` sequences them.
"""

from __future__ import annotations

import base64
import json
import secrets
from websockets.asyncio.client import ClientConnection

from conformance.auth import AuthSession
from conformance.coverage import FROM_SERVER, TO_SERVER, document_asyncapi, observe_frame
from conformance.results import Finding, Report
from conformance.settings import CheckSettings
from conformance.target import Target
from conformance.websocket.asyncapi import AsyncContract, Channel, TokenWay
from conformance.websocket.connection import Connection, Violated, max_frame_size, open_client
from conformance.websocket.exchange import check_server_frame
from conformance.websocket.handshake import place_token
from mock_server.websocket.contract import address_text


class WsContext:
    def __init__(self, target: Target, settings: CheckSettings, enabled: set[str], session: AuthSession, report: Report) -> None:
        self.target, self.settings, self.enabled, self.session, self.report = target, settings, enabled, session, report
        self.contract = AsyncContract(target.contract.asyncapi)
        #: how long a probe waits for a frame it expects (a missing frame costs this much)
        self.wait = min(2.0, settings.request_timeout)
        self.examples = max(1, min(settings.max_examples, 3))
        self.handshakes: dict[str, list[str]] = {}
        self.last_handshake = ""
        self.frame_failures: set[str] = set()
        self.address_params: dict[str, dict[str, str]] = {}
        #: addresses that need a token the run does not have (only their refusal was tested)
        self.untested: list[str] = []
        #: check -> why it could not be performed (its setup refused or not sent)
        self.not_tested: dict[str, str] = {}
        #: why the probe running now rests on an assumption ("" when on the document)
        self.assumed = ""
        document_asyncapi(report.coverage, self.contract)

    def finding(self, check: str, operation: str, violated: Violated, transcript: str, assumption: str = "") -> None:
        self.report.add_finding(
            Finding(
                check=check,
                operation=operation,
                transport="websocket",
                phase="websocket",
                title=violated.title,
                expected=violated.expected,
                actual=violated.actual,
                reproduce=transcript,
                assumption=violated.assumption or assumption,
            )
        )

    # ---- addressing --------------------------------------------------------------------
    def params(self, channel: Channel) -> dict[str, str]:
        """The channel address's parameters, chosen once per run (a declared copy may echo them):
        a documented value (its first example, its default, the first value of its `enum`),
        else a made-up one."""
        if channel.id not in self.address_params:
            chosen = {}
            for name, parameter in (channel.definition.get("parameters") or {}).items():
                parameter = self.contract.resolve(parameter)
                documented = [*(parameter.get("examples") or [])[:1], parameter.get("default"), *(parameter.get("enum") or [])[:1]]
                value = next((v for v in documented if v is not None and v != ""), None)
                chosen[name] = f"apitwin-{secrets.token_hex(3)}" if value is None else address_text(value)
            self.address_params[channel.id] = chosen
        return self.address_params[channel.id]

    def url(self, channel: Channel) -> str:
        address = channel.address
        for name, value in self.params(channel).items():
            address = address.replace("{" + name + "}", value)
        return (self.target.ws_url or "").rstrip("/") + address

    def user_id(self) -> str | None:
        """The logged-in user's id: the token's subject, else the contract's first user."""
        subject = token_subject(self.session.current_token())
        users = self.target.contract.auth.get("users") or [{}]
        return subject or (str(users[0]["id"]) if users[0].get("id") is not None else None)

    # ---- connecting --------------------------------------------------------------------
    async def dial(self, channel: Channel, way: TokenWay | None, token: str | None, label: str) -> ClientConnection:
        """Open a socket to `channel` with `token` passed the `way` given; the handshake is
        written down under `label` (a refused one stays in `last_handshake`)."""
        url, headers, subprotocols = place_token(self.url(channel), way, token)
        shown = url.replace(token, "<token>") if token else url
        lines = [f"# connect {shown}" + (f" ({way.label})" if way and token else " (no token)")]
        self.handshakes[label] = lines
        self.last_handshake = "\n".join(lines)
        socket = await open_client(url, self.settings, headers, subprotocols)
        lines.append(f"# accepted (subprotocol: {socket.subprotocol})" if socket.subprotocol else "# accepted")
        return socket

    def attach(self, opened: list[Connection], channel: Channel, socket: ClientConnection, label: str) -> Connection:
        """Read `socket` as a connection of this run (every frame held to the channel's schema);
        the probe's `opened` list closes it afterwards."""
        connection = Connection(
            socket,
            label,
            self.handshakes.get(label, []),
            lambda connection, frame: self.received(channel, connection, frame),
            max_frame_size(self.settings),
        )
        connection.assumed = self.assumed
        connection.on_send = lambda frame: observe_frame(self.report.coverage, self.contract, channel, TO_SERVER, frame)
        opened.append(connection)
        return connection

    def received(self, channel: Channel, connection: Connection, frame: object) -> None:
        """Every frame a connection reads: counted for coverage, then held to the schema."""
        observe_frame(self.report.coverage, self.contract, channel, FROM_SERVER, frame)
        check_server_frame(self, channel, connection, frame)

    async def connection(self, opened: list[Connection], channel: Channel, label: str, token: str | None = None) -> Connection:
        """A connection with the channel's first token way and the session's token."""
        way = channel.token_ways[0] if channel.token_ways else None
        token = token or (self.session.current_token() if way else None)
        return self.attach(opened, channel, await self.dial(channel, way, token, label), label)


def token_subject(token: str | None) -> str | None:
    try:
        payload = token.split(".")[1]  # type: ignore[union-attr]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return str(claims.get("sub")) if claims.get("sub") is not None else None
    except (AttributeError, IndexError, ValueError):
        return None
