"""Contract files into plain JSON-compatible documents, with errors that point at a line.

YAML is read as YAML 1.2 (`yaml12`: `18:00` is a string, `yes` too), on libyaml, straight from
its events, since start-up time grows with the contract. Duplicate keys are caught with their
line. Only `locate` builds a node tree on purpose, and it is meant for the error path: turning
a JSON pointer into a line for a message.

Documents are kept JSON-compatible because every consumer treats them as JSON: timestamps
stay strings (an example date must be validated as a string, not a `datetime`) and mapping
keys are strings (`200:` in a responses map is the status "200").
"""

from __future__ import annotations

import json
import pickle
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from mock_server.contracts import yaml12

__all__ = ["ContractError", "load_document", "locate", "JSON_SUFFIXES"]

#: suffixes read as JSON; everything else is read as YAML (JSON is valid YAML too).
JSON_SUFFIXES = frozenset({".json"})


class ContractError(Exception):
    """A contract that cannot be used, with the place that says why.

    `str(error)` is `path:line:col: cause` (line and column when known, 1-based), the format
    editors and CI annotations understand.
    """

    def __init__(
        self,
        path: Path | str,
        cause: str,
        *,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.line = line
        self.column = column
        self.cause = cause
        super().__init__(self.location() + f": {cause}")

    def location(self) -> str:
        text = str(self.path)
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text

    def __reduce__(self):  # keep the error picklable (multiprocessing, pytest-xdist)
        return (_rebuild_error, (self.path, self.cause, self.line, self.column))


def _rebuild_error(path: Path, cause: str, line: int | None, column: int | None) -> ContractError:
    return ContractError(path, cause, line=line, column=column)


def load_document(path: Path | str) -> dict[str, Any]:
    """Read a YAML or JSON contract into a dict; every failure is a `ContractError`.

    The registry, the HTTP side and the WebSocket side each read the same files at start-up;
    parsing dominates start-up time, so a parse is remembered for the same path and text, and
    every caller gets its own copy to change as it likes.
    """
    path = Path(path)
    return pickle.loads(_parse_document(path, _read_text(path))[0])


def document_head(path: Path | str) -> dict[str, Any]:
    """The root fields that say what a contract is (`openapi`/`asyncapi`, `info`, `x-apitwin`),
    without copying the whole document: telling files apart must not cost a parse per caller."""
    path = Path(path)
    return pickle.loads(_parse_document(path, _read_text(path))[1])


#: the root fields `document_head` keeps
HEAD_FIELDS = ("openapi", "asyncapi", "swagger", "info", "x-apitwin")


@lru_cache(maxsize=64)
def _parse_document(path: Path, text: str) -> tuple[bytes, bytes]:
    """The parsed document and its head, pickled: unpickling a copy is several times faster
    than deepcopy."""
    document = _parse_text(path, text)
    if "$id" in text:  # a `$ref` to an embedded `$id` is local: spelled as its pointer, for every reader
        from mock_server.contracts.embedded_ids import localize_id_refs

        localize_id_refs(document)
    head = {name: document[name] for name in HEAD_FIELDS if name in document}
    return pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL), pickle.dumps(head, protocol=pickle.HIGHEST_PROTOCOL)


def _parse_text(path: Path, text: str) -> dict[str, Any]:
    if path.suffix.lower() in JSON_SUFFIXES:
        document = _parse_json(path, text)
    else:
        document = _parse_yaml(path, text)
    if not isinstance(document, dict):
        found = "an empty document" if document is None else f"a {_kind_of(document)}"
        raise ContractError(
            path, f"the document root must be a mapping (an object), found {found}",
            line=1, column=1,
        )
    return document


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContractError(path, "file not found") from None
    except IsADirectoryError:
        raise ContractError(path, "is a directory, not a contract file") from None
    except UnicodeDecodeError as error:
        raise ContractError(path, f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise ContractError(path, f"cannot be read: {error.strerror or error}") from None


def _parse_yaml(path: Path, text: str) -> Any:
    try:
        return yaml12.load(text)
    except yaml12.DuplicateKey as dup:
        mark = dup.mark
        first = _first_definition(text, dup)
        raise ContractError(
            path,
            f"duplicate key '{dup.key}'" + (f" (first defined at line {first})" if first else ""),
            line=mark.line + 1, column=mark.column + 1,
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        # a constructor error is well-formed YAML that a contract cannot hold (a tag, a deep nest)
        kind = "YAML error: " if isinstance(error, yaml.constructor.ConstructorError) else "YAML syntax error: "
        cause = kind + _yaml_cause(error)
        if mark is None:
            raise ContractError(path, cause) from None
        raise ContractError(path, cause, line=mark.line + 1, column=mark.column + 1) from None
    except yaml.reader.ReaderError as error:  # a character YAML does not allow
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        raise ContractError(
            path, f"YAML error: {error.reason} (found #x{_code_point(error.character):04x})",
            line=line, column=column,
        ) from None
    except yaml.YAMLError as error:
        raise ContractError(path, "YAML error: " + " ".join(str(error).split())) from None


def _first_definition(text: str, dup: yaml12.DuplicateKey) -> int | None:
    """The line where a duplicated key was first written (the error path: the node tree is
    built only to say it)."""
    try:
        root = yaml12.compose(text)
    except yaml.YAMLError:
        return None
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, yaml.MappingNode):
            if node.start_mark.index == dup.mapping_mark.index:
                for key_node, _ in node.value:
                    if isinstance(key_node, yaml.ScalarNode) and key_node.start_mark.index < dup.mark.index \
                            and yaml12.json_key(key_node) == dup.key:
                        return key_node.start_mark.line + 1
                return None
            pending.extend(value for pair in node.value for value in pair)
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
    return None


def _code_point(character: str | int) -> int:
    return character if isinstance(character, int) else ord(character)


def _yaml_cause(error: yaml.MarkedYAMLError) -> str:
    cause = " ".join(part for part in (error.context, error.problem) if part) or "invalid YAML"
    context, problem = error.context_mark, error.problem_mark
    if context is not None and problem is not None and context.line != problem.line:
        cause += f" (it started at line {context.line + 1})"
    return cause


def _parse_json(path: Path, text: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        mapping: dict[str, Any] = {}
        for key, value in items:
            if key in mapping:
                raise _JsonDuplicate(key)
            mapping[key] = value
        return mapping

    try:
        document = json.loads(text, object_pairs_hook=pairs)
    except RecursionError:
        raise _too_deep(path, text) from None
    except json.JSONDecodeError as error:
        raise ContractError(
            path, f"JSON syntax error: {error.msg}", line=error.lineno, column=error.colno
        ) from None
    except _JsonDuplicate as dup:
        # JSON is YAML: the YAML loader finds the same duplicate, with its position.
        try:
            _parse_yaml(path, text)
        except ContractError as located:
            if located.line is not None and "duplicate key" in located.cause:
                raise located from None
        raise ContractError(path, f"duplicate key '{dup.key}'") from None
    if yaml12.depth_exceeds(document):  # the same limit as YAML's, for whoever walks it
        raise _too_deep(path, text)
    return document


def _too_deep(path: Path, text: str) -> ContractError:
    """JSON nested too deeply, placed: JSON is YAML, and the YAML loader knows the line."""
    try:
        _parse_yaml(path, text)
    except ContractError as located:
        if located.line is not None:
            return located
    return ContractError(path, f"nested deeper than {yaml12.MAX_DEPTH} levels")


class _JsonDuplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


# --- locating a JSON pointer in the file -------------------------------------------------------


def locate(path: Path | str, pointer: str) -> tuple[int, int] | None:
    """Line and column (1-based) of the value a JSON pointer names, for error messages.

    A pointer into something the file does not contain gives the place of its deepest part that
    exists (a missing `operationId` is reported at its operation). A mapping member is reported
    at its key, where a reader looks for it. None when the file cannot be read or parsed.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return None
    root = _node_tree(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if root is None:
        return None
    node: yaml.Node = root
    mark = root.start_mark
    for segment in split_pointer(pointer):
        found = _child(node, segment)
        if found is None:
            break
        node, mark = found
    return mark.line + 1, mark.column + 1


def split_pointer(pointer: str) -> list[str]:
    """'#/paths/~1users/get' -> ['paths', '/users', 'get'] (RFC 6901, with or without '#')."""
    from urllib.parse import unquote

    if pointer.startswith("#"):
        pointer = unquote(pointer[1:])
    if pointer in ("", "/"):
        return [] if pointer == "" else [""]
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON pointer: {pointer!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def _child(node: yaml.Node, segment: str) -> tuple[yaml.Node, yaml.Mark] | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == segment:
                return value_node, key_node.start_mark
        return None
    if isinstance(node, yaml.SequenceNode) and segment.isdigit():
        index = int(segment)
        if index < len(node.value):
            item = node.value[index]
            return item, item.start_mark
    return None


@lru_cache(maxsize=16)
def _node_tree(path: str, mtime_ns: int, size: int) -> yaml.Node | None:
    """The file's YAML node tree; cached per file version, since a lint run locates many
    problems in the same few files."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        return yaml12.compose(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
