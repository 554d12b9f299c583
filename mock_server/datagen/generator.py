"""`DataGenerator`: schema-valid, realistic, reproducible values for any JSON Schema.

Each schema is compiled once into a small closure (`depth -> value`) and cached per generator,
because the mock generates on hot paths. All randomness comes from the generator's own
`random.Random` and Faker instance, both seeded from `seed`: the same seed and the same sequence
of calls give the same data, and nothing touches the global `random` module.
"""

from __future__ import annotations

import copy
import math
import random
import re
from datetime import datetime, timezone
from typing import Any, Callable

from faker import Faker

from mock_server.contracts.directions import HIDDEN_BY, REQUEST, RESPONSE, carries
from mock_server.contracts.number_formats import generation_range
from mock_server.datagen import constraints, realism
from mock_server.datagen.errors import DataGenError
from mock_server.datagen.regex import PatternStrings, compiled
from mock_server.datagen.schemas import anchors, bounds, deref, merge_all, resolve_pointer, types_of

Gen = Callable[[int], Any]

#: the fixed "now" generated timestamps are relative to, so a seed always gives the same data
DEFAULT_NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=timezone.utc)
#: below this nesting depth optional properties are filled; deeper, only what is required
MAX_DEPTH = 5
_SECRET_NAME = re.compile(r"(key|token|secret)$")
_LIKELY_TRUE = ("is_active", "active", "enabled", "is_enabled", "verified", "is_verified", "in_stock",
                "allow_invites", "success", "healthy")
#: keywords a generator cannot always satisfy by construction: a value generated for a schema
#: holding one is checked with a 2020-12 validator, and drawn again (a few times) if it fails
CHECKED_KEYWORDS = frozenset({
    "if", "not", "contains", "dependentSchemas", "dependentRequired", "unevaluatedProperties",
    "unevaluatedItems", "propertyNames", "patternProperties", "prefixItems",
})
#: draws per checked value before the last one is returned as it is
CHECK_ATTEMPTS = 8
_LIKELY_FALSE = ("is_superuser", "is_admin", "deleted", "is_deleted", "disabled", "is_private", "archived",
                 "is_typing")


class DataGenerator:
    """Values and records from OpenAPI 3.0/3.1 and JSON Schema schemas.

    `value` fills optional properties most of the time, as real payloads do; `record` fills every
    declared property and makes the resource look stored (an id in the API's style, ordered
    created/updated timestamps). `mode="request"` leaves out `readOnly` properties and
    `mode="response"` (the default) leaves out `writeOnly` ones such as passwords.
    """

    def __init__(self, seed: int = 0, *, now: datetime | None = None, optional_rate: float = 0.8,
                 null_rate: float = 0.1, stream: str = ""):
        self.seed = seed
        self.stream = stream
        # Generators that serve different purposes (the mock's records, the auth flows' users,
        # the fixtures) take a `stream` each: with one seed they still draw different sequences,
        # so a record made by one never repeats an id another made (each stays deterministic).
        source: int | str = seed if not stream else f"apitwin:{seed}:{stream}"
        self.rng = random.Random(source)
        self.faker = Faker("en_US")
        self.faker.seed_instance(source)
        self.now = now or DEFAULT_NOW
        self.optional_rate = optional_rate
        self.null_rate = null_rate
        self.patterns = PatternStrings(self.rng)
        self._compiled: dict[tuple, tuple[Any, Gen]] = {}
        self._keep: list[Any] = []  # derived schemas whose id() is a cache key must stay alive
        self._counters: dict[str, int] = {}

    # ------------------------------------------------------------------ public API
    def value(self, schema: Any, *, name: str | None = None, root: dict | None = None,
              mode: str = "response") -> Any:
        """A value valid against `schema`; `name` (the property name) guides realism."""
        return self._compiled_for(schema, name, root, mode)(0)

    def record(self, schema: Any, *, root: dict | None = None, overrides: dict | None = None,
               mode: str = "response") -> dict:
        """A stored-looking object: every property, an id in the API's style, ordered timestamps."""
        if overrides:
            schema = self._branch_agreeing(schema, root, overrides)
        value = self._compiled_for(schema, None, root, mode, full=True)(0)
        if not isinstance(value, dict):
            return value
        if isinstance(value.get("id"), int) and not isinstance(value["id"], bool) and "id" not in (overrides or {}):
            value["id"] = self.sequence(f"record:{id(schema)}")  # integer keys count up, as databases do
        if overrides:
            value.update(copy.deepcopy(overrides))
        constraints.order_timestamps(value, fixed=set(overrides or ()))
        return value

    def _branch_agreeing(self, schema: Any, root: dict | None, overrides: dict) -> Any:
        """For a `oneOf`/`anyOf` record, the branch (merged with what surrounds it) that the
        values laid over it do not contradict: a record sent as `{"kind": "cat"}` is made a cat,
        not a dog relabelled. `schema` itself when no branch stands out."""
        try:
            resolved = deref(schema, root)
        except DataGenError:
            return schema
        keyword = next((k for k in ("oneOf", "anyOf") if isinstance(resolved, dict) and isinstance(resolved.get(k), list)), None)
        if keyword is None:
            return schema
        base = {k: v for k, v in resolved.items() if k not in ("oneOf", "anyOf", "discriminator")}
        agreeing = []
        for branch in resolved[keyword]:
            try:
                merged = merge_all([base, branch], root)
            except DataGenError:
                continue
            props = merged.get("properties") if isinstance(merged.get("properties"), dict) else {}
            if all(self._admits(props[name], value, root) for name, value in overrides.items() if name in props):
                agreeing.append(merged)
        if not agreeing or len(agreeing) == len(resolved[keyword]):
            return schema
        chosen = self.rng.choice(agreeing)
        self._keep.append(chosen)
        return chosen

    def _admits(self, schema: Any, value: Any, root: dict | None) -> bool:
        """Does a property's `enum`/`const` (the constants a branch is told apart by) allow `value`?"""
        try:
            flat = self._flatten(schema, root)
        except DataGenError:
            return True
        if not isinstance(flat, dict):
            return flat is not False
        if "const" in flat:
            return flat["const"] == value
        return value in flat["enum"] if isinstance(flat.get("enum"), list) else True

    def reseed(self, stream: str) -> None:
        """Start over on the sequence `stream` names: what is drawn next depends only on the
        seed and `stream`, not on what was drawn before (the mock's WebSocket feeds make their
        n-th frame so, whichever connection asks first)."""
        source = f"apitwin:{self.seed}:{stream}"
        self.rng.seed(source)
        self.faker.seed_instance(source)

    def sequence(self, key: str) -> int:
        """The next integer id for `key` (1, 2, 3, ...): integer ids look like database keys."""
        self._counters[key] = self._counters.get(key, 0) + 1
        return self._counters[key]

    # ------------------------------------------------------------------ compilation
    def _compiled_for(self, schema: Any, name: str | None, root: dict | None, mode: str,
                      full: bool = False) -> Gen:
        """The cached generator; `full` fills every optional property of the outermost object."""
        key = (id(schema), id(root), name, mode, full)
        hit = self._compiled.get(key)
        if hit is not None:
            return hit[1]
        # a placeholder first, so a schema that contains itself compiles to a loop, not a recursion
        self._compiled[key] = (schema, lambda depth: self._compiled[key][1](depth))
        gen = self._compile(schema, realism.normalise_name(name), root, mode, full)
        if self._needs_check(schema, root):
            gen = self._checked(gen, schema, root)
        self._compiled[key] = (schema, gen)
        return gen

    def _needs_check(self, schema: Any, root: dict | None) -> bool:
        """Does `schema` (or an `allOf` part of it) hold a keyword construction may miss?"""
        try:
            schema = deref(schema, root)
        except DataGenError:
            return False
        if not isinstance(schema, dict):
            return False
        parts = [schema, *(deref(p, root) for p in schema.get("allOf") or [] if isinstance(p, dict))]
        return any(isinstance(part, dict) and not CHECKED_KEYWORDS.isdisjoint(part) for part in parts)

    def _checked(self, gen: Gen, schema: Any, root: dict | None) -> Gen:
        """`gen`, its values checked against `schema` and drawn again when they fail it."""
        validators: list = []

        def checked(depth: int) -> Any:
            value = gen(depth)
            try:
                if not validators:
                    validators.append(constraints.validator(schema, root))
                for _ in range(CHECK_ATTEMPTS - 1):
                    if validators[0].is_valid(value):
                        break
                    value = gen(depth)
            except Exception:  # a schema the validator cannot read (a broken $ref): unchecked, as before
                pass
            return value
        return checked

    def _flatten(self, schema: Any, root: dict | None) -> Any:
        schema = deref(schema, root)
        if isinstance(schema, dict) and "allOf" in schema:
            merged = merge_all([{k: v for k, v in schema.items() if k != "allOf"}, *schema["allOf"]], root)
            self._keep.append(merged)
            return merged
        return schema

    def _compile(self, schema: Any, name: str, root: dict | None, mode: str, full: bool = False) -> Gen:
        if schema is False:
            raise DataGenError("schema `false` accepts no value")
        if schema is True or schema is None:
            schema = {}
        if not isinstance(schema, dict):
            raise DataGenError(f"not a schema: {schema!r}")
        if "$dynamicRef" in schema or "$recursiveRef" in schema:
            return self._compiled_for(self._dynamic_target(schema, root), name, root, mode, full)
        if "$ref" in schema:
            target = self._flatten(schema, root)
            return self._compiled_for(target, name, root, mode, full)
        if "allOf" in schema:
            return self._compiled_for(self._flatten(schema, root), name, root, mode, full)
        if "x-faker" in schema:
            return self._compile_faker(schema, name, root, mode)
        if "const" in schema:
            constant = schema["const"]
            return lambda depth: copy.deepcopy(constant)
        if "enum" in schema:
            return self._compile_enum(schema)
        if "if" in schema and ("then" in schema or "else" in schema):
            return self._compile_conditional(schema, name, root, mode, full)
        for keyword in ("oneOf", "anyOf"):
            if keyword in schema:
                return self._compile_choice(schema, keyword, name, root, mode, full)
        types = types_of(schema)
        concrete = [t for t in types if t != "null"] or ([] if types else ["string"])
        if not concrete:
            return lambda depth: None
        gen = self._compile_type(concrete[0], schema, name, root, mode, full)
        if "null" in types and not full:
            rng, rate = self.rng, self.null_rate
            return lambda depth: None if rng.random() < rate else gen(depth)
        return gen

    def _compile_type(self, kind: str, schema: dict, name: str, root: dict | None, mode: str,
                      full: bool = False) -> Gen:
        if kind == "object":
            return self._compile_object(schema, root, mode, full)
        if kind == "array":
            return self._compile_array(schema, name, root, mode)
        if kind in ("integer", "number"):
            return self._compile_number(schema, name, integer=kind == "integer")
        if kind == "boolean":
            return self._compile_boolean(name)
        return self._compile_string(schema, name)

    # ------------------------------------------------------------------ keywords
    def _dynamic_target(self, schema: dict, root: dict | None) -> Any:
        """What a `$dynamicRef` (or draft 2019-09's `$recursiveRef`) stands for when generating:
        the schema its anchor names. Without an enclosing schema that overrides the anchor (the
        case of every OpenAPI contract seen so far) that is also what a validator resolves to.
        2020-12 ignores `$recursiveRef`; it becomes the `$recursiveAnchor: true` schema if any."""
        rest = {k: v for k, v in schema.items() if k not in ("$dynamicRef", "$recursiveRef")}
        if isinstance(schema.get("$dynamicRef"), str):
            target = resolve_pointer(root, schema["$dynamicRef"])
        else:
            target = anchors(root).get("$recursiveAnchor", {}) if isinstance(root, dict) else {}
        merged = merge_all([target, rest], root) if rest else target
        self._keep.append(merged)
        return merged

    def _compile_conditional(self, schema: dict, name: str, root: dict | None, mode: str, full: bool) -> Gen:
        """`if`/`then`/`else`: a value built to meet `if` and `then`, or one built for `else`
        (the check around every such schema draws again if the `else` value meets `if`)."""
        base = {k: v for k, v in schema.items() if k not in ("if", "then", "else")}
        condition = schema["if"]
        paths = []
        if condition is not False:
            paths.append(merge_all([base, condition, schema.get("then", True)], root))
        if condition is not True:
            paths.append(merge_all([base, schema.get("else", True)], root))
        self._keep.extend(paths)
        gens = [self._compiled_for(p, name, root, mode, full) for p in paths]
        rng = self.rng
        return lambda depth: rng.choice(gens)(depth)

    def _compile_faker(self, schema: dict, name: str, root: dict | None, mode: str) -> Gen:
        hint = schema["x-faker"]
        provider, args = (hint.get("provider"), hint.get("args")) if isinstance(hint, dict) else (hint, None)
        if not isinstance(provider, str) or not provider:
            raise DataGenError(f"x-faker needs a provider name, got {hint!r}")
        method = getattr(self.faker, provider.rsplit(".", 1)[-1], None)
        if not callable(method):
            raise DataGenError(f"x-faker provider {provider!r} is not a Faker provider")
        rest = {k: v for k, v in schema.items() if k != "x-faker"}
        self._keep.append(rest)
        fallback = self._compile(rest, name, root, mode)
        types = types_of(schema)
        check = constraints.fits_string if "string" in types else (lambda v, s: True)

        def call() -> Any:
            if isinstance(args, dict):
                return method(**args)
            if isinstance(args, list):
                return method(*args)
            return method()

        def gen(depth: int) -> Any:
            value = call()
            if isinstance(value, datetime):
                value = realism.iso(value)
            if "string" in types and not isinstance(value, str):
                value = str(value)
            return value if check(value, schema) else fallback(depth)
        return gen

    def _compile_enum(self, schema: dict) -> Gen:
        choices = list(schema["enum"])
        if not choices:
            raise DataGenError("enum is empty: no value can satisfy it")
        rng = self.rng
        return lambda depth: copy.deepcopy(rng.choice(choices))

    def _compile_choice(self, schema: dict, keyword: str, name: str, root: dict | None, mode: str,
                        full: bool = False) -> Gen:
        base = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
        branches = []
        for branch in schema[keyword]:
            if set(base) - {"description", "title", "discriminator", "example", "examples"}:
                branch = merge_all([base, branch], root)
                self._keep.append(branch)
            branches.append(branch)
        gens = [self._compiled_for(b, name, root, mode, full) for b in branches]
        rng = self.rng
        if keyword == "anyOf" or len(gens) == 1:
            return lambda depth: rng.choice(gens)(depth)
        validators: list = []

        requires = [set(deref(b, root).get("required") or ()) if isinstance(deref(b, root), dict) else set()
                    for b in branches]

        def exclusive(depth: int) -> Any:
            if not validators:
                validators.extend(constraints.validator(b, root) for b in branches)
            value = None
            for _ in range(3):
                order = list(range(len(gens)))
                rng.shuffle(order)
                for index in order:
                    value = gens[index](depth)
                    matches = [i for i, v in enumerate(validators) if v.is_valid(value)]
                    if matches == [index]:
                        return value
                    if index in matches and isinstance(value, dict):
                        # `oneOf` of `required` sets: drop the keys that make another branch match
                        for other in matches:
                            for key in requires[other] - requires[index]:
                                value.pop(key, None)
                        if [i for i, v in enumerate(validators) if v.is_valid(value)] == [index]:
                            return value
                        if self._set_apart(value, index, branches, validators, root):
                            return value
            return value
        return exclusive

    #: values tried, in order, to make a property another branch declares fail that branch
    _OFF_TYPE = (0, "x", True, [], {})

    def _set_apart(self, value: Any, index: int, branches: list[Any], validators: list, root: dict | None) -> bool:
        """Make an object that matches its own `oneOf` branch and others match its own only.

        Branches that constrain nothing they do not declare (`{a: string}` and `{c: string}`)
        accept the same objects; an object of one of them must then hold a property another
        declares with a value that other refuses (`c: 0`). Done only when the own branch still
        accepts the object, so the value stays valid; False when no such property is found.
        """
        if not isinstance(value, dict):
            return False
        for _ in range(len(branches)):
            matches = [i for i, v in enumerate(validators) if v.is_valid(value)]
            if matches == [index]:
                return True
            if index not in matches:
                return False
            progressed = False
            for other in (i for i in matches if i != index):
                try:
                    declared = self._flatten(branches[other], root)
                except DataGenError:
                    continue
                for name in (declared.get("properties") or {}) if isinstance(declared, dict) else ():
                    if name in value:
                        continue
                    for wrong in self._OFF_TYPE:
                        value[name] = copy.deepcopy(wrong)
                        if validators[index].is_valid(value) and not validators[other].is_valid(value):
                            progressed = True
                            break
                        del value[name]
                    if progressed:
                        break
                if progressed:
                    break
            if not progressed:
                return False
        return [i for i, v in enumerate(validators) if v.is_valid(value)] == [index]

    def _compile_object(self, schema: dict, root: dict | None, mode: str, full: bool = False) -> Gen:
        required = list(schema.get("required") or ())
        props = []
        hidden = set()
        for prop, sub in (schema.get("properties") or {}).items():
            if self._skipped(sub, root, mode):
                hidden.add(prop)  # required only in the other direction (see contracts/directions)
                continue
            props.append((prop, self._compiled_for(sub, prop, root, mode), prop in required))
        required = [prop for prop in required if prop not in hidden]
        declared = {p for p, _, _ in props}
        for prop in required:
            if prop not in declared:
                props.append((prop, self._compiled_for({}, prop, None, mode), True))
        extra = self._compile_extra(schema, root, mode)
        min_props, max_props = schema.get("minProperties", 0), schema.get("maxProperties")
        rng, rate = self.rng, 1.0 if full else self.optional_rate
        gens = {prop: fn for prop, fn, _ in props}
        dependent_required = [(k, [n for n in v if isinstance(n, str)]) for k, v in (schema.get("dependentRequired") or {}).items()
                              if isinstance(v, list)]
        dependent_schemas = [(k, self._compiled_for(v, None, root, mode)) for k, v in (schema.get("dependentSchemas") or {}).items()
                             if isinstance(v, dict)]

        def dependents(out: dict, depth: int) -> None:
            """A property present brings what `dependentRequired`/`dependentSchemas` ask of it."""
            for trigger, needed in dependent_required:
                if trigger in out:
                    for prop in needed:
                        if prop not in out:
                            out[prop] = (gens.get(prop) or self._compiled_for({}, prop, None, mode))(depth + 1)
            for trigger, fn in dependent_schemas:
                if trigger in out:
                    more = fn(depth + 1)
                    if isinstance(more, dict):
                        for prop, value in more.items():
                            out.setdefault(prop, value)

        def gen(depth: int) -> dict:
            out: dict = {}
            for prop, fn, is_required in props:
                if is_required or (depth < MAX_DEPTH and (full or rng.random() < rate)):
                    out[prop] = fn(depth + 1)
            if extra is not None:
                extra(out, depth, min_props)
            for prop, fn, _ in props:
                if len(out) >= min_props:
                    break
                out.setdefault(prop, fn(depth + 1))
            if max_props is not None and len(out) > max_props:
                for prop in [p for p in out if p not in required][: len(out) - max_props]:
                    del out[prop]
            dependents(out, depth)
            constraints.order_timestamps(out)
            return out
        return gen

    def _compile_extra(self, schema: dict, root: dict | None, mode: str):
        """Keys beyond `properties`: maps (`additionalProperties: {...}`), `patternProperties`,
        and a few plausible fields in a free-form object."""
        additional = schema.get("additionalProperties", schema.get("unevaluatedProperties", True))
        patterns = schema.get("patternProperties") or {}
        names = (schema.get("propertyNames") or {}).get("pattern")
        has_props = bool(schema.get("properties"))
        if patterns:
            pattern, sub = next(iter(patterns.items()))
            key_pattern, value_gen = pattern, self._compiled_for(sub, None, root, mode)
        elif additional is False or (has_props and additional in (True, None)):
            if schema.get("minProperties", 0) <= len(schema.get("properties") or {}):
                return None
            key_pattern, value_gen = names, self._compiled_for({"type": "string"}, None, root, mode)
        elif isinstance(additional, dict) and additional:
            key_pattern, value_gen = names, self._compiled_for(additional, None, root, mode)
        else:  # free-form object: a few words mapping to words
            key_pattern, value_gen = names, self._compiled_for({"type": "string"}, "word", root, mode)
        rng, faker, patterns_gen = self.rng, self.faker, self.patterns

        def fill(out: dict, depth: int, min_props: int) -> None:
            count = max(min_props - len(out), 0)
            if not has_props and depth < MAX_DEPTH:
                count = max(count, rng.randint(1, 3))
            for _ in range(count * 4):
                if count <= 0:
                    break
                key = patterns_gen.matching(key_pattern) if key_pattern else faker.word()
                if key not in out:
                    out[key] = value_gen(depth + 1)
                    count -= 1
        return fill

    def _compile_array(self, schema: dict, name: str, root: dict | None, mode: str) -> Gen:
        # past `prefixItems`, `items` rules; without it `unevaluatedItems` does
        items = schema.get("items") if "items" in schema else schema.get("unevaluatedItems")
        prefix = [self._compiled_for(s, None, root, mode) for s in schema.get("prefixItems") or ()]
        item_name = constraints.singular(name)
        item_gen = self._compiled_for(items if isinstance(items, dict) else {}, item_name, root, mode) \
            if items is not False else None
        low = int(schema.get("minItems", 0))
        high = schema.get("maxItems")
        high = min(int(high), max(low, 3)) if high is not None else max(low, 3)
        if item_gen is None:
            high = min(high, len(prefix))
        unique = bool(schema.get("uniqueItems"))
        rng = self.rng
        contains = self._contains(schema, items, item_name, root, mode)

        def gen(depth: int) -> list:
            floor = low if depth >= MAX_DEPTH else max(low, min(1, high))
            target = rng.randint(floor, max(floor, high))
            out: list = [fn(depth + 1) for fn in prefix[:target]]
            # repeats are avoided even where allowed (real lists rarely repeat); where the
            # schema allows them, a short list may still take one to reach `minItems`
            seen = {constraints.canonical(v) for v in out}
            attempts = 0
            while len(out) < target and item_gen is not None and attempts < target * 10 + 10:
                attempts += 1
                value = item_gen(depth + 1)
                marker = constraints.canonical(value)
                if marker in seen and (unique or len(out) >= floor or attempts < target * 5):
                    continue
                seen.add(marker)
                out.append(value)
            if contains is not None and item_gen is not None:
                self._fit_contains(out, contains, len(prefix), schema.get("maxItems"), depth)
            return out
        return gen

    def _contains(self, schema: dict, items: Any, name: str, root: dict | None, mode: str) -> tuple | None:
        """(generator, minContains, maxContains, check) for an array with `contains`."""
        wanted = schema.get("contains")
        if wanted is None or isinstance(wanted, bool):
            return None
        least = int(schema.get("minContains", 1))
        most = schema.get("maxContains")
        target = merge_all([items, wanted], root) if isinstance(items, dict) else wanted
        self._keep.append(target)
        checks: list = []

        def check(value: Any) -> bool:
            if not checks:
                checks.append(constraints.validator(wanted, root))
            return checks[0].is_valid(value)
        return self._compiled_for(target, name, root, mode), least, most, check

    @staticmethod
    def _fit_contains(out: list, contains: tuple, fixed: int, max_items: Any, depth: int) -> None:
        """Between `minContains` and `maxContains` items of `out` (after the first `fixed`,
        which `prefixItems` placed) match `contains`: surplus matches go, missing ones are made."""
        gen, least, most, check = contains
        matching = [i for i, v in enumerate(out) if check(v)]
        if most is not None:
            for index in reversed([i for i in matching[int(most):] if i >= fixed]):
                del out[index]
            matching = [i for i, v in enumerate(out) if check(v)]
        for _ in range(max(least - len(matching), 0)):
            value = gen(depth + 1)
            spare = [i for i in range(fixed, len(out)) if i not in matching]
            if max_items is not None and len(out) >= int(max_items) and spare:
                out[spare[-1]] = value
                matching.append(spare[-1])
            else:
                out.append(value)
                matching.append(len(out) - 1)

    def _compile_number(self, schema: dict, name: str, *, integer: bool) -> Gen:
        low, low_ex, high, high_ex = bounds(schema)
        limits = generation_range(schema, integer=integer)
        if limits is not None:  # int32, int64, float: what the format can hold
            lo_fmt, hi_fmt = limits
            # an unbounded float keeps its believable default range; an integer spans its width
            low = (lo_fmt if integer else None) if low is None else max(low, lo_fmt)
            high = (hi_fmt if integer else None) if high is None else min(high, hi_fmt)
        if integer:
            lo = None if low is None else (math.floor(low) + 1 if low_ex else math.ceil(low))
            hi = None if high is None else (math.ceil(high) - 1 if high_ex else math.floor(high))
        else:
            lo, hi = low, high
        if lo is not None and hi is not None and lo > hi:
            raise DataGenError(f"no number fits minimum {low} and maximum {high}")
        natural = realism.number_range(name) or ((1, 100000) if name == "id" or name.endswith("_id") else None)
        lo, hi = constraints.pick_range(lo, hi, natural, strict=not integer)
        multiple = schema.get("multipleOf")
        rng = self.rng

        def inside(v: float) -> bool:
            return ((low is None or v > low or (v == low and not low_ex))
                    and (high is None or v < high or (v == high and not high_ex)))

        if multiple:
            first, last = math.ceil(lo / multiple), math.floor(hi / multiple)
            if first > last:
                raise DataGenError(f"no multiple of {multiple} lies in {lo}..{hi}")

            def gen_multiple(depth: int) -> float | int:
                value: float | int = 0
                for _ in range(20):
                    value = constraints.times(rng.randint(first, last), multiple, integer)
                    if inside(value) and constraints.is_multiple(value, multiple):
                        return value
                return value
            return gen_multiple
        if integer:
            return lambda depth: rng.randint(lo, hi)

        def gen_float(depth: int) -> float:
            for _ in range(10):
                value = rng.uniform(lo, hi)
                rounded = round(value, 2) if hi - lo >= 1 else value
                if inside(rounded):
                    return rounded
                if inside(value):
                    return value
            return (lo + hi) / 2
        return gen_float

    def _compile_boolean(self, name: str) -> Gen:
        rng = self.rng
        chance = 0.85 if name in _LIKELY_TRUE else 0.1 if name in _LIKELY_FALSE else 0.5
        return lambda depth: rng.random() < chance

    def _compile_string(self, schema: dict, name: str) -> Gen:
        min_len = int(schema.get("minLength", 0))
        max_len = schema.get("maxLength")
        max_len = int(max_len) if max_len is not None else None
        pattern = schema.get("pattern")
        fmt = schema.get("format")
        if fmt is None and schema.get("contentEncoding") == "base64":
            fmt = "byte"  # 2020-12 spells 3.0's `format: byte` as `contentEncoding: base64`
        if pattern is not None:
            compiled(pattern)  # a broken pattern is reported when the schema is first used
        candidates: list[Callable[[], Any]] = []
        hint = realism.string_hint(name)
        styled = constraints.id_style(schema, name) if not (pattern or fmt) else None
        if styled is not None:
            candidates.append(lambda: self._styled_id(*styled))
        if hint is not None and (fmt is None or fmt in constraints.OPEN_FORMATS):
            # the name's idea, if it has the format's shape (a `username` may be an e-mail)
            candidates.append(lambda: constraints.shaped(hint(self, schema), fmt))
        if fmt in realism.FORMATS:
            format_hint = realism.FORMATS[fmt]
            candidates.append(lambda: format_hint(self, schema))
        if pattern is not None:
            for probe in constraints.pattern_probes(pattern):
                candidates.append(lambda probe=probe: probe(self, schema))
            if _SECRET_NAME.search(name) and not pattern.endswith("$"):
                # `^sk_(live|test)_` only fixes a prefix: a key is that prefix and a secret tail
                candidates.append(lambda: self.patterns.matching(pattern) + self.faker.pystr(24, 32))
            candidates.append(lambda: self.patterns.matching(pattern, min_len, max_len))
        elif fmt is None and (name == "id" or name.endswith("_id")):
            candidates.append(lambda: realism.a_uuid(self))
        generic = self._generic_text

        def gen(depth: int) -> str:
            for make in candidates:
                value = make()
                if isinstance(value, str) and constraints.fits_string(value, schema):
                    return value
            if pattern is not None or (fmt in realism.FORMATS and fmt not in constraints.FREE_FORMATS):
                raise DataGenError(
                    f"cannot produce a string for {name or 'value'!r} with format {fmt!r}, pattern "
                    f"{pattern!r} and length {min_len}..{max_len}")
            return generic(min_len, max_len)  # plain text, or a format any text satisfies
        return gen

    # ------------------------------------------------------------------ helpers
    def _generic_text(self, min_len: int, max_len: int | None) -> str:
        if max_len is None:
            text = " ".join(self.faker.words(self.rng.randint(1, 3)))
        else:
            text = " ".join(self.faker.words(self.rng.randint(1, 3)))[:max_len].rstrip()
        while len(text) < min_len:
            text = (text + " " + self.faker.word()) if text else self.faker.word()
        if max_len is not None and len(text) > max_len:
            text = text[:max_len]
            if text != text.rstrip():  # never end on a space
                text = text.rstrip() + "x" * (len(text) - len(text.rstrip()))
        return text

    def _styled_id(self, prefix: str, alphabet: str, length: int) -> str:
        return prefix + "".join(self.rng.choice(alphabet) for _ in range(length))

    def _skipped(self, schema: Any, root: dict | None, mode: str) -> bool:
        """A property this direction never carries: ``writeOnly`` in a response, ``readOnly`` in
        a request, required or not (OpenAPI: `required` then applies to the other direction)."""
        return isinstance(schema, dict) and carries(schema, HIDDEN_BY[REQUEST if mode == "request" else RESPONSE], root or {})
