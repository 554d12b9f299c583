"""`x-apitwin-assumed` at every level of a contract: a finding measured against a marked part
(a schema keyword, a parameter, a response, a header, a channel declaration, a message, an
operation) is a warning; the same finding against an unmarked part is a failure."""

from __future__ import annotations

from types import SimpleNamespace

import jsonschema
import pytest

from conformance.assumptions import assumption, frame_keywords, note, ws_assumption
from conformance.contract import Contract
from conformance.results import Report
from conformance.websocket.asyncapi import AsyncContract
from conformance.websocket.exchange import check_server_frame
from conformance.websocket.runner import assumed, replies_assumed

WHY = "the document is silent"


def http_contract() -> Contract:
    return Contract(name="t", openapi_path=None, document={
        "openapi": "3.1.0",
        "paths": {
            "/users": {
                "get": {
                    "parameters": [
                        {"name": "limit", "in": "query",
                         "schema": {"type": "integer", "minimum": 1, "maximum": 50, "x-apitwin-assumed": {"minimum": WHY}}},
                        {"name": "skip", "in": "query", "x-apitwin-assumed": WHY, "schema": {"type": "integer", "minimum": 0}},
                    ],
                    "responses": {
                        "200": {"description": "ok", "headers": {
                            "Retry-After": {"required": True, "x-apitwin-assumed": WHY, "schema": {"type": "integer"}},
                            "X-Total": {"required": True, "schema": {"type": "integer"}}}},
                        "404": {"description": "missing", "x-apitwin-assumed": WHY},
                    },
                },
                "post": {
                    "x-apitwin-assumed": {"200": WHY},
                    "requestBody": {"content": {"application/json": {"schema": {
                        "type": "object",
                        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 9, "x-apitwin-assumed": {"minLength": WHY}}}}}}},
                    "responses": {"200": {"description": "created"}, "401": {"description": "wrong password", "x-apitwin-assumed": WHY},
                                  "400": {"description": "bad"}},
                },
                "delete": {"responses": {"204": {"description": "gone"}, "400": {"description": "bad"}}},
            }
        },
    })


def test_a_note_is_a_string_for_the_whole_node_or_a_map_of_its_parts() -> None:
    assert note({"x-apitwin-assumed": WHY}) == WHY and note({"x-apitwin-assumed": WHY}, "maximum") == WHY
    assert note({"x-apitwin-assumed": {"maximum": WHY}}, "maximum") == WHY
    assert note({"x-apitwin-assumed": {"max-frame-size": WHY}}, "x-apitwin-max-frame-size") == WHY
    assert note({"x-apitwin-assumed": {"maximum": WHY}}, "minimum") == "" and note({"x-apitwin-assumed": {"maximum": WHY}}) == ""
    assert note({}, "maximum") == "" and note(None) == ""


def schema_failure(schema: dict, keyword: str) -> SimpleNamespace:
    return SimpleNamespace(schema_path=["properties", "x", keyword], schema=schema)


def test_a_response_failing_only_an_assumed_keyword_warns() -> None:
    contract = http_contract()
    marked = {"type": "integer", "minimum": 1, "x-apitwin-assumed": {"minimum": WHY}}
    assert assumption(contract, "response_schema_conformance", "GET /users", schema_failure(marked, "minimum"), status=200) == WHY
    assert assumption(contract, "response_schema_conformance", "GET /users", schema_failure(marked, "type"), status=200) == ""


def test_a_finding_on_a_response_marked_assumed_warns() -> None:
    contract = http_contract()
    assert assumption(contract, "response_schema_conformance", "GET /users", SimpleNamespace(), status=404) == WHY
    assert assumption(contract, "content_type_conformance", "GET /users", SimpleNamespace(), status=404) == WHY
    assert assumption(contract, "response_schema_conformance", "POST /users", SimpleNamespace(), status=200) == WHY  # by status
    assert assumption(contract, "response_schema_conformance", "GET /users", SimpleNamespace(), status=200) == ""


def test_a_missing_header_warns_only_when_every_missing_one_is_assumed() -> None:
    contract = http_contract()
    check = "response_headers_conformance"
    assert assumption(contract, check, "GET /users", SimpleNamespace(missing_headers=["Retry-After"]), status=200) == WHY
    assert assumption(contract, check, "GET /users", SimpleNamespace(missing_headers=["Retry-After", "X-Total"]), status=200) == ""


def test_an_unlisted_status_warns_where_every_listed_answer_of_its_class_is_assumed() -> None:
    contract = http_contract()
    created = SimpleNamespace(status_code=201, defined_status_codes=["200", "400", "401"])
    assert assumption(contract, "status_code_conformance", "POST /users", created) == WHY  # its only 2xx is assumed
    gone = SimpleNamespace(status_code=200, defined_status_codes=["204", "400"])
    assert assumption(contract, "status_code_conformance", "DELETE /users", gone) == ""


def case(query: dict | None = None, body: object = None, parameter: tuple[str, str] | None = None) -> SimpleNamespace:
    data = SimpleNamespace(parameter_location=parameter[0], parameter=parameter[1]) if parameter else None
    return SimpleNamespace(query=query or {}, path_parameters={}, headers={}, cookies={}, body=body, media_type="application/json",
                           meta=SimpleNamespace(phase=SimpleNamespace(data=data)))


def test_invalid_data_accepted_warns_only_where_every_broken_constraint_is_assumed() -> None:
    contract = http_contract()
    check = "negative_data_rejection"
    assert assumption(contract, check, "GET /users", SimpleNamespace(), case=case({"limit": "0"}, parameter=("query", "limit"))) == WHY
    assert assumption(contract, check, "GET /users", SimpleNamespace(), case=case({"limit": "51"}, parameter=("query", "limit"))) == ""
    assert assumption(contract, check, "GET /users", SimpleNamespace(), case=case({"skip": "-1"}, parameter=("query", "skip"))) == WHY
    assert assumption(contract, check, "GET /users", SimpleNamespace(), case=case({"limit": "0"})) == WHY  # found without the meta
    assert assumption(contract, check, "POST /users", SimpleNamespace(), case=case(body={"name": ""})) == WHY
    assert assumption(contract, check, "POST /users", SimpleNamespace(), case=case(body={"name": "x" * 10})) == ""
    assert assumption(contract, check, "POST /users", SimpleNamespace(), case=case(body={"name": 5})) == ""


def test_valid_data_refused_warns_where_the_part_sent_or_the_refusal_is_assumed() -> None:
    contract = http_contract()
    check = "positive_data_acceptance"
    assert assumption(contract, check, "GET /users", SimpleNamespace(status_code=400), case=case({"limit": "5"})) == WHY
    # a wrong password answered 400 where the contract's 401 for it is only assumed
    assert assumption(contract, check, "POST /users", SimpleNamespace(status_code=400), case=case(body={"name": "a"})) == WHY
    assert assumption(contract, check, "DELETE /users", SimpleNamespace(status_code=400), case=case()) == ""


def test_an_operation_map_marks_parts_not_the_whole_operation() -> None:
    contract = http_contract()
    assert assumption(contract, "not_a_server_error", "POST /users", SimpleNamespace(status_code=500)) == ""


# ---- WebSocket -------------------------------------------------------------------------------

ASYNC = {
    "asyncapi": "3.0.0",
    "channels": {
        "socket": {
            "address": "/ws",
            "messages": {"chat": {"$ref": "#/components/messages/Chat"}, "echo": {"$ref": "#/components/messages/Echo"},
                         "error": {"$ref": "#/components/messages/Error"}, "news": {"$ref": "#/components/messages/News"}},
            "x-apitwin-max-frame-size": 1024,
            "x-apitwin-error-message": "error",
            "x-apitwin-assumed": {"max-frame-size": WHY, "error-message": WHY},
        },
        "plain": {"address": "/plain", "messages": {"chat": {"$ref": "#/components/messages/Chat"}}, "x-apitwin-max-frame-size": 1024},
    },
    "operations": {
        "sendChat": {"action": "receive", "channel": {"$ref": "#/channels/socket"},
                     "messages": [{"$ref": "#/channels/socket/messages/chat"}],
                     "reply": {"messages": [{"$ref": "#/channels/socket/messages/echo"}]}},
        "pushNews": {"action": "send", "channel": {"$ref": "#/channels/socket"}, "x-apitwin-assumed": WHY,
                     "messages": [{"$ref": "#/channels/socket/messages/news"}], "x-apitwin-events": ["user.created"]},
    },
    "components": {"messages": {
        "Chat": {"name": "chat", "payload": {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}},
        "Echo": {"name": "echo", "payload": {"type": "object", "required": ["message"], "additionalProperties": False,
                                             "x-apitwin-assumed": {"additionalProperties": WHY},
                                             "properties": {"message": {"type": "string"}}}},
        "Error": {"name": "error", "x-apitwin-assumed": WHY, "payload": {"type": "object", "required": ["detail"]}},
        "News": {"name": "news", "payload": {"type": "object", "required": ["data"]}},
    }},
}


@pytest.fixture(scope="module")
def socket_contract() -> AsyncContract:
    return AsyncContract(ASYNC)


def test_channel_declarations_marked_in_its_map(socket_contract: AsyncContract) -> None:
    socket, plain = socket_contract.channels["socket"], socket_contract.channels["plain"]
    assert assumed(socket, ["max-frame-size"]) == WHY and assumed(plain, ["max-frame-size"]) == ""
    assert assumed(socket, ["heartbeat"]) == ""  # unmarked declarations stay documented
    assert ws_assumption({"x-apitwin-assumed": WHY}, []) == WHY  # a string: the whole channel


def test_messages_and_operations_marked_assumed(socket_contract: AsyncContract) -> None:
    socket = socket_contract.channels["socket"]
    operations = {op.id: op for op in socket_contract.operations}
    error = socket_contract.error_message(socket)
    assert error is not None and error.assumed == WHY
    assert assumed(socket, [], [], [socket.messages["news"]]) == ""
    assert assumed(socket, [], [operations["pushNews"]], operations["pushNews"].messages) == WHY
    assert replies_assumed(socket, operations["sendChat"]) == ""  # chat and its echo are documented


def test_a_frame_breaking_only_an_assumed_keyword_warns(socket_contract: AsyncContract) -> None:
    echo = socket_contract.channels["socket"].messages["echo"]
    validator = socket_contract.validator(echo.payload)
    assert frame_keywords(validator.iter_errors({"message": "hi", "extra": 1})) == WHY
    assert frame_keywords(validator.iter_errors({"message": 5})) == ""
    assert frame_keywords(validator.iter_errors({"message": 5, "extra": 1})) == ""  # not only on the assumption


def frame_run(contract: AsyncContract) -> SimpleNamespace:
    report = Report(api="t", base_url="ws://x")

    def finding(check: str, operation: str, violated: object, transcript: str, assumption: str = "") -> None:
        from conformance.results import Finding

        report.add_finding(Finding(check, operation, "websocket", "websocket", violated.title, assumption=assumption))  # type: ignore[attr-defined]

    return SimpleNamespace(enabled={"ws_frame_schema"}, contract=contract, report=report, frame_failures=set(), finding=finding)


def test_frames_answering_an_assumed_probe_are_held_to_the_contract_only_as_an_assumption(socket_contract: AsyncContract) -> None:
    channel = socket_contract.channels["socket"]
    frame = {"client_id": "u", "message": None, "type": "echo"}  # an echo of a chat without `message`
    documented = frame_run(socket_contract)
    check_server_frame(documented, channel, SimpleNamespace(assumed="", text=lambda: ""), frame)  # type: ignore[arg-type]
    assert [f.check for f in documented.report.failures] == ["ws_frame_schema"]
    probing = frame_run(socket_contract)
    check_server_frame(probing, channel, SimpleNamespace(assumed=WHY, text=lambda: ""), frame)  # type: ignore[arg-type]
    assert probing.report.failures == [] and probing.report.warnings[0].assumption == WHY


def test_jsonschema_errors_name_the_schema_holding_the_keyword() -> None:
    """What `frame_keywords` and negative data rely on: the error's schema is the marked object."""
    schema = {"type": "object", "properties": {"n": {"type": "integer", "maximum": 3, "x-apitwin-assumed": {"maximum": WHY}}}}
    (error,) = jsonschema.Draft202012Validator(schema).iter_errors({"n": 4})
    assert error.validator == "maximum" and note(error.schema, "maximum") == WHY


def test_a_body_is_held_to_every_keyword_it_breaks_not_only_the_first_one_named() -> None:
    contract = Contract(name="t", openapi_path=None, document={"openapi": "3.1.0", "paths": {"/u": {"get": {"responses": {"200": {
        "description": "ok", "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False, "x-apitwin-assumed": {"additionalProperties": WHY},
            "properties": {"id": {"type": "integer"}}}}}}}}}}})
    named = schema_failure({"additionalProperties": False, "x-apitwin-assumed": {"additionalProperties": WHY}}, "additionalProperties")
    check = "response_schema_conformance"
    assert assumption(contract, check, "GET /u", named, status=200, body={"id": 1, "extra": 2}) == WHY
    assert assumption(contract, check, "GET /u", named, status=200, body={"id": "1", "extra": 2}) == ""  # and a wrong type


def test_an_assumed_error_envelope_and_assumed_rate_limit_headers_warn() -> None:
    document = {"openapi": "3.1.0", "paths": {"/a": {"get": {"responses": {
        "200": {"description": "ok", "headers": {"X-RateLimit-Limit": {"x-apitwin-assumed": WHY, "schema": {"type": "integer"}}}},
        "400": {"description": "bad", "headers": {"X-RateLimit-Limit": {"schema": {"type": "integer"}}}}}}}},
        "components": {"schemas": {"Error": {"type": "object", "x-apitwin-assumed": WHY}}}}
    contract = Contract(name="t", openapi_path=None, document=document)
    assert assumption(contract, "rate_limit_headers", "GET /a", SimpleNamespace(), status=200) == WHY
    assert assumption(contract, "rate_limit_headers", "GET /a", SimpleNamespace(), status=400) == ""
    assert assumption(contract, "error_envelope", "GET /a", SimpleNamespace(), status=400) == WHY
    documented = Contract(name="t", openapi_path=None, document={**document, "components": {"schemas": {"Error": {"type": "object"}}}})
    assert assumption(documented, "error_envelope", "GET /a", SimpleNamespace(), status=400) == ""
