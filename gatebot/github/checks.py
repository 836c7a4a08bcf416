"""The pass/fail check on the head commit: a check run, or a commit status when checks are not allowed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from github import Github

from gatebot.github.client import GitHubAPIError, call

CHECK_TEXT_LIMIT = 65_535
STATUS_DESCRIPTION_LIMIT = 140
Conclusion = Literal["success", "failure", "neutral", "action_required"]


class Published(Enum):
    CHECK_RUN = "check run"
    COMMIT_STATUS = "commit status"


@dataclass(frozen=True)
class CheckPayload:
    """What the check says; built by pure code, sent by `publish_check`."""

    name: str
    head_sha: str
    conclusion: Conclusion
    title: str
    summary: str
    details_url: str | None = None

    def check_run_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "name": self.name,
            "head_sha": self.head_sha,
            "status": "completed",
            "conclusion": self.conclusion,
            "output": {"title": self.title[:255], "summary": self.summary[:CHECK_TEXT_LIMIT]},
        }
        if self.details_url:
            fields["details_url"] = self.details_url
        return fields

    def status_fields(self) -> dict[str, Any]:
        # A status has no "neutral": a neutral outcome (nothing to gate) must not block the merge; one that
        # waits for a maintainer (`action_required`) must.
        state = {"failure": "failure", "action_required": "pending"}.get(self.conclusion, "success")
        description = self.title if len(self.title) <= STATUS_DESCRIPTION_LIMIT else self.title[:137] + "..."
        fields: dict[str, Any] = {"state": state, "description": description, "context": self.name}
        if self.details_url:
            fields["target_url"] = self.details_url
        return fields


def publish_check(gh: Github, repository: str, payload: CheckPayload) -> Published:
    """Create a completed check run; fall back to a commit status if the token may not create checks."""
    repo = gh.get_repo(repository)
    try:
        call(
            "creating the check run",
            "checks: write",
            lambda: repo.create_check_run(**payload.check_run_fields()),
        )
        return Published.CHECK_RUN
    except GitHubAPIError as error:
        if error.status != 403:
            raise
    fields = payload.status_fields()
    call(
        f"setting the commit status on {payload.head_sha[:12]}",
        "statuses: write",
        lambda: repo.get_commit(payload.head_sha).create_status(**fields),
    )
    return Published.COMMIT_STATUS
