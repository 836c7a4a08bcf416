"""GitHub's JSON shapes, built from the fake's state.

Every function returns the object the REST API returns for one resource (``simple-user``,
``repository``, ``pull-request``, ``check-run``, ...) with all fields the description marks
required, and the optional ones clients commonly read. API URLs use the fake server's base URL;
web URLs use :attr:`Urls.html` (``https://github.com`` by default, never contacted).
"""

from __future__ import annotations

import base64
import hashlib
import urllib.parse
import zlib
from dataclasses import dataclass
from typing import Any

from .git import Commit, TreeEntry
from .state import (
    ROLE_RANK,
    ROLES,
    App,
    Artifact,
    CheckRun,
    CommitStatus,
    GitHubState,
    IssueComment,
    Job,
    PullFile,
    PullRequest,
    Reaction,
    Repository,
    Token,
    User,
    WorkflowRun,
    iso,
)

Json = dict[str, Any]

#: When GitHub Actions' app was created (as GitHub reports it).
ACTIONS_APP_CREATED = "2018-07-30T09:30:17Z"
REACTIONS = ("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes")


def node_id(kind: str, number: int) -> str:
    """A legacy global node id: base64 of ``"<len>:<Type><id>"`` (``MDQ6VXNlcjE=`` is User 1)."""
    return base64.b64encode(f"{len(kind):02d}:{kind}{number}".encode()).decode()


def stable_number(text: str) -> int:
    """A positive id derived from a name (labels, refs), stable across runs."""
    return zlib.crc32(text.encode()) + 1


def wrapped_base64(data: bytes) -> str:
    """Base64 in 60-character lines with a trailing newline, as the contents and blob APIs send it."""
    encoded = base64.b64encode(data).decode()
    return "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))


def quote_path(path: str) -> str:
    return urllib.parse.quote(path, safe="/")


@dataclass(frozen=True)
class Urls:
    api: str
    html: str = "https://github.com"
    storage: str = ""

    def repo(self, repo: Repository) -> str:
        return f"{self.api}/repos/{repo.full_name}"

    def repo_html(self, repo: Repository) -> str:
        return f"{self.html}/{repo.full_name}"

    def user(self, login: str) -> str:
        return f"{self.api}/users/{urllib.parse.quote(login, safe='')}"


class Renderer:
    def __init__(self, state: GitHubState, urls: Urls) -> None:
        self.state = state
        self.urls = urls

    # -- people and apps --------------------------------------------------------------------

    def user(self, user: User) -> Json:
        base = self.urls.user(user.login)
        if user.type == "Bot" and user.login.endswith("[bot]"):
            html_url = f"{self.urls.html}/apps/{user.login[: -len('[bot]')]}"
        else:
            html_url = f"{self.urls.html}/{user.login}"
        return {
            "login": user.login,
            "id": user.id,
            "node_id": node_id(user.type, user.id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
            "gravatar_id": "",
            "url": base,
            "html_url": html_url,
            "followers_url": f"{base}/followers",
            "following_url": f"{base}/following{{/other_user}}",
            "gists_url": f"{base}/gists{{/gist_id}}",
            "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{base}/subscriptions",
            "organizations_url": f"{base}/orgs",
            "repos_url": f"{base}/repos",
            "events_url": f"{base}/events{{/privacy}}",
            "received_events_url": f"{base}/received_events",
            "type": user.type,
            "user_view_type": "public",
            "site_admin": user.site_admin,
        }

    def private_user(self, user: User) -> Json:
        """``GET /user``: the authenticated account with its private counters."""
        moment = iso(self.state.clock.now())
        return self.user(user) | {
            "user_view_type": "private",
            "name": user.name,
            "company": None,
            "blog": "",
            "location": None,
            "email": user.email,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": sum(1 for r in self.state.repos.values() if r.owner is user and not r.private),
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": moment,
            "updated_at": moment,
            "private_gists": 0,
            "total_private_repos": sum(1 for r in self.state.repos.values() if r.owner is user and r.private),
            "owned_private_repos": sum(1 for r in self.state.repos.values() if r.owner is user and r.private),
            "disk_usage": 0,
            "collaborators": 0,
            "two_factor_authentication": True,
        }

    def app(self, app: App | None) -> Json | None:
        if app is None:
            return None
        return {
            "id": app.id,
            "slug": app.slug,
            "node_id": node_id("Integration", app.id),
            "owner": self.user(app.owner),
            "name": app.name,
            "description": "Automate your workflow from idea to production",
            "external_url": "https://help.github.com/en/actions",
            "html_url": f"{self.urls.html}/apps/{app.slug}",
            "created_at": ACTIONS_APP_CREATED,
            "updated_at": ACTIONS_APP_CREATED,
            "permissions": dict(app.permissions),
            "events": list(app.events),
        }

    # -- repositories -------------------------------------------------------------------------

    def repository(self, repo: Repository) -> Json:
        """``repository``/``full-repository``: every field either schema requires."""
        api = self.urls.repo(repo)
        html = self.urls.repo_html(repo)
        moment = iso(repo.created_at)
        open_issues = sum(1 for n in repo.issues if n not in repo.pulls) + sum(
            1 for p in repo.pulls.values() if p.state == "open"
        )
        forks = sum(1 for r in self.state.repos.values() if r.parent is repo)
        return {
            "id": repo.id,
            "node_id": node_id("Repository", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "owner": self.user(repo.owner),
            "html_url": html,
            "description": repo.description,
            "fork": repo.fork,
            "url": api,
            "archive_url": f"{api}/{{archive_format}}{{/ref}}",
            "assignees_url": f"{api}/assignees{{/user}}",
            "blobs_url": f"{api}/git/blobs{{/sha}}",
            "branches_url": f"{api}/branches{{/branch}}",
            "collaborators_url": f"{api}/collaborators{{/collaborator}}",
            "comments_url": f"{api}/comments{{/number}}",
            "commits_url": f"{api}/commits{{/sha}}",
            "compare_url": f"{api}/compare/{{base}}...{{head}}",
            "contents_url": f"{api}/contents/{{+path}}",
            "contributors_url": f"{api}/contributors",
            "deployments_url": f"{api}/deployments",
            "downloads_url": f"{api}/downloads",
            "events_url": f"{api}/events",
            "forks_url": f"{api}/forks",
            "git_commits_url": f"{api}/git/commits{{/sha}}",
            "git_refs_url": f"{api}/git/refs{{/sha}}",
            "git_tags_url": f"{api}/git/tags{{/sha}}",
            "git_url": f"git://{urllib.parse.urlsplit(self.urls.html).netloc}/{repo.full_name}.git",
            "issue_comment_url": f"{api}/issues/comments{{/number}}",
            "issue_events_url": f"{api}/issues/events{{/number}}",
            "issues_url": f"{api}/issues{{/number}}",
            "keys_url": f"{api}/keys{{/key_id}}",
            "labels_url": f"{api}/labels{{/name}}",
            "languages_url": f"{api}/languages",
            "merges_url": f"{api}/merges",
            "milestones_url": f"{api}/milestones{{/number}}",
            "notifications_url": f"{api}/notifications{{?since,all,participating}}",
            "pulls_url": f"{api}/pulls{{/number}}",
            "releases_url": f"{api}/releases{{/id}}",
            "ssh_url": f"git@{urllib.parse.urlsplit(self.urls.html).netloc}:{repo.full_name}.git",
            "stargazers_url": f"{api}/stargazers",
            "statuses_url": f"{api}/statuses/{{sha}}",
            "subscribers_url": f"{api}/subscribers",
            "subscription_url": f"{api}/subscription",
            "tags_url": f"{api}/tags",
            "teams_url": f"{api}/teams",
            "trees_url": f"{api}/git/trees{{/sha}}",
            "clone_url": f"{html}.git",
            "mirror_url": None,
            "hooks_url": f"{api}/hooks",
            "svn_url": html,
            "homepage": None,
            "language": None,
            "forks_count": forks,
            "forks": forks,
            "stargazers_count": 0,
            "watchers_count": 0,
            "watchers": 0,
            "size": sum(len(blob) for blob in repo.store.blobs.values()) // 1024,
            "default_branch": repo.default_branch,
            "open_issues_count": open_issues,
            "open_issues": open_issues,
            "is_template": False,
            "topics": [],
            "has_issues": True,
            "has_projects": True,
            "has_wiki": True,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "visibility": "private" if repo.private else "public",
            "pushed_at": iso(repo.pushed_at),
            "created_at": moment,
            "updated_at": moment,
            "allow_forking": True,
            "web_commit_signoff_required": False,
            "license": None,
            "network_count": forks,
            "subscribers_count": 0,
        }

    def pull_minimal(self, pull: PullRequest) -> Json:
        def side(repo: Repository, ref: str, sha: str) -> Json:
            return {
                "ref": ref,
                "sha": sha,
                "repo": {"id": repo.id, "url": self.urls.repo(repo), "name": repo.name},
            }

        return {
            "id": pull.id,
            "number": pull.number,
            "url": f"{self.urls.repo(pull.base_repo)}/pulls/{pull.number}",
            "head": side(pull.head_repo, pull.head_ref, pull.head_sha),
            "base": side(pull.base_repo, pull.base_ref, pull.base_sha),
        }

    # -- pull requests and comments -----------------------------------------------------------

    def author_association(self, repo: Repository, user: User) -> str:
        if user is repo.owner:
            return "OWNER"
        if ROLE_RANK[repo.role_of(user.login)] >= ROLE_RANK["write"] and user.login in repo.roles:
            return "COLLABORATOR"
        if any(p.user is user for p in repo.pulls.values()):
            return "CONTRIBUTOR"
        return "NONE"

    def label(self, repo: Repository, name: str, *, simple: bool) -> Json:
        number = stable_number(f"{repo.full_name}:{name}")
        return {
            "id": number,
            "node_id": node_id("Label", number),
            "url": f"{self.urls.repo(repo)}/labels/{urllib.parse.quote(name)}",
            "name": name,
            "description": "" if simple else None,
            "color": "ededed",
            "default": False,
        }

    def pull_request(self, pull: PullRequest, *, simple: bool = False) -> Json:
        """``pull-request`` (``GET /pulls/{n}``) or, with ``simple``, ``pull-request-simple`` (lists)."""
        repo = pull.base_repo
        api = f"{self.urls.repo(repo)}/pulls/{pull.number}"
        html = f"{self.urls.repo_html(repo)}/pull/{pull.number}"
        issue_api = f"{self.urls.repo(repo)}/issues/{pull.number}"

        def side(target: Repository, ref: str, sha: str) -> Json:
            return {
                "label": f"{target.owner.login}:{ref}",
                "ref": ref,
                "sha": sha,
                "user": self.user(target.owner),
                "repo": self.repository(target),
            }

        links = {
            "self": api,
            "html": html,
            "issue": issue_api,
            "comments": f"{issue_api}/comments",
            "review_comments": f"{api}/comments",
            "review_comment": f"{self.urls.repo(repo)}/pulls/comments{{/number}}",
            "commits": f"{api}/commits",
            "statuses": f"{self.urls.repo(repo)}/statuses/{pull.head_sha}",
        }
        body: Json = {
            "url": api,
            "id": pull.id,
            "node_id": node_id("PullRequest", pull.id),
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": issue_api,
            "commits_url": links["commits"],
            "review_comments_url": links["review_comments"],
            "review_comment_url": links["review_comment"],
            "comments_url": links["comments"],
            "statuses_url": links["statuses"],
            "number": pull.number,
            "state": pull.state,
            "locked": False,
            "title": pull.title,
            "user": self.user(pull.user),
            "body": pull.body,
            "labels": [self.label(repo, name, simple=simple) for name in pull.labels],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": iso(pull.created_at),
            "updated_at": iso(pull.updated_at),
            "closed_at": iso(pull.closed_at) if pull.closed_at else None,
            "merged_at": iso(pull.merged_at) if pull.merged_at else None,
            "merge_commit_sha": None,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "head": side(pull.head_repo, pull.head_ref, pull.head_sha),
            "base": side(repo, pull.base_ref, pull.base_sha),
            "_links": {name: {"href": href} for name, href in links.items()},
            "author_association": self.author_association(repo, pull.user),
            "auto_merge": None,
            "draft": pull.draft,
        }
        if simple:
            return body
        commits = repo.store.log(pull.head_sha, exclude=pull.base_sha)
        return body | {
            "merged": pull.merged_at is not None,
            "mergeable": None,
            "rebaseable": None,
            "mergeable_state": "unknown",
            "merged_by": None,
            "comments": sum(1 for c in repo.comments.values() if c.issue_number == pull.number),
            "review_comments": 0,
            "maintainer_can_modify": False,
            "commits": len(commits),
            "additions": sum(f.additions for f in pull.files),
            "deletions": sum(f.deletions for f in pull.files),
            "changed_files": len(pull.files),
        }

    def diff_entry(self, repo: Repository, change: PullFile, head_sha: str) -> Json:
        path = quote_path(change.filename)
        entry: Json = {
            "sha": change.sha,
            "filename": change.filename,
            "status": change.status,
            "additions": change.additions,
            "deletions": change.deletions,
            "changes": change.additions + change.deletions,
            "blob_url": f"{self.urls.repo_html(repo)}/blob/{head_sha}/{path}",
            "raw_url": f"{self.urls.repo_html(repo)}/raw/{head_sha}/{path}",
            "contents_url": f"{self.urls.repo(repo)}/contents/{path}?ref={head_sha}",
        }
        if change.patch is not None:
            entry["patch"] = change.patch
        if change.previous_filename is not None:
            entry["previous_filename"] = change.previous_filename
        return entry

    def reaction_rollup(self, repo: Repository, comment: IssueComment) -> Json:
        mine = [r for r in repo.reactions if r.comment_id == comment.id]
        rollup: Json = {
            "url": f"{self.urls.repo(repo)}/issues/comments/{comment.id}/reactions",
            "total_count": len(mine),
        }
        for content in REACTIONS:
            rollup[content] = sum(1 for r in mine if r.content == content)
        return rollup

    def issue_comment(self, repo: Repository, comment: IssueComment) -> Json:
        kind = "pull" if comment.issue_number in repo.pulls else "issues"
        html = self.urls.repo_html(repo)
        return {
            "id": comment.id,
            "node_id": node_id("IssueComment", comment.id),
            "url": f"{self.urls.repo(repo)}/issues/comments/{comment.id}",
            "html_url": f"{html}/{kind}/{comment.issue_number}#issuecomment-{comment.id}",
            "body": comment.body,
            "user": self.user(comment.user),
            "created_at": iso(comment.created_at),
            "updated_at": iso(comment.updated_at),
            "issue_url": f"{self.urls.repo(repo)}/issues/{comment.issue_number}",
            "author_association": self.author_association(repo, comment.user),
            "performed_via_github_app": self.app(comment.app),
            "reactions": self.reaction_rollup(repo, comment),
        }

    def reaction(self, reaction: Reaction) -> Json:
        return {
            "id": reaction.id,
            "node_id": node_id("Reaction", reaction.id),
            "user": self.user(reaction.user),
            "content": reaction.content,
            "created_at": iso(reaction.created_at),
        }

    # -- checks and statuses --------------------------------------------------------------------

    def check_run(self, repo: Repository, run: CheckRun) -> Json:
        api = f"{self.urls.repo(repo)}/check-runs/{run.id}"
        pulls = [
            self.pull_minimal(p)
            for p in sorted(repo.pulls.values(), key=lambda p: p.number)
            if p.head_sha == run.head_sha and not p.from_fork and p.state == "open"
        ]
        return {
            "id": run.id,
            "head_sha": run.head_sha,
            "node_id": node_id("CheckRun", run.id),
            "external_id": run.external_id,
            "url": api,
            "html_url": f"{self.urls.repo_html(repo)}/runs/{run.id}",
            "details_url": run.details_url if run.details_url is not None else self.urls.repo_html(repo),
            "status": run.status,
            "conclusion": run.conclusion,
            "started_at": iso(run.started_at) if run.started_at else None,
            "completed_at": iso(run.completed_at) if run.completed_at else None,
            "output": {
                "title": run.title,
                "summary": run.summary,
                "text": run.text,
                "annotations_count": len(run.annotations),
                "annotations_url": f"{api}/annotations",
            },
            "name": run.name,
            "check_suite": {"id": run.check_suite_id},
            "app": self.app(run.app),
            "pull_requests": pulls,
        }

    def status(self, repo: Repository, status: CommitStatus) -> Json:
        return self.simple_status(repo, status) | {"creator": self.user(status.creator)}

    def simple_status(self, repo: Repository, status: CommitStatus) -> Json:
        return {
            "url": f"{self.urls.repo(repo)}/statuses/{status.sha}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{status.creator.id}?v=4",
            "id": status.id,
            "node_id": node_id("StatusContext", status.id),
            "state": status.state,
            "description": status.description,
            "target_url": status.target_url,
            "context": status.context,
            "created_at": iso(status.created_at),
            "updated_at": iso(status.updated_at),
        }

    def combined_status(self, repo: Repository, sha: str, latest: list[CommitStatus]) -> Json:
        states = {s.state for s in latest}
        if states & {"error", "failure"}:
            state = "failure"
        elif not latest or "pending" in states:
            state = "pending"
        else:
            state = "success"
        return {
            "state": state,
            "statuses": [self.simple_status(repo, s) for s in latest],
            "sha": sha,
            "total_count": len(latest),
            "repository": self.repository(repo),
            "commit_url": f"{self.urls.repo(repo)}/commits/{sha}",
            "url": f"{self.urls.repo(repo)}/commits/{sha}/status",
        }

    # -- git data -----------------------------------------------------------------------------

    def person(self, repo: Repository, email: str) -> Json | None:
        """The account behind a commit e-mail (``login@users.noreply.github.com``), or ``None``."""
        login, _, domain = email.partition("@")
        user = self.state.users.get(login) if domain == "users.noreply.github.com" else None
        return self.user(user) if user is not None else None

    def _git_person(self, who: Any) -> Json:
        return {"name": who.name, "email": who.email, "date": iso(who.date)}

    def _verification(self) -> Json:
        return {
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
            "verified_at": None,
        }

    def git_commit(self, repo: Repository, commit: Commit) -> Json:
        api = self.urls.repo(repo)
        return {
            "sha": commit.sha,
            "node_id": node_id("Commit", stable_number(commit.sha)),
            "url": f"{api}/git/commits/{commit.sha}",
            "html_url": f"{self.urls.repo_html(repo)}/commit/{commit.sha}",
            "author": self._git_person(commit.author),
            "committer": self._git_person(commit.committer),
            "tree": {"sha": commit.tree, "url": f"{api}/git/trees/{commit.tree}"},
            "message": commit.message,
            "parents": [
                {
                    "sha": parent,
                    "url": f"{api}/git/commits/{parent}",
                    "html_url": f"{self.urls.repo_html(repo)}/commit/{parent}",
                }
                for parent in commit.parents
            ],
            "verification": self._verification(),
        }

    def commit(self, repo: Repository, commit: Commit, *, with_files: bool = False) -> Json:
        """``commit`` (``GET /commits/{ref}``); ``with_files`` adds ``stats`` and ``files``."""
        api = self.urls.repo(repo)
        body: Json = {
            "url": f"{api}/commits/{commit.sha}",
            "sha": commit.sha,
            "node_id": node_id("Commit", stable_number(commit.sha)),
            "html_url": f"{self.urls.repo_html(repo)}/commit/{commit.sha}",
            "comments_url": f"{api}/commits/{commit.sha}/comments",
            "commit": {
                "url": f"{api}/git/commits/{commit.sha}",
                "author": self._git_person(commit.author),
                "committer": self._git_person(commit.committer),
                "message": commit.message,
                "comment_count": 0,
                "tree": {"sha": commit.tree, "url": f"{api}/git/trees/{commit.tree}"},
                "verification": self._verification(),
            },
            "author": self.person(repo, commit.author.email),
            "committer": self.person(repo, commit.committer.email),
            "parents": [
                {
                    "sha": parent,
                    "url": f"{api}/commits/{parent}",
                    "html_url": f"{self.urls.repo_html(repo)}/commit/{parent}",
                }
                for parent in commit.parents
            ],
        }
        if with_files:
            parent = commit.parents[0] if commit.parents else None
            old_tree = repo.store.commits[parent].tree if parent in repo.store.commits else None
            files = []
            for change in repo.store.diff(old_tree, commit.tree):
                files.append(PullFile(change.filename, change.status, sha=change.new_sha or change.old_sha))
            body["files"] = [self.diff_entry(repo, f, commit.sha) for f in files]
            body["stats"] = {"additions": 0, "deletions": 0, "total": 0}
        return body

    def git_ref(self, repo: Repository, ref: str, sha: str) -> Json:
        kind = repo.store.object_type(sha) or "commit"
        plural = {"commit": "commits", "tree": "trees", "blob": "blobs"}[kind]
        return {
            "ref": ref,
            "node_id": node_id("Ref", stable_number(f"{repo.full_name}:{ref}")),
            "url": f"{self.urls.repo(repo)}/git/{quote_path(ref)}",
            "object": {"type": kind, "sha": sha, "url": f"{self.urls.repo(repo)}/git/{plural}/{sha}"},
        }

    def tree_entry(self, repo: Repository, entry: TreeEntry, path: str) -> Json:
        item: Json = {"path": path, "mode": entry.mode, "type": entry.type, "sha": entry.sha}
        if entry.type == "blob":
            item["size"] = len(repo.store.blobs.get(entry.sha, b""))
            item["url"] = f"{self.urls.repo(repo)}/git/blobs/{entry.sha}"
        elif entry.type == "tree":
            item["url"] = f"{self.urls.repo(repo)}/git/trees/{entry.sha}"
        return item

    def git_tree(self, repo: Repository, sha: str, *, recursive: bool = False) -> Json:
        entries: list[Json] = []

        def walk(tree: str, prefix: str) -> None:
            for entry in repo.store.trees[tree]:
                entries.append(self.tree_entry(repo, entry, prefix + entry.name))
                if recursive and entry.type == "tree":
                    walk(entry.sha, prefix + entry.name + "/")

        walk(sha, "")
        return {
            "sha": sha,
            "url": f"{self.urls.repo(repo)}/git/trees/{sha}",
            "tree": entries,
            "truncated": False,
        }

    def blob(self, repo: Repository, sha: str) -> Json:
        data = repo.store.blobs[sha]
        return {
            "sha": sha,
            "node_id": node_id("Blob", stable_number(sha)),
            "size": len(data),
            "url": f"{self.urls.repo(repo)}/git/blobs/{sha}",
            "content": wrapped_base64(data),
            "encoding": "base64",
        }

    def short_blob(self, repo: Repository, sha: str) -> Json:
        return {"url": f"{self.urls.repo(repo)}/git/blobs/{sha}", "sha": sha}

    # -- contents -------------------------------------------------------------------------------

    def _content_links(self, repo: Repository, entry: TreeEntry, path: str, ref: str) -> Json:
        quoted = quote_path(path)
        self_url = f"{self.urls.repo(repo)}/contents/{quoted}?ref={urllib.parse.quote(ref, safe='')}"
        kind = "tree" if entry.type == "tree" else "blob"
        plural = "trees" if entry.type == "tree" else "blobs"
        git_url = f"{self.urls.repo(repo)}/git/{plural}/{entry.sha}"
        html_url = f"{self.urls.repo_html(repo)}/{kind}/{ref}/{quoted}"
        return {"url": self_url, "git_url": git_url, "html_url": html_url}

    def content_entry(self, repo: Repository, entry: TreeEntry, path: str, ref: str) -> Json:
        """One item of a directory listing (``content-directory``)."""
        links = self._content_links(repo, entry, path, ref)
        is_file = entry.type == "blob"
        return {
            "type": "file" if is_file else "dir",
            "size": len(repo.store.blobs.get(entry.sha, b"")) if is_file else 0,
            "name": entry.name,
            "path": path,
            "sha": entry.sha,
            **links,
            "download_url": f"{self.urls.storage}/raw/{repo.full_name}/{ref}/{quote_path(path)}"
            if is_file
            else None,
            "_links": {"self": links["url"], "git": links["git_url"], "html": links["html_url"]},
        }

    def content_file(self, repo: Repository, entry: TreeEntry, path: str, ref: str) -> Json:
        return self.content_entry(repo, entry, path, ref) | {
            "content": wrapped_base64(repo.store.blobs[entry.sha]),
            "encoding": "base64",
        }

    def file_commit(self, repo: Repository, entry: TreeEntry, path: str, branch: str, commit: Commit) -> Json:
        content = self.content_entry(repo, entry, path, branch)
        return {"content": content, "commit": self.git_commit(repo, commit)}

    def comparison(
        self,
        repo: Repository,
        basehead: str,
        *,
        base: Commit,
        head: Commit,
        merge_base: Commit,
        ahead: list[str],
        behind: list[str],
    ) -> Json:
        if base.sha == head.sha:
            status = "identical"
        elif not behind:
            status = "ahead"
        elif not ahead:
            status = "behind"
        else:
            status = "diverged"
        html_base = self.urls.repo_html(repo)
        html = f"{html_base}/compare/{basehead}"
        owner = repo.owner.login
        files = [
            PullFile(change.filename, change.status, sha=change.new_sha or change.old_sha)
            for change in repo.store.diff(merge_base.tree, head.tree)
        ]
        return {
            "url": f"{self.urls.repo(repo)}/compare/{basehead}",
            "html_url": html,
            "permalink_url": f"{html_base}/compare/{owner}:{base.sha[:7]}...{owner}:{head.sha[:7]}",
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "base_commit": self.commit(repo, base),
            "merge_base_commit": self.commit(repo, merge_base),
            "status": status,
            "ahead_by": len(ahead),
            "behind_by": len(behind),
            "total_commits": len(ahead),
            "commits": [self.commit(repo, repo.store.commits[sha]) for sha in reversed(ahead)],
            "files": [self.diff_entry(repo, f, head.sha) for f in files],
        }

    # -- collaborators --------------------------------------------------------------------------

    def collaborator_permission(self, repo: Repository, user: User) -> Json:
        role = repo.role_of(user.login)
        permission, role_name = ROLES[role]
        rank = ROLE_RANK[role]
        flags = {
            "pull": rank >= ROLE_RANK["read"],
            "triage": rank >= ROLE_RANK["triage"],
            "push": rank >= ROLE_RANK["write"],
            "maintain": rank >= ROLE_RANK["maintain"],
            "admin": rank >= ROLE_RANK["admin"],
        }
        return {
            "permission": permission,
            "role_name": role_name,
            "user": self.user(user) | {"permissions": flags, "role_name": role_name},
        }

    # -- GitHub Actions -------------------------------------------------------------------------

    def minimal_repository(self, repo: Repository) -> Json:
        return self.repository(repo)

    def workflow_run(self, repo: Repository, run: WorkflowRun) -> Json:
        """``workflow-run``. Runs whose head is in a fork list no pull requests, as on GitHub."""
        api = f"{self.urls.repo(repo)}/actions/runs/{run.id}"
        suite = repo.check_suite_for(self.state.actions_app, run.head_sha)
        head = repo.store.commits.get(run.head_sha)
        pulls = (
            [] if run.head_repo is not repo else [self.pull_minimal(repo.pulls[n]) for n in run.pull_requests]
        )
        head_commit = None
        if head is not None:
            head_commit = {
                "id": head.sha,
                "tree_id": head.tree,
                "message": head.message,
                "timestamp": iso(head.committer.date),
                "author": {"name": head.author.name, "email": head.author.email},
                "committer": {"name": head.committer.name, "email": head.committer.email},
            }
        return {
            "id": run.id,
            "name": run.name,
            "node_id": node_id("WorkflowRun", run.id),
            "check_suite_id": suite,
            "check_suite_node_id": node_id("CheckSuite", suite),
            "head_branch": run.head_branch,
            "head_sha": run.head_sha,
            "path": run.path,
            "display_title": run.display_title,
            "run_number": run.run_number,
            "event": run.event,
            "status": run.status,
            "conclusion": run.conclusion,
            "workflow_id": run.workflow_id,
            "url": api,
            "html_url": f"{self.urls.repo_html(repo)}/actions/runs/{run.id}",
            "pull_requests": pulls,
            "created_at": iso(run.created_at),
            "updated_at": iso(run.updated_at),
            "actor": self.user(run.actor),
            "triggering_actor": self.user(run.actor),
            "run_attempt": run.run_attempt,
            "referenced_workflows": [],
            "run_started_at": iso(run.created_at),
            "jobs_url": f"{api}/jobs",
            "logs_url": f"{api}/logs",
            "check_suite_url": f"{self.urls.repo(repo)}/check-suites/{suite}",
            "artifacts_url": f"{api}/artifacts",
            "cancel_url": f"{api}/cancel",
            "rerun_url": f"{api}/rerun",
            "previous_attempt_url": f"{api}/attempts/{run.run_attempt - 1}" if run.run_attempt > 1 else None,
            "workflow_url": f"{self.urls.repo(repo)}/actions/workflows/{run.workflow_id}",
            "head_commit": head_commit,
            "repository": self.minimal_repository(repo),
            "head_repository": self.minimal_repository(run.head_repo),
            "head_repository_id": run.head_repo.id,
        }

    def job(self, repo: Repository, job: Job) -> Json:
        """``job``: no steps, no runner assigned (the fake runs nothing), the run's head and workflow."""
        run = repo.workflow_runs[job.run_id]
        return {
            "id": job.id,
            "run_id": run.id,
            "run_url": f"{self.urls.repo(repo)}/actions/runs/{run.id}",
            "run_attempt": job.run_attempt,
            "node_id": node_id("CheckRun", job.id),
            "head_sha": run.head_sha,
            "url": f"{self.urls.repo(repo)}/actions/jobs/{job.id}",
            "html_url": f"{self.urls.repo_html(repo)}/actions/runs/{run.id}/job/{job.id}",
            "status": job.status,
            "conclusion": job.conclusion,
            "created_at": iso(job.created_at),
            "started_at": iso(job.started_at),
            "completed_at": iso(job.completed_at) if job.completed_at else None,
            "name": job.name,
            "steps": [],
            "check_run_url": f"{self.urls.repo(repo)}/check-runs/{job.id}",
            "labels": list(job.labels),
            "runner_id": None,
            "runner_name": None,
            "runner_group_id": None,
            "runner_group_name": None,
            "workflow_name": run.name,
            "head_branch": run.head_branch,
        }

    def artifact(self, repo: Repository, artifact: Artifact) -> Json:
        api = f"{self.urls.repo(repo)}/actions/artifacts/{artifact.id}"
        run = repo.workflow_runs[artifact.run_id]
        return {
            "id": artifact.id,
            "node_id": node_id("Artifact", artifact.id),
            "name": artifact.name,
            "size_in_bytes": len(artifact.data),
            "url": api,
            "archive_download_url": f"{api}/zip",
            "expired": artifact.expired,
            "created_at": iso(artifact.created_at),
            "expires_at": iso(artifact.expires_at),
            "updated_at": iso(artifact.created_at),
            "digest": "sha256:" + hashlib.sha256(artifact.data).hexdigest(),
            "workflow_run": {
                "id": run.id,
                "repository_id": repo.id,
                "head_repository_id": run.head_repo.id,
                "head_branch": run.head_branch or "",
                "head_sha": run.head_sha,
            },
        }

    # -- account --------------------------------------------------------------------------------

    def rate_limit(self, token: Token, reset: int) -> Json:
        core = {
            "limit": token.rate_limit,
            "remaining": token.remaining,
            "reset": reset,
            "used": token.used,
            "resource": "core",
        }
        search = {"limit": 30, "remaining": 30, "reset": reset, "used": 0, "resource": "search"}
        graphql = {"limit": 5000, "remaining": 5000, "reset": reset, "used": 0, "resource": "graphql"}
        return {"resources": {"core": core, "search": search, "graphql": graphql}, "rate": core}
