"""`.gatebot.yml` validation: every mistake is one line naming the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatebot.config import json_schema, load_config
from gatebot.errors import ConfigError


def _load(tmp_path: Path, text: str) -> None:
    path = tmp_path / ".gatebot.yml"
    path.write_text(text, encoding="utf-8")
    load_config(path, required=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics:\n  acc: {direction: up}\n", "metrics.acc.direction: Input should be 'higher' or 'lower'"),
        ("metrics:\n  acc: {direction: higher, min_effect: -1}\n", "metrics.acc.min_effect"),
        ("metricz: {}\n", "metricz: unknown field"),
        ("models:\n  m: {benchmarks: [nope]}\n", "names 'nope', which is not under benchmarks"),
        (
            "metrics:\n  acc: {direction: higher, mode: non-inferiority}\n",
            "mode non-inferiority needs min_effect > 0",
        ),
        (
            "metrics:\n  acc: {direction: higher, mode: equivalence}\n",
            "mode equivalence needs min_effect > 0",
        ),
        ("gate: {family: everything}\n", "gate.family"),
        ("gate: {missing_examples: zero}\n", "gate.missing_examples"),
        ("gate: {inconclusive: pass}\n", "gate.inconclusive"),
        ("gate: {discover: maybe}\n", "gate.discover: Input should be 'report', 'gate' or 'off'"),
        ("gate: {discover_fields: channel}\n", "gate.discover_fields"),
        ("gate: {max_detectable_drop: 0}\n", "gate.max_detectable_drop"),
        ("- a\n- b\n", "expected a mapping at the top level"),
        ("gate: {correction: bonferroni}\n", "gate.correction"),
        (
            "benchmarks:\n  b: {run: x, timeout: .inf}\n",
            "benchmarks.b.timeout: Input should be a finite number",
        ),
        (
            "benchmarks:\n  b: {run: x, timeout: .nan}\n",
            "benchmarks.b.timeout: Input should be a finite number",
        ),
        ("benchmarks:\n  b: {run: x, timeout: 0}\n", "benchmarks.b.timeout: Input should be greater than 0"),
    ],
)
def test_invalid_config__one_line_error_names_field(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    line = caught.value.one_line()
    assert expected in line
    assert str(tmp_path / ".gatebot.yml") in line
    assert "\n" not in line


def test_malformed_yaml__line_and_column(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\.gatebot\.yml:\d+:\d+: invalid YAML"):
        _load(tmp_path, "metrics:\n  acc: {direction: higher\n")


def test_metrics_only__valid(tmp_path: Path) -> None:
    _load(tmp_path, "metrics:\n  acc: {direction: higher}\n")


def test_empty_file__valid_defaults(tmp_path: Path) -> None:
    _load(tmp_path, "")


def test_missing_explicit_config__error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "other.yml", required=True)


def test_schema__describes_every_section() -> None:
    schema = json_schema()
    assert set(schema["properties"]) == {"version", "models", "benchmarks", "metrics", "gate"}
    assert "MetricConfig" in schema["$defs"]


def test_design_settings__valid(tmp_path: Path) -> None:
    path = tmp_path / ".gatebot.yml"
    path.write_text(
        "metrics:\n  acc: {direction: higher, mode: superiority, max_detectable_drop: 0.03}\n"
        "gate: {family: benchmark, cluster_by: passage, missing_examples: drop, inconclusive: fail}\n",
        encoding="utf-8",
    )
    gate = load_config(path, required=True).config.gate
    assert (gate.family, gate.cluster_by, gate.missing_examples, gate.inconclusive) == (
        "benchmark",
        "passage",
        "drop",
        "fail",
    )


def test_gate_discover_off__bare_yaml_off_is_the_value_not_false(tmp_path: Path) -> None:
    path = tmp_path / ".gatebot.yml"
    path.write_text("gate:\n  discover: off\n", encoding="utf-8")
    assert load_config(path, required=True).config.gate.discover == "off"
