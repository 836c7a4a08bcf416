"""Run benchmark commands in subprocesses and turn what they write into validated results.

The command's output streams to our log as it comes; on failure the error names the benchmark, the
exit status and the last lines of that output. Results are written through a temporary directory and
only a validated file lands in the output directory: nothing half-written is kept.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import json
import os
import shlex
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from gatebot import __version__
from gatebot.config import BenchmarkConfig, LoadedConfig
from gatebot.errors import BenchmarkError, ConfigError, InputError
from gatebot.importers import ImportOptions, import_results
from gatebot.plan import Job, glob_to_regex
from gatebot.results import Results, is_results_file, load_results, write_results

_TAIL_LINES = 20
# Credentials of the workflow that a benchmark (the pull request's own code) must never see: with them it
# could post its own green check or comment. Secrets a benchmark needs go in its `env:`.
WITHHELD = frozenset(
    {
        "GATEBOT_TOKEN",
        "GITHUB_TOKEN",
        "INPUT_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
    }
)
_KILL_GRACE_SECONDS = 5.0


def _placeholders(job: Job, output: Path) -> dict[str, str]:
    return {
        "model": job.model,
        "benchmark": job.benchmark,
        "output": str(output),
        "python": sys.executable,
    }


def render_command(template: str, values: Mapping[str, str], *, where: str, quote: bool = True) -> str:
    """Fill `{name}` placeholders, shell-quoted; an unknown placeholder is a config error."""
    names = set()
    try:
        for _, field, _, _ in string.Formatter().parse(template):
            if field is not None:
                names.add(field)
    except ValueError as error:
        raise ConfigError(f"{where}: {error}", "write {{ and }} for literal braces") from None
    unknown = sorted(n for n in names if n not in values)
    if unknown:
        raise ConfigError(
            f"{where}: unknown placeholder {{{unknown[0]}}}",
            "use {model}, {benchmark}, {output} or {python}; write {{ and }} for literal braces",
        )
    filled = {k: shlex.quote(v) if quote else v for k, v in values.items()}
    return template.format_map(filled)


def artifact_digest(root: Path, patterns: list[str]) -> str | None:
    """sha256 over the sorted artifact files matching `patterns` below `root` (paths and contents)."""
    if not patterns:
        return None
    regexes = [glob_to_regex(p.removeprefix("./")) for p in patterns]
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and ".git" not in p.parts
        and any(r.match(p.relative_to(root).as_posix()) for r in regexes)
    )
    if not files:
        return None
    outer = hashlib.sha256()
    for path in files:
        inner = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                inner.update(block)
        outer.update(f"{path.relative_to(root).as_posix()}\0{inner.hexdigest()}\n".encode())
    return "sha256:" + outer.hexdigest()


def config_digest(spec: BenchmarkConfig) -> str:
    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def git_commit(root: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _pump(stream: IO[str], log: IO[str], tail: collections.deque[str]) -> None:
    for line in stream:
        log.write(line)
        log.flush()
        tail.append(line.rstrip("\n"))


def _stop(process: subprocess.Popen[str]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=_KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def _tail_text(tail: collections.deque[str]) -> str:
    lines = [line for line in tail if line.strip()][-5:]
    return " | ".join(lines) if lines else "(no output)"


def run_command(
    command: str, *, cwd: Path, env: Mapping[str, str], timeout: float, log: IO[str], what: str
) -> None:
    """Run a shell command, streaming its output to `log`; raise BenchmarkError on failure or timeout."""
    tail: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
    try:
        # The command is the repository's own `run:` line; placeholders are shell-quoted.
        process = subprocess.Popen(  # noqa: S602
            command,
            shell=True,
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError as error:
        raise BenchmarkError(
            f"{what}: cannot start the command: {error.strerror}", f"workdir: {cwd}"
        ) from None
    assert process.stdout is not None
    reader = threading.Thread(target=_pump, args=(process.stdout, log, tail), daemon=True)
    reader.start()
    try:
        status = process.wait(timeout=timeout)
        reader.join()
    except subprocess.TimeoutExpired:
        _stop(process)
        reader.join(timeout=_KILL_GRACE_SECONDS)
        raise BenchmarkError(
            f"{what}: timed out after {timeout:g} s and was stopped; last output: {_tail_text(tail)}",
            "raise `timeout` for this benchmark in the config, or make the benchmark faster",
        ) from None
    except BaseException:
        _stop(process)
        raise
    finally:
        if not reader.is_alive():  # a reader still blocked on a grandchild's pipe keeps it open
            process.stdout.close()
    if status != 0:
        shown = f"signal {-status}" if status < 0 else f"status {status}"
        raise BenchmarkError(
            f"{what}: the command exited with {shown}; last output: {_tail_text(tail)}",
            "fix the benchmark command; its full output is above",
        )


def read_results(path: Path, spec: BenchmarkConfig, *, what: str) -> Results:
    """The results a benchmark wrote, in its configured format: exactly one run of one model."""
    if spec.format == "gatebot" or (spec.format == "auto" and is_results_file(path)):
        return load_results(path)
    options = ImportOptions(
        provider=spec.provider,
        slices=tuple(spec.slices) if spec.slices is not None else None,
        id_column=spec.id_column,
        metric_columns=tuple(spec.metric_columns) if spec.metric_columns is not None else None,
    )
    imported = import_results(path, spec.format, options)
    if len(imported.results) != 1:
        models = ", ".join(r.model for r in imported.results)
        raise ConfigError(
            f"{what}: {path} holds {len(imported.results)} runs ({models})",
            "name the one to gate with `provider:` in the benchmark's config",
        )
    return imported.results[0]


def run_benchmark(
    loaded: LoadedConfig,
    job: Job,
    out_dir: Path,
    *,
    log: IO[str],
    environ: Mapping[str, str] | None = None,
) -> tuple[Results, Path]:
    """Run one benchmark for one model; return the validated results and where they were written."""
    spec = loaded.config.benchmarks[job.benchmark]
    what = f"benchmark {job.benchmark} (model {job.model})"
    if spec.run is None:
        raise ConfigError(f"benchmarks.{job.benchmark}.run: no command to run", "add `run:` to the benchmark")
    cwd = loaded.resolve(spec.workdir)
    if not cwd.is_dir():
        raise ConfigError(f"benchmarks.{job.benchmark}.workdir: {cwd} is not a directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".gatebot-run-", dir=out_dir))
    try:
        output = scratch / "results.json"
        values = _placeholders(job, output.resolve())
        command = render_command(spec.run, values, where=f"benchmarks.{job.benchmark}.run")
        env = {k: v for k, v in (os.environ if environ is None else environ).items() if k not in WITHHELD}
        env.update(spec.env)
        env.update(
            GATEBOT_MODEL=job.model, GATEBOT_BENCHMARK=job.benchmark, GATEBOT_OUTPUT=str(output.resolve())
        )
        run_command(command, cwd=cwd, env=env, timeout=spec.timeout, log=log, what=what)
        produced = output
        if spec.results is not None:
            relative = render_command(
                spec.results, values, where=f"benchmarks.{job.benchmark}.results", quote=False
            )
            produced = cwd / relative
        if not produced.exists():
            raise BenchmarkError(
                f"{what}: the command succeeded but wrote no results at {produced}",
                "write the results to the path gatebot passes as {output}, or set `results:`",
            )
        try:
            results = read_results(produced, spec, what=what)
        except InputError as error:
            raise BenchmarkError(f"{what}: wrote unusable results: {error.message}", error.hint) from None
        results = _stamp(results, loaded, job, spec)
        final = out_dir / job.model / f"{job.benchmark}.json"
        write_results(results, final)
        return results, final
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _stamp(results: Results, loaded: LoadedConfig, job: Job, spec: BenchmarkConfig) -> Results:
    """Name the results after the config's model and benchmark and record where they came from."""
    provenance: dict[str, Any] = {
        "git_commit": git_commit(loaded.root),
        "model_digest": artifact_digest(loaded.root, loaded.config.models[job.model].artifacts),
        "config_digest": config_digest(spec),
        "created_at": utc_timestamp(),
        "gatebot_version": __version__,
    }
    if results.model != job.model:
        provenance["reported_model"] = results.model
    stamped = dataclasses.replace(results, benchmark=job.benchmark, model=job.model)
    return stamped.with_provenance({k: v for k, v in provenance.items() if v is not None})


def utc_timestamp() -> str:
    """Now, as the ISO 8601 UTC timestamp gatebot writes everywhere."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=300, check=False)


def base_worktree(repository_root: Path, sha: str, destination: Path) -> Path:
    """A detached checkout of `sha` beside the current one (git worktree), fetching the commit if the
    checkout is shallow. The caller removes it with `remove_worktree`."""
    if _git(repository_root, "cat-file", "-e", f"{sha}^{{commit}}").returncode != 0:
        fetched = _git(repository_root, "fetch", "--no-tags", "--depth=1", "origin", sha)
        if fetched.returncode != 0:
            raise BenchmarkError(
                f"cannot fetch the base commit {sha[:12]} to run its benchmark: "
                f"{fetched.stderr.strip()[-200:]}",
                "check out with `fetch-depth: 0`, or record baselines on pushes to the default branch",
            )
    added = _git(repository_root, "worktree", "add", "--detach", str(destination), sha)
    if added.returncode != 0:
        raise BenchmarkError(f"cannot check out the base commit {sha[:12]}: {added.stderr.strip()[-200:]}")
    return destination


def remove_worktree(repository_root: Path, destination: Path) -> None:
    _git(repository_root, "worktree", "remove", "--force", str(destination))
