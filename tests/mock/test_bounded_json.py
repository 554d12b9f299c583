"""The one JSON parser for client input: its limits, exactly at and just past each one."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.http.bounded_json import (
    LIMITS,
    JsonLimits,
    JsonTooDeep,
    JsonTooLarge,
    JsonTooManyKeys,
    bracket_depth,
    loads,
)


def nested(depth: int) -> str:
    return '{"a":' * (depth // 2) + "[" * (depth - depth // 2) + "1" + "]" * (depth - depth // 2) + "}" * (depth // 2)


def test_depth_at_the_limit_parses_and_one_more_is_refused():
    assert loads(nested(LIMITS.max_depth)) == json.loads(nested(LIMITS.max_depth))
    with pytest.raises(JsonTooDeep) as refused:
        loads(nested(LIMITS.max_depth + 1))
    assert refused.value.status == 400


def test_brackets_inside_strings_do_not_count():
    text = json.dumps({"text": "[[[[{{{{" * 100, "quote": 'a "quoted" \\ [ value'})
    assert loads(text)["text"].startswith("[[[[")


def test_members_at_the_limit_parse_and_one_more_is_refused():
    def wide(n: int) -> str:
        return json.dumps({f"k{i}": {"inner": i} for i in range(n)})

    assert len(loads(wide(LIMITS.max_keys))) == LIMITS.max_keys
    with pytest.raises(JsonTooManyKeys):
        loads(wide(LIMITS.max_keys + 1))
    # many members in total, none too many in one object: fine
    assert len(loads(json.dumps([{f"k{i}": i for i in range(10)} for _ in range(500)]))) == 500


def test_size_is_checked_first_and_can_be_left_to_the_reader():
    limits = JsonLimits(max_bytes=100)
    with pytest.raises(JsonTooLarge) as refused:
        loads(b"[" + b"1," * 100 + b"1]", limits)
    assert refused.value.status == 413
    assert len(loads(b"[" + b"1," * 100 + b"1]", limits.sized(None))) == 101


def test_malformed_and_non_utf8_input_are_value_errors():
    with pytest.raises(ValueError):
        loads('{"a": ')
    with pytest.raises(UnicodeDecodeError):
        loads(b'{"a": "\xff"}')


def test_a_hundred_thousand_levels_are_refused_fast():
    started = time.perf_counter()
    with pytest.raises(JsonTooDeep):
        loads(b"[" * 100_000 + b"]" * 100_000)
    assert time.perf_counter() - started < 1.0


def test_bracket_depth_counts_every_kind_of_bracket():
    assert bracket_depth("") == 0
    assert bracket_depth("a(b[c{d}])") == 3
    assert bracket_depth(b"]]]") == 0


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_whatever_json_within_the_limits_parses_as_json_loads_parses_it(value):
    text = json.dumps(value)
    if depth_of(value) > LIMITS.max_depth:
        with pytest.raises(JsonTooDeep):
            loads(text)
        return
    assert loads(text) == json.loads(text)
    assert loads(text.encode()) == json.loads(text)


def depth_of(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    return 0
