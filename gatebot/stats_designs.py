"""Statistics for the eval designs around the one-draw-per-example paired comparison of `stats.py`.

`stats.py` holds the paired tests for the plain design: every example scored once by each run, examples
independent. Real evals are often not that, and treating them as if they were makes false alarms far
more common than `alpha` says (Miller 2024, "Adding Error Bars to Evals: A Statistical Approach to
Language Model Evaluations", arXiv:2411.00640). This module holds the building blocks for the other
designs. It is kept apart from `stats.py`, which stays the plain design every verdict depends on
(and, at about 400 lines, as much as one statistics file should hold); nothing here changes what
`stats.py` computes:

- Clustered examples (questions that share a passage, a document, a conversation): the examples of a
  cluster are not independent, so the standard error comes from cluster totals (cluster-robust, CR1
  with G-1 degrees of freedom), with a cluster bootstrap interval and an exact cluster sign-flip test
  for when there are few clusters. `clustered_compare`, `cluster_bootstrap_interval`,
  `cluster_sign_flip_test`.
- Repeated samples (a non-deterministic model scored K times per example): per-example means, then the
  paired test on them; the variance split into question and sampling parts says what more repeats or
  more examples would buy. `repeated_compare`, `flaky_examples`.
- Aggregate-only output with standard errors (lm-eval's `<metric>_stderr`): a z-test of the difference
  of two independent runs. `aggregate_compare`.
- Equivalence (two one-sided tests), superiority and non-inferiority on paired data. `equivalence_test`,
  `superiority_test`, `noninferiority_test`, and the same on every design's result
  (`DesignResult.equivalence`, `.superiority`, `.p_noninferior`).
- Paired proportions: Tango's (1998) score test and interval, Newcombe's (1998) method 10 interval.
- Several alphas in one family: weighted Holm and weighted Benjamini-Hochberg. `adjust_by_alpha`.
- Whether a test could have failed at all: `worst_case_p`, `min_p_exact_mcnemar`; whether a slice could
  have shown non-inferiority at all: `noninferiority_p_unchanged`.

All results are oriented like `stats.PairedResult`: `delta` is candidate minus baseline in the metric's
units, `p_worse` the one-sided p for "the candidate is worse" in the metric's own direction.

Everything here is a pure function of numpy arrays; the two random procedures take an explicit Generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import product
from statistics import NormalDist
from typing import Literal

import numpy as np
import numpy.typing as npt

from gatebot.stats import (
    FloatArray,
    benjamini_hochberg,
    is_binary,
    mcnemar_exact,
    paired_t,
    student_t_sf,
)

IntArray = npt.NDArray[np.integer]

_STD_NORMAL = NormalDist()
EXACT_SIGN_FLIP_MAX = 16
"""Up to this many clusters with a non-zero total, the sign-flip test enumerates every sign pattern."""
_CHUNK = 2_000_000


# --- distributions -------------------------------------------------------------------------------


def _sf(x: float, df: float) -> float:
    """P(X > x) for Student's t with `df` degrees of freedom, the standard normal when df is infinite."""
    if math.isinf(df):
        return 1.0 - _STD_NORMAL.cdf(x)
    return student_t_sf(x, df)


def t_quantile(q: float, *, df: float) -> float:
    """The q-quantile of Student's t with `df` degrees of freedom (the normal one when df is infinite).

    Found by bisection on `stats.student_t_sf`, so intervals and p-values use one distribution function.
    """
    if not 0.0 < q < 1.0:
        raise ValueError(f"t_quantile needs 0 < q < 1, got {q}")
    if math.isinf(df):
        return _STD_NORMAL.inv_cdf(q)
    if df <= 0:
        raise ValueError(f"t_quantile needs df > 0, got {df}")
    target = 1.0 - q
    hi = max(1.0, abs(_STD_NORMAL.inv_cdf(q)))
    while student_t_sf(hi, df) > min(target, 1.0 - target):
        hi *= 2.0
    lo = -hi
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if student_t_sf(mid, df) > target:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * max(1.0, abs(mid)):
            break
    return 0.5 * (lo + hi)


def _p_above(excess: float, se: float, df: float) -> float:
    """One-sided p for "the true value exceeds the null" when the estimate exceeds it by `excess`."""
    if se == 0.0 or math.isinf(excess):
        return 0.0 if excess > 0 else 1.0
    return _sf(excess / se, df)


# --- the shape every design's result shares ------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MarginTest:
    """A claim about the mean change tested against a margin; a small `p` means the claim is shown.

    `claim` is `equivalent` (|change| < margin, two one-sided tests), `superior` (change better than
    +margin) or `non-inferior` (change better than -margin). `parts` holds the one-sided p-values a
    claim is made of (for equivalence: above -margin, below +margin); `p` is the largest.
    """

    claim: Literal["equivalent", "superior", "non-inferior"]
    test: str
    margin: float
    delta: float
    p: float
    parts: tuple[float, ...]

    def shown(self, *, alpha: float) -> bool:
        return self.p < alpha


@dataclass(frozen=True, kw_only=True)
class DesignResult:
    """A mean change with its standard error and reference distribution, oriented like `PairedResult`.

    `df` is the degrees of freedom of Student's t the test uses (infinite: the normal distribution).
    `ci_low`/`ci_high` are the two-sided `confidence` interval of `delta`, in the metric's units.
    """

    baseline_mean: float
    candidate_mean: float
    delta: float
    se: float
    df: float
    higher_is_better: bool
    confidence: float
    ci_low: float
    ci_high: float
    ci_method: str
    test: str
    margin: float = 0.0
    """The non-inferiority margin `p_noninferior` tests against (0: none)."""

    @property
    def oriented(self) -> float:
        """`delta` with the sign that makes positive better."""
        return self.delta if self.higher_is_better else -self.delta

    @property
    def p_worse(self) -> float:
        return _p_above(-self.oriented, self.se, self.df)

    @property
    def p_better(self) -> float:
        return _p_above(self.oriented, self.se, self.df)

    @property
    def p_noninferior(self) -> float | None:
        """One-sided p of "the change is better than -margin" (small = shown); None without a margin."""
        if self.margin <= 0:
            return None
        return _p_above(self.oriented + self.margin, self.se, self.df)

    def equivalence(self, *, margin: float) -> MarginTest:
        """Two one-sided tests of |change| < margin on this design's estimate (Schuirmann 1987)."""
        return _tost(self.delta, self.se, self.df, margin=margin, test=f"{self.test} TOST")

    def superiority(self, *, margin: float = 0.0) -> MarginTest:
        """One-sided test that the change is better than +margin on this design's estimate."""
        if margin < 0:
            raise ValueError(f"superiority margin must be >= 0, got {margin}")
        p = _p_above(self.oriented - margin, self.se, self.df)
        return MarginTest(claim="superior", test=self.test, margin=margin, delta=self.delta, p=p, parts=(p,))

    def detectable_drop(self, *, alpha: float, power: float = 0.8) -> float:
        """The smallest drop detected with `power` at one-sided level `alpha`: (q_{1-alpha} + q_power) se."""
        return (t_quantile(1 - alpha, df=self.df) + t_quantile(power, df=self.df)) * self.se


def _tost(delta: float, se: float, df: float, *, margin: float, test: str) -> MarginTest:
    if margin <= 0:
        raise ValueError(f"an equivalence margin must be > 0, got {margin}")
    above = _p_above(delta + margin, se, df)
    below = _p_above(margin - delta, se, df)
    return MarginTest(
        claim="equivalent", test=test, margin=margin, delta=delta, p=max(above, below), parts=(above, below)
    )


def _interval(delta: float, se: float, df: float, confidence: float) -> tuple[float, float]:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    half = t_quantile(1 - (1 - confidence) / 2, df=df) * se
    return delta - half, delta + half


def _check_paired(name: str, baseline: FloatArray, candidate: FloatArray) -> None:
    if baseline.ndim != 1 or baseline.shape != candidate.shape:
        raise ValueError(
            f"{name} needs two 1-d arrays of one length, got {baseline.shape} and {candidate.shape}"
        )
    if baseline.size == 0:
        raise ValueError(f"{name} needs at least one example")


def _check_codes(name: str, codes: IntArray, size: int, what: str) -> None:
    if codes.ndim != 1 or codes.size != size:
        raise ValueError(f"{name} needs one {what} code per score, got shape {codes.shape} for {size} scores")
    if not np.issubdtype(codes.dtype, np.integer):
        raise ValueError(f"{name} needs integer {what} codes, got dtype {codes.dtype}")


# --- clustered examples --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ClusteredResult(DesignResult):
    """A paired comparison whose examples come in clusters; the test and interval are cluster-robust.

    `design_effect` is the cluster-robust variance over the variance the independent paired test
    assumes: how many clustered examples carry the information of one independent example
    (`n / design_effect` is the eval's effective size).
    """

    n: int
    n_clusters: int
    design_effect: float
    worse_count: int
    better_count: int
    binary: bool

    def detectable_drop(self, *, alpha: float, power: float = 0.8) -> float:
        """As `DesignResult.detectable_drop`, and for 0/1 scores never below the drop needed for the
        exact test to be significant when every flip goes one way (as `PairedResult` does)."""
        mde = super().detectable_drop(alpha=alpha, power=power)
        if self.binary:
            mde = max(mde, math.ceil(math.log2(1 / alpha)) / self.n)
        return mde


def _cluster_totals(values: FloatArray, clusters: IntArray) -> tuple[FloatArray, FloatArray]:
    """Per cluster (in sorted order of the codes): the sum of `values` and the number of examples."""
    _, inverse = np.unique(clusters, return_inverse=True)
    inverse = inverse.reshape(-1)
    totals = np.bincount(inverse, weights=values).astype(np.float64)
    sizes = np.bincount(inverse).astype(np.float64)
    return totals, sizes


def clustered_compare(
    baseline: FloatArray,
    candidate: FloatArray,
    clusters: IntArray,
    *,
    higher_is_better: bool,
    confidence: float,
    margin: float = 0.0,
) -> ClusteredResult:
    """Compare two aligned score arrays whose examples share clusters (integer codes, any values).

    The estimate is the mean paired difference d = mean(candidate - baseline), which is the ratio of the
    cluster totals of d to the cluster sizes. Its variance is the cluster-robust (sandwich) one of an
    intercept-only regression of d (Liang & Zeger 1986), with the small-sample factor G/(G-1) (CR1) and
    Student's t with G-1 degrees of freedom (Cameron & Miller 2015, "A Practitioner's Guide to
    Cluster-Robust Inference", Journal of Human Resources 50:317-372):

        Var(mean d) = G/(G-1) * sum_g (sum_{i in g} (d_i - mean d))^2 / n^2

    which is Miller's (2024) clustered standard error with the G/(G-1) factor. For 0/1 scores it is the
    clustered paired-proportion test of Obuchowski (1998, "On the comparison of correlated proportions
    for clustered data") up to that factor. With one example per cluster it is exactly the paired
    t-test (variance s^2 / n, n - 1 degrees of freedom): the independent design is the special case.
    Needs at least two clusters.
    """
    _check_paired("clustered_compare", baseline, candidate)
    _check_codes("clustered_compare", clusters, baseline.size, "cluster")
    n = baseline.size
    raw = candidate - baseline
    delta = float(raw.mean())
    totals, _ = _cluster_totals(raw - delta, clusters)
    g = totals.size
    if g < 2:
        raise ValueError(
            "clustered_compare needs at least two clusters (one says nothing about between-cluster variation)"
        )
    variance = g / (g - 1) * float(np.sum(totals**2)) / n**2
    se = math.sqrt(variance)
    iid = float(raw.var(ddof=1)) / n if n > 1 else 0.0
    df = float(g - 1)
    low, high = _interval(delta, se, df, confidence)
    sign = 1.0 if higher_is_better else -1.0
    return ClusteredResult(
        baseline_mean=float(baseline.mean()),
        candidate_mean=float(candidate.mean()),
        delta=delta,
        se=se,
        df=df,
        higher_is_better=higher_is_better,
        confidence=confidence,
        ci_low=low,
        ci_high=high,
        ci_method="cluster-robust t",
        test="cluster-robust t (CR1)",
        margin=margin,
        n=n,
        n_clusters=g,
        design_effect=variance / iid if iid > 0 else 1.0,
        worse_count=int(np.count_nonzero(raw * sign < 0)),
        better_count=int(np.count_nonzero(raw * sign > 0)),
        binary=is_binary(baseline) and is_binary(candidate),
    )


def cluster_bootstrap_interval(
    diff: FloatArray, clusters: IntArray, *, resamples: int, confidence: float, rng: np.random.Generator
) -> tuple[float, float]:
    """Percentile interval of mean(diff) under the cluster bootstrap: whole clusters are resampled.

    Each resample draws G clusters with replacement and takes the ratio of their summed differences to
    their summed sizes, so a resample keeps the correlation inside a cluster (Davison & Hinkley 1997,
    "Bootstrap Methods and their Application", on hierarchical data; Field & Welsh 2007, "Bootstrapping
    clustered data"; Cameron & Miller 2015, the pairs cluster bootstrap). Drawn as multinomial counts
    over clusters: the same distribution at O(G) per resample.
    """
    if diff.ndim != 1 or diff.size == 0:
        raise ValueError(f"cluster_bootstrap_interval needs a non-empty 1-d array, got shape {diff.shape}")
    _check_codes("cluster_bootstrap_interval", clusters, diff.size, "cluster")
    if resamples < 1:
        raise ValueError(f"cluster_bootstrap_interval needs resamples >= 1, got {resamples}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    totals, sizes = _cluster_totals(diff, clusters)
    g = totals.size
    means = np.empty(resamples)
    per_chunk = max(1, _CHUNK // g)
    uniform = np.full(g, 1.0 / g)
    for start in range(0, resamples, per_chunk):
        stop = min(resamples, start + per_chunk)
        counts = rng.multinomial(g, uniform, size=stop - start)
        means[start:stop] = (counts @ totals) / (counts @ sizes)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1 - tail])
    return float(low), float(high)


def cluster_sign_flip_test(
    diff: FloatArray, clusters: IntArray, *, resamples: int, rng: np.random.Generator
) -> tuple[float, float]:
    """One-sided p-values (p_worse, p_better) of the cluster sign-flip test; `diff` positive = better.

    Under "no change" the baseline and candidate answers of a cluster are exchangeable, so each cluster
    total of the differences is as likely to have either sign; the p-value is the share of the 2^G sign
    patterns whose total is at least as extreme (Fisher 1935, the randomization test; with the null
    imposed and Rademacher weights it is the wild cluster bootstrap of Cameron, Gelbach & Miller 2008).
    Exact when at most 16 clusters have a non-zero total, otherwise `resamples` random patterns with the
    add-one estimate (Phipson & Smyth 2010). With one example per cluster and 0/1 scores it is the exact
    McNemar test. Valid with few clusters, where the cluster-robust t-test over-rejects.
    """
    if diff.ndim != 1 or diff.size == 0:
        raise ValueError(f"cluster_sign_flip_test needs a non-empty 1-d array, got shape {diff.shape}")
    _check_codes("cluster_sign_flip_test", clusters, diff.size, "cluster")
    totals, _ = _cluster_totals(diff, clusters)
    active = totals[totals != 0.0]
    observed = float(active.sum())
    tolerance = 1e-9 * max(1.0, float(np.abs(active).sum()))
    if active.size == 0:
        return 1.0, 1.0
    if active.size <= EXACT_SIGN_FLIP_MAX:
        signs = np.array(list(product((1.0, -1.0), repeat=active.size)))
        flipped = signs @ active
        p_worse = float(np.mean(flipped <= observed + tolerance))
        p_better = float(np.mean(flipped >= observed - tolerance))
        return p_worse, p_better
    if resamples < 1:
        raise ValueError(f"cluster_sign_flip_test needs resamples >= 1 for {active.size} clusters")
    worse_hits = better_hits = 0
    per_chunk = max(1, _CHUNK // active.size)
    for start in range(0, resamples, per_chunk):
        stop = min(resamples, start + per_chunk)
        signs = rng.integers(0, 2, size=(stop - start, active.size)) * 2.0 - 1.0
        flipped = signs @ active
        worse_hits += int(np.count_nonzero(flipped <= observed + tolerance))
        better_hits += int(np.count_nonzero(flipped >= observed - tolerance))
    return (worse_hits + 1) / (resamples + 1), (better_hits + 1) / (resamples + 1)


# --- repeated samples ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RepeatedResult(DesignResult):
    """A paired comparison of per-example means over repeated samples (K_i repeats, possibly unequal).

    Var(d_i) splits into `question_variance` (how much the true change differs between examples) and
    the sampling part: `sampling_variance_baseline` / `_candidate` are the variances of ONE sample of one
    example around its own mean (pooled within-example variance), None for a side sampled once per
    example. `repeats_baseline` / `repeats_candidate` are the mean number of samples per example.
    """

    n: int
    repeats_baseline: float
    repeats_candidate: float
    question_variance: float
    sampling_variance_baseline: float | None
    sampling_variance_candidate: float | None
    worse_count: int
    better_count: int
    binary: bool

    def projected_se(self, *, examples: int, repeats: float) -> float:
        """The standard error with `examples` examples each sampled `repeats` times on both sides.

        Miller (2024, on resampling answers K times):
        Var(mean d) = (question variance + sampling variance / K) / n. More repeats shrink only the
        second term; more examples shrink both. A side sampled once counts its sampling variance as
        question variance (it cannot be told apart), so for it more repeats buy nothing visible.
        """
        if examples < 1 or repeats <= 0:
            raise ValueError(f"projected_se needs examples >= 1 and repeats > 0, got {examples}, {repeats}")
        sampling = (self.sampling_variance_baseline or 0.0) + (self.sampling_variance_candidate or 0.0)
        return math.sqrt((self.question_variance + sampling / repeats) / examples)

    def projected_detectable_drop(
        self, *, alpha: float, power: float = 0.8, examples: int, repeats: float
    ) -> float:
        """`detectable_drop` for an eval of `examples` examples sampled `repeats` times per side."""
        df = float(max(examples - 1, 1))
        z = t_quantile(1 - alpha, df=df) + t_quantile(power, df=df)
        return z * self.projected_se(examples=examples, repeats=repeats)


def _per_example(
    scores: FloatArray, codes: IntArray, n: int, side: str
) -> tuple[FloatArray, FloatArray, float | None]:
    """Per-example means and sample counts, and the pooled within-example variance (None if all K = 1)."""
    _check_codes("repeated_compare", codes, scores.size, f"{side} example")
    if scores.ndim != 1:
        raise ValueError(f"repeated_compare needs 1-d {side} scores, got shape {scores.shape}")
    if codes.size and (int(codes.min()) < 0 or int(codes.max()) >= n):
        raise ValueError(f"repeated_compare: {side} example codes must lie in 0..{n - 1}")
    counts = np.bincount(codes, minlength=n).astype(np.float64)
    if np.any(counts == 0):
        missing = int(np.flatnonzero(counts == 0)[0])
        raise ValueError(f"repeated_compare: example {missing} has no {side} score")
    means = np.bincount(codes, weights=scores, minlength=n) / counts
    squares = np.bincount(codes, weights=(scores - means[codes]) ** 2, minlength=n)
    dof = float(np.sum(counts - 1))
    pooled = float(squares.sum()) / dof if dof > 0 else None
    return means, counts, pooled


def repeated_compare(
    baseline: FloatArray,
    baseline_example: IntArray,
    candidate: FloatArray,
    candidate_example: IntArray,
    *,
    n_examples: int,
    higher_is_better: bool,
    confidence: float,
    margin: float = 0.0,
) -> RepeatedResult:
    """Compare two runs that scored each example one or more times; `*_example` codes are 0..n_examples-1.

    Each example's scores are averaged per side and the paired t-test runs on the n per-example mean
    differences, so the test counts examples, not samples: K samples of one question are not K
    independent questions (Miller 2024, on resampling answers). Its variance is estimated directly
    from the n differences, so it holds whatever the mix of question and sampling variance, and for
    unequal K. The split of that variance is reported for the power note: the one-way random-effects
    method of moments (Searle, Casella & McCulloch 1992, "Variance Components", the one-way
    classification), where the pooled within-example variance is the sampling part and the rest of
    Var(d_i) the question part.

    When every example has one score on each side this is the paired t-test on the differences; for
    0/1 scores use `stats.paired_compare` then (the exact McNemar test).
    """
    if n_examples < 2:
        raise ValueError(f"repeated_compare needs at least two examples, got {n_examples}")
    b_means, b_counts, b_pooled = _per_example(baseline, baseline_example, n_examples, "baseline")
    c_means, c_counts, c_pooled = _per_example(candidate, candidate_example, n_examples, "candidate")
    diff = c_means - b_means
    n = n_examples
    delta = float(diff.mean())
    total_var = float(diff.var(ddof=1))
    sampling = (b_pooled or 0.0) * float(np.mean(1.0 / b_counts)) + (c_pooled or 0.0) * float(
        np.mean(1.0 / c_counts)
    )
    se = math.sqrt(total_var / n)
    df = float(n - 1)
    low, high = _interval(delta, se, df, confidence)
    sign = 1.0 if higher_is_better else -1.0
    return RepeatedResult(
        baseline_mean=float(b_means.mean()),
        candidate_mean=float(c_means.mean()),
        delta=delta,
        se=se,
        df=df,
        higher_is_better=higher_is_better,
        confidence=confidence,
        ci_low=low,
        ci_high=high,
        ci_method="t on per-example means",
        test="paired t on per-example means",
        margin=margin,
        n=n,
        repeats_baseline=float(b_counts.mean()),
        repeats_candidate=float(c_counts.mean()),
        question_variance=max(0.0, total_var - sampling),
        sampling_variance_baseline=b_pooled,
        sampling_variance_candidate=c_pooled,
        worse_count=int(np.count_nonzero(diff * sign < 0)),
        better_count=int(np.count_nonzero(diff * sign > 0)),
        binary=is_binary(baseline) and is_binary(candidate),
    )


def flaky_examples(
    scores: FloatArray, codes: IntArray, *, n_examples: int, tolerance: float = 0.0
) -> npt.NDArray[np.intp]:
    """The examples (ascending codes) sampled at least twice whose scores disagree with each other.

    An example is flaky when the spread of its own repeats (max - min) exceeds `tolerance`: for 0/1
    scores, one repeat right and another wrong. Run on the baseline, these are the examples where a
    flip in the candidate says nothing about the change.
    """
    if scores.ndim != 1:
        raise ValueError(f"flaky_examples needs 1-d scores, got shape {scores.shape}")
    _check_codes("flaky_examples", codes, scores.size, "example")
    if codes.size and (int(codes.min()) < 0 or int(codes.max()) >= n_examples):
        raise ValueError(f"flaky_examples: example codes must lie in 0..{n_examples - 1}")
    low = np.full(n_examples, np.inf)
    high = np.full(n_examples, -np.inf)
    np.minimum.at(low, codes, scores)
    np.maximum.at(high, codes, scores)
    counts = np.bincount(codes, minlength=n_examples)
    return np.flatnonzero((counts >= 2) & (high - low > tolerance))


# --- aggregate values with reported standard errors ----------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AggregateResult(DesignResult):
    """Two runs' aggregate values compared with the standard errors their harness reported."""

    baseline_se: float
    candidate_se: float


def aggregate_compare(
    baseline: float,
    candidate: float,
    *,
    baseline_se: float,
    candidate_se: float,
    higher_is_better: bool,
    confidence: float,
    margin: float = 0.0,
) -> AggregateResult:
    """z-test of the difference of two aggregates from their standard errors, as independent runs.

    se = sqrt(se_baseline^2 + se_candidate^2), the normal distribution (Miller 2024, on unpaired
    differences). The two runs usually answered the same questions, so their scores are
    positively correlated and the paired variance se_b^2 + se_c^2 - 2 cov is smaller: without the
    per-example scores the covariance is unknown, and leaving it out overstates the standard error,
    which errs towards fewer false alarms and less power (Miller 2024, on paired differences).
    """
    values = (baseline, candidate, baseline_se, candidate_se)
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"aggregate_compare needs finite values and standard errors, got {values}")
    if baseline_se < 0 or candidate_se < 0:
        raise ValueError(f"standard errors must be >= 0, got {baseline_se} and {candidate_se}")
    delta = candidate - baseline
    se = math.hypot(baseline_se, candidate_se)
    low, high = _interval(delta, se, math.inf, confidence)
    return AggregateResult(
        baseline_mean=baseline,
        candidate_mean=candidate,
        delta=delta,
        se=se,
        df=math.inf,
        higher_is_better=higher_is_better,
        confidence=confidence,
        ci_low=low,
        ci_high=high,
        ci_method="normal",
        test="z-test on reported standard errors",
        margin=margin,
        baseline_se=baseline_se,
        candidate_se=candidate_se,
    )


# --- paired proportions: Tango's score test and interval, Newcombe's interval ---------------------


def _check_table(name: str, *counts: int) -> None:
    if any(c < 0 for c in counts):
        raise ValueError(f"{name} needs counts >= 0, got {counts}")


def tango_z(down: int, up: int, n: int, *, delta0: float) -> float:
    """Tango's score statistic for H0: (p_up - p_down) = delta0 on n paired 0/1 scores.

    `down` examples went 1 -> 0, `up` went 0 -> 1; the change of the mean is (up - down) / n. The
    variance is evaluated at the maximum-likelihood estimate restricted to the null (Tango 1998,
    "Equivalence test and confidence interval for the difference in proportions for the paired-sample
    design", Statistics in Medicine 17:891-908): with W = -up - down + (2n - up + down) delta0,

        p~_down = (sqrt(W^2 + 8 n down delta0 (1 - delta0)) - W) / (4 n)
        Z = (up - down - n delta0) / sqrt(n (2 p~_down + delta0 (1 - delta0)))

    At delta0 = 0 this is McNemar's statistic (up - down) / sqrt(up + down). Z decreases in delta0.
    """
    _check_table("tango_z", down, up, n)
    if down + up > n or n == 0:
        raise ValueError(f"tango_z needs down + up <= n and n > 0, got {down}, {up}, {n}")
    if not -1.0 <= delta0 <= 1.0:
        raise ValueError(f"tango_z needs -1 <= delta0 <= 1, got {delta0}")
    w = -up - down + (2 * n - up + down) * delta0
    p_down = (math.sqrt(max(0.0, w * w + 8.0 * n * down * delta0 * (1.0 - delta0))) - w) / (4.0 * n)
    numerator = up - down - n * delta0
    variance = n * (2.0 * p_down + delta0 * (1.0 - delta0))
    if variance <= 0.0:
        if numerator == 0:
            return 0.0
        return math.copysign(math.inf, numerator)
    return numerator / math.sqrt(variance)


def tango_p(down: int, up: int, n: int, *, delta0: float, alternative: Literal["greater", "less"]) -> float:
    """One-sided p of Tango's score test: H1 change > delta0 (`greater`) or change < delta0 (`less`)."""
    z = tango_z(down, up, n, delta0=delta0)
    return 1.0 - _STD_NORMAL.cdf(z) if alternative == "greater" else _STD_NORMAL.cdf(z)


def tango_interval(down: int, up: int, n: int, *, confidence: float) -> tuple[float, float]:
    """Tango's score interval for the change of a paired proportion, (up - down) / n.

    The set of delta0 that Tango's two-sided score test does not reject (Tango 1998), found by
    bisection (Z decreases in delta0). It is never empty or zero-width: with nothing flipped on n
    examples it still has width of order 1/n. Because Z(0) is McNemar's statistic, 0 is inside the
    interval exactly when the asymptotic McNemar test does not reject at (1 - confidence) / 2 per side.
    The exact test is more conservative, so at the edge (a handful of flips, all one way) the interval
    can exclude 0 while the exact test does not reject.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    _check_table("tango_interval", down, up, n)
    if n == 0 or down + up > n:
        raise ValueError(f"tango_interval needs down + up <= n and n > 0, got {down}, {up}, {n}")
    z = _STD_NORMAL.inv_cdf(1 - (1 - confidence) / 2)
    estimate = (up - down) / n

    def root(lo: float, hi: float, target: float) -> float:
        # the boundary where Z crosses `target`; Z(lo) > target >= Z(hi)
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if tango_z(down, up, n, delta0=mid) > target:
                lo = mid
            else:
                hi = mid
            if hi - lo <= 1e-15:
                break
        return 0.5 * (lo + hi)

    low = -1.0 if estimate == -1.0 else root(-1.0, estimate, z)
    high = 1.0 if estimate == 1.0 else root(estimate, 1.0, -z)
    return low, high


def _wilson(successes: int, n: int, z: float) -> tuple[float, float]:
    """Wilson's (1927) score interval for one proportion."""
    p = successes / n
    centre = 2 * n * p + z * z
    spread = z * math.sqrt(z * z + 4 * n * p * (1 - p))
    denominator = 2 * (n + z * z)
    return (centre - spread) / denominator, (centre + spread) / denominator


def newcombe_interval(
    both_one: int, down: int, up: int, both_zero: int, *, confidence: float
) -> tuple[float, float]:
    """Newcombe's method 10 interval for the change of a paired proportion, (up - down) / n.

    The square-and-add (hybrid score) interval: Wilson intervals for the candidate's and baseline's
    proportions combined with their estimated correlation phi (Newcombe 1998, "Improved confidence
    intervals for the difference between binomial proportions based on paired data", Statistics in
    Medicine 17:2635-2650, method 10), phi = (ad - bc) / sqrt(product of the margins) with ad - bc
    lowered by n/2 (to no less than 0) when positive, and 0 when a margin is empty. Closed form.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    _check_table("newcombe_interval", both_one, down, up, both_zero)
    n = both_one + down + up + both_zero
    if n == 0:
        raise ValueError("newcombe_interval needs at least one example")
    z = _STD_NORMAL.inv_cdf(1 - (1 - confidence) / 2)
    cand_ones, base_ones = both_one + up, both_one + down
    p_cand, p_base = cand_ones / n, base_ones / n
    l_cand, u_cand = _wilson(cand_ones, n, z)
    l_base, u_base = _wilson(base_ones, n, z)
    margins = float(cand_ones) * (n - cand_ones) * base_ones * (n - base_ones)
    cross = float(both_one * both_zero - up * down)
    # Newcombe's correction of phi: a positive cross product is reduced by n/2 (not below 0)
    if cross > 0:
        cross = max(0.0, cross - n / 2)
    phi = cross / math.sqrt(margins) if margins > 0 else 0.0
    estimate = p_cand - p_base
    lower_gap = math.sqrt(
        max(
            0.0,
            (p_cand - l_cand) ** 2 - 2 * phi * (p_cand - l_cand) * (u_base - p_base) + (u_base - p_base) ** 2,
        )
    )
    upper_gap = math.sqrt(
        max(
            0.0,
            (u_cand - p_cand) ** 2 - 2 * phi * (u_cand - p_cand) * (p_base - l_base) + (p_base - l_base) ** 2,
        )
    )
    return max(-1.0, estimate - lower_gap), min(1.0, estimate + upper_gap)


def _table(baseline: FloatArray, candidate: FloatArray) -> tuple[int, int, int, int]:
    if not (is_binary(baseline) and is_binary(candidate)):
        raise ValueError("paired proportions need 0/1 scores on both sides")
    both_one = int(np.count_nonzero((baseline == 1) & (candidate == 1)))
    down = int(np.count_nonzero((baseline == 1) & (candidate == 0)))
    up = int(np.count_nonzero((baseline == 0) & (candidate == 1)))
    return both_one, down, up, baseline.size - both_one - down - up


def paired_proportion_interval(
    baseline: FloatArray,
    candidate: FloatArray,
    *,
    confidence: float,
    method: Literal["tango", "newcombe"] = "newcombe",
) -> tuple[float, float]:
    """Interval of mean(candidate) - mean(baseline) for aligned 0/1 scores: Newcombe's or Tango's.

    Both have close to nominal coverage where the percentile bootstrap is far too narrow (few flips),
    and neither is zero-width when nothing flipped (Newcombe 1998; Fagerland, Lydersen & Laake 2014,
    "Recommended tests and confidence intervals for paired binomial proportions"). Newcombe's is the
    default because it sides with the exact McNemar test more often where the two can disagree: on the
    demo's 115 examples with 4 flips to better and none to worse (exact one-sided p 0.0625) it includes
    0, while Tango's, the inversion of the asymptotic McNemar test (z = 2.0), starts just above it.
    """
    _check_paired("paired_proportion_interval", baseline, candidate)
    both_one, down, up, both_zero = _table(baseline, candidate)
    if method == "tango":
        return tango_interval(down, up, baseline.size, confidence=confidence)
    if method == "newcombe":
        return newcombe_interval(both_one, down, up, both_zero, confidence=confidence)
    raise ValueError(f"unknown paired proportion interval {method!r}")


# --- equivalence and superiority on paired arrays ------------------------------------------------


def equivalence_test(baseline: FloatArray, candidate: FloatArray, *, margin: float) -> MarginTest:
    """Two one-sided tests that |mean(candidate - baseline)| < margin on aligned paired scores.

    Equivalence is shown when both "change > -margin" and "change < +margin" are shown at level alpha;
    `p` is the larger of the two one-sided p-values (Schuirmann 1987, "A comparison of the two one-sided
    tests procedure and the power approach for assessing the equivalence of average bioavailability").
    0/1 scores use Tango's score test at +-margin (Tango 1998, which introduced it for exactly this);
    continuous ones the paired t-test shifted by +-margin. Direction does not matter for equivalence.
    """
    _check_paired("equivalence_test", baseline, candidate)
    if margin <= 0:
        raise ValueError(f"an equivalence margin must be > 0, got {margin}")
    raw = candidate - baseline
    if is_binary(baseline) and is_binary(candidate):
        _, down, up, _ = _table(baseline, candidate)
        n = baseline.size
        above = tango_p(down, up, n, delta0=-margin, alternative="greater")
        below = tango_p(down, up, n, delta0=margin, alternative="less")
        test = "Tango score TOST"
    else:
        above = paired_t(raw, shift=margin)[1]
        below = paired_t(raw, shift=-margin)[0]
        test = "paired-t TOST"
    return MarginTest(
        claim="equivalent",
        test=test,
        margin=margin,
        delta=float(raw.mean()),
        p=max(above, below),
        parts=(above, below),
    )


def superiority_test(
    baseline: FloatArray, candidate: FloatArray, *, higher_is_better: bool, margin: float = 0.0
) -> MarginTest:
    """One-sided test that the candidate is better than the baseline by more than `margin` (>= 0).

    0/1 scores: the exact McNemar test when margin is 0 (the same test the gate runs for a drop), Tango's
    score test at +margin otherwise (Tango 1998). Continuous scores: the paired t-test of mean change >
    margin in the metric's good direction.
    """
    _check_paired("superiority_test", baseline, candidate)
    if margin < 0:
        raise ValueError(f"superiority margin must be >= 0, got {margin}")
    sign = 1.0 if higher_is_better else -1.0
    oriented = (candidate - baseline) * sign
    if is_binary(baseline) and is_binary(candidate):
        worse = int(np.count_nonzero(oriented < 0))
        better = int(np.count_nonzero(oriented > 0))
        if margin == 0:
            p = mcnemar_exact(worse, better)[1]
            test = "mcnemar-exact"
        else:
            p = tango_p(worse, better, baseline.size, delta0=margin, alternative="greater")
            test = "Tango score test"
    else:
        p = paired_t(oriented, shift=-margin)[1]
        test = "paired-t"
    return MarginTest(
        claim="superior",
        test=test,
        margin=margin,
        delta=float((candidate - baseline).mean()),
        p=p,
        parts=(p,),
    )


def noninferiority_test(
    baseline: FloatArray, candidate: FloatArray, *, higher_is_better: bool, margin: float
) -> MarginTest:
    """One-sided test that the change is better than -margin (any drop is smaller than `margin`).

    0/1 scores: Tango's score test at -margin (Tango 1998; the restricted-MLE variance keeps an eval
    where nothing flipped from looking certain, without the variance floor `stats.noninferiority_binary`
    needs). Continuous scores: the paired t-test of mean change > -margin.
    """
    _check_paired("noninferiority_test", baseline, candidate)
    if margin <= 0:
        raise ValueError(f"a non-inferiority margin must be > 0, got {margin}")
    sign = 1.0 if higher_is_better else -1.0
    oriented = (candidate - baseline) * sign
    if is_binary(baseline) and is_binary(candidate):
        worse = int(np.count_nonzero(oriented < 0))
        better = int(np.count_nonzero(oriented > 0))
        p = tango_p(worse, better, baseline.size, delta0=-margin, alternative="greater")
        test = "Tango score test"
    else:
        p = paired_t(oriented, shift=margin)[1]
        test = "paired-t"
    return MarginTest(
        claim="non-inferior",
        test=test,
        margin=margin,
        delta=float((candidate - baseline).mean()),
        p=p,
        parts=(p,),
    )


# --- several alphas in one family ----------------------------------------------------------------


def _weights(pvalues: FloatArray, weights: FloatArray) -> FloatArray:
    if pvalues.ndim != 1 or weights.shape != pvalues.shape:
        raise ValueError(f"weights must match the p-values, got {weights.shape} for {pvalues.shape}")
    if np.any(weights < 0) or not np.all(np.isfinite(weights)):
        raise ValueError("weights must be finite and >= 0")
    if pvalues.size and float(weights.sum()) <= 0:
        raise ValueError("at least one weight must be > 0")
    return np.asarray(weights, dtype=np.float64)


def weighted_holm(pvalues: FloatArray, *, weights: FloatArray) -> FloatArray:
    """Adjusted p-values of Holm's weighted step-down procedure; reject where adjusted <= family alpha.

    With weights w (normalised to sum 1), hypotheses are taken in increasing p_i / w_i; the one in turn
    is rejected when p_i <= alpha * w_i / (sum of the weights not yet rejected), and the procedure
    stops at the first it cannot reject (Holm 1979, "A simple sequentially rejective multiple test
    procedure", its weighted version). It controls the family-wise error rate at alpha under
    any dependence. Equal weights give `stats.holm`; a zero weight is never rejected (adjusted 1).
    """
    w = _weights(pvalues, weights)
    m = pvalues.size
    adjusted = np.ones(m)
    positive = np.flatnonzero(w > 0)
    if positive.size == 0:
        return adjusted
    w_pos = w[positive] / w[positive].sum()
    p_pos = pvalues[positive]
    order = np.argsort(p_pos / w_pos, kind="stable")
    remaining = np.cumsum(w_pos[order][::-1])[::-1]
    stepped = np.maximum.accumulate(p_pos[order] * remaining / w_pos[order])
    adjusted[positive[order]] = np.minimum(stepped, 1.0)
    return adjusted


def weighted_benjamini_hochberg(pvalues: FloatArray, *, weights: FloatArray) -> FloatArray:
    """Adjusted p-values of the weighted Benjamini-Hochberg procedure; reject where adjusted <= q.

    The weights are normalised to average 1 and BH runs on p_i / w_i (Genovese, Roeder & Wasserman 2006,
    "False discovery control with p-value weighting", Biometrika 93:509-524): the false discovery rate
    stays at most q under independence or positive dependence. Equal weights give BH.
    """
    w = _weights(pvalues, weights)
    m = pvalues.size
    if m == 0:
        return np.array(pvalues, dtype=np.float64)
    w = w * m / w.sum()
    scaled = np.where(w > 0, pvalues / np.where(w > 0, w, 1.0), np.inf)
    return benjamini_hochberg(scaled)


def adjust_by_alpha(pvalues: FloatArray, *, alphas: FloatArray, method: str) -> FloatArray:
    """Adjust one family whose tests have their own alphas; test i is rejected where adjusted_i <= alpha_i.

    The family's level is its largest alpha, A, and each test's weight is its alpha (Holm 1979's
    weighted procedure for `holm`, Genovese et al. 2006 for `bh`):

    - `holm`: reject i when weighted Holm (weights alpha_i) rejects it at level A AND p_i <= alpha_i. A
      subset of a procedure that controls the family-wise error rate at A, so the chance of any false
      alarm in the family is at most A, and no test's own false-alarm rate exceeds its alpha_i. Returned
      as adjusted_i = max(holm_i * alpha_i / A, p_i).
    - `bh`: weighted BH at level A with weights alpha_i, returned as adjusted_i = bh_i * alpha_i / A.
    - `none`: the raw p-values.

    With one alpha for every test this is exactly `stats.adjust(pvalues, method)`.
    """
    if pvalues.ndim != 1 or alphas.shape != pvalues.shape:
        raise ValueError(f"alphas must match the p-values, got {alphas.shape} for {pvalues.shape}")
    if np.any((alphas <= 0) | (alphas >= 1)):
        raise ValueError("every alpha must be between 0 and 1")
    if method == "none" or pvalues.size == 0:
        return np.array(pvalues, dtype=np.float64)
    level = float(alphas.max())
    if method == "holm":
        holm = weighted_holm(pvalues, weights=alphas)
        return np.minimum(np.maximum(holm * alphas / level, pvalues), 1.0)
    if method == "bh":
        return np.minimum(weighted_benjamini_hochberg(pvalues, weights=alphas) * alphas / level, 1.0)
    raise ValueError(f"unknown correction {method!r}")


# --- could the test have failed at all -----------------------------------------------------------


def min_p_exact_mcnemar(can_worsen: int) -> float:
    """The smallest one-sided exact McNemar p when `can_worsen` examples could flip to worse: 0.5^k.

    Reached when every one of them flips and none improves. If it is not below alpha, no outcome of the
    eval could have been a significant drop: 4 examples at 100% going to 0% give 0.0625.
    """
    if can_worsen < 0:
        raise ValueError(f"can_worsen must be >= 0, got {can_worsen}")
    return 0.5**can_worsen


def worst_case_p(
    baseline: FloatArray,
    *,
    higher_is_better: bool,
    worst: float | None,
    clusters: IntArray | None = None,
) -> float:
    """The gate's one-sided p_worse if every example fell to the worst score its scale allows.

    `worst` is that score (0 for 0/1 accuracy, 1 for a 0/1 error rate, the bound of a bounded metric) or
    None for an unbounded one. The test is the one gatebot runs for the design: exact McNemar for 0/1
    scores, the paired t-test for continuous ones, the cluster-robust t-test with `clusters`. When this
    is not below alpha the test could not have failed, whatever the candidate did, and a pass says
    nothing. Unbounded metrics: 0 with at least two examples (and two clusters), else 1.
    """
    if baseline.ndim != 1 or baseline.size == 0:
        raise ValueError(f"worst_case_p needs a non-empty 1-d array, got shape {baseline.shape}")
    if clusters is not None:
        _check_codes("worst_case_p", clusters, baseline.size, "cluster")
    n_clusters = baseline.size if clusters is None else int(np.unique(clusters).size)
    if worst is None:
        return 0.0 if baseline.size >= 2 and n_clusters >= 2 else 1.0
    candidate = np.full(baseline.size, worst, dtype=np.float64)
    sign = 1.0 if higher_is_better else -1.0
    if np.any((candidate - baseline) * sign > 0):
        raise ValueError(f"worst score {worst} is better than some baseline scores")
    if clusters is None:
        if is_binary(baseline) and worst in (0.0, 1.0):
            return min_p_exact_mcnemar(int(np.count_nonzero(baseline != worst)))
        return paired_t((candidate - baseline) * sign)[0]
    if n_clusters < 2:
        return 1.0
    result = clustered_compare(
        baseline, candidate, clusters, higher_is_better=higher_is_better, confidence=0.95
    )
    return result.p_worse


def noninferiority_p_unchanged(n: int, *, margin: float) -> float:
    """The non-inferiority p (`noninferiority_test`, 0/1 scores) of a candidate identical to its baseline.

    Tango's score test at -margin with nothing flipped on n examples. When it is not below alpha, the n
    examples cannot show non-inferiority even for an unchanged model: not being shown is then no
    evidence of a drop (250 examples at margin 0.005 give about 0.13).
    """
    if n < 1:
        raise ValueError(f"noninferiority_p_unchanged needs n >= 1, got {n}")
    if not 0 < margin < 1:
        raise ValueError(f"a non-inferiority margin must be between 0 and 1, got {margin}")
    return tango_p(0, 0, n, delta0=-margin, alternative="greater")
