"""Talking with people on a pull request: permissions, replies, reactions, re-runs."""

from __future__ import annotations

from github import Github

from gatebot.commands import Reaction
from gatebot.github.client import GitHubAPIError, call

WRITE_PERMISSIONS = frozenset({"admin", "write"})  # GitHub reports the maintain role as "write"


def permission_of(gh: Github, repository: str, login: str) -> str:
    """The user's permission on the repository: admin, write, read or none."""

    def fetch() -> str:
        return str(gh.get_repo(repository).get_collaborator_permission(login))

    try:
        return call(f"reading the permission of @{login}", "contents: read", fetch)
    except GitHubAPIError as error:
        if error.status == 404:
            return "none"
        raise


def react(gh: Github, repository: str, number: int, comment_id: int, content: Reaction) -> None:
    call(
        "reacting to the command",
        "pull-requests: write",
        lambda: gh.get_repo(repository).get_issue(number).get_comment(comment_id).create_reaction(content),
    )


def reply(gh: Github, repository: str, number: int, body: str) -> None:
    call(
        f"replying on pull request #{number}",
        "pull-requests: write",
        lambda: gh.get_repo(repository).get_issue(number).create_comment(body),
    )


def rerun(gh: Github, repository: str, run_id: int, *, head_sha: str) -> bool:
    """Ask GitHub to re-run a workflow run of commit `head_sha`; False when the token may not, or the run
    is not of that commit (then the caller re-publishes)."""

    def ask() -> bool:
        run = gh.get_repo(repository).get_workflow_run(run_id)
        return run.head_sha == head_sha and bool(run.rerun())

    try:
        return call(f"re-running workflow run {run_id}", "actions: write", ask)
    except GitHubAPIError as error:
        if error.status in (403, 404, 409, 422):
            return False
        raise
