"""Compare a candidate run with its baseline: per metric, per slice, per example, into a `Verdict`.

The decision rule lives in one function, `decide`. Everything here is pure: results and settings in,
frozen values out; the bootstrap's randomness comes from generators seeded by the gate's `seed` and the
test's name, so the same inputs always give the same verdict.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from gatebot import stats
from gatebot.config import Config, GateSettings, MetricConfig
from gatebot.results import Examples, Results
from gatebot.verdict import (
    Comparability,
    FlipExample,
    Flips,
    Method,
    Outcome,
    Reference,
    Row,
    Status,
    Verdict,
)

_CONTINUOUS_DROPS_KEPT = 100
_MAX_SLICE_VALUES = 100


@dataclass(frozen=True)
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


def decide(
    *,
    delta: float,
    baseline: float,
    higher_is_better: bool,
    config: MetricConfig,
    significant_worse: bool | None,
    significant_better: bool | None,
) -> tuple[Status, str]:
    """The gate's rule for one metric, in one place.

    With significance known (paired data): a move counts only when it is statistically significant AND
    material (larger than `min_effect`, and than `max_relative_drop` of the baseline when set). In
    non-inferiority mode `significant_worse` means "not shown to be within the margin".
    Without it (aggregates only) every move past the tolerances counts: the threshold rule.
    """
    oriented = delta if higher_is_better else -delta
    size = abs(delta)
    material = size > config.min_effect
    if config.max_relative_drop is not None and baseline != 0:
        material = material and size / abs(baseline) > config.max_relative_drop
    if significant_worse is None or significant_better is None:
        if oriented < 0 and material:
            return Status.REGRESSED, "moved the wrong way by more than the tolerance (no significance test)"
        if oriented > 0 and material:
            return Status.IMPROVED, "improved by more than the tolerance (no significance test)"
        return Status.UNCHANGED, "within the tolerance (no significance test)"
    if config.mode == "non-inferiority":
        if significant_better and material:
            return Status.IMPROVED, "significant improvement"
        if significant_worse:
            return Status.REGRESSED, f"not shown that any drop is smaller than {config.min_effect:g}"
        return Status.WITHIN_NOISE, f"shown that any drop is smaller than {config.min_effect:g}"
    if significant_worse:
        if material:
            return Status.REGRESSED, "significant drop larger than min_effect"
        return Status.UNCHANGED, "significant but smaller than min_effect"
    if significant_better:
        if material:
            return Status.IMPROVED, "significant improvement larger than min_effect"
        return Status.UNCHANGED, "significant but smaller than min_effect"
    return Status.WITHIN_NOISE, "not statistically significant"


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
        return _Pending(self.name, key, value, result, self.config, self.direction, self.gated, self.fraction)


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


def compare(baseline: Results, candidate: Results, config: Config) -> Verdict:
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
            if pm.gated and pm.baseline.size < gate.min_overlap * scored:
                rows.append(_unscored_row(pm, scored))
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
    outcome = Outcome.PASSED
    if any(r.gated and r.status in (Status.REGRESSED, Status.REMOVED) for r in (*rows, *slice_rows)):
        outcome = Outcome.FAILED
    if any(r.gated and r.status is Status.INCOMPARABLE for r in rows):
        outcome = Outcome.INCOMPARABLE
    if comparability is not None:
        notes.extend(_comparability_notes(comparability))
    method = Method(
        correction=gate.correction,
        confidence=gate.confidence,
        bootstrap_resamples=gate.bootstrap_resamples,
        seed=gate.seed,
        min_slice_size=gate.min_slice_size,
        tests=sum(1 for r in (*rows, *slice_rows) if r.gated and r.test not in ("threshold", "none")),
    )
    return Verdict(
        model=candidate.model,
        benchmark=candidate.benchmark,
        outcome=outcome,
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


def _effective(config: MetricConfig | None, direction: str) -> MetricConfig:
    """The declared metric config, or the defaults for a metric whose direction the results declare."""
    if config is not None:
        return config
    return MetricConfig(direction="lower" if direction == "lower" else "higher")


def _resolve(pending: Sequence[_Pending], gate: GateSettings) -> list[Row]:
    """Adjust the p-values of the gated family together, then decide each row.

    The family is every gated metric overall and on every slice with at least `min_slice_size` examples.
    Rows outside it (undeclared metrics, small slices) are decided on their own p-values and never gate.
    """
    family = [
        i
        for i, p in enumerate(pending)
        if p.gated and p.direction is not None and (p.slice_key is None or p.result.n >= gate.min_slice_size)
    ]
    gate_p = [_gate_p(pending[i]) for i in family]
    adj_gate = dict(zip(family, stats.adjust(np.array(gate_p), gate.correction).tolist(), strict=True))
    p_better = np.array([pending[i].result.p_better for i in family], dtype=np.float64)
    adj_better = dict(zip(family, stats.adjust(p_better, gate.correction).tolist(), strict=True))
    rows = []
    for i, p in enumerate(pending):
        r = p.result
        alpha = p.config.alpha if p.config is not None else 0.05
        non_inferiority = r.p_noninferior is not None
        worse_side = non_inferiority or ((r.delta < 0) == (p.direction != "lower") and r.delta != 0)
        shown_p = _gate_p(p) if worse_side else r.p_better
        shown_adj = (adj_gate if worse_side else adj_better).get(i)
        if p.direction is None:
            changed = min(r.p_worse, r.p_better) < alpha / 2
            status = Status.CHANGED if changed else Status.WITHIN_NOISE
            reason = (
                "changed significantly; direction not declared"
                if changed
                else "not statistically significant"
            )
        else:
            significant = adj_gate.get(i, _gate_p(p)) < alpha
            status, reason = decide(
                delta=r.delta,
                baseline=r.baseline_mean,
                higher_is_better=p.direction == "higher",
                config=_effective(p.config, p.direction),
                significant_worse=not significant if non_inferiority else significant,
                significant_better=adj_better.get(i, r.p_better) < alpha,
            )
            if p.gated and i not in adj_gate:
                reason += f" (not gated: fewer than {gate.min_slice_size} examples)"
        rows.append(
            Row(
                metric=p.metric,
                slice_key=p.slice_key,
                slice_value=p.slice_value,
                status=status,
                gated=i in adj_gate,
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
                p_value=shown_p,
                p_adjusted=shown_adj,
                detectable_drop=r.detectable_drop(alpha=alpha),
                worse_count=r.worse_count,
                better_count=r.better_count,
                fraction_scale=p.fraction,
                min_effect=p.config.min_effect if p.config is not None else None,
                reason=reason,
            )
        )
    return rows


def _unscored_row(pm: _PairedMetric, scored: int) -> Row:
    """A gated metric the candidate left unscored on too many examples: it cannot be compared."""
    return Row(
        metric=pm.name,
        slice_key=None,
        slice_value=None,
        status=Status.INCOMPARABLE,
        gated=True,
        declared=pm.config is not None,
        direction=pm.direction,
        n=pm.baseline.size,
        baseline=None,
        candidate=None,
        delta=None,
        fraction_scale=pm.fraction,
        reason=f"the candidate scored only {pm.baseline.size} of the {scored} examples the baseline scored",
    )


def _gate_p(p: _Pending) -> float:
    """The p-value the gate adjusts: of a drop (regression mode) or of non-inferiority."""
    r = p.result
    return r.p_noninferior if r.p_noninferior is not None else r.p_worse


def _aggregate_row(name: str, baseline: Results, candidate: Results, config: Config) -> Row:
    """A metric known only as an aggregate on at least one side: the threshold rule."""
    mconf = config.metrics.get(name)
    direction = _direction(name, config, baseline, candidate)
    b = baseline.metrics.get(name)
    c = candidate.metrics.get(name)
    fraction = _shown_as_percent(mconf, b, c)
    declared = mconf is not None
    if b is None or c is None:
        status = Status.ADDED if b is None else Status.REMOVED
        reason = "only in the candidate" if b is None else "only in the baseline"
        if c is None and mconf is not None and mconf.gate:
            reason = "a gated metric is missing from the candidate"
            return Row(name, None, None, status, True, True, direction, 0, b, None, None, reason=reason)
        return Row(
            name,
            None,
            None,
            status,
            False,
            declared,
            direction,
            0,
            b,
            c,
            None,
            fraction_scale=fraction,
            reason=reason,
        )
    delta = c - b
    if direction is None:
        status = Status.CHANGED if delta != 0 else Status.UNCHANGED
        return Row(
            name,
            None,
            None,
            status,
            False,
            False,
            None,
            0,
            b,
            c,
            delta,
            test="none",
            fraction_scale=fraction,
            reason="direction not declared",
        )
    status, reason = decide(
        delta=delta,
        baseline=b,
        higher_is_better=direction == "higher",
        config=_effective(mconf, direction),
        significant_worse=None,
        significant_better=None,
    )
    gated = mconf is not None and mconf.gate
    return Row(
        name,
        None,
        None,
        status,
        gated,
        declared,
        direction,
        0,
        b,
        c,
        delta,
        test="threshold",
        fraction_scale=fraction,
        min_effect=mconf.min_effect if mconf is not None else None,
        reason=reason,
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
        outcome=Outcome.INCOMPARABLE,
        rows=(),
        slice_rows=(),
        flips=(),
        comparability=c,
        method=None,
        notes=tuple(notes),
        baseline_provenance=baseline.provenance,
        candidate_provenance=candidate.provenance,
    )


def missing_baseline(candidate: Results, *, policy: str) -> Verdict:
    """The verdict when no baseline exists for the candidate's model and benchmark."""
    note = (
        f"No baseline is stored for {candidate.model} on {candidate.benchmark}: this looks like the "
        "first run. Record one with `gatebot baseline save`, or let the Action record it on the next push "
        "to the default branch."
    )
    outcome = Outcome.PASSED if policy == "pass" else Outcome.NO_BASELINE
    rows = tuple(
        Row(name, None, None, Status.ADDED, False, False, None, 0, None, value, None, reason="no baseline")
        for name, value in candidate.metrics.items()
    )
    return Verdict(
        model=candidate.model,
        benchmark=candidate.benchmark,
        outcome=outcome,
        rows=rows,
        slice_rows=(),
        flips=(),
        comparability=None,
        method=None,
        notes=(note,),
        candidate_provenance=candidate.provenance,
    )


def attach_reference(verdict: Verdict, against_reference: Verdict, *, model: str, gates: bool) -> Verdict:
    """The verdict with a column comparing the candidate to another model's baseline.

    `against_reference` is `compare(reference_baseline, candidate, config)`. It is shown always, and
    fails the gate only when `gates` (the model's `gate_on_reference`).
    """
    reference = Reference(model=model, rows=against_reference.rows, gates=gates)
    attached = replace(verdict, reference=reference)
    if gates and attached.reference_regressions and attached.outcome is Outcome.PASSED:
        attached = replace(attached, outcome=Outcome.FAILED)
    return attached
