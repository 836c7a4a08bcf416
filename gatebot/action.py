"""The GitHub Actions entry: the environment GitHub provides and the event -> plan -> gate -> publish.

`run_action` is what `action.yml` runs (`gatebot action`); `run_publish` is the trusted half of the
fork flow (`gatebot publish`). Both read the world once at the start, hand plain values to the core,
and write the world at the end: check, sticky comment, job summary, outputs, exit code.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from github import Github
from github.IssueComment import IssueComment
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from gatebot.baselines import DEFAULT_DIR, BaselineSource, BaselineStore, FileSource, Found, LocalStore
from gatebot.bundle import ARTIFACT_NAME, BUNDLE_FILE, Bundle, bundle_from_zip, read_bundle, write_bundle
from gatebot.commands import (
    State,
    Verb,
    addressed,
    compose_comment,
    decode_state,
    parse_commands,
    refused,
    regressions_of,
    render_overrides,
    report_part,
    respond,
)
from gatebot.config import LoadedConfig, load_config
from gatebot.errors import EXIT_PASSED, GatebotError, InputError, validation_problem
from gatebot.events import Activity, Plan, PullRequest, Push, find_activity
from gatebot.gating import RunBase, gate
from gatebot.github.artifacts import download_artifact
from gatebot.github.checks import CHECK_TEXT_LIMIT, CheckPayload, Conclusion, Published, publish_check
from gatebot.github.client import call, connect
from gatebot.github.comments import ACTIONS_BOT, COMMENT_LIMIT, find_sticky, marker, post_sticky
from gatebot.github.git_data import github_is_ancestor
from gatebot.github.interactions import WRITE_PERMISSIONS, head_sha, permission_of, react, reply, rerun
from gatebot.github.pulls import changed_files
from gatebot.markdown import escape_md
from gatebot.plan import Job, affected_models, matches, models_to_record, select_jobs
from gatebot.report import RenderOptions, check_title, cut_at_line, fit_markdown, render_markdown
from gatebot.results import atomic_write
from gatebot.runner import base_worktree, remove_worktree, run_benchmark, utc_timestamp
from gatebot.verdict import GateReport, Outcome, TrendPoint, report_document, report_from_document
from gatebot.workflow import Workflow


class ActionInputs(BaseModel):
    """The action's inputs, which action.yml passes as `GATEBOT_<INPUT>` environment variables.

    Read from the environment mapping the entry point is given (empty values count as unset).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    config: str = Field(default=".gatebot.yml", description="Config file, relative to the working directory.")
    token: SecretStr | None = Field(default=None, description="Token for the GitHub API; never printed.")
    comment: Literal["sticky", "off"] = Field(default="sticky", description="Post the sticky PR comment.")
    check_name: str = Field(default="gatebot", min_length=1, max_length=100, description="Name of the check.")
    fail_on_regression: bool = Field(default=True, description="Exit 1 (failing the job) on a regression.")
    id: str = Field(default="default", description="Gate id: separate comments for separate gatebot jobs.")
    out_dir: str = Field(default="gatebot-out", description="Where results, verdict and report are written.")
    comment_author: str = Field(default=ACTIONS_BOT, description="Login that posts the sticky comment.")


@dataclass(frozen=True)
class Runner:
    """The variables GitHub Actions sets for every step."""

    event_name: str
    event_path: Path | None
    repository: str
    sha: str
    ref: str
    api_url: str | None
    server_url: str
    run_id: str | None
    workspace: Path

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Runner:
        missing = [name for name in ("GITHUB_EVENT_NAME", "GITHUB_REPOSITORY") if not environ.get(name)]
        if missing:
            raise GatebotError(
                f"{', '.join(missing)} not set: `gatebot action` runs inside GitHub Actions",
                "use `gatebot gate` on your machine",
            )
        event_path = environ.get("GITHUB_EVENT_PATH")
        return cls(
            event_name=environ["GITHUB_EVENT_NAME"],
            event_path=Path(event_path) if event_path else None,
            repository=environ["GITHUB_REPOSITORY"],
            sha=environ.get("GITHUB_SHA", ""),
            ref=environ.get("GITHUB_REF", ""),
            api_url=environ.get("GITHUB_API_URL"),
            server_url=environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/"),
            run_id=environ.get("GITHUB_RUN_ID"),
            workspace=Path(environ.get("GITHUB_WORKSPACE") or os.getcwd()),
        )

    @property
    def run_url(self) -> str | None:
        if not self.run_id:
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    def event(self) -> dict[str, Any]:
        if self.event_path is None:
            raise InputError("GITHUB_EVENT_PATH is not set", "gatebot reads the triggering event from it")
        try:
            payload = json.loads(self.event_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InputError(f"{self.event_path}: cannot read the event payload ({error})") from None
        if not isinstance(payload, dict):
            raise InputError(f"{self.event_path}: the event payload is not a JSON object")
        return payload


def _inputs(environ: Mapping[str, str]) -> ActionInputs:
    try:
        return ActionInputs.model_validate(_settings_source(environ))
    except ValidationError as error:
        path, message = validation_problem(error)
        raise GatebotError(
            f"input {path.split('.')[0].replace('_', '-')}: {message}",
            "fix the `with:` block of the gatebot step",
        ) from None


def _settings_source(environ: Mapping[str, str]) -> dict[str, str]:
    """Inputs read from `environ` (not the process environment), so the action is testable in-process."""
    prefix = "GATEBOT_"
    return {k[len(prefix) :].lower(): v for k, v in environ.items() if k.startswith(prefix) and v != ""}


CONCLUSION: dict[Outcome, Conclusion] = {
    Outcome.PASSED: "success",
    Outcome.FAILED: "failure",
    Outcome.INCOMPARABLE: "failure",
    Outcome.NO_BASELINE: "failure",
}


@dataclass(frozen=True)
class Context:
    inputs: ActionInputs
    runner: Runner
    workflow: Workflow
    log: IO[str]

    @property
    def mark(self) -> str:
        return marker(self.inputs.id)

    def github(self) -> Github | None:
        return None if self.inputs.token is None else connect(self.runner.api_url, self.inputs.token)


class BranchSource:
    """Baselines recorded on the baselines branch: the newest record on the base commit or one of its
    ancestors. Falls back to the files committed under `.gatebot/baselines` in the checkout."""

    def __init__(self, gh: Github, repository: str, base_sha: str, branch: str, files: FileSource) -> None:
        self.store = BaselineStore(gh, repository, branch=branch)
        self.base_sha = base_sha
        self.is_ancestor = github_is_ancestor(gh, repository)
        self.files = files

    def find(self, model: str, benchmark: str) -> Found | None:
        entry = self.store.find_baseline(
            model, benchmark, base_sha=self.base_sha, is_ancestor=self.is_ancestor
        )
        if entry is None:
            return self.files.find(model, benchmark)
        source = f"commit {entry.commit[:7]}, recorded {entry.recorded_at} on the {self.store.branch} branch"
        return Found(self.store.load(entry), source)

    def trend(self, model: str, benchmark: str, points: int) -> list[TrendPoint]:
        """The newest records on the base commit's line of history (not other branches'), oldest first."""
        chosen: list[TrendPoint] = []
        seen: set[str] = set()
        for entry in reversed(self.store.history(model, benchmark)):
            if len(chosen) == points:
                break
            if entry.commit in seen:
                continue
            if entry.commit == self.base_sha or self.is_ancestor(entry.commit, self.base_sha):
                seen.add(entry.commit)
                chosen.append(TrendPoint(entry.commit[:7], dict(entry.metrics)))
        return chosen[::-1]


def _sources(ctx: Context, gh: Github | None, loaded: LoadedConfig, base_sha: str | None) -> BaselineSource:
    files = FileSource(LocalStore(loaded.root / DEFAULT_DIR), label=DEFAULT_DIR.as_posix())
    if gh is None or not base_sha:
        return files
    return BranchSource(gh, ctx.runner.repository, base_sha, loaded.config.gate.baselines_branch, files)


def _run_base(ctx: Context, loaded: LoadedConfig, base_sha: str, out_dir: Path) -> RunBase:
    """Benchmark a job on the pull request's base commit, in a worktree of its own."""

    def run(job: Job) -> Found | None:
        scratch = Path(tempfile.mkdtemp(prefix="gatebot-base-"))
        worktree = base_worktree(ctx.runner.workspace, base_sha, scratch / "base")
        try:
            try:
                relative = loaded.root.resolve().relative_to(ctx.runner.workspace.resolve())
            except ValueError:
                return None
            config_path = worktree / relative / (loaded.path.name if loaded.path else ".gatebot.yml")
            if not config_path.exists():
                return None  # the pull request that introduces gatebot: the base has nothing to run
            base_loaded = load_config(config_path, required=True)
            if (
                job.model not in base_loaded.config.models
                or job.benchmark not in base_loaded.config.benchmarks
            ):
                return None
            results, _ = run_benchmark(base_loaded, job, out_dir / "base", log=ctx.log)
        finally:
            remove_worktree(ctx.runner.workspace, worktree)
            shutil.rmtree(scratch, ignore_errors=True)
        return Found(
            results, f"the base commit {base_sha[:7]}, benchmarked in this run (no baseline was recorded)"
        )

    return run


def _report_files(report: GateReport, markdown: str, out_dir: Path) -> tuple[Path, Path]:
    verdict_path = out_dir / "verdict.json"
    report_path = out_dir / "report.md"
    document = json.dumps(report_document(report), indent=2, ensure_ascii=False) + "\n"
    atomic_write(verdict_path, [document.encode()])
    atomic_write(report_path, [markdown.encode()])
    return verdict_path, report_path


def _announce(report: GateReport, wf: Workflow) -> None:
    for verdict in report.verdicts:
        for row in verdict.regressions:
            where = f" on {row.slice_label}" if row.slice_key else ""
            wf.error(f"{verdict.model}/{verdict.benchmark}: {row.metric}{where} regressed ({row.reason})")
        for note in verdict.notes:
            wf.warning(f"{verdict.model}/{verdict.benchmark}: {note}")


def _publish(
    ctx: Context,
    gh: Github | None,
    report: GateReport,
    options: RenderOptions,
    *,
    sha: str,
    pr: int | None,
    run_id: str | None,
) -> None:
    """Comment and check for a report, from a job whose token may write.

    The comment keeps gatebot's state (hidden) and the acceptances made on it: those for this very
    commit still apply (a rerun), those for earlier commits are shown as no longer applying.
    """
    if gh is None:
        ctx.workflow.warning("no token: the check and the comment were not published")
        return
    state = State(
        head_sha=sha,
        run_id=run_id,
        check_name=ctx.inputs.check_name,
        outcome=report.outcome.value,
        title=check_title(report),
        regressions=regressions_of(report),
    )
    if pr is not None and ctx.inputs.comment == "sticky":

        def build(previous: str | None) -> str:
            nonlocal state  # the acceptances recorded in the previous comment carry over
            prior = decode_state(previous) if previous is not None else None
            if prior is not None:
                state = state.model_copy(update={"acceptances": prior.acceptances})
            overrides = render_overrides(state)
            reserve = len(compose_comment(ctx.mark, state, overrides, ""))
            markdown = fit_markdown(report, options, limit=COMMENT_LIMIT, reserve=reserve)
            return compose_comment(ctx.mark, state, overrides, markdown)

        posted = post_sticky(
            gh, ctx.runner.repository, pr, build, mark=ctx.mark, author=ctx.inputs.comment_author
        )
        print(f"gatebot: sticky comment {posted.value} on pull request #{pr}", file=ctx.log)
    overrides = render_overrides(state)
    _check(ctx, gh, state, overrides + fit_markdown(report, options, limit=CHECK_TEXT_LIMIT - len(overrides)))


def _check(ctx: Context, gh: Github, state: State, summary: str) -> None:
    payload = CheckPayload(
        name=state.check_name,
        head_sha=state.head_sha,
        conclusion=state.check_conclusion(),
        title=state.check_title(),
        summary=summary[:CHECK_TEXT_LIMIT],
        details_url=ctx.runner.run_url,
    )
    published = publish_check(gh, ctx.runner.repository, payload)
    if published is Published.COMMIT_STATUS:
        ctx.workflow.warning(
            "the token may not create check runs, so the verdict was set as a commit status instead; "
            "grant `checks: write` for a check run"
        )
    print(f"gatebot: {published.value} {payload.conclusion} on {state.head_sha[:12]}", file=ctx.log)


NOTHING_TO_GATE = (
    "This pull request changes no file that the models' `artifacts` (or their benchmarks' `inputs`) match."
)


def _neutral(ctx: Context, gh: Github, *, number: int, head_sha: str, reason: str) -> None:
    """Nothing to gate: a neutral check, and an existing sticky comment updated (never a new one)."""
    if ctx.inputs.comment == "sticky":
        body = f"{ctx.mark}\n### ⚪ gatebot: nothing to gate\n\n{escape_md(reason)}\n"
        post_sticky(
            gh,
            ctx.runner.repository,
            number,
            lambda _previous: body,
            mark=ctx.mark,
            author=ctx.inputs.comment_author,
            create=False,
        )
    payload = CheckPayload(
        ctx.inputs.check_name, head_sha, "neutral", "No model artifacts changed", reason, ctx.runner.run_url
    )
    publish_check(gh, ctx.runner.repository, payload)


def _bundle(
    ctx: Context, pr: PullRequest, out_dir: Path, verdict: dict[str, Any], *, nothing_to_gate: bool
) -> None:
    """A fork's read-only run: hand the verdict to the trusted publish workflow instead of publishing."""
    bundle_path = out_dir / "bundle" / BUNDLE_FILE
    bundle = Bundle(
        repository=ctx.runner.repository,
        pull_request=pr.number,
        head_sha=pr.head_sha,
        gate_id=ctx.inputs.id,
        check_name=ctx.inputs.check_name,
        nothing_to_gate=nothing_to_gate,
        verdict=verdict,
    )
    write_bundle(bundle, bundle_path)
    ctx.workflow.set_output("bundle", str(bundle_path.resolve()))
    ctx.workflow.notice(
        "pull request from a fork: its token is read-only, so the verdict was written to a bundle; "
        f"upload {bundle_path} as the artifact `{ARTIFACT_NAME}` and publish it with `gatebot publish` "
        "from a workflow_run workflow"
    )


def run_action(environ: Mapping[str, str], *, log: IO[str] | None = None, record: bool = False) -> int:
    """`gatebot action`: gate the pull request or ref the event names, and publish the verdict.

    With `record` (`mode: record`, for bootstrapping from workflow_dispatch), measure every model at the
    workflow's commit and record the results as its baselines, whatever the event.
    """
    log = log or sys.stderr
    wf = Workflow.from_environ(environ)
    inputs = _inputs(environ)
    runner = Runner.from_environ(environ)
    ctx = Context(inputs, runner, wf, log)
    if record:
        plan = Plan(Activity.RECORD, "recording by hand", push=Push(runner.sha, "", (), complete=False))
    else:
        plan = find_activity(runner.event_name, runner.event(), sha=runner.sha, ref=runner.ref)
    if plan.activity is Activity.IGNORE:
        wf.notice(plan.reason)
        wf.set_output("passed", "true")
        return EXIT_PASSED
    if plan.activity is Activity.UNSUPPORTED:
        raise GatebotError(plan.reason)
    if plan.activity is Activity.COMMAND:
        return _handle_comment(ctx, runner.event())
    loaded = load_config(Path(inputs.config), required=True)
    out_dir = Path(inputs.out_dir)
    gh = ctx.github()
    if plan.activity is Activity.RECORD:
        assert plan.push is not None
        return _record(ctx, gh, loaded, plan.push, out_dir)
    pr = plan.pull_request
    if pr is not None:
        if gh is None:
            raise GatebotError("input token is empty", "pass `token: ${{ github.token }}` (the default)")
        files, truncated = changed_files(gh, runner.repository, pr.number)
        prefix = _config_prefix(loaded, runner.workspace)
        models = (
            list(loaded.config.models) if truncated else affected_models(loaded.config, files, prefix=prefix)
        )
        if not models:
            wf.notice(NOTHING_TO_GATE)
            wf.set_output("passed", "true")
            if pr.from_fork:
                _bundle(ctx, pr, out_dir, report_document(GateReport(())), nothing_to_gate=True)
            else:
                _neutral(ctx, gh, number=pr.number, head_sha=pr.head_sha, reason=NOTHING_TO_GATE)
            return EXIT_PASSED
        jobs = select_jobs(loaded.config, models=models)
        sha = pr.head_sha
        store_glob = (prefix + DEFAULT_DIR.as_posix() + "/**",)
        if any(matches(f, store_glob) for f in files):
            wf.warning("this pull request changes stored baselines: the comparison uses the changed files")
    else:
        jobs = select_jobs(loaded.config)
        sha = plan.sha or runner.sha
    base_sha = pr.base_sha if pr is not None else None
    report = gate(
        loaded,
        jobs,
        candidate=lambda job: run_benchmark(loaded, job, out_dir, log=log)[0],
        source=_sources(ctx, gh, loaded, base_sha or sha),
        group=wf.group,
        run_base=_run_base(ctx, loaded, base_sha, out_dir) if base_sha else None,
    )
    options = RenderOptions(
        run_url=runner.run_url,
        full_report_hint="The full report is in the job summary of the workflow run.",
        max_flips_shown=loaded.config.gate.max_flips_shown,
    )
    markdown = render_markdown(report, options)
    verdict_path, report_path = _report_files(report, markdown, out_dir)
    wf.add_summary(markdown, fallback=fit_markdown(report, options, limit=512 * 1024))
    _announce(report, wf)
    wf.set_output("passed", "true" if report.passed else "false")
    wf.set_output("verdict", str(verdict_path.resolve()))
    wf.set_output("report", str(report_path.resolve()))
    if pr is not None and pr.from_fork:
        _bundle(ctx, pr, out_dir, report_document(report), nothing_to_gate=False)
    else:
        _publish(ctx, gh, report, options, sha=sha, pr=pr.number if pr else None, run_id=runner.run_id)
    return report.exit_code(fail_on_regression=inputs.fail_on_regression)


def _record(ctx: Context, gh: Github | None, loaded: LoadedConfig, push: Push, out_dir: Path) -> int:
    """A push to the default branch: measure the models it changed and record them as baselines."""
    if gh is None:
        raise GatebotError("input token is empty", "recording baselines needs a token with `contents: write`")
    prefix = _config_prefix(loaded, ctx.runner.workspace)
    config_path = prefix + (loaded.path.name if loaded.path else ".gatebot.yml")
    models = models_to_record(
        loaded.config, push.files, complete=push.complete, prefix=prefix, config_path=config_path
    )
    jobs = select_jobs(loaded.config, models=models) if models else []
    if not jobs:
        ctx.workflow.notice("this push changes no model, benchmark input or config: no baseline to record")
        ctx.workflow.set_output("passed", "true")
        return EXIT_PASSED
    store = BaselineStore(gh, ctx.runner.repository, branch=loaded.config.gate.baselines_branch)
    lines = ["### 📌 gatebot: baselines recorded", "", f"Commit {push.sha[:7]}:", ""]
    for job in jobs:
        with ctx.workflow.group(f"gatebot: {job.benchmark} for {job.model}"):
            results, _ = run_benchmark(loaded, job, out_dir, log=ctx.log)
        now = utc_timestamp()
        outcome = store.record(results, commit=push.sha, recorded_at=now, run_url=ctx.runner.run_url)
        done = "recorded" if outcome.appended else "already recorded"
        print(
            f"gatebot: {job.model}/{job.benchmark} {done} on {store.branch} ({outcome.attempts} attempt(s))",
            file=ctx.log,
        )
        metrics = ", ".join(f"{escape_md(k)} {v:.4g}" for k, v in results.metrics.items())
        lines.append(f"- {escape_md(job.model)} on {escape_md(job.benchmark)}: {done} ({metrics})")
    ctx.workflow.add_summary("\n".join(lines) + "\n", fallback="gatebot recorded baselines.")
    ctx.workflow.set_output("passed", "true")
    return EXIT_PASSED


def _handle_comment(ctx: Context, payload: Mapping[str, Any]) -> int:
    """Answer the /gatebot commands in a pull-request comment.

    Who is asking is checked before anything else is read; bots (gatebot included) are never obeyed.
    Nothing in the comment is executed: commands are matched against fixed verbs.
    """
    comment = payload.get("comment") or {}
    issue = payload.get("issue") or {}
    user = comment.get("user") or {}
    login = str(user.get("login", ""))
    body = str(comment.get("body") or "")
    if not login or "id" not in comment or "number" not in issue:
        raise InputError("event payload: issue_comment without comment.user, comment.id or issue.number")
    if user.get("type") == "Bot" or login.endswith("[bot]") or not addressed(body):
        print("gatebot: the comment holds no command for gatebot", file=ctx.log)
        return EXIT_PASSED
    gh = ctx.github()
    if gh is None:
        raise GatebotError("input token is empty", "the command workflow needs `pull-requests: write`")
    repository = ctx.runner.repository
    number = int(issue["number"])
    comment_id = int(comment["id"])
    if permission_of(gh, repository, login) not in WRITE_PERMISSIONS:
        reply(gh, repository, number, refused(login))
        react(gh, repository, number, comment_id, "confused")
        ctx.workflow.notice(f"ignored the command of {login}, who has no write access")
        return EXIT_PASSED
    commands = parse_commands(body)
    if not commands:
        print("gatebot: the only /gatebot lines are quoted or in code: nothing to do", file=ctx.log)
        return EXIT_PASSED
    existing = find_sticky(gh, repository, number, mark=ctx.mark, author=ctx.inputs.comment_author)
    state = decode_state(existing.body) if existing is not None else None
    head: str | None = None
    now = utc_timestamp()
    for command in commands:
        if command.verb is Verb.ACCEPT and head is None and state is not None:
            head = head_sha(gh, repository, number)
        response = respond(command, login=login, state=state, head_sha=head, now=now)
        if response.state is not None and existing is not None:
            state = response.state
            _record_acceptance(ctx, gh, existing, state)
        if response.rerun and state is not None:
            _rerun(ctx, gh, number, state, report_part(existing.body or "") if existing is not None else None)
        if response.reply:
            reply(gh, repository, number, response.reply)
        react(gh, repository, number, comment_id, response.reaction)
    return EXIT_PASSED


def _record_acceptance(ctx: Context, gh: Github, existing: IssueComment, state: State) -> None:
    """Rewrite the comment's state and overrides (the report stays as it was) and re-evaluate the check."""
    report = report_part(existing.body or "") or ""
    overrides = render_overrides(state)
    room = COMMENT_LIMIT - len(compose_comment(ctx.mark, state, overrides, ""))
    report = cut_at_line(report, room, hint="The full report is in the job summary of the workflow run.")
    body = compose_comment(ctx.mark, state, overrides, report)
    call("recording the acceptance in gatebot's comment", "pull-requests: write", lambda: existing.edit(body))
    _check(ctx, gh, state, overrides + report)


_RERUN_FAILED = (
    "gatebot could not re-run the workflow (that needs `actions: write`, or the run is gone), so it "
    "published the last report again. Push a commit, or re-run the job from the Checks tab."
)


def _rerun(ctx: Context, gh: Github, number: int, state: State, report: str | None) -> None:
    """Re-run the workflow run that made the report; failing that, publish the last report's check again."""
    if state.run_id and rerun(gh, ctx.runner.repository, int(state.run_id)):
        print(f"gatebot: asked GitHub to re-run workflow run {state.run_id}", file=ctx.log)
        return
    _check(ctx, gh, state, render_overrides(state) + (report or ""))
    reply(gh, ctx.runner.repository, number, _RERUN_FAILED)


def _config_prefix(loaded: LoadedConfig, workspace: Path) -> str:
    """The config directory relative to the repository root, as a path prefix ('' at the root)."""
    try:
        relative = loaded.root.resolve().relative_to(workspace.resolve())
    except ValueError:
        return ""
    text = relative.as_posix()
    return "" if text == "." else text + "/"


def report_failure(environ: Mapping[str, str], message: str) -> None:
    """Best effort: a failing check that says gatebot could not run, so branch protection does not wait."""
    try:
        inputs = _inputs(environ)
        runner = Runner.from_environ(environ)
        if inputs.token is None or runner.event_name != "pull_request":
            return
        pr = find_activity(runner.event_name, runner.event(), sha=runner.sha, ref=runner.ref).pull_request
        if pr is None or pr.from_fork:
            return
        gh = connect(runner.api_url, inputs.token, retries=1)
        payload = CheckPayload(
            inputs.check_name, pr.head_sha, "failure", "gatebot could not run", message, runner.run_url
        )
        publish_check(gh, runner.repository, payload)
    except Exception:  # the original error is what the user must see
        return


def _triggering_run(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    run = payload.get("workflow_run")
    if not isinstance(run, Mapping):
        raise InputError("event payload: no workflow_run", "run `gatebot publish` on a workflow_run event")
    return run


def run_publish(environ: Mapping[str, str], bundle_path: Path | None, *, log: IO[str] | None = None) -> int:
    """`gatebot publish`: post a fork's bundle as comment and check, from a job with a write token.

    Trusts only the event GitHub sent: the bundle must name this repository and the head commit of the
    triggering run, and the pull request must have that head; then the verdict is rendered afresh.
    """
    log = log or sys.stderr
    wf = Workflow.from_environ(environ)
    inputs = _inputs(environ)
    if inputs.token is None:
        raise GatebotError("input token is empty", "the publishing job needs a token with write permissions")
    runner = Runner.from_environ(environ)
    run = _triggering_run(runner.event())
    gh = connect(runner.api_url, inputs.token)
    if bundle_path is not None:
        bundle = read_bundle(bundle_path)
    else:
        run_id = int(run["id"])
        archive = download_artifact(gh, inputs.token, runner.repository, run_id, ARTIFACT_NAME)
        bundle = bundle_from_zip(archive, where=f"artifact {ARTIFACT_NAME} of run {run_id}")
    if bundle.repository != runner.repository:
        raise InputError(f"the bundle names repository {bundle.repository}, not {runner.repository}")
    if bundle.head_sha != run.get("head_sha"):
        raise InputError("the bundle's head commit is not the head commit of the triggering workflow run")
    pull = call(
        f"reading pull request #{bundle.pull_request}",
        "pull-requests: read",
        lambda: gh.get_repo(runner.repository).get_pull(bundle.pull_request),
    )
    if call("reading the pull request", "pull-requests: read", lambda: pull.head.sha) != bundle.head_sha:
        raise InputError(f"pull request #{bundle.pull_request} has moved on from the bundle's head commit")
    # The check's name and the comment's id are the publisher's own inputs: a fork's bundle must not
    # choose which check it turns green or whose comment it overwrites.
    if (bundle.gate_id, bundle.check_name) != (inputs.id, inputs.check_name):
        raise InputError(
            f"the bundle is for gate id {bundle.gate_id!r} and check {bundle.check_name!r}, but this job "
            f"publishes id {inputs.id!r} and check {inputs.check_name!r}",
            "give the publish step the same `id` and `check-name` inputs as the gate step",
        )
    ctx = Context(inputs, runner, wf, log)
    if bundle.nothing_to_gate:
        _neutral(ctx, gh, number=bundle.pull_request, head_sha=bundle.head_sha, reason=NOTHING_TO_GATE)
        return EXIT_PASSED
    report = report_from_document(bundle.verdict, where="bundle verdict")
    options = RenderOptions(
        run_url=runner.run_url,
        full_report_hint="The full report is in the job summary of the pull request's workflow run.",
    )
    _publish(ctx, gh, report, options, sha=bundle.head_sha, pr=bundle.pull_request, run_id=str(run["id"]))
    wf.add_summary(render_markdown(report, options), fallback="The report is too large for the job summary.")
    return EXIT_PASSED
