"""A pull request's head commit, and its changed files across every page."""

from __future__ import annotations

from github import Github

from gatebot.github.client import call

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


def pull_head(gh: Github, repository: str, number: int) -> str:
    """The pull request's head commit as GitHub has it now (it moves on with every push)."""
    return call(
        f"reading pull request #{number}",
        "pull-requests: read",
        lambda: str(gh.get_repo(repository).get_pull(number).head.sha),
    )
