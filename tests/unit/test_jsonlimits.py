"""The nesting-depth check on JSON bytes: brackets in strings do not count, escapes are honoured."""

from __future__ import annotations

import json

import pytest

from gatebot.errors import InputError
from gatebot.jsonlimits import MAX_DEPTH, check_depth, too_deep_at


def _reference(data: bytes, limit: int) -> int | None:
    depth, inside, escaped = 0, False, False
    for i, byte in enumerate(data):
        if inside:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                inside = False
        elif byte == 0x22:
            inside = True
        elif byte in b"[{":
            depth += 1
            if depth > limit:
                return i
        elif byte in b"]}":
            depth -= 1
    return None


def _nested(levels: int) -> object:
    value: object = 1
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


def test_exactly_the_limit__accepted_one_more__refused_at_its_bracket() -> None:
    assert too_deep_at(json.dumps(_nested(MAX_DEPTH)).encode()) is None
    data = json.dumps(_nested(MAX_DEPTH + 1)).encode()
    offset = too_deep_at(data)
    assert offset is not None and offset == _reference(data, MAX_DEPTH)


@pytest.mark.parametrize(
    "text", ["[" * 500, '\\"[' * 300, "\\\\" * 300 + "[" * 200, '{"[": "\\\\\\"' * 50, "]]]]" + "[" * 300]
)
def test_brackets_inside_strings__not_counted(text: str) -> None:
    data = json.dumps({"code": text, "more": [text, {"k": text}]}).encode()
    assert too_deep_at(data) is None
    deep = json.dumps({"code": text, "x": _nested(MAX_DEPTH + 1)}).encode()
    assert too_deep_at(deep) == _reference(deep, MAX_DEPTH)


@pytest.mark.parametrize("shift", [0, 1, 2, 3])
def test_escapes_across_megabyte_chunks__counted_as_one_document(shift: int) -> None:
    pad = "x" * ((1 << 20) - 10 - shift) + "\\" * 7 + '"['  # a backslash run across the boundary
    data = json.dumps({"pad": pad, "x": _nested(MAX_DEPTH + 1)}).encode()
    assert too_deep_at(data) == _reference(data, MAX_DEPTH)
    shallow = json.dumps({"pad": pad, "x": _nested(MAX_DEPTH - 1)}).encode()  # the outer object is one
    assert too_deep_at(shallow) is None


def test_check_depth__one_line_naming_file_and_line() -> None:
    data = b'{"a": 1,\n "b": ' + b"[" * 2000 + b"]" * 2000 + b"}\n"
    with pytest.raises(InputError) as caught:
        check_depth(data, where="r.json")
    assert caught.value.one_line().startswith("r.json:2: arrays and objects nested more than 100 levels deep")
