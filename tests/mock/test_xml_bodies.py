"""XML request bodies are read by the schema's `xml` object and validated like JSON ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mock_server.http.errors import MockError
from mock_server.http.xml_bodies import read
from tests.support.servers import ServerProcess, run_mock

PETSTORE = Path(__file__).parents[1] / "corpus" / "auth" / "swagger-petstore-3.0.yaml"
DOCUMENT = {"components": {"schemas": {"Pet": {
    "type": "object", "xml": {"name": "pet"},
    "properties": {
        "id": {"type": "integer", "xml": {"attribute": True}},
        "name": {"type": "string"},
        "sold": {"type": "boolean"},
        "tags": {"type": "array", "xml": {"wrapped": True}, "items": {"type": "string", "xml": {"name": "tag"}}},
        "photoUrls": {"type": "array", "items": {"type": "string", "xml": {"name": "photoUrl"}}},
    },
}}}}
PET = {"$ref": "#/components/schemas/Pet"}


def test_elements_attributes_and_arrays_are_read_by_the_xml_object() -> None:
    body = b'<pet id="3"><name>Rex</name><sold>false</sold><tags><tag>a</tag><tag>b</tag></tags>' \
           b"<photoUrl>x</photoUrl><photoUrl>y</photoUrl><color>red</color></pet>"
    assert read(body, PET, DOCUMENT) == {"id": 3, "name": "Rex", "sold": False, "tags": ["a", "b"],
                                         "photoUrls": ["x", "y"], "color": "red"}


def test_namespace_prefixes_are_ignored_and_untyped_text_stays_text() -> None:
    assert read(b'<p:pet xmlns:p="urn:x" id="x"><p:name>Rex</p:name></p:pet>', PET, DOCUMENT) == {"id": "x", "name": "Rex"}
    assert read(b"<pet>true</pet>", PET, DOCUMENT) == "true"  # text where an object is asked for


@pytest.mark.parametrize("body", [b"<pet>", b"", b'<!DOCTYPE pet [<!ENTITY e "x">]><pet>&e;</pet>', b"<a>" * 100 + b"</a>" * 100])
def test_malformed_declaring_or_deep_documents_are_refused(body: bytes) -> None:
    with pytest.raises(MockError) as refused:
        read(body, PET, DOCUMENT)
    assert refused.value.status == 400


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with run_mock(str(PETSTORE), "--rate-limits", "off") as process:
        yield process


def test_the_mock_validates_an_xml_body(server: ServerProcess) -> None:
    user = "<user><id>10</id><username>theUser</username><userStatus>{}</userStatus></user>"
    headers = {"api_key": "k", "Content-Type": "application/xml", "Accept": "application/json"}
    with httpx.Client(base_url=server.url + "/api/v3", timeout=10) as http:
        accepted = http.post("/user", content=user.format(1), headers=headers)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["username"] == "theUser" and accepted.json()["userStatus"] == 1
        too_big = http.post("/user", content=user.format(2**31), headers=headers)  # int32
        assert too_big.status_code == 400 and "userStatus" in too_big.text
        assert http.post("/user", content="<user>true</user>", headers=headers).status_code == 400
        assert http.post("/user", content="<user><id>1</id>", headers=headers).status_code == 400
