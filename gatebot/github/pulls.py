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


@dataclass(frozen=True)
class PullInfo:
    """A pull request as GitHub has it now: both ends and its author."""

    number: int
    head: Head
    base_sha: str
    base_ref: str
    base_repository: str
    author: str
    state: str


def pull_request_info(gh: Github, repository: str, number: int) -> PullInfo:
    """The pull request now (`GET /repos/{repository}/pulls/{number}`, one request)."""

    def fetch() -> PullInfo:
        pull = gh.get_repo(repository).get_pull(number)
        head = pull.head
        return PullInfo(
            number=number,
            head=Head(str(head.sha), str(head.ref), str(head.repo.full_name) if head.repo else None),
            base_sha=str(pull.base.sha),
            base_ref=str(pull.base.ref),
            base_repository=str(pull.base.repo.full_name),
            author=str(pull.user.login),
            state=str(pull.state),
        )

    return call(f"reading pull request #{number} of {repository}", "pull-requests: read", fetch)


@dataclass(frozen=True)
class FileChange:
    """One entry of a pull request's files: its path, GitHub's status, and its old path if renamed."""

    path: str
    status: str
    previous_path: str | None


def file_changes(gh: Github, repository: str, number: int) -> tuple[list[FileChange], bool]:
    """Every file the pull request changes, with its status; True if GitHub's list was cut at 3,000."""

    def fetch() -> list[FileChange]:
        return [
            FileChange(str(entry.filename), str(entry.status), entry.previous_filename or None)
            for entry in gh.get_repo(repository).get_pull(number).get_files()
        ]

    changes = call(f"listing the files of pull request #{number}", "pull-requests: read", fetch)
    return changes, len(changes) >= MAX_FILES
