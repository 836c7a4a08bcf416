"""Compare a candidate run with its baseline: per metric, per slice, per example, into a `Verdict`.

This module measures: it pairs the examples both runs scored, runs the paired tests overall and on every
slice, and corrects the p-values of the gated family together. What the measurements mean (statuses,
reasons, which rows gate, the outcome) is decided in `gatebot.decision`. Everything here is pure: results
and settings in, frozen values out; the bootstrap's randomness comes from generators seeded by the gate's
`seed` and the test's name, so the same inputs always give the same verdict.

It is over 400 lines because pairing, alignment, slicing and the tests all work on one metric's aligned
scores (`_PairedMetric`); split into modules they would only pass those arrays around.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from gatebot import decision, stats
from gatebot.config import DEFAULT_ALPHA, Config, GateSettings, MetricConfig
from gatebot.results import Examples, Results
from gatebot.verdict import Comparability, FlipExample, Flips, Method, Row, Verdict

_CONTINUOUS_DROPS_KEPT = 100
_MAX_SLICE_VALUES = 100


@dataclass(frozen=True, kw_only=True)
class _Pending:
    """A row whose status waits for the multiple-testing correction."""

    metric: str
    slice_key: str | None
    slice_value: str | None
    result: stats.PairedResult
    config: MetricConfig | None
    direction: str | None
    gated: bool
    fraction: bool


def _seed_for(seed: int, *parts: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32("\x1f".join(parts).encode())])


def _align(base: Examples, cand: Examples) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Positions of the common example ids in each side, in the baseline's order."""
    if base.ids == cand.ids:
        full = np.arange(len(base.ids), dtype=np.intp)
        return full, full
    position = {ident: i for i, ident in enumerate(cand.ids)}
    pairs = [(i, position[ident]) for i, ident in enumerate(base.ids) if ident in position]
    if not pairs:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty
    arr = np.asarray(pairs, dtype=np.intp)
    return arr[:, 0].copy(), arr[:, 1].copy()


def _direction(name: str, config: Config, baseline: Results, candidate: Results) -> str | None:
    declared = config.metrics.get(name)
    if declared is not None:
        return declared.direction
    return candidate.directions.get(name) or baseline.directions.get(name)


def _shown_as_percent(config: MetricConfig | None, *values: npt.NDArray[np.float64] | float | None) -> bool:
    """Percentages and points for rates; the metric's own units otherwise (`scale` in the config)."""
    if config is not None and config.scale != "auto":
        return config.scale == "percent"
    return _is_fraction(*values)


def _is_fraction(*arrays: npt.NDArray[np.float64] | float | None) -> bool:
    for a in arrays:
        if a is None:
            continue
        values = np.asarray(a, dtype=np.float64)
        values = values[~np.isnan(values)]
        if values.size and (values.min() < 0.0 or values.max() > 1.0):
            return False
    return True


@dataclass(frozen=True)
class _PairedMetric:
    """One metric's aligned scores: the examples both runs scored, in the baseline's order."""

    name: str
    config: MetricConfig | None
    direction: str | None
    gated: bool
    baseline: npt.NDArray[np.float64]
    candidate: npt.NDArray[np.float64]
    positions: npt.NDArray[np.intp]
    fraction: bool
    unscored: int = 0
    """Examples the baseline scored and the candidate did not (a crash on hard examples looks like this)."""

    @property
    def higher_is_better(self) -> bool:
        return self.direction != "lower"

    @property
    def margin(self) -> float:
        conf = self.config
        return conf.min_effect if conf is not None and conf.mode == "non-inferiority" else 0.0

    def test(self, index: npt.NDArray[np.intp] | None, gate: GateSettings, *names: str) -> stats.PairedResult:
        b = self.baseline if index is None else self.baseline[index]
        c = self.candidate if index is None else self.candidate[index]
        return stats.paired_compare(
            b,
            c,
            higher_is_better=self.higher_is_better,
            resamples=gate.bootstrap_resamples,
            confidence=gate.confidence,
            rng=_seed_for(gate.seed, self.name, *names),
            margin=self.margin,
        )

    def pending(
        self, result: stats.PairedResult, key: str | None = None, value: str | None = None
    ) -> _Pending:
        return _Pending(
            metric=self.name,
            slice_key=key,
            slice_value=value,
            result=result,
            config=self.config,
            direction=self.direction,
            gated=self.gated,
            fraction=self.fraction,
        )


def _flip_examples(
    pm: _PairedMetric, indices: npt.NDArray[np.intp], examples: Examples
) -> tuple[FlipExample, ...]:
    return tuple(
        FlipExample(
            id=examples.ids[int(pm.positions[i])],
            baseline=float(pm.baseline[i]),
            candidate=float(pm.candidate[i]),
            slices=examples.slice_values(int(pm.positions[i])),
        )
        for i in indices.tolist()
    )


def _flips(pm: _PairedMetric, binary: bool, examples: Examples) -> Flips:
    oriented = (pm.candidate - pm.baseline) * (1.0 if pm.higher_is_better else -1.0)
    worse_idx = np.flatnonzero(oriented < 0)
    better_idx = np.flatnonzero(oriented > 0)
    worse_count, better_count = int(worse_idx.size), int(better_idx.size)
    if not binary:
        worse_idx = worse_idx[np.argsort(oriented[worse_idx], kind="stable")[:_CONTINUOUS_DROPS_KEPT]]
        better_idx = better_idx[np.argsort(-oriented[better_idx], kind="stable")[:_CONTINUOUS_DROPS_KEPT]]
    return Flips(
        metric=pm.name,
        binary=binary,
        worse_count=worse_count,
        better_count=better_count,
        worse=_flip_examples(pm, worse_idx, examples),
        better=_flip_examples(pm, better_idx, examples),
    )


def _paired_metric(
    name: str, config: Config, baseline: Results, candidate: Results, aligned: _Aligned
) -> _PairedMetric | None:
    """The metric's paired scores, or None when either side lacks per-example scores for it."""
    if baseline.examples is None or candidate.examples is None:
        return None
    b_scores = baseline.examples.scores.get(name)
    c_scores = candidate.examples.scores.get(name)
    if b_scores is None or c_scores is None:
        return None
    b_vals = b_scores[aligned.baseline]
    c_vals = c_scores[aligned.candidate]
    keep = np.flatnonzero(~(np.isnan(b_vals) | np.isnan(c_vals)))
    if keep.size == 0:
        return None
    mconf = config.metrics.get(name)
    unscored = int(np.count_nonzero(~np.isnan(b_vals) & np.isnan(c_vals)))
    b_vals, c_vals = b_vals[keep], c_vals[keep]
    return _PairedMetric(
        name=name,
        config=mconf,
        direction=_direction(name, config, baseline, candidate),
        gated=mconf is not None and mconf.gate,
        baseline=b_vals,
        candidate=c_vals,
        positions=aligned.candidate[keep],
        fraction=_shown_as_percent(mconf, b_vals, c_vals),
        unscored=unscored,
    )


@dataclass(frozen=True)
class _Aligned:
    baseline: npt.NDArray[np.intp]
    candidate: npt.NDArray[np.intp]


def _comparability(
    baseline: Results, candidate: Results, gate: GateSettings
) -> tuple[Comparability, _Aligned]:
    assert baseline.examples is not None and candidate.examples is not None
    base_pos, cand_pos = _align(baseline.examples, candidate.examples)
    comparability = Comparability(
        baseline_examples=len(baseline.examples),
        candidate_examples=len(candidate.examples),
        common=int(base_pos.size),
        min_overlap=gate.min_overlap,
        baseline_dataset=_str_or_none(baseline.provenance.get("dataset_digest")),
        candidate_dataset=_str_or_none(candidate.provenance.get("dataset_digest")),
    )
    return comparability, _Aligned(base_pos, cand_pos)


_NO_SIGNIFICANCE = (
    "so significance could not be assessed: metrics were compared against their tolerances only."
)


def compare(  # noqa: PLR0912 - the steps of one comparison in order: pairing, each metric, each slice
    baseline: Results, candidate: Results, config: Config
) -> Verdict:
    """Compare `candidate` with `baseline` under `config`."""
    gate = config.gate
    notes: list[str] = []
    if baseline.benchmark != candidate.benchmark:
        notes.append(f"The runs are of different benchmarks ({baseline.benchmark} vs {candidate.benchmark}).")
    comparability: Comparability | None = None
    aligned = _Aligned(np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp))
    slice_keys: list[str] = []
    if baseline.examples is not None and candidate.examples is not None:
        comparability, aligned = _comparability(baseline, candidate, gate)
        if not comparability.comparable:
            return _incomparable(baseline, candidate, comparability, notes)
        slice_keys = _slice_keys(candidate.examples, gate, notes)
    elif baseline.examples is not None or candidate.examples is not None:
        side = "baseline" if baseline.examples is None else "candidate"
        notes.append(f"The {side} has no per-example scores, {_NO_SIGNIFICANCE}")
    else:
        notes.append(f"Neither run has per-example scores, {_NO_SIGNIFICANCE}")

    metric_names = _metric_names(baseline, candidate)
    rows: list[Row] = []
    pending: list[_Pending] = []
    flips: list[Flips] = []
    for name in metric_names:
        pm = _paired_metric(name, config, baseline, candidate, aligned)
        if pm is None:
            rows.append(_aggregate_row(name, baseline, candidate, config))
            continue
        assert candidate.examples is not None
        if pm.unscored:
            scored = pm.baseline.size + pm.unscored
            notes.append(
                f"{name}: {pm.unscored} of the {scored} examples the baseline scored have no score in the "
                f"candidate; compared on the {pm.baseline.size} both scored."
            )
            unscored = decision.too_few_scored(
                compared=pm.baseline.size, scored=scored, wants_gate=pm.gated, min_overlap=gate.min_overlap
            )
            if unscored is not None:
                rows.append(_unscored_row(pm, unscored))
                continue
        result = pm.test(None, gate)
        pending.append(pm.pending(result))
        flips.append(_flips(pm, result.binary, candidate.examples))
        for key in slice_keys:
            column = candidate.examples.slices[key]
            codes = column.codes[pm.positions]
            for level, index in enumerate(stats.group_indices(codes, len(column.levels))):
                # A slice holding every example repeats the overall test: it would only cost power.
                if 0 < index.size < pm.baseline.size:
                    value = column.levels[level]
                    pending.append(pm.pending(pm.test(index, gate, key, value), key, value))

    slice_rows: list[Row] = []
    for row in _resolve(pending, gate):
        (rows if row.slice_key is None else slice_rows).append(row)
    rows.sort(key=lambda r: metric_names.index(r.metric))
    slice_rows.sort(key=lambda r: (metric_names.index(r.metric), r.slice_key or "", r.slice_value or ""))
    if comparability is not None:
        notes.extend(_comparability_notes(comparability))
    method = Method(
        correction=gate.correction,
        confidence=gate.confidence,
        bootstrap_resamples=gate.bootstrap_resamples,
        seed=gate.seed,
        min_slice_size=gate.min_slice_size,
        tests=sum(1 for r in (*rows, *slice_rows) if r.gated and r.test not in ("threshold", "none")),
        alpha=DEFAULT_ALPHA,
    )
    return Verdict(
        model=candidate.model,
        benchmark=candidate.benchmark,
        outcome=decision.verdict_outcome(rows, slice_rows),
        rows=tuple(rows),
        slice_rows=tuple(slice_rows),
        flips=tuple(flips),
        comparability=comparability,
        method=method,
        notes=tuple(notes),
        baseline_provenance=baseline.provenance,
        candidate_provenance=candidate.provenance,
    )


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _metric_names(baseline: Results, candidate: Results) -> list[str]:
    names: dict[str, None] = {}
    for results in (baseline, candidate):
        names.update(dict.fromkeys(results.metrics))
        if results.examples is not None:
            names.update(dict.fromkeys(results.examples.scores))
    return list(names)


def _slice_keys(examples: Examples, gate: GateSettings, notes: list[str]) -> list[str]:
    available = list(examples.slices)
    if gate.slices is not None:
        missing = [k for k in gate.slices if k not in available]
        if missing:
            notes.append(f"Slice keys not found in the candidate's examples: {', '.join(missing)}.")
        available = [k for k in gate.slices if k in available]
    keys = []
    for key in available:
        levels = len(examples.slices[key].levels)
        if levels < 2:
            continue
        if levels > _MAX_SLICE_VALUES:
            notes.append(
                f"Slice key {key} has {levels} values, more than {_MAX_SLICE_VALUES}: it looks like an "
                "identifier, so it was not analysed (list the slice keys to use under gate.slices)."
            )
            continue
        keys.append(key)
    return keys


def _resolve(pending: Sequence[_Pending], gate: GateSettings) -> list[Row]:
    """Adjust the p-values of the gated family together, then have each row decided.

    The family is every test `decision.joins_family` admits; the others are decided on their own p-values.
    """
    family = [
        i
        for i, p in enumerate(pending)
        if decision.joins_family(
            wants_gate=p.gated,
            direction=p.direction,
            slice_key=p.slice_key,
            n=p.result.n,
            min_slice_size=gate.min_slice_size,
        )
    ]
    p_gate = np.array([decision.gate_p(pending[i].result) for i in family], dtype=np.float64)
    adj_gate = dict(zip(family, stats.adjust(p_gate, gate.correction).tolist(), strict=True))
    p_better = np.array([pending[i].result.p_better for i in family], dtype=np.float64)
    adj_better = dict(zip(family, stats.adjust(p_better, gate.correction).tolist(), strict=True))
    rows = []
    for i, p in enumerate(pending):
        r = p.result
        alpha = decision.alpha_of(p.config)
        adjusted = decision.Adjusted(worse=adj_gate[i], better=adj_better[i]) if i in adj_gate else None
        decided = decision.paired_decision(
            r,
            direction=p.direction,
            config=p.config,
            adjusted=adjusted,
            wants_gate=p.gated,
            min_slice_size=gate.min_slice_size,
        )
        # The p-value shown is the one in the direction the metric moved.
        worse_side = r.p_noninferior is not None or (
            (r.delta < 0) == (p.direction != "lower") and r.delta != 0
        )
        rows.append(
            Row(
                metric=p.metric,
                slice_key=p.slice_key,
                slice_value=p.slice_value,
                status=decided.status,
                gated=decided.gated,
                declared=p.config is not None,
                direction=p.direction,
                n=r.n,
                baseline=r.baseline_mean,
                candidate=r.candidate_mean,
                delta=r.delta,
                ci_low=r.ci_low,
                ci_high=r.ci_high,
                ci_method=r.ci_method,
                test=r.test,
                p_value=decision.gate_p(r) if worse_side else r.p_better,
                p_adjusted=(adj_gate if worse_side else adj_better).get(i),
                detectable_drop=r.detectable_drop(alpha=alpha),
                worse_count=r.worse_count,
                better_count=r.better_count,
                fraction_scale=p.fraction,
                min_effect=p.config.min_effect if p.config is not None else None,
                reason=decided.reason,
                alpha=alpha,
            )
        )
    return rows


def _unscored_row(pm: _PairedMetric, decided: decision.Decision) -> Row:
    """A gated metric the candidate left unscored on too many examples: it cannot be compared."""
    return Row(
        metric=pm.name,
        status=decided.status,
        gated=decided.gated,
        declared=pm.config is not None,
        direction=pm.direction,
        n=pm.baseline.size,
        baseline=None,
        candidate=None,
        delta=None,
        fraction_scale=pm.fraction,
        reason=decided.reason,
    )


def _aggregate_row(name: str, baseline: Results, candidate: Results, config: Config) -> Row:
    """A metric known only as an aggregate on at least one side: the threshold rule, without a test."""
    mconf = config.metrics.get(name)
    direction = _direction(name, config, baseline, candidate)
    b = baseline.metrics.get(name)
    c = candidate.metrics.get(name)
    decided = decision.aggregate_decision(baseline=b, candidate=c, direction=direction, config=mconf)
    delta = c - b if b is not None and c is not None else None
    threshold = delta is not None and direction is not None
    return Row(
        metric=name,
        status=decided.status,
        gated=decided.gated,
        declared=mconf is not None,
        direction=direction,
        n=0,
        baseline=b,
        candidate=c,
        delta=delta,
        test="threshold" if threshold else "none",
        # A gated metric missing from the candidate shows its baseline in the metric's own units.
        fraction_scale=_shown_as_percent(mconf, b, c) and not (c is None and decided.gated),
        min_effect=mconf.min_effect if threshold and mconf is not None else None,
        reason=decided.reason,
    )


def _comparability_notes(c: Comparability) -> list[str]:
    notes = []
    if c.only_baseline or c.only_candidate:
        notes.append(
            f"Compared on the {c.common} examples both runs share: {c.only_baseline} baseline examples are "
            f"missing from the candidate and {c.only_candidate} candidate examples are new."
        )
    if c.same_dataset is False:
        notes.append("The runs used different datasets (their dataset digests differ).")
    return notes


def _incomparable(baseline: Results, candidate: Results, c: Comparability, notes: list[str]) -> Verdict:
    notes = [
        *notes,
        f"Incomparable: only {c.common} of the baseline's {c.baseline_examples} examples are in the "
        "candidate "
        f"({c.overlap:.0%}, below the required {c.min_overlap:.0%}).",
        *_comparability_notes(c),
    ]
    return Verdict(
        model=candidate.model,
        benchmark=candidate.benchmark,
        outcome=decision.verdict_outcome((), (), comparability=c),
        rows=(),
        slice_rows=(),
        flips=(),
        comparability=c,
        method=None,
        notes=tuple(notes),
        baseline_provenance=baseline.provenance,
        candidate_provenance=candidate.provenance,
    )
