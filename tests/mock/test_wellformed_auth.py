"""A contract with security schemes and no `x-apitwin.auth`: the mock accepts any well-formed
credential of the declared kind in the declared place and refuses a missing or malformed one
with 401 and a `WWW-Authenticate` challenge naming what it expected. Real server processes."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import ServerProcess, run_mock

HERE = Path(__file__).parent
CONTRACT = HERE / "contracts" / "wellformed.yaml"
PETSTORE = HERE.parent / "corpus" / "auth" / "swagger-petstore-3.0.yaml"
ISSUED = HERE / "contracts" / "credentials.yaml"
REALM = 'realm="Well-formed credentials"'


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _jwt(claims: dict) -> str:
    part = lambda value: base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")  # noqa: E731
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def _bearer(token: str) -> dict:
    return {"headers": {"authorization": f"Bearer {token}"}}


# (path, request options, expected status)
CASES = [
    ("/global", {"headers": {"X-API-Key": "anything-at-all"}}, 200),
    ("/global", {}, 401),
    ("/global", {"params": {"X-API-Key": "in-the-wrong-place"}}, 401),
    ("/open", {}, 200),
    ("/query-key", {"params": {"api_key": "k1"}}, 200),
    ("/query-key", {"params": {"api_key": ""}}, 401),
    ("/query-key", {"headers": {"api_key": "k1"}}, 401),
    ("/cookie-key", {"headers": {"cookie": "theme=dark; session=s3ss10n"}}, 200),
    ("/cookie-key", {"headers": {"cookie": "theme=dark"}}, 401),
    ("/bearer", _bearer("opaque-token.123"), 200),
    ("/bearer", _bearer("two words"), 401),
    ("/bearer", {"headers": {"authorization": "Bearer"}}, 401),
    ("/bearer", {"headers": {"authorization": f"Basic {_b64('a:b')}"}}, 401),
    ("/jwt", _bearer(_jwt({"sub": "usr_1"})), 200),
    ("/jwt", _bearer("opaque-token"), 200),  # bearerFormat is a hint, not a rule
    ("/jwt", _bearer("bm90.anNvbg.c2ln"), 200),
    ("/jwt", _bearer("two words"), 401),
    ("/basic", {"headers": {"authorization": f"Basic {_b64('alice:any password')}"}}, 200),
    ("/basic", {"headers": {"authorization": f"Basic {_b64('alice')}"}}, 401),
    ("/basic", {"headers": {"authorization": "Basic not*base64"}}, 401),
    ("/oauth", _bearer("gho_16C7e42F292c6912E7710c838347Ae178B4a"), 200),
    ("/oauth", {}, 401),
    ("/oidc", _bearer(_jwt({"sub": "x"})), 200),
    ("/either", {"params": {"api_key": "k"}}, 200),
    ("/either", _bearer("t"), 200),
    ("/either", {"headers": {"X-API-Key": "k"}}, 401),
    ("/both", {"headers": {"X-API-Key": "k", "authorization": f"Basic {_b64('u:p')}"}}, 200),
    ("/both", {"headers": {"X-API-Key": "k"}}, 401),
    ("/both", {"headers": {"authorization": f"Basic {_b64('u:p')}"}}, 401),
    ("/optional", {}, 200),
    ("/optional", _bearer("t"), 200),
]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with run_mock(str(CONTRACT), "--rate-limits", "off") as process:
        yield process


@pytest.fixture(scope="module")
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


@pytest.mark.parametrize(("path", "options", "status"), CASES, ids=[f"{p}-{i}" for i, (p, _, _) in enumerate(CASES)])
def test_any_well_formed_credential_in_its_place(http: httpx.Client, path: str, options: dict, status: int) -> None:
    answer = http.get(path, **options)
    assert answer.status_code == status, answer.text
    if status == 200:
        assert answer.json() == {"message": "hello"}
    else:
        assert answer.headers.get("www-authenticate"), "a 401 names what it expects"
        body = answer.json()
        assert isinstance(body.get("code"), int) and isinstance(body.get("message"), str), "the documented 401 schema"


def test_challenges_name_the_expected_credential(http: httpx.Client) -> None:
    challenge = lambda path, **options: http.get(path, **options).headers["www-authenticate"]  # noqa: E731
    assert challenge("/global") == f'ApiKey {REALM}, in="header", name="X-API-Key"'
    assert challenge("/basic") == f"Basic {REALM}"
    assert challenge("/bearer") == f"Bearer {REALM}"  # missing: no error code (RFC 6750 3.1)
    malformed = challenge("/jwt", **_bearer("op aque"))
    assert malformed.startswith(f'Bearer {REALM}, error="invalid_token", error_description="')
    assert challenge("/either") == f'ApiKey {REALM}, in="query", name="api_key", Bearer {REALM}'
    assert challenge("/both") == f'ApiKey {REALM}, in="header", name="X-API-Key", Basic {REALM}'


def test_a_remembered_caller_is_never_lent_to_a_missing_or_malformed_credential(http: httpx.Client) -> None:
    for path, right, wrong in (
        ("/query-key", {"params": {"api_key": "k-1"}}, {"params": {"api_key": "k\x01"}}),
        ("/bearer", _bearer("tok-1"), _bearer("tok 1")),
        ("/basic", {"headers": {"authorization": f"Basic {_b64('u:p')}"}}, {"headers": {"authorization": f"Basic {_b64('up')}"}}),
    ):
        statuses = [http.get(path, **options).status_code for options in (right, {}, wrong, right)]
        assert statuses == [200, 401, 401, 200], path


def test_the_start_up_table_shows_what_is_accepted() -> None:
    with run_mock(str(ISSUED), "--rate-limits", "off") as issued:
        with httpx.Client(base_url=issued.url, timeout=10) as http:
            # declared auth: only what the declarations issue, not any well-formed key
            assert http.get("/header-key", headers={"api_key": "any-key"}).status_code == 401
        assert "issued tokens" in issued.stop()
    with run_mock(str(CONTRACT), "--rate-limits", "off") as other:
        httpx.get(other.url + "/open", timeout=10)  # answered once the table is printed (bound before)
        table = other.stop()
    assert "any well-formed:" in table and "key in header X-API-Key" in table and "Basic user:password" in table


@pytest.fixture(scope="module")
def petstore() -> Iterator[ServerProcess]:
    with run_mock(str(PETSTORE), "--rate-limits", "off") as process:
        yield process


def test_petstore_api_key_header(petstore: ServerProcess) -> None:
    """The Swagger Petstore (OpenAPI 3.0): `getInventory` takes the `api_key` header only;
    `getPetById` the key OR an OAuth2 token."""
    with httpx.Client(base_url=petstore.url + "/api/v3", timeout=10) as http:
        assert http.get("/store/inventory", headers={"api_key": "special-key"}).status_code == 200
        refused = http.get("/store/inventory")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == 'ApiKey realm="Swagger Petstore - OpenAPI 3.0", in="header", name="api_key"'
        assert http.get("/store/inventory", headers={"authorization": "Bearer t"}).status_code == 401
        assert http.get("/pet/1").status_code == 401
        for options in ({"headers": {"api_key": "special-key"}}, _bearer("oauth-token")):
            assert http.get("/pet/1", **options).status_code in (200, 404)
        assert http.get("/store/order/1").status_code != 401  # no security: open


def test_the_suite_holds_the_mock_only_to_what_the_contract_states(server: ServerProcess) -> None:
    """`apitwin check` of this mock: requests without credentials are refused (checked), while
    which made-up keys count as bad is not stated by the contract, so accepting one is no finding."""
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "mock_server", "check", str(CONTRACT), "--base-url", server.url, "--phases", "fuzz",
         "--max-examples", "5", "--seed", "1", "--checks", "ignored_auth,auth_required"],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
