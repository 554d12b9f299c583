"""What every AsyncAPI contract of the corpus must get from apitwin, as a user would meet it.

For one contract: `apitwin lint` raises no error, `apitwin mock` starts and accepts a WebSocket
handshake at every channel address (its parameters given documented values, a token where the
servers' security asks for one), and, after each message a client sends there (its example,
else a generated payload), every frame it sends is valid against a message the contract says
the server sends, and `apitwin check --phases websocket` of that mock against the
same contract finds nothing. The contract is read here on its own terms (AsyncAPI 3.0: `send`
operations and `reply`s are what the server sends) and frames are judged with the `jsonschema`
library, independently of the mock's and the suite's readings, so neither can vouch for itself.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import websockets
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from mock_server.datagen.generator import DataGenerator
from tests.corpus.harness import TOKEN

CONTRACT_URI = "urn:corpus:asyncapi"
#: how long a connection is read for the frames the server sends on its own
LISTEN_SECONDS = 1.5
#: at most this many frames read per connection (a fast feed must not keep a test reading)
MAX_FRAMES = 20


@dataclass
class Address:
    """One address a client connects to, and what the contract says happens there."""

    address: str
    parameters: dict[str, Any] = field(default_factory=dict)
    server_messages: list[dict[str, Any]] = field(default_factory=list)   # payload schemas
    client_payloads: list[Any] = field(default_factory=list)              # what a client sends there

    def path(self) -> str:
        """The address with each parameter a documented value: an example, the default, the
        first of its `enum` (AsyncAPI 3.0 Parameter objects hold these directly)."""
        path = self.address
        for name, parameter in self.parameters.items():
            parameter = parameter if isinstance(parameter, dict) else {}
            documented = [*(parameter.get("examples") or [])[:1], parameter.get("default"), *(parameter.get("enum") or [])[:1]]
            value = next((v for v in documented if v is not None), "corpus")
            path = path.replace("{" + name + "}", quote(str(value).lower() if isinstance(value, bool) else str(value), safe=""))
        return path


class AsyncContractReading:
    """The contract, dereferenced by JSON pointer as the corpus needs it."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.validators: dict[int, Draft7Validator] = {}
        self.generator = DataGenerator(0, stream="corpus")

    def resolve(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#") and seen < 32:
            target: Any = self.document
            for part in node["$ref"][1:].strip("/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node, seen = target, seen + 1
        return node

    def valid(self, schema: Any, frame: Any) -> bool:
        """Whether `frame` fits a payload schema (AsyncAPI's schemas are JSON Schema draft 7's;
        no payload documented means any payload), its `$ref`s resolving in the contract."""
        if schema is None:
            return True
        if id(schema) not in self.validators:
            contents = {**self.document, "x-corpus-payload": schema}
            registry = Registry().with_resource(CONTRACT_URI, Resource.from_contents(contents, default_specification=DRAFT7))
            self.validators[id(schema)] = Draft7Validator({"$ref": CONTRACT_URI + "#/x-corpus-payload"}, registry=registry)
        return self.validators[id(schema)].is_valid(frame)

    def channel_id(self, ref: Any) -> str:
        pointer = str((ref or {}).get("$ref", "")) if isinstance(ref, dict) else ""
        return pointer.rsplit("/", 1)[-1]

    def payloads(self, refs: list[Any], channel: dict[str, Any]) -> list[Any]:
        messages = [self.resolve(ref) for ref in refs] if refs else list(map(self.resolve, (channel.get("messages") or {}).values()))
        return [self.resolve(m.get("payload")) if isinstance(m, dict) else None for m in messages]

    def client_payloads(self, refs: list[Any], channel: dict[str, Any]) -> list[Any]:
        """One payload per message a client sends: its first example, else one generated from
        its schema (a JSON payload only; a message without one is sent as `{}`)."""
        messages = [self.resolve(ref) for ref in refs] if refs else list(map(self.resolve, (channel.get("messages") or {}).values()))
        payloads = []
        for message in (m for m in messages if isinstance(m, dict)):
            examples = [e["payload"] for e in message.get("examples") or [] if isinstance(e, dict) and "payload" in e]
            schema = self.resolve(message.get("payload"))
            if examples:
                payloads.append(examples[0])
            elif isinstance(schema, dict) and schema.get("format") != "binary":
                payloads.append(self.generator.value(schema, root=self.document, mode="request"))
        return payloads

    def addresses(self) -> list[Address]:
        channels = {key: self.resolve(spec) for key, spec in (self.document.get("channels") or {}).items()}
        found: dict[str, Address] = {}
        for key, channel in channels.items():
            if isinstance(channel, dict) and channel.get("address"):
                entry = found.setdefault(channel["address"], Address(channel["address"]))
                entry.parameters.update(channel.get("parameters") or {})
        for operation in (self.document.get("operations") or {}).values():
            channel = channels.get(self.channel_id(operation.get("channel")))
            if not isinstance(channel, dict) or channel.get("address") not in found:
                continue
            entry = found[channel["address"]]
            refs = operation.get("messages") or []
            if operation.get("action") == "send":
                entry.server_messages += self.payloads(refs, channel)
            elif operation.get("action") == "receive":
                entry.client_payloads += self.client_payloads(refs, channel)
                reply = self.resolve(operation.get("reply")) or {}
                reply_channel = channels.get(self.channel_id(reply.get("channel"))) or channel
                if reply.get("messages") or reply.get("channel"):
                    entry.server_messages += self.payloads(reply.get("messages") or [], reply_channel)
        return list(found.values())

    def token_ways(self) -> list[tuple[str, str]]:
        """(query|header|bearer, name) for each security scheme of the servers."""
        ways = []
        for server in (self.document.get("servers") or {}).values():
            for requirement in self.resolve(server).get("security") or []:
                scheme = self.resolve(requirement)
                kind, where = scheme.get("type"), scheme.get("in")
                if kind in ("httpApiKey", "apiKey") and where in ("query", "header"):
                    ways.append((where, str(scheme.get("name"))))
                elif kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
                    ways.append(("bearer", "Authorization"))
        return ways


def connect_arguments(reading: AsyncContractReading, url: str) -> tuple[str, dict[str, str]]:
    """The URL and headers of a handshake carrying the corpus token the first documented way."""
    ways = reading.token_ways()
    if not ways:
        return url, {}
    where, name = ways[0]
    if where == "query":
        return url + ("&" if "?" in url else "?") + urlencode({name: TOKEN}), {}
    return url, {"Authorization": f"Bearer {TOKEN}"} if where == "bearer" else {name: TOKEN}


async def exchange(url: str, headers: dict[str, str], send: list[Any], seconds: float = LISTEN_SECONDS,
                   limit: int = MAX_FRAMES) -> list[Any]:
    """Connect, send each client payload, and read at most `limit` frames within `seconds`."""
    frames: list[Any] = []
    async with websockets.connect(url, open_timeout=5, additional_headers=headers, max_size=1 << 20) as socket:
        for payload in send:
            await socket.send(json.dumps(payload))
        deadline = asyncio.get_running_loop().time() + seconds
        while len(frames) < limit:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            try:
                raw = await asyncio.wait_for(socket.recv(), left)
            except asyncio.TimeoutError:
                break
            frames.append(json.loads(raw) if isinstance(raw, str) else raw)
    return frames


def ws_problems(reading: AsyncContractReading, base_ws_url: str) -> tuple[list[str], int]:
    """Problems met at every address of the contract, and how many frames were judged."""
    problems: list[str] = []
    judged = 0
    for address in reading.addresses():
        url, headers = connect_arguments(reading, base_ws_url.rstrip("/") + address.path())
        try:
            frames = asyncio.run(exchange(url, headers, address.client_payloads))
        except (OSError, websockets.exceptions.WebSocketException) as failed:
            problems.append(f"{address.address}: handshake at {address.path()} failed: {failed}")
            continue
        for frame in frames:
            judged += 1
            if not any(reading.valid(schema, frame) for schema in address.server_messages):
                problems.append(f"{address.address}: a frame valid against no message the server sends: {str(frame)[:300]}")
    return problems, judged


def ws_check_arguments(reading: AsyncContractReading) -> list[str]:
    """`apitwin check` credentials: the corpus token where the servers' security asks for one."""
    return ["--token", TOKEN] if reading.token_ways() else []
