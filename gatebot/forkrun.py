"""A maintainer's `/gatebot run` on a fork's pull request: which of its files are data for the trusted
harness, which are refused, and keeping the benchmarks' secrets out of everything gatebot writes.

The harness (the config, benchmarks, requirements and datasets) is the base branch's, checked out by
the command workflow. Of the pull request only the files its models' `artifacts` globs match are used,
fetched through the API as data; a change to anything else the benchmark could run or read is refused,
with the files named, and so is a weights file in a format that runs code when loaded (pickle) unless
the config allows it.

Pure: the changed files and the config in, the decision out; text and secrets in, redacted text out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from gatebot.config import Config
from gatebot.errors import InputError
from gatebot.markdown import escape_md
from gatebot.plan import affected_models, matches

PICKLE_SUFFIXES = frozenset({".pkl", ".pickle", ".pt", ".pth", ".bin", ".joblib", ".ckpt"})
"""Weights formats built on Python's pickle, which runs code when a file is loaded (`torch.load`,
`joblib.load`, `pickle.load`). safetensors, GGUF, ONNX, JSON and text hold data only."""
REMOVED = "removed"
_SECRET_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
_SECRET_BLOCK = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)<<([A-Za-z0-9_]+)$")
REDACTED = "***"
MIN_REDACTED_CHARS = 4
"""Shorter values are not redacted: replacing every `a` of a report would say more than it hides."""


@dataclass(frozen=True)
class ChangedFile:
    """One entry of a pull request's files, as GitHub lists it."""

    path: str
    status: str
    previous_path: str | None = None


@dataclass(frozen=True)
class Vetted:
    """What a `/gatebot run` may use of a pull request: the models it touches and their files."""

    models: tuple[str, ...]
    fetch: tuple[str, ...]
    """Artifact files the pull request adds or changes (paths in the repository), to fetch as data."""
    remove: tuple[str, ...]
    """Artifact files the pull request removes (or renames away)."""
    refused: tuple[str, ...]
    """Changed files outside every model's `artifacts`: the harness would run or read them."""
    pickled: tuple[str, ...]
    """Artifact files in a pickle-based format the config does not allow from forks."""

    @property
    def problem(self) -> str | None:
        """Why the run is refused, in one line of markdown (the paths, the pull request's, escaped); None
        when it may go ahead."""
        if self.refused:
            more = len(self.refused) - 20
            shown = shown_paths(self.refused[:20]) + (f" and {more} more" if more > 0 else "")
            return (
                "this pull request changes files outside the models' `artifacts`, which the base branch's "
                f"benchmark would run or read: {shown}. Review and merge those changes first, then "
                "`/gatebot run` the model change alone"
            )
        if self.pickled:
            return (
                f"{shown_paths(self.pickled)}: pickle-based weights run code when loaded, so gatebot does "
                "not load them from a fork; convert them to safetensors (or set "
                "`gate.allow_pickle_from_forks: true` in the base branch's config)"
            )
        if not self.models:
            return "this pull request changes no file that the models' `artifacts` match: nothing to run"
        return None


def shown_paths(paths: Iterable[str]) -> str:
    """Paths of the pull request's, escaped for a comment."""
    return ", ".join(str(escape_md(p)) for p in paths)


def is_pickle(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in PICKLE_SUFFIXES


def safe_path(path: str) -> bool:
    """A plain relative path inside the repository (no `..`, no `.git`, no absolute path)."""
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and all(p not in ("", ".", "..", ".git") for p in parts)


def vet_changes(config: Config, files: Sequence[ChangedFile], *, prefix: str, from_fork: bool) -> Vetted:
    """Split a pull request's changed files into the artifacts a trusted run uses and the rest.

    `config` is the base branch's (the harness's); `prefix` is its directory in the repository.
    """
    artifacts = [glob for model in config.models.values() for glob in model.artifacts]

    def artifact(path: str) -> bool:
        return path.startswith(prefix) and safe_path(path) and matches(path.removeprefix(prefix), artifacts)

    fetch: list[str] = []
    remove: list[str] = []
    refused: list[str] = []
    for entry in files:
        names = [entry.path, *([entry.previous_path] if entry.previous_path else [])]
        for name in names:
            if not artifact(name):
                refused.append(name)
        if entry.previous_path and entry.previous_path != entry.path:
            remove.append(entry.previous_path)
        (remove if entry.status == REMOVED else fetch).append(entry.path)
    refused = list(dict.fromkeys(refused))
    fetch = [f for f in dict.fromkeys(fetch) if f not in refused]
    remove = [f for f in dict.fromkeys(remove) if f not in refused and f not in fetch]
    allowed = config.gate.allow_pickle_from_forks or not from_fork
    pickled = [] if allowed else [f for f in fetch if is_pickle(f)]
    models = affected_models(config, [*fetch, *remove], prefix=prefix)
    return Vetted(tuple(models), tuple(fetch), tuple(remove), tuple(refused), tuple(pickled))


def parse_secrets(text: str | None, *, where: str = "input secrets") -> dict[str, str]:
    """`NAME=value` lines (the action's `secrets` input) as a mapping, and `NAME<<DELIMITER` blocks for a
    value of several lines (a service account's JSON key), ended by a line that is the delimiter, as in
    `$GITHUB_OUTPUT`. Empty values are left out (a secret the repository does not have arrives empty). A
    problem names the line, never its value."""
    found: dict[str, str] = {}
    # Lines end at "\n" only (a value may hold other line breaks), a "\r" before it dropped.
    lines = [line.removesuffix("\r") for line in (text or "").split("\n")]
    number = 0
    while number < len(lines):
        line = lines[number].strip()
        number += 1
        if not line:
            continue
        block = _SECRET_BLOCK.match(line)
        if block is not None:
            name, delimiter, start = block.group(1), block.group(2), number
            while number < len(lines) and lines[number].strip() != delimiter:
                number += 1
            if number == len(lines):
                # Neither the name nor the delimiter is shown: the line may be part of a value.
                raise InputError(
                    f"{where}: line {start} opens a value of several lines (NAME<<DELIMITER) that no "
                    "line closes",
                    "end it with a line that is the delimiter alone",
                )
            value = "\n".join(lines[start:number])
            number += 1
            if value.strip():
                found[name] = value
            continue
        match = _SECRET_LINE.match(line)
        if match is None:
            raise InputError(
                f"{where}: line {number} is not NAME=value",
                "give one secret a line: NAME=${{ secrets.NAME }} (NAME<<EOF, the value, EOF for one of "
                "several lines)",
            )
        if match.group(2):
            found[match.group(1)] = match.group(2)
    return found


def secret_values(secrets: Mapping[str, str]) -> tuple[str, ...]:
    """The values to redact, longest first (so one that contains another is replaced whole). A value of
    several lines is redacted whole, and each of its lines alone and as a JSON string writes it (a
    benchmark may print one line of a key, or the key inside JSON)."""
    values: set[str] = set()
    for value in secrets.values():
        values.add(value)
        if "\n" in value:
            values.add(json.dumps(value)[1:-1])
            for line in value.splitlines():
                values.update((line.strip(), json.dumps(line.strip())[1:-1]))
    values = {v for v in values if len(v) >= MIN_REDACTED_CHARS}
    return tuple(sorted(values, key=len, reverse=True))


def redact_text(text: str, values: Iterable[str]) -> str:
    for value in values:
        text = text.replace(value, REDACTED)
    return text


def redact(document: Any, values: Sequence[str]) -> Any:
    """A JSON document with every occurrence of a secret value in its strings (keys too) replaced."""
    if not values:
        return document
    if isinstance(document, str):
        return redact_text(document, values)
    if isinstance(document, list):
        return [redact(item, values) for item in document]
    if isinstance(document, dict):
        return {redact_text(str(k), values): redact(v, values) for k, v in document.items()}
    return document
