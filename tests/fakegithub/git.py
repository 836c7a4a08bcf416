"""A small git object database: blobs, trees, commits with real git SHA-1s, and the commit graph.

Repositories of one fork network share one :class:`ObjectStore`, as on GitHub, so a pull request
from a fork can name commits that only the fork's branch points at. Refs live on the repository
(see ``state.py``); this module only knows objects and their ancestry.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

BLOB_MODE = "100644"
TREE_MODE = "040000"


@dataclass(frozen=True)
class Signature:
    name: str
    email: str
    date: datetime


@dataclass(frozen=True)
class TreeEntry:
    name: str
    mode: str
    type: str  # "blob" | "tree" | "commit"
    sha: str


@dataclass(frozen=True)
class Commit:
    sha: str
    tree: str
    parents: tuple[str, ...]
    message: str
    author: Signature
    committer: Signature


@dataclass(frozen=True)
class FileChange:
    """One file that differs between two trees."""

    filename: str
    status: str  # "added" | "removed" | "modified"
    old_sha: str | None
    new_sha: str | None


def _signature_line(kind: str, who: Signature) -> str:
    return f"{kind} {who.name} <{who.email}> {int(who.date.timestamp())} +0000"


def _tree_sort_key(entry: TreeEntry) -> bytes:
    return (entry.name + "/" if entry.type == "tree" else entry.name).encode()


@dataclass
class ObjectStore:
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, tuple[TreeEntry, ...]] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)

    # -- writing objects -----------------------------------------------------------------------

    def put_blob(self, data: bytes) -> str:
        sha = hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
        self.blobs[sha] = data
        return sha

    def put_tree(self, entries: Iterable[TreeEntry]) -> str:
        ordered = tuple(sorted(entries, key=_tree_sort_key))
        payload = b"".join(
            f"{entry.mode.lstrip('0')} {entry.name}".encode() + b"\0" + bytes.fromhex(entry.sha)
            for entry in ordered
        )
        sha = hashlib.sha1(b"tree %d\0" % len(payload) + payload, usedforsecurity=False).hexdigest()
        self.trees[sha] = ordered
        return sha

    def put_commit(
        self,
        tree: str,
        parents: Iterable[str],
        message: str,
        *,
        author: Signature,
        committer: Signature,
        sha: str | None = None,
    ) -> str:
        """Store a commit; ``sha`` may be given to stand in for a commit known only by its id."""
        parents = tuple(parents)
        if sha is None:
            lines = [f"tree {tree}", *(f"parent {p}" for p in parents)]
            lines += [_signature_line("author", author), _signature_line("committer", committer), "", message]
            text = "\n".join(lines).encode()
            sha = hashlib.sha1(b"commit %d\0" % len(text) + text, usedforsecurity=False).hexdigest()
        self.commits[sha] = Commit(sha, tree, parents, message, author, committer)
        return sha

    def object_type(self, sha: str) -> str | None:
        if sha in self.commits:
            return "commit"
        if sha in self.trees:
            return "tree"
        if sha in self.blobs:
            return "blob"
        return None

    # -- trees ---------------------------------------------------------------------------------

    def empty_tree(self) -> str:
        return self.put_tree(())

    def edit_tree(self, base_tree: str | None, changes: Mapping[str, TreeEntry | None]) -> str:
        """A new tree: ``base_tree`` with ``path → entry`` set (``None`` removes the path).

        Paths may contain ``/``; intermediate trees are created or rewritten, as GitHub's
        ``POST /git/trees`` with ``base_tree`` does.
        """
        entries = {e.name: e for e in self.trees.get(base_tree, ())} if base_tree else {}
        nested: dict[str, dict[str, TreeEntry | None]] = {}
        for path, entry in changes.items():
            head, _, rest = path.partition("/")
            if rest:
                nested.setdefault(head, {})[rest] = entry
            elif entry is None:
                entries.pop(head, None)
            else:
                entries[head] = TreeEntry(head, entry.mode, entry.type, entry.sha)
        for name, sub_changes in nested.items():
            current = entries.get(name)
            sub_base = current.sha if current is not None and current.type == "tree" else None
            sub_tree = self.edit_tree(sub_base, sub_changes)
            if self.trees[sub_tree]:
                entries[name] = TreeEntry(name, TREE_MODE, "tree", sub_tree)
            else:
                entries.pop(name, None)
        return self.put_tree(entries.values())

    def lookup(self, tree: str, path: str) -> TreeEntry | None:
        """The entry at ``path`` under ``tree`` (``""`` is the tree itself)."""
        current = TreeEntry("", TREE_MODE, "tree", tree)
        for part in [p for p in path.split("/") if p]:
            if current.type != "tree":
                return None
            found = next((e for e in self.trees.get(current.sha, ()) if e.name == part), None)
            if found is None:
                return None
            current = found
        return current

    def flatten(self, tree: str, prefix: str = "") -> dict[str, TreeEntry]:
        """Every blob under ``tree`` by full path."""
        files: dict[str, TreeEntry] = {}
        for entry in self.trees.get(tree, ()):
            path = prefix + entry.name
            if entry.type == "tree":
                files.update(self.flatten(entry.sha, path + "/"))
            else:
                files[path] = entry
        return files

    def diff(self, old_tree: str | None, new_tree: str | None) -> list[FileChange]:
        old = self.flatten(old_tree) if old_tree else {}
        new = self.flatten(new_tree) if new_tree else {}
        changes = []
        for path in sorted(set(old) | set(new)):
            before, after = old.get(path), new.get(path)
            if before is None and after is not None:
                changes.append(FileChange(path, "added", None, after.sha))
            elif after is None and before is not None:
                changes.append(FileChange(path, "removed", before.sha, None))
            elif before is not None and after is not None and before.sha != after.sha:
                changes.append(FileChange(path, "modified", before.sha, after.sha))
        return changes

    # -- the commit graph ------------------------------------------------------------------------

    def ancestors(self, sha: str) -> set[str]:
        """``sha`` and every commit reachable from it."""
        seen: set[str] = set()
        queue = deque([sha])
        while queue:
            current = queue.popleft()
            if current in seen:
                continue
            seen.add(current)
            commit = self.commits.get(current)
            if commit is not None:
                queue.extend(commit.parents)
        return seen

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        return ancestor in self.ancestors(descendant)

    def merge_base(self, a: str, b: str) -> str | None:
        """The best common ancestor: a common ancestor no other common ancestor descends from."""
        common = self.ancestors(a) & self.ancestors(b)
        for candidate in self.log(b):
            if candidate in common:
                return candidate
        return None

    def log(self, head: str, exclude: str | None = None) -> list[str]:
        """Commits reachable from ``head`` (and not from ``exclude``), newest first, like ``git log``."""
        hidden = self.ancestors(exclude) if exclude else set()
        reachable = [sha for sha in self.ancestors(head) if sha not in hidden]
        children_first: list[str] = []
        pending = {sha: 0 for sha in reachable}
        for sha in reachable:
            commit = self.commits.get(sha)
            for parent in commit.parents if commit else ():
                if parent in pending:
                    pending[parent] += 1
        ready = sorted((sha for sha, count in pending.items() if count == 0), key=self._date_key)
        while ready:
            sha = ready.pop()
            children_first.append(sha)
            commit = self.commits.get(sha)
            for parent in commit.parents if commit else ():
                if parent in pending:
                    pending[parent] -= 1
                    if pending[parent] == 0:
                        ready.append(parent)
                        ready.sort(key=self._date_key)
        return children_first

    def _date_key(self, sha: str) -> tuple[float, str]:
        commit = self.commits.get(sha)
        return (commit.committer.date.timestamp() if commit else 0.0, sha)
