"""One gate run: for each (model, benchmark), run the candidate, find its baseline, compare, annotate.

Shared by `gatebot gate` (baselines from files) and the Action (baselines from the branch, then files,
then the pull request's base commit benchmarked on the spot). Where a baseline comes from is a
`BaselineSource`; producing the candidate's results and running the base commit are callables the
caller passes in, so the gate itself runs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace

from gatebot.baselines import BaselineSource, Found
from gatebot.baselines.layout import slice_means
from gatebot.compare import compare, compare_run
from gatebot.config import LoadedConfig
from gatebot.decision import attach_reference, missing_baseline
from gatebot.plan import Job
from gatebot.results import Results
from gatebot.verdict import GateReport, TrendPoint, Verdict

RunCandidate = Callable[[Job], Results]
RunBase = Callable[[Job], Found | None]
Group = Callable[[str], AbstractContextManager[None]]


def _no_group(title: str) -> AbstractContextManager[None]:
    del title
    return nullcontext()


def gate(
    loaded: LoadedConfig,
    jobs: list[Job],
    *,
    candidate: RunCandidate,
    source: BaselineSource,
    group: Group = _no_group,
    run_base: RunBase | None = None,
) -> GateReport:
    """Compare every job's candidate with its baseline (and its model's reference).

    `candidate(job)` gives the results under test; `run_base(job)`, when given, benchmarks the base
    commit for a job that has no baseline and whose config asks for `missing_baseline: run-base`. The
    gated tests of every job form one family (`gate.family: run`) unless the config says `benchmark`.
    """
    config = loaded.config
    verdicts: list[Verdict | None] = []
    compared: list[tuple[Job, Results, Found]] = []
    for job in jobs:
        with group(f"gatebot: {job.benchmark} for {job.model}"):
            results = candidate(job)
        found = source.find(job.model, job.benchmark)
        if found is None and run_base is not None and config.gate.missing_baseline == "run-base":
            with group(f"gatebot: {job.benchmark} for {job.model} on the base commit"):
                found = run_base(job)
        if found is None:
            verdicts.append(missing_baseline(results, policy=config.gate.missing_baseline, config=config))
            continue
        verdicts.append(None)
        compared.append((job, results, found))
    judged = iter(compare_run([(found.results, results) for _, results, found in compared], config))
    out: list[Verdict] = []
    pending = iter(compared)
    for verdict in verdicts:
        if verdict is not None:
            out.append(verdict)
            continue
        job, results, found = next(pending)
        judged_verdict = replace(next(judged), baseline_source=found.source)
        judged_verdict = _with_reference(judged_verdict, loaded, job, results, source)
        if config.gate.trend_points:
            history = source.trend(job.model, job.benchmark, config.gate.trend_points)
            if history:
                point = TrendPoint("this run", dict(results.metrics), slice_means(results))
                judged_verdict = replace(judged_verdict, trend=(*history, point))
        out.append(judged_verdict)
    return GateReport(tuple(out))


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
