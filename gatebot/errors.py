"""The one exception family gatebot raises for problems a user can fix, and the exit codes."""

from __future__ import annotations

from pydantic import ValidationError

EXIT_PASSED = 0
EXIT_REGRESSED = 1
EXIT_USAGE = 2


class GatebotError(Exception):
    """A problem in the user's input, configuration or environment.

    `message` says what happened and where (file, field, input); `hint` says what to do.
    Both are single lines: the CLI prints them as one line and exits with `EXIT_USAGE`.
    """

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
