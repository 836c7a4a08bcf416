"""Changed files of a pull request, across every page."""

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
