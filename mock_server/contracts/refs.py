"""`$ref`s: following them (`resolve_refs`) and finding the ones that lead nowhere
(`broken_refs`, `unresolved_refs`).

References are local (`#/components/schemas/User`) or relative files (`common.yaml#/Error`,
resolved against the directory of the file that contains them). Remote URLs are never fetched:
a contract must be complete on disk, so a remote reference counts as unresolved.

Values that are data rather than structure (`example`, `default`, `const`, `enum`, a schema's
`examples` list, an Example object's `value`, an AsyncAPI message example's `payload`/`headers`,
and specification extensions other than apitwin's own `x-apitwin...`) are left untouched: a
`$ref` key inside an example is part of the example, and a property may be named `$ref`.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote

from mock_server.contracts.loader import ContractError, load_document, split_pointer

__all__ = [
    "resolve_refs", "unresolved_refs", "broken_refs", "iter_refs", "follow", "BrokenRef", "pointer_join",
    "is_data", "is_remote", "refuse_remote_refs",
]

#: keywords whose value is data, not contract structure
_DATA_KEYS = frozenset({"example", "default", "const", "enum"})
#: inside one example (`examples/<name or index>/<key>`) these hold data
_EXAMPLE_DATA_KEYS = frozenset({"value", "payload", "headers"})
#: maps whose keys are names chosen by the author (a response may be called `default`,
#: a property `example`), so a data keyword below them is a name, not a keyword
_NAME_MAPS = frozenset({
    "properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "examples",
    "responses", "servers", "channels", "operations", "messages", "schemas", "parameters",
    "headers", "links", "callbacks", "content", "encoding", "variables", "securitySchemes",
    "paths", "webhooks", "requestBodies", "pathItems", "correlationIds", "replies",
    "replyAddresses", "serverVariables", "externalDocs", "tags", "bindings", "components",
    "mapping", "scopes", "availableScopes",
})


#: name maps that are OpenAPI objects, where an `x-` key is an extension rather than a name
_EXTENSIBLE_MAPS = frozenset({"paths", "responses", "components", "callbacks", "webhooks"})


class BrokenRef(NamedTuple):
    """A `$ref` that does not lead to a value."""

    file: Path | None  # the file holding the `$ref` (None: the in-memory document itself)
    pointer: str       # JSON pointer of the object holding the `$ref`, in that file
    ref: str
    reason: str

    @property
    def where(self) -> str:
        return self.pointer if self.file is None else f"{self.file.name}#{self.pointer}"


def pointer_join(pointer: str, key: str | int) -> str:
    return f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"


def is_data(key: str, parents: tuple[str, ...], value: Any = None) -> bool:
    """Is `value`, under `key` (reached through `parents`), data rather than structure?"""
    parent = parents[-1] if parents else ""
    if parent in _NAME_MAPS:
        # a name the author chose (a property called `default` or `$ref`), except where the
        # map is an OpenAPI object that takes extensions (`paths: {x-internal: ...}`)
        return _is_foreign_extension(key) and parent in _EXTENSIBLE_MAPS
    if key in _DATA_KEYS or _is_foreign_extension(key):
        return True
    if key == "examples" and isinstance(value, list):  # a schema's examples: values, not Example objects
        return True
    if key in _EXAMPLE_DATA_KEYS and len(parents) >= 2:
        return parents[-2] == "examples"
    return False


def _is_foreign_extension(key: str) -> bool:
    """An `x-` extension some other tool defines: opaque to us, so a `$ref` in it is its data.
    apitwin's own `x-apitwin…` declarations are structure and may refer to schemas."""
    return key.startswith("x-") and not key.startswith("x-apitwin")


def iter_refs(value: Any, pointer: str = "", parents: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """Every `(pointer of the holding object, ref)` in a document, data values skipped."""
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str):
            yield pointer, ref
        for key, item in value.items():
            if (key == "$ref" and isinstance(item, str)) or is_data(key, parents, item):
                continue
            yield from iter_refs(item, pointer_join(pointer, key), (*parents[-1:], key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_refs(item, pointer_join(pointer, index), (*parents[-1:], str(index)))


def is_remote(ref: str) -> bool:
    """A reference to a URL (``https://...``, ``//host/...``) rather than to a file on disk."""
    location = ref.partition("#")[0]
    return "://" in location or location.startswith("//")


def refuse_remote_refs(document: dict[str, Any], path: Path | str) -> None:
    """Raise `ContractError` (file, line, the `$ref`) for the first reference to a URL: a
    contract must be complete on disk, and loading one never reaches for the network.
    `$ref` keys in data (examples, defaults, extensions) are data and never looked at."""
    from mock_server.contracts.loader import locate

    for pointer, ref in _remote_refs(document):
        if is_remote(ref):
            place = locate(path, "#" + pointer) if Path(path).is_file() else None
            line, column = place if place else (None, None)
            embedded = _embedded_ids(document).get(ref.partition("#")[0])
            hint = (f"it names the $id of {embedded}, but its fragment is neither a JSON pointer nor an $anchor there"
                    if embedded else "remote references are not fetched (download the file next to the "
                    "contract and refer to it by a relative path)")
            raise ContractError(path, f"$ref '{ref}' at #{pointer}: {hint}", line=line, column=column)


def _embedded_ids(document: Any) -> dict[str, str]:
    """`{$id: JSON pointer}` of the schemas that name themselves with an absolute `$id`."""
    found: dict[str, str] = {}
    stack: list[tuple[Any, tuple[str, ...]]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            own = value.get("$id")
            if isinstance(own, str) and is_remote(own):
                found.setdefault(own.partition("#")[0], "#" + "".join(pointer_join("", key) for key in path))
            stack.extend((item, (*path, key)) for key, item in value.items()
                         if isinstance(item, (dict, list)) and not is_data(key, path[-2:], item))
        elif isinstance(value, list):
            stack.extend((item, (*path, str(i))) for i, item in enumerate(value) if isinstance(item, (dict, list)))
    return found


def _remote_refs(document: Any) -> Iterator[tuple[str, str]]:
    """`iter_refs` for remote references only, fast enough for a start-up pass over a large
    contract: a JSON pointer is spelled out only for a hit."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str) and is_remote(ref):
                yield "".join(pointer_join("", key) for key in path), ref
            parents = path[-2:]
            for key, item in value.items():
                if isinstance(item, (dict, list)) and not is_data(key, parents, item):
                    stack.append((item, (*path, key)))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, (dict, list)):
                    stack.append((item, (*path, str(index))))


class _Unresolvable(Exception):
    pass


class _Documents:
    """The documents one resolution touches: the root one and the files it refers to."""

    def __init__(self, document: dict[str, Any], base: Path | str) -> None:
        base = Path(base)
        if base.is_dir() or (not base.exists() and not base.suffix):
            self.root_file: Path | None = None
            self.root_dir = base
        else:
            self.root_file = base
            self.root_dir = base.parent
        self.root = document
        self._files: dict[Path, dict[str, Any]] = {}

    def directory_of(self, file: Path | None) -> Path:
        return self.root_dir if file is None else file.parent

    def document_of(self, file: Path | None) -> dict[str, Any]:
        if file is None or file == self.root_file:
            return self.root
        if file not in self._files:
            try:
                self._files[file] = load_document(file)
            except ContractError as error:
                cause = error.cause if error.cause != "file not found" else "the file does not exist"
                raise _Unresolvable(f"{file.name}: {cause}") from None
        return self._files[file]

    def target(self, ref: str, file: Path | None) -> tuple[Path | None, str, Any]:
        """(file, fragment, value) a `$ref` written in `file` points at."""
        location, _, fragment = ref.partition("#")
        if location:
            if is_remote(ref):
                raise _Unresolvable("a remote reference, unresolvable offline (never fetched): keep what it points at on disk")
            target_file = (self.directory_of(file) / unquote(location)).resolve()
            if self.root_file is not None and target_file == self.root_file.resolve():
                target_file = None
        else:
            target_file = file
        document = self.document_of(target_file)
        return target_file, fragment, _follow(document, fragment, target_file or self.root_file)


_NOTHING = object()


def _step(value: Any, segment: str) -> Any:
    """One pointer segment into `value`: a key, or an index into a list (`_NOTHING` if none)."""
    if isinstance(value, dict) and segment in value:
        return value[segment]
    if isinstance(value, list) and segment.isdigit() and int(segment) < len(value):
        return value[int(segment)]
    return _NOTHING


def pointer_target(document: Any, ref: str) -> Any:
    """What a local reference (`#/components/schemas/Pet`) names in `document`, or None where it
    names nothing or is no JSON pointer."""
    try:
        segments = split_pointer(ref) if ref.startswith("#") else None
    except ValueError:
        segments = None
    if segments is None:
        return None
    value = document
    for segment in segments:
        value = _step(value, segment)
        if value is _NOTHING:
            return None
    return value


def _follow(document: Any, fragment: str, file: Path | None) -> Any:
    if fragment and not fragment.startswith("/"):
        raise _Unresolvable(f"'#{fragment}' is not a JSON pointer (anchors are not supported)")
    value = document
    walked = ""
    for segment in split_pointer("#" + fragment):
        found = _step(value, segment)
        if found is _NOTHING:
            raise _Unresolvable(_missing(value, segment, walked, file))
        value = found
        walked = pointer_join(walked, segment)
    return value


def _missing(value: Any, segment: str, walked: str, file: Path | None) -> str:
    place = f"'{walked or '/'}'" + (f" of {file.name}" if file else "")
    if isinstance(value, dict):
        close = difflib.get_close_matches(segment, [str(k) for k in value], n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return f"'{segment}' is not in {place}{hint}"
    if isinstance(value, list):
        return f"{place} is a list of {len(value)} items; '{segment}' is not an index in it"
    return f"{place} is a {type(value).__name__}, it has no '{segment}'"


def follow(document: dict[str, Any], value: Any, *, base: Path | str) -> Any:
    """`value` itself, or what it points at when it is a `{"$ref": ...}` object (chains
    followed, siblings ignored). Raises `ContractError` for a reference that does not resolve."""
    documents = _Documents(document, base)
    file: Path | None = None
    seen: set[tuple[Path | None, str]] = set()
    while isinstance(value, dict) and isinstance(value.get("$ref"), str):
        ref = value["$ref"]
        try:
            file, fragment, value = documents.target(ref, file)
        except _Unresolvable as error:
            raise ContractError(documents.root_file or documents.root_dir, f"$ref '{ref}': {error}") from None
        if (file, fragment) in seen:
            raise ContractError(documents.root_file or documents.root_dir, f"$ref '{ref}' refers to itself")
        seen.add((file, fragment))
    return value


def broken_refs(document: dict[str, Any], *, base: Path | str) -> list[BrokenRef]:
    """Every `$ref` in a document, and in the files it refers to, that does not resolve."""
    documents = _Documents(document, base)
    broken: list[BrokenRef] = []
    pending: list[Path | None] = [None]
    seen: set[Path | None] = {None}
    while pending:
        file = pending.pop()
        for pointer, ref in iter_refs(documents.document_of(file)):
            try:
                target_file, fragment, target = documents.target(ref, file)
            except _Unresolvable as error:
                broken.append(BrokenRef(file, pointer, ref, str(error)))
                continue
            if _comes_back(documents, target_file, fragment, target):
                broken.append(BrokenRef(file, pointer, ref, "a chain of $refs that leads back to itself, never to a value"))
            if target_file not in seen:
                seen.add(target_file)
                pending.append(target_file)
    return broken


def _comes_back(documents: _Documents, file: Path | None, fragment: str, value: Any) -> bool:
    """Does a `$ref` land on a `$ref` that lands on a `$ref`... that is where it started?"""
    visited = {(file, fragment)}
    while isinstance(value, dict) and isinstance(value.get("$ref"), str):
        try:
            file, fragment, value = documents.target(value["$ref"], file)
        except _Unresolvable:
            return False  # reported where that $ref is written
        if (file, fragment) in visited:
            return True
        visited.add((file, fragment))
    return False


def unresolved_refs(document: dict[str, Any], *, base: Path | str) -> list[tuple[str, str]]:
    """`(where, ref)` for each `$ref` that does not resolve; `where` is a JSON pointer, prefixed
    with `file.yaml#` when the `$ref` sits in a referenced file."""
    return [(item.where, item.ref) for item in broken_refs(document, base=base)]


def resolve_refs(document: dict[str, Any], *, base: Path | str) -> dict[str, Any]:
    """A fully dereferenced copy of a document; the input is left as it was.

    A recursive reference (a tree node whose children are tree nodes) cannot be expanded into
    a finite copy: where following a `$ref` would re-enter a reference already being expanded,
    the `$ref` object is kept as it is. The result stays a finite, JSON-serialisable tree, and
    a local kept `$ref` still resolves against the result, whose components are all there.
    Siblings of a `$ref` (`description`, `summary`, ...) override the target's own; validation
    keywords beside a `$ref` combine with it through `allOf`, as JSON Schema 2020-12 reads them.
    Raises `ContractError` for a reference that does not resolve.
    """
    documents = _Documents(document, base)
    return _Expander(documents).expand(document, None, (), frozenset())


#: keywords a reference object may carry next to `$ref` without changing what it validates
_ANNOTATIONS = frozenset({
    "description", "summary", "title", "example", "examples", "deprecated", "readOnly",
    "writeOnly", "default", "$comment", "externalDocs",
})


class _Expander:
    def __init__(self, documents: _Documents) -> None:
        self.documents = documents

    def expand(self, value: Any, file: Path | None, parents: tuple[str, ...],
               active: frozenset[tuple[Path | None, str]]) -> Any:
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str):
                return self._expand_ref(value, ref, file, parents, active)
            return {
                key: copy.deepcopy(item) if is_data(key, parents, item)
                else self.expand(item, file, (*parents[-1:], key), active)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.expand(item, file, (*parents[-1:], str(i)), active) for i, item in enumerate(value)]
        return value

    def _expand_ref(self, holder: dict[str, Any], ref: str, file: Path | None,
                    parents: tuple[str, ...], active: frozenset[tuple[Path | None, str]]) -> Any:
        try:
            target_file, fragment, target = self.documents.target(ref, file)
        except _Unresolvable as error:
            where = self.documents.root_file if file is None else file
            raise ContractError(where or self.documents.root_dir, f"$ref '{ref}': {error}") from None
        key = (target_file, fragment)
        if key in active:
            return copy.deepcopy(holder)
        expanded = self.expand(target, target_file, parents, active | {key})
        siblings = {k: v for k, v in holder.items() if k != "$ref"}
        if not siblings:
            return expanded
        siblings = self.expand(siblings, file, parents, active)
        if not isinstance(expanded, dict):
            return expanded
        if set(siblings) <= _ANNOTATIONS:
            return {**expanded, **siblings}
        return {"allOf": [expanded, siblings]}
