"""Run benchmark commands in subprocesses and turn what they write into validated results.

The command's output streams to our log as it comes; on failure the error names the benchmark, the
exit status and the last lines of that output. Results are written through a temporary directory and
only a validated file lands in the output directory: nothing half-written is kept. It runs past 400
lines because one command's whole life is here: placeholders, environment, bounded output, the
process tree's end, and the validated results.
"""

from __future__ import annotations

import codecs
import collections
import dataclasses
import hashlib
import json
import os
import selectors
import shlex
import shutil
import stat
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from gatebot import __version__, proctree
from gatebot.config import DEFAULT_CONFIG_FILE, BenchmarkConfig, LoadedConfig, load_config
from gatebot.errors import BenchmarkError, ConfigError, InputError
from gatebot.importers import ImportOptions, import_results
from gatebot.plan import Job, glob_to_regex
from gatebot.results import Results, is_results_file, load_results, write_results
from gatebot.reuse import WHOLE, Shard
from gatebot.workflow import FILE_COMMANDS

_TAIL_LINES = 20
# Credentials of the workflow that a benchmark (the pull request's own code) must never see: with them it
# could post its own green check or comment. Secrets a benchmark needs go in its `env:`. The action's
# `secrets` input holds every benchmark's secrets at once: each benchmark is given only those it declares.
WITHHELD = frozenset(
    {
        "GATEBOT_TOKEN",
        "GITHUB_TOKEN",
        "INPUT_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "GATEBOT_SECRETS",
        "INPUT_SECRETS",
    }
)
_KILL_GRACE_SECONDS = 5.0
_DRAIN_SECONDS = 1.0
_POLL_SECONDS = 0.05
_READ_BYTES = 1 << 16
_LINE_CHARS = 4096
_ONE_AT_A_TIME = threading.Lock()


PLACEHOLDERS: tuple[str, ...] = ("model", "benchmark", "output", "python", "shard", "shards")
"""The names a benchmark's `run:` and `results:` may use as `{name}`."""


def _placeholders(job: Job, output: Path, shard: Shard = WHOLE) -> dict[str, str]:
    return {
        "model": job.model,
        "benchmark": job.benchmark,
        "output": str(output),
        "python": sys.executable,
        "shard": str(shard.index),
        "shards": str(shard.count),
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
            "use {model}, {benchmark}, {output}, {python}, {shard} or {shards}; write {{ and }} for literal "
            "braces",
        )
    filled = {k: shlex.quote(v) if quote else v for k, v in values.items()}
    return template.format_map(filled)


def _tree_entries(root: Path) -> Iterator[tuple[str, bool]]:
    """(relative POSIX path, is a symlink) of every regular file and symlink below `root`, outside `.git`.

    Symlinks are never followed, to a file or to a directory: one pointing out of the repository
    (`/dev/zero`, `/proc/self/environ`, a file elsewhere on the runner) is never opened. FIFOs, sockets
    and devices are not artifacts and are left out."""
    stack = [(root, "")]
    while stack:
        directory, prefix = stack.pop()
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError:
            continue
        for entry in entries:
            if entry.name == ".git":
                continue
            relative = prefix + entry.name
            if entry.is_symlink():
                yield relative, True
            elif entry.is_dir(follow_symlinks=False):
                stack.append((Path(entry.path), relative + "/"))
            elif entry.is_file(follow_symlinks=False):
                yield relative, False


def tree_files(root: Path) -> Iterator[str]:
    """The relative POSIX path of every file and symlink below `root`, outside `.git`: what artifact and
    input globs are matched against."""
    return (relative for relative, _ in _tree_entries(root))


def _file_digest(path: Path) -> str | None:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None  # replaced or removed since the walk
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        inner = hashlib.sha256()
        for block in iter(lambda: handle.read(1 << 20), b""):
            inner.update(block)
    return inner.hexdigest()


def artifact_digest(root: Path, patterns: list[str]) -> str | None:
    """sha256 over the sorted artifact files matching `patterns` below `root` (paths and contents).

    A symlink counts by the text of its target (`os.readlink`), never by what it points to."""
    if not patterns:
        return None
    regexes = [glob_to_regex(p.removeprefix("./")) for p in patterns]
    found = sorted(
        (
            (relative, link)
            for relative, link in _tree_entries(root)
            if any(r.match(relative) for r in regexes)
        ),
        key=lambda item: item[0].split("/"),
    )
    if not found:
        return None
    outer = hashlib.sha256()
    for relative, link in found:
        if link:
            try:
                target = hashlib.sha256(os.fsencode(os.readlink(root / relative))).hexdigest()
            except OSError:
                continue  # removed since the walk
            outer.update(f"{relative}\0symlink:{target}\n".encode())
            continue
        digest = _file_digest(root / relative)
        if digest is not None:
            outer.update(f"{relative}\0{digest}\n".encode())
    return "sha256:" + outer.hexdigest()


_NOT_DIGESTED = frozenset({"shards", "reuse", "secrets"})
"""Benchmark fields that change how gatebot schedules or feeds a run (its shards, whether it is reused,
which secrets it is given), not what the run measures."""


def config_digest(spec: BenchmarkConfig) -> str:
    canonical = json.dumps(
        spec.model_dump(mode="json", exclude=set(_NOT_DIGESTED)), sort_keys=True, separators=(",", ":")
    )
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Digests:
    """What a job's results depend on, digested before it runs (see `gatebot.reuse`)."""

    model: str | None
    inputs: str | None
    config: str


def job_digests(loaded: LoadedConfig, job: Job) -> Digests:
    """The digests of the model's artifacts, the benchmark's inputs and its config."""
    spec = loaded.config.benchmarks[job.benchmark]
    return Digests(
        model=artifact_digest(loaded.root, loaded.config.models[job.model].artifacts),
        inputs=artifact_digest(loaded.root, spec.inputs),
        config=config_digest(spec),
    )


def results_path(out_dir: Path, job: Job, shard: Shard = WHOLE) -> Path:
    """Where the results of a job (or of one shard of it) are written below `out_dir`."""
    name = (
        f"{job.benchmark}.json"
        if shard.whole
        else f"{job.benchmark}.shard-{shard.index}-of-{shard.count}.json"
    )
    return out_dir / job.model / name


def git_commit(root: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


class _Output:
    """The command's output: copied to the log as it arrives, its last lines kept for the error message.

    The pipe is read in chunks of at most `_READ_BYTES`, and a kept line holds at most `_LINE_CHARS` of its
    last characters, so a gigabyte without a newline costs no more memory than a short line. As in text
    mode, `\r\n` and lone `\r` (progress bars) end lines."""

    def __init__(self, stream: IO[bytes], log: IO[str]) -> None:
        self._fd = stream.fileno()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._fd, selectors.EVENT_READ)
        self._log = log
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._cr = False
        self._line = ""
        self._cut = False
        self.tail: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
        self.open = True

    def read(self, seconds: float) -> None:
        """Copy what arrives within `seconds` (one chunk at most); just wait once the pipe is closed."""
        if not self.open:
            time.sleep(seconds)
            return
        if not self._selector.select(seconds):
            return
        chunk = os.read(self._fd, _READ_BYTES)
        if chunk:
            self._text(self._decoder.decode(chunk))
        else:
            self._text(self._decoder.decode(b"", final=True) + ("\n" if self._cr else ""))
            self._cr = False
            if self._line:
                self._end_line()
            self.open = False
            self._selector.close()

    def drain(self, seconds: float) -> None:
        """Read until the pipe closes, for at most `seconds` (a writer gatebot could not stop keeps it
        open)."""
        deadline = time.monotonic() + seconds
        while self.open and (left := deadline - time.monotonic()) > 0:
            self.read(left)
        if self.open:
            self.open = False
            self._selector.close()

    def _text(self, text: str) -> None:
        if self._cr:
            text = "\r" + text
        self._cr = text.endswith("\r")
        if self._cr:
            text = text[:-1]
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if not text:
            return
        self._log.write(text)
        self._log.flush()
        first, *rest = text.split("\n")
        self._add(first)
        for part in rest:
            self._end_line()
            self._add(part)

    def _add(self, part: str) -> None:
        self._line += part
        if len(self._line) > _LINE_CHARS:
            self._line = self._line[-_LINE_CHARS:]
            self._cut = True

    def _end_line(self) -> None:
        self.tail.append(("…" if self._cut else "") + self._line)
        self._line = ""
        self._cut = False


def _tail_text(tail: collections.deque[str]) -> str:
    lines = [line for line in tail if line.strip()][-5:]
    return " | ".join(lines) if lines else "(no output)"


def run_command(
    command: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    log: IO[str],
    what: str,
    grace: float = _KILL_GRACE_SECONDS,
) -> None:
    """Run a shell command, streaming its output to `log`; raise BenchmarkError on failure or timeout.

    The run ends when the shell exits or `timeout` seconds have passed, whatever its children do; then
    every process it started is stopped (SIGTERM, SIGKILL after `grace` seconds), on success too. What
    "every" means on each platform is in `gatebot.proctree`. The wall time is bounded by `timeout + grace`
    and a few seconds more at most (SIGKILL rounds, then one second to read what is left in the pipe)."""
    # One command at a time: the processes reparented to gatebot during a run are taken to be that run's.
    with _ONE_AT_A_TIME, proctree.subreaper():
        before = proctree.children()
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
                start_new_session=True,
            )
        except OSError as error:
            raise BenchmarkError(
                f"{what}: cannot start the command: {error.strerror}", f"workdir: {cwd}"
            ) from None
        assert process.stdout is not None
        with process.stdout:
            output = _Output(process.stdout, log)
            deadline = time.monotonic() + timeout
            timed_out = False
            try:
                while process.poll() is None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        timed_out = True
                        break
                    output.read(min(left, _POLL_SECONDS))
            finally:
                left_running = proctree.stop(process, before, grace=grace, wait=output.read)
                output.drain(_DRAIN_SECONDS)
                status = process.wait()
    if timed_out:
        raise BenchmarkError(
            f"{what}: timed out after {timeout:g} s and was stopped; last output: {_tail_text(output.tail)}",
            "raise `timeout` for this benchmark in the config, or make the benchmark faster",
        )
    if left_running:
        s = "es" if left_running > 1 else ""
        log.write(f"gatebot: stopped {left_running} process{s} the command left running\n")
    if status != 0:
        shown = f"signal {-status}" if status < 0 else f"status {status}"
        raise BenchmarkError(
            f"{what}: the command exited with {shown}; last output: {_tail_text(output.tail)}",
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
    secrets: Mapping[str, str] | None = None,
    shard: Shard = WHOLE,
    digests: Digests | None = None,
) -> tuple[Results, Path]:
    """Run one benchmark (or one `shard` of it) for one model; return the validated results and where
    they were written. `digests`, when the caller computed them already, are recorded as they are.

    `secrets` (the values of the benchmark's declared `secrets:`) go into its command's environment
    whatever their names: they are the benchmark's own, unlike the job's tokens `environ` may hold."""
    spec = loaded.config.benchmarks[job.benchmark]
    what = f"benchmark {job.benchmark} (model {job.model})"
    field = (
        f"{loaded.path}: benchmarks.{job.benchmark}"
        if loaded.path is not None
        else f"benchmarks.{job.benchmark}"
    )
    if spec.run is None:
        raise ConfigError(f"{field}.run: no command to run", "add `run:` to the benchmark")
    cwd = loaded.resolve(spec.workdir)
    if not cwd.is_dir():
        raise ConfigError(f"{field}.workdir: {cwd} is not a directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".gatebot-run-", dir=out_dir))
    try:
        output = scratch / "results.json"
        values = _placeholders(job, output.resolve(), shard)
        command = render_command(spec.run, values, where=f"{field}.run")
        env = benchmark_environ(os.environ if environ is None else environ)
        env.update(spec.env)
        env.update(secrets or {})
        env.update(
            GATEBOT_MODEL=job.model,
            GATEBOT_BENCHMARK=job.benchmark,
            GATEBOT_OUTPUT=str(output.resolve()),
            GATEBOT_SHARD_INDEX=str(shard.index),
            GATEBOT_SHARD_COUNT=str(shard.count),
        )
        if not shard.whole:
            what += f" shard {shard}"
        started = time.monotonic()
        run_command(command, cwd=cwd, env=env, timeout=spec.timeout, log=log, what=what)
        seconds = time.monotonic() - started
        produced = output
        if spec.results is not None:
            relative = render_command(spec.results, values, where=f"{field}.results", quote=False)
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
        ran = _Ran(digests or job_digests(loaded, job), shard, seconds)
        results = _stamp(results, loaded, job, ran)
        final = results_path(out_dir, job, shard)
        write_results(results, final)
        return results, final
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def benchmark_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """What a benchmark's command inherits of `environ`: no credential, no file command of the runner
    (with those it could set variables such as `BASH_ENV` for the job's later steps).

    Every variable with TOKEN as a word of its name goes (`HF_TOKEN`, `GH_TOKEN`; not
    `TOKENIZERS_PARALLELISM`), whatever it is for: a benchmark that needs such a secret gets it under
    another name. Bytecode is not written, so a benchmark run by gatebot's own interpreter
    (`{python}`) leaves gatebot's installation as it found it: the publish step checks that it did.
    """
    kept = {
        name: value
        for name, value in environ.items()
        if name not in WITHHELD and name not in FILE_COMMANDS and "TOKEN" not in name.upper().split("_")
    }
    kept["PYTHONDONTWRITEBYTECODE"] = "1"
    return kept


@dataclass(frozen=True)
class _Ran:
    digests: Digests
    shard: Shard
    seconds: float


def _stamp(results: Results, loaded: LoadedConfig, job: Job, ran: _Ran) -> Results:
    """Name the results after the config's model and benchmark and record where they came from.

    What the benchmark wrote in its provenance is kept, except the keys reuse and merging rely on
    (`inputs_digest`, `shard`, `wall_seconds`): those are gatebot's."""
    provenance: dict[str, Any] = {
        "git_commit": git_commit(loaded.root),
        "model_digest": ran.digests.model,
        "config_digest": ran.digests.config,
        "created_at": utc_timestamp(),
        "gatebot_version": __version__,
    }
    if results.model != job.model:
        provenance["reported_model"] = results.model
    owned: dict[str, Any] = {"inputs_digest": ran.digests.inputs, "wall_seconds": round(ran.seconds, 3)}
    if not ran.shard.whole:
        owned["shard"] = str(ran.shard)
    kept = {k: v for k, v in results.provenance.items() if k not in _OWNED}
    stamped = dataclasses.replace(results, benchmark=job.benchmark, model=job.model, provenance=kept)
    stamped = stamped.with_provenance({k: v for k, v in provenance.items() if v is not None})
    return dataclasses.replace(
        stamped, provenance={**stamped.provenance, **{k: v for k, v in owned.items() if v is not None}}
    )


_OWNED = frozenset({"inputs_digest", "shard", "wall_seconds"})


def utc_timestamp() -> str:
    """Now, as the ISO 8601 UTC timestamp gatebot writes everywhere."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=300, check=False)


def file_at_commit(repository_root: Path, sha: str, path: str) -> str | None:
    """The text of `path` at commit `sha` of the checkout, or None when git cannot show it (not a
    repository, a commit it does not have, no such file). Reads the object store only: nothing from the
    working tree runs or is read."""
    done = _git(repository_root, "show", f"{sha}:{path}")
    return done.stdout if done.returncode == 0 else None


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


def run_at_commit(
    repository_root: Path,
    loaded: LoadedConfig,
    job: Job,
    sha: str,
    out_dir: Path,
    *,
    log: IO[str],
    run: Callable[[LoadedConfig, Job, Path], Results] | None = None,
) -> Results | None:
    """Run `job` as the commit `sha` has it (its config, its benchmark, its model), in a worktree of its
    own that is removed afterwards. None when that commit's config does not have the job: the commit
    before gatebot, the model or the benchmark came, or a config outside `repository_root`.

    `run` produces the results from the commit's config (default: `run_benchmark`; a caller that
    reuses results passes its own)."""
    try:
        relative = loaded.root.resolve().relative_to(repository_root.resolve())
    except ValueError:
        return None
    scratch = Path(tempfile.mkdtemp(prefix="gatebot-base-"))
    try:
        worktree = base_worktree(repository_root, sha, scratch / "base")
        try:
            config_path = worktree / relative / (loaded.path.name if loaded.path else DEFAULT_CONFIG_FILE)
            if not config_path.exists():
                return None
            at_commit = load_config(config_path, required=True)
            if job.model not in at_commit.config.models or job.benchmark not in at_commit.config.benchmarks:
                return None
            if run is not None:
                return run(at_commit, job, out_dir)
            results, _ = run_benchmark(at_commit, job, out_dir, log=log)
            return results
        finally:
            remove_worktree(repository_root, worktree)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def resolve_commit(repository_root: Path, ref: str) -> str | None:
    """The commit `ref` names in the repository (a branch, a tag, a SHA, `HEAD~1`), or None."""
    if ref.startswith("-"):
        return None  # never an option to git
    done = _git(repository_root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    return done.stdout.strip() or None if done.returncode == 0 else None


def repository_root(path: Path) -> Path | None:
    """The top of the git work tree holding `path`, or None outside one."""
    done = _git(path, "rev-parse", "--show-toplevel")
    return Path(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else None
