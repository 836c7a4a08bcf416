"""Which models a change touches and which jobs run: globs, prefixes, what a push records."""

from __future__ import annotations

import pytest

from gatebot.config import parse_config
from gatebot.plan import affected_models, matches, models_to_record


def test_models_to_record__artifacts_inputs_config() -> None:
    config = parse_config(
        {
            "models": {
                "a": {"artifacts": ["a/*"], "benchmarks": ["b1"]},
                "c": {"artifacts": ["c/*"], "benchmarks": ["b2"]},
            },
            "benchmarks": {"b1": {"run": "x"}, "b2": {"run": "x", "inputs": ["data/**"]}},
        },
        where="t",
    )
    assert models_to_record(config, ["a/w.bin"], complete=True) == ["a"]
    assert models_to_record(config, ["data/set/x.jsonl"], complete=True) == ["c"]
    assert models_to_record(config, [".gatebot.yml"], complete=True, config_path=".gatebot.yml") == ["a", "c"]
    assert models_to_record(config, ["README.md"], complete=False) == ["a", "c"]


@pytest.mark.parametrize(
    ("path", "patterns", "expected"),
    [
        ("models/a.npz", ["models/*.npz"], True),
        ("models/sub/a.npz", ["models/*.npz"], False),
        ("models/sub/a.npz", ["models/**/*.npz"], True),
        ("models/a.npz", ["models/**/*.npz"], True),
        ("prompts/router/v2.txt", ["prompts/router/**"], True),
        ("README.md", ["models/**"], False),
    ],
)
def test_glob_matching(path: str, patterns: list[str], expected: bool) -> None:
    assert matches(path, patterns) is expected


def test_affected_models__config_in_subdirectory__prefix_stripped() -> None:
    config = parse_config({"models": {"m": {"artifacts": ["models/*.npz"]}}}, where="t")
    assert affected_models(config, ["ml/models/x.npz"], prefix="ml/") == ["m"]
    assert affected_models(config, ["models/x.npz"], prefix="ml/") == []
