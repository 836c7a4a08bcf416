"""The shards' progress as the check shows it, and when the watcher stops (pure)."""

from __future__ import annotations

import pytest

from gatebot.errors import InputError
from gatebot.progress import JobState, Step, next_step, progress, shard_job_names, summary, title

NAMES = ("shard m qa 0/3", "shard m qa 1/3", "shard m qa 2/3")
DONE = JobState("", "completed", "success")


def _state(*jobs: JobState | None) -> list[JobState]:
    return [JobState(name, job.status, job.conclusion) for name, job in zip(NAMES, jobs, strict=True) if job]


def test_title__counts_completed_shards_and_names_those_that_did_not_succeed() -> None:
    jobs = _state(DONE, JobState("", "completed", "timed_out"), JobState("", "in_progress"))
    assert title(progress(NAMES, jobs)) == "2 of 3 shards done; shard m qa 1/3 timed_out"
    assert title(progress(NAMES[:1], [])) == "0 of 1 shard done"


def test_summary__one_line_per_shard__not_yet_listed_ones_too() -> None:
    text = summary(progress(NAMES, _state(DONE, JobState("", "in_progress"), None)), gate_job="gate")
    assert "- shard m qa 0/3: success\n- shard m qa 1/3: in progress\n- shard m qa 2/3: not started\n" in text


@pytest.mark.parametrize(
    ("jobs", "gate", "concluded", "step"),
    [
        ((DONE, None, None), None, False, Step.WAIT),
        ((DONE, DONE, DONE), None, False, Step.SHARDS_DONE),
        ((DONE, DONE, DONE), JobState("gate", "queued"), False, Step.GATING),
        ((DONE, DONE, DONE), JobState("gate", "in_progress"), False, Step.GATING),
        ((DONE, DONE, DONE), JobState("gate", "completed", "skipped"), False, Step.GATE_ENDED),
        ((DONE, DONE, DONE), JobState("gate", "completed", "success"), True, Step.CONCLUDED),
        ((None, None, None), None, True, Step.CONCLUDED),
    ],
)
def test_next_step(
    jobs: tuple[JobState | None, ...], gate: JobState | None, concluded: bool, step: Step
) -> None:
    assert next_step(progress(NAMES, _state(*jobs)), gate=gate, check_completed=concluded) is step


def test_shard_job_names__from_the_plan_matrix() -> None:
    matrix = {"include": [{"model": "m", "benchmark": "qa", "shard": f"{i}/3", "index": i} for i in range(3)]}
    assert shard_job_names(matrix) == NAMES
    with pytest.raises(InputError, match="no `include` list"):
        shard_job_names({})
