"""`gatebot gate` on a developer's machine: baselines from files, `--base REF` benchmarked in a git
worktree where none is stored (what a pull request does with its base commit), and a line on stderr
for each baseline still missing, with the command that stores one.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from gatebot.baselines import FileSource, Found, LocalStore
from gatebot.config import LoadedConfig
from gatebot.errors import GatebotError
from gatebot.gating import RunBase, gate
from gatebot.plan import Job
from gatebot.results import Results
from gatebot.runner import repository_root, resolve_commit, run_at_commit
from gatebot.runs import Runs
from gatebot.verdict import GateReport


@dataclass(frozen=True)
class LocalGate:
    """What one `gatebot gate` needs besides the config and the jobs."""

    store: LocalStore
    out_dir: Path
    base: str | None = None
    """`--base REF`: the commit to benchmark where no baseline is stored."""
    save_options: Sequence[str] = ()
    """The options (`--config`, `--baselines`) that `gatebot baseline save` needs to store where the gate
    looks."""
    runs: Runs | None = None
    """How results are produced: reused from the cache folder or run (default: always run)."""
    results_dir: Path | None = None
    """`--results-dir`: the candidate is what other jobs left there (shards merged); nothing runs."""


def gate_locally(loaded: LoadedConfig, jobs: list[Job], how: LocalGate, *, log: IO[str]) -> GateReport:
    """Run `jobs`, compare each with its stored baseline (or a run of `how.base`), report what is missing."""
    root = loaded.root
    label = (
        os.path.relpath(how.store.root, root) if how.store.root.is_relative_to(root) else str(how.store.root)
    )
    written: dict[tuple[str, str], Path] = {}
    runs = how.runs or Runs(log=log, reuse=False)

    def candidate(job: Job) -> Results:
        if how.results_dir is not None:
            results, path = runs.read(loaded, how.results_dir, job, how.out_dir)
        else:
            results, path = runs.run(loaded, job, how.out_dir)
        written[job.model, job.benchmark] = path
        return results

    report = gate(
        loaded,
        jobs,
        candidate=candidate,
        source=FileSource(how.store, label=label),
        run_base=run_ref(loaded, how.base, how.out_dir / "base", runs, log=log) if how.base else None,
    )
    if runs.keyed or how.results_dir is not None:
        # The footer when some job's results could have been reused, or came from other jobs: a run of
        # benchmarks that declare no `inputs` reports as it always did.
        report = dataclasses.replace(report, costs=tuple(runs.costs))
    ran_base = how.base if loaded.config.gate.missing_baseline == "run-base" else None
    for verdict in report.verdicts:
        if verdict.baseline_source is None:
            key = (verdict.model, verdict.benchmark)
            stored = how.store.path_for(*key)
            log.write(no_baseline(*key, stored, written[key], base=ran_base, options=how.save_options) + "\n")
    return report


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive
        return str(path)


def no_baseline(
    model: str, benchmark: str, stored: Path, results: Path, *, base: str | None, options: Sequence[str]
) -> str:
    """What is missing and the command that fixes it, in one line."""
    what = f"gatebot: no baseline of {model} on {benchmark}: {_shown(stored)} does not exist"
    command = shlex.join(["gatebot", "baseline", "save", _shown(results), *options])
    fix = f"record this run's results as the baseline with `{command}`"
    if base is not None:
        return f"{what} and {base} has no such model or benchmark; {fix}"
    return f"{what}; {fix}, or compare with a commit: `gatebot gate --base REF`"


def run_ref(loaded: LoadedConfig, ref: str, out_dir: Path, runs: Runs, *, log: IO[str]) -> RunBase:
    """`--base REF`: benchmark a job at REF in a worktree when no baseline is stored. REF is checked now,
    before any benchmark runs."""
    root = repository_root(loaded.root)
    if root is None:
        raise GatebotError(
            f"--base {ref}: {loaded.root} is not in a git repository", "store a baseline instead"
        )
    sha = resolve_commit(root, ref)
    if sha is None:
        raise GatebotError(
            f"--base {ref}: no such commit in {root}", "name a branch, a tag or a commit (`git log`)"
        )

    def run(job: Job) -> Found | None:
        log.write(
            f"gatebot: {job.model} on {job.benchmark} has no stored baseline: benchmarking {ref} "
            f"({sha[:7]}) in a worktree\n"
        )
        label = f"{job.benchmark} for {job.model} at {ref}"
        results = run_at_commit(
            root,
            loaded,
            job,
            sha,
            out_dir,
            log=log,
            run=lambda at, j, out: runs.run(at, j, out, label=label)[0],
        )
        if results is None:
            return None
        return Found(results, f"commit {sha[:7]} (--base), benchmarked in this run (no baseline was stored)")

    return run
