"""Shared seeds for the tests of the fake GitHub: a repository, a pull request, tokens, clients."""

from __future__ import annotations

from pathlib import Path

import pytest
from github import Github

from tests.fakegithub import FakeGitHub, Repository
from tests.fakegithub.state import PullRequest
from tests.github.harness import ActionHarness

#: What gatebot's workflow grants ``GITHUB_TOKEN`` on a pull request from a branch.
GATEBOT_PERMISSIONS = {
    "contents": "write",
    "pull-requests": "write",
    "checks": "write",
    "statuses": "write",
    "issues": "write",
    "actions": "read",
}
#: What a pull request from a fork gets: read on everything.
READ_ONLY_PERMISSIONS = {scope: "read" for scope in GATEBOT_PERMISSIONS}

WRITE_TOKEN = "ghs_gatebotwrite0000000000000000000000"
READ_TOKEN = "ghs_forkreadonly000000000000000000000"


@pytest.fixture
def repo(fake_github: FakeGitHub) -> Repository:
    return fake_github.add_repo("octo-org/octo-repo")


@pytest.fixture
def pull(repo: Repository) -> PullRequest:
    repo.commit({"model/metrics.json": '{"accuracy": 0.91}\n'}, message="Baseline metrics")
    head = repo.commit(
        {"model/metrics.json": '{"accuracy": 0.93}\n'},
        branch="candidate",
        message="Candidate metrics",
        author="contributor",
    )
    return repo.add_pull_request(
        title="Try the candidate model", head_ref="candidate", head_sha=head, user="contributor"
    )


@pytest.fixture
def gh(fake_github: FakeGitHub) -> Github:
    """PyGithub with gatebot's usual write token."""
    fake_github.add_token(WRITE_TOKEN, GATEBOT_PERMISSIONS)
    return fake_github.client(WRITE_TOKEN)


@pytest.fixture
def gh_read_only(fake_github: FakeGitHub) -> Github:
    """PyGithub with a fork pull request's read-only token."""
    fake_github.add_token(READ_TOKEN, READ_ONLY_PERMISSIONS)
    return fake_github.client(READ_TOKEN)


@pytest.fixture
def action(tmp_path: Path, fake_github: FakeGitHub) -> ActionHarness:
    """A workspace holding the demo and the environment of an Actions job on Codertocat/Hello-World."""
    return ActionHarness(tmp_path, fake_github)
