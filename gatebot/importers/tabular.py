"""Per-example scores as a table, one row per example: JSON Lines (`jsonl`) or CSV (`csv`).

Both are streamed row by row. The id column (`id` unless told otherwise) names each example; the metric
columns become score columns whose means are the aggregates: the ones named, or by default the numeric
columns whose names say they are scores (`accuracy`, `score`, `f1`, `loss`, `latency_ms`; see
`looks_like_score`), so `label` or `seed` stay metadata; slice columns are the ones named, or by
default the short-string columns with few distinct values. See docs/importers.md.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatebot.importers._common import (
    ColumnBuilder,
    Imported,
    ImportOptions,
    decode_json,
    describe_fields,
    fail,
    means,
)
from gatebot.results import Results

if TYPE_CHECKING:
    from _csv import Reader

EXPECTED_JSONL = "JSON Lines of per-example scores, one object per line with an id and numeric metrics"
EXPECTED_CSV = "a CSV of per-example scores: a header row, an id column and numeric metric columns"
_MISSING = frozenset({"", "na", "n/a", "nan", "null", "none"})
_SCORE_WORDS_TEXT = (
    "score scores acc accuracy correct correctness pass passed success f1 em exact match matches bleu "
    "chrf meteor ter wer cer bertscore loss nll perplexity ppl logprob likelihood latency cost error "
    "errors precision recall auc auroc reward rating grade win rate mrr ndcg hit hits faithfulness "
    "relevance toxicity hallucination judge rubric"
)
_SCORE_WORDS = frozenset(_SCORE_WORDS_TEXT.split())
_SCORE_PREFIXES = ("rouge", "bleu", "f1", "acc", "pass@", "recall@", "precision@", "ndcg@", "hit@")
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def looks_like_score(column: str) -> bool:
    """A column whose name says it holds a score: a word of it (snake_case, kebab-case or camelCase) is
    a score word (`is_correct`, `exactMatch`, `latency_ms`), or it starts like one (`rougeL`, `pass@1`)."""
    if column.lower().startswith(_SCORE_PREFIXES):
        return True
    return any(word.lower() in _SCORE_WORDS for word in _WORD.findall(column))


_BOOLEANS = {"true": True, "false": False}


class _Table:
    """Rows gathered into columns; decides at the end which columns are metrics."""

    def __init__(self, path: Path, options: ImportOptions, expected: str) -> None:
        self.path = path
        self.options = options
        self.expected = expected
        self.builder = ColumnBuilder(options.slices)
        self.not_numeric: set[str] = set()
        self.numeric: set[str] = set()
        """Numeric columns, scores or not: named when none looks like a score."""
        self.nested: set[str] = set()
        self.seen: set[str] = set()

    def add(self, where: str, record: Mapping[str, Any]) -> None:
        ident = self._ident(where, record)
        row = self.builder.row(ident)
        for key, value in record.items():
            if key == self.options.id_column or value is None:
                continue
            self.seen.add(key)
            if isinstance(value, (dict, list)):
                self.nested.add(key)
                continue
            self._metric(where, key, row, value)
            self.builder.offer_slice(key, row, value)

    def _ident(self, where: str, record: Mapping[str, Any]) -> str:
        column = self.options.id_column
        value = record.get(column)
        if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value).strip() == "":
            raise fail(Path(where), f"no {column!r} value (the example id)", self.expected)
        ident = str(value)
        if self.builder.has_row(ident):
            raise fail(Path(where), f"id {ident!r} appears more than once", "one row per example")
        return ident

    def _is_metric(self, key: str) -> bool:
        wanted = self.options.metric_columns
        return looks_like_score(key) if wanted is None else key in wanted

    def _metric(self, where: str, key: str, row: int, value: Any) -> None:
        if not isinstance(value, str):
            self.numeric.add(key)
        if not self._is_metric(key):
            return
        if isinstance(value, str):
            if self.options.metric_columns is not None:
                raise fail(Path(where), f"metric column {key!r} holds {value!r}, not a number", self.expected)
            self.not_numeric.add(key)
            return
        number = float(value)
        if math.isnan(number):
            return
        if math.isinf(number):
            raise fail(Path(where), f"{key} is infinite", "finite numbers (leave a score out instead)")
        self.builder.score(key, row, number)

    def finish(self, fmt: str) -> Imported:
        if not len(self.builder):
            raise fail(self.path, "no rows", self.expected)
        for key in self.not_numeric:
            self.builder.drop_score(key)
        wanted = self.options.metric_columns
        missing = [k for k in wanted or () if k not in self.seen]
        if missing:
            raise fail(self.path, f"metric column {missing[0]!r} not found", self.expected)
        examples = self.builder.finish()
        if not examples.scores:
            others = sorted(self.numeric - {self.options.id_column})
            if others:
                raise fail(
                    self.path,
                    f"no column's name says it is a score (numeric columns: {', '.join(others[:10])})",
                    "name the metric columns with --metrics a,b (metric_columns: in .gatebot.yml)",
                )
            raise fail(self.path, "no numeric column besides the id", self.expected)
        skipped = [f"column {k!r}: nested values, not used" for k in sorted(self.nested)]
        skipped.extend(f"slice {k!r}: no row has it" for k in self.builder.missing_slices())
        kept = sorted(self.numeric - set(examples.scores) - set(examples.slices))
        if kept:
            why = "" if self.options.metric_columns else " (no score's name; --metrics a,b scores them)"
            skipped.append(f"numeric columns kept as metadata, not metrics{why}: {', '.join(kept)}")
        unused = sorted(self.seen - set(examples.scores) - set(examples.slices) - self.nested - set(kept))
        if unused:
            skipped.append(f"columns neither metrics nor slices: {', '.join(unused)}")
        results = Results(
            benchmark=self.path.stem,
            model="unknown",
            metrics=means(examples),
            examples=examples,
            provenance={"imported_from": {"format": fmt, "file": self.path.name}},
        )
        read = (
            f"{len(examples)} examples from {self.path.name}; metrics: {', '.join(examples.scores)}; "
            f"{describe_fields(examples)}",
        )
        return Imported((results,), fmt, read, tuple(skipped))


def import_jsonl(path: Path, options: ImportOptions) -> Imported:
    """Read JSON Lines of per-example scores, one line at a time."""
    table = _Table(path, options, EXPECTED_JSONL)
    for line_no, line in _lines(path, EXPECTED_JSONL):
        where = f"{path}:{line_no}"
        table.add(where, decode_json(line, where, EXPECTED_JSONL, dict[str, Any]))
    return table.finish("jsonl")


def _lines(path: Path, expected: str) -> Iterator[tuple[int, bytes]]:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise fail(path, "file not found", expected) from None
    except OSError as error:
        raise fail(path, f"cannot read the file: {error.strerror}", expected) from None
    with handle:
        for line_no, line in enumerate(handle, start=1):
            if line.strip():
                yield line_no, line


def import_csv(path: Path, options: ImportOptions) -> Imported:
    """Read a CSV of per-example scores, one row at a time (UTF-8, comma-separated, header first)."""
    table = _Table(path, options, EXPECTED_CSV)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise fail(path, "file not found", EXPECTED_CSV) from None
    except OSError as error:
        raise fail(path, f"cannot read the file: {error.strerror}", EXPECTED_CSV) from None
    with handle:
        try:
            _read_csv(path, csv.reader(handle), table, options)
        except UnicodeDecodeError:
            raise fail(path, "not UTF-8 text", EXPECTED_CSV) from None
        except csv.Error as error:
            raise fail(path, f"malformed CSV: {error}", EXPECTED_CSV) from None
    return table.finish("csv")


def _read_csv(path: Path, reader: Reader, table: _Table, options: ImportOptions) -> None:
    header = next(reader, None)
    if header is None or not any(h.strip() for h in header):
        raise fail(path, "the file is empty", EXPECTED_CSV)
    names = [h.strip() for h in header]
    if len(set(names)) != len(names):
        duplicate = next(n for n in names if names.count(n) > 1)
        raise fail(path, f"column {duplicate!r} appears twice in the header", EXPECTED_CSV)
    if options.id_column not in names:
        shown = ", ".join(names[:10])
        raise fail(
            path,
            f"no {options.id_column!r} column (columns: {shown})",
            "an id column; name it with --id-column",
        )
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        where = f"{path}:{reader.line_num}"
        if len(cells) > len(names):
            raise fail(
                Path(where), f"{len(cells)} cells but the header has {len(names)} columns", EXPECTED_CSV
            )
        record = {
            name: _cell(cell, name == options.id_column) for name, cell in zip(names, cells, strict=False)
        }
        table.add(where, record)


def _cell(text: str, raw: bool) -> Any:
    """A CSV cell as a number, a boolean, a string or None (missing); the id is kept as written."""
    value = text.strip()
    if raw:
        return value
    lowered = value.lower()
    if lowered in _MISSING:
        return None
    if lowered in _BOOLEANS:
        return _BOOLEANS[lowered]
    try:
        return float(value)
    except ValueError:
        return value
