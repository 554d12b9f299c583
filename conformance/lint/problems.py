"""What a lint rule reports, and how a problem is printed."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Finding:
    """One thing a rule found wrong, placed by a JSON pointer or an explicit line.

    `file` is set when the problem sits in another file than the one linted (a `$ref`d file).
    """

    message: str
    pointer: str | None = None
    line: int | None = None
    column: int | None = None
    file: Path | None = None
    severity: str | None = None  # None: the rule's own


ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    """A finding placed in a file, attributed to the rule that found it."""

    path: Path
    line: int | None
    column: int | None
    rule: str
    message: str
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def format(self, relative_to: Path | None = None) -> str:
        """`path:line:col: [rule] message` (`[rule] warning: message` for a warning), the form
        editors and CI annotations read."""
        where = display_path(self.path, relative_to)
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        severity = "" if self.is_error else f"{self.severity}: "
        return f"{where}: [{self.rule}] {severity}{self.message}"


def display_path(path: Path, relative_to: Path | None = None) -> str:
    """A path as short as it can be while still leading to the file from `relative_to`."""
    base = Path.cwd() if relative_to is None else relative_to
    try:
        relative = os.path.relpath(path, base)
    except ValueError:  # another drive on Windows
        return str(path)
    return relative if not relative.startswith("..") else str(path)
