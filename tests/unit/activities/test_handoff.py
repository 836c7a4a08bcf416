"""The hand-off between the Action's stages: the plan as a step output, and the folder read as hostile."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from gatebot.activities.handoff import Handoff, StagePlan
from gatebot.errors import InputError
from gatebot.events import Activity, PullRequest
from gatebot.plan import Job
from gatebot.verdict import GateReport, Outcome, report_document
from tests.factories import make_results, sliced_report

PR = PullRequest(2, "a" * 40, "changes", "b" * 40, "master", "o/r", "o/r", "octocat")


def _plan(*jobs: Job, activity: Activity = Activity.GATE_PULL_REQUEST) -> StagePlan:
    return StagePlan(
        activity=activity,
        sha=PR.head_sha,
        pull_request=PR,
        jobs=jobs or (Job("m", "b"),),
        run_base=PR.base_sha,
        baselines_branch="gatebot-baselines",
        max_flips_shown=10,
    )


def test_stage_plan__encoded_on_one_line__decoded_the_same() -> None:
    plan = _plan(Job("router", "tickets"), Job("router", "chats"))
    text = plan.encode()
    assert "\n" not in text
    assert json.loads(text)["schema"] == "gatebot/stage-plan@1"
    decoded = StagePlan.decode(text)
    assert decoded == plan
    assert decoded.pull_request == PR and decoded.jobs == (Job("router", "tickets"), Job("router", "chats"))


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (None, "GATEBOT_PLAN is not set"),
        ("{not json", "GATEBOT_PLAN: (top level): Invalid JSON"),
        (
            _plan().encode().replace("gate-pull-request", "command"),
            "GATEBOT_PLAN: activity: command is done in",
        ),
        (_plan().encode().replace('"jobs"', '"extra":1,"jobs"'), "GATEBOT_PLAN: extra: Extra inputs"),
    ],
)
def test_stage_plan__bad__one_line_naming_the_variable(text: str | None, said: str) -> None:
    with pytest.raises(InputError) as raised:
        StagePlan.decode(text)
    assert raised.value.message.startswith(said), raised.value.message
    assert "\n" not in raised.value.one_line()


def test_verdict__written_and_read_back__the_same_report(tmp_path: Path) -> None:
    report = sliced_report()
    handoff = Handoff(tmp_path)
    handoff.write_verdict(report)
    read = handoff.read_verdict(_plan())
    assert report_document(read) == report_document(report)


def test_verdict__outcome_better_than_its_rows__the_rows_win(tmp_path: Path) -> None:
    report = sliced_report()
    assert report.outcome is Outcome.FAILED
    lying = GateReport(tuple(replace(v, outcome=Outcome.PASSED) for v in report.verdicts))
    handoff = Handoff(tmp_path)
    handoff.write_verdict(lying)
    assert handoff.read_verdict(_plan()).outcome is Outcome.FAILED


def test_verdict__for_other_runs__refused(tmp_path: Path) -> None:
    handoff = Handoff(tmp_path)
    handoff.write_verdict(sliced_report())
    with pytest.raises(InputError, match="is not for the planned runs"):
        handoff.read_verdict(_plan(Job("m", "b"), Job("other", "b")))
    handoff.write_verdict(GateReport(()))
    with pytest.raises(InputError, match="is not for the planned runs"):
        handoff.read_verdict(_plan())


def test_verdict__missing__says_the_evaluate_step_wrote_nothing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="the verdict of the evaluate step is missing"):
        Handoff(tmp_path).read_verdict(_plan())


@pytest.mark.parametrize("target", ["/proc/self/environ", "verdict-elsewhere.json"])
def test_verdict__a_symlink__never_followed(tmp_path: Path, target: str) -> None:
    handoff = Handoff(tmp_path / "handoff")
    handoff.clear()
    (tmp_path / "verdict-elsewhere.json").write_text(json.dumps(report_document(sliced_report())))
    handoff.verdict.symlink_to(target if target.startswith("/") else tmp_path / target)
    with pytest.raises(InputError, match="the verdict file of the evaluate step is not a regular file"):
        handoff.read_verdict(_plan())


def test_verdict__a_fifo__refused_without_blocking(tmp_path: Path) -> None:
    handoff = Handoff(tmp_path)
    os.mkfifo(handoff.verdict)
    with pytest.raises(InputError, match="not a regular file"):
        handoff.read_verdict(_plan())


def test_verdict__nested_too_deep_or_not_json__one_line(tmp_path: Path) -> None:
    handoff = Handoff(tmp_path)
    handoff.verdict.write_text("[" * 5000)
    with pytest.raises(InputError, match="nested more than 100 levels"):
        handoff.read_verdict(_plan())
    handoff.verdict.write_text("{nope")
    with pytest.raises(InputError, match="is not JSON"):
        handoff.read_verdict(_plan())


def test_error__written_and_read_back_as_one_line(tmp_path: Path) -> None:
    handoff = Handoff(tmp_path)
    assert handoff.read_error() is None
    handoff.write_error("benchmark tickets failed;\nlast output: boom")
    assert handoff.read_error() == "benchmark tickets failed; last output: boom"
    handoff.error.write_text('{"message": 3}')
    assert "not gatebot's" in (handoff.read_error() or "")


def test_results__of_each_planned_job__checked_to_be_that_job(tmp_path: Path) -> None:
    handoff = Handoff(tmp_path)
    plan = _plan(Job("m", "b"), Job("m", "c"), activity=Activity.RECORD)
    handoff.write_results(0, make_results({"acc": [1, 0, 1]}))
    with pytest.raises(InputError, match="the results of m on c from the evaluate step are missing"):
        handoff.read_results(plan)
    handoff.write_results(1, make_results({"acc": [1, 0, 1]}, benchmark="b"))
    with pytest.raises(InputError, match="are for another run"):
        handoff.read_results(plan)
    handoff.write_results(1, make_results({"acc": [1, 1, 1]}, benchmark="c"))
    assert [r.metrics["acc"] for r in handoff.read_results(plan)] == [2 / 3, 1.0]


def test_clear__removes_gatebots_files_only(tmp_path: Path) -> None:
    handoff = Handoff(tmp_path)
    handoff.write_verdict(sliced_report())
    handoff.write_error("x")
    handoff.write_results(0, make_results({"acc": [1.0]}))
    (tmp_path / "mine.txt").write_text("kept")
    handoff.clear()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]
