"""Response choice and shaping for one operation: which documented response answers, and a body
that fits its schema.

`Responder` turns what an action produced (a record, a list, facts) into a `Reply` shaped by the
documented response schema, answers a documented status with its example or generated data, and
renders errors in the API's envelope. Headers a response documents as required are always set.
"""

from __future__ import annotations

import copy
from typing import Any

from mock_server.contracts.operations import Operation
from mock_server.contracts.schemas import deref
from mock_server.http.errors import ErrorFormat, MockError
from mock_server.http.exchange import Reply
from mock_server.http.scenario import ExampleNotFound, Preference, example_of


class Responder:
    def __init__(self, operation: Operation, services: Any, errors: ErrorFormat) -> None:
        self.operation = operation
        self.services = services
        self.document = services.document
        self.errors = errors
        self._header_cache: dict[int, dict[str, str]] = {}

    def schema_of(self, status: int) -> Any:
        return self.operation.response_media(status)[1].get("schema")

    def shaped(self, status: int, value: Any, headers: dict[str, str]) -> Reply:
        """`value` as the documented response of `status` (no body where none is documented)."""
        media_type, media = self.operation.response_media(status)
        if media_type is None:
            return Reply(status, None, headers, None)
        schema = media.get("schema")
        body = self.services.shaper.shape(value, schema) if schema is not None else value
        return Reply(status, body, headers, media_type)

    def documented(self, status: int, preference: Preference, headers: dict[str, str]) -> Reply:
        """The documented response for `status`: its example, or data generated from its schema."""
        if str(status) not in self.operation.responses:
            raise MockError(400, f"Prefer asks for status {status}, which this operation does not document")
        media_type, media = self.operation.response_media(status)
        if media_type is None:
            return Reply(status, None, headers, None)
        schema = media.get("schema")
        try:
            found, value = example_of(media, self.document, preference.example)
        except ExampleNotFound:
            raise MockError(400, f"Prefer asks for example {preference.example!r}, which this response does not document") from None
        if preference.dynamic or not found:
            if status >= 400:
                _, value, _ = self.errors.render(MockError(status))
                value = self.services.shaper.shape(value, schema) if schema is not None else value
            else:
                value = self.services.shaper.generate(schema) if schema is not None else None
        else:
            value = copy.deepcopy(value)
        if status == 429:
            headers.setdefault("Retry-After", "60")
        return Reply(status, value, headers, media_type)

    def error(self, error: MockError, headers: dict[str, str] | None = None) -> Reply:
        """An error in the API's envelope, fitted to the schema the operation documents for it."""
        error = self._documented_error(error)
        status, body, extra = self.errors.render(error)
        merged = {**(headers or {}), **extra}
        media_type, media = self.operation.response_media(status)
        schema = media.get("schema")
        if schema is not None and not self.services.compiler.is_valid(schema, body):
            body = self.services.shaper.shape(body, schema)
        return self.finished(Reply(status, body, merged, media_type or self.errors.media_type))

    def _documented_error(self, error: MockError) -> MockError:
        """A path parameter that breaks the contract names nothing that exists: where the
        operation documents 404 and not its validation status, that is the answer."""
        if not error.validation or not error.errors:
            return error
        status = str(self.errors.validation_status)
        if status not in self.operation.responses and "404" in self.operation.responses:
            if all((e.get("loc") or [""])[0] == "path" for e in error.errors):
                return MockError(404)
        return error

    def finished(self, reply: Reply) -> Reply:
        """Headers a response documents as required are always there (the mock's own value,
        e.g. X-RateLimit-* with rate limits off, else the documented example)."""
        required = self._header_cache.get(reply.status)
        if required is None:
            required = {}
            response = self.operation.responses.get(str(reply.status)) or {}
            for name, header in (response.get("headers") or {}).items():
                header = deref(header, self.document)
                if isinstance(header, dict) and header.get("required"):
                    schema = deref(header.get("schema") or {}, self.document)
                    if "example" in header:
                        value = header["example"]
                    elif "example" in schema or schema.get("examples"):
                        value = schema.get("example", (schema.get("examples") or [None])[0])
                    else:
                        value = self.services.shaper.generate(schema, name)
                    required[name] = str(value).lower() if isinstance(value, bool) else str(value)
            self._header_cache[reply.status] = required
        present = {name.lower() for name in reply.headers}
        for name, value in required.items():
            if name.lower() not in present:
                reply.headers[name] = value
        return reply
