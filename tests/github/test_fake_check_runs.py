"""Check runs through PyGithub: many annotations, GitHub's 422s, recorded real traffic replayed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from github import Github, GithubException

from tests.fakegithub import FakeGitHub, Repository
from tests.fakegithub.spec import REFERENCE_DIR
from tests.fakegithub.state import PullRequest

from .conftest import GATEBOT_PERMISSIONS, WRITE_TOKEN

HUB4J = REFERENCE_DIR / "fixtures" / "hub4j-wiremock" / "GHCheckRunBuilderTest"


def make_annotations(start: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "path": "model/metrics.json",
            "start_line": 1,
            "end_line": 1,
            "annotation_level": "warning",
            "message": f"slice {i} regressed",
        }
        for i in range(start, start + count)
    ]


def output(start: int, count: int) -> dict[str, Any]:
    return {
        "title": "gatebot",
        "summary": "3 slices regressed",
        "annotations": make_annotations(start, count),
    }


def mapping(test: str, name: str) -> dict[str, Any]:
    data = json.loads((HUB4J / test / "mappings" / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def recorded_body(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_check_run__120_annotations_in_50_50_20__all_kept_and_counted(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    remote = gh.get_repo(repo.full_name)

    run = remote.create_check_run(
        name="gatebot", head_sha=pull.head_sha, status="in_progress", output=output(0, 50)
    )
    run.edit(output=output(50, 50))
    run.edit(conclusion="failure", output=output(100, 20))
    again = remote.get_check_run(run.id)

    assert again.status == "completed"
    assert again.conclusion == "failure"
    assert again.output.annotations_count == 120
    assert [a["message"] for a in repo.check_runs[run.id].annotations] == [
        f"slice {i} regressed" for i in range(120)
    ]
    writes = fake_github.log.find(operation="checks/create") + fake_github.log.find(operation="checks/update")
    assert [len(e.body["output"]["annotations"]) for e in writes] == [50, 50, 20]
    assert [p.number for p in again.pull_requests] == [pull.number]


def test_check_run__51_annotations_in_one_request__422_and_nothing_created(
    repo: Repository, pull: PullRequest, gh: Github
) -> None:
    with pytest.raises(GithubException) as raised:
        gh.get_repo(repo.full_name).create_check_run(
            name="gatebot", head_sha=pull.head_sha, output=output(0, 51)
        )

    assert raised.value.status == 422
    assert (
        raised.value.data["message"]
        == "Invalid request.\n\nNo more than 50 items are allowed; 51 were supplied."
    )
    assert repo.check_runs == {}


def test_check_run__completed_without_conclusion__422_worded_like_githubs_recording(
    repo: Repository, pull: PullRequest, gh: Github
) -> None:
    recorded = mapping("createCheckRunErrMissingConclusion", "5-r_h_t_check-runs.json")
    recorded_request = json.loads(recorded["request"]["bodyPatterns"][0]["equalToJson"])
    recorded_message = json.loads(recorded["response"]["body"])["message"]

    with pytest.raises(GithubException) as raised:
        gh.get_repo(repo.full_name).create_check_run(
            name="outstanding", head_sha=pull.head_sha, status="completed"
        )

    assert set(recorded_request) == {"name", "head_sha", "status"}
    assert raised.value.status == recorded["response"]["status"] == 422
    assert raised.value.data["message"] == recorded_message
    assert repo.check_runs == {}


def test_check_run_update__completed_without_conclusion__same_422(
    repo: Repository, pull: PullRequest, gh: Github
) -> None:
    run = gh.get_repo(repo.full_name).create_check_run(
        name="gatebot", head_sha=pull.head_sha, status="in_progress"
    )

    with pytest.raises(GithubException) as raised:
        run.edit(status="completed")

    assert raised.value.status == 422
    assert 'No subschema in "anyOf" matched.\n"conclusion" wasn\'t supplied.' in raised.value.data["message"]
    assert repo.check_runs[run.id].status == "in_progress"


def test_check_run__no_status_given__queued_as_the_default(
    repo: Repository, pull: PullRequest, gh: Github
) -> None:
    run = gh.get_repo(repo.full_name).create_check_run(name="gatebot", head_sha=pull.head_sha)

    assert run.status == "queued"
    assert run.conclusion is None
    assert run.completed_at is None


def test_check_run__unknown_head_sha__422_no_commit_found(repo: Repository, gh: Github) -> None:
    with pytest.raises(GithubException) as raised:
        gh.get_repo(repo.full_name).create_check_run(name="gatebot", head_sha="0" * 40)

    assert raised.value.status == 422
    assert raised.value.data["message"] == f"No commit found for SHA: {'0' * 40}"


def test_check_run__hub4j_recording_of_101_annotations__fake_counts_as_github_did(
    fake_github: FakeGitHub,
) -> None:
    """Replays hub4j's recorded requests (POST 50, PATCH 50, PATCH 1) and compares the answers."""
    test = HUB4J / "createCheckRunManyAnnotations"
    steps = [
        (mapping("createCheckRunManyAnnotations", name), recorded_body(test / "__files" / name))
        for name in (
            "5-r_h_t_check-runs.json",
            "6-r_h_t_check-runs_1424883599.json",
            "7-r_h_t_check-runs_1424883599.json",
        )
    ]
    first_request = json.loads(steps[0][0]["request"]["bodyPatterns"][0]["equalToJson"])
    repo = fake_github.add_repo("hub4j-test-org/test-checks")
    repo.commit({"stuff.txt": "stuff\n"}, sha=first_request["head_sha"])
    fake_github.add_token(WRITE_TOKEN, GATEBOT_PERMISSIONS)
    session = requests.Session()
    session.headers["Authorization"] = f"token {WRITE_TOKEN}"

    run_id = None
    for recorded, recorded_response in steps:
        request = recorded["request"]
        url = fake_github.url + request["url"].replace("1424883599", str(run_id))
        answer = session.request(request["method"], url, data=request["bodyPatterns"][0]["equalToJson"])
        body = answer.json()
        run_id = body["id"]
        assert answer.status_code == recorded["response"]["status"]
        for field in ("status", "conclusion", "name", "head_sha"):
            assert body[field] == recorded_response[field]
        assert body["output"]["annotations_count"] == recorded_response["output"]["annotations_count"]
        assert set(recorded_response) <= set(body) | {"deployment"}

    assert [len(run.annotations) for run in repo.check_runs.values()] == [101]


def test_check_runs_for_ref__latest_per_name_by_default__all_on_request(
    repo: Repository, pull: PullRequest, gh: Github
) -> None:
    remote = gh.get_repo(repo.full_name)
    for conclusion in ("failure", "success"):
        remote.create_check_run(name="gatebot", head_sha=pull.head_sha, conclusion=conclusion)
    remote.create_check_run(name="lint", head_sha=pull.head_sha, conclusion="success")
    commit = remote.get_commit(pull.head_sha)

    latest = list(commit.get_check_runs())
    everything = list(commit.get_check_runs(filter="all"))
    only_gatebot = commit.get_check_runs(check_name="gatebot", filter="all")

    assert sorted((r.name, r.conclusion) for r in latest) == [("gatebot", "success"), ("lint", "success")]
    assert len(everything) == 3
    assert only_gatebot.totalCount == 2


def test_check_runs_for_ref__35_runs__pygithub_walks_two_pages(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    for i in range(35):
        repo.add_check_run(pull.head_sha, f"check {i:02d}")

    runs = gh.get_repo(repo.full_name).get_commit(pull.head_sha).get_check_runs()

    assert sorted(r.name for r in runs) == [f"check {i:02d}" for i in range(35)]
    assert runs.totalCount == 35
    pages = [e.query.get("page", ["1"]) for e in fake_github.log.find("GET", "*/check-runs")]
    assert pages == [["1"], ["2"]]
