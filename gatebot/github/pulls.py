"""A pull request's head (commit, branch, repository), and its changed files across every page."""

from __future__ import annotations

from dataclasses import dataclass

from github import Github

from gatebot.errors import InputError
from gatebot.github.client import GitHubAPIError, call

MAX_FILES = 3000  # GitHub lists at most 3,000 files of a pull request


def changed_files(gh: Github, repository: str, number: int) -> tuple[list[str], bool]:
    """Paths the pull request adds, modifies, renames (both names) or removes; True if GitHub's list
    was cut at its 3,000-file limit, in which case the caller must assume every model changed."""

    def fetch() -> list[str]:
        paths: list[str] = []
        for entry in gh.get_repo(repository).get_pull(number).get_files():
            paths.append(entry.filename)
            if entry.previous_filename:
                paths.append(entry.previous_filename)
        return paths

    paths = call(f"listing the files of pull request #{number}", "pull-requests: read", fetch)
    return paths, len(set(paths)) >= MAX_FILES


@dataclass(frozen=True)
class Head:
    """Where a pull request's head is now: its commit, branch, and the repository that holds it."""

    sha: str
    ref: str
    repository: str | None
    """owner/name; None when the fork was deleted."""


def pull_request_head(gh: Github, repository: str, number: int) -> Head | None:
    """The pull request's head as GitHub has it now (it moves on with every push); None when the
    repository has no pull request `number`.

    The client is lazy: `get_repo` and `get_pull` send nothing, reading `head` sends the one request,
    `GET /repos/{repository}/pulls/{number}`. Its 404 says either that there is no such pull request
    or that the token cannot see the repository (a token that sees it but lacks `pull-requests:
    read` gets a 403); reading the repository, only then, tells which.
    """

    def fetch() -> Head:
        head = gh.get_repo(repository).get_pull(number).head
        return Head(str(head.sha), str(head.ref), str(head.repo.full_name) if head.repo else None)

    try:
        return call(f"reading pull request #{number} of {repository}", "pull-requests: read", fetch)
    except GitHubAPIError as error:
        if error.status != 404:
            raise
        # Reading an attribute the lazy repository does not hold yet sends `GET /repos/{repository}`.
        call(f"reading repository {repository}", "contents: read", lambda: gh.get_repo(repository).id)
        return None


def pull_head(gh: Github, repository: str, number: int) -> str:
    """The pull request's head commit as GitHub has it now."""
    head = pull_request_head(gh, repository, number)
    if head is None:
        raise InputError(f"{repository} has no pull request #{number}", "check the pull request number")
    return head.sha
