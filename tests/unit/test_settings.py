"""The one settings model, built from an environment mapping: defaults, names, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatebot.errors import GatebotError
from gatebot.settings import ACTIONS_BOT, Settings


def test_empty_environment__the_defaults() -> None:
    settings = Settings.from_environ({})
    assert settings.config is None
    assert settings.out_dir == Path("gatebot-out")
    assert settings.token is None
    assert (settings.comment, settings.check_name, settings.id) == ("sticky", "gatebot", "default")
    assert settings.fail_on_regression is True
    assert settings.comment_author == ACTIONS_BOT


def test_inputs_as_action_yml_passes_them__read_by_name() -> None:
    settings = Settings.from_environ(
        {
            "GATEBOT_CONFIG": "ml/.gatebot.yml",
            "GATEBOT_CHECK_NAME": "gatebot-large",
            "GATEBOT_FAIL_ON_REGRESSION": "false",
            "GATEBOT_COMMENT": "off",
            "GATEBOT_ID": "large",
            "GATEBOT_COMMENT_AUTHOR": "my-app[bot]",
            "GITHUB_REPOSITORY": "o/r",
            "GITHUB_API_URL": "http://127.0.0.1:1",
        }
    )
    assert settings.config == Path("ml/.gatebot.yml")
    assert (settings.check_name, settings.id, settings.comment) == ("gatebot-large", "large", "off")
    assert settings.fail_on_regression is False
    assert settings.comment_author == "my-app[bot]"
    assert (settings.repository, settings.api_url) == ("o/r", "http://127.0.0.1:1")


def test_input_left_out__arrives_empty__counts_as_unset() -> None:
    settings = Settings.from_environ({"GATEBOT_CONFIG": "", "GATEBOT_CHECK_NAME": "", "GATEBOT_TOKEN": ""})
    assert (settings.config, settings.check_name, settings.token) == (None, "gatebot", None)


def test_token__gatebot_token_first_then_github_token__never_shown() -> None:
    both = Settings.from_environ({"GATEBOT_TOKEN": "ghs_a", "GITHUB_TOKEN": "ghs_b"})
    assert both.token is not None and both.token.get_secret_value() == "ghs_a"
    fallback = Settings.from_environ({"GITHUB_TOKEN": "ghs_b"})
    assert fallback.token is not None and fallback.token.get_secret_value() == "ghs_b"
    assert "ghs_a" not in repr(both)


def test_unrelated_variables__lowercase_field_names_included__ignored() -> None:
    settings = Settings.from_environ({"id": "x", "config": "y", "GATEBOT_MODE": "gate", "PATH": "/bin"})
    assert (settings.id, settings.config) == ("default", None)


@pytest.mark.parametrize(
    ("environ", "line"),
    [
        (
            {"GATEBOT_COMMENT": "always"},
            "input comment: Input should be 'sticky' or 'off' (fix the `with:` block of the gatebot step)",
        ),
        (
            {"GATEBOT_CHECK_NAME": "x" * 101},
            "input check-name: String should have at most 100 characters "
            "(fix the `with:` block of the gatebot step)",
        ),
        (
            {"GATEBOT_FAIL_ON_REGRESSION": "maybe"},
            "input fail-on-regression: Input should be a valid boolean, unable to interpret input "
            "(fix the `with:` block of the gatebot step)",
        ),
        (
            {"GATEBOT_DEBUG": "maybe"},
            "environment variable GATEBOT_DEBUG: Input should be a valid boolean, unable to interpret input",
        ),
    ],
)
def test_bad_value_in_the_action__one_line_naming_the_input(environ: dict[str, str], line: str) -> None:
    with pytest.raises(GatebotError) as raised:
        Settings.from_environ(environ, action=True)
    assert raised.value.one_line() == line


def test_bad_value_on_the_command_line__one_line_naming_the_variable() -> None:
    with pytest.raises(GatebotError) as raised:
        Settings.from_environ({"GATEBOT_COMMENT": "always"})
    assert (
        raised.value.one_line() == "environment variable GATEBOT_COMMENT: Input should be 'sticky' or 'off'"
    )
