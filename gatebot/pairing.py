"""The two runs' examples lined up, and one metric's design on them: what `compare` tests.

Several entries of one id are samples of one example (`unique_examples`); the baseline's examples are
paired with the candidate's by id (`align`); per metric, the examples kept for the test (both scored,
and, unless `gate.missing_examples: drop`, those the candidate lost, at the worst score), with their
clusters and samples, form a `measure.Design` (`metric_design`). Slice values and clusters come from the
candidate, or from the baseline for an example the candidate lost (`labels_of`). Pure numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gatebot import measure
from gatebot.config import Config, MetricConfig
from gatebot.results import Examples, Results

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]


# --- one run's examples as unique examples ---------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One run's entries grouped by example id: several entries of one id are samples of one example."""

    examples: Examples
    ids: list[str]
    """Unique ids, in the order they first appear."""
    code: IntArray
    """The position in `ids` of each entry's example."""
    first: IntArray
    """The first entry of each example."""


def unique_examples(examples: Examples) -> Side:
    if examples.repeats is None:
        full = np.arange(len(examples.ids), dtype=np.intp)
        return Side(examples, examples.ids, full, full)
    index: dict[str, int] = {}
    code = np.fromiter(
        (index.setdefault(ident, len(index)) for ident in examples.ids),
        dtype=np.intp,
        count=len(examples.ids),
    )
    first = np.full(len(index), -1, dtype=np.intp)
    first[code[::-1]] = np.arange(code.size - 1, -1, -1, dtype=np.intp)
    return Side(examples, list(index), code, first)


def align(base: list[str], cand: list[str]) -> tuple[IntArray, IntArray]:
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


def direction_of(name: str, config: Config, baseline: Results, candidate: Results) -> str | None:
    declared = config.metrics.get(name)
    if declared is not None:
        return declared.direction
    return candidate.directions.get(name) or baseline.directions.get(name)


def wants_gate(name: str, config: Config, baseline: Results, candidate: Results) -> bool:
    """A declared metric with `gate` on; with no metric declared at all, every metric whose direction the
    results state (a harness's own `higher_is_better`), except those its importer reports only."""
    declared = config.metrics.get(name)
    if declared is not None:
        return declared.gate
    if config.metrics:
        return False
    stated = name in candidate.directions or name in baseline.directions
    return stated and name not in (*baseline.report_only, *candidate.report_only)


def shown_as_percent(config: MetricConfig | None, *values: FloatArray | float | None) -> bool:
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
class Labels:
    """A label per kept example (a slice key's values, or clusters): codes into `levels`, -1 for none."""

    codes: npt.NDArray[np.int32]
    levels: tuple[str, ...]


@dataclass(frozen=True)
class Pairing:
    """The two runs' examples lined up: each side's unique examples, and the candidate's of each baseline
    example."""

    base: Side
    cand: Side
    cand_of_base: IntArray
    """For each baseline example, the candidate's example with its id; -1 when the candidate lacks it."""


@dataclass(frozen=True)
class MetricDesign:
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


def _per_example(side: Side, scores: FloatArray) -> tuple[FloatArray, FloatArray]:
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


def metric_design(
    name: str,
    *,
    config: Config,
    baseline: Results,
    candidate: Results,
    pairing: Pairing,
    clusters: Labels | None,
) -> MetricDesign | None:
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
    direction = direction_of(name, config, baseline, candidate)
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
    return MetricDesign(
        name=name,
        config=mconf,
        direction=direction,
        gated=wants_gate(name, config, baseline, candidate),
        design=design,
        base_uid=kept,
        cand_uid=cand_uid,
        imputed=imputed,
        fraction=shown_as_percent(mconf, b_vals, c_vals[kept_pairs]),
        missing=int(np.count_nonzero(missing)),
        absent=int(np.count_nonzero(missing & ~present)),
        unscored=int(np.count_nonzero(missing & present)),
        compared_common=int(np.count_nonzero(pairs)),
        impute_value=impute,
    )


def _cluster_codes(clusters: Labels, kept: IntArray) -> IntArray:
    """Cluster codes of the kept examples; an example without a cluster is a cluster of its own."""
    codes = clusters.codes[kept].astype(np.intp)
    alone = np.flatnonzero(codes < 0)
    codes[alone] = len(clusters.levels) + np.arange(alone.size, dtype=np.intp)
    return codes


def _with_samples(
    design: measure.Design,
    *,
    base: Side,
    cand: Side,
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


def labels_of(pairing: Pairing, key: str | None) -> Labels | None:
    """Per baseline example: the candidate's value of a slice key (None: of `cluster`), else the
    baseline's; None when neither run has it."""
    base, cand = pairing.base, pairing.cand

    def column(side: Side) -> tuple[npt.NDArray[np.int32], tuple[str, ...]] | None:
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
    return Labels(codes, tuple(levels))
