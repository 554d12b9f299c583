"""The `apitwin` command: one entry point, one subcommand per job.

Each subcommand lives in the module that owns its behaviour; this file only wires them
together, so `apitwin --help` stays fast (modules are imported only when their subcommand runs).
Every subcommand module exposes `add_arguments(parser)` and `run(args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

#: subcommand -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "mock": ("mock_server.serve", "serve contracts as a living mock API"),
    "check": ("conformance.command", "check a real implementation against its contract"),
    "lint": ("conformance.lint.command", "validate contracts (OpenAPI, AsyncAPI, GraphQL)"),
    "list": ("mock_server.contracts.bundle", "list the bundled APIs"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="apitwin",
        description="Contract-first mock server and conformance suite.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(_module=module_name)
        # Arguments are added lazily below, only for the subcommand actually chosen.
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    chosen = next((a for a in argv if not a.startswith("-")), None)
    if chosen in SUBCOMMANDS:
        module = importlib.import_module(SUBCOMMANDS[chosen][0])
        sub = parser._subparsers._group_actions[0].choices[chosen]  # type: ignore[union-attr]
        module.add_arguments(sub)
    args = parser.parse_args(argv)
    module = importlib.import_module(args._module)
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return 130
