"""Posting a verdict on a pull request: the sticky comment and the check, from a job that may write.

Shared by gating (a branch's pull request or a ref) and publishing (a fork's bundle). The bodies and
payloads come from `payloads`; this module only sends them.
"""

from __future__ import annotations

from gatebot.activities import payloads
from gatebot.activities.context import Context
from gatebot.commands import Approval, State, decode_state, needs_approval_text
from gatebot.errors import EXIT_PASSED
from gatebot.events import PullRequest
from gatebot.github.checks import Published, publish_check
from gatebot.github.client import Client, GitHubAPIError
from gatebot.github.comments import find_sticky, post_sticky
from gatebot.report import RenderOptions
from gatebot.verdict import GateReport


def publish_report(
    ctx: Context,
    gh: Client | None,
    report: GateReport,
    options: RenderOptions,
    *,
    sha: str,
    pr: int | None,
    run_id: str | None,
    approval: Approval | None = None,
) -> State | None:
    """Comment and check for a report; the state they were published from (None without a token).

    The comment keeps gatebot's state (hidden) and the acceptances made on it, which carry over; with
    `approval` (a `/gatebot run`), it says who approved the commit.
    """
    if gh is None:
        ctx.workflow.warning("no token: the check and the comment were not published")
        return None
    state = payloads.verdict_state(report, head_sha=sha, run_id=run_id, check_name=ctx.settings.check_name)
    if approval is not None:
        state = state.model_copy(update={"approval": approval})
    if pr is not None and ctx.settings.comment == "sticky":

        def build(previous: str | None) -> str:
            nonlocal state  # the check must count the acceptances the comment carries over
            state = payloads.carry_acceptances(state, previous)
            return payloads.report_comment(ctx.mark, state, report, options)

        posted = post_sticky(
            gh, ctx.runner.repository, pr, build, mark=ctx.mark, author=ctx.settings.comment_author
        )
        print(f"gatebot: sticky comment {posted.value} on pull request #{pr}", file=ctx.log)
    publish_state_check(ctx, gh, state, payloads.report_summary(state, report, options), head_sha=sha)
    return state


def accepted_state(ctx: Context, gh: Client | None, report: GateReport, *, sha: str, pr: int) -> State | None:
    """Without publishing (a fork's read-only job): the state the publisher will set the check from, the
    report's with the acceptances in gatebot's comment (found by marker and author). None when unread."""
    if gh is None or ctx.settings.comment != "sticky":
        return None
    try:
        existing = find_sticky(
            gh, ctx.runner.repository, pr, mark=ctx.mark, author=ctx.settings.comment_author
        )
    except GitHubAPIError as error:
        ctx.workflow.warning(f"could not read gatebot's comment for acceptances: {error}")
        return None
    state = payloads.verdict_state(
        report, head_sha=sha, run_id=ctx.runner.run_id, check_name=ctx.settings.check_name
    )
    return payloads.carry_acceptances(state, existing.body if existing is not None else None)


def job_exit_code(ctx: Context, report: GateReport, state: State | None) -> int:
    """The job's exit code, which agrees with the check: 0 when every regression on the commit is accepted
    and nothing else fails (`State.accepted`), else the report's."""
    if state is not None and state.accepted:
        ctx.workflow.notice(
            "every regression on this commit is accepted (see gatebot's comment): the job passes"
        )
        return EXIT_PASSED
    return report.exit_code(fail_on_regression=ctx.settings.fail_on_regression)


def publish_state_check(ctx: Context, gh: Client, state: State, summary: str, *, head_sha: str) -> None:
    """The check a state calls for, named by the `check-name` input, on `head_sha`; a commit status (with
    a warning) when check runs are not allowed."""
    payload = payloads.state_check(
        state, summary, name=ctx.settings.check_name, head_sha=head_sha, details_url=ctx.runner.run_url
    )
    published = publish_check(gh, ctx.runner.repository, payload)
    if published is Published.COMMIT_STATUS:
        ctx.workflow.warning(
            "the token may not create check runs, so the verdict was set as a commit status instead; "
            "grant `checks: write` for a check run"
        )
    print(f"gatebot: {published.value} {payload.conclusion} on {head_sha[:12]}", file=ctx.log)


def publish_nothing_to_gate(ctx: Context, gh: Client, *, number: int, head_sha: str) -> None:
    """Nothing to gate: a neutral check, and an existing sticky comment updated (never a new one)."""
    reason = payloads.NOTHING_TO_GATE
    if ctx.settings.comment == "sticky":
        body = payloads.neutral_comment(ctx.mark, reason)
        post_sticky(
            gh,
            ctx.runner.repository,
            number,
            lambda _previous: body,
            mark=ctx.mark,
            author=ctx.settings.comment_author,
            create=False,
        )
    payload = payloads.neutral_check(
        ctx.settings.check_name, head_sha, reason, details_url=ctx.runner.run_url
    )
    publish_check(gh, ctx.runner.repository, payload)


def publish_needs_approval(
    ctx: Context, gh: Client, *, number: int, head_sha: str, benchmarks: tuple[str, ...]
) -> None:
    """A fork's gate that needs secrets: the comment asks for a maintainer's `/gatebot run` (and says
    when an earlier approval lapsed with a push), and a check that does not pass (`action_required`).

    A commit already evaluated under a `/gatebot run` keeps that report and check (a re-run of the
    fork's gate must not take them back)."""
    existing = find_sticky(
        gh, ctx.runner.repository, number, mark=ctx.mark, author=ctx.settings.comment_author
    )
    prior = decode_state(existing.body or "") if existing is not None else None
    lapsed: Approval | None = prior.approval if prior is not None else None
    if lapsed is not None and lapsed.head_sha == head_sha:
        ctx.workflow.notice(f"commit {head_sha[:7]} was evaluated under a maintainer's /gatebot run: kept")
        return

    def build(previous: str | None) -> str:
        return payloads.needs_approval_comment(ctx.mark, benchmarks, lapsed=lapsed, head_sha=head_sha)

    if ctx.settings.comment == "sticky":
        post_sticky(
            gh, ctx.runner.repository, number, build, mark=ctx.mark, author=ctx.settings.comment_author
        )
    text = needs_approval_text(benchmarks, lapsed=lapsed, head_sha=head_sha)
    payload = payloads.needs_approval_check(
        ctx.settings.check_name, head_sha, text, details_url=ctx.runner.run_url or _pull_url(ctx, number)
    )
    publish_check(gh, ctx.runner.repository, payload)


def _pull_url(ctx: Context, number: int) -> str:
    return f"{ctx.runner.server_url}/{ctx.runner.repository}/pull/{number}"


def publish_failure_check(ctx: Context, gh: Client, head_sha: str, message: str) -> None:
    """Best effort: a failing check that says gatebot could not publish, so branch protection does not
    wait."""
    payload = payloads.failure_check(
        ctx.settings.check_name, head_sha, message, details_url=ctx.runner.run_url
    )
    try:
        publish_check(gh, ctx.runner.repository, payload)
    except Exception:  # the original error is what the user must see
        return


def report_failure(ctx: Context, pr: PullRequest | None, message: str) -> None:
    """Best effort: a failing check that says gatebot could not run, so branch protection does not wait.

    Only for a pull request from a branch: a fork's token may not write checks.
    """
    try:
        gh = ctx.github(retries=1)
        if gh is None or pr is None or pr.from_fork:
            return
    except Exception:  # the original error is what the user must see
        return
    publish_failure_check(ctx, gh, pr.head_sha, message)
