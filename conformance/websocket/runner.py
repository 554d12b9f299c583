"""The WebSocket phase: connect as the contract says and hold every frame to its schema.

For each channel of the AsyncAPI contract: every token way is tried (and refusals checked),
the welcome message awaited, every client message sent (its examples and Hypothesis-generated
payloads) and its documented reply awaited, invalid frames sent and the error frame awaited,
fan-out and direct delivery checked with a second connection, REST-triggered events checked,
protocol pings and the frame-size limit checked. Every frame received on any connection is
validated against the server's messages. A failure carries the transcript of its connection.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import requests
import websockets
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from conformance.auth import AuthSession
from conformance.contract import dig
from conformance.results import Finding, Report
from conformance.settings import CheckSettings
from conformance.target import Target
from conformance.websocket.asyncapi import AsyncContract, Channel, Message, TokenWay, WsOperation
from conformance.websocket.copies import Mismatch, mismatches
from conformance.websocket.generate import broken, draw, strategy

BAD_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcGl0d2luIn0.invalid-signature"
RECIPIENT = re.compile(r"(^|_)(receiver|recipient|target|to)(_user)?(_id)?$")


class Violated(Exception):
    def __init__(self, title: str, expected: str, actual: str) -> None:
        super().__init__(title)
        self.title, self.expected, self.actual = title, expected, actual


class Connection:
    """One client connection: a transcript, a queue of parsed frames, schema validation of each."""

    def __init__(self, run: "WsRun", channel: Channel, socket: ClientConnection, label: str) -> None:
        self.run, self.channel, self.socket, self.label = run, channel, socket, label
        self.transcript: list[str] = list(run.handshakes.get(label, []))
        self.frames: asyncio.Queue = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.socket:
                if isinstance(raw, bytes):
                    self.transcript.append(f"< (binary, {len(raw)} bytes)")
                    await self.frames.put(raw)
                    continue
                self.transcript.append(f"< {raw}")
                try:
                    frame = json.loads(raw)
                except ValueError:
                    frame = raw
                self.run.validate_server_frame(self, frame)
                await self.frames.put(frame)
        except ConnectionClosed as closed:
            self.transcript.append(f"# closed by the server: {closed.rcvd.code if closed.rcvd else 'no close frame'}")

    async def send(self, frame: Any) -> None:
        text = frame if isinstance(frame, (str, bytes)) else json.dumps(frame)
        self.transcript.append(f"> {text if isinstance(text, str) else f'(binary, {len(text)} bytes)'}")
        await self.socket.send(text)

    async def expect(self, accept: Callable[[Any], bool], timeout: float) -> Any:
        """The first frame `accept`s within `timeout` seconds (others are skipped), or None."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            if left <= 0:
                return None
            try:
                frame = await asyncio.wait_for(self.frames.get(), left)
            except asyncio.TimeoutError:
                return None
            if accept(frame):
                return frame

    def text(self) -> str:
        return "\n".join(self.transcript[-60:])

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.socket.close(), 2)
        except (asyncio.TimeoutError, ConnectionClosed, OSError):
            pass
        self.reader.cancel()


def set_path(frame: Any, path: str, value: Any) -> Any:
    """A copy of `frame` with `value` at a dotted path (wrapped in a list where a list was)."""
    frame = json.loads(json.dumps(frame))
    node = frame
    parts = [part for part in path.split(".") if part]
    for part in parts[:-1]:
        node = node.setdefault(part, {}) if isinstance(node, dict) else {}
    if isinstance(node, dict) and parts:
        node[parts[-1]] = [value] if isinstance(node.get(parts[-1]), list) else value
    return frame


def token_subject(token: str | None) -> str | None:
    try:
        payload = token.split(".")[1]  # type: ignore[union-attr]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return str(claims.get("sub")) if claims.get("sub") is not None else None
    except (AttributeError, IndexError, ValueError):
        return None


class WsRun:
    def __init__(self, target: Target, settings: CheckSettings, enabled: set[str], session: AuthSession, report: Report) -> None:
        self.target, self.settings, self.enabled, self.session, self.report = target, settings, enabled, session, report
        self.contract = AsyncContract(target.contract.asyncapi)
        self.wait = min(2.0, settings.request_timeout)
        self.examples = max(1, min(settings.max_examples, 3))
        self.handshakes: dict[str, list[str]] = {}
        self.last_handshake = ""
        self.frame_failures: set[str] = set()
        self.address_params: dict[str, dict[str, str]] = {}

    # ---- reporting ---------------------------------------------------------------------
    def finding(self, check: str, operation: str, violated: Violated, transcript: str) -> None:
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
            )
        )

    async def perform(self, check: str, operation: str, body: Callable[[list[Connection]], Any]) -> None:
        """Run one check; its connections are closed afterwards and their transcripts reported."""
        if check not in self.enabled:
            return
        opened: list[Connection] = []
        try:
            await body(opened)
            self.report.count(operation, check, passed=True)
        except Violated as violated:
            self.finding(check, operation, violated, "\n\n".join(c.text() for c in opened) or self.last_handshake)
        except (ConnectionClosed, InvalidHandshake, OSError, asyncio.TimeoutError) as exc:
            violated = Violated("the connection failed during the check", "an open connection", f"{type(exc).__name__}: {exc}")
            self.finding(check, operation, violated, "\n\n".join(c.text() for c in opened) or self.last_handshake)
        finally:
            for connection in opened:
                await connection.close()

    def validate_server_frame(self, connection: Connection, frame: Any) -> None:
        if "ws_frame_schema" not in self.enabled:
            return
        messages = self.contract.server_messages(connection.channel)
        operation = f"WS {connection.channel.address}"
        if any(self.contract.valid(message, frame) for message in messages):
            self.report.count(operation, "ws_frame_schema", passed=True)
            return
        closest = min(messages, key=lambda m: len(self.contract.errors(m.payload, frame)), default=None)
        problems = "; ".join(self.contract.errors(closest.payload, frame)) if closest else "no server messages documented"
        key = f"{connection.channel.id}:{closest.name if closest else ''}"
        if key in self.frame_failures:
            self.report.count(operation, "ws_frame_schema", passed=False)
            return
        self.frame_failures.add(key)
        self.finding(
            "ws_frame_schema",
            operation,
            Violated(
                "server frame matches none of the documented messages",
                f"one of: {', '.join(m.name for m in messages)}" + (f" (closest: {closest.name})" if closest else ""),
                f"{json.dumps(frame)[:300]} ({problems})",
            ),
            connection.text(),
        )

    # ---- connecting --------------------------------------------------------------------
    def params(self, channel: Channel) -> dict[str, str]:
        """The channel address's parameters, chosen once per run (a declared copy may echo them)."""
        if channel.id not in self.address_params:
            chosen = {}
            for name, parameter in (channel.definition.get("parameters") or {}).items():
                parameter = self.contract.resolve(parameter)
                value = (parameter.get("examples") or [None])[0] or parameter.get("default") or f"apitwin-{secrets.token_hex(3)}"
                chosen[name] = str(value)
            self.address_params[channel.id] = chosen
        return self.address_params[channel.id]

    def url(self, channel: Channel) -> str:
        address = channel.address
        for name, value in self.params(channel).items():
            address = address.replace("{" + name + "}", value)
        return (self.target.ws_url or "").rstrip("/") + address

    async def open(self, channel: Channel, way: TokenWay | None, token: str | None, label: str) -> ClientConnection:
        url = self.url(channel)
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
        shown = url.replace(token, "<token>") if token else url
        lines = [f"# connect {shown}" + (f" ({way.label})" if way and token else " (no token)")]
        self.handshakes[label] = lines
        self.last_handshake = "\n".join(lines)
        socket = await connect(
            url, additional_headers=headers, subprotocols=subprotocols, open_timeout=self.wait, max_size=None, ping_interval=None
        )
        lines.append(f"# accepted (subprotocol: {socket.subprotocol})" if socket.subprotocol else "# accepted")
        return socket

    async def connection(self, opened: list[Connection], channel: Channel, label: str, token: str | None = None) -> Connection:
        way = channel.token_ways[0] if channel.token_ways else None
        token = token or (self.session.current_token() if way else None)
        socket = await self.open(channel, way, token, label)
        connection = Connection(self, channel, socket, label)
        opened.append(connection)
        return connection

    # ---- the phase ---------------------------------------------------------------------
    async def run(self) -> None:
        for channel in self.contract.channels.values():
            await self.channel(channel)

    async def channel(self, channel: Channel) -> None:
        label = f"WS {channel.address}"
        operations = [op for op in self.contract.operations if op.channel == channel.id]
        if channel.token_ways:
            await self.perform("ws_handshake_auth", label, lambda opened: self.handshake_auth(channel, opened))
        if any(op.trigger == "connect" for op in operations):
            await self.perform("ws_welcome", label, lambda opened: self.welcome(channel, operations, opened))
        for op in operations:
            if op.action == "receive" and op.replies and op.messages:
                await self.perform("ws_reply", op.id, lambda opened, op=op: self.replies(channel, op, opened))
        if self.contract.error_message(channel) is not None:
            await self.perform("ws_invalid_message", label, lambda opened: self.invalid(channel, opened))
        for op in operations:
            if "fanout" in op.effect:
                await self.perform("ws_fanout", op.id, lambda opened, op=op: self.fanout(channel, op, operations, opened))
            if "deliver" in op.effect:
                await self.perform("ws_direct_delivery", op.id, lambda opened, op=op: self.deliver(channel, op, opened))
            if op.action == "send" and op.events:
                await self.perform("ws_rest_events", op.id, lambda opened, op=op: self.rest_event(channel, op, opened))
        await self.perform("ws_heartbeat", label, lambda opened: self.heartbeat(channel, opened))
        if channel.extension("max-frame-size"):
            await self.perform("ws_frame_limit", label, lambda opened: self.frame_limit(channel, opened))

    # ---- checks ------------------------------------------------------------------------
    async def handshake_auth(self, channel: Channel, opened: list[Connection]) -> None:
        token = self.session.current_token()
        if not token:
            raise Violated("cannot test the handshake", "a token from the contract's login", self.session.failure or "no token")
        for way in channel.token_ways:
            try:
                socket = await self.open(channel, way, token, f"auth {way.label}")
            except InvalidStatus as refused:
                raise Violated(
                    f"handshake with the token as {way.label} refused",
                    "101 Switching Protocols",
                    f"{refused.response.status_code} {refused.response.body[:200]!r}",
                ) from None
            connection = Connection(self, channel, socket, f"auth {way.label}")
            opened.append(connection)
            if way.kind == "subprotocol" and socket.subprotocol != f"access_token.{token}":
                raise Violated(
                    "the token subprotocol is not echoed",
                    "Sec-WebSocket-Protocol: access_token.<jwt> in the answer",
                    str(socket.subprotocol),
                )
        expected_status = 401 if "401" in {str(key) for key in channel.extension("handshake-errors", {}) or {}} else None
        for description, way, value in (("no token", None, None), ("a bad token", channel.token_ways[0], BAD_TOKEN)):
            try:
                socket = await self.open(channel, way, value, f"refusal {description}")
            except InvalidStatus as refused:
                status = refused.response.status_code
                if (expected_status and status != expected_status) or not 400 <= status < 500:
                    raise Violated(
                        f"handshake with {description} refused with the wrong status",
                        f"{expected_status or '4xx'}",
                        f"{status} {refused.response.body[:200]!r}",
                    ) from None
                self.check_refusal_body(channel, status, refused.response.body or b"", description)
                continue
            connection = Connection(self, channel, socket, f"refusal {description}")
            opened.append(connection)
            raise Violated(
                f"handshake with {description} accepted",
                f"the upgrade refused with {expected_status or '401'}",
                "101 Switching Protocols",
            )

    def check_refusal_body(self, channel: Channel, status: int, body: bytes, description: str) -> None:
        schemas = {str(key): value for key, value in (channel.extension("handshake-errors", {}) or {}).items()}
        schema = schemas.get(str(status))
        if not schema:
            return
        try:
            data = json.loads(body or b"null")
        except ValueError:
            data = body.decode("utf-8", "replace")
        problems = self.contract.errors(self.contract.resolve(schema), data)
        if problems:
            raise Violated(
                f"{status} handshake refusal ({description}) not in the documented body",
                "a body valid against x-apitwin-handshake-errors",
                f"{str(data)[:200]} ({'; '.join(problems)})",
            )

    async def welcome(self, channel: Channel, operations: list[WsOperation], opened: list[Connection]) -> None:
        messages = [m for op in operations if op.trigger == "connect" for m in op.messages]
        connection = await self.connection(opened, channel, "welcome")
        frame = await connection.expect(lambda f: any(self.contract.valid(m, f) for m in messages), self.wait)
        if frame is None:
            raise Violated("no welcome message on connect", f"{', '.join(m.name for m in messages)} after connecting", "nothing")

    def client_frames(self, channel: Channel, message: Message) -> list[Any]:
        frames = list(message.examples)
        generated = draw(
            strategy(message.payload, self.contract.resolve),
            self.examples,
            self.settings.seed,
            lambda value: self.contract.valid(message, value),
        )
        return frames + [frame for frame in generated if frame not in frames]

    def user_id(self) -> str | None:
        token = self.session.current_token()
        subject = token_subject(token)
        users = self.target.contract.auth.get("users") or [{}]
        return subject or (str(users[0]["id"]) if users[0].get("id") is not None else None)

    async def replies(self, channel: Channel, op: WsOperation, opened: list[Connection]) -> None:
        connection = await self.connection(opened, channel, f"reply {op.id}")
        for message in op.messages:
            frames = [b"apitwin-binary-frame"] if message.binary else self.client_frames(channel, message)
            for frame in frames:
                await connection.send(frame)
                reply = await connection.expect(lambda f: any(self.contract.valid(r, f) for r in op.replies), self.wait)
                if reply is None:
                    raise Violated(
                        f"no reply to {message.name}",
                        f"one of {', '.join(r.name for r in op.replies)} within {self.wait:g}s",
                        "nothing (or only frames that are not a documented reply)",
                    )
                error = self.contract.error_message(channel)
                if error is not None and self.contract.valid(error, reply) and not any(
                    self.contract.valid(r, reply) for r in op.replies if r.name != error.name
                ):
                    continue
                wrong = mismatches(op.effect.get("reply_copy"), frame, reply, self.params(channel))
                if wrong:
                    raise not_copied(f"the {message.name} reply", wrong)

    async def invalid(self, channel: Channel, opened: list[Connection]) -> None:
        error = self.contract.error_message(channel)
        assert error is not None
        clients = self.contract.client_messages(channel)
        connection = await self.connection(opened, channel, "invalid frames")

        def is_invalid(value: Any) -> bool:
            return not any(self.contract.valid(m, value) for m in clients if not m.binary)

        frames: list[Any] = ["{not json", {"type": "apitwin.unknown.type", "data": {}}]
        for message in clients:
            if not message.binary:
                frames += draw(broken(message.payload, self.contract.resolve), 1, self.settings.seed, is_invalid)
        for frame in frames:
            if not isinstance(frame, str) and not is_invalid(frame):
                continue
            await connection.send(frame)
            answer = await connection.expect(lambda f: self.contract.valid(error, f), self.wait)
            if answer is None:
                raise Violated(
                    "invalid frame not answered with the error frame",
                    f"{error.name} within {self.wait:g}s, connection kept open",
                    "no error frame" + (" (connection closed)" if connection.socket.close_code is not None else ""),
                )
        if connection.socket.close_code is not None:
            raise Violated("connection closed after invalid frames", "the connection stays open", f"closed with {connection.socket.close_code}")
        pong = await connection.socket.ping()
        await asyncio.wait_for(pong, self.wait)

    def subscribe_op(self, operations: list[WsOperation]) -> WsOperation | None:
        return next((op for op in operations if "subscribe" in op.effect and op.messages), None)

    async def fanout(self, channel: Channel, op: WsOperation, operations: list[WsOperation], opened: list[Connection]) -> None:
        declaration = op.effect["fanout"]
        topic = f"apitwin.{secrets.token_hex(4)}"
        message_name = declaration.get("message")
        delivery = channel.messages.get(message_name) if message_name else None
        if delivery is None or not op.messages or not op.messages[0].examples:
            return
        sender = await self.connection(opened, channel, "fan-out sender")
        receiver = await self.connection(opened, channel, "fan-out receiver")
        subscribe = self.subscribe_op(operations)
        if subscribe is not None and subscribe.messages[0].examples:
            frame = set_path(subscribe.messages[0].examples[0], subscribe.effect["subscribe"], topic)
            await receiver.send(frame)
            await receiver.expect(lambda f: any(self.contract.valid(r, f) for r in subscribe.replies), self.wait)
        frame = set_path(op.messages[0].examples[0], declaration.get("topic", "topic"), topic)
        await sender.send(frame)
        got = await receiver.expect(
            lambda f: self.contract.valid(delivery, f) and topic in json.dumps(f), self.wait
        )
        if got is None:
            raise Violated(
                f"{op.messages[0].name} to a topic never reached its other subscriber",
                f"{delivery.name} for topic {topic} on the second connection",
                "nothing",
            )
        wrong = mismatches(declaration.get("copy"), frame, got, self.params(channel))
        if wrong:
            raise not_copied(f"the {delivery.name} delivery", wrong)

    async def deliver(self, channel: Channel, op: WsOperation, opened: list[Connection]) -> None:
        declaration = op.effect["deliver"]
        delivery = channel.messages.get(declaration.get("message", ""))
        user = self.user_id()
        if delivery is None or user is None or not op.messages or not op.messages[0].examples:
            return
        receiver = await self.connection(opened, channel, "direct receiver")
        sender = await self.connection(opened, channel, "direct sender")
        marker = f"apitwin-{secrets.token_hex(4)}"
        frame = set_path(op.messages[0].examples[0], declaration.get("user", "user"), user)
        if dig(frame, "data.payload") is not None or dig(frame, "payload") is not None:
            frame = set_path(frame, "data.payload" if dig(frame, "data.payload") is not None else "payload", {"marker": marker})
        await sender.send(frame)
        got = await receiver.expect(lambda f: self.contract.valid(delivery, f), self.wait)
        if got is None:
            raise Violated(
                f"{op.messages[0].name} to user {user} never reached that user's other connection",
                f"{delivery.name} on the second connection of {user}",
                "nothing",
            )
        wrong = mismatches(declaration.get("copy"), frame, got, self.params(channel))
        if wrong:
            raise not_copied(f"the {delivery.name} delivery", wrong)

    async def rest_event(self, channel: Channel, op: WsOperation, opened: list[Connection]) -> None:
        http = next(
            (
                candidate
                for candidate in self.target.contract.operations.values()
                if set(candidate.extension("events") or []) & set(op.events) and "{" not in candidate.path
            ),
            None,
        )
        if http is None or not op.messages:
            return
        body = self.example_body(http)
        if body is None:
            return
        connection = await self.connection(opened, channel, f"rest event {op.id}")
        await asyncio.sleep(0.1)
        user = self.user_id()
        if isinstance(body, dict) and user:
            body = {key: (user if RECIPIENT.search(key) and isinstance(value, str) else value) for key, value in body.items()}
        url = self.target.base_url + http.path
        connection.transcript.append(f"# {http.method.upper()} {url} {json.dumps(body)}")
        answer = await asyncio.to_thread(
            requests.request, http.method.upper(), url, json=body, headers=self.session.headers(), timeout=self.wait
        )
        connection.transcript.append(f"# -> {answer.status_code}")
        if not 200 <= answer.status_code < 300:
            return
        got = await connection.expect(lambda f: any(self.contract.valid(m, f) for m in op.messages), self.wait)
        if got is None:
            raise Violated(
                f"{http.id} did not produce {', '.join(m.name for m in op.messages)}",
                f"{', '.join(m.name for m in op.messages)} after {http.method.upper()} {http.path} ({', '.join(op.events)})",
                "nothing",
            )

    def example_body(self, operation: Any) -> Any:
        contract = self.target.contract
        request = contract.resolve(operation.definition.get("requestBody") or {})
        for media_type, media in (request.get("content") or {}).items():
            if "json" not in media_type or not isinstance(media, dict):
                continue
            for example in (media.get("examples") or {}).values():
                example = contract.resolve(example)
                if isinstance(example, dict) and "value" in example:
                    return example["value"]
            if "example" in media:
                return media["example"]
        return None

    async def heartbeat(self, channel: Channel, opened: list[Connection]) -> None:
        connection = await self.connection(opened, channel, "heartbeat")
        waiter = await connection.socket.ping()
        connection.transcript.append("> (protocol ping)")
        try:
            await asyncio.wait_for(waiter, self.wait)
        except asyncio.TimeoutError:
            raise Violated("protocol ping not answered", f"a pong within {self.wait:g}s", "nothing") from None
        connection.transcript.append("< (protocol pong)")

    async def frame_limit(self, channel: Channel, opened: list[Connection]) -> None:
        limit = int(channel.extension("max-frame-size"))
        connection = await self.connection(opened, channel, "frame limit")
        await connection.send(json.dumps({"type": "apitwin.oversized", "data": "x" * limit}))
        try:
            await asyncio.wait_for(connection.socket.wait_closed(), self.wait)
        except asyncio.TimeoutError:
            raise Violated(
                f"a frame over {limit} bytes did not close the connection",
                "close code 1009 (message too big)",
                "connection still open",
            ) from None
        code = connection.socket.close_code
        if code != 1009:
            raise Violated(f"a frame over {limit} bytes closed with the wrong code", "close code 1009", str(code))


def not_copied(what: str, wrong: list[Mismatch]) -> Violated:
    return Violated(
        f"{', '.join(item.target for item in wrong)} not copied into {what}",
        "; ".join(f"{item.target} = {item.expected!r} (x-apitwin-effect copy from {item.source})" for item in wrong),
        "; ".join(f"{item.target} = {item.actual!r}" for item in wrong),
    )


def run_websocket(target: Target, settings: CheckSettings, enabled: set[str], session: AuthSession, progress: Any = None) -> Report:
    report = Report(api=target.contract.name, base_url=target.ws_url or "")
    if not target.contract.asyncapi or not target.ws_url:
        report.phases["websocket"] = "skipped: no AsyncAPI contract"
        return report
    run = WsRun(target, settings, enabled, session, report)
    asyncio.run(run.run())
    report.phases["websocket"] = "failure" if report.findings else "success"
    if progress is not None:
        progress("websocket", "done", len(report.findings))
    return report
