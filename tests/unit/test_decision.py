"""The gate's rules, as tables: the inputs of each rule and the status or outcome (and reason) they give.

Each table is the specification in one place: a row says what the gate makes of one situation. The
last test of each table checks that every `Status` and every `Outcome` has a row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from gatebot import decision
from gatebot.config import DEFAULT_ALPHA, Config, MetricConfig, parse_config
from gatebot.decision import Adjusted, Decision, Measurement
from gatebot.decision import gate_p as gate_of
from gatebot.stats import PairedResult
from gatebot.verdict import Comparability, GateReport, Outcome, Reference, Row, Status, Verdict
from tests.factories import make_results, sliced_report

ACCURACY = MetricConfig(direction="higher", min_effect=0.01)
LOSS = MetricConfig(direction="lower", min_effect=0.01)
RELATIVE = MetricConfig(direction="lower", max_relative_drop=0.10)
NON_INFERIOR = MetricConfig(direction="higher", min_effect=0.02, mode="non-inferiority")
EQUIVALENT = MetricConfig(direction="higher", min_effect=0.01, mode="equivalence")
SUPERIOR = MetricConfig(direction="higher", mode="superiority")
UNGATED = MetricConfig(direction="higher", gate=False)
STRICT = MetricConfig(direction="higher", alpha=0.01)

Judge = Callable[[], Decision]


def paired(
    *,
    delta: float,
    p_worse: float = 0.5,
    p_better: float = 0.5,
    p_noninferior: float | None = None,
    config: MetricConfig | None = ACCURACY,
    direction: str | None = "higher",
    family: bool = True,
    baseline: float = 0.8,
    slice_key: str | None = None,
    p_claim: float | None = None,
    p_beyond_margin: float | None = None,
    could_decide: bool = True,
    detectable: float | None = None,
    max_detectable_drop: float | None = None,
    resolution: float = 0.0,
) -> Judge:
    """A paired test's result; `family` puts it in the gated family (its p-values taken as corrected)."""
    if p_claim is not None or p_beyond_margin is not None or not could_decide or detectable or resolution:
        measured = Measurement(
            n=500,
            baseline_mean=baseline,
            candidate_mean=baseline + delta,
            delta=delta,
            p_worse=p_worse,
            p_better=p_better,
            p_noninferior=p_noninferior,
            p_claim=p_claim,
            p_beyond_margin=p_beyond_margin,
            could_decide=could_decide,
            detectable_drop=detectable,
            resolution=resolution,
        )
        worse = (
            p_beyond_margin if slice_key is not None and p_beyond_margin is not None else gate_of(measured)
        )
        return lambda: decision.paired_decision(
            measured,
            direction=direction,
            config=config,
            adjusted=Adjusted(worse=worse, better=p_better) if family and could_decide else None,
            wants_gate=config is not None and config.gate,
            min_slice_size=30,
            slice_key=slice_key,
            max_detectable_drop=max_detectable_drop,
        )
    result = PairedResult(
        n=500,
        baseline_mean=baseline,
        candidate_mean=baseline + delta,
        delta=delta,
        ci_low=delta - 0.01,
        ci_high=delta + 0.01,
        ci_method="bootstrap",
        p_worse=p_worse,
        p_better=p_better,
        test="sign test",
        sd_diff=0.3,
        worse_count=10,
        better_count=10,
        binary=True,
        p_noninferior=p_noninferior,
    )
    gate_p = p_noninferior if p_noninferior is not None else p_worse
    adjusted = Adjusted(worse=gate_p, better=p_better) if family else None
    return lambda: decision.paired_decision(
        result,
        direction=direction,
        config=config,
        adjusted=adjusted,
        wants_gate=config is not None and config.gate,
        min_slice_size=30,
        slice_key=slice_key,
    )


def aggregate(
    *,
    baseline: float | None,
    candidate: float | None,
    config: MetricConfig | None = ACCURACY,
    direction: str | None = "higher",
    resolution: float = 0.0,
) -> Judge:
    return lambda: decision.aggregate_decision(
        baseline=baseline, candidate=candidate, direction=direction, config=config, resolution=resolution
    )


def unscored(*, compared: int, scored: int, wants_gate: bool = True) -> Judge:
    def judge() -> Decision:
        decided = decision.too_few_scored(
            compared=compared, scored=scored, wants_gate=wants_gate, min_overlap=0.9
        )
        assert decided is not None, "enough examples were scored: the metric is tested"
        return decided

    return judge


SIGNIFICANT = 0.001
"""A p-value below every alpha used here."""

# (situation, the rule's inputs, expected status, expected reason, gated)
STATUS_TABLE = [
    pytest.param(
        paired(delta=-0.05, p_worse=SIGNIFICANT),
        Status.REGRESSED,
        "significant drop larger than min_effect",
        True,
        id="paired: significant drop larger than min_effect",
    ),
    pytest.param(
        paired(delta=0.05, p_worse=SIGNIFICANT, config=LOSS, direction="lower"),
        Status.REGRESSED,
        "significant drop larger than min_effect",
        True,
        id="paired, lower is better: significant rise",
    ),
    pytest.param(
        paired(delta=-0.005, p_worse=SIGNIFICANT),
        Status.UNCHANGED,
        "significant but smaller than min_effect",
        True,
        id="paired: significant drop smaller than min_effect",
    ),
    pytest.param(
        paired(delta=0.05, p_better=SIGNIFICANT),
        Status.IMPROVED,
        "significant improvement larger than min_effect",
        True,
        id="paired: significant improvement",
    ),
    pytest.param(
        paired(delta=0.005, p_better=SIGNIFICANT),
        Status.UNCHANGED,
        "significant but smaller than min_effect",
        True,
        id="paired: significant improvement smaller than min_effect",
    ),
    pytest.param(
        paired(delta=-0.05, p_worse=0.2),
        Status.WITHIN_NOISE,
        "not statistically significant",
        True,
        id="paired: drop not significant",
    ),
    pytest.param(
        paired(delta=-0.05, p_worse=0.03, config=STRICT),
        Status.WITHIN_NOISE,
        "not statistically significant",
        True,
        id="paired: significant at 0.05, not at the metric's alpha 0.01",
    ),
    pytest.param(
        paired(delta=0.05, p_better=SIGNIFICANT, config=LOSS, direction="lower"),
        Status.IMPROVED,
        "significant improvement larger than min_effect",
        True,
        id="paired, lower is better: significant fall",
    ),
    pytest.param(
        paired(delta=-0.001, p_noninferior=0.4, config=NON_INFERIOR),
        Status.REGRESSED,
        "not shown that any drop is smaller than 0.02",
        True,
        id="non-inferiority: not shown within the margin",
    ),
    pytest.param(
        paired(delta=-0.001, p_noninferior=SIGNIFICANT, config=NON_INFERIOR),
        Status.WITHIN_NOISE,
        "shown that any drop is smaller than 0.02",
        True,
        id="non-inferiority: shown within the margin",
    ),
    pytest.param(
        paired(delta=0.05, p_better=SIGNIFICANT, p_noninferior=SIGNIFICANT, config=NON_INFERIOR),
        Status.IMPROVED,
        "significant improvement",
        True,
        id="non-inferiority: significant, material improvement",
    ),
    pytest.param(
        paired(delta=-0.05, p_worse=SIGNIFICANT, family=False, slice_key="language"),
        Status.TOO_SMALL,
        "fewer than 30 examples: too small to gate",
        False,
        id="paired: a slice too small to gate",
    ),
    pytest.param(
        paired(delta=-0.05, p_worse=SIGNIFICANT, family=False),
        Status.INCONCLUSIVE,
        "could not have failed: even if every example got worse, the drop would not be significant",
        True,
        id="paired: an overall test that could not have failed (left out of the family)",
    ),
    pytest.param(
        paired(delta=-0.02, p_worse=0.3, detectable=0.05, max_detectable_drop=0.03),
        Status.INCONCLUSIVE,
        "cannot detect a drop of 0.03 (80% power needs a drop of 0.05)",
        True,
        id="paired: the eval cannot detect the drop gate.max_detectable_drop names",
    ),
    pytest.param(
        paired(delta=-1e-6, p_worse=SIGNIFICANT, config=MetricConfig(direction="higher"), resolution=0.0005),
        Status.UNCHANGED,
        "significant but smaller than the report shows",
        True,
        id="paired: a significant change the report rounds to zero",
    ),
    pytest.param(
        paired(delta=-0.0005, p_claim=0.4, config=EQUIVALENT),
        Status.NOT_SHOWN,
        "not shown that any change is within ±0.01",
        True,
        id="equivalence: not shown within the margin",
    ),
    pytest.param(
        paired(delta=-0.0005, p_claim=SIGNIFICANT, config=EQUIVALENT),
        Status.UNCHANGED,
        "shown that any change is within ±0.01",
        True,
        id="equivalence: shown within the margin",
    ),
    pytest.param(
        paired(delta=0.001, p_claim=0.3, config=SUPERIOR),
        Status.NOT_SHOWN,
        "not shown to be better",
        True,
        id="superiority: not shown better",
    ),
    pytest.param(
        paired(delta=0.04, p_claim=SIGNIFICANT, config=SUPERIOR),
        Status.IMPROVED,
        "shown to be better",
        True,
        id="superiority: shown better",
    ),
    pytest.param(
        paired(delta=-0.001, p_noninferior=0.4, config=NON_INFERIOR, could_decide=False),
        Status.INCONCLUSIVE,
        "too few examples to show non-inferiority even if nothing changed",
        True,
        id="non-inferiority: too few examples to show it even for an unchanged model",
    ),
    pytest.param(
        paired(delta=-0.001, p_beyond_margin=0.9, config=NON_INFERIOR, slice_key="language"),
        Status.WITHIN_NOISE,
        "no significant drop larger than 0.02",
        True,
        id="non-inferiority, a slice: no significant drop beyond the margin",
    ),
    pytest.param(
        paired(delta=-0.1, p_beyond_margin=SIGNIFICANT, config=NON_INFERIOR, slice_key="language"),
        Status.REGRESSED,
        "significant drop larger than 0.02",
        True,
        id="non-inferiority, a slice: significant drop beyond the margin",
    ),
    pytest.param(
        paired(delta=-0.05, p_worse=SIGNIFICANT, config=UNGATED, family=False),
        Status.REGRESSED,
        "significant drop larger than min_effect",
        False,
        id="paired: a metric declared with gate false",
    ),
    pytest.param(
        paired(delta=-0.05, p_worse=0.01, config=None, direction=None, family=False),
        Status.CHANGED,
        "changed significantly; direction not declared",
        False,
        id="paired, no direction: significant two-sided",
    ),
    pytest.param(
        paired(delta=-0.05, p_worse=0.04, config=None, direction=None, family=False),
        Status.WITHIN_NOISE,
        "not statistically significant",
        False,
        id="paired, no direction: not significant two-sided",
    ),
    pytest.param(
        paired(delta=-0.05, p_worse=SIGNIFICANT, config=None, direction="higher", family=False),
        Status.REGRESSED,
        "significant drop larger than min_effect",
        False,
        id="paired, direction from the results only: shown, never gated",
    ),
    pytest.param(
        aggregate(baseline=0.8, candidate=0.7),
        Status.REGRESSED,
        "moved the wrong way by more than the tolerance (no significance test)",
        True,
        id="threshold: drop past min_effect",
    ),
    pytest.param(
        aggregate(baseline=0.7, candidate=0.8),
        Status.IMPROVED,
        "improved by more than the tolerance (no significance test)",
        True,
        id="threshold: rise past min_effect",
    ),
    pytest.param(
        aggregate(baseline=0.8, candidate=0.795),
        Status.UNCHANGED,
        "within the tolerance (no significance test)",
        True,
        id="threshold: within min_effect",
    ),
    pytest.param(
        aggregate(baseline=1.0, candidate=1.05, config=RELATIVE, direction="lower"),
        Status.UNCHANGED,
        "within the tolerance (no significance test)",
        True,
        id="threshold: within max_relative_drop",
    ),
    pytest.param(
        aggregate(baseline=1.0, candidate=1.2, config=RELATIVE, direction="lower"),
        Status.REGRESSED,
        "moved the wrong way by more than the tolerance (no significance test)",
        True,
        id="threshold: past max_relative_drop",
    ),
    pytest.param(
        aggregate(
            baseline=0.8012, candidate=0.8011, config=MetricConfig(direction="higher"), resolution=0.0005
        ),
        Status.UNCHANGED,
        "smaller than the report shows (no significance test)",
        True,
        id="threshold, min_effect 0: a drift the table rounds to zero",
    ),
    pytest.param(
        aggregate(baseline=2.0, candidate=3.0, config=None, direction=None),
        Status.CHANGED,
        "direction not declared",
        False,
        id="aggregate, no direction: moved",
    ),
    pytest.param(
        aggregate(baseline=2.0, candidate=2.0, config=None, direction=None),
        Status.UNCHANGED,
        "direction not declared",
        False,
        id="aggregate, no direction: same value",
    ),
    pytest.param(
        aggregate(baseline=None, candidate=0.5),
        Status.ADDED,
        "only in the candidate",
        False,
        id="only in the candidate",
    ),
    pytest.param(
        aggregate(baseline=0.5, candidate=None),
        Status.REMOVED,
        "a gated metric is missing from the candidate",
        True,
        id="a gated metric missing from the candidate",
    ),
    pytest.param(
        aggregate(baseline=0.5, candidate=None, config=UNGATED),
        Status.REMOVED,
        "only in the baseline",
        False,
        id="an ungated metric missing from the candidate",
    ),
    pytest.param(
        unscored(compared=50, scored=100),
        Status.INCOMPARABLE,
        "the candidate scored only 50 of the 100 examples the baseline scored (50%, below "
        "gate.min_overlap 90%); score the missing examples, or lower gate.min_overlap to compare the ones "
        "scored",
        True,
        id="a gated metric the candidate left unscored on half the examples",
    ),
]


@pytest.mark.parametrize(("judge", "status", "reason", "gated"), STATUS_TABLE)
def test_status_table(judge: Judge, status: Status, reason: str, gated: bool) -> None:
    assert judge() == Decision(status=status, reason=reason, gated=gated)


def test_status_table__covers_every_status() -> None:
    assert {param.values[1] for param in STATUS_TABLE} == set(Status)


def test_too_few_scored__enough_or_ungated__tested_as_usual() -> None:
    assert decision.too_few_scored(compared=95, scored=100, wants_gate=True, min_overlap=0.9) is None
    assert decision.too_few_scored(compared=10, scored=100, wants_gate=False, min_overlap=0.9) is None


@pytest.mark.parametrize(
    ("wants_gate", "direction", "slice_key", "n", "joins"),
    [
        (True, "higher", None, 5, True),
        (True, "higher", "language", 30, True),
        (True, "higher", "language", 29, False),
        (True, None, None, 500, False),
        (False, "higher", None, 500, False),
    ],
)
def test_joins_family(
    wants_gate: bool, direction: str | None, slice_key: str | None, n: int, joins: bool
) -> None:
    assert (
        decision.joins_family(
            wants_gate=wants_gate, direction=direction, slice_key=slice_key, n=n, min_slice_size=30
        )
        is joins
    )


def test_alpha_of__declared_or_default() -> None:
    assert decision.alpha_of(STRICT) == 0.01
    assert decision.alpha_of(None) == DEFAULT_ALPHA == MetricConfig(direction="higher").alpha


# --- outcomes ---------------------------------------------------------------------------------------


def row(status: Status, *, gated: bool = True, slice_key: str | None = None) -> Row:
    return Row(
        metric="accuracy",
        slice_key=slice_key,
        slice_value=None if slice_key is None else "es",
        status=status,
        gated=gated,
        declared=True,
        direction="higher",
        n=100,
        baseline=0.8,
        candidate=0.7,
        delta=-0.1,
    )


def overlap(common: int) -> Comparability:
    return Comparability(
        baseline_examples=100,
        candidate_examples=100,
        common=common,
        min_overlap=0.9,
        baseline_dataset=None,
        candidate_dataset=None,
    )


def verdict(*rows: Row, outcome: Outcome = Outcome.PASSED) -> Verdict:
    return Verdict(
        model="m",
        benchmark="b",
        outcome=outcome,
        rows=rows,
        slice_rows=(),
        flips=(),
        comparability=None,
        method=None,
    )


WITHIN_NOISE = row(Status.WITHIN_NOISE)
CANDIDATE = make_results(metrics={"accuracy": 0.7})
AGAINST_REGRESSED = verdict(row(Status.REGRESSED))

# (situation, the rule's inputs, expected outcome)
OUTCOME_TABLE = [
    pytest.param(lambda: decision.verdict_outcome([WITHIN_NOISE], []), Outcome.PASSED, id="nothing moved"),
    pytest.param(
        lambda: decision.verdict_outcome([row(Status.REGRESSED, gated=False)], []),
        Outcome.PASSED,
        id="an ungated row regressed",
    ),
    pytest.param(
        lambda: decision.verdict_outcome([row(Status.IMPROVED), row(Status.CHANGED, gated=False)], []),
        Outcome.PASSED,
        id="improved, and an undeclared metric changed",
    ),
    pytest.param(
        lambda: decision.verdict_outcome([row(Status.REGRESSED)], []),
        Outcome.FAILED,
        id="a gated metric regressed",
    ),
    pytest.param(
        lambda: decision.verdict_outcome([row(Status.REMOVED)], []),
        Outcome.FAILED,
        id="a gated metric went missing",
    ),
    pytest.param(
        lambda: decision.verdict_outcome([WITHIN_NOISE], [row(Status.REGRESSED, slice_key="language")]),
        Outcome.FAILED,
        id="a gated slice regressed while the overall row did not",
    ),
    pytest.param(
        lambda: decision.verdict_outcome([row(Status.INCOMPARABLE), row(Status.REGRESSED)], []),
        Outcome.INCOMPARABLE,
        id="a gated metric cannot be compared (named before a regression of the same run)",
    ),
    pytest.param(
        lambda: decision.verdict_outcome([row(Status.INCONCLUSIVE), WITHIN_NOISE], []),
        Outcome.INCONCLUSIVE,
        id="a gated test could not have failed, nothing failed",
    ),
    pytest.param(
        lambda: decision.verdict_outcome([row(Status.INCONCLUSIVE), row(Status.REGRESSED)], []),
        Outcome.FAILED,
        id="a regression is named before an inconclusive test",
    ),
    pytest.param(
        lambda: decision.verdict_outcome([row(Status.NOT_SHOWN)], []),
        Outcome.FAILED,
        id="a claim (equivalence, superiority) not shown",
    ),
    pytest.param(
        lambda: decision.verdict_outcome([WITHIN_NOISE], [row(Status.TOO_SMALL, gated=False, slice_key="x")]),
        Outcome.PASSED,
        id="a slice too small to gate",
    ),
    pytest.param(
        lambda: decision.report_outcome([Outcome.PASSED, Outcome.INCONCLUSIVE]),
        Outcome.INCONCLUSIVE,
        id="gate run: one verdict inconclusive",
    ),
    pytest.param(
        lambda: decision.report_outcome([Outcome.INCONCLUSIVE], inconclusive_fails=True),
        Outcome.FAILED,
        id="gate run: inconclusive under gate.inconclusive: fail",
    ),
    pytest.param(
        lambda: decision.report_outcome([Outcome.INCONCLUSIVE, Outcome.NO_BASELINE]),
        Outcome.NO_BASELINE,
        id="gate run: no baseline named before inconclusive",
    ),
    pytest.param(
        lambda: decision.verdict_outcome([], [], comparability=overlap(50)),
        Outcome.INCOMPARABLE,
        id="the runs share too few examples",
    ),
    pytest.param(
        lambda: decision.verdict_outcome([WITHIN_NOISE], [], comparability=overlap(95)),
        Outcome.PASSED,
        id="the runs share enough examples",
    ),
    pytest.param(
        lambda: decision.missing_baseline(CANDIDATE, policy="fail").outcome,
        Outcome.NO_BASELINE,
        id="no baseline, missing_baseline: fail",
    ),
    pytest.param(
        lambda: decision.missing_baseline(CANDIDATE, policy="pass").outcome,
        Outcome.PASSED,
        id="no baseline, missing_baseline: pass",
    ),
    pytest.param(
        lambda: decision.attach_reference(verdict(), AGAINST_REGRESSED, model="base", gates=True).outcome,
        Outcome.FAILED,
        id="worse than the reference model, gate_on_reference",
    ),
    pytest.param(
        lambda: decision.attach_reference(verdict(), AGAINST_REGRESSED, model="base", gates=False).outcome,
        Outcome.PASSED,
        id="worse than the reference model, shown only",
    ),
    pytest.param(
        lambda: (
            decision.attach_reference(
                verdict(outcome=Outcome.INCOMPARABLE), AGAINST_REGRESSED, model="base", gates=True
            ).outcome
        ),
        Outcome.INCOMPARABLE,
        id="the reference does not hide that the run cannot be compared",
    ),
    pytest.param(lambda: decision.report_outcome([]), Outcome.PASSED, id="gate run: nothing to gate"),
    pytest.param(
        lambda: decision.report_outcome([Outcome.PASSED, Outcome.NO_BASELINE]),
        Outcome.NO_BASELINE,
        id="gate run: one model has no baseline",
    ),
    pytest.param(
        lambda: decision.report_outcome([Outcome.NO_BASELINE, Outcome.INCOMPARABLE]),
        Outcome.INCOMPARABLE,
        id="gate run: incomparable named before no baseline",
    ),
    pytest.param(
        lambda: decision.report_outcome([Outcome.INCOMPARABLE, Outcome.FAILED, Outcome.PASSED]),
        Outcome.FAILED,
        id="gate run: a regression named before incomparable",
    ),
]


@pytest.mark.parametrize(("judge", "outcome"), OUTCOME_TABLE)
def test_outcome_table(judge: Callable[[], Outcome], outcome: Outcome) -> None:
    assert judge() is outcome


def test_outcome_table__covers_every_outcome() -> None:
    assert {param.values[1] for param in OUTCOME_TABLE} == set(Outcome)


def test_missing_baseline__every_metric_added_with_the_reason() -> None:
    rows = decision.missing_baseline(CANDIDATE, policy="fail").rows
    assert [(r.metric, r.status, r.gated, r.reason) for r in rows] == [
        ("accuracy", Status.ADDED, False, "no baseline")
    ]


def test_missing_baseline__rows_say_what_the_config_declares_and_in_its_units() -> None:
    config = parse_config(
        {"metrics": {"accuracy": {"direction": "higher"}, "nll": {"direction": "lower", "gate": False}}},
        where="test",
    )
    candidate = make_results({"accuracy": [1.0, 0.0, 1.0], "nll": [0.2, 1.7, 0.3], "other": [0.5, 0.4, 0.1]})
    rows = decision.missing_baseline(candidate, policy="fail", config=config).rows
    assert [(r.metric, r.declared, r.direction, r.gated, r.fraction_scale) for r in rows] == [
        ("accuracy", True, "higher", True, True),
        ("nll", True, "lower", False, False),  # a loss whose per-example values pass 1 is no rate
        ("other", False, None, False, True),
    ]


def test_report_outcome__is_the_report_property() -> None:
    failed = verdict(row(Status.REGRESSED), outcome=Outcome.FAILED)
    assert GateReport((verdict(), failed)).outcome is Outcome.FAILED


# --- acceptances --------------------------------------------------------------------------------------

# (outcome, regressions found, of which no acceptance covers, accepted, check conclusion)
ACCEPTANCE_TABLE = [
    pytest.param(Outcome.PASSED, 0, 0, False, "success", id="passed"),
    pytest.param(Outcome.FAILED, 2, 2, False, "failure", id="failed, nothing accepted"),
    pytest.param(Outcome.FAILED, 2, 1, False, "failure", id="failed, one of two accepted"),
    pytest.param(Outcome.FAILED, 2, 0, True, "success", id="failed, every regression accepted"),
    pytest.param(Outcome.FAILED, 0, 0, False, "failure", id="failed with no regression to accept"),
    pytest.param(Outcome.INCOMPARABLE, 0, 0, False, "failure", id="incomparable: nothing to accept"),
    pytest.param(Outcome.NO_BASELINE, 0, 0, False, "failure", id="no baseline: nothing to accept"),
    pytest.param(Outcome.INCONCLUSIVE, 0, 0, False, "neutral", id="inconclusive: a neutral check"),
    pytest.param("bogus", 1, 0, False, "failure", id="an outcome the state does not know"),
]


@pytest.mark.parametrize(("outcome", "regressions", "unaccepted", "accepted", "conclusion"), ACCEPTANCE_TABLE)
def test_acceptance_table(
    outcome: str, regressions: int, unaccepted: int, accepted: bool, conclusion: str
) -> None:
    assert decision.accepted(outcome, regressions=regressions, unaccepted=unaccepted) is accepted
    assert decision.check_conclusion(outcome, accepted=accepted) == conclusion
    # The state in the sticky comment stores the outcome's value: it is judged the same.
    assert decision.check_conclusion(getattr(outcome, "value", outcome), accepted=accepted) == conclusion


def test_title_after_acceptance__latest_acceptance_cut_to_255() -> None:
    assert decision.title_after_acceptance("1 regression", accepted_by=None) == "1 regression"
    title = decision.title_after_acceptance("1 regression", accepted_by=("alice", "x" * 300))
    assert title.startswith("Accepted by @alice: xxx") and len(title) == 255


# --- a verdict read back from someone else's document -------------------------------------------------


def _config(**gate: object) -> Config:
    return parse_config(
        {
            "models": {
                "m": {"benchmarks": ["b"], "reference": "base", "gate_on_reference": True},
                "base": {"benchmarks": ["b"]},
            },
            "benchmarks": {"b": {"run": "true"}},
            "metrics": {"accuracy": {"direction": "higher"}, "nll": {"direction": "lower", "gate": False}},
            "gate": {"min_slice_size": 30, **gate},
        },
        where="t",
    )


def test_rejudge__passed_claimed_over_a_regressed_gated_slice__failed() -> None:
    claimed = replace(verdict(WITHIN_NOISE), slice_rows=(row(Status.REGRESSED, slice_key="language"),))
    assert claimed.outcome is Outcome.PASSED
    for config in (None, _config()):
        assert decision.rejudge(claimed, config).outcome is Outcome.FAILED


def test_rejudge__failed_claimed_over_rows_that_pass__passed() -> None:
    assert decision.rejudge(verdict(WITHIN_NOISE, outcome=Outcome.FAILED), None).outcome is Outcome.PASSED


def test_rejudge__ungated_row_of_a_metric_the_judge_gates__gated_and_failed() -> None:
    ungated = replace(row(Status.REGRESSED, slice_key="language"), gated=False)
    small = replace(ungated, n=10)  # below min_slice_size: shown, never gates
    not_gated = replace(ungated, metric="nll")
    assert decision.rejudge(verdict(ungated), None).outcome is Outcome.PASSED  # no config: the rows' word
    judged = decision.rejudge(verdict(ungated), _config())
    assert judged.outcome is Outcome.FAILED and judged.regressions[0].gated
    assert decision.rejudge(verdict(small), _config()).outcome is Outcome.PASSED
    assert decision.rejudge(verdict(not_gated), _config()).outcome is Outcome.PASSED


def test_rejudge__overlap_judged_by_the_judges_min_overlap() -> None:
    low = replace(verdict(WITHIN_NOISE), comparability=replace(overlap(60), min_overlap=0.5))
    assert decision.rejudge(low, None).outcome is Outcome.PASSED
    assert decision.rejudge(low, _config()).outcome is Outcome.INCOMPARABLE
    assert decision.rejudge(low, _config(min_overlap=0.5)).outcome is Outcome.PASSED


def test_rejudge__reference_gating_the_judge_asks_for__failed() -> None:
    reference = Reference(model="base", rows=(row(Status.REGRESSED),), gates=False)
    claimed = replace(verdict(WITHIN_NOISE), reference=reference)
    assert decision.rejudge(claimed, None).outcome is Outcome.PASSED
    assert decision.rejudge(claimed, _config()).outcome is Outcome.FAILED


def test_rejudge__no_baseline__the_judges_policy() -> None:
    passed = decision.missing_baseline(CANDIDATE, policy="pass")
    assert decision.rejudge(passed, _config()).outcome is Outcome.NO_BASELINE  # run-base, the default
    assert decision.rejudge(passed, _config(missing_baseline="pass")).outcome is Outcome.PASSED
    failed = decision.missing_baseline(CANDIDATE, policy="fail")
    assert decision.rejudge(failed, _config(missing_baseline="pass")).outcome is Outcome.PASSED
    # Without a config, the rows allow either: the document's word, never anything else.
    assert decision.rejudge(passed, None).outcome is Outcome.PASSED
    assert decision.rejudge(failed, None).outcome is Outcome.NO_BASELINE
    assert decision.rejudge(replace(failed, outcome=Outcome.FAILED), None).outcome is Outcome.PASSED


def test_rejudge__a_real_verdict__judged_as_it_was_computed() -> None:
    report = sliced_report()
    config = parse_config({"metrics": {"acc": {"direction": "higher"}}}, where="t")
    assert decision.rejudge_report(report, config) == report
    assert decision.rejudge_report(report, None) == report


# (situation, the verdict, what fails it that no acceptance can cover)
UNACCEPTABLE_TABLE = [
    pytest.param(lambda: verdict(row(Status.REGRESSED), outcome=Outcome.FAILED), (), id="a regression"),
    pytest.param(
        lambda: verdict(outcome=Outcome.INCOMPARABLE), ("m/b could not be compared",), id="incomparable"
    ),
    pytest.param(
        lambda: decision.missing_baseline(CANDIDATE, policy="fail"),
        ("m/b has no baseline",),
        id="no baseline, missing_baseline: fail",
    ),
    pytest.param(
        lambda: decision.missing_baseline(CANDIDATE, policy="pass"), (), id="missing_baseline: pass"
    ),
    pytest.param(
        lambda: decision.attach_reference(verdict(), AGAINST_REGRESSED, model="base", gates=True),
        ("m/b: accuracy is worse than base's baseline",),
        id="worse than a gating reference",
    ),
    pytest.param(
        lambda: decision.attach_reference(verdict(), AGAINST_REGRESSED, model="base", gates=False),
        (),
        id="worse than a reference that only shows",
    ),
]


@pytest.mark.parametrize(("judge", "problems"), UNACCEPTABLE_TABLE)
def test_unacceptable_table(judge: Callable[[], Verdict], problems: tuple[str, ...]) -> None:
    assert decision.unacceptable(judge()) == problems


def test_accepted__every_regression_accepted_but_something_else_fails__not_accepted() -> None:
    assert decision.accepted(Outcome.FAILED, regressions=1, unaccepted=0, blocking=0)
    assert not decision.accepted(Outcome.FAILED, regressions=1, unaccepted=0, blocking=1)
