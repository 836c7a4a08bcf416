"""The sharded workflow's watcher (`gatebot shard-progress`): the check says how many shards are done.

The watcher job runs none of the pull request's code (no checkout) and holds `checks: write` and
`actions: read`. It starts the check run in progress on the pull request's head, lists the run's jobs
every `interval` seconds, and rewrites the check's title as shard jobs complete, naming the ones that
failed. Once every shard job has completed it watches the gate job, which concludes the same check run
(`github.checks.publish_check` completes the one in progress). It stops when the check has been
concluded, after `timeout` seconds, or when no gate job is listed `progress.GATE_GRACE` seconds after
the shards completed. A check in progress never passes: branch protection waits. When the gate job ends
without concluding it (a step before gatebot's failed, such as downloading the shards' results), or
the watcher is interrupted (the run was cancelled), the watcher concludes it as failed or cancelled,
so nothing waits forever for a verdict that will not come.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from gatebot import progress
from gatebot.activities.context import Context
from gatebot.errors import EXIT_PASSED, InputError
from gatebot.github.checks import CheckState, Conclusion, check_state, start_check, update_check
from gatebot.github.client import Client
from gatebot.github.jobs import run_jobs
from gatebot.progress import JobState, Progress, Step

MIN_INTERVAL, MAX_INTERVAL = 1.0, 600.0
MAX_TIMEOUT = 6 * 3600.0
"""A GitHub-hosted job runs for 6 hours at most; a watcher never needs longer."""


@dataclass(frozen=True)
class Watch:
    """What to watch and for how long."""

    names: tuple[str, ...]
    """The shard jobs' names (`progress.shard_job_names` of the plan's matrix)."""
    gate_job: str
    """The name of the job that gates the shards' results and concludes the check."""
    interval: float
    timeout: float

    def __post_init__(self) -> None:
        if not MIN_INTERVAL <= self.interval <= MAX_INTERVAL:
            raise InputError(
                f"--interval {self.interval:g}: must be {MIN_INTERVAL:g} to {MAX_INTERVAL:g} seconds",
                "30 is a good interval",
            )
        if not 0 <= self.timeout <= MAX_TIMEOUT:
            raise InputError(
                f"--timeout {self.timeout:g}: must be 0 to {MAX_TIMEOUT:g} seconds",
                "set it below the watcher job's timeout-minutes",
            )


def _pull_request_head(ctx: Context) -> str:
    if ctx.runner.event_name != "pull_request":
        raise InputError(
            f"GITHUB_EVENT_NAME is {ctx.runner.event_name}: shard-progress watches a pull_request run",
            "run it in the sharded workflow, which runs on pull_request",
        )
    try:
        sha = ctx.runner.event()["pull_request"]["head"]["sha"]
    except (KeyError, TypeError):
        sha = None
    if not isinstance(sha, str) or not sha:
        raise InputError(f"{ctx.runner.event_path}: no pull_request.head.sha in the event")
    return sha


def _run_id(ctx: Context) -> int:
    run_id = ctx.runner.run_id or ""
    if not run_id.isdigit():
        raise InputError(
            "GITHUB_RUN_ID is not set to a run id: shard-progress watches the jobs of its own workflow run",
            "run it as a job of the sharded workflow",
        )
    return int(run_id)


def watch_shards(
    ctx: Context,
    gh: Client,
    watch: Watch,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Keep the check in progress saying how many shards are done, until one of the stops above."""
    head_sha = _pull_request_head(ctx)
    run_id = _run_id(ctx)
    jobs = run_jobs(gh, ctx.runner.repository, run_id) or []
    state = progress.progress(watch.names, jobs)
    if all(job is None for _, job in state.shards):
        example = watch.names[0] if watch.names else "none"
        print(
            f"gatebot: workflow run {run_id} lists none of the {state.total} shard jobs (named like "
            f"{example!r}); nothing to watch",
            file=ctx.log,
        )
        return EXIT_PASSED
    watcher = _Watcher(ctx, gh, watch, run_id, clock, sleep, state)
    watcher.start(head_sha)
    try:
        return watcher.poll(jobs, state)
    except KeyboardInterrupt:
        # The runner interrupts the step when the run is cancelled: the gate job will not run either.
        watcher.conclude(progress.cancelled_title(watcher.state), "cancelled")
        raise


@dataclass
class _Watcher:
    ctx: Context
    gh: Client
    watch: Watch
    run_id: int
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    state: Progress
    check: CheckState | None = None
    shown: tuple[str, str] = ("", "")

    def _text(self, note: str = "") -> tuple[str, str]:
        summary = progress.summary(self.state, gate_job=self.watch.gate_job, note=note)
        return progress.title(self.state), summary

    def start(self, head_sha: str) -> None:
        self.shown = self._text()
        name = self.ctx.settings.check_name
        self.check = start_check(
            self.gh,
            self.ctx.runner.repository,
            name=name,
            head_sha=head_sha,
            title=self.shown[0],
            summary=self.shown[1],
            details_url=self.ctx.runner.run_url,
        )
        print(f"gatebot: check {name} in progress on {head_sha[:12]}: {self.shown[0]}", file=self.ctx.log)

    def show(self, title: str, summary: str) -> None:
        if (title, summary) != self.shown and self.check is not None:
            update_check(self.gh, self.ctx.runner.repository, self.check.id, title=title, summary=summary)
            print(f"gatebot: {title}", file=self.ctx.log)
            self.shown = (title, summary)

    def conclude(self, title: str, conclusion: Conclusion) -> None:
        if self.check is None:
            return
        summary = self._text()[1]
        repository = self.ctx.runner.repository
        update_check(self.gh, repository, self.check.id, title=title, summary=summary, conclusion=conclusion)
        self.ctx.workflow.warning(f"the check is concluded {conclusion}: {title}")

    def poll(self, jobs: list[JobState], state: Progress) -> int:
        deadline = self.clock() + self.watch.timeout
        repository, gate_job, log = self.ctx.runner.repository, self.watch.gate_job, self.ctx.log
        shards_done_at: float | None = None
        gating = False
        while self.check is not None:
            self.state = state
            gate = next((job for job in reversed(jobs) if job.name == gate_job), None)
            step = progress.next_step(state, gate=gate, check_completed=self.check.completed)
            if step is Step.CONCLUDED:
                print(f"gatebot: the check was concluded ({self.check.conclusion}); stopping", file=log)
                return EXIT_PASSED
            if step is Step.GATE_ENDED:
                self.conclude(
                    progress.gate_ended_title(gate_job, gate.conclusion if gate else None), "failure"
                )
                return EXIT_PASSED
            self.show(*self._text())
            if step is Step.SHARDS_DONE:
                if shards_done_at is None:
                    shards_done_at = self.clock()
                    print(f"gatebot: every shard job completed; waiting for the {gate_job} job", file=log)
                elif self.clock() - shards_done_at >= progress.GATE_GRACE:
                    print(
                        f"gatebot: no job named {gate_job!r} in {progress.GATE_GRACE:g} s; stopping (the "
                        "job that gates the shards concludes the check)",
                        file=log,
                    )
                    return EXIT_PASSED
            if step is Step.GATING and not gating:
                gating = True
                print(f"gatebot: the {gate_job} job runs; watching it until the check is concluded", file=log)
            left = deadline - self.clock()
            if left <= 0:
                self.show(*self._text(progress.timed_out_note(int(self.watch.timeout // 60), gate_job)))
                print(f"gatebot: stopped watching after {self.watch.timeout:g} s", file=log)
                return EXIT_PASSED
            self.sleep(min(self.watch.interval, left))
            jobs = run_jobs(self.gh, repository, self.run_id) or []
            state = progress.progress(self.watch.names, jobs)
            self.check = check_state(self.gh, repository, self.check.id)
        return EXIT_PASSED
