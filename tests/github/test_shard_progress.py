"""The sharded workflow's watcher (`gatebot shard-progress`) against the fake GitHub: the check in
progress says how many shards are done and which failed, the gate job then concludes that same check
run, and the watcher stops cleanly however the run ends.

The watcher runs in this process (its clock and sleep are the seams: each sleep moves the run's jobs
on); the gate job and the bad-input cases run `gatebot` as Actions does.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gatebot.activities.context import Context
from gatebot.activities.progress import Watch, watch_shards
from gatebot.github.checks import CheckPayload, Published, publish_check, start_check
from gatebot.progress import GATE_GRACE, shard_job_names
from gatebot.settings import Settings
from tests.fakegithub.state import Job, WorkflowRun
from tests.github.harness import TOKEN, ActionHarness, checks, opened
from tests.github.test_reuse_action import _run
from tests.projects import MODEL, write_project

MATRIX = {
    "include": [
        {"model": MODEL, "benchmark": "qa", "shard": f"{i}/3", "index": i, "shards": 3} for i in range(3)
    ]
}
NAMES = shard_job_names(MATRIX)


class Sharded:
    """A pull request, its workflow run with the plan, watcher and shard jobs, and the watcher's clock."""

    def __init__(self, action: ActionHarness) -> None:
        self.action = action
        self.event = opened()
        action.pull_request(self.event, [f"models/{MODEL}.txt"])
        self.head_sha: str = self.event["pull_request"]["head"]["sha"]
        self.run: WorkflowRun = action.repo.add_workflow_run(
            name="gatebot",
            path=".github/workflows/gatebot.yml",
            status="in_progress",
            conclusion=None,
            head_sha=self.head_sha,
            head_branch=self.event["pull_request"]["head"]["ref"],
            pull_requests=[2],
        )
        action.repo.add_job(self.run.id, "plan", status="completed", conclusion="success")
        action.repo.add_job(self.run.id, "progress", status="in_progress")
        self.shards: list[Job] = [action.repo.add_job(self.run.id, name) for name in NAMES]
        self.gate_job: Job | None = None
        self.now = 0.0
        self.titles: list[str] = []
        self.log = io.StringIO()

    def watch(
        self,
        moves: list[Callable[[], None]],
        *,
        timeout: float = 3600,
        run_id: str | None = None,
    ) -> int:
        """Run the watcher; its n-th sleep does `moves[n]` (after noting the check's title)."""
        _, env = self.action.environ("pull_request", self.event, run_id=run_id or str(self.run.id))
        settings = Settings.from_environ(env)
        ctx = Context.from_environ(settings, env, self.log)

        def sleep(seconds: float) -> None:
            self.titles.append(self.check().title)
            self.now += seconds
            moves.pop(0)()

        gh = self.action.fake.client(TOKEN)
        watch = Watch(NAMES, gate_job="gate", interval=30, timeout=timeout)
        code = watch_shards(ctx, gh, watch, clock=lambda: self.now, sleep=sleep)
        if self.action.repo.check_runs:
            self.titles.append(self.check().title)
        return code

    def check(self) -> Any:
        (check,) = checks(self.action.repo)
        return check

    def finish(self, index: int, conclusion: str = "success") -> None:
        self.action.repo.set_job(self.shards[index], status="completed", conclusion=conclusion)


@pytest.fixture
def sharded(action: ActionHarness) -> Sharded:
    return Sharded(action)


def test_watcher__counts_done_shards_and_names_the_failed_one__gate_concludes_the_same_check(
    sharded: Sharded, action: ActionHarness
) -> None:
    in_progress: list[tuple[int, str, str, str, str | None, str]] = []

    def first_two() -> None:
        sharded.action.repo.set_job(sharded.shards[2], status="in_progress")
        sharded.finish(0)
        sharded.finish(1, "failure")

    def last_and_the_gate_job_starts() -> None:
        sharded.finish(2)
        sharded.gate_job = action.repo.add_job(sharded.run.id, "gate", status="in_progress")

    def gate() -> None:
        # The gate job: shard 1's part is missing; its check concludes the watcher's check run.
        now = sharded.check()
        in_progress.append((now.id, now.name, now.head_sha, now.status, now.conclusion, now.summary))
        shutil.rmtree(action.workspace)
        root = write_project(action.workspace, shards=3)
        parts = action.tmp / "downloaded"
        for shard in ("0/3", "2/3"):
            _run(root, "run", "--shard", shard, "--out", str(parts))
        run = action.gate("pull_request", sharded.event, results_dir=str(parts))
        assert run.code == 2, run.stderr
        assert sharded.gate_job is not None
        action.repo.set_job(sharded.gate_job, status="completed", conclusion="failure")

    code = sharded.watch([lambda: None, first_two, last_and_the_gate_job_starts, gate])

    assert code == 0
    assert sharded.titles == [
        "0 of 3 shards done",
        "0 of 3 shards done",
        "2 of 3 shards done; shard qa-bot qa 1/3 failure",
        "3 of 3 shards done; shard qa-bot qa 1/3 failure",
        "gatebot could not run",
    ]
    ((check_id, name, head_sha, status, conclusion, summary),) = in_progress
    assert (name, head_sha, status, conclusion) == ("gatebot", sharded.head_sha, "in_progress", None)
    assert "- shard qa-bot qa 1/3: failure" in summary
    assert "- shard qa-bot qa 2/3: success" in summary
    (concluded,) = checks(action.repo)
    assert (concluded.id, concluded.status, concluded.conclusion) == (check_id, "completed", "failure")
    assert "qa-bot/qa: shard 1/3 is missing (have 0/3, 2/3)" in concluded.summary
    assert action.fake.log.count("POST", "*/check-runs") == 1
    assert "the check was concluded (failure); stopping" in sharded.log.getvalue()


def test_watcher__gate_job_fails_before_gatebot_ran__check_fails_naming_the_job(sharded: Sharded) -> None:
    def shards_end_and_the_gate_job_starts() -> None:
        for index in range(3):
            sharded.finish(index)
        sharded.gate_job = sharded.action.repo.add_job(sharded.run.id, "gate", status="in_progress")

    def download_fails() -> None:
        assert sharded.gate_job is not None
        sharded.action.repo.set_job(sharded.gate_job, status="completed", conclusion="failure")

    assert sharded.watch([shards_end_and_the_gate_job_starts, lambda: None, download_fails]) == 0

    check = checks(sharded.action.repo)[0]
    assert (check.status, check.conclusion) == ("completed", "failure")
    assert check.title == "the gate job ended (failure) without a verdict"
    assert "the gate job runs; watching it until the check is concluded" in sharded.log.getvalue()


def test_watcher__no_gate_job_after_the_shards__stops_after_the_grace_leaving_the_check(
    sharded: Sharded,
) -> None:
    def shards_end() -> None:
        for index in range(3):
            sharded.finish(index)

    looks = int(GATE_GRACE // 30)
    assert sharded.watch([shards_end] + [lambda: None] * looks) == 0

    assert sharded.now == 30 * (looks + 1)
    check = checks(sharded.action.repo)[0]
    assert (check.status, check.conclusion, check.title) == ("in_progress", None, "3 of 3 shards done")
    assert "no job named 'gate' in 300 s; stopping" in sharded.log.getvalue()


def test_watcher__gate_concluded_the_check__stops_without_touching_it(sharded: Sharded) -> None:
    def gate_concludes() -> None:
        (check,) = checks(sharded.action.repo)
        sharded.action.fake.client(TOKEN).get_repo(sharded.action.repo.full_name).get_check_run(
            check.id
        ).edit(status="completed", conclusion="success", output={"title": "no regression", "summary": "ok"})

    code = sharded.watch([gate_concludes])

    assert code == 0
    assert sharded.titles == ["0 of 3 shards done", "no regression"]
    assert "the check was concluded (success); stopping" in sharded.log.getvalue()


def test_watcher__gate_job_ended_without_a_verdict__check_fails_saying_so(sharded: Sharded) -> None:
    def everything_ends() -> None:
        for index in range(3):
            sharded.finish(index)
        sharded.action.repo.add_job(sharded.run.id, "gate", status="completed", conclusion="cancelled")

    assert sharded.watch([everything_ends]) == 0

    check = checks(sharded.action.repo)[0]
    assert (check.status, check.conclusion) == ("completed", "failure")
    assert check.title == "the gate job ended (cancelled) without a verdict"


def test_watcher__times_out__check_stays_in_progress_for_the_gate_job(sharded: Sharded) -> None:
    code = sharded.watch([lambda: sharded.finish(0), lambda: None], timeout=60)

    assert code == 0
    assert sharded.titles == ["0 of 3 shards done", "1 of 3 shards done", "1 of 3 shards done"]
    check = checks(sharded.action.repo)[0]
    assert (check.status, check.conclusion) == ("in_progress", None)
    assert "The watcher stopped after 1 min; the gate job still concludes this check." in check.summary
    assert "stopped watching after 60 s" in sharded.log.getvalue()


def test_watcher__interrupted_when_the_run_is_cancelled__check_cancelled(sharded: Sharded) -> None:
    def cancel() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sharded.watch([lambda: sharded.finish(2), cancel])

    check = checks(sharded.action.repo)[0]
    assert (check.status, check.conclusion) == ("completed", "cancelled")
    assert check.title == "cancelled before the gate: 1 of 3 shards done"


def test_watcher__run_lists_no_shard_job__stops_at_once_without_a_check(sharded: Sharded) -> None:
    assert sharded.watch([], run_id="4242") == 0  # a run GitHub does not know (act's)
    assert "workflow run 4242 lists none of the 3 shard jobs" in sharded.log.getvalue()

    for job in list(sharded.action.repo.jobs.values()):
        if job.name.startswith("shard "):
            del sharded.action.repo.jobs[job.id]
    assert sharded.watch([]) == 0
    assert sharded.action.repo.check_runs == {}


def _cli(action: ActionHarness, sharded: Sharded, *args: str, drop: str = "") -> tuple[int, str]:
    job, env = action.environ("pull_request", sharded.event, run_id=str(sharded.run.id))
    env.pop(drop, None)
    run = action._step(job, env, ("shard-progress", *args))
    return run.code, run.stderr


@pytest.mark.parametrize(
    ("args", "drop", "says"),
    [
        ((), "GITHUB_RUN_ID", "GITHUB_RUN_ID is not set to a run id"),
        (("--interval", "0.1"), "", "--interval 0.1: must be 1 to 600 seconds"),
        (("--timeout", "90000"), "", "--timeout 90000: must be 0 to 21600 seconds"),
        (("--job-name", "shard {gpu}"), "", "--job-name 'shard {gpu}': cannot fill it"),
        ((), "GATEBOT_TOKEN", "no token: GATEBOT_TOKEN and GITHUB_TOKEN are empty"),
    ],
)
def test_cli_bad_input__one_line_exit_2(
    action: ActionHarness, sharded: Sharded, args: tuple[str, ...], drop: str, says: str
) -> None:
    code, stderr = _cli(action, sharded, "--matrix", json.dumps(MATRIX), *args, drop=drop)
    assert (code, len(stderr.strip().splitlines())) == (2, 1), stderr
    assert says in stderr
    assert action.repo.check_runs == {}


@pytest.mark.parametrize(
    ("matrix", "says"),
    [("{nope", "--matrix: not JSON"), ('{"include": [{"model": "m"}]}', "--matrix: entry 0 lacks")],
)
def test_cli_bad_matrix__one_line_exit_2(
    action: ActionHarness, sharded: Sharded, matrix: str, says: str
) -> None:
    code, stderr = _cli(action, sharded, "--matrix", matrix)
    assert (code, len(stderr.strip().splitlines())) == (2, 1), stderr
    assert says in stderr


def test_cli_not_a_pull_request__one_line_exit_2(
    action: ActionHarness, sharded: Sharded, tmp_path: Path
) -> None:
    job, env = action.environ("push", sharded.event, run_id=str(sharded.run.id))
    run = action._step(job, env, ("shard-progress", "--matrix", json.dumps(MATRIX)))
    assert (run.code, len(run.stderr.strip().splitlines())) == (2, 1), run.stderr
    assert "shard-progress watches a pull_request run" in run.stderr


def test_publish__completes_the_check_run_in_progress__never_an_earlier_completed_one(
    sharded: Sharded, action: ActionHarness
) -> None:
    repo = action.repo
    earlier = repo.add_check_run(sharded.head_sha, "gatebot", status="completed", conclusion="success")
    other = repo.add_check_run(sharded.head_sha, "other-gate", status="in_progress", conclusion=None)
    payload = CheckPayload("gatebot", sharded.head_sha, "failure", "1 regression", "details")
    gh = action.fake.client(TOKEN)

    assert publish_check(gh, repo.full_name, payload) is Published.CHECK_RUN
    created = [c for c in checks(repo) if c.id not in (earlier.id, other.id)]
    assert [(c.name, c.conclusion) for c in created] == [("gatebot", "failure")]

    running = start_check(
        gh,
        repo.full_name,
        name="gatebot",
        head_sha=sharded.head_sha,
        title="0 of 3 shards done",
        summary="",
        details_url=None,
    )
    publish_check(gh, repo.full_name, payload)
    concluded = repo.check_runs[running.id]
    assert (concluded.status, concluded.conclusion, concluded.title) == (
        "completed",
        "failure",
        "1 regression",
    )
    assert (earlier.conclusion, other.status) == ("success", "in_progress")
    assert len(checks(repo)) == 4
