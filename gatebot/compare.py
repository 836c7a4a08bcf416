"""Compare a candidate run with its baseline: per metric, per slice, per example, into a `Verdict`.

This module measures: it pairs the examples both runs scored (and counts the ones the candidate lost as
the worst score, unless `gate.missing_examples: drop`), gathers each metric's design (clusters, repeated
samples), has `gatebot.measure` run the design's test overall and on every slice, and corrects the
p-values of the gated family together: one family per gate run (`compare_run`) or per benchmark. What the
measurements mean (statuses, reasons, which rows gate, the outcome) is decided in `gatebot.decision`.

Everything here is pure: results and settings in, frozen values out; the randomness comes from
generators seeded by the gate's `seed` and the test's name, so the same inputs always give the same
verdict. It is over 400 lines because pairing, alignment, missing examples, clusters, repeats and slices
all build one metric's aligned design (`_Metric`); split into modules they would only pass it around.
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


# --- one run's examples as unique examples ---------------------------------------------------------


@dataclass(frozen=True)
class _Side:
    """One run's entries grouped by example id: several entries of one id are samples of one example."""

    examples: Examples
    ids: list[str]
    """Unique ids, in the order they first appear."""
    code: IntArray
    """The position in `ids` of each entry's example."""
    first: IntArray
    """The first entry of each example."""


def _side(examples: Examples) -> _Side:
    if examples.repeats is None:
        full = np.arange(len(examples.ids), dtype=np.intp)
        return _Side(examples, examples.ids, full, full)
    index: dict[str, int] = {}
    code = np.fromiter(
        (index.setdefault(ident, len(index)) for ident in examples.ids),
        dtype=np.intp,
        count=len(examples.ids),
    )
    first = np.full(len(index), -1, dtype=np.intp)
    first[code[::-1]] = np.arange(code.size - 1, -1, -1, dtype=np.intp)
    return _Side(examples, list(index), code, first)


def _align(base: list[str], cand: list[str]) -> tuple[IntArray, IntArray]:
    """Positions of the common example ids in each side, in the baseline's order."""
    if base == cand:
        full = np.arange(len(base), dtype=np.intp)
        return full, full
    position = {ident: i for i, ident in enumerate(cand)}
    pairs = [(i, position[ident]) for i, ident in enumerate(base) if ident in position]
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


def _wants_gate(name: str, config: Config, baseline: Results, candidate: Results) -> bool:
    """A declared metric with `gate` on; with no metric declared at all, every metric whose direction the
    results state (a harness's own `higher_is_better`), except those its importer reports only."""
    declared = config.metrics.get(name)
    if declared is not None:
        return declared.gate
    if config.metrics:
        return False
    stated = name in candidate.directions or name in baseline.directions
    return stated and name not in (*baseline.report_only, *candidate.report_only)


def _shown_as_percent(config: MetricConfig | None, *values: FloatArray | float | None) -> bool:
    """Percentages and points for rates; the metric's own units otherwise (`scale` in the config)."""
    if config is not None and config.scale != "auto":
        return config.scale == "percent"
    return _is_fraction(*values)


def _is_fraction(*arrays: FloatArray | float | None) -> bool:
    for a in arrays:
        if a is None:
            continue
        values = np.asarray(a, dtype=np.float64)
        values = values[~np.isnan(values)]
        if values.size and (values.min() < 0.0 or values.max() > 1.0):
            return False
    return True


# --- one metric's design ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Labels:
    """A label per kept example (a slice key's values, or clusters): codes into `levels`, -1 for none."""

    codes: npt.NDArray[np.int32]
    levels: tuple[str, ...]


@dataclass(frozen=True)
class _Pairing:
    """The two runs' examples lined up: each side's unique examples, and the candidate's of each baseline
    example."""

    base: _Side
    cand: _Side
    cand_of_base: IntArray
    """For each baseline example, the candidate's example with its id; -1 when the candidate lacks it."""


@dataclass(frozen=True)
class _Metric:
    """One metric's design on the examples kept for it, in the baseline's order."""

    name: str
    config: MetricConfig | None
    direction: str | None
    gated: bool
    design: measure.Design
    base_uid: IntArray
    """The baseline example of each kept example."""
    cand_uid: IntArray
    """The candidate example of each kept example; -1 where it is missing from the candidate."""
    imputed: npt.NDArray[np.bool_]
    """Kept examples the candidate did not score, counted as the worst score."""
    fraction: bool
    missing: int
    """Examples the baseline scored and the candidate did not (kept or dropped)."""
    absent: int
    """Of those, examples whose id the candidate does not have at all."""
    unscored: int
    """Of the examples both runs have, those the baseline scored and the candidate did not."""
    compared_common: int
    """Examples both runs have and both scored."""
    impute_value: float | None

    @property
    def higher_is_better(self) -> bool:
        return self.direction != "lower"


def _per_example(side: _Side, scores: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Each example's mean over its scored samples, and how many it has."""
    ok = ~np.isnan(scores)
    count = np.bincount(side.code[ok], minlength=len(side.ids)).astype(np.float64)
    total = np.bincount(side.code[ok], weights=scores[ok], minlength=len(side.ids))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.where(count > 0, count, 1.0), np.nan), count


def _scale_worst(values: FloatArray, higher: bool) -> tuple[float | None, float]:
    """The worst score the scale allows (None: unbounded) and the value a missing example is counted as.

    0/1 and other scores in [0, 1]: the bound. Unbounded scores: the worst score either run observed.
    """
    if values.size and values.min() >= 0.0 and values.max() <= 1.0:
        bound = 0.0 if higher else 1.0
        return bound, bound
    observed = float(values.min() if higher else values.max()) if values.size else 0.0
    return None, observed


def _metric(
    name: str,
    *,
    config: Config,
    baseline: Results,
    candidate: Results,
    pairing: _Pairing,
    clusters: _Labels | None,
) -> _Metric | None:
    """The metric's design, or None when either side lacks per-example scores for it."""
    if baseline.examples is None or candidate.examples is None:
        return None
    b_scores = baseline.examples.scores.get(name)
    c_scores = candidate.examples.scores.get(name)
    if b_scores is None or c_scores is None:
        return None
    base, cand = pairing.base, pairing.cand
    b_mean, b_count = _per_example(base, b_scores)
    c_mean, c_count = _per_example(cand, c_scores)
    cu = pairing.cand_of_base
    present = cu >= 0
    scored_b = b_count > 0
    scored_c = np.zeros(cu.size, dtype=np.bool_)
    scored_c[present] = c_count[cu[present]] > 0
    pairs = scored_b & scored_c
    missing = scored_b & ~scored_c
    mconf = config.metrics.get(name)
    direction = _direction(name, config, baseline, candidate)
    higher = direction != "lower"
    drop = config.gate.missing_examples == "drop" or direction is None
    kept_mask = pairs if drop else scored_b
    kept = np.flatnonzero(kept_mask)
    if kept.size == 0:
        return None
    observed = np.concatenate((b_scores[~np.isnan(b_scores)], c_scores[~np.isnan(c_scores)]))
    worst, impute = _scale_worst(observed, higher)
    imputed = missing[kept]
    b_vals = b_mean[kept]
    c_vals = np.full(kept.size, impute)
    kept_pairs = ~imputed
    c_vals[kept_pairs] = c_mean[cu[kept][kept_pairs]]
    cand_uid = np.where(imputed, -1, cu[kept])
    design = measure.Design(
        baseline=b_vals,
        candidate=c_vals,
        higher_is_better=higher,
        worst=worst,
        clusters=None if clusters is None else _cluster_codes(clusters, kept),
    )
    if np.any(b_count[kept] > 1) or np.any(c_count[cand_uid[kept_pairs]] > 1):
        design = _with_samples(
            design,
            base=base,
            cand=cand,
            b_scores=b_scores,
            c_scores=c_scores,
            kept=kept,
            cand_uid=cand_uid,
            impute=impute,
        )
    return _Metric(
        name=name,
        config=mconf,
        direction=direction,
        gated=_wants_gate(name, config, baseline, candidate),
        design=design,
        base_uid=kept,
        cand_uid=cand_uid,
        imputed=imputed,
        fraction=_shown_as_percent(mconf, b_vals, c_vals[kept_pairs]),
        missing=int(np.count_nonzero(missing)),
        absent=int(np.count_nonzero(missing & ~present)),
        unscored=int(np.count_nonzero(missing & present)),
        compared_common=int(np.count_nonzero(pairs)),
        impute_value=impute,
    )


def _cluster_codes(clusters: _Labels, kept: IntArray) -> IntArray:
    """Cluster codes of the kept examples; an example without a cluster is a cluster of its own."""
    codes = clusters.codes[kept].astype(np.intp)
    alone = np.flatnonzero(codes < 0)
    codes[alone] = len(clusters.levels) + np.arange(alone.size, dtype=np.intp)
    return codes


def _with_samples(
    design: measure.Design,
    *,
    base: _Side,
    cand: _Side,
    b_scores: FloatArray,
    c_scores: FloatArray,
    kept: IntArray,
    cand_uid: IntArray,
    impute: float,
) -> measure.Design:
    """The design with every sample of each kept example (some example was scored more than once)."""
    b_pos = np.full(len(base.ids), -1, dtype=np.intp)
    b_pos[kept] = np.arange(kept.size, dtype=np.intp)
    b_codes = b_pos[base.code]
    b_keep = (b_codes >= 0) & ~np.isnan(b_scores)
    c_pos = np.full(len(cand.ids), -1, dtype=np.intp)
    paired = np.flatnonzero(cand_uid >= 0)
    c_pos[cand_uid[paired]] = paired
    c_codes = c_pos[cand.code]
    c_keep = (c_codes >= 0) & ~np.isnan(c_scores)
    imputed = np.flatnonzero(cand_uid < 0)
    return measure.Design(
        baseline=design.baseline,
        candidate=design.candidate,
        higher_is_better=design.higher_is_better,
        worst=design.worst,
        clusters=design.clusters,
        baseline_samples=b_scores[b_keep],
        baseline_codes=b_codes[b_keep],
        candidate_samples=np.concatenate((c_scores[c_keep], np.full(imputed.size, impute))),
        candidate_codes=np.concatenate((c_codes[c_keep], imputed)),
    )


def _labels(pairing: _Pairing, key: str | None) -> _Labels | None:
    """Per baseline example: the candidate's value of a slice key (None: of `cluster`), else the
    baseline's; None when neither run has it."""
    base, cand = pairing.base, pairing.cand

    def column(side: _Side) -> tuple[npt.NDArray[np.int32], tuple[str, ...]] | None:
        col = side.examples.clusters if key is None else side.examples.slices.get(key)
        return None if col is None else (col.codes[side.first], col.levels)

    b_col, c_col = column(base), column(cand)
    if b_col is None and c_col is None:
        return None
    levels: dict[str, int] = {}
    codes = np.full(len(base.ids), -1, dtype=np.int32)
    cu = pairing.cand_of_base
    if c_col is not None:
        c_codes, c_levels = c_col
        levels.update((v, i) for i, v in enumerate(c_levels))
        present = np.flatnonzero(cu >= 0)
        codes[present] = c_codes[cu[present]]
    if b_col is not None:
        b_codes, b_levels = b_col
        mapping = np.array([levels.setdefault(v, len(levels)) for v in b_levels] + [-1], dtype=np.int32)
        fill = (codes < 0) & ((cu < 0) | (c_col is None))
        codes[fill] = mapping[b_codes[fill]]
    return _Labels(codes, tuple(levels))


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
    pairing: _Pairing | None = None
    slice_labels: dict[str, _Labels] = {}
    clusters: _Labels | None = None
    if baseline.examples is not None and candidate.examples is not None:
        base, cand = _side(baseline.examples), _side(candidate.examples)
        base_pos, cand_pos = _align(base.ids, cand.ids)
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
        pairing = _Pairing(base, cand, cand_of_base)
        for key in _slice_keys(candidate.examples, gate, out.notes):
            labels = _labels(pairing, key)
            if labels is not None:
                slice_labels[key] = labels
        clusters = _clusters(pairing, gate, out.notes)
        out.first_notes.extend(_comparability_notes(out.comparability, gate))
    threshold_only = False
    for name in names:
        pm = (
            None
            if pairing is None
            else _metric(
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
        _measure_metric(pm, pairing, slice_labels, gate, out)
    if baseline.examples is None or candidate.examples is None:
        if baseline.examples is not None or candidate.examples is not None:
            side = "baseline" if baseline.examples is None else "candidate"
            lead = f"The {side} has no per-example scores, "
        else:
            lead = "Neither run has per-example scores, "
        if threshold_only:
            out.notes.insert(0, lead + _NO_SIGNIFICANCE)
    return out


def _measure_metric(
    pm: _Metric, pairing: _Pairing, slice_labels: dict[str, _Labels], gate: GateSettings, out: _Measured
) -> None:
    """Test one metric overall and per slice (or find that it cannot be compared)."""
    if pm.unscored:
        scored = pm.compared_common + pm.unscored
        what = (
            "left out"
            if gate.missing_examples == "drop" or pm.direction is None
            else (f"counted as the worst score ({pm.impute_value:g})")
        )
        out.notes.append(
            f"{pm.name}: {pm.unscored} of the {scored} examples the baseline scored have no score in the "
            f"candidate; {what}."
        )
        unscored = decision.too_few_scored(
            compared=pm.compared_common, scored=scored, wants_gate=pm.gated, min_overlap=gate.min_overlap
        )
        if unscored is not None:
            out.rows.append(_unscored_row(pm, unscored))
            return
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
    out.flips.append(_flips(pm, measured, pairing))
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
    pm: _Metric,
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


def _clusters(pairing: _Pairing, gate: GateSettings, notes: list[str]) -> _Labels | None:
    """The examples' clusters: `gate.cluster_by`'s slice key, else each example's own `cluster`."""
    if gate.cluster_by is not None:
        labels = _labels(pairing, gate.cluster_by)
        if labels is None:
            notes.append(
                f"gate.cluster_by names {gate.cluster_by}, which no example has: the examples were "
                "treated as independent."
            )
        return labels
    return _labels(pairing, None)


def _design_notes(pm: _Metric, shown: measure.Shown, pairing: _Pairing) -> list[str]:
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


def _flips(pm: _Metric, measured: decision.Measurement, pairing: _Pairing) -> Flips:
    design = pm.design
    oriented = (design.candidate - design.baseline) * (1.0 if pm.higher_is_better else -1.0)
    worse_idx = np.flatnonzero(oriented < 0)
    better_idx = np.flatnonzero(oriented > 0)
    binary = stats.is_binary(design.baseline) and stats.is_binary(design.candidate)
    if not binary:
        worse_idx = worse_idx[np.argsort(oriented[worse_idx], kind="stable")[:_CONTINUOUS_DROPS_KEPT]]
        better_idx = better_idx[np.argsort(-oriented[better_idx], kind="stable")[:_CONTINUOUS_DROPS_KEPT]]
    del measured
    return Flips(
        metric=pm.name,
        binary=binary,
        worse_count=int(np.count_nonzero(oriented < 0)),
        better_count=int(np.count_nonzero(oriented > 0)),
        worse=_flip_examples(pm, worse_idx, pairing),
        better=_flip_examples(pm, better_idx, pairing),
    )


def _flip_examples(pm: _Metric, indices: IntArray, pairing: _Pairing) -> tuple[FlipExample, ...]:
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
    direction = _direction(name, config, baseline, candidate)
    fraction = _shown_as_percent(mconf, b, c)
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
        gated=_wants_gate(name, config, baseline, candidate),
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


def _unscored_row(pm: _Metric, decided: decision.Decision) -> Row:
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
    direction = _direction(name, config, baseline, candidate)
    b = baseline.metrics.get(name)
    c = candidate.metrics.get(name)
    fraction = _shown_as_percent(mconf, b, c)
    decided = decision.aggregate_decision(
        baseline=b,
        candidate=c,
        direction=direction,
        config=mconf,
        resolution=decision.display_resolution(fraction, b, c),
        wants_gate=_wants_gate(name, config, baseline, candidate),
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
        # A gated metric missing from the candidate shows its baseline in the metric's own units.
        fraction_scale=fraction and not (c is None and decided.gated),
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
