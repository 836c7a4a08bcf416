"""GitHub's pagination: per_page/page and Link headers shaped like GitHub's recorded ones."""

from __future__ import annotations

import json
import re
import urllib.parse

import requests
from github import Github

from tests.fakegithub import FakeGitHub, PullFile, Repository
from tests.fakegithub.spec import REFERENCE_DIR
from tests.fakegithub.state import PullRequest

from .conftest import WRITE_TOKEN

OCTOKIT_PAGINATION = (
    REFERENCE_DIR / "fixtures" / "octokit-fixtures" / "paginate-issues" / "normalized-fixture.json"
)
LINK = re.compile(r'<([^>]+)>; rel="([a-z]+)"')


def parse_link(header: str) -> list[tuple[str, dict[str, list[str]]]]:
    """``[(rel, query), ...]`` in header order."""
    return [
        (rel, urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)) for url, rel in LINK.findall(header)
    ]


def test_link_header__page_2_of_5__same_rels_order_and_query_as_githubs_recording(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    recorded = json.loads(OCTOKIT_PAGINATION.read_text(encoding="utf-8"))
    recorded_pages = [parse_link(step["headers"]["link"]) for step in recorded]
    for i in range(15):
        repo.add_issue_comment(pull.number, f"c{i}")
    url = f"{fake_github.url}/repos/{repo.full_name}/issues/{pull.number}/comments"
    headers = {"Authorization": f"token {WRITE_TOKEN}"}

    ours = []
    for page in range(1, 6):
        answer = requests.get(url, params={"per_page": 3, "page": page}, headers=headers, timeout=5)
        ours.append(parse_link(answer.headers["Link"]))

    assert ours == recorded_pages
    assert all(url.startswith(fake_github.url) for url, _ in LINK.findall(answer.headers["Link"]))


def test_per_page_over_100__capped_at_100(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    for i in range(130):
        repo.add_issue_comment(pull.number, f"c{i}")

    answer = requests.get(
        f"{fake_github.url}/repos/{repo.full_name}/issues/{pull.number}/comments?per_page=250",
        headers={"Authorization": f"token {WRITE_TOKEN}"},
        timeout=5,
    )

    assert len(answer.json()) == 100
    assert dict((rel, q["page"]) for rel, q in parse_link(answer.headers["Link"])) == {
        "next": ["2"],
        "last": ["2"],
    }


def test_one_page_only__no_link_header(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    repo.add_issue_comment(pull.number, "only")

    assert len(list(gh.get_repo(repo.full_name).get_pull(pull.number).get_issue_comments())) == 1
    assert "Link" not in fake_github.log[-1].response_headers


def test_pull_files__250_files__pygithub_walks_three_pages_with_per_page_100(
    fake_github: FakeGitHub, repo: Repository
) -> None:
    files = [PullFile(f"evals/slice_{i:03d}.jsonl", "added", additions=i) for i in range(250)]
    pull = repo.add_pull_request(files=files)
    fake_github.add_token(WRITE_TOKEN, {"pull-requests": "read"})
    client = fake_github.client(WRITE_TOKEN, per_page=100)

    listed = list(client.get_repo(repo.full_name).get_pull(pull.number).get_files())

    assert [(f.filename, f.additions) for f in listed] == [(f.filename, f.additions) for f in files]
    assert [e.query.get("page", ["1"]) for e in fake_github.log.find("GET", "*/files")] == [
        ["1"],
        ["2"],
        ["3"],
    ]


def test_pull_files__seeded_from_commits__diff_of_merge_base_and_head(
    repo: Repository, pull: PullRequest, gh: Github
) -> None:
    (changed,) = gh.get_repo(repo.full_name).get_pull(pull.number).get_files()

    assert (changed.filename, changed.status, changed.additions, changed.deletions) == (
        "model/metrics.json",
        "modified",
        1,
        1,
    )
    assert changed.patch == '@@ -1 +1 @@\n-{"accuracy": 0.91}\n+{"accuracy": 0.93}'


def test_pulls__filtered_by_head__only_that_branch(repo: Repository, gh: Github) -> None:
    wanted = repo.add_pull_request(head_ref="model-v2")
    repo.add_pull_request(head_ref="model-v3")
    repo.add_pull_request(head_ref="model-v2-closed", state="closed")

    remote = gh.get_repo(repo.full_name)

    assert [p.number for p in remote.get_pulls(head="octo-org:model-v2")] == [wanted.number]
    assert len(list(remote.get_pulls(state="all"))) == 3
