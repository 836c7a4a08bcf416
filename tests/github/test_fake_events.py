"""Webhook payloads: the real ones and the derived variants against GitHub's ``x-webhooks`` schemas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.fakegithub import events
from tests.fakegithub.server import default_spec


def schema_gaps(webhook: str, payload: dict[str, Any]) -> set[tuple[str, str, str]]:
    gaps = set()
    for error in default_spec().webhook_errors(webhook, payload):
        where = "/".join(str(part) for part in error.absolute_path)
        if error.validator == "required":
            detail = error.message.split("'")[1]
        elif error.validator == "format":
            detail = str(error.validator_value)
        else:
            detail = error.message
        gaps.add((where, str(error.validator), detail))
    return gaps


@pytest.mark.parametrize("name", sorted(events.WEBHOOK_OF_FILE))
def test_real_event_file__x_webhooks_schema__valid_or_only_the_known_gaps(name: str) -> None:
    assert schema_gaps(events.WEBHOOK_OF_FILE[name], events.load(name)) == events.KNOWN_SCHEMA_GAPS.get(
        name, set()
    )


def test_event_files__every_file_has_a_webhook_or_none_in_the_description() -> None:
    assert set(events.names()) - set(events.WEBHOOK_OF_FILE) == {"check_run.requested_action"}


DERIVED: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {
    "issue_comment on a pull request": ("issue-comment-created", events.issue_comment_on_pull_request),
    "issue_comment by a bot": (
        "issue-comment-created",
        lambda: events.issue_comment_on_pull_request(user="github-actions[bot]", user_type="Bot"),
    ),
    "pull_request from a fork": ("pull-request-opened", events.pull_request_from_fork),
    "workflow_run, same repository, with pull_requests": (
        "workflow-run-completed",
        lambda: events.workflow_run_from_pull_request(fork=False, with_pull_requests=True),
    ),
    "workflow_run from a fork, no pull_requests": (
        "workflow-run-completed",
        lambda: events.workflow_run_from_pull_request(fork=True, with_pull_requests=False),
    ),
    "workflow_run from a fork, with pull_requests": (
        "workflow-run-completed",
        lambda: events.workflow_run_from_pull_request(fork=True, with_pull_requests=True),
    ),
}


@pytest.mark.parametrize("variant", sorted(DERIVED))
def test_derived_event__x_webhooks_schema__valid(variant: str) -> None:
    webhook, build = DERIVED[variant]

    assert schema_gaps(webhook, build()) == set()


def test_issue_comment_on_pull_request__marked_as_a_pull_request() -> None:
    payload = events.issue_comment_on_pull_request(body="/gatebot rerun")

    issue = payload["issue"]
    assert issue["number"] == events.PR_NUMBER
    assert issue["html_url"] == "https://github.com/Codertocat/Hello-World/pull/2"
    assert issue["pull_request"]["url"] == "https://api.github.com/repos/Codertocat/Hello-World/pulls/2"
    assert payload["comment"]["html_url"].startswith(
        "https://github.com/Codertocat/Hello-World/pull/2#issuecomment-"
    )
    assert payload["comment"]["body"] == "/gatebot rerun"
    assert "pull_request" not in events.load("issue_comment.created")["issue"]


def test_pull_request_from_fork__head_repo_is_another_repository() -> None:
    pull = events.pull_request_from_fork(fork_owner="contributor")["pull_request"]

    assert pull["head"]["repo"]["full_name"] == "contributor/Hello-World"
    assert pull["head"]["repo"]["fork"] is True
    assert pull["head"]["repo"]["id"] != pull["base"]["repo"]["id"]
    assert pull["base"]["repo"]["full_name"] == "Codertocat/Hello-World"
    assert pull["head"]["repo"]["html_url"] == "https://github.com/contributor/Hello-World"
    assert pull["head"]["sha"] == events.PR_HEAD_SHA


def test_workflow_run_from_fork__event_pull_request_and_head_repository_the_fork() -> None:
    run = events.workflow_run_from_pull_request(fork=True, with_pull_requests=False)["workflow_run"]

    assert run["event"] == "pull_request"
    assert run["pull_requests"] == []
    assert run["head_repository"]["full_name"] == "contributor/octo-repo"
    assert run["repository"]["full_name"] == "octo-org/octo-repo"
    assert run["head_sha"] == events.PR_HEAD_SHA


def test_write__payload_file_for_github_event_path(tmp_path: Any) -> None:
    path = events.write(events.pull_request_from_fork(), tmp_path / "event.json")

    assert events.load("pull_request.opened")["number"] == 2
    assert path.read_text(encoding="utf-8").startswith("{")
