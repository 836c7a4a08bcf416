"""The verdict of a comparison, as frozen values, and its JSON document `gatebot/verdict@1`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gatebot.config import DEFAULT_ALPHA
from gatebot.errors import EXIT_PASSED, EXIT_REGRESSED, EXIT_USAGE, InputError, validation_problem

VERDICT_SCHEMA = "gatebot/verdict@1"


class Status(str, Enum):
    REGRESSED = "regressed"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    WITHIN_NOISE = "within_noise"
    CHANGED = "changed"
    ADDED = "added"
    REMOVED = "removed"
    INCOMPARABLE = "incomparable"


class Outcome(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    INCOMPARABLE = "incomparable"
    NO_BASELINE = "no_baseline"


@dataclass(frozen=True, kw_only=True)
class Row:
    """One metric, overall or on one slice: the two runs' values, the test, and what the gate made of it."""

    metric: str
    """The metric's name, as in the results."""
    slice_key: str | None = None
    """The slice's key (`language`); None for the metric over every example."""
    slice_value: str | None = None
    """The slice's value (`es`); None when `slice_key` is."""
    status: Status
    """What the gate made of the move (the rules are in `gatebot.decision`)."""
    gated: bool
    """Whether the row can fail the gate (a gated metric, overall or on a slice large enough to gate)."""
    declared: bool
    """Whether the config declares the metric under `metrics:`."""
    direction: str | None
    """`higher` or `lower` is better; None when neither the config nor the results say."""
    n: int
    """Examples compared (both runs scored them); 0 for a metric known only as an aggregate."""
    baseline: float | None
    """The baseline's value: the mean over the compared examples, or the aggregate; None when absent."""
    candidate: float | None
    """The candidate's value, likewise."""
    delta: float | None
    """`candidate - baseline`; None when either is absent."""
    ci_low: float | None = None
    """Lower end of the confidence interval of `delta`; None without per-example scores."""
    ci_high: float | None = None
    """Upper end of the confidence interval of `delta`."""
    ci_method: str | None = None
    """How the interval was computed."""
    test: str = "none"
    """The test behind the status: a paired test's name, `threshold` (tolerances only) or `none`."""
    p_value: float | None = None
    """One-sided p-value in the direction the metric moved (toward worse or better), before correction."""
    p_adjusted: float | None = None
    """The same after the multiple-testing correction; None for rows outside the gated family."""
    detectable_drop: float | None = None
    """The smallest drop this many examples detect with 80% power at `alpha`; None without a test."""
    worse_count: int | None = None
    """Examples whose score got worse; None without per-example scores."""
    better_count: int | None = None
    """Examples whose score got better; None without per-example scores."""
    fraction_scale: bool = False
    """Shown as percentages and points (a rate) rather than in the metric's own units."""
    min_effect: float | None = None
    """The declared `min_effect`, for the reader; None for an undeclared metric or a row without a test."""
    reason: str = ""
    """Why the status, in words for the reader."""
    alpha: float | None = None
    """The significance level the row's paired test was judged at; None for a row without one."""

    @property
    def relative(self) -> float | None:
        if self.delta is None or not self.baseline:
            return None
        return self.delta / abs(self.baseline)

    @property
    def slice_label(self) -> str | None:
        return None if self.slice_key is None else f"{self.slice_key}={self.slice_value}"


@dataclass(frozen=True)
class FlipExample:
    id: str
    baseline: float
    candidate: float
    slices: Mapping[str, str]


@dataclass(frozen=True)
class Flips:
    """Examples that changed: all flips of a 0/1 metric; the largest moves of a continuous one."""

    metric: str
    binary: bool
    worse_count: int
    better_count: int
    worse: tuple[FlipExample, ...]
    better: tuple[FlipExample, ...]


@dataclass(frozen=True)
class Comparability:
    baseline_examples: int
    candidate_examples: int
    common: int
    min_overlap: float
    baseline_dataset: str | None
    candidate_dataset: str | None

    @property
    def only_baseline(self) -> int:
        return self.baseline_examples - self.common

    @property
    def only_candidate(self) -> int:
        return self.candidate_examples - self.common

    @property
    def overlap(self) -> float:
        return self.common / self.baseline_examples if self.baseline_examples else 0.0

    @property
    def same_dataset(self) -> bool | None:
        if self.baseline_dataset is None or self.candidate_dataset is None:
            return None
        return self.baseline_dataset == self.candidate_dataset

    @property
    def comparable(self) -> bool:
        return self.common > 0 and self.overlap >= self.min_overlap


@dataclass(frozen=True, kw_only=True)
class Method:
    """How the verdict was computed, recorded beside it."""

    correction: str
    """The multiple-testing correction across the gated tests (`holm`, `bh`, `none`)."""
    confidence: float
    """The confidence level of the intervals."""
    bootstrap_resamples: int
    """Resamples of the bootstrap intervals."""
    seed: int
    """The seed of the bootstrap's generators: the same inputs give the same verdict."""
    min_slice_size: int
    """Slices with fewer examples are shown but never gate."""
    tests: int
    """Gated tests in the correction's family."""
    alpha: float = DEFAULT_ALPHA
    """The significance level of a metric that sets no `alpha`; a metric that sets one is judged at its
    own, which its rows record (`Row.alpha`)."""


@dataclass(frozen=True)
class Reference:
    """The candidate against another model's baseline (say, the base model it was fine-tuned from)."""

    model: str
    rows: tuple[Row, ...]
    gates: bool


@dataclass(frozen=True)
class TrendPoint:
    """One point of a metric's history: a recorded baseline (short commit) or the candidate."""

    label: str
    metrics: Mapping[str, float]


@dataclass(frozen=True)
class Verdict:
    """The comparison of one model on one benchmark."""

    model: str
    benchmark: str
    outcome: Outcome
    rows: tuple[Row, ...]
    slice_rows: tuple[Row, ...]
    flips: tuple[Flips, ...]
    comparability: Comparability | None
    method: Method | None
    notes: tuple[str, ...] = ()
    baseline_provenance: Mapping[str, Any] = field(default_factory=dict)
    candidate_provenance: Mapping[str, Any] = field(default_factory=dict)
    baseline_source: str | None = None
    """Where the baseline came from, for the reader: "commit abc1234 (2026-11-01T00:00:00Z)"."""
    reference: Reference | None = None
    trend: tuple[TrendPoint, ...] = ()

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED

    @property
    def regressions(self) -> tuple[Row, ...]:
        failing = (Status.REGRESSED, Status.REMOVED)
        return tuple(r for r in (*self.rows, *self.slice_rows) if r.gated and r.status in failing)

    @property
    def reference_regressions(self) -> tuple[Row, ...]:
        if self.reference is None or not self.reference.gates:
            return ()
        return tuple(r for r in self.reference.rows if r.gated and r.status is Status.REGRESSED)


@dataclass(frozen=True)
class GateReport:
    """Every verdict of one gate run (one per model and benchmark), with the overall outcome."""

    verdicts: tuple[Verdict, ...]

    @property
    def outcome(self) -> Outcome:
        """The worst outcome of the verdicts (the rule is `decision.report_outcome`)."""
        # Imported here: `decision` builds verdicts, so it imports this module.
        from gatebot.decision import report_outcome  # noqa: PLC0415

        return report_outcome(v.outcome for v in self.verdicts)

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED

    def exit_code(self, *, fail_on_regression: bool = True) -> int:
        """0 passed, 1 a gated metric regressed, 2 no comparison was possible (no baseline, incomparable)."""
        outcome = self.outcome
        if outcome is Outcome.FAILED:
            return EXIT_REGRESSED if fail_on_regression else EXIT_PASSED
        if outcome in (Outcome.INCOMPARABLE, Outcome.NO_BASELINE):
            return EXIT_USAGE
        return EXIT_PASSED


def _num(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _row_document(row: Row, verdict: Verdict) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "model": verdict.model,
        "benchmark": verdict.benchmark,
        "name": row.metric,
    }
    if row.slice_key is not None:
        doc["slice"] = {"key": row.slice_key, "value": row.slice_value}
    doc.update(
        {
            "baseline": _num(row.baseline),
            "candidate": _num(row.candidate),
            "delta": _num(row.delta),
            "relative": _num(row.relative),
            "status": row.status.value,
            "gated": row.gated,
            "declared": row.declared,
            "direction": row.direction,
            "n": row.n,
            "ci": None if row.ci_low is None else [_num(row.ci_low), _num(row.ci_high)],
            "ci_method": row.ci_method,
            "test": row.test,
            "p_value": _num(row.p_value),
            "p_adjusted": _num(row.p_adjusted),
            "detectable_drop": _num(row.detectable_drop),
            "min_effect": row.min_effect,
            "scale": "points" if row.fraction_scale else "units",
            "worse": row.worse_count,
            "better": row.better_count,
            "reason": row.reason,
            "alpha": row.alpha,
        }
    )
    return doc


def _flip_document(example: FlipExample) -> dict[str, Any]:
    return {
        "id": example.id,
        "baseline": example.baseline,
        "candidate": example.candidate,
        "slices": dict(example.slices),
    }


def _verdict_document(v: Verdict) -> dict[str, Any]:
    c = v.comparability
    return {
        "model": v.model,
        "benchmark": v.benchmark,
        "outcome": v.outcome.value,
        "passed": v.passed,
        "regressions": len(v.regressions),
        "notes": list(v.notes),
        "comparability": None
        if c is None
        else {
            "baseline_examples": c.baseline_examples,
            "candidate_examples": c.candidate_examples,
            "common": c.common,
            "only_baseline": c.only_baseline,
            "only_candidate": c.only_candidate,
            "overlap": c.overlap,
            "min_overlap": c.min_overlap,
            "same_dataset": c.same_dataset,
            "baseline_dataset": c.baseline_dataset,
            "candidate_dataset": c.candidate_dataset,
        },
        "method": None
        if v.method is None
        else {
            "correction": v.method.correction,
            "confidence": v.method.confidence,
            "bootstrap_resamples": v.method.bootstrap_resamples,
            "seed": v.method.seed,
            "min_slice_size": v.method.min_slice_size,
            "gated_tests": v.method.tests,
            "alpha": v.method.alpha,
        },
        "flips": [
            {
                "metric": f.metric,
                "kind": "binary" if f.binary else "continuous",
                "worse_count": f.worse_count,
                "better_count": f.better_count,
                "worse": [_flip_document(e) for e in f.worse],
                "better": [_flip_document(e) for e in f.better],
            }
            for f in v.flips
        ],
        "baseline_provenance": dict(v.baseline_provenance),
        "candidate_provenance": dict(v.candidate_provenance),
        "baseline_source": v.baseline_source,
        "reference": None
        if v.reference is None
        else {
            "model": v.reference.model,
            "gates": v.reference.gates,
            "metrics": [_row_document(r, v) for r in v.reference.rows],
        },
        "trend": [{"label": p.label, "metrics": dict(p.metrics)} for p in v.trend],
    }


def report_document(report: GateReport) -> dict[str, Any]:
    """The JSON verdict: overall outcome, every metric row, every slice row, and each run's details."""
    return {
        "schema": VERDICT_SCHEMA,
        "passed": report.passed,
        "outcome": report.outcome.value,
        "metrics": [_row_document(r, v) for v in report.verdicts for r in v.rows],
        "slices": [_row_document(r, v) for v in report.verdicts for r in v.slice_rows],
        "runs": [_verdict_document(v) for v in report.verdicts],
    }


# Reading a verdict document back, e.g. from a bundle written by a fork's job. Such a document is
# untrusted input: it is validated field by field and only ever rendered through the escaping report.


class _Doc(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _SliceDoc(_Doc):
    key: str
    value: str


class _RowDoc(_Doc):
    model: str
    benchmark: str
    name: str
    slice: _SliceDoc | None = None
    baseline: float | None
    candidate: float | None
    delta: float | None
    status: Status
    gated: bool
    declared: bool
    direction: Literal["higher", "lower"] | None
    n: int = Field(ge=0)
    ci: tuple[float | None, float | None] | None = None
    ci_method: str | None = None
    test: str = "none"
    p_value: float | None = None
    p_adjusted: float | None = None
    detectable_drop: float | None = None
    min_effect: float | None = None
    scale: Literal["points", "units"] = "units"
    worse: int | None = None
    better: int | None = None
    reason: str = ""
    alpha: float | None = None

    def row(self) -> Row:
        low, high = self.ci if self.ci is not None else (None, None)
        return Row(
            metric=self.name,
            slice_key=self.slice.key if self.slice else None,
            slice_value=self.slice.value if self.slice else None,
            status=self.status,
            gated=self.gated,
            declared=self.declared,
            direction=self.direction,
            n=self.n,
            baseline=self.baseline,
            candidate=self.candidate,
            delta=self.delta,
            ci_low=low,
            ci_high=high,
            ci_method=self.ci_method,
            test=self.test,
            p_value=self.p_value,
            p_adjusted=self.p_adjusted,
            detectable_drop=self.detectable_drop,
            worse_count=self.worse,
            better_count=self.better,
            fraction_scale=self.scale == "points",
            min_effect=self.min_effect,
            reason=self.reason,
            alpha=self.alpha,
        )


class _FlipExampleDoc(_Doc):
    id: str
    baseline: float
    candidate: float
    slices: dict[str, str] = {}


class _FlipsDoc(_Doc):
    metric: str
    kind: Literal["binary", "continuous"]
    worse_count: int = Field(ge=0)
    better_count: int = Field(ge=0)
    worse: list[_FlipExampleDoc]
    better: list[_FlipExampleDoc]


class _ComparabilityDoc(_Doc):
    baseline_examples: int = Field(ge=0)
    candidate_examples: int = Field(ge=0)
    common: int = Field(ge=0)
    min_overlap: float
    baseline_dataset: str | None = None
    candidate_dataset: str | None = None


class _MethodDoc(_Doc):
    correction: str
    confidence: float
    bootstrap_resamples: int
    seed: int
    min_slice_size: int
    gated_tests: int
    alpha: float = DEFAULT_ALPHA


class _ReferenceDoc(_Doc):
    model: str
    gates: bool
    metrics: list[_RowDoc]


class _TrendDoc(_Doc):
    label: str
    metrics: dict[str, float]


class _RunDoc(_Doc):
    model: str
    benchmark: str
    outcome: Outcome
    notes: list[str] = []
    comparability: _ComparabilityDoc | None = None
    method: _MethodDoc | None = None
    flips: list[_FlipsDoc] = []
    baseline_provenance: dict[str, Any] = {}
    candidate_provenance: dict[str, Any] = {}
    baseline_source: str | None = None
    reference: _ReferenceDoc | None = None
    trend: list[_TrendDoc] = []


class _ReportDoc(_Doc):
    schema_: Literal["gatebot/verdict@1"] = Field(alias="schema")
    metrics: list[_RowDoc]
    slices: list[_RowDoc]
    runs: list[_RunDoc]


def _flip_example(doc: _FlipExampleDoc) -> FlipExample:
    return FlipExample(doc.id, doc.baseline, doc.candidate, dict(doc.slices))


def report_from_document(document: Any, *, where: str) -> GateReport:
    """Rebuild a GateReport from its JSON document; any problem is an InputError naming `where`."""
    try:
        doc = _ReportDoc.model_validate(document)
    except ValidationError as error:
        path, message = validation_problem(error)
        raise InputError(
            f"{where}: verdict {path}: {message}", "the verdict was not written by gatebot"
        ) from None
    verdicts = []
    for run in doc.runs:
        key = (run.model, run.benchmark)
        c = run.comparability
        m = run.method
        verdicts.append(
            Verdict(
                model=run.model,
                benchmark=run.benchmark,
                outcome=run.outcome,
                rows=tuple(r.row() for r in doc.metrics if (r.model, r.benchmark) == key),
                slice_rows=tuple(r.row() for r in doc.slices if (r.model, r.benchmark) == key),
                flips=tuple(
                    Flips(
                        f.metric,
                        f.kind == "binary",
                        f.worse_count,
                        f.better_count,
                        tuple(_flip_example(e) for e in f.worse),
                        tuple(_flip_example(e) for e in f.better),
                    )
                    for f in run.flips
                ),
                comparability=None
                if c is None
                else Comparability(
                    c.baseline_examples,
                    c.candidate_examples,
                    c.common,
                    c.min_overlap,
                    c.baseline_dataset,
                    c.candidate_dataset,
                ),
                method=None
                if m is None
                else Method(
                    correction=m.correction,
                    confidence=m.confidence,
                    bootstrap_resamples=m.bootstrap_resamples,
                    seed=m.seed,
                    min_slice_size=m.min_slice_size,
                    tests=m.gated_tests,
                    alpha=m.alpha,
                ),
                notes=tuple(run.notes),
                baseline_provenance=run.baseline_provenance,
                candidate_provenance=run.candidate_provenance,
                baseline_source=run.baseline_source,
                reference=None
                if run.reference is None
                else Reference(
                    run.reference.model, tuple(r.row() for r in run.reference.metrics), run.reference.gates
                ),
                trend=tuple(TrendPoint(t.label, dict(t.metrics)) for t in run.trend),
            )
        )
    return GateReport(tuple(verdicts))
