"""Builders of results for tests: real `Results` values, results files and reports, no mocks."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gatebot.compare import compare
from gatebot.config import parse_config
from gatebot.results import Examples, Results, SliceColumn
from gatebot.verdict import GateReport


def make_results(
    scores: Mapping[str, Sequence[float]] | None = None,
    *,
    slices: Mapping[str, Sequence[str]] | None = None,
    ids: Sequence[str] | None = None,
    metrics: Mapping[str, float] | None = None,
    model: str = "m",
    benchmark: str = "b",
    provenance: Mapping[str, Any] | None = None,
) -> Results:
    """Results with per-example `scores` (aggregates are their means unless `metrics` is given)."""
    examples = None
    aggregates: dict[str, float] = dict(metrics or {})
    if scores is not None:
        n = len(next(iter(scores.values())))
        columns = {k: np.asarray(v, dtype=np.float64) for k, v in scores.items()}
        slice_cols = {}
        for key, values in (slices or {}).items():
            levels = tuple(dict.fromkeys(values))
            index = {v: i for i, v in enumerate(levels)}
            slice_cols[key] = SliceColumn(np.array([index[v] for v in values], dtype=np.int32), levels)
        examples = Examples(
            ids=list(ids or [f"ex-{i:05d}" for i in range(n)]), scores=columns, slices=slice_cols
        )
        for k, col in columns.items():
            aggregates.setdefault(k, float(np.nanmean(col)))
    return Results(benchmark, model, aggregates, examples, dict(provenance or {}))


def results_doc(
    scores: Mapping[str, Sequence[float]],
    *,
    slices: Mapping[str, Sequence[str]] | None = None,
    model: str = "m",
    benchmark: str = "b",
) -> dict[str, Any]:
    """A gatebot/results@1 document as a user would write it."""
    n = len(next(iter(scores.values())))
    examples = []
    for i in range(n):
        example: dict[str, Any] = {"id": f"ex-{i:05d}", "scores": {k: float(v[i]) for k, v in scores.items()}}
        if slices:
            example["slices"] = {k: v[i] for k, v in slices.items()}
        examples.append(example)
    return {
        "schema": "gatebot/results@1",
        "benchmark": benchmark,
        "model": model,
        "metrics": {k: float(np.mean(v)) for k, v in scores.items()},
        "examples": examples,
        "provenance": {},
    }


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def flipped(base: np.ndarray, *, worse: int, better: int, rng: np.random.Generator) -> np.ndarray:
    """A copy of a 0/1 array with `worse` ones turned to zeros and `better` zeros turned to ones."""
    out = base.copy()
    ones = np.flatnonzero(base == 1)
    zeros = np.flatnonzero(base == 0)
    out[rng.choice(ones, size=worse, replace=False)] = 0
    out[rng.choice(zeros, size=better, replace=False)] = 1
    return out


def sliced_report(n_slices: int = 4) -> GateReport:
    """A real report: 4,000 pass/fail examples, 200 newly wrong and 100 newly right, in `n_slices` slices."""
    rng = np.random.default_rng(0)
    base = (rng.random(4000) < 0.8).astype(float)
    cand = flipped(base, worse=200, better=100, rng=rng)
    slices = {"s": [f"v{i % n_slices}" for i in range(4000)]}
    config = parse_config({"metrics": {"acc": {"direction": "higher"}}}, where="t")
    verdict = compare(
        make_results({"acc": base}, slices=slices), make_results({"acc": cand}, slices=slices), config
    )
    return GateReport((verdict,))
