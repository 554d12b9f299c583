"""One answer in the media type content negotiation chose: the same value (shaped by the chosen
media type's schema) written as JSON, XML, CSV, plain text or form data.

JSON types (``application/json``, ``application/problem+json``, any ``+json``) stay values the
reply encodes itself; every other type is rendered to text here:

* **XML** follows the schema's ``xml`` object (`to_xml`): element names from ``xml.name``, the
  property name or the ``$ref``'d component's name; ``attribute``; ``wrapped`` arrays;
  ``namespace`` and ``prefix``.
* **CSV** (``text/csv``): an array of flat objects, one row each under a header of the item
  schema's properties; nested values are written as compact JSON in their cell.
* **text/plain** and other text: a string as it is, any other value as JSON text.
* ``application/x-www-form-urlencoded``: a flat object as ``name=value&...``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any
from urllib.parse import urlencode

from mock_server.contracts.schemas import deref
from mock_server.http.negotiation import is_json, split_media_type
from mock_server.http.shaping import merge_all_of

MAX_DEPTH = 40
_NAME_START = re.compile(r"[A-Za-z_]")
_NAME_INVALID = re.compile(r"[^A-Za-z0-9_.\-]")


def render(value: Any, media_type: str, schema: Any, document: dict[str, Any]) -> Any:
    """`value` written as `media_type` (JSON types: the value itself, for the reply to encode;
    any other type: text that encodes as UTF-8, whatever the value held)."""
    if is_json(media_type) or value is None or isinstance(value, bytes):
        return value
    return _written(value, media_type, schema, document).encode("utf-8", "replace").decode("utf-8")


def _written(value: Any, media_type: str, schema: Any, document: dict[str, Any]) -> str:
    _, subtype, _ = split_media_type(media_type)
    if subtype == "xml" or subtype.endswith("+xml"):
        return to_xml(value, schema, document)
    if subtype == "csv":
        return to_csv(value, schema, document)
    if subtype == "x-www-form-urlencoded" and isinstance(value, dict):
        return urlencode([(k, _text(v)) for k, v in value.items()])
    return _text(value)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _resolve(schema: Any, document: dict[str, Any]) -> dict[str, Any]:
    schema = deref(schema, document) if isinstance(schema, dict) else {}
    if not isinstance(schema, dict):
        return {}
    if "allOf" in schema:
        schema = merge_all_of(schema, document)
    branches = schema.get("oneOf") or schema.get("anyOf")
    if isinstance(branches, list) and branches and "properties" not in schema:
        # for naming only: every branch's properties (the value has the ones it has)
        merged = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
        properties: dict[str, Any] = {}
        for branch in branches:
            branch = _resolve(branch, document)
            properties.update(branch.get("properties") or {})
            if "items" in branch:
                merged.setdefault("items", branch["items"])
            if "xml" in branch:
                merged.setdefault("xml", branch["xml"])
        if properties:
            merged["properties"] = properties
        schema = merged
    return schema


def _ref_name(schema: Any) -> str | None:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if isinstance(ref, str) and "/" in ref:
        return ref.rsplit("/", 1)[-1]
    return None


def xml_name(text: str) -> str:
    """`text` as a well-formed XML element name."""
    name = _NAME_INVALID.sub("_", str(text)) or "_"
    return name if _NAME_START.match(name) else "_" + name


#: characters XML 1.0 cannot carry at all (control characters, lone surrogates)
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape(text: str, attribute: bool = False) -> str:
    text = _NOT_XML.sub("\ufffd", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if attribute else text


def to_xml(value: Any, schema: Any, document: dict[str, Any]) -> str:
    """The XML document of `value` under `schema`'s ``xml`` object."""
    resolved = _resolve(schema, document)
    xml = resolved.get("xml") if isinstance(resolved.get("xml"), dict) else {}
    if isinstance(value, list):
        items = resolved.get("items") or {}
        item_xml = _resolve(items, document).get("xml") or {}
        wrapper = xml.get("name") or _ref_name(schema) or "items"
        item_name = item_xml.get("name") or _ref_name(items) or "item"
        inner = "".join(_element(item_name, item, items, document, 1) for item in value)
        body = _open(wrapper, xml, "") + inner + _close(wrapper, xml) if inner else _open(wrapper, xml, "", empty=True)
    else:
        name = xml.get("name") or _ref_name(schema) or "root"
        body = _element(name, value, schema, document, 0)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _qualified(name: str, xml: dict[str, Any]) -> str:
    prefix = xml.get("prefix")
    return f"{xml_name(prefix)}:{xml_name(name)}" if prefix else xml_name(name)


def _open(name: str, xml: dict[str, Any], attributes: str, empty: bool = False) -> str:
    namespace = xml.get("namespace")
    if namespace:
        prefix = xml.get("prefix")
        declared = f"xmlns:{xml_name(prefix)}" if prefix else "xmlns"
        attributes = f' {declared}="{_escape(str(namespace), True)}"' + attributes
    return f"<{_qualified(name, xml)}{attributes}{'/' if empty else ''}>"


def _close(name: str, xml: dict[str, Any]) -> str:
    return f"</{_qualified(name, xml)}>"


def _element(name: str, value: Any, schema: Any, document: dict[str, Any], depth: int) -> str:
    """One element named `name` (the schema's ``xml.name`` wins) holding `value`."""
    resolved = _resolve(schema, document)
    xml = resolved.get("xml") if isinstance(resolved.get("xml"), dict) else {}
    name = xml.get("name") or name
    if depth > MAX_DEPTH:
        return _open(name, xml, "", empty=True)
    if isinstance(value, dict):
        properties = resolved.get("properties") or {}
        attributes, children = "", []
        for key, sub_value in value.items():
            sub = properties.get(key, {})
            sub_xml = _resolve(sub, document).get("xml") or {}
            if sub_xml.get("attribute") and not isinstance(sub_value, (dict, list)):
                attr = _qualified(sub_xml.get("name") or key, sub_xml)
                declared = f' xmlns:{xml_name(sub_xml["prefix"])}="{_escape(str(sub_xml.get("namespace", "")), True)}"' \
                    if sub_xml.get("prefix") and sub_xml.get("namespace") else ""
                if declared not in attributes:
                    attributes += declared
                attributes += f' {attr}="{_escape(_text(sub_value), True)}"'
            else:
                children.extend(_children(key, sub_value, sub, document, depth + 1))
        if not children:
            return _open(name, xml, attributes, empty=True)
        return _open(name, xml, attributes) + "".join(children) + _close(name, xml)
    if isinstance(value, list):
        return "".join(_children(name, value, schema, document, depth))
    if value is None:
        return _open(name, xml, "", empty=True)
    return _open(name, xml, "") + _escape(_text(value)) + _close(name, xml)


def _children(name: str, value: Any, schema: Any, document: dict[str, Any], depth: int) -> list[str]:
    """A property's elements: one element, or for an array one per item (inside a wrapper
    element when ``xml.wrapped``)."""
    if not isinstance(value, list):
        return [_element(name, value, schema, document, depth)]
    resolved = _resolve(schema, document)
    xml = resolved.get("xml") if isinstance(resolved.get("xml"), dict) else {}
    items = resolved.get("items") or {}
    item_xml = _resolve(items, document).get("xml") or {}
    item_name = item_xml.get("name") or name
    if xml.get("wrapped"):
        outer = xml.get("name") or name
        inner = "".join(_element(item_name, item, items, document, depth + 1) for item in value)
        if not inner:
            return [_open(outer, xml, "", empty=True)]
        return [_open(outer, xml, "") + inner + _close(outer, xml)]
    return [_element(item_name, item, items, document, depth + 1) for item in value]


def to_csv(value: Any, schema: Any, document: dict[str, Any]) -> str:
    """`value` as CSV: a header row, then one row per item (an object is one row)."""
    rows = value if isinstance(value, list) else [value]
    resolved = _resolve(schema, document)
    item_schema = _resolve(resolved.get("items"), document) if isinstance(value, list) else resolved
    columns: list[str] = []
    if any(isinstance(row, dict) for row in rows):
        for key in item_schema.get("properties") or {}:
            if any(isinstance(row, dict) and key in row for row in rows):
                columns.append(key)
        for row in rows:
            for key in row if isinstance(row, dict) else ():
                if key not in columns:
                    columns.append(key)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if columns:
        writer.writerow(columns)
        for row in rows:
            row = row if isinstance(row, dict) else {}
            writer.writerow([_text(row.get(key)) for key in columns])
    else:
        writer.writerow(["value"])
        for row in rows:
            writer.writerow([_text(row)])
    return out.getvalue()
