"""One metric's test on aligned scores, in the eval's design: what `compare` runs overall and per slice.

`compare` pairs the examples and decides which are kept; this module runs the test the design calls for
and says whether the test could have decided anything at all:

- independent examples scored once: the exact McNemar test for 0/1 scores, with Newcombe's interval for
  paired proportions (the bootstrap is far too narrow with few flips), the paired t-test and the paired
  bootstrap interval for continuous scores (`stats`);
- clustered examples: the cluster sign-flip randomization test below 1,000 clusters (the wild cluster
  bootstrap with the null imposed, Cameron, Gelbach & Miller 2008), the cluster-robust t-test beyond,
  and the cluster-robust t interval (CR1, G - 1 degrees of freedom; `stats_designs`);
- repeated samples: a test on per-example means, whose variance holds both question and sampling variance
  (Miller 2024): the sign-flip randomization test below 1,000 examples, the paired t-test beyond;
  cluster-robust when the examples are clustered too;
- aggregates with reported standard errors: the z-test of the two runs' difference.

Every design gives the same `decision.Measurement`: the p of a drop and of an improvement, the p of the
metric's claim (non-inferiority, equivalence, superiority) overall, the p of a drop beyond the margin on a
slice, and `could_decide`: whether any outcome of the candidate could have been significant.

Pure functions of numpy arrays; the two random procedures take the generator the caller seeds.
About 500 lines: one measurement per design (independent, clustered, repeated, aggregate-only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from gatebot import stats, stats_designs
from gatebot.decision import Measurement
from gatebot.stats import FloatArray

IntArray = npt.NDArray[np.intp]

RANDOMIZATION_UNITS = 1000
"""Below this many independent units (clusters; examples, for repeated samples) the test of a drop is the
sign-flip randomization test, whose false-alarm rate is at most alpha by construction; the t-tests'
small-sample error (over-rejection with skewed cluster totals) is still measurable there."""
SIGN_FLIPS = 10_000
"""Random sign patterns of the randomization test beyond 16 units (its smallest p is 1 / 10,001, small
enough for a family of 500 tests at alpha 0.05)."""


@dataclass(frozen=True, kw_only=True)
class Shown:
    """What a row shows beside its status: the interval, the test, the design's counts."""

    ci_low: float | None
    ci_high: float | None
    ci_method: str | None
    test: str
    worse_count: int | None
    better_count: int | None
    clusters: int | None = None
    design_effect: float | None = None
    repeats: float | None = None
    flaky: tuple[int, ...] = ()
    """Positions (in the design's examples) whose baseline samples disagree with each other."""
    more_repeats: float | None = None
    """The detectable drop with twice the repeats on both sides (repeated samples only)."""
    more_examples: float | None = None
    """The detectable drop with twice the examples (repeated samples only)."""


@dataclass(frozen=True, kw_only=True)
class Spec:
    """How to test: the metric's mode and margin, whether the row is the overall one, the test settings."""

    mode: str
    margin: float
    overall: bool
    alpha: float
    confidence: float
    resamples: int
    rng: np.random.Generator


@dataclass(frozen=True, kw_only=True)
class Design:
    """One metric's scores on the examples kept for it, one value per example per side.

    `baseline`/`candidate` are per-example means (the only value for an example sampled once).
    `worst` is the worst score the metric's scale allows (None for an unbounded metric). `clusters` holds
    a cluster code per example; `*_samples` and `*_codes` every sample and its example's position when
    some example was sampled more than once.
    """

    baseline: FloatArray
    candidate: FloatArray
    higher_is_better: bool
    worst: float | None
    clusters: IntArray | None = None
    baseline_samples: FloatArray | None = None
    baseline_codes: IntArray | None = None
    candidate_samples: FloatArray | None = None
    candidate_codes: IntArray | None = None

    @property
    def n(self) -> int:
        return int(self.baseline.size)

    @property
    def repeated(self) -> bool:
        return self.baseline_samples is not None

    def subset(self, index: IntArray) -> Design:
        """The design restricted to the examples at `index` (a slice)."""
        clusters = None if self.clusters is None else self.clusters[index]
        if not self.repeated:
            return replace(
                self, baseline=self.baseline[index], candidate=self.candidate[index], clusters=clusters
            )
        assert self.baseline_samples is not None and self.baseline_codes is not None
        assert self.candidate_samples is not None and self.candidate_codes is not None
        recode = np.full(self.n, -1, dtype=np.intp)
        recode[index] = np.arange(index.size, dtype=np.intp)
        b_keep = recode[self.baseline_codes] >= 0
        c_keep = recode[self.candidate_codes] >= 0
        return replace(
            self,
            baseline=self.baseline[index],
            candidate=self.candidate[index],
            clusters=clusters,
            baseline_samples=self.baseline_samples[b_keep],
            baseline_codes=recode[self.baseline_codes[b_keep]],
            candidate_samples=self.candidate_samples[c_keep],
            candidate_codes=recode[self.candidate_codes[c_keep]],
        )


def _oriented(design: Design) -> FloatArray:
    sign = 1.0 if design.higher_is_better else -1.0
    return (design.candidate - design.baseline) * sign


def _counts(design: Design) -> tuple[int, int]:
    oriented = _oriented(design)
    return int(np.count_nonzero(oriented < 0)), int(np.count_nonzero(oriented > 0))


def _can_worsen(design: Design) -> int:
    """Examples whose baseline is not already at the worst score."""
    if design.worst is None:
        return design.n
    return int(np.count_nonzero(design.baseline != design.worst))


def _fall(design: Design) -> FloatArray | None:
    """The oriented change if every example fell to the worst score; None for an unbounded metric."""
    if design.worst is None:
        return None
    sign = 1.0 if design.higher_is_better else -1.0
    return (np.full(design.n, design.worst) - design.baseline) * sign


def measure(design: Design, spec: Spec, *, resolution: float) -> tuple[Measurement, Shown]:
    """Test one metric (overall or on a slice) in its design."""
    if design.clusters is not None:
        groups = int(np.unique(design.clusters).size)
        if groups < 2:
            return _untestable(design, "cluster-robust t (CR1)", clusters=groups)
        return _clustered(design, spec, resolution, groups)
    if design.repeated:
        return _repeated(design, spec, resolution)
    return _plain(design, spec, resolution)


def _untestable(design: Design, test: str, *, clusters: int) -> tuple[Measurement, Shown]:
    worse, better = _counts(design)
    measured = Measurement(
        n=design.n,
        baseline_mean=float(design.baseline.mean()),
        candidate_mean=float(design.candidate.mean()),
        delta=float((design.candidate - design.baseline).mean()),
        p_worse=1.0,
        p_better=1.0,
        could_decide=False,
    )
    shown = Shown(
        ci_low=None,
        ci_high=None,
        ci_method=None,
        test=test,
        worse_count=worse,
        better_count=better,
        clusters=clusters,
    )
    return measured, shown


# --- independent examples, one sample each ---------------------------------------------------------------


def _plain(design: Design, spec: Spec, resolution: float) -> tuple[Measurement, Shown]:
    b, c, hib = design.baseline, design.candidate, design.higher_is_better
    ni = spec.overall and spec.mode == "non-inferiority"
    result = stats.paired_compare(
        b,
        c,
        higher_is_better=hib,
        resamples=spec.resamples,
        confidence=spec.confidence,
        rng=spec.rng,
        margin=spec.margin if ni else 0.0,
    )
    low, high, method = result.ci_low, result.ci_high, result.ci_method
    if result.binary:
        low, high = stats_designs.paired_proportion_interval(b, c, confidence=spec.confidence)
        method = "newcombe"
    measured = Measurement(
        n=result.n,
        baseline_mean=result.baseline_mean,
        candidate_mean=result.candidate_mean,
        delta=result.delta,
        p_worse=result.p_worse,
        p_better=result.p_better,
        p_noninferior=result.p_noninferior,
        detectable_drop=result.detectable_drop(alpha=spec.alpha),
        resolution=resolution,
    )
    test = result.test
    if spec.overall and spec.mode in ("equivalence", "superiority"):
        claim = (
            stats_designs.equivalence_test(b, c, margin=spec.margin)
            if spec.mode == "equivalence"
            else stats_designs.superiority_test(b, c, higher_is_better=hib, margin=spec.margin)
        )
        measured = replace(measured, p_claim=claim.p)
        test = claim.test
    elif not spec.overall and spec.mode != "regression":
        p_beyond, test = _beyond_margin(design, spec.margin, result)
        measured = replace(measured, p_beyond_margin=p_beyond)
    measured = replace(measured, could_decide=_plain_could(design, spec, result.binary))
    shown = Shown(
        ci_low=low,
        ci_high=high,
        ci_method=method,
        test=test,
        worse_count=result.worse_count,
        better_count=result.better_count,
    )
    return measured, shown


def _beyond_margin(design: Design, margin: float, result: stats.PairedResult) -> tuple[float, str]:
    """p of "the drop is larger than `margin`": a slice of a metric in a claim mode."""
    if margin == 0:
        return result.p_worse, result.test
    if result.binary:
        p = stats_designs.tango_p(
            result.worse_count, result.better_count, result.n, delta0=-margin, alternative="less"
        )
        return p, "Tango score test"
    return stats.paired_t(_oriented(design), shift=margin)[0], "paired-t"


def _plain_could(design: Design, spec: Spec, binary: bool) -> bool:
    """Whether some candidate could have made this test significant (a claim: shown)."""
    n, alpha, margin = design.n, spec.alpha, spec.margin
    if spec.overall and spec.mode in ("non-inferiority", "equivalence"):
        if binary and 0 < margin < 1:
            return stats_designs.noninferiority_p_unchanged(n, margin=margin) < alpha
        return n >= 2
    if spec.overall and spec.mode == "superiority":
        if not binary or design.worst is None:
            return n >= 2
        best = 1.0 - design.worst
        can_improve = int(np.count_nonzero(design.baseline != best))
        if margin == 0:
            return stats_designs.min_p_exact_mcnemar(can_improve) < alpha
        return stats_designs.tango_p(0, can_improve, n, delta0=margin, alternative="greater") < alpha
    if not spec.overall and spec.mode != "regression" and margin > 0:
        if binary:
            k = _can_worsen(design)
            return stats_designs.tango_p(k, 0, n, delta0=-margin, alternative="less") < alpha
        fall = _fall(design)
        return n >= 2 if fall is None else stats.paired_t(fall, shift=margin)[0] < alpha
    if design.worst is None:
        return n >= 2
    return (
        stats_designs.worst_case_p(
            design.baseline, higher_is_better=design.higher_is_better, worst=design.worst
        )
        < alpha
    )


# --- the other designs: one estimate with a standard error ------------------------------------------------


def _tested(
    result: stats_designs.DesignResult,
    spec: Spec,
    *,
    n: int,
    p_worse: float,
    p_better: float,
    resolution: float,
    test: str,
    could: bool,
) -> tuple[Measurement, str]:
    """The measurement of a clustered or repeated design from its test's p-values, with its claim.

    `could` says whether the test could have failed; a claim overall (non-inferiority, equivalence,
    superiority) always could: an unchanged (or much better) candidate shows it."""
    measured = Measurement(
        n=n,
        baseline_mean=result.baseline_mean,
        candidate_mean=result.candidate_mean,
        delta=result.delta,
        p_worse=p_worse,
        p_better=p_better,
        detectable_drop=result.detectable_drop(alpha=spec.alpha),
        resolution=resolution,
    )
    measured, test = _claims(result, spec, measured, test)
    if spec.overall and spec.mode != "regression":
        could = True
    return replace(measured, could_decide=could), test


def _claims(
    result: stats_designs.DesignResult, spec: Spec, measured: Measurement, base_test: str
) -> tuple[Measurement, str]:
    """The claim (overall) or the drop beyond the margin (a slice) on a design with a standard error."""
    if spec.overall and spec.mode == "non-inferiority":
        return replace(measured, p_noninferior=result.p_noninferior), f"{base_test} non-inferiority"
    if spec.overall and spec.mode == "equivalence":
        return replace(measured, p_claim=result.equivalence(margin=spec.margin).p), f"{base_test} TOST"
    if spec.overall and spec.mode == "superiority":
        return replace(measured, p_claim=result.superiority(margin=spec.margin).p), base_test
    if not spec.overall and spec.mode != "regression":
        if spec.margin == 0:
            return replace(measured, p_beyond_margin=measured.p_worse), base_test
        noninferior = result.p_noninferior
        assert noninferior is not None  # the result was built with the margin
        return replace(measured, p_beyond_margin=1.0 - noninferior), base_test
    return measured, base_test


def _margin_of(spec: Spec) -> float:
    """The margin a design's result is built with, so that its `p_noninferior` tests it."""
    return spec.margin if spec.mode in ("non-inferiority", "equivalence") else 0.0


def _clustered(design: Design, spec: Spec, resolution: float, groups: int) -> tuple[Measurement, Shown]:
    assert design.clusters is not None
    result = stats_designs.clustered_compare(
        design.baseline,
        design.candidate,
        design.clusters,
        higher_is_better=design.higher_is_better,
        confidence=spec.confidence,
        margin=_margin_of(spec),
    )
    p_worse, p_better, test = result.p_worse, result.p_better, result.test
    if groups < RANDOMIZATION_UNITS:
        p_worse, p_better = stats_designs.cluster_sign_flip_test(
            _oriented(design), design.clusters, resamples=SIGN_FLIPS, rng=spec.rng
        )
        test = "cluster sign-flip"
        could = _sign_flip_could(_fall(design), design.clusters, spec.alpha)
    else:
        could = (
            stats_designs.worst_case_p(
                design.baseline,
                higher_is_better=design.higher_is_better,
                worst=design.worst,
                clusters=design.clusters,
            )
            < spec.alpha
        )
    measured, test = _tested(
        result,
        spec,
        n=design.n,
        p_worse=p_worse,
        p_better=p_better,
        resolution=resolution,
        test=test,
        could=could,
    )
    shown = Shown(
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        ci_method=result.ci_method,
        test=test,
        worse_count=result.worse_count,
        better_count=result.better_count,
        clusters=groups,
        design_effect=result.design_effect,
        repeats=_mean_repeats(design),
    )
    return measured, shown


def _sign_flip_could(fall: FloatArray | None, units: IntArray, alpha: float) -> bool:
    """Whether the sign-flip test could reject: with k units that can fall, its smallest p is 0.5^k."""
    if fall is None:
        return True
    totals = np.bincount(np.unique(units, return_inverse=True)[1].reshape(-1), weights=fall)
    active = int(np.count_nonzero(totals))
    return active > stats_designs.EXACT_SIGN_FLIP_MAX or 0.5**active < alpha


def _mean_repeats(design: Design) -> float | None:
    if not design.repeated:
        return None
    assert design.baseline_samples is not None and design.candidate_samples is not None
    return (design.baseline_samples.size + design.candidate_samples.size) / (2 * design.n)


def _repeated(design: Design, spec: Spec, resolution: float) -> tuple[Measurement, Shown]:
    assert design.baseline_samples is not None and design.baseline_codes is not None
    assert design.candidate_samples is not None and design.candidate_codes is not None
    n = design.n
    if n < 2:
        return _untestable(design, "paired t on per-example means", clusters=0)
    result = stats_designs.repeated_compare(
        design.baseline_samples,
        design.baseline_codes,
        design.candidate_samples,
        design.candidate_codes,
        n_examples=n,
        higher_is_better=design.higher_is_better,
        confidence=spec.confidence,
        margin=_margin_of(spec),
    )
    fall = _fall(design)
    p_worse, p_better, test = result.p_worse, result.p_better, result.test
    if n < RANDOMIZATION_UNITS:
        units = np.arange(n, dtype=np.intp)
        p_worse, p_better = stats_designs.cluster_sign_flip_test(
            _oriented(design), units, resamples=SIGN_FLIPS, rng=spec.rng
        )
        test = "sign-flip on per-example means"
        could = _sign_flip_could(fall, units, spec.alpha)
    else:
        could = n >= 2 if fall is None else stats.paired_t(fall)[0] < spec.alpha
    measured, test = _tested(
        result, spec, n=n, p_worse=p_worse, p_better=p_better, resolution=resolution, test=test, could=could
    )
    flaky = stats_designs.flaky_examples(design.baseline_samples, design.baseline_codes, n_examples=n)
    repeats = max(result.repeats_baseline, result.repeats_candidate)
    shown = Shown(
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        ci_method=result.ci_method,
        test=test,
        worse_count=result.worse_count,
        better_count=result.better_count,
        repeats=_mean_repeats(design),
        flaky=tuple(int(i) for i in flaky),
        more_repeats=result.projected_detectable_drop(alpha=spec.alpha, examples=n, repeats=2 * repeats),
        more_examples=result.projected_detectable_drop(alpha=spec.alpha, examples=2 * n, repeats=repeats),
    )
    return measured, shown


def measure_aggregate(
    baseline: float,
    candidate: float,
    *,
    baseline_se: float,
    candidate_se: float,
    higher_is_better: bool,
    spec: Spec,
    resolution: float,
) -> tuple[Measurement, Shown]:
    """Two aggregates compared with the standard errors their harness reported (a z-test)."""
    result = stats_designs.aggregate_compare(
        baseline,
        candidate,
        baseline_se=baseline_se,
        candidate_se=candidate_se,
        higher_is_better=higher_is_better,
        confidence=spec.confidence,
        margin=_margin_of(spec),
    )
    measured = Measurement(
        n=0,
        baseline_mean=baseline,
        candidate_mean=candidate,
        delta=result.delta,
        p_worse=result.p_worse,
        p_better=result.p_better,
        detectable_drop=result.detectable_drop(alpha=spec.alpha) if result.se > 0 else math.inf,
        resolution=resolution,
        could_decide=result.se > 0 or spec.mode != "regression",
    )
    measured, test = _claims(result, spec, measured, result.test)
    shown = Shown(
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        ci_method=result.ci_method,
        test=test,
        worse_count=None,
        better_count=None,
    )
    return measured, shown
