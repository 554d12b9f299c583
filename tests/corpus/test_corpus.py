"""Every contract of the corpus, as a user would bring it: lint, mock, every operation, check.

The corpus (see SOURCES.md) holds public contracts nobody here wrote. A contract whose known
defect is not fixed yet is listed in KNOWN with its cause; the test then must fail (strict),
so a fix that lands is noticed and the entry removed.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.corpus.harness import Contract, RequestBuilder, apitwin, check_arguments, kind_of, problems_of
from tests.support.servers import run_mock

CORPUS = Path(__file__).parent
ROOT = CORPUS.parents[1]

#: contract (relative to the corpus) -> the cause of a known, not yet fixed failure
KNOWN: dict[str, str] = {
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
