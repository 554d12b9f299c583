"""Unit tests of `WellFormedAuth`: what counts as well formed, who a credential proves, and
the challenge each refusal carries."""

from __future__ import annotations

import base64

import pytest

from mock_server.auth.errors import AuthError, Failures
from mock_server.auth.wellformed import WellFormedAuth, describe

SCHEMES = {
    "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
    "jwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "basic": {"type": "http", "scheme": "basic"},
    "token": {"type": "http", "scheme": "Token"},
    "tls": {"type": "mutualTLS"},
}
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3JfNDIifQ.sig"  # {"sub": "usr_42"}


@pytest.fixture
def auth() -> WellFormedAuth:
    return WellFormedAuth(SCHEMES, Failures({}, {}), "Demo")


def test_the_caller_is_derived_from_the_credential(auth: WellFormedAuth) -> None:
    assert auth.authenticate({"authorization": f"Bearer {JWT}"}, {}, [{"jwt": []}]).user_id == "usr_42"
    # bearerFormat is a hint ("primarily for documentation purposes"): an opaque token is accepted
    assert auth.authenticate({"authorization": "Bearer opaque-1"}, {}, [{"jwt": []}]).user_id.startswith("caller_")
    basic = base64.b64encode(b"alice:secret").decode()
    assert auth.authenticate({"authorization": f"Basic {basic}"}, {}, [{"basic": []}]).username == "alice"
    one = auth.authenticate({"x-key": "k1"}, {}, [{"key": []}])
    assert one.user_id == auth.authenticate({"X-Key": "k1"}, {}, [{"key": []}]).user_id
    assert one.user_id != auth.authenticate({"x-key": "k2"}, {}, [{"key": []}]).user_id


def test_other_http_schemes_and_mutual_tls(auth: WellFormedAuth) -> None:
    assert auth.authenticate({"authorization": "token abc"}, {}, [{"token": []}]) is not None
    with pytest.raises(AuthError) as refused:
        auth.authenticate({"authorization": "Bearer abc"}, {}, [{"token": []}])
    assert refused.value.headers["WWW-Authenticate"] == 'Token realm="Demo"'
    assert auth.authenticate({"x-key": "k"}, {}, [{"tls": [], "key": []}]) is not None


def test_a_malformed_credential_is_reported_over_a_missing_alternative(auth: WellFormedAuth) -> None:
    with pytest.raises(AuthError) as refused:
        auth.authenticate({"authorization": "Bearer not a token"}, {}, [{"key": []}, {"jwt": []}])
    assert refused.value.failure == "invalid_token" and "Bearer token" in refused.value.message
    assert 'error="invalid_token"' in refused.value.headers["WWW-Authenticate"]
    with pytest.raises(AuthError) as missing:
        auth.authenticate({}, {}, [{"key": []}, {"jwt": []}])
    assert missing.value.failure == "missing_token" and "error=" not in missing.value.headers["WWW-Authenticate"]


def test_an_undefined_scheme_is_never_met(auth: WellFormedAuth) -> None:
    with pytest.raises(AuthError):
        auth.authenticate({"x-key": "k"}, {}, [{"nowhere": []}])


def test_a_websocket_token_is_checked_for_shape_only(auth: WellFormedAuth) -> None:
    assert auth.verify_token("anything").user_id.startswith("caller_")
    assert auth.verify_token(JWT, SCHEMES["jwt"]).user_id == "usr_42"
    assert auth.verify_token("opaque", SCHEMES["jwt"]).user_id.startswith("caller_")  # bearerFormat: a hint
    for bad in ("", "a\x00b"):
        with pytest.raises(AuthError):
            auth.verify_token(bad)


def test_describe_lists_each_kind_once() -> None:
    assert describe(SCHEMES) == "any well-formed:\nBasic user:password\nBearer JWT\nToken credentials\nkey in header X-Key"
    assert describe({}) == "-"
