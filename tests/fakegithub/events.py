"""Webhook payloads as GitHub Actions writes them to ``$GITHUB_EVENT_PATH``.

:func:`load` returns one of the real payloads in ``tests/reference/events/`` (GitHub's documented
examples, via octokit/webhooks). GitHub publishes no example of three situations gatebot must
handle, so this module derives them from real files, changing only what the situation changes
(the ``x-webhooks`` schemas of ``github-rest-subset.json`` give the exact shapes, and the tests
validate every derived payload against them):

* :func:`issue_comment_on_pull_request` — from ``issue_comment.created.json``, with the issue
  turned into pull request #2 of ``pull_request.opened.json`` (``issue.pull_request`` object,
  ``html_url`` ``…/pull/2``);
* :func:`pull_request_from_fork` — from ``pull_request.opened.json``, with ``head.repo`` moved to
  a fork (another owner, ``fork: true``) and the contributor as author and sender;
* :func:`workflow_run_from_pull_request` — from ``workflow_run.completed.json``, with
  ``event: pull_request``, the pull request's head branch and SHA, ``pull_requests`` filled or
  empty, and ``head_repository`` the fork when asked.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from .render import node_id
from .spec import REFERENCE_DIR

EVENTS_DIR = REFERENCE_DIR / "events"

#: ``x-webhooks`` entry describing each real payload file.
WEBHOOK_OF_FILE = {
    "pull_request.opened": "pull-request-opened",
    "pull_request.opened.with-organization": "pull-request-opened",
    "pull_request.synchronize": "pull-request-synchronize",
    "pull_request.reopened": "pull-request-reopened",
    "pull_request.labeled": "pull-request-labeled",
    "push": "push",
    "push.with-new-branch": "push",
    "issue_comment.created": "issue-comment-created",
    "workflow_dispatch": "workflow-dispatch",
    "check_run.rerequested": "check-run-rerequested",
    "workflow_run.completed": "workflow-run-completed",
    "workflow_run.completed.with-pull-requests": "workflow-run-completed",
}

#: Where GitHub's older examples break today's ``x-webhooks`` schemas (the reference README's
#: caveats, made exact): file → {(JSON path, failing keyword, missing field or format)}.
KNOWN_SCHEMA_GAPS: dict[str, set[tuple[str, str, str]]] = {
    "pull_request.synchronize": {
        ("pull_request/base/repo", "required", "has_discussions"),
        ("pull_request/head/repo", "required", "has_discussions"),
    },
    "pull_request.labeled": {
        ("pull_request/base/repo", "required", "has_discussions"),
        ("pull_request/head/repo", "required", "has_discussions"),
    },
    "push": {("repository", "required", "has_discussions")},
    "push.with-new-branch": {("repository", "required", "has_discussions")},
    "workflow_dispatch": {("repository", "required", "disabled")},
    "check_run.rerequested": {
        ("check_run", "required", "details_url"),
        ("check_run", "required", "node_id"),
        ("check_run/app", "required", "events"),
        ("check_run/app", "required", "permissions"),
        ("check_run/app/created_at", "format", "date-time"),
        ("check_run/app/updated_at", "format", "date-time"),
        ("check_run/check_suite/app", "required", "events"),
        ("check_run/check_suite/app", "required", "permissions"),
        ("check_run/check_suite/app/created_at", "format", "date-time"),
        ("check_run/check_suite/app/updated_at", "format", "date-time"),
        ("repository", "required", "disabled"),
    },
}

#: Pull request #2 of ``Codertocat/Hello-World``, as in ``pull_request.opened.json``.
PR_NUMBER = 2
PR_HEAD_SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
PR_BASE_SHA = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"


def names() -> list[str]:
    """The real payload files (without ``.json``)."""
    return sorted(path.stem for path in EVENTS_DIR.glob("*.json"))


def load(name: str) -> dict[str, Any]:
    """A fresh copy of ``tests/reference/events/<name>.json``."""
    data = json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise TypeError(f"{name}.json does not hold an object")
    return data


def write(payload: dict[str, Any], path: Path) -> Path:
    """Write ``payload`` where ``GITHUB_EVENT_PATH`` can point."""
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return path


def _replace_strings(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_replace_strings(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: _replace_strings(item, old, new) for key, item in value.items()}
    return value


def _replace_in(obj: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """A copy of ``obj`` with ``old`` replaced by ``new`` in every string inside it."""
    replaced = _replace_strings(obj, old, new)
    assert isinstance(replaced, dict)
    return replaced


def _account(template: dict[str, Any], login: str, user_id: int, kind: str = "User") -> dict[str, Any]:
    """A user object shaped like ``template`` (a real one) for another account."""
    account = _replace_in(template, template["login"], login)
    account.update(
        login=login,
        id=user_id,
        node_id=node_id(kind, user_id),
        avatar_url=f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        type=kind,
    )
    return account


def _fork_of(repository: dict[str, Any], owner: dict[str, Any], repo_id: int) -> dict[str, Any]:
    """``repository`` (a real repository object) as forked by ``owner``."""
    old_owner = repository["owner"]["login"]
    fork = _replace_in(repository, f"/{old_owner}/", f"/{owner['login']}/")
    fork = _replace_in(fork, f"{old_owner}/", f"{owner['login']}/")
    fork.update(
        id=repo_id,
        node_id=node_id("Repository", repo_id),
        owner=copy.deepcopy(owner),
        fork=True,
        full_name=f"{owner['login']}/{repository['name']}",
    )
    return fork


def issue_comment_on_pull_request(
    *,
    body: str = "/gatebot rerun",
    user: str = "Codertocat",
    user_type: str = "User",
    comment_id: int = 492700400,
) -> dict[str, Any]:
    """``issue_comment`` ``created`` on pull request #2 (derived; see the module docstring)."""
    payload = load("issue_comment.created")
    pull = load("pull_request.opened")["pull_request"]
    issue = payload["issue"]
    old_api, new_api = issue["url"], pull["issue_url"]
    issue.update(_replace_in({k: v for k, v in issue.items() if k.endswith("_url")}, old_api, new_api))
    issue.update(
        url=new_api,
        html_url=pull["html_url"],
        number=pull["number"],
        title=pull["title"],
        body=pull["body"],
        user=copy.deepcopy(pull["user"]),
        state=pull["state"],
        created_at=pull["created_at"],
        pull_request={
            "url": pull["url"],
            "html_url": pull["html_url"],
            "diff_url": pull["diff_url"],
            "patch_url": pull["patch_url"],
            "merged_at": pull["merged_at"],
        },
    )
    comment = payload["comment"]
    author = (
        payload["sender"]
        if user == payload["sender"]["login"]
        else _account(payload["sender"], user, 41898282)
    )
    if user_type != author["type"]:
        author = _account(author, user, author["id"], user_type)
    comment.update(
        id=comment_id,
        node_id=node_id("IssueComment", comment_id),
        url=f"{pull['base']['repo']['url']}/issues/comments/{comment_id}",
        html_url=f"{pull['html_url']}#issuecomment-{comment_id}",
        issue_url=new_api,
        body=body,
        user=copy.deepcopy(author),
        author_association="OWNER" if user == pull["base"]["repo"]["owner"]["login"] else "NONE",
    )
    payload["sender"] = copy.deepcopy(author)
    return payload


def pull_request_from_fork(
    *, fork_owner: str = "contributor", fork_owner_id: int = 7654321
) -> dict[str, Any]:
    """``pull_request`` ``opened`` from ``<fork_owner>/Hello-World`` (derived; see the module docstring)."""
    payload = load("pull_request.opened")
    pull = payload["pull_request"]
    contributor = _account(pull["user"], fork_owner, fork_owner_id)
    head = pull["head"]
    head["repo"] = _fork_of(head["repo"], contributor, pull["base"]["repo"]["id"] + 1)
    head["user"] = copy.deepcopy(contributor)
    head["label"] = f"{fork_owner}:{head['ref']}"
    pull["user"] = copy.deepcopy(contributor)
    pull["author_association"] = "CONTRIBUTOR"
    payload["sender"] = copy.deepcopy(contributor)
    return payload


def workflow_run_from_pull_request(
    *,
    fork: bool = False,
    with_pull_requests: bool = True,
    number: int = PR_NUMBER,
    head_branch: str = "changes",
    head_sha: str = PR_HEAD_SHA,
    base_sha: str = PR_BASE_SHA,
    fork_owner: str = "contributor",
    conclusion: str = "success",
) -> dict[str, Any]:
    """``workflow_run`` ``completed`` for a run that a pull request started (derived).

    GitHub fills ``workflow_run.pull_requests`` for pull requests from branches of the same
    repository and leaves it empty for pull requests from forks; both flags are free here so
    tests can build either case (and the odd ones).
    """
    payload = load("workflow_run.completed")
    run = payload["workflow_run"]
    repository = payload["repository"]
    run.update(
        event="pull_request",
        head_branch=head_branch,
        head_sha=head_sha,
        conclusion=conclusion,
        display_title=f"Pull request #{number}",
    )
    run["head_commit"]["id"] = head_sha
    if fork:
        contributor = _account(payload["sender"], fork_owner, 7654321)
        run["head_repository"] = _fork_of(run["head_repository"], contributor, repository["id"] + 1)
    pull_requests: list[dict[str, Any]] = []
    if with_pull_requests:
        side_repo = {"id": repository["id"], "url": repository["url"], "name": repository["name"]}
        pull_requests.append(
            {
                "url": f"{repository['url']}/pulls/{number}",
                "id": 500000000 + number,
                "number": number,
                "head": {"ref": head_branch, "sha": head_sha, "repo": copy.deepcopy(side_repo)},
                "base": {
                    "ref": repository["default_branch"],
                    "sha": base_sha,
                    "repo": copy.deepcopy(side_repo),
                },
            }
        )
    run["pull_requests"] = pull_requests
    return payload
