"""Gating a pull request or a ref: run the affected benchmarks, compare with the baselines, publish.

A pull request from a branch gets its comment and check here; one from a fork (a read-only token)
gets a bundle that a trusted `workflow_run` job publishes (`publish`).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from gatebot.activities import payloads
from gatebot.activities.context import Context
from gatebot.activities.posting import publish_nothing_to_gate, publish_report
from gatebot.baselines import (
    DEFAULT_DIR,
    BaselineSource,
    BaselineStore,
    BranchSource,
    FileSource,
    Found,
    LocalStore,
)
from gatebot.bundle import ARTIFACT_NAME, BUNDLE_FILE, Bundle, write_bundle
from gatebot.config import LoadedConfig, load_config
from gatebot.errors import EXIT_PASSED
from gatebot.events import PullRequest
from gatebot.gating import RunBase, gate
from gatebot.github.client import Client
from gatebot.github.pulls import changed_files
from gatebot.plan import Job, affected_models, matches, select_jobs
from gatebot.report import RenderOptions, fit_markdown, render_markdown
from gatebot.results import atomic_write
from gatebot.reuse import cost_line
from gatebot.runner import base_worktree, remove_worktree
from gatebot.runs import LocalCache, Runs, branch_lookup, cache_folder, scope_of
from gatebot.verdict import GateReport, report_document
from gatebot.workflow import Workflow


def gate_pull_request(ctx: Context, pr: PullRequest) -> int:
    """Gate the models a pull request changes against the baselines of its base commit."""
    loaded = ctx.load_config()
    gh = ctx.need_github("pass `token: ${{ github.token }}` (the default)")
    files, truncated = changed_files(gh, ctx.runner.repository, pr.number)
    prefix = ctx.config_prefix(loaded)
    models = list(loaded.config.models) if truncated else affected_models(loaded.config, files, prefix=prefix)
    if not models:
        ctx.workflow.notice(payloads.NOTHING_TO_GATE)
        ctx.workflow.set_output("passed", "true")
        if pr.from_fork:
            _bundle(ctx, pr, report_document(GateReport(())), nothing_to_gate=True)
        else:
            publish_nothing_to_gate(ctx, gh, number=pr.number, head_sha=pr.head_sha)
        return EXIT_PASSED
    store_glob = (prefix + DEFAULT_DIR.as_posix() + "/**",)
    if any(matches(f, store_glob) for f in files):
        ctx.workflow.warning(
            "this pull request changes stored baselines: the comparison uses the changed files"
        )
    jobs = select_jobs(loaded.config, models=models)
    report, cost = _gate(ctx, gh, loaded, jobs, baselines_at=pr.base_sha, base_sha=pr.base_sha)
    options = _write_report(ctx, loaded, report, cost=cost)
    if pr.from_fork:
        _bundle(ctx, pr, report_document(report), nothing_to_gate=False)
    else:
        publish_report(ctx, gh, report, options, sha=pr.head_sha, pr=pr.number, run_id=ctx.runner.run_id)
    return report.exit_code(fail_on_regression=ctx.settings.fail_on_regression)


def gate_ref(ctx: Context, sha: str) -> int:
    """Gate every model at a commit (workflow_dispatch) against the baselines recorded for it."""
    loaded = ctx.load_config()
    gh = ctx.github()
    report, cost = _gate(ctx, gh, loaded, select_jobs(loaded.config), baselines_at=sha, base_sha=None)
    options = _write_report(ctx, loaded, report, cost=cost)
    publish_report(ctx, gh, report, options, sha=sha, pr=None, run_id=ctx.runner.run_id)
    return report.exit_code(fail_on_regression=ctx.settings.fail_on_regression)


def _gate(
    ctx: Context,
    gh: Client | None,
    loaded: LoadedConfig,
    jobs: list[Job],
    *,
    baselines_at: str,
    base_sha: str | None,
) -> tuple[GateReport, str | None]:
    """The one call of the gate: baselines recorded at `baselines_at`, else a run of `base_sha`; and
    the report's line on what it cost."""
    runs = _runs(ctx, gh, loaded)
    folder = ctx.settings.results_dir
    report = gate(
        loaded,
        jobs,
        candidate=runs.from_folder(loaded, folder, ctx.out_dir)
        if folder
        else runs.candidate(loaded, ctx.out_dir),
        source=_sources(ctx, gh, loaded, baselines_at),
        group=ctx.workflow.group,
        run_base=_run_base(ctx, loaded, base_sha, runs) if base_sha else None,
    )
    return report, cost_line(runs.costs)


def _runs(ctx: Context, gh: Client | None, loaded: LoadedConfig) -> Runs:
    """Results reused from the baselines branch or this trust scope's cache folder, else run."""
    scope = scope_of(
        in_actions=True,
        event_name=ctx.runner.event_name,
        event_path=ctx.runner.event_path,
        repository=ctx.runner.repository,
    )
    cache = LocalCache(cache_folder(loaded, override=ctx.settings.cache_dir, out_dir=ctx.out_dir), scope)
    branch = loaded.config.gate.baselines_branch
    lookups = [branch_lookup(BaselineStore(gh, ctx.runner.repository, branch=branch))] if gh else []
    return Runs(log=ctx.log, cache=cache, lookups=lookups)


def _sources(ctx: Context, gh: Client | None, loaded: LoadedConfig, base_sha: str) -> BaselineSource:
    """The baselines branch at `base_sha`, falling back to the files committed beside the config."""
    files = FileSource(LocalStore(loaded.root / DEFAULT_DIR), label=DEFAULT_DIR.as_posix())
    if gh is None or not base_sha:
        return files
    return BranchSource(gh, ctx.runner.repository, base_sha, loaded.config.gate.baselines_branch, files)


def _run_base(ctx: Context, loaded: LoadedConfig, base_sha: str, runs: Runs) -> RunBase:
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
            label = f"{job.benchmark} for {job.model} on the base commit"
            results, _ = runs.run(base_loaded, job, ctx.out_dir / "base", label=label)
        finally:
            remove_worktree(ctx.runner.workspace, worktree)
            shutil.rmtree(scratch, ignore_errors=True)
        return Found(
            results, f"the base commit {base_sha[:7]}, benchmarked in this run (no baseline was recorded)"
        )

    return run


def _write_report(
    ctx: Context, loaded: LoadedConfig, report: GateReport, *, cost: str | None = None
) -> RenderOptions:
    """The report's files, job summary, annotations and outputs; the options to render it again."""
    options = RenderOptions(
        run_url=ctx.runner.run_url,
        full_report_hint=payloads.SUMMARY_HINT,
        max_flips_shown=loaded.config.gate.max_flips_shown,
        cost_line=cost,
    )
    markdown = render_markdown(report, options)
    verdict_path, report_path = _report_files(report, markdown, ctx.out_dir)
    ctx.workflow.add_summary(markdown, fallback=fit_markdown(report, options, limit=512 * 1024))
    _announce(report, ctx.workflow)
    ctx.workflow.set_output("passed", "true" if report.passed else "false")
    ctx.workflow.set_output("verdict", str(verdict_path.resolve()))
    ctx.workflow.set_output("report", str(report_path.resolve()))
    return options


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


def _bundle(ctx: Context, pr: PullRequest, verdict: dict[str, Any], *, nothing_to_gate: bool) -> None:
    """A fork's read-only run: hand the verdict to the trusted publish workflow instead of publishing."""
    bundle_path = ctx.out_dir / "bundle" / BUNDLE_FILE
    bundle = Bundle(
        repository=ctx.runner.repository,
        pull_request=pr.number,
        head_sha=pr.head_sha,
        gate_id=ctx.settings.id,
        check_name=ctx.settings.check_name,
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
