"""Recording baselines: measure the models a push to the default branch changed, record them on the branch."""

from __future__ import annotations

from gatebot.activities.context import Context
from gatebot.baselines import BaselineStore
from gatebot.errors import EXIT_PASSED
from gatebot.events import Push
from gatebot.markdown import escape_md
from gatebot.plan import models_to_record, select_jobs
from gatebot.runner import run_benchmark, utc_timestamp


def record_baselines(ctx: Context, push: Push) -> int:
    """A push to the default branch (or `mode: record`): measure its models and record their baselines."""
    loaded = ctx.load_config()
    gh = ctx.need_github("recording baselines needs a token with `contents: write`")
    prefix = ctx.config_prefix(loaded)
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
            results, _ = run_benchmark(loaded, job, ctx.out_dir, log=ctx.log)
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
