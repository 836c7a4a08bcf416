"""The gate on eval designs beyond independent examples scored once, and the false red and silent green
checks it must not give: each test is one situation a user would meet."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gatebot.compare import compare, compare_run
from gatebot.config import Config, parse_config
from gatebot.report import headline, render_markdown
from gatebot.results import Examples, Results, SliceColumn
from gatebot.verdict import GateReport, Outcome, Status, report_document
from tests.factories import flipped, make_results


def _config(gate: dict[str, object] | None = None, **metrics: dict[str, object]) -> Config:
    return parse_config({"metrics": metrics, "gate": gate or {}}, where="test")


SAFETY = {"direction": "higher", "mode": "non-inferiority", "min_effect": 0.005}
ACCURACY = {"direction": "higher"}


# --- false red checks -------------------------------------------------------------------------------


def test_non_inferiority_with_slices__identical_model__passes() -> None:
    rng = np.random.default_rng(0)
    scores = (rng.random(1000) < 0.9).astype(float)
    slices = {"s": [f"v{i % 4}" for i in range(1000)]}
    verdict = compare(
        make_results({"safety": scores}, slices=slices),
        make_results({"safety": scores}, slices=slices),
        _config(safety=SAFETY),
    )
    assert verdict.outcome is Outcome.PASSED
    assert verdict.regressions == ()
    assert {r.status for r in verdict.slice_rows} == {Status.WITHIN_NOISE}
    assert all("no significant drop larger than 0.005" in r.reason for r in verdict.slice_rows)
    overall = verdict.rows[0]
    assert overall.claim == "non-inferior" and overall.p_adjusted is None


def test_non_inferiority__a_slice_drops_far_beyond_the_margin__fails_on_it() -> None:
    rng = np.random.default_rng(1)
    base = (rng.random(2000) < 0.9).astype(float)
    cand = base.copy()
    cand[:500] = flipped(base[:500], worse=60, better=0, rng=rng)
    slices = {"s": ["a"] * 500 + ["b"] * 1500}
    verdict = compare(
        make_results({"safety": base}, slices=slices),
        make_results({"safety": cand}, slices=slices),
        _config(safety=SAFETY),
    )
    assert [(r.slice_label, r.status) for r in verdict.regressions if r.slice_key] == [
        ("s=a", Status.REGRESSED)
    ]


def test_aggregate_only__drift_the_table_rounds_to_zero__not_a_regression() -> None:
    verdict = compare(
        make_results(metrics={"macro_f1": 0.8012}),
        make_results(metrics={"macro_f1": 0.8011}),
        _config(macro_f1=ACCURACY),
    )
    assert (verdict.rows[0].status, verdict.outcome) == (Status.UNCHANGED, Outcome.PASSED)
    assert "smaller than the report shows" in verdict.rows[0].reason


def test_constant_tiny_shift_on_continuous_scores__never_a_regression() -> None:
    scores = np.random.default_rng(2).random(500)
    verdict = compare(
        make_results({"score": scores}), make_results({"score": scores - 1e-6}), _config(score=ACCURACY)
    )
    row = verdict.rows[0]
    assert row.p_value is not None and row.p_value < 1e-6  # significant, and far below what the table shows
    assert (row.status, verdict.outcome) == (Status.UNCHANGED, Outcome.PASSED)


def test_small_slice__too_small_to_gate__its_p_labelled_raw() -> None:
    base = np.ones(220)
    cand = base.copy()
    cand[200:] = 0
    slices = {"lang": ["big"] * 200 + ["tiny"] * 20}
    report = GateReport(
        (
            compare(
                make_results({"acc": base}, slices=slices),
                make_results({"acc": cand}, slices=slices),
                _config(acc={"direction": "higher", "min_effect": 0.5}),
            ),
        )
    )
    markdown = render_markdown(report)
    tiny = next(line for line in markdown.splitlines() if line.startswith("| lang=tiny"))
    assert "⚪ too small to gate" in tiny and " raw " in tiny
    assert "(not gated)" not in tiny


# --- silent green checks ------------------------------------------------------------------------------


def _crash_on_the_hard_ones() -> tuple[Results, Results]:
    """The candidate got 40 examples wrong that the baseline got right, and its run lost exactly those."""
    rng = np.random.default_rng(3)
    base = (rng.random(1000) < 0.8).astype(float)
    cand = flipped(base, worse=40, better=0, rng=rng)
    lost = np.flatnonzero(cand < base)
    keep = np.setdiff1d(np.arange(1000), lost)
    ids = [f"e{i}" for i in range(1000)]
    return (
        make_results({"acc": base}, ids=ids),
        make_results({"acc": cand[keep]}, ids=[ids[i] for i in keep]),
    )


def test_examples_missing_from_the_candidate__count_as_worst__fails_and_says_how_many() -> None:
    baseline, candidate = _crash_on_the_hard_ones()
    report = GateReport((compare(baseline, candidate, _config(acc=ACCURACY)),))
    assert report.outcome is Outcome.FAILED
    row = report.verdicts[0].rows[0]
    assert row.imputed == 40 and row.delta == pytest.approx(-0.04)
    assert "40 examples the baseline scored are missing from the candidate" in headline(report).lead
    assert report.verdicts[0].notes[0].startswith("40 baseline examples are missing from the candidate")


def test_examples_missing_from_the_candidate__drop__passes_but_says_so_first() -> None:
    baseline, candidate = _crash_on_the_hard_ones()
    report = GateReport((compare(baseline, candidate, _config({"missing_examples": "drop"}, acc=ACCURACY)),))
    assert report.outcome is Outcome.PASSED
    lines = render_markdown(report).splitlines()
    assert "40 examples the baseline scored are missing from the candidate and left out" in lines[2]


def test_eval_too_small_to_fail__inconclusive__neutral_exit_0() -> None:
    report = GateReport(
        (compare(make_results({"acc": [1.0] * 4}), make_results({"acc": [0.0] * 4}), _config(acc=ACCURACY)),)
    )
    assert report.outcome is Outcome.INCONCLUSIVE
    assert report.exit_code() == 0
    assert report_document(report)["outcome"] == "inconclusive"
    assert headline(report).head == "🟡 gatebot: inconclusive"
    assert "could not have failed" in headline(report).lead


def test_eval_too_small_to_fail__inconclusive_fail__exit_1() -> None:
    report = GateReport(
        (
            compare(
                make_results({"acc": [1.0] * 4}),
                make_results({"acc": [0.0] * 4}),
                _config({"inconclusive": "fail"}, acc=ACCURACY),
            ),
        )
    )
    assert report.verdicts[0].outcome is Outcome.INCONCLUSIVE
    assert report.outcome is Outcome.FAILED and report.exit_code() == 1
    assert headline(report).head == "❌ gatebot: inconclusive"


def test_max_detectable_drop__eval_cannot_detect_it__inconclusive() -> None:
    rng = np.random.default_rng(4)
    base = (rng.random(200) < 0.8).astype(float)
    cand = flipped(base, worse=10, better=10, rng=rng)
    loose = compare(make_results({"acc": base}), make_results({"acc": cand}), _config(acc=ACCURACY))
    assert loose.outcome is Outcome.PASSED  # modest power alone keeps passing, with the note
    strict = compare(
        make_results({"acc": base}),
        make_results({"acc": cand}),
        _config({"max_detectable_drop": 0.03}, acc=ACCURACY),
    )
    assert strict.outcome is Outcome.INCONCLUSIVE
    assert strict.rows[0].reason.startswith("cannot detect a drop of 0.03")


def test_power_note__never_beyond_what_the_range_allows() -> None:
    # 8 examples at 62.5%: all five right ones turning wrong would be significant (p 0.03), so the test
    # could fail; but no drop it could reliably detect fits in the 62.5 points the rate can fall.
    base = np.array([1.0] * 5 + [0.0] * 3)
    report = GateReport(
        (compare(make_results({"acc": base}), make_results({"acc": base}), _config(acc=ACCURACY)),)
    )
    assert report.outcome is Outcome.PASSED
    markdown = render_markdown(report)
    assert (
        "no drop in acc can be reliably detected, not even a fall to the worst score (62.5 pts)" in markdown
    )
    assert "smaller than" not in markdown


# --- designs ------------------------------------------------------------------------------------------


def _clustered_null(rng: np.random.Generator, clusters: int, size: int) -> tuple[Results, Results]:
    """No change on average, but each cluster leans one way: 90% of the flips of a cluster go its way."""
    n = clusters * size
    base = (rng.random(n) < 0.8).astype(float)
    cand = base.copy()
    lean = np.repeat(rng.random(clusters) < 0.5, size)
    flips = rng.random(n) < 0.15
    goes_worse = rng.random(n) < np.where(lean, 0.9, 0.1)
    base[flips], cand[flips] = np.where(goes_worse[flips], 1.0, 0.0), np.where(goes_worse[flips], 0.0, 1.0)
    ids = [f"e{i}" for i in range(n)]
    codes = np.repeat(np.arange(clusters, dtype=np.int32), size)
    column = SliceColumn(codes, tuple(f"p{g}" for g in range(clusters)))

    def results(scores: np.ndarray) -> Results:
        return Results(
            "b", "m", {"acc": float(scores.mean())}, Examples(ids, {"acc": scores}, {}, clusters=column)
        )

    return results(base), results(cand)


def test_clustered_null__cluster_robust_test_keeps_its_alpha() -> None:
    rng = np.random.default_rng(5)
    clustered = independent = 0
    for _ in range(200):
        baseline, candidate = _clustered_null(rng, clusters=50, size=20)
        clustered += compare(baseline, candidate, _config(acc=ACCURACY)).outcome is Outcome.FAILED
        flat = [
            Results(r.benchmark, r.model, r.metrics, Examples(r.examples.ids, r.examples.scores, {}))
            for r in (baseline, candidate)
            if r.examples
        ]
        independent += compare(flat[0], flat[1], _config(acc=ACCURACY)).outcome is Outcome.FAILED
    assert clustered <= 16  # about 5% of 200 expected
    assert independent >= 20  # about 17%: the independent test does not see the clusters


def test_clusters__report_says_how_many__cluster_by_a_slice_key_too() -> None:
    rng = np.random.default_rng(6)
    baseline, candidate = _clustered_null(rng, clusters=30, size=10)
    verdict = compare(baseline, candidate, _config(acc=ACCURACY))
    assert verdict.rows[0].clusters == 30
    assert verdict.rows[0].test == "cluster sign-flip"
    assert verdict.rows[0].ci_method == "cluster-robust t"
    assert any("30 clusters of 300 examples" in n for n in verdict.notes)
    assert baseline.examples is not None and candidate.examples is not None
    passages = [f"p{i // 10}" for i in range(300)]
    by_key = compare(
        make_results({"acc": baseline.examples.scores["acc"]}, slices={"passage": passages}),
        make_results({"acc": candidate.examples.scores["acc"]}, slices={"passage": passages}),
        _config({"cluster_by": "passage"}, acc=ACCURACY),
    )
    assert by_key.rows[0].clusters == 30 and by_key.slice_rows == ()


def test_many_clusters__cluster_robust_t_test() -> None:
    baseline, candidate = _clustered_null(np.random.default_rng(7), clusters=1000, size=2)
    row = compare(baseline, candidate, _config(acc=ACCURACY)).rows[0]
    assert (row.clusters, row.test) == (1000, "cluster-robust t (CR1)")


def _repeated(scores_b: list[list[float]], scores_c: list[list[float]]) -> tuple[Results, Results]:
    def results(samples: list[list[float]]) -> Results:
        ids = [f"q{i}" for i, s in enumerate(samples) for _ in s]
        flat = np.array([v for s in samples for v in s])
        repeats = np.array([k for s in samples for k in range(len(s))], dtype=np.int32)
        examples = Examples(ids, {"acc": flat}, {}, repeats=repeats)
        return Results("b", "m", {"acc": float(flat.mean())}, examples)

    return results(scores_b), results(scores_c)


def test_repeated_samples__per_example_means__flaky_baseline_examples_named() -> None:
    rng = np.random.default_rng(8)
    p = rng.random(300)
    base = [[float(rng.random() < q) for _ in range(5)] for q in p]
    cand = [[float(rng.random() < q) for _ in range(5)] for q in p]
    baseline, candidate = _repeated(base, cand)
    verdict = compare(baseline, candidate, _config(acc=ACCURACY))
    row = verdict.rows[0]
    assert row.n == 300 and row.repeats == 5.0
    assert row.test == "sign-flip on per-example means"
    assert row.flaky is not None and row.flaky > 100
    note = next(n for n in verdict.notes if "samples each" in n)
    assert "flaky" in note and "Twice the samples per example would detect" in note


def test_repeated_samples__true_drop__fails() -> None:
    rng = np.random.default_rng(9)
    p = rng.random(400)
    base = [[float(rng.random() < q) for _ in range(4)] for q in p]
    cand = [[float(rng.random() < max(0.0, q - 0.08)) for _ in range(4)] for q in p]
    baseline, candidate = _repeated(base, cand)
    assert compare(baseline, candidate, _config(acc=ACCURACY)).outcome is Outcome.FAILED


def test_equivalence__no_change_on_a_large_eval__shown__large_move__not_shown() -> None:
    rng = np.random.default_rng(10)
    base = (rng.random(5000) < 0.8).astype(float)
    same = flipped(base, worse=100, better=100, rng=rng)
    moved = flipped(base, worse=0, better=200, rng=rng)
    config = _config(acc={"direction": "higher", "mode": "equivalence", "min_effect": 0.02})
    shown = compare(make_results({"acc": base}), make_results({"acc": same}), config)
    assert (shown.rows[0].status, shown.rows[0].claim, shown.outcome) == (
        Status.UNCHANGED,
        "equivalent",
        Outcome.PASSED,
    )
    not_shown = compare(make_results({"acc": base}), make_results({"acc": moved}), config)
    assert (not_shown.rows[0].status, not_shown.outcome) == (Status.NOT_SHOWN, Outcome.FAILED)
    assert headline(GateReport((not_shown,))).head == "❌ gatebot: 1 claim not shown"


def test_superiority__fails_without_an_improvement() -> None:
    rng = np.random.default_rng(11)
    base = (rng.random(1000) < 0.7).astype(float)
    config = _config(acc={"direction": "higher", "mode": "superiority"})
    flat = compare(make_results({"acc": base}), make_results({"acc": base}), config)
    assert (flat.rows[0].status, flat.outcome) == (Status.NOT_SHOWN, Outcome.FAILED)
    better = compare(
        make_results({"acc": base}), make_results({"acc": flipped(base, worse=5, better=60, rng=rng)}), config
    )
    assert (better.rows[0].status, better.outcome) == (Status.IMPROVED, Outcome.PASSED)


def test_family_run__every_benchmark_corrected_together() -> None:
    rng = np.random.default_rng(12)
    pairs = []
    for model in ("a", "b", "c"):
        base = (rng.random(800) < 0.8).astype(float)
        cand = flipped(base, worse=40, better=20, rng=rng)
        pairs.append((make_results({"acc": base}, model=model), make_results({"acc": cand}, model=model)))
    run = compare_run(pairs, _config(acc=ACCURACY))
    alone = compare_run(pairs, _config({"family": "benchmark"}, acc=ACCURACY))
    assert [v.method.family_tests for v in run if v.method] == [3, 3, 3]
    assert [v.method.family_tests for v in alone if v.method] == [1, 1, 1]
    for together, single in zip(run, alone, strict=True):
        assert together.rows[0].p_adjusted is not None and single.rows[0].p_adjusted is not None
        assert together.rows[0].p_adjusted >= single.rows[0].p_adjusted
    assert [v.rows[0].p_adjusted for v in alone] == [v.rows[0].p_value for v in alone]


def test_family_with_two_alphas__weighted_holm() -> None:
    rng = np.random.default_rng(13)
    base = (rng.random(3000) < 0.8).astype(float)
    cand = flipped(base, worse=90, better=40, rng=rng)
    verdict = compare(
        make_results({"acc": base, "safety": base}),
        make_results({"acc": cand, "safety": cand}),
        _config(acc=ACCURACY, safety={"direction": "higher", "alpha": 0.01}),
    )
    acc, safety = verdict.rows
    assert acc.p_adjusted is not None and safety.p_adjusted is not None and acc.p_value is not None
    assert acc.p_adjusted != 2 * acc.p_value  # weighted by alpha, not plain Holm


def test_few_flips__interval_for_paired_proportions_agrees_with_the_exact_test() -> None:
    # 115 examples, 4 flipped to better and none to worse: the exact one-sided p is 0.0625.
    base = np.array([1.0] * 100 + [0.0] * 15)
    cand = base.copy()
    cand[100:104] = 1.0
    row = compare(make_results({"acc": base}), make_results({"acc": cand}), _config(acc=ACCURACY)).rows[0]
    assert row.ci_method == "newcombe"
    assert row.ci_low is not None and row.ci_low < 0 < (row.ci_high or 0)
    assert row.p_value == pytest.approx(0.0625)


def test_aggregates_with_standard_errors__z_test__either_way() -> None:
    def run(value: float, se: float) -> Results:
        return Results("lm", "m", {"arc/acc": value}, None, {}, {"arc/acc": "higher"}, {"arc/acc": se})

    fine_tune, base = run(0.652, 0.012), run(0.613, 0.014)
    worse = GateReport((compare(fine_tune, base, Config()),))
    assert worse.outcome is Outcome.FAILED and worse.exit_code() == 1
    row = worse.verdicts[0].rows[0]
    assert row.test == "z-test on reported standard errors" and row.gated
    assert row.p_value == pytest.approx(0.0544 / 3.2, rel=0.2)
    assert GateReport((compare(base, fine_tune, Config()),)).exit_code() == 0


def test_verdict_document__new_keys_round_trip() -> None:
    from gatebot.verdict import report_from_document

    baseline, candidate = _clustered_null(np.random.default_rng(14), clusters=30, size=10)
    report = GateReport((compare(baseline, candidate, _config(acc=ACCURACY)),))
    document = json.loads(json.dumps(report_document(report)))
    assert document["metrics"][0]["clusters"] == 30
    assert document["runs"][0]["method"]["family"] == "run"
    assert report_from_document(document, where="v.json") == report
