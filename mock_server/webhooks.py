"""Webhooks that fire: registrations made through the REST side, deliveries signed and retried.

Declared at the root of openapi.yaml::

    x-apitwin:
      webhooks:
        registration: createWebhook          # the operation whose stored records are registrations
        events: [message.created, user.updated]
        signature: {field: signature, header: X-Webhook-Signature, algorithm: hmac-sha256,
                    prefix: 'sha256=', secret_field: secret}
        payloads:                            # event -> {payload path: source}, sources as in
          message.created:                   # the WebSocket fills: a path into the event's record,
            data.message_id: id              # $meta.collection, $changes.data (the keys of
            data.content: content            # `data` that changed since the last event about
          record.deleted:                    # this record), or a literal value
            data.changes: {}
        retry: {attempts: 4, backoff_seconds: 1, timeout_seconds: 5}

A registration (a record of the registration operation's collection, holding ``url``,
``events``, the secret and optionally ``collections``) receives every declared event it lists. The payload is ``{event, timestamp, data}`` completed and pruned against the
schema of the contract's top-level ``webhooks`` entry for that event, then signed: ``signature``
is the prefix plus the hex HMAC-SHA256, under the registration's secret, of the payload as
compact JSON with sorted keys and without the signature member; the same value travels in the
declared header. A delivery that fails (connection error or a status outside 2xx) is retried
with exponential backoff; deliveries to one registration go out one at a time, in event order. ``GET /__mock/webhooks`` lists every delivery with each attempt and
its outcome (the last 1,000); ``DELETE`` clears the list. ``APITWIN_WEBHOOK_BACKOFF`` (seconds) overrides the
backoff base, so tests need not wait.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import time
import uuid
from collections import deque
from datetime import datetime, timezone
from typing import Any

import httpx

from mock_server.websocket.frames import MISSING, Context, FrameBuilder, get_path, put_path

logger = logging.getLogger("apitwin.webhooks")

#: deliveries kept for GET /__mock/webhooks (the oldest are dropped first)
MAX_DELIVERIES = 1000


def canonical(payload: dict[str, Any], without: str | None = "signature") -> bytes:
    """The bytes a signature covers: compact JSON, sorted keys, the signature member left out."""
    body = {k: v for k, v in payload.items() if k != without}
    return json.dumps(body, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")


def sign(secret: str, payload: dict[str, Any], prefix: str = "sha256=", field: str | None = "signature") -> str:
    digest = hmac.new(secret.encode("utf-8"), canonical(payload, field), hashlib.sha256).hexdigest()
    return prefix + digest


class Webhooks:
    """Delivers one API's webhooks; built by `build_app(runtime)` when the contract declares them."""

    def __init__(self, runtime: Any, declaration: dict[str, Any], backoff_override: float | None = None) -> None:
        self.runtime = runtime
        self.declaration = declaration
        operation = runtime.operations.get(declaration.get("registration"))
        resource = getattr(operation, "resource", None)
        self.collection = getattr(resource, "collection", None) or "webhooks"
        self.events = list(declaration.get("events") or [])
        self.signature = dict(declaration.get("signature") or {})
        self.payloads = dict(declaration.get("payloads") or {})
        retry = dict(declaration.get("retry") or {})
        self.attempts = int(retry.get("attempts", 4))
        self.backoff = float(backoff_override if backoff_override is not None else retry.get("backoff_seconds", 1))
        self.timeout = float(retry.get("timeout_seconds", 5))
        self.builder = FrameBuilder(runtime.generator, runtime.document)
        self.schemas = self._payload_schemas()
        self.deliveries: deque[dict[str, Any]] = deque(maxlen=MAX_DELIVERIES)
        # what each record looked like when last seen (the fixtures to start with), for $changes
        self.snapshots: dict[tuple[str, str], Any] = {
            (name, str(record.get("id"))): record
            for name in runtime.store.collections() for record in runtime.store.list(name, copy_records=False)
        }
        self.tasks: set[asyncio.Task[Any]] = set()
        self.queues: dict[str, asyncio.Lock] = {}  # one delivery at a time per registration, in order
        for name in self.events:
            runtime.events.subscribe(name, self._on_event)

    # -- events -> deliveries ------------------------------------------------------------------

    def _on_event(self, event: Any) -> None:
        registrations = [r for r in self.runtime.store.list(self.collection) if self._wants(r, event)]
        changes = self._changes(event)
        if not registrations:
            return
        payload = self._payload(event, changes)
        for registration in registrations:
            delivery = self._delivery(registration, event.name, payload)
            self.deliveries.append(delivery)
            self._spawn(self._deliver(delivery, registration))

    def _meta(self, event: Any) -> dict[str, Any]:
        """The event's meta, with the collection the operation works on when it is not given."""
        meta = dict(event.meta or {})
        if not meta.get("collection"):
            operation = self.runtime.operations.get(meta.get("operation_id"))
            resource = getattr(operation, "resource", None)
            if resource is not None:
                meta["collection"] = resource.collection_for(meta.get("path_params") or {}) or None
        return meta

    def _wants(self, registration: dict[str, Any], event: Any) -> bool:
        if not registration.get("url"):
            return False
        if event.name not in (registration.get("events") or []):
            return False
        collections = registration.get("collections")
        collection = self._meta(event).get("collection")
        return not collections or collection is None or collection in collections

    def _changes(self, event: Any) -> dict[str, Any]:
        """What changed in each object field since the last event about the same record."""
        record = event.data if isinstance(event.data, dict) else {}
        key = (self._meta(event).get("collection") or "", str(record.get("id")))
        before = self.snapshots.get(key)
        if event.name.endswith(".deleted"):
            self.snapshots.pop(key, None)
        else:
            self.snapshots[key] = record
        changes: dict[str, Any] = {}
        for name, value in record.items():
            if isinstance(value, dict):
                old = (before or {}).get(name) if isinstance(before, dict) else None
                changes[name] = {k: v for k, v in value.items() if not isinstance(old, dict) or old.get(k) != v}
        return changes

    def _payload(self, event: Any, changes: dict[str, Any]) -> dict[str, Any]:
        context = Context(event=event.data, event_name=event.name, default_root="event")
        context.roots["meta"] = self._meta(event)
        context.roots["changes"] = changes
        payload: dict[str, Any] = {
            "event": event.name,
            "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data": {},
        }
        for target, source in (self.payloads.get(event.name) or {"data": "$event"}).items():
            value = context.evaluate(source)
            if value is not MISSING and value is not None:
                put_path(payload, target, value)
        schema = self.schemas.get(event.name)
        field = self.signature.get("field", "signature")
        if schema is not None:
            payload = self.builder.complete(schema, payload)
        payload.pop(field, None)
        return payload

    def _payload_schemas(self) -> dict[str, Any]:
        """The contract's top-level `webhooks` entries, by the event each one is sent for."""
        from mock_server.contracts.refs import resolve_refs

        document = self.runtime.document
        try:
            resolved = resolve_refs({"webhooks": document.get("webhooks") or {}, "components": document.get("components") or {}},
                                    base=self.runtime.spec_path or ".")
        except Exception:
            return {}
        found: dict[str, Any] = {}
        for key, item in (resolved.get("webhooks") or {}).items():
            post = (item or {}).get("post") or {}
            for media in ((post.get("requestBody") or {}).get("content") or {}).values():
                schema = media.get("schema")
                if not isinstance(schema, dict):
                    continue
                event = ((schema.get("properties") or {}).get("event") or {})
                names = [event["const"]] if "const" in event else list(event.get("enum") or [])
                for name in ([key] if key in self.events else names):
                    found.setdefault(name, schema)
        return found

    # -- sending ---------------------------------------------------------------------------------

    def _delivery(self, registration: dict[str, Any], event: str, payload: dict[str, Any]) -> dict[str, Any]:
        secret = str(registration.get(self.signature.get("secret_field", "secret")) or "")
        field = self.signature.get("field", "signature")
        signed = dict(payload)
        signature = sign(secret, payload, self.signature.get("prefix", "sha256="), field)
        if field:
            signed[field] = signature
        return {
            "id": str(uuid.uuid4()),
            "webhook_id": registration.get("id"),
            "url": registration.get("url"),
            "event": event,
            "payload": signed,
            "signature": signature,
            "state": "pending",
            "attempts": [],
        }

    async def _deliver(self, delivery: dict[str, Any], registration: dict[str, Any]) -> None:
        """Deliveries to one registration go out in the order of their events (asyncio locks are
        first come, first served), each retried before the next is sent."""
        lock = self.queues.setdefault(str(registration.get("id")), asyncio.Lock())
        async with lock:
            await self._attempts(delivery)

    async def _attempts(self, delivery: dict[str, Any]) -> None:
        body = json.dumps(delivery["payload"], separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", "User-Agent": "apitwin-mock-webhooks"}
        if self.signature.get("header"):
            headers[self.signature["header"]] = delivery["signature"]
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            for attempt in range(1, self.attempts + 1):
                started = time.time()
                outcome: dict[str, Any] = {"attempt": attempt, "at": started}
                try:
                    response = await client.post(delivery["url"], content=body, headers=headers)
                    outcome["status"] = response.status_code
                    ok = 200 <= response.status_code < 300
                except httpx.HTTPError as error:
                    outcome["error"] = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
                    ok = False
                outcome["duration_ms"] = round((time.time() - started) * 1000, 1)
                delivery["attempts"].append(outcome)
                if ok:
                    delivery["state"] = "delivered"
                    return
                if attempt < self.attempts:
                    delivery["state"] = "retrying"
                    await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        delivery["state"] = "failed"

    def _spawn(self, coroutine: Any) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # published outside the server's loop (a unit test): nothing to send
            coroutine.close()
            return
        task = loop.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # -- /__mock/webhooks ------------------------------------------------------------------------

    def control(self, method: str, path: str) -> Any:
        if path != "/webhooks":
            return None
        if method == "GET":
            return {"deliveries": list(self.deliveries), "count": len(self.deliveries)}
        if method == "DELETE":
            self.deliveries.clear()
            return {"deliveries": [], "count": 0}
        return None


def build_app(runtime: Any) -> Webhooks | None:
    declaration = runtime.declarations.get("webhooks")
    if not isinstance(declaration, dict) or not declaration.get("events"):
        return None
    override = os.environ.get("APITWIN_WEBHOOK_BACKOFF")
    try:
        backoff = float(override) if override else None
    except ValueError:
        raise ValueError(f"APITWIN_WEBHOOK_BACKOFF must be a number of seconds, got {override!r}") from None
    return Webhooks(runtime, declaration, backoff)
