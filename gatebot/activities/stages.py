"""The Action's three stages, each run by its own step of `action.yml`: one function each.

`plan_stage` holds the token and runs none of the repository's code; `evaluate_stage` runs it and holds
no token; `publish_stage` holds the token again and reads what `evaluate_stage` left as hostile input.
What they hand each other is described in `handoff`; each activity's part of a stage is in its module.
"""

from __future__ import annotations

import dataclasses
import tempfile
import traceback
from collections.abc import Mapping
from pathlib import Path

from gatebot.activities.approved import evaluate_approved, publish_approved
from gatebot.activities.context import Context
from gatebot.activities.gate import evaluate_gate, plan_pull_request, plan_ref, publish_gate
from gatebot.activities.handoff import Handoff, StagePlan
from gatebot.activities.posting import publish_failure_check, report_failure
from gatebot.activities.record import evaluate_record, plan_record, publish_record
from gatebot.errors import EXIT_PASSED, GatebotError, failure_of
from gatebot.events import Activity, Plan
from gatebot.markdown import escape_md
from gatebot.workflow import file_commands_kept


def plan_stage(ctx: Context, plan: Plan) -> int:
    """Decide the runs and hand off what they need; the plan goes out as the step output `plan`."""
    Handoff(ctx.settings.handoff_dir).clear()
    staged: StagePlan | None
    match plan.activity:
        case Activity.GATE_PULL_REQUEST:
            assert plan.pull_request is not None
            staged = plan_pull_request(ctx, plan.pull_request)
        case Activity.GATE_REF:
            staged = plan_ref(ctx, plan.sha or ctx.runner.sha)
        case _:
            assert plan.push is not None
            staged = plan_record(ctx, plan.push)
    if staged is not None:
        ctx.workflow.set_output("plan", staged.encode())
    return EXIT_PASSED


def evaluate_stage(ctx: Context, plan: StagePlan, environ: Mapping[str, str]) -> int:
    """Run the plan's benchmarks and leave their outcome in the hand-off folder for the publish stage.

    Exit 0 whenever gatebot got to the end, error or not (the error goes to `error.json`): the publish
    step runs only after a successful evaluate step, so a benchmark that kills gatebot before it could
    undo the benchmark's writes to the file commands publishes nothing.
    """
    handoff = Handoff(ctx.settings.handoff_dir)
    with file_commands_kept(environ):
        try:
            if plan.activity is Activity.RECORD:
                for index, results in enumerate(evaluate_record(ctx, plan)):
                    handoff.write_results(index, results)
            elif plan.approval is not None:
                handoff.write_verdict(evaluate_approved(ctx, plan, environ))
            else:
                handoff.write_verdict(evaluate_gate(ctx, plan))
        except Exception as error:
            failure = failure_of(error)
            if failure.bug and ctx.settings.debug:
                traceback.print_exc(file=ctx.log)
            handoff.write_error(failure.message)
            print(f"gatebot: {failure.message}\ngatebot: the publish step reports it", file=ctx.log)
    return EXIT_PASSED


def publish_stage(ctx: Context, plan: StagePlan) -> int:
    """Carry out the plan with what the evaluate stage handed off (hostile input, see `handoff`)."""
    handoff = Handoff(ctx.settings.handoff_dir)
    # A folder of its own: what the pull request's code left in the output folder (symlinks) is not used.
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    out_dir = Path(tempfile.mkdtemp(prefix="publish-", dir=ctx.out_dir))
    ctx = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={"out_dir": out_dir}))
    try:
        error = handoff.read_error()
        if error is not None:
            raise GatebotError(error)
        if plan.activity is Activity.RECORD:
            return publish_record(ctx, plan, handoff.read_results(plan))
        if plan.approval is not None:
            return publish_approved(ctx, plan, handoff.read_verdict(plan))
        return publish_gate(ctx, plan, handoff.read_verdict(plan))
    except Exception as error:
        # The message may carry the evaluate step's text (a benchmark's last lines): escaped.
        message = escape_md(failure_of(error).message)
        if plan.approval is not None and (gh := ctx.github(retries=1)) is not None:
            publish_failure_check(ctx, gh, plan.approval.head_sha, message)  # a fork's, with this token
        else:
            report_failure(ctx, plan.pull_request, message)
        raise
