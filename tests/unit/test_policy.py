"""A pull request is judged by the base branch's gate settings; its changes to them are listed."""

from __future__ import annotations

from typing import Any

from gatebot.config import Config, parse_config
from gatebot.policy import judged_config

BASE: dict[str, Any] = {
    "models": {
        "router": {"artifacts": ["models/router.npz"], "benchmarks": ["tickets", "safety"]},
        "base": {"artifacts": ["models/base.npz"], "benchmarks": ["tickets"]},
    },
    "benchmarks": {"tickets": {"run": "python bench.py"}, "safety": {"run": "python safety.py"}},
    "metrics": {"accuracy": {"direction": "higher", "min_effect": 0.01}},
    "gate": {"min_slice_size": 30},
}


def _config(changes: dict[str, Any] | None = None) -> Config:
    data: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in BASE.items()}
    for key, value in (changes or {}).items():
        data[key] = value
    return parse_config(data, where="test")


def test_unchanged_settings__head_config__no_changes() -> None:
    judged = judged_config(_config(), _config())
    assert judged.changes == ()
    assert judged.config == _config()


def test_pull_request_raises_min_effect__judged_by_the_base__change_listed() -> None:
    head = _config({"metrics": {"accuracy": {"direction": "higher", "min_effect": 0.2}}})
    judged = judged_config(_config(), head)
    assert judged.config.metrics["accuracy"].min_effect == 0.01
    assert judged.changes == ("metrics.accuracy.min_effect: 0.01 -> 0.2",)


def test_pull_request_stops_gating__metric_removed_or_gate_off__still_gated() -> None:
    removed = judged_config(_config(), _config({"metrics": {}}))
    assert removed.config.metrics["accuracy"].gate is True
    assert removed.changes[0].startswith("metrics.accuracy: removed")
    off = judged_config(_config(), _config({"metrics": {"accuracy": {"direction": "higher", "gate": False}}}))
    assert off.config.metrics["accuracy"].gate is True
    assert "metrics.accuracy.gate: true -> false" in off.changes


def test_gate_section_loosened__base_settings_and_each_field_listed() -> None:
    head = _config({"gate": {"min_slice_size": 1000, "correction": "none"}})
    judged = judged_config(_config(), head)
    assert judged.config.gate.min_slice_size == 30 and judged.config.gate.correction == "holm"
    assert set(judged.changes) == {"gate.correction: holm -> none", "gate.min_slice_size: 30 -> 1000"}


def test_model_narrowed__artifacts_and_benchmarks_of_both_sides() -> None:
    models = {
        "router": {"artifacts": ["nothing/*"], "benchmarks": ["tickets"]},
        "base": {"artifacts": ["models/base.npz"], "benchmarks": ["tickets"]},
    }
    judged = judged_config(_config(), _config({"models": models}))
    router = judged.config.models["router"]
    assert router.artifacts == ["nothing/*", "models/router.npz"]
    assert router.benchmarks == ["tickets", "safety"]
    assert "models.router.artifacts: no longer [models/router.npz]" in judged.changes
    assert "models.router.benchmarks: no longer [safety]" in judged.changes


def test_new_model_and_new_metric__run_from_the_head__metric_not_gated_until_merged() -> None:
    head = _config(
        {
            "models": {**BASE["models"], "new": {"artifacts": ["models/new.npz"], "benchmarks": ["tickets"]}},
            "metrics": {**BASE["metrics"], "f1": {"direction": "higher"}},
        }
    )
    judged = judged_config(_config(), head)
    assert "new" in judged.config.models
    assert "f1" not in judged.config.metrics
    assert judged.changes == ("metrics.f1: added ({direction: higher})",)


def test_reference_dropped_or_changed__the_base_reference_kept() -> None:
    base_models = {**BASE["models"], "router": {**BASE["models"]["router"], "reference": "base"}}
    base = _config({"models": base_models})
    judged = judged_config(base, _config())
    assert judged.config.models["router"].reference == "base"
    assert judged.changes == ("models.router.reference: base -> none",)


def test_pull_request_introduces_gatebot__its_own_config() -> None:
    judged = judged_config(None, _config())
    assert judged.config == _config() and judged.changes == ()
