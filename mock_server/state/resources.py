"""Which stored collection an operation reads or writes, and how.

REST paths say it already: ``POST /users`` creates in ``users``, ``GET /users/{id}`` reads one.
Inference covers that common shape; ``x-apitwin-resource`` on an operation says the rest::

    x-apitwin-resource: users                       # collection name, action inferred
    x-apitwin-resource: false                       # not a resource: answer from the schema
    x-apitwin-resource:
      collection: '{collection}'                    # from the path parameter of that name
      action: batch-create                          # list|create|get|replace|patch|delete|
                                                    # batch-create|batch-delete
      name: record                                  # event prefix: record.created (default:
                                                    # the collection name made singular)
      key: id                                       # the records' key field (default id)
      items: records                                # batch-create: body field with the list
      ids: ids                                      # batch-delete: body field with the ids
      max_items: 1000                               # batch limit (default: the schema's maxItems)
      owner: sender_id                              # field set to the caller's user id on create
      ttl: ttl                                      # body field with a time-to-live in seconds
      defaults: {status: sent}                      # fields the server sets when the client does not
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: operations declaring one of these are served by their own mechanism, not as a resource.
NOT_RESOURCES = ("x-apitwin-auth", "x-apitwin-graphql", "x-apitwin-docs", "x-apitwin-stats")

ACTIONS = ("list", "create", "get", "replace", "patch", "delete", "batch-create", "batch-delete")

_PARAM = re.compile(r"^\{([^}]+)\}$")
#: a record's segment: the id parameter, maybe with a format suffix (``{Sid}.json``)
_ID_SEGMENT = re.compile(r"^\{([^{}]+)\}(\.[A-Za-z0-9]+)?$")
#: a format suffix on a collection's segment (``Messages.json``), not part of its name
_SUFFIX = re.compile(r"^([^.{}]+)\.[A-Za-z0-9]+$")


@dataclass(frozen=True)
class Resource:
    collection: str                   # a name, or '{param}' to read it from the path
    action: str
    name: str                         # singular, for event names
    key: str = "id"
    id_param: str | None = None       # the path parameter holding the record id
    items: str = "records"
    ids: str = "ids"
    max_items: int | None = None
    owner: str | None = None
    ttl: str | None = "ttl"
    defaults: tuple[tuple[str, Any], ...] = ()

    def collection_for(self, path_params: dict[str, Any]) -> str:
        match = _PARAM.match(self.collection)
        return str(path_params.get(match.group(1), "")) if match else self.collection


def infer_resource(method: str, path: str, operation: dict[str, Any], success_schema: dict | None) -> Resource | None:
    """The resource binding of one operation, from its declaration or its path."""
    declared = operation.get("x-apitwin-resource")
    if declared is False or declared == "none":
        return None
    if declared is None and any(operation.get(k) for k in NOT_RESOURCES):
        return None
    if isinstance(declared, str):
        declared = {"collection": declared}
    declared = dict(declared or {})
    segments = [s for s in path.strip("/").split("/") if s]
    id_param = None
    record_segment = _ID_SEGMENT.match(segments[-1]) if segments else None
    if record_segment and segments[-1] != declared.get("collection"):
        id_param = record_segment.group(1)
        static = segments[:-1]
    else:
        static = segments
    # the collection is named by a literal segment (a templated one only where declared), its
    # format suffix dropped: /Accounts/{Sid}/Messages.json and .../Messages/{Sid}.json agree
    static = [_SUFFIX.sub(r"\1", s) if "{" not in s else s for s in static]
    if static and "{" in static[-1] and "collection" not in declared:
        return None
    batch = operation.get("x-apitwin-batch")
    if isinstance(batch, dict) and "action" not in declared:
        declared["action"] = "batch-" + str(batch.get("action", "create")).replace("batch-", "")
        declared.setdefault("items", batch.get("items", "records"))
        declared.setdefault("ids", batch.get("ids", "ids"))
        declared.setdefault("max_items", batch.get("max"))

    action = declared.get("action") or _infer_action(method, static, id_param, success_schema)
    if action is None:
        return None
    if action not in ACTIONS:
        raise ValueError(f"x-apitwin-resource action {action!r} is not one of {', '.join(ACTIONS)}")
    if action.startswith("batch") and static and static[-1].startswith("batch"):
        static = static[:-1]
    collection = declared.get("collection") or (static[-1] if static else None)
    if not collection:
        return None
    name = declared.get("name") or _singular(_PARAM.sub(r"\1", collection))
    return Resource(
        collection=collection,
        action=action,
        name=name,
        key=declared.get("key", "id"),
        id_param=declared.get("id_param", id_param if action in ("get", "replace", "patch", "delete") else None),
        items=declared.get("items", "records"),
        ids=declared.get("ids", "ids"),
        max_items=declared.get("max_items"),
        owner=declared.get("owner"),
        ttl=declared.get("ttl", "ttl"),
        defaults=tuple((declared.get("defaults") or {}).items()),
    )


def _infer_action(method: str, static: list[str], id_param: str | None, success_schema: dict | None) -> str | None:
    if not static:
        return None
    last = static[-1]
    if method == "post" and last == "batch":
        return "batch-create"
    if method == "post" and last in ("batch-delete", "batch_delete"):
        return "batch-delete"
    if id_param is not None:
        return {"get": "get", "put": "replace", "patch": "patch", "delete": "delete"}.get(method)
    if method == "post":
        return "create" if success_schema is None or success_schema.get("type") in (None, "object") else None
    if method == "get":
        return "list" if _has_array(success_schema) else None
    return None


def _has_array(schema: dict | None, depth: int = 0) -> bool:
    """A list response: an array of records, or an object with one (the page's items)."""
    if not isinstance(schema, dict) or depth > 2:
        return False
    if _record_array(schema):
        return True
    for sub in (schema.get("properties") or {}).values():
        if isinstance(sub, dict) and _record_array(sub):
            return True
    return any(_has_array(s, depth + 1) for s in schema.get("allOf", []) if isinstance(s, dict))


def _record_array(schema: dict) -> bool:
    items = schema.get("items")
    return isinstance(items, dict) and (schema.get("type") == "array" or "items" in schema) and (
        "$ref" in items or items.get("type") == "object" or "properties" in items
    )


def _singular(name: str) -> str:
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith("sses"):
        return name[:-2]
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name
