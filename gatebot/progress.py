"""The shards' progress while they run: which jobs of the workflow run are the shards, what the check
says about them, and when the watcher stops.

`gatebot shard-progress` (the sharded workflow's watcher job) lists the run's jobs, reads them here, and
sets the in-progress check from the text built here. The shard jobs are found by name: the README's
workflow names each matrix job `shard <model> <benchmark> <I/N>` (`SHARD_JOB_NAME`), one per entry of
the matrix `gatebot plan` printed, so the watcher knows every shard before its job is listed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from gatebot.errors import InputError
from gatebot.markdown import escape_md

GATE_GRACE = 300.0
"""Seconds the watcher looks for the gate job once every shard job completed (GitHub lists a job whose
`needs:` are met within seconds)."""

SHARD_JOB_NAME = "shard {model} {benchmark} {shard}"
"""The name the sharded workflow gives each matrix job (`name:` of the `shard` job)."""

FIELDS = ("model", "benchmark", "shard")


@dataclass(frozen=True)
class JobState:
    """One job of the workflow run, as GitHub lists it."""

    name: str
    status: str
    """queued, in_progress, completed, waiting, requested or pending."""
    conclusion: str | None = None
    """success, failure, cancelled, skipped, timed_out, ...: set once completed."""

    @property
    def completed(self) -> bool:
        return self.status == "completed"


class Step(Enum):
    """What the watcher does after a look at the run."""

    WAIT = "wait"
    """Shards still run: say how many are done, look again later."""
    SHARDS_DONE = "shards done"
    """Every shard job completed and the gate job is not listed yet: look again, for `GATE_GRACE`
    seconds at most (then stop: the gate job, under another name or skipped, concludes the check)."""
    GATING = "gating"
    """Every shard job completed and the gate job runs: look again until it has concluded the check or
    ended without doing so (a step before gatebot's failed)."""
    CONCLUDED = "concluded"
    """The check was concluded (by the gate job): stop, touching nothing."""
    GATE_ENDED = "gate ended"
    """The gate job completed and the check is still in progress: conclude it as failed and stop."""


@dataclass(frozen=True)
class Progress:
    """Every expected shard and the state of its job (None while the run does not list it yet)."""

    shards: tuple[tuple[str, JobState | None], ...]

    @property
    def total(self) -> int:
        return len(self.shards)

    @property
    def done(self) -> int:
        return sum(1 for _, job in self.shards if job is not None and job.completed)

    @property
    def unsuccessful(self) -> tuple[tuple[str, str], ...]:
        """The shards whose job completed without succeeding, with the conclusion."""
        return tuple(
            (name, job.conclusion or "unknown")
            for name, job in self.shards
            if job is not None and job.completed and job.conclusion != "success"
        )

    @property
    def all_done(self) -> bool:
        return self.done == self.total


def shard_job_names(matrix: Mapping[str, object], template: str = SHARD_JOB_NAME) -> tuple[str, ...]:
    """The job names the matrix's entries get: `template` filled with each entry's model, benchmark and
    shard. Raises InputError, naming the entry, on a matrix that is not `gatebot plan`'s."""
    include = matrix.get("include")
    if not isinstance(include, list):
        raise InputError("--matrix: no `include` list", "pass the `matrix` output of the plan job")
    names = []
    for number, entry in enumerate(include):
        if not isinstance(entry, dict) or not all(isinstance(entry.get(f), str) for f in FIELDS):
            raise InputError(
                f"--matrix: entry {number} lacks model, benchmark or shard",
                "pass the `matrix` output of the plan job",
            )
        try:
            names.append(template.format_map({f: entry[f] for f in FIELDS}))
        except (KeyError, IndexError, ValueError) as error:
            raise InputError(
                f"--job-name {template!r}: cannot fill it ({error})",
                "use {model}, {benchmark} and {shard}, as the shard job's `name:` does",
            ) from None
    return tuple(names)


def parse_matrix(text: str) -> dict[str, object]:
    """The `--matrix` JSON, or one line saying why it is not."""
    try:
        matrix = json.loads(text)
    except ValueError as error:
        raise InputError(
            f"--matrix: not JSON ({error})", "pass the `matrix` output of the plan job"
        ) from None
    if not isinstance(matrix, dict):
        raise InputError("--matrix: not a JSON object", "pass the `matrix` output of the plan job")
    return matrix


def progress(names: Sequence[str], jobs: Sequence[JobState]) -> Progress:
    """Each expected shard with its job in the run (the last listed of that name)."""
    by_name = {job.name: job for job in jobs}
    return Progress(tuple((name, by_name.get(name)) for name in names))


def next_step(state: Progress, *, gate: JobState | None, check_completed: bool) -> Step:
    """What to do after a look: the check's own state first (the gate job has spoken), then the gate
    job's (it ended without speaking), then the shards'."""
    if check_completed:
        return Step.CONCLUDED
    if gate is not None and gate.completed:
        return Step.GATE_ENDED
    if state.all_done:
        return Step.SHARDS_DONE if gate is None else Step.GATING
    return Step.WAIT


def title(state: Progress) -> str:
    """`1 of 3 shards done`, with the shards that did not succeed named."""
    text = f"{state.done} of {state.total} shard{'s' if state.total != 1 else ''} done"
    failed = state.unsuccessful
    if failed:
        text += "; " + ", ".join(f"{name} {conclusion}" for name, conclusion in failed)
    return text


def summary(state: Progress, *, gate_job: str, note: str = "") -> str:
    """The check's summary while it is in progress: one line per shard job."""
    lines = [
        "The shards of this gate are running; the check concludes when the "
        f"{escape_md(gate_job)} job has gated their results.",
        "",
    ]
    for name, job in state.shards:
        if job is None:
            where = "not started"
        elif job.completed:
            where = job.conclusion or "completed"
        else:
            where = job.status.replace("_", " ")
        lines.append(f"- {escape_md(name)}: {where}")
    if note:
        lines += ["", note]
    return "\n".join(lines) + "\n"


def gate_ended_title(gate_job: str, conclusion: str | None) -> str:
    """The check's title when the gate job ended without concluding it."""
    return f"the {gate_job} job ended ({conclusion or 'unknown'}) without a verdict"


def cancelled_title(state: Progress) -> str:
    """The check's title when the watcher is stopped (the workflow run was cancelled)."""
    return f"cancelled before the gate: {title(state)}"


def timed_out_note(minutes: int, gate_job: str) -> str:
    return (
        f"The watcher stopped after {minutes} min; the {escape_md(gate_job)} job still concludes this check."
    )
