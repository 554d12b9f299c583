"""The contract loader, `$ref` resolution and target resolution the mock, lint and the
conformance suite share (in-process unit tests)."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from mock_server.contracts.bundle import bundled_apis, resolve_target
from mock_server.contracts.loader import ContractError, load_document, locate
from mock_server.contracts.refs import resolve_refs, unresolved_refs

from .fixtures import BROKEN, CLEAN


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_yaml_is_read_as_json_would_be(tmp_path):
    path = write(tmp_path, "a.yaml", "when: 2024-01-15\nresponses:\n  200: {description: ok}\n  default: {}\n")
    assert load_document(path) == {"when": "2024-01-15", "responses": {"200": {"description": "ok"}, "default": {}}}


@pytest.mark.parametrize(
    ("name", "text", "line", "column", "cause"),
    [
        ("dup.yaml", "a: 1\nb:\n  c: 2\n  c: 3\n", 4, 3, "duplicate key 'c' (first defined at line 3)"),
        ("bad.yaml", "a: [1, 2\nb: 3\n", 2, 2, "YAML syntax error"),
        ("list.yaml", "- 1\n", 1, 1, "the document root must be a mapping (an object), found a list"),
        ("dup.json", '{"a": 1,\n "a": 2}', 2, 2, "duplicate key 'a'"),
        ("bad.json", '{"a": 1,\n }', 2, 2, "JSON syntax error"),
    ],
)
def test_broken_documents_raise_a_located_contract_error(tmp_path, name, text, line, column, cause):
    path = write(tmp_path, name, text)
    with pytest.raises(ContractError) as caught:
        load_document(path)
    error = caught.value
    assert (error.path, error.line, error.column) == (path, line, column)
    assert error.cause.startswith(cause)
    assert str(error) == f"{path}:{line}:{column}: {error.cause}"
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


def test_missing_file_is_a_contract_error_without_line(tmp_path):
    with pytest.raises(ContractError) as caught:
        load_document(tmp_path / "nope.yaml")
    assert caught.value.line is None
    assert str(caught.value) == f"{tmp_path / 'nope.yaml'}: file not found"


def test_locate_finds_keys_and_falls_back_to_the_deepest_existing_part(tmp_path):
    path = write(tmp_path, "a.yaml", "paths:\n  /users/{id}:\n    get:\n      responses:\n        '200': {description: ok}\n")
    assert locate(path, "#/paths/~1users~1%7Bid%7D/get") == (3, 5)
    assert locate(path, "/paths/~1users~1{id}/get/responses/200/description") == (5, 17)
    assert locate(path, "/paths/~1users~1{id}/get/operationId") == (3, 5)
    assert locate(tmp_path / "missing.yaml", "/a") is None


def test_resolve_refs_dereferences_local_and_file_refs_and_stays_finite():
    path = CLEAN / "recursive.yaml"
    document = load_document(path)
    original = copy.deepcopy(document)
    resolved = resolve_refs(document, base=path)
    assert document == original  # the input is left alone
    operation = resolved["paths"]["/tree"]["post"]
    node = operation["requestBody"]["content"]["application/json"]["schema"]
    assert node["required"] == ["name"]
    # the recursion is kept as a $ref, which still resolves against the result
    assert node["properties"]["children"]["items"] == {"$ref": "#/components/schemas/Node"}
    # a file next to the contract, and a $ref inside that file, relative to that file
    error = operation["responses"]["default"]
    assert error["content"]["application/json"]["schema"]["required"] == ["error"]
    assert operation["requestBody"]["content"]["application/json"]["examples"]["shared"] == {"value": {"name": "leaf"}}
    json.dumps(resolved)  # a finite tree


def test_examples_are_data_not_references(tmp_path):
    path = write(tmp_path, "a.yaml", "examples:\n  doc:\n    value: {$ref: not-a-reference}\nresponses:\n  default: {$ref: '#/x'}\nx: {description: d}\n")
    resolved = resolve_refs(load_document(path), base=path)
    assert resolved["examples"]["doc"]["value"] == {"$ref": "not-a-reference"}
    assert resolved["responses"]["default"] == {"description": "d"}


def test_ref_siblings_override_annotations_and_combine_constraints(tmp_path):
    path = write(tmp_path, "a.yaml", "a: {$ref: '#/s', description: mine}\nb: {$ref: '#/s', minLength: 2}\ns: {type: string, description: theirs}\n")
    resolved = resolve_refs(load_document(path), base=path)
    assert resolved["a"] == {"type": "string", "description": "mine"}
    assert resolved["b"] == {"allOf": [{"type": "string", "description": "theirs"}, {"minLength": 2}]}


def test_unresolved_refs_lists_each_broken_ref_where_it_is():
    path = BROKEN / "dangling_ref.yaml"
    document = load_document(path)
    assert unresolved_refs(document, base=path) == [
        ("/paths/~1users/get/responses/200/content/application~1json/schema", "#/components/schemas/Usr"),
        ("/paths/~1users/get/responses/404", "errors.yaml#/NotFound"),
        ("/components/schemas/Loop", "#/components/schemas/Loop"),
    ]
    with pytest.raises(ContractError, match="Usr"):
        resolve_refs(document, base=path)


def test_remote_refs_are_never_fetched(tmp_path):
    path = write(tmp_path, "a.yaml", "a: {$ref: 'https://example.com/schema.json#/x'}\n")
    [(where, ref)] = unresolved_refs(load_document(path), base=path)
    assert (where, ref) == ("/a", "https://example.com/schema.json#/x")


def test_resolve_target_takes_names_directories_and_files(tmp_path):
    for api in bundled_apis():
        assert resolve_target(api.name) == api
        assert resolve_target(str(api.directory)).contracts == api.contracts
    single = resolve_target(str(CLEAN / "asyncapi_2_6.yaml"))
    assert single.contracts == {"asyncapi": CLEAN / "asyncapi_2_6.yaml"}
    assert single.title.startswith("An AsyncAPI 2.6 document")


def test_resolve_target_refuses_the_unknown_naming_the_bundled_apis(tmp_path):
    with pytest.raises(ContractError) as caught:
        resolve_target("no-such-api")
    assert all(api.name in caught.value.cause for api in bundled_apis())
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ContractError, match="no contract in this directory"):
        resolve_target(str(empty))


def test_merge_keys_may_be_overridden_but_own_keys_not_repeated(tmp_path):
    path = write(tmp_path, "a.yaml", "base: &b {a: 1, b: 1}\nx:\n  <<: *b\n  a: 2\n")
    assert load_document(path)["x"] == {"a": 2, "b": 1}
    path = write(tmp_path, "b.yaml", "base: &b {a: 1}\nx:\n  <<: *b\n  c: 2\n  c: 3\n")
    with pytest.raises(ContractError, match="duplicate key 'c'"):
        load_document(path)
