"""The design statistics against values computed independently.

Reference numbers marked "scipy" or "statsmodels" were computed once with scipy 1.17 / statsmodels 0.15
(neither is a dependency of gatebot or its tests) and are written here as numbers; "published" ones
come from the papers named; the rest are brute-force reimplementations inside the test.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest

from gatebot import stats
from gatebot import stats_designs as sd

# --- distributions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "df", "expected"),
    [
        # scipy.stats.t.ppf(q, df)
        (0.975, 3.0, 3.1824463052837078),
        (0.95, 7.5, 1.8757474792112878),
        (0.001, 2.0, -22.327124770119873),
        (0.8, 29.0, 0.8541919858818557),
        (0.975, math.inf, 1.959963984540054),
    ],
)
def test_t_quantile__matches_scipy(q: float, df: float, expected: float) -> None:
    assert sd.t_quantile(q, df=df) == pytest.approx(expected, rel=1e-10)


# --- clustered examples ----------------------------------------------------------------------------

CLUSTER_BASE = np.array([0.2, 0.5, 0.9, 0.4, 0.7, 0.1, 0.8, 0.6, 0.3, 0.5])
CLUSTER_CAND = np.array([0.1, 0.3, 0.9, 0.5, 0.4, 0.2, 0.6, 0.6, 0.1, 0.2])
CLUSTER_CODES = np.array([5, 5, 5, 9, 9, 2, 2, 2, 2, 7])


def test_clustered_compare__matches_statsmodels_cluster_robust_ols() -> None:
    # statsmodels: OLS(d, ones).fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
    result = sd.clustered_compare(
        CLUSTER_BASE, CLUSTER_CAND, CLUSTER_CODES, higher_is_better=True, confidence=0.95
    )
    assert result.n == 10
    assert result.n_clusters == 4
    assert result.df == 3
    assert result.delta == pytest.approx(-0.11)
    assert result.se == pytest.approx(0.02756809750418043, rel=1e-12)
    assert result.p_worse == pytest.approx(0.028190291328644403 / 2, rel=1e-9)
    assert (result.ci_low, result.ci_high) == pytest.approx(
        (-0.19773399004588, -0.02226600995411997), rel=1e-9
    )
    assert result.design_effect == pytest.approx(
        0.02756809750418043**2 / (np.var(CLUSTER_CAND - CLUSTER_BASE, ddof=1) / 10)
    )
    assert (result.worse_count, result.better_count) == (6, 2)


def test_clustered_compare__ninety_percent_interval__matches_statsmodels() -> None:
    result = sd.clustered_compare(
        CLUSTER_BASE, CLUSTER_CAND, CLUSTER_CODES, higher_is_better=True, confidence=0.90
    )
    assert (result.ci_low, result.ci_high) == pytest.approx(
        (-0.17487775263338962, -0.04512224736661036), rel=1e-9
    )


def test_clustered_compare__one_example_per_cluster__is_the_paired_t_test() -> None:
    # scipy.stats.ttest_rel(cand, base, alternative="less").pvalue
    result = sd.clustered_compare(
        CLUSTER_BASE, CLUSTER_CAND, np.arange(10), higher_is_better=True, confidence=0.95
    )
    assert result.p_worse == pytest.approx(0.024175932147326763, rel=1e-9)
    assert result.p_worse == pytest.approx(stats.paired_t(CLUSTER_CAND - CLUSTER_BASE)[0], rel=1e-12)
    assert result.design_effect == pytest.approx(1.0)


def test_clustered_compare__lower_is_better__worse_is_an_increase() -> None:
    result = sd.clustered_compare(
        CLUSTER_BASE, CLUSTER_CAND, CLUSTER_CODES, higher_is_better=False, confidence=0.95
    )
    assert result.p_better == pytest.approx(0.028190291328644403 / 2, rel=1e-9)
    assert (result.worse_count, result.better_count) == (2, 6)


def test_clustered_compare__detectable_drop__t_quantiles_times_cluster_se() -> None:
    # (scipy t.ppf(0.95, 3) + t.ppf(0.8, 3)) * se
    result = sd.clustered_compare(
        CLUSTER_BASE, CLUSTER_CAND, CLUSTER_CODES, higher_is_better=True, confidence=0.95
    )
    assert result.detectable_drop(alpha=0.05) == pytest.approx(0.09185237274576209, rel=1e-9)


def test_clustered_compare__correlated_null__wider_than_independent_test() -> None:
    rng = np.random.default_rng(4)
    clusters = np.repeat(np.arange(40), 25)
    base = (rng.random(1000) < 0.7).astype(float)
    shift = np.repeat(rng.normal(0, 0.2, 40), 25)
    cand = np.where(rng.random(1000) < 0.3 + np.abs(shift), 1.0 - base, base)
    clustered = sd.clustered_compare(base, cand, clusters, higher_is_better=True, confidence=0.95)
    independent = sd.clustered_compare(base, cand, np.arange(1000), higher_is_better=True, confidence=0.95)
    assert clustered.binary
    assert clustered.se > independent.se
    assert clustered.design_effect > 1.0


def test_clustered_compare__binary_without_churn__detectable_drop_not_zero() -> None:
    same = np.ones(300)
    result = sd.clustered_compare(same, same, np.arange(300) // 10, higher_is_better=True, confidence=0.95)
    assert result.detectable_drop(alpha=0.05) == pytest.approx(5 / 300)


def test_clustered_compare__one_cluster__value_error() -> None:
    with pytest.raises(ValueError, match="at least two clusters"):
        sd.clustered_compare(
            np.zeros(3), np.ones(3), np.zeros(3, dtype=int), higher_is_better=True, confidence=0.95
        )


def test_clustered_compare__float_codes__value_error() -> None:
    with pytest.raises(ValueError, match="integer cluster codes"):
        sd.clustered_compare(np.zeros(3), np.ones(3), np.zeros(3), higher_is_better=True, confidence=0.95)


def test_clustered_compare__codes_of_another_length__value_error() -> None:
    with pytest.raises(ValueError, match="one cluster code per score"):
        sd.clustered_compare(
            np.zeros(3), np.ones(3), np.zeros(2, dtype=int), higher_is_better=True, confidence=0.95
        )


def test_cluster_bootstrap__matches_naive_resampling_of_whole_clusters() -> None:
    rng = np.random.default_rng(8)
    sizes = rng.integers(1, 8, size=30)
    clusters = np.repeat(np.arange(30), sizes)
    diff = np.repeat(rng.normal(0, 0.2, 30), sizes) + rng.normal(0, 0.1, clusters.size)
    low, high = sd.cluster_bootstrap_interval(
        diff, clusters, resamples=4000, confidence=0.95, rng=np.random.default_rng(1)
    )
    naive_rng = np.random.default_rng(2)
    members = [np.flatnonzero(clusters == g) for g in range(30)]
    means = []
    for _ in range(4000):
        picked = naive_rng.integers(0, 30, size=30)
        means.append(float(diff[np.concatenate([members[g] for g in picked])].mean()))
    ref_low, ref_high = np.quantile(means, [0.025, 0.975])
    assert low == pytest.approx(ref_low, abs=0.012)
    assert high == pytest.approx(ref_high, abs=0.012)


def test_cluster_bootstrap__same_seed__same_interval() -> None:
    diff = np.random.default_rng(0).normal(size=200)
    clusters = np.arange(200) // 7
    first = sd.cluster_bootstrap_interval(
        diff, clusters, resamples=300, confidence=0.9, rng=np.random.default_rng(5)
    )
    second = sd.cluster_bootstrap_interval(
        diff, clusters, resamples=300, confidence=0.9, rng=np.random.default_rng(5)
    )
    assert first == second


def test_sign_flip__three_clusters__enumerated_by_hand() -> None:
    # cluster totals 3, -1, 2: the eight sign patterns give 4, 0, 6, 2, -2, -6, 0, -4
    diff = np.array([1.0, 2.0, -1.0, 1.5, 0.5])
    clusters = np.array([0, 0, 1, 2, 2])
    p_worse, p_better = sd.cluster_sign_flip_test(diff, clusters, resamples=0, rng=np.random.default_rng(0))
    assert p_better == pytest.approx(2 / 8)
    assert p_worse == pytest.approx(7 / 8)


def test_sign_flip__singleton_clusters_of_flips__is_exact_mcnemar() -> None:
    diff = np.array([-1.0] * 9 + [1.0] * 2 + [0.0] * 30)
    p_worse, p_better = sd.cluster_sign_flip_test(
        diff, np.arange(diff.size), resamples=0, rng=np.random.default_rng(0)
    )
    assert (p_worse, p_better) == pytest.approx(stats.mcnemar_exact(9, 2), rel=1e-12)


def test_sign_flip__many_clusters__monte_carlo_close_to_exact_distribution() -> None:
    rng = np.random.default_rng(3)
    totals = rng.integers(-3, 5, size=40)
    clusters = np.repeat(np.arange(40), 3)
    diff = np.repeat(totals / 3.0, 3)
    p_worse, p_better = sd.cluster_sign_flip_test(
        diff, clusters, resamples=20_000, rng=np.random.default_rng(9)
    )
    # exact null distribution of sum(sign_g * total_g) by convolution over the integer totals
    offset = int(np.abs(totals).sum())
    dist = np.zeros(2 * offset + 1)
    dist[offset] = 1.0
    for t in totals.tolist():
        if t == 0:
            continue
        dist = 0.5 * (np.roll(dist, t) + np.roll(dist, -t))
    observed = int(totals.sum())
    exact_better = float(dist[observed + offset :].sum())
    exact_worse = float(dist[: observed + offset + 1].sum())
    assert p_better == pytest.approx(exact_better, abs=0.01)
    assert p_worse == pytest.approx(exact_worse, abs=0.01)


# --- repeated samples ------------------------------------------------------------------------------

# five examples; the baseline sampled 3, 2, 3, 1, 2 times, the candidate 2, 3, 1, 3, 2 times
REP_B = np.array([1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1], dtype=float)
REP_BE = np.array([0, 0, 0, 1, 1, 2, 2, 2, 3, 4, 4])
REP_C = np.array([1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0], dtype=float)
REP_CE = np.array([0, 0, 1, 1, 1, 2, 3, 3, 3, 4, 4])


def _repeated(confidence: float = 0.95) -> sd.RepeatedResult:
    return sd.repeated_compare(
        REP_B, REP_BE, REP_C, REP_CE, n_examples=5, higher_is_better=True, confidence=confidence
    )


def test_repeated_compare__paired_t_on_per_example_means__matches_scipy() -> None:
    # per-example means b = [2/3, 1, 0, 1, 1/2], c = [1, 1/3, 0, 1, 0];
    # scipy.stats.ttest_rel(c, b).pvalue = 0.4129543665511485, t.interval(0.95, 4, ...)
    result = _repeated()
    assert result.n == 5
    assert result.delta == pytest.approx((1 / 3 - 2 / 3 + 0 + 0 - 1 / 2) / 5)
    assert result.se == pytest.approx(0.18257418583505536, rel=1e-12)
    assert result.p_worse + result.p_better == pytest.approx(1.0)
    assert 2 * result.p_worse == pytest.approx(0.4129543665511485, rel=1e-9)
    assert (result.ci_low, result.ci_high) == pytest.approx(
        (-0.6735738712638784, 0.34024053793054504), rel=1e-9
    )
    assert (result.repeats_baseline, result.repeats_candidate) == (11 / 5, 11 / 5)


def test_repeated_compare__variance_split__by_hand() -> None:
    # within-example squares: baseline 2/3 + 0 + 0 + 0 + 1/2 over 2+1+2+0+1 dof; candidate 2/3 over 6
    result = _repeated()
    assert result.sampling_variance_baseline == pytest.approx(7 / 36)
    assert result.sampling_variance_candidate == pytest.approx(1 / 9)
    mean_inverse_k = (1 / 3 + 1 / 2 + 1 / 3 + 1 + 1 / 2) / 5
    total = 5 * 0.18257418583505536**2
    assert result.question_variance == pytest.approx(total - (7 / 36 + 1 / 9) * mean_inverse_k)


def test_repeated_compare__balanced__projection_at_current_size_is_the_standard_error() -> None:
    rng = np.random.default_rng(6)
    p = rng.uniform(0.2, 0.8, 200)
    codes = np.repeat(np.arange(200), 4)
    base = (rng.random(800) < p[codes]).astype(float)
    cand = (rng.random(800) < np.clip(p[codes] + 0.05, 0, 1)).astype(float)
    result = sd.repeated_compare(
        base, codes, cand, codes, n_examples=200, higher_is_better=True, confidence=0.95
    )
    if result.question_variance > 0:
        assert result.projected_se(examples=200, repeats=4) == pytest.approx(result.se, rel=1e-12)
    assert result.projected_se(examples=200, repeats=16) < result.se
    assert result.projected_se(examples=800, repeats=4) == pytest.approx(
        result.projected_se(examples=200, repeats=4) / 2, rel=1e-12
    )


def test_repeated_compare__null_with_sampling_noise__recovers_the_variance_split() -> None:
    # p_i ~ U(0.2, 0.8), unchanged: question variance 0, one sample's variance E[p(1-p)] = 0.22
    rng = np.random.default_rng(7)
    n, k = 4000, 4
    p = rng.uniform(0.2, 0.8, n)
    codes = np.repeat(np.arange(n), k)
    base = (rng.random(n * k) < p[codes]).astype(float)
    cand = (rng.random(n * k) < p[codes]).astype(float)
    result = sd.repeated_compare(
        base, codes, cand, codes, n_examples=n, higher_is_better=True, confidence=0.95
    )
    assert result.sampling_variance_baseline == pytest.approx(0.22, abs=0.006)
    assert result.sampling_variance_candidate == pytest.approx(0.22, abs=0.006)
    assert result.question_variance == pytest.approx(0.0, abs=0.01)


def test_repeated_compare__true_change_varies_by_example__question_variance_found() -> None:
    # the candidate moves each example by +-0.15: question variance 0.0225
    rng = np.random.default_rng(8)
    n, k = 4000, 8
    p = rng.uniform(0.3, 0.7, n)
    move = rng.choice([-0.15, 0.15], size=n)
    codes = np.repeat(np.arange(n), k)
    base = (rng.random(n * k) < p[codes]).astype(float)
    cand = (rng.random(n * k) < (p + move)[codes]).astype(float)
    result = sd.repeated_compare(
        base, codes, cand, codes, n_examples=n, higher_is_better=True, confidence=0.95
    )
    assert result.question_variance == pytest.approx(0.0225, abs=0.005)


def test_repeated_compare__sampled_once__sampling_variance_unknown() -> None:
    codes = np.arange(4)
    result = sd.repeated_compare(
        np.array([1.0, 0.0, 1.0, 1.0]),
        codes,
        np.array([1.0, 1.0, 0.0, 1.0]),
        codes,
        n_examples=4,
        higher_is_better=True,
        confidence=0.95,
    )
    assert result.sampling_variance_baseline is None
    assert result.sampling_variance_candidate is None
    assert result.question_variance == pytest.approx(result.se**2 * 4)


def test_repeated_compare__example_without_candidate_score__value_error() -> None:
    with pytest.raises(ValueError, match="example 2 has no candidate score"):
        sd.repeated_compare(
            np.ones(3),
            np.arange(3),
            np.ones(2),
            np.arange(2),
            n_examples=3,
            higher_is_better=True,
            confidence=0.95,
        )


def test_repeated_compare__code_out_of_range__value_error() -> None:
    with pytest.raises(ValueError, match=r"must lie in 0\.\.2"):
        sd.repeated_compare(
            np.ones(3),
            np.array([0, 1, 3]),
            np.ones(3),
            np.arange(3),
            n_examples=3,
            higher_is_better=True,
            confidence=0.95,
        )


def test_repeated_compare__one_example__value_error() -> None:
    with pytest.raises(ValueError, match="at least two examples"):
        sd.repeated_compare(
            np.ones(2),
            np.zeros(2, dtype=int),
            np.ones(2),
            np.zeros(2, dtype=int),
            n_examples=1,
            higher_is_better=True,
            confidence=0.95,
        )


def test_flaky_examples__baseline_disagrees_with_itself() -> None:
    # example 0: 1,0,1 (flaky); 1: 1,1; 2: 0,0,0; 3: sampled once; 4: 0,1 (flaky)
    assert sd.flaky_examples(REP_B, REP_BE, n_examples=5).tolist() == [0, 4]


def test_flaky_examples__continuous_with_tolerance() -> None:
    scores = np.array([0.50, 0.52, 0.10, 0.40, 0.9])
    codes = np.array([0, 0, 1, 1, 2])
    assert sd.flaky_examples(scores, codes, n_examples=3).tolist() == [0, 1]
    assert sd.flaky_examples(scores, codes, n_examples=3, tolerance=0.05).tolist() == [1]


# --- aggregate-only values -------------------------------------------------------------------------


def test_aggregate_compare__lm_eval_drop_of_3_9_points__significant() -> None:
    # a drop of 3.9 points with reported standard errors 1.2 and 1.4: z = -3.9 / hypot(1.2, 1.4);
    # scipy.stats.norm.cdf(z) = 0.017211907162694388
    result = sd.aggregate_compare(
        60.0, 56.1, baseline_se=1.2, candidate_se=1.4, higher_is_better=True, confidence=0.95
    )
    assert result.se == pytest.approx(math.hypot(1.2, 1.4))
    assert result.p_worse == pytest.approx(0.017211907162694388, rel=1e-9)
    assert (result.ci_low, result.ci_high) == pytest.approx(
        (-7.513995018031987, -0.28600498196801283), rel=1e-9
    )
    assert result.p_worse < 0.05


def test_aggregate_compare__same_files_the_other_way__not_worse() -> None:
    result = sd.aggregate_compare(
        56.1, 60.0, baseline_se=1.4, candidate_se=1.2, higher_is_better=True, confidence=0.95
    )
    assert result.p_worse == pytest.approx(1 - 0.017211907162694388, rel=1e-9)


def test_aggregate_compare__drift_within_the_errors__not_significant() -> None:
    result = sd.aggregate_compare(
        0.8012, 0.8011, baseline_se=0.004, candidate_se=0.004, higher_is_better=True, confidence=0.95
    )
    assert result.p_worse > 0.4


def test_aggregate_compare__negative_standard_error__value_error() -> None:
    with pytest.raises(ValueError, match="standard errors must be >= 0"):
        sd.aggregate_compare(
            0.5, 0.4, baseline_se=-0.1, candidate_se=0.1, higher_is_better=True, confidence=0.95
        )


def test_aggregate_compare__nan__value_error() -> None:
    with pytest.raises(ValueError, match="finite"):
        sd.aggregate_compare(
            0.5, math.nan, baseline_se=0.1, candidate_se=0.1, higher_is_better=True, confidence=0.95
        )


# --- equivalence and superiority -------------------------------------------------------------------

TOST_B = np.array([0.61, 0.52, 0.70, 0.44, 0.58, 0.66, 0.49, 0.73, 0.55, 0.60, 0.47, 0.68])
TOST_C = np.array([0.63, 0.50, 0.71, 0.47, 0.57, 0.69, 0.50, 0.72, 0.58, 0.61, 0.46, 0.70])


def test_equivalence__continuous__matches_statsmodels_ttost_paired() -> None:
    # statsmodels.stats.weightstats.ttost_paired(cand, base, -0.03, 0.03)
    result = sd.equivalence_test(TOST_B, TOST_C, margin=0.03)
    assert result.test == "paired-t TOST"
    assert result.parts == pytest.approx((5.201841916511586e-06, 0.0009566461626895771), rel=1e-7)
    assert result.p == pytest.approx(0.0009566461626895771, rel=1e-7)
    assert result.shown(alpha=0.05)


def test_equivalence__continuous_tight_margin__not_shown() -> None:
    # statsmodels ttost_paired(cand, base, -0.01, 0.01)[0] = 0.4371109613592645
    result = sd.equivalence_test(TOST_B, TOST_C, margin=0.01)
    assert result.p == pytest.approx(0.4371109613592645, rel=1e-7)
    assert not result.shown(alpha=0.05)


def test_superiority__continuous__matches_scipy() -> None:
    # scipy.stats.ttest_rel(cand, base, alternative="greater"); ttest_1samp(cand - base, 0.005, "greater")
    assert sd.superiority_test(TOST_B, TOST_C, higher_is_better=True).p == pytest.approx(
        0.05114399096993149, rel=1e-7
    )
    assert sd.superiority_test(TOST_B, TOST_C, higher_is_better=True, margin=0.005).p == pytest.approx(
        0.21751838578349125, rel=1e-7
    )


def test_superiority__binary_no_margin__exact_mcnemar() -> None:
    base = np.array([0.0] * 12 + [1.0] * 3 + [1.0] * 50)
    cand = np.array([1.0] * 12 + [0.0] * 3 + [1.0] * 50)
    result = sd.superiority_test(base, cand, higher_is_better=True)
    assert result.test == "mcnemar-exact"
    assert result.p == pytest.approx(stats.mcnemar_exact(3, 12)[1])


def test_superiority__binary_with_margin__tango_one_sided() -> None:
    base = np.array([0.0] * 12 + [1.0] * 3 + [1.0] * 50)
    cand = np.array([1.0] * 12 + [0.0] * 3 + [1.0] * 50)
    result = sd.superiority_test(base, cand, higher_is_better=True, margin=0.02)
    assert result.test == "Tango score test"
    assert result.p == pytest.approx(sd.tango_p(3, 12, 65, delta0=0.02, alternative="greater"))


def test_equivalence__binary__agrees_with_the_tango_interval() -> None:
    # shown at alpha exactly when the (1 - 2 alpha) Tango interval lies inside (-margin, +margin)
    # Agresti & Min (2005) table 53, 16, 8, 9: 90% interval computed below
    base = np.array([1.0] * 53 + [0.0] * 16 + [1.0] * 8 + [0.0] * 9)
    cand = np.array([1.0] * 53 + [1.0] * 16 + [0.0] * 8 + [0.0] * 9)
    low, high = sd.tango_interval(8, 16, 86, confidence=0.90)
    for margin in (0.1, 0.15, 0.2, 0.25):
        inside = -margin < low and high < margin
        assert sd.equivalence_test(base, cand, margin=margin).shown(alpha=0.05) == inside


def test_equivalence__nothing_flipped_on_30_examples__not_shown_for_a_small_margin() -> None:
    same = np.ones(30)
    assert not sd.equivalence_test(same, same, margin=0.01).shown(alpha=0.05)


def test_equivalence__zero_margin__value_error() -> None:
    with pytest.raises(ValueError, match="margin must be > 0"):
        sd.equivalence_test(TOST_B, TOST_C, margin=0.0)


def test_noninferiority__continuous__matches_scipy() -> None:
    # scipy.stats.ttest_1samp(cand - base, -0.01, alternative="greater"); lower-is-better flips the sign
    result = sd.noninferiority_test(TOST_B, TOST_C, higher_is_better=True, margin=0.01)
    assert result.p == pytest.approx(0.001671476343924791, rel=1e-7)
    assert sd.noninferiority_test(TOST_B, TOST_C, higher_is_better=False, margin=0.01).p == pytest.approx(
        0.4371109613592645, rel=1e-7
    )


def test_noninferiority__binary__tango_at_minus_margin() -> None:
    base = np.array([1.0] * 20 + [0.0] * 15 + [1.0] * 900 + [0.0] * 65)
    cand = np.array([0.0] * 20 + [1.0] * 15 + [1.0] * 900 + [0.0] * 65)
    result = sd.noninferiority_test(base, cand, higher_is_better=True, margin=0.02)
    assert result.claim == "non-inferior"
    assert result.p == pytest.approx(sd.tango_p(20, 15, 1000, delta0=-0.02, alternative="greater"))


def test_design_result_equivalence__aggregate__two_one_sided_z_tests() -> None:
    result = sd.aggregate_compare(
        0.80, 0.805, baseline_se=0.01, candidate_se=0.01, higher_is_better=True, confidence=0.9
    )
    tost = result.equivalence(margin=0.04)
    se = math.hypot(0.01, 0.01)
    from statistics import NormalDist

    expected = (1 - NormalDist().cdf((0.005 + 0.04) / se), NormalDist().cdf((0.005 - 0.04) / se))
    assert tost.parts == pytest.approx(expected)
    # shown at 5% exactly when the 90% interval lies inside the margins
    assert tost.shown(alpha=0.05) == (result.ci_low > -0.04 and result.ci_high < 0.04)


# --- paired proportions ----------------------------------------------------------------------------

# Published tables (both_one, up, down, both_zero), the change being (up - down) / n, with the
# confidence and the interval rounded as printed. The values are those collected from the literature
# by the tests of the R packages ratesci (tests/testthat/test3.R, "legacy & new methods match published
# examples") and contingencytables (tests/testthat/test-ch8.R); the source each names is given.
TANGO_PUBLISHED = [
    ((43, 0, 1, 0), 0.90, (-0.096, 0.037), 3),  # Tango's example, 90% interval
    ((4, 9, 3, 16), 0.95, (-0.027, 0.390), 3),  # ratesci's "Tango RD" example
    ((53, 16, 8, 9), 0.95, (-0.020, 0.207), 3),  # Agresti & Min 2005
    ((1, 1, 7, 12), 0.95, (-0.517, -0.026), 3),  # Fagerland et al. 2014 (Bentur et al. 2009 data)
    ((8, 3, 1, 2), 0.95, (-0.1670, 0.4327), 4),  # Tang (M.L.) 2010
    ((7, 25, 2, 68), 0.95, (0.139, 0.321), 3),  # Chang 2024
]
NEWCOMBE_PUBLISHED = [
    ((20, 12, 2, 16), (0.0562, 0.3292), 4),  # Newcombe 1998's example, his method 10
    ((1, 1, 7, 12), (-0.507, -0.026), 3),  # Fagerland et al. 2014
    ((8, 3, 1, 2), (-0.1574, 0.4136), 4),  # Tang (M.L.) 2010
    ((7, 25, 2, 68), (0.133, 0.318), 3),  # Chang 2024
    ((59, 6, 16, 80), (-0.1186, -0.0046), 4),  # Fagerland, Lydersen & Laake's book (Cavo et al. 2012 data)
]


@pytest.mark.parametrize(("table", "confidence", "expected", "digits"), TANGO_PUBLISHED)
def test_tango_interval__published_examples(
    table: tuple[int, int, int, int], confidence: float, expected: tuple[float, float], digits: int
) -> None:
    _, up, down, _ = table
    low, high = sd.tango_interval(down, up, sum(table), confidence=confidence)
    assert (round(low, digits), round(high, digits)) == expected


@pytest.mark.parametrize(("table", "expected", "digits"), NEWCOMBE_PUBLISHED)
def test_newcombe_interval__published_examples(
    table: tuple[int, int, int, int], expected: tuple[float, float], digits: int
) -> None:
    both_one, up, down, both_zero = table
    low, high = sd.newcombe_interval(both_one, down, up, both_zero, confidence=0.95)
    assert (round(low, digits), round(high, digits)) == expected


@pytest.mark.parametrize(
    ("down", "up", "n", "delta0", "expected"),
    [
        # the score statistic with the restricted MLE found numerically instead of in closed form
        # (scipy.optimize.minimize_scalar on the trinomial log-likelihood with p_up = p_down + delta0)
        (3, 9, 32, 0.1, 0.8379494924649127),
        (8, 16, 86, -0.05, 2.447370024395067),
        (7, 1, 21, -0.3, 0.11958655383828931),
        (0, 4, 115, 0.02, 1.1323272670909172),
        (0, 0, 50, -0.03, 1.2435399737956474),
        (5, 5, 200, 0.04, -2.14246896511504),
    ],
)
def test_tango_z__matches_numeric_restricted_mle(
    down: int, up: int, n: int, delta0: float, expected: float
) -> None:
    assert sd.tango_z(down, up, n, delta0=delta0) == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize(("down", "up"), [(3, 9), (10, 2), (0, 4), (7, 7)])
def test_tango_z__at_zero__is_mcnemar_statistic(down: int, up: int) -> None:
    assert sd.tango_z(down, up, 100, delta0=0.0) == pytest.approx((up - down) / math.sqrt(up + down))


def test_tango_interval__nothing_flipped__not_zero_width() -> None:
    low, high = sd.tango_interval(0, 0, 300, confidence=0.95)
    assert low < 0 < high
    assert high - low > 0.01


def test_paired_proportion_interval__demo_language_fr__includes_zero_like_the_exact_test() -> None:
    # 115 examples, 4 flipped to better, none to worse: the exact one-sided p is 0.0625
    base = np.array([1.0] * 100 + [0.0] * 4 + [0.0] * 11)
    cand = np.array([1.0] * 100 + [1.0] * 4 + [0.0] * 11)
    low, high = sd.paired_proportion_interval(base, cand, confidence=0.95)
    assert low < 0 < high
    tango_low, _ = sd.paired_proportion_interval(base, cand, confidence=0.95, method="tango")
    assert 0 < tango_low < 0.002  # the asymptotic McNemar statistic is 2.0, just past 1.96


def test_paired_proportion_interval__continuous__value_error() -> None:
    with pytest.raises(ValueError, match="0/1 scores"):
        sd.paired_proportion_interval(np.array([0.5, 1.0]), np.array([1.0, 1.0]), confidence=0.95)


# --- several alphas in one family ------------------------------------------------------------------


def _closed_weighted_holm(p: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Adjusted p by closed testing with weighted Bonferroni local tests (what weighted Holm shortcuts)."""
    m = p.size
    adjusted = np.zeros(m)
    for size in range(1, m + 1):
        for subset in combinations(range(m), size):
            idx = list(subset)
            local = min(1.0, float(np.min(p[idx] * w[idx].sum() / w[idx])))
            for i in idx:
                adjusted[i] = max(adjusted[i], local)
    return adjusted


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_weighted_holm__matches_closed_testing(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 0.1, 6)
    w = rng.uniform(0.1, 2.0, 6)
    np.testing.assert_allclose(sd.weighted_holm(p, weights=w), _closed_weighted_holm(p, w), rtol=1e-12)


def test_weighted_holm__equal_weights__is_holm() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(sd.weighted_holm(p, weights=np.ones(4)), stats.holm(p))


def test_weighted_holm__zero_weight__never_rejected() -> None:
    adjusted = sd.weighted_holm(np.array([0.0001, 0.02]), weights=np.array([0.0, 1.0]))
    assert adjusted.tolist() == [1.0, 0.02]


def _weighted_bh_rejections(p: np.ndarray, w: np.ndarray, q: float) -> set[int]:
    """The weighted BH rejection set straight from its definition (Genovese et al. 2006)."""
    m = p.size
    scaled = p / (w * m / w.sum())
    order = np.argsort(scaled)
    k = max((j + 1 for j in range(m) if scaled[order[j]] <= (j + 1) * q / m), default=0)
    return {int(i) for i in order[:k]}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weighted_bh__matches_definition_at_every_level(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 0.2, 8)
    w = rng.uniform(0.2, 3.0, 8)
    adjusted = sd.weighted_benjamini_hochberg(p, weights=w)
    for q in (0.01, 0.05, 0.1, 0.2):
        assert {int(i) for i in np.flatnonzero(adjusted <= q)} == _weighted_bh_rejections(p, w, q)


def test_weighted_bh__equal_weights__is_bh() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(
        sd.weighted_benjamini_hochberg(p, weights=np.ones(4)), stats.benjamini_hochberg(p)
    )


@pytest.mark.parametrize("method", ["holm", "bh", "none"])
def test_adjust_by_alpha__one_alpha__is_the_usual_correction(method: str) -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.2])
    np.testing.assert_allclose(
        sd.adjust_by_alpha(p, alphas=np.full(5, 0.05), method=method), stats.adjust(p, method)
    )


def test_adjust_by_alpha__holm_with_a_strict_metric__by_hand() -> None:
    # family level 0.05, weights 5/11, 5/11, 1/11: weighted Holm gives 0.0088, 0.036, 0.036
    p = np.array([0.004, 0.03, 0.009])
    alphas = np.array([0.05, 0.05, 0.01])
    adjusted = sd.adjust_by_alpha(p, alphas=alphas, method="holm")
    np.testing.assert_allclose(adjusted, [0.0088, 0.036, 0.009])
    assert (adjusted <= alphas).tolist() == [True, True, True]


def test_adjust_by_alpha__holm__a_test_never_passes_its_own_alpha() -> None:
    # weighted Holm at 0.05 would reject the third (0.036), but its own alpha is 0.01
    p = np.array([0.004, 0.03, 0.012])
    alphas = np.array([0.05, 0.05, 0.01])
    adjusted = sd.adjust_by_alpha(p, alphas=alphas, method="holm")
    assert (adjusted <= alphas).tolist() == [True, True, False]


def test_adjust_by_alpha__holm__family_wise_error_at_most_the_largest_alpha() -> None:
    rng = np.random.default_rng(12)
    alphas = np.array([0.05, 0.05, 0.01, 0.1, 0.02])
    runs = 20_000
    p = rng.random((runs, alphas.size))
    any_false = sum(
        bool(np.any(sd.adjust_by_alpha(row, alphas=alphas, method="holm") <= alphas)) for row in p
    )
    assert any_false / runs <= 0.1 + 3 * math.sqrt(0.1 * 0.9 / runs)


def test_adjust_by_alpha__unknown_method__value_error() -> None:
    with pytest.raises(ValueError, match="unknown correction"):
        sd.adjust_by_alpha(np.array([0.1]), alphas=np.array([0.05]), method="bonferroni")


# --- could the test have failed --------------------------------------------------------------------


def test_worst_case_p__four_examples_all_right__cannot_fail() -> None:
    p = sd.worst_case_p(np.ones(4), higher_is_better=True, worst=0.0)
    assert p == 0.0625
    assert p > 0.05


def test_worst_case_p__binary__only_examples_that_can_worsen_count() -> None:
    base = np.array([1.0] * 5 + [0.0] * 95)
    assert sd.worst_case_p(base, higher_is_better=True, worst=0.0) == 0.5**5
    assert sd.worst_case_p(base, higher_is_better=False, worst=1.0) == 0.5**95


def test_worst_case_p__bounded_continuous__paired_t_on_the_fall_to_the_bound() -> None:
    # scipy.stats.ttest_1samp(-base, 0, alternative="less") for base = [0.2, 0.5, 0.9]
    base = np.array([0.2, 0.5, 0.9])
    assert sd.worst_case_p(base, higher_is_better=True, worst=0.0) == pytest.approx(
        stats.paired_t(-base)[0], rel=1e-12
    )


def test_worst_case_p__unbounded__depends_only_on_size() -> None:
    assert sd.worst_case_p(np.array([3.0, 4.0]), higher_is_better=False, worst=None) == 0.0
    assert sd.worst_case_p(np.array([3.0]), higher_is_better=False, worst=None) == 1.0


def test_worst_case_p__one_cluster__cannot_fail() -> None:
    assert (
        sd.worst_case_p(np.ones(50), higher_is_better=True, worst=0.0, clusters=np.zeros(50, dtype=int))
        == 1.0
    )


def test_worst_case_p__worst_better_than_baseline__value_error() -> None:
    with pytest.raises(ValueError, match="better than some baseline"):
        sd.worst_case_p(np.array([0.2, 0.5]), higher_is_better=True, worst=0.4)


def test_min_p_exact_mcnemar__half_to_the_k() -> None:
    assert sd.min_p_exact_mcnemar(0) == 1.0
    assert sd.min_p_exact_mcnemar(5) == 0.03125


def test_noninferiority_p_unchanged__closed_form() -> None:
    # nothing flipped: the restricted MLE of p_down is the margin, so Z = sqrt(n m / (1 - m));
    # scipy.stats.norm.sf(sqrt(250 * 0.005 / 0.995)) = 0.13117807247262647
    assert sd.noninferiority_p_unchanged(250, margin=0.005) == pytest.approx(0.13117807247262647, rel=1e-9)


def test_noninferiority_p_unchanged__slices_of_250_cannot_show_what_1000_can() -> None:
    assert sd.noninferiority_p_unchanged(250, margin=0.005) > 0.05
    assert sd.noninferiority_p_unchanged(1000, margin=0.005) < 0.05
