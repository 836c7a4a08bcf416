"""Recording baselines: measure the models a push to the default branch changed, record them on the branch.

One function per stage (`plan_record`, `evaluate_record`, `publish_record`; see `handoff`), and
`record_baselines` running the three in one process. Nothing is recorded unless every benchmark ran.
"""

from __future__ import annotations

from gatebot.activities.context import Context
from gatebot.activities.handoff import StagePlan, planned_jobs
from gatebot.baselines import BaselineStore
from gatebot.errors import EXIT_PASSED
from gatebot.events import Activity, Push
from gatebot.markdown import escape_md
from gatebot.plan import models_to_record, select_jobs
from gatebot.results import Results
from gatebot.runner import run_benchmark, utc_timestamp

NEEDS = "recording baselines needs a token with `contents: write`"


def record_baselines(ctx: Context, push: Push) -> int:
    """A push to the default branch (or `mode: record`): measure its models and record their baselines."""
    plan = plan_record(ctx, push)
    if plan is None:
        return EXIT_PASSED
    return publish_record(ctx, plan, evaluate_record(ctx, plan))


def plan_record(ctx: Context, push: Push) -> StagePlan | None:
    """The runs a push calls for; None (said here) when it changes no model, input or config."""
    loaded = ctx.load_config()
    ctx.need_token(NEEDS)
    prefix = ctx.config_prefix(loaded)
    config_path = prefix + (loaded.path.name if loaded.path else ".gatebot.yml")
    models = models_to_record(
        loaded.config, push.files, complete=push.complete, prefix=prefix, config_path=config_path
    )
    jobs = select_jobs(loaded.config, models=models) if models else []
    if not jobs:
        ctx.workflow.notice("this push changes no model, benchmark input or config: no baseline to record")
        ctx.workflow.set_output("passed", "true")
        return None
    gate = loaded.config.gate
    return StagePlan(
        activity=Activity.RECORD,
        sha=push.sha,
        jobs=tuple(jobs),
        baselines_branch=gate.baselines_branch,
        max_flips_shown=gate.max_flips_shown,
    )


def evaluate_record(ctx: Context, plan: StagePlan) -> list[Results]:
    """Run every planned benchmark: no network, no token."""
    loaded = ctx.load_config()
    measured: list[Results] = []
    for job in planned_jobs(loaded, plan):
        with ctx.workflow.group(f"gatebot: {job.benchmark} for {job.model}"):
            results, _ = run_benchmark(loaded, job, ctx.out_dir, log=ctx.log)
        measured.append(results)
    return measured


def publish_record(ctx: Context, plan: StagePlan, measured: list[Results]) -> int:
    """Record each job's results as the baseline of the plan's commit on the plan's branch."""
    gh = ctx.need_github(NEEDS)
    store = BaselineStore(gh, ctx.runner.repository, branch=plan.baselines_branch)
    lines = ["### 📌 gatebot: baselines recorded", "", f"Commit {plan.sha[:7]}:", ""]
    for results in measured:
        now = utc_timestamp()
        outcome = store.record(results, commit=plan.sha, recorded_at=now, run_url=ctx.runner.run_url)
        done = "recorded" if outcome.appended else "already recorded"
        print(
            f"gatebot: {results.model}/{results.benchmark} {done} on {store.branch} "
            f"({outcome.attempts} attempt(s))",
            file=ctx.log,
        )
        metrics = ", ".join(f"{escape_md(k)} {v:.4g}" for k, v in results.metrics.items())
        lines.append(f"- {escape_md(results.model)} on {escape_md(results.benchmark)}: {done} ({metrics})")
    ctx.workflow.add_summary("\n".join(lines) + "\n", fallback="gatebot recorded baselines.")
    ctx.workflow.set_output("passed", "true")
    return EXIT_PASSED
