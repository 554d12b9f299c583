"""Unit tests of the route table (concrete before templated, literal text around parameters,
any parameter name) and of parameter and body deserialization, one case per style."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from mock_server.http.bodies import parse_form, parse_multipart
from mock_server.http.errors import MockError
from mock_server.http.parameters import MISSING, ParameterReader, typed
from mock_server.http.routing import RouteTable


def table(*routes: tuple[str, str, str], base: str = "") -> RouteTable:
    return RouteTable([SimpleNamespace(method=m, path=p, operation_id=o) for m, p, o in routes], base)


def test_concrete_paths_before_templated_ones_whatever_the_order() -> None:
    routes = table(("get", "/pets/{id}", "getPet"), ("get", "/pets/mine", "mine"), ("get", "/pets", "list"))
    assert routes.match("GET", "/pets/mine").operation_id == "mine"
    found = routes.match("GET", "/pets/42")
    assert (found.operation_id, found.path_params) == ("getPet", {"id": "42"})
    assert [r.template for r in routes.routes] == ["/pets", "/pets/mine", "/pets/{id}"]


def test_more_literal_text_wins_within_a_segment() -> None:
    routes = table(("get", "/Numbers/{Sid}", "any"), ("get", "/Numbers/{Sid}.json", "json"), ("get", "/Numbers/Mobile.json", "mobile"))
    assert routes.match("GET", "/Numbers/Mobile.json").operation_id == "mobile"
    assert routes.match("GET", "/Numbers/PN1.json").path_params == {"Sid": "PN1"}
    assert routes.match("GET", "/Numbers/PN1.json").operation_id == "json"
    assert routes.match("GET", "/Numbers/PN1.xml").operation_id == "any"


def test_literal_text_between_parameters() -> None:
    routes = table(("get", "/files/{name}.{ext}", "file"))
    assert routes.match("GET", "/files/report.pdf").path_params == {"name": "report", "ext": "pdf"}
    assert routes.match("GET", "/files/a.tar.gz").path_params == {"name": "a.tar", "ext": "gz"}
    assert routes.match("GET", "/files/report").operation_id is None


@pytest.mark.parametrize("name", ["pet-id", "report.id", "user_id", "Sid", "x:y"])
def test_any_parameter_name(name: str) -> None:
    routes = table(("get", "/things/{" + name + "}/parts", "op"))
    assert routes.match("GET", "/things/7/parts").path_params == {name: "7"}


def test_values_stay_encoded_until_their_style_splits_them() -> None:
    routes = table(("get", "/files/{name}", "file"), ("get", "/files/{name}/meta", "meta"), ("get", "/caf\u00e9", "cafe"))
    assert routes.match("GET", "/files/a%2Fb").path_params == {"name": "a%2Fb"}  # one segment
    assert routes.match("GET", "/files/caf%C3%A9/meta").path_params == {"name": "caf%C3%A9"}
    assert routes.match("GET", "/caf%C3%A9").operation_id == "cafe"  # literal segments compare decoded
    items = {"name": "v", "in": "path"}
    assert read(items, {"type": "array", "items": {"type": "string"}}, path={"v": "a%2Cb,caf%C3%A9"}) == ["a,b", "caf\u00e9"]
    assert read(items, POINT | {"additionalProperties": {"type": "string"}}, path={"v": "x,1,k%3D,%2C"}) == {"x": 1, "k=": ","}


def test_unknown_path_and_wrong_method() -> None:
    routes = table(("get", "/pets/{id}", "get"), ("delete", "/pets/{id}", "del"), ("get", "/pets/mine", "mine"), base="/v2")
    assert routes.match("GET", "/v2/pets/mine").operation_id == "mine"
    assert routes.match("GET", "/pets/mine").operation_id is None  # outside the base path
    assert routes.match("GET", "/v2/pets/").allowed == ()         # a trailing slash is another path
    wrong = routes.match("POST", "/v2/pets/mine")
    assert (wrong.operation_id, wrong.allowed) == (None, ("GET", "HEAD"))  # the most specific route's; HEAD by GET
    assert routes.match("DELETE", "/v2/pets/mine").operation_id == "del"  # the templated route takes it
    assert routes.match("HEAD", "/v2/pets/mine").operation_id == "mine"   # HEAD by GET


def read(parameter: dict[str, Any], schema: dict[str, Any], *, path: dict[str, str] | None = None,
         query: list[tuple[str, str]] | None = None, headers: dict[str, str] | None = None,
         cookies: dict[str, str] | None = None, others: frozenset[str] = frozenset()) -> Any:
    reader = ParameterReader.of(parameter, schema, {}, others | {parameter["name"]})
    raw = reader.read(path or {}, query or [], headers or {}, cookies or {})
    return MISSING if raw is MISSING else typed(raw, schema, {})


INTS = {"type": "array", "items": {"type": "integer"}}
POINT = {"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}}}
COLOR = {"type": "object", "additionalProperties": {"type": "string"}}


@pytest.mark.parametrize(("style", "explode", "sent", "schema", "expected"), [
    ("simple", False, "5", {"type": "integer"}, 5),
    ("simple", False, "1,2,3", INTS, [1, 2, 3]),
    ("simple", False, "x,1,y,2", POINT, {"x": 1, "y": 2}),
    ("simple", True, "x=1,y=2", POINT, {"x": 1, "y": 2}),
    ("label", False, ".5", {"type": "integer"}, 5),
    ("label", False, ".1.2.3", INTS, [1, 2, 3]),
    ("label", False, ".1,2,3", INTS, [1, 2, 3]),
    ("label", True, ".1.2.3", INTS, [1, 2, 3]),
    ("label", False, ".x,1,y,2", POINT, {"x": 1, "y": 2}),
    ("label", True, ".x=1.y=2", POINT, {"x": 1, "y": 2}),
    ("matrix", False, ";v=5", {"type": "integer"}, 5),
    ("matrix", False, ";v=1,2,3", INTS, [1, 2, 3]),
    ("matrix", True, ";v=1;v=2;v=3", INTS, [1, 2, 3]),
    ("matrix", False, ";v=x,1,y,2", POINT, {"x": 1, "y": 2}),
    ("matrix", True, ";x=1;y=2", POINT, {"x": 1, "y": 2}),
])
def test_path_styles(style: str, explode: bool, sent: str, schema: dict[str, Any], expected: Any) -> None:
    parameter = {"name": "v", "in": "path", "style": style, "explode": explode}
    assert read(parameter, schema, path={"v": sent}) == expected


@pytest.mark.parametrize(("style", "sent"), [("label", "1.2"), ("matrix", "v=1"), ("matrix", ";w=1")])
def test_path_styles_refuse_a_missing_prefix(style: str, sent: str) -> None:
    with pytest.raises(ValueError):
        read({"name": "v", "in": "path", "style": style}, INTS, path={"v": sent})


@pytest.mark.parametrize(("parameter", "schema", "query", "expected"), [
    ({}, INTS, [("v", "1"), ("v", "2")], [1, 2]),                                        # form, exploded
    ({}, INTS, [("v", "1,2")], [1, 2]),                                                  # a comma list sent once
    ({"explode": False}, INTS, [("v", "1,2")], [1, 2]),                                  # form, not exploded
    ({}, INTS, [("v[]", "1"), ("v[]", "2")], [1, 2]),                                    # v[]=x
    ({}, INTS, [("v[0]", "1"), ("v[1]", "2")], [1, 2]),                                  # v[0]=x
    ({"style": "pipeDelimited", "explode": False}, INTS, [("v", "1|2")], [1, 2]),
    ({"style": "spaceDelimited", "explode": False}, INTS, [("v", "1 2")], [1, 2]),
    ({"style": "pipeDelimited", "explode": True}, INTS, [("v", "1"), ("v", "2")], [1, 2]),
    ({"style": "deepObject", "explode": True}, INTS, [("v[]", "1"), ("v[]", "2")], [1, 2]),  # Stripe's expand[]
    ({"explode": False}, POINT, [("v", "x,1,y,2")], {"x": 1, "y": 2}),
    ({}, POINT, [("x", "1"), ("y", "2"), ("other", "3")], {"x": 1, "y": 2}),             # form object, exploded
    ({}, COLOR, [("R", "100"), ("other", "3")], {"R": "100"}),                            # ... open: what nobody claims
    ({}, {"type": "object"}, [("R", "100")], MISSING),                                    # ... no properties at all: nothing
    ({"style": "pipeDelimited", "explode": False}, POINT, [("v", "x|1|y|2")], {"x": 1, "y": 2}),
    ({"style": "deepObject", "explode": True}, COLOR, [("v[R]", "100"), ("v[G]", "200")], {"R": "100", "G": "200"}),
    ({"style": "deepObject", "explode": True}, {"type": "object"}, [("v[a][b]", "1"), ("v[c][]", "2"), ("v[c][]", "3")],
     {"a": {"b": "1"}, "c": ["2", "3"]}),
    ({}, POINT, [("v", '{"x": 1, "y": 2}')], {"x": 1, "y": 2}),                          # JSON text
    ({}, {"type": "integer"}, [("v", "1"), ("v", "2")], 2),                              # one value: the last
    ({}, {"type": "boolean"}, [("w", "1")], MISSING),
])
def test_query_styles(parameter: dict[str, Any], schema: dict[str, Any], query: list[tuple[str, str]], expected: Any) -> None:
    assert read({"name": "v", "in": "query", **parameter}, schema, query=query, others=frozenset({"other"})) == expected


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(ValueError):
        read({"name": "v", "in": "query", "style": "deepObject"}, {"type": "object"}, query=[("v" + "[a]" * 20, "1")])


def test_header_and_cookie_styles() -> None:
    assert read({"name": "X-Ids", "in": "header"}, INTS, headers={"x-ids": "1, 2"}) == [1, 2]
    assert read({"name": "X-Point", "in": "header", "explode": True}, POINT, headers={"x-point": "x=1,y=2"}) == {"x": 1, "y": 2}
    assert read({"name": "ids", "in": "cookie", "explode": False}, INTS, cookies={"ids": "1,2"}) == [1, 2]
    assert read({"name": "p", "in": "cookie"}, POINT, cookies={"x": "1", "y": "2"}) == {"x": 1, "y": 2}
    with pytest.raises(ValueError):
        read({"name": "X-Ids", "in": "header"}, INTS, headers={"x-ids": "1,b"})


SIGNUP = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer"},
        "address": {"type": "object", "properties": {"city": {"type": "string"}, "zip": {"type": "string"}}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "prefs": {"type": "object", "properties": {"compact": {"type": "boolean"}}},
    },
}


def test_form_body_by_its_encoding() -> None:
    encoding = {"address": {"style": "deepObject", "explode": True}, "tags": {"style": "form", "explode": False},
                "prefs": {"contentType": "application/json"}}
    text = "name=Ada&age=36&address%5Bcity%5D=London&tags=a,b&prefs=%7B%22compact%22%3A%20true%7D&extra=1"
    assert parse_form(text, SIGNUP, encoding, {}) == {
        "name": "Ada", "age": 36, "address": {"city": "London"}, "tags": ["a", "b"], "prefs": {"compact": True}, "extra": "1",
    }


def test_form_body_defaults() -> None:
    """Without an encoding: form, exploded (an object's properties as fields of their own);
    address[city] is read all the same."""
    assert parse_form("tags=a&tags=b&city=Paris", SIGNUP, None, {}) == {"tags": ["a", "b"], "address": {"city": "Paris"}}
    assert parse_form("address[zip]=75001", SIGNUP, None, {}) == {"address": {"zip": "75001"}}
    with pytest.raises(MockError) as refused:
        parse_form("age=old", SIGNUP, None, {})
    assert refused.value.errors[0]["loc"] == ["body", "age"]


def multipart(*parts: tuple[str, str | None, str | None, bytes]) -> tuple[bytes, str]:
    chunks = []
    for name, filename, content_type, payload in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        head = f"--b1\r\nContent-Disposition: {disposition}\r\n" + (f"Content-Type: {content_type}\r\n" if content_type else "")
        chunks.append(head.encode() + b"\r\n" + payload + b"\r\n")
    return b"".join(chunks) + b"--b1--\r\n", "multipart/form-data; boundary=b1"


def test_multipart_fields_files_and_json_parts() -> None:
    schema = {"type": "object", "properties": {"title": {"type": "string"}, "pages": {"type": "integer"},
                                               "tags": INTS, "meta": {"type": "object"}, "file": {"type": "string"}}}
    body, content_type = multipart(
        ("title", None, None, "Min\u00fctes".encode()), ("pages", None, None, b"3"), ("tags", None, None, b"1"),
        ("tags", None, None, b"2"), ("meta", None, "application/json", b'{"a": 1}'),
        ("file", "scan.bin", "application/octet-stream", b"\xff\x00"),
    )
    assert parse_multipart(body, content_type, schema, None, {}) == {
        "title": "Min\u00fctes", "pages": 3, "tags": [1, 2], "meta": {"a": 1}, "file": "/wA=",
    }


def test_multipart_mistakes_are_the_clients() -> None:
    body, _ = multipart(("pages", None, None, b"three"))
    with pytest.raises(MockError) as refused:
        parse_multipart(body, "multipart/form-data; boundary=b1", {"type": "object", "properties": {"pages": {"type": "integer"}}}, None, {})
    assert refused.value.status == 400
    with pytest.raises(MockError):
        parse_multipart(body, "multipart/form-data", {}, None, {})


def test_array_and_object_values_reach_sorting_and_filters() -> None:
    """What a style reads (a list, an object) is what sorting and filters take."""
    from mock_server.state.querying import apply_filters, declared_filters, sort_records

    records = [{"id": 1, "n": 2, "m": {"c": "red"}}, {"id": 2, "n": 1, "m": {"c": "blue"}}, {"id": 3, "n": 2, "m": {"c": "red"}}]
    assert [r["id"] for r in sort_records(records, {"param": "sort"}, {"sort": ["n", "-id"]})] == [2, 3, 1]
    spec = {"x-apitwin-filters": {"meta": "m", "ids": "id"}}
    assert [r["id"] for r in apply_filters(records, declared_filters(spec, {"meta": {"c": "red"}}))] == [1, 3]
    assert [r["id"] for r in apply_filters(records, declared_filters(spec, {"ids": [2, 3]}))] == [2, 3]
