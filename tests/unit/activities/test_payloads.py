"""What gatebot posts, built without GitHub: the sticky comment's body and the check's payload."""

from __future__ import annotations

from gatebot.activities import payloads
from gatebot.commands import Acceptance, compose_comment, decode_state, report_part
from gatebot.errors import COULD_NOT_RUN
from gatebot.github.checks import CHECK_TEXT_LIMIT
from gatebot.github.comments import COMMENT_LIMIT, marker
from gatebot.report import RenderOptions
from tests.factories import sliced_report

MARK = marker("default")
HEAD = "a" * 40


def _state():
    return payloads.verdict_state(sliced_report(), head_sha=HEAD, run_id="7", check_name="gatebot")


def _accepted(state, head_sha: str = HEAD):
    acceptance = Acceptance(by="maintainer", at="now", target="all", reason="on purpose", head_sha=head_sha)
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
    check = payloads.state_check(_accepted(_state()), "x" * (CHECK_TEXT_LIMIT + 10), details_url=None)
    assert (check.conclusion, check.title) == ("success", "Accepted by @maintainer: on purpose")
    assert len(check.summary) == CHECK_TEXT_LIMIT


def test_acceptance_for_an_earlier_commit__check_still_fails() -> None:
    check = payloads.state_check(_accepted(_state(), head_sha="b" * 40), "", details_url=None)
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
    assert payloads.state_check(state, "", details_url=None).conclusion == "neutral"
