"""Unit tests of the session guard: what it recognises in a contract, how it aims requests,
what it remembers, how it counts reach and when it declares the session lost."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from conformance.auth import AuthFailed, AuthSession, Credentials, login_encodings
from conformance.contract import Contract
from conformance.results import Report
from conformance.session.guard import SessionGuard, ending_kind
from conformance.session.identity import Principal, jwt_claims
from conformance.session.ownership import OwnRecords, Shape, absent_value, created_ids
from conformance.session.reach import reached
from conformance.settings import CheckSettings, SettingsError, from_sources

ROOT = Path(__file__).resolve().parents[2]


def bundled(name: str) -> Contract:
    return Contract.load(name, ROOT / "specs" / name / "openapi.yaml")


def token(**claims: object) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256'})}.{part(claims)}.sig"


DOC = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "security": [{"bearer": []}],
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "paths": {
        "/login": {"post": {"operationId": "login", "security": [], "x-apitwin-auth": "login", "responses": {"200": {"description": "ok"}}}},
        "/logout": {"post": {"operationId": "logout", "summary": "Log out", "responses": {"204": {"description": "ok"}}}},
        "/me/password": {"put": {"operationId": "changePassword", "responses": {"204": {"description": "ok"}}}},
        "/settings": {"put": {"operationId": "putSettings", "responses": {"200": {"description": "ok"}}}},
        "/users/{user_id}": {"delete": {"operationId": "deleteUser", "responses": {"204": {"description": "ok"}}}},
        "/users/{user_id}/password": {"put": {"operationId": "setPassword", "responses": {"204": {"description": "ok"}}}},
        "/things": {"post": {"operationId": "createThing", "responses": {"201": {"description": "ok"}}},
                    "get": {"operationId": "listThings", "responses": {"200": {"description": "ok"}}}},
        "/things/{thing_id}": {
            "parameters": [{"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^t_[0-9]+$"}}],
            "get": {"operationId": "getThing", "responses": {"200": {"description": "ok"}}},
            "delete": {"operationId": "deleteThing", "responses": {"204": {"description": "ok"}}},
            "patch": {"operationId": "patchThing", "responses": {"200": {"description": "ok"}}},
        },
        "/sessions/{sid}": {"delete": {"operationId": "endSession", "responses": {"204": {"description": "ok"}}}},
    },
}


def toy_contract() -> Contract:
    return Contract(name="toy", openapi_path=None, document=json.loads(json.dumps(DOC)))


class FakeSession(AuthSession):
    """A real AuthSession whose logins are scripted (no network)."""

    def __init__(self, contract: Contract, answers: list[str | None]) -> None:
        super().__init__(contract, "http://127.0.0.1:9", Credentials(username="ann", password="pw"))
        self.answers = answers
        self.logins = 0

    def _login(self):  # noqa: ANN202
        self.logins += 1
        answer = self.answers.pop(0) if self.answers else None
        if answer is None:
            raise AuthFailed("login refused (401)")
        return answer, {"access_token": answer, "user": {"id": "t_1", "username": "ann"}}


def case(method: str, path: str, **params: object) -> SimpleNamespace:
    return SimpleNamespace(method=method, operation=SimpleNamespace(method=method, path=path), path_parameters=dict(params), body=None)


# ---- recognising operations -------------------------------------------------------------
def test_session_ending_operations_are_recognised_from_the_contract() -> None:
    contract = toy_contract()
    ops = contract.operations
    assert ending_kind(ops["logout"]) == "logout"
    assert ending_kind(ops["endSession"]) == "logout"  # a DELETE of a session
    assert ending_kind(ops["changePassword"]) == "account"
    assert ending_kind(ops["login"]) is None and ending_kind(ops["getThing"]) is None
    enterprise = bundled("enterprise").operations
    assert ending_kind(enterprise["logout"]) == "logout"  # x-apitwin-auth: logout
    assert ending_kind(enterprise["refreshToken"]) is None


def test_shape_knows_creates_items_and_the_record_a_request_acts_on() -> None:
    enterprise = Shape.of(bundled("enterprise"))
    assert enterprise.creates["createRecord"] == enterprise.creates["batchCreateRecords"] == "/data/{collection}/{id}"
    ops = bundled("enterprise").operations
    assert enterprise.target_param(ops["deleteRecord"]) == "id"
    assert enterprise.target_param(ops["batchDeleteRecords"]) is None  # its ids are in the body
    accounts = Shape.of(bundled("accounts"))
    assert accounts.creates == {"register": "/api/v1/users/{user_id}"}  # through x-apitwin-resource


def test_operations_acting_on_the_account_or_on_unowned_singletons_are_not_run() -> None:
    contract = toy_contract()
    guard = SessionGuard(contract, FakeSession(contract, ["tok"]))
    assert "account" in guard.excluded(contract.operations["changePassword"])
    assert guard.excluded(contract.operations["setPassword"]) is None  # names an account: aimed at the run's own
    assert "--destructive" in guard.excluded(contract.operations["putSettings"])
    assert guard.excluded(contract.operations["patchThing"]) is None
    assert SessionGuard(contract, FakeSession(contract, []), destructive=True).excluded(contract.operations["putSettings"]) is None


# ---- aiming requests --------------------------------------------------------------------
def test_a_change_to_the_principal_or_to_unowned_data_is_aimed_at_nothing_or_own_data() -> None:
    contract = toy_contract()
    session = FakeSession(contract, [token(sub="ann")])
    session.current_token()
    guard = SessionGuard(contract, session)
    assert session.principal.is_principal("t_1") and session.principal.is_principal("ann")
    own = case("PATCH", "/things/{thing_id}", thing_id="t_1")  # the logged-in user's record
    guard.prepare(contract.operations["patchThing"], own)
    assert own.path_parameters["thing_id"] != "t_1" and own.path_parameters["thing_id"].startswith("t_")
    guard.records.add("/things/{thing_id}", {"thing_id": "t_77"})
    other = case("DELETE", "/things/{thing_id}", thing_id="t_5")
    guard.prepare(contract.operations["deleteThing"], other)
    assert other.path_parameters == {"thing_id": "t_77"}  # pointed at the run's own record
    mine = case("DELETE", "/things/{thing_id}", thing_id="t_77")
    guard.prepare(contract.operations["deleteThing"], mine)
    assert mine.path_parameters == {"thing_id": "t_77"}
    negative = case("DELETE", "/things/{thing_id}", thing_id=None)
    guard.prepare(contract.operations["deleteThing"], negative)
    assert negative.path_parameters == {"thing_id": None}  # cannot name a record: left as generated
    reads = case("GET", "/things/{thing_id}", thing_id="t_5")
    guard.prepare(contract.operations["getThing"], reads)
    assert reads.path_parameters == {"thing_id": "t_5"}


def test_destructive_touches_existing_data_but_never_the_principal() -> None:
    contract = toy_contract()
    session = FakeSession(contract, [token(sub="ann")])
    session.current_token()
    guard = SessionGuard(contract, session, destructive=True)
    other = case("DELETE", "/things/{thing_id}", thing_id="t_5")
    guard.prepare(contract.operations["deleteThing"], other)
    assert other.path_parameters == {"thing_id": "t_5"}
    own = case("DELETE", "/things/{thing_id}", thing_id="t_1")
    guard.prepare(contract.operations["deleteThing"], own)
    assert own.path_parameters["thing_id"] != "t_1"


def test_absent_values_keep_the_parameter_valid() -> None:
    assert absent_value({"type": "string", "pattern": "^t_[0-9]+$"}, "t_1", 3) == "t_990000003"
    assert absent_value({"type": "string", "pattern": "^rec_[a-z0-9]+$"}, "rec_abc123", 1) == "rec_abc990000001"
    assert absent_value({"type": "integer", "minimum": 1}, 1, 1) == 1_999_999_999
    assert absent_value({"type": "integer", "maximum": 500}, 1, 2) == 498
    assert absent_value({"type": "string", "format": "uuid"}, "x", 7).endswith("000000000007")


def test_created_records_are_found_in_bodies_batches_locations_and_tokens() -> None:
    assert created_ids({"id": "rec_1", "data": {}}, None) == ["rec_1"]
    assert created_ids({"created": 2, "records": [{"id": "a"}, {"id": "b"}]}, None) == ["a", "b"]
    assert created_ids(None, "https://x/things/t_9") == ["t_9"]
    assert created_ids({"access_token": token(sub="42")}, None) == ["42"]
    records = OwnRecords()
    records.add("/things/{thing_id}", {"thing_id": "t_2"})
    assert records.owns("/things/{id}", {"id": "t_2"})
    records.forget("/things/{thing_id}", {"thing_id": "t_2"})
    assert records.pick("/things/{thing_id}") is None and records.live() == []
    assert records.owns("/things/{thing_id}", {"thing_id": "t_2"})  # still the run's: deleting it again harms nobody


# ---- after a request --------------------------------------------------------------------
def observe(guard: SessionGuard, contract: Contract, op: str, status: int, sent: str | None, **params: object) -> None:
    operation = contract.operations[op]
    headers = {"Authorization": f"Bearer {sent}"} if sent else {}
    guard.observe(operation, case(operation.method.upper(), operation.path, **params), status, headers, None, None)


def test_a_401_to_the_valid_token_logs_in_again() -> None:
    contract = toy_contract()
    session = FakeSession(contract, ["first", "second"])
    guard = SessionGuard(contract, session)
    assert session.current_token() == "first"
    observe(guard, contract, "getThing", 200, "first", thing_id="t_3")
    observe(guard, contract, "getThing", 401, "first", thing_id="t_3")
    assert session.token == "second" and guard.relogins == 1 and guard.lost is None
    observe(guard, contract, "getThing", 401, "first", thing_id="t_3")  # a late answer to the old token
    assert session.logins == 2


def test_a_session_that_cannot_be_restored_is_lost_after_the_last_good_request() -> None:
    contract = toy_contract()
    session = FakeSession(contract, ["first", None])
    guard = SessionGuard(contract, session)
    session.current_token()
    observe(guard, contract, "patchThing", 200, "first", thing_id="t_3")
    observe(guard, contract, "getThing", 401, "first", thing_id="t_3")
    assert guard.lost is not None
    assert guard.lost.startswith("session lost after PATCH /things/{thing_id} (answered 200)")
    assert "login refused" in guard.lost


def test_logout_runs_on_a_login_of_its_own_until_that_one_is_used_up() -> None:
    contract = toy_contract()
    session = FakeSession(contract, ["main", "spare-1", "spare-2"])
    guard = SessionGuard(contract, session)
    session.current_token()
    logout = contract.operations["logout"]
    assert guard.credentials(logout) == {"Authorization": "Bearer spare-1"}
    assert guard.credentials(logout) == {"Authorization": "Bearer spare-1"}
    observe(guard, contract, "logout", 204, "spare-1")
    observe(guard, contract, "logout", 401, "spare-1")  # the used-up token sent again: not a reach failure
    assert guard.reach.tallies["POST /logout"].sent == 1
    assert guard.credentials(logout) == {"Authorization": "Bearer spare-2"}
    assert guard.credentials(contract.operations["getThing"]) == {"Authorization": "Bearer main"}
    observe(guard, contract, "logout", 204, "spare-2")
    assert guard.credentials(logout) == {}  # no third login: sent without credentials, never with the shared one
    assert session.token == "main" and guard.lost is None


def test_created_records_are_remembered_and_deletes_forget_them() -> None:
    contract = toy_contract()
    guard = SessionGuard(contract, FakeSession(contract, ["tok"]))
    guard.session.current_token()
    operation = contract.operations["createThing"]
    guard.observe(operation, case("POST", "/things"), 201, {"Authorization": "Bearer tok"}, {"id": "t_8"}, None)
    guard.observe(operation, case("POST", "/things"), 201, {"Authorization": "Bearer tok"}, {"id": "not-an-id"}, None)
    assert [record.as_dict() for record in guard.records.live()] == [{"thing_id": "t_8"}]
    observe(guard, contract, "deleteThing", 204, "tok", thing_id="t_8")
    assert guard.records.live() == []


# ---- reach ------------------------------------------------------------------------------
def test_reach_counts_what_got_past_the_doorway() -> None:
    assert reached(200, carried=True, protected=True) is True
    assert reached(404, carried=True, protected=True) is True
    assert reached(401, carried=True, protected=True) is False
    assert reached(403, carried=True, protected=True) is False
    assert reached(429, carried=True, protected=False) is False
    assert reached(401, carried=True, protected=False) is True  # a login's own "wrong password"
    assert reached(401, carried=False, protected=True) is None  # a deliberate probe without credentials
    contract = toy_contract()
    guard = SessionGuard(contract, FakeSession(contract, ["tok"]))
    guard.session.current_token()
    observe(guard, contract, "getThing", 200, "tok", thing_id="t_1")
    observe(guard, contract, "getThing", 401, "forged", thing_id="t_1")
    observe(guard, contract, "getThing", 429, "tok", thing_id="t_1")
    tally = guard.reach.tallies["GET /things/{thing_id}"]
    assert (tally.sent, tally.reached) == (2, 1)


def test_min_reach_fails_the_report_and_every_report_carries_reach() -> None:
    report = Report(api="toy", base_url="http://x")
    report.reach = {"GET /a": {"sent": 10, "reached": 8}, "GET /b": {"sent": 10, "reached": 0}}
    report.not_tested["GET /b"] = "all 10 request(s) were turned away"
    assert report.reach_share == 40.0 and report.conforms
    report.min_reach = 50
    assert report.below_min_reach and not report.conforms
    data = report.to_dict()
    assert data["reach_percent"] == 40.0 and data["not_tested"] == {"GET /b": "all 10 request(s) were turned away"}


# ---- identity and logging in ------------------------------------------------------------
def test_the_principal_is_read_from_the_login_answer_and_the_token() -> None:
    principal = Principal()
    principal.from_login({"access_token": "x", "id": "ses_1", "user": {"id": "usr_9", "email": "a@b.c"}}, token(sub="usr_9", preferred_username="ann"))
    assert principal.names == {"usr_9", "a@b.c", "ann"}  # not the session's own top-level id
    assert jwt_claims("not-a-jwt") == {}


def test_login_uses_the_encoding_the_document_shows() -> None:
    directory = bundled("directory")
    assert login_encodings(directory, directory.operations["issueToken"])[0][0] == "application/x-www-form-urlencoded"
    accounts = bundled("accounts")
    assert login_encodings(accounts, accounts.operations["login"])[0][0] == "application/x-www-form-urlencoded"
    enterprise = bundled("enterprise")
    assert [kind for kind, _ in login_encodings(enterprise, enterprise.operations["login"])] == ["application/json"]


def test_basic_and_header_credentials() -> None:
    settings = from_sources({"target": "x", "basic": "ann:secret", "headers": ["X-Tenant: a, b", "X-Api-Key: k"]}, None, environ={})
    settings.validate([])
    extra = settings.credentials.extra_headers()
    assert extra == {"Authorization": "Basic " + base64.b64encode(b"ann:secret").decode(), "X-Tenant": "a, b", "X-Api-Key": "k"}
    for bad in ({"basic": "nocolon"}, {"headers": ["no colon"]}, {"min_reach": 120.0}):
        with pytest.raises(SettingsError):
            CheckSettings(target="x", **bad).validate([])


def test_junit_carries_reach_and_lists_never_reached_operations_as_skipped(tmp_path: Path) -> None:
    from xml.etree import ElementTree

    from conformance.reports import write_junit
    from conformance.results import Tally

    report = Report(api="toy", base_url="http://x", auth="POST /login (login) as ann, application/json")
    report.tallies[("GET /a", "not_a_server_error")] = Tally(passed=3)
    report.tallies[("GET /b", "not_a_server_error")] = Tally(passed=2)
    report.reach = {"GET /a": {"sent": 3, "reached": 3}, "GET /b": {"sent": 2, "reached": 0}}
    report.not_tested = {"GET /b": "all 2 request(s) were turned away", "PUT /me": "it would change the account"}
    report.min_reach = 90
    path = tmp_path / "junit.xml"
    write_junit([report], path)
    suite = ElementTree.parse(path).getroot().find("testsuite")
    properties = {node.get("name"): node.get("value") for node in suite.iter("property")}
    assert properties["reach_percent"] == "60.0" and properties["reach:GET /b"] == "0/2"
    skipped = {case.get("classname") for case in suite.iter("testcase") if case.find("skipped") is not None}
    assert skipped == {"toy.GET /b", "toy.PUT /me"}  # never "passed"
    assert any(case.get("name") == "min-reach" and case.find("failure") is not None for case in suite.iter("testcase"))
    assert suite.get("skipped") == "2" and suite.get("tests") == str(len(suite.findall("testcase")))


def test_a_me_operation_names_the_principal_too() -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Me(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = json.dumps({"id": "t_42", "username": "ann"}).encode() if self.path == "/me" else b"{}"
            self.send_response(200 if self.path == "/me" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Me)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        document = json.loads(json.dumps(DOC))
        document["paths"]["/me"] = {"get": {"operationId": "whoAmI", "responses": {"200": {"description": "ok"}}}}
        contract = Contract(name="toy", openapi_path=None, document=document)
        session = FakeSession(contract, ["tok"])
        session.base_url = f"http://127.0.0.1:{server.server_port}"
        guard = SessionGuard(contract, session, destructive=True)  # only the principal rule applies
        request = case("PATCH", "/things/{thing_id}", thing_id="t_42")
        guard.prepare(contract.operations["patchThing"], request)
    finally:
        server.shutdown()
    assert session.principal.is_principal("t_42") and "GET /me" in session.principal.describe()
    assert request.path_parameters["thing_id"] != "t_42"
