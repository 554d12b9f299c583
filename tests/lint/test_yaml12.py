"""Contracts are read as YAML 1.2 (core schema), as OpenAPI 3.1 requires, and read fast."""

from __future__ import annotations

import math
import time

import pytest

from mock_server.contracts import yaml12
from mock_server.contracts.loader import ContractError, load_document, locate

from .test_lint_command import apitwin


@pytest.mark.parametrize(("text", "expected"), [
    ("18:00", "18:00"),          # YAML 1.1: the sexagesimal number 1080
    ("1:30:00", "1:30:00"),
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("Y", "Y"), ("n", "n"),
    ("true", True), ("False", False), ("TRUE", True),
    ("010", 10),                 # YAML 1.1: octal 8
    ("0o17", 15), ("0x1F", 31), ("-12", -12), ("+7", 7),
    ("1_000", "1_000"),          # YAML 1.1: 1000
    ("0b101", "0b101"),          # YAML 1.1: 5
    ("1e3", 1000.0),             # YAML 1.1: the string "1e3"
    ("1.5", 1.5), ("-.5", -0.5), ("5.", 5.0), (".inf", math.inf), ("-.INF", -math.inf),
    ("~", None), ("null", None), ("NULL", None), ("", None), ("nil", "nil"),
    ("2024-01-02", "2024-01-02"),  # timestamps stay strings, as in JSON
    ("=", "="), (".", "."), ("+", "+"), ("1.2.3", "1.2.3"),
])
def test_plain_scalars_follow_the_core_schema(text, expected):
    value = yaml12.load(f"v: {text}\n")["v"]
    assert value == expected and type(value) is type(expected)


def test_nan_is_a_float():
    assert math.isnan(yaml12.load("v: .NaN\n")["v"])


def test_quoted_and_tagged_scalars():
    document = yaml12.load("a: '18:00'\nb: !!str 12\nc: !!int '12'\nd: !!float 1\ne: ! 12\n")
    assert document == {"a": "18:00", "b": "12", "c": 12, "d": 1.0, "e": "12"}


def test_keys_are_json_strings():
    document = yaml12.load("200: a\ntrue: b\nnull: c\non: d\n1.10: e\n")
    assert document == {"200": "a", "true": "b", "null": "c", "on": "d", "1.10": "e"}


def test_merge_keys_and_anchors():
    document = yaml12.load(
        "base: &b {x: 1, y: 2}\nother: &o {y: 3, z: 4}\n"
        "m: {<<: [*b, *o], z: 5}\nlist: [*b]\n'<<': quoted\n"
    )
    assert document["m"] == {"x": 1, "y": 2, "z": 5}
    assert document["list"] == [{"x": 1, "y": 2}]
    assert document["<<"] == "quoted"


@pytest.mark.parametrize(("text", "fragment", "line"), [
    ("a: 1\nb:\n  c: 1\n  c: 2\n", "duplicate key 'c' (first defined at line 3)", 4),
    ("a: !!binary aGk=\n", "tag 'tag:yaml.org,2002:binary' is not supported", 1),
    ("a: !custom x\n", "tag '!custom' is not supported", 1),
    ("a:\n  ? [1, 2]\n  : x\n", "found a mapping or list used as a key", 2),
    ("a: *nowhere\n", "undefined alias", 1),
    ("a: &r\n  b: *r\n", "recursive structure", 2),
    ("a: 1\n---\nb: 2\n", "but found another document", 2),
    ("a: !!int twelve\n", "'twelve' is not a valid !!int", 1),
    ("a: " + "[" * 200 + "]" * 200 + "\n", "nested deeper than 128 levels", 1),
])
def test_what_json_cannot_hold_is_refused_with_its_line(tmp_path, text, fragment, line):
    path = tmp_path / "openapi.yaml"
    path.write_text(text)
    with pytest.raises(ContractError) as caught:
        load_document(path)
    assert fragment in caught.value.cause
    assert caught.value.line == line


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_nesting_is_limited_and_what_is_allowed_lints_without_a_crash(tmp_path, suffix):
    deep, allowed = tmp_path / f"deep{suffix}", tmp_path / f"allowed{suffix}"
    deep.write_text('{"openapi": "3.1.0", "x": ' + "[" * 300 + "]" * 300 + "}")
    allowed.write_text('{"openapi": "3.1.0", "x": ' + "[" * 120 + "]" * 120 + "}")
    with pytest.raises(ContractError, match="nested deeper than 128 levels"):
        load_document(deep)
    assert load_document(allowed)["openapi"] == "3.1.0"
    assert "Traceback" not in apitwin("lint", str(allowed)).stderr


def test_single_scalar_and_empty_documents():
    assert yaml12.load("") is None
    assert yaml12.load("18:00\n") == "18:00"


def test_compose_resolves_like_load():
    root = yaml12.compose("time: 18:00\ncount: 010\nflag: on\n")
    tags = {key.value: value.tag.rsplit(":", 1)[-1] for key, value in root.value}
    assert tags == {"time": "str", "count": "int", "flag": "str"}


def test_lines_are_still_located(tmp_path):
    path = tmp_path / "openapi.yaml"
    path.write_text("openapi: 3.1.0\npaths:\n  /a:\n    get:\n      summary: at 18:00\n")
    assert locate(path, "/paths/~1a/get/summary") == (5, 7)


CONTRACT_WITH_TIMES = """\
openapi: 3.1.0
info: {title: Opening hours, version: '1.0'}
paths:
  /hours:
    get:
      operationId: hours
      responses:
        '200':
          description: when the shop opens
          content:
            application/json:
              schema:
                type: object
                properties:
                  opens: {type: string, pattern: '^[0-9]{2}:[0-9]{2}$'}
                  open_on_sunday: {type: string, enum: ['yes', 'no']}
              example:
                opens: 18:00
                open_on_sunday: no
"""


def test_a_contract_whose_example_holds_18_00_lints_clean(tmp_path):
    path = tmp_path / "openapi.yaml"
    path.write_text(CONTRACT_WITH_TIMES)
    example = load_document(path)["paths"]["/hours"]["get"]["responses"]["200"]["content"]["application/json"]["example"]
    assert example == {"opens": "18:00", "open_on_sunday": "no"}
    result = apitwin("lint", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no problems" in result.stdout


def _big_contract(operations: int) -> str:
    parts = ["openapi: 3.0.3\ninfo: {title: big, version: '1'}\npaths:\n"]
    for index in range(operations):
        parts.append(
            f"  /things{index}/{{id}}:\n    get:\n      operationId: get{index}\n"
            "      parameters:\n        - {name: id, in: path, required: true, schema: {type: string}}\n"
            "      responses:\n        '200':\n          description: one thing, with a long description "
            "that a vendor contract would carry for every single operation it documents\n"
            "          content:\n            application/json:\n              schema:\n"
            "                type: object\n                properties:\n"
            "                  id: {type: string, example: abc}\n                  at: {type: string, example: 18:00}\n"
            "                  count: {type: integer, minimum: 0, example: 010}\n"
        )
    return "".join(parts)


def _cpu_seconds(load, text: str, times: int = 3) -> float:
    """The best CPU time of a few runs (not wall-clock: the machine may be busy with other work)."""
    best = math.inf
    for _ in range(times):
        started = time.process_time()
        load(text)
        best = min(best, time.process_time() - started)
    return best


def test_a_4_mb_contract_loads_well_under_a_second():
    """About 0.25 s on an idle machine; PyYAML's own C loader takes about 2 s."""
    import yaml

    text = _big_contract(6600)
    assert len(text) > 4_000_000
    assert len(yaml12.load(text)["paths"]) == 6600
    ours = _cpu_seconds(yaml12.load, text)
    assert ours < 1.0, f"{ours:.2f} s of CPU"
    quarter = text[: len(text) // 4].rsplit("\n  /things", 1)[0] + "\n"
    pyyaml = _cpu_seconds(lambda t: yaml.load(t, Loader=yaml.CSafeLoader), quarter, times=1)
    assert ours / 4 < pyyaml / 2, f"{ours:.2f} s for all against PyYAML's {pyyaml:.2f} s for a quarter"


def test_the_mock_serves_the_example_as_written(tmp_path):
    """The whole path, as a user meets it: the mock answers the documented example with
    "18:00" and "no", the strings the contract's author wrote."""
    import httpx

    from tests.support.servers import run_mock

    path = tmp_path / "openapi.yaml"
    path.write_text(CONTRACT_WITH_TIMES)
    with run_mock(str(path)) as server:
        response = httpx.get(f"{server.url}/hours", headers={"Prefer": "dynamic=false"}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json() == {"opens": "18:00", "open_on_sunday": "no"}
