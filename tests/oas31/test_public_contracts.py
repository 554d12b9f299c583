"""Public OpenAPI 3.1 contracts written by others (tests/corpus/oas31/, sources in
tests/corpus/SOURCES.md), served by a real `apitwin mock` process and checked by `apitwin check`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from mock_server.contracts.loader import load_document
from tests.oas31.schemacheck import errors
from tests.support.servers import run_mock

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "oas31"
FEATURES = CORPUS / "openapi-python-client-3.1-features.yaml"
WEBHOOKS = CORPUS.parent / "openapi" / "oai-webhook-example.yaml"


def check(contract: Path, base_url: str, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mock_server", "check", str(contract), "--base-url", base_url, "--seed", "1", *options],
        capture_output=True, text=True, timeout=300,
    )


def test_const_and_prefix_items_contract_is_served_and_validated(tmp_path: Path) -> None:
    document = load_document(FEATURES)
    const_response = "#/paths/~1const~1{path}/post/responses/200/content/application~1json/schema"
    prefix_response = "#/paths/~1prefixItems/post/responses/200/content/application~1json/schema"
    with run_mock(str(FEATURES), "--rate-limits", "off") as server, httpx.Client(base_url=server.url, timeout=10) as http:
        valid = http.post(
            "/const/this goes in the path", params={"required query": "this always goes in the query"},
            json={"required": "this always goes in the body", "nullable": None},
        )
        assert valid.status_code == 200, valid.text
        assert valid.json() == "Why have a fixed response? I dunno"
        assert errors(document, const_response, valid.json()) == []

        both = http.post("/prefixItems", json={"prefixItemsAndItems": ["prefix", "x", 1.5, 2], "prefixItemsOnly": ["a", 1]})
        assert both.status_code == 200, both.text
        assert errors(document, prefix_response, both.json()) == []

        for body in ({"prefixItemsAndItems": ["not the prefix", "x"]}, {"prefixItemsAndItems": ["prefix", "x", "not a number"]},
                     {"prefixItemsOnly": ["a", 1, 2]}, {"prefixItemsOnly": [1, "a"]}):
            refused = http.post("/prefixItems", json=body)
            assert refused.status_code == 400, (body, refused.text)
        for body in ({"required": "something else", "nullable": None}, {"required": "this always goes in the body"},
                     {"required": "this always goes in the body", "nullable": "neither null nor the constant"}):
            refused = http.post("/const/this goes in the path", params={"required query": "this always goes in the query"}, json=body)
            assert refused.status_code == 400, (body, refused.text)

        report = tmp_path / "report.json"
        conformance = check(FEATURES, server.url, "--report", f"json:{report}")
    assert conformance.returncode in (0, 1), conformance.stdout[-4000:] + conformance.stderr[-2000:]
    (api,) = json.loads(report.read_text())["apis"]
    assert api["errors"] == []
    # The contract documents no error answer at all; the mock answers invalid input with 400, and
    # a suite that counts an undocumented 4xx to invalid input against the target (the document
    # says nothing about invalid input) reports that, and only that.
    unexpected = [f for f in api["findings"] if not (f["check"] == "status_code_conformance" and f["actual"].startswith("Received: 4"))]
    assert unexpected == [], unexpected


def test_a_contract_of_webhooks_only_is_served_and_conforms() -> None:
    with run_mock(str(WEBHOOKS), "--rate-limits", "off") as server:
        assert httpx.get(server.url + "/openapi.json", timeout=10).json()["webhooks"]["newPet"]["post"]
        conformance = check(WEBHOOKS, server.url)
    assert conformance.returncode == 0, conformance.stdout[-4000:] + conformance.stderr[-2000:]
