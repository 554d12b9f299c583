"""OpenAPI's `discriminator` said in plain JSON Schema, so every validator and generator honours it.

JSON Schema knows nothing of `discriminator`: to a validator, `oneOf: [Cat, Dog]` where both
accept `{"pet_type": "Dog"}` is "valid under more than one", and a generator draws
`pet_type: "hello"`. OpenAPI (3.0 and 3.1) says the discriminator's property value *names* the
schema an instance is validated against. `express_discriminators` returns a copy of a document in
which that rule is written with keywords every tool reads (`enum`, `required`, `allOf`), so the
mock's validator, its data generator and Schemathesis (the suite) all read one meaning:

* `oneOf`/`anyOf` with a `discriminator`: each branch is wrapped as
  `{allOf: [branch], properties: {p: {enum: [its values]}}, required: [p]}` (the values are the
  explicit `mapping` keys naming it, else its schema name: the implicit mapping), and the schema
  itself requires `p` among all the values. The branches then exclude each other by their tag;
  an unknown or missing value is an `enum`/`required` error on `p`, which says what is wrong.
* a base schema with a `discriminator` that other component schemas include through `allOf`
  (inheritance): each including schema gets a copy of the base without the discriminator plus
  the tag its own name (or mapping keys) allows, so `oneOf: [Cat, Dog]` tells them apart; where
  the base is used directly (`vehicle: {$ref: BaseVehicle}`), it becomes the choice among the
  schemas its values name.
* a discriminator whose property no branch (nor the schema) declares cannot tell branches apart:
  it is ignored, and its `oneOf` is read as `anyOf` (the author meant a choice by tag, not
  exclusivity that overlapping branches cannot have).

The input document is never changed (a document without discriminators is returned as it is);
the `discriminator` objects stay in place for readers.
"""

from __future__ import annotations

import copy
import pickle
from typing import Any

from mock_server.contracts.refs import is_data, pointer_join, pointer_target

__all__ = ["TAG", "express_discriminators", "branch_named"]

SCHEMAS_PREFIX = "#/components/schemas/"
#: marks a choice told apart by a tag, naming the tag: a validator explains a failure by the
#: branch the tag names (`mock_server.http.validation`)
TAG = "x-apitwin-tag"
#: how deep property lookups follow `$ref`/`allOf` (a depth limit for every walk of the contract)
_MAX_DEPTH = 16
#: keywords that keep their meaning on a base schema turned into a choice
_ANNOTATIONS = ("title", "description", "deprecated", "readOnly", "writeOnly", "externalDocs")
#: keys under which names, not schemas, are written: a property called `discriminator` is no keyword
_NAME_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "schemas"})


def express_discriminators(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of `document` whose discriminators are spelled in JSON Schema (see the module)."""
    if not _discriminated(document):
        return document
    document = pickle.loads(pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL))
    _Expresser(document).run()
    return document


def branch_named(choice: dict[str, Any], keyword: str, value: Any, document: dict[str, Any]) -> Any:
    """The branch of a tagged choice (marked `TAG` here) that the tag's value names, or None."""
    prop = choice.get(TAG)
    for branch in choice.get(keyword) or []:
        parts = [branch]
        if isinstance(branch, dict) and isinstance(branch.get("$ref"), str):
            target = _Expresser.target_in(document, branch["$ref"])
            parts = [target, *((target.get("allOf") or []) if isinstance(target, dict) else [])]
        for part in parts:
            tag = ((part.get("properties") or {}).get(prop) or {}) if isinstance(part, dict) else {}
            if isinstance(tag, dict) and isinstance(tag.get("enum"), list) and value in tag["enum"]:
                return branch
    return None


def _discriminated(document: Any) -> list[tuple[str, dict[str, Any]]]:
    """`(pointer, schema)` of every schema that carries a usable `discriminator` object."""
    found: list[tuple[str, dict[str, Any]]] = []
    stack: list[tuple[Any, str, tuple[str, ...]]] = [(document, "", ())]
    while stack:
        value, pointer, parents = stack.pop()
        if isinstance(value, dict):
            named = bool(parents) and parents[-1] in _NAME_MAPS
            disc = value.get("discriminator")
            if not named and isinstance(disc, dict) and isinstance(disc.get("propertyName"), str):
                found.append((pointer, value))
            for key, item in value.items():
                if isinstance(item, (dict, list)) and (named or not is_data(key, parents, item)):
                    stack.append((item, pointer_join(pointer, key), (*parents[-1:], key)))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, (dict, list)):
                    stack.append((item, pointer_join(pointer, index), (*parents[-1:], str(index))))
    found.sort(key=lambda hit: hit[0])  # a stable order, whatever the walk's
    return found


def _name_of(ref: str) -> str:
    """The schema name a reference ends in (`#/components/schemas/Cat` -> `Cat`)."""
    return ref.rstrip("/").rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")


class _Expresser:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        schemas = (document.get("components") or {}).get("schemas")
        self.schemas: dict[str, Any] = schemas if isinstance(schemas, dict) else {}
        # inheritance: a component schema whose `allOf` holds `{$ref: #/components/schemas/Base}`
        self.children: dict[str, list[str]] = {}
        self.tags: dict[str, tuple[str, list[str]]] = {}  # an inheriting schema -> (tag, its values)
        for name, schema in self.schemas.items():
            for part in (schema.get("allOf") or []) if isinstance(schema, dict) else []:
                ref = part.get("$ref") if isinstance(part, dict) else None
                if isinstance(ref, str) and ref.startswith(SCHEMAS_PREFIX) and _name_of(ref) in self.schemas:
                    self.children.setdefault(_name_of(ref), []).append(name)

    # -- lookups -----------------------------------------------------------------------------

    def target(self, ref: str) -> Any:
        return self.target_in(self.document, ref)

    @staticmethod
    def target_in(document: Any, ref: str) -> Any:
        return pointer_target(document, ref) if ref.startswith("#/") else None

    def declared(self, schema: Any, name: str, depth: int = 0) -> list[dict[str, Any]]:
        """The schemas `schema` gives property `name` (through `$ref` and `allOf`); `[{}]` when it
        only requires it; `[]` when it does not mention it."""
        if depth > _MAX_DEPTH or not isinstance(schema, dict):
            return []
        found: list[dict[str, Any]] = []
        if isinstance(schema.get("$ref"), str):
            found += self.declared(self.target(schema["$ref"]), name, depth + 1)
        props = schema.get("properties")
        if isinstance(props, dict) and isinstance(props.get(name), dict):
            found.append(props[name])
        elif name in (schema.get("required") or []):
            found.append({})
        for part in schema.get("allOf") or []:
            found += self.declared(part, name, depth + 1)
        return found

    def descendants(self, name: str) -> list[str]:
        out: list[str] = []
        pending = list(self.children.get(name, []))
        while pending and len(out) < 10_000:
            child = pending.pop(0)
            if child not in out and child != name:
                out.append(child)
                pending.extend(self.children.get(child, []))
        return out

    def pinned(self, schema: Any, prop: str) -> list[str]:
        """The string values a schema pins its tag property to (`enum`/`const`), if it does."""
        for declared in self.declared(schema, prop):
            values = declared.get("enum") if isinstance(declared.get("enum"), list) else (
                [declared["const"]] if "const" in declared else None)
            if values and all(isinstance(v, str) for v in values):
                return list(values)
        return []

    # -- the rewrite ---------------------------------------------------------------------------

    def run(self) -> None:
        found = _discriminated(self.document)
        plans = [plan for pointer, schema in found if (plan := self.plan(pointer, schema)) is not None]
        # inheritance first, ancestors before descendants: a base copy must already carry its own
        # base's tag before it is copied into the schemas below it
        bases = {plan.name: plan for plan in plans if plan.name and self.children.get(plan.name)}
        for name in self.ancestors_first(list(bases)):
            bases[name].mark_children(self)
        for plan in plans:
            plan.apply(self)
        self.tag_inherited_choices({id(plan.schema) for plan in plans})

    def tag_inherited_choices(self, discriminated: set[int]) -> None:
        """A `oneOf`/`anyOf` of schemas that inherit one discriminator (`oneOf: [Cat, Dog]`, each
        an `allOf` of `Pet`) requires the tag among their values too: a wrong one is then said."""
        if not self.tags:
            return
        stack: list[tuple[Any, tuple[str, ...], int]] = [(self.document, (), 0)]
        while stack:
            value, parents, depth = stack.pop()
            if depth > 4 * _MAX_DEPTH:
                continue
            if isinstance(value, dict):
                named = bool(parents) and parents[-1] in _NAME_MAPS
                if not named and id(value) not in discriminated:
                    self.tag_choice(value)
                for key, item in value.items():
                    if isinstance(item, (dict, list)) and (named or not is_data(key, parents, item)):
                        stack.append((item, (*parents[-1:], key), depth + 1))
            elif isinstance(value, list):
                stack.extend((item, parents, depth + 1) for item in value if isinstance(item, (dict, list)))

    def tag_choice(self, schema: dict[str, Any]) -> None:
        for keyword in ("oneOf", "anyOf"):
            branches = schema.get(keyword)
            if not isinstance(branches, list) or not branches:
                continue
            refs = [b.get("$ref") if isinstance(b, dict) and len(b) == 1 else None for b in branches]
            if not all(isinstance(r, str) and r.startswith(SCHEMAS_PREFIX) for r in refs):
                continue
            tags = [self.tags.get(_name_of(r)) for r in refs]
            if all(t is not None for t in tags) and len({t[0] for t in tags}) == 1:
                require_tag(schema, tags[0][0], list(dict.fromkeys(v for t in tags for v in t[1])))

    def ancestors_first(self, names: list[str]) -> list[str]:
        depth: dict[str, int] = {}

        def level(name: str, seen: frozenset[str]) -> int:
            if name in depth:
                return depth[name]
            parents = [p for p, kids in self.children.items() if name in kids and p not in seen]
            depth[name] = 1 + max((level(p, seen | {name}) for p in parents), default=0) if len(seen) < _MAX_DEPTH else 0
            return depth[name]

        return sorted(names, key=lambda n: (level(n, frozenset()), n))

    def plan(self, pointer: str, schema: dict[str, Any]) -> _Plan | None:
        disc = schema["discriminator"]
        prop = disc["propertyName"]
        name = _name_of(pointer) if pointer.startswith("/components/schemas/") and pointer.count("/") == 3 else None
        keyword = "oneOf" if isinstance(schema.get("oneOf"), list) else "anyOf" if isinstance(schema.get("anyOf"), list) else None
        branches: list[Any] = list(schema[keyword]) if keyword else []
        mapping = disc.get("mapping") if isinstance(disc.get("mapping"), dict) else {}
        explicit: dict[str, list[str]] = {}  # target ref -> its mapping values
        for value, target in mapping.items():
            if isinstance(target, str) and target:
                bare = "#" not in target and "/" not in target and (target in self.schemas or "." not in target)
                ref = SCHEMAS_PREFIX + target if bare else target
                explicit.setdefault(ref, []).append(str(value))
        if keyword:
            candidates = [b.get("$ref") if isinstance(b, dict) and isinstance(b.get("$ref"), str) else None for b in branches]
        else:
            candidates = [SCHEMAS_PREFIX + child for child in (self.descendants(name) if name else [])]
        targets: dict[str, list[str]] = {}
        for ref in candidates:
            if ref is None:
                continue
            values = explicit.get(ref) or next((v for r, v in explicit.items() if _name_of(r) == _name_of(ref)), None)
            if values is None:  # the implicit mapping: the schema's name (or the values it pins)
                values = [_name_of(ref), *self.pinned(self.target(ref), prop)] if ref.startswith("#/") else []
            if values:
                targets.setdefault(ref, [])
                targets[ref] += [v for v in values if v not in targets[ref]]
        for ref, values in explicit.items():  # mapped, but not among the branches
            if ref.startswith("#/") and ref not in targets and not any(_name_of(ref) == _name_of(r) for r in targets) \
                    and self.target(ref) is not None:
                targets[ref] = list(values)
        applicable = bool(self.declared(schema, prop)) or any(
            self.declared(self.target(ref), prop) for ref in targets if ref.startswith("#/"))
        if not targets and not (keyword and not applicable):
            return None
        return _Plan(schema, name, prop, keyword, branches, targets, applicable)


class _Plan:
    """One discriminated schema and what it becomes."""

    def __init__(self, schema: dict[str, Any], name: str | None, prop: str, keyword: str | None,
                 branches: list[Any], targets: dict[str, list[str]], applicable: bool) -> None:
        self.schema, self.name, self.prop, self.keyword = schema, name, prop, keyword
        self.branches, self.targets, self.applicable = branches, targets, applicable

    def tag(self, values: list[str]) -> dict[str, Any]:
        return {"properties": {self.prop: {"enum": list(values)}}, "required": [self.prop]}

    def values_for(self, expresser: _Expresser, name: str) -> list[str]:
        """The values that name `name` or a schema below it (an instance of either is one of it)."""
        names = {name, *expresser.descendants(name)}
        values: list[str] = []
        for ref, mapped in self.targets.items():
            if _name_of(ref) in names:
                values += [v for v in mapped if v not in values]
        if not any(_name_of(ref) == name for ref in self.targets):
            values = [name, *[v for v in values if v != name]]
        return values

    def mark_children(self, expresser: _Expresser) -> None:
        """Each schema that includes this base through `allOf` gets the base without its
        discriminator (and without the choice it makes), and the tag values that name it."""
        if not self.applicable or self.name is None:
            return
        base = {k: copy.deepcopy(v) for k, v in self.schema.items() if k not in ("discriminator", self.keyword)}
        own_ref = SCHEMAS_PREFIX + self.name.replace("~", "~0").replace("/", "~1")
        for child in expresser.children.get(self.name, []):
            schema = expresser.schemas.get(child)
            if not isinstance(schema, dict) or not isinstance(schema.get("allOf"), list):
                continue
            parts = [copy.deepcopy(base) if isinstance(p, dict) and p.get("$ref") == own_ref and len(p) == 1 else p
                     for p in schema["allOf"]]
            values = self.values_for(expresser, child)
            schema["allOf"] = [*parts, self.tag(values)]
            expresser.tags[child] = (self.prop, values)

    def apply(self, expresser: _Expresser) -> None:
        schema = self.schema
        if not self.applicable:
            if self.keyword == "oneOf":  # no tag to tell overlapping branches apart: a choice, not exclusivity
                schema["anyOf"] = schema.pop("oneOf")
            return
        everything = [v for values in self.targets.values() for v in values]
        everything = list(dict.fromkeys(everything))
        choice = [{"allOf": [{"$ref": ref}], **self.tag(values)} for ref, values in self.targets.items()]
        if self.keyword:
            wrapped = []
            listed: set[str] = set()
            for branch in self.branches:
                ref = branch.get("$ref") if isinstance(branch, dict) else None
                if isinstance(ref, str) and ref in self.targets:
                    wrapped.append({"allOf": [branch], **self.tag(self.targets[ref])})
                    listed.add(ref)
                else:
                    wrapped.append(branch)  # an inline branch no value can name: as written
            wrapped += [c for c, ref in zip(choice, self.targets) if ref not in listed]
            choice = wrapped
            all_named = len(listed) == len(self.branches)
        else:
            all_named = True
        rest = {k: v for k, v in schema.items() if k != self.keyword}
        if self.keyword is None and self.name is not None:
            # a base used directly: the choice among the schemas its values name (each holds a copy of it)
            rest = {k: v for k, v in rest.items() if k in (*_ANNOTATIONS, "discriminator") or k.startswith("x-")}
        schema.clear()
        schema.update(rest)
        schema[self.keyword or "oneOf"] = choice
        if all_named:
            require_tag(schema, self.prop, everything)


def require_tag(schema: dict[str, Any], prop: str, values: list[str]) -> None:
    """`schema` (changed in place) requiring `prop` among `values`, that constraint first: an
    unknown or missing value is then reported on the tag itself, before "matches no branch"."""
    rest = dict(schema)
    props = dict(rest.pop("properties", None) or {})
    own = props.get(prop)
    props[prop] = {"allOf": [own, {"enum": list(values)}]} if isinstance(own, dict) and own else {"enum": list(values)}
    required = list(dict.fromkeys([*(rest.pop("required", None) or []), prop]))
    schema.clear()
    schema.update({"properties": props, "required": required, **rest, TAG: prop})
