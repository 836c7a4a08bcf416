"""The client's retries, as a run sees them: every method GitHub may fail on is retried, bounded, and an
exhausted retry names GitHub's trouble, not a missing permission."""

from __future__ import annotations

from typing import Any

from tests.github.harness import ActionHarness, opened


def _second_push(action: ActionHarness) -> dict[str, Any]:
    """A pull request gated once; the next gate run edits its comment."""
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    assert action.gate("pull_request", event).code == 1
    return event


def _failure(stdout: str) -> str:
    """The annotation that says why gatebot stopped (the regression annotations come before it)."""
    return [line for line in stdout.splitlines() if line.startswith("::error")][-1]


def test_comment_edit__server_error__retried__edited(action: ActionHarness) -> None:
    event = _second_push(action)
    action.fake.faults.server_error("PATCH", "*/issues/comments/*", status=502, times=2)
    run = action.gate("pull_request", event)
    assert run.code == 1, run.stderr
    assert [e.status for e in action.fake.log.find("PATCH", "*/issues/comments/*")] == [502, 502, 200]
    assert len(action.repo.comments_on(2)) == 1


def test_comment_edit__secondary_rate_limit__waits__edited(action: ActionHarness) -> None:
    event = _second_push(action)
    action.fake.faults.secondary_rate_limit("PATCH", "*/issues/comments/*", retry_after=1)
    run = action.gate("pull_request", event)
    assert run.code == 1, run.stderr
    assert [e.status for e in action.fake.log.find("PATCH", "*/issues/comments/*")] == [403, 200]


def test_comment_edit__server_errors_never_end__one_line_naming_github_not_permissions(
    action: ActionHarness,
) -> None:
    event = _second_push(action)
    action.fake.faults.server_error("PATCH", "*/issues/comments/*", status=503, times=5)
    run = action.gate("pull_request", event)
    assert run.code == 2
    assert len(action.fake.log.find("PATCH", "*/issues/comments/*")) == 5  # the first try and 4 retries
    error = _failure(run.stdout)
    assert "after retries" in error
    assert "lacks" not in error and "pull-requests: write" not in error
    assert "Traceback" not in run.stderr


def test_secondary_rate_limit_never_ends__says_rate_limited(action: ActionHarness) -> None:
    event = _second_push(action)
    action.fake.faults.secondary_rate_limit("PATCH", "*/issues/comments/*", retry_after=0, times=5)
    run = action.gate("pull_request", event)
    assert run.code == 2
    error = _failure(run.stdout)
    assert "rate limit" in error and "lacks" not in error, error
