"""What every contract of the corpus must get from apitwin, as a user would meet it.

For one contract: `apitwin lint` raises no error, `apitwin mock` starts, every operation answers
a valid request (built here from the contract alone) without a 5xx and with a body valid against
the documented schema, and `apitwin check` of that mock against the same contract exits 0.
Requests are built and answers validated with the `jsonschema` library, independently of the
mock's own validators, so that the mock cannot vouch for itself.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mock_server.contracts.discriminators import express_discriminators
from mock_server.contracts.loader import load_document
from mock_server.datagen.generator import DataGenerator
from mock_server.http.app import base_path_of
from mock_server.http.validation import upgrade_30

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
CONTRACT_URI = "urn:corpus:contract"
#: credentials sent wherever a contract asks for one (the mock accepts any well-formed one)
API_KEY = "corpus-api-key"
TOKEN = "corpus-token"
BASIC = ("corpus-user", "corpus-password")
TIMEOUT = 30


def read(path: Path) -> dict[str, Any]:
    """The contract as apitwin reads it (YAML 1.2, as OpenAPI 3.1 requires)."""
    return load_document(path)


def kind_of(path: Path) -> str | None:
    try:
        document = read(path)
    except Exception:  # not a contract at all (a note, a fragment): not ours to judge
        return None
    if not isinstance(document, dict):
        return None
    return "openapi" if "openapi" in document else "asyncapi" if "asyncapi" in document else None


def apitwin(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mock_server", *args], capture_output=True, text=True, timeout=timeout)


@dataclass
class Contract:
    path: Path
    document: dict[str, Any]
    validators: dict[int, Draft202012Validator] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Contract:
        # `discriminator` is OpenAPI's, not JSON Schema's: requests are built and answers judged
        # by the schema its value names (the rewrite is unit-tested on its own)
        return cls(path, express_discriminators(read(path)))

    def base_path(self) -> str:
        """Where the mock serves the contract's paths (its start-up table shows the same URL)."""
        return base_path_of(self.document)

    @property
    def is_30(self) -> bool:
        return str(self.document.get("openapi", "")).startswith("3.0")

    def resolve(self, node: Any) -> Any:
        """Follow local `$ref`s of a non-schema object (parameter, response, request body)."""
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 32:
            target: Any = self.document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node, seen = target, seen + 1
        return node

    def validator(self, schema: Any) -> Draft202012Validator:
        """A 2020-12 validator for one schema of the contract, its local `$ref`s resolving."""
        key = id(schema)
        if key not in self.validators:
            root = self.upgraded
            contents = {**root, "$schema": "https://json-schema.org/draft/2020-12/schema", "x-corpus-schema": upgrade_30(schema) if self.is_30 else schema}
            registry = Registry().with_resource(CONTRACT_URI, Resource.from_contents(contents, default_specification=DRAFT202012))
            self.validators[key] = Draft202012Validator({"$ref": CONTRACT_URI + "#/x-corpus-schema"}, registry=registry)
        return self.validators[key]

    @cached_property
    def upgraded(self) -> dict[str, Any]:
        """The document with 3.0's schema dialect in 2020-12 terms (validation reads this)."""
        return upgrade_30(self.document) if self.is_30 else self.document

    def operations(self) -> list[tuple[str, str, dict[str, Any], list[dict[str, Any]]]]:
        out = []
        for path, item in (self.document.get("paths") or {}).items():
            item = self.resolve(item) or {}
            shared = [self.resolve(p) for p in item.get("parameters") or []]
            for method in METHODS:
                if isinstance(item.get(method), dict):
                    operation = item[method]
                    own = [self.resolve(p) for p in operation.get("parameters") or []]
                    names = {(p.get("in"), p.get("name")) for p in own}
                    params = own + [p for p in shared if (p.get("in"), p.get("name")) not in names]
                    out.append((path, method, operation, params))
        return out


# -- valid requests, from the contract alone ---------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    params: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    files: dict[str, Any] | None = None
    data: dict[str, Any] | None = None

    def send(self, client: httpx.Client) -> httpx.Response:
        client.cookies.clear()
        for name, value in self.cookies.items():  # this request's cookies only, on the client
            client.cookies.set(name, value)
        return client.request(
            self.method.upper(), self.path, params=self.params, headers=self.headers,
            content=self.content, files=self.files, data=self.data,
        )

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


class RequestBuilder:
    """One valid request per operation: documented examples first, generated values otherwise."""

    def __init__(self, contract: Contract, seed: int = 0) -> None:
        self.contract = contract
        self.generator = DataGenerator(seed, stream="corpus")

    def value(self, holder: dict[str, Any], schema: Any) -> Any:
        if "example" in holder:
            return holder["example"]
        examples = holder.get("examples")
        if isinstance(examples, dict) and examples:
            first = self.contract.resolve(next(iter(examples.values())))
            if isinstance(first, dict) and "value" in first:
                return first["value"]
        if not isinstance(schema, (dict, bool)):
            return "1"
        return self.generator.value(schema, root=self.contract.document, mode="request")

    def build(self, path: str, method: str, operation: dict[str, Any], params: list[dict[str, Any]]) -> Request:
        request = Request(method, path)
        for param in params:
            where, name = param.get("in"), str(param.get("name"))
            if where != "path" and not param.get("required"):
                continue
            schema = param.get("schema")
            if schema is None and isinstance(param.get("content"), dict) and param["content"]:
                media = next(iter(param["content"].values())) or {}
                value: Any = json.dumps(self.value(media, media.get("schema")))
            else:
                value = self.value(param, schema)
            self._place(request, param, where, name, value)
        self._body(request, operation)
        self._credentials(request, operation)
        return request

    def _place(self, request: Request, param: dict[str, Any], where: Any, name: str, value: Any) -> None:
        if where == "path":
            style = param.get("style", "simple")
            request.path = request.path.replace("{" + name + "}", path_value(name, value, style, bool(param.get("explode", False))))
            return
        explode = param.get("explode", param.get("style", "form") == "form")
        if where == "query":
            if isinstance(value, list):
                if explode:
                    request.params += [(name, _scalar(v)) for v in value]
                else:
                    request.params.append((name, ",".join(map(_scalar, value))))
            elif isinstance(value, dict):
                if param.get("style") == "deepObject":
                    request.params += [(f"{name}[{k}]", _scalar(v)) for k, v in value.items()]
                elif explode:
                    request.params += [(str(k), _scalar(v)) for k, v in value.items()]
                else:
                    request.params.append((name, ",".join(f"{k},{_scalar(v)}" for k, v in value.items())))
            else:
                request.params.append((name, _scalar(value)))
        elif where == "header":
            request.headers[name] = ",".join(map(_scalar, value)) if isinstance(value, list) else _scalar(value)
        elif where == "cookie":
            request.cookies[name] = _scalar(value)

    def _body(self, request: Request, operation: dict[str, Any]) -> None:
        body = self.contract.resolve(operation.get("requestBody"))
        content = (body or {}).get("content") or {}
        if not content:
            return
        media_type = _preferred(list(content))
        media = content[media_type] or {}
        value = self.value(media, media.get("schema", {}))
        request.headers["Content-Type"] = media_type
        if media_type == "application/json" or media_type.endswith("+json"):
            request.content = json.dumps(value).encode()
        elif media_type == "application/x-www-form-urlencoded" and isinstance(value, dict):
            request.headers.pop("Content-Type")
            request.data = {k: v if isinstance(v, (str, int, float)) else json.dumps(v) for k, v in value.items()}
        elif media_type.startswith("multipart/") and isinstance(value, dict):
            request.headers.pop("Content-Type")
            request.files = {k: (None, v if isinstance(v, str) else json.dumps(v)) for k, v in value.items()} or {"file": ("a.txt", b"x")}
        else:
            request.content = value.encode() if isinstance(value, str) else json.dumps(value).encode()

    def _credentials(self, request: Request, operation: dict[str, Any]) -> None:
        requirements = operation.get("security", self.contract.document.get("security")) or []
        if not requirements or any(not r for r in requirements):
            return
        schemes = (self.contract.document.get("components") or {}).get("securitySchemes") or {}
        for name in requirements[0]:
            scheme = self.contract.resolve(schemes.get(name)) or {}
            kind = str(scheme.get("type", "")).lower()
            if kind == "apikey":
                where, key = scheme.get("in"), str(scheme.get("name"))
                if where == "header":
                    request.headers[key] = API_KEY
                elif where == "query":
                    request.params.append((key, API_KEY))
                elif where == "cookie":
                    request.cookies[key] = API_KEY
            elif kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
                request.headers["Authorization"] = "Basic " + base64.b64encode(":".join(BASIC).encode()).decode()
            elif kind in ("http", "oauth2", "openidconnect"):
                request.headers["Authorization"] = f"Bearer {TOKEN}"


def path_value(name: str, value: Any, style: str, explode: bool) -> str:
    """A path parameter serialized as its style says (OpenAPI's `simple`, `label` and `matrix`,
    after RFC 6570), each value percent-encoded and the style's delimiters left as they are."""
    if isinstance(value, dict):
        pairs = [(quote(str(k), safe=""), quote(_scalar(v), safe="")) for k, v in value.items()]
        items = [f"{k}={v}" for k, v in pairs] if explode else [part for pair in pairs for part in pair]
        named = not explode  # an exploded matrix object names each key, not the parameter
    elif isinstance(value, list):
        items, named = [quote(_scalar(v), safe="") for v in value], True
    else:
        items, named = [quote(_scalar(value), safe="")], True
    if style == "label":
        return "." + ("." if explode else ",").join(items)
    if style == "matrix":
        if not named:
            return "".join(";" + item for item in items)
        if explode and isinstance(value, list):
            return "".join(f";{name}={item}" for item in items)
        return f";{name}=" + ",".join(items) if items else f";{name}"
    return ",".join(items)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _preferred(media_types: list[str]) -> str:
    for wanted in ("application/json",):
        if wanted in media_types:
            return wanted
    for media_type in media_types:
        if media_type.endswith("+json"):
            return media_type
    for wanted in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if wanted in media_types:
            return wanted
    return media_types[0]


# -- answers, checked against the documented responses -------------------------------------------------


def documented_schema(contract: Contract, operation: dict[str, Any], status: int, media_type: str) -> tuple[bool, Any]:
    """(is the status documented, the schema of that answer's media type or None)."""
    responses = operation.get("responses") or {}
    for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
        if key in responses:
            response = contract.resolve(responses[key]) or {}
            content = response.get("content") or {}
            media = content.get(media_type) or next((m for t, m in content.items() if t.split(";")[0] == media_type), None)
            return True, (media or {}).get("schema")
    return False, None


def problems_of(contract: Contract, request: Request, operation: dict[str, Any], response: httpx.Response) -> list[str]:
    """What is wrong with one answer to a valid request (nothing, for a good mock)."""
    where = f"{request} -> {response.status_code}"
    if response.status_code >= 500:
        return [f"{where}: server error {response.text[:300]}"]
    if not operation.get("responses"):
        return []  # OpenAPI 3.1 lets an operation document no responses: any answer short of a 5xx
    if not 200 <= response.status_code < 300:
        # a valid request may still be refused where the contract says so (a documented 4xx)
        documented, _ = documented_schema(contract, operation, response.status_code, "")
        return [] if documented else [f"{where}: undocumented status for a valid request: {response.text[:300]}"]
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    documented, schema = documented_schema(contract, operation, response.status_code, media_type)
    if not documented:
        return [f"{where}: undocumented status"]
    if schema is None or not (media_type == "application/json" or media_type.endswith("+json")) or request.method == "head":
        return []
    try:
        body = response.json()
    except ValueError:
        return [f"{where}: {media_type} body is not JSON: {response.text[:200]}"]
    errors = sorted(contract.validator(schema).iter_errors(body), key=lambda e: list(e.path))
    return [f"{where}: body {list(e.path)}: {e.message[:200]}" for e in errors[:3]]


def check_arguments(contract: Contract) -> list[str]:
    """Credentials for `apitwin check`, by the kinds of security the contract declares."""
    schemes = ((contract.document.get("components") or {}).get("securitySchemes") or {}).values()
    kinds = {(str(s.get("type", "")).lower(), str(s.get("scheme", "")).lower()) for s in map(contract.resolve, schemes) if isinstance(s, dict)}
    args: list[str] = []
    if any(kind == "apikey" for kind, _ in kinds):
        args += ["--api-key", API_KEY]
    if any(kind in ("oauth2", "openidconnect") or (kind == "http" and scheme != "basic") for kind, scheme in kinds):
        args += ["--token", TOKEN]
    if ("http", "basic") in kinds:
        args += ["--basic", ":".join(BASIC)]
    return args
