"""Turn measurements into tables on the terminal and a JSON file.

A section hands back plain data (`Section`): tables of already formatted cells for people, and
the raw figures for the JSON file, so a CI job or a later comparison reads numbers, not text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table as RichTable


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Section:
    name: str
    title: str
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: what stopped part of the section from being measured, said plainly
    problems: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def render(console: Console, section: Section) -> None:
    console.rule(f"[bold]{section.title}")
    for table in section.tables:
        shown = RichTable(title=table.title, title_justify="left")
        for index, column in enumerate(table.columns):
            shown.add_column(column, justify="left" if index == 0 else "right")
        for row in table.rows:
            shown.add_row(*row)
        console.print(shown)
    for note in section.notes:
        console.print(f"  {note}")
    for problem in section.problems:
        console.print(f"  [bold red]not measured:[/] {problem}")


def write_json(path: Path, machine: dict[str, Any], sections: list[Section]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "machine": machine,
        "sections": {
            s.name: {"title": s.title, "figures": s.data, "notes": s.notes, "problems": s.problems} for s in sections
        },
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")


# -- cell formatting -------------------------------------------------------------------------

def ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def times(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}×"


def size(value: float | None) -> str:
    if value is None:
        return "-"
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(value) >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value:.0f} B"


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def verdict(met: bool | None) -> str:
    return "-" if met is None else "[green]yes[/]" if met else "[red]no[/]"
