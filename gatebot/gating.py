"""One gate run: for each (model, benchmark), run the candidate, find its baseline, compare, annotate.

Shared by `gatebot gate` (baselines from files) and the Action (baselines from the branch, then files,
then the pull request's base commit benchmarked on the spot). Where a baseline comes from is a
`BaselineSource`; running the base commit is a callable the Action passes in.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Protocol

from gatebot.baselines import LocalStore
from gatebot.compare import compare
from gatebot.config import LoadedConfig
from gatebot.decision import attach_reference, missing_baseline
from gatebot.plan import Job
from gatebot.results import Results
from gatebot.runner import run_benchmark
from gatebot.verdict import GateReport, TrendPoint, Verdict


@dataclass(frozen=True)
class Found:
    """A baseline and, for the reader, where it came from."""

    results: Results
    source: str


class BaselineSource(Protocol):
    def find(self, model: str, benchmark: str) -> Found | None: ...

    def trend(self, model: str, benchmark: str, points: int) -> list[TrendPoint]: ...


@dataclass(frozen=True)
class FileSource:
    """Baselines committed with the code: `.gatebot/baselines/<model>/<benchmark>.json`."""

    store: LocalStore
    label: str

    def find(self, model: str, benchmark: str) -> Found | None:
        results = self.store.load(model, benchmark)
        if results is None:
            return None
        return Found(results, f"{self.label}/{model}/{benchmark}.json")

    def trend(self, model: str, benchmark: str, points: int) -> list[TrendPoint]:
        del model, benchmark, points
        return []


RunBase = Callable[[Job], Found | None]
Group = Callable[[str], AbstractContextManager[None]]


def _no_group(title: str) -> AbstractContextManager[None]:
    del title
    return nullcontext()


def gate(
    loaded: LoadedConfig,
    jobs: list[Job],
    out_dir: Path,
    *,
    source: BaselineSource,
    log: IO[str],
    group: Group = _no_group,
    run_base: RunBase | None = None,
) -> GateReport:
    """Run every job's candidate and compare it with its baseline (and its model's reference)."""
    config = loaded.config
    verdicts: list[Verdict] = []
    for job in jobs:
        with group(f"gatebot: {job.benchmark} for {job.model}"):
            candidate, _ = run_benchmark(loaded, job, out_dir, log=log)
        found = source.find(job.model, job.benchmark)
        if found is None and run_base is not None and config.gate.missing_baseline == "run-base":
            with group(f"gatebot: {job.benchmark} for {job.model} on the base commit"):
                found = run_base(job)
        if found is None:
            verdicts.append(missing_baseline(candidate, policy=config.gate.missing_baseline))
            continue
        verdict = replace(compare(found.results, candidate, config), baseline_source=found.source)
        verdict = _with_reference(verdict, loaded, job, candidate, source)
        if config.gate.trend_points:
            history = source.trend(job.model, job.benchmark, config.gate.trend_points)
            if history:
                verdict = replace(verdict, trend=(*history, TrendPoint("this run", dict(candidate.metrics))))
        verdicts.append(verdict)
    return GateReport(tuple(verdicts))


def _with_reference(
    verdict: Verdict, loaded: LoadedConfig, job: Job, candidate: Results, source: BaselineSource
) -> Verdict:
    model = loaded.config.models.get(job.model)
    if model is None or model.reference is None:
        return verdict
    found = source.find(model.reference, job.benchmark)
    if found is None:
        note = (
            f"No baseline of the reference model {model.reference} on {job.benchmark}: not compared with it."
        )
        return replace(verdict, notes=(*verdict.notes, note))
    against = compare(found.results, candidate, loaded.config)
    return attach_reference(verdict, against, model=model.reference, gates=model.gate_on_reference)
