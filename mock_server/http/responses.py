"""Response choice and shaping for one operation: which documented response answers, and a body
that fits its schema.

`Responder` turns what an action produced (a record, a list, facts) into a `Reply` shaped by the
documented response schema, answers a documented status (its own key, its range or ``default``)
with its example, one composed from its schema's examples, or generated data, and renders errors
in the status the operation documents for them (`error_status`) and in its documented body
(`error_bodies`). Headers a response documents as required are always set, and every reply is
finally written in the documented media type the client's ``Accept`` prefers (`negotiated`).
"""

from __future__ import annotations

import copy
from typing import Any

from mock_server.contracts.directions import RESPONSE, without_hidden
from mock_server.contracts.operations import Operation
from mock_server.contracts.schemas import deref
from mock_server.http.error_bodies import fitted
from mock_server.http.error_status import documented_error
from mock_server.http.errors import ErrorFormat, MockError
from mock_server.http.exchange import Reply
from mock_server.http.negotiation import choose, is_json
from mock_server.http.representations import render
from mock_server.http.scenario import NO_PREFERENCE, ExampleNotFound, Preference, example_of


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

    def documented(self, status: int, preference: Preference, headers: dict[str, str], accept: str | None = None) -> Reply:
        """The documented response for `status` (the status itself, its range or ``default``):
        its example, one composed from its schema's examples, or data generated from it. The
        media type `accept` prefers answers with its own example where it has one."""
        if self.operation.response_key(status) is None:
            raise MockError(400, f"Prefer asks for status {status}, which this operation does not document")
        media_type, media = self.operation.response_media(status)
        if media_type is None:
            return Reply(status, None, headers, None)
        content = self.operation.response_content(status)
        chosen = choose(accept, list(content)) if accept else None
        if chosen in content and chosen != media_type and not preference.dynamic:
            chosen_media = content[chosen] or {}
            try:
                found, value = example_of(chosen_media, self.document, preference.example)
            except ExampleNotFound:
                found = False
            if found:
                found = self._servable(value, chosen_media.get("schema"), chosen, preference)
            if not found and preference.example is None and chosen_media.get("schema") is not None:
                found, value = self.services.examples.composed(chosen_media["schema"], static=preference.dynamic is False)
                found = found and self.services.compiler.is_valid(chosen_media["schema"], value)
            if found:
                return Reply(status, self._answerable(copy.deepcopy(value), chosen_media.get("schema")), headers, chosen)
        schema = media.get("schema")
        try:
            found, value = example_of(media, self.document, preference.example)
        except ExampleNotFound:
            raise MockError(400, f"Prefer asks for example {preference.example!r}, which this response does not document") from None
        if found and not preference.dynamic:
            value = self._answerable(copy.deepcopy(value), schema)
            found = self._servable(value, schema, media_type, preference)
        if found and not preference.dynamic:
            pass
        elif status >= 400:
            value = self._error_body(MockError(status), schema, media, preference)
        else:
            value = self.generated(schema, preference)
        if status == 429:
            headers.setdefault("Retry-After", "60")
        return Reply(status, value, headers, media_type)

    def _servable(self, example: Any, schema: Any, media_type: str, preference: Preference) -> bool:
        """Whether a documented JSON example may be the answer: one its own schema refuses
        (vendor contracts ship such examples; `apitwin lint` names them) would break the
        contract, so data fitting the schema is answered instead, unless `Prefer: example=`
        asked for it. (An XML or CSV example is text its schema does not describe.)"""
        if preference.example is not None or schema is None or "json" not in media_type.lower():
            return True
        return self.services.compiler.is_valid(schema, example)

    def _answerable(self, value: Any, schema: Any) -> Any:
        """A documented example as an answer: without the ``writeOnly`` values an example of
        the whole resource may show (a ``password``), which no answer carries."""
        if schema is None or not self.services.compiler.directed or not isinstance(value, (dict, list)):
            return value
        return without_hidden(value, schema, RESPONSE, self.document)

    def generated(self, schema: Any, preference: Preference) -> Any:
        """A success body from `schema`: composed from its examples where it documents any (or
        always, statically, for ``dynamic=false``), else generated."""
        if schema is None:
            return None
        if not preference.dynamic:
            static = preference.dynamic is False
            found, value = self.services.examples.composed(schema, static=static)
            if (found or static) and self.services.compiler.is_valid(schema, value):
                return value
        return self.services.shaper.generate(schema)

    def error(self, error: MockError, headers: dict[str, str] | None = None) -> Reply:
        """An error in the API's envelope, fitted to the schema the operation documents for it."""
        error = documented_error(error, self.operation.responses, self.errors)
        status, _, extra = self.errors.render(error)
        merged = {**(headers or {}), **extra}
        # a 406 says no documented type is acceptable: it is answered in the envelope, as JSON
        media_type, media = self.operation.response_media(status) if status != 406 else (None, {})
        body = self._error_body(error, media.get("schema"), media, NO_PREFERENCE)
        return self.finished(Reply(status, body, merged, media_type or self.errors.media_type))

    def _error_body(self, error: MockError, schema: Any, media: dict[str, Any], preference: Preference) -> Any:
        """The API's envelope where it is valid against the documented `schema`; else the
        documented example (or the schema's smallest value) with the failure's facts in it."""
        _, body, _ = self.errors.render(error)
        compiler = self.services.compiler
        if schema is None or compiler.is_valid(schema, body):
            return body
        _, facts = self.errors.facts(error)
        found, base = (False, None) if preference.dynamic else example_of(media, self.document)
        if not found and not preference.dynamic and self.services.examples.documents_examples(schema):
            found, base = self.services.examples.composed(schema, static=True)
            found = found and compiler.is_valid(schema, base)
        if not found:
            base = self.services.examples.small(schema)
        candidate = fitted(copy.deepcopy(base), schema, facts, self.document, compiler.is_valid)
        if compiler.is_valid(schema, candidate):
            return candidate
        if compiler.is_valid(schema, base):
            return base
        return self.services.shaper.shape(body, schema)

    def finished(self, reply: Reply) -> Reply:
        """Headers a response documents as required are always there (the mock's own value,
        e.g. X-RateLimit-* with rate limits off, else the documented example)."""
        required = self._header_cache.get(reply.status)
        if required is None:
            required = {}
            response = self.operation.response(reply.status)
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

    def negotiated(self, reply: Reply, accept: str | None) -> Reply:
        """`reply` in the documented media type the client's ``Accept`` prefers (its body
        shaped by that media type's schema and written in it); unchanged where the response
        documents no content or the reply is not in one of its documented types."""
        if reply.body is None or reply.media_type is None or reply.status in (204, 304):
            return reply
        content = self.operation.response_content(reply.status)
        if reply.media_type not in content:
            return reply
        chosen = choose(accept, list(content)) or reply.media_type
        if chosen == reply.media_type and (is_json(chosen) or isinstance(reply.body, (str, bytes))):
            return reply
        media = content.get(chosen) or next((m for t, m in content.items() if "*" in t), None) or {}
        schema = media.get("schema") if isinstance(media, dict) else None
        value = reply.body
        if schema is not None and schema != (content.get(reply.media_type) or {}).get("schema"):
            text = render(value, "text/plain", None, self.document)
            if not isinstance(value, str) and self.services.compiler.is_valid(schema, text):
                value = text  # a text representation of structured data: the data as JSON text
            else:
                value = self.services.shaper.shape(value, schema)
        reply.body = render(value, chosen, schema, self.document)
        reply.media_type = chosen
        return reply
