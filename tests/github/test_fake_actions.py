"""GitHub Actions operations: workflow runs, artifacts (with the storage redirect), re-runs, dispatches."""

from __future__ import annotations

import io
import zipfile

import pytest
import requests
from github import Github, GithubException

from tests.fakegithub import FakeGitHub, Repository
from tests.fakegithub.state import PullRequest

from .conftest import WRITE_TOKEN


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_workflow_run__from_a_pull_request__lists_it(repo: Repository, pull: PullRequest, gh: Github) -> None:
    run = repo.add_workflow_run(
        head_sha=pull.head_sha, head_branch=pull.head_ref, pull_requests=[pull.number]
    )

    remote = gh.get_repo(repo.full_name).get_workflow_run(run.id)

    assert (remote.event, remote.head_sha, remote.conclusion) == ("pull_request", pull.head_sha, "success")
    assert [p.number for p in remote.pull_requests] == [pull.number]


def test_workflow_run__from_a_fork__no_pull_requests_and_head_repository_the_fork(
    repo: Repository, gh: Github
) -> None:
    pull = repo.add_pull_request(head_repo="contributor/octo-repo", head_ref="patch-1")
    run = repo.add_workflow_run(
        head_sha=pull.head_sha,
        head_branch="patch-1",
        head_repo="contributor/octo-repo",
        pull_requests=[pull.number],
    )

    remote = gh.get_repo(repo.full_name).get_workflow_run(run.id)

    assert remote.pull_requests == []
    assert (remote.head_repository.full_name, remote.head_repository.fork) == ("contributor/octo-repo", True)
    assert gh.get_repo(repo.full_name).get_pull(pull.number).head.repo.full_name == "contributor/octo-repo"


def test_artifact_download__redirect_to_storage__zip_bytes_the_test_gave(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    run = repo.add_workflow_run(head_sha=pull.head_sha)
    data = zipped({"results.json": '{"accuracy": 0.93}'})
    repo.add_artifact(run.id, "gatebot-results", data)
    (artifact,) = gh.get_repo(repo.full_name).get_workflow_run(run.id).get_artifacts()

    answer = requests.get(
        artifact.archive_download_url, headers={"Authorization": f"token {WRITE_TOKEN}"}, timeout=5
    )

    assert answer.status_code == 200
    assert answer.content == data
    assert zipfile.ZipFile(io.BytesIO(answer.content)).read("results.json") == b'{"accuracy": 0.93}'
    assert [e.status for e in fake_github.log][-2:] == [302, 200]
    assert answer.history[0].headers["Location"].startswith(fake_github.storage_url)


def test_artifact_download__expired__410(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    run = repo.add_workflow_run(head_sha=pull.head_sha)
    artifact = repo.add_artifact(run.id, "old", b"PK", expired=True)

    answer = requests.get(
        f"{fake_github.url}/repos/{repo.full_name}/actions/artifacts/{artifact.id}/zip",
        headers={"Authorization": f"token {WRITE_TOKEN}"},
        timeout=5,
    )

    assert (answer.status_code, answer.json()["message"]) == (410, "Artifact has expired")


def test_artifacts__35_of_them__pygithub_walks_two_pages_newest_first(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    run = repo.add_workflow_run(head_sha=pull.head_sha)
    for i in range(35):
        repo.add_artifact(run.id, f"shard-{i:02d}", b"PK")

    names = [a.name for a in gh.get_repo(repo.full_name).get_workflow_run(run.id).get_artifacts()]

    assert names == [f"shard-{i:02d}" for i in reversed(range(35))]


def test_rerun__completed_run__queued_again_and_second_rerun_refused(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest
) -> None:
    fake_github.add_token("ghs_actions", {"actions": "write"})
    run = repo.add_workflow_run(head_sha=pull.head_sha, conclusion="failure")
    remote = fake_github.client("ghs_actions").get_repo(repo.full_name).get_workflow_run(run.id)

    assert remote.rerun() is True
    assert (run.status, run.conclusion, run.run_attempt, repo.reruns) == ("queued", None, 2, [run.id])
    assert remote.rerun() is False
    assert fake_github.log[-1].status == 403
    assert fake_github.log[-1].response["message"] == "This workflow is already running"


def test_rerun__actions_read_only__403(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    run = repo.add_workflow_run(head_sha=pull.head_sha)

    assert gh.get_repo(repo.full_name).get_workflow_run(run.id).rerun() is False
    assert fake_github.log[-1].status == 403
    assert repo.reruns == []


def test_workflow_dispatch__known_ref__recorded_with_inputs_and_unknown_ref_422(
    fake_github: FakeGitHub, repo: Repository
) -> None:
    fake_github.add_token("ghs_actions", {"actions": "write"})
    repo.add_workflow(".github/workflows/gatebot-publish.yml")
    workflow_id = repo.workflows[".github/workflows/gatebot-publish.yml"]
    url = f"{fake_github.url}/repos/{repo.full_name}/actions/workflows/gatebot-publish.yml/dispatches"
    headers = {"Authorization": "token ghs_actions"}

    ok = requests.post(url, json={"ref": "main", "inputs": {"pr": "7"}}, headers=headers, timeout=5)
    by_id = requests.post(
        url.replace("gatebot-publish.yml", str(workflow_id)), json={"ref": "main"}, headers=headers, timeout=5
    )
    unknown = requests.post(url, json={"ref": "nope"}, headers=headers, timeout=5)

    assert (ok.status_code, by_id.status_code) == (204, 204)
    assert [(d.workflow_id, d.ref, d.inputs) for d in repo.dispatches] == [
        ("gatebot-publish.yml", "main", {"pr": "7"}),
        (workflow_id, "main", {}),
    ]
    assert (unknown.status_code, unknown.json()["message"]) == (422, "No ref found for: nope")


def test_workflow_dispatch__return_run_details__200_with_a_queued_run(
    fake_github: FakeGitHub, repo: Repository
) -> None:
    fake_github.add_token("ghs_actions", {"actions": "write"})
    repo.add_workflow(".github/workflows/gatebot-publish.yml")

    answer = requests.post(
        f"{fake_github.url}/repos/{repo.full_name}/actions/workflows/gatebot-publish.yml/dispatches",
        json={"ref": "main", "return_run_details": True},
        headers={"Authorization": "token ghs_actions"},
        timeout=5,
    )

    assert answer.status_code == 200
    run = repo.workflow_runs[answer.json()["workflow_run_id"]]
    assert (run.event, run.status, run.head_sha) == ("workflow_dispatch", "queued", repo.branch("main"))
    assert answer.json()["run_url"] == f"{fake_github.url}/repos/{repo.full_name}/actions/runs/{run.id}"


def test_jobs_of_a_run__latest_attempt_paged__all_with_filter(
    fake_github: FakeGitHub, repo: Repository, pull: PullRequest, gh: Github
) -> None:
    fake_github.add_token("ghs_actions", {"actions": "write"})
    run = repo.add_workflow_run(head_sha=pull.head_sha, head_branch=pull.head_ref, conclusion="failure")
    first = repo.add_job(run.id, "shard 0", status="completed", conclusion="failure")
    fake_github.client("ghs_actions").get_repo(repo.full_name).get_workflow_run(run.id).rerun()
    shards = [repo.add_job(run.id, f"shard {i}") for i in range(35)]
    repo.set_job(shards[0], status="in_progress")
    repo.set_job(shards[1], status="completed", conclusion="success")

    remote = gh.get_repo(repo.full_name).get_workflow_run(run.id)
    latest = list(remote.jobs())
    every = list(remote.jobs("all"))

    assert [j.name for j in latest] == [f"shard {i}" for i in range(35)]
    assert [(j.status, j.conclusion) for j in latest[:3]] == [
        ("in_progress", None),
        ("completed", "success"),
        ("queued", None),
    ]
    assert (latest[0].run_attempt, latest[0].head_sha, latest[1].completed_at is not None) == (
        2,
        pull.head_sha,
        True,
    )
    assert [j.id for j in every] == [first.id, *(j.id for j in shards)]
    assert fake_github.log.count("GET", "*/actions/runs/*/jobs") == 4  # two pages each
    assert fake_github.problems() == []


def test_jobs_of_an_unknown_run__404(fake_github: FakeGitHub, repo: Repository, gh: Github) -> None:
    with pytest.raises(GithubException) as raised:
        list(gh.get_repo(repo.full_name).get_workflow_run(999).jobs())
    assert raised.value.status == 404
