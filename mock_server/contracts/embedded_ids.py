"""A `$ref` to a schema's `$id` is a local reference: it is spelled as that schema's JSON pointer.

JSON Schema 2020-12 (and so OpenAPI 3.1) lets a schema name itself, `$id:
https://example.com/schemas/pet`, and lets any `$ref` use that name. The URL is an identifier, not
an address: the schema is in the document, and nothing may be fetched. Each tool reads `$id` its
own way (some follow the URL, some do not know the keyword), so the loader settles it once:
every `$ref` that names an embedded `$id` (resolved against the `$id`s around it, its fragment a
JSON pointer into that schema or an `$anchor` in it) is rewritten to the JSON pointer of what it
names, and the absolute `$id`s are then dropped, so no tool resolves a `#/...` reference inside
such a schema against the URL instead of the document. References that name no embedded `$id`
are left exactly as written (a remote one is still refused when the contract is loaded); a
`#/...` pointer inside a schema with an `$id` keeps meaning the document, as contract authors
write it and as apitwin always read it.

OpenAPI 3.0's Schema Object has no `$id`; a 3.0 document is left as it is.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urldefrag, urljoin

from mock_server.contracts.refs import is_data, is_remote, pointer_join

__all__ = ["localize_id_refs"]

#: how deep the walk goes (a depth limit for every parser; the YAML loader's own is lower)
_MAX_DEPTH = 256


def localize_id_refs(document: Any) -> Any:
    """`document` (changed in place and returned) with `$ref`s to embedded `$id`s made pointers."""
    if not isinstance(document, dict) or str(document.get("openapi", "")).startswith(("3.0", "2")) \
            or "swagger" in document:
        return document
    resources = _resources(document)
    if not resources:
        return document
    unresolved: set[str] = set()
    for holder, base in _refs(document):
        uri = urljoin(base, holder["$ref"]) if base else holder["$ref"]
        target = _pointer_for(uri, resources)
        if target is not None:
            holder["$ref"] = target
        elif urldefrag(uri).url in resources:  # its fragment names nothing there: kept, and refused
            unresolved.add(urldefrag(uri).url)
    for mapping, base in _mappings(document):  # a discriminator's mapping values are references too
        for value, ref in list(mapping.items()):
            target = _pointer_for(urljoin(base, ref) if base else ref, resources) if isinstance(ref, str) else None
            if target is not None:
                mapping[value] = target
    for uri, (_, node, _) in resources.items():
        if uri not in unresolved:
            node.pop("$id", None)
    return document


def _walk(document: dict[str, Any]):
    """`(node, pointer, base URI in force there)` for every schema-like object, data skipped."""
    stack: list[tuple[Any, str, tuple[str, ...], str, int]] = [(document, "", (), "", 0)]
    while stack:
        value, pointer, parents, base, depth = stack.pop()
        if depth > _MAX_DEPTH:
            continue
        if isinstance(value, dict):
            own = value.get("$id")
            named = bool(parents) and parents[-1] in ("properties", "patternProperties", "$defs", "schemas")
            if isinstance(own, str) and not named:
                base = urljoin(base, own) if base else own
            yield value, pointer, base
            for key, item in value.items():
                if isinstance(item, (dict, list)) and not is_data(key, parents, item):
                    stack.append((item, pointer_join(pointer, key), (*parents[-1:], key), base, depth + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, (dict, list)):
                    stack.append((item, pointer_join(pointer, index), (*parents[-1:], str(index)), base, depth + 1))


def _resources(document: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any], dict[str, str]]]:
    """`{absolute $id: (its JSON pointer, the schema, {anchor: pointer inside it})}`."""
    found: dict[str, tuple[str, dict[str, Any], dict[str, str]]] = {}
    for node, pointer, base in _walk(document):
        if isinstance(node.get("$id"), str) and is_remote(base):
            found.setdefault(urldefrag(base).url, (pointer, node, {}))
    if found:  # anchors, each in the resource it is written in
        for node, pointer, base in _walk(document):
            anchor = node.get("$anchor")
            resource = found.get(urldefrag(base).url) if base else None
            if isinstance(anchor, str) and resource is not None:
                resource[2].setdefault(anchor, pointer)
    return found


def _refs(document: dict[str, Any]):
    """`(object holding a $ref, base URI there)` for every `$ref` that could name an `$id`."""
    for node, _, base in _walk(document):
        ref = node.get("$ref")
        if isinstance(ref, str) and (is_remote(ref) or (base and not ref.startswith("#"))):
            yield node, base


def _mappings(document: dict[str, Any]):
    """`(discriminator mapping, base URI there)` for every discriminator with a mapping."""
    for node, _, base in _walk(document):
        disc = node.get("discriminator")
        if isinstance(disc, dict) and isinstance(disc.get("mapping"), dict):
            yield disc["mapping"], base


def _pointer_for(uri: str, resources: dict[str, tuple[str, dict[str, Any], dict[str, str]]]) -> str | None:
    location, fragment = urldefrag(uri)
    resource = resources.get(location)
    if resource is None:
        return None
    pointer, _, anchors = resource
    if not fragment or fragment.startswith("/"):
        return "#" + pointer + fragment
    anchored = anchors.get(fragment)
    return "#" + anchored if anchored is not None else None
