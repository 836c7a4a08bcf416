"""The operations the fake implements, keyed by operationId, with the permission each one needs.

Each handler receives a :class:`Request` that the server has already routed, authenticated,
authorised and validated against the description, runs under the state lock, and returns a
:class:`Response` (or raises :class:`ApiError` for GitHub's error answers). Rules GitHub enforces
that the description does not encode live here: the 65,536-character comment limit, fast-forward
checks on ref updates, the ``sha`` check of the contents API, and so on.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from .faults import NOT_ACCESSIBLE_MESSAGE
from .git import BLOB_MODE, Signature, TreeEntry
from .pagination import Page
from .render import Renderer, Urls, quote_path
from .spec import Operation, invalid_request_message
from .state import (
    CheckRun,
    CommitStatus,
    GitHubState,
    IssueComment,
    PullRequest,
    Reaction,
    Repository,
    Token,
    WorkflowDispatch,
    WorkflowRun,
    rate_limit_reset,
)

T = TypeVar("T")

COMMENT_BODY_LIMIT = 65536
STATUSES_PER_CONTEXT_LIMIT = 1000
GIT_MODES_BY_TYPE = {"blob": ("100644", "100755", "120000"), "tree": ("040000",), "commit": ("160000",)}


@dataclass
class Request:
    """A request the server has admitted: typed parameters, parsed body, the token and repository."""

    operation: Operation
    method: str
    path: str
    params: dict[str, Any]
    query: dict[str, Any]
    raw_query: dict[str, list[str]]
    body: Any
    token: Token
    repo: Repository | None
    state: GitHubState
    render: Renderer
    urls: Urls

    @property
    def repository(self) -> Repository:
        if self.repo is None:
            raise ApiError(404, "Not Found")
        return self.repo

    @property
    def now(self) -> datetime:
        return self.state.clock.now()

    def page(self, items: Sequence[T]) -> tuple[list[T], dict[str, str]]:
        return Page.of(self.urls.api, self.path, self.raw_query).slice(items)


@dataclass
class Response:
    """What to answer: a JSON ``body`` or raw ``content`` (artifact bytes), plus extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    content_type: str = "application/json; charset=utf-8"


class ApiError(Exception):
    """A GitHub error answer: ``{"message": ..., "documentation_url": ..., ["errors": ...]}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        documentation_url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}
        self.documentation_url = documentation_url


def invalid(*lines: str) -> ApiError:
    return ApiError(422, invalid_request_message(lines))


def not_found(message: str = "Not Found") -> ApiError:
    return ApiError(404, message)


@dataclass(frozen=True)
class Permission:
    """The token needs ``level`` on any one of ``scopes``."""

    scopes: tuple[str, ...]
    level: str


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Implementation:
    handler: Handler
    permission: Permission


HANDLERS: dict[str, Implementation] = {}


def operation(operation_id: str, *scopes: str, level: str = "read") -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[operation_id] = Implementation(handler, Permission(scopes or ("metadata",), level))
        return handler

    return register


# -- repositories and pull requests ---------------------------------------------------------------


@operation("repos/get")
def get_repo(req: Request) -> Response:
    return Response(200, req.render.repository(req.repository))


def _pull(req: Request, number: int) -> PullRequest:
    pull = req.repository.pulls.get(number)
    if pull is None:
        raise not_found()
    return pull


@operation("pulls/list", "pull-requests")
def list_pulls(req: Request) -> Response:
    repo = req.repository
    wanted_state = req.query.get("state", "open")
    pulls = [p for p in repo.pulls.values() if wanted_state in ("all", p.state)]
    if "head" in req.query:
        owner, _, ref = str(req.query["head"]).rpartition(":")
        pulls = [p for p in pulls if p.head_ref == ref and (not owner or p.head_repo.owner.login == owner)]
    if "base" in req.query:
        pulls = [p for p in pulls if p.base_ref == req.query["base"]]
    key = "updated_at" if req.query.get("sort") == "updated" else "created_at"
    descending = req.query.get(
        "direction", "desc" if req.query.get("sort", "created") == "created" else "asc"
    )
    pulls.sort(key=lambda p: (getattr(p, key), p.number), reverse=descending == "desc")
    page, headers = req.page(pulls)
    return Response(200, [req.render.pull_request(p, simple=True) for p in page], headers)


@operation("pulls/get", "pull-requests")
def get_pull(req: Request) -> Response:
    return Response(200, req.render.pull_request(_pull(req, req.params["pull_number"])))


@operation("pulls/list-files", "pull-requests")
def list_pull_files(req: Request) -> Response:
    pull = _pull(req, req.params["pull_number"])
    page, headers = req.page(pull.files)
    return Response(200, [req.render.diff_entry(req.repository, f, pull.head_sha) for f in page], headers)


# -- issue comments and reactions -----------------------------------------------------------------

COMMENT_SCOPES = ("issues", "pull-requests")


def _check_comment_body(body: str) -> None:
    if len(body) > COMMENT_BODY_LIMIT:
        raise ApiError(
            422,
            "Validation Failed",
            errors=[
                {
                    "resource": "IssueComment",
                    "code": "unprocessable",
                    "field": "data",
                    "message": f"Body is too long (maximum is {COMMENT_BODY_LIMIT} characters)",
                }
            ],
        )


def _comment(req: Request) -> IssueComment:
    comment = req.repository.comments.get(req.params["comment_id"])
    if comment is None:
        raise not_found()
    return comment


@operation("issues/list-comments", *COMMENT_SCOPES)
def list_comments(req: Request) -> Response:
    repo = req.repository
    number = req.params["issue_number"]
    if number not in repo.issues:
        raise not_found()
    comments = repo.comments_on(number)
    if "since" in req.query:
        since = datetime.fromisoformat(str(req.query["since"]).replace("Z", "+00:00"))
        comments = [c for c in comments if c.updated_at >= since]
    page, headers = req.page(comments)
    return Response(200, [req.render.issue_comment(repo, c) for c in page], headers)


@operation("issues/create-comment", *COMMENT_SCOPES, level="write")
def create_comment(req: Request) -> Response:
    repo = req.repository
    number = req.params["issue_number"]
    if number not in repo.issues:
        raise not_found()
    _check_comment_body(req.body["body"])
    comment = IssueComment(
        id=req.state.next_id("issue_comment"),
        issue_number=number,
        user=req.token.user,
        body=req.body["body"],
        created_at=req.now,
        updated_at=req.now,
        app=req.token.app,
    )
    repo.comments[comment.id] = comment
    body = req.render.issue_comment(repo, comment)
    return Response(201, body, {"Location": body["url"]})


@operation("issues/get-comment", *COMMENT_SCOPES)
def get_comment(req: Request) -> Response:
    return Response(200, req.render.issue_comment(req.repository, _comment(req)))


@operation("issues/update-comment", *COMMENT_SCOPES, level="write")
def update_comment(req: Request) -> Response:
    comment = _comment(req)
    _check_comment_body(req.body["body"])
    comment.body = req.body["body"]
    comment.updated_at = req.now
    return Response(200, req.render.issue_comment(req.repository, comment))


@operation("issues/delete-comment", *COMMENT_SCOPES, level="write")
def delete_comment(req: Request) -> Response:
    comment = _comment(req)
    repo = req.repository
    del repo.comments[comment.id]
    repo.reactions = [r for r in repo.reactions if r.comment_id != comment.id]
    return Response(204)


@operation("reactions/create-for-issue-comment", *COMMENT_SCOPES, level="write")
def create_reaction(req: Request) -> Response:
    comment = _comment(req)
    repo = req.repository
    content = req.body["content"]
    for reaction in repo.reactions:
        if (
            reaction.comment_id == comment.id
            and reaction.user is req.token.user
            and reaction.content == content
        ):
            return Response(200, req.render.reaction(reaction))
    reaction = Reaction(req.state.next_id("reaction"), comment.id, req.token.user, content, req.now)
    repo.reactions.append(reaction)
    return Response(201, req.render.reaction(reaction))


# -- check runs -------------------------------------------------------------------------------------


def _commit_sha(req: Request, ref: str, *, status: int = 422) -> str:
    sha = req.repository.resolve(ref)
    if sha is None:
        raise ApiError(status, f"No commit found for SHA: {ref}")
    return sha


def _timestamp(value: str | None, default: datetime | None) -> datetime | None:
    if value is None:
        return default
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _apply_check_fields(req: Request, run: CheckRun, body: dict[str, Any]) -> None:
    for name in ("name", "details_url", "external_id"):
        if name in body:
            setattr(run, name, body[name])
    if "started_at" in body:
        run.started_at = _timestamp(body["started_at"], run.started_at)
    if "conclusion" in body:
        run.conclusion = body["conclusion"]
        run.status = "completed"
    elif "status" in body:
        run.status = body["status"]
        if run.status != "completed":
            run.conclusion = None
            run.completed_at = None
    if run.status == "completed":
        run.completed_at = _timestamp(body.get("completed_at"), run.completed_at or req.now)
    output = body.get("output")
    if output:
        for name in ("title", "summary", "text"):
            if name in output:
                setattr(run, name, output[name])
        run.annotations.extend(output.get("annotations", []))
        if "images" in output:
            run.images = list(output["images"])
    if "actions" in body:
        run.actions = list(body["actions"])


@operation("checks/create", "checks", level="write")
def create_check_run(req: Request) -> Response:
    repo = req.repository
    body = req.body
    head_sha = body["head_sha"]
    if head_sha not in repo.store.commits:
        raise ApiError(422, f"No commit found for SHA: {head_sha}")
    app = req.token.app
    run = CheckRun(
        id=req.state.next_id("check_run"),
        head_sha=head_sha,
        name=body["name"],
        status=body.get("status", "queued"),
        conclusion=None,
        started_at=req.now,
        completed_at=None,
        details_url=None,
        external_id="",
        app=app,
        check_suite_id=repo.check_suite_for(app, head_sha),
    )
    _apply_check_fields(req, run, body)
    repo.check_runs[run.id] = run
    rendered = req.render.check_run(repo, run)
    return Response(201, rendered, {"Location": rendered["url"]})


def _check_run(req: Request) -> CheckRun:
    run = req.repository.check_runs.get(req.params["check_run_id"])
    if run is None:
        raise not_found()
    return run


@operation("checks/get", "checks")
def get_check_run(req: Request) -> Response:
    return Response(200, req.render.check_run(req.repository, _check_run(req)))


@operation("checks/update", "checks", level="write")
def update_check_run(req: Request) -> Response:
    run = _check_run(req)
    _apply_check_fields(req, run, req.body)
    return Response(200, req.render.check_run(req.repository, run))


@operation("checks/list-for-ref", "checks")
def list_check_runs(req: Request) -> Response:
    repo = req.repository
    sha = _commit_sha(req, req.params["ref"])
    runs = sorted((r for r in repo.check_runs.values() if r.head_sha == sha), key=lambda r: -r.id)
    if "check_name" in req.query:
        runs = [r for r in runs if r.name == req.query["check_name"]]
    if "status" in req.query:
        runs = [r for r in runs if r.status == req.query["status"]]
    if req.query.get("filter", "latest") == "latest":
        seen: set[str] = set()
        latest = []
        for run in runs:
            if run.name not in seen:
                seen.add(run.name)
                latest.append(run)
        runs = latest
    page, headers = req.page(runs)
    body = {"total_count": len(runs), "check_runs": [req.render.check_run(repo, r) for r in page]}
    return Response(200, body, headers)


# -- commit statuses --------------------------------------------------------------------------------


@operation("repos/create-commit-status", "statuses", level="write")
def create_status(req: Request) -> Response:
    repo = req.repository
    sha = req.params["sha"]
    if sha not in repo.store.commits:
        raise ApiError(422, f"No commit found for SHA: {sha}")
    context = req.body.get("context", "default")
    if sum(1 for s in repo.statuses if s.sha == sha and s.context == context) >= STATUSES_PER_CONTEXT_LIMIT:
        raise ApiError(
            422,
            "Validation Failed",
            errors=[
                {
                    "resource": "Status",
                    "code": "custom",
                    "message": "This SHA and context has reached the maximum number of statuses.",
                }
            ],
        )
    status = CommitStatus(
        id=req.state.next_id("status"),
        sha=sha,
        state=req.body["state"],
        target_url=req.body.get("target_url"),
        description=req.body.get("description"),
        context=context,
        creator=req.token.user,
        created_at=req.now,
        updated_at=req.now,
    )
    repo.statuses.append(status)
    rendered = req.render.status(repo, status)
    return Response(201, rendered, {"Location": rendered["url"]})


@operation("repos/get-combined-status-for-ref", "statuses")
def combined_status(req: Request) -> Response:
    repo = req.repository
    sha = _commit_sha(req, req.params["ref"], status=404)
    latest: dict[str, CommitStatus] = {}
    for status in sorted((s for s in repo.statuses if s.sha == sha), key=lambda s: s.id):
        latest[status.context] = status
    ordered = sorted(latest.values(), key=lambda s: -s.id)
    return Response(200, req.render.combined_status(repo, sha, ordered))


# -- commits and compare ----------------------------------------------------------------------------


def _touches(repo: Repository, sha: str, path: str) -> bool:
    commit = repo.store.commits[sha]
    parent = commit.parents[0] if commit.parents else None
    before = (
        repo.store.lookup(repo.store.commits[parent].tree, path) if parent in repo.store.commits else None
    )
    after = repo.store.lookup(commit.tree, path)
    return (before.sha if before else None) != (after.sha if after else None)


@operation("repos/list-commits", "contents")
def list_commits(req: Request) -> Response:
    repo = req.repository
    start = _commit_sha(req, str(req.query.get("sha", repo.default_branch)), status=404)
    shas = repo.store.log(start)
    if "path" in req.query:
        shas = [sha for sha in shas if _touches(repo, sha, str(req.query["path"]))]
    if "author" in req.query:
        who = str(req.query["author"])
        shas = [
            sha
            for sha in shas
            if who in (repo.store.commits[sha].author.email, repo.store.commits[sha].author.name)
            or repo.store.commits[sha].author.email == f"{who}@users.noreply.github.com"
        ]
    if "since" in req.query:
        since = datetime.fromisoformat(str(req.query["since"]).replace("Z", "+00:00"))
        shas = [sha for sha in shas if repo.store.commits[sha].committer.date >= since]
    if "until" in req.query:
        until = datetime.fromisoformat(str(req.query["until"]).replace("Z", "+00:00"))
        shas = [sha for sha in shas if repo.store.commits[sha].committer.date <= until]
    page, headers = req.page(shas)
    return Response(200, [req.render.commit(repo, repo.store.commits[sha]) for sha in page], headers)


@operation("repos/get-commit", "contents")
def get_commit(req: Request) -> Response:
    repo = req.repository
    sha = _commit_sha(req, req.params["ref"])
    return Response(200, req.render.commit(repo, repo.store.commits[sha], with_files=True))


@operation("repos/list-pull-requests-associated-with-commit", "contents", "pull-requests")
def pulls_for_commit(req: Request) -> Response:
    repo = req.repository
    sha = _commit_sha(req, req.params["commit_sha"])
    pulls = [
        p
        for p in sorted(repo.pulls.values(), key=lambda p: -p.number)
        if p.head_sha == sha or sha in repo.store.log(p.head_sha, exclude=p.base_sha)
    ]
    page, headers = req.page(pulls)
    return Response(200, [req.render.pull_request(p, simple=True) for p in page], headers)


def _side(req: Request, spec: str) -> tuple[Repository, str]:
    repo = req.repository
    owner, colon, ref = spec.partition(":")
    if colon:
        network = [r for r in req.state.repos.values() if r.store is repo.store and r.owner.login == owner]
        if not network:
            raise not_found()
        repo = network[0]
    else:
        ref = spec
    sha = repo.resolve(ref)
    if sha is None or sha not in repo.store.commits:
        raise not_found()
    return repo, sha


@operation("repos/compare-commits", "contents")
def compare(req: Request) -> Response:
    repo = req.repository
    basehead = req.params["basehead"]
    base_spec, dots, head_spec = basehead.partition("...")
    if not dots:
        raise not_found()
    _, base = _side(req, base_spec)
    _, head = _side(req, head_spec)
    merge_base = repo.store.merge_base(base, head)
    if merge_base is None:
        raise not_found(f"No common ancestor between {base_spec} and {head_spec}.")
    ahead = repo.store.log(head, exclude=base)
    behind = repo.store.log(base, exclude=head)
    commits = repo.store.commits
    body = req.render.comparison(
        repo,
        basehead,
        base=commits[base],
        head=commits[head],
        merge_base=commits[merge_base],
        ahead=ahead,
        behind=behind,
    )
    headers: dict[str, str] = {}
    page = Page.of(req.urls.api, req.path, req.raw_query)
    if page.requested:
        chosen, headers = page.slice(body["commits"])
        body["commits"] = chosen
        if page.number > 1:
            body["files"] = []
    else:
        body["commits"] = body["commits"][-250:]
    return Response(200, body, headers)


# -- collaborators ------------------------------------------------------------------------------------


@operation("repos/get-collaborator-permission-level")
def collaborator_permission(req: Request) -> Response:
    user = req.state.users.get(req.params["username"])
    if user is None:
        raise not_found()
    return Response(200, req.render.collaborator_permission(req.repository, user))


# -- contents -------------------------------------------------------------------------------------------


@operation("repos/get-content", "contents")
def get_content(req: Request) -> Response:
    repo = req.repository
    ref = str(req.query.get("ref", repo.default_branch))
    sha = repo.resolve(ref)
    if sha is None:
        raise not_found(f"No commit found for the ref {ref}")
    path = req.params["path"].strip("/")
    entry = repo.store.lookup(repo.store.commits[sha].tree, path)
    if entry is None:
        raise not_found()
    if entry.type == "tree":
        prefix = f"{path}/" if path else ""
        items = [req.render.content_entry(repo, e, prefix + e.name, ref) for e in repo.store.trees[entry.sha]]
        return Response(200, items)
    return Response(200, req.render.content_file(repo, entry, path, ref))


def _signature(req: Request, given: dict[str, Any] | None, default: Signature) -> Signature:
    if not given:
        return default
    date = _timestamp(given.get("date"), req.now) or req.now
    return Signature(given["name"], given["email"], date)


def _token_signature(req: Request) -> Signature:
    login = req.token.user.login
    email = f"{req.token.user.id}+{login}@users.noreply.github.com"
    if req.token.user.type != "Bot":
        email = f"{login}@users.noreply.github.com"
    return Signature(login, email, req.now)


@operation("repos/create-or-update-file-contents", "contents", level="write")
def put_content(req: Request) -> Response:
    repo = req.repository
    body = req.body
    path = req.params["path"].strip("/")
    branch = body.get("branch", repo.default_branch)
    tip = repo.branch(branch)
    if tip is None and repo.refs:
        raise not_found(f"Branch {branch} not found")
    try:
        data = base64.b64decode(body["content"], validate=True)
    except binascii.Error as error:
        raise invalid("content is not valid Base64") from error
    base_tree = repo.store.commits[tip].tree if tip else None
    existing = repo.store.lookup(base_tree, path) if base_tree else None
    if existing is not None and "sha" not in body:
        raise invalid('"sha" wasn\'t supplied.')
    if "sha" in body and (existing is None or existing.sha != body["sha"]):
        raise ApiError(409, f"{path} does not match {body['sha']}")
    blob = repo.store.put_blob(data)
    entry = TreeEntry(path.rsplit("/", 1)[-1], BLOB_MODE, "blob", blob)
    tree = repo.store.edit_tree(base_tree, {path: entry})
    committer = _signature(req, body.get("committer"), _token_signature(req))
    author = _signature(req, body.get("author"), committer)
    sha = repo.store.put_commit(
        tree, [tip] if tip else [], body["message"], author=author, committer=committer
    )
    repo.refs[f"refs/heads/{branch}"] = sha
    rendered = req.render.file_commit(repo, entry, path, branch, repo.store.commits[sha])
    if existing is not None:
        return Response(200, rendered)
    location = f"{req.urls.repo(repo)}/contents/{quote_path(path)}"
    return Response(201, rendered, {"Location": location})


# -- git data ------------------------------------------------------------------------------------------


def _full_ref(ref: str) -> str:
    return ref if ref.startswith("refs/") else f"refs/{ref}"


@operation("git/get-ref", "contents")
def get_ref(req: Request) -> Response:
    repo = req.repository
    ref = _full_ref(req.params["ref"])
    if ref not in repo.refs:
        raise not_found()
    return Response(200, req.render.git_ref(repo, ref, repo.refs[ref]))


@operation("git/list-matching-refs", "contents")
def matching_refs(req: Request) -> Response:
    repo = req.repository
    prefix = _full_ref(req.params["ref"])
    refs = sorted(r for r in repo.refs if r.startswith(prefix) and not r.startswith("refs/pull/"))
    page, headers = req.page(refs)
    return Response(200, [req.render.git_ref(repo, r, repo.refs[r]) for r in page], headers)


@operation("git/create-ref", "contents", level="write")
def create_ref(req: Request) -> Response:
    repo = req.repository
    ref, sha = req.body["ref"], req.body["sha"]
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise ApiError(422, "Reference name must start with 'refs/' and have at least two slashes.")
    if ref in repo.refs:
        raise ApiError(422, "Reference already exists")
    if repo.store.object_type(sha) is None:
        raise ApiError(422, "Object does not exist")
    repo.refs[ref] = sha
    rendered = req.render.git_ref(repo, ref, sha)
    return Response(201, rendered, {"Location": rendered["url"]})


@operation("git/update-ref", "contents", level="write")
def update_ref(req: Request) -> Response:
    """Move a ref. Without ``force`` the new commit must descend from the current one.

    Runs under the state lock, so two writers that both read the same tip and race to move it
    get one success and one ``422 Update is not a fast forward``, as on GitHub.
    """
    repo = req.repository
    ref = _full_ref(req.params["ref"])
    sha = req.body["sha"]
    current = repo.refs.get(ref)
    if current is None:
        raise ApiError(422, "Reference does not exist")
    if repo.store.object_type(sha) is None:
        raise ApiError(422, "Object does not exist")
    if not req.body.get("force", False) and not repo.store.is_ancestor(current, sha):
        raise ApiError(422, "Update is not a fast forward")
    repo.refs[ref] = sha
    return Response(200, req.render.git_ref(repo, ref, sha))


@operation("git/create-blob", "contents", level="write")
def create_blob(req: Request) -> Response:
    repo = req.repository
    encoding = req.body.get("encoding", "utf-8")
    if encoding == "base64":
        try:
            data = base64.b64decode(req.body["content"])
        except binascii.Error as error:
            raise invalid("content is not valid Base64") from error
    elif encoding in ("utf-8", "utf8"):
        data = req.body["content"].encode()
    else:
        raise invalid(f"encoding must be either 'utf-8' or 'base64', not {encoding}")
    sha = repo.store.put_blob(data)
    rendered = req.render.short_blob(repo, sha)
    return Response(201, rendered, {"Location": rendered["url"]})


@operation("git/get-blob", "contents")
def get_blob(req: Request) -> Response:
    repo = req.repository
    if req.params["file_sha"] not in repo.store.blobs:
        raise not_found()
    return Response(200, req.render.blob(repo, req.params["file_sha"]))


@operation("git/create-tree", "contents", level="write")
def create_tree(req: Request) -> Response:
    repo = req.repository
    base_tree = req.body.get("base_tree")
    if base_tree is not None and base_tree not in repo.store.trees:
        raise invalid(f"base_tree {base_tree} is not a valid tree oid")
    changes: dict[str, TreeEntry | None] = {}
    for item in req.body["tree"]:
        path = item.get("path", "")
        kind = item.get("type", "blob")
        name = path.rsplit("/", 1)[-1]
        if "content" in item:
            sha = repo.store.put_blob(item["content"].encode())
            changes[path] = TreeEntry(name, item.get("mode", BLOB_MODE), "blob", sha)
        elif "sha" in item and item["sha"] is None:
            changes[path] = None
        elif "sha" in item:
            if repo.store.object_type(item["sha"]) != kind:
                raise invalid(f"tree.sha {item['sha']} is not a valid {kind}")
            changes[path] = TreeEntry(name, item.get("mode", GIT_MODES_BY_TYPE[kind][0]), kind, item["sha"])
        else:
            raise invalid("Must supply either tree.sha or tree.content")
    sha = repo.store.edit_tree(base_tree, changes)
    rendered = req.render.git_tree(repo, sha)
    return Response(201, rendered, {"Location": rendered["url"]})


@operation("git/get-tree", "contents")
def get_tree(req: Request) -> Response:
    repo = req.repository
    sha = req.params["tree_sha"]
    if sha not in repo.store.trees:
        commit = repo.resolve(sha)
        if commit is None:
            raise not_found()
        sha = repo.store.commits[commit].tree
    return Response(200, req.render.git_tree(repo, sha, recursive="recursive" in req.query))


@operation("git/create-commit", "contents", level="write")
def create_commit(req: Request) -> Response:
    repo = req.repository
    body = req.body
    if body["tree"] not in repo.store.trees:
        raise ApiError(422, "Tree SHA does not exist")
    parents = list(body.get("parents", []))
    if any(parent not in repo.store.commits for parent in parents):
        raise ApiError(422, "Parent SHA does not exist or is not a commit object")
    author = _signature(req, body.get("author"), _token_signature(req))
    committer = _signature(req, body.get("committer"), author)
    sha = repo.store.put_commit(body["tree"], parents, body["message"], author=author, committer=committer)
    rendered = req.render.git_commit(repo, repo.store.commits[sha])
    return Response(201, rendered, {"Location": rendered["url"]})


@operation("git/get-commit", "contents")
def get_git_commit(req: Request) -> Response:
    repo = req.repository
    commit = repo.store.commits.get(req.params["commit_sha"])
    if commit is None:
        raise not_found()
    return Response(200, req.render.git_commit(repo, commit))


# -- GitHub Actions -------------------------------------------------------------------------------------


def _run(req: Request) -> WorkflowRun:
    run = req.repository.workflow_runs.get(req.params["run_id"])
    if run is None:
        raise not_found()
    return run


@operation("actions/get-workflow-run", "actions")
def get_workflow_run(req: Request) -> Response:
    rendered = req.render.workflow_run(req.repository, _run(req))
    if req.query.get("exclude_pull_requests"):
        rendered["pull_requests"] = []
    return Response(200, rendered)


@operation("actions/list-workflow-run-artifacts", "actions")
def list_artifacts(req: Request) -> Response:
    repo = req.repository
    run = _run(req)
    artifacts = [a for a in repo.artifacts.values() if a.run_id == run.id]
    if "name" in req.query:
        artifacts = [a for a in artifacts if a.name == req.query["name"]]
    artifacts.sort(key=lambda a: (a.created_at, a.id), reverse=req.query.get("direction", "desc") == "desc")
    page, headers = req.page(artifacts)
    body = {"total_count": len(artifacts), "artifacts": [req.render.artifact(repo, a) for a in page]}
    return Response(200, body, headers)


@operation("actions/list-jobs-for-workflow-run", "actions")
def list_jobs(req: Request) -> Response:
    repo = req.repository
    run = _run(req)
    jobs = [j for j in repo.jobs.values() if j.run_id == run.id]
    if req.query.get("filter", "latest") == "latest":
        jobs = [j for j in jobs if j.run_attempt == run.run_attempt]
    jobs.sort(key=lambda j: j.id)
    page, headers = req.page(jobs)
    return Response(200, {"total_count": len(jobs), "jobs": [req.render.job(repo, j) for j in page]}, headers)


@operation("actions/download-artifact", "actions")
def download_artifact(req: Request) -> Response:
    repo = req.repository
    artifact = repo.artifacts.get(req.params["artifact_id"])
    if artifact is None or req.params["archive_format"] != "zip":
        raise not_found()
    if artifact.expired:
        raise ApiError(410, "Artifact has expired")
    location = f"{req.urls.storage}/artifacts/{repo.full_name}/{artifact.id}/{quote_path(artifact.name)}.zip"
    return Response(302, None, {"Location": location})


@operation("actions/re-run-workflow", "actions", level="write")
def rerun(req: Request) -> Response:
    run = _run(req)
    if run.status != "completed":
        raise ApiError(403, "This workflow is already running")
    run.status = "queued"
    run.conclusion = None
    run.run_attempt += 1
    run.updated_at = req.now
    req.repository.reruns.append(run.id)
    return Response(201, {})


@operation("actions/create-workflow-dispatch", "actions", level="write")
def dispatch(req: Request) -> Response:
    repo = req.repository
    workflow = req.params["workflow_id"]
    known = {wid: path for path, wid in repo.workflows.items()}
    if isinstance(workflow, int):
        path = known.get(workflow)
    else:
        path = next((p for p in repo.workflows if p.rsplit("/", 1)[-1] == workflow or p == workflow), None)
    if path is None:
        raise not_found()
    ref = req.body["ref"]
    head_sha = repo.resolve(ref)
    if head_sha is None:
        raise ApiError(422, f"No ref found for: {ref}")
    repo.dispatches.append(
        WorkflowDispatch(workflow, ref, dict(req.body.get("inputs", {})), req.token.user, req.now)
    )
    if not req.body.get("return_run_details", False):
        return Response(204)
    run = repo.add_workflow_run(
        path=path,
        name=path.rsplit("/", 1)[-1],
        event="workflow_dispatch",
        status="queued",
        conclusion=None,
        head_sha=head_sha,
        head_branch=ref.removeprefix("refs/heads/"),
        actor=req.token.user.login,
    )
    rendered = req.render.workflow_run(repo, run)
    return Response(
        200, {"workflow_run_id": run.id, "run_url": rendered["url"], "html_url": rendered["html_url"]}
    )


# -- account --------------------------------------------------------------------------------------------


@operation("users/get-authenticated")
def authenticated_user(req: Request) -> Response:
    if req.token.installation:
        raise ApiError(403, NOT_ACCESSIBLE_MESSAGE)
    return Response(200, req.render.private_user(req.token.user))


@operation("rate-limit/get")
def rate_limit(req: Request) -> Response:
    return Response(200, req.render.rate_limit(req.token, rate_limit_reset(req.state.clock)))


def implemented() -> list[str]:
    """The operationIds the fake answers."""
    return sorted(HANDLERS)
