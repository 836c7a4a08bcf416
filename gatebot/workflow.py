"""GitHub Actions workflow commands and files: the one place that writes them, escaping what it writes.

Messages go to stdout as `::error title=…::…` lines; outputs to `$GITHUB_OUTPUT` with a random
heredoc delimiter; the job summary to `$GITHUB_STEP_SUMMARY`, kept under the runner's 1 MiB limit
(beyond it the runner drops the whole summary). Outside Actions (no such variables) the same calls
print plain lines, so the CLI and the action share one code path.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

STEP_SUMMARY_LIMIT = 1024 * 1024
_SUMMARY_MARGIN = 4096
FILE_COMMANDS = ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_STEP_SUMMARY")
"""The variables naming the runner's file commands: files a step appends to, read by the runner after it.
Lines in `GITHUB_ENV` and `GITHUB_PATH` change the environment of every later step of the job."""


def escape_data(value: str) -> str:
    """Escape a workflow command's message (as @actions/core's escapeData does)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a workflow command's property value (as @actions/core's escapeProperty does)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


@dataclass
class Workflow:
    """Where workflow commands and files go. `active` is False outside GitHub Actions."""

    active: bool
    output_file: Path | None = None
    summary_file: Path | None = None
    stream: IO[str] = field(default_factory=lambda: sys.stdout)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], stream: IO[str] | None = None) -> Workflow:
        output = environ.get("GITHUB_OUTPUT")
        summary = environ.get("GITHUB_STEP_SUMMARY")
        return cls(
            active=environ.get("GITHUB_ACTIONS") == "true",
            output_file=Path(output) if output else None,
            summary_file=Path(summary) if summary else None,
            stream=stream or sys.stdout,
        )

    def _command(self, name: str, message: str, **properties: str) -> None:
        if not self.active:
            label = {"error": "error", "warning": "warning", "notice": "note"}.get(name, name)
            self.stream.write(f"gatebot: {label}: {message}\n")
            return
        props = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items())
        self.stream.write(f"::{name}{' ' + props if props else ''}::{escape_data(message)}\n")
        self.stream.flush()

    def error(self, message: str, *, title: str = "gatebot") -> None:
        self._command("error", message, title=title)

    def warning(self, message: str, *, title: str = "gatebot") -> None:
        self._command("warning", message, title=title)

    def notice(self, message: str, *, title: str = "gatebot") -> None:
        self._command("notice", message, title=title)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        """Fold the lines written inside into one collapsible group in the Actions log."""
        if self.active:
            self.stream.write(f"::group::{escape_data(title)}\n")
            self.stream.flush()
        try:
            yield
        finally:
            if self.active:
                self.stream.write("::endgroup::\n")
                self.stream.flush()

    def set_output(self, name: str, value: str) -> None:
        if self.output_file is None:
            return
        delimiter = f"gatebot_{secrets.token_hex(16)}"
        while delimiter in value:
            delimiter = f"gatebot_{secrets.token_hex(16)}"
        with self.output_file.open("a", encoding="utf-8") as handle:
            handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")

    def add_summary(self, markdown: str, *, fallback: str) -> bool:
        """Append `markdown` to the job summary, or `fallback` when it would pass the 1 MiB limit."""
        if self.summary_file is None:
            return False
        used = self.summary_file.stat().st_size if self.summary_file.exists() else 0
        text = markdown if used + len(markdown.encode()) + _SUMMARY_MARGIN <= STEP_SUMMARY_LIMIT else fallback
        with self.summary_file.open("a", encoding="utf-8") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")
        return text is markdown


@contextmanager
def file_commands_kept(environ: Mapping[str, str]) -> Iterator[None]:
    """Undo, on the way out, whatever was written to the step's file commands inside.

    The step that runs a pull request's code must not reach the later steps of the job: a line such as
    `BASH_ENV=…` or `LD_PRELOAD=…` in `GITHUB_ENV`, or a folder in `GITHUB_PATH`, would run code in the
    publish step, which holds the token. Each file gets back the bytes it held on the way in, even if it
    was replaced meanwhile (by a symlink, a folder, another file): the name is what the runner reads.
    """
    saved: list[tuple[Path, bytes, tuple[int, int] | None]] = []
    for name in FILE_COMMANDS:
        value = environ.get(name)
        if value:
            saved.append(_snapshot(Path(value)))
    try:
        yield
    finally:
        for path, content, identity in saved:
            _restore(path, content, identity)


def _snapshot(path: Path) -> tuple[Path, bytes, tuple[int, int] | None]:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return path, b"", None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return path, b"", None
        return path, handle.read(), (info.st_dev, info.st_ino)


def _restore(path: Path, content: bytes, identity: tuple[int, int] | None) -> None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    if info is not None and stat.S_ISREG(info.st_mode) and (info.st_dev, info.st_ino) == identity:
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_TRUNC)
    else:
        if info is not None and stat.S_ISDIR(info.st_mode):
            shutil.rmtree(path)
        elif info is not None:
            path.unlink()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
