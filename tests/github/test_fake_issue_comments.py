"""Issue comments on a pull request through PyGithub: pages, edits, deletes, limits, reactions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from github import Github, GithubException, UnknownObjectException

from tests.fakegithub import FakeGitHub, Repository
from tests.fakegithub.state import PullRequest

from .conftest import WRITE_TOKEN


def test_issue_comments__three_pages__pygithub_walks_all(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    for i in range(75):
        repo.add_issue_comment(pull.number, f"comment {i}", user="reviewer")

    comments = list(gh.get_repo(repo.full_name).get_pull(pull.number).get_issue_comments())

    assert [c.body for c in comments] == [f"comment {i}" for i in range(75)]
    pages = fake_github.log.find("GET", f"/repos/{repo.full_name}/issues/{pull.number}/comments")
    assert [p.query.get("page", ["1"]) for p in pages] == [["1"], ["2"], ["3"]]
    assert 'rel="next"' in pages[0].response_headers["Link"]
    assert 'rel="next"' not in pages[2].response_headers["Link"]


def test_issue_comment__create_edit_delete__state_and_shapes_follow(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    remote_pull = gh.get_repo(repo.full_name).get_pull(pull.number)

    comment = remote_pull.create_issue_comment("gatebot: 2 slices regressed")
    assert comment.user.login == "github-actions[bot]"
    assert comment.user.type == "Bot"
    assert (
        comment.html_url
        == f"https://github.com/{repo.full_name}/pull/{pull.number}#issuecomment-{comment.id}"
    )
    assert repo.comments[comment.id].body == "gatebot: 2 slices regressed"

    comment.edit("gatebot: all slices pass")
    assert repo.comments[comment.id].body == "gatebot: all slices pass"
    assert comment.updated_at - comment.created_at == timedelta(seconds=1)

    comment.delete()
    assert comment.id not in repo.comments
    with pytest.raises(UnknownObjectException):
        remote_pull.get_issue_comment(comment.id)


def test_issue_comment__created_at__comes_from_the_test_clock(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    fake_github.clock.set(fake_github.clock.now().replace(year=2030, month=6, day=1))

    comment = gh.get_repo(repo.full_name).get_pull(pull.number).create_issue_comment("hello")

    raw = fake_github.log.find("POST", "*/comments")[-1].response
    assert raw["created_at"] == comment.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert raw["created_at"].startswith("2030-06-01T")


def test_issue_comment__body_over_65536_characters__422_validation_failed(
    repo: Repository, pull: PullRequest, gh: Github
) -> None:
    remote_pull = gh.get_repo(repo.full_name).get_pull(pull.number)

    with pytest.raises(GithubException) as raised:
        remote_pull.create_issue_comment("x" * 65537)

    assert raised.value.status == 422
    assert raised.value.data["message"] == "Validation Failed"
    assert raised.value.data["errors"] == [
        {
            "resource": "IssueComment",
            "code": "unprocessable",
            "field": "data",
            "message": "Body is too long (maximum is 65536 characters)",
        }
    ]
    assert remote_pull.create_issue_comment("x" * 65536).body == "x" * 65536


def test_issue_comment__edit_beyond_limit__422_and_body_kept(
    repo: Repository, pull: PullRequest, gh: Github
) -> None:
    seeded = repo.add_issue_comment(pull.number, "short", user="github-actions[bot]", user_type="Bot")
    comment = gh.get_repo(repo.full_name).get_pull(pull.number).get_issue_comment(seeded.id)

    with pytest.raises(GithubException) as raised:
        comment.edit("y" * 70000)

    assert raised.value.status == 422
    assert repo.comments[seeded.id].body == "short"


def test_get_issue__not_in_gatebots_subset__404_as_for_any_undescribed_route(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    """PyGithub's eager ``get_issue`` calls ``GET /issues/{n}``, which gatebot's description lacks."""
    with pytest.raises(UnknownObjectException):
        gh.get_repo(repo.full_name).get_issue(pull.number)

    assert fake_github.log[-1].operation_id is None


def test_issue_comment__seeded_bot_and_user_comments__types_survive_the_round_trip(
    repo: Repository, pull: PullRequest, gh: Github
) -> None:
    repo.add_issue_comment(pull.number, "<!-- gatebot -->", user="github-actions[bot]", user_type="Bot")
    repo.add_issue_comment(pull.number, "looks good", user="maintainer")

    comments = list(gh.get_repo(repo.full_name).get_pull(pull.number).get_issue_comments())

    assert [(c.user.login, c.user.type) for c in comments] == [
        ("github-actions[bot]", "Bot"),
        ("maintainer", "User"),
    ]


def test_reaction__same_content_twice__second_answer_is_200_with_the_same_reaction(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    seeded = repo.add_issue_comment(pull.number, "/gatebot rerun", user="maintainer")
    remote_pull = gh.get_repo(repo.full_name).get_pull(pull.number)
    comment = remote_pull.get_issue_comment(seeded.id)

    first = comment.create_reaction("eyes")
    second = comment.create_reaction("eyes")

    assert first.id == second.id
    assert [e.status for e in fake_github.log.find("POST", "*/reactions")] == [201, 200]
    assert [r.content for r in repo.reactions] == ["eyes"]
    assert remote_pull.get_issue_comment(seeded.id).raw_data["reactions"]["eyes"] == 1


def test_issue_comment__on_a_plain_issue__html_url_under_issues(
    fake_github: FakeGitHub, repo: Repository, gh: Github
) -> None:
    issue = repo.add_issue(title="Baseline drifted")

    answer = fake_github.client(WRITE_TOKEN, lazy=True).get_repo(repo.full_name).get_issue(issue.number)
    comment = answer.create_comment("tracking")

    assert comment.html_url.endswith(f"/octo-org/octo-repo/issues/{issue.number}#issuecomment-{comment.id}")
    assert fake_github.log[-1].operation_id == "issues/create-comment"
