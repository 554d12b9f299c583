"""``readOnly``/``writeOnly`` where Schemathesis looks for them, so it reads them as OpenAPI means.

Schemathesis drops a ``readOnly`` property from a request schema's ``required`` (and a
``writeOnly`` one from a response schema's) only where the schema holding that ``required`` can
see the flag: in its own ``properties``, or in an inline ``allOf`` part. Two common shapes hide
it (GitHub's and Stripe's contracts use both):

- ``required: [id, password]`` beside ``allOf: [{$ref: Stored}, ...]``, the flags inside the
  referenced schema: every answer without the ``password`` is then reported as breaking the
  schema, though OpenAPI says a ``writeOnly`` property is required only in requests;
- an ``allOf`` part requiring a property its sibling part declares ``readOnly``: Schemathesis
  then finds the parts in conflict and cannot generate a request at all.

The document handed to Schemathesis is rewritten to an equivalent one it reads rightly: a
``required`` name an ``allOf`` part declares flagged moves to the schema holding the ``allOf``
(``required`` applies to the one instance either way), and that schema names the property with
its flag only (``{writeOnly: true}``, which constrains nothing). The contract on disk and every
other reader (the mock, our own checks) keep the document as written.
"""

from __future__ import annotations

from typing import Any

from mock_server.contracts.directions import carries, declared_properties, has_marks
from mock_server.contracts.schemas import rewrite_schemas

FLAGS = ("readOnly", "writeOnly")


def with_visible_marks(document: dict[str, Any]) -> dict[str, Any]:
    """`document`, with every flagged property a ``required`` names visible beside it (the
    same object when nothing needs it)."""
    if not has_marks(document):
        return document

    def change(schema: dict[str, Any]) -> dict[str, Any]:
        parts = schema.get("allOf")
        own = schema.get("properties")
        own = own if isinstance(own, dict) else {}
        if not isinstance(parts, list) or schema.get("additionalProperties") is False:
            return schema
        flagged: dict[str, list[str]] = {}
        for properties in declared_properties({"allOf": parts}, document):
            for name, sub in properties.items():
                for flag in FLAGS:
                    if flag not in flagged.get(name, []) and carries(sub, flag, document):
                        flagged.setdefault(name, []).append(flag)
        if not flagged:
            return schema
        required = [name for name in schema.get("required") or [] if isinstance(name, str)]
        moved_parts = []
        for part in parts:
            names = part.get("required") if isinstance(part, dict) and "$ref" not in part else None
            if isinstance(names, list) and any(name in flagged for name in names):
                required += [name for name in names if name in flagged and name not in required]
                kept = [name for name in names if name not in flagged]
                part = {key: value for key, value in part.items() if key != "required"}
                if kept:
                    part["required"] = kept
            moved_parts.append(part)
        shown = {name: {flag: True for flag in flagged[name]} for name in required if name in flagged and name not in own}
        if not shown and all(a is b for a, b in zip(moved_parts, parts)):
            return schema
        out = {**schema, "allOf": moved_parts, "properties": {**own, **shown}}
        if required:
            out["required"] = required
        return out

    return rewrite_schemas(document, change)
