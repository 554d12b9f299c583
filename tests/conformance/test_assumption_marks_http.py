"""`apitwin check` against a real server: a response that breaks only keywords the contract marks
assumed is a warning; one that breaks a documented keyword fails the run."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conformance.test_conformance_command import apitwin
from tests.support.servers import ServerProcess, free_port, start_process

#: the accounts document's user, plus a field it never shows (the contract closes User only as
#: an assumption), and the same user with `is_active` of the wrong type (the document's own)
APP = textwrap.dedent(
    '''
    import sys
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    USER = {"id": 1, "email": "user@example.com", "username": "user", "full_name": None, "is_active": True,
            "is_superuser": False, "created_at": "2024-02-11T00:00:00Z", "updated_at": "2024-02-11T00:00:00Z"}

    async def login(request):
        return JSONResponse({"access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "token_type": "bearer"})

    async def one(request):
        return JSONResponse({**USER, "avatar_url": None})

    async def many(request):
        return JSONResponse([{**USER, "is_active": "yes"}])

    app = Starlette(routes=[Route("/api/v1/auth/login", login, methods=["POST"]),
                            Route("/api/v1/users/{user_id}", one), Route("/api/v1/users/", many)])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
    '''
)


@pytest.fixture(scope="module")
def users_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    script = tmp_path_factory.mktemp("users") / "users.py"
    script.write_text(APP)
    port = free_port()
    server = start_process([sys.executable, str(script), str(port)], port)
    try:
        yield server
    finally:
        server.stop()


def test_a_body_breaking_only_assumed_keywords_warns_and_a_documented_one_fails(users_server: ServerProcess, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = apitwin("accounts", "--base-url", users_server.url, "--phases", "examples", "--include", "getUser",
                     "--include", "listUsers", "--checks", "response_schema_conformance", "--seed", "1", "--quiet",
                     "--report", f"json:{out}")
    assert result.returncode == 1, result.stdout + result.stderr
    data = json.loads(out.read_text())["apis"][0]
    failed = {(f["check"], f["operation"]) for f in data["findings"]}
    warned = {(w["check"], w["operation"]): w for w in data["warnings"]}
    assert failed == {("response_schema_conformance", "GET /api/v1/users/")}  # is_active: "yes"
    extra = warned[("response_schema_conformance", "GET /api/v1/users/{user_id}")]
    assert "no others is ours" in extra["assumption"]
