"""The GitHub Actions entry: read the environment once, find the activity from the event, dispatch.

`run_action` is what `action.yml` runs (`gatebot action`), in one process (`stage="all"`) or as the
three stages that keep the pull request's code away from the token (`plan`, `evaluate`, `publish`; the
protocol is `gatebot.activities.handoff`). `run_publish` is the trusted half of the fork flow
(`gatebot publish`). Each activity lives in `gatebot/activities/`. Errors propagate to the CLI's one
handler; on the way, a run that gates a pull request leaves a failing check behind.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Literal

from gatebot.activities.command import answer_command
from gatebot.activities.context import Context
from gatebot.activities.gate import gate_pull_request, gate_ref
from gatebot.activities.handoff import STAGED, StagePlan
from gatebot.activities.posting import report_failure
from gatebot.activities.publish import publish_bundle
from gatebot.activities.record import record_baselines
from gatebot.activities.stages import evaluate_stage, plan_stage, publish_stage
from gatebot.errors import EXIT_PASSED, GatebotError, failure_of
from gatebot.events import Activity, Plan, find_activity, record_by_hand
from gatebot.settings import Settings

Stage = Literal["all", "plan", "evaluate", "publish"]
STAGES: tuple[Stage, ...] = ("all", "plan", "evaluate", "publish")


def run_action(
    settings: Settings,
    environ: Mapping[str, str],
    *,
    record: bool = False,
    stage: Stage = "all",
    log: IO[str] | None = None,
) -> int:
    """`gatebot action`: do what the event asks (gate, record, answer a command), publish the outcome.

    With `record` (`mode: record`, for bootstrapping from workflow_dispatch), measure every model at the
    workflow's commit and record the results as its baselines. `stage` runs one
    stage of the three (`plan` also does, whole, what runs no code of the repository: commands, ignored
    events, a pull request that changes no model).
    """
    ctx = Context.from_environ(settings, environ, log or sys.stderr)
    if stage == "evaluate":
        return evaluate_stage(ctx, StagePlan.decode(settings.plan), environ)
    if stage == "publish":
        return publish_stage(ctx, StagePlan.decode(settings.plan))
    plan, payload = _find_plan(ctx, record=record)
    try:
        if stage == "plan" and plan.activity in STAGED:
            return plan_stage(ctx, plan)
        return _dispatch(ctx, plan, payload, staged=stage == "plan")
    except Exception as error:
        report_failure(ctx, plan.pull_request, failure_of(error).message)
        raise


def _find_plan(ctx: Context, *, record: bool) -> tuple[Plan, Mapping[str, Any]]:
    """The activity the event asks for; with `record`, only on a push to or a dispatch of the default
    branch (`events.record_by_hand` refuses any other event)."""
    payload = ctx.runner.event()
    if record:
        return record_by_hand(ctx.runner.event_name, payload, sha=ctx.runner.sha), payload
    return find_activity(ctx.runner.event_name, payload, sha=ctx.runner.sha, ref=ctx.runner.ref), payload


def _dispatch(ctx: Context, plan: Plan, payload: Mapping[str, Any], *, staged: bool = False) -> int:
    """One function per activity (`staged`: the plan step of action.yml's three)."""
    match plan.activity:
        case Activity.IGNORE:
            ctx.workflow.notice(plan.reason)
            ctx.workflow.set_output("passed", "true")
            return EXIT_PASSED
        case Activity.UNSUPPORTED:
            raise GatebotError(plan.reason)
        case Activity.COMMAND:
            return answer_command(ctx, payload, staged=staged)
        case Activity.RECORD:
            assert plan.push is not None
            return record_baselines(ctx, plan.push)
        case Activity.GATE_PULL_REQUEST:
            assert plan.pull_request is not None
            return gate_pull_request(ctx, plan.pull_request)
        case Activity.GATE_REF:
            return gate_ref(ctx, plan.sha or ctx.runner.sha)


def run_publish(
    settings: Settings, environ: Mapping[str, str], bundle_path: Path | None, *, log: IO[str] | None = None
) -> int:
    """`gatebot publish`: post a fork's bundle as comment and check, from a job with a write token."""
    return publish_bundle(Context.from_environ(settings, environ, log or sys.stderr), bundle_path)
