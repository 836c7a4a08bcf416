"""The baselines branch as data: its layout, its file formats and the choice of a baseline (pure).

The branch (``gatebot-baselines`` unless configured) has no common history with the code. Per model
and benchmark it holds an append-only ``history.jsonl`` and, for each record, the full results file
(gzip-compressed); ``layout.json`` at its root marks it as gatebot's and versions the layout.
Everything here is plain functions on bytes and values: paths, encoding and decoding of history
lines and entries, which record is the baseline of a commit, and the backoff between attempts of a
write. Reading and writing the branch on GitHub is `gatebot.baselines.branch`. See
docs/baselines-branch.md.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import random
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

import msgspec
import numpy as np

from gatebot.errors import GatebotError, InputError
from gatebot.results import Results, parse_results, results_document

DEFAULT_BRANCH = "gatebot-baselines"
HISTORY_SCHEMA = "gatebot/baseline-history@1"
HISTORY_SCHEMA_V2 = "gatebot/baseline-history@2"
"""A line that also carries per-slice means (`slices`), for the trend of a slice; written only when the
results have slices, so a history of aggregate-only results stays readable by older versions."""
HISTORY_SCHEMAS = (HISTORY_SCHEMA, HISTORY_SCHEMA_V2)
MAX_TREND_SLICES = 64
"""At most this many slice values are kept per history line (the first in the results' order)."""
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


def rev_path(branch: str, path: str) -> str:
    """How errors name a file: the ``<rev>:<path>`` that `git show origin/<rev>:<path>` takes."""
    return f"{branch}:{path}"


def inspect_hint(branch: str, path: str) -> str:
    return (
        f"inspect it with `git fetch origin {branch} && git show origin/{branch}:{path}`; "
        "docs/baselines-branch.md says how to repair it"
    )


TREE_MODE = "040000"
FILE_MODES = frozenset({"100644", "100755"})
_MODE_NAMES = {"120000": "a symbolic link", "160000": "a submodule", TREE_MODE: "a directory"}


def check_shape(branch: str, path: str, mode: str, *, directory: bool) -> None:
    """Refuse an entry that is not what the layout puts at `path`: a directory, or a regular file.

    A file or a symbolic link where a model's directory should be is a corrupt branch, never "no
    baseline yet": read as absent, the next record would rebuild the directory over it.
    """
    if (mode == TREE_MODE) if directory else (mode in FILE_MODES):
        return
    want = "a directory" if directory else "a regular file"
    found = "a file" if mode in FILE_MODES else _MODE_NAMES.get(mode, f"an entry of mode {mode}")
    raise InputError(
        f"{rev_path(branch, path)}: is {found} where the baselines layout has {want}; "
        "gatebot neither reads nor writes over it",
        inspect_hint(branch, path),
    )


def check_walk(branch: str, path: str, walked: Sequence[tuple[str, str]], *, directory: bool = False) -> bool:
    """Check the entries (path, mode) found along `path`, from the root; True when `path` itself exists.

    Every entry before the last part of `path` must be a directory, and `path` itself a regular file
    (a directory with `directory`).
    """
    for where, mode in walked:
        check_shape(branch, where, mode, directory=directory or where != path)
    return bool(walked) and walked[-1][0] == path


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


class _HistoryLineV2(_HistoryLineV1, forbid_unknown_fields=True, omit_defaults=True):
    """A `_HistoryLineV1` with the mean of each metric on each slice value, so a slice has a trend."""

    slices: dict[str, dict[str, float]] = {}
    """`key=value` -> metric -> mean over that slice's examples."""


LAYOUT_BYTES = msgspec.json.encode(_LayoutV1(LAYOUT_SCHEMA)) + b"\n"
LAYOUT_BLOB_SHA = hashlib.sha1(
    b"blob %d\0" % len(LAYOUT_BYTES) + LAYOUT_BYTES, usedforsecurity=False
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
    slices: dict[str, dict[str, float]] = field(default_factory=dict)
    """`key=value` -> metric -> mean on that slice, when the record has them (history@2)."""


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
    fields: dict[str, Any] = {
        "commit": commit,
        "recorded_at": recorded_at,
        "metrics": dict(results.metrics),
        "provenance": dict(results.provenance),
        "entry": entry,
        "entry_sha256": sha256,
        "run_url": run_url,
    }
    slices = slice_means(results)
    line = (
        _HistoryLineV2(schema=HISTORY_SCHEMA_V2, slices=slices, **fields)
        if slices
        else _HistoryLineV1(schema=HISTORY_SCHEMA, **fields)
    )
    return msgspec.json.encode(line) + b"\n"


def slice_means(results: Results, *, limit: int = MAX_TREND_SLICES) -> dict[str, dict[str, float]]:
    """The mean of each metric on each slice value (`key=value`), for at most `limit` slice values."""
    examples = results.examples
    if examples is None:
        return {}
    means: dict[str, dict[str, float]] = {}
    for key, column in examples.slices.items():
        for code, level in enumerate(column.levels):
            if len(means) == limit:
                return means
            members = column.codes == code
            values = {}
            for metric, scores in examples.scores.items():
                chosen = scores[members]
                chosen = chosen[~np.isnan(chosen)]
                if chosen.size:
                    values[metric] = float(chosen.mean())
            if values:
                means[f"{key}={level}"] = values
    return means


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
    hint = inspect_hint(branch, path)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{rev_path(branch, path)}: not UTF-8 text (byte {error.start})", hint) from None
    probe_decoder = msgspec.json.Decoder(_Probe)
    decoders: dict[str, msgspec.json.Decoder[_HistoryLineV1]] = {
        HISTORY_SCHEMA: msgspec.json.Decoder(_HistoryLineV1),
        HISTORY_SCHEMA_V2: msgspec.json.Decoder(_HistoryLineV2),
    }
    entries: list[HistoryEntry] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        where = f"{rev_path(branch, path)}:{number}"
        try:
            schema = probe_decoder.decode(raw).schema
        except msgspec.DecodeError as error:
            raise InputError(f"{where}: {_decode_problem(error)}", hint) from None
        decoder = decoders.get(schema) if isinstance(schema, str) else None
        if decoder is None:
            raise _schema_problem(where, schema, HISTORY_SCHEMA_V2, HISTORY_SCHEMA_PREFIX, hint)
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
                slices=line.slices if isinstance(line, _HistoryLineV2) else {},
            )
        )
    return entries


def parse_layout(data: bytes, *, branch: str) -> None:
    """Check ``layout.json``: the branch is gatebot's and its layout is one this version knows."""
    where = rev_path(branch, LAYOUT_FILE)
    hint = inspect_hint(branch, LAYOUT_FILE)
    try:
        schema = msgspec.json.decode(data, type=_Probe).schema
        if schema != LAYOUT_SCHEMA:
            raise _schema_problem(where, schema, LAYOUT_SCHEMA, LAYOUT_SCHEMA_PREFIX, hint)
        msgspec.json.decode(data, type=_LayoutV1)
    except msgspec.DecodeError as error:
        raise InputError(f"{where}: {_decode_problem(error)}", hint) from None


def decode_entry(data: bytes, entry: HistoryEntry, *, branch: str) -> Results:
    """The results in an entry file, after checking it is the file its history line describes."""
    where = rev_path(branch, entry.entry)
    hint = inspect_hint(branch, entry.entry)
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


def check_commit(commit: str) -> str:
    if not _COMMIT.match(commit):
        raise InputError(
            f"commit {commit!r} is not a full commit SHA", "pass the 40-hex-digit SHA, e.g. GITHUB_SHA"
        )
    return commit


def check_finite(results: Results) -> None:
    """Refuse what could not be read back: JSON has no NaN or infinity (msgspec would write null)."""
    bad = [f"metrics.{k}" for k, v in results.metrics.items() if not math.isfinite(v)]
    if results.examples is not None:
        bad += [f"scores of {k}" for k, v in results.examples.scores.items() if np.isinf(v).any()]
    if bad:
        raise InputError(
            f"{results.model}/{results.benchmark}: {bad[0]} is not a finite number; not recorded",
            "metrics and scores must be finite; leave out a score that could not be computed",
        )


def check_time(recorded_at: str) -> str:
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
