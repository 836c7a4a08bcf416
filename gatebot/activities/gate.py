"""Gating a pull request or a ref: plan the runs, evaluate them against the baselines, publish.

One function per stage (`plan_*`, `evaluate_gate`, `publish_gate`; see `handoff` for the protocol), and
one per activity running the three in one process. A pull request from a branch gets its comment and
check here; one from a fork (a read-only token) gets a bundle that a trusted `workflow_run` job
publishes (`publish`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from gatebot.activities import payloads
from gatebot.activities.context import Context
from gatebot.activities.handoff import Handoff, StagePlan, planned_jobs
from gatebot.activities.posting import (
    accepted_state,
    job_exit_code,
    publish_nothing_to_gate,
    publish_report,
)
from gatebot.baselines import DEFAULT_DIR, BaselineStore, BranchSource, FileSource, Found, LocalStore
from gatebot.baselines.handoff import HandedOff, HandoffSource, fetch, read_handed_off, write_handoff
from gatebot.bundle import ARTIFACT_NAME, BUNDLE_FILE, Bundle, write_bundle
from gatebot.config import DEFAULT_CONFIG_FILE, Config, LoadedConfig, parse_config_text
from gatebot.errors import EXIT_PASSED
from gatebot.events import Activity, PullRequest
from gatebot.flips_file import write_verdict
from gatebot.gating import RunBase, gate
from gatebot.github.client import Client
from gatebot.github.pulls import changed_files
from gatebot.plan import Job, affected_models, select_jobs
from gatebot.policy import judged_config
from gatebot.report import RenderOptions, fit_markdown, render_markdown
from gatebot.results import atomic_write, parse_results
from gatebot.reuse import REPOSITORY_SCOPE, ReuseKey, pull_request_scope
from gatebot.runner import file_at_commit, run_at_commit
from gatebot.runs import LocalCache, Runs, branch_lookup, cache_folder, found_lookup, job_key
from gatebot.verdict import GateReport, report_document
from gatebot.workflow import Workflow


def gate_pull_request(ctx: Context, pr: PullRequest) -> int:
    """Gate the models a pull request changes against the baselines of its base commit, in one process."""
    plan = plan_pull_request(ctx, pr)
    if plan is None:
        return EXIT_PASSED
    return publish_gate(ctx, plan, evaluate_gate(ctx, plan))


def gate_ref(ctx: Context, sha: str) -> int:
    """Gate every model at a commit (workflow_dispatch) against the baselines recorded for it."""
    plan = plan_ref(ctx, sha)
    return publish_gate(ctx, plan, evaluate_gate(ctx, plan))


def plan_pull_request(ctx: Context, pr: PullRequest) -> StagePlan | None:
    """The runs a pull request's changes call for, with their baselines handed off.

    None when it changes no model: then the neutral check (or a fork's bundle) is published here.
    """
    head = ctx.load_config()
    base = _base_config(ctx, head, pr.base_sha)
    judged = judged_config(base, head.config)
    loaded = head.model_copy(update={"config": judged.config})
    for change in judged.changes:
        ctx.workflow.warning(f"this pull request changes the gate's settings, in force once merged: {change}")
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
        return None
    jobs = select_jobs(loaded.config, models=models)
    if pr.from_fork and (secret := _needing_secrets(loaded.config, jobs)):
        _needs_approval(ctx, pr, secret)
        return None
    plan = _plan(Activity.GATE_PULL_REQUEST, loaded, jobs, pr.head_sha)
    plan = plan.model_copy(
        update={
            "pull_request": pr,
            "run_base": pr.base_sha,
            "base_config": None if base is None else base.model_dump(mode="json", by_alias=True),
            "settings_changes": judged.changes,
            "trust_scope": pull_request_scope(pr.head_repo, pr.base_repo),
        }
    )
    handed = _hand_off_baselines(ctx, gh, loaded, plan, baselines_at=pr.base_sha)
    _hand_off_reused(ctx, gh, loaded, plan)
    changed = _changed_baselines(ctx, loaded, plan, handed, files, prefix=prefix, base_sha=pr.base_sha)
    return plan.model_copy(
        update={
            "changed_baselines": tuple(changed),
            "settings_changes": (*plan.settings_changes, *changed.values()),
        }
    )


def plan_ref(ctx: Context, sha: str) -> StagePlan:
    """Every model at a commit, with the baselines recorded for it handed off (none without a token)."""
    loaded = ctx.load_config()
    plan = _plan(Activity.GATE_REF, loaded, select_jobs(loaded.config), sha)
    gh = ctx.github()
    _hand_off_baselines(ctx, gh, loaded, plan, baselines_at=sha)
    _hand_off_reused(ctx, gh, loaded, plan)
    return plan


def evaluate_gate(ctx: Context, plan: StagePlan) -> GateReport:
    """Run the planned benchmarks and compare them with the handed-off baselines: no network, no token.

    A job whose model, inputs and config equal those of results the plan stage found on the baselines
    branch, or of results in this trust scope's cache folder, is not run: those results are used (the
    report's footer says from where). With `results_dir` (the sharded workflow's final job) the
    candidate is what the shard jobs left there, merged, and nothing is run. A job without a baseline
    falls back to the files committed beside the config, then (on a pull request, under
    `missing_baseline: run-base`) to a run of the base commit, reused and kept the same way.
    """
    loaded = judged_loaded(ctx, plan)
    files = FileSource(
        LocalStore(loaded.root / DEFAULT_DIR),
        label=DEFAULT_DIR.as_posix(),
        excluded=frozenset(plan.changed_baselines),
    )
    handoff = Handoff(ctx.settings.handoff_dir)
    runs = Runs(
        log=ctx.log,
        cache=LocalCache(
            cache_folder(loaded, override=ctx.settings.cache_dir, out_dir=ctx.out_dir), plan.trust_scope
        ),
        lookups=[found_lookup(read_handed_off(handoff.reused))],
    )
    folder = ctx.settings.results_dir
    report = gate(
        loaded,
        planned_jobs(loaded, plan),
        candidate=runs.from_folder(loaded, folder, ctx.out_dir)
        if folder
        else runs.candidate(loaded, ctx.out_dir),
        source=HandoffSource(handoff.baselines, files),
        group=ctx.workflow.group,
        run_base=_run_base(ctx, loaded, plan.run_base, runs) if plan.run_base else None,
    )
    return dataclasses.replace(report, costs=tuple(runs.costs))


def publish_gate(ctx: Context, plan: StagePlan, report: GateReport) -> int:
    """Publish a report where the plan says: comment and check, or a fork's bundle; the job's exit code,
    which agrees with the check (acceptances included)."""
    options = _write_report(ctx, plan, report)
    pr = plan.pull_request
    if pr is None:
        publish_report(ctx, ctx.github(), report, options, sha=plan.sha, pr=None, run_id=ctx.runner.run_id)
        return report.exit_code(fail_on_regression=ctx.settings.fail_on_regression)
    gh = ctx.need_github("pass `token: ${{ github.token }}` (the default)")
    if pr.from_fork and plan.approval is None:
        _bundle(ctx, pr, report_document(report), nothing_to_gate=False)
        state = accepted_state(ctx, gh, report, sha=pr.head_sha, pr=pr.number)
    else:
        # A `/gatebot run`'s report names no run to re-run: a re-run would evaluate whatever the head is then.
        run_id = ctx.runner.run_id if plan.approval is None else None
        state = publish_report(
            ctx, gh, report, options, sha=pr.head_sha, pr=pr.number, run_id=run_id, approval=plan.approval
        )
    return job_exit_code(ctx, report, state)


def _base_config(ctx: Context, head: LoadedConfig, base_sha: str) -> Config | None:
    """The config of the pull request's base commit, read from git's object store (the checkout needs
    the base commit: `fetch-depth: 0`). None when the base has none (the pull request introduces
    gatebot) or git cannot show it, which the log says."""
    path = ctx.config_prefix(head) + (head.path.name if head.path else DEFAULT_CONFIG_FILE)
    text = file_at_commit(ctx.runner.workspace, base_sha, path)
    if text is None:
        ctx.workflow.warning(
            f"cannot read {path} at the base commit {base_sha[:7]} (check out with `fetch-depth: 0`): "
            "the pull request is judged by its own gate settings"
        )
        return None
    return parse_config_text(text, where=f"{path} at the base commit {base_sha[:7]}")


def judged_loaded(ctx: Context, plan: StagePlan) -> LoadedConfig:
    """The checkout's config, with the gate settings of the base commit the plan stage read."""
    head = ctx.load_config()
    if plan.base_config is None:
        return head
    base = Config.model_validate(plan.base_config)
    return head.model_copy(update={"config": judged_config(base, head.config).config})


def _plan(activity: Activity, loaded: LoadedConfig, jobs: list[Job], sha: str) -> StagePlan:
    gate_config = loaded.config.gate
    return StagePlan(
        activity=activity,
        sha=sha,
        jobs=tuple(jobs),
        baselines_branch=gate_config.baselines_branch,
        max_flips_shown=gate_config.max_flips_shown,
        trust_scope=REPOSITORY_SCOPE,
    )


def _hand_off_reused(ctx: Context, gh: Client | None, loaded: LoadedConfig, plan: StagePlan) -> None:
    """Look on the baselines branch for results of each job's exact digests (a pull request whose model
    equals a recorded one needs no run) and hand them off to the evaluate stage, which uses them only if
    the digests it computes again still match. The digests are of files read as data: no code runs.

    The branch is written by the default branch only, so its records serve every trust scope. Nothing
    is looked up when the candidate comes from a results folder (the sharded workflow)."""
    found: list[HandedOff] = []
    if gh is not None and ctx.settings.results_dir is None:
        lookup = branch_lookup(BaselineStore(gh, ctx.runner.repository, branch=plan.baselines_branch))
        for job in plan.jobs:
            key = job_key(loaded, job)
            hit = lookup(key) if isinstance(key, ReuseKey) else None
            if hit is not None:
                print(
                    f"gatebot: {job.benchmark} for {job.model}: {hit.source} has results of this model, "
                    "inputs and config; the evaluate step uses them instead of running",
                    file=ctx.log,
                )
                found.append(HandedOff(model=job.model, benchmark=job.benchmark, found=hit))
    write_handoff(Handoff(ctx.settings.handoff_dir).reused, found)


def _wanted(loaded: LoadedConfig, plan: StagePlan) -> list[tuple[str, str, bool]]:
    """The baselines the evaluate stage will ask for: each job's (with its trend), its reference's."""
    wanted: list[tuple[str, str, bool]] = []
    for job in plan.jobs:
        wanted.append((job.model, job.benchmark, True))
        reference = loaded.config.models[job.model].reference
        if reference is not None:
            wanted.append((reference, job.benchmark, False))
    return list(dict.fromkeys(wanted))


def _hand_off_baselines(
    ctx: Context, gh: Client | None, loaded: LoadedConfig, plan: StagePlan, *, baselines_at: str
) -> list[HandedOff]:
    """Fetch from the baselines branch at `baselines_at` what the evaluate stage will ask for.

    Each job's baseline and its model's reference's, with the trend; the files committed beside the
    config are the evaluate stage's to read. Returns the (model, benchmark) pairs the branch had.
    """
    handoff = Handoff(ctx.settings.handoff_dir)
    handoff.clear()
    handed: list[HandedOff] = []
    if gh is not None and baselines_at:
        branch = BranchSource(gh, ctx.runner.repository, baselines_at, plan.baselines_branch, None)
        handed = fetch(branch, _wanted(loaded, plan), trend_points=loaded.config.gate.trend_points)
    write_handoff(handoff.baselines, handed)
    return handed


def _changed_baselines(
    ctx: Context,
    loaded: LoadedConfig,
    plan: StagePlan,
    handed: list[HandedOff],
    changed: list[str],
    *,
    prefix: str,
    base_sha: str,
) -> dict[str, str]:
    """The committed baseline files the pull request changes, for the baselines the branch does not
    have: a pull request must not choose what it is compared with. The base commit's version of each is
    handed off instead (none: the job has no baseline, and `missing_baseline` decides). Returns each
    `model/benchmark` with the line the report shows."""
    lines: dict[str, str] = {}
    extra: list[HandedOff] = []
    for model, benchmark, _ in _wanted(loaded, plan):
        path = f"{prefix}{DEFAULT_DIR.as_posix()}/{model}/{benchmark}.json"
        if any((item.model, item.benchmark) == (model, benchmark) for item in handed) or path not in changed:
            continue
        text = file_at_commit(ctx.runner.workspace, base_sha, path)
        where = f"{path} at the base commit {base_sha[:7]}"
        if text is None:
            lines[f"{model}/{benchmark}"] = f"{path}: added by this pull request, not used until merged"
        else:
            found = Found(parse_results(text.encode(), where=where), where)
            extra.append(HandedOff(model=model, benchmark=benchmark, found=found))
            lines[f"{model}/{benchmark}"] = f"{path}: changed by this pull request; compared with {where}"
    if extra:
        write_handoff(Handoff(ctx.settings.handoff_dir).baselines, [*handed, *extra])
    for line in lines.values():
        ctx.workflow.warning(f"this pull request changes a stored baseline: {line}")
    return lines


def _run_base(ctx: Context, loaded: LoadedConfig, base_sha: str, runs: Runs) -> RunBase:
    """Benchmark a job on the pull request's base commit, in a worktree of its own; reused from the
    cache folder when the base's model, inputs and config were benchmarked before (every pull request
    on one base pays for the base once)."""

    def run(job: Job) -> Found | None:
        label = f"{job.benchmark} for {job.model} on the base commit"
        results = run_at_commit(
            ctx.runner.workspace,
            loaded,
            job,
            base_sha,
            ctx.out_dir / "base",
            log=ctx.log,
            run=lambda at, job, out: runs.run(at, job, out, label=label)[0],
        )
        if results is None:
            return None  # e.g. the pull request that introduces gatebot: the base has nothing to run
        return Found(
            results, f"the base commit {base_sha[:7]}, benchmarked in this run (no baseline was recorded)"
        )

    return run


def _write_report(ctx: Context, plan: StagePlan, report: GateReport) -> RenderOptions:
    """The report's files, job summary, annotations and outputs; the options to render it again."""
    options = RenderOptions(
        run_url=ctx.runner.run_url,
        full_report_hint=payloads.SUMMARY_HINT,
        max_flips_shown=plan.max_flips_shown,
        settings_changes=plan.settings_changes,
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
    write_verdict(report, verdict_path)
    atomic_write(report_path, [markdown.encode()])
    return verdict_path, report_path


def _announce(report: GateReport, wf: Workflow) -> None:
    for verdict in report.verdicts:
        for row in verdict.regressions:
            where = f" on {row.slice_label}" if row.slice_key else ""
            wf.error(f"{verdict.model}/{verdict.benchmark}: {row.metric}{where} regressed ({row.reason})")
        for note in verdict.notes:
            wf.warning(f"{verdict.model}/{verdict.benchmark}: {note}")


def _needing_secrets(config: Config, jobs: list[Job]) -> tuple[str, ...]:
    """The benchmarks of `jobs` that declare secrets, which a fork's run does not get."""
    return tuple(dict.fromkeys(j.benchmark for j in jobs if config.benchmarks[j.benchmark].secrets))


def _needs_approval(ctx: Context, pr: PullRequest, benchmarks: tuple[str, ...]) -> None:
    """A fork's pull request whose benchmarks need secrets: nothing runs; the bundle asks a maintainer."""
    ctx.workflow.notice(
        f"this evaluation needs a maintainer's `/gatebot run`: benchmark {', '.join(benchmarks)} needs "
        "secrets, which GitHub does not give a fork's pull request; nothing was run"
    )
    ctx.workflow.set_output("passed", "false")
    _bundle(ctx, pr, report_document(GateReport(())), nothing_to_gate=False, needs_approval=benchmarks)


def _bundle(
    ctx: Context,
    pr: PullRequest,
    verdict: dict[str, Any],
    *,
    nothing_to_gate: bool,
    needs_approval: tuple[str, ...] = (),
) -> None:
    """A fork's read-only run: hand the verdict to the trusted publish workflow instead of publishing."""
    bundle_path = ctx.out_dir / "bundle" / BUNDLE_FILE
    bundle = Bundle(
        repository=ctx.runner.repository,
        pull_request=pr.number,
        head_sha=pr.head_sha,
        gate_id=ctx.settings.id,
        check_name=ctx.settings.check_name,
        nothing_to_gate=nothing_to_gate,
        needs_approval=needs_approval,
        verdict=verdict,
    )
    write_bundle(bundle, bundle_path)
    ctx.workflow.set_output("bundle", str(bundle_path.resolve()))
    ctx.workflow.notice(
        "pull request from a fork: its token is read-only, so the verdict was written to a bundle; "
        f"upload {bundle_path} as the artifact `{ARTIFACT_NAME}` and publish it with `gatebot publish` "
        "from a workflow_run workflow"
    )
