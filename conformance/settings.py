"""Everything one `apitwin check` run is told, from flags, a config file and the environment.

Precedence: command-line flags, then APITWIN_* environment variables (credentials), then
`apitwin.toml` (or `[tool.apitwin]` in pyproject.toml) found in the working directory or
given with `--config`, then defaults. The config file uses the flags' names with `_` or `-`:

    [check]                # or the top level of apitwin.toml / [tool.apitwin]
    base_url = "https://staging.example.com/v2"
    max_examples = 20
    phases = ["examples", "fuzz"]
    exclude_checks = ["rate_limit_headers"]
    report = ["junit:reports/apitwin.xml"]
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from conformance.auth import Credentials

PHASES = ("examples", "fuzz", "stateful", "behaviour", "websocket", "graphql")
#: the two halves of `fuzz`, selectable on their own: Schemathesis' boundary-value `coverage`
#: phase and its random `fuzzing` phase (a narrower, faster run when one of them is enough)
FUZZ_PARTS = ("coverage", "fuzzing")
DEFAULT_MAX_EXAMPLES = 10
REPORT_KINDS = ("junit", "json", "html")
ENVIRONMENT = {
    "username": "APITWIN_USERNAME",
    "password": "APITWIN_PASSWORD",
    "client_id": "APITWIN_CLIENT_ID",
    "client_secret": "APITWIN_CLIENT_SECRET",
    "token": "APITWIN_TOKEN",
    "api_key": "APITWIN_API_KEY",
    "basic": "APITWIN_BASIC",
}


class SettingsError(Exception):
    """A usage mistake: exit code 2 with this one line."""


@dataclass
class CheckSettings:
    target: str
    base_url: str | None = None
    asyncapi: str | None = None
    ws_url: str | None = None
    username: str | None = None
    password: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    token: str | None = None
    api_key: str | None = None
    basic: str | None = None  # USER:PASS
    headers: list[str] = field(default_factory=list)  # 'Name: value'
    destructive: bool = False
    min_reach: float | None = None  # percent
    max_examples: int = DEFAULT_MAX_EXAMPLES
    seed: int | None = None
    workers: int = 1
    checks: list[str] = field(default_factory=list)
    exclude_checks: list[str] = field(default_factory=list)
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    phases: list[str] = field(default_factory=lambda: list(PHASES))
    reports: list[str] = field(default_factory=list)
    time_budget: float | None = None
    #: a bound on case generation that, unlike `time_budget`, is not filled: a run the target's
    #: declared rate limits size ends here at the latest, and sooner when its cases run out
    time_cap: float | None = None
    request_timeout: float = 10.0
    max_response_size: int | str = 10 * 1024 * 1024
    rate_limit: str | None = None
    deadline: float | None = None
    quiet: bool = False
    #: findings that rest only on an assumption fail the run too
    strict: bool = False
    #: fail the run when the headline coverage percentage is below this
    min_coverage: float | None = None
    #: run the checks that spend the target's shared quota (rate_limit_enforced)
    spend_quota: bool = False

    @property
    def credentials(self) -> Credentials:
        return Credentials(
            username=self.username,
            password=self.password,
            client_id=self.client_id,
            client_secret=self.client_secret,
            token=self.token,
            api_key=self.api_key,
            basic=self.basic,
            headers=tuple(self.headers),
        )

    @property
    def generation_limit(self) -> float | None:
        """Seconds case generation may last: the budget to fill, or the cap not to pass."""
        return self.time_budget or self.time_cap

    def report_files(self) -> list[tuple[str, Path]]:
        parsed = []
        for spec in self.reports:
            kind, _, path = spec.partition(":")
            if kind not in REPORT_KINDS or not path:
                raise SettingsError(f"--report {spec!r}: expected junit:FILE, json:FILE or html:FILE")
            parsed.append((kind, Path(path)))
        return parsed

    def validate(self, known_checks: list[str]) -> None:
        unknown_phases = [phase for phase in self.phases if phase not in PHASES + FUZZ_PARTS]
        if unknown_phases:
            raise SettingsError(
                f"unknown phase {unknown_phases[0]!r}; phases are: {', '.join(PHASES)} (fuzz = {' + '.join(FUZZ_PARTS)})"
            )
        for name in (*self.checks, *self.exclude_checks):
            if name not in known_checks:
                raise SettingsError(f"unknown check {name!r}; see `apitwin check --list-checks`")
        if self.max_examples < 1:
            raise SettingsError("--max-examples must be at least 1")
        if self.workers < 1:
            raise SettingsError("--workers must be at least 1")
        if self.basic is not None and ":" not in self.basic:
            raise SettingsError("--basic: expected USER:PASS")
        for line in self.headers:
            name, colon, _ = line.partition(":")
            if not colon or not name.strip() or any(char.isspace() for char in name.strip()):
                raise SettingsError(f"--header {line!r}: expected 'Name: value'")
        if self.min_reach is not None and not 0 <= self.min_reach <= 100:
            raise SettingsError("--min-reach must be a percentage between 0 and 100")
        if self.time_budget is not None and self.time_budget <= 0:
            raise SettingsError("--time-budget must be positive")
        if self.min_coverage is not None and not (
            isinstance(self.min_coverage, (int, float)) and not isinstance(self.min_coverage, bool) and 0 <= self.min_coverage <= 100
        ):
            raise SettingsError(f"--min-coverage must be a percentage from 0 to 100, not {self.min_coverage!r}")
        check_bounds(self)
        self.report_files()

    def enabled_checks(self, known_checks: list[str]) -> set[str]:
        chosen = set(self.checks) if self.checks else set(known_checks)
        return chosen - set(self.exclude_checks)


def check_bounds(settings: CheckSettings) -> None:
    """The transport's bounds (see conformance.http.transport): positive, and sizes in bytes."""
    from conformance.http.pacing import RateLimitError, parse_rate

    if settings.request_timeout <= 0:
        raise SettingsError("--request-timeout must be positive")
    if settings.deadline is not None and settings.deadline <= 0:
        raise SettingsError("--deadline must be positive")
    settings.max_response_size = parse_size(settings.max_response_size)
    if settings.rate_limit:
        try:
            parse_rate(settings.rate_limit)
        except RateLimitError as exc:
            raise SettingsError(str(exc)) from None


SIZE_UNITS = {"": 1, "b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2, "gb": 1000**3, "gib": 1024**3}


def parse_size(value: int | str) -> int:
    """`10485760`, `10MiB`, `512 KiB`, `2mb` -> bytes."""
    import re

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(value))
    unit = match.group(2).lower() if match else ""
    if not match or unit not in SIZE_UNITS or float(match.group(1)) * SIZE_UNITS[unit] < 1:
        raise SettingsError(f"--max-response-size {value!r}: expected a size such as 10MiB, 512KiB or a number of bytes")
    return int(float(match.group(1)) * SIZE_UNITS[unit])


def find_config_file(explicit: str | None, directory: Path) -> tuple[Path, dict] | None:
    """The config table: `--config FILE`, else ./apitwin.toml, else [tool.apitwin] in ./pyproject.toml.

    In apitwin.toml the settings sit at the top level or under [check]; in pyproject.toml under
    [tool.apitwin] or [tool.apitwin.check].
    """
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise SettingsError(f"config file not found: {path}")
        candidates = [path]
    else:
        candidates = [directory / "apitwin.toml", directory / "pyproject.toml"]
    for path in candidates:
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: {exc}") from None
        if path.name == "pyproject.toml":
            data = (data.get("tool") or {}).get("apitwin")
            if data is None:
                continue
        table = data.get("check", data)
        if not isinstance(table, dict):
            raise SettingsError(f"{path}: [check] must be a table")
        return path, dict(table)
    return None


def from_sources(flags: dict[str, Any], config: dict | None, environ: dict[str, str] | None = None) -> CheckSettings:
    """Merge flags over environment over config file; `None` flags mean 'not given'."""
    environ = os.environ if environ is None else environ
    known = {item.name for item in fields(CheckSettings)}
    merged: dict[str, Any] = {}
    for key, value in (config or {}).items():
        name = key.replace("-", "_")
        if name == "report":
            name = "reports"
        if name not in known or name in ("target", "time_cap"):  # time_cap: set by pacing, never by hand
            raise SettingsError(f"config file: unknown setting {key!r}")
        merged[name] = value
    for name, variable in ENVIRONMENT.items():
        if environ.get(variable):
            merged[name] = environ[variable]
    for name, value in flags.items():
        if value is not None and name in known:
            merged[name] = value
    for name in ("checks", "exclude_checks", "include", "exclude", "phases", "reports"):
        value = merged.get(name)
        if isinstance(value, str):
            merged[name] = [part.strip() for part in value.split(",") if part.strip()]
        elif isinstance(value, list):
            merged[name] = [part.strip() for item in value for part in str(item).split(",") if part.strip()]
    if isinstance(merged.get("headers"), str):  # a header value may hold commas: never split
        merged["headers"] = [merged["headers"]]
    try:
        return CheckSettings(**merged)
    except TypeError as exc:
        raise SettingsError(f"bad settings: {exc}") from None
