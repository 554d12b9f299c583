"""`apitwin check`: hold a running implementation to its contract; exit 0, 1 or 2 for CI.

    apitwin check accounts                       # the accounts mock on localhost:8000
    apitwin check enterprise --base-url https://staging.example.com/v2 --token $TOKEN
    apitwin check ./openapi.yaml --base-url http://localhost:8080 --phases examples,fuzz \\
        --report junit:reports/apitwin.xml

Exit codes: 0 the target conforms, 1 contract violations found (or less reach than
`--min-reach`), 2 usage error, target unreachable, or the suite's session lost and not
restored (one line on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from conformance.settings import PHASES, SettingsError, find_config_file, from_sources

EXIT_OK, EXIT_VIOLATIONS, EXIT_USAGE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", nargs="?", help="a bundled API name, an openapi.yaml, or a directory of contracts")
    parser.add_argument("--base-url", help="where the implementation answers (default: the bundled mock's address)")
    parser.add_argument("--asyncapi", help="AsyncAPI contract for the WebSocket phase (default: the API's own)")
    parser.add_argument("--ws-url", help="WebSocket origin, e.g. ws://host:port (default: from --base-url)")
    auth = parser.add_argument_group("credentials (also APITWIN_USERNAME, _PASSWORD, _CLIENT_ID, _CLIENT_SECRET, _TOKEN, _API_KEY, _BASIC)")
    auth.add_argument("--username")
    auth.add_argument("--password")
    auth.add_argument("--client-id")
    auth.add_argument("--client-secret")
    auth.add_argument("--token", help="a ready bearer token (skips logging in)")
    auth.add_argument("--api-key")
    auth.add_argument("--basic", metavar="USER:PASS", help="HTTP Basic credentials sent with every request")
    auth.add_argument(
        "--header", action="append", dest="headers", metavar="'NAME: VALUE'", help="a header sent with every request (repeatable)"
    )
    parser.add_argument(
        "--destructive", action="store_true", default=None,
        help="also change and delete data that existed before the run (default: only what the run creates)",
    )
    parser.add_argument("--min-reach", type=float, metavar="PCT", help="fail unless this share of requests reaches the operations' logic")
    parser.add_argument("--max-examples", type=int, help="examples generated per operation and phase (default 10)")
    parser.add_argument("--seed", type=int, help="make the run reproducible")
    parser.add_argument("--workers", type=int, help="operations tested in parallel (default 1)")
    parser.add_argument("--checks", help="only these checks, comma-separated (see --list-checks)")
    parser.add_argument("--exclude-checks", help="skip these checks, comma-separated")
    parser.add_argument("--include", action="append", help="only operations with this operationId, path or tag (repeatable, or comma-separated)")
    parser.add_argument("--exclude", action="append", help="skip operations with this operationId, path or tag")
    parser.add_argument(
        "--phases", help=f"comma-separated, from: {','.join(PHASES)} (default: all; fuzz = coverage + fuzzing, each also on its own)"
    )
    parser.add_argument(
        "--report", action="append", dest="reports", metavar="KIND:FILE",
        help="junit:FILE, json:FILE or html:FILE (a self-contained page for people; repeatable)",
    )
    parser.add_argument(
        "--min-coverage", type=float, metavar="PCT",
        help="fail (exit 1) when fewer than PCT%% of the documented operation×status pairs were observed",
    )
    parser.add_argument("--time-budget", type=float, metavar="SECONDS", help="stop generating new cases after this long")
    bounds = parser.add_argument_group("transport bounds and pacing")
    bounds.add_argument("--request-timeout", type=float, metavar="SECONDS", help="connect, read and total time for one answer (default 10)")
    bounds.add_argument("--max-response-size", metavar="SIZE", help="larger bodies are a finding and not read further (default 10MiB)")
    bounds.add_argument("--rate-limit", metavar="N/s|N/m", help="never send faster than this (the contract's declared limits apply too)")
    bounds.add_argument("--deadline", type=float, metavar="SECONDS", help="stop the whole run after this long (default 1800, or the time budget + 120)")
    parser.add_argument("--config", help="config file (default: ./apitwin.toml or [tool.apitwin] in ./pyproject.toml)")
    parser.add_argument(
        "--spend-quota", action="store_true", default=None,
        help="also run checks that spend the target's rate-limit quota (rate_limit_enforced; off by default)",
    )
    parser.add_argument("--list-checks", action="store_true", help="list every check and exit")
    parser.add_argument("--quiet", action="store_true", default=None, help="no live progress")
    parser.add_argument(
        "--strict", action="store_true", default=None,
        help="fail on findings that rest only on an assumption (undocumented 4xx answers, 405/Allow niceties, x-apitwin-assumed), not only warn",
    )


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=False, highlight=False)
    try:
        return _run(args, console)
    except SettingsError as exc:
        print(f"apitwin check: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _run(args: argparse.Namespace, console: Console) -> int:
    from conformance import registry as checks_registry

    registry = checks_registry.load_all()
    if args.list_checks:
        from conformance.console import print_checks

        print_checks(console, registry)
        return EXIT_OK
    flags = {key: value for key, value in vars(args).items() if not key.startswith("_")}
    flags["include"] = _split(args.include)
    flags["exclude"] = _split(args.exclude)
    config = find_config_file(args.config, Path.cwd())
    settings_table = config[1] if config else {}
    if not args.target and not settings_table.get("target"):
        raise SettingsError("name a bundled API or a contract file (e.g. `apitwin check accounts`)")
    flags["target"] = args.target or settings_table.pop("target")
    settings_table.pop("target", None)
    settings = from_sources(flags, settings_table)
    settings.validate(registry.names())
    return check(settings, console)


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def check(settings, console: Console) -> int:
    from conformance import reports
    from conformance.console import LiveProgress, print_report
    from conformance.suite import run_suite
    from conformance.target import Unreachable, probe, resolve

    target = resolve(settings)
    try:
        probe(target.base_url, timeout=min(settings.request_timeout, 5.0))
    except Unreachable as exc:
        print(f"apitwin check: {target.base_url} is unreachable: {exc}", file=sys.stderr)
        return EXIT_USAGE
    progress = LiveProgress(console, target.contract.name)
    if settings.quiet:
        report = run_suite(target, settings)
    else:
        with progress.running():
            report = run_suite(target, settings, progress)
    print_report(console, report)
    for kind, path in settings.report_files():
        reports.write(kind, [report], path)
        console.print(f"{kind} report written to {path}")
    if report.stopped:
        print(f"apitwin check: {target.base_url}: {report.stopped}", file=sys.stderr)
        return EXIT_USAGE
    if report.session_lost:
        print(f"apitwin check: {report.session_lost}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK if report.conforms else EXIT_VIOLATIONS
