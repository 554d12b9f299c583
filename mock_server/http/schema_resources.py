"""What the schema compiler registers: the contract once, and per direction only what differs.

A request is checked against the request view of its schema and an answer against the response
view (contracts/directions.py). Registering the whole contract once per view doubled the
validator's memory on a vendor-sized contract (GitHub's: +60 MB for nine schemas that differ).
So the contract is registered once as it is, and each direction whose view differs gets an
*overlay*: a small resource holding only the components that differ in that view and those that
refer to them (directly or not). A ``$ref`` compiled for that direction points into the overlay
for those components and into the contract for everything else, so every path through the
references stays inside the direction's view.

A contract with ``$anchor``/``$dynamicAnchor`` schemas gets whole-contract overlays: a dynamic
reference finds its anchor only within its own resource.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mock_server.contracts.directions import view
from mock_server.contracts.refs import iter_refs
from mock_server.contracts.schemas import anchored_schemas

#: the component maps whose entries a ``$ref`` may name and an overlay may carry
SECTIONS = ("schemas", "parameters", "requestBodies", "responses", "headers")
DIALECT = "https://json-schema.org/draft/2020-12/schema"

Unit = tuple[str, str]  # (section, name): one component


class DirectedResources:
    """The registry's resources for one contract and how a ``$ref`` is anchored per direction."""

    def __init__(self, document: Mapping[str, Any], components: Mapping[str, Any], base_uri: str,
                 directions: tuple[str, ...], anchor: Callable[[Any, Callable[[str], str]], Any]) -> None:
        self.base_uri = base_uri
        contents = {**document, "$schema": DIALECT, "components": components}
        anchored = anchored_schemas({"components": components})
        if anchored:  # `$dynamicRef: '#node'` finds its anchor only where JSON Schema looks for one
            contents["$defs"] = {**(document.get("$defs") or {}), **anchored}
        self.resources: list[tuple[str, Any]] = [(base_uri, contents)]
        self._overlays: dict[str, tuple[str, set[Unit]]] = {}
        for direction in directions:
            viewed = view(components, direction, document)
            if viewed is components:
                continue  # this direction sees the contract as it is
            uri = f"{base_uri}:{direction}"
            if anchored:
                whole = {**document, "$schema": DIALECT, "components": viewed,
                         "$defs": {**(document.get("$defs") or {}), **anchored_schemas({"components": viewed})}}
                self.resources.append((uri, whole))
                self._overlays[direction] = (uri, {(s, n) for s in SECTIONS for n in _section(viewed, s)})
                continue
            units = _with_referrers(_changed(components, viewed), components)
            self._overlays[direction] = (uri, units)
            resolve = self.resolver(direction)
            overlay: dict[str, dict[str, Any]] = {}
            for section, name in units:
                overlay.setdefault(section, {})[name] = anchor(_section(viewed, section)[name], resolve)
            self.resources.append((uri, {"$schema": DIALECT, "components": overlay}))

    def resolver(self, direction: str | None) -> Callable[[str], str]:
        """`ref -> absolute ref` for a schema compiled for `direction`."""
        found = self._overlays.get(direction) if direction else None
        base = self.base_uri
        if found is None:
            return lambda ref: base + ref
        uri, units = found

        def resolve(ref: str) -> str:
            unit = _unit_of(ref)
            return (uri if unit is not None and unit in units else base) + ref
        return resolve


def _section(components: Mapping[str, Any], section: str) -> Mapping[str, Any]:
    found = components.get(section)
    return found if isinstance(found, dict) else {}


def _changed(components: Mapping[str, Any], viewed: Mapping[str, Any]) -> set[Unit]:
    """The components a view changed (a view copies only what changes)."""
    return {(section, name) for section in SECTIONS
            for name, node in _section(viewed, section).items() if node is not _section(components, section).get(name)}


def _with_referrers(changed: set[Unit], components: Mapping[str, Any]) -> set[Unit]:
    """`changed` plus every component that reaches one of them through its ``$ref``s."""
    referrers: dict[Unit, set[Unit]] = {}
    for section in SECTIONS:
        for name, node in _section(components, section).items():
            for _, ref in iter_refs(node):
                target = _unit_of(ref)
                if target is not None:
                    referrers.setdefault(target, set()).add((section, name))
    found = set(changed)
    pending = list(changed)
    while pending:
        for referrer in referrers.get(pending.pop(), ()):
            if referrer not in found:
                found.add(referrer)
                pending.append(referrer)
    return found


def _unit_of(ref: str) -> Unit | None:
    """The component a local ``$ref`` lands in (``#/components/schemas/User/properties/id``)."""
    if not ref.startswith("#/components/"):
        return None
    parts = ref[len("#/components/"):].split("/")
    if len(parts) < 2 or parts[0] not in SECTIONS:
        return None
    return parts[0], parts[1].replace("~1", "/").replace("~0", "~")
