"""The official AsyncAPI JSON Schemas, as installed from npm's `@asyncapi/specs`.

Nothing is fetched at run time: `make install` runs `npm ci --prefix conformance/lint`, which
puts the package in conformance/lint/node_modules. `APITWIN_ASYNCAPI_SPECS` may name another
copy of the package (its directory, the one holding `schemas/`); then only that one is used.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

PACKAGE = "@asyncapi/specs"
INSTALL_HINT = "run `make install` (it runs `npm ci --prefix conformance/lint`)"


class SchemasMissing(Exception):
    """The official schemas are not installed; lint cannot check AsyncAPI documents."""


def package_directories() -> list[Path]:
    """Where the package is looked for, in order (only the override, when it is set)."""
    override = os.environ.get("APITWIN_ASYNCAPI_SPECS")
    if override:
        return [Path(override).expanduser()]
    here = Path(__file__).resolve().parent
    candidates = [here / "node_modules" / PACKAGE]
    candidates.append(here.parents[1] / "node_modules" / PACKAGE)  # a package.json at the repo root
    return candidates


def schemas_directory() -> Path:
    for directory in package_directories():
        if (directory / "schemas").is_dir():
            return directory / "schemas"
    looked = ", ".join(str(path) for path in package_directories())
    raise SchemasMissing(
        f"the official AsyncAPI JSON Schema ({PACKAGE}) is not installed; {INSTALL_HINT} "
        f"(looked in {looked})"
    )


def supported_versions() -> list[str]:
    """The AsyncAPI versions the installed package has a schema for, oldest first."""
    directory = schemas_directory()
    versions = [
        path.stem for path in directory.glob("*.json")
        if path.stem[:1].isdigit() and "without" not in path.stem and "-rc" not in path.stem
    ]
    return sorted(versions, key=lambda v: tuple(int(p) if p.isdigit() else 0 for p in v.split(".")))


def schema_for(version: str) -> dict[str, Any] | None:
    """The JSON Schema of one AsyncAPI version, None when the package has none for it."""
    return _load(str(schemas_directory()), version)


@lru_cache(maxsize=8)
def _load(directory: str, version: str) -> dict[str, Any] | None:
    path = Path(directory) / f"{version}.json"
    if not path.is_file() or "/" in version or "\\" in version:
        return None
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)
