"""Error frames in the API's own shape, declared on the channel::

    x-apitwin-error-message: Error                    # the message error frames follow
    x-apitwin-error-frame:
      body: {type: Error, data: {code: '{status}', message: '{message}'}}
      codes: {invalid-json: INVALID_REQUEST, unknown-type: VALIDATION_ERROR, 400: validation_error}

Placeholders as in ``x-apitwin.errors`` (``{status}``, ``{code}``, ``{message}``, ``{details}``).
A code is looked up by the error's kind (``invalid-json``, ``unknown-type``, ``invalid-data``,
``binary``), then by its status; an effect's own code (``not_connected: {code: 404}``) is a status
when it is a number and a code when it is text.
"""

from __future__ import annotations

from typing import Any

from mock_server.http.errors import DEFAULT_CODES, fill
from mock_server.websocket.contract import Channel
from mock_server.websocket.frames import Context, FrameBuilder

MESSAGES = {
    "invalid-json": "Invalid message format",
    "unknown-type": "Unknown message type",
    "invalid-data": "Invalid message data",
    "binary": "Binary frames are not accepted",
}


class ErrorFrames:
    def __init__(self, channel: Channel, builder: FrameBuilder) -> None:
        self.message = channel.error_message
        declaration = channel.declarations.get("error-frame") or {}
        self.body = declaration.get("body")
        self.codes = {str(k): v for k, v in (declaration.get("codes") or {}).items()}
        self.builder = builder

    def render(self, kind: str, message: str | None = None, *, status: int = 400, code: Any = None, details: Any = None) -> Any:
        """The error frame, or None where the channel documents no error message or frame."""
        if isinstance(code, int):
            status, code = code, None
        code = code or self.codes.get(kind) or self.codes.get(str(status)) or DEFAULT_CODES.get(status, "ERROR")
        values = {"status": status, "code": code, "message": message or MESSAGES.get(kind, "Error"), "details": details}
        if self.body is not None:
            return fill(self.body, values)
        if self.message is not None:
            return self.builder.build(self.message, {}, Context())
        return None  # nothing documented: no frame would be valid
