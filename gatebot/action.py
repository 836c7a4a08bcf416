"""The GitHub Actions entry: read the environment once, find the activity from the event, dispatch.

`run_action` is what `action.yml` runs (`gatebot action`); `run_publish` is the trusted half of the
fork flow (`gatebot publish`). Each activity lives in `gatebot/activities/`. Errors propagate to the
CLI's one handler; on the way, a run that gates a pull request leaves a failing check behind.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from gatebot.activities import payloads
from gatebot.activities.command import answer_command
from gatebot.activities.context import Context
from gatebot.activities.gate import gate_pull_request, gate_ref
from gatebot.activities.publish import publish_bundle
from gatebot.activities.record import record_baselines
from gatebot.errors import EXIT_PASSED, GatebotError, failure_of
from gatebot.events import Activity, Plan, find_activity, record_by_hand
from gatebot.github.checks import publish_check
from gatebot.settings import Settings


def run_action(
    settings: Settings, environ: Mapping[str, str], *, record: bool = False, log: IO[str] | None = None
) -> int:
    """`gatebot action`: do what the event asks (gate, record, answer a command), publish the outcome.

    With `record` (`mode: record`, for bootstrapping from workflow_dispatch), measure every model at the
    workflow's commit and record the results as its baselines: only on a push to or a dispatch of the
    default branch (`events.record_by_hand` refuses any other event).
    """
    ctx = Context.from_environ(settings, environ, log or sys.stderr)
    payload = ctx.runner.event()
    if record:
        plan = record_by_hand(ctx.runner.event_name, payload, sha=ctx.runner.sha)
    else:
        plan = find_activity(ctx.runner.event_name, payload, sha=ctx.runner.sha, ref=ctx.runner.ref)
    try:
        return _dispatch(ctx, plan, payload)
    except Exception as error:
        report_failure(ctx, plan, failure_of(error).message)
        raise


def _dispatch(ctx: Context, plan: Plan, payload: Mapping[str, Any]) -> int:
    """One function per activity."""
    match plan.activity:
        case Activity.IGNORE:
            ctx.workflow.notice(plan.reason)
            ctx.workflow.set_output("passed", "true")
            return EXIT_PASSED
        case Activity.UNSUPPORTED:
            raise GatebotError(plan.reason)
        case Activity.COMMAND:
            return answer_command(ctx, payload)
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


def report_failure(ctx: Context, plan: Plan, message: str) -> None:
    """Best effort: a failing check that says gatebot could not run, so branch protection does not wait.

    Only for a pull request from a branch: a fork's token may not write checks.
    """
    pr = plan.pull_request
    try:
        gh = ctx.github(retries=1)
        if gh is None or pr is None or pr.from_fork:
            return
        payload = payloads.failure_check(
            ctx.settings.check_name, pr.head_sha, message, details_url=ctx.runner.run_url
        )
        publish_check(gh, ctx.runner.repository, payload)
    except Exception:  # the original error is what the user must see
        return
