"""Compare a candidate run with its baseline: per metric, per slice, per example, into a `Verdict`.

This module measures: `gatebot.pairing` lines the two runs' examples up and builds each metric's design
(the examples kept, the ones the candidate lost counted as the worst score, clusters, repeated samples);
here `gatebot.measure` runs the design's test overall and on every slice, and the p-values of the gated
family are corrected together: one family per gate run (`compare_run`) or per benchmark. What the
measurements mean (statuses, reasons, which rows gate, the outcome) is decided in `gatebot.decision`.

Everything here is pure: results and settings in, frozen values out; the randomness comes from
generators seeded by the gate's `seed` and the test's name, so the same inputs always give the same
verdict. It is over 400 lines because the family spans every pair of a run: the tests of all pairs wait
for the correction (`_Pending`) and every row, note and flip of each verdict is built from them after it.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from gatebot import decision, measure, stats, stats_designs
from gatebot.config import DEFAULT_ALPHA, Config, GateSettings, MetricConfig
from gatebot.pairing import (
    Labels,
    MetricDesign,
    Pairing,
    align,
    direction_of,
    labels_of,
    metric_design,
    shown_as_percent,
    unique_examples,
    wants_gate,
)
from gatebot.results import Examples, Results
from gatebot.verdict import Claim, Comparability, FlipExample, Flips, Method, Row, Verdict

_CONTINUOUS_DROPS_KEPT = 100
_MAX_SLICE_VALUES = 100
_FLAKY_NAMED = 5

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]

_CLAIMS: dict[str, Claim] = {
    "non-inferiority": "non-inferior",
    "equivalence": "equivalent",
    "superiority": "superior",
}


def _seed_for(seed: int, *parts: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32("\x1f".join(parts).encode())])


# --- measuring one pair of runs ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Pending:
    """A test whose status waits for the multiple-testing correction of the family."""

    metric: str
    slice_key: str | None
    slice_value: str | None
    measured: decision.Measurement
    shown: measure.Shown
    config: MetricConfig | None
    direction: str | None
    gated: bool
    fraction: bool
    imputed: int
    too_small: str | None = None

    @property
    def mode(self) -> str:
        return self.config.mode if self.config is not None else "regression"

    @property
    def claim(self) -> bool:
        """The overall test of a metric in a claim mode: judged by its claim's own p, never adjusted."""
        return self.slice_key is None and self.mode != "regression"

    @property
    def worse_p(self) -> float:
        """The p of a drop the family corrects: a slice of a claim mode is tested beyond the margin."""
        m = self.measured
        if self.slice_key is not None and m.p_beyond_margin is not None:
            return m.p_beyond_margin
        return decision.gate_p(m)


@dataclass
class _Measured:
    """One pair of runs, measured: the rows that need no correction and the tests that wait for it."""

    baseline: Results
    candidate: Results
    metric_names: list[str]
    rows: list[Row] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)
    flips: list[Flips] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    first_notes: list[str] = field(default_factory=list)
    comparability: Comparability | None = None
    incomparable: Verdict | None = None


_NO_SIGNIFICANCE = (
    "so significance could not be assessed: metrics were compared against their tolerances only."
)


def _measure(  # noqa: PLR0912 - the steps of one comparison in order: pairing, each metric, each slice
    baseline: Results, candidate: Results, config: Config
) -> _Measured:
    gate = config.gate
    names = _metric_names(baseline, candidate)
    out = _Measured(baseline, candidate, names)
    if baseline.benchmark != candidate.benchmark:
        out.notes.append(
            f"The runs are of different benchmarks ({baseline.benchmark} vs {candidate.benchmark})."
        )
    pairing: Pairing | None = None
    slice_labels: dict[str, Labels] = {}
    clusters: Labels | None = None
    if baseline.examples is not None and candidate.examples is not None:
        base, cand = unique_examples(baseline.examples), unique_examples(candidate.examples)
        base_pos, cand_pos = align(base.ids, cand.ids)
        out.comparability = Comparability(
            baseline_examples=len(base.ids),
            candidate_examples=len(cand.ids),
            common=int(base_pos.size),
            min_overlap=gate.min_overlap,
            baseline_dataset=_str_or_none(baseline.provenance.get("dataset_digest")),
            candidate_dataset=_str_or_none(candidate.provenance.get("dataset_digest")),
        )
        if not out.comparability.comparable:
            out.incomparable = _incomparable(baseline, candidate, out.comparability, out.notes)
            return out
        cand_of_base = np.full(len(base.ids), -1, dtype=np.intp)
        cand_of_base[base_pos] = cand_pos
        pairing = Pairing(base, cand, cand_of_base)
        for key in _slice_keys(candidate.examples, gate, out.notes):
            labels = labels_of(pairing, key)
            if labels is not None:
                slice_labels[key] = labels
        clusters = _clusters(pairing, gate, out.notes)
        out.first_notes.extend(_comparability_notes(out.comparability, gate))
    threshold_only = False
    for name in names:
        pm = (
            None
            if pairing is None
            else metric_design(
                name,
                config=config,
                baseline=baseline,
                candidate=candidate,
                pairing=pairing,
                clusters=clusters,
            )
        )
        if pm is None:
            tested = _aggregate_test(name, baseline, candidate, config)
            if tested is not None:
                out.pending.append(tested)
            else:
                row = _aggregate_row(name, baseline, candidate, config)
                threshold_only = threshold_only or row.test == "threshold"
                out.rows.append(row)
            continue
        assert pairing is not None
        _measuremetric_design(pm, pairing, slice_labels, gate, out)
    if baseline.examples is None or candidate.examples is None:
        if baseline.examples is not None or candidate.examples is not None:
            side = "baseline" if baseline.examples is None else "candidate"
            lead = f"The {side} has no per-example scores, "
        else:
            lead = "Neither run has per-example scores, "
        if threshold_only:
            out.notes.insert(0, lead + _NO_SIGNIFICANCE)
    return out


def _measuremetric_design(
    pm: MetricDesign, pairing: Pairing, slice_labels: dict[str, Labels], gate: GateSettings, out: _Measured
) -> None:
    """Test one metric overall and per slice (or find that it cannot be compared)."""
    if pm.unscored:
        scored = pm.compared_common + pm.unscored
        unscored = decision.too_few_scored(
            compared=pm.compared_common, scored=scored, wants_gate=pm.gated, min_overlap=gate.min_overlap
        )
        if unscored is not None:
            out.notes.append(f"{pm.name} cannot be compared: {unscored.reason}.")
            out.rows.append(_unscored_row(pm, unscored))
            return
        what = (
            "left out"
            if gate.missing_examples == "drop" or pm.direction is None
            else (f"counted as the worst score ({pm.impute_value:g})")
        )
        out.notes.append(
            f"{pm.name}: {pm.unscored} of the {scored} examples the baseline scored have no score in the "
            f"candidate; {what}."
        )
    config = pm.config
    mode = config.mode if config is not None else "regression"
    margin = config.min_effect if config is not None else 0.0
    alpha = decision.alpha_of(config)

    def spec(overall: bool, *names: str) -> measure.Spec:
        return measure.Spec(
            mode=mode,
            margin=0.0 if (mode == "superiority" and not overall) else margin,
            overall=overall,
            alpha=alpha,
            confidence=gate.confidence,
            resamples=gate.bootstrap_resamples,
            rng=_seed_for(gate.seed, pm.name, *names),
        )

    design = pm.design
    resolution = decision.display_resolution(
        pm.fraction, float(design.baseline.mean()), float(design.candidate.mean())
    )
    measured, shown = measure.measure(design, spec(True), resolution=resolution)
    out.pending.append(
        _pending(
            pm,
            measured=measured,
            shown=shown,
            key=None,
            value=None,
            imputed=int(pm.imputed.sum()),
            too_small=None,
        )
    )
    out.notes.extend(_design_notes(pm, shown, pairing))
    out.flips.append(_flips(pm, pairing))
    n = design.n
    for key, labels in slice_labels.items():
        codes = labels.codes[pm.base_uid]
        for level, index in enumerate(stats.group_indices(codes, len(labels.levels))):
            # A slice holding every example repeats the overall test: it would only cost power.
            if not 0 < index.size < n:
                continue
            value = labels.levels[level]
            part = design.subset(index)
            res = decision.display_resolution(
                pm.fraction, float(part.baseline.mean()), float(part.candidate.mean())
            )
            m, s = measure.measure(part, spec(False, key, value), resolution=res)
            small = _too_small(m, s, gate)
            out.pending.append(
                _pending(
                    pm,
                    measured=m,
                    shown=s,
                    key=key,
                    value=value,
                    imputed=int(pm.imputed[index].sum()),
                    too_small=small,
                )
            )


def _too_small(m: decision.Measurement, s: measure.Shown, gate: GateSettings) -> str | None:
    """Why a slice cannot gate, or None when it can."""
    if m.n < gate.min_slice_size:
        return f"fewer than {gate.min_slice_size} examples: too small to gate"
    if s.clusters is not None and s.clusters < 2:
        return "fewer than 2 clusters: too small to gate"
    if not m.could_decide:
        return "too small to gate: even if every example got worse, the drop would not be significant"
    return None


def _pending(
    pm: MetricDesign,
    *,
    measured: decision.Measurement,
    shown: measure.Shown,
    key: str | None,
    value: str | None,
    imputed: int,
    too_small: str | None,
) -> _Pending:
    return _Pending(
        metric=pm.name,
        slice_key=key,
        slice_value=value,
        measured=measured,
        shown=shown,
        config=pm.config,
        direction=pm.direction,
        gated=pm.gated,
        fraction=pm.fraction,
        imputed=imputed,
        too_small=too_small,
    )


def _clusters(pairing: Pairing, gate: GateSettings, notes: list[str]) -> Labels | None:
    """The examples' clusters: `gate.cluster_by`'s slice key, else each example's own `cluster`."""
    if gate.cluster_by is not None:
        labels = labels_of(pairing, gate.cluster_by)
        if labels is None:
            notes.append(
                f"gate.cluster_by names {gate.cluster_by}, which no example has: the examples were "
                "treated as independent."
            )
        return labels
    return labels_of(pairing, None)


def _design_notes(pm: MetricDesign, shown: measure.Shown, pairing: Pairing) -> list[str]:
    notes = []
    n = pm.design.n
    if shown.clusters is not None and shown.clusters >= 2:
        effect = f", design effect {shown.design_effect:.1f}" if shown.design_effect is not None else ""
        test = (
            "the cluster sign-flip test"
            if shown.test.startswith("cluster sign-flip")
            else ("cluster-robust tests and intervals")
        )
        notes.append(f"{pm.name}: {shown.clusters} clusters of {n} examples{effect}: {test}.")
    elif shown.clusters is not None:
        notes.append(f"{pm.name}: the {n} examples form fewer than 2 clusters, so no test is possible.")
    if shown.repeats is not None:
        note = (
            f"{pm.name}: {n} examples, {shown.repeats:.3g} samples each on average; tested on per-example "
            "means."
        )
        if shown.flaky:
            named = ", ".join(pairing.base.ids[int(pm.base_uid[i])] for i in shown.flaky[:_FLAKY_NAMED])
            more = f" and {len(shown.flaky) - _FLAKY_NAMED} more" if len(shown.flaky) > _FLAKY_NAMED else ""
            note += (
                f" {len(shown.flaky)} baseline examples disagree with themselves across samples (flaky: "
                f"{named}{more}): a flip there says little."
            )
        if shown.more_repeats is not None and shown.more_examples is not None:
            scale = 100.0 if pm.fraction else 1.0
            unit = " pts" if pm.fraction else ""
            note += (
                " Twice the samples per example would detect drops of "
                f"{shown.more_repeats * scale:.3g}{unit}, twice the examples "
                f"{shown.more_examples * scale:.3g}{unit} (80% power)."
            )
        notes.append(note)
    return notes


def _flips(pm: MetricDesign, pairing: Pairing) -> Flips:
    design = pm.design
    oriented = (design.candidate - design.baseline) * (1.0 if pm.higher_is_better else -1.0)
    worse_idx = np.flatnonzero(oriented < 0)
    better_idx = np.flatnonzero(oriented > 0)
    binary = stats.is_binary(design.baseline) and stats.is_binary(design.candidate)
    if not binary:
        worse_idx = worse_idx[np.argsort(oriented[worse_idx], kind="stable")[:_CONTINUOUS_DROPS_KEPT]]
        better_idx = better_idx[np.argsort(-oriented[better_idx], kind="stable")[:_CONTINUOUS_DROPS_KEPT]]
    return Flips(
        metric=pm.name,
        binary=binary,
        worse_count=int(np.count_nonzero(oriented < 0)),
        better_count=int(np.count_nonzero(oriented > 0)),
        worse=_flip_examples(pm, worse_idx, pairing),
        better=_flip_examples(pm, better_idx, pairing),
    )


def _flip_examples(pm: MetricDesign, indices: IntArray, pairing: Pairing) -> tuple[FlipExample, ...]:
    """The examples at `indices`, with their slices: the candidate's, or the baseline's for a lost one."""
    base, cand = pairing.base, pairing.cand
    base_uid = pm.base_uid[indices]
    cand_uid = pm.cand_uid[indices]
    lost = cand_uid < 0
    entry = np.where(lost, base.first[base_uid], cand.first[np.where(lost, 0, cand_uid)]).tolist()
    return tuple(
        FlipExample(
            id=base.ids[u],
            baseline=b,
            candidate=c,
            slices=(base if gone else cand).examples.slice_values(e),
        )
        for u, b, c, gone, e in zip(
            base_uid.tolist(),
            pm.design.baseline[indices].tolist(),
            pm.design.candidate[indices].tolist(),
            lost.tolist(),
            entry,
            strict=True,
        )
    )


def _aggregate_test(name: str, baseline: Results, candidate: Results, config: Config) -> _Pending | None:
    """An aggregate-only metric both runs report with a standard error: a z-test of the difference."""
    b, c = baseline.metrics.get(name), candidate.metrics.get(name)
    se_b, se_c = baseline.stderr.get(name), candidate.stderr.get(name)
    if b is None or c is None or se_b is None or se_c is None or se_b + se_c <= 0:
        return None
    mconf = config.metrics.get(name)
    direction = direction_of(name, config, baseline, candidate)
    fraction = shown_as_percent(mconf, b, c)
    mode = mconf.mode if mconf is not None else "regression"
    spec = measure.Spec(
        mode=mode,
        margin=mconf.min_effect if mconf is not None else 0.0,
        overall=True,
        alpha=decision.alpha_of(mconf),
        confidence=config.gate.confidence,
        resamples=config.gate.bootstrap_resamples,
        rng=_seed_for(config.gate.seed, name),
    )
    measured, shown = measure.measure_aggregate(
        b,
        c,
        baseline_se=se_b,
        candidate_se=se_c,
        higher_is_better=direction != "lower",
        spec=spec,
        resolution=decision.display_resolution(fraction, b, c),
    )
    return _Pending(
        metric=name,
        slice_key=None,
        slice_value=None,
        measured=measured,
        shown=shown,
        config=mconf,
        direction=direction,
        gated=wants_gate(name, config, baseline, candidate),
        fraction=fraction,
        imputed=0,
    )


# --- the family, then each verdict -----------------------------------------------------------------------


def compare(baseline: Results, candidate: Results, config: Config) -> Verdict:
    """Compare `candidate` with `baseline` under `config`: one model on one benchmark, its own family."""
    return _judge([_measure(baseline, candidate, config)], config)[0]


def compare_run(pairs: Sequence[tuple[Results, Results]], config: Config) -> list[Verdict]:
    """Compare each (baseline, candidate) of one gate run, in order.

    With `gate.family: run` (the default) the gated tests of every pair form one family whose p-values
    are corrected together, so the chance of any false alarm holds for the whole run; with `benchmark`
    each pair is its own family, as `compare` does.
    """
    measured = [_measure(b, c, config) for b, c in pairs]
    if config.gate.family == "benchmark":
        return [_judge([m], config)[0] for m in measured]
    return _judge(measured, config)


def _family_member(p: _Pending, gate: GateSettings) -> bool:
    """A test whose p of a drop the family corrects: gated, with a direction, large enough, able to fail."""
    return (
        decision.joins_family(
            wants_gate=p.gated,
            direction=p.direction,
            slice_key=p.slice_key,
            n=p.measured.n,
            min_slice_size=gate.min_slice_size,
        )
        and p.too_small is None
        and p.measured.could_decide
    )


def _adjust(pvalues: list[float], alphas: list[float], method: str) -> list[float]:
    """The family's correction; several alphas take the weighted one (`stats_designs.adjust_by_alpha`)."""
    p = np.array(pvalues, dtype=np.float64)
    if len(set(alphas)) <= 1:
        return [float(x) for x in stats.adjust(p, method)]
    return [float(x) for x in stats_designs.adjust_by_alpha(p, alphas=np.array(alphas), method=method)]


def _judge(measured: list[_Measured], config: Config) -> list[Verdict]:
    """Correct the family's p-values together, then have every row decided and every verdict built."""
    gate = config.gate
    tests = [(k, i) for k, m in enumerate(measured) for i in range(len(m.pending))]
    members = [(k, i) for k, i in tests if _family_member(measured[k].pending[i], gate)]
    worse = [t for t in members if not measured[t[0]].pending[t[1]].claim]
    alphas = {t: decision.alpha_of(measured[t[0]].pending[t[1]].config) for t in members}
    adj_worse = dict(
        zip(
            worse,
            _adjust(
                [measured[k].pending[i].worse_p for k, i in worse],
                [alphas[t] for t in worse],
                gate.correction,
            ),
            strict=True,
        )
    )
    adj_better = dict(
        zip(
            members,
            _adjust(
                [measured[k].pending[i].measured.p_better for k, i in members],
                [alphas[t] for t in members],
                gate.correction,
            ),
            strict=True,
        )
    )
    verdicts = []
    for k, m in enumerate(measured):
        if m.incomparable is not None:
            verdicts.append(m.incomparable)
            continue
        rows = list(m.rows)
        slice_rows: list[Row] = []
        in_family = 0
        for i, p in enumerate(m.pending):
            better = adj_better.get((k, i))
            adjusted = None
            if better is not None:
                in_family += (k, i) in adj_worse
                worse_p = adj_worse.get((k, i), p.worse_p)
                adjusted = decision.Adjusted(worse=worse_p, better=better)
            row = _row(p, adjusted, adj_worse.get((k, i)), better, gate)
            (rows if row.slice_key is None else slice_rows).append(row)
        names = m.metric_names
        rows.sort(key=lambda r: names.index(r.metric))
        slice_rows.sort(key=lambda r: (names.index(r.metric), r.slice_key or "", r.slice_value or ""))
        method = Method(
            correction=gate.correction,
            confidence=gate.confidence,
            bootstrap_resamples=gate.bootstrap_resamples,
            seed=gate.seed,
            min_slice_size=gate.min_slice_size,
            tests=in_family,
            alpha=DEFAULT_ALPHA,
            family=gate.family,
            family_tests=len(worse),
            missing_examples=gate.missing_examples,
            inconclusive=gate.inconclusive,
        )
        verdicts.append(
            Verdict(
                model=m.candidate.model,
                benchmark=m.candidate.benchmark,
                outcome=decision.verdict_outcome(rows, slice_rows),
                rows=tuple(rows),
                slice_rows=tuple(slice_rows),
                flips=tuple(m.flips),
                comparability=m.comparability,
                method=method,
                notes=(*m.first_notes, *m.notes),
                baseline_provenance=m.baseline.provenance,
                candidate_provenance=m.candidate.provenance,
            )
        )
    return verdicts


def _row(
    p: _Pending,
    adjusted: decision.Adjusted | None,
    adj_worse: float | None,
    adj_better: float | None,
    gate: GateSettings,
) -> Row:
    m, shown = p.measured, p.shown
    alpha = decision.alpha_of(p.config)
    decided = decision.paired_decision(
        m,
        direction=p.direction,
        config=p.config,
        adjusted=adjusted,
        wants_gate=p.gated,
        min_slice_size=gate.min_slice_size,
        slice_key=p.slice_key,
        too_small=p.too_small,
        max_detectable_drop=gate.max_detectable_drop,
    )
    claim = _CLAIMS.get(p.mode) if p.claim and p.direction is not None else None
    if claim is not None:
        p_value, p_adjusted = decision.gate_p(m), None
    else:
        # The p-value shown is the one in the direction the metric moved.
        worse_side = (m.delta < 0) == (p.direction != "lower") and m.delta != 0
        p_value = p.worse_p if worse_side else m.p_better
        p_adjusted = adj_worse if worse_side else adj_better
    return Row(
        metric=p.metric,
        slice_key=p.slice_key,
        slice_value=p.slice_value,
        status=decided.status,
        gated=decided.gated,
        declared=p.config is not None,
        direction=p.direction,
        n=m.n,
        baseline=m.baseline_mean,
        candidate=m.candidate_mean,
        delta=m.delta,
        ci_low=shown.ci_low,
        ci_high=shown.ci_high,
        ci_method=shown.ci_method,
        test=shown.test,
        p_value=p_value,
        p_adjusted=p_adjusted,
        detectable_drop=m.detectable_drop,
        worse_count=shown.worse_count,
        better_count=shown.better_count,
        fraction_scale=p.fraction,
        min_effect=p.config.min_effect if p.config is not None else None,
        reason=decided.reason,
        alpha=alpha,
        claim=claim,
        clusters=shown.clusters,
        repeats=shown.repeats,
        flaky=len(shown.flaky) if shown.repeats is not None else None,
        imputed=p.imputed or None,
    )


# --- rows without a test --------------------------------------------------------------------------------


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
    available = [k for k in examples.slices if k != gate.cluster_by]
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


def _unscored_row(pm: MetricDesign, decided: decision.Decision) -> Row:
    """A gated metric the candidate left unscored on too many examples: it cannot be compared."""
    return Row(
        metric=pm.name,
        status=decided.status,
        gated=decided.gated,
        declared=pm.config is not None,
        direction=pm.direction,
        n=pm.compared_common + pm.unscored,
        baseline=None,
        candidate=None,
        delta=None,
        fraction_scale=pm.fraction,
        reason=decided.reason,
    )


def _aggregate_row(name: str, baseline: Results, candidate: Results, config: Config) -> Row:
    """A metric known only as an aggregate on at least one side: the threshold rule, without a test."""
    mconf = config.metrics.get(name)
    direction = direction_of(name, config, baseline, candidate)
    b = baseline.metrics.get(name)
    c = candidate.metrics.get(name)
    fraction = shown_as_percent(mconf, b, c)
    decided = decision.aggregate_decision(
        baseline=b,
        candidate=c,
        direction=direction,
        config=mconf,
        resolution=decision.display_resolution(fraction, b, c),
        wants_gate=wants_gate(name, config, baseline, candidate),
    )
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
        fraction_scale=fraction,
        min_effect=mconf.min_effect if threshold and mconf is not None else None,
        reason=decided.reason,
    )


def _comparability_notes(c: Comparability, gate: GateSettings) -> list[str]:
    notes = []
    if c.only_baseline or c.only_candidate:
        if gate.missing_examples == "worst" and c.only_baseline:
            notes.append(
                f"{c.only_baseline} baseline examples are missing from the candidate: each counts as the "
                f"worst score, so a crash on the hard examples cannot pass (`gate.missing_examples: drop` "
                f"leaves them out); {c.only_candidate} candidate examples are new (left out)."
            )
        else:
            notes.append(
                f"Compared on the {c.common} examples both runs share: {c.only_baseline} baseline examples "
                f"are missing from the candidate and {c.only_candidate} candidate examples are new."
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
        *_comparability_notes(c, GateSettings(missing_examples="drop")),
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
