"""What the benchmark reads from a contract: base path, login request, token."""

from pathlib import Path

import pytest

from bench.contracts import BenchSetupError, Contract, login_request, token_from

SCHEMAS = {
    "EmailLogin": {"type": "object", "properties": {"email": {"type": "string"}, "password": {"type": "string"}}},
}


def contract(document: dict) -> Contract:
    return Contract("toy", Path("openapi.yaml"), None, document)


def login_operation(kind: str, schema: dict, media: str = "application/json") -> dict:
    return {"post": {"x-apitwin-auth": kind, "requestBody": {"content": {media: {"schema": schema}}}}}


def test_base_path_of_the_local_server():
    toy = contract({"servers": [{"url": "https://api.example.com/v9"}, {"url": "http://localhost:8003/v2/"}]})
    assert toy.base_path() == "/v2"
    assert contract({"servers": []}).base_path() == ""


def test_login_fields_follow_the_schema_and_skip_mfa_users():
    toy = contract({
        "servers": [{"url": "http://localhost:1/api"}],
        "paths": {"/auth/login": login_operation("login", {"$ref": "#/components/schemas/EmailLogin"})},
        "components": {"schemas": SCHEMAS},
        "x-apitwin": {"auth": {"users": [
            {"username": "mfa", "email": "mfa@example.com", "password": "p1", "mfa_code": "123456"},
            {"username": "plain", "email": "plain@example.com", "password": "p2", "mfa_code": None},
        ]}},
    })
    request = login_request(toy)
    assert request.path == "/api/auth/login"
    assert request.body == {"email": "plain@example.com", "password": "p2"}
    assert request.encoded() == b'{"email": "plain@example.com", "password": "p2"}'


def test_client_credentials_are_form_encoded_when_the_operation_takes_a_form():
    toy = contract({
        "paths": {"/oauth/token": login_operation("client-credentials", {"type": "object"}, "application/x-www-form-urlencoded")},
        "x-apitwin": {"auth": {"clients": [{"client_id": "id 1", "client_secret": "s&t"}]}},
    })
    request = login_request(toy)
    assert request.content_type == "application/x-www-form-urlencoded"
    assert request.encoded() == b"grant_type=client_credentials&client_id=id+1&client_secret=s%26t"


def test_no_login_operation_is_a_clear_error():
    with pytest.raises(BenchSetupError, match="no x-apitwin-auth login"):
        login_request(contract({"paths": {"/users": {"get": {}}}}))


def test_token_found_at_the_top_or_nested():
    assert token_from({"access_token": "a", "token_type": "Bearer"}) == "a"
    assert token_from({"data": {"session": {"token": "b"}}}) == "b"
    assert token_from({"detail": "nope"}) is None
