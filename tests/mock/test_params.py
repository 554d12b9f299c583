"""Routing and parameter serialization on a real mock (contracts/params.yaml): concrete paths win
over templated ones whatever their order, literal text around parameters, hyphens and dots in
parameter names, every parameter style read as OpenAPI defines it (and used by filters), form and
multipart bodies, and operations whose success answer is not a record: never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import ServerProcess, run_mock

CONTRACTS = Path(__file__).parent / "contracts"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with run_mock(str(CONTRACTS / "params.yaml"), "--rate-limits", "off") as process:
        yield process


@pytest.fixture()
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        client.post("/__mock/reset")
        client.delete("/__mock/requests")
        yield client


def routed(http: httpx.Client, method: str, path: str) -> tuple[int, str | None]:
    """The status of one request and the operation the mock's journal says it reached."""
    status = http.request(method, path).status_code
    entries = http.get("/__mock/requests").json()["requests"]
    http.delete("/__mock/requests")
    assert status < 500, (method, path, status)
    return status, entries[-1]["operation_id"]


def test_concrete_paths_win_over_templated_ones(http: httpx.Client) -> None:
    # /pets/{pet-id} comes first in the contract; /pets/mine must still be /pets/mine
    assert routed(http, "GET", "/pets/mine") == (200, "getMyPet")
    assert routed(http, "GET", "/pets/7")[1] == "getPet"
    assert routed(http, "GET", "/Numbers/Mobile.json") == (200, "listMobileNumbers")
    # {Sid}.json names a record of Numbers: none stored, and no 404 documented, so the
    # documented success is answered as a stateless mock would
    assert routed(http, "GET", "/Numbers/PN123.json") == (200, "getNumber")
    assert routed(http, "HEAD", "/pets/mine") == (200, "getMyPet")  # HEAD served by GET


def test_literal_text_around_parameters(http: httpx.Client) -> None:
    assert routed(http, "GET", "/files/report.pdf") == (200, "getFile")
    assert routed(http, "GET", "/files/annual.report.txt") == (200, "getFile")  # the name keeps its dot
    status, operation = routed(http, "GET", "/files/report.exe")  # ext is pdf|txt
    assert (status, operation) == (400, "getFile")
    assert http.get("/files/report.exe").json()["message"].startswith("Invalid path parameter 'ext'")


def test_parameter_names_with_hyphens_and_dots(http: httpx.Client) -> None:
    assert routed(http, "GET", "/reports/3fa85f64-5717-4562-b3fc-2c963f66afa6/lines/2") == (200, "getReportLine")
    answer = http.get("/reports/not-a-uuid/lines/2")
    assert answer.status_code == 400 and "report.id" in answer.json()["message"]
    created = http.post("/pets", json={"id": 41, "name": "Rex"})
    assert created.status_code == 201
    assert http.get("/pets/41").json()["name"] == "Rex"  # {pet-id} reaches the record lookup
    assert http.get("/pets/0041").json()["id"] == 41     # as the integer its schema says


def test_unknown_path_and_undocumented_method_in_the_envelope(http: httpx.Client) -> None:
    missing = http.get("/nothing/here")
    assert missing.status_code == 404 and missing.json()["error"] == "NOT_FOUND"
    wrong = http.post("/pets/mine")
    assert wrong.status_code == 405 and wrong.json()["error"] == "METHOD_NOT_ALLOWED"
    assert wrong.headers["allow"] == "GET, HEAD"  # what /pets/mine documents (HEAD: served by GET)
    assert http.delete("/pets/mine").status_code == 400  # /pets/{pet-id}'s: mine is no integer
    assert http.post("/Numbers/Mobile.json").headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(("path", "status"), [
    ("/label/.1.2.3", 200), ("/label/.1,2,3", 200), ("/label/.1.2", 400), ("/label/1.2.3", 400),
    ("/matrix/;x=1;y=2", 200), ("/matrix/;x=1", 400), ("/matrix/x=1;y=2", 400), ("/matrix/;x=a;y=2", 400),
    ("/simple/1,2,3", 200), ("/simple/1", 400), ("/simple/1,b", 400),
])
def test_path_styles(http: httpx.Client, path: str, status: int) -> None:
    assert http.get(path).status_code == status


@pytest.fixture()
def pets(http: httpx.Client) -> None:
    for pet in (
        {"id": 1, "name": "Rex", "tag": "dog", "metadata": {"color": "red", "size": "big"}},
        {"id": 2, "name": "Tom", "tag": "cat", "metadata": {"color": "black", "size": "small"}},
        {"id": 3, "name": "Kiki", "tag": "bird", "metadata": {"color": "red", "size": "small"}},
    ):
        assert http.post("/pets", json=pet).status_code == 201


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(pet["name"] for pet in response.json())


@pytest.mark.usefixtures("pets")
def test_query_styles_reach_the_filters(http: httpx.Client) -> None:
    assert names(http.get("/pets?metadata[color]=red")) == ["Kiki", "Rex"]              # deepObject
    assert names(http.get("/pets?metadata[color]=red&metadata[size]=small")) == ["Kiki"]
    assert names(http.get("/pets?tags=dog,cat")) == ["Rex", "Tom"]                     # form, not exploded
    assert names(http.get("/pets?ids=1|3")) == ["Kiki", "Rex"]                          # pipeDelimited
    assert names(http.get("/pets", params={"ids": "1|3"})) == ["Kiki", "Rex"]           # ... the pipe encoded
    assert names(http.get("/pets", params={"names": "Tom Kiki"})) == ["Kiki", "Tom"]    # spaceDelimited
    assert names(http.get("/pets?names=Tom%20Rex")) == ["Rex", "Tom"]


@pytest.mark.parametrize(("query", "status"), [
    ("ids=1|x", 400),                       # pipeDelimited items are integers
    ("expand[]=owner&expand[]=vet", 200),   # expand[]=x
    ("expand[0]=owner", 200),
    ("expand[]=cat", 400),                  # not one of the enum
    ("from_id=1&to_id=3", 200),             # exploded form object: its properties are parameters
    ("from_id=1&to_id=x", 400),
    ("point=x,1,y,2", 200),                 # form object, not exploded
    ("point=x,1,y", 400),
    ("metadata[color][deep]=1", 400),       # metadata's values are strings
])
def test_query_styles_are_validated(http: httpx.Client, query: str, status: int) -> None:
    assert http.get(f"/pets?{query}").status_code == status


def test_header_and_cookie_parameters(http: httpx.Client) -> None:
    assert http.get("/pets", headers={"X-Trace.Id": "12", "X-Flags": "true,false"}).status_code == 200
    assert http.get("/pets", headers={"X-Trace.Id": "twelve"}).status_code == 400
    assert http.get("/pets", headers={"X-Flags": "true,maybe"}).status_code == 400
    assert http.get("/pets", headers={"Cookie": "session-id=s-42"}).status_code == 200
    assert http.get("/pets", headers={"Cookie": "session-id=nope"}).status_code == 400


def test_form_body_as_its_encoding_says(http: httpx.Client) -> None:
    sent = "name=Ada&age=36&address[city]=London&address[zip]=NW1&tags=math,code&prefs=%7B%22compact%22%3Atrue%7D"
    answer = http.post("/signups", content=sent, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["age"] == 36
    assert body["address"] == {"city": "London", "zip": "NW1"}
    assert body["tags"] == ["math", "code"]
    assert body["prefs"] == {"compact": True}
    refused = http.post("/signups", content="name=Ada&age=old", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert refused.status_code == 400


def test_multipart_body_with_fields_and_a_file(http: httpx.Client) -> None:
    answer = http.post("/uploads", data={"title": "Minutes", "pages": "3"}, files={"file": ("minutes.txt", b"We met.", "text/plain")})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["title"], body["pages"], body["file"]) == ("Minutes", 3, "We met.")
    assert http.post("/uploads", data={"title": "No file"}, files={"x": ("a", b"1")}).status_code == 400  # file is required
    assert http.post("/uploads", content=b"--x\r\n", headers={"Content-Type": "multipart/form-data"}).status_code == 400


def test_answers_that_are_not_records(http: httpx.Client) -> None:
    """Create/update answering text, a list, nothing, 204; an operation without responses."""
    token = http.post("/tokens", data={"scope": "read"})
    assert token.status_code == 201 and token.headers["content-type"].startswith("text/plain") and token.text
    labels = http.post("/labels", json={"label": "urgent"})
    assert labels.status_code == 201 and isinstance(labels.json(), list)
    note = http.post("/notes", json={"text": "hi"})
    assert note.status_code == 201 and note.content == b""
    assert http.post("/ping").status_code < 300
    assert http.post("/pets", json={"id": 5, "name": "Bo"}).status_code == 201
    assert http.put("/pets/5", json={"id": 5, "name": "Bob"}).status_code == 204
    renamed = http.patch("/pets/5", json={"name": "Bobby"})
    assert renamed.status_code == 200 and renamed.headers["content-type"].startswith("text/plain")
    assert http.get("/pets/5").json()["name"] == "Bobby"  # the update happened all the same
    assert http.delete("/pets/5").status_code == 204
    assert http.post("/notes", json={"id": "n1", "text": "hi"}).status_code == 201
    replaced = http.put("/notes/n1", files={"text": (None, "hello")})  # multipart update, list answer
    assert replaced.status_code == 200 and isinstance(replaced.json(), list)
    # nothing stored as n2 and no 404 documented: the documented success, nothing stored
    assert http.put("/notes/n2", files={"text": (None, "hello")}).status_code == 200


def test_a_path_parameter_without_schema_is_served() -> None:
    with run_mock(str(CONTRACTS / "schemaless.yaml")) as process, httpx.Client(base_url=process.url, timeout=10) as http:
        answer = http.get("/legacy/A%2FB")
        # a record lookup: nothing stored and no 404 documented, so the documented success
        assert answer.status_code == 200
        assert answer.json()["code"] == "A/B"  # the encoded slash stayed in its value


# -- a public contract (tests/corpus/params, see SOURCES.md): every style, as OpenAPI's table spells it

STYLE_REQUESTS = [
    ("GET", "/anything/path/blue/blue,black/R,100,G,200", {}),
    ("GET", "/anything/path/matrix/;primitive=blue/;array=blue,black/;object=R,100,G,200", {}),
    ("POST", "/anything/path/matrix/;primitive=blue/;array=blue;array=black/;R=100;G=200", {}),
    ("GET", "/anything/path/label/.blue/.blue,black/.R,100,G,200", {}),
    ("POST", "/anything/path/label/.blue/.blue.black/.R=100.G=200", {}),
    ("POST", "/anything/path/simple/blue/blue,black/R=100,G=200", {}),
    ("GET", "/anything/query/form?primitive=blue&array=blue,black&object=R,100,G,200", {}),
    ("POST", "/anything/query/form?primitive=blue&array=blue&array=black&R=100&G=200", {}),
    ("GET", "/anything/query/spaceDelimited?array=blue%20black&object=R%20100%20G%20200", {}),
    ("GET", "/anything/query/pipeDelimited?array=blue|black&object=R|100|G|200", {}),
    ("GET", "/anything/query/deepObject?object[R]=100&object[G]=200", {}),
    ("GET", "/anything/headers/simple", {"headers": {"primitive": "blue", "array": "blue,black", "object": "R,100,G,200"}}),
    ("POST", "/anything/headers/simple", {"headers": {"primitive": "blue", "array": "blue,black", "object": "R=100,G=200"}}),
    ("GET", "/cookies%23formNonExploded", {"headers": {"cookie": "primitive=blue; array=blue,black; object=R,100,G,200"}}),
    ("POST", "/anything/form-data", {"files": {"primitive": (None, "blue"), "object": (None, '{"foo": "x"}', "application/json")}}),
]


@pytest.fixture(scope="module")
def corpus_server() -> Iterator[ServerProcess]:
    contract = Path(__file__).parents[1] / "corpus" / "params" / "parameters-style.yaml"
    with run_mock(str(contract), "--rate-limits", "off") as process:
        yield process


@pytest.mark.parametrize(("method", "path", "options"), STYLE_REQUESTS, ids=[f"{m} {p.split('?')[0]}" for m, p, _ in STYLE_REQUESTS])
def test_public_contract_styles_are_read(corpus_server: ServerProcess, method: str, path: str, options: dict) -> None:
    """A contract without responses: each valid request gets its success status, no 5xx."""
    with httpx.Client(base_url=corpus_server.url, timeout=10) as http:
        answer = http.request(method, path, **options)
        assert 200 <= answer.status_code < 300, answer.text


@pytest.mark.parametrize("path", [
    "/anything/path/matrix/blue/;array=blue/;object=R,100",   # matrix values start with ;
    "/anything/path/label/.blue/blue/.R,100",                 # label values start with .
    "/anything/path/simple/blue/blue/R,100,G",                # an object's key has no value
])
def test_public_contract_misstyled_paths_are_refused(corpus_server: ServerProcess, path: str) -> None:
    with httpx.Client(base_url=corpus_server.url, timeout=10) as http:
        assert http.get(path).status_code == 400
