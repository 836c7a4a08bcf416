"""The results format `gatebot/results@1`: its models, reading, validating and writing.

A results file holds a header (benchmark, model, aggregate metrics, provenance) and, optionally,
per-example scores and slices, inline under `examples` or in a JSON Lines sidecar named by
`examples_file`. Per-example data is held in numpy arrays (`Examples`), never as one dict per example:
a million examples must fit in well under a gigabyte. Files are decoded with msgspec, which checks
types while it parses and is several times faster and leaner than the stdlib json module.
See docs/results-format.md. The module runs past 400 lines because the format's models, its
streamed and inline decoding, validation and writing change together with the format's version.
"""

from __future__ import annotations

import math
import os
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from itertools import repeat
from operator import attrgetter
from pathlib import Path
from typing import Annotated, Any

import msgspec
import numpy as np
import numpy.typing as npt

from gatebot.errors import InputError
from gatebot.jsonlimits import check_depth, depth_error

SCHEMA = "gatebot/results@1"
SCHEMA_PREFIX = "gatebot/results@"
_SIDE_BATCH = 65_536

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


class _Example(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    id: str
    scores: dict[str, float] = {}
    slices: dict[str, str] = {}
    meta: dict[str, float | str] = {}


class _DesignedExample(_Example, forbid_unknown_fields=True, gc=False):
    """An example that may name its cluster and its sample number. Decoded only when the input mentions
    them: the two optional fields cost a sixth of the decoding time of a million examples."""

    cluster: str | None = None
    repeat: Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)] | None = None


_DESIGN_KEYS = (b'"cluster"', b'"repeat"')


def _decoder(*chunks: bytes) -> msgspec.json.Decoder[_Example]:
    """The decoder for examples: with clusters and repeats only when the bytes mention one of them."""
    designed = any(key in chunk for chunk in chunks for key in _DESIGN_KEYS)
    return msgspec.json.Decoder(_DesignedExample if designed else _Example)


class _KnownShape:
    """Decoders for examples whose score names and slice keys are known, as structs with one field each.

    Reading a million examples' scores out of dicts one Python call at a time cost more than decoding
    them; fields of structs are read by `operator.attrgetter` in one C-level pass per column
    (`_ColumnBuilder.add_known`). Any example these decoders refuse (an unknown key or field, a wrong
    type) sends its batch through the general `_Example` decoder, which accepts or refuses it exactly
    as it always did; the keys it finds join the shape for the next batch.
    """

    def __init__(self, score_names: Iterable[str], slice_keys: Iterable[str], *, meta: bool) -> None:
        self.meta = meta
        """Whether examples may have `meta` (most have none, and looking costs a pass over the batch)."""
        self.score_names = sorted(set(score_names))
        self.slice_keys = sorted(set(slice_keys))
        scores = msgspec.defstruct(
            "_KnownScores",
            [(f"f{i}", float, math.nan) for i in range(len(self.score_names))],
            rename={f"f{i}": name for i, name in enumerate(self.score_names)},
            forbid_unknown_fields=True,
            gc=False,
        )
        slices = msgspec.defstruct(
            "_KnownSlices",
            [(f"f{i}", str, None) for i in range(len(self.slice_keys))],
            rename={f"f{i}": key for i, key in enumerate(self.slice_keys)},
            forbid_unknown_fields=True,
            gc=False,
        )
        example = msgspec.defstruct(
            "_KnownExample",
            [
                ("id", str),
                ("scores", scores, msgspec.field(default_factory=scores)),
                ("slices", slices, msgspec.field(default_factory=slices)),
                *([("meta", dict[str, float | str], msgspec.field(default_factory=dict))] if meta else []),
            ],
            forbid_unknown_fields=True,
            gc=False,
        )
        self.score_getters = [(n, attrgetter(f"f{i}")) for i, n in enumerate(self.score_names)]
        self.slice_getters = [(k, attrgetter(f"f{i}")) for i, k in enumerate(self.slice_keys)]
        self.one: msgspec.json.Decoder[Any] = msgspec.json.Decoder(example)
        self.many: msgspec.json.Decoder[list[Any]] = msgspec.json.Decoder(list[example])  # type: ignore[valid-type]

    def after(self, builder: _ColumnBuilder) -> _KnownShape:
        """The shape for the batches after one it refused: with the keys found so far, and `meta` when it
        held every key already (so `meta`, which it lacked, was what it refused)."""
        scores, slices = set(builder.score_parts), set(builder.slice_parts)
        if scores <= set(self.score_names) and slices <= set(self.slice_keys):
            return self if self.meta else _KnownShape(scores, slices, meta=True)
        has_meta = self.meta or bool(builder.meta_numbers or builder.meta_labels)
        return _KnownShape(scores | set(self.score_names), slices | set(self.slice_keys), meta=has_meta)


def _new_values(values: list[str | None], levels: Mapping[str, int]) -> list[str]:
    """The values not yet in `levels`, in the order they first appear (None is no value)."""
    new = set(values).difference(levels, (None,))
    if len(new) > _FEW_NEW:
        return [v for v in dict.fromkeys(values) if v is not None and v not in levels]
    return sorted(new, key=values.index)  # type: ignore[arg-type]


_FEW_NEW = 64
"""Up to this many new values, each is found by `list.index` (set(), then a short search each) rather
than by keeping the first of every value in a dict, which costs as much as the batch is long."""

_ID, _SCORES, _SLICES = attrgetter("id"), attrgetter("scores"), attrgetter("slices")


def _known_shape(decoder: msgspec.json.Decoder[_Example], first: bytes | None) -> _KnownShape | None:
    """The shape of the first example's keys; None for examples with clusters or repeats (which take the
    general decoder) or when the first example does not decode (the general decoder says why)."""
    if decoder.type is not _Example or first is None:
        return None
    try:
        example = decoder.decode(first)
    except msgspec.DecodeError:
        return None
    return _KnownShape(example.scores, example.slices, meta=bool(example.meta))


class _Probe(msgspec.Struct):
    schema: Any = None


class _FileV1(msgspec.Struct, forbid_unknown_fields=True):
    schema: str
    benchmark: str
    model: str
    metrics: dict[str, float] = {}
    directions: dict[str, str] = {}
    stderr: dict[str, float] = {}
    report_only: list[str] = []
    examples: list[msgspec.Raw] | None = None
    """Kept undecoded here and decoded in batches, so a million examples never exist as objects at once."""
    examples_file: str | None = None
    provenance: msgspec.Raw = msgspec.Raw(b"{}")
    """Free-form, so decoded only after its nesting depth is checked (see gatebot.jsonlimits)."""


@dataclass(frozen=True)
class SliceColumn:
    """One slice key: an integer code per example into `levels`; -1 where the example has no value."""

    codes: IntArray
    levels: tuple[str, ...]


MetaColumn = SliceColumn | FloatArray
"""One metadata key: strings as a `SliceColumn`, numbers as floats (NaN where an example has none)."""


@dataclass(frozen=True)
class Examples:
    """Per-example data in columns. `scores[m][i]` is NaN where example i has no score for metric m.

    `meta` holds what else is known of each example (input length, channel, a flag) that is not a
    slice: it is never tested as declared, only searched by `gatebot.discover`.
    """

    ids: list[str]
    scores: dict[str, FloatArray]
    slices: dict[str, SliceColumn]
    meta: dict[str, MetaColumn] = field(default_factory=dict)
    clusters: SliceColumn | None = None
    """The cluster of each entry (examples that share a passage, a document, a conversation); None when
    no entry names one."""
    repeats: IntArray | None = None
    """The repeat number of each entry (-1: none); None when no entry has one. Entries with one id and
    distinct repeats are several samples of one example."""

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, index: npt.NDArray[np.intp]) -> Examples:
        """The examples at `index`, in that order."""
        ids = [self.ids[i] for i in index.tolist()]
        scores = {name: values[index] for name, values in self.scores.items()}
        slices = {key: SliceColumn(col.codes[index], col.levels) for key, col in self.slices.items()}
        meta = {key: _take_meta(col, index) for key, col in self.meta.items()}
        clusters = (
            None if self.clusters is None else SliceColumn(self.clusters.codes[index], self.clusters.levels)
        )
        repeats = None if self.repeats is None else self.repeats[index]
        return Examples(ids=ids, scores=scores, slices=slices, meta=meta, clusters=clusters, repeats=repeats)

    def slice_values(self, i: int) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, col in self.slices.items():
            code = int(col.codes[i])
            if code >= 0:
                out[key] = col.levels[code]
        return out


def _take_meta(column: MetaColumn, index: npt.NDArray[np.intp]) -> MetaColumn:
    if isinstance(column, SliceColumn):
        return SliceColumn(column.codes[index], column.levels)
    return column[index]


@dataclass(frozen=True)
class Results:
    """One benchmark run of one model."""

    benchmark: str
    model: str
    metrics: dict[str, float]
    examples: Examples | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    directions: dict[str, str] = field(default_factory=dict)
    stderr: dict[str, float] = field(default_factory=dict)
    """The standard error of an aggregate metric, as the harness reported it (lm-eval's
    `<metric>_stderr`, inspect_ai's `stderr`): a metric known only as an aggregate is then tested."""
    report_only: tuple[str, ...] = ()
    """Metrics whose direction is known but which the tool that wrote the file reports without gating
    (promptfoo's latency and cost) when no config declares any metric."""

    def with_provenance(self, extra: Mapping[str, Any]) -> Results:
        """A copy whose provenance gains the keys of `extra` it does not already have."""
        merged = {**extra, **self.provenance}
        return replace(self, provenance=merged)


class _ColumnBuilder:
    """Accumulates decoded examples batch by batch into columns, so the decoded objects can be freed."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.ids: list[str] = []
        self.score_parts: dict[str, list[FloatArray]] = {}
        self.slice_parts: dict[str, list[IntArray]] = {}
        self.levels: dict[str, dict[str, int]] = {}
        self.meta_numbers: dict[str, list[FloatArray]] = {}
        self.meta_labels: dict[str, list[IntArray]] = {}
        self.meta_levels: dict[str, dict[str, int]] = {}
        self.cluster_parts: list[IntArray] = []
        self.cluster_levels: dict[str, int] = {}
        self.repeat_parts: list[IntArray] = []
        self.count = 0

    def add(self, batch: list[_Example]) -> None:
        metric_names: set[str] = set()
        slice_keys: set[str] = set()
        for e in batch:
            metric_names.update(e.scores)
            slice_keys.update(e.slices)
        n = len(batch)
        scores = {
            name: np.fromiter((e.scores.get(name, math.nan) for e in batch), dtype=np.float64, count=n)
            for name in sorted(metric_names)
        }
        slices = {key: [e.slices.get(key) for e in batch] for key in sorted(slice_keys)}
        self._add_columns([e.id for e in batch], scores, slices, batch)

    def add_known(self, batch: list[Any], shape: _KnownShape) -> None:
        """Add a batch decoded by `shape`'s decoder: each column is read by one C-level pass."""
        n = len(batch)
        scores: dict[str, FloatArray] = {}
        held = list(map(_SCORES, batch))
        for name, get in shape.score_getters:
            column = np.fromiter(map(get, held), dtype=np.float64, count=n)
            # No example of the batch has the score (a JSON score is never NaN): as `add` leaves it out.
            if name in self.score_parts or not np.isnan(column).all():
                scores[name] = column
        slices: dict[str, list[str | None]] = {}
        held = list(map(_SLICES, batch))
        for key, get in shape.slice_getters:
            values: list[str | None] = list(map(get, held))
            if key in self.slice_parts or values.count(None) < n:
                slices[key] = values
        self._add_columns(list(map(_ID, batch)), scores, slices, batch, designed=False, meta=shape.meta)

    def _add_columns(
        self,
        ids: list[str],
        scores: dict[str, FloatArray],
        slices: dict[str, list[str | None]],
        batch: list[Any],
        *,
        designed: bool = True,
        meta: bool = True,
    ) -> None:
        """Append a batch's columns: `scores` and `slices` hold the keys some example of it has, new ones
        in sorted order (the order keys first appear in is the order of the columns)."""
        n = len(ids)
        start = self.count
        self.ids.extend(ids)
        if designed:
            self._clusters_and_repeats(batch)
        else:
            self.cluster_parts.append(np.full(n, -1, dtype=np.int32))
            self.repeat_parts.append(np.full(n, -1, dtype=np.int32))
        for name, column in scores.items():
            parts = self.score_parts.setdefault(name, [np.full(start, np.nan)] if start else [])
            bad = np.isinf(column)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise InputError(
                    f"{self.where}: examples[{start + i}].scores.{name} is not a finite number",
                    "write a finite value, or leave the score out for that example",
                )
            parts.append(column)
        for name, parts in self.score_parts.items():
            if name not in scores:
                parts.append(np.full(n, np.nan))
        for key, values in slices.items():
            levels = self.levels.setdefault(key, {})
            parts_i = self.slice_parts.setdefault(key, [np.full(start, -1, np.int32)] if start else [])
            for value in _new_values(values, levels):
                levels[value] = len(levels)
            # A missing value (None) is no level: -1.
            codes = map(levels.get, values, repeat(-1))  # type: ignore[arg-type]
            parts_i.append(np.fromiter(codes, dtype=np.int32, count=n))
        for key, parts_i in self.slice_parts.items():
            if key not in slices:
                parts_i.append(np.full(n, -1, np.int32))
        self._add_meta(batch if meta else [], start, n)
        self.count += n

    def _add_meta(self, batch: list[Any], start: int, n: int) -> None:
        """The meta columns of the batch's `n` examples; `batch` is empty when none of them has any."""
        kinds: dict[str, bool] = {}
        """Meta key -> True for strings, False for numbers; one kind per key in a file."""
        for offset, e in enumerate(batch):
            for key, value in e.meta.items():
                is_text = isinstance(value, str)
                known = kinds.get(key)
                if known is None:
                    earlier = key in self.meta_labels or key in self.meta_numbers
                    known = kinds[key] = key in self.meta_labels if earlier else is_text
                if known != is_text:
                    raise InputError(
                        f"{self.where}: examples[{start + offset}].meta.{key} is a "
                        f"{'string' if is_text else 'number'}, but other examples have "
                        f"{'numbers' if is_text else 'strings'}",
                        "give each meta key one kind: numbers or strings",
                    )
        for key in sorted(kinds):
            if kinds[key]:
                levels = self.meta_levels.setdefault(key, {})
                labels = self.meta_labels.setdefault(key, [np.full(start, -1, np.int32)] if start else [])
                labels.append(
                    np.fromiter(
                        (
                            levels.setdefault(v, len(levels)) if isinstance(v := e.meta.get(key), str) else -1
                            for e in batch
                        ),
                        dtype=np.int32,
                        count=n,
                    )
                )
                continue
            numbers = self.meta_numbers.setdefault(key, [np.full(start, np.nan)] if start else [])
            column = np.fromiter(
                (float(v) if (v := e.meta.get(key)) is not None else math.nan for e in batch),
                dtype=np.float64,
                count=n,
            )
            bad = np.isinf(column)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise InputError(
                    f"{self.where}: examples[{start + i}].meta.{key} is not a finite number",
                    "write a finite value, or leave the key out for that example",
                )
            numbers.append(column)
        for key, label_parts in self.meta_labels.items():
            if key not in kinds:
                label_parts.append(np.full(n, -1, np.int32))
        for key, number_parts in self.meta_numbers.items():
            if key not in kinds:
                number_parts.append(np.full(n, np.nan))

    def _clusters_and_repeats(self, batch: list[Any]) -> None:
        """Cluster codes and repeat numbers of a batch; -1 where absent (most files have neither)."""
        n = len(batch)
        designed = [e for e in batch if isinstance(e, _DesignedExample)]
        if len(designed) < n:
            self.cluster_parts.append(np.full(n, -1, dtype=np.int32))
            self.repeat_parts.append(np.full(n, -1, dtype=np.int32))
            return
        clusters = self.cluster_levels
        codes = (
            clusters.setdefault(e.cluster, len(clusters)) if e.cluster is not None else -1 for e in designed
        )
        self.cluster_parts.append(np.fromiter(codes, dtype=np.int32, count=n))
        repeats = (-1 if e.repeat is None else e.repeat for e in designed)
        self.repeat_parts.append(np.fromiter(repeats, dtype=np.int32, count=n))

    def finish(self) -> Examples:
        repeats = np.concatenate(self.repeat_parts) if self.repeat_parts else np.empty(0, np.int32)
        if len(set(self.ids)) != len(self.ids):
            _check_repeats(self.where, self.ids, repeats)
        scores = {k: np.concatenate(v) if v else np.empty(0) for k, v in self.score_parts.items()}
        slices = {
            k: SliceColumn(np.concatenate(v) if v else np.empty(0, np.int32), tuple(self.levels[k]))
            for k, v in self.slice_parts.items()
        }
        both = sorted((set(self.meta_numbers) | set(self.meta_labels)) & set(self.slice_parts))
        if both:
            raise InputError(
                f"{self.where}: meta key {both[0]!r} is also a slice key", "keep it under one of them"
            )
        meta: dict[str, MetaColumn] = {k: np.concatenate(v) for k, v in self.meta_numbers.items()}
        for k, parts in self.meta_labels.items():
            meta[k] = SliceColumn(np.concatenate(parts), tuple(self.meta_levels[k]))
        clusters = None
        if self.cluster_levels:
            clusters = SliceColumn(np.concatenate(self.cluster_parts), tuple(self.cluster_levels))
        return Examples(
            ids=self.ids,
            scores=scores,
            slices=slices,
            meta=dict(sorted(meta.items())),
            clusters=clusters,
            repeats=repeats if np.any(repeats >= 0) else None,
        )


def _check_repeats(where: str, ids: list[str], repeats: IntArray) -> None:
    """An id may appear more than once only as repeats: every entry of it with a distinct `repeat`."""
    seen: dict[str, set[int]] = {}
    for i, ident in enumerate(ids):
        repeat = int(repeats[i])
        samples = seen.get(ident)
        if samples is None:
            seen[ident] = {repeat}
            continue
        if repeat < 0 or -1 in samples:
            raise InputError(
                f"{where}: examples[{i}].id {ident!r} appears more than once",
                "example ids must be unique within a results file, unless each entry of the id is a "
                "sample with its own integer `repeat`",
            )
        if repeat in samples:
            raise InputError(
                f"{where}: examples[{i}]: id {ident!r} repeat {repeat} appears more than once",
                "give each sample of an example its own `repeat` number",
            )
        samples.add(repeat)


_DECODE_POS = re.compile(r"byte (\d+)")


def _bad_key(container: Any, *, strings: bool, numbers: bool) -> str | None:
    """The first key of a mapping whose value is not of the expected kind (msgspec elides dict keys)."""
    if not isinstance(container, dict):
        return None
    for key, value in container.items():
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if not ((strings and isinstance(value, str)) or (numbers and is_number)):
            return str(key)
    return None


def _resolve_path(path: str, data: bytes) -> str:
    """Fill in the dict key msgspec writes as `[...]`, by looking at the generic document."""
    if "[...]" not in path or not data:
        return path
    try:
        doc: Any = msgspec.json.decode(data)
    except (msgspec.DecodeError, RecursionError):
        return path
    head, _, tail = path.partition("[...]")
    node = doc
    for token in re.findall(r"\.(\w+)|\[(\d+)\]", head.removeprefix("$")):
        name, index = token
        try:
            node = node[name] if name else node[int(index)]
        except (KeyError, IndexError, TypeError):
            return path
    slices, meta = head.endswith("slices"), head.endswith("meta")
    key = _bad_key(node, strings=slices or meta, numbers=not slices)
    return path if key is None else f"{head}.{key}{tail}"


def _decode_error(
    where: str, data: bytes, error: msgspec.DecodeError, *, line_known: bool = False, prefix: str = ""
) -> InputError:
    text = str(error).replace("`", "")
    if isinstance(error, msgspec.ValidationError):
        problem, _, path = text.partition(" - at ")
        path = _resolve_path(path, data) if path else ""
        path = (prefix + path.removeprefix("$")).removeprefix(".")
        if problem.startswith("Number out of range"):
            problem = "is not a finite number"
        detail = f"{path}: {problem}" if path else problem
        return InputError(f"{where}: {detail}", "see docs/results-format.md for the format")
    match = _DECODE_POS.search(text)
    if "truncated" in text or (match and int(match.group(1)) >= len(data.rstrip())):
        return InputError(f"{where}: the JSON ends early (truncated file?)", "write the file again")
    if match:
        pos = int(match.group(1))
        newline = b"\n"
        at = where if line_known else f"{where}:{data.count(newline, 0, pos) + 1}"
        ahead = data[pos : pos + 9].lstrip(b"-")
        if ahead.startswith((b"NaN", b"Infinity", b"inf", b"nan")):
            return InputError(
                f"{at}: a number is NaN or infinite",
                "metrics and scores must be finite; leave out a score that could not be computed",
            )
        return InputError(f"{at}: malformed JSON: {text}", "fix the file or rerun the benchmark")
    return InputError(f"{where}: malformed JSON: {text}", "fix the file or rerun the benchmark")


def _read_bytes(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: {what} not found", "check the path") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a {what}") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read the {what}: {error.strerror}") from None


def _check_finite_metrics(where: str, metrics: Mapping[str, float]) -> None:
    for name, value in metrics.items():
        if not math.isfinite(value):
            raise InputError(f"{where}: metrics.{name} is not a finite number", "write a finite value")


def is_results_file(path: Path) -> bool:
    """True when `path` is a JSON object whose `schema` names a gatebot results format."""
    try:
        probe = msgspec.json.decode(path.read_bytes(), type=_Probe)
    except (OSError, msgspec.DecodeError, RecursionError):
        return False
    return isinstance(probe.schema, str) and probe.schema.startswith(SCHEMA_PREFIX)


def load_results(path: Path) -> Results:
    """Read and validate a results file (and its sidecar, if it names one)."""
    return parse_results(_read_bytes(path, "results file"), where=str(path), base_dir=path.parent)


def parse_results(  # noqa: PLR0912 - one branch per rule of the format, each with its own error
    data: bytes, *, where: str, base_dir: Path | None = None
) -> Results:
    """Validate the bytes of a results document; `where` names it in errors.

    A sidecar named by `examples_file` is read from `base_dir`; without one, only inline examples work.
    """
    if not data or data.isspace():  # as `not data.strip()`, without a copy of the file
        raise InputError(f"{where}: the results file is empty", f"expected a {SCHEMA} JSON document")
    try:
        probe = msgspec.json.decode(data, type=_Probe)
    except msgspec.ValidationError:
        raise InputError(
            f"{where}: expected a JSON object", f"see docs/results-format.md ({SCHEMA})"
        ) from None
    except msgspec.DecodeError as error:
        raise _decode_error(where, data, error) from None
    except RecursionError:
        raise depth_error(data, where=where) from None
    if probe.schema != SCHEMA:
        if isinstance(probe.schema, str) and probe.schema.startswith(SCHEMA_PREFIX):
            raise InputError(
                f"{where}: schema {_shown(probe.schema)} is a results format this gatebot does not know",
                f"this version reads {SCHEMA}; upgrade gatebot",
            )
        raise InputError(
            f"{where}: schema is {_shown(probe.schema)}, expected {SCHEMA!r}",
            "write gatebot's results format, or import a harness's output with `gatebot import`",
        )
    try:
        raw = msgspec.json.decode(data, type=_FileV1)
    except msgspec.DecodeError as error:
        raise _decode_error(where, data, error) from None
    except RecursionError:
        raise depth_error(data, where=where) from None
    decoder = _decoder(data)
    del data
    check_name(raw.benchmark, where=where, field="benchmark")
    check_name(raw.model, where=where, field="model")
    provenance = _provenance(where, raw.provenance)
    _check_finite_metrics(where, raw.metrics)
    for name, direction in raw.directions.items():
        if direction not in ("higher", "lower"):
            raise InputError(f"{where}: directions.{name} is {direction!r}", "use 'higher' or 'lower'")
    for name, se in raw.stderr.items():
        if not math.isfinite(se) or se < 0:
            raise InputError(
                f"{where}: stderr.{name} is not a finite number >= 0", "write the standard error"
            )
    if raw.examples is not None and raw.examples_file is not None:
        raise InputError(f"{where}: has both examples and examples_file", "keep one of them")
    examples: Examples | None = None
    raw.provenance = msgspec.Raw(b"{}")  # decoded above; it held on to the file's bytes
    if raw.examples is not None:
        items, raw.examples = raw.examples, None
        examples = _decode_examples(where, items, decoder=decoder)
    elif raw.examples_file is not None:
        if base_dir is None:
            raise InputError(
                f"{where}: names an examples_file, but this document must hold its examples inline",
                "write the examples under `examples`",
            )
        examples = load_examples_jsonl(base_dir / raw.examples_file)
    return Results(
        benchmark=raw.benchmark,
        model=raw.model,
        metrics=dict(raw.metrics),
        examples=examples,
        provenance=provenance,
        directions=dict(raw.directions),
        stderr=dict(raw.stderr),
        report_only=tuple(raw.report_only),
    )


def _provenance(where: str, raw: msgspec.Raw) -> dict[str, Any]:
    data = bytes(raw)
    check_depth(data, where=where, field="provenance")
    try:
        decoded: dict[str, Any] = msgspec.json.decode(data, type=dict[str, Any])
    except msgspec.DecodeError as error:
        raise _decode_error(where, data, error, line_known=True, prefix="provenance") from None
    return decoded


def _shown(value: Any) -> str:
    """A decoded value for a message: scalars as Python writes them, containers by their kind only."""
    if isinstance(value, (list, dict)):
        return "an array" if isinstance(value, list) else "an object"
    return repr(value)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_name(value: str, *, where: str, field: str) -> None:
    """Refuse a model or benchmark name holding a NUL byte or another control character: such a name
    cannot be a file name, a branch path or a line of a report."""
    found = _CONTROL.search(value)
    if found is None:
        return
    char = found.group()
    what = "a NUL byte" if char == "\0" else f"the control character U+{ord(char):04X}"
    raise InputError(
        f"{where}: {field} contains {what} (at character {found.start() + 1})",
        "names are plain text: letters, digits and punctuation",
    )


def _decode_examples(
    where: str, items: list[msgspec.Raw], *, decoder: msgspec.json.Decoder[_Example]
) -> Examples:
    """Decode `items` batch by batch, emptying the list as it goes: each item holds the file's bytes, which
    are freed with the last of them, before the columns are put together."""
    builder = _ColumnBuilder(where)
    shape = _known_shape(decoder, bytes(items[0]) if items else None)
    start = 0
    while items:
        batch = items[:_SIDE_BATCH]
        del items[:_SIDE_BATCH]
        decoded = _decoded_batch(where, batch, start, builder, shape, decoder=decoder)
        if decoded is not None:
            builder.add(decoded)
            del decoded
            if shape is not None:
                shape = shape.after(builder)
        start += len(batch)
        del batch
    return builder.finish()


def _decoded_batch(
    where: str,
    batch: list[msgspec.Raw],
    start: int,
    builder: _ColumnBuilder,
    shape: _KnownShape | None,
    *,
    decoder: msgspec.json.Decoder[_Example],
) -> list[_Example] | None:
    """None when `shape` decoded the batch (it is then in `builder`); else its examples, each decoded by
    the general decoder, which says what is wrong with a bad one."""
    if shape is not None:
        try:
            # One decoder call per batch: the items are whole JSON values, so joined they are the array.
            known = shape.many.decode(b"[" + b",".join(batch) + b"]")
        except msgspec.DecodeError:
            pass
        else:
            builder.add_known(known, shape)
            return None
    decoded: list[_Example] = []
    for offset, item in enumerate(batch):
        try:
            decoded.append(decoder.decode(item))
        except msgspec.DecodeError as error:
            raise _decode_error(where, bytes(item), error, prefix=f"examples[{start + offset}]") from None
    return decoded


def _jsonl_batches(path: Path) -> Iterator[list[tuple[int, bytes]]]:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise InputError(f"{path}: examples file not found", "check examples_file in the results") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read the examples file: {error.strerror}") from None
    with handle:
        batch: list[tuple[int, bytes]] = []
        for line_no, line in enumerate(handle, start=1):
            if line.strip():
                batch.append((line_no, line))
            if len(batch) >= _SIDE_BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


def load_examples_jsonl(path: Path) -> Examples:
    """Stream a JSON Lines file of examples into columns, one batch at a time."""
    builder = _ColumnBuilder(str(path))
    shape: _KnownShape | None = None
    for lines in _jsonl_batches(path):
        decoder = _decoder(*(line for _, line in lines))
        if shape is None or decoder.type is not _Example:
            shape = _known_shape(decoder, lines[0][1])
        if shape is not None:
            try:
                # Line by line: lines joined could make one example of two bad lines.
                known = [shape.one.decode(line) for _, line in lines]
            except msgspec.DecodeError:
                pass
            else:
                builder.add_known(known, shape)
                del known
                continue
        decoded: list[_Example] = []
        for line_no, line in lines:
            try:
                decoded.append(decoder.decode(line))
            except msgspec.DecodeError as error:
                raise _decode_error(f"{path}:{line_no}", line, error, line_known=True) from None
        builder.add(decoded)
        del decoded
        if shape is not None:
            shape = shape.after(builder)
    return builder.finish()


def _number(value: float) -> float | int:
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _example_rows(examples: Examples) -> Iterator[dict[str, Any]]:
    names = list(examples.scores)
    columns = [examples.scores[n] for n in names]
    keys = list(examples.slices)
    codes = [examples.slices[k].codes for k in keys]
    levels = [examples.slices[k].levels for k in keys]
    meta_numbers = {k: c for k, c in examples.meta.items() if not isinstance(c, SliceColumn)}
    meta_labels = {k: c for k, c in examples.meta.items() if isinstance(c, SliceColumn)}
    clusters, repeats = examples.clusters, examples.repeats
    for i, ident in enumerate(examples.ids):
        scores = {
            n: _number(float(c[i])) for n, c in zip(names, columns, strict=True) if not math.isnan(c[i])
        }
        slices = {k: lv[int(c[i])] for k, c, lv in zip(keys, codes, levels, strict=True) if c[i] >= 0}
        row: dict[str, Any] = {"id": ident, "scores": scores}
        if slices:
            row["slices"] = slices
        meta: dict[str, Any] = {}
        for key in examples.meta:
            if key in meta_labels:
                label = meta_labels[key]
                if label.codes[i] >= 0:
                    meta[key] = label.levels[int(label.codes[i])]
            elif not math.isnan(value := float(meta_numbers[key][i])):
                meta[key] = _number(value)
        if meta:
            row["meta"] = meta
        if clusters is not None and clusters.codes[i] >= 0:
            row["cluster"] = clusters.levels[int(clusters.codes[i])]
        if repeats is not None and repeats[i] >= 0:
            row["repeat"] = int(repeats[i])
        yield row


def results_document(results: Results) -> dict[str, Any]:
    """The JSON document of `results`, examples inline."""
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "benchmark": results.benchmark,
        "model": results.model,
        "metrics": results.metrics,
    }
    if results.directions:
        doc["directions"] = results.directions
    if results.stderr:
        doc["stderr"] = results.stderr
    if results.report_only:
        doc["report_only"] = list(results.report_only)
    if results.examples is not None:
        doc["examples"] = list(_example_rows(results.examples))
    doc["provenance"] = results.provenance
    return doc


def _create_temporary(path: Path) -> tuple[int, Path]:
    """A new, empty file beside `path`, opened for writing, with the mode the umask gives new files.

    `tempfile.mkstemp` would make it 0600 whatever the umask: results, baselines and verdicts that a
    `umask 022` or `002` means others to read (a shared runner, a CI cache) would be its owner's only."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def atomic_write(path: Path, chunks: Iterable[bytes]) -> None:
    """Write `path` through a temporary file in the same directory, so readers never see half a file.

    The file gets the mode any new file gets (0666 less the umask), as `open(path, "w")` would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temporary(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_results(results: Results, path: Path) -> None:
    """Write `results` as one gatebot/results@1 document with its examples inline."""
    atomic_write(path, [msgspec.json.encode(results_document(results)), b"\n"])
