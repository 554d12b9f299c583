"""One contract file as the lint rules see it: its kind, its parsed document, its version."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from mock_server.contracts.loader import ContractError, load_document

KINDS = ("openapi", "asyncapi", "graphql")


@dataclass
class Contract:
    """A contract file. `document` raises `ContractError` when the file cannot be parsed; the
    `parse` rule reports that, and later rules only run once it has passed."""

    path: Path
    kind: str  # one of KINDS

    @cached_property
    def document(self) -> dict[str, Any]:
        return load_document(self.path)

    @cached_property
    def text(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ContractError(self.path, "file not found") from None
        except (OSError, UnicodeDecodeError) as error:
            raise ContractError(self.path, f"cannot be read: {error}") from None

    @property
    def version(self) -> str | None:
        """The `openapi`/`asyncapi` field as written, when it is a string."""
        value = self.document.get(self.kind)
        return value if isinstance(value, str) else None

    @property
    def openapi_minor(self) -> str | None:
        """'3.0' or '3.1' for an OpenAPI document of a supported version, else None."""
        if self.kind != "openapi" or self.version is None:
            return None
        parts = self.version.split(".")
        if len(parts) == 3 and parts[0] == "3" and parts[1] in ("0", "1") and parts[2].isdigit():
            return f"3.{parts[1]}"
        return None


def kind_of(path: Path) -> str:
    """The kind of a contract file: by its name, then by its content. A file that cannot be
    read is still given a kind, so the `parse` rule can say what is wrong with it."""
    from mock_server.contracts.bundle import CONTRACT_FILES, contract_kind

    for kind, names in CONTRACT_FILES.items():
        if path.name in names:
            return kind
    try:
        return contract_kind(path)
    except ContractError:
        return "asyncapi" if "asyncapi" in path.name.lower() else "openapi"
