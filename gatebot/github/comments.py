"""The sticky PR comment: one per pull request and gate id, found by its marker and its author."""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum
from typing import TypeAlias

from github import Github
from github.IssueComment import IssueComment

from gatebot.errors import GatebotError
from gatebot.github.client import call

COMMENT_LIMIT = 65_536
Comment: TypeAlias = IssueComment
"""A comment as found on GitHub, passed back to `edit_comment`."""
_GATE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class Posted(Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"


def marker(gate_id: str) -> str:
    """The hidden line that identifies gatebot's comment for this gate on a pull request."""
    if not _GATE_ID.match(gate_id):
        raise GatebotError(
            f"input id: {gate_id!r} is not a valid gate id", "use letters, digits, '.', '_', '-'"
        )
    return f"<!-- gatebot:sticky id={gate_id} -->"


def find_sticky(gh: Github, repository: str, number: int, *, mark: str, author: str) -> IssueComment | None:
    """The oldest comment by `author` carrying `mark`, looking through every page of comments."""

    def scan() -> IssueComment | None:
        for comment in gh.get_repo(repository).get_issue(number).get_comments():
            if comment.user is not None and comment.user.login == author and mark in (comment.body or ""):
                return comment
        return None

    return call(f"reading the comments of pull request #{number}", "pull-requests: read", scan)


def post_sticky(
    gh: Github,
    repository: str,
    number: int,
    build: Callable[[str | None], str],
    *,
    mark: str,
    author: str,
    create: bool = True,
) -> Posted:
    """Edit the sticky comment in place, or create it (when `create`); never a second one.

    `build` receives the current body (None when there is no comment yet), so state kept in the
    comment carries over, and returns the new body.
    """
    existing = find_sticky(gh, repository, number, mark=mark, author=author)
    if existing is None and not create:
        return Posted.SKIPPED
    body = build(existing.body if existing is not None else None)
    if len(body) > COMMENT_LIMIT:
        raise ValueError(f"comment body of {len(body)} characters exceeds GitHub's {COMMENT_LIMIT}")
    if existing is not None:
        if existing.body == body:
            return Posted.UNCHANGED
        edit_comment(existing, body, doing=f"editing gatebot's comment on pull request #{number}")
        return Posted.UPDATED
    call(
        f"commenting on pull request #{number}",
        "pull-requests: write",
        lambda: gh.get_repo(repository).get_issue(number).create_comment(body),
    )
    return Posted.CREATED


def edit_comment(comment: Comment, body: str, *, doing: str) -> None:
    """Replace a comment's body; `doing` says what for in an error."""
    call(doing, "pull-requests: write", lambda: comment.edit(body))
