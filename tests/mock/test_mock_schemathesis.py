"""The mock conforms to its own contracts: Schemathesis against every bundled API.

Each operation's examples plus a few generated requests, with a valid token; the checks are
the ones that say "this server implements this contract": no 5xx, documented status codes,
content types and headers, and bodies valid against their schemas.
"""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis.engine import events, from_schema

from mock_server.contracts.bundle import resolve_target
from tests.mock.mockutil import BASE, login

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]
OTHER_CHECKS = [
    "negative_data_rejection", "positive_data_acceptance", "missing_required_header", "unsupported_method",
    "allow_header_conformance", "ignored_auth", "use_after_free", "ensure_resource_availability",
]


def failures_against(api: str, base_url: str, token: str) -> list[str]:
    config = schemathesis.Config.from_dict(
        {
            "workers": 1,
            "seed": 1,
            "generation": {"max-examples": 3, "deterministic": True},
            "phases": {phase: {"enabled": phase in ("examples", "fuzzing")} for phase in ("examples", "coverage", "fuzzing", "stateful")},
            "checks": {name: {"enabled": name in CHECKS} for name in CHECKS + OTHER_CHECKS},
            "auth": {"auto-signup": False},
            "headers": {"Authorization": f"Bearer {token}"},
            "suppress-health-check": ["all"],
        }
    )
    schema = schemathesis.openapi.from_path(str(resolve_target(api).openapi), config=config)
    schema.config.update(base_url=base_url)
    found: list[str] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for nodes in event.recorder.checks.values():
                for node in nodes:
                    info = node.failure_info
                    if info is not None and info.failure is not None:
                        curl = info.steps[0].curl[:300] if info.steps else ""
                        found.append(f"{event.recorder.label}: {node.name}: {info.failure.title}: {info.failure.message[:300]}\n  {curl}")
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            found.append(f"error: {getattr(event, 'label', '')} {getattr(event, 'info', getattr(event, 'exception', ''))}")
    return found


@pytest.mark.parametrize("api", ["accounts", "directory", "messaging", "enterprise", "realtime"])
def test_mock_conforms_to_its_contract(mock_server, api):
    server = mock_server(api)
    failures = failures_against(api, server.url + BASE[api], login(server, api))
    assert not failures, "\n".join(sorted(set(failures)))
