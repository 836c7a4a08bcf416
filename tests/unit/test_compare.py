"""The comparison's decisions on constructed runs whose truth is known."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gatebot.compare import compare
from gatebot.config import Config, MetricConfig, parse_config
from gatebot.decision import decide, missing_baseline
from gatebot.verdict import GateReport, Outcome, Status, report_document
from tests.factories import flipped, make_results


def _config(**metrics: dict[str, object]) -> Config:
    return parse_config({"metrics": metrics}, where="test")


ACCURACY = {"direction": "higher", "min_effect": 0.01}


def _slice_regression(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """800 examples in 4 languages; es (200) loses 30 points, the others gain 12.5 each."""
    langs = [lang for lang in ("en", "de", "fr", "es") for _ in range(200)]
    base = (rng.random(800) < 0.75).astype(float)
    cand = base.copy()
    for k, lang in enumerate(("en", "de", "fr", "es")):
        part = slice(200 * k, 200 * (k + 1))
        if lang == "es":
            cand[part] = flipped(base[part], worse=60, better=0, rng=rng)
        else:
            cand[part] = flipped(base[part], worse=0, better=25, rng=rng)
    return base, cand, langs


def test_identical_runs__pass__everything_within_noise() -> None:
    scores = {"accuracy": [1, 0, 1, 1] * 50}
    verdict = compare(make_results(scores), make_results(scores), _config(accuracy=ACCURACY))
    assert verdict.outcome is Outcome.PASSED
    assert [r.status for r in verdict.rows] == [Status.WITHIN_NOISE]


def test_slice_regression__overall_improves__gate_fails_on_the_slice() -> None:
    base, cand, langs = _slice_regression(np.random.default_rng(0))
    verdict = compare(
        make_results({"accuracy": base}, slices={"language": langs}),
        make_results({"accuracy": cand}, slices={"language": langs}),
        _config(accuracy=ACCURACY),
    )
    assert verdict.outcome is Outcome.FAILED
    overall = verdict.rows[0]
    assert overall.delta is not None and overall.delta > 0
    assert [(r.slice_label, r.status) for r in verdict.regressions] == [("language=es", Status.REGRESSED)]
    es = verdict.regressions[0]
    assert es.delta == pytest.approx(-0.3)
    assert es.ci_low is not None and es.ci_high is not None and es.ci_low < -0.3 < es.ci_high < 0
    assert es.p_adjusted is not None and es.p_adjusted < 1e-6


def test_small_slice__regresses__shown_as_too_small_to_gate() -> None:
    rng = np.random.default_rng(1)
    base = np.ones(220)
    cand = base.copy()
    cand[200:220] = 0  # slice "tiny" (20 examples) loses everything
    langs = ["big"] * 200 + ["tiny"] * 20
    verdict = compare(
        make_results({"accuracy": base}, slices={"lang": langs}),
        make_results({"accuracy": cand}, slices={"lang": langs}),
        _config(accuracy={"direction": "higher", "min_effect": 0.2}),
    )
    del rng
    tiny = next(r for r in verdict.slice_rows if r.slice_value == "tiny")
    assert tiny.status is Status.TOO_SMALL
    assert not tiny.gated
    assert "fewer than 30" in tiny.reason
    assert verdict.outcome is Outcome.PASSED


def test_significant_drop_below_min_effect__unchanged() -> None:
    rng = np.random.default_rng(2)
    base = (rng.random(20_000) < 0.8).astype(float)
    cand = flipped(base, worse=200, better=0, rng=rng)  # -1 point, very significant
    verdict = compare(
        make_results({"accuracy": base}),
        make_results({"accuracy": cand}),
        _config(accuracy={"direction": "higher", "min_effect": 0.02}),
    )
    assert verdict.rows[0].status is Status.UNCHANGED
    assert verdict.outcome is Outcome.PASSED


def test_max_relative_drop__small_relative_move__not_a_regression() -> None:
    config = MetricConfig(direction="lower", min_effect=0.0, max_relative_drop=0.10)
    status, _ = decide(
        delta=0.05,
        baseline=1.0,
        higher_is_better=False,
        config=config,
        significant_worse=True,
        significant_better=False,
    )
    assert status is Status.UNCHANGED
    status, _ = decide(
        delta=0.2,
        baseline=1.0,
        higher_is_better=False,
        config=config,
        significant_worse=True,
        significant_better=False,
    )
    assert status is Status.REGRESSED


def test_non_inferiority__eval_too_small_to_show_it__inconclusive() -> None:
    # 100 examples cannot show a drop is under 2 points even if nothing changed (p 0.08): no evidence
    # of a drop, so not a regression either.
    rng = np.random.default_rng(3)
    base = (rng.random(100) < 0.8).astype(float)
    cand = flipped(base, worse=5, better=5, rng=rng)
    config = _config(accuracy={"direction": "higher", "min_effect": 0.02, "mode": "non-inferiority"})
    verdict = compare(make_results({"accuracy": base}), make_results({"accuracy": cand}), config)
    assert verdict.rows[0].status is Status.INCONCLUSIVE
    assert "even if nothing changed" in verdict.rows[0].reason
    assert verdict.outcome is Outcome.INCONCLUSIVE


def test_non_inferiority__eval_that_could_show_it__fails_without_proof() -> None:
    rng = np.random.default_rng(3)
    base = (rng.random(1000) < 0.8).astype(float)
    cand = flipped(base, worse=60, better=50, rng=rng)
    config = _config(accuracy={"direction": "higher", "min_effect": 0.02, "mode": "non-inferiority"})
    verdict = compare(make_results({"accuracy": base}), make_results({"accuracy": cand}), config)
    assert verdict.rows[0].status is Status.REGRESSED
    assert "not shown" in verdict.rows[0].reason


def test_non_inferiority__large_eval_no_change__passes() -> None:
    rng = np.random.default_rng(4)
    base = (rng.random(20_000) < 0.8).astype(float)
    cand = flipped(base, worse=500, better=500, rng=rng)
    config = _config(accuracy={"direction": "higher", "min_effect": 0.02, "mode": "non-inferiority"})
    verdict = compare(make_results({"accuracy": base}), make_results({"accuracy": cand}), config)
    assert verdict.rows[0].status is Status.WITHIN_NOISE
    assert verdict.passed


def test_no_examples__threshold_rule__says_significance_not_assessed() -> None:
    verdict = compare(
        make_results(metrics={"bleu": 30.0}),
        make_results(metrics={"bleu": 28.0}),
        _config(bleu={"direction": "higher", "min_effect": 1.0}),
    )
    assert verdict.rows[0].status is Status.REGRESSED
    assert verdict.rows[0].test == "threshold"
    assert any("significance could not be assessed" in n for n in verdict.notes)


def test_metric_only_on_one_side__added_and_removed() -> None:
    verdict = compare(make_results(metrics={"a": 1.0}), make_results(metrics={"b": 2.0}), Config())
    assert {r.metric: r.status for r in verdict.rows} == {"a": Status.REMOVED, "b": Status.ADDED}
    assert verdict.passed


def test_undeclared_metric__never_gates() -> None:
    verdict = compare(make_results(metrics={"x": 1.0}), make_results(metrics={"x": 0.0}), Config())
    assert verdict.rows[0].status is Status.CHANGED
    assert not verdict.rows[0].gated
    assert verdict.passed


def test_direction_from_results__no_metric_declared__gates() -> None:
    base = make_results(metrics={"loss": 1.0})
    cand = make_results(metrics={"loss": 2.0})
    cand = type(cand)(cand.benchmark, cand.model, cand.metrics, None, {}, {"loss": "lower"})
    verdict = compare(base, cand, Config())
    assert verdict.rows[0].status is Status.REGRESSED
    assert verdict.rows[0].gated
    assert verdict.outcome is Outcome.FAILED


def test_direction_from_results__other_metrics_declared__shown_never_gated() -> None:
    base = make_results(metrics={"loss": 1.0, "accuracy": 0.8})
    cand = make_results(metrics={"loss": 2.0, "accuracy": 0.8})
    cand = type(cand)(cand.benchmark, cand.model, cand.metrics, None, {}, {"loss": "lower"})
    verdict = compare(base, cand, _config(accuracy=ACCURACY))
    loss = next(r for r in verdict.rows if r.metric == "loss")
    assert (loss.status, loss.gated) == (Status.REGRESSED, False)
    assert verdict.passed


def test_different_examples__compared_on_intersection__says_how_many_dropped() -> None:
    base = make_results({"accuracy": [1.0] * 100}, ids=[f"e{i}" for i in range(100)])
    cand = make_results({"accuracy": [1.0] * 100}, ids=[f"e{i}" for i in range(5, 105)])
    verdict = compare(base, cand, _config(accuracy=ACCURACY))
    assert verdict.comparability is not None and verdict.comparability.common == 95
    assert any(
        "5 baseline examples are missing" in n and "5 candidate examples are new" in n for n in verdict.notes
    )


def test_small_overlap__incomparable() -> None:
    base = make_results({"accuracy": [1.0] * 100}, ids=[f"e{i}" for i in range(100)])
    cand = make_results({"accuracy": [1.0] * 100}, ids=[f"e{i}" for i in range(50, 150)])
    verdict = compare(base, cand, _config(accuracy=ACCURACY))
    assert verdict.outcome is Outcome.INCOMPARABLE
    assert "only 50 of the baseline's 100" in verdict.notes[-1] or any("only 50" in n for n in verdict.notes)


def test_dataset_digest_differs__noted() -> None:
    base = make_results({"accuracy": [1.0] * 40}, provenance={"dataset_digest": "sha256:a"})
    cand = make_results({"accuracy": [1.0] * 40}, provenance={"dataset_digest": "sha256:b"})
    verdict = compare(base, cand, _config(accuracy=ACCURACY))
    assert any("different datasets" in n for n in verdict.notes)


def test_rerun__byte_identical_json() -> None:
    base, cand, langs = _slice_regression(np.random.default_rng(5))
    args = (
        make_results({"accuracy": base, "loss": base * 0.3}, slices={"language": langs}),
        make_results({"accuracy": cand, "loss": cand * 0.31}, slices={"language": langs}),
        _config(accuracy=ACCURACY, loss={"direction": "lower"}),
    )
    first = json.dumps(report_document(GateReport((compare(*args),))))
    second = json.dumps(report_document(GateReport((compare(*args),))))
    assert first == second


def test_flips__binary__all_listed_with_slices() -> None:
    base, cand, langs = _slice_regression(np.random.default_rng(6))
    verdict = compare(
        make_results({"accuracy": base}, slices={"language": langs}),
        make_results({"accuracy": cand}, slices={"language": langs}),
        _config(accuracy=ACCURACY),
    )
    flips = verdict.flips[0]
    assert flips.worse_count == len(flips.worse) == 60
    assert all(e.slices == {"language": "es"} for e in flips.worse)
    assert flips.better_count == 75


def test_missing_baseline__policy_fail__no_baseline_outcome() -> None:
    verdict = missing_baseline(make_results(metrics={"a": 1.0}), policy="fail")
    assert verdict.outcome is Outcome.NO_BASELINE
    assert "first run" in verdict.notes[0]


def test_holm_controls_many_slices__no_true_change__usually_passes() -> None:
    rng = np.random.default_rng(7)
    failures = 0
    for _ in range(40):
        base = (rng.random(1000) < 0.8).astype(float)
        cand = flipped(base, worse=50, better=50, rng=rng)
        langs = [f"s{i % 20}" for i in range(1000)]
        verdict = compare(
            make_results({"accuracy": base}, slices={"s": langs}),
            make_results({"accuracy": cand}, slices={"s": langs}),
            _config(accuracy={"direction": "higher"}),
        )
        failures += verdict.outcome is Outcome.FAILED
    assert failures <= 6


def test_gated_metric_missing_from_candidate__fails() -> None:
    verdict = compare(
        make_results(metrics={"accuracy": 0.9}),
        make_results(metrics={"other": 1.0}),
        _config(accuracy=ACCURACY),
    )
    assert verdict.outcome is Outcome.FAILED
    (row,) = [r for r in verdict.rows if r.metric == "accuracy"]
    assert (row.status, row.gated) == (Status.REMOVED, True)


def test_candidate_leaves_half_unscored__incomparable_with_a_note() -> None:
    base = [1.0] * 100
    cand = [1.0] * 50 + [float("nan")] * 50
    verdict = compare(
        make_results({"accuracy": base}), make_results({"accuracy": cand}), _config(accuracy=ACCURACY)
    )
    assert verdict.outcome is Outcome.INCOMPARABLE
    assert any(
        "accuracy cannot be compared: the candidate scored only 50 of the 100" in n for n in verdict.notes
    )


def test_non_inferiority__nothing_flipped_on_a_tiny_eval__inconclusive_never_failed() -> None:
    scores = [1.0] * 30
    config = _config(accuracy={"direction": "higher", "min_effect": 0.005, "mode": "non-inferiority"})
    verdict = compare(make_results({"accuracy": scores}), make_results({"accuracy": scores}), config)
    assert verdict.rows[0].status is Status.INCONCLUSIVE
    assert verdict.rows[0].test == "non-inferiority score test"
    assert verdict.outcome is Outcome.INCONCLUSIVE


def test_scale_raw__dollar_cost_not_shown_as_percent() -> None:
    config = _config(cost={"direction": "lower", "scale": "raw"})
    verdict = compare(make_results(metrics={"cost": 0.20}), make_results(metrics={"cost": 0.25}), config)
    assert verdict.rows[0].fraction_scale is False
    auto = compare(make_results(metrics={"cost": 0.20}), make_results(metrics={"cost": 0.25}), Config())
    assert auto.rows[0].fraction_scale is True
