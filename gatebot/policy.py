"""Which settings judge a pull request: the base branch's, with the pull request's changes to them shown.

A pull request carries its own `.gatebot.yml`. If the gate read its thresholds from there, a pull
request could loosen the gate that judges it (raise `min_effect`, stop gating a metric, drop a slice)
and pass quietly. So the settings that decide (every `metrics:` entry, the `gate:` section, and each
model's `reference` and `gate_on_reference`) come from the base commit's config; the pull request's
changes to them are listed for the reviewer and take effect once merged.

What to run comes from the pull request (it may add a model or a benchmark, or change how one runs),
except that it cannot stop a model from being gated: a model's `artifacts` globs and its `benchmarks`
are the union of both sides', so narrowing them in the pull request changes nothing until merged.

Pure: configs in, a config and sentences out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from gatebot.config import Config, ModelConfig


@dataclass(frozen=True)
class Judged:
    """The config a pull request is judged by, and what the pull request changed of its settings."""

    config: Config
    changes: tuple[str, ...]
    """One line each, `path: old -> new`, in the config's order."""


def _show(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(exclude_defaults=True)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if value is None:
        return "none"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _field_changes(path: str, base: BaseModel, head: BaseModel, fields: Iterable[str]) -> list[str]:
    return [
        f"{path}.{name}: {_show(getattr(base, name))} -> {_show(getattr(head, name))}"
        for name in fields
        if getattr(base, name) != getattr(head, name)
    ]


def _metric_changes(base: Config, head: Config) -> list[str]:
    changes: list[str] = []
    for name in dict.fromkeys([*base.metrics, *head.metrics]):
        old, new = base.metrics.get(name), head.metrics.get(name)
        if old is None and new is not None:
            changes.append(f"metrics.{name}: added ({_show(new)})")
        elif new is None and old is not None:
            changes.append(f"metrics.{name}: removed (was {_show(old)})")
        elif old is not None and new is not None:
            changes.extend(_field_changes(f"metrics.{name}", old, new, type(old).model_fields))
    return changes


_JUDGING_MODEL_FIELDS = ("reference", "gate_on_reference")


def _union(first: Iterable[str], second: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*first, *second]))


def _model(name: str, base: Config, head: Config, changes: list[str]) -> ModelConfig:
    new = head.models[name]
    old = base.models.get(name)
    if old is None:
        return new
    changes.extend(_field_changes(f"models.{name}", old, new, _JUDGING_MODEL_FIELDS))
    dropped = [glob for glob in old.artifacts if glob not in new.artifacts]
    if dropped:
        changes.append(f"models.{name}.artifacts: no longer {_show(dropped)}")
    benchmarks = [b for b in _union(new.benchmarks, old.benchmarks) if b in head.benchmarks]
    gone = [b for b in old.benchmarks if b not in new.benchmarks]
    if gone:
        changes.append(f"models.{name}.benchmarks: no longer {_show(gone)}")
    return new.model_copy(
        update={
            "artifacts": _union(new.artifacts, old.artifacts),
            "benchmarks": benchmarks,
            **{field: getattr(old, field) for field in _JUDGING_MODEL_FIELDS},
        }
    )


def judged_config(base: Config | None, head: Config) -> Judged:
    """The config that judges a pull request whose base commit has `base` (None: the pull request
    introduces gatebot, and its own config is all there is) and whose head has `head`."""
    if base is None:
        return Judged(head, ())
    changes = _metric_changes(base, head)
    changes.extend(_field_changes("gate", base.gate, head.gate, type(base.gate).model_fields))
    models = {name: _model(name, base, head, changes) for name in head.models}
    changes.extend(f"models.{name}: removed" for name in base.models if name not in head.models)
    # A reference named by the base must still be a model of the judged config.
    for name, model in list(models.items()):
        if model.reference is not None and model.reference not in models:
            models[name] = model.model_copy(update={"reference": None, "gate_on_reference": False})
    config = head.model_copy(update={"metrics": dict(base.metrics), "gate": base.gate, "models": models})
    return Judged(config, tuple(changes))
