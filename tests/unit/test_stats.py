"""The statistics against exact values computed independently."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gatebot import stats


@pytest.mark.parametrize(("k", "n"), [(0, 0), (0, 5), (3, 5), (5, 5), (6, 5), (12, 20), (60, 100)])
def test_binomial_tail__matches_direct_sum(k: int, n: int) -> None:
    expected = sum(math.comb(n, i) for i in range(k, n + 1)) / 2**n if k <= n else 0.0
    assert stats.binom_upper_tail_half(k, n) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_mcnemar__twenty_worse_five_better__one_sided_p() -> None:
    p_worse, p_better = stats.mcnemar_exact(20, 5)
    assert p_worse == pytest.approx(0.002038658, rel=1e-6)
    assert p_better == pytest.approx(0.999542, rel=1e-5)


def test_mcnemar__large_counts__no_overflow() -> None:
    p_worse, _ = stats.mcnemar_exact(101_000, 100_000)
    assert 0.0 < p_worse < 0.06


@pytest.mark.parametrize(("t", "df", "tail"), [(2.045230, 29, 0.025), (1.644854, 1e7, 0.05), (0.0, 10, 0.5)])
def test_student_t__textbook_quantiles(t: float, df: float, tail: float) -> None:
    assert stats.student_t_sf(t, df) == pytest.approx(tail, abs=2e-5)


def test_student_t__negative_t__complements() -> None:
    assert stats.student_t_sf(-2.0, 7) == pytest.approx(1 - stats.student_t_sf(2.0, 7))


def test_paired_t__constant_difference__certain() -> None:
    assert stats.paired_t(np.full(10, -0.5)) == (0.0, 1.0)
    assert stats.paired_t(np.zeros(10)) == (1.0, 1.0)


def test_holm__known_vector() -> None:
    adjusted = stats.holm(np.array([0.01, 0.04, 0.03, 0.005]))
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])


def test_benjamini_hochberg__known_vector() -> None:
    adjusted = stats.benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.005]))
    np.testing.assert_allclose(adjusted, [0.02, 0.04, 0.04, 0.02])


def test_adjust__unknown_method__value_error() -> None:
    with pytest.raises(ValueError, match="unknown correction"):
        stats.adjust(np.array([0.1]), "bonferonni")


def test_bootstrap__binary__count_resampling_matches_index_resampling() -> None:
    rng = np.random.default_rng(3)
    diff = rng.choice([-1.0, 0.0, 1.0], size=400, p=[0.15, 0.7, 0.15])
    low, high, method = stats.bootstrap_mean_ci(
        diff, resamples=4000, confidence=0.95, rng=np.random.default_rng(1)
    )
    assert method == "bootstrap"
    idx = np.random.default_rng(2).integers(0, diff.size, size=(4000, diff.size))
    ref_low, ref_high = np.quantile(diff[idx].mean(axis=1), [0.025, 0.975])
    assert low == pytest.approx(ref_low, abs=0.006)
    assert high == pytest.approx(ref_high, abs=0.006)


def test_bootstrap__same_seed__same_interval() -> None:
    diff = np.random.default_rng(0).normal(size=500)
    first = stats.bootstrap_mean_ci(diff, resamples=500, confidence=0.9, rng=np.random.default_rng(7))
    second = stats.bootstrap_mean_ci(diff, resamples=500, confidence=0.9, rng=np.random.default_rng(7))
    assert first == second


def test_bootstrap__huge_continuous__normal_interval() -> None:
    diff = np.random.default_rng(0).normal(loc=0.1, size=200_000)
    low, high, method = stats.bootstrap_mean_ci(
        diff, resamples=2000, confidence=0.95, rng=np.random.default_rng(0)
    )
    assert method == "normal"
    half = 1.959964 * diff.std(ddof=1) / math.sqrt(diff.size)
    assert (low, high) == pytest.approx((diff.mean() - half, diff.mean() + half))


def test_paired_compare__mismatched_shapes__value_error() -> None:
    with pytest.raises(ValueError, match="1-d arrays"):
        stats.paired_compare(
            np.zeros(3),
            np.zeros(4),
            higher_is_better=True,
            resamples=100,
            confidence=0.95,
            rng=np.random.default_rng(0),
        )


def test_paired_compare__lower_is_better__worse_means_increase() -> None:
    base = np.linspace(0.1, 1.0, 200)
    cand = base + 0.05
    result = stats.paired_compare(
        base, cand, higher_is_better=False, resamples=200, confidence=0.95, rng=np.random.default_rng(0)
    )
    assert result.worse_count == 200
    assert result.p_worse < 1e-10
    assert result.delta == pytest.approx(0.05)


def test_detectable_drop__binary_without_churn__not_zero() -> None:
    same = np.ones(300)
    result = stats.paired_compare(
        same, same, higher_is_better=True, resamples=200, confidence=0.95, rng=np.random.default_rng(0)
    )
    assert result.detectable_drop(alpha=0.05) == pytest.approx(5 / 300)


def test_detectable_drop__three_hundred_examples__about_four_points() -> None:
    rng = np.random.default_rng(0)
    base = (rng.random(300) < 0.8).astype(float)
    cand = base.copy()
    flip = rng.choice(300, size=30, replace=False)
    cand[flip] = 1 - cand[flip]
    result = stats.paired_compare(
        base, cand, higher_is_better=True, resamples=200, confidence=0.95, rng=np.random.default_rng(0)
    )
    assert 0.03 < result.detectable_drop(alpha=0.05) < 0.06


def test_group_indices__partitions_positions() -> None:
    codes = np.array([2, 0, 2, 1, 0, 2], dtype=np.int32)
    groups = stats.group_indices(codes, 3)
    assert [g.tolist() for g in groups] == [[1, 4], [3], [0, 2, 5]]


def test_noninferiority_binary__nothing_flipped_on_30_examples__not_shown() -> None:
    assert stats.noninferiority_binary(np.zeros(30), margin=0.005) > 0.3


def test_noninferiority_binary__large_eval_no_change__shown() -> None:
    oriented = np.zeros(20_000)
    oriented[:400] = -1
    oriented[400:800] = 1
    assert stats.noninferiority_binary(oriented, margin=0.02) < 1e-6
