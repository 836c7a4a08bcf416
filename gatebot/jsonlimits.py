"""How deeply nested a JSON document gatebot reads may be, checked on the bytes before they are decoded.

The decoders recurse once per level of arrays and objects, and so does everything that later walks what
they return; 2,000 nested `[` made them raise `RecursionError`. Every document gatebot reads from a user
or a pull request (results, importer inputs, bundles) is refused beyond `MAX_DEPTH` levels, in one line
naming the file and the line, whatever part of the document is that deep.
"""

from __future__ import annotations

import numpy as np

from gatebot.errors import InputError

MAX_DEPTH = 100
"""Levels of nested arrays and objects a document may have; real ones use about ten."""

_CHUNK = 1 << 20
_KEEP = b'"[]{}'
_DELETE = bytes(b for b in range(256) if b not in _KEEP)
_QUOTE, _BACKSLASH = 0x22, 0x5C
_OPENERS = (0x5B, 0x7B)


def _depths(marks: bytes, depth: int, in_string: int) -> tuple[int, int, int]:
    """Deepest level reached in `marks` (quotes and brackets only), and the level and string state after."""
    a = np.frombuffer(marks, dtype=np.uint8)
    quote = a == _QUOTE
    inside = (np.cumsum(quote, dtype=np.int64) + in_string) & 1
    brackets = a[(inside == 0) & ~quote]
    deepest = depth
    if brackets.size:
        steps = np.where((brackets == _OPENERS[0]) | (brackets == _OPENERS[1]), 1, -1)
        levels = np.cumsum(steps, dtype=np.int64) + depth
        deepest, depth = int(levels.max()), int(levels[-1])
    return deepest, depth, int(inside[-1]) if inside.size else in_string


def too_deep_at(data: bytes, limit: int = MAX_DEPTH) -> int | None:
    """The offset of the first `[` or `{` that opens level `limit + 1`, or None if there is none.

    Brackets inside strings do not count. Read in chunks of a megabyte: escaped backslashes and escaped
    quotes are dropped, then only quotes and brackets are kept and counted with numpy."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return None
    view = memoryview(data)
    depth = in_string = 0
    escape = False  # the previous chunk ended in an odd run of backslashes
    for start in range(0, len(data), _CHUNK):
        piece = bytes(view[start : start + _CHUNK])
        incoming = escape
        text = (b"\\" + piece if incoming else piece).replace(b"\\\\", b"")
        escape = text.endswith(b"\\")
        marks = text.replace(b'\\"', b"").translate(None, _DELETE)
        if not marks:
            continue
        deepest, after, state = _depths(marks, depth, in_string)
        if deepest > limit:
            return _locate(piece, start, depth, in_string, limit, escape_first=incoming)
        depth, in_string = after, state
    return None


def _locate(piece: bytes, start: int, depth: int, in_string: int, limit: int, *, escape_first: bool) -> int:
    """The exact offset, found byte by byte within the one chunk known to hold it."""
    inside = bool(in_string)
    escaped = escape_first
    for i, byte in enumerate(piece):
        if inside:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                inside = False
        elif byte == _QUOTE:
            inside = True
        elif byte in _OPENERS:
            depth += 1
            if depth > limit:
                return start + i
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return start


def check_depth(data: bytes, *, where: str, field: str = "") -> None:
    """Raise `depth_error` when `data` nests deeper than `MAX_DEPTH`."""
    if too_deep_at(data) is not None:
        raise depth_error(data, where=where, field=field)


def depth_error(data: bytes, *, where: str, field: str = "") -> InputError:
    """The one-line error for `data` nesting too deep (also for a decoder that ran out of recursion depth
    first): it names `where` and `field` (the part of a larger document `data` is), or else the line."""
    offset = too_deep_at(data)
    if field:
        at = f"{where}: {field}"
    elif offset is not None and b"\n" in data.rstrip():
        line = data.count(b"\n", 0, offset) + 1
        at = f"{where}:{line}"
    else:
        at = where
    return InputError(
        f"{at}: arrays and objects nested more than {MAX_DEPTH} levels deep",
        f"gatebot reads at most {MAX_DEPTH} levels; flatten the data",
    )
