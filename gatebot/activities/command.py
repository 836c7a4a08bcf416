"""Answering the /gatebot commands in a pull-request comment: accept a regression, rerun, help.

Who is asking is checked before anything else is read; bots and gatebot's own comments (the
`comment-author`'s) are never obeyed. Nothing in the comment is executed: `commands` matches it against
fixed verbs and says what to do. The state in gatebot's sticky comment is a cache of what gatebot said,
never an instruction: the check's name is the input's, its commit the pull request's head as the API
gives it, and a state for another commit is not acted on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatebot.activities import payloads
from gatebot.activities.approved import plan_approved_run
from gatebot.activities.context import Context
from gatebot.activities.handoff import StagePlan
from gatebot.activities.posting import publish_state_check
from gatebot.commands import (
    State,
    Verb,
    addressed,
    decode_state,
    parse_commands,
    refused,
    reply_to,
    report_part,
    respond,
)
from gatebot.errors import EXIT_PASSED, InputError
from gatebot.github.client import Client
from gatebot.github.comments import Comment, edit_comment, find_sticky
from gatebot.github.interactions import WRITE_PERMISSIONS, permission_of, react, reply, rerun
from gatebot.github.pulls import pull_head
from gatebot.runner import utc_timestamp

RERUN_FAILED = (
    "gatebot could not re-run the workflow (that needs `actions: write`, or the run is gone or not of "
    "this commit), so it published the last report again. Push a commit, or re-run the job from the "
    "Checks tab."
)


def answer_command(ctx: Context, payload: Mapping[str, Any], *, staged: bool = False) -> int:
    """Answer the /gatebot commands of the comment in an issue_comment event's `payload`.

    `staged`: this is the plan step of action.yml, so a `/gatebot run` can be planned for the evaluate
    step (which alone gets the secrets) and the publish step; in one process it cannot.
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
    if login.lower() == ctx.settings.comment_author.lower():
        print("gatebot: a comment of gatebot's own (comment-author): not read", file=ctx.log)
        return EXIT_PASSED
    gh = ctx.need_github("the command workflow needs `pull-requests: write`")
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
    existing = find_sticky(gh, repository, number, mark=ctx.mark, author=ctx.settings.comment_author)
    state = decode_state(existing.body) if existing is not None else None
    head: str | None = None
    if state is not None and any(c.verb in (Verb.ACCEPT, Verb.RERUN) for c in commands):
        head = pull_head(gh, repository, number)
        if state.check_name != ctx.settings.check_name:
            ctx.workflow.warning(
                f"gatebot's comment names the check {state.check_name!r}; publishing the check-name "
                f"input's {ctx.settings.check_name!r}"
            )
    now = utc_timestamp()
    if any(c.verb is Verb.RUN for c in commands):  # one run, however many lines ask for it
        _plan_run(ctx, gh, number, comment_id, login=login, now=now, staged=staged)
    for command in (c for c in commands if c.verb is not Verb.RUN):
        response = respond(command, login=login, state=state, head_sha=head, now=now)
        # `respond` acts only on a state for the head (head == state.head_sha).
        if response.state is not None and existing is not None and head is not None:
            state = response.state
            _record_acceptance(ctx, gh, existing, state, head)
        if response.rerun and state is not None and head is not None:
            report = report_part(existing.body or "") if existing is not None else None
            _rerun(ctx, gh, number, state, login=login, head=head, report=report)
        if response.reply:
            reply(gh, repository, number, response.reply)
        react(gh, repository, number, comment_id, response.reaction)
    return EXIT_PASSED


def _plan_run(
    ctx: Context, gh: Client, number: int, comment_id: int, *, login: str, now: str, staged: bool
) -> None:
    """`/gatebot run`: plan the evaluation of the head commit (the step output `plan`), or say why not
    (in markdown: what the pull request named in it is escaped)."""
    repository = ctx.runner.repository
    if not staged:
        problem = (
            "`/gatebot run` needs gatebot's action, whose separate steps keep the secrets away from the "
            "token: use `uses: gatebot/gatebot@v1` in the command workflow"
        )
    else:
        planned = plan_approved_run(ctx, gh, number, login=login, now=now)
        if isinstance(planned, StagePlan):
            ctx.workflow.set_output("plan", planned.encode())
            react(gh, repository, number, comment_id, "rocket")
            return
        problem = planned
    ctx.workflow.notice(f"/gatebot run refused: {problem}")
    reply(gh, repository, number, reply_to(login, f"gatebot did not run: {problem}."))
    react(gh, repository, number, comment_id, "confused")


def _record_acceptance(ctx: Context, gh: Client, existing: Comment, state: State, head: str) -> None:
    """Rewrite the comment's state and overrides (the report stays as it was) and re-evaluate the check."""
    body, summary = payloads.accepted_comment(ctx.mark, state, existing.body or "")
    edit_comment(existing, body, doing="recording the acceptance in gatebot's comment")
    publish_state_check(ctx, gh, state, summary, head_sha=head)


def _rerun(
    ctx: Context, gh: Client, number: int, state: State, *, login: str, head: str, report: str | None
) -> None:
    """Re-run the workflow run that made the report, if it is of the head commit; failing that, publish
    the last report's check again."""
    run_id = state.run_id or ""
    if run_id.isdigit() and rerun(gh, ctx.runner.repository, int(run_id), head_sha=head):
        print(f"gatebot: asked GitHub to re-run workflow run {run_id}", file=ctx.log)
        return
    publish_state_check(ctx, gh, state, payloads.republished_summary(state, report), head_sha=head)
    reply(gh, ctx.runner.repository, number, reply_to(login, RERUN_FAILED))
