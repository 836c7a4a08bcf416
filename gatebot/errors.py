"""The one exception family gatebot raises for problems a user can fix, and the exit codes beside it.

`failure_of` turns whatever stopped a run into the one line a person reads and the exit code; the CLI
calls it in the one place it catches errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pydantic import ValidationError

EXIT_PASSED = 0
"""The gate passed, or there was nothing to gate."""
EXIT_REGRESSED = 1
"""A gated metric regressed."""
EXIT_USAGE = 2
"""A usage, configuration, input or environment problem (and runs that cannot be compared)."""
EXIT_BUG = 3
"""Something gatebot did not expect: a bug in gatebot."""
EXIT_INTERRUPTED = 130
"""Stopped with Ctrl-C (128 + SIGINT, as a shell reports it)."""
EXIT_BROKEN_PIPE = 141
"""The reader of the output went away (128 + SIGPIPE, as a shell reports it)."""

COULD_NOT_RUN = "gatebot could not run"
"""The title of the failing check set when a run stops on an error, so a required check does not wait."""
ISSUES_URL = "gatebot's issue tracker"


class GatebotError(Exception):
    """A problem in the user's input, configuration or environment.

    `message` says what happened and where (file, field, input); `hint` says what to do.
    Both are single lines: the CLI prints them as one line and exits with `exit_code`.
    """

    exit_code: ClassVar[int] = EXIT_USAGE

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = " ".join(message.split())
        self.hint = " ".join(hint.split())

    def one_line(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(GatebotError):
    """`.gatebot.yml` is missing, malformed or invalid."""


class InputError(GatebotError):
    """A results file, bundle or event is missing, malformed or invalid."""


class BenchmarkError(GatebotError):
    """A benchmark command failed, timed out or wrote no usable results."""


def validation_problem(error: ValidationError) -> tuple[str, str]:
    """The first problem pydantic found: its dotted field path ('(top level)' for none) and message."""
    first = error.errors(include_url=False)[0]
    path = ".".join(str(part) for part in first["loc"]) or "(top level)"
    return path, str(first["msg"]).removeprefix("Value error, ")


@dataclass(frozen=True)
class Failure:
    """Why a run stopped, as one line, and the exit code that says so."""

    message: str
    exit_code: int
    bug: bool = False
    """Not a problem the user can fix: `--debug` shows the traceback instead."""


def failure_of(error: Exception) -> Failure:
    """The one wording of every way a run can stop: gatebot's errors, the system's, and bugs."""
    if isinstance(error, GatebotError):
        return Failure(error.one_line(), error.exit_code)
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        return Failure(f"{where}{error.strerror or error}", EXIT_USAGE)
    said = " ".join(str(error).split())
    kind = f"{type(error).__name__}: {said[:200]}" if said else type(error).__name__
    return Failure(
        f"internal error ({kind}); this is a bug in gatebot: rerun with --debug and report the traceback "
        f"at {ISSUES_URL}",
        EXIT_BUG,
        bug=True,
    )
