"""How a run that stops is told: one line and an exit code for gatebot's errors, the system's, and bugs."""

from __future__ import annotations

from gatebot.errors import (
    EXIT_BUG,
    EXIT_USAGE,
    BenchmarkError,
    ConfigError,
    GatebotError,
    InputError,
    failure_of,
)


def test_gatebot_error__message_and_hint_on_one_line__exit_2() -> None:
    failure = failure_of(ConfigError(".gatebot.yml: metrics.acc.direction:\n  bad", "use higher or lower"))
    assert failure.message == ".gatebot.yml: metrics.acc.direction: bad (use higher or lower)"
    assert (failure.exit_code, failure.bug) == (EXIT_USAGE, False)


def test_every_error_class__carries_the_usage_exit_code() -> None:
    for kind in (GatebotError, ConfigError, InputError, BenchmarkError):
        assert kind.exit_code == EXIT_USAGE


def test_os_error__file_and_reason__exit_2() -> None:
    failure = failure_of(PermissionError(13, "Permission denied", "gatebot-out/report.md"))
    assert failure.message == "gatebot-out/report.md: Permission denied"
    assert failure.exit_code == EXIT_USAGE


def test_anything_else__a_bug_in_one_line__exit_3() -> None:
    failure = failure_of(KeyError("verdicts"))
    assert failure.bug and failure.exit_code == EXIT_BUG
    assert failure.message.startswith("internal error (KeyError: 'verdicts'); this is a bug in gatebot:")
    assert "--debug" in failure.message and "\n" not in failure.message
