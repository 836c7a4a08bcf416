"""Paired statistics for comparing two runs of one evaluation, example by example.

Why paired: the baseline and the candidate answered the same examples. Most of the variance of a score
comes from which examples are hard, and that is shared by both runs; comparing the two runs example by
example (the difference d_i = candidate_i - baseline_i) removes it, so a paired test sees a 2-point drop
that an unpaired one would call noise (Dietterich 1998, "Approximate statistical tests for comparing
supervised classification learning algorithms"; Dror et al. 2018, "The hitchhiker's guide to testing
statistical significance in NLP").

- 0/1 scores: the exact McNemar test, a binomial test on the discordant pairs (McNemar 1947). Only the
  examples that flipped carry information; b flipped to worse, c to better, and under no change each
  flip is a fair coin.
- Continuous scores: the paired t-test on d (Student 1908), valid for the sample sizes gatebot gates on
  (slices below `min_slice_size` never gate).
- Confidence interval of the mean difference: the paired percentile bootstrap (Efron & Tibshirani 1993),
  resampling examples, not runs. When d takes few distinct values (always for 0/1 scores) the resample
  is drawn as multinomial counts over those values, which is the same distribution at O(values) cost
  instead of O(examples). When examples x resamples exceeds a budget and d is continuous, the interval
  is the normal one (the bootstrap distribution of a mean of that many values is normal to well within
  its own Monte Carlo error); `PairedResult.ci_method` says which was used.
- Many slices and metrics are tested at once, so p-values are adjusted: Holm (1979) controls the chance
  of any false alarm; Benjamini & Hochberg (1995) the expected share of false alarms.

Tests are one-sided, in the metric's bad direction for the gate and its good direction for "improved":
the gate asks "did it get worse?", and a one-sided test at level alpha answers exactly that.

Everything here is a pure function of numpy arrays; randomness comes from an explicit Generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

_STD_NORMAL = NormalDist()
_COUNTS_MAX_VALUES = 64
_BOOTSTRAP_BUDGET = 20_000_000
_CHUNK = 2_000_000


@dataclass(frozen=True)
class PairedResult:
    """A paired comparison of one metric on n examples, oriented so that positive d is better.

    `delta`, `ci_low`, `ci_high` are in the metric's own units (candidate minus baseline).
    `p_worse` is the one-sided p-value for "the candidate is worse", `p_better` for "better".
    """

    n: int
    baseline_mean: float
    candidate_mean: float
    delta: float
    ci_low: float
    ci_high: float
    ci_method: str
    p_worse: float
    p_better: float
    test: str
    sd_diff: float
    worse_count: int
    better_count: int
    binary: bool
    p_noninferior: float | None = None
    """With a non-inferiority margin m: the one-sided p-value of "mean change > -m" (small = shown)."""

    def detectable_drop(self, *, alpha: float, power: float = 0.8) -> float:
        """The smallest drop this many examples detect with `power` at one-sided level `alpha`.

        Normal approximation, (z_{1-alpha} + z_{power}) * sd(d) / sqrt(n). For 0/1 scores it is never
        smaller than the drop needed for the exact test to be significant when every flip goes one way
        (k flips with 0.5^k < alpha), so an eval with no observed churn is not called all-seeing.
        """
        if self.n == 0:
            return math.inf
        z = _STD_NORMAL.inv_cdf(1 - alpha) + _STD_NORMAL.inv_cdf(power)
        mde = z * self.sd_diff / math.sqrt(self.n)
        if self.binary:
            k_min = math.ceil(math.log2(1 / alpha))
            mde = max(mde, k_min / self.n)
        return mde


def is_binary(values: FloatArray) -> bool:
    """True when every value is 0 or 1."""
    return bool(np.all((values == 0.0) | (values == 1.0)))


def _log_binom_pmf(n: int) -> FloatArray:
    """log P(X = k) for X ~ Binomial(n, 1/2), k = 0..n, from cumulative log ratios (no lgamma needed)."""
    k = np.arange(1, n + 1, dtype=np.float64)
    log_choose = np.concatenate(([0.0], np.cumsum(np.log((n - k + 1) / k))))
    return log_choose - n * math.log(2.0)


def binom_upper_tail_half(k: int, n: int) -> float:
    """P(X >= k) for X ~ Binomial(n, 1/2), exact."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    log_pmf = _log_binom_pmf(n)[k:]
    top = float(log_pmf.max())
    return float(min(1.0, math.exp(top) * np.exp(log_pmf - top).sum()))


def mcnemar_exact(worse: int, better: int) -> tuple[float, float]:
    """One-sided exact McNemar p-values (p_worse, p_better) from the discordant counts."""
    n = worse + better
    return binom_upper_tail_half(worse, n), binom_upper_tail_half(better, n)


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz; Press et al., ch. 6.4)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 3e-16:
            break
    return h


def regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularized incomplete beta function."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def student_t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with `df` degrees of freedom."""
    if math.isinf(t):
        return 0.0 if t > 0 else 1.0
    tail = 0.5 * regularized_beta(df / 2.0, 0.5, df / (df + t * t))
    return tail if t > 0 else 1.0 - tail


def paired_t(diff: FloatArray, *, shift: float = 0.0) -> tuple[float, float]:
    """One-sided paired t-test p-values (p_worse, p_better) of mean(diff) against `-shift`.

    `diff` is oriented so that positive is better. With `shift` = m > 0, p_worse tests H1: mean < -m,
    which a non-inferiority gate with margin m uses as "not shown to be above -m".
    """
    n = diff.size
    if n < 2:
        return 1.0, 1.0
    mean = float(diff.mean()) + shift
    sd = float(diff.std(ddof=1))
    if sd == 0.0:
        if mean == 0.0:
            return 1.0, 1.0
        return (0.0, 1.0) if mean < 0 else (1.0, 0.0)
    t = mean / (sd / math.sqrt(n))
    return student_t_sf(-t, n - 1), student_t_sf(t, n - 1)


def noninferiority_binary(oriented: FloatArray, *, margin: float) -> float:
    """One-sided p-value of "mean change > -margin" for paired 0/1 scores (changes in -1, 0, 1).

    A z-test whose variance is never below the smallest variance a change can have on the null
    boundary (mean exactly -margin, which needs at least a share `margin` of examples to get worse:
    margin * (1 - margin)), in the spirit of score tests for paired proportions (Nam 1997; Tango 1998).
    Without that floor an eval where nothing flipped would look certain whatever its size.
    """
    n = oriented.size
    if n == 0:
        return 1.0
    variance = max(float(oriented.var(ddof=1)) if n > 1 else 0.0, margin * (1.0 - margin))
    z = (float(oriented.mean()) + margin) / math.sqrt(variance / n)
    return 1.0 - _STD_NORMAL.cdf(z)


def bootstrap_mean_ci(
    diff: FloatArray, *, resamples: int, confidence: float, rng: np.random.Generator
) -> tuple[float, float, str]:
    """Percentile interval of the mean of `diff` under the paired bootstrap: (low, high, method)."""
    n = diff.size
    if n == 0:
        raise ValueError("bootstrap_mean_ci needs at least one difference")
    tail = (1.0 - confidence) / 2.0
    values, counts = np.unique(diff, return_counts=True)
    if values.size == 1:
        v = float(values[0])
        return v, v, "exact"
    if values.size <= _COUNTS_MAX_VALUES:
        draws = rng.multinomial(n, counts / n, size=resamples)
        means = draws @ values / n
        method = "bootstrap"
    elif n * resamples <= _BOOTSTRAP_BUDGET:
        means = np.empty(resamples)
        per_chunk = max(1, _CHUNK // n)
        for start in range(0, resamples, per_chunk):
            stop = min(resamples, start + per_chunk)
            idx = rng.integers(0, n, size=(stop - start, n))
            means[start:stop] = diff[idx].mean(axis=1)
        method = "bootstrap"
    else:
        mean = float(diff.mean())
        half = _STD_NORMAL.inv_cdf(1 - tail) * float(diff.std(ddof=1)) / math.sqrt(n)
        return mean - half, mean + half, "normal"
    low, high = np.quantile(means, [tail, 1 - tail])
    return float(low), float(high), method


def paired_compare(
    baseline: FloatArray,
    candidate: FloatArray,
    *,
    higher_is_better: bool,
    resamples: int,
    confidence: float,
    rng: np.random.Generator,
    margin: float = 0.0,
) -> PairedResult:
    """Compare two aligned score arrays (same examples, same order, no NaN).

    `p_worse`/`p_better` come from the exact McNemar test for 0/1 scores and the paired t-test for
    continuous ones. With `margin` m > 0, `p_noninferior` tests "mean change > -m": the paired t-test
    for continuous scores, `noninferiority_binary` for 0/1 ones; `test` then names that test.
    """
    if baseline.shape != candidate.shape or baseline.ndim != 1:
        raise ValueError(
            f"paired_compare needs two 1-d arrays of one length, got {baseline.shape} and {candidate.shape}"
        )
    n = baseline.size
    if n == 0:
        raise ValueError("paired_compare needs at least one example")
    sign = 1.0 if higher_is_better else -1.0
    raw = candidate - baseline
    oriented = raw * sign
    binary = is_binary(baseline) and is_binary(candidate)
    worse = int(np.count_nonzero(oriented < 0))
    better = int(np.count_nonzero(oriented > 0))
    if binary:
        p_worse, p_better = mcnemar_exact(worse, better)
        test = "mcnemar-exact"
    else:
        p_worse, p_better = paired_t(oriented)
        test = "paired-t"
    p_noninferior = None
    if margin > 0:
        if binary:
            p_noninferior = noninferiority_binary(oriented, margin=margin)
            test = "non-inferiority score test"
        else:
            p_noninferior = paired_t(oriented, shift=margin)[1]
            test = "paired-t non-inferiority"
    low, high, method = bootstrap_mean_ci(raw, resamples=resamples, confidence=confidence, rng=rng)
    return PairedResult(
        n=n,
        baseline_mean=float(baseline.mean()),
        candidate_mean=float(candidate.mean()),
        delta=float(raw.mean()),
        ci_low=low,
        ci_high=high,
        ci_method=method,
        p_worse=p_worse,
        p_better=p_better,
        test=test,
        sd_diff=float(raw.std(ddof=1)) if n > 1 else 0.0,
        worse_count=worse,
        better_count=better,
        binary=binary,
        p_noninferior=p_noninferior,
    )


def holm(pvalues: FloatArray) -> FloatArray:
    """Holm's step-down adjusted p-values (family-wise error rate)."""
    m = pvalues.size
    if m == 0:
        return np.array(pvalues, dtype=np.float64)
    order = np.argsort(pvalues, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * pvalues[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def benjamini_hochberg(pvalues: FloatArray) -> FloatArray:
    """Benjamini-Hochberg step-up adjusted p-values (false discovery rate)."""
    m = pvalues.size
    if m == 0:
        return np.array(pvalues, dtype=np.float64)
    order = np.argsort(pvalues, kind="stable")
    scaled = pvalues[order] * m / np.arange(1, m + 1)
    stepped = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def adjust(pvalues: FloatArray, method: str) -> FloatArray:
    """Adjust a family of p-values by `holm`, `bh` or `none`."""
    if method == "holm":
        return holm(pvalues)
    if method == "bh":
        return benjamini_hochberg(pvalues)
    if method == "none":
        return np.array(pvalues, dtype=np.float64)
    raise ValueError(f"unknown correction {method!r}")


def group_indices(codes: npt.NDArray[np.int32], n_levels: int) -> list[npt.NDArray[np.intp]]:
    """For each level 0..n_levels-1, the positions whose code is that level (one O(n log n) pass)."""
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    bounds = np.searchsorted(sorted_codes, np.arange(n_levels + 1))
    return [order[bounds[i] : bounds[i + 1]] for i in range(n_levels)]
