"""The fake holds requests and its own responses to GitHub's API description."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from github import Github

from tests.fakegithub import FakeGitHub, Repository
from tests.fakegithub import handlers as fake_handlers
from tests.fakegithub.handlers import Implementation, Request, Response
from tests.fakegithub.render import Renderer
from tests.fakegithub.server import default_spec
from tests.fakegithub.spec import github_messages
from tests.fakegithub.state import PullRequest

from .conftest import WRITE_TOKEN


@pytest.fixture
def api(fake_github: FakeGitHub, gh: Github) -> requests.Session:
    """Raw HTTP with gatebot's write token, for requests PyGithub would never send."""
    session = requests.Session()
    session.headers["Authorization"] = f"token {WRITE_TOKEN}"
    return session


def test_response_validator__comment_without_user_and_bad_date__problems_named(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest
) -> None:
    spec = default_spec()
    operation = spec.operations["issues/get-comment"]
    comment = repo.add_issue_comment(pull.number, "hi")
    good = Renderer(fake_github.state, fake_github.urls).issue_comment(repo, comment)
    broken = {key: value for key, value in good.items() if key != "user"} | {"created_at": "yesterday"}

    assert spec.response_problems(operation, 200, good, {}) == []
    problems = spec.response_problems(operation, 200, broken, {})
    assert any("'user' is a required property" in p for p in problems)
    assert any("created_at" in p and "date-time" in p for p in problems)


def test_response_validator__undescribed_success_status_or_missing_location__problems() -> None:
    spec = default_spec()

    assert spec.response_problems(spec.operations["pulls/get"], 201, {}, {})
    created = spec.operations["issues/create-comment"]
    assert any("Location" in p for p in spec.response_problems(created, 201, None, {}))
    assert spec.response_problems(spec.operations["pulls/get"], 418, {"message": "teapot"}, {}) == []
    assert spec.response_problems(spec.operations["pulls/get"], 418, {"error": "teapot"}, {})


def test_broken_handler__response_off_the_description__500_and_recorded_as_a_bug(
    monkeypatch: pytest.MonkeyPatch, fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    original = fake_handlers.HANDLERS["pulls/get"]

    def broken(req: Request) -> Response:
        body = req.render.pull_request(req.repository.pulls[req.params["pull_number"]])
        del body["head"]
        return Response(200, body)

    monkeypatch.setitem(fake_handlers.HANDLERS, "pulls/get", Implementation(broken, original.permission))

    answer = requests.get(
        f"{fake_github.url}/repos/{repo.full_name}/pulls/{pull.number}",
        headers={"Authorization": f"token {WRITE_TOKEN}"},
        timeout=5,
    )

    assert answer.status_code == 500
    assert fake_github.errors and "'head' is a required property" in fake_github.errors[0]
    fake_github.errors.clear()


def test_unknown_route__404_not_found_with_docs(fake_github: FakeGitHub, api: requests.Session) -> None:
    answer = api.get(f"{fake_github.url}/repos/octo-org/octo-repo/deployments")

    assert answer.status_code == 404
    assert answer.json() == {
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest",
        "status": "404",
    }


def test_method_the_description_lacks__404(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, api: requests.Session
) -> None:
    answer = api.delete(f"{fake_github.url}/repos/{repo.full_name}/pulls/{pull.number}")

    assert answer.status_code == 404
    assert len(repo.pulls) == 1


def test_path_parameter_not_a_number__404(
    fake_github: FakeGitHub, repo: Repository, api: requests.Session
) -> None:
    assert api.get(f"{fake_github.url}/repos/{repo.full_name}/issues/abc/comments").status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=finished", 'finished is not a member of ["queued", "in_progress", "completed"].'),
        ("filter=newest", 'newest is not a member of ["latest", "all"].'),
        ("app_id=abc", "For 'properties/app_id', \"abc\" is not an integer."),
    ],
)
def test_query_parameter_off_the_description__422_in_githubs_words(
    *,
    query: str,
    message: str,
    fake_github: FakeGitHub,
    repo: Repository,
    pull: PullRequest,
    api: requests.Session,
) -> None:
    answer = api.get(f"{fake_github.url}/repos/{repo.full_name}/commits/{pull.head_sha}/check-runs?{query}")

    assert answer.status_code == 422
    assert answer.json()["message"] == f"Invalid request.\n\n{message}"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "Problems parsing JSON"),
        (b"", 422, "Invalid request.\n\nFor 'links/0/schema', nil is not an object."),
        (b'{"body": 5}', 422, "Invalid request.\n\nFor 'properties/body', 5 is not a string."),
        (b'{"text": "hi"}', 422, 'Invalid request.\n\n"body" wasn\'t supplied.'),
    ],
)
def test_comment_request_body_off_the_description__rejected_like_github(
    *,
    body: bytes,
    status: int,
    message: str,
    fake_github: FakeGitHub,
    repo: Repository,
    pull: PullRequest,
    api: requests.Session,
) -> None:
    answer = api.post(f"{fake_github.url}/repos/{repo.full_name}/issues/{pull.number}/comments", data=body)

    assert (answer.status_code, answer.json()["message"]) == (status, message)
    assert repo.comments == {}


def test_ref_update_without_sha__422_sha_not_supplied(
    fake_github: FakeGitHub, repo: Repository, api: requests.Session
) -> None:
    answer = api.patch(f"{fake_github.url}/repos/{repo.full_name}/git/refs/heads/main", json={"force": True})

    assert answer.json()["message"] == 'Invalid request.\n\n"sha" wasn\'t supplied.'


def test_running_check_run__conclusion_null__accepted_although_the_enum_lacks_null(
    repo: Repository, pull: PullRequest, gh: Github
) -> None:
    """``nullable: true`` admits null even with an ``enum``; GitHub answers ``conclusion: null``."""
    run = gh.get_repo(repo.full_name).create_check_run(
        name="gatebot", head_sha=pull.head_sha, status="in_progress"
    )

    assert run.conclusion is None


@pytest.mark.parametrize(
    ("body", "lines"),
    [
        (
            {"output": {"annotations": []}, "status": "queued"},
            ['"summary", "title" weren\'t supplied.', '"head_sha", "name" weren\'t supplied.'],
        ),
        (
            {"name": "g", "head_sha": "s", "output": {"title": 5, "summary": "s"}},
            ["For 'properties/output/properties/title', 5 is not a string."],
        ),
    ],
)
def test_messages__nested_errors_and_several_missing_keys__githubs_layout(
    body: dict[str, Any], lines: list[str]
) -> None:
    spec = default_spec()
    pointer = spec.operations["checks/create"].body_pointer
    assert pointer is not None

    assert github_messages(spec.schema_errors(pointer, body)) == lines


def test_every_operation_of_the_description__has_a_handler() -> None:
    assert sorted(default_spec().operations) == fake_handlers.implemented()
