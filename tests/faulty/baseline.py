"""The baseline the suite must beat: a plain Schemathesis run (library, default checks).

Same contract, same faulty server, same operations, Schemathesis phases and example budget as
the apitwin run it is compared with, and the same static bearer token a user would pass with
`-H Authorization: ...`; everything else is Schemathesis' defaults (its checks above all). Schemathesis has no AsyncAPI support, so WebSocket faults are out of its reach.
"""

from __future__ import annotations

import schemathesis
from schemathesis.engine import events, from_schema

from conformance.http.runner import PHASE_MAP
from conformance.target import Target

#: one row per faulty server checked in this session (filled by the tests, printed at the end)
ROWS: list[dict] = []


def plain_schemathesis(
    target: Target, transport: str, include: tuple[str, ...], token: str | None, max_examples: int, phases: tuple[str, ...]
) -> set[str] | None:
    """Names of the checks that failed, or None where Schemathesis cannot test at all.

    `phases` are apitwin's phase names; GraphQL runs with Schemathesis' default phases."""
    if transport == "websocket":
        return None
    options: dict = {"seed": 1, "generation": {"max-examples": max_examples, "deterministic": True}, "cache": {"enabled": False}}
    if transport == "http":
        wanted = {phase for ours in phases for phase in PHASE_MAP.get(ours, ())}
        options["phases"] = {phase: {"enabled": phase in wanted} for phase in ("examples", "coverage", "fuzzing", "stateful")}
    config = schemathesis.Config.from_dict(options)
    if transport == "graphql":
        from conformance.graphql_phase import endpoint

        schema = schemathesis.graphql.from_path(str(target.contract.graphql_path), config=config)
        schema.config.update(base_url=endpoint(target))
    else:
        schema = schemathesis.openapi.from_path(str(target.contract.openapi_path), config=config)
        schema.config.update(base_url=target.base_url)
        if include:
            schema = schema.include(operation_id=list(include))
    if token:
        schema.config.update(headers={"Authorization": f"Bearer {token}"})
    failed: set[str] = set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for nodes in event.recorder.checks.values():
                failed.update(node.name for node in nodes if node.failure_info is not None)
    return failed


def table(rows: list[dict]) -> str:
    lines = [
        "| faulty server | fault | transport | check that must catch it | apitwin check | plain Schemathesis |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        ours = "caught" if row["caught"] else "MISSED"
        if row["baseline"] is None:
            theirs = "n/a (no AsyncAPI support)"
        else:
            relevant = sorted(row["baseline"])
            theirs = ("caught: " + ", ".join(relevant)) if relevant else "missed"
        lines.append(f"| {row['upstream']} | {row['fault']} | {row['transport']} | {row['check']} | {ours} | {theirs} |")
    caught_ours = sum(1 for row in rows if row["caught"])
    caught_theirs = sum(1 for row in rows if row["baseline"])
    lines.append("")
    lines.append(
        f"apitwin check caught {caught_ours}/{len(rows)} (by the named check); plain Schemathesis flagged "
        f"{caught_theirs}/{len(rows)} (any check failing on the faulty server but not on the same server without the fault)."
    )
    return "\n".join(lines)
