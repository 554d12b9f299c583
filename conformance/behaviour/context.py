"""What every behaviour probe shares: the target, the credentials, a capped HTTP client, and a
trail of the requests sent, so a finding carries the curl commands that reproduce it.

A probe raises `Violation` (what was expected, what came back) to fail its check, or
`Inapplicable` when the contract or the target gives it nothing to test; anything else it
returns from is a pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests

from conformance.assumptions import marked
from conformance.auth import AuthSession
from conformance.contract import Contract, Operation
from conformance.http import transport as http_transport
from conformance.http.checks import as_curl
from conformance.registry import Violation
from conformance.results import Finding, Report
from conformance.settings import CheckSettings
from conformance.target import Target

#: the most of an answer a probe reads (bodies beyond are cut, and then do not parse)
MAX_BODY = 4 * 1024 * 1024
#: a finding's reproduction keeps the last this many requests
TRAIL = 12


class Inapplicable(Exception):
    """Nothing to test here (no declaration, no data, a setup request refused)."""


@dataclass
class Answer:
    """One answer, read within the size cap."""

    status: int
    headers: dict[str, str]
    body: bytes
    curl: str

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers.items() if key.lower() == name.lower()), None)

    @property
    def content(self) -> bytes:
        """As `requests` names it, so the HTTP checks' page reader reads an `Answer` too."""
        return self.body

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def brief(self) -> str:
        text = self.body[:300].decode("utf-8", "replace")
        return f"{self.status} {text}"


@dataclass
class BehaviourRun:
    target: Target
    settings: CheckSettings
    enabled: set[str]
    session: AuthSession
    report: Report
    trail: list[str] = field(default_factory=list)
    #: records the run made and has not deleted yet: (collection, path values, id)
    created: list[tuple[Any, dict[str, str], Any]] = field(default_factory=list)
    #: why a check asked for by name could not be performed (shown with the phase's verdict)
    untested: dict[str, str] = field(default_factory=dict)

    @property
    def contract(self) -> Contract:
        return self.target.contract

    @property
    def timeout(self) -> float:
        return self.settings.request_timeout

    # ---- requests ------------------------------------------------------------------------
    def send(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        form: bool = False,
        query: dict[str, Any] | None = None,
        credentials: dict[str, str] | None = None,
        authenticated: bool = True,
        paced: bool = True,
    ) -> Answer:
        """One request to `path` (relative to the base URL). Credentials: the run's own session
        unless given (`credentials`) or switched off. `paced=False` leaves the run's pacing out
        (its timeout and size cap stay): a probe of the rate limit itself must reach it."""
        url = self.target.base_url + path
        params = dict(self.session.query()) if authenticated and credentials is None else {}
        params.update({key: str(value) for key, value in (query or {}).items()})
        if params:
            url += "?" + urlencode(params)
        headers = dict(credentials if credentials is not None else (self.session.headers() if authenticated else {}))
        kwargs: dict[str, Any] = {}
        if body is not None:
            kwargs = {"data": body} if form else {"json": body}
        try:
            send = http_transport.request if paced else requests.request
            response = send(method.upper(), url, headers=headers, timeout=self.timeout, stream=True, **kwargs)
        except requests.RequestException as exc:
            raise Inapplicable(f"{method.upper()} {url}: {exc}") from None
        try:
            chunks, size = [], 0
            for chunk in response.iter_content(65536):
                chunks.append(chunk)
                size += len(chunk)
                if size >= MAX_BODY:
                    break
        except requests.RequestException as exc:
            raise Inapplicable(f"{method.upper()} {url}: {exc}") from None
        finally:
            response.close()
        answer = Answer(response.status_code, dict(response.headers), b"".join(chunks), as_curl(response.request))
        self.trail.append(f"{answer.curl}\n# -> {answer.status}")
        del self.trail[:-TRAIL]
        return answer

    # ---- verdicts ------------------------------------------------------------------------
    def perform(
        self, check: str, operation: Operation, probe: Callable[[], None], assumption: str = "", declarations: tuple[str, ...] = ()
    ) -> None:
        """Run one probe of `check` if enabled, and record its outcome against `operation`. A
        finding rests on an assumption where the operation, or one of the `declarations` it rests
        on (`x-apitwin-sort`, ...), carries an `x-apitwin-assumed` note."""
        if check not in self.enabled:
            return
        self.trail = []
        try:
            probe()
        except (Inapplicable, requests.RequestException) as why:  # a request not sent or not answered tests nothing
            if check in self.settings.checks:
                self.untested[check] = str(why)
            return
        except Violation as violation:
            self.report.add_finding(
                Finding(
                    check=check,
                    operation=operation.label,
                    transport="http",
                    phase="behaviour",
                    title=violation.title,
                    expected=violation.expected,
                    actual=violation.actual,
                    reproduce="\n".join(self.trail),
                    assumption=getattr(violation, "assumption", "") or assumption or marked(self.contract, operation.label)
                    or declared_assumption(operation, declarations),
                )
            )
            return
        self.report.count(operation.label, check, passed=True)


def declared_assumption(operation: Operation, declarations: tuple[str, ...]) -> str:
    """The `x-apitwin-assumed` note inside one of the operation's declarations, if any."""
    for name in declarations:
        declared = operation.extension(name)
        if isinstance(declared, dict) and declared.get("x-apitwin-assumed"):
            return str(declared["x-apitwin-assumed"])
    return ""


def fail(title: str, expected: str, actual: str, assumption: str = "") -> Violation:
    """A violation; `assumption` says why it rests on our reading rather than the document."""
    violation = Violation(title, expected=expected, actual=actual)
    violation.assumption = assumption  # type: ignore[attr-defined]
    return violation
