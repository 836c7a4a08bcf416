"""One gate run with its candidate and base runs passed in: which baseline each job is compared with."""

from __future__ import annotations

from pathlib import Path

from gatebot.baselines import FileSource, Found, LocalStore
from gatebot.config import LoadedConfig, parse_config
from gatebot.gating import gate
from gatebot.plan import Job
from gatebot.results import Results
from gatebot.verdict import Outcome
from tests.factories import make_results

SCORES = {"accuracy": [1, 0, 1, 1] * 25}
JOB = Job("router", "tickets")


def _loaded(tmp_path: Path, missing_baseline: str) -> LoadedConfig:
    config = parse_config(
        {
            "models": {"router": {"benchmarks": ["tickets"]}},
            "benchmarks": {"tickets": {"run": "true"}},
            "gate": {"missing_baseline": missing_baseline, "trend_points": 0},
        },
        where="test",
    )
    return LoadedConfig(config=config, path=None, root=tmp_path)


def _run(job: Job) -> Results:
    return make_results(SCORES, model=job.model, benchmark=job.benchmark)


def test_gate__stored_baseline__candidate_compared_and_base_never_run(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "baselines")
    store.save(_run(JOB))
    ran: list[Job] = []

    def run_base(job: Job) -> Found | None:
        ran.append(job)
        return None

    report = gate(
        _loaded(tmp_path, "run-base"),
        [JOB],
        candidate=_run,
        source=FileSource(store, label="baselines"),
        run_base=run_base,
    )
    assert [v.outcome for v in report.verdicts] == [Outcome.PASSED]
    assert report.verdicts[0].baseline_source == "baselines/router/tickets.json"
    assert ran == []


def test_gate__no_baseline_and_run_base_policy__base_run_is_the_baseline(tmp_path: Path) -> None:
    def run_base(job: Job) -> Found | None:
        return Found(_run(job), "the base commit")

    report = gate(
        _loaded(tmp_path, "run-base"),
        [JOB],
        candidate=_run,
        source=FileSource(LocalStore(tmp_path), label="baselines"),
        run_base=run_base,
    )
    assert report.verdicts[0].baseline_source == "the base commit"
    assert report.verdicts[0].outcome is Outcome.PASSED


def test_gate__no_baseline_and_pass_policy__base_not_run(tmp_path: Path) -> None:
    ran: list[Job] = []

    def run_base(job: Job) -> Found | None:
        ran.append(job)
        return None

    report = gate(
        _loaded(tmp_path, "pass"),
        [JOB],
        candidate=_run,
        source=FileSource(LocalStore(tmp_path), label="baselines"),
        run_base=run_base,
    )
    assert ran == []
    assert report.verdicts[0].baseline_source is None
