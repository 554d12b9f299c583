"""`--report html:FILE`: one self-contained page a person reads after a run.

Everything is inline (CSS, a few lines of script, no fonts or images), and a Content-Security-
Policy forbids the page any network access, so it opens from a CI artifact or a mail attachment
as it was written. All text that came from the target (titles, bodies, curl commands,
transcripts, operation names from the contract) is escaped: the target is untrusted.

Sections, per API: the verdict, the coverage figures, each failure with its reproduction, the
warnings that rest on assumptions, errors, the coverage map per operation, channel, GraphQL type
and transport, the checks per operation, and timings.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from conformance.coverage import KINDS, LABELS, Coverage, percent_text
from conformance.results import Finding, Report

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:1200px;margin:0 auto;padding:16px 24px}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de}
h3{font-size:15px;margin:16px 0 6px}
section.api{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:8px 20px 20px;margin:16px 0}
.verdict{display:inline-block;padding:4px 10px;border-radius:4px;font-weight:600;color:#fff}
.pass{background:#1a7f37}.fail{background:#cf222e}.warn{background:#9a6700}
table{border-collapse:collapse;margin:6px 0;width:100%}
th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.headline td{font-weight:600}
.chip{display:inline-block;margin:1px 3px 1px 0;padding:0 6px;border-radius:10px;font:12px ui-monospace,monospace}
.hit{background:#dafbe1;border:1px solid #1a7f37}.miss{background:#f6f8fa;border:1px dashed #8c959f;color:#57606a}
pre{background:#0d1117;color:#e6edf3;padding:8px;border-radius:4px;overflow:auto;white-space:pre-wrap;word-break:break-all}
.finding{border-left:4px solid #cf222e;padding:2px 12px;margin:10px 0}.finding.warning{border-color:#9a6700}
.meta{color:#57606a}button.copy{float:right;font-size:12px}
.bar{display:inline-block;height:8px;background:#d0d7de;width:120px;vertical-align:middle}
.bar span{display:block;height:8px;background:#1a7f37}
label.filter{display:block;margin:6px 0}
"""

SCRIPT = """
document.querySelectorAll('button.copy').forEach(function(b){b.addEventListener('click',function(){
  var text=b.parentNode.querySelector('pre').textContent;
  if(navigator.clipboard){navigator.clipboard.writeText(text);}b.textContent='copied';});});
document.querySelectorAll('input.only-missed').forEach(function(box){box.addEventListener('change',function(){
  box.closest('section').querySelectorAll('tr.group').forEach(function(row){
    row.hidden=box.checked && !row.querySelector('.miss');});});});
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def write_html(reports: list[Report], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(reports), encoding="utf-8")


def render(reports: list[Report]) -> str:
    conforms = all(report.conforms for report in reports)
    title = "apitwin check: " + ", ".join(report.api for report in reports)
    body = "".join(api_section(report, f"api{index}") for index, report in enumerate(reports, 1))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>"
        f"<h1>{escape(title)} {verdict(conforms)}</h1>{body}</main><script>{SCRIPT}</script></body></html>\n"
    )


def verdict(conforms: bool) -> str:
    return f'<span class="verdict {"pass" if conforms else "fail"}" id="verdict">{"conforms" if conforms else "does not conform"}</span>'


def api_section(report: Report, anchor: str) -> str:
    parts = [
        f'<section class="api" data-api="{escape(report.api)}">',
        f"<h2>{escape(report.api)} {verdict(report.conforms)}</h2>",
        f'<p class="meta">{escape(report.base_url)} · {report.duration:.1f} s · '
        f'<span class="failure-count">{len(report.failures)}</span> failures · '
        f'<span class="warning-count">{len(report.warnings)}</span> warnings'
        f'{" · --strict" if report.strict else ""}</p>',
        summary_table(report),
    ]
    if report.coverage_shortfall:
        parts.append(f'<p class="shortfall"><span class="verdict fail">{escape(report.coverage_shortfall)}</span></p>')
    parts.append(f"<h2>Failures ({len(report.failures)})</h2>")
    parts.append(finding_index(report.failures, f"{anchor}-failure"))
    parts.append("".join(finding_block(f, i, "failure", anchor) for i, f in enumerate(report.failures, 1)) or "<p>None.</p>")
    parts.append(f"<h2>Warnings: assumptions ({len(report.warnings)})</h2>")
    if report.warnings:
        parts.append("<p class=\"meta\">The document does not state these; the contract assumes them. "
                     "They do not fail the run (<code>--strict</code> makes them fail).</p>")
    parts.append("".join(finding_block(f, i, "warning", anchor) for i, f in enumerate(report.warnings, 1)) or "<p>None.</p>")
    if report.errors:
        parts.append("<h2>Errors running the checks</h2>")
        parts.append("".join(f"<pre class=\"error\">{escape(error)}</pre>" for error in report.errors))
    parts.append(coverage_map(report.coverage))
    parts.append(checks_table(report))
    parts.append(timings_table(report))
    parts.append("</section>")
    return "".join(parts)


def summary_table(report: Report) -> str:
    headline, _ = report.coverage.headline()
    rows = []
    for kind in KINDS:
        figure = report.coverage.figure(kind)
        if not figure.total and kind != headline:
            continue
        percent = figure.percent or 0.0
        rows.append(
            f'<tr class="figure{" headline" if kind == headline else ""}" data-kind="{kind}">'
            f"<td>{escape(LABELS[kind])}{' (headline)' if kind == headline else ''}</td>"
            f'<td class="num covered">{figure.covered}</td><td class="num total">{figure.total}</td>'
            f'<td class="num percent">{percent_text(figure.percent)}</td>'
            f'<td><span class="bar"><span style="width:{percent:.0f}%"></span></span></td></tr>'
        )
    floor = f" (--min-coverage {report.min_coverage:g}%)" if report.min_coverage is not None else ""
    return (
        f"<h3>Coverage{escape(floor)}</h3><table class=\"summary\"><tr><th>what</th><th>seen</th><th>documented</th>"
        f"<th>%</th><th></th></tr>{''.join(rows)}</table>"
    )


def finding_block(finding: Finding, number: int, kind: str, anchor: str) -> str:
    label = "WebSocket transcript" if finding.transport == "websocket" else "Reproduce"
    rows = [
        f'<div class="finding {kind}" id="{anchor}-{kind}-{number}" data-check="{escape(finding.check)}">',
        f"<h3>{'W' if kind == 'warning' else ''}{number}. [{escape(finding.check)}] {escape(finding.operation)}: "
        f"{escape(finding.title)}</h3>",
        f'<p class="meta">{escape(finding.transport)} · phase {escape(finding.phase)}</p>',
    ]
    if finding.assumption:
        rows.append(f"<p><b>Assumed:</b> {escape(finding.assumption)}</p>")
    for name, text in (("Expected", finding.expected), ("Actual", finding.actual)):
        if "\n" in text.strip():
            rows.append(f"<p><b>{name}:</b></p><pre>{escape(text)}</pre>")
        elif text:
            rows.append(f"<p><b>{name}:</b> <code>{escape(text)}</code></p>")
    if finding.reproduce:
        rows.append(
            f'<div class="reproduce"><b>{label}:</b><button class="copy" type="button">copy</button>'
            f"<pre>{escape(finding.reproduce)}</pre></div>"
        )
    rows.append("</div>")
    return "".join(rows)


def finding_index(findings: list[Finding], anchor: str) -> str:
    """A short list linking to each finding, when there are several."""
    if len(findings) < 2:
        return ""
    items = "".join(
        f'<li><a href="#{anchor}-{number}">[{escape(f.check)}] {escape(f.operation)}: {escape(f.title)}</a></li>'
        for number, f in enumerate(findings, 1)
    )
    return f"<ol class=\"index\">{items}</ol>"


def chips(items: dict[str, int]) -> str:
    return "".join(
        f'<span class="chip {"hit" if hits else "miss"}" title="{hits} times">{escape(name)}'
        f"{f' ×{hits}' if hits else ''}</span>"
        for name, hits in items.items()
    )


def coverage_map(coverage: Coverage) -> str:
    parts = ['<h2>Coverage map</h2><label class="filter"><input type="checkbox" class="only-missed"> only rows with something not seen</label>']
    operations = {**coverage.groups("status")}
    for kind in ("parameter", "property"):
        for group in coverage.groups(kind):
            operations.setdefault(group, {})
    if operations:
        statuses, parameters, properties = (coverage.groups(kind) for kind in ("status", "parameter", "property"))
        rows = []
        for group in operations:
            timing = coverage.timings.get(group)
            requests = timing.requests if timing else 0
            rows.append(
                f'<tr class="group" data-group="{escape(group)}"><td><code>{escape(group)}</code></td>'
                f"<td class=\"statuses\">{chips(statuses.get(group, {}))}</td>"
                f"<td>{chips(parameters.get(group, {}))}</td><td>{chips(properties.get(group, {}))}</td>"
                f'<td class="num">{requests}</td></tr>'
            )
        parts.append(
            "<h3>HTTP operations</h3><table class=\"map operations\"><tr><th>operation</th><th>statuses</th>"
            f"<th>parameters</th><th>body properties</th><th>requests</th></tr>{''.join(rows)}</table>"
        )
    for kind, heading, column in (
        ("message", "WebSocket messages", "channel"),
        ("field", "GraphQL fields", "type"),
        ("check", "Named checks", "transport"),
    ):
        groups = coverage.groups(kind)
        if groups:
            rows = "".join(
                f'<tr class="group" data-group="{escape(group)}"><td><code>{escape(group)}</code></td><td>{chips(items)}</td></tr>'
                for group, items in groups.items()
            )
            parts.append(f"<h3>{heading}</h3><table class=\"map {kind}\"><tr><th>{column}</th><th>{escape(LABELS[kind])}</th></tr>{rows}</table>")
    return "".join(parts)


def checks_table(report: Report) -> str:
    if not report.tallies:
        return ""
    rows = "".join(
        f'<tr class="{"failed" if tally.failed - tally.assumed > 0 else "passed"}"><td><code>{escape(operation)}</code></td>'
        f"<td>{escape(check)}</td><td class=\"num\">{tally.passed}</td><td class=\"num\">{tally.failed}</td>"
        f"<td class=\"num\">{tally.assumed}</td></tr>"
        for (operation, check), tally in sorted(report.tallies.items())
    )
    return (
        "<h2>Checks per operation</h2><table class=\"checks\"><tr><th>operation</th><th>check</th><th>passed</th>"
        f"<th>failed</th><th>of which assumed</th></tr>{rows}</table>"
    )


def timings_table(report: Report) -> str:
    phases = "".join(
        f"<tr><td>{escape(phase)}</td><td class=\"num\">{seconds:.2f}</td><td>{escape(report.phases.get(phase, ''))}</td></tr>"
        for phase, seconds in report.timings.items()
    )
    operations = "".join(
        f"<tr><td><code>{escape(group)}</code></td><td class=\"num\">{timing.requests}</td>"
        f"<td class=\"num\">{timing.to_dict()['mean_ms']}</td><td class=\"num\">{timing.to_dict()['slowest_ms']}</td></tr>"
        for group, timing in sorted(report.coverage.timings.items(), key=lambda item: -item[1].slowest)
    )
    parts = [f"<h2>Timings</h2><p class=\"meta\">whole run {report.duration:.2f} s</p>"]
    if phases:
        parts.append(f"<table class=\"timings phases\"><tr><th>phase</th><th>seconds</th><th>outcome</th></tr>{phases}</table>")
    if operations:
        parts.append(
            "<table class=\"timings operations\"><tr><th>operation (slowest first)</th><th>requests</th><th>mean ms</th>"
            f"<th>slowest ms</th></tr>{operations}</table>"
        )
    return "".join(parts)
