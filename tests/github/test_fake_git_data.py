"""Git data, contents, commits and compare through PyGithub, with GitHub's concurrency rules."""

from __future__ import annotations

import hashlib
import threading

import pytest
from github import Github, GithubException, InputGitTreeElement

from tests.fakegithub import FakeGitHub, Repository
from tests.fakegithub.state import PullRequest

from .conftest import GATEBOT_PERMISSIONS


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def test_blob_tree_commit_ref__baseline_written__readable_at_the_new_tip(
    repo: Repository, gh: Github
) -> None:
    remote = gh.get_repo(repo.full_name)
    tip = remote.get_git_ref("heads/main")
    parent = remote.get_git_commit(tip.object.sha)

    blob = remote.create_git_blob('{"accuracy": 0.93}\n', "utf-8")
    tree = remote.create_git_tree(
        [InputGitTreeElement("baselines/model.json", "100644", "blob", sha=blob.sha)],
        base_tree=remote.get_git_tree(parent.tree.sha),
    )
    commit = remote.create_git_commit("Store baseline", tree, [parent])
    tip.edit(commit.sha)

    assert blob.sha == git_blob_sha(b'{"accuracy": 0.93}\n')
    assert repo.branch("main") == commit.sha
    assert repo.file("baselines/model.json") == b'{"accuracy": 0.93}\n'
    assert repo.file("README.md") == b"# octo-repo\n"
    assert {e.path for e in remote.get_git_tree(commit.sha, recursive=True).tree} == {
        "README.md",
        "baselines",
        "baselines/model.json",
    }


def _prepare_commit(remote_repo: object, message: str, content: str) -> str:
    from github.Repository import Repository as RemoteRepository

    assert isinstance(remote_repo, RemoteRepository)
    parent = remote_repo.get_git_commit(remote_repo.get_git_ref("heads/gatebot-baselines").object.sha)
    element = InputGitTreeElement("baseline.json", "100644", "blob", content=content)
    tree = remote_repo.create_git_tree([element], base_tree=remote_repo.get_git_tree(parent.tree.sha))
    return remote_repo.create_git_commit(message, tree, [parent]).sha


def test_ref_update__two_writers_race_from_one_tip__one_wins_one_gets_not_a_fast_forward(
    fake_github: FakeGitHub, repo: Repository
) -> None:
    repo.set_ref("refs/heads/gatebot-baselines", repo.branch("main") or "")
    fake_github.add_token("ghs_writer_a", GATEBOT_PERMISSIONS)
    fake_github.add_token("ghs_writer_b", GATEBOT_PERMISSIONS)
    writers = {name: fake_github.client(f"ghs_writer_{name}").get_repo(repo.full_name) for name in "ab"}
    commits = {
        name: _prepare_commit(remote, f"baseline from {name}", name) for name, remote in writers.items()
    }
    start = threading.Barrier(2)
    outcomes: dict[str, int | str] = {}

    def write(name: str) -> None:
        ref = writers[name].get_git_ref("heads/gatebot-baselines")
        start.wait()
        try:
            ref.edit(commits[name], force=False)
            outcomes[name] = 200
        except GithubException as error:
            outcomes[name] = error.data["message"]

    threads = [threading.Thread(target=write, args=(name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(map(str, outcomes.values())) == ["200", "Update is not a fast forward"]
    winner = next(name for name, outcome in outcomes.items() if outcome == 200)
    assert repo.branch("gatebot-baselines") == commits[winner]
    assert repo.file("baseline.json", "gatebot-baselines") == winner.encode()


def test_ref_update__stale_writer_rebases__second_attempt_lands(repo: Repository, gh: Github) -> None:
    remote = gh.get_repo(repo.full_name)
    repo.set_ref("refs/heads/gatebot-baselines", repo.branch("main") or "")
    stale = _prepare_commit(remote, "first", "1")
    repo.commit({"baseline.json": "other"}, branch="gatebot-baselines", message="someone else")
    ref = remote.get_git_ref("heads/gatebot-baselines")

    with pytest.raises(GithubException) as raised:
        ref.edit(stale)
    rebased = _prepare_commit(remote, "first, rebased", "1")
    ref.edit(rebased)

    assert (raised.value.status, raised.value.data["message"]) == (422, "Update is not a fast forward")
    assert repo.branch("gatebot-baselines") == rebased
    assert remote.get_git_ref("heads/gatebot-baselines").object.sha == rebased


def test_ref_update__force__moves_backwards(repo: Repository, gh: Github) -> None:
    first = repo.branch("main") or ""
    repo.commit({"a.txt": "a"})
    ref = gh.get_repo(repo.full_name).get_git_ref("heads/main")

    ref.edit(first, force=True)

    assert repo.branch("main") == first


def test_create_ref__existing_or_unknown_object__422(repo: Repository, gh: Github) -> None:
    remote = gh.get_repo(repo.full_name)

    with pytest.raises(GithubException) as exists:
        remote.create_git_ref("refs/heads/main", repo.branch("main") or "")
    with pytest.raises(GithubException) as unknown:
        remote.create_git_ref("refs/heads/new", "1" * 40)

    assert exists.value.data["message"] == "Reference already exists"
    assert unknown.value.data["message"] == "Object does not exist"


def test_matching_refs__45_baseline_branches__pygithub_walks_two_pages(
    fake_github: FakeGitHub, repo: Repository, gh: Github
) -> None:
    for i in range(45):
        repo.set_ref(f"refs/heads/gatebot/run-{i:02d}", repo.branch("main") or "")

    refs = list(gh.get_repo(repo.full_name).get_git_matching_refs("heads/gatebot/"))

    assert [r.ref for r in refs] == [f"refs/heads/gatebot/run-{i:02d}" for i in range(45)]
    assert fake_github.log.count("GET", "*/git/matching-refs/*") == 2


def test_contents__update_with_stale_sha__409_and_file_kept(repo: Repository, gh: Github) -> None:
    remote = gh.get_repo(repo.full_name)
    repo.commit({"baselines/model.json": "v1"})
    seen = remote.get_contents("baselines/model.json")
    assert not isinstance(seen, list)
    repo.commit({"baselines/model.json": "v2"})

    with pytest.raises(GithubException) as raised:
        remote.update_file("baselines/model.json", "store v3", "v3", seen.sha)

    assert raised.value.status == 409
    assert raised.value.data["message"] == f"baselines/model.json does not match {seen.sha}"
    assert repo.file("baselines/model.json") == b"v2"


def test_contents__create_then_update_with_current_sha__commits_on_the_branch(
    repo: Repository, gh: Github
) -> None:
    remote = gh.get_repo(repo.full_name)

    created = remote.create_file("baselines/model.json", "store v1", '{"v": 1}')
    updated = remote.update_file("baselines/model.json", "store v2", '{"v": 2}', created["content"].sha)

    assert repo.file("baselines/model.json") == b'{"v": 2}'
    assert repo.branch("main") == updated["commit"].sha
    stored = repo.store.commits[updated["commit"].sha]
    assert stored.parents == (created["commit"].sha,)
    assert (stored.author.name, stored.message) == ("github-actions[bot]", "store v2")


def test_contents__existing_file_without_sha__422_sha_not_supplied(repo: Repository, gh: Github) -> None:
    with pytest.raises(GithubException) as raised:
        gh.get_repo(repo.full_name).create_file("README.md", "overwrite", "new")

    assert raised.value.status == 422
    assert raised.value.data["message"] == 'Invalid request.\n\n"sha" wasn\'t supplied.'


def test_contents__directory__listed_with_files_and_dirs(repo: Repository, gh: Github) -> None:
    repo.commit({"baselines/a.json": "a", "baselines/deep/b.json": "b"})

    listing = gh.get_repo(repo.full_name).get_contents("baselines")

    assert isinstance(listing, list)
    assert sorted((c.type, c.path) for c in listing) == [
        ("dir", "baselines/deep"),
        ("file", "baselines/a.json"),
    ]


def test_compare__diverged_branches__merge_base_and_counts_from_the_graph(
    repo: Repository, gh: Github
) -> None:
    fork_point = repo.branch("main") or ""
    repo.commit({"a.txt": "1"}, branch="feature", parents=[fork_point])
    repo.commit({"a.txt": "2"}, branch="feature")
    repo.commit({"b.txt": "main moved"})

    comparison = gh.get_repo(repo.full_name).compare("main", "feature")

    assert comparison.status == "diverged"
    assert (comparison.ahead_by, comparison.behind_by, comparison.total_commits) == (2, 1, 2)
    assert comparison.merge_base_commit.sha == fork_point
    assert [c.sha for c in comparison.commits] == [
        repo.store.commits[repo.branch("feature") or ""].parents[0],
        repo.branch("feature"),
    ]
    assert [f.filename for f in comparison.files] == ["a.txt"]


@pytest.mark.parametrize(
    ("base", "head", "status", "ahead", "behind"),
    [("main", "main", "identical", 0, 0), ("main", "next", "ahead", 1, 0), ("next", "main", "behind", 0, 1)],
)
def test_compare__linear_history__status_names_the_direction(
    *, base: str, head: str, status: str, ahead: int, behind: int, repo: Repository, gh: Github
) -> None:
    repo.commit({"n.txt": "n"}, branch="next", parents=[repo.branch("main") or ""])

    comparison = gh.get_repo(repo.full_name).compare(base, head)

    assert (comparison.status, comparison.ahead_by, comparison.behind_by) == (status, ahead, behind)


def test_list_commits__sha_param__history_of_that_branch_newest_first(
    repo: Repository, pull: PullRequest, gh: Github
) -> None:
    commits = list(gh.get_repo(repo.full_name).get_commits(sha="candidate"))

    assert commits[0].sha == pull.head_sha
    assert [c.commit.message for c in commits] == ["Candidate metrics", "Baseline metrics", "Initial commit"]
    assert commits[0].author.login == "contributor"


def test_commit_pulls__head_commit__its_pull_request(repo: Repository, pull: PullRequest, gh: Github) -> None:
    remote = gh.get_repo(repo.full_name)

    assert [p.number for p in remote.get_commit(pull.head_sha).get_pulls()] == [pull.number]
    assert list(remote.get_commit(pull.base_sha).get_pulls()) == []


def test_combined_status__latest_per_context__failure_wins(
    repo: Repository, pull: PullRequest, gh: Github
) -> None:
    commit = gh.get_repo(repo.full_name).get_commit(pull.head_sha)

    commit.create_status("pending", context="gatebot")
    commit.create_status("failure", context="gatebot", description="2 slices regressed")
    commit.create_status("success", context="lint", target_url="https://ci.example/lint")
    combined = commit.get_combined_status()

    assert combined.state == "failure"
    assert sorted((s.context, s.state) for s in combined.statuses) == [
        ("gatebot", "failure"),
        ("lint", "success"),
    ]
    assert combined.total_count == 2
