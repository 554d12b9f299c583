"""`apitwin check --report html:FILE` and `--min-coverage`, as a user runs them: a real command
against a real faulty server, the page opened in headless Chromium."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import websockets

from tests.conformance.test_conformance_command import apitwin
from tests.faulty.pool import TOY
from tests.realtime.helpers import run
from tests.support.browser import DevTools, headless_page

READ_PAGE = """JSON.stringify({
  verdict: document.getElementById('verdict').textContent,
  figures: Array.from(document.querySelectorAll('tr.figure')).map(row => ({
    kind: row.dataset.kind, covered: +row.querySelector('.covered').textContent,
    total: +row.querySelector('.total').textContent, percent: row.querySelector('.percent').textContent})),
  failures: +document.querySelector('.failure-count').textContent,
  reproductions: Array.from(document.querySelectorAll('.finding.failure .reproduce pre')).map(pre => pre.textContent),
  statusRows: Array.from(document.querySelectorAll('table.operations tr.group')).map(row => ({
    group: row.dataset.group, hit: row.querySelectorAll('.statuses .hit').length,
    miss: row.querySelectorAll('.statuses .miss').length})),
  resources: performance.getEntriesByType('resource').length,
})"""


def read_page(path: Path) -> dict:
    with headless_page(path.as_uri()) as devtools_url:

        async def scenario() -> str:
            async with websockets.connect(devtools_url, max_size=None) as connection:
                tools = DevTools(connection)
                # the page target may still show about:blank at first: wait for the report itself
                await tools.wait_for("document.readyState === 'complete' && !!document.getElementById('verdict')", bool)
                return await tools.evaluate(READ_PAGE)

        return json.loads(run(scenario()))


def test_html_report_renders_the_json_reports_numbers_and_a_failures_curl(servers, tmp_path: Path) -> None:  # noqa: ANN001
    page, data = tmp_path / "report" / "apitwin.html", tmp_path / "apitwin.json"
    result = apitwin(
        str(TOY), "--base-url", servers.url("toy", "wrong_error_envelope"), "--seed", "1", "--max-examples", "3",
        "--phases", "fuzz,websocket,graphql", "--include", "getNote",
        "--report", f"html:{page}", "--report", f"json:{data}", "--quiet",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(data.read_text())["apis"][0]
    shown = read_page(page)

    assert shown["verdict"] == "does not conform"
    assert shown["resources"] == 0  # nothing fetched: the page is self-contained
    summary = report["coverage"]["summary"]
    assert {row["kind"] for row in shown["figures"]} == {"status", "parameter", "property", "message", "field", "check"} & {
        kind for kind, figure in summary.items() if figure["total"]
    }
    for row in shown["figures"]:
        figure = summary[row["kind"]]
        assert (row["covered"], row["total"], row["percent"]) == (figure["covered"], figure["total"], f"{figure['percent']:g}%")
    assert shown["failures"] == len(report["findings"]) > 0
    assert any(text.startswith("curl -X GET") and "/notes/" in text for text in shown["reproductions"])
    statuses: dict[str, list[int]] = {}
    for item in report["coverage"]["items"]:
        if item["kind"] == "status":
            statuses.setdefault(item["group"], [0, 0])[0 if item["hits"] else 1] += 1
    assert {row["group"]: [row["hit"], row["miss"]] for row in shown["statusRows"]} == statuses
    assert "coverage: " in result.stdout


def test_min_coverage_fails_the_run_naming_the_figure(servers, tmp_path: Path) -> None:  # noqa: ANN001
    url = servers.url("toy", "none")
    common = (str(TOY), "--base-url", url, "--seed", "1", "--max-examples", "2", "--phases", "examples", "--include", "getNote", "--quiet")
    data, junit = tmp_path / "apitwin.json", tmp_path / "apitwin.xml"
    below = apitwin(*common, "--min-coverage", "100", "--report", f"json:{data}", "--report", f"junit:{junit}")
    assert below.returncode == 1, below.stdout + below.stderr
    report = json.loads(data.read_text())["apis"][0]
    headline = report["coverage"]["headline"]
    assert headline["kind"] == "status" and headline["percent"] < 100 and report["findings"] == []
    line = f"coverage {headline['percent']:g}% ({headline['covered']}/{headline['total']} {headline['label']}) is below --min-coverage 100%"
    assert [text for text in below.stdout.splitlines() if "--min-coverage" in text] == [line]
    assert report["conforms"] is False and report["coverage"]["shortfall"] == line
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite.find("properties/property[@name='coverage.status']").get("value") == f"{headline['percent']:g}"
    assert [case.find("failure").get("message") for case in suite.iter("testcase") if case.get("name") == "coverage"] == [line]

    assert apitwin(*common, "--min-coverage", str(headline["percent"])).returncode == 0
