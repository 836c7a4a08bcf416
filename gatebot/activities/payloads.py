"""What gatebot posts on a pull request, built by pure functions: comment bodies and check payloads.

`posting` sends them. Nothing here talks to GitHub or reads the environment.
"""

from __future__ import annotations

import hashlib
import json

from gatebot.commands import (
    Approval,
    Regression,
    State,
    blocking_of,
    compose_comment,
    decode_state,
    needs_approval_text,
    regressions_of,
    render_overrides,
    report_part,
)
from gatebot.errors import COULD_NOT_RUN
from gatebot.github.checks import CHECK_TEXT_LIMIT, CheckPayload
from gatebot.github.comments import COMMENT_LIMIT
from gatebot.markdown import escape_md
from gatebot.report import RenderOptions, check_title, cut_at_line, fit_markdown
from gatebot.verdict import GateReport

SUMMARY_HINT = "The full report is in the job summary of the workflow run."
FORK_SUMMARY_HINT = "The full report is in the job summary of the pull request's workflow run."
NOTHING_TO_GATE = (
    "This pull request changes no file that the models' `artifacts` (or their benchmarks' `inputs`) match."
)


STATE_REGRESSIONS_CHARS = 8_000
"""Room for the regressions the hidden state names: the state stays small whatever the report, so the
comment always has room for the report (20 metrics x 100 slices regressed made a 360,000-character
state, past GitHub's 65,536-character comment)."""
TITLE_LIMIT = 255  # GitHub's limit for a check run's title


def run_digest(report: GateReport) -> str:
    """What a report gated: each model and benchmark with its candidate's model, dataset and config
    digests. Two runs of one head with the same digest asked the same question."""
    keys = ("model_digest", "dataset_digest", "config_digest")
    parts = sorted(
        [v.model, v.benchmark, *(str(v.candidate_provenance.get(k) or "") for k in keys)]
        for v in report.verdicts
    )
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def verdict_state(report: GateReport, *, head_sha: str, run_id: str | None, check_name: str) -> State:
    """The state a new report starts from (no acceptances yet).

    It names the regressions that fit in `STATE_REGRESSIONS_CHARS`, in the report's order, and counts
    them all.
    """
    regressions = regressions_of(report)
    listed = _within(regressions, STATE_REGRESSIONS_CHARS)
    return State(
        head_sha=head_sha,
        run_id=run_id,
        check_name=check_name,
        outcome=report.outcome.value,
        title=check_title(report)[:TITLE_LIMIT],
        regressions=listed,
        regression_count=len(regressions) if len(listed) < len(regressions) else None,
        blocking=blocking_of(report),
        digest=run_digest(report),
    )


def _within(regressions: tuple[Regression, ...], room: int) -> tuple[Regression, ...]:
    """The first regressions whose JSON fits in `room` characters."""
    used = 0
    for count, regression in enumerate(regressions):
        used += len(regression.model_dump_json()) + 1
        if used > room:
            return regressions[:count]
    return regressions


def carry_acceptances(state: State, previous: str | None) -> State:
    """The acceptances recorded in the previous comment's state carry over to the new report's.

    Those for this very commit still apply (a rerun) while the regressions they name are the ones they
    were given for; the others show as no longer applying. A rerun of the same commit with the same
    digests is another attempt: the earlier attempts' outcomes carry over too, so rerunning until green
    shows.
    """
    prior = decode_state(previous) if previous is not None else None
    if prior is None:
        return state
    update: dict[str, object] = {"acceptances": prior.acceptances}
    if prior.head_sha == state.head_sha and prior.digest and prior.digest == state.digest:
        update["attempts"] = (*prior.attempts, prior.outcome)
    return state.model_copy(update=update)


def attempts_line(state: State) -> str:
    """ "Attempt 3 on this commit; earlier: failed, failed", when the report is a rerun."""
    if not state.attempts:
        return ""
    earlier = ", ".join(escape_md(outcome.replace("_", " ")) for outcome in state.attempts)
    return (
        f"> Attempt {len(state.attempts) + 1} on this commit with the same model, dataset and config; "
        f"earlier attempts: {earlier}.\n\n"
    )


def report_comment(mark: str, state: State, report: GateReport, options: RenderOptions) -> str:
    """The sticky comment for a report: marker, state, overrides, and the report fitted to the limit."""
    overrides = render_overrides(state)
    attempts = attempts_line(state)
    reserve = len(compose_comment(mark, state, overrides, attempts))
    markdown = fit_markdown(report, options, limit=COMMENT_LIMIT, reserve=reserve)
    return compose_comment(mark, state, overrides, attempts + markdown)


def report_summary(state: State, report: GateReport, options: RenderOptions) -> str:
    """The check's summary for a report: the overrides, then the report fitted to the check's limit."""
    head = render_overrides(state) + attempts_line(state)
    return head + fit_markdown(report, options, limit=CHECK_TEXT_LIMIT - len(head))


def accepted_comment(mark: str, state: State, body: str) -> tuple[str, str]:
    """The comment rewritten after an acceptance, and the check's summary.

    The report part stays as it was; only the state and the overrides above it change.
    """
    overrides = render_overrides(state)
    room = COMMENT_LIMIT - len(compose_comment(mark, state, overrides, ""))
    report = cut_at_line(report_part(body) or "", room, hint=SUMMARY_HINT)
    return compose_comment(mark, state, overrides, report), overrides + report


def republished_summary(state: State, report: str | None) -> str:
    """The check's summary when the last report is published again (a rerun that could not start)."""
    return render_overrides(state) + (report or "")


def state_check(
    state: State, summary: str, *, name: str, head_sha: str, details_url: str | None
) -> CheckPayload:
    """The check a state calls for: its conclusion and title account for the acceptances.

    Its `name` and `head_sha` are the caller's (the input, the pull request's head), never the state's:
    the state sits in a comment that anyone with write access can edit.
    """
    return CheckPayload(
        name=name,
        head_sha=head_sha,
        conclusion=state.check_conclusion(),
        title=state.check_title(),
        summary=summary[:CHECK_TEXT_LIMIT],
        details_url=details_url,
    )


def neutral_comment(mark: str, reason: str) -> str:
    return f"{mark}\n### ⚪ gatebot: nothing to gate\n\n{escape_md(reason)}\n"


def neutral_check(name: str, head_sha: str, reason: str, *, details_url: str | None) -> CheckPayload:
    return CheckPayload(name, head_sha, "neutral", "No model artifacts changed", reason, details_url)


def needs_approval_comment(
    mark: str, benchmarks: tuple[str, ...], *, lapsed: Approval | None, head_sha: str
) -> str:
    text = needs_approval_text(benchmarks, lapsed=lapsed, head_sha=head_sha)
    return f"{mark}\n### ⏸️ gatebot: this evaluation needs a maintainer's `/gatebot run`\n\n{text}\n"


def needs_approval_check(name: str, head_sha: str, text: str, *, details_url: str) -> CheckPayload:
    """Not a pass: `action_required` blocks a required check until a maintainer's `/gatebot run`."""
    title = "Needs a maintainer's /gatebot run"
    return CheckPayload(name, head_sha, "action_required", title, text, details_url)


def failure_check(name: str, head_sha: str, message: str, *, details_url: str | None) -> CheckPayload:
    """The failing check of a run that stopped on an error, so branch protection does not wait."""
    return CheckPayload(name, head_sha, "failure", COULD_NOT_RUN, message, details_url)
