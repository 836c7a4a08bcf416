"""Baselines kept on a branch of the repository, written and read through GitHub's Git Data API.

The branch (``gatebot-baselines`` unless configured) has no common history with the code. Per model
and benchmark it holds an append-only ``history.jsonl`` and, for each record, the full results file
(gzip-compressed). Nothing is checked out: reads walk trees and fetch blobs, writes create a blob,
a tree on top of the tip's tree, a commit, and then move the branch with a non-forced update, which
GitHub refuses unless the new commit descends from the current tip. That refusal is the
compare-and-swap that lets concurrent runs append without losing each other's records: the loser
re-reads the tip and appends its line to the new history. See docs/baselines-branch.md.

Layout, file formats and the choice of a baseline are plain functions (top of the module); the
`BaselineStore` class only moves bytes.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import math
import random
import re
import time
import urllib.parse
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Annotated, Any

import msgspec
import numpy as np
from github import Github, GithubException

from gatebot.errors import GatebotError, InputError
from gatebot.github.client import GitHubAPIError, call
from gatebot.results import Results, parse_results, results_document

DEFAULT_BRANCH = "gatebot-baselines"
HISTORY_SCHEMA = "gatebot/baseline-history@1"
HISTORY_SCHEMA_PREFIX = "gatebot/baseline-history@"
LAYOUT_SCHEMA = "gatebot/baselines-branch@1"
LAYOUT_SCHEMA_PREFIX = "gatebot/baselines-branch@"
MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0

ROOT = "baselines"
LAYOUT_FILE = "layout.json"
README_FILE = "README.md"
HISTORY_FILE = "history.jsonl"
ENTRIES_DIR = "entries"

_READ = "contents: read"
_WRITE = "contents: write"
_WRITE_HINT = "the job that records baselines needs `permissions: {contents: write}`"
_COMMIT_PATTERN = r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$"  # SHA-1, or SHA-256 for repositories that use it
_COMMIT = re.compile(_COMMIT_PATTERN)
_BRANCH = re.compile(r"^(?!-)(?!.*\.\.)(?!.*//)(?!.*\.lock$)[A-Za-z0-9._/-]+(?<![/.])$")

CommitSha = Annotated[str, msgspec.Meta(pattern=_COMMIT_PATTERN)]
Sha256 = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]


# -- layout (pure) -----------------------------------------------------------------------------------


def check_branch_name(branch: str) -> str:
    """`branch` if git would accept it as a branch name gatebot can put in a URL path."""
    if branch.startswith(("/", "refs/")) or not _BRANCH.match(branch):
        raise GatebotError(
            f"baselines branch {branch!r} is not a valid branch name",
            "use letters, digits, '.', '_', '-' and '/' (e.g. gatebot-baselines)",
        )
    return branch


def _check_part(kind: str, name: str) -> str:
    if (
        not name
        or name.startswith(".")
        or any(c in name for c in "/\\")
        or any(ord(c) < 32 or ord(c) == 127 for c in name)
    ):
        raise InputError(
            f"{kind} name {name!r} cannot name a directory on the baselines branch",
            "use a plain name without '/', '\\', control characters or a leading '.'",
        )
    return name


def pair_dir(model: str, benchmark: str) -> str:
    """The directory of one model and benchmark: ``baselines/<model>/<benchmark>``."""
    return f"{ROOT}/{_check_part('model', model)}/{_check_part('benchmark', benchmark)}"


def history_path(model: str, benchmark: str) -> str:
    return f"{pair_dir(model, benchmark)}/{HISTORY_FILE}"


def entry_path(model: str, benchmark: str, commit: str, sha256: str) -> str:
    """Where the results recorded for `commit` live. The digest in the name keeps a different
    result for the same commit from ever replacing a recorded file."""
    return f"{pair_dir(model, benchmark)}/{ENTRIES_DIR}/{commit}-{sha256[:16]}.json.gz"


def _where(branch: str, path: str) -> str:
    """How errors name a file: the ``<rev>:<path>`` that `git show origin/<rev>:<path>` takes."""
    return f"{branch}:{path}"


def _inspect_hint(branch: str, path: str) -> str:
    return (
        f"inspect it with `git fetch origin {branch} && git show origin/{branch}:{path}`; "
        "docs/baselines-branch.md says how to repair it"
    )


# -- file formats (pure) ------------------------------------------------------------------------------


class _Probe(msgspec.Struct):
    schema: Any = None


class _LayoutV1(msgspec.Struct, forbid_unknown_fields=True):
    """``layout.json``: marks the branch as gatebot's and versions the layout below it."""

    schema: str


class _HistoryLineV1(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One line of ``history.jsonl``. Field order is the order in the file; keep `schema` first."""

    schema: str
    """`gatebot/baseline-history@1`."""
    commit: CommitSha
    """The commit of the code repository the results were produced on."""
    recorded_at: str
    """When the record was made (RFC 3339, as the recorder gave it)."""
    metrics: dict[str, float]
    """Aggregate metrics, copied from the results so the history reads without the entry."""
    provenance: dict[str, Any]
    """Provenance, copied from the results."""
    entry: str
    """Path of the gzip-compressed `gatebot/results@1` file, from the branch root."""
    entry_sha256: Sha256
    """SHA-256 of the uncompressed results file: checked on load, and what makes a rerun identical."""
    run_url: str | None = None
    """The workflow run that recorded it, when known."""


_LAYOUT_BYTES = msgspec.json.encode(_LayoutV1(LAYOUT_SCHEMA)) + b"\n"
_LAYOUT_BLOB_SHA = hashlib.sha1(
    b"blob %d\0" % len(_LAYOUT_BYTES) + _LAYOUT_BYTES, usedforsecurity=False
).hexdigest()


@dataclass(frozen=True)
class HistoryEntry:
    """One record of a model's results on a benchmark, as read from ``history.jsonl``."""

    model: str
    benchmark: str
    commit: str
    recorded_at: str
    metrics: dict[str, float]
    provenance: dict[str, Any]
    entry: str
    """Path of the entry file on the branch (``git show origin/<branch>:<entry> | gunzip``)."""
    entry_sha256: str
    run_url: str | None
    line: int
    """Line number in ``history.jsonl``."""
    branch_commit: str = field(compare=False)
    """The commit of the baselines branch this record was read from (or written in); not part of
    the record's identity: the same line read at a later tip is the same record."""


@dataclass(frozen=True)
class RecordOutcome:
    """What `BaselineStore.record` did."""

    branch_commit: str
    """The commit of the baselines branch that holds the record."""
    attempts: int
    """1 unless other runs moved the branch in between and the record was re-applied on top."""
    appended: bool
    """False when an identical record for this commit was already there (a rerun)."""
    entry: HistoryEntry


def encode_entry(results: Results) -> tuple[bytes, str]:
    """The uncompressed results document of an entry and its SHA-256."""
    document = msgspec.json.encode(results_document(results)) + b"\n"
    return document, hashlib.sha256(document).hexdigest()


def compress(document: bytes) -> bytes:
    """gzip with no timestamp or name in the header, so the same results give the same bytes."""
    return gzip.compress(document, compresslevel=6, mtime=0)


def history_line(
    results: Results, *, commit: str, recorded_at: str, entry: str, sha256: str, run_url: str | None
) -> bytes:
    """One line of ``history.jsonl``, newline included."""
    line = _HistoryLineV1(
        schema=HISTORY_SCHEMA,
        commit=commit,
        recorded_at=recorded_at,
        metrics=dict(results.metrics),
        provenance=dict(results.provenance),
        entry=entry,
        entry_sha256=sha256,
        run_url=run_url,
    )
    return msgspec.json.encode(line) + b"\n"


def append_line(history: bytes, line: bytes) -> bytes:
    """`history` with `line` after it. Existing bytes are kept exactly: a record is never rewritten."""
    if history and not history.endswith(b"\n"):
        history += b"\n"
    return history + line


def _schema_problem(where: str, schema: Any, current: str, prefix: str, hint: str) -> InputError:
    if isinstance(schema, str) and schema.startswith(prefix):
        return InputError(
            f"{where}: schema {schema!r} is a format this gatebot does not know",
            f"this version reads {current}; upgrade gatebot",
        )
    return InputError(f"{where}: schema is {schema!r}, expected {current!r}", hint)


def _decode_problem(error: msgspec.DecodeError) -> str:
    text = str(error).replace("`", "")
    problem, _, path = text.partition(" - at $")
    path = path.lstrip(".")
    return f"{path}: {problem}" if path else f"malformed JSON: {problem}"


def parse_history(
    data: bytes, *, branch: str, model: str, benchmark: str, branch_commit: str
) -> list[HistoryEntry]:
    """Every record of a ``history.jsonl``, oldest first.

    A line that does not decode, has an unknown schema or breaks the format is an `InputError`
    naming the branch, the file and the line: no record is ever skipped.
    """
    path = history_path(model, benchmark)
    hint = _inspect_hint(branch, path)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{_where(branch, path)}: not UTF-8 text (byte {error.start})", hint) from None
    probe_decoder = msgspec.json.Decoder(_Probe)
    decoder = msgspec.json.Decoder(_HistoryLineV1)
    entries: list[HistoryEntry] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        where = f"{_where(branch, path)}:{number}"
        try:
            schema = probe_decoder.decode(raw).schema
        except msgspec.DecodeError as error:
            raise InputError(f"{where}: {_decode_problem(error)}", hint) from None
        if schema != HISTORY_SCHEMA:
            raise _schema_problem(where, schema, HISTORY_SCHEMA, HISTORY_SCHEMA_PREFIX, hint)
        try:
            line = decoder.decode(raw)
        except msgspec.DecodeError as error:
            raise InputError(f"{where}: {_decode_problem(error)}", hint) from None
        entries.append(
            HistoryEntry(
                model=model,
                benchmark=benchmark,
                commit=line.commit,
                recorded_at=line.recorded_at,
                metrics=line.metrics,
                provenance=line.provenance,
                entry=line.entry,
                entry_sha256=line.entry_sha256,
                run_url=line.run_url,
                line=number,
                branch_commit=branch_commit,
            )
        )
    return entries


def parse_layout(data: bytes, *, branch: str) -> None:
    """Check ``layout.json``: the branch is gatebot's and its layout is one this version knows."""
    where = _where(branch, LAYOUT_FILE)
    hint = _inspect_hint(branch, LAYOUT_FILE)
    try:
        schema = msgspec.json.decode(data, type=_Probe).schema
        if schema != LAYOUT_SCHEMA:
            raise _schema_problem(where, schema, LAYOUT_SCHEMA, LAYOUT_SCHEMA_PREFIX, hint)
        msgspec.json.decode(data, type=_LayoutV1)
    except msgspec.DecodeError as error:
        raise InputError(f"{where}: {_decode_problem(error)}", hint) from None


def decode_entry(data: bytes, entry: HistoryEntry, *, branch: str) -> Results:
    """The results in an entry file, after checking it is the file its history line describes."""
    where = _where(branch, entry.entry)
    hint = _inspect_hint(branch, entry.entry)
    try:
        document = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise InputError(f"{where}: not a readable gzip file ({error})", hint) from None
    if hashlib.sha256(document).hexdigest() != entry.entry_sha256:
        raise InputError(
            f"{where}: content does not match the entry_sha256 on line {entry.line} of "
            f"{history_path(entry.model, entry.benchmark)}",
            hint,
        )
    results = parse_results(document, where=where)
    if (results.model, results.benchmark) != (entry.model, entry.benchmark):
        raise InputError(
            f"{where}: holds {results.model}/{results.benchmark}, expected {entry.model}/{entry.benchmark}",
            hint,
        )
    return results


def newest_for_commit(entries: Sequence[HistoryEntry], commit: str) -> HistoryEntry | None:
    """The last record for `commit`: when a commit was recorded more than once, the newest counts."""
    return next((e for e in reversed(entries) if e.commit == commit), None)


def choose_baseline(
    entries: Sequence[HistoryEntry], *, base_sha: str, is_ancestor: Callable[[str, str], bool]
) -> HistoryEntry | None:
    """The record to compare a pull request against: the one for `base_sha` itself if there is one
    (no question asked), else the newest record on an ancestor of `base_sha`.

    Commits are asked about newest record first, each commit once, stopping at the first ancestor,
    so `is_ancestor` (an API call on GitHub) runs as few times as the history allows.
    """
    exact = newest_for_commit(entries, base_sha)
    if exact is not None:
        return exact
    asked: set[str] = set()
    for entry in reversed(entries):
        if entry.commit in asked:
            continue
        asked.add(entry.commit)
        if is_ancestor(entry.commit, base_sha):
            return entry
    return None


def backoff_delay(attempt: int, rng: random.Random) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based): doubling from the base, capped, and
    jittered into its upper half so writers that collided do not collide again in step."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2.0 ** (attempt - 1))
    return ceiling / 2 + rng.random() * ceiling / 2


def _check_commit(commit: str) -> str:
    if not _COMMIT.match(commit):
        raise InputError(
            f"commit {commit!r} is not a full commit SHA", "pass the 40-hex-digit SHA, e.g. GITHUB_SHA"
        )
    return commit


def _check_finite(results: Results) -> None:
    """Refuse what could not be read back: JSON has no NaN or infinity (msgspec would write null)."""
    bad = [f"metrics.{k}" for k, v in results.metrics.items() if not math.isfinite(v)]
    if results.examples is not None:
        bad += [f"scores of {k}" for k, v in results.examples.scores.items() if np.isinf(v).any()]
    if bad:
        raise InputError(
            f"{results.model}/{results.benchmark}: {bad[0]} is not a finite number; not recorded",
            "metrics and scores must be finite; leave out a score that could not be computed",
        )


def _check_time(recorded_at: str) -> str:
    try:
        moment = msgspec.convert(recorded_at, datetime)
    except msgspec.ValidationError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError(f"recorded_at {recorded_at!r} is not an RFC 3339 time with an offset")
    return recorded_at


README = f"""# gatebot baselines

This branch is written by gatebot, not by people. It has no history in common with the code: it
holds the evaluation results that pull requests are compared against, one record per model,
benchmark and commit of the code.

```
{LAYOUT_FILE}                                        marks the branch and versions this layout
{ROOT}/<model>/<benchmark>/{HISTORY_FILE}            one record per line, oldest first
{ROOT}/<model>/<benchmark>/{ENTRIES_DIR}/<commit>-<digest>.json.gz
                                                   the results recorded (gatebot/results@1, gzip)
```

Read it without checking it out:

```
git fetch origin {{branch}}
git show origin/{{branch}}:{ROOT}/<model>/<benchmark>/{HISTORY_FILE}
git show origin/{{branch}}:<entry path from a history line> | gunzip
```

gatebot only appends. It refuses to write to a history it cannot read, so a hand edit that breaks
a file stops recording for that model and benchmark until the file is fixed. The format and how
concurrent runs are handled are described in gatebot's docs/baselines-branch.md.
"""


# -- GitHub I/O ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    type: str
    sha: str


@dataclass
class _Snapshot:
    """What one read of the branch saw."""

    tip: str | None
    root_tree: str | None
    history: bytes = b""
    entries: list[HistoryEntry] = field(default_factory=list)


def _file(path: str, *, content: str | None = None, sha: str | None = None) -> dict[str, Any]:
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


class _Git:
    """The few Git Data API calls the store makes, on `Github.requester`.

    PyGithub's `create_git_commit` wants parent `GitCommit` objects and `create_git_tree` a
    `GitTree`, each one more GET; and `GitRef.edit` on a lazily made ref PATCHes `/git/ref/...`,
    which GitHub's API description does not list. `Github.requester` is PyGithub's public way to
    call an endpoint by its documented path, with the client's retries, timeout and throttling.
    """

    def __init__(self, gh: Github, repository: str) -> None:
        self._requester = gh.requester
        self._repository = repository
        self._base = f"/repos/{urllib.parse.quote(repository, safe='/')}"
        self._trees: dict[str, dict[str, _Item]] = {}
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

    def tree(self, sha: str) -> tuple[str, dict[str, _Item]]:
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
                str(item["path"]): _Item(str(item["type"]), str(item["sha"])) for item in data["tree"]
            }
            if tree_sha != sha:
                self._commit_trees[sha] = tree_sha
        return tree_sha, self._trees[tree_sha]

    def lookup(self, root: str, path: str) -> _Item | None:
        """The entry at `path` below tree (or commit) `root`, reading one tree per directory level."""
        *dirs, name = path.split("/")
        _, items = self.tree(root)
        for part in dirs:
            item = items.get(part)
            if item is None or item.type != "tree":
                return None
            _, items = self.tree(item.sha)
        return items.get(name)

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
    git = _Git(gh, repository)
    answers: dict[tuple[str, str], bool] = {}

    def is_ancestor(ancestor: str, descendant: str) -> bool:
        if ancestor == descendant:
            return True
        key = (ancestor, descendant)
        if key not in answers:
            answers[key] = git.compare_status(ancestor, descendant) in ("identical", "ahead")
        return answers[key]

    return is_ancestor


class BaselineStore:
    """Baselines on a branch of `repository`: record results, read the history, pick a baseline."""

    def __init__(
        self,
        gh: Github,
        repository: str,
        *,
        branch: str = DEFAULT_BRANCH,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.repository = repository
        self.branch = check_branch_name(branch)
        self._git = _Git(gh, repository)
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not a secret)

    # -- reading ------------------------------------------------------------------------------------

    def history(self, model: str, benchmark: str) -> list[HistoryEntry]:
        """Every record of `model` on `benchmark`, oldest first (empty if there is none yet)."""
        return self._read(model, benchmark).entries

    def load(self, entry: HistoryEntry) -> Results:
        """The results recorded in `entry`, checked against its history line."""
        item = self._git.lookup(entry.branch_commit, entry.entry)
        if item is None or item.type != "blob":
            raise InputError(
                f"{_where(self.branch, entry.entry)}: the entry file named on line {entry.line} of "
                f"{history_path(entry.model, entry.benchmark)} is missing",
                _inspect_hint(self.branch, entry.entry),
            )
        return decode_entry(self._git.blob(item.sha), entry, branch=self.branch)

    def find_baseline(
        self, model: str, benchmark: str, *, base_sha: str, is_ancestor: Callable[[str, str], bool]
    ) -> HistoryEntry | None:
        """The record for `base_sha`, else the newest on one of its ancestors; None if there is none."""
        return choose_baseline(self.history(model, benchmark), base_sha=base_sha, is_ancestor=is_ancestor)

    def _read(self, model: str, benchmark: str) -> _Snapshot:
        tip = self._git.ref(self.branch)
        if tip is None:
            return _Snapshot(tip=None, root_tree=None)
        root_tree, root = self._git.tree(tip)
        self._check_layout(root.get(LAYOUT_FILE))
        path = history_path(model, benchmark)
        item = self._git.lookup(root_tree, path)
        if item is None:
            return _Snapshot(tip=tip, root_tree=root_tree)
        if item.type != "blob":
            raise InputError(f"{_where(self.branch, path)}: is not a file", _inspect_hint(self.branch, path))
        data = self._git.blob(item.sha)
        entries = parse_history(data, branch=self.branch, model=model, benchmark=benchmark, branch_commit=tip)
        return _Snapshot(tip=tip, root_tree=root_tree, history=data, entries=entries)

    def _check_layout(self, item: _Item | None) -> None:
        if item is None or item.type != "blob":
            raise InputError(
                f"branch {self.branch} of {self.repository} exists but is not a gatebot baselines branch "
                f"(no {LAYOUT_FILE} at its root)",
                "configure another branch name for baselines, or delete that branch if it is a leftover",
            )
        if item.sha != _LAYOUT_BLOB_SHA:  # the usual file is recognised by its id, without a download
            parse_layout(self._git.blob(item.sha), branch=self.branch)

    # -- writing ------------------------------------------------------------------------------------

    def record(
        self, results: Results, *, commit: str, recorded_at: str, run_url: str | None = None
    ) -> RecordOutcome:
        """Append `results` as the record for `commit` to the history of its model and benchmark.

        Recording what the newest record for `commit` already holds changes nothing (a rerun).
        Different results for a commit already recorded are appended; readers take the newest.
        If the branch moved meanwhile, the record is re-applied on the new tip, with backoff.
        """
        model, benchmark = results.model, results.benchmark
        _check_commit(commit)
        _check_time(recorded_at)
        _check_finite(results)
        document, digest = encode_entry(results)
        path = entry_path(model, benchmark, commit, digest)
        line = history_line(
            results, commit=commit, recorded_at=recorded_at, entry=path, sha256=digest, run_url=run_url
        )
        entry_blob: str | None = None
        refused: str | None = None
        for attempt in range(1, MAX_ATTEMPTS + 1):
            seen = self._read(model, benchmark)
            same = newest_for_commit(seen.entries, commit)
            if same is not None and same.entry_sha256 == digest:
                self.load(same)  # a rerun may only report success if what it would have written is readable
                assert seen.tip is not None  # a record was read from it
                return RecordOutcome(seen.tip, attempt, appended=False, entry=same)
            history = append_line(seen.history, line)
            # The history goes inline as text (GitHub makes the blob); the entry is binary, so a blob.
            items = [_file(history_path(model, benchmark), content=history.decode())]
            shared = next((e for e in seen.entries if e.entry == path), None)
            if shared is not None:
                # Same results as an older record for this commit: its file is reused, never replaced,
                # and only once it has been checked.
                self.load(shared)
            else:
                if entry_blob is None:
                    # Uploaded once: a retry reuses the blob, only the tree and commit are rebuilt.
                    entry_blob = self._git.create_blob(compress(document))
                items.append(_file(path, sha=entry_blob))
            if seen.tip is None:
                items.append(_file(LAYOUT_FILE, content=_LAYOUT_BYTES.decode()))
                items.append(_file(README_FILE, content=README.format(branch=self.branch)))
            tree = self._git.create_tree(seen.root_tree, items)
            message = f"Record {model}/{benchmark} at {commit[:12]}"
            if run_url:
                message += f"\n\nRecorded by {run_url}"
            new = self._git.create_commit(message, tree, [seen.tip] if seen.tip else [])
            refused = self._git.move_ref(self.branch, seen.tip, new)
            if refused is None:
                recorded = parse_history(
                    line, branch=self.branch, model=model, benchmark=benchmark, branch_commit=new
                )[0]
                number = history.count(b"\n")  # the appended line is the file's last
                return RecordOutcome(new, attempt, appended=True, entry=replace(recorded, line=number))
            if attempt < MAX_ATTEMPTS:
                self._sleep(backoff_delay(attempt, self._rng))
        raise GatebotError(
            f"the baselines branch {self.branch} of {self.repository} is too busy: other runs moved it "
            f"{MAX_ATTEMPTS} times while {model}/{benchmark} was being recorded for {commit[:12]} "
            f"(GitHub said: {refused})",
            "rerun the job; nothing was written by this run",
        )
