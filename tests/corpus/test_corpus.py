"""Every contract of the corpus, as a user would bring it: lint, mock, every operation (every
WebSocket address, for AsyncAPI), check.

The corpus (see SOURCES.md) holds public contracts nobody here wrote. A contract whose known
defect is not fixed yet is listed in KNOWN with its cause; the test then must fail (strict),
so a fix that lands is noticed and the entry removed.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.corpus.harness import Contract, RequestBuilder, apitwin, check_arguments, kind_of, problems_of, read
from tests.corpus.ws_harness import AsyncContractReading, ws_check_arguments, ws_problems
from tests.support.servers import run_mock

CORPUS = Path(__file__).parent
ROOT = CORPUS.parents[1]

#: contract (relative to the corpus) -> the cause of a known, not yet fixed failure
KNOWN: dict[str, str] = {
}

#: contract -> the real problems it holds, as `apitwin lint` must report them (`line:column [rule]`):
#: nothing else may be reported, and these must be
HOLDS: dict[str, set[str]] = {
    # both subscriptionStatus examples write `pair` as a string where the schema wants an array,
    # and a `status` its enum does not list (the second also a `depth` of 42)
    "asyncapi/kraken-websocket-request-reply-multiple-channels.yml": {"151:11 [example]", "161:11 [example]"},
}


def corpus(kind: str) -> list[pytest.param]:
    paths = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml", ".json") and kind_of(p) == kind)
    params = []
    for path in paths:
        name = path.relative_to(CORPUS).as_posix()
        marks = [pytest.mark.xfail(reason=KNOWN[name], strict=True)] if name in KNOWN else []
        params.append(pytest.param(path, id=name, marks=marks))
    return params


@pytest.mark.parametrize("path", corpus("openapi"))
def test_openapi_contract(path: Path) -> None:
    lint = apitwin("lint", str(path))
    assert lint.returncode == 0, f"apitwin lint raised an error on a valid contract:\n{lint.stdout}{lint.stderr}"

    contract = Contract.load(path)
    builder = RequestBuilder(contract)
    problems: list[str] = []
    with run_mock(str(path)) as server:
        with httpx.Client(base_url=server.url + contract.base_path(), timeout=30) as client:
            for route, method, operation, params in contract.operations():
                request = builder.build(route, method, operation, params)
                problems += problems_of(contract, request, operation, request.send(client))
        assert not problems, "valid requests answered wrongly:\n" + "\n".join(problems)

        # five generated examples per operation and phase (the deterministic coverage phase runs
        # whole): the corpus grows, and `make test` must stay well inside its time
        check = apitwin("check", str(path), "--base-url", server.url + contract.base_path(), "--quiet", "--seed", "1",
                        "--max-examples", "5", *check_arguments(contract))
        assert check.returncode == 0, f"apitwin check of the mock against its own contract:\n{check.stdout[-4000:]}{check.stderr[-2000:]}"


def reported(output: str) -> set[str]:
    """`line:column [rule]` of each problem in `apitwin lint`'s output (`path:line:column: [rule] ...`)."""
    found = set()
    for line in output.splitlines():
        head, sep, rest = line.partition(": [")
        if sep:
            found.add(":".join(head.rsplit(":", 2)[-2:]) + " [" + rest.partition("]")[0] + "]")
    return found


@pytest.mark.parametrize("path", corpus("asyncapi"))
def test_asyncapi_contract(path: Path, tmp_path: Path) -> None:
    lint = apitwin("lint", str(path))
    holds = HOLDS.get(path.relative_to(CORPUS).as_posix(), set())
    assert (lint.returncode, reported(lint.stdout)) == (1 if holds else 0, holds), (
        f"apitwin lint on a valid contract (expected: {sorted(holds) or 'no problem'}):\n{lint.stdout}{lint.stderr}")

    reading = AsyncContractReading(read(path))
    with run_mock(str(path)) as server:
        problems, judged = ws_problems(reading, server.ws_url)
        assert not problems, "the WebSocket side served wrongly:\n" + "\n".join(problems)
        if any(address.server_messages for address in reading.addresses()):
            assert judged, "the mock sent no frame at any address, though the contract documents what it sends"

        report = tmp_path / "report.json"
        check = apitwin("check", str(path), "--base-url", server.url, "--phases", "websocket", "--quiet", "--seed", "1",
                        "--report", f"json:{report}", *ws_check_arguments(reading))
        assert check.returncode == 0, f"apitwin check of the mock against its own contract:\n{check.stdout[-4000:]}{check.stderr[-2000:]}"
    tallies = json.loads(report.read_text())["apis"][0]
    assert tallies["findings"] == [], tallies["findings"]
    # the check reached the channels (a handshake accepted, frames held to their schemas)
    assert any(entry["check"] == "ws_frame_schema" and entry["passed"] for entry in tallies["checks"]), tallies["checks"]
