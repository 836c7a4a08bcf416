"""What every importer shares: its options and answer, column building, JSON decoding, slice choice.

Importers turn a harness's output into `Results` without keeping one object per example: scores and
slice codes are appended to compact arrays as the input is read, then handed over as numpy columns.
About 420 lines, shared by every importer so that none of them repeats it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import numpy as np
import numpy.typing as npt

from gatebot.errors import InputError
from gatebot.jsonlimits import check_depth
from gatebot.results import Examples, FloatArray, MetaColumn, Results, SliceColumn

T = TypeVar("T")

SLICE_MAX_CHARS = 40
"""A value longer than this is text, not a category: the key is not chosen as a slice by default."""
SLICE_MAX_LEVELS = 20
"""A key with more distinct values than this (or than half the examples) is not a default slice."""
META_MAX_LEVELS = 50
"""A short-string field with more distinct values than this (ids, answers) is not kept as metadata."""

_REL_TOL = 1e-9
_ABS_TOL = 1e-12
_POSITION = re.compile(r"byte (\d+)")


@dataclass(frozen=True)
class ImportOptions:
    """Choices an importer cannot read from the file itself."""

    provider: str | None = None
    """promptfoo: the provider (label or id) to import; `*` for one `Results` per provider."""
    slices: tuple[str, ...] | None = None
    """Which keys (promptfoo vars, inspect metadata, lm-eval doc fields, columns) become slices.
    None: the default rule (short strings with few distinct values), see docs/importers.md."""
    id_column: str = "id"
    """jsonl/csv: the column holding the example id."""
    metric_columns: tuple[str, ...] | None = None
    """jsonl/csv: the metric columns; None: the numeric columns named like scores."""
    samples: tuple[Path, ...] = ()
    """lm-eval: per-sample files; when empty, `samples_<task>_<timestamp>.jsonl` beside the results."""
    directions: Mapping[str, str] = field(default_factory=dict)
    """`higher` or `lower` per metric, added to (and overriding) what the file says."""


@dataclass(frozen=True)
class Imported:
    """What an import produced, and an account of what it read and what it left out."""

    results: tuple[Results, ...]
    """One per file, except a promptfoo eval imported with provider `*` (one per provider)."""
    format: str
    """The format read: the one asked for, or the one detected."""
    read: tuple[str, ...]
    """Human-readable lines saying what was read (tasks, samples, providers, slices)."""
    skipped: tuple[str, ...]
    """Human-readable lines saying what was left out, and why."""


def fail(path: Path, problem: str, expected: str) -> InputError:
    """The one-line error every importer raises: the file, what is wrong, what was expected."""
    return InputError(f"{path}: {problem}", f"expected {expected}")


def read_bytes(path: Path, expected: str) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found", "check the path") from None
    except IsADirectoryError:
        raise fail(path, "is a directory", expected) from None
    except OSError as error:
        raise InputError(f"{path}: cannot read the file: {error.strerror}") from None
    if not data.strip():
        raise fail(path, "the file is empty", expected)
    return data


def _json_error(where: str, data: bytes, error: Exception, expected: str) -> InputError:
    text = str(error)
    match = _POSITION.search(text)
    at_end = match is not None and int(match.group(1)) >= len(data.rstrip())
    if "truncated" in text or at_end:
        return InputError(f"{where}: the JSON ends early (truncated file?)", f"expected {expected}")
    return InputError(f"{where}: malformed JSON: {text}", f"expected {expected}")


def decode_json(data: bytes, where: str, expected: str, kind: type[T]) -> T:
    """Decode `data` as `kind`; `NaN` and `Infinity` (which Python's json writes) are accepted.

    A document nested deeper than `jsonlimits.MAX_DEPTH` is refused before it is decoded."""
    check_depth(data, where=where)
    try:
        return msgspec.json.decode(data, type=kind)
    except msgspec.ValidationError as error:
        raise _validation_error(where, error, expected) from None
    except msgspec.DecodeError as error:
        first = error
    try:
        generic = json.loads(data)
    except ValueError:
        raise _json_error(where, data, first, expected) from None
    try:
        return msgspec.convert(generic, type=kind)
    except msgspec.ValidationError as error:
        raise _validation_error(where, error, expected) from None


def _validation_error(where: str, error: msgspec.ValidationError, expected: str) -> InputError:
    problem, _, path = str(error).replace("`", "").partition(" - at ")
    field_path = path.removeprefix("$").removeprefix(".")
    detail = f"{field_path}: {problem}" if field_path else problem
    return InputError(f"{where}: {detail}", f"expected {expected}")


def as_number(value: Any) -> float | None:
    """A finite float from a JSON number or boolean; None for anything else (NaN and null included)."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_REL_TOL, abs_tol=_ABS_TOL)


def column_mean(values: FloatArray, ids: list[str] | None = None) -> float | None:
    """The mean of a score column; with `ids` holding repeated ids, the mean of the per-example means
    (how a harness reduces several samples of one example before averaging)."""
    ok = ~np.isnan(values)
    kept = values[ok]
    if not kept.size:
        return None
    if ids is None or len(set(ids)) == len(ids):
        return float(kept.mean())
    index: dict[str, int] = {}
    codes = np.fromiter((index.setdefault(i, len(index)) for i in ids), dtype=np.intp, count=len(ids))[ok]
    sums = np.bincount(codes, weights=kept, minlength=len(index))
    counts = np.bincount(codes, minlength=len(index))
    scored = counts > 0
    return float((sums[scored] / counts[scored]).mean())


class _SliceKey:
    """One candidate slice key: its levels and one code per row (-1: no value)."""

    def __init__(self) -> None:
        self.levels: dict[str, int] = {}
        self.codes = array("i")
        self.alive = True

    def put(self, row: int, value: str) -> None:
        if len(self.codes) <= row:
            self.codes.extend([-1] * (row + 1 - len(self.codes)))
        self.codes[row] = self.levels.setdefault(value, len(self.levels))


class _MetaKey:
    """One per-example field kept as metadata: numbers, short strings (codes), or the length of text."""

    def __init__(self) -> None:
        self.kind: str | None = None
        """`number`, `label` (strings of at most SLICE_MAX_CHARS) or `text` (their length, as a number)."""
        self.numbers = array("d")
        self.levels: dict[str, int] = {}
        self.codes = array("i")
        self.alive = True

    def put(self, row: int, value: Any) -> None:
        # Called once per field per example: the common cases come first and touch little.
        kind = self.kind
        if type(value) is str:
            if kind == "label" and len(value) <= SLICE_MAX_CHARS:
                self._label(row, value)
            elif kind == "text" or len(value) > SLICE_MAX_CHARS:
                if kind == "number":
                    self._drop()
                    return
                if kind != "text":
                    self._to_text()
                self._number(row, float(len(value)))
            elif kind is None:
                self.kind = "label"
                self._label(row, value)
            else:
                self._drop()
            return
        number = as_number(value)
        if number is None:
            if not isinstance(value, float):  # a list, an object: not a field to search
                self._drop()
            return  # NaN or infinite: no value for this example
        if kind != "number":
            if kind is not None:
                self._drop()
                return
            self.kind = "number"
        self._number(row, number)

    def _label(self, row: int, value: str) -> None:
        code = self.levels.get(value)
        if code is None:
            code = self.levels[value] = len(self.levels)
            if code >= META_MAX_LEVELS:
                self._drop()
                return
        codes = self.codes
        if len(codes) == row:
            codes.append(code)
        else:
            _grow(codes, row, -1)
            codes[row] = code

    def _drop(self) -> None:
        self.alive = False
        self.numbers, self.levels, self.codes = array("d"), {}, array("i")

    def _number(self, row: int, value: float) -> None:
        numbers = self.numbers
        if len(numbers) == row:
            numbers.append(value)
        else:
            _grow(numbers, row, math.nan)
            numbers[row] = value

    def _to_text(self) -> None:
        """Short strings seen so far become their lengths, once a long one shows the field is text."""
        if self.kind == "label":
            lengths = [float(len(level)) for level in self.levels]
            for row, code in enumerate(self.codes):
                if code >= 0:
                    self._number(row, lengths[code])
            self.levels, self.codes = {}, array("i")
        self.kind = "text"

    def column(self, n: int) -> MetaColumn | None:
        if not self.alive or self.kind is None:
            return None
        if self.kind == "label":
            if len(self.levels) > n / 2:  # nearly one value per example: an id or an answer
                return None
            return SliceColumn(_padded(_codes(self.codes), n, -1), tuple(self.levels))
        return _padded(np.frombuffer(self.numbers, dtype=np.float64), n, np.nan)


def _grow(column: array[Any], row: int, fill: float) -> None:
    if len(column) <= row:
        column.extend([fill] * (row + 1 - len(column)))


class ColumnBuilder:
    """Per-example ids, scores, slices and metadata gathered row by row into compact arrays.

    `slices` is the caller's explicit choice of slice keys (None: the default rule, which keeps a key
    when all its values are strings of at most `SLICE_MAX_CHARS` characters and it has 2 to
    `SLICE_MAX_LEVELS` distinct values, and no more than half as many as there are examples).

    Every field offered (as a slice or as metadata) that does not end up a slice or a score is kept as
    metadata: numbers (booleans as 1/0) as numbers, strings of at most `SLICE_MAX_CHARS` characters as
    categories (up to `META_MAX_LEVELS` distinct values and no more than half as many as there are
    examples, so ids and answers are left out), longer strings as their length in characters under
    `<field>_chars`. A field whose values mix numbers and strings, or hold lists or
    objects, is not kept.
    """

    def __init__(self, slices: tuple[str, ...] | None) -> None:
        self.ids: list[str] = []
        self._rows: dict[tuple[str, int], int] = {}
        self._repeats = array("i")
        self._scores: dict[str, array[float]] = {}
        self._keys: dict[str, _SliceKey] = {}
        self._fixed: set[str] = set()
        self._explicit = None if slices is None else frozenset(slices)
        self._meta: dict[str, _MetaKey] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def row(self, ident: str, *, repeat: int | None = None) -> int:
        """The row of example `ident` (of its sample `repeat`, when it was scored several times), added
        if new."""
        key = (ident, -1 if repeat is None else repeat)
        found = self._rows.get(key)
        if found is None:
            found = self._rows[key] = len(self.ids)
            self.ids.append(ident)
            self._repeats.append(key[1])
        return found

    def has_row(self, ident: str, *, repeat: int | None = None) -> bool:
        return (ident, -1 if repeat is None else repeat) in self._rows

    def score(self, name: str, row: int, value: float) -> bool:
        """Set a score; False (and nothing changed) when that example already has one for `name`."""
        column = self._scores.setdefault(name, array("d"))
        if len(column) <= row:
            column.extend([math.nan] * (row + 1 - len(column)))
        elif not math.isnan(column[row]):
            return False
        column[row] = value
        return True

    def drop_score(self, name: str) -> None:
        self._scores.pop(name, None)

    @property
    def explicit(self) -> bool:
        """Whether the caller named the slice keys, rather than leaving them to the default rule."""
        return self._explicit is not None

    def fixed_slice(self, key: str, row: int, value: str) -> None:
        """A slice the importer always adds (lm-eval's `task`), whatever the options say."""
        self._fixed.add(key)
        self._keys.setdefault(key, _SliceKey()).put(row, value)

    def offer_meta(self, key: str, row: int, value: Any) -> None:
        """A metadata value; kept unless the key turns out to be a slice, a score or unusable."""
        if value is None:
            return
        slot = self._meta.get(key)
        if slot is None:
            if key in self._fixed:
                return
            slot = self._meta[key] = _MetaKey()
        if slot.alive:
            slot.put(row, value)

    def offer_slice(self, key: str, row: int, value: Any) -> None:
        """A candidate slice value; kept if the key is chosen (explicitly or by the default rule).

        Also offered as metadata, for when the key is not chosen."""
        self.offer_meta(key, row, value)
        if key in self._fixed or (self._explicit is not None and key not in self._explicit):
            return
        slot = self._keys.setdefault(key, _SliceKey())
        if not slot.alive or value is None:
            return
        if self._explicit is None:
            if not isinstance(value, str) or len(value) > SLICE_MAX_CHARS:
                self._kill(slot)
                return
            slot.put(row, value)
            if len(slot.levels) > SLICE_MAX_LEVELS:
                self._kill(slot)
            return
        slot.put(row, value if isinstance(value, str) else json.dumps(value, sort_keys=True))

    @staticmethod
    def _kill(slot: _SliceKey) -> None:
        slot.alive = False
        slot.levels = {}
        slot.codes = array("i")

    def missing_slices(self) -> list[str]:
        """Explicitly requested slice keys that no example had."""
        if self._explicit is None:
            return []
        return sorted(k for k in self._explicit if k not in self._keys or not self._keys[k].levels)

    def _chosen(self, key: str, slot: _SliceKey, n: int) -> bool:
        if key in self._fixed or self._explicit is not None:
            return bool(slot.levels)
        levels = len(slot.levels)
        return slot.alive and 2 <= levels <= SLICE_MAX_LEVELS and levels <= n / 2

    def finish(self) -> Examples:
        n = len(self.ids)
        scores = {
            name: _padded(np.frombuffer(col, dtype=np.float64), n, np.nan)
            for name, col in self._scores.items()
        }
        slices = {
            key: SliceColumn(_padded(_codes(slot.codes), n, -1), tuple(slot.levels))
            for key, slot in self._keys.items()
            if self._chosen(key, slot, n)
        }
        meta: dict[str, MetaColumn] = {}
        for key, meta_slot in sorted(self._meta.items()):
            if key in slices or key in scores:
                continue
            column = meta_slot.column(n)
            name = f"{key}_chars" if meta_slot.kind == "text" else key
            if column is not None and name not in slices and name not in scores:
                meta[name] = column
        repeats = np.frombuffer(self._repeats, dtype=np.intc).astype(np.int32) if len(self._repeats) else None
        if repeats is not None and not np.any(repeats >= 0):
            repeats = None
        return Examples(ids=list(self.ids), scores=scores, slices=slices, meta=meta, repeats=repeats)


def _codes(codes: array[int]) -> npt.NDArray[np.int32]:
    return np.frombuffer(codes, dtype=np.intc).astype(np.int32, copy=False)


def _padded(values: npt.NDArray[Any], n: int, fill: float) -> npt.NDArray[Any]:
    out = np.full(n, fill, dtype=values.dtype)
    out[: values.size] = values
    return out


def means(examples: Examples) -> dict[str, float]:
    """The mean of each score column over the examples that have a score (columns with none left out);
    several samples of one example count as one example, their mean."""
    out: dict[str, float] = {}
    ids = examples.ids if examples.repeats is not None else None
    for name, values in examples.scores.items():
        mean = column_mean(values, ids)
        if mean is not None:
            out[name] = mean
    return out


def keep_scores(examples: Examples, names: Iterable[str]) -> Examples:
    wanted = set(names)
    scores = {k: v for k, v in examples.scores.items() if k in wanted}
    return dataclasses.replace(examples, scores=scores)


def describe_fields(examples: Examples) -> str:
    """The slices and the metadata an import found, for the lines saying what it read."""
    parts = [f"{key} ({len(col.levels)} values)" for key, col in examples.slices.items()]
    text = "slices: " + ", ".join(parts) if parts else "no slices"
    if examples.meta:
        text += "; metadata: " + ", ".join(examples.meta)
    return text
