"""The OpenAPI 3.0 view of an OpenAPI 3.1 document, served at ``/__mock/openapi-3.0.json`` for
tools that read only 3.0.

The mock never validates, generates or routes from this view: requests are checked with a JSON
Schema 2020-12 validator against the contract as written, and data is generated from it too. So
the view says in 3.0's words what 3.0 can say, and leaves out the rest:

======================================  ==================================================
3.1                                     3.0 view
======================================  ==================================================
``type: [string, 'null']``              ``type: string, nullable: true``
``type: [string, integer]``             ``anyOf: [{type: string}, {type: integer}]``
``anyOf: [X, {type: 'null'}]``          ``anyOf: [X], nullable: true``
``const: v``                            ``enum: [v]``
``examples: [a, b]`` in a schema        ``example: a``
``exclusiveMinimum: 5``                 ``minimum: 5, exclusiveMinimum: true``
``$ref`` with sibling keywords          ``allOf: [{$ref}]`` plus the siblings
``contentEncoding: base64``             ``format: byte``
boolean schemas ``true`` / ``false``    ``{}`` / ``{not: {}}``
top-level ``webhooks``,                 dropped (not routes; the webhook side reads the
``jsonSchemaDialect``                   contract itself)
``info.summary``, license identifier    dropped
``components.pathItems`` refs           inlined
an operation without ``responses``      ``responses: {default: ...}``
======================================  ==================================================

The one rule for everything else: a schema keeps only the keywords of 3.0's Schema Object
(and ``x-`` extensions); any other keyword (``prefixItems``, ``if``/``then``/``else``,
``unevaluatedProperties``, ``$dynamicRef``, ``dependentRequired``, ``$defs``, ...) is left out,
together with a 3.0 keyword whose meaning depends on it (``items`` beside ``prefixItems``,
``additionalProperties`` beside ``patternProperties``), and the schema names what it lost in
``x-apitwin-omitted`` (annotations and ``$defs``, which constrain nothing, go without a word). A ``$ref`` to something the view left out (into ``$defs``, an anchor)
becomes the empty schema, and a ``mutualTLS`` security scheme, which 3.0 cannot name, is left
out with the requirements that use it. The view is therefore never stricter than the contract,
only looser where 3.0 lacks the words. A 3.0 document is returned as it is.
"""

from __future__ import annotations

import copy
from typing import Any

from mock_server.contracts.refs import is_data
from mock_server.contracts.schemas import pointer_get

#: the keywords of OpenAPI 3.0's Schema Object; a view schema holds these and ``x-`` extensions only
SCHEMA_30_KEYWORDS = frozenset({
    "title", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength",
    "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxProperties", "minProperties",
    "required", "enum", "type", "allOf", "oneOf", "anyOf", "not", "items", "properties",
    "additionalProperties", "description", "format", "default", "nullable", "discriminator",
    "readOnly", "writeOnly", "xml", "externalDocs", "example", "deprecated", "$ref",
})
#: 3.0 keywords whose meaning changes when a 2020-12 keyword beside them is left out
#: (``items: false`` after ``prefixItems`` allows the prefix; alone it allows only ``[]``)
_DEPENDS_ON = {"items": "prefixItems", "additionalProperties": "patternProperties"}
#: left out without a word: annotations and definitions, which constrain no value
_SILENT = frozenset({
    "$schema", "$id", "$anchor", "$dynamicAnchor", "$recursiveAnchor", "$comment", "$vocabulary", "$defs",
    "definitions", "contentMediaType", "contentSchema",
})
#: the extension that names what a view schema left out
OMITTED = "x-apitwin-omitted"

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_SCHEMA_MAPS = ("properties",)
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_SINGLE = ("items", "not", "additionalProperties")
#: 3.1 keywords the view says in 3.0 words (below) rather than leaving out
_TRANSLATED = frozenset({"const", "examples", "contentEncoding"})


class DowngradeError(Exception):
    """A document no view can be made of (not OpenAPI 3.0 or 3.1, a path item `$ref` that leads
    nowhere); `pointer` says where. What 3.0 cannot say is left out of the view, never an error."""

    def __init__(self, source: str, pointer: str, cause: str) -> None:
        self.source, self.pointer, self.cause = source, pointer, cause
        super().__init__(f"{source}: {pointer}: {cause}")


def downgrade(document: dict[str, Any], *, source: str = "<document>") -> dict[str, Any]:
    """The OpenAPI 3.0 view of `document` (itself when it is 3.0 already)."""
    version = str(document.get("openapi", ""))
    if version.startswith("3.0"):
        return document
    if not version.startswith("3.1"):
        raise DowngradeError(source, "#/openapi", f"OpenAPI version {version or '(missing)'!r} is not 3.0 or 3.1")
    return _Downgrader(document, source).run()


class _Downgrader:
    def __init__(self, document: dict[str, Any], source: str) -> None:
        self.original = document
        self.source = source

    def fail(self, pointer: str, cause: str) -> DowngradeError:
        return DowngradeError(self.source, pointer, cause)

    def run(self) -> dict[str, Any]:
        doc = copy.deepcopy(self.original)
        doc["openapi"] = "3.0.3"
        doc.pop("webhooks", None)
        doc.pop("jsonSchemaDialect", None)
        info = doc.setdefault("info", {})
        info.pop("summary", None)
        if isinstance(info.get("license"), dict):
            info["license"].pop("identifier", None)
        doc.setdefault("paths", {})
        components = doc.get("components") or {}
        path_items = components.pop("pathItems", None) or {}

        for path, item in list((doc.get("paths") or {}).items()):
            pointer = f"#/paths/{_escape(path)}"
            doc["paths"][path] = self.path_item(self.inline_path_item(item, path_items, pointer), pointer)
        for name, schema in list((components.get("schemas") or {}).items()):
            components["schemas"][name] = self.schema(schema, f"#/components/schemas/{_escape(name)}")
        for name, parameter in list((components.get("parameters") or {}).items()):
            components["parameters"][name] = self.parameter(parameter, f"#/components/parameters/{_escape(name)}")
        for name, body in list((components.get("requestBodies") or {}).items()):
            components["requestBodies"][name] = self.content_holder(body, f"#/components/requestBodies/{_escape(name)}")
        for name, response in list((components.get("responses") or {}).items()):
            components["responses"][name] = self.response(response, f"#/components/responses/{_escape(name)}")
        for name, header in list((components.get("headers") or {}).items()):
            components["headers"][name] = self.parameter(header, f"#/components/headers/{_escape(name)}")
        for name, callback in list((components.get("callbacks") or {}).items()):
            components["callbacks"][name] = self.callback(callback, path_items, f"#/components/callbacks/{_escape(name)}")
        self.drop_mutual_tls(doc)
        _drop_dangling_refs(doc, doc)
        return doc

    def drop_mutual_tls(self, doc: dict[str, Any]) -> None:
        """3.0 cannot name a ``mutualTLS`` scheme: the view leaves it out, and every security
        requirement that names it (the mock does not terminate TLS, so it checks none)."""
        schemes = (doc.get("components") or {}).get("securitySchemes") or {}
        mutual = {name for name, scheme in schemes.items() if isinstance(scheme, dict) and scheme.get("type") == "mutualTLS"}
        if not mutual:
            return
        for name in mutual:
            del schemes[name]

        def keep(requirements: Any) -> Any:
            if not isinstance(requirements, list):
                return requirements
            return [r for r in requirements if not (isinstance(r, dict) and mutual & set(r))]

        if "security" in doc:
            doc["security"] = keep(doc["security"])
        for item in (doc.get("paths") or {}).values():
            for method in _METHODS:
                operation = item.get(method) if isinstance(item, dict) else None
                if isinstance(operation, dict) and "security" in operation:
                    operation["security"] = keep(operation["security"])

    # -- structure ---------------------------------------------------------------------------

    def inline_path_item(self, item: Any, path_items: dict[str, Any], pointer: str) -> Any:
        ref = item.get("$ref") if isinstance(item, dict) else None
        if isinstance(ref, str) and ref.startswith("#/components/pathItems/"):
            name = ref.rsplit("/", 1)[1].replace("~1", "/").replace("~0", "~")
            if name not in path_items:
                raise self.fail(pointer, f"$ref {ref} does not resolve")
            return {**copy.deepcopy(path_items[name]), **{k: v for k, v in item.items() if k != "$ref"}}
        return item

    def path_item(self, item: Any, pointer: str) -> Any:
        if not isinstance(item, dict):
            return item
        for key, value in list(item.items()):
            if key == "parameters":
                item[key] = [self.parameter(p, f"{pointer}/parameters/{i}") for i, p in enumerate(value or [])]
            elif key in _METHODS:
                item[key] = self.operation(value, f"{pointer}/{key}")
        return item

    def operation(self, operation: Any, pointer: str) -> Any:
        if not isinstance(operation, dict):
            return operation
        if "parameters" in operation:
            operation["parameters"] = [self.parameter(p, f"{pointer}/parameters/{i}") for i, p in enumerate(operation["parameters"] or [])]
        if "requestBody" in operation:
            operation["requestBody"] = self.content_holder(operation["requestBody"], f"{pointer}/requestBody")
        if not operation.get("responses"):  # optional in 3.1, required in 3.0
            operation["responses"] = {"default": {"description": "Not documented"}}
        for status, response in list((operation.get("responses") or {}).items()):
            operation["responses"][status] = self.response(response, f"{pointer}/responses/{_escape(str(status))}")
        for name, callback in list((operation.get("callbacks") or {}).items()):
            operation["callbacks"][name] = self.callback(callback, {}, f"{pointer}/callbacks/{_escape(name)}")
        return operation

    def callback(self, callback: Any, path_items: dict[str, Any], pointer: str) -> Any:
        if not isinstance(callback, dict) or "$ref" in callback:
            return _plain_ref(callback)
        return {
            expression: self.path_item(self.inline_path_item(item, path_items, f"{pointer}/{_escape(expression)}"), f"{pointer}/{_escape(expression)}")
            for expression, item in callback.items()
        }

    def parameter(self, parameter: Any, pointer: str) -> Any:
        """Parameters and headers: a schema, or content."""
        if not isinstance(parameter, dict) or "$ref" in parameter:
            return _plain_ref(parameter)
        if "schema" in parameter:
            parameter["schema"] = self.schema(parameter["schema"], f"{pointer}/schema")
        return self.content_holder(parameter, pointer)

    def response(self, response: Any, pointer: str) -> Any:
        if not isinstance(response, dict) or "$ref" in response:
            return _plain_ref(response)
        for name, header in list((response.get("headers") or {}).items()):
            response["headers"][name] = self.parameter(header, f"{pointer}/headers/{_escape(name)}")
        for name, link in list((response.get("links") or {}).items()):
            response["links"][name] = _plain_ref(link)
        return self.content_holder(response, pointer)

    def content_holder(self, holder: Any, pointer: str) -> Any:
        if not isinstance(holder, dict) or "$ref" in holder:
            return _plain_ref(holder)
        for media_type, media in list((holder.get("content") or {}).items()):
            if not isinstance(media, dict):
                continue
            media_pointer = f"{pointer}/content/{_escape(media_type)}"
            if "schema" in media:
                media["schema"] = self.schema(media["schema"], f"{media_pointer}/schema")
            for name, encoding in (media.get("encoding") or {}).items():
                for header_name, header in list((encoding.get("headers") or {}).items()):
                    encoding["headers"][header_name] = self.parameter(header, f"{media_pointer}/encoding/{_escape(name)}/headers/{_escape(header_name)}")
        return holder

    # -- schemas -----------------------------------------------------------------------------

    def schema(self, schema: Any, pointer: str) -> Any:
        if schema is True:
            return {}
        if schema is False:
            return {"not": {}}
        if not isinstance(schema, dict):
            return schema
        if "$ref" in schema:
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            wrapped = self.schema(siblings, pointer) if siblings else {}
            if not wrapped:
                return {"$ref": schema["$ref"]}
            wrapped["allOf"] = [{"$ref": schema["$ref"]}] + wrapped.get("allOf", [])
            return wrapped

        out: dict[str, Any] = {}
        omitted: list[str] = []
        for keyword, value in schema.items():
            if keyword in SCHEMA_30_KEYWORDS or keyword in _TRANSLATED or keyword.startswith("x-"):
                out[keyword] = value
            else:
                omitted.append(keyword)
        for keyword, cause in _DEPENDS_ON.items():
            if keyword in out and cause in omitted:
                del out[keyword]
                omitted.append(keyword)
        if isinstance(out.get("items"), list):  # draft 2019-09's tuple form: 2020-12 says prefixItems
            del out["items"]
            omitted.append("items")
        for keyword in _SCHEMA_MAPS:
            if isinstance(out.get(keyword), dict):
                out[keyword] = {name: self.schema(sub, f"{pointer}/{keyword}/{_escape(name)}") for name, sub in out[keyword].items()}
        for keyword in _SCHEMA_LISTS:
            if isinstance(out.get(keyword), list):
                out[keyword] = [self.schema(sub, f"{pointer}/{keyword}/{i}") for i, sub in enumerate(out[keyword])]
        for keyword in _SCHEMA_SINGLE:
            if keyword in out and not (keyword == "additionalProperties" and isinstance(out[keyword], bool)):
                out[keyword] = self.schema(out[keyword], f"{pointer}/{keyword}")

        if "const" in out:
            out["enum"] = [out.pop("const")]
        if "examples" in out:
            examples = out.pop("examples")
            if isinstance(examples, list) and examples and "example" not in out:
                out["example"] = examples[0]
        for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
            value = out.get(exclusive)
            if isinstance(value, bool):
                continue
            if isinstance(value, (int, float)):
                current = out.get(bound)
                stricter = current is None or (value >= current if bound == "minimum" else value <= current)
                if stricter:
                    out[bound] = value
                    out[exclusive] = True
                else:
                    del out[exclusive]
        if out.get("contentEncoding") == "base64" and out.get("type") in ("string", ["string"], ["string", "null"]):
            out.pop("contentEncoding")
            out.setdefault("format", "byte")
        else:
            out.pop("contentEncoding", None)
        self.nullable_types(out, pointer)
        self.nullable_branches(out)
        if out.get("type") == "array" and "items" not in out:
            out["items"] = {}  # 3.0 wants items beside type array; `{}` claims nothing
        omitted = [keyword for keyword in omitted if keyword not in _SILENT]
        if omitted:
            out[OMITTED] = omitted
        return out

    def nullable_types(self, schema: dict[str, Any], pointer: str) -> None:
        types = schema.get("type")
        if types == "null":
            types = ["null"]
        if not isinstance(types, list):
            return
        concrete = [t for t in types if t != "null"]
        nullable = len(concrete) != len(types)
        if nullable:
            schema["nullable"] = True
        if not concrete:
            del schema["type"]
            schema["enum"] = [None]
        elif len(concrete) == 1:
            schema["type"] = concrete[0]
        else:
            del schema["type"]
            branches = [{"type": t, "items": {}} if t == "array" else {"type": t} for t in concrete]
            if "anyOf" in schema:
                schema["allOf"] = schema.get("allOf", []) + [{"anyOf": branches}]
            else:
                schema["anyOf"] = branches
        if nullable and isinstance(schema.get("enum"), list) and None not in schema["enum"]:
            schema["enum"] = schema["enum"] + [None]

    def nullable_branches(self, schema: dict[str, Any]) -> None:
        """``anyOf``/``oneOf`` with a ``{type: 'null'}`` branch: 3.0 says ``nullable`` instead."""
        for keyword in ("anyOf", "oneOf"):
            branches = schema.get(keyword)
            if not isinstance(branches, list):
                continue
            kept = [b for b in branches if not _is_null_schema(b)]
            if len(kept) != len(branches):
                schema["nullable"] = True
                schema[keyword] = kept or [{}]


def _is_null_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("enum") == [None]) and schema.get("nullable") is True and len(schema) == 2


def _drop_dangling_refs(node: Any, root: dict[str, Any], parents: tuple[str, ...] = ()) -> None:
    """A local ``$ref`` whose target the view left out (``#/.../$defs/X``, an anchor such as
    ``#node``) becomes the empty schema; data values (examples, defaults, extensions) are not
    looked into, a ``$ref`` key there being data."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#") and not _resolves(root, ref):
            del node["$ref"]
            node[OMITTED] = [*node.get(OMITTED, []), "$ref"]
        for key, value in node.items():
            if not is_data(key, parents, value):
                _drop_dangling_refs(value, root, (*parents[-1:], key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _drop_dangling_refs(value, root, (*parents[-1:], str(index)))


def _resolves(root: dict[str, Any], ref: str) -> bool:
    if not ref.startswith("#/"):
        return ref == "#"
    try:
        pointer_get(root, ref)
    except (KeyError, IndexError, ValueError, TypeError):
        return False
    return True


def _plain_ref(node: Any) -> Any:
    """A 3.0 Reference Object allows no siblings (3.1 allows summary/description)."""
    if isinstance(node, dict) and "$ref" in node:
        return {"$ref": node["$ref"]}
    return node


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")

