"""The APIs a command is pointed at: the bundled ones under specs/<name>/, or any contract on disk.

Every command takes the same kind of target (`directory`, `specs/directory`,
`./my/openapi.yaml`), so they all resolve it here. This module is also `apitwin list`.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mock_server.contracts.loader import ContractError, document_head, load_document

__all__ = [
    "SPECS_DIR", "Api", "bundled_apis", "resolve_target", "contract_kind",
    "add_arguments", "run", "CONTRACT_FILES",
]


def _default_specs_dir() -> Path:
    override = os.environ.get("APITWIN_SPECS")
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parents[2] / "specs"


#: where the bundled APIs live: <repo>/specs, or $APITWIN_SPECS
SPECS_DIR: Path = _default_specs_dir()

#: the file names a contract directory may hold, by kind, in order of preference
CONTRACT_FILES: dict[str, tuple[str, ...]] = {
    "openapi": ("openapi.yaml", "openapi.yml", "openapi.json"),
    "asyncapi": ("asyncapi.yaml", "asyncapi.yml", "asyncapi.json"),
    "graphql": ("schema.graphql", "schema.graphqls", "schema.gql"),
}
_GRAPHQL_SUFFIXES = frozenset({".graphql", ".graphqls", ".gql"})


@dataclass(frozen=True)
class Api:
    """One API and its contracts. Title, version, seed document and port come from the
    contracts themselves (`info`, `x-apitwin.source`, `x-apitwin.port`)."""

    name: str
    directory: Path
    openapi: Path | None
    asyncapi: Path | None
    graphql: Path | None
    title: str
    version: str
    source: str | None
    port: int | None
    #: why the metadata could not be read (the contract is broken; `apitwin lint` says where)
    problem: str | None = None

    @property
    def contracts(self) -> dict[str, Path]:
        """The contract files this API has, by kind."""
        found = {"openapi": self.openapi, "asyncapi": self.asyncapi, "graphql": self.graphql}
        return {kind: path for kind, path in found.items() if path is not None}


def contract_kind(path: Path) -> str:
    """'openapi', 'asyncapi' or 'graphql' for one contract file (by name, then by content)."""
    if path.suffix.lower() in _GRAPHQL_SUFFIXES:
        return "graphql"
    for kind, names in CONTRACT_FILES.items():
        if path.name in names:
            return kind
    document = document_head(path)
    for kind in ("openapi", "asyncapi"):
        if kind in document:
            return kind
    if "swagger" in document:
        return "openapi"  # so lint can say which versions it supports
    raise ContractError(path, "not a contract: no 'openapi' or 'asyncapi' field at the root", line=1, column=1)


def _api_from_files(name: str, directory: Path, files: dict[str, Path]) -> Api:
    title, version, source, port, problem = name, "", None, None, None
    for kind in ("openapi", "asyncapi"):  # the first readable one describes the API
        if kind not in files:
            continue
        try:
            document = document_head(files[kind])
        except ContractError as error:
            problem = problem or str(error)
            continue
        info = document.get("info") if isinstance(document.get("info"), dict) else {}
        extension = document.get("x-apitwin") if isinstance(document.get("x-apitwin"), dict) else {}
        title = str(info.get("title") or name)
        version = str(info.get("version") or "")
        source = extension.get("source")
        port = extension.get("port")
        source = str(source) if source is not None else None
        port = port if isinstance(port, int) and not isinstance(port, bool) else None
        problem = None
        break
    return Api(
        name=name, directory=directory,
        openapi=files.get("openapi"), asyncapi=files.get("asyncapi"), graphql=files.get("graphql"),
        title=title, version=version, source=source, port=port, problem=problem,
    )


def _contract_files(directory: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for kind, names in CONTRACT_FILES.items():
        for file_name in names:
            if (directory / file_name).is_file():
                files[kind] = directory / file_name
                break
    return files


def api_from_directory(directory: Path, name: str | None = None) -> Api:
    directory = Path(directory).resolve()
    files = _contract_files(directory)
    if not files:
        expected = ", ".join(names[0] for names in CONTRACT_FILES.values())
        raise ContractError(directory, f"no contract in this directory (looked for {expected})")
    return _api_from_files(name or directory.resolve().name, directory, files)


def api_from_file(path: Path) -> Api:
    path = Path(path).resolve()
    kind = contract_kind(path)
    name = path.parent.resolve().name if path.stem in ("openapi", "asyncapi", "schema") else path.stem
    return _api_from_files(name, path.parent, {kind: path})


def bundled_apis(specs_dir: Path | None = None) -> list[Api]:
    """The bundled APIs, by name. A directory under specs/ without a contract is skipped."""
    root = SPECS_DIR if specs_dir is None else Path(specs_dir)
    if not root.is_dir():
        return []
    apis = []
    for directory in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        files = _contract_files(directory)
        if files:
            apis.append(_api_from_files(directory.name, directory, files))
    return apis


def resolve_target(target: str, specs_dir: Path | None = None) -> Api:
    """A bundled API name, a contract file, or a directory of contracts, as an `Api`.

    A bare name is a bundled API first (`./name` means the local directory)."""
    root = SPECS_DIR if specs_dir is None else Path(specs_dir)
    is_bare_name = "/" not in target and os.sep not in target and target not in (".", "..")
    if is_bare_name and _contract_files(root / target):
        return api_from_directory(root / target, target)
    path = Path(target).expanduser()
    if path.is_dir():
        return api_from_directory(path)
    if path.is_file():
        return api_from_file(path)
    names = ", ".join(api.name for api in bundled_apis(root)) or f"none (no contracts under {root})"
    raise ContractError(
        target, f"no bundled API, contract file or directory by this name; bundled APIs: {names}"
    )


# --- `apitwin list` ------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the APIs as a JSON list")


def _as_json(api: Api) -> dict[str, Any]:
    record = asdict(api)
    for key in ("directory", "openapi", "asyncapi", "graphql"):
        record[key] = None if record[key] is None else str(record[key])
    record["contracts"] = sorted(api.contracts)
    return record


def run(args: argparse.Namespace) -> int:
    apis = bundled_apis()
    if args.json:
        print(json.dumps([_as_json(api) for api in apis], indent=2))
        return 0
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    if not apis:
        console.print(f"no bundled APIs under {SPECS_DIR}")
        return 0
    table = Table(title="bundled APIs", title_justify="left")
    for column in ("name", "title", "version", "contracts", "seed document", "port"):
        table.add_column(column, no_wrap=column in ("name", "port"), overflow="fold")
    for api in apis:
        title = escape(api.title)
        if api.problem is not None:
            title += f" [red](unreadable: see apitwin lint {escape(api.name)})[/]"
        table.add_row(
            escape(api.name), title, escape(api.version), ", ".join(api.contracts),
            escape(api.source or ""), "" if api.port is None else str(api.port),
        )
    console.print(table)
    return 0
