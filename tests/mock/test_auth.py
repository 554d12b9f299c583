"""Authenticator: the auth flows the contracts declare, in-process with an injected clock."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mock_server.auth import AuthError, Authenticator
from mock_server.state.store import Store

SPECS = Path(__file__).resolve().parents[2] / "specs"
_DOCUMENTS: dict[str, dict] = {}


def document(api: str) -> dict:
    if api not in _DOCUMENTS:
        with open(SPECS / api / "openapi.yaml", encoding="utf-8") as handle:
            _DOCUMENTS[api] = yaml.safe_load(handle)
    return _DOCUMENTS[api]


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class Mock:
    """One API's authenticator over a fresh store, with helpers to run its operations."""

    def __init__(self, api: str):
        self.document = document(api)
        self.clock = Clock()
        self.store = Store(clock=self.clock)
        self.auth = Authenticator(self.document, self.store, seed=0, clock=self.clock)
        self.operations = {op["operationId"]: op for item in self.document["paths"].values()
                           for op in item.values() if isinstance(op, dict) and "operationId" in op}

    def run(self, operation_id: str, body: dict | None = None, principal=None, **path) -> tuple[int, Any]:
        operation = self.operations[operation_id]
        status, reply, _ = self.auth.perform(operation["x-apitwin-auth"], operation, body or {}, principal, path)
        if reply is not None:
            check_response(self.document, operation, status, reply)
        return status, reply

    def security(self, operation_id: str) -> list[dict]:
        operation = self.operations[operation_id]
        return operation.get("security", self.document.get("security") or [])

    def bearer(self, operation_id: str, token: str):
        return self.auth.authenticate({"Authorization": f"Bearer {token}"}, {}, self.security(operation_id))

    def failure(self, call, *args, **kwargs) -> AuthError:
        with pytest.raises(AuthError) as caught:
            call(*args, **kwargs)
        return caught.value


def check_response(root: dict, operation: dict, status: int, body: Any) -> None:
    """The flow's answer is valid against the operation's documented response schema."""
    response = operation["responses"][str(status)]
    schema = response["content"]["application/json"]["schema"]
    anchored = {**root, "x-under-test": schema}
    registry = Registry().with_resource("urn:t", Resource.from_contents(anchored, default_specification=DRAFT202012))
    validator = Draft202012Validator({"$ref": "urn:t#/x-under-test"}, registry=registry, format_checker=FormatChecker())
    errors = [e.message for e in validator.iter_errors(body)]
    assert not errors, (operation["operationId"], body, errors)


def demo_user(api: str, **match) -> dict:
    users = document(api)["x-apitwin"]["auth"]["users"]
    return next(u for u in users if all(u.get(k) == v for k, v in match.items()))


# ---------------------------------------------------------------- the documents' credentials

@pytest.mark.parametrize("api, operation, body, protected", [
    ("enterprise", "login", {"username": "john.doe", "password": "SecurePassword123!", "remember_me": True,
                             "device_id": "mobile-ios-abc123"}, "listRecords"),
    ("messaging", "login", {"email": "user@example.com", "password": "secure_password"}, "listMessages"),
    ("accounts", "login", {"username": "user", "password": "password"}, "listUsers"),
    ("realtime", "createSession", {"username": "user@example.com", "password": "secure_password"}, "deleteSession"),
])
def test_the_documents_demo_credentials_log_in(api, operation, body, protected):
    mock = Mock(api)
    status, reply = mock.run(operation, body)
    assert status == 200
    principal = mock.bearer(protected, reply["access_token"])
    assert principal.user_id == str(demo_user(api, password=body["password"])["id"])
    assert principal.kind == "user"


def test_demo_users_are_seeded_as_public_records_without_secrets():
    mock = Mock("accounts")
    stored = mock.store.get("users", 1)
    assert stored["username"] == "user" and stored["email"] == "user@example.com"
    assert "password" not in stored and "mfa_code" not in stored
    mock.store.reset({})
    mock.auth.reset()  # what POST /__mock/reset does after restoring the fixtures
    assert mock.run("login", {"username": "user", "password": "password"})[0] == 200


def test_wrong_password_is_refused_with_the_declared_code():
    mock = Mock("enterprise")
    error = mock.failure(mock.run, "login", {"username": "john.doe", "password": "WrongPassword000!"})
    assert (error.status, error.code) == (401, "INVALID_CREDENTIALS")
    # an API that declares no code for the failure leaves it to its envelope's code for 401
    messaging = Mock("messaging")
    error = messaging.failure(messaging.run, "login", {"email": "user@example.com", "password": "nope"})
    assert (error.status, error.code, error.failure) == (401, None, "invalid_credentials")


# ---------------------------------------------------------------- tokens

def test_tokens_expire_after_the_documented_lifetime():
    mock = Mock("enterprise")
    _, reply = mock.run("login", {"username": "john.doe", "password": "SecurePassword123!"})
    assert reply["expires_in"] == 900
    mock.clock.now += 899
    assert mock.bearer("listRecords", reply["access_token"]).user_id == "usr_abc123"
    mock.clock.now += 2
    error = mock.failure(mock.bearer, "listRecords", reply["access_token"])
    assert error.status == 401 and error.details == {"token_expired": True}


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer",
                                    "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"])
def test_malformed_or_forged_tokens_are_refused(header):
    mock = Mock("messaging")
    error = mock.failure(mock.auth.authenticate, {"Authorization": header}, {}, mock.security("listMessages"))
    assert error.status == 401 and error.failure == "invalid_token"


def test_missing_credentials_on_a_protected_operation_is_401_and_public_operations_pass():
    mock = Mock("enterprise")
    error = mock.failure(mock.auth.authenticate, {}, {}, mock.security("listRecords"))
    assert (error.status, error.code) == (401, "UNAUTHORIZED")
    assert mock.auth.authenticate({}, {}, mock.security("login")) is None
    assert mock.auth.authenticate({}, {}, [{}]) is None


def test_refresh_tokens_rotate_where_the_contract_says_so():
    mock = Mock("enterprise")
    _, first = mock.run("login", {"username": "john.doe", "password": "SecurePassword123!"})
    status, second = mock.run("refreshToken", {"refresh_token": first["refresh_token"]})
    assert status == 200 and second["refresh_token"] != first["refresh_token"]
    assert mock.bearer("listRecords", second["access_token"]).user_id == "usr_abc123"
    error = mock.failure(mock.run, "refreshToken", {"refresh_token": first["refresh_token"]})
    assert (error.status, error.code) == (401, "UNAUTHORIZED")
    assert mock.run("refreshToken", {"refresh_token": second["refresh_token"]})[0] == 200


def test_refresh_without_rotation_keeps_the_refresh_token_usable():
    mock = Mock("realtime")
    _, session = mock.run("createSession", {"username": "user@example.com", "password": "secure_password"})
    for _ in range(2):
        status, reply = mock.run("refreshSession", {"refresh_token": session["refresh_token"]})
        assert status == 200 and set(reply) == {"access_token", "expires_in", "token_type"}


def test_an_access_token_is_not_a_refresh_token_and_vice_versa():
    mock = Mock("messaging")
    _, pair = mock.run("login", {"email": "user@example.com", "password": "secure_password"})
    assert mock.failure(mock.run, "refreshToken", {"refresh_token": pair["access_token"]}).status == 401
    assert mock.failure(mock.bearer, "listMessages", pair["refresh_token"]).status == 401


def test_refresh_tokens_expire_and_remember_me_extends_them():
    mock = Mock("enterprise")
    _, short = mock.run("login", {"username": "john.doe", "password": "SecurePassword123!"})
    _, long = mock.run("login", {"username": "john.doe", "password": "SecurePassword123!", "remember_me": True})
    mock.clock.now += 8 * 86400
    assert mock.failure(mock.run, "refreshToken", {"refresh_token": short["refresh_token"]}).status == 401
    assert mock.run("refreshToken", {"refresh_token": long["refresh_token"]})[0] == 200


def test_logout_revokes_the_access_token():
    mock = Mock("enterprise")
    _, reply = mock.run("login", {"username": "john.doe", "password": "SecurePassword123!"})
    principal = mock.bearer("logout", reply["access_token"])
    assert mock.run("logout", {}, principal) == (204, None)
    error = mock.failure(mock.bearer, "listRecords", reply["access_token"])
    assert error.status == 401 and error.failure == "token_revoked"


# ---------------------------------------------------------------- sessions

def test_deleting_a_session_ends_its_tokens():
    mock = Mock("realtime")
    _, mine = mock.run("createSession", {"username": "user@example.com", "password": "secure_password"})
    _, theirs = mock.run("createSession", {"username": "friend@example.com", "password": "secure_password"})
    me = mock.bearer("deleteSession", mine["access_token"])
    other = mock.bearer("deleteSession", theirs["access_token"])
    assert mine["session_id"].startswith("sess_") and me.session_id == mine["session_id"]
    assert mock.failure(mock.run, "deleteSession", None, other, session_id=mine["session_id"]).status == 403
    assert mock.run("deleteSession", None, me, session_id=mine["session_id"]) == (204, None)
    assert mock.failure(mock.bearer, "deleteSession", mine["access_token"]).failure == "token_revoked"
    assert mock.failure(mock.run, "refreshSession", {"refresh_token": mine["refresh_token"]}).status == 401
    assert mock.failure(mock.run, "deleteSession", None, other, session_id="sess_unknown").status == 404
    assert mock.bearer("deleteSession", theirs["access_token"]).user_id == "user_456"


def test_roles_gate_operations():
    mock = Mock("realtime")
    _, guest = mock.run("createSession", {"username": "guest@example.com", "password": "secure_password"})
    principal = mock.bearer("deleteSession", guest["access_token"])
    roles = mock.operations["connectWebSocket"]["x-apitwin-roles"]
    error = mock.failure(mock.auth.require_roles, principal, roles)
    assert (error.status, error.code) == (403, None)
    _, user = mock.run("createSession", {"username": "user@example.com", "password": "secure_password"})
    mock.auth.require_roles(mock.bearer("deleteSession", user["access_token"]), roles)


# ---------------------------------------------------------------- lockout and MFA

def test_repeated_failures_lock_the_account_for_the_declared_window():
    mock = Mock("enterprise")
    lockout = mock.document["x-apitwin"]["auth"]["lockout"]
    wrong = {"username": "john.doe", "password": "WrongPassword000!"}
    right = {"username": "john.doe", "password": "SecurePassword123!"}
    for _ in range(lockout["attempts"]):
        assert mock.failure(mock.run, "login", wrong).code == "INVALID_CREDENTIALS"
    error = mock.failure(mock.run, "login", right)
    assert (error.status, error.code) == (403, "ACCOUNT_LOCKED")
    assert 0 < error.details["retry_after"] <= lockout["seconds"] + 1
    mock.clock.now += lockout["seconds"] + 1
    assert mock.run("login", right)[0] == 200


def test_a_success_clears_earlier_failures():
    mock = Mock("enterprise")
    attempts = mock.document["x-apitwin"]["auth"]["lockout"]["attempts"]
    for _ in range(attempts - 1):
        mock.failure(mock.run, "login", {"username": "john.doe", "password": "WrongPassword000!"})
    mock.run("login", {"username": "john.doe", "password": "SecurePassword123!"})
    mock.failure(mock.run, "login", {"username": "john.doe", "password": "WrongPassword000!"})
    assert mock.run("login", {"username": "john.doe", "password": "SecurePassword123!"})[0] == 200


def test_mfa_users_need_their_code():
    mock = Mock("enterprise")
    jane = demo_user("enterprise", username="jane.smith")
    body = {"username": "jane.smith", "password": jane["password"]}
    error = mock.failure(mock.run, "login", body)
    assert (error.status, error.code) == (403, "MFA_REQUIRED")
    assert mock.failure(mock.run, "login", {**body, "mfa_code": "000000"}).status == 401
    status, reply = mock.run("login", {**body, "mfa_code": jane["mfa_code"]})
    assert status == 200 and reply["user"]["username"] == "jane.smith"


# ---------------------------------------------------------------- API keys and clients

def test_api_keys_are_shown_once_and_then_work_as_credentials():
    mock = Mock("enterprise")
    _, login = mock.run("login", {"username": "john.doe", "password": "SecurePassword123!"})
    owner = mock.bearer("createApiKey", login["access_token"])
    status, key = mock.run("createApiKey", {"name": "Production Server", "permissions": ["read:data"],
                                            "expires_in_days": 1}, owner)
    assert status == 201 and key["api_key"].startswith("sk_live_")
    assert all(key["api_key"] not in repr(r) for r in mock.store.list("api_keys"))
    security = mock.security("listRecords")
    principal = mock.auth.authenticate({"X-API-Key": key["api_key"]}, {}, security)
    assert (principal.kind, principal.user_id, principal.permissions) == ("api_key", "usr_abc123", ["read:data"])
    mock.auth.require_permissions(principal, ["read:data"])
    error = mock.failure(mock.auth.require_permissions, principal, ["write:data"])
    assert (error.status, error.code) == (403, "FORBIDDEN")
    assert mock.failure(mock.auth.authenticate, {"X-API-Key": "sk_live_forged"}, {}, security).status == 401
    mock.clock.now += 86400 + 1
    assert mock.failure(mock.auth.authenticate, {"X-API-Key": key["api_key"]}, {}, security).status == 401


def test_oauth_client_credentials_issue_tokens_to_known_clients_only():
    mock = Mock("directory")
    body = {"grant_type": "client_credentials", "client_id": "YOUR_CLIENT_ID", "client_secret": "YOUR_CLIENT_SECRET"}
    status, reply = mock.run("issueToken", body)
    assert status == 200 and reply["token_type"] == "Bearer" and reply["expires_in"] == 3600
    principal = mock.bearer("listUsers", reply["access_token"])
    assert (principal.kind, principal.user_id) == ("client", "usr_123")
    assert mock.failure(mock.run, "issueToken", {**body, "client_secret": "wrong"}).status == 401
    assert mock.failure(mock.run, "issueToken", {**body, "grant_type": "password"}).status == 400


def test_the_documents_static_example_token_is_accepted():
    mock = Mock("directory")
    token = mock.document["x-apitwin"]["auth"]["static_tokens"][0]["token"]
    assert mock.bearer("listUsers", token).user_id == "usr_123"


def test_basic_credentials_are_checked_like_a_login():
    mock = Mock("accounts")
    scheme = {"basicAuth": {"type": "http", "scheme": "basic"}}
    mock.auth.config.schemes.update(scheme)
    good = base64.b64encode(b"user:password").decode()
    bad = base64.b64encode(b"user:wrong").decode()
    assert mock.auth.authenticate({"Authorization": f"Basic {good}"}, {}, [{"basicAuth": []}]).user_id == "1"
    assert mock.failure(mock.auth.authenticate, {"Authorization": f"Basic {bad}"}, {}, [{"basicAuth": []}]).status == 401


# ---------------------------------------------------------------- register

def test_register_creates_a_user_with_private_credentials():
    mock = Mock("accounts")
    body = {"email": "new@example.com", "username": "newbie", "password": "s3cret-pass", "full_name": "New Bie"}
    status, reply = mock.run("register", body)
    assert status == 200 and reply["token_type"] == "bearer"
    user = mock.store.find_one("users", username="newbie")
    assert user["id"] == 2 and user["email"] == "new@example.com" and user["full_name"] == "New Bie"
    assert "password" not in user and "s3cret-pass" not in repr(mock.store.list("users"))
    assert mock.bearer("listUsers", reply["access_token"]).user_id == "2"
    assert mock.run("login", {"username": "newbie", "password": "s3cret-pass"})[0] == 200
    assert mock.failure(mock.run, "register", body).status in (400, 409)


def test_register_answers_the_new_user_in_the_apis_id_style():
    mock = Mock("messaging")
    body = {"email": "ann@example.com", "password": "long-enough", "username": "ann", "display_name": "Ann"}
    status, reply = mock.run("createUser", body)
    assert status == 201 and reply["username"] == "ann" and "password" not in reply
    assert mock.store.get("users", reply["id"])["display_name"] == "Ann"
    assert mock.failure(mock.run, "createUser", body).status == 409
    assert mock.run("login", {"email": "ann@example.com", "password": "long-enough"})[0] == 200


def test_messages_come_from_the_contract_where_it_declares_them():
    mock = Mock("accounts")
    declared = {str(k): v for k, v in mock.document["x-apitwin"]["errors"]["messages"].items()}
    missing = mock.failure(mock.auth.authenticate, {}, {}, mock.security("listUsers"))
    assert missing.message == declared["401"]            # the API's own words for a plain 401
    wrong = mock.failure(mock.run, "login", {"username": "user", "password": "wrong"})
    assert wrong.status == 401 and wrong.message != declared["401"]  # a login failure says what failed
    enterprise = Mock("enterprise")
    mfa = enterprise.document["x-apitwin"]["auth"]["errors"]["mfa_required"]
    error = enterprise.failure(enterprise.run, "login", {"username": "jane.smith", "password": "SecurePassword456!"})
    assert (error.code, error.message) == (mfa["code"], mfa["message"])


def test_tokens_travel_where_the_security_schemes_say():
    mock = Mock("realtime")
    _, session = mock.run("createSession", {"username": "user@example.com", "password": "secure_password"})
    token = session["access_token"]
    security = mock.security("connectWebSocket")
    assert mock.auth.authenticate({}, {"token": token}, security).user_id == "user_123"
    assert mock.auth.authenticate({}, {"access_token": token}, security).user_id == "user_123"
    mock.auth.config.schemes = {**mock.auth.config.schemes, "subprotocolToken": {
        **mock.auth.config.schemes["subprotocolToken"], "x-apitwin-prefix": "access_token."}}
    header = {"Sec-WebSocket-Protocol": f"chat, access_token.{token}"}
    assert mock.auth.authenticate(header, {}, security).user_id == "user_123"
    assert mock.failure(mock.auth.authenticate, {}, {"token": token + "x"}, security).status == 401


def test_an_expired_token_gets_the_code_the_contract_declares_for_it():
    mock = Mock("realtime")
    declared = mock.document["x-apitwin"]["auth"]["errors"]["token_expired"]
    _, session = mock.run("createSession", {"username": "user@example.com", "password": "secure_password"})
    mock.clock.now += mock.auth.config.access_ttl + 1
    error = mock.failure(mock.auth.verify_token, session["access_token"])
    assert (error.status, error.code, error.message) == (declared["status"], declared["code"], declared["message"])
    bad = mock.failure(mock.auth.verify_token, "not-a-token")
    assert bad.status == 401 and bad.code is None  # the envelope's own code for 401 (INVALID_TOKEN)


# ---------------------------------------------------------------- any string as a credential

#: strings a client may send in a JSON body: non-ASCII, non-BMP, a lone surrogate (`"\ud800"`)
ODD_STRINGS = ["pässwörd", "密码", "🔑key", "\ud800", "a\udcffb", "\x00", ""]


@pytest.mark.parametrize("odd", ODD_STRINGS)
def test_any_string_as_a_client_credential_is_refused_with_the_apis_4xx(odd):
    mock = Mock("directory")
    body = {"grant_type": "client_credentials", "client_id": "YOUR_CLIENT_ID", "client_secret": "YOUR_CLIENT_SECRET"}
    for field in ("client_id", "client_secret"):
        assert mock.failure(mock.run, "issueToken", {**body, field: odd}).status == 401
    assert mock.failure(mock.run, "issueToken", {**body, "grant_type": odd}).status == 400


@pytest.mark.parametrize("odd", ODD_STRINGS)
def test_any_string_as_a_login_credential_is_refused_with_the_apis_4xx(odd):
    for api, operation, body in [
        ("enterprise", "login", {"username": "john.doe", "password": "SecurePassword123!"}),
        ("messaging", "login", {"email": "user@example.com", "password": "secure_password"}),
        ("accounts", "login", {"username": "user", "password": "password"}),
        ("realtime", "createSession", {"username": "user@example.com", "password": "secure_password"}),
    ]:
        mock = Mock(api)
        for field in body:
            assert 400 <= mock.failure(mock.run, operation, {**body, field: odd}).status < 500, (api, field)


@pytest.mark.parametrize("odd", ODD_STRINGS)
def test_any_string_as_an_mfa_code_refresh_token_bearer_or_api_key_is_refused(odd):
    mock = Mock("enterprise")
    jane = demo_user("enterprise", username="jane.smith")
    body = {"username": jane["username"], "password": jane["password"], "mfa_code": odd}
    assert mock.failure(mock.run, "login", body).status in (401, 403)
    assert mock.failure(mock.run, "refreshToken", {"refresh_token": odd}).status in (400, 401)
    for headers in ({"Authorization": f"Bearer {odd}"}, {"X-API-Key": odd}):
        assert mock.failure(mock.auth.authenticate, headers, {}, mock.security("listRecords")).status == 401
    _, pair = mock.run("login", {"username": "john.doe", "password": "SecurePassword123!"})
    principal = mock.bearer("logout", pair["access_token"])
    assert mock.run("logout", {"refresh_token": odd}, principal) == (204, None)


@pytest.mark.parametrize("odd", ["pässwörd", "\ud800", "a\udcffb"])
def test_register_and_log_in_with_any_password(odd):
    mock = Mock("accounts")
    body = {"username": "odd-one", "email": "odd@example.com", "password": odd + "-long-enough"}
    assert mock.run("register", body)[0] in (200, 201)
    assert mock.run("login", {"username": "odd-one", "password": odd + "-long-enough"})[0] == 200
    assert mock.failure(mock.run, "login", {"username": "odd-one", "password": "x" + odd}).status == 401


def test_basic_credentials_with_any_bytes_are_refused():
    mock = Mock("accounts")
    mock.auth.config.schemes.update({"basicAuth": {"type": "http", "scheme": "basic"}})
    for raw in ("üser:pässwörd".encode(), b"\xff\xfe:\xed\xa0\x80", "user:\ud800".encode("utf-8", "surrogatepass")):
        header = {"Authorization": "Basic " + base64.b64encode(raw).decode()}
        assert mock.failure(mock.auth.authenticate, header, {}, [{"basicAuth": []}]).status == 401
    for text in ("pässwörd", "密码", "\ud800", "a\udcffb", "not base64!"):  # the header itself not base64
        header = {"Authorization": "Basic " + text}
        assert mock.failure(mock.auth.authenticate, header, {}, [{"basicAuth": []}]).status == 401


# ---------------------------------------------------------------- api-key lifetimes

@pytest.mark.parametrize("days", [1, 365, 2_932_896, 10**9, 2**63, 10**30])
def test_an_api_key_lives_any_number_of_days_the_contract_admits(days):
    """`expires_in_days` has `minimum: 1` and no maximum: every such count gets a key (valid
    until the last second a date-time can name when the count outlives the calendar)."""
    mock = Mock("enterprise")
    _, login = mock.run("login", {"username": "john.doe", "password": "SecurePassword123!"})
    owner = mock.bearer("createApiKey", login["access_token"])
    status, key = mock.run("createApiKey", {"name": "Far future", "expires_in_days": days}, owner)
    assert status == 201
    year = int(key["expires_at"][:4])
    assert year == 2023 + days // 365 if days < 3000 else year == 9999
    principal = mock.auth.authenticate({"X-API-Key": key["api_key"]}, {}, mock.security("listRecords"))
    assert principal.kind == "api_key"


# ---------------------------------------------------------------- ids

def test_a_registered_user_never_gets_the_id_the_mocks_first_record_gets():
    """On a fresh run the mock's own generator (seed 0) makes the first message; the auth flows
    make the first registered user: with one seed, still two different ids."""
    from mock_server.datagen import DataGenerator
    from mock_server.fixtures import load_fixtures

    mock = Mock("messaging")
    mock.store.reset(load_fixtures("messaging"))  # as the mock starts: demo users already stored
    mock.auth = Authenticator(mock.document, mock.store, seed=0, clock=mock.clock)
    status, user = mock.run("createUser", {"email": "new@example.com", "password": "secure_password1",
                                           "username": "new-one", "display_name": "New One"})
    assert status == 201
    runtime = DataGenerator(0)
    message = runtime.record({"$ref": "#/components/schemas/Message"}, root=mock.document)
    assert message["id"] != user["id"]
    other = Mock("messaging")
    other.store.reset(load_fixtures("messaging"))
    other.auth = Authenticator(other.document, other.store, seed=0, clock=other.clock)
    again = other.run("createUser", {"email": "new@example.com", "password": "secure_password1",
                                                 "username": "new-one", "display_name": "New One"})[1]
    assert again["id"] == user["id"]  # deterministic for the seed
