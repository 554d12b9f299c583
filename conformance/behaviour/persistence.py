"""Writes persist: `write_read_back`, `write_update_seen`, `write_update_mode`,
`write_delete_gone`, each on a record the run created itself.

Update modes follow `x-apitwin-update` (`merge` | `replace`, or `{mode: ...}`): PATCH merges by
default (RFC 7386: objects key by key, other fields kept); PUT replaces each field it sends
whole (an object sent is not merged into the stored one). A PUT held to "replace" only by
HTTP's own semantics, without the contract saying so, is an assumption.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from mock_server.contracts.directions import REQUEST
from mock_server.contracts.schemas import deref

from conformance.assumptions import marked
from conformance.behaviour.context import Answer, BehaviourRun, Inapplicable, fail
from conformance.behaviour.listing import key_of, walk
from conformance.behaviour.resources import (
    SERVER_FIELDS,
    Collection,
    changed_value,
    contains,
    fill,
    item_schema,
    new_body,
    record_in,
    request_schema,
    shown,
)

PUT_ASSUMED = "HTTP says PUT replaces what it sends; the document does not say how this API updates"


@dataclass
class Created:
    """A record the run made: its id, the body sent, the path values of its collection."""

    id: Any
    sent: Any
    record: dict
    values: dict[str, str]


def create(run: BehaviourRun, collection: Collection, values: dict[str, str], seed: int) -> Created:
    operation, bound = collection.op("create"), collection.bound["create"]
    body = new_body(run.contract, bound, seed)
    media = (request_schema(run.contract, bound) or ("application/json", {}))[0]
    answer = run.send(operation.method, fill(operation.path, values), body=body, form="form" in media)
    record = record_in(answer.json(), collection.key) if answer.ok else None
    if record is None:
        raise Inapplicable(f"create answered {answer.brief()}")
    run.created.append((collection, values, record[collection.key]))
    return Created(record[collection.key], body, record, values)


def item_path(collection: Collection, action: str, created: Created) -> str | None:
    bound = collection.bound.get(action)
    if bound is None or bound.resource is None or not bound.resource.id_param:
        return None
    return fill(bound.path, {**created.values, bound.resource.id_param: created.id})


def read(run: BehaviourRun, collection: Collection, created: Created) -> Answer | None:
    path = item_path(collection, "get", created)
    return run.send("get", path) if path else None


def listed(run: BehaviourRun, collection: Collection, created: Created) -> tuple[list[dict], bool] | None:
    """The list entries carrying the record's key, and whether every page was read."""
    if collection.op("list") is None:
        return None
    listing = walk(run, collection, created.values)
    wanted = key_of({collection.key: created.id}, collection.key)
    return [item for item in listing.items if key_of(item, collection.key) == wanted], listing.complete


def visible_fields(run: BehaviourRun, collection: Collection, sent: Any) -> dict:
    """What was sent that a read shows: the fields the record schema has and does not hide."""
    action = "get" if "get" in collection.bound else "list"
    schema = item_schema(run.contract, collection.bound[action]) if action in collection.bound else {}
    properties = schema.get("properties") or {}
    if not isinstance(sent, dict):
        return {}
    shown_as = {name: deref(properties[name], run.contract.document) for name in sent if name in properties}
    # a field the record shows in another form than it is sent (ids in, objects out) is not compared
    return {
        name: value
        for name, value in sent.items()
        if name in shown_as and not shown_as[name].get("writeOnly")
        and (value is None or not run.contract.schema_errors(properties[name], value))
    }


def require_seen(run: BehaviourRun, collection: Collection, created: Created, expected: dict, what: str) -> None:
    """The record, read alone and found in the list, holds `expected`."""
    answer = read(run, collection, created)
    if answer is not None:
        if answer.status != 200:
            raise fail(f"{what} cannot be read back", f"200 with the record {shown(created.id)}", answer.brief())
        record = record_in(answer.json(), collection.key) or {}
        differs = {name: record.get(name) for name, value in expected.items() if not contains(record.get(name), value)}
        if differs:
            raise fail(f"{what} reads back different", f"the record with {shown(expected)}", f"{shown(differs)}")
    found = listed(run, collection, created)
    if found is None:
        return
    entries, complete = found
    if complete and len(entries) != 1:
        raise fail(
            f"{what} is {'missing from' if not entries else 'repeated in'} the list",
            f"{shown(created.id)} exactly once across every page",
            f"{len(entries)} times",
        )
    for entry in entries:
        differs = {name: entry.get(name) for name, value in expected.items() if name in entry and not contains(entry.get(name), value)}
        if differs:
            raise fail(f"{what} is listed with old values", f"the list entry with {shown(expected)}", shown(differs))


# ---- the checks ----------------------------------------------------------------------------
def write_read_back(run: BehaviourRun, collection: Collection, created: Created) -> None:
    require_seen(run, collection, created, visible_fields(run, collection, created.sent), "a created record")


def update_mode(collection: Collection, action: str) -> tuple[str, bool]:
    """(merge | replace, declared) for the update operation."""
    declared = collection.op(action).extension("update")
    mode = declared.get("mode") if isinstance(declared, dict) else declared
    if mode in ("merge", "replace"):
        return mode, True
    return ("merge" if action == "patch" else "replace"), False


def change(run: BehaviourRun, collection: Collection, action: str, created: Created) -> tuple[dict, str] | None:
    """A body for the update that changes one field, and that field's name."""
    bound = collection.bound[action]
    found = request_schema(run.contract, bound)
    if found is None:
        return None
    _, schema = found
    properties = schema.get("properties") or {}
    record = created.record
    visible = visible_fields(run, collection, {name: None for name in properties})
    base = new_body(run.contract, bound, 7) if action == "replace" or schema.get("required") else {}
    base = base if isinstance(base, dict) else {}
    # a free-form object first (merge and replace differ there), then any simple field
    names = sorted(visible, key=lambda name: (not isinstance(record.get(name), dict), name))
    for name in names:
        if SERVER_FIELDS.search(name):
            continue
        value = changed_value(run.contract, properties[name], record.get(name))
        if value is None or name not in visible_fields(run, collection, {name: value}):
            continue  # read back in another shape (a login sent, the user object read): not comparable
        body = {**base, name: value}
        if not run.contract.schema_errors(schema, body, REQUEST):
            return body, name
    return None


def write_update_seen(run: BehaviourRun, collection: Collection, created: Created, action: str) -> None:
    found = change(run, collection, action, created)
    path = item_path(collection, action, created)
    if found is None or path is None:
        raise Inapplicable("no field to change")
    body, name = found
    answer = run.send(collection.op(action).method, path, body=body)
    if not answer.ok:
        raise Inapplicable(f"the update answered {answer.brief()}")
    require_seen(run, collection, created, {name: body[name]}, f"an updated record ({action.upper() if action == 'patch' else 'PUT'})")


def write_update_mode(run: BehaviourRun, collection: Collection, created: Created, action: str) -> None:
    before = read(run, collection, created)
    found = change(run, collection, action, created)
    path = item_path(collection, action, created)
    if before is None or found is None or path is None or before.status != 200:
        raise Inapplicable("nothing to compare")
    old = record_in(before.json(), collection.key) or {}
    body, name = found
    mode, declared = update_mode(collection, action)
    verb = collection.op(action).method.upper()
    answer = run.send(verb, path, body=body)
    if not answer.ok:
        raise Inapplicable(f"the update answered {answer.brief()}")
    after_answer = read(run, collection, created)
    after = record_in(after_answer.json(), collection.key) if after_answer and after_answer.ok else None
    if after is None:
        raise Inapplicable("cannot read the record again")
    assumed = "" if declared or verb == "PATCH" else PUT_ASSUMED
    sent_object, old_object = body[name], old.get(name)
    if isinstance(sent_object, dict) and isinstance(old_object, dict) and set(old_object) - set(sent_object):
        kept = all(after.get(name, {}).get(key) == value for key, value in old_object.items() if key not in sent_object)
        if mode == "merge" and not kept:
            raise fail(f"{verb} replaced the object {name} instead of merging it", f"{name} keeps {shown(old_object)} and gains {shown(sent_object)}", shown(after.get(name)))
        if mode == "replace" and after.get(name) != sent_object:
            raise fail(f"{verb} merged the object {name} instead of replacing it", f"{name} = {shown(sent_object)}", shown(after.get(name)), assumed)
    if mode == "merge":
        # fields the client could have sent and did not keep their values (derived ones may move)
        writable = set((request_schema(run.contract, collection.bound[action]) or ("", {}))[1].get("properties") or {})
        lost = {
            key: after.get(key)
            for key, value in old.items()
            if key in writable and key not in body and key != collection.key and not SERVER_FIELDS.search(key) and after.get(key) != value
        }
        if lost:
            raise fail(
                f"{verb} changed fields it did not send",
                f"a merge: fields not sent keep {shown({key: old.get(key) for key in lost})}",
                shown(lost),
            )


def write_delete_gone(run: BehaviourRun, collection: Collection, created: Created) -> None:
    path = item_path(collection, "delete", created)
    if path is None:
        raise Inapplicable("no delete")
    answer = run.send("delete", path)
    if not answer.ok:
        raise Inapplicable(f"the delete answered {answer.brief()}")
    run.created = [entry for entry in run.created if entry[2] != created.id]
    after = read(run, collection, created)
    if after is not None and after.status not in (404, 410):
        raise fail("a deleted record can still be read", "404 for the deleted record", after.brief(), unstated_gone(collection))
    found = listed(run, collection, created)
    if found and found[0]:
        raise fail("a deleted record is still listed", f"no {shown(created.id)} in the list", f"{len(found[0])} entries")


def unstated_gone(collection: Collection) -> str:
    """Why a deleted record read back is only assumed to be refused: the item read documents
    no answer for a record that is not there (404, 410, a 4XX range or `default`)."""
    operation = collection.op("get")
    codes = {str(code).upper() for code in ((operation.definition.get("responses") or {}) if operation else {})}
    if codes & {"404", "410", "4XX", "DEFAULT"}:
        return ""
    return "the document gives the item read no answer for a record that is not there (no 404, 410, 4XX or default)"


def persistence(run: BehaviourRun, collection: Collection, values: dict[str, str]) -> None:
    """Every write check on one record of our own (fresh records where one check would spoil
    another's: the update-mode probe after the update probe, the delete last)."""
    if collection.op("create") is None:
        return
    try:
        created = create(run, collection, values, seed=secrets.randbelow(10**6))
    except Inapplicable:
        return
    # each probe reads back through the item and list operations: where the contract filled
    # those in (marked assumed), what the probe expects of them rests on that assumption too
    reads = read_assumption(run, collection)
    run.perform("write_read_back", collection.op("create"), lambda: write_read_back(run, collection, created), assumption=reads)
    for action in ("patch", "replace"):
        operation = collection.op(action)
        if operation is None:
            continue
        run.perform("write_update_seen", operation, lambda action=action: write_update_seen(run, collection, created, action), assumption=reads)
        mode, declared = update_mode(collection, action)
        run.perform(
            "write_update_mode", operation, lambda action=action: write_update_mode(run, collection, created, action),
            assumption=reads or ("" if declared or action == "patch" else PUT_ASSUMED), declarations=("update",),
        )
    if collection.op("delete") is not None:
        run.perform("write_delete_gone", collection.op("delete"), lambda: write_delete_gone(run, collection, created), assumption=reads)


def read_assumption(run: BehaviourRun, collection: Collection) -> str:
    """The `x-apitwin-assumed` note of the item read or the list a write probe checks through."""
    for action in ("get", "list"):
        operation = collection.op(action)
        note = marked(run.contract, operation.label) if operation is not None else ""
        if note:
            return note
    return ""
