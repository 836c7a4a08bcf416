"""Baselines on a branch of the repository: the store that records and reads them, and the source
that gives a pull request its baseline from them.

Nothing is checked out: reads walk trees and fetch blobs, writes create a blob, a tree on top of the
tip's tree, a commit, and then move the branch with a non-forced update, which GitHub refuses unless
the new commit descends from the current tip. That refusal is the compare-and-swap that lets
concurrent runs append without losing each other's records: the loser re-reads the tip and appends
its line to the new history. The layout and file formats are `gatebot.baselines.layout`; the Git
Data API calls are `gatebot.github.git_data`. See docs/baselines-branch.md.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from github import Github

from gatebot.baselines.layout import (
    DEFAULT_BRANCH,
    LAYOUT_BLOB_SHA,
    LAYOUT_BYTES,
    LAYOUT_FILE,
    MAX_ATTEMPTS,
    README,
    README_FILE,
    HistoryEntry,
    RecordOutcome,
    append_line,
    backoff_delay,
    check_branch_name,
    check_commit,
    check_finite,
    check_shape,
    check_time,
    check_walk,
    choose_baseline,
    compress,
    decode_entry,
    encode_entry,
    entry_path,
    history_line,
    history_path,
    inspect_hint,
    newest_for_commit,
    parse_history,
    parse_layout,
    rev_path,
)
from gatebot.baselines.source import FileSource, Found
from gatebot.errors import GatebotError, InputError
from gatebot.github.git_data import GitData, Item, file_item, github_is_ancestor
from gatebot.results import Results
from gatebot.verdict import TrendPoint


@dataclass
class _Snapshot:
    """What one read of the branch saw."""

    tip: str | None
    root_tree: str | None
    history: bytes = b""
    entries: list[HistoryEntry] = field(default_factory=list)


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
        self._git = GitData(gh, repository)
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not a secret)

    # -- reading ------------------------------------------------------------------------------------

    def history(self, model: str, benchmark: str) -> list[HistoryEntry]:
        """Every record of `model` on `benchmark`, oldest first (empty if there is none yet)."""
        return self._read(model, benchmark, self.tip()).entries

    def load(self, entry: HistoryEntry) -> Results:
        """The results recorded in `entry`, checked against its history line."""
        item = self._find(entry.branch_commit, entry.entry)
        if item is None:
            raise InputError(
                f"{rev_path(self.branch, entry.entry)}: the entry file named on line {entry.line} of "
                f"{history_path(entry.model, entry.benchmark)} is missing",
                inspect_hint(self.branch, entry.entry),
            )
        return decode_entry(self._git.blob(item.sha), entry, branch=self.branch)

    def find_baseline(
        self, model: str, benchmark: str, *, base_sha: str, is_ancestor: Callable[[str, str], bool]
    ) -> HistoryEntry | None:
        """The record for `base_sha`, else the newest on one of its ancestors; None if there is none."""
        return choose_baseline(self.history(model, benchmark), base_sha=base_sha, is_ancestor=is_ancestor)

    def tip(self) -> str | None:
        """The commit the branch points at now, or None when it does not exist yet."""
        return self._git.ref(self.branch)

    def history_at(self, tip: str | None, model: str, benchmark: str) -> list[HistoryEntry]:
        """`history`, as the branch was at `tip` (from `tip()`): a reader that has the tip reads no ref."""
        return self._read(model, benchmark, tip).entries

    def _read(self, model: str, benchmark: str, tip: str | None) -> _Snapshot:
        if tip is None:
            return _Snapshot(tip=None, root_tree=None)
        root_tree, root = self._git.tree(tip)
        self._check_layout(root.get(LAYOUT_FILE))
        path = history_path(model, benchmark)
        item = self._find(root_tree, path)
        if item is None:
            return _Snapshot(tip=tip, root_tree=root_tree)
        data = self._git.blob(item.sha)
        entries = parse_history(data, branch=self.branch, model=model, benchmark=benchmark, branch_commit=tip)
        return _Snapshot(tip=tip, root_tree=root_tree, history=data, entries=entries)

    def _find(self, root: str, path: str) -> Item | None:
        """The regular file at `path` below `root`, None when nothing is there; any other shape on the
        way (a file or a symbolic link where a directory should be) is a corrupt branch."""
        walked = self._git.walk(root, path)
        if not check_walk(self.branch, path, [(where, item.mode) for where, item in walked]):
            return None
        return walked[-1][1]

    def _check_layout(self, item: Item | None) -> None:
        if item is not None:
            check_shape(self.branch, LAYOUT_FILE, item.mode, directory=False)
        if item is None or item.type != "blob":
            raise InputError(
                f"branch {self.branch} of {self.repository} exists but is not a gatebot baselines branch "
                f"(no {LAYOUT_FILE} at its root)",
                "configure another branch name for baselines, or delete that branch if it is a leftover",
            )
        if item.sha != LAYOUT_BLOB_SHA:  # the usual file is recognised by its id, without a download
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
        check_commit(commit)
        check_time(recorded_at)
        check_finite(results)
        document, digest = encode_entry(results)
        path = entry_path(model, benchmark, commit, digest)
        line = history_line(
            results, commit=commit, recorded_at=recorded_at, entry=path, sha256=digest, run_url=run_url
        )
        entry_blob: str | None = None
        refused: str | None = None
        for attempt in range(1, MAX_ATTEMPTS + 1):
            seen = self._read(model, benchmark, self.tip())  # afresh: other runs may have appended
            if seen.root_tree is not None:  # never write a tree over a corrupt shape on the way
                entries_dir = path.rpartition("/")[0]
                walked = self._git.walk(seen.root_tree, entries_dir)
                check_walk(self.branch, entries_dir, [(w, i.mode) for w, i in walked], directory=True)
            same = newest_for_commit(seen.entries, commit)
            if same is not None and same.entry_sha256 == digest:
                self.load(same)  # a rerun may only report success if what it would have written is readable
                assert seen.tip is not None  # a record was read from it
                return RecordOutcome(seen.tip, attempt, appended=False, entry=same)
            history = append_line(seen.history, line)
            # The history goes inline as text (GitHub makes the blob); the entry is binary, so a blob.
            items = [file_item(history_path(model, benchmark), content=history.decode())]
            shared = next((e for e in seen.entries if e.entry == path), None)
            if shared is not None:
                # Same results as an older record for this commit: its file is reused, never replaced,
                # and only once it has been checked.
                self.load(shared)
            else:
                if entry_blob is None:
                    # Uploaded once: a retry reuses the blob, only the tree and commit are rebuilt.
                    entry_blob = self._git.create_blob(compress(document))
                items.append(file_item(path, sha=entry_blob))
            if seen.tip is None:
                items.append(file_item(LAYOUT_FILE, content=LAYOUT_BYTES.decode()))
                items.append(file_item(README_FILE, content=README.format(branch=self.branch)))
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


class BranchSource:
    """Baselines recorded on the baselines branch: the newest record on the base commit or one of its
    ancestors. Falls back to the files committed under `.gatebot/baselines` in the checkout, if given.

    One gate run sees one state of the branch: its tip is read once, and each history once, for the
    baseline and the trend alike."""

    def __init__(
        self, gh: Github, repository: str, base_sha: str, branch: str, files: FileSource | None
    ) -> None:
        self.store = BaselineStore(gh, repository, branch=branch)
        self.base_sha = base_sha
        self.is_ancestor = github_is_ancestor(gh, repository)
        self.files = files
        self._tip: str | None = None
        self._tip_read = False
        self._histories: dict[tuple[str, str], list[HistoryEntry]] = {}

    def _history(self, model: str, benchmark: str) -> list[HistoryEntry]:
        key = (model, benchmark)
        if key not in self._histories:
            if not self._tip_read:
                self._tip, self._tip_read = self.store.tip(), True
            self._histories[key] = self.store.history_at(self._tip, model, benchmark)
        return self._histories[key]

    def find(self, model: str, benchmark: str) -> Found | None:
        entry = choose_baseline(
            self._history(model, benchmark), base_sha=self.base_sha, is_ancestor=self.is_ancestor
        )
        if entry is None:
            return None if self.files is None else self.files.find(model, benchmark)
        source = f"commit {entry.commit[:7]}, recorded {entry.recorded_at} on the {self.store.branch} branch"
        return Found(self.store.load(entry), source)

    def trend(self, model: str, benchmark: str, points: int) -> list[TrendPoint]:
        """The newest records on the base commit's line of history (not other branches'), oldest first."""
        chosen: list[TrendPoint] = []
        seen: set[str] = set()
        for entry in reversed(self._history(model, benchmark)):
            if len(chosen) == points:
                break
            if entry.commit in seen:
                continue
            if entry.commit == self.base_sha or self.is_ancestor(entry.commit, self.base_sha):
                seen.add(entry.commit)
                chosen.append(TrendPoint(entry.commit[:7], dict(entry.metrics), entry.slices))
        return chosen[::-1]
