"""What the triggering GitHub event asks gatebot to do, decided by pure functions of the payload.

`find_activity` turns the event name and payload into an `Activity`; the action's dispatcher acts on it.
Nothing here reads the environment or talks to GitHub.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from gatebot.errors import InputError

PR_ACTIONS = frozenset({"opened", "synchronize", "reopened"})


class Activity(Enum):
    GATE_PULL_REQUEST = "gate-pull-request"
    GATE_REF = "gate-ref"
    COMMAND = "command"
    RECORD = "record"
    IGNORE = "ignore"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class PullRequest:
    number: int
    head_sha: str
    head_ref: str
    base_sha: str
    base_ref: str
    head_repo: str
    base_repo: str
    author: str

    @property
    def from_fork(self) -> bool:
        return self.head_repo != self.base_repo


@dataclass(frozen=True)
class Push:
    """A push to the default branch: the new commit and the files its commits touched."""

    sha: str
    before: str
    files: tuple[str, ...]
    complete: bool
    """False when GitHub's payload may not list every commit (it carries at most 20)."""


_PAYLOAD_COMMITS_LIMIT = 20


def push_from(payload: Mapping[str, Any]) -> Push:
    commits = payload.get("commits") or []
    files: dict[str, None] = {}
    for commit in commits:
        for key in ("added", "modified", "removed"):
            files.update(dict.fromkeys(str(f) for f in commit.get(key) or ()))
    return Push(
        sha=str(_get(payload, "after")),
        before=str(payload.get("before") or ""),
        files=tuple(files),
        complete=0 < len(commits) < _PAYLOAD_COMMITS_LIMIT and not payload.get("forced"),
    )


@dataclass(frozen=True)
class Plan:
    """The activity and what it needs."""

    activity: Activity
    reason: str
    pull_request: PullRequest | None = None
    push: Push | None = None
    sha: str | None = None
    ref: str | None = None


def _get(payload: Mapping[str, Any], *path: str) -> Any:
    node: Any = payload
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            raise InputError(
                f"event payload: missing {'.'.join(path)}", "is GITHUB_EVENT_PATH the right file?"
            )
        node = node[key]
    return node


def pull_request_from(payload: Mapping[str, Any]) -> PullRequest:
    pr = _get(payload, "pull_request")
    head_repo = pr.get("head", {}).get("repo") or {}
    return PullRequest(
        number=int(_get(pr, "number")),
        head_sha=str(_get(pr, "head", "sha")),
        head_ref=str(_get(pr, "head", "ref")),
        base_sha=str(_get(pr, "base", "sha")),
        base_ref=str(_get(pr, "base", "ref")),
        # A deleted fork has no head.repo; treat it as a fork, the cautious reading.
        head_repo=str(head_repo.get("full_name") or "(deleted fork)"),
        base_repo=str(_get(pr, "base", "repo", "full_name")),
        author=str(_get(pr, "user", "login")),
    )


def record_by_hand(event_name: str, payload: Mapping[str, Any], *, sha: str) -> Plan:
    """`mode: record`: every model measured at `sha` and recorded as its baseline.

    The baselines branch is what every later pull request is judged against, so only the default
    branch's own code may write it: a push to the default branch, or a workflow_dispatch run on it.
    Anything else (pull_request_target above all, which runs with a write token on a pull request's
    behalf) is refused with the reason.
    """
    default = str((payload.get("repository") or {}).get("default_branch") or "")
    ref = str(payload.get("ref") or "")
    on_default = bool(default) and ref == f"refs/heads/{default}" and not payload.get("deleted")
    if event_name in ("push", "workflow_dispatch") and on_default:
        return Plan(Activity.RECORD, "recording by hand", push=Push(sha, "", (), complete=False))
    branch = f"the default branch ({default})" if default else "the default branch"
    seen = f"{event_name} on {ref}" if ref else event_name
    return Plan(
        Activity.UNSUPPORTED,
        f"mode record writes the baselines branch, so it runs only on a push to or a workflow_dispatch of "
        f"{branch}, not on {seen}: run it from workflow_dispatch on {branch}",
    )


def find_activity(event_name: str, payload: Mapping[str, Any], *, sha: str, ref: str) -> Plan:
    """Decide what to do for `event_name` (GITHUB_EVENT_NAME) and its payload (GITHUB_EVENT_PATH)."""
    if event_name == "pull_request_target":
        return Plan(
            Activity.UNSUPPORTED,
            "pull_request_target runs with a write token, where gatebot must not run a pull request's code: "
            "gate on pull_request and publish fork results from a workflow_run job with `gatebot publish`",
        )
    if event_name == "pull_request":
        action = str(payload.get("action", ""))
        if action not in PR_ACTIONS:
            return Plan(Activity.IGNORE, f"pull_request {action!r} does not change the code: nothing to gate")
        return Plan(
            Activity.GATE_PULL_REQUEST, f"pull request {action}", pull_request=pull_request_from(payload)
        )
    if event_name == "issue_comment":
        if payload.get("action") != "created":
            return Plan(Activity.IGNORE, "only new comments can hold commands")
        issue = payload.get("issue")
        if not isinstance(issue, Mapping) or not issue.get("pull_request"):
            return Plan(Activity.IGNORE, "a comment on an issue, not on a pull request")
        return Plan(Activity.COMMAND, "a comment on a pull request")
    if event_name == "push":
        default = (payload.get("repository") or {}).get("default_branch")
        pushed = str(payload.get("ref", ""))
        if payload.get("deleted") or pushed != f"refs/heads/{default}":
            return Plan(
                Activity.IGNORE,
                f"a push to {pushed or 'a ref'}, not to the default branch: nothing to record",
            )
        return Plan(Activity.RECORD, "push to the default branch", push=push_from(payload))
    if event_name == "workflow_dispatch":
        return Plan(Activity.GATE_REF, "workflow_dispatch", sha=sha, ref=str(payload.get("ref") or ref))
    return Plan(
        Activity.UNSUPPORTED,
        f"event {event_name!r} is not one gatebot handles here: run it on pull_request, push, issue_comment "
        "or workflow_dispatch (publish fork results with `gatebot publish` on workflow_run)",
    )
