"""The contract's operations, indexed once, with what the engine needs at hand.

Connexion routes a request to an operationId; everything the generic handler then needs —
parameters (path-level merged in), the effective security, the success response and its schema,
the resource binding, the ``x-apitwin-*`` declarations — is looked up here once at start-up, not
per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mock_server.state.resources import Resource, infer_resource
from mock_server.contracts.schemas import deref

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass
class Operation:
    operation_id: str
    method: str                          # lower case
    path: str                            # the template as written, without the base path
    spec: dict[str, Any]
    parameters: list[dict[str, Any]]     # path-level and operation-level, refs resolved
    security: list[dict[str, list[str]]]  # effective requirement list ([] = public)
    request_body: dict[str, Any] | None
    responses: dict[str, dict[str, Any]]  # status -> response object, refs resolved
    success_status: int
    resource: Resource | None
    tags: list[str] = field(default_factory=list)

    def extension(self, name: str, default: Any = None) -> Any:
        return self.spec.get(name, default)

    def response_key(self, status: int | str) -> str | None:
        """The ``responses`` key that documents `status`: the status itself, else its range
        (``4XX``, any case), else ``default``; None where nothing documents it."""
        return response_key(self.responses, status)

    def response(self, status: int | str) -> dict[str, Any]:
        """The response object documenting `status` ({} where none does)."""
        key = self.response_key(status)
        return self.responses.get(key) or {} if key is not None else {}

    def response_content(self, status: int | str) -> dict[str, Any]:
        """media type -> media type object of the response documenting `status`."""
        content = self.response(status).get("content")
        return content if isinstance(content, dict) else {}

    def response_media(self, status: int | str) -> tuple[str | None, dict[str, Any]]:
        """(content type, media type object) of a documented response; JSON preferred."""
        content = self.response_content(status)
        for media_type, media in content.items():
            if "json" in media_type:
                return media_type, media or {}
        for media_type, media in content.items():
            return media_type, media or {}
        return None, {}

    def documented_statuses(self) -> list[int]:
        """Every status the responses name: their own, the first of a range (``4XX`` -> 400),
        and 500 for ``default`` (what ``--chaos`` picks from)."""
        statuses = {int(s) for s in self.responses if s.isdigit()}
        statuses |= {int(s[0]) * 100 for s in self.responses if len(s) == 3 and s[0].isdigit() and s[1:].upper() == "XX"}
        if "default" in self.responses:
            statuses.add(500)
        return sorted(statuses)


def collect_operations(document: dict[str, Any]) -> dict[str, Operation]:
    operations: dict[str, Operation] = {}
    global_security = document.get("security") or []
    for path, item in (document.get("paths") or {}).items():
        item = deref(item, document)
        if not isinstance(item, dict):
            continue
        shared = [deref(p, document) for p in item.get("parameters") or []]
        for method in METHODS:
            spec = item.get(method)
            if not isinstance(spec, dict):
                continue
            operation_id = spec.get("operationId") or _fallback_id(method, path)
            own = [deref(p, document) for p in spec.get("parameters") or []]
            names = {(p.get("name"), p.get("in")) for p in own}
            parameters = [p for p in shared if (p.get("name"), p.get("in")) not in names] + own
            responses = {str(k): deref(v, document) for k, v in (spec.get("responses") or {}).items()}
            success_status = _success_status(responses, method)
            success_key = response_key(responses, success_status)
            success_schema = _json_schema(responses.get(success_key) if success_key else None, document)
            operations[operation_id] = Operation(
                operation_id=operation_id,
                method=method,
                path=path,
                spec=spec,
                parameters=parameters,
                security=spec["security"] if "security" in spec else global_security,
                request_body=deref(spec.get("requestBody"), document),
                responses=responses,
                success_status=success_status,
                resource=infer_resource(method, path, spec, success_schema),
                tags=list(spec.get("tags") or []),
            )
    return operations


def response_key(responses: dict[str, Any], status: int | str) -> str | None:
    """See `Operation.response_key`."""
    text = str(status)
    if text in responses:
        return text
    for key in responses:
        if len(key) == 3 and key[0] == text[:1] and key[1:].upper() == "XX":
            return key
    return "default" if "default" in responses else None


def _success_status(responses: dict[str, Any], method: str) -> int:
    """The status of a successful plain-HTTP answer: the first 2xx; for an operation that only
    switches protocols (101, e.g. a WebSocket handshake) a request without Upgrade gets 426; for
    one that documents only failures, the first of them (what the contract says it answers)."""
    documented = sorted(int(s) for s in responses if s.isdigit())
    for status in documented:
        if 200 <= status < 300:
            return status
    if 101 in documented and 426 in documented:
        return 426
    for status in documented:
        if 300 <= status < 400:
            return status
    ranges = sorted(key.upper() for key in responses if len(key) == 3 and key[0].isdigit() and key[1:].upper() == "XX")
    if "default" not in responses and not any(key in ("2XX", "3XX") for key in ranges) and (documented or ranges):
        # no success documented at all (only "401", say): the answer the contract does state
        return documented[0] if documented else int(ranges[0][0]) * 100
    return 201 if method == "post" else 200


def _json_schema(response: dict[str, Any] | None, document: dict[str, Any]) -> dict[str, Any] | None:
    """The success response's schema, JSON's first: what it says (a record, a list, text) decides
    the resource action, so a POST answering text is no create of a record."""
    if not isinstance(response, dict):
        return None
    content = response.get("content") or {}
    ordered = sorted(content.items(), key=lambda item: "json" not in str(item[0]))
    for _, media in ordered:
        if isinstance(media, dict) and "schema" in media:
            schema = deref(media["schema"], document)
            return schema if isinstance(schema, dict) else None
    return None


def _fallback_id(method: str, path: str) -> str:
    words = [w.strip("{}") for w in path.split("/") if w]
    return method + "".join(w[:1].upper() + w[1:] for w in words)
