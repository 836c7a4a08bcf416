"""Which (model, benchmark) runs a gate needs: from CLI filters, or from the files a pull request changed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from gatebot.config import Config
from gatebot.errors import ConfigError


@dataclass(frozen=True)
class Job:
    model: str
    benchmark: str


@cache
def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Compile a path glob: `*` and `?` stay within one path segment, `**/` spans any number of them."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z")


def matches(path: str, patterns: Iterable[str]) -> bool:
    """True when `path` (POSIX, relative) matches one of the glob `patterns`."""
    clean = path.removeprefix("./")
    return any(glob_to_regex(p.removeprefix("./")).match(clean) for p in patterns)


def select_jobs(config: Config, *, models: Sequence[str] = (), benchmarks: Sequence[str] = ()) -> list[Job]:
    """Every configured (model, benchmark) pair, narrowed to the named models and benchmarks."""
    for name in models:
        if name not in config.models:
            known = ", ".join(sorted(config.models)) or "none configured"
            raise ConfigError(f"--model {name}: no such model in the config", f"known models: {known}")
    for name in benchmarks:
        if name not in config.benchmarks:
            known = ", ".join(sorted(config.benchmarks)) or "none configured"
            raise ConfigError(f"--benchmark {name}: no such benchmark in the config", f"known: {known}")
    jobs = []
    for model_name, model in config.models.items():
        if models and model_name not in models:
            continue
        for bench in model.benchmarks:
            if benchmarks and bench not in benchmarks:
                continue
            jobs.append(Job(model_name, bench))
    return jobs


def affected_models(config: Config, changed_files: Iterable[str], *, prefix: str = "") -> list[str]:
    """Models whose artifact globs, or whose benchmarks' input globs, match a changed file.

    `prefix` is the config's directory in the repository."""
    changed = [f.removeprefix(prefix) for f in changed_files if f.startswith(prefix)]
    touched = {
        name for name, bench in config.benchmarks.items() if any(matches(f, bench.inputs) for f in changed)
    }
    return [
        name
        for name, model in config.models.items()
        if any(matches(f, model.artifacts) for f in changed) or touched & set(model.benchmarks)
    ]


def models_to_record(
    config: Config, changed_files: Iterable[str], *, complete: bool, prefix: str = "", config_path: str = ""
) -> list[str]:
    """Models whose baselines a push must record again: their artifacts, their benchmarks' inputs or
    the config changed. When the list of changed files may be incomplete, every model."""
    changed = [f.removeprefix(prefix) for f in changed_files if f.startswith(prefix)]
    if not complete or (config_path and config_path in changed_files):
        return list(config.models)
    touched_benchmarks = {
        name for name, bench in config.benchmarks.items() if any(matches(f, bench.inputs) for f in changed)
    }
    return [
        name
        for name, model in config.models.items()
        if any(matches(f, model.artifacts) for f in changed) or touched_benchmarks & set(model.benchmarks)
    ]
