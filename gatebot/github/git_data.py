"""The Git Data API calls the baselines branch needs: refs, trees, blobs, commits, and ancestry.

Nothing here knows the branch's layout or file formats (that is `gatebot.baselines.layout`); these
are the bytes-in, SHAs-out calls `gatebot.baselines.branch` builds its reads and its
compare-and-swap writes on.
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from github import Github, GithubException

from gatebot.errors import GatebotError
from gatebot.github.client import GitHubAPIError, call

_READ = "contents: read"
_WRITE = "contents: write"
_WRITE_HINT = "the job that records baselines needs `permissions: {contents: write}`"


@dataclass(frozen=True)
class Item:
    """One entry of a git tree: its type (``blob``, ``tree``, ``commit``), mode and object id.

    The mode tells a regular file (``100644``, ``100755``) from a symbolic link (``120000``), both
    blobs; a tree is ``040000`` and a submodule ``160000``.
    """

    type: str
    sha: str
    mode: str


def file_item(path: str, *, content: str | None = None, sha: str | None = None) -> dict[str, Any]:
    """One regular file of a `POST /git/trees` body: inline text, or an uploaded blob."""
    item: dict[str, Any] = {"path": path, "mode": "100644", "type": "blob"}
    if content is not None:
        item["content"] = content
    else:
        item["sha"] = sha
    return item


def _ref_race(error: GithubException) -> str | None:
    """What GitHub said, when it refused a ref change because another writer moved the branch first.

    422 `Update is not a fast forward` (the branch moved), `Reference already exists` (another run
    created the branch), `Reference does not exist` (it was deleted meanwhile); 409 is the conflict
    the API description lists for ref updates.
    """
    data = error.data if isinstance(error.data, dict) else {}
    message = str(data.get("message") or error.status)
    races = ("not a fast forward", "already exists", "does not exist")
    if error.status == 409 or (error.status == 422 and any(r in message.lower() for r in races)):
        return message
    return None


class GitData:
    """The few Git Data API calls the baselines branch needs, on `Github.requester`.

    PyGithub's `create_git_commit` wants parent `GitCommit` objects and `create_git_tree` a
    `GitTree`, each one more GET; and `GitRef.edit` on a lazily made ref PATCHes `/git/ref/...`,
    which GitHub's API description does not list. `Github.requester` is PyGithub's public way to
    call an endpoint by its documented path, with the client's retries, timeout and throttling.
    """

    def __init__(self, gh: Github, repository: str) -> None:
        self._requester = gh.requester
        self._repository = repository
        self._base = f"/repos/{urllib.parse.quote(repository, safe='/')}"
        self._trees: dict[str, dict[str, Item]] = {}
        self._commit_trees: dict[str, str] = {}

    def _send(
        self, verb: str, path: str, *, parameters: dict[str, Any] | None = None, body: Any = None
    ) -> Any:
        _, data = self._requester.requestJsonAndCheck(
            verb, self._base + path, parameters=parameters, input=body
        )
        return data

    def _write(self, doing: str, fn: Callable[[], Any]) -> Any:
        try:
            return call(doing, _WRITE, fn)
        except GitHubAPIError as error:
            if error.status in (403, 404):
                raise GitHubAPIError(error.message, _WRITE_HINT, status=error.status) from None
            raise

    def ref(self, branch: str) -> str | None:
        """The commit `branch` points at, or None when there is no such branch."""

        def get() -> str | None:
            try:
                data = self._send("GET", f"/git/ref/heads/{urllib.parse.quote(branch, safe='/')}")
            except GithubException as error:
                if error.status == 404:
                    return None
                raise
            return str(data["object"]["sha"])

        return call(f"reading branch {branch} of {self._repository}", _READ, get)

    def tree(self, sha: str) -> tuple[str, dict[str, Item]]:
        """The entries of a tree, by tree or commit SHA. Trees never change, so each is fetched once."""
        tree_sha = self._commit_trees.get(sha, sha)
        if tree_sha not in self._trees:
            data = call(
                f"reading tree {sha[:12]} of {self._repository}",
                _READ,
                lambda: self._send("GET", f"/git/trees/{sha}"),
            )
            if data.get("truncated"):
                raise GatebotError(
                    f"GitHub truncated tree {sha[:12]} of {self._repository}",
                    "the baselines branch holds more files in one directory than GitHub lists",
                )
            tree_sha = str(data["sha"])
            self._trees[tree_sha] = {
                str(item["path"]): Item(str(item["type"]), str(item["sha"]), str(item["mode"]))
                for item in data["tree"]
            }
            if tree_sha != sha:
                self._commit_trees[sha] = tree_sha
        return tree_sha, self._trees[tree_sha]

    def walk(self, root: str, path: str) -> list[tuple[str, Item]]:
        """The entries along `path` below tree (or commit) `root`, each with its path, as far as they
        exist: the walk stops at a missing name, and at an entry that is not a tree before the end.

        One tree is read per directory level. Whether each entry is what the caller expects there is
        the caller's to judge: a file where a directory should be is not the same as nothing there.
        """
        found: list[tuple[str, Item]] = []
        _, items = self.tree(root)
        parts = path.split("/")
        for depth, part in enumerate(parts, start=1):
            item = items.get(part)
            if item is None:
                break
            found.append(("/".join(parts[:depth]), item))
            if depth == len(parts) or item.type != "tree":
                break
            _, items = self.tree(item.sha)
        return found

    def blob(self, sha: str) -> bytes:
        # Blobs come whole up to 100 MB; the contents API stops at 1 MB.
        data = call(
            f"reading blob {sha[:12]} of {self._repository}",
            _READ,
            lambda: self._send("GET", f"/git/blobs/{sha}"),
        )
        return base64.b64decode(str(data["content"]))

    def create_blob(self, content: bytes) -> str:
        body = {"content": base64.b64encode(content).decode("ascii"), "encoding": "base64"}
        data = self._write(
            f"writing a blob to {self._repository}", lambda: self._send("POST", "/git/blobs", body=body)
        )
        return str(data["sha"])

    def create_tree(self, base_tree: str | None, items: list[dict[str, Any]]) -> str:
        body: dict[str, Any] = {"tree": items}
        if base_tree is not None:
            body["base_tree"] = base_tree
        data = self._write(
            f"writing a tree to {self._repository}", lambda: self._send("POST", "/git/trees", body=body)
        )
        return str(data["sha"])

    def create_commit(self, message: str, tree: str, parents: list[str]) -> str:
        body = {"message": message, "tree": tree, "parents": parents}
        data = self._write(
            f"writing a commit to {self._repository}", lambda: self._send("POST", "/git/commits", body=body)
        )
        return str(data["sha"])

    def move_ref(self, branch: str, old: str | None, new: str) -> str | None:
        """Point `branch` at `new` if it still points at `old` (None: create it).

        Returns None when it did, else what GitHub said about the branch having moved.

        The update is never forced: GitHub accepts it only when `new` descends from the branch's
        current commit, and `new`'s parent is `old`, so it succeeds only while the branch is at `old`.
        """

        def send() -> str | None:
            try:
                if old is None:
                    self._send("POST", "/git/refs", body={"ref": f"refs/heads/{branch}", "sha": new})
                else:
                    # The documented update path is /git/refs/{ref} (plural), unlike the GET above.
                    path = f"/git/refs/heads/{urllib.parse.quote(branch, safe='/')}"
                    self._send("PATCH", path, body={"sha": new, "force": False})
            except GithubException as error:
                said = _ref_race(error)
                if said is None:
                    raise
                return said
            return None

        moved: str | None = self._write(f"moving branch {branch} of {self._repository}", send)
        return moved

    def compare_status(self, base: str, head: str) -> str | None:
        """GitHub's `status` of `head` relative to `base`, or None for unknown or unrelated commits."""

        def get() -> str | None:
            path = f"/compare/{urllib.parse.quote(base, safe='')}...{urllib.parse.quote(head, safe='')}"
            try:
                # One commit per page: only `status` is read, not the list of commits.
                data = self._send("GET", path, parameters={"per_page": 1})
            except GithubException as error:
                if error.status == 404:
                    return None
                raise
            return str(data["status"])

        return call(f"comparing {base[:12]}...{head[:12]} in {self._repository}", _READ, get)


def github_is_ancestor(gh: Github, repository: str) -> Callable[[str, str], bool]:
    """`is_ancestor(ancestor, descendant)` answered by GitHub's compare API, each pair asked once.

    `ancestor...descendant` is `identical` or `ahead` exactly when `ancestor` is reachable from
    `descendant`. A commit GitHub does not know (e.g. force-pushed away) is no ancestor.
    """
    git = GitData(gh, repository)
    answers: dict[tuple[str, str], bool] = {}

    def is_ancestor(ancestor: str, descendant: str) -> bool:
        if ancestor == descendant:
            return True
        key = (ancestor, descendant)
        if key not in answers:
            answers[key] = git.compare_status(ancestor, descendant) in ("identical", "ahead")
        return answers[key]

    return is_ancestor
