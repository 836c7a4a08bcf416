"""The fake's in-memory GitHub: users, tokens, repositories and what gatebot reads or writes in them.

Tests seed it through plain Python (``fake.add_repo(...)``, ``repo.add_pull_request(...)``) and
inspect it after the code under test has run; the HTTP handlers read and change the same objects
under :attr:`GitHubState.lock`.

Time comes from :class:`Clock`: a fixed start that moves one second per write, so ids, timestamps
and git SHA-1s are the same on every run.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Concatenate, ParamSpec, TypeVar

from .git import BLOB_MODE, Commit, ObjectStore, Signature, TreeEntry

UTC = timezone.utc
DEFAULT_START = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)

#: Fine-grained permission scopes a token can hold (GitHub Actions' ``permissions:`` keys).
SCOPES = ("actions", "checks", "contents", "issues", "metadata", "pull-requests", "statuses")
LEVELS = {"none": 0, "read": 1, "write": 2}

#: Repository role → (``permission`` as the API reports it, ``role_name``).
ROLES: dict[str, tuple[str, str]] = {
    "admin": ("admin", "admin"),
    "maintain": ("write", "maintain"),
    "write": ("write", "write"),
    "triage": ("read", "triage"),
    "read": ("read", "read"),
    "none": ("none", "none"),
}
ROLE_RANK = {"none": 0, "read": 1, "triage": 2, "write": 3, "maintain": 4, "admin": 5}

P = ParamSpec("P")
R = TypeVar("R")


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, as GitHub writes timestamps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rate_limit_reset(clock: Clock) -> int:
    """When the current rate-limit window ends (UTC epoch seconds): the top of the next hour."""
    now = int(clock.now().timestamp())
    return (now // 3600 + 1) * 3600


class Clock:
    """Deterministic time: starts at ``start`` and moves ``step`` per :meth:`tick` (one per write)."""

    def __init__(self, start: datetime = DEFAULT_START, step: timedelta = timedelta(seconds=1)) -> None:
        self._now = start
        self.step = step

    def now(self) -> datetime:
        return self._now

    def tick(self) -> datetime:
        self._now += self.step
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)

    def advance(self, seconds: float) -> datetime:
        self._now += timedelta(seconds=seconds)
        return self._now


@dataclass
class User:
    login: str
    id: int
    type: str = "User"  # "User" | "Bot" | "Organization"
    name: str | None = None
    email: str | None = None
    site_admin: bool = False


@dataclass
class App:
    """A GitHub App (check runs and bot comments carry one)."""

    id: int
    slug: str
    name: str
    owner: User
    permissions: dict[str, str] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)


@dataclass
class Token:
    value: str
    permissions: dict[str, str]
    user: User
    app: App | None
    rate_limit: int = 5000
    used: int = 0

    @property
    def installation(self) -> bool:
        """Installation tokens (``GITHUB_TOKEN``) belong to an app, not to a person."""
        return self.app is not None

    @property
    def remaining(self) -> int:
        return max(self.rate_limit - self.used, 0)

    def level(self, scope: str) -> int:
        if scope == "metadata":
            return LEVELS["read"]
        return LEVELS.get(self.permissions.get(scope, "none"), 0)


@dataclass
class PullFile:
    """One entry of ``GET /pulls/{n}/files``."""

    filename: str
    status: str = "modified"
    additions: int = 0
    deletions: int = 0
    patch: str | None = None
    previous_filename: str | None = None
    sha: str | None = None


@dataclass
class Issue:
    number: int
    id: int
    title: str
    user: User
    created_at: datetime
    body: str | None = None


@dataclass
class PullRequest:
    number: int
    id: int
    title: str
    body: str | None
    user: User
    head_ref: str
    head_sha: str
    head_repo: Repository
    base_repo: Repository
    base_ref: str
    base_sha: str
    files: list[PullFile]
    created_at: datetime
    updated_at: datetime
    state: str = "open"
    draft: bool = False
    merged_at: datetime | None = None
    closed_at: datetime | None = None
    labels: list[str] = field(default_factory=list)

    @property
    def from_fork(self) -> bool:
        return self.head_repo is not self.base_repo


@dataclass
class IssueComment:
    id: int
    issue_number: int
    user: User
    body: str
    created_at: datetime
    updated_at: datetime
    app: App | None = None


@dataclass
class Reaction:
    id: int
    comment_id: int
    user: User
    content: str
    created_at: datetime


@dataclass
class CheckRun:
    id: int
    head_sha: str
    name: str
    status: str
    conclusion: str | None
    started_at: datetime | None
    completed_at: datetime | None
    details_url: str | None
    external_id: str
    app: App | None
    check_suite_id: int
    title: str | None = None
    summary: str | None = None
    text: str | None = None
    annotations: list[dict[str, Any]] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CommitStatus:
    id: int
    sha: str
    state: str
    target_url: str | None
    description: str | None
    context: str
    creator: User
    created_at: datetime
    updated_at: datetime


@dataclass
class WorkflowRun:
    id: int
    name: str
    workflow_id: int
    path: str
    event: str
    status: str
    conclusion: str | None
    head_sha: str
    head_branch: str | None
    head_repo: Repository
    run_number: int
    actor: User
    created_at: datetime
    updated_at: datetime
    pull_requests: list[int] = field(default_factory=list)
    run_attempt: int = 1
    display_title: str = ""


@dataclass
class Artifact:
    id: int
    run_id: int
    name: str
    data: bytes
    created_at: datetime
    expires_at: datetime
    expired: bool = False


@dataclass
class Job:
    """A job of a workflow run, as ``GET /actions/runs/{run_id}/jobs`` lists it (no steps)."""

    id: int
    run_id: int
    run_attempt: int
    name: str
    status: str
    conclusion: str | None
    created_at: datetime
    started_at: datetime
    completed_at: datetime | None = None
    labels: list[str] = field(default_factory=lambda: ["ubuntu-latest"])


@dataclass
class WorkflowDispatch:
    workflow_id: int | str
    ref: str
    inputs: dict[str, Any]
    user: User
    created_at: datetime


def _locked(method: Callable[Concatenate[Any, P], R]) -> Callable[Concatenate[Any, P], R]:
    """Run a seeding method under the state lock (the server may be answering meanwhile)."""

    def wrapper(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.state.lock:
            return method(self, *args, **kwargs)

    functools.update_wrapper(wrapper, method)
    return wrapper


def _patch_stats(old: bytes | None, new: bytes | None) -> tuple[int, int, str | None]:
    """Added and deleted line counts and GitHub's ``patch`` text (hunks only) for one file."""
    try:
        before = (old or b"").decode().splitlines()
        after = (new or b"").decode().splitlines()
    except UnicodeDecodeError:
        return 0, 0, None
    lines = list(difflib.unified_diff(before, after, lineterm="", n=3))[2:]
    added = sum(1 for line in lines if line.startswith("+"))
    deleted = sum(1 for line in lines if line.startswith("-"))
    return added, deleted, "\n".join(lines) if lines else None


class Repository:
    """One repository: git refs and objects, pull requests, comments, checks, statuses, Actions."""

    def __init__(
        self,
        state: GitHubState,
        owner: User,
        name: str,
        *,
        default_branch: str,
        private: bool,
        store: ObjectStore,
        parent: Repository | None = None,
    ) -> None:
        self.state = state
        self.id = state.next_id("repository")
        self.owner = owner
        self.name = name
        self.default_branch = default_branch
        self.private = private
        self.store = store
        self.parent = parent
        self.description: str | None = None
        self.created_at = state.clock.now()
        self.refs: dict[str, str] = {}
        self.issues: dict[int, Issue] = {}
        self.pulls: dict[int, PullRequest] = {}
        self.comments: dict[int, IssueComment] = {}
        self.reactions: list[Reaction] = []
        self.check_runs: dict[int, CheckRun] = {}
        self.check_suites: dict[tuple[int, str], int] = {}
        self.statuses: list[CommitStatus] = []
        self.roles: dict[str, str] = {}
        self.workflow_runs: dict[int, WorkflowRun] = {}
        self.workflows: dict[str, int] = {}
        self.artifacts: dict[int, Artifact] = {}
        self.jobs: dict[int, Job] = {}
        self.dispatches: list[WorkflowDispatch] = []
        self.reruns: list[int] = []
        self._numbers = itertools.count(1)

    def __repr__(self) -> str:
        return f"<Repository {self.full_name}>"

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    @property
    def fork(self) -> bool:
        return self.parent is not None

    @property
    def pushed_at(self) -> datetime:
        return self.state.clock.now()

    # -- refs and commits -------------------------------------------------------------------

    def branch(self, name: str) -> str | None:
        """The commit a branch points at (``None`` when there is no such branch)."""
        return self.refs.get(f"refs/heads/{name}")

    def resolve(self, commitish: str) -> str | None:
        """A commit SHA for a SHA (full or at least 7 hex digits), branch, tag or ``refs/...`` name."""
        for candidate in (
            commitish,
            f"refs/heads/{commitish}",
            f"refs/tags/{commitish}",
            f"refs/{commitish}",
        ):
            if candidate in self.refs:
                return self.refs[candidate]
        if commitish in self.store.commits:
            return commitish
        if len(commitish) >= 7 and all(c in "0123456789abcdef" for c in commitish):
            found = [sha for sha in self.store.commits if sha.startswith(commitish)]
            if len(found) == 1:
                return found[0]
        return None

    def signature(self, login: str) -> Signature:
        return Signature(login, f"{login}@users.noreply.github.com", self.state.clock.now())

    @_locked
    def commit(
        self,
        files: Mapping[str, str | bytes | None] | None = None,
        *,
        branch: str | None = "",
        message: str = "Update files",
        parents: Sequence[str] | None = None,
        author: str = "octocat",
        sha: str | None = None,
    ) -> str:
        """Commit ``files`` (``None`` deletes a path) on top of ``branch`` and move the branch.

        ``branch=""`` means the default branch, ``branch=None`` leaves every ref alone; a new
        branch starts from the default branch. ``parents`` overrides the branch tip as
        parent(s). ``sha`` stores the commit under a given id instead of its computed one (to
        match SHAs that appear in event payloads).
        """
        target = self.default_branch if branch == "" else branch
        if parents is None:
            tip = (self.branch(target) or self.branch(self.default_branch)) if target else None
            parents = [tip] if tip else []
        base = self.store.commits[parents[0]].tree if parents and parents[0] in self.store.commits else None
        changes: dict[str, TreeEntry | None] = {}
        for path, content in (files or {}).items():
            if content is None:
                changes[path] = None
            else:
                data = content.encode() if isinstance(content, str) else content
                changes[path] = TreeEntry(
                    path.rsplit("/", 1)[-1], BLOB_MODE, "blob", self.store.put_blob(data)
                )
        tree = self.store.edit_tree(base, changes)
        self.state.clock.tick()
        who = self.signature(author)
        new_sha = self.store.put_commit(tree, parents, message, author=who, committer=who, sha=sha)
        if target:
            self.refs[f"refs/heads/{target}"] = new_sha
        return new_sha

    @_locked
    def set_ref(self, ref: str, sha: str) -> None:
        """Point ``refs/...`` at ``sha`` (no fast-forward check; this is seeding)."""
        self.refs[ref if ref.startswith("refs/") else f"refs/heads/{ref}"] = sha

    def ensure_commit(self, sha: str, parents: Sequence[str] = ()) -> Commit:
        """The commit ``sha``; a stand-in with ``parents`` (and their tree) when it is unknown."""
        if sha not in self.store.commits:
            known = [p for p in parents if p in self.store.commits]
            tree = self.store.commits[known[0]].tree if known else self.store.empty_tree()
            who = self.signature("octocat")
            self.store.put_commit(tree, known, f"Commit {sha[:7]}", author=who, committer=who, sha=sha)
        return self.store.commits[sha]

    def file(self, path: str, ref: str | None = None) -> bytes | None:
        """The content of ``path`` at ``ref`` (default branch when omitted), or ``None``."""
        sha = self.resolve(ref or self.default_branch)
        if sha is None:
            return None
        entry = self.store.lookup(self.store.commits[sha].tree, path)
        if entry is None or entry.type != "blob":
            return None
        return self.store.blobs[entry.sha]

    def diff_files(self, base_sha: str, head_sha: str) -> list[PullFile]:
        """Files changed from the merge base of ``base_sha`` and ``head_sha`` to ``head_sha``."""
        merge_base = self.store.merge_base(base_sha, head_sha)
        old_tree = self.store.commits[merge_base].tree if merge_base else None
        new_tree = self.store.commits[head_sha].tree if head_sha in self.store.commits else None
        files = []
        for change in self.store.diff(old_tree, new_tree):
            old = self.store.blobs.get(change.old_sha) if change.old_sha else None
            new = self.store.blobs.get(change.new_sha) if change.new_sha else None
            added, deleted, patch = _patch_stats(old, new)
            files.append(
                PullFile(
                    filename=change.filename,
                    status=change.status,
                    additions=added,
                    deletions=deleted,
                    patch=patch,
                    sha=change.new_sha or change.old_sha,
                )
            )
        return files

    # -- issues and pull requests -----------------------------------------------------------

    @_locked
    def add_issue(
        self, *, number: int | None = None, title: str = "An issue", user: str = "octocat"
    ) -> Issue:
        number = number if number is not None else self._next_number()
        issue = Issue(
            number, self.state.next_id("issue"), title, self.state.user(user), self.state.clock.tick()
        )
        self.issues[number] = issue
        return issue

    @_locked
    def add_pull_request(
        self,
        *,
        number: int | None = None,
        title: str = "Update the model",
        body: str | None = None,
        user: str = "octocat",
        head_ref: str = "feature",
        head_sha: str | None = None,
        head_repo: str | None = None,
        base_ref: str | None = None,
        base_sha: str | None = None,
        files: Iterable[PullFile] | None = None,
        draft: bool = False,
        state: str = "open",
        labels: Iterable[str] = (),
    ) -> PullRequest:
        """Open a pull request.

        ``head_repo`` names a fork (``"contributor/Hello-World"``; created if needed) for a pull
        request from a fork. Unknown ``base_sha``/``head_sha`` become stand-in commits (head on
        top of base). Without ``head_sha`` the tip of ``head_ref`` is used, or an empty commit
        is made on top of the base. Without ``files`` the list is the diff of the two commits.
        """
        number = number if number is not None else self._next_number()
        base_ref = base_ref or self.default_branch
        head_repository = self if head_repo is None else self.state.fork(self, head_repo)
        if base_sha is None:
            base_sha = self.branch(base_ref) or self.commit({}, branch=base_ref, message="Initial commit")
        self.ensure_commit(base_sha)
        if head_sha is None:
            head_sha = head_repository.branch(head_ref) or head_repository.commit(
                {}, branch=head_ref, parents=[base_sha], message=title, author=user
            )
        self.ensure_commit(head_sha, parents=[base_sha])
        if head_repository is not self or head_ref != base_ref:
            head_repository.refs[f"refs/heads/{head_ref}"] = head_sha
        self.refs[f"refs/pull/{number}/head"] = head_sha
        moment = self.state.clock.tick()
        pull = PullRequest(
            number=number,
            id=self.state.next_id("pull"),
            title=title,
            body=body,
            user=self.state.user(user),
            head_ref=head_ref,
            head_sha=head_sha,
            head_repo=head_repository,
            base_repo=self,
            base_ref=base_ref,
            base_sha=base_sha,
            files=list(files) if files is not None else self.diff_files(base_sha, head_sha),
            created_at=moment,
            updated_at=moment,
            state=state,
            draft=draft,
            labels=list(labels),
        )
        self.pulls[number] = pull
        self.issues[number] = Issue(number, self.state.next_id("issue"), title, pull.user, moment, body)
        return pull

    def _next_number(self) -> int:
        while True:
            number = next(self._numbers)
            if number not in self.issues:
                return number

    @_locked
    def add_issue_comment(
        self,
        issue_number: int,
        body: str,
        *,
        user: str = "octocat",
        user_type: str = "User",
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
    ) -> IssueComment:
        """A comment on an issue or pull request, by a person (``User``) or a ``Bot``."""
        if issue_number not in self.issues:
            raise KeyError(f"{self.full_name} has no issue or pull request #{issue_number}")
        author = self.state.user(user, type=user_type)
        created = created_at or self.state.clock.tick()
        comment = IssueComment(
            id=self.state.next_id("issue_comment"),
            issue_number=issue_number,
            user=author,
            body=body,
            created_at=created,
            updated_at=updated_at or created,
            app=self.state.actions_app if user_type == "Bot" and user == "github-actions[bot]" else None,
        )
        self.comments[comment.id] = comment
        return comment

    def comments_on(self, issue_number: int) -> list[IssueComment]:
        return sorted(
            (c for c in self.comments.values() if c.issue_number == issue_number), key=lambda c: c.id
        )

    @_locked
    def add_reaction(self, comment_id: int, content: str, *, user: str = "octocat") -> Reaction:
        reaction = Reaction(
            self.state.next_id("reaction"),
            comment_id,
            self.state.user(user),
            content,
            self.state.clock.tick(),
        )
        self.reactions.append(reaction)
        return reaction

    # -- collaborators ------------------------------------------------------------------------

    @_locked
    def set_permission(self, username: str, role: str) -> None:
        """Give ``username`` a role: ``admin``, ``maintain``, ``write``, ``triage``, ``read`` or ``none``."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; use one of {sorted(ROLES)}")
        self.state.user(username)
        self.roles[username] = role

    def role_of(self, username: str) -> str:
        if username == self.owner.login:
            return "admin"
        return self.roles.get(username, "none" if self.private else "read")

    # -- checks and statuses ------------------------------------------------------------------

    def check_suite_for(self, app: App | None, head_sha: str) -> int:
        key = (app.id if app else 0, head_sha)
        if key not in self.check_suites:
            self.check_suites[key] = self.state.next_id("check_suite")
        return self.check_suites[key]

    @_locked
    def add_check_run(
        self,
        head_sha: str,
        name: str,
        *,
        status: str = "completed",
        conclusion: str | None = "success",
        title: str | None = None,
        summary: str | None = None,
    ) -> CheckRun:
        moment = self.state.clock.tick()
        app = self.state.actions_app
        run = CheckRun(
            id=self.state.next_id("check_run"),
            head_sha=head_sha,
            name=name,
            status=status,
            conclusion=conclusion,
            started_at=moment,
            completed_at=moment if status == "completed" else None,
            details_url=None,
            external_id="",
            app=app,
            check_suite_id=self.check_suite_for(app, head_sha),
            title=title,
            summary=summary,
        )
        self.check_runs[run.id] = run
        return run

    @_locked
    def add_status(
        self,
        sha: str,
        state: str,
        *,
        context: str = "default",
        description: str | None = None,
        target_url: str | None = None,
        creator: str = "octocat",
    ) -> CommitStatus:
        moment = self.state.clock.tick()
        status = CommitStatus(
            self.state.next_id("status"),
            sha,
            state,
            target_url,
            description,
            context,
            self.state.user(creator),
            moment,
            moment,
        )
        self.statuses.append(status)
        return status

    # -- GitHub Actions -----------------------------------------------------------------------

    @_locked
    def add_workflow(self, path: str) -> int:
        """Register the workflow file ``path`` (done by :meth:`add_workflow_run` too); its id."""
        if path not in self.workflows:
            self.workflows[path] = self.state.next_id("workflow")
        return self.workflows[path]

    @_locked
    def add_workflow_run(
        self,
        *,
        id: int | None = None,
        name: str = "CI",
        path: str = ".github/workflows/ci.yml",
        event: str = "pull_request",
        status: str = "completed",
        conclusion: str | None = "success",
        head_sha: str | None = None,
        head_branch: str | None = None,
        head_repo: str | None = None,
        pull_requests: Iterable[int] = (),
        actor: str = "octocat",
        run_number: int | None = None,
        display_title: str | None = None,
    ) -> WorkflowRun:
        """A workflow run; ``head_repo`` names a fork when the triggering pull request came from one."""
        repository = self if head_repo is None else self.state.fork(self, head_repo)
        head_sha = head_sha or repository.resolve(head_branch or self.default_branch) or self.commit({})
        moment = self.state.clock.tick()
        run_id = id if id is not None else self.state.next_id("workflow_run")
        run = WorkflowRun(
            id=run_id,
            name=name,
            workflow_id=self.add_workflow(path),
            path=path,
            event=event,
            status=status,
            conclusion=conclusion,
            head_sha=head_sha,
            head_branch=head_branch,
            head_repo=repository,
            run_number=run_number if run_number is not None else len(self.workflow_runs) + 1,
            actor=self.state.user(actor),
            created_at=moment,
            updated_at=moment,
            pull_requests=list(pull_requests),
            display_title=display_title or name,
        )
        self.workflow_runs[run.id] = run
        return run

    @_locked
    def add_artifact(self, run_id: int, name: str, data: bytes, *, expired: bool = False) -> Artifact:
        """An artifact of run ``run_id``; ``data`` is what the download serves (a zip archive)."""
        if run_id not in self.workflow_runs:
            raise KeyError(f"{self.full_name} has no workflow run {run_id}")
        moment = self.state.clock.tick()
        artifact = Artifact(
            id=self.state.next_id("artifact"),
            run_id=run_id,
            name=name,
            data=data,
            created_at=moment,
            expires_at=moment + timedelta(days=90),
            expired=expired,
        )
        self.artifacts[artifact.id] = artifact
        return artifact

    @_locked
    def add_job(
        self, run_id: int, name: str, *, status: str = "queued", conclusion: str | None = None
    ) -> Job:
        """A job of run ``run_id`` in its current attempt; ``status`` as GitHub reports it (``queued``,
        ``in_progress``, ``completed``, ...), ``conclusion`` only when completed."""
        run = self.workflow_runs.get(run_id)
        if run is None:
            raise KeyError(f"{self.full_name} has no workflow run {run_id}")
        moment = self.state.clock.tick()
        job = Job(
            id=self.state.next_id("job"),
            run_id=run_id,
            run_attempt=run.run_attempt,
            name=name,
            status="queued",
            conclusion=None,
            created_at=moment,
            started_at=moment,
        )
        self.jobs[job.id] = job
        self._move_job(job, status, conclusion, moment)
        return job

    @_locked
    def set_job(self, job: Job, *, status: str, conclusion: str | None = None) -> Job:
        """Move a job on: ``in_progress`` starts it, ``completed`` (with a conclusion) ends it."""
        self._move_job(job, status, conclusion, self.state.clock.tick())
        return job

    @staticmethod
    def _move_job(job: Job, status: str, conclusion: str | None, moment: datetime) -> None:
        if (status == "completed") != (conclusion is not None):
            raise ValueError("a job has a conclusion exactly when it is completed")
        if status == "in_progress":
            job.started_at = moment
        job.status = status
        job.conclusion = conclusion
        job.completed_at = moment if status == "completed" else None


class GitHubState:
    """Everything the fake knows. All reads and writes from handlers happen under :attr:`lock`."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self._counters: dict[str, itertools.count[int]] = {}
        self.users: dict[str, User] = {}
        self.tokens: dict[str, Token] = {}
        self.repos: dict[str, Repository] = {}
        github = self.user("github", type="Organization")
        self.actions_app = App(
            id=15368,
            slug="github-actions",
            name="GitHub Actions",
            owner=github,
            permissions={scope: "write" for scope in SCOPES if scope != "metadata"} | {"metadata": "read"},
            events=["check_run", "check_suite", "pull_request", "push", "workflow_dispatch", "workflow_run"],
        )
        self.user("github-actions[bot]", type="Bot")

    def next_id(self, kind: str) -> int:
        counter = self._counters.setdefault(kind, itertools.count(1))
        return next(counter)

    def user(self, login: str, *, type: str = "User") -> User:
        """The user ``login``, created on first mention."""
        with self.lock:
            if login not in self.users:
                kind = "Bot" if login.endswith("[bot]") else type
                self.users[login] = User(login=login, id=self.next_id("user"), type=kind)
            return self.users[login]

    def add_token(
        self,
        value: str,
        permissions: Mapping[str, str],
        *,
        login: str = "github-actions[bot]",
        installation: bool = True,
        rate_limit: int = 5000,
    ) -> Token:
        """Register a token. ``installation=True`` makes it a ``GITHUB_TOKEN``-like app token."""
        unknown = set(permissions) - set(SCOPES)
        if unknown:
            raise ValueError(f"unknown permission scopes {sorted(unknown)}; known: {SCOPES}")
        for scope, level in permissions.items():
            if level not in LEVELS:
                raise ValueError(f"{scope}: level must be one of {sorted(LEVELS)}, not {level!r}")
        with self.lock:
            token = Token(
                value=value,
                permissions=dict(permissions),
                user=self.user(login, type="Bot" if installation else "User"),
                app=self.actions_app if installation else None,
                rate_limit=rate_limit,
            )
            self.tokens[value] = token
            return token

    def add_repo(
        self,
        full_name: str,
        *,
        default_branch: str = "main",
        private: bool = False,
        files: Mapping[str, str | bytes] | None = None,
    ) -> Repository:
        """Create a repository with one commit on ``default_branch`` (``files={}``: an empty repository)."""
        owner_login, _, name = full_name.partition("/")
        with self.lock:
            if full_name in self.repos:
                raise ValueError(f"{full_name} exists already")
            repo = Repository(
                self,
                self.user(owner_login),
                name,
                default_branch=default_branch,
                private=private,
                store=ObjectStore(),
            )
            self.repos[full_name] = repo
            initial = {"README.md": f"# {name}\n"} if files is None else dict(files)
            if initial:
                repo.commit(initial, message="Initial commit", author=owner_login)
            return repo

    def fork(self, parent: Repository, full_name: str) -> Repository:
        """The fork ``full_name`` of ``parent`` (created with the parent's refs on first use)."""
        with self.lock:
            existing = self.repos.get(full_name)
            if existing is not None:
                return existing
            owner_login, _, name = full_name.partition("/")
            fork = Repository(
                self,
                self.user(owner_login),
                name,
                default_branch=parent.default_branch,
                private=parent.private,
                store=parent.store,
                parent=parent,
            )
            fork.refs = {ref: sha for ref, sha in parent.refs.items() if ref.startswith("refs/heads/")}
            self.repos[full_name] = fork
            return fork

    def repo(self, full_name: str) -> Repository:
        return self.repos[full_name]
