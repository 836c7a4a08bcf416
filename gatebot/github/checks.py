"""The pass/fail check on the head commit: a check run, or a commit status when checks are not allowed.

A check run of the same name still in progress on the commit (the sharded workflow's watcher starts one
while the shards run) is concluded in place, so the commit ends with one check run of that name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from github import Github
from github.CheckRun import CheckRun
from github.Repository import Repository

from gatebot.github.client import GitHubAPIError, call

CHECK_TEXT_LIMIT = 65_535
STATUS_DESCRIPTION_LIMIT = 140
Conclusion = Literal["success", "failure", "neutral", "action_required", "cancelled"]


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


@dataclass(frozen=True)
class CheckState:
    """Where a check run stands, as GitHub reports it."""

    id: int
    status: str
    conclusion: str | None

    @property
    def completed(self) -> bool:
        return self.status == "completed"


def _in_progress(repo: Repository, name: str, head_sha: str) -> CheckRun | None:
    """The newest check run named `name` on `head_sha` that has not completed, if any."""
    runs = repo.get_commit(head_sha).get_check_runs(check_name=name, filter="latest")
    return next((run for run in runs if run.status != "completed"), None)


def publish_check(gh: Github, repository: str, payload: CheckPayload) -> Published:
    """Complete the check run: the one of its name still in progress on the commit, else a new one; fall
    back to a commit status if the token may not write checks."""
    repo = gh.get_repo(repository)
    fields = payload.check_run_fields()
    try:
        running = call(
            "looking for a check run in progress",
            "checks: write",
            lambda: _in_progress(repo, payload.name, payload.head_sha),
        )
    except GitHubAPIError as error:
        if error.status != 403:
            raise
        running = None
    try:
        if running is not None:
            edits = {key: value for key, value in fields.items() if key not in ("name", "head_sha")}
            call("completing the check run in progress", "checks: write", lambda: running.edit(**edits))
        else:
            call("creating the check run", "checks: write", lambda: repo.create_check_run(**fields))
        return Published.CHECK_RUN
    except GitHubAPIError as error:
        if error.status != 403:
            raise
    status = payload.status_fields()
    call(
        f"setting the commit status on {payload.head_sha[:12]}",
        "statuses: write",
        lambda: repo.get_commit(payload.head_sha).create_status(**status),
    )
    return Published.COMMIT_STATUS


def start_check(
    gh: Github,
    repository: str,
    *,
    name: str,
    head_sha: str,
    title: str,
    summary: str,
    details_url: str | None,
) -> CheckState:
    """The check run named `name` on `head_sha` marked in progress with this text: the one already in
    progress, else a new one."""
    repo = gh.get_repo(repository)
    output: dict[str, Any] = {"title": title[:255], "summary": summary[:CHECK_TEXT_LIMIT]}
    running = call(
        "looking for a check run in progress", "checks: write", lambda: _in_progress(repo, name, head_sha)
    )
    if running is not None:
        call("updating the check run", "checks: write", lambda: running.edit(output=output))
        return CheckState(running.id, "in_progress", None)
    fields: dict[str, Any] = {"name": name, "head_sha": head_sha, "status": "in_progress", "output": output}
    if details_url:
        fields["details_url"] = details_url
    created = call("creating the check run", "checks: write", lambda: repo.create_check_run(**fields))
    return CheckState(created.id, created.status, created.conclusion)


def check_state(gh: Github, repository: str, check_id: int) -> CheckState:
    """Where check run `check_id` stands now."""
    run = call(
        "reading the check run", "checks: read", lambda: gh.get_repo(repository).get_check_run(check_id)
    )
    return CheckState(run.id, run.status, run.conclusion)


def update_check(
    gh: Github,
    repository: str,
    check_id: int,
    *,
    title: str,
    summary: str,
    conclusion: Conclusion | None = None,
) -> None:
    """New text for check run `check_id`, which stays in progress unless `conclusion` ends it."""
    fields: dict[str, Any] = {"output": {"title": title[:255], "summary": summary[:CHECK_TEXT_LIMIT]}}
    if conclusion is not None:
        fields |= {"status": "completed", "conclusion": conclusion}

    def edit() -> None:
        gh.get_repo(repository).get_check_run(check_id).edit(**fields)

    call("updating the check run", "checks: write", edit)
