"""The pure half of `gatebot config`'s checks: placeholders and globs that match no file."""

from __future__ import annotations

import pytest

from gatebot.config import parse_config
from gatebot.config_check import Unmatched, check_placeholders, unmatched_globs
from gatebot.errors import ConfigError


def _config(**bench: object):  # type: ignore[no-untyped-def]
    return parse_config(
        {
            "models": {"m": {"artifacts": ["models/**", "./prompts/*.txt"], "benchmarks": ["b"]}},
            "benchmarks": {"b": {"inputs": ["bench.py", "data/**/*.csv"], **bench}},
        },
        where="c.yml",
    )


def test_unmatched_globs__only_those_no_file_matches__in_the_configs_order() -> None:
    files = ["models/m/weights.safetensors", "bench.py", "data/x/y.json"]
    assert unmatched_globs(_config(), files) == [
        Unmatched("models.m.artifacts", "./prompts/*.txt"),
        Unmatched("benchmarks.b.inputs", "data/**/*.csv"),
    ]
    assert unmatched_globs(_config(), [*files, "prompts/a.txt", "data/t.csv"]) == []


def test_check_placeholders__known_names_and_doubled_braces__pass() -> None:
    check_placeholders(_config(run="{python} x.py {model} {benchmark} {output} '{{}}'"), where="c.yml")


@pytest.mark.parametrize(
    ("bench", "message"),
    [
        ({"run": "x --out {out}"}, "c.yml: benchmarks.b.run: unknown placeholder {out}"),
        ({"run": "x {output"}, "c.yml: benchmarks.b.run: expected '}' before end of string"),
        ({"results": "{model}/{when}.json"}, "c.yml: benchmarks.b.results: unknown placeholder {when}"),
    ],
)
def test_check_placeholders__what_run_would_refuse__names_file_and_field(
    bench: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        check_placeholders(_config(**bench), where="c.yml")
    assert caught.value.message == message
