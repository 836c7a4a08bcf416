"""Canned faults: server errors, secondary rate limits and forced 403s, then normal service."""

from __future__ import annotations

import pytest
from github import Auth, Github, GithubException, GithubRetry, RateLimitExceededException

from tests.fakegithub import FakeGitHub, Repository
from tests.fakegithub.faults import SECONDARY_RATE_LIMIT_MESSAGE
from tests.fakegithub.state import PullRequest

from .conftest import WRITE_TOKEN


def retrying_client(fake_github: FakeGitHub) -> Github:
    return Github(
        base_url=fake_github.url,
        auth=Auth.Token(WRITE_TOKEN),
        retry=GithubRetry(total=3, backoff_factor=0),
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


def test_check_run_create__502_twice_then_success__github_retry_gets_through(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    fake_github.faults.server_error("POST", "/repos/{owner}/{repo}/check-runs", times=2)

    run = (
        retrying_client(fake_github)
        .get_repo(repo.full_name)
        .create_check_run(name="gatebot", head_sha=pull.head_sha)
    )

    assert [e.status for e in fake_github.log.find("POST", "*/check-runs")] == [502, 502, 201]
    assert list(repo.check_runs) == [run.id]


def test_check_run_create__502_without_retry__pygithub_raises_and_nothing_is_created(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    fake_github.faults.server_error("POST", "*/check-runs")

    with pytest.raises(GithubException) as raised:
        gh.get_repo(repo.full_name).create_check_run(name="gatebot", head_sha=pull.head_sha)

    assert raised.value.status == 502
    assert repo.check_runs == {}


def test_comment__secondary_rate_limit_with_retry_after__retried_after_the_wait(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    fake_github.faults.secondary_rate_limit("POST", "*/issues/*/comments", retry_after=1)

    retrying_client(fake_github).get_repo(repo.full_name).get_pull(pull.number).create_issue_comment("report")

    first, second = fake_github.log.find("POST", "*/comments")
    assert (first.status, first.response_headers["Retry-After"], first.response["message"]) == (
        403,
        "1",
        SECONDARY_RATE_LIMIT_MESSAGE,
    )
    assert second.status == 201
    assert [c.body for c in repo.comments_on(pull.number)] == ["report"]


def test_comment__secondary_rate_limit_without_retry__pygithub_sees_a_rate_limit_error(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    fake_github.faults.secondary_rate_limit("POST", "*/comments", retry_after=None)
    remote_pull = gh.get_repo(repo.full_name).get_pull(pull.number)

    with pytest.raises(RateLimitExceededException):
        remote_pull.create_issue_comment("report")

    assert remote_pull.create_issue_comment("report").body == "report"


def test_check_run_create__forced_not_accessible__403_once_then_normal(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    fake_github.faults.not_accessible(operation="checks/create")
    remote = gh.get_repo(repo.full_name)

    with pytest.raises(GithubException) as raised:
        remote.create_check_run(name="gatebot", head_sha=pull.head_sha)
    run = remote.create_check_run(name="gatebot", head_sha=pull.head_sha)

    assert raised.value.status == 403
    assert raised.value.data["message"] == "Resource not accessible by integration"
    assert list(repo.check_runs) == [run.id]


def test_fault__never_served__reported_by_problems(fake_github: FakeGitHub) -> None:
    fake_github.faults.server_error("DELETE", "*/comments/*")

    assert fake_github.problems() == ["fault never served: DELETE */comments/* → 502"]
    fake_github.faults.clear()
