"""A maintainer's `/gatebot run`: the base branch's harness evaluates a fork's model with the secrets.

The command workflow runs the default branch's workflow file and checks out the default branch, which
must be the pull request's base (a pull request into another branch is refused): its config,
benchmarks, requirements and datasets are the harness. Three stages, as for any gate:

- **plan** (token; runs nothing of the pull request): the pull request's head is read from the API now,
  and the approval binds to that commit. Its changed files are vetted (`forkrun.vet_changes`): only
  files the models' `artifacts` match are used, fetched through the Git Data API as data into the
  hand-off folder; any other change, or pickle-based weights from a fork, refuses the run with the
  files named.
- **evaluate** (no token): the fetched files are placed in the checkout, the benchmarks run with the
  secrets they declare (the action's `secrets` input reaches this step only), and every secret value
  is redacted from the log, the error and the verdict. Baselines are those of the checkout's commit
  (the default branch as it is now, not the pull request's base): a job without one, under
  `missing_baseline: run-base`, also benchmarks that commit, in a worktree of its own.
- **publish** (token; runs nothing): the comment (who approved which commit) and the check on the
  approved commit; if the pull request moved on meanwhile, the reply says a new `/gatebot run` is needed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, cast

from gatebot.activities.context import Context
from gatebot.activities.gate import _hand_off_baselines, publish_gate
from gatebot.activities.handoff import Handoff, StagePlan, planned_jobs
from gatebot.baselines import DEFAULT_DIR, FileSource, Found, LocalStore
from gatebot.baselines.handoff import HandoffSource
from gatebot.commands import Approval, reply_to
from gatebot.config import LoadedConfig
from gatebot.errors import GatebotError, InputError, failure_of
from gatebot.events import Activity, PullRequest
from gatebot.forkrun import (
    REDACTED,
    ChangedFile,
    parse_secrets,
    redact,
    redact_text,
    safe_path,
    secret_values,
    shown_paths,
    vet_changes,
)
from gatebot.gating import RunBase, gate
from gatebot.github.client import Client
from gatebot.github.git_data import GitData
from gatebot.github.interactions import reply
from gatebot.github.pulls import file_changes, pull_head, pull_request_info
from gatebot.markdown import escape_md
from gatebot.plan import Job, select_jobs
from gatebot.results import Results
from gatebot.reuse import pull_request_scope
from gatebot.runner import git_commit, run_at_commit, run_benchmark
from gatebot.verdict import GateReport, report_document, report_from_document

SECRETS_VARIABLE = "GATEBOT_SECRETS"
"""The action's `secrets` input, which action.yml gives the evaluate step only."""
REGULAR_FILE_MODES = frozenset({"100644", "100755"})


def plan_approved_run(ctx: Context, gh: Client, number: int, *, login: str, now: str) -> StagePlan | str:
    """The plan of a `/gatebot run` by `login` (who has write access), or why it is refused (one line).

    The config is the checkout's (the base branch's); the artifacts are handed off in `fork/`.
    """
    repository = ctx.runner.repository
    if ctx.runner.run_attempt > 1:
        return (
            "this is a re-run of the command workflow, which cannot tell which commit was approved: "
            "comment `/gatebot run` again"
        )
    info = pull_request_info(gh, repository, number)
    if info.state != "open":
        return f"pull request #{number} is {info.state}: nothing to run"
    default = str((ctx.runner.event().get("repository") or {}).get("default_branch") or "")
    if not default:
        return "the event does not name the repository's default branch, whose harness the run would use"
    if info.base_ref != default:
        # The command workflow runs on the default branch and checks it out: its config and
        # benchmarks would judge a change meant for another branch, against that branch's baselines.
        into, main = escape_md(info.base_ref), escape_md(default)
        return (
            f"pull request #{number} is into {into}, and `/gatebot run` evaluates with the harness of "
            f"the default branch ({main}), which the command workflow checks out: it runs only for pull "
            f"requests into {main}"
        )
    loaded = ctx.load_config()
    prefix = ctx.config_prefix(loaded)
    changes, truncated = file_changes(gh, repository, number)
    if truncated:
        return (
            "GitHub lists at most 3,000 changed files, so gatebot cannot tell what this pull request changes"
        )
    pr = PullRequest(
        number=number,
        head_sha=info.head.sha,
        head_ref=info.head.ref,
        base_sha=info.base_sha,
        base_ref=info.base_ref,
        head_repo=info.head.repository or "(deleted fork)",
        base_repo=info.base_repository,
        author=info.author,
    )
    files = [ChangedFile(c.path, c.status, c.previous_path) for c in changes]
    vetted = vet_changes(loaded.config, files, prefix=prefix, from_fork=pr.from_fork)
    if vetted.problem is not None:
        return vetted.problem
    # The candidate is the fork's files in the default branch's checkout as it is now, so its baseline
    # is that commit's, not the pull request's base: a fork that has not merged the default branch for
    # a while would otherwise be compared with an older model under the newer harness.
    harness = git_commit(ctx.runner.workspace) or ctx.runner.sha
    plan = StagePlan(
        activity=Activity.GATE_PULL_REQUEST,
        sha=pr.head_sha,
        pull_request=pr,
        jobs=tuple(select_jobs(loaded.config, models=vetted.models)),
        baselines_branch=loaded.config.gate.baselines_branch,
        max_flips_shown=loaded.config.gate.max_flips_shown,
        approval=Approval(by=login, at=now, head_sha=pr.head_sha),
        run_base=harness or None,
        fork_files=vetted.fetch,
        fork_removed=vetted.remove,
        # The harness is the base branch's but the artifacts are the fork's: the run is in the fork's
        # scope, so no result of it could ever count as the repository's own.
        trust_scope=pull_request_scope(info.head.repository, repository),
    )
    _hand_off_baselines(ctx, gh, loaded, plan, baselines_at=harness)
    refused = _fetch_files(gh, repository, pr.head_sha, vetted.fetch, Handoff(ctx.settings.handoff_dir).fork)
    if refused:
        return (
            f"{shown_paths(refused)}: not a regular file at commit {pr.head_sha[:7]} (a symbolic link or "
            "a submodule)"
        )
    print(
        f"gatebot: {login} approved commit {pr.head_sha[:12]} of pull request #{number}; fetched "
        f"{len(vetted.fetch)} artifact file(s) as data",
        file=ctx.log,
    )
    return plan


def _fetch_files(gh: Client, repository: str, sha: str, paths: Sequence[str], folder: Path) -> list[str]:
    """Download each path at commit `sha` into `folder`, through the Git Data API (the pull request's
    head commit is in the base repository's network, a fork's too). Returns the paths that are not
    regular files there (nothing is written for them)."""
    git = GitData(gh, repository)
    refused: list[str] = []
    for path in paths:
        found = git.walk(sha, path)
        item = found[-1][1] if found and found[-1][0] == path else None
        if item is None or item.type != "blob" or item.mode not in REGULAR_FILE_MODES:
            refused.append(path)
            continue
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(git.blob(item.sha))
    return refused


# -- evaluate: no token -------------------------------------------------------------------------------


class RedactingLog:
    """A text stream that replaces every secret value before it reaches `target`, a line at a time (a
    value split across two writes is still found)."""

    def __init__(self, target: IO[str], values: Sequence[str]) -> None:
        self._target = target
        self._values = values
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        done, newline, rest = self._pending.rpartition("\n")
        if newline:
            self._target.write(redact_text(done + newline, self._values))
            self._pending = rest
        if len(self._pending) > 65_536:
            self._target.write(redact_text(self._pending, self._values))
            self._pending = ""
        return len(text)

    def flush(self) -> None:
        self._target.flush()

    def close(self) -> None:
        if self._pending:
            self._target.write(redact_text(self._pending, self._values))
            self._pending = ""
        self._target.flush()


def evaluate_approved(ctx: Context, plan: StagePlan, environ: Mapping[str, str]) -> GateReport:
    """Place the fork's files in the base branch's checkout and run its benchmarks with their secrets."""
    secrets = parse_secrets(environ.get(SECRETS_VARIABLE))
    values = secret_values(secrets)
    redacting = RedactingLog(ctx.log, values)
    log = cast(IO[str], redacting)
    ctx = dataclasses.replace(ctx, log=log)
    try:
        loaded = ctx.load_config()
        jobs = planned_jobs(loaded, plan)
        for job in jobs:
            _given(loaded, job, secrets)  # a secret the workflow does not pass stops it before any run
        handoff = Handoff(ctx.settings.handoff_dir)
        place_files(ctx.runner.workspace, handoff.fork, plan)
        files = FileSource(LocalStore(loaded.root / DEFAULT_DIR), label=DEFAULT_DIR.as_posix())

        def candidate(job: Job) -> Results:
            return run_benchmark(loaded, job, ctx.out_dir, log=log, secrets=_given(loaded, job, secrets))[0]

        report = gate(
            loaded,
            jobs,
            candidate=candidate,
            source=HandoffSource(handoff.baselines, files),
            group=ctx.workflow.group,
            run_base=_run_base(ctx, loaded, plan.run_base, secrets, log) if plan.run_base else None,
        )
    except Exception as error:
        failure = failure_of(error)
        raise GatebotError(redact_text(failure.message, values)) from None
    finally:
        redacting.close()
        _redact_results(ctx.out_dir, values)
    return report_from_document(redact(report_document(report), values), where="the verdict")


def _run_base(
    ctx: Context, loaded: LoadedConfig, sha: str, secrets: Mapping[str, str], log: IO[str]
) -> RunBase:
    """Benchmark a job on the default branch's commit `sha`, the checkout the harness is, as that commit
    has it (its config, its model) with the secrets it declares: in a worktree of its own, because the
    fork's files are placed in the checkout."""

    def benchmark(at: LoadedConfig, job: Job, out: Path) -> Results:
        return run_benchmark(at, job, out, log=log, secrets=_given(at, job, secrets))[0]

    def run(job: Job) -> Found | None:
        results = run_at_commit(
            ctx.runner.workspace, loaded, job, sha, ctx.out_dir / "base", log=log, run=benchmark
        )
        if results is None:
            return None  # the commit has no such job: the model comes with this pull request
        return Found(
            results,
            f"the default branch's commit {sha[:7]} (this run's harness), benchmarked in this run "
            "(no baseline was recorded)",
        )

    return run


def _given(loaded: LoadedConfig, job: Job, secrets: Mapping[str, str]) -> dict[str, str]:
    """The secrets `job`'s benchmark declares in `loaded`, from the ones the command workflow passes."""
    declared = loaded.config.benchmarks[job.benchmark].secrets
    missing = [n for n in declared if n not in secrets]
    if missing:
        raise InputError(
            f"benchmark {job.benchmark} needs the secret {', '.join(missing)}, which the command "
            "workflow does not pass",
            "add `NAME=${{ secrets.NAME }}` to the gatebot step's `secrets` input",
        )
    return {n: secrets[n] for n in declared}


def _redact_results(out_dir: Path, values: Sequence[str]) -> None:
    """The results files the runs left in the output folder, with the secrets' values (as written and
    as JSON escapes them) replaced: a benchmark may have echoed one into an example's output."""
    if not values or not out_dir.is_dir():
        return
    forms = [form.encode() for v in values for form in dict.fromkeys((v, json.dumps(v)[1:-1]))]
    for path in out_dir.rglob("*.json"):
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if any(form in data for form in forms):
            for form in forms:
                data = data.replace(form, REDACTED.encode())
            path.write_bytes(data)


def place_files(workspace: Path, folder: Path, plan: StagePlan) -> None:
    """Put the handed-off artifact files where the config expects them (their paths in the repository),
    and remove those the pull request removes; never outside the checkout, never through a link."""
    root = workspace.resolve()
    for path in (*plan.fork_removed, *plan.fork_files):
        if not safe_path(path):
            raise InputError(f"the plan names {path!r}, which is not a path inside the repository")
    for path in plan.fork_removed:
        target = _inside(root, path)
        if target.is_symlink() or target.is_file():
            target.unlink()
    for path in plan.fork_files:
        target = _inside(root, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        _inside(root, path)  # the folders made are the checkout's own
        if target.is_symlink() or target.exists():
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink()
        source = folder / path
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as reading, open(target, "xb") as writing:
            shutil.copyfileobj(reading, writing)


def _inside(root: Path, path: str) -> Path:
    """`root / path`, refused when a folder on the way is a link out of the checkout."""
    target = root / path
    parent = target.parent.resolve() if target.parent.exists() else target.parent
    if parent != root and root not in parent.parents:
        raise InputError(f"{path}: a folder on its way leads out of the checkout", "check the checkout")
    return target


# -- publish: token, nothing of the pull request runs --------------------------------------------------


def publish_approved(ctx: Context, plan: StagePlan, report: GateReport) -> int:
    """The comment and the check on the approved commit; a reply when the pull request moved on."""
    code = publish_gate(ctx, plan, report)
    pr, approval = plan.pull_request, plan.approval
    assert pr is not None and approval is not None
    gh = ctx.need_github("the command workflow needs `pull-requests: write`")
    head = pull_head(gh, ctx.runner.repository, pr.number)
    if head != approval.head_sha:
        reply(gh, ctx.runner.repository, pr.number, lapsed_reply(approval, head))
    return code


def lapsed_reply(approval: Approval, head: str) -> str:
    return reply_to(
        approval.by,
        f"gatebot evaluated commit {approval.head_sha[:7]}, which you approved, but the pull request has "
        f"moved on to {head[:7]} since: the approval does not carry over. Review the new commits, then "
        "a new `/gatebot run` is needed to evaluate them.",
    )
