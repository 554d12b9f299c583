"""A contract and the files its `$ref`s name, as one document, for tools that would read them.

Schemathesis follows a `$ref` into another file by reading that file with its own YAML 1.1
loader (`at: 18:00` becomes 1080 there), and follows a URL by fetching it. Handing it one
document avoids both: each file the contract refers to is read by our YAML 1.2 loader and put
under `x-apitwin-files` (a list) in the root, every `$ref` into a file is rewritten to point
there, and a remote `$ref` is pointed at a place that does not exist, so it fails as
unresolvable instead of being fetched. `$ref`s in data (examples, defaults, extensions) are left
as they are, exactly as `refs` reads them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

from mock_server.contracts.loader import ContractError, load_document
from mock_server.contracts.refs import is_data

__all__ = ["FILES_KEY", "inline_files"]

#: the root key the referenced files are copied under
FILES_KEY = "x-apitwin-files"
_NOWHERE = f"#/{FILES_KEY}/not-on-disk"


def inline_files(document: dict[str, Any], *, base: Path | str) -> dict[str, Any]:
    """`document` (changed in place and returned) with the files it refers to inside it."""
    inliner = _Inliner(document, Path(base).resolve())
    inliner.rewrite(document, None, ())
    while inliner.pending:
        index = inliner.pending.pop()
        inliner.rewrite(inliner.loaded[index], inliner.files_in_order[index], ())
    if inliner.loaded:
        document[FILES_KEY] = inliner.loaded
    return document


class _Inliner:
    def __init__(self, document: dict[str, Any], root_file: Path) -> None:
        self.root, self.root_file = document, root_file
        self.index: dict[Path, int] = {}
        self.files_in_order: list[Path] = []
        self.loaded: list[Any] = []
        self.pending: list[int] = []

    def rewrite(self, value: Any, file: Path | None, parents: tuple[str, ...]) -> None:
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str):
                value["$ref"] = self._target(ref, file)
            for key, item in value.items():
                if not (key == "$ref" and isinstance(item, str)) and not is_data(key, parents, item):
                    self.rewrite(item, file, (*parents[-1:], key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.rewrite(item, file, (*parents[-1:], str(index)))

    def _target(self, ref: str, file: Path | None) -> str:
        location, _, fragment = ref.partition("#")
        fragment = f"#{fragment}" if fragment else "#"
        if not location:
            return ref if file is None else self._into(file, fragment)
        if "://" in location or location.startswith("//"):
            return _NOWHERE
        directory = self.root_file.parent if file is None else file.parent
        target = (directory / unquote(location)).resolve()
        if target == self.root_file:
            return fragment
        if target not in self.index:
            try:
                loaded = load_document(target)
            except ContractError:
                return _NOWHERE  # `apitwin lint` names it; the run reports it unresolvable
            self.index[target] = len(self.loaded)
            self.files_in_order.append(target)
            self.loaded.append(loaded)
            self.pending.append(self.index[target])
        return self._into(target, fragment)

    def _into(self, file: Path, fragment: str) -> str:
        return f"#/{FILES_KEY}/{self.index[file]}{fragment[1:]}"
