"""`python -m bench` (`make bench`): every section, one after the other, in one run.

Sections: http (the mock vs Prism), ws (connections held, broadcast fan-out), check (apitwin
check vs a plain schemathesis run), scale (start-up and memory on vendor-sized contracts). Figures are printed, and written as JSON with --json; they
are never asserted: a benchmark reports, CI gates elsewhere.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from bench import check_section, http_section, report, scale_section, ws_section
from bench.system import machine, raise_open_files

SECTIONS = ("http", "ws", "check", "scale")
#: enough descriptors for 10,000 WebSocket connections plus slack; servers and clients inherit it
OPEN_FILES = 20_000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections to run, from {','.join(SECTIONS)} (default: all)")
    parser.add_argument("--seconds", type=int, default=10, help="seconds per measured HTTP load run (default 10)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every figure to FILE (e.g. reports/bench.json)")
    parser.add_argument("--connections", type=int, default=10_000, help="WebSocket connections to hold open at once (default 10000)")
    parser.add_argument("--subscribers", type=int, default=1_000, help="subscribers a Broadcast fans out to (default 1000)")
    parser.add_argument("--broadcasts", type=int, default=100, help="broadcasts timed one after the other (default 100)")
    parser.add_argument("--ws-clients", type=int, default=2, help="WebSocket client processes (default 2)")
    parser.add_argument("--scale-budget", type=float, default=300.0, help="seconds the scale section's apitwin check may generate for (default 300)")
    parser.add_argument("--ws-compression", choices=("deflate", "none"), default="deflate", help="whether clients offer permessage-deflate (default deflate, as browsers do)")
    args = parser.parse_args(argv)
    args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown or not args.sections:
        parser.error(f"--only: unknown section {unknown[0]!r}; sections are {','.join(SECTIONS)}" if unknown else "--only: no section")
    for name in ("seconds", "connections", "subscribers", "broadcasts", "ws_clients"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def runners(args: argparse.Namespace) -> dict[str, Callable[[], report.Section]]:
    return {
        "http": lambda: http_section.run(args.seconds),
        "ws": lambda: ws_section.run(args.connections, args.subscribers, args.broadcasts, args.ws_clients, args.ws_compression),
        "check": lambda: check_section.run(),
        "scale": lambda: scale_section.run(args.scale_budget),
    }


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # unwinds through every `with` that started a process


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    raise_open_files(OPEN_FILES)
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    about = machine()
    console.print(f"apitwin bench: {about['cpus']} CPUs, Python {about['python']}, load average {about['load_average_at_start']}")
    done: list[report.Section] = []
    try:
        for name in args.sections:
            section = runners(args)[name]()
            report.render(console, section)
            done.append(section)
    except KeyboardInterrupt:
        console.print("[bold]interrupted[/]: every process the benchmark started has been stopped")
        return 130
    finally:
        if args.json and done:
            report.write_json(args.json, about, done)
            console.print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
