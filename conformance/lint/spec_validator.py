"""openapi-spec-validator, run offline and with every error placed where it was written.

Two things the validator does not do on its own, and lint needs:

- **Stay offline.** Left to itself it fetches every `http(s)://` `$ref` (and reads `file:`
  references with its own YAML 1.1 loader). Here its reference handlers read local files with
  our loader and give an empty object for any other scheme; the `ref` rule reports such a
  reference as one that cannot be resolved offline.
- **Say where.** Its keyword checks (schemas, `default` values, parameters) report paths relative
  to the object they were checking, and that object is often reached through a `$ref`. Each check
  is wrapped so that an error leaving it is tagged with the object it was checking; that object
  is the very one in the loaded document (or a referenced file), so its JSON pointer is found by
  identity, whichever `$ref` led to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from mock_server.contracts.loader import ContractError, load_document
from mock_server.contracts.refs import pointer_join

#: the attribute a located error carries: (id of the checked object, path below it)
_TAG = "_apitwin_at"


class OfflineReference(Exception):
    """A `$ref` to anything but a local file: never fetched."""


@dataclass(frozen=True)
class Place:
    """Where an error sits: a JSON pointer in a file (None: the linted document itself)."""

    pointer: str
    file: Path | None = None


class _Documents:
    """The linted document and the files its `$ref`s loaded, with every container's place."""

    def __init__(self, document: dict[str, Any], path: Path) -> None:
        self.root, self.path = document, path.resolve()
        self.files: list[tuple[Path, Any]] = []
        self._index: dict[int, Place] | None = None

    def handler(self, uri: str) -> Any:
        parts = urlsplit(uri)
        if parts.scheme != "file":
            # Never fetched. An empty object stands in for it (the `ref` rule reports the
            # reference), so the validator goes on to the rest of the document.
            return {}
        file = Path(unquote(parts.path))
        if file.resolve() == self.path:
            return self.root
        try:
            loaded = load_document(file)
        except ContractError as error:
            raise OfflineReference(f"{uri}: {error.cause}") from None
        self.files.append((file, loaded))
        self._index = None
        return loaded

    def place_of(self, value: Any) -> Place | None:
        if self._index is None:
            self._index = {}
            for file, document in [(None, self.root), *self.files]:
                _index(document, "", file, self._index)
        return self._index.get(id(value))


def _index(value: Any, pointer: str, file: Path | None, into: dict[int, Place]) -> None:
    stack = [(value, pointer)]
    while stack:
        current, at = stack.pop()
        if isinstance(current, dict):
            into.setdefault(id(current), Place(at, file))
            stack.extend((item, pointer_join(at, key)) for key, item in current.items()
                         if isinstance(item, (dict, list)))
        elif isinstance(current, list):
            into.setdefault(id(current), Place(at, file))
            stack.extend((item, pointer_join(at, index)) for index, item in enumerate(current)
                         if isinstance(item, (dict, list)))


class _OfflineHandlers(dict):  # type: ignore[type-arg]
    """Reference handlers for every scheme: jsonschema-path fetches any scheme it has no handler
    for, so this mapping has one for all of them."""

    def __init__(self, handler: Any) -> None:
        super().__init__(file=handler)
        self._handler = handler

    def __contains__(self, scheme: object) -> bool:
        return True

    def __missing__(self, scheme: str) -> Any:
        return self._handler


def _located(cls: type) -> type:
    """A keyword check whose errors (and crashes) leaving it name the object it was checking."""

    def __call__(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        checked = next((arg for arg in args if hasattr(arg, "read_value")), None)
        suffix: tuple[str, ...] = ("default",) if cls.__name__.endswith("ValueValidator") else ()
        try:
            for error in cls.__call__(self, *args, **kwargs):
                _tag(error, checked, suffix)
                yield error
        except Exception as crash:
            _tag(crash, checked, ())
            raise

    return type(cls.__name__, (cls,), {"__call__": __call__})


def _tag(error: BaseException, checked: Any, suffix: tuple[str, ...]) -> None:
    if checked is None or hasattr(error, _TAG):
        return
    try:
        value = checked.read_value()
    except Exception:  # noqa: BLE001 - a path that cannot be read: the error stays unplaced
        return
    setattr(error, _TAG, (value, suffix))


def _validator_class(minor: str) -> type:
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    base = OpenAPIV31SpecValidator if minor == "3.1" else OpenAPIV30SpecValidator
    keyword_validators = getattr(base, "keyword_validators", None)
    if not isinstance(keyword_validators, dict):  # another version of the library: unplaced errors
        return base
    located = {name: _located(cls) for name, cls in keyword_validators.items()}
    return type(f"Located{base.__name__}", (base,), {"keyword_validators": located})


@dataclass
class SpecError:
    """One error of the validator, placed when it can be."""

    error: Exception
    place: Place | None
    crashed: bool = False


def spec_errors(document: dict[str, Any], path: Path, minor: str) -> Iterator[SpecError]:
    """The validator's errors, in its order; a crash is the last item (`crashed`)."""
    documents = _Documents(document, path)
    cls = _validator_class(minor)
    if hasattr(cls, "resolver_handlers"):
        cls = type(cls.__name__, (cls,), {"resolver_handlers": _OfflineHandlers(documents.handler)})
    validator = cls(document, base_uri=path.resolve().as_uri())
    errors = validator.iter_errors()
    while True:
        try:
            error = next(errors)
        except StopIteration:
            return
        except Exception as crash:  # noqa: BLE001 - the validator gives up on some broken documents
            yield SpecError(crash, _place(documents, crash), crashed=True)
            return
        yield SpecError(error, _place(documents, error))


def _place(documents: _Documents, error: BaseException) -> Place | None:
    tagged = getattr(error, _TAG, None)
    if tagged is None:
        return None
    value, suffix = tagged
    place = documents.place_of(value)
    if place is None:
        return None
    pointer = place.pointer
    for part in (*suffix, *getattr(error, "path", ())):
        pointer = pointer_join(pointer, part)
    return Place(pointer, place.file)
