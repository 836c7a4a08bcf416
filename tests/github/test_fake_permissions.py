"""Authentication, token permissions and collaborator roles."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from github import BadCredentialsException, Github, GithubException, UnknownObjectException
from github.Repository import Repository as RemoteRepository

from tests.fakegithub import FakeGitHub, Repository
from tests.fakegithub.state import PullRequest

WRITES: dict[str, Callable[[RemoteRepository, PullRequest, int], object]] = {
    "comment": lambda r, p, c: r.get_pull(p.number).create_issue_comment("report"),
    "edit comment": lambda r, p, c: r.get_pull(p.number).get_issue_comment(c).edit("changed"),
    "check run": lambda r, p, c: r.create_check_run(name="gatebot", head_sha=p.head_sha),
    "status": lambda r, p, c: r.get_commit(p.head_sha).create_status("success", context="gatebot"),
    "ref": lambda r, p, c: r.create_git_ref("refs/heads/gatebot-baselines", p.base_sha),
    "contents": lambda r, p, c: r.create_file("baselines/new.json", "store", "{}"),
    "blob": lambda r, p, c: r.create_git_blob("data", "utf-8"),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_read_only_token__any_write__403_not_accessible_and_state_unchanged(
    write: str, fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh_read_only: Github
) -> None:
    comment = repo.add_issue_comment(pull.number, "original", user="github-actions[bot]", user_type="Bot")
    remote = gh_read_only.get_repo(repo.full_name)
    refs_before = dict(repo.refs)

    with pytest.raises(GithubException) as raised:
        WRITES[write](remote, pull, comment.id)

    assert raised.value.status == 403
    assert raised.value.data["message"] == "Resource not accessible by integration"
    assert repo.refs == refs_before
    assert [c.body for c in repo.comments_on(pull.number)] == ["original"]
    assert (repo.check_runs, repo.statuses) == ({}, [])


def test_read_only_token__reads__answered(repo: Repository, pull: PullRequest, gh_read_only: Github) -> None:
    remote = gh_read_only.get_repo(repo.full_name)

    assert remote.get_pull(pull.number).head.sha == pull.head_sha
    assert [f.filename for f in remote.get_pull(pull.number).get_files()] == ["model/metrics.json"]
    content = remote.get_contents("model/metrics.json", ref=pull.head_sha)
    assert not isinstance(content, list)
    assert content.decoded_content == b'{"accuracy": 0.93}\n'


def test_token_with_only_pull_requests_write__can_comment_but_not_create_check_runs(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest
) -> None:
    fake_github.add_token("ghs_prs", {"pull-requests": "write"})
    remote = fake_github.client("ghs_prs").get_repo(repo.full_name)

    remote.get_pull(pull.number).create_issue_comment("report")
    with pytest.raises(GithubException) as raised:
        remote.create_check_run(name="gatebot", head_sha=pull.head_sha)

    assert raised.value.status == 403
    forbidden = fake_github.log.find("POST", "*/check-runs")[0]
    assert forbidden.response_headers["X-Accepted-GitHub-Permissions"] == "checks=write"


def test_unknown_token__401_bad_credentials(fake_github: FakeGitHub, repo: Repository) -> None:
    with pytest.raises(BadCredentialsException) as raised:
        fake_github.client("ghs_unknown").get_repo(repo.full_name)

    assert raised.value.status == 401
    assert raised.value.data["message"] == "Bad credentials"


def test_no_authorization__401_requires_authentication(fake_github: FakeGitHub, repo: Repository) -> None:
    answer = requests.get(f"{fake_github.url}/repos/{repo.full_name}", timeout=5)

    assert answer.status_code == 401
    assert answer.json()["message"] == "Requires authentication"


def test_bearer_scheme__accepted_like_token(fake_github: FakeGitHub, repo: Repository, gh: Github) -> None:
    answer = requests.get(
        f"{fake_github.url}/repos/{repo.full_name}",
        headers={"Authorization": "Bearer ghs_gatebotwrite0000000000000000000000"},
        timeout=5,
    )

    assert answer.status_code == 200
    assert "Authorization" not in fake_github.log[-1].headers


def test_get_user__installation_token__403_but_user_token_gets_its_account(
    fake_github: FakeGitHub, gh: Github
) -> None:
    fake_github.add_token("ghp_person", {"contents": "read"}, login="maintainer", installation=False)

    with pytest.raises(GithubException) as raised:
        gh.get_user().login  # noqa: B018 - the attribute read makes the request

    assert raised.value.status == 403
    assert fake_github.client("ghp_person").get_user().login == "maintainer"


@pytest.mark.parametrize(
    ("role", "permission", "role_name"),
    [
        ("admin", "admin", "admin"),
        ("maintain", "write", "maintain"),
        ("write", "write", "write"),
        ("triage", "read", "triage"),
        ("read", "read", "read"),
    ],
)
def test_collaborator_permission__role__api_permission_and_role_name(
    role: str, permission: str, role_name: str, repo: Repository, gh: Github
) -> None:
    repo.set_permission("someone", role)
    remote = gh.get_repo(repo.full_name)

    assert remote.get_collaborator_permission("someone") == permission
    assert remote.get_collaborator_role_name("someone") == role_name


def test_collaborator_permission__admin_write_read_users__as_gatebot_checks_them(
    repo: Repository, gh: Github
) -> None:
    repo.set_permission("alice", "admin")
    repo.set_permission("bob", "write")
    repo.set_permission("carol", "read")
    remote = gh.get_repo(repo.full_name)

    assert {u: remote.get_collaborator_permission(u) for u in ("alice", "bob", "carol", "octo-org")} == {
        "alice": "admin",
        "bob": "write",
        "carol": "read",
        "octo-org": "admin",
    }


def test_collaborator_permission__unknown_user__404(repo: Repository, gh: Github) -> None:
    with pytest.raises(UnknownObjectException):
        gh.get_repo(repo.full_name).get_collaborator_permission("nobody-at-all")


def test_primary_rate_limit__exhausted__403_and_headers_count_down(
    fake_github: FakeGitHub, repo: Repository
) -> None:
    fake_github.add_token("ghs_small", {"contents": "read"}, rate_limit=3)
    client = fake_github.client("ghs_small")

    client.get_repo(repo.full_name)
    assert client.rate_limiting == (2, 3)
    assert client.get_rate_limit().resources.core.remaining == 2
    client.get_repo(repo.full_name)
    client.get_repo(repo.full_name)
    with pytest.raises(GithubException) as raised:
        client.get_repo(repo.full_name)

    assert raised.value.status == 403
    assert raised.value.data["message"] == "API rate limit exceeded for installation ID 1."
    assert fake_github.log[-1].response_headers["X-RateLimit-Remaining"] == "0"
