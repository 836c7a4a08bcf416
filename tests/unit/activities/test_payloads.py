"""What gatebot posts, built without GitHub: the sticky comment's body and the check's payload."""

from __future__ import annotations

from dataclasses import replace

from gatebot.activities import payloads
from gatebot.commands import (
    Acceptance,
    Regression,
    compose_comment,
    decode_state,
    digest,
    encode_state,
    report_part,
)
from gatebot.errors import COULD_NOT_RUN
from gatebot.github.checks import CHECK_TEXT_LIMIT
from gatebot.github.comments import COMMENT_LIMIT, marker
from gatebot.report import RenderOptions, check_title
from gatebot.verdict import GateReport, Outcome, Row, Status, Verdict
from tests.factories import sliced_report

MARK = marker("default")
HEAD = "a" * 40


def _state():
    return payloads.verdict_state(sliced_report(), head_sha=HEAD, run_id="7", check_name="gatebot")


def _accepted(state, head_sha: str = HEAD):
    acceptance = Acceptance(
        by="maintainer",
        at="now",
        target="all",
        reason="on purpose",
        head_sha=head_sha,
        regressions=digest(state.regressions),
    )
    return state.model_copy(update={"acceptances": (acceptance,)})


def test_verdict_state__failed_report__regressions_and_title() -> None:
    state = _state()
    assert state.outcome == "failed" and state.regressions
    assert state.check_conclusion() == "failure"
    assert state.title.startswith("5 regressions: acc")


def test_report_comment__marker_state_report__under_the_limit() -> None:
    body = payloads.report_comment(MARK, _state(), sliced_report(n_slices=60), RenderOptions())
    assert body.splitlines()[0] == MARK
    assert decode_state(body) == _state()
    assert (report_part(body) or "").startswith("### ❌ gatebot")
    assert len(body) <= COMMENT_LIMIT


def test_carry_acceptances__from_the_previous_comment__kept() -> None:
    previous = compose_comment(MARK, _accepted(_state()), "", "old report")
    carried = payloads.carry_acceptances(_state(), previous)
    assert carried.accepted and carried.check_conclusion() == "success"
    assert payloads.carry_acceptances(_state(), None) == _state()


def test_accepted_comment__report_kept__overrides_and_summary_say_who() -> None:
    state = _accepted(_state())
    previous = compose_comment(MARK, _state(), "", "the report\n")
    body, summary = payloads.accepted_comment(MARK, state, previous)
    assert report_part(body) == "the report\n"
    assert decode_state(body) == state
    assert (
        "maintainer" in summary
        and "All 5 regressions accepted" in summary
        and summary.endswith("the report\n")
    )


def test_state_check__accepted__success_with_who_accepted_in_the_title() -> None:
    check = payloads.state_check(
        _accepted(_state()), "x" * (CHECK_TEXT_LIMIT + 10), name="gatebot", head_sha=HEAD, details_url=None
    )
    assert (check.conclusion, check.title) == ("success", "Accepted by @maintainer: on purpose")
    assert len(check.summary) == CHECK_TEXT_LIMIT


def test_acceptance_for_an_earlier_commit__check_still_fails() -> None:
    check = payloads.state_check(
        _accepted(_state(), head_sha="b" * 40), "", name="gatebot", head_sha=HEAD, details_url=None
    )
    assert check.conclusion == "failure"


def test_failure_check__one_title_for_a_run_that_stopped() -> None:
    check = payloads.failure_check("gatebot", HEAD, "input token is empty", details_url="https://x/run")
    assert (check.conclusion, check.title, check.summary) == (
        "failure",
        COULD_NOT_RUN,
        "input token is empty",
    )


def test_neutral__comment_and_check_say_nothing_to_gate() -> None:
    assert "nothing to gate" in payloads.neutral_comment(MARK, payloads.NOTHING_TO_GATE)
    check = payloads.neutral_check("gatebot", HEAD, payloads.NOTHING_TO_GATE, details_url=None)
    assert (check.conclusion, check.title) == ("neutral", "No model artifacts changed")


def _regressed_everywhere(metrics: int = 20, slices: int = 100) -> GateReport:
    """Every metric regressed overall and on every slice: the largest report a gate can make."""

    def regressed(metric: str, value: str | None) -> Row:
        return Row(
            metric=metric,
            slice_key=None if value is None else "customer_segment",
            slice_value=value,
            status=Status.REGRESSED,
            gated=True,
            declared=True,
            direction="higher",
            n=100,
            baseline=0.8,
            candidate=0.6,
            delta=-0.2,
            test="sign test",
            p_value=1e-6,
            p_adjusted=1e-5,
            fraction_scale=True,
            reason="significant drop larger than min_effect",
        )

    names = [f"metric_{m:02d}_score" for m in range(metrics)]
    verdict = Verdict(
        model="ticket-router",
        benchmark="tickets",
        outcome=Outcome.FAILED,
        rows=tuple(regressed(name, None) for name in names),
        slice_rows=tuple(regressed(name, f"segment-{s:03d}") for name in names for s in range(slices)),
        flips=(),
        comparability=None,
        method=None,
    )
    return GateReport((verdict,))


def test_report_comment__20_metrics_x_100_slices_regressed__small_state_under_the_limit() -> None:
    report = _regressed_everywhere()
    state = payloads.verdict_state(report, head_sha=HEAD, run_id="7", check_name="gatebot")
    body = payloads.report_comment(MARK, state, report, RenderOptions())
    assert len(body) <= COMMENT_LIMIT
    assert len(encode_state(state)) < 12_000
    read = decode_state(body)
    assert read == state
    assert read is not None and read.total_regressions == 2020 > len(read.regressions) > 0
    assert (report_part(body) or "").startswith("### ❌ gatebot: 2020 regressions")
    assert state.title == check_title(report)[:255]


def test_cut_state__narrow_acceptance_cannot_cover_unlisted_regressions__all_can() -> None:
    state = payloads.verdict_state(_regressed_everywhere(), head_sha=HEAD, run_id="7", check_name="gatebot")

    def accept(target: str):
        acceptance = Acceptance(
            by="maintainer",
            at="now",
            target=target,
            reason="why",
            head_sha=HEAD,
            regressions=digest(state.named_by(target)),
        )
        return state.model_copy(update={"acceptances": (acceptance,)})

    unlisted = 2020 - len(state.regressions)
    narrow = accept("metric_00_score")
    listed_open = len(narrow.unaccepted())
    assert listed_open < len(state.regressions)  # the listed regressions of metric_00 are covered...
    assert narrow.unaccepted_count() == listed_open + unlisted  # ...the unlisted ones cannot be
    assert narrow.check_conclusion() == "failure"
    assert accept("all").check_conclusion() == "success"
    assert "All 2020 regressions accepted" in payloads.report_summary(
        accept("all"), _regressed_everywhere(), RenderOptions()
    )


def test_verdict_state__another_model_could_not_be_compared__named_as_blocking() -> None:
    (failed,) = sliced_report().verdicts
    other = replace(failed, model="other", outcome=Outcome.INCOMPARABLE, rows=(), slice_rows=())
    state = payloads.verdict_state(
        GateReport((failed, other)), head_sha=HEAD, run_id="7", check_name="gatebot"
    )
    assert state.blocking == ("other/b could not be compared",)
    accepted = _accepted(state)
    assert accepted.unaccepted() == () and accepted.check_conclusion() == "failure"
    summary = payloads.accepted_comment(MARK, accepted, compose_comment(MARK, state, "", "r\n"))[1]
    assert "but the check still fails: other/b could not be compared" in summary


def test_carry_acceptances__rerun_found_another_regression__lapsed_and_said() -> None:
    previous = compose_comment(MARK, _accepted(_state()), "", "old report")
    new = Regression(model="m", benchmark="b", metric="latency")
    rerun = _state().model_copy(update={"regressions": (*_state().regressions, new)})
    carried = payloads.carry_acceptances(rerun, previous)
    assert carried.check_conclusion() == "failure"
    body = payloads.report_comment(MARK, carried, sliced_report(), RenderOptions())
    assert "Acceptances that no longer apply, because this commit's run found other regressions" in body


def test_rerun_of_the_same_commit__attempt_and_earlier_outcomes_shown() -> None:
    first = _state()
    second = payloads.carry_acceptances(_state(), compose_comment(MARK, first, "", "report"))
    third = payloads.carry_acceptances(_state(), compose_comment(MARK, second, "", "report"))
    assert third.attempts == ("failed", "failed")
    body = payloads.report_comment(MARK, third, sliced_report(), RenderOptions())
    part = report_part(body) or ""
    assert part.startswith("> Attempt 3 on this commit with the same model, dataset and config; ")
    assert "earlier attempts: failed, failed." in part.splitlines()[0]
    assert part.splitlines()[2].startswith("### ❌ gatebot")
    assert "Attempt 3" in payloads.report_summary(third, sliced_report(), RenderOptions())


def test_new_commit_or_other_model__attempts_start_again() -> None:
    previous = compose_comment(MARK, _state(), "", "report")
    moved = payloads.verdict_state(sliced_report(), head_sha="b" * 40, run_id="8", check_name="gatebot")
    assert payloads.carry_acceptances(moved, previous).attempts == ()
    other = _state().model_copy(update={"digest": "another"})
    assert payloads.carry_acceptances(other, previous).attempts == ()
    assert payloads.attempts_line(_state()) == ""


def test_inconclusive_report__neutral_check() -> None:
    state = _state().model_copy(update={"outcome": "inconclusive"})
    check = payloads.state_check(state, "", name="gatebot", head_sha=HEAD, details_url=None)
    assert check.conclusion == "neutral"
