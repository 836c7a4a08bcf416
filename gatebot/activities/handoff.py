"""What the Action's stages hand each other: the plan, and a folder for everything else.

`action.yml` runs gatebot in three steps, so that the pull request's code never runs where the token is:

- **plan** (token; runs none of the pull request's code): reads the event, the config as data and the
  API; decides what to do; fetches every baseline the next stage needs into the folder; and writes its
  `StagePlan` as a step output (`plan`). The runner keeps step outputs: later steps cannot change them.
- **evaluate** (no token anywhere): runs the benchmarks, and writes `verdict.json` (a gate) or
  `results/<n>.json` (a record) to the folder, or `error.json` with the one line that stopped it.
- **publish** (token; runs none of the pull request's code): carries out the plan with what the folder
  holds. Everything in the folder was written, or could have been rewritten, by the pull request's code:
  it is read as hostile input (regular files only, bounded, validated, rendered afresh, the outcome
  checked against the rows), and where to publish comes from the plan, never from the folder.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gatebot.commands import Approval
from gatebot.config import LoadedConfig
from gatebot.decision import report_outcome, verdict_outcome
from gatebot.errors import ConfigError, InputError, validation_problem
from gatebot.events import Activity, PullRequest
from gatebot.flips_file import flips_path, with_flips_file, write_verdict
from gatebot.jsonlimits import check_depth, depth_error
from gatebot.plan import Job
from gatebot.results import Results, atomic_write, parse_results, write_results
from gatebot.verdict import GateReport, Outcome, Verdict, report_from_document

STAGE_PLAN_SCHEMA = "gatebot/stage-plan@1"
ERROR_SCHEMA = "gatebot/handoff-error@1"
MAX_HANDED_OFF_BYTES = 64 * 1024 * 1024
"""The most gatebot reads of one file the evaluate stage wrote (a verdict of 20 metrics x 100 slices is
well under 1 MiB)."""
STAGED = frozenset({Activity.GATE_PULL_REQUEST, Activity.GATE_REF, Activity.RECORD})
"""The activities that run a pull request's (or a branch's) code, so go through the three stages."""


class StagePlan(BaseModel):
    """What the plan stage decided; the evaluate and publish stages carry it out."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_: Literal["gatebot/stage-plan@1"] = Field(default="gatebot/stage-plan@1", alias="schema")
    activity: Activity
    sha: str = Field(description="The commit gated (the check goes on it) or recorded.")
    pull_request: PullRequest | None = Field(default=None, description="The pull request gated.")
    jobs: tuple[Job, ...] = Field(description="The (model, benchmark) runs, in order.")
    run_base: str | None = Field(
        default=None, description="The base commit to benchmark for a job that has no baseline."
    )
    baselines_branch: str = Field(description="Where a record goes.")
    base_config: dict[str, Any] | None = Field(
        default=None, description="The base commit's config, whose gate settings judge a pull request."
    )
    changed_baselines: tuple[str, ...] = Field(
        default=(),
        description="`model/benchmark` pairs whose committed baseline file the pull request changed: the "
        "evaluate stage compares with the base commit's (handed off), never with the changed file.",
    )
    settings_changes: tuple[str, ...] = Field(
        default=(), description="What the pull request changes of those settings (in force once merged)."
    )
    max_flips_shown: int = Field(ge=0, description="Example flips the comment lists.")
    approval: Approval | None = Field(
        default=None,
        description="A maintainer's `/gatebot run`: the base branch's harness runs on the pull request's "
        "artifacts (handed off in `fork/`), with the benchmarks' secrets, and the publish stage posts.",
    )
    fork_files: tuple[str, ...] = Field(
        default=(), description="With `approval`: the artifact files handed off, to place in the checkout."
    )
    fork_removed: tuple[str, ...] = Field(
        default=(), description="With `approval`: the artifact files the pull request removes."
    )
    trust_scope: str = Field(
        default="repository",
        pattern=r"^(local|repository|fork-[a-z0-9._-]{1,200})$",
        description="Whose code runs (`gatebot.reuse.trust_scope`): the cache folder's results of this "
        "scope only are reused, and what runs is kept there for it.",
    )

    @field_validator("activity")
    @classmethod
    def _staged(cls, value: Activity) -> Activity:
        if value not in STAGED:
            raise ValueError(f"{value.value} is done in the plan stage")
        return value

    def encode(self) -> str:
        return self.model_dump_json(by_alias=True)

    @classmethod
    def decode(cls, text: str | None) -> StagePlan:
        """The plan from GATEBOT_PLAN; a problem is one line naming the variable."""
        if not text:
            raise InputError(
                "GATEBOT_PLAN is not set: the evaluate and publish stages carry out the plan stage's plan",
                "pass `${{ steps.plan.outputs.plan }}` as GATEBOT_PLAN, or run `gatebot action` alone",
            )
        try:
            return cls.model_validate_json(text)
        except ValidationError as error:
            where, message = validation_problem(error)
            raise InputError(
                f"GATEBOT_PLAN: {where}: {message}", f"expected a {STAGE_PLAN_SCHEMA} document"
            ) from None


def planned_jobs(loaded: LoadedConfig, plan: StagePlan) -> list[Job]:
    """The plan's jobs, each still in the config (the evaluate stage reads the config again)."""
    config = loaded.config
    for job in plan.jobs:
        if job.model not in config.models or job.benchmark not in config.benchmarks:
            raise ConfigError(
                f"the plan names {job.model} on {job.benchmark}, which {loaded.path} no longer has",
                "the config changed between the plan and evaluate steps: rerun the job",
            )
    return list(plan.jobs)


class _Error(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_: Literal["gatebot/handoff-error@1"] = Field(default="gatebot/handoff-error@1", alias="schema")
    message: str = Field(max_length=4096, description="The one line that stopped the evaluate stage.")


@dataclass(frozen=True)
class Handoff:
    """The folder the stages hand their work over in (GATEBOT_HANDOFF)."""

    root: Path

    @property
    def baselines(self) -> Path:
        return self.root / "baselines"

    @property
    def fork(self) -> Path:
        """The pull request's artifact files, fetched as data by the plan stage of a `/gatebot run`."""
        return self.root / "fork"

    @property
    def reused(self) -> Path:
        """Results the plan stage found on the baselines branch for a job's exact digests."""
        return self.root / "reused"

    @property
    def verdict(self) -> Path:
        return self.root / "verdict.json"

    @property
    def flips(self) -> Path:
        return flips_path(self.verdict)

    @property
    def error(self) -> Path:
        return self.root / "error.json"

    def results(self, index: int) -> Path:
        return self.root / "results" / f"{index}.json"

    def clear(self) -> None:
        """Remove what an earlier run left (gatebot's own names only: the folder may be the user's)."""
        for path in (self.baselines, self.reused, self.root / "results", self.fork):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
        for path in (self.verdict, self.flips, self.error):
            path.unlink(missing_ok=True)
        self.root.mkdir(parents=True, exist_ok=True)

    # -- evaluate stage: writing -------------------------------------------------------------------

    def write_verdict(self, report: GateReport) -> None:
        write_verdict(report, self.verdict, indent=None)

    def write_error(self, message: str) -> None:
        atomic_write(self.error, [_Error(message=message[:4096]).model_dump_json(by_alias=True).encode()])

    def write_results(self, index: int, results: Results) -> None:
        write_results(results, self.results(index))

    # -- publish stage: reading what the pull request's code could have rewritten ----------------------

    def read_error(self) -> str | None:
        """The evaluate stage's one-line error, if it stopped on one."""
        data = read_untrusted(self.error, what="error")
        if data is None:
            return None
        try:
            return " ".join(_Error.model_validate_json(data).message.split())
        except ValidationError:
            return "the evaluate step stopped on an error, but its error file is not gatebot's"

    def read_verdict(self, plan: StagePlan) -> GateReport:
        """The evaluate stage's verdict: validated, for the plan's jobs, each outcome checked on its rows."""
        where = "the verdict of the evaluate step"
        data = read_untrusted(self.verdict, what="verdict")
        if data is None:
            raise InputError(f"{where} is missing", "the evaluate step wrote neither a verdict nor an error")
        check_depth(data, where=where)
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise InputError(f"{where} is not JSON", "was it written by gatebot?") from None
        except RecursionError:
            raise depth_error(data, where=where) from None
        report = report_from_document(document, where=where)
        ran = [Job(v.model, v.benchmark) for v in report.verdicts]
        if ran != list(plan.jobs):
            raise InputError(f"{where} is not for the planned runs", "was it written by gatebot?")
        checked = GateReport(tuple(_checked(v) for v in report.verdicts), report.costs)
        return with_flips_file(checked, self.flips, where="the flips file of the evaluate step")

    def read_results(self, plan: StagePlan) -> list[Results]:
        """The results of every planned job, each checked to be that job's."""
        found: list[Results] = []
        for index, job in enumerate(plan.jobs):
            where = f"the results of {job.model} on {job.benchmark} from the evaluate step"
            data = read_untrusted(self.results(index), what="results")
            if data is None:
                raise InputError(
                    f"{where} are missing", "the evaluate step wrote neither results nor an error"
                )
            results = parse_results(data, where=where)
            if (results.model, results.benchmark) != (job.model, job.benchmark):
                raise InputError(f"{where} are for another run", "was it written by gatebot?")
            found.append(results)
        return found


def _checked(verdict: Verdict) -> Verdict:
    """The verdict with an outcome no better than its rows allow: a check never says less than its table."""
    rows = verdict_outcome(verdict.rows, verdict.slice_rows, comparability=verdict.comparability)
    if verdict.reference_regressions:
        rows = report_outcome([rows, Outcome.FAILED])
    return replace(verdict, outcome=report_outcome([verdict.outcome, rows]))


def read_untrusted(path: Path, *, what: str) -> bytes | None:
    """The bytes of a regular file (None if there is none), never through a symlink, at most
    `MAX_HANDED_OFF_BYTES`.

    A symlink could point the publish stage at a file that holds the token (`/proc/self/environ`)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError:
        raise InputError(f"the {what} file of the evaluate step is not a regular file") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError(f"the {what} file of the evaluate step is not a regular file")
        data = handle.read(MAX_HANDED_OFF_BYTES + 1)
    if len(data) > MAX_HANDED_OFF_BYTES:
        raise InputError(f"the {what} file of the evaluate step is larger than {MAX_HANDED_OFF_BYTES} bytes")
    return data
