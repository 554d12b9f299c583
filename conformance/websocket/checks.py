"""The WebSocket checks, by name. `conformance.websocket.runner` sequences the probes that
perform them; each failure carries the transcript of the connection(s) involved."""

from __future__ import annotations

from conformance.registry import REGISTRY


def _declare(name: str, summary: str) -> None:
    REGISTRY.declare(name, "websocket", summary)


_declare("ws_handshake_auth", "each documented way of passing the token is accepted; no token and a bad token are refused (401)")
_declare("ws_welcome", "the message the contract sends on connect arrives")
_declare("ws_frame_schema", "every frame the server sends is valid against one of its documented messages")
_declare("ws_reply", "every client message with a documented reply gets it (Pong for Ping, acks, echoes), copied fields intact")
_declare("ws_invalid_message", "an invalid frame (not JSON, unknown type, broken payload) gets the error frame; the connection stays open")
_declare("ws_fanout", "a message fanned out to a topic reaches a second subscribed connection")
_declare("ws_direct_delivery", "a message addressed to a user reaches that user's other connection")
_declare("ws_feed", "each feed (a message the server sends on its own) sends a documented message after connecting or subscribing")
_declare("ws_rest_events", "a REST call that emits an event produces the documented WebSocket message")
_declare("ws_heartbeat", "protocol-level pings are answered")
_declare("ws_frame_limit", "a frame over x-apitwin-max-frame-size closes the connection with 1009")
_declare("ws_unsubscribe", "a connection that unsubscribed from a topic gets no more of its fan-out")
_declare("ws_broadcast_all", "a broadcast reaches every other subscriber of its topic (and not its sender where include_sender: false)")
_declare("ws_direct_only", "a direct message reaches its target user's connections and no other user's")
_declare("ws_event_record", "a REST-triggered event carries the record the call just wrote (its id and values)")
