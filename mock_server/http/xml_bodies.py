"""XML request bodies read into values, so they are validated as JSON bodies are.

An operation may take ``application/xml`` (or any ``+xml``) besides JSON; its schema's ``xml``
object says how the value is written (`representations.to_xml` writes answers that way). This
module reads the other direction: element names from ``xml.name``, the property name or the
item's name; ``attribute`` properties from attributes; arrays as repeated elements, inside a
wrapper element when ``xml.wrapped``; namespace prefixes ignored. Text is typed by the schema
(``<id>10</id>`` is the integer 10 where the schema says integer), and what cannot be typed stays
text, for the validator to refuse.

The parser is expat with a document type declaration refused outright (no entities, so no
entity expansion), a depth limit and the body size cap the request already has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from mock_server.http.errors import MockError
from mock_server.http.negotiation import split_media_type
from mock_server.http.parameters import scalar, schema_types

MAX_DEPTH = 64


@dataclass
class Element:
    name: str
    attributes: dict[str, str]
    children: list[Element] = field(default_factory=list)
    text: str = ""


def is_xml(media_type: str) -> bool:
    _, subtype, _ = split_media_type(media_type)
    return subtype == "xml" or subtype.endswith("+xml")


def parse(raw: bytes) -> Element:
    """The element tree of an XML document; 400 for one that is malformed, too deep or declares
    a document type."""
    parser = expat.ParserCreate()
    stack: list[Element] = []
    roots: list[Element] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        if len(stack) >= MAX_DEPTH:
            raise MockError(400, f"XML request body nests deeper than {MAX_DEPTH} elements")
        element = Element(_local(name), {_local(k): v for k, v in attributes.items()})
        (stack[-1].children if stack else roots).append(element)
        stack.append(element)

    def end(_name: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if stack:
            stack[-1].text += data

    def doctype(*_args: Any) -> None:
        raise MockError(400, "XML request body declares a document type; none is accepted")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as error:
        raise MockError(400, f"Malformed XML in request body: {error}") from None
    if not roots:
        raise MockError(400, "XML request body holds no element")
    return roots[0]


def read(raw: bytes, schema: Any, document: dict[str, Any]) -> Any:
    """The value an XML request body spells under `schema`."""
    return _value(parse(raw), schema, document, 0)


def _resolve(schema: Any, document: dict[str, Any]) -> dict[str, Any]:
    # imported here: the writer's schema reading (allOf merged, branches' names) is the one the
    # reader must mirror, and the writer's module imports the validation that imports this one
    from mock_server.http.representations import _resolve as writer_resolve

    return writer_resolve(schema, document)


def _value(element: Element, schema: Any, document: dict[str, Any], depth: int) -> Any:
    resolved = _resolve(schema, document)
    types = schema_types(resolved, document) if resolved else set()
    if depth > MAX_DEPTH:
        return None
    if not element.children and not element.attributes and element.text.strip() and types and types <= {"object", "array", "null"}:
        return element.text  # text where elements are asked for: not an object, for the validator to say
    if "array" in types and "object" not in types:
        items = resolved.get("items") or {}
        return [_value(child, items, document, depth + 1) for child in element.children]
    if "object" in types or resolved.get("properties") or (not types and (element.children or element.attributes)):
        return _object(element, resolved, document, depth)
    text = element.text.strip() if types - {"string"} else element.text
    if not element.children and text == "" and "null" in types:
        return None
    try:
        return scalar(text, types - {"object", "array"})
    except ValueError:
        return text  # not of its type: the validator says so


def _object(element: Element, schema: dict[str, Any], document: dict[str, Any], depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    used: set[int] = set()
    for name, sub in (schema.get("properties") or {}).items():
        resolved = _resolve(sub, document)
        xml = resolved.get("xml") if isinstance(resolved.get("xml"), dict) else {}
        tag = str(xml.get("name") or name)
        if xml.get("attribute"):
            if tag in element.attributes:
                out[name] = _scalar_text(element.attributes[tag], resolved, document)
            continue
        if "array" in schema_types(resolved, document):
            items = resolved.get("items") or {}
            item_xml = _resolve(items, document).get("xml") or {}
            item_tag = str(item_xml.get("name") or name)
            if xml.get("wrapped"):
                wrapper = next((c for c in element.children if c.name == tag and id(c) not in used), None)
                if wrapper is not None:
                    used.add(id(wrapper))
                    out[name] = [_value(c, items, document, depth + 2) for c in wrapper.children]
                continue
            found = [c for c in element.children if c.name == item_tag and id(c) not in used]
            if found:
                used.update(id(c) for c in found)
                out[name] = [_value(c, items, document, depth + 1) for c in found]
            continue
        child = next((c for c in element.children if c.name == tag and id(c) not in used), None)
        if child is not None:
            used.add(id(child))
            out[name] = _value(child, sub, document, depth + 1)
    for child in element.children:  # what the schema does not name is kept, for its rules to judge
        if id(child) not in used and child.name not in out:
            out[child.name] = _value(child, {}, document, depth + 1)
    return out


def _scalar_text(text: str, schema: dict[str, Any], document: dict[str, Any]) -> Any:
    types = schema_types(schema, document) - {"object", "array"}
    try:
        return scalar(text, types)
    except ValueError:
        return text


def _local(name: str) -> str:
    """A name without its namespace prefix (``pet:name`` and ``name`` are the same element)."""
    return name.rsplit(":", 1)[-1]
