"""The commands that spread a gate over many machines and runs: `plan`, `run --shard`, `merge` and
`cache-key`, behind the CLI's argument parsing.

`plan` prints the (model, benchmark, shard) jobs a change needs as a `strategy.matrix`; each job runs
`gatebot run --shard I/N`; `merge` (or the gate reading a `results-dir`) joins the parts; `cache-key`
names the folder of reusable results for `actions/cache`. docs/scaling.md shows the same contract
driving a Kubernetes Indexed Job and `ray job submit`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from gatebot.config import LoadedConfig
from gatebot.errors import ConfigError, GatebotError, InputError
from gatebot.github.client import connect
from gatebot.github.pulls import changed_files
from gatebot.plan import Job, affected_models, select_jobs
from gatebot.results import write_results
from gatebot.reuse import WHOLE, ReuseKey, Shard, cache_key, parse_shard
from gatebot.runs import LocalCache, Runs, cache_folder, job_key, partials, scope_of
from gatebot.settings import Settings
from gatebot.shards import matrix, merge


def scope(settings: Settings) -> str:
    """The trust scope of this process, from the event when in Actions (see `gatebot.reuse`)."""
    return scope_of(
        in_actions=settings.in_actions,
        event_name=settings.event_name,
        event_path=settings.event_path,
        repository=settings.repository,
    )


def cache_dir(settings: Settings, loaded: LoadedConfig) -> Path:
    """The cache folder. Its default lies in the settings' output folder, never in a `--out` folder:
    the folder a shard's results go to is uploaded, and the cache need not travel with it."""
    return cache_folder(loaded, override=settings.cache_dir, out_dir=settings.out_dir)


def runs_for(settings: Settings, loaded: LoadedConfig, *, reuse: bool, log: IO[str] | None = None) -> Runs:
    """Runs that reuse results from the cache folder of this trust scope (the CLI has no branch)."""
    cache = LocalCache(cache_dir(settings, loaded), scope(settings))
    return Runs(log=log or sys.stderr, cache=cache, reuse=reuse)


def shard_for(text: str | None, loaded: LoadedConfig, benchmark: str) -> Shard:
    """The `--shard I/N` of a job, which must match the benchmark's `shards:`."""
    if text is None:
        return WHOLE
    shard = parse_shard(text)
    declared = loaded.config.benchmarks[benchmark].shards
    if shard.count != declared:
        raise ConfigError(
            f"--shard {shard}: benchmark {benchmark} has shards: {declared}",
            "run the shards `gatebot plan` lists, or change `shards:` in the config",
        )
    return shard


def read_changed_files(path: str) -> list[str]:
    """The paths in a file (one a line), or on stdin for `-`."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"--changed-files {path}: cannot read it ({error})") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def pull_request_files(settings: Settings) -> list[str] | None:
    """The files the event's pull request changes, from the API; None when it is not a pull request's
    event or GitHub's list is cut (then every model counts as changed)."""
    if settings.event_name != "pull_request" or settings.event_path is None:
        return None
    try:
        number = int(json.loads(settings.event_path.read_text(encoding="utf-8"))["pull_request"]["number"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(f"{settings.event_path}: no pull request number in the event ({error})") from None
    if not settings.repository or settings.token is None:
        raise GatebotError(
            "--from-event needs GITHUB_REPOSITORY and a token in GATEBOT_TOKEN or GITHUB_TOKEN",
            "pass `GITHUB_TOKEN: ${{ github.token }}` in the step's env (it needs pull-requests: read)",
        )
    files, truncated = changed_files(connect(settings.api_url, settings.token), settings.repository, number)
    return None if truncated else files


def plan(
    loaded: LoadedConfig,
    *,
    changed: list[str] | None,
    models: Sequence[str] = (),
    benchmarks: Sequence[str] = (),
    root: Path | None = None,
) -> str:
    """The matrix JSON (one line): every selected job, or those the `changed` files touch.

    `changed` paths are relative to `root` (the repository, default the working folder)."""
    chosen = list(models)
    if changed is not None:
        try:
            prefix = loaded.root.resolve().relative_to((root or Path.cwd()).resolve()).as_posix()
        except ValueError:
            prefix = "."
        prefix = "" if prefix == "." else prefix + "/"
        touched = affected_models(loaded.config, changed, prefix=prefix)
        chosen = [m for m in touched if not models or m in models]
        if not chosen:
            return json.dumps(matrix(loaded.config, []), separators=(",", ":"))
    jobs = select_jobs(loaded.config, models=chosen, benchmarks=benchmarks)
    return json.dumps(matrix(loaded.config, jobs), separators=(",", ":"))


def merge_folders(folders: Sequence[Path], out_dir: Path) -> list[str]:
    """Merge every sharded run found below `folders` into `<out_dir>/<model>/<benchmark>.json`."""
    for folder in folders:
        if not folder.is_dir():
            raise InputError(f"{folder}: not a folder", "pass the folders the shard jobs wrote to")
    found = partials(folders)
    if not found:
        shown = ", ".join(str(f) for f in folders)
        raise InputError(
            f"no partial results (<model>/<benchmark>.shard-I-of-N.json) in {shown}",
            "pass the folders `gatebot run --shard` wrote to",
        )
    lines = []
    for (model, benchmark), parts in sorted(found.items()):
        merged = merge(parts)
        path = out_dir / model / f"{benchmark}.json"
        write_results(merged, path)
        examples = len(merged.examples) if merged.examples is not None else 0
        lines.append(f"{path}: {model} on {benchmark}, {len(parts)} shards, {examples} examples")
    return lines


def cache_key_lines(
    settings: Settings, loaded: LoadedConfig, jobs: Sequence[Job], *, shard: str | None
) -> str:
    """`key=`, `restore-keys=` and `path=` lines, to append to `$GITHUB_OUTPUT` for `actions/cache`."""
    keys: list[ReuseKey] = []
    for job in jobs:
        if not loaded.config.benchmarks[job.benchmark].reuse:
            continue
        made = job_key(loaded, job, shard_for(shard, loaded, job.benchmark))
        if isinstance(made, ReuseKey):
            keys.append(made)
    key, prefix = cache_key(keys, scope(settings))
    folder = cache_dir(settings, loaded).resolve()
    return f"key={key}\nrestore-keys={prefix}\npath={folder}\n"
