"""Sharded benchmarks: the matrix of (model, benchmark, shard) jobs, and merging partial results (pure).

A benchmark with `shards: N` runs as N jobs, each told its part ({shard} from 0 to N-1, {shards} = N)
and writing the results of its examples only. `merge` joins them into the benchmark's results, refusing
what would make a wrong verdict look right: a shard missing or given twice, an example in two shards,
shards that ran on different models, inputs, configs or datasets. Aggregate metrics are combined as
means weighted by how many examples each shard scored, which is exact for metrics that are means of
per-example scores (accuracy, a mean loss) and an approximation for those that are not (F1, BLEU).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gatebot.config import Config
from gatebot.errors import InputError
from gatebot.plan import Job
from gatebot.results import Examples, FloatArray, IntArray, MetaColumn, Results, SliceColumn
from gatebot.reuse import Shard, shard_of

SAME_IN_EVERY_SHARD = ("model_digest", "inputs_digest", "config_digest", "dataset_digest", "git_commit")
"""Provenance that must be equal in every shard of one benchmark run."""
_PER_SHARD = frozenset({"shard", "wall_seconds", "created_at"})
MERGE_HINT = "run the missing or failed shards again, then merge"


def matrix(config: Config, jobs: Sequence[Job]) -> dict[str, list[dict[str, Any]]]:
    """The `strategy.matrix` of `jobs`: one entry per shard of each (model, benchmark)."""
    include: list[dict[str, Any]] = []
    for job in jobs:
        count = config.benchmarks[job.benchmark].shards
        for index in range(count):
            include.append(
                {
                    "model": job.model,
                    "benchmark": job.benchmark,
                    "shard": str(Shard(index, count)),
                    "index": index,
                    "shards": count,
                }
            )
    return {"include": include}


@dataclass(frozen=True)
class Part:
    """One shard's results and where they were read from (for messages)."""

    where: str
    results: Results

    @property
    def shard(self) -> Shard:
        return shard_of(self.results.provenance)


def merge(parts: Sequence[Part]) -> Results:
    """The results of one benchmark run from the partial results of its shards."""
    if not parts:
        raise InputError("no partial results to merge", "pass the folder the shard jobs wrote to")
    first = parts[0].results
    name = f"{first.model}/{first.benchmark}"
    for part in parts:
        if (part.results.model, part.results.benchmark) != (first.model, first.benchmark):
            raise InputError(
                f"{part.where}: holds {part.results.model}/{part.results.benchmark}, not {name}",
                "merge the shards of one model and benchmark at a time",
            )
    ordered = _check_shards(name, parts)
    _check_provenance(name, ordered)
    examples = _examples(name, ordered)
    provenance = {k: v for k, v in first.provenance.items() if k not in _PER_SHARD}
    times = [p.results.provenance.get("wall_seconds") for p in ordered]
    if all(isinstance(t, (int, float)) for t in times):
        provenance["wall_seconds"] = round(sum(float(t) for t in times if t is not None), 3)
    created = [str(c) for p in ordered if (c := p.results.provenance.get("created_at"))]
    if created:
        provenance["created_at"] = max(created)
    provenance["shards"] = len(ordered)
    return Results(
        first.benchmark,
        first.model,
        _metrics(name, ordered),
        examples,
        provenance,
        _directions(name, ordered),
        report_only=first.report_only,
    )


def _check_shards(name: str, parts: Sequence[Part]) -> list[Part]:
    counts = {p.shard.count for p in parts}
    if len(counts) != 1 or 0 in counts:
        shown = ", ".join(f"{p.where} ({p.results.provenance.get('shard', 'no shard')})" for p in parts)
        raise InputError(f"{name}: the partial results disagree on the number of shards: {shown}", MERGE_HINT)
    (count,) = counts
    by_index: dict[int, Part] = {}
    for part in parts:
        seen = by_index.get(part.shard.index)
        if seen is not None:
            raise InputError(
                f"{name}: shard {part.shard} is given twice ({seen.where} and {part.where})",
                "keep one result file per shard",
            )
        by_index[part.shard.index] = part
    missing = [str(Shard(i, count)) for i in range(count) if i not in by_index]
    if missing:
        have = ", ".join(str(Shard(i, count)) for i in sorted(by_index))
        verb = "shards {} are" if len(missing) > 1 else "shard {} is"
        raise InputError(f"{name}: {verb.format(', '.join(missing))} missing (have {have})", MERGE_HINT)
    return [by_index[i] for i in range(count)]


def _check_provenance(name: str, parts: Sequence[Part]) -> None:
    first = parts[0]
    for key in SAME_IN_EVERY_SHARD:
        for part in parts[1:]:
            ours, theirs = first.results.provenance.get(key), part.results.provenance.get(key)
            if ours != theirs:
                raise InputError(
                    f"{name}: shard {part.shard} has {key} {_short(theirs)} but shard {first.shard} has "
                    f"{_short(ours)}",
                    "run every shard on the same commit, model, inputs and config",
                )


def _short(value: Any) -> str:
    return "none" if value is None else str(value)[:19]


def _metrics(name: str, parts: Sequence[Part]) -> dict[str, float]:
    names = list(parts[0].results.metrics)
    for part in parts[1:]:
        if set(part.results.metrics) != set(names):
            odd = sorted(set(part.results.metrics) ^ set(names))[0]
            raise InputError(
                f"{name}: metric {odd!r} is in some shards and not in others (see shard {part.shard})",
                "every shard must report the same metrics",
            )
    merged: dict[str, float] = {}
    for metric in names:
        weights = [_weight(p.results, metric) for p in parts]
        values = [p.results.metrics[metric] for p in parts]
        total = sum(weights)
        if total == 0:
            merged[metric] = sum(values) / len(values)
        else:
            merged[metric] = sum(w * v for w, v in zip(weights, values, strict=True)) / total
    return merged


def _weight(results: Results, metric: str) -> float:
    examples = results.examples
    if examples is None:
        return 1.0
    scores = examples.scores.get(metric)
    if scores is None:
        return float(len(examples))
    return float(np.count_nonzero(~np.isnan(scores)))


def _directions(name: str, parts: Sequence[Part]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for part in parts:
        for metric, direction in part.results.directions.items():
            if merged.setdefault(metric, direction) != direction:
                raise InputError(f"{name}: shards disagree on the direction of {metric!r}", MERGE_HINT)
    return merged


def _examples(name: str, parts: Sequence[Part]) -> Examples | None:
    present = [p.results.examples is not None for p in parts]
    if not any(present):
        return None
    if not all(present):
        bare = next(p for p in parts if p.results.examples is None)
        raise InputError(f"{name}: shard {bare.shard} has no per-example results and others do", MERGE_HINT)
    columns = [p.results.examples for p in parts if p.results.examples is not None]
    owner: dict[str, Shard] = {}
    for part, examples in zip(parts, columns, strict=True):
        for ident in examples.ids:
            other = owner.setdefault(ident, part.shard)
            if other != part.shard:
                raise InputError(
                    f"{name}: example {ident!r} is in shard {other} and in shard {part.shard}",
                    "give each shard a disjoint part of the examples ({shard} of {shards})",
                )
    return concat_examples(name, columns)


def concat_examples(name: str, parts: Sequence[Examples]) -> Examples:
    """The examples of `parts` one after the other, slice and meta labels re-coded into shared levels."""
    sizes = [len(p) for p in parts]
    scores: dict[str, FloatArray] = {}
    for metric in _union(p.scores for p in parts):
        scores[metric] = np.concatenate(
            [p.scores.get(metric, np.full(n, np.nan)) for p, n in zip(parts, sizes, strict=True)]
        )
    slices = {
        key: _labels([p.slices.get(key) for p in parts], sizes) for key in _union(p.slices for p in parts)
    }
    meta: dict[str, MetaColumn] = {}
    for key in _union(p.meta for p in parts):
        found = [p.meta.get(key) for p in parts]
        kinds = {isinstance(c, SliceColumn) for c in found if c is not None}
        if len(kinds) > 1:
            raise InputError(f"{name}: meta key {key!r} holds numbers in one shard and strings in another")
        if kinds == {True}:
            meta[key] = _labels([c if isinstance(c, SliceColumn) else None for c in found], sizes)
        else:
            meta[key] = np.concatenate(
                [
                    c if c is not None and not isinstance(c, SliceColumn) else np.full(n, np.nan)
                    for c, n in zip(found, sizes, strict=True)
                ]
            )
    ids = [ident for p in parts for ident in p.ids]
    clusters = None
    if any(p.clusters is not None for p in parts):
        clusters = _labels([p.clusters for p in parts], sizes)
    repeats = None
    if any(p.repeats is not None for p in parts):
        repeats = np.concatenate(
            [
                p.repeats if p.repeats is not None else np.full(n, -1, np.int32)
                for p, n in zip(parts, sizes, strict=True)
            ]
        )
    return Examples(
        ids=ids,
        scores=scores,
        slices=slices,
        meta=dict(sorted(meta.items())),
        clusters=clusters,
        repeats=repeats,
    )


def _union(mappings: Any) -> list[str]:
    seen: dict[str, None] = {}
    for mapping in mappings:
        seen.update(dict.fromkeys(mapping))
    return list(seen)


def _labels(columns: Sequence[SliceColumn | None], sizes: Sequence[int]) -> SliceColumn:
    levels: dict[str, int] = {}
    codes: list[IntArray] = []
    for column, n in zip(columns, sizes, strict=True):
        if column is None:
            codes.append(np.full(n, -1, np.int32))
            continue
        remap = np.array([levels.setdefault(level, len(levels)) for level in column.levels] + [-1], np.int32)
        codes.append(remap[column.codes])  # code -1 picks the last entry, -1
    return SliceColumn(np.concatenate(codes) if codes else np.empty(0, np.int32), tuple(levels))
