"""The verdict of a comparison, as frozen values, and its JSON document `gatebot/verdict@1`.

The values and the document sit side by side in one module (over 400 lines for that reason): a field
added to a value is added to its document model a few lines below, in the one mapping each way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

from gatebot.config import DEFAULT_ALPHA
from gatebot.discover import Condition
from gatebot.errors import EXIT_PASSED, EXIT_REGRESSED, EXIT_USAGE, InputError, validation_problem

VERDICT_SCHEMA = "gatebot/verdict@1"

Claim = Literal["non-inferior", "equivalent", "superior"]
"""What a metric in a claim mode must show: no drop beyond the margin, no change beyond it either way, or
an improvement beyond it."""


class Status(str, Enum):
    REGRESSED = "regressed"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    WITHIN_NOISE = "within_noise"
    CHANGED = "changed"
    ADDED = "added"
    REMOVED = "removed"
    INCOMPARABLE = "incomparable"
    NOT_SHOWN = "not_shown"
    """A claim the metric's mode makes (equivalence, superiority) was not shown: it fails the gate."""
    TOO_SMALL = "too_small"
    """A slice with too few examples (or clusters) to gate: shown, never judged."""
    INCONCLUSIVE = "inconclusive"
    """A gated test that could not have failed (or, for a claim, could not have been shown), or whose eval
    cannot detect the drop the config says it must."""


FAILING_STATUSES = frozenset({Status.REGRESSED, Status.REMOVED, Status.NOT_SHOWN})
"""Statuses that fail the gate on a gated row."""


class Outcome(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    INCOMPARABLE = "incomparable"
    NO_BASELINE = "no_baseline"
    INCONCLUSIVE = "inconclusive"
    """Nothing failed, but a gated test could not have failed: a neutral check, exit 0 (or a failure
    under `gate.inconclusive: fail`)."""


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
    claim: Claim | None = None
    """`non-inferior`, `equivalent` or `superior` when `p_value` is the p of that claim (small means
    shown, never adjusted: the gate passes only when every claim is shown); None for a test of a drop."""
    clusters: int | None = None
    """Clusters the test counted (cluster-robust tests); None for independent examples."""
    repeats: float | None = None
    """Mean samples per example over both runs when an example was scored more than once; else None."""
    flaky: int | None = None
    """Examples whose baseline samples disagree with each other (repeated samples only)."""
    imputed: int | None = None
    """Examples the baseline scored and the candidate did not, counted as the worst score."""

    @property
    def relative(self) -> float | None:
        if self.delta is None or not self.baseline:
            return None
        return self.delta / abs(self.baseline)

    @property
    def slice_label(self) -> str | None:
        if self.slice_key == FOUND_KEY:
            return self.slice_value
        return None if self.slice_key is None else f"{self.slice_key}={self.slice_value}"


@dataclass(frozen=True)
class FlipExample:
    id: str
    baseline: float
    candidate: float
    slices: Mapping[str, str]


Went = Literal["worse", "better"]
FlipStream = Callable[[], Iterator[tuple[Went, FlipExample]]]
"""Every example a `Flips` counts, each with the way it went (`worse`, `better`), made when iterated."""


@dataclass(frozen=True)
class Flips:
    """Examples that changed: the flips of a 0/1 metric; the largest moves of a continuous one.

    A 0/1 metric of a large eval flips on hundreds of thousands of examples: `worse` and `better` then
    hold the first ones only (`cut`), and `every` makes all of them for the JSON Lines file written
    beside the verdict, so the verdict's size does not grow with the eval's."""

    metric: str
    binary: bool
    worse_count: int
    better_count: int
    worse: tuple[FlipExample, ...]
    better: tuple[FlipExample, ...]
    every: FlipStream | None = field(default=None, compare=False, repr=False)
    """All the flips, when `worse` and `better` are cut and they are still at hand (None in a verdict
    read back without its flips file)."""

    @property
    def cut(self) -> bool:
        """A 0/1 metric whose flips are not all listed in `worse` and `better`."""
        return self.binary and (len(self.worse) < self.worse_count or len(self.better) < self.better_count)


@dataclass(frozen=True, kw_only=True)
class Found:
    """A subgroup nobody declared where a gated metric got worse, found by the search (`gatebot.discover`).

    Oriented like a `Row`: `delta` and the interval are candidate minus baseline in the metric's units,
    the interval simultaneous over the search; `p_adjusted` accounts for every subgroup searched.
    """

    metric: str
    conditions: tuple[Condition, ...]
    """The subgroup: every condition holds (`channel = email`, `topic = billing`)."""
    aliases: tuple[tuple[Condition, ...], ...] = ()
    """Other subgroups holding (nearly) the same examples."""
    direction: str | None
    n: int
    baseline: float
    candidate: float
    delta: float
    ci_low: float
    ci_high: float
    p_adjusted: float
    """Selection-adjusted: the share of sign-flip permutations whose best subgroup scored as high."""
    permutations: int
    subgroups: int
    """Subgroups the search looked at."""
    examples: tuple[str, ...] = ()
    """The ids of the subgroup's examples that got worse, at most `MAX_FOUND_EXAMPLES`."""
    fraction_scale: bool = False
    gated: bool = False
    """`gate.discover: gate`: the finding fails the gate, as a regressed slice does."""

    @property
    def name(self) -> str:
        return " & ".join(str(c) for c in self.conditions)

    def as_row(self) -> Row:
        """The finding as a regressed row, for what lists regressions (the headline, acceptances)."""
        return Row(
            metric=self.metric,
            slice_key=FOUND_KEY,
            slice_value=self.name,
            status=Status.REGRESSED,
            gated=self.gated,
            declared=False,
            direction=self.direction,
            n=self.n,
            baseline=self.baseline,
            candidate=self.candidate,
            delta=self.delta,
            ci_low=self.ci_low,
            ci_high=self.ci_high,
            test="max-T sign-flip search",
            p_adjusted=self.p_adjusted,
            fraction_scale=self.fraction_scale,
            reason="found by search",
        )


FOUND_KEY = "found by search"
"""The slice key of a finding seen as a row: `accuracy on found by search=channel = email & ...`."""
MAX_FOUND_EXAMPLES = 50
"""Example ids a finding keeps (the report shows them); the JSON has at most this many too."""


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
    family: str | None = None
    """`run` (the correction covers every model x benchmark of the gate run) or `benchmark`; None in a
    verdict written before gatebot recorded it."""
    family_tests: int | None = None
    """Gated tests in the family across the run (with `family: run`); `tests` counts this verdict's."""
    missing_examples: str | None = None
    """`worst` or `drop`: what was done with examples the baseline scored and the candidate did not."""
    inconclusive: str | None = None
    """`neutral` or `fail`: what an inconclusive verdict does to the check."""


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
    slices: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """`key=value` -> metric -> mean on that slice, where the record has them."""


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
    found: tuple[Found, ...] = ()
    """Subgroups nobody declared where a gated metric got worse (`gate.discover`)."""

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED

    @property
    def regressions(self) -> tuple[Row, ...]:
        """Gated rows that fail the gate: regressed, missing, or a claim not shown; and gating findings."""
        rows = tuple(r for r in (*self.rows, *self.slice_rows) if r.gated and r.status in FAILING_STATUSES)
        return rows + tuple(f.as_row() for f in self.found if f.gated)

    @property
    def reference_regressions(self) -> tuple[Row, ...]:
        if self.reference is None or not self.reference.gates:
            return ()
        return tuple(r for r in self.reference.rows if r.gated and r.status is Status.REGRESSED)


@dataclass(frozen=True)
class Cost:
    """What one job of a gate run cost: run here (in how many shards) or reused, and from where."""

    label: str
    """`tickets for ticket-router`, or `… on the base commit`."""
    reused_from: str | None
    """Where reused results came from; None when they were produced for this run."""
    seconds: float | None
    """Wall time of the run that produced them (summed over shards)."""
    shards: int = 1


@dataclass(frozen=True)
class GateReport:
    """Every verdict of one gate run (one per model and benchmark), with the overall outcome."""

    verdicts: tuple[Verdict, ...]
    costs: tuple[Cost, ...] = ()
    """What each job cost (`gatebot.reuse.cost_line` says it in the report's footer)."""

    @property
    def outcome(self) -> Outcome:
        """The worst outcome of the verdicts (the rule is `decision.report_outcome`)."""
        # Imported here: `decision` builds verdicts, so it imports this module.
        from gatebot.decision import report_outcome  # noqa: PLC0415

        fails = any(
            v.outcome is Outcome.INCONCLUSIVE and v.method is not None and v.method.inconclusive == "fail"
            for v in self.verdicts
        )
        return report_outcome((v.outcome for v in self.verdicts), inconclusive_fails=fails)

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
        return EXIT_PASSED  # passed, or inconclusive (a neutral check)


# --- the document `gatebot/verdict@1` -------------------------------------------------------------------
#
# Each model below is the document: its fields are the keys, in the order they are written (the order is
# part of the format: the JSON of a rerun is byte-identical). `of` builds a part of the document from the
# frozen values and `value` turns it back; nothing else writes or reads the format. Writing validates what
# it writes, so gatebot never writes a document it could not read.
#
# A document read back (say, from a bundle written by a fork's job) is untrusted input: it is validated
# field by field and only ever rendered through the escaping report. Fields derived from others
# (`relative`, `passed`, `overlap`, ...) are written for other readers of the JSON; reading checks their
# type and recomputes them rather than trusting them.


_ROW_OPTIONAL = ("claim", "clusters", "repeats", "flaky", "imputed")
_METHOD_OPTIONAL = ("family", "family_tests", "missing_examples", "inconclusive")


def _without_unset(document: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """Keys a later gatebot added are written only when set, so documents of earlier ones read the same."""
    for key in keys:
        if document.get(key) is None:
            document.pop(key, None)
    return document


def _num(value: float | None) -> float | None:
    """Infinities and NaN are written as null: JSON has no spelling for them."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


class _Doc(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _SliceDoc(_Doc):
    key: str
    value: str


class _RowDoc(_Doc):
    """A `Row`, with the model and benchmark of its verdict; `slice` is absent for an overall row."""

    model: str
    benchmark: str
    name: str
    slice: _SliceDoc | None = None
    baseline: float | None
    candidate: float | None
    delta: float | None
    relative: float | None
    """Derived: `delta / |baseline|`."""
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
    claim: Claim | None = None
    clusters: int | None = Field(default=None, ge=0)
    repeats: float | None = None
    flaky: int | None = Field(default=None, ge=0)
    imputed: int | None = Field(default=None, ge=0)

    @model_serializer(mode="wrap")
    def _overall_row_has_no_slice(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        document: dict[str, Any] = handler(self)
        if self.slice is None:
            del document["slice"]
        return _without_unset(document, _ROW_OPTIONAL)

    @classmethod
    def of(cls, row: Row, verdict: Verdict) -> _RowDoc:
        return cls(
            model=verdict.model,
            benchmark=verdict.benchmark,
            name=row.metric,
            slice=None
            if row.slice_key is None
            else _SliceDoc.model_validate({"key": row.slice_key, "value": row.slice_value}),
            baseline=_num(row.baseline),
            candidate=_num(row.candidate),
            delta=_num(row.delta),
            relative=_num(row.relative),
            status=row.status,
            gated=row.gated,
            declared=row.declared,
            direction=row.direction,
            n=row.n,
            ci=None if row.ci_low is None else (_num(row.ci_low), _num(row.ci_high)),
            ci_method=row.ci_method,
            test=row.test,
            p_value=_num(row.p_value),
            p_adjusted=_num(row.p_adjusted),
            detectable_drop=_num(row.detectable_drop),
            min_effect=row.min_effect,
            scale="points" if row.fraction_scale else "units",
            worse=row.worse_count,
            better=row.better_count,
            reason=row.reason,
            alpha=row.alpha,
            claim=row.claim,
            clusters=row.clusters,
            repeats=_num(row.repeats),
            flaky=row.flaky,
            imputed=row.imputed,
        )

    def value(self) -> Row:
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
            claim=self.claim,
            clusters=self.clusters,
            repeats=self.repeats,
            flaky=self.flaky,
            imputed=self.imputed,
        )


class _FlipExampleDoc(_Doc):
    id: str
    baseline: float
    candidate: float
    slices: dict[str, str] = {}

    @classmethod
    def of(cls, example: FlipExample) -> _FlipExampleDoc:
        return cls(
            id=example.id, baseline=example.baseline, candidate=example.candidate, slices=dict(example.slices)
        )

    def value(self) -> FlipExample:
        return FlipExample(self.id, self.baseline, self.candidate, dict(self.slices))


class _FlipsDoc(_Doc):
    metric: str
    kind: Literal["binary", "continuous"]
    worse_count: int = Field(ge=0)
    better_count: int = Field(ge=0)
    worse: list[_FlipExampleDoc]
    better: list[_FlipExampleDoc]
    file: str | None = None
    """The JSON Lines file beside the verdict that lists every flip, when `worse` and `better` list only
    the first ones (fewer than the counts); written only then."""

    @model_serializer(mode="wrap")
    def _file_when_cut(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_unset(handler(self), ("file",))

    @classmethod
    def of(cls, flips: Flips, flips_file: str | None) -> _FlipsDoc:
        return cls(
            metric=flips.metric,
            kind="binary" if flips.binary else "continuous",
            worse_count=flips.worse_count,
            better_count=flips.better_count,
            worse=[_FlipExampleDoc.of(e) for e in flips.worse],
            better=[_FlipExampleDoc.of(e) for e in flips.better],
            file=flips_file if flips.cut and flips.every is not None else None,
        )

    def value(self) -> Flips:
        return Flips(
            self.metric,
            self.kind == "binary",
            self.worse_count,
            self.better_count,
            tuple(e.value() for e in self.worse),
            tuple(e.value() for e in self.better),
        )


class _ComparabilityDoc(_Doc):
    baseline_examples: int = Field(ge=0)
    candidate_examples: int = Field(ge=0)
    common: int = Field(ge=0)
    only_baseline: int
    """Derived, like `only_candidate`, `overlap` and `same_dataset`."""
    only_candidate: int
    overlap: float
    min_overlap: float
    same_dataset: bool | None
    baseline_dataset: str | None = None
    candidate_dataset: str | None = None

    @classmethod
    def of(cls, c: Comparability) -> _ComparabilityDoc:
        return cls(
            baseline_examples=c.baseline_examples,
            candidate_examples=c.candidate_examples,
            common=c.common,
            only_baseline=c.only_baseline,
            only_candidate=c.only_candidate,
            overlap=c.overlap,
            min_overlap=c.min_overlap,
            same_dataset=c.same_dataset,
            baseline_dataset=c.baseline_dataset,
            candidate_dataset=c.candidate_dataset,
        )

    def value(self) -> Comparability:
        return Comparability(
            self.baseline_examples,
            self.candidate_examples,
            self.common,
            self.min_overlap,
            self.baseline_dataset,
            self.candidate_dataset,
        )


class _MethodDoc(_Doc):
    correction: str
    confidence: float
    bootstrap_resamples: int
    seed: int
    min_slice_size: int
    gated_tests: int
    alpha: float = DEFAULT_ALPHA
    family: Literal["run", "benchmark"] | None = None
    family_tests: int | None = Field(default=None, ge=0)
    missing_examples: Literal["worst", "drop"] | None = None
    inconclusive: Literal["neutral", "fail"] | None = None

    @model_serializer(mode="wrap")
    def _later_keys_when_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_unset(handler(self), _METHOD_OPTIONAL)

    @classmethod
    def of(cls, m: Method) -> _MethodDoc:
        return cls.model_validate(
            {
                "correction": m.correction,
                "confidence": m.confidence,
                "bootstrap_resamples": m.bootstrap_resamples,
                "seed": m.seed,
                "min_slice_size": m.min_slice_size,
                "gated_tests": m.tests,
                "alpha": m.alpha,
                "family": m.family,
                "family_tests": m.family_tests,
                "missing_examples": m.missing_examples,
                "inconclusive": m.inconclusive,
            }
        )

    def value(self) -> Method:
        return Method(
            correction=self.correction,
            confidence=self.confidence,
            bootstrap_resamples=self.bootstrap_resamples,
            seed=self.seed,
            min_slice_size=self.min_slice_size,
            tests=self.gated_tests,
            alpha=self.alpha,
            family=self.family,
            family_tests=self.family_tests,
            missing_examples=self.missing_examples,
            inconclusive=self.inconclusive,
        )


class _ReferenceDoc(_Doc):
    model: str
    gates: bool
    metrics: list[_RowDoc]

    @classmethod
    def of(cls, reference: Reference, verdict: Verdict) -> _ReferenceDoc:
        return cls(
            model=reference.model,
            gates=reference.gates,
            metrics=[_RowDoc.of(r, verdict) for r in reference.rows],
        )

    def value(self) -> Reference:
        return Reference(self.model, tuple(r.value() for r in self.metrics), self.gates)


class _TrendDoc(_Doc):
    label: str
    metrics: dict[str, float]
    slices: dict[str, dict[str, float]] = {}

    @classmethod
    def of(cls, point: TrendPoint) -> _TrendDoc:
        slices = {label: dict(values) for label, values in point.slices.items()}
        return cls(label=point.label, metrics=dict(point.metrics), slices=slices)

    def value(self) -> TrendPoint:
        return TrendPoint(self.label, dict(self.metrics), {k: dict(v) for k, v in self.slices.items()})


_TEXT = 500
"""Characters a finding's field name, value or example id may have in a document read back."""
_MAX_FOUND_PER_RUN = 300
"""Findings a run's document holds: three per gated metric of a hundred metrics."""


class _ConditionDoc(_Doc):
    field: str = Field(min_length=1, max_length=_TEXT)
    value: str | None = Field(default=None, max_length=_TEXT)
    low: float | None = None
    high: float | None = None

    @model_serializer(mode="wrap")
    def _set_bounds_only(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_unset(handler(self), ("value", "low", "high"))

    @classmethod
    def of(cls, c: Condition) -> _ConditionDoc:
        return cls(field=c.field, value=c.value, low=_num(c.low), high=_num(c.high))

    def condition(self) -> Condition:
        return Condition(self.field, self.value, self.low, self.high)


class _FoundDoc(_Doc):
    """A `Found`. Read back from a bundle it is hostile input: every list and string is bounded."""

    metric: str = Field(max_length=_TEXT)
    subgroup: list[_ConditionDoc] = Field(min_length=1, max_length=8)
    aliases: list[Annotated[list[_ConditionDoc], Field(min_length=1, max_length=8)]] = Field(
        default=[], max_length=8
    )
    direction: Literal["higher", "lower"] | None
    n: int = Field(ge=0)
    baseline: float | None
    candidate: float | None
    delta: float | None
    ci: tuple[float | None, float | None]
    p_adjusted: float = Field(ge=0.0, le=1.0)
    permutations: int = Field(ge=0)
    subgroups: int = Field(ge=0)
    scale: Literal["points", "units"] = "units"
    gated: bool = False
    examples: list[Annotated[str, Field(max_length=_TEXT)]] = Field(default=[], max_length=MAX_FOUND_EXAMPLES)

    @classmethod
    def of(cls, f: Found) -> _FoundDoc:
        return cls.model_validate(
            {
                "metric": f.metric,
                "subgroup": [_ConditionDoc.of(c) for c in f.conditions],
                "aliases": [[_ConditionDoc.of(c) for c in a] for a in f.aliases],
                "direction": f.direction,
                "n": f.n,
                "baseline": _num(f.baseline),
                "candidate": _num(f.candidate),
                "delta": _num(f.delta),
                "ci": (_num(f.ci_low), _num(f.ci_high)),
                "p_adjusted": f.p_adjusted,
                "permutations": f.permutations,
                "subgroups": f.subgroups,
                "scale": "points" if f.fraction_scale else "units",
                "gated": f.gated,
                "examples": list(f.examples),
            }
        )

    def value(self) -> Found:
        def nan(x: float | None) -> float:
            return math.nan if x is None else x

        return Found(
            metric=self.metric,
            conditions=tuple(c.condition() for c in self.subgroup),
            aliases=tuple(tuple(c.condition() for c in a) for a in self.aliases),
            direction=self.direction,
            n=self.n,
            baseline=nan(self.baseline),
            candidate=nan(self.candidate),
            delta=nan(self.delta),
            ci_low=nan(self.ci[0]),
            ci_high=nan(self.ci[1]),
            p_adjusted=self.p_adjusted,
            permutations=self.permutations,
            subgroups=self.subgroups,
            examples=tuple(self.examples),
            fraction_scale=self.scale == "points",
            gated=self.gated,
        )


class _RunDoc(_Doc):
    """A `Verdict` but its rows, which the report lists in `metrics` and `slices`."""

    model: str
    benchmark: str
    outcome: Outcome
    passed: bool
    """Derived, like `regressions` (a count)."""
    regressions: int
    notes: list[str] = []
    comparability: _ComparabilityDoc | None = None
    method: _MethodDoc | None = None
    flips: list[_FlipsDoc] = []
    baseline_provenance: dict[str, Any] = {}
    candidate_provenance: dict[str, Any] = {}
    baseline_source: str | None = None
    reference: _ReferenceDoc | None = None
    trend: list[_TrendDoc] = []
    found: list[_FoundDoc] = Field(default=[], max_length=_MAX_FOUND_PER_RUN)

    @model_serializer(mode="wrap")
    def _found_when_any(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        document: dict[str, Any] = handler(self)
        if not document.get("found"):
            document.pop("found", None)
        return document

    @classmethod
    def of(cls, v: Verdict, flips_file: str | None = None) -> _RunDoc:
        return cls(
            model=v.model,
            benchmark=v.benchmark,
            outcome=v.outcome,
            passed=v.passed,
            regressions=len(v.regressions),
            notes=list(v.notes),
            comparability=None if v.comparability is None else _ComparabilityDoc.of(v.comparability),
            method=None if v.method is None else _MethodDoc.of(v.method),
            flips=[_FlipsDoc.of(f, flips_file) for f in v.flips],
            baseline_provenance=dict(v.baseline_provenance),
            candidate_provenance=dict(v.candidate_provenance),
            baseline_source=v.baseline_source,
            reference=None if v.reference is None else _ReferenceDoc.of(v.reference, v),
            trend=[_TrendDoc.of(p) for p in v.trend],
            found=[_FoundDoc.of(f) for f in v.found[:_MAX_FOUND_PER_RUN]],
        )

    def value(self, rows: list[_RowDoc], slice_rows: list[_RowDoc]) -> Verdict:
        """The verdict, with the report's rows of this run's model and benchmark."""
        key = (self.model, self.benchmark)
        return Verdict(
            model=self.model,
            benchmark=self.benchmark,
            outcome=self.outcome,
            rows=tuple(r.value() for r in rows if (r.model, r.benchmark) == key),
            slice_rows=tuple(r.value() for r in slice_rows if (r.model, r.benchmark) == key),
            flips=tuple(f.value() for f in self.flips),
            comparability=None if self.comparability is None else self.comparability.value(),
            method=None if self.method is None else self.method.value(),
            notes=tuple(self.notes),
            baseline_provenance=self.baseline_provenance,
            candidate_provenance=self.candidate_provenance,
            baseline_source=self.baseline_source,
            reference=None if self.reference is None else self.reference.value(),
            trend=tuple(t.value() for t in self.trend),
            found=tuple(f.value() for f in self.found),
        )


class _CostDoc(_Doc):
    """A `Cost`: a benchmark run or reused, and from where."""

    label: str = Field(max_length=500)
    reused_from: str | None = Field(default=None, max_length=500)
    seconds: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    shards: int = Field(default=1, ge=1, le=256)

    @classmethod
    def of(cls, cost: Cost) -> _CostDoc:
        return cls(label=cost.label, reused_from=cost.reused_from, seconds=cost.seconds, shards=cost.shards)

    def value(self) -> Cost:
        return Cost(self.label, self.reused_from, self.seconds, self.shards)


class _ReportDoc(_Doc):
    """The whole document: the overall outcome, every metric row, every slice row, and each run."""

    schema_: Literal["gatebot/verdict@1"] = Field(alias="schema")
    passed: bool
    """Derived, like `outcome`: from the runs' outcomes."""
    outcome: Outcome
    metrics: list[_RowDoc]
    slices: list[_RowDoc]
    runs: list[_RunDoc]
    costs: list[_CostDoc] = Field(default_factory=list, max_length=4096)
    """What each job cost: run (its wall time, its shards) or reused, and from where."""

    @classmethod
    def of(cls, report: GateReport, flips_file: str | None = None) -> _ReportDoc:
        return cls(
            schema=VERDICT_SCHEMA,
            passed=report.passed,
            outcome=report.outcome,
            metrics=[_RowDoc.of(r, v) for v in report.verdicts for r in v.rows],
            slices=[_RowDoc.of(r, v) for v in report.verdicts for r in v.slice_rows],
            runs=[_RunDoc.of(v, flips_file) for v in report.verdicts],
            costs=[_CostDoc.of(c) for c in report.costs],
        )

    def value(self) -> GateReport:
        return GateReport(
            tuple(run.value(self.metrics, self.slices) for run in self.runs),
            tuple(c.value() for c in self.costs),
        )


def report_document(report: GateReport, *, flips_file: str | None = None) -> dict[str, Any]:
    """The JSON verdict: overall outcome, every metric row, every slice row, and each run's details.

    `flips_file` names the JSON Lines file written beside it with every flip of the flips it lists only
    in part (`Flips.cut`)."""
    # `costs` only when some job ran or was reused: a verdict built from results files has none.
    return _ReportDoc.of(report, flips_file).model_dump(
        mode="json", by_alias=True, exclude=None if report.costs else {"costs"}
    )


def report_from_document(document: Any, *, where: str) -> GateReport:
    """Rebuild a GateReport from its JSON document; any problem is an InputError naming `where`."""
    try:
        doc = _ReportDoc.model_validate(document)
    except ValidationError as error:
        path, message = validation_problem(error)
        raise InputError(
            f"{where}: verdict {path}: {message}", "the verdict was not written by gatebot"
        ) from None
    return doc.value()
