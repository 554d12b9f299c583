"""An independent JSON Schema 2020-12 check of a value against a schema of an OpenAPI 3.1
document (python-jsonschema, not the mock's own validator), for the tests of this package."""

from __future__ import annotations

from typing import Any

import jsonschema
import referencing
import referencing.jsonschema

URI = "urn:test:contract"


def validator(document: dict[str, Any], pointer: str) -> jsonschema.Draft202012Validator:
    """A validator for the schema at `pointer` (``#/components/schemas/Order``) of `document`.

    Component schemas that declare an anchor are also listed under ``$defs``, where JSON Schema
    looks for anchors (``components`` is OpenAPI's place, unknown to a JSON Schema validator)."""
    schemas = (document.get("components") or {}).get("schemas") or {}
    anchored = {name: schema for name, schema in schemas.items() if _has_anchor(schema)}
    contents = {**document, "$defs": anchored} if anchored else document
    resource = referencing.Resource(contents=contents, specification=referencing.jsonschema.DRAFT202012)
    registry = referencing.Registry().with_resource(URI, resource)
    return jsonschema.Draft202012Validator(
        {"$ref": URI + pointer}, registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def errors(document: dict[str, Any], pointer: str, value: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator(document, pointer).iter_errors(value)]


def _has_anchor(node: Any) -> bool:
    if isinstance(node, dict):
        return "$dynamicAnchor" in node or "$anchor" in node or any(_has_anchor(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_anchor(v) for v in node)
    return False
