"""The lint fixtures and what each one says it should produce.

A broken fixture marks every line that must be reported with a comment
`# expect: RULE: MESSAGE-FRAGMENT`, so the expectation sits next to the fault it describes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
BROKEN = HERE / "broken"
CLEAN = HERE / "clean"
_MARKER = re.compile(r"#\s*expect:\s*(?P<rule>[a-z0-9-]+):\s*(?P<fragment>.+?)\s*$")


@dataclass(frozen=True)
class Expected:
    line: int
    rule: str
    fragment: str


def contract_files(directory: Path) -> list[Path]:
    """The contract files directly in a fixture directory (not the files they refer to)."""
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in (".yaml", ".json", ".graphql"))


def expectations(path: Path) -> list[Expected]:
    found = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _MARKER.search(text)
        if match:
            found.append(Expected(number, match["rule"], match["fragment"]))
    return found
