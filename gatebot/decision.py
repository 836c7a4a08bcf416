"""Test results -> statuses and outcomes: every rule of the gate, in one place.

`compare` measures (pairs the examples, runs the paired tests, corrects the p-values of the gated family
together); this module judges what it measured:

- `decide`: the rule for one metric, with significance known (paired data) or not (aggregates only),
  never failing on a change smaller than the report shows (`display_resolution`);
- `joins_family`, `paired_decision`, `aggregate_decision`, `too_few_scored`: the status, reason and
  gating of each row, whatever data and design it has (`Measurement`), in each mode (regression,
  non-inferiority, equivalence, superiority);
- `verdict_outcome`, `missing_baseline`, `attach_reference`: the outcome of one model on one benchmark,
  with no baseline, and against a reference model;
- `report_outcome`: the outcome of a gate run (`inconclusive` when a gated test could not have failed);
- `rejudge`: a verdict read back from a document someone else wrote (a fork's bundle), judged again;
- `unacceptable`, `accepted`, `check_conclusion`, `title_after_acceptance`: what acceptances
  (`/gatebot accept`) change, and what they cannot.

Pure: plain values in, plain values out. About 600 lines, and kept whole: every rule of the gate
in one place is what lets its table-driven test cover each status and outcome.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from gatebot import stats
from gatebot.config import DEFAULT_ALPHA, Config, MetricConfig
from gatebot.results import Results
from gatebot.verdict import (
    FAILING_STATUSES,
    Comparability,
    Found,
    GateReport,
    Outcome,
    Reference,
    Row,
    Status,
    Verdict,
)

FAILING = FAILING_STATUSES
"""Statuses that fail the gate on a gated row."""

Conclusion = Literal["success", "failure", "neutral"]


@dataclass(frozen=True, kw_only=True)
class Decision:
    """What the gate made of one row."""

    status: Status
    reason: str
    """Why, in words for the reader."""
    gated: bool
    """Whether the row can fail the gate."""


@dataclass(frozen=True, kw_only=True)
class Adjusted:
    """A gated test's p-values as the gate judges them.

    `worse` is the p of a drop after the multiple-testing correction across the gated family (regression
    mode, and slices in every mode), or the p of the metric's claim, never adjusted (non-inferiority,
    equivalence and superiority overall: the gate passes only when every claim is shown, an
    intersection-union test, Berger 1982). `better` is the corrected p of an improvement.
    """

    worse: float
    """Of a drop (regression mode) or of not being within the margin (non-inferiority)."""
    better: float
    """Of an improvement."""


@dataclass(frozen=True, kw_only=True)
class Measurement:
    """One test of one metric, overall or on one slice, in whichever design `compare` ran it."""

    n: int
    baseline_mean: float
    candidate_mean: float
    delta: float
    p_worse: float
    """One-sided p of "the candidate is worse" in the metric's direction."""
    p_better: float
    p_noninferior: float | None = None
    """Non-inferiority mode, overall: p of "any drop is smaller than the margin" (small = shown)."""
    p_claim: float | None = None
    """Equivalence or superiority mode, overall: p of the claim (small = shown)."""
    p_beyond_margin: float | None = None
    """A slice of a claim mode: p of "the drop is larger than the margin"."""
    could_decide: bool = True
    """Whether some outcome of the candidate could have been significant: a drop for a test of a drop,
    the claim for a claim. False when no outcome could (4 examples cannot show a drop at 5%)."""
    detectable_drop: float | None = None
    resolution: float = 0.0
    """The smallest change the report can show (a change that rounds to zero is never a regression)."""


def alpha_of(config: MetricConfig | None) -> float:
    """The significance level a metric is judged at: its own `alpha`, or the default for an undeclared one."""
    return config.alpha if config is not None else DEFAULT_ALPHA


def effective(config: MetricConfig | None, direction: str) -> MetricConfig:
    """The declared metric config, or the defaults for a metric whose direction the results declare."""
    if config is not None:
        return config
    return MetricConfig(direction="lower" if direction == "lower" else "higher")


def display_resolution(fraction: bool, *values: float | None) -> float:
    """Half a unit of the last digit the report shows: 0.05 points for rates, the fourth significant
    digit of the larger value otherwise. A change below it shows as zero, and is never a regression."""
    if fraction:
        return 0.0005
    largest = max((abs(v) for v in values if v is not None and math.isfinite(v)), default=0.0)
    if largest == 0.0:
        return 0.0
    return 0.5 * 10.0 ** (math.floor(math.log10(largest)) - 3)


def _material(delta: float, baseline: float, config: MetricConfig, resolution: float) -> tuple[bool, str]:
    """Whether a move is large enough to count, and why not when it is not."""
    size = abs(delta)
    if resolution > 0 and size < resolution:
        return False, "smaller than the report shows"
    if size <= config.min_effect:
        return False, "smaller than min_effect"
    if (
        config.max_relative_drop is not None
        and baseline != 0
        and size / abs(baseline) <= config.max_relative_drop
    ):
        return False, "smaller than min_effect"
    return True, ""


def decide(
    *,
    delta: float,
    baseline: float,
    higher_is_better: bool,
    config: MetricConfig,
    significant_worse: bool | None,
    significant_better: bool | None,
    resolution: float = 0.0,
) -> tuple[Status, str]:
    """The gate's rule for one metric, in one place.

    With significance known (paired data): a move counts only when it is statistically significant AND
    material (larger than `min_effect`, and than `max_relative_drop` of the baseline when set, and than
    the report's display `resolution`). In non-inferiority mode `significant_worse` means "not shown to
    be within the margin". Without it (aggregates only) every move past the tolerances counts: the
    threshold rule, with the mode's claim (equivalence: within +-min_effect; superiority: better by more).
    """
    oriented = delta if higher_is_better else -delta
    material, why_not = _material(delta, baseline, config, resolution)
    if significant_worse is None or significant_better is None:
        return _threshold(oriented, material, why_not, config)
    if config.mode == "non-inferiority":
        if significant_better and material:
            return Status.IMPROVED, "significant improvement"
        if significant_worse:
            return Status.REGRESSED, f"not shown that any drop is smaller than {config.min_effect:g}"
        return Status.WITHIN_NOISE, f"shown that any drop is smaller than {config.min_effect:g}"
    if significant_worse:
        if material:
            return Status.REGRESSED, "significant drop larger than min_effect"
        return Status.UNCHANGED, f"significant but {why_not}"
    if significant_better:
        if material:
            return Status.IMPROVED, "significant improvement larger than min_effect"
        return Status.UNCHANGED, f"significant but {why_not}"
    return Status.WITHIN_NOISE, "not statistically significant"


def _threshold(oriented: float, material: bool, why_not: str, config: MetricConfig) -> tuple[Status, str]:
    """The rule without a significance test: the tolerances alone."""
    if config.mode == "equivalence":
        if material:
            return Status.NOT_SHOWN, "moved by more than min_effect (no significance test)"
        return Status.UNCHANGED, "within min_effect (no significance test)"
    if oriented < 0 and material:
        return Status.REGRESSED, "moved the wrong way by more than the tolerance (no significance test)"
    if oriented > 0 and material:
        return Status.IMPROVED, "improved by more than the tolerance (no significance test)"
    if config.mode == "superiority":
        return Status.NOT_SHOWN, "not better by more than min_effect (no significance test)"
    if why_not == "smaller than the report shows":
        return Status.UNCHANGED, "smaller than the report shows (no significance test)"
    return Status.UNCHANGED, "within the tolerance (no significance test)"


def gate_p(result: stats.PairedResult | Measurement) -> float:
    """The p-value the gate judges a test by: of a drop, or of the metric's claim (non-inferiority,
    equivalence, superiority)."""
    if result.p_noninferior is not None:
        return result.p_noninferior
    if isinstance(result, Measurement) and result.p_claim is not None:
        return result.p_claim
    return result.p_worse


def joins_family(
    *, wants_gate: bool, direction: str | None, slice_key: str | None, n: int, min_slice_size: int
) -> bool:
    """Whether a paired test gates, and so joins the family whose p-values are corrected together.

    A metric the config gates and whose direction is known, overall or on a slice of at least
    `min_slice_size` examples. Other tests (undeclared metrics, small slices) are shown, never gate.
    """
    return wants_gate and direction is not None and (slice_key is None or n >= min_slice_size)


def _measurement(result: stats.PairedResult | Measurement, alpha: float) -> Measurement:
    if isinstance(result, Measurement):
        return result
    return Measurement(
        n=result.n,
        baseline_mean=result.baseline_mean,
        candidate_mean=result.candidate_mean,
        delta=result.delta,
        p_worse=result.p_worse,
        p_better=result.p_better,
        p_noninferior=result.p_noninferior,
        detectable_drop=result.detectable_drop(alpha=alpha),
    )


def paired_decision(
    result: stats.PairedResult | Measurement,
    *,
    direction: str | None,
    config: MetricConfig | None,
    adjusted: Adjusted | None,
    wants_gate: bool,
    min_slice_size: int,
    slice_key: str | None = None,
    too_small: str | None = None,
    max_detectable_drop: float | None = None,
) -> Decision:
    """A metric with a test on both sides (per-example scores, or aggregates with standard errors).

    `adjusted` holds the p-values the gate judges a test in the gated family by (`Adjusted`); a test
    outside it does not gate: a slice too small to gate (`too_small` says why), or an overall test that
    could not have failed, which makes the verdict inconclusive. Without a direction, a move either way
    is `changed` when a two-sided test at `alpha` finds it.
    """
    alpha = alpha_of(config)
    m = _measurement(result, alpha)
    gated = adjusted is not None
    if direction is None:
        if min(m.p_worse, m.p_better) < alpha / 2:
            return Decision(
                status=Status.CHANGED, reason="changed significantly; direction not declared", gated=gated
            )
        return Decision(status=Status.WITHIN_NOISE, reason="not statistically significant", gated=gated)
    conf = effective(config, direction)
    if wants_gate and adjusted is None:
        if slice_key is None:
            return Decision(status=Status.INCONCLUSIVE, reason=_could_not(conf), gated=True)
        reason = too_small or f"fewer than {min_slice_size} examples: too small to gate"
        return Decision(status=Status.TOO_SMALL, reason=reason, gated=False)
    significant_worse = (adjusted.worse if adjusted is not None else gate_p(m)) < alpha
    significant_better = (adjusted.better if adjusted is not None else m.p_better) < alpha
    if conf.mode != "regression" and slice_key is not None:
        status, reason = _claim_slice(m, conf, significant_worse, significant_better, direction == "higher")
        return Decision(status=status, reason=reason, gated=gated)
    if conf.mode in ("equivalence", "superiority"):
        status, reason = _claim(m, conf, shown=significant_worse, could=m.could_decide)
        return Decision(status=status, reason=reason, gated=gated)
    status, reason = decide(
        delta=m.delta,
        baseline=m.baseline_mean,
        higher_is_better=direction == "higher",
        config=conf,
        significant_worse=not significant_worse if conf.mode == "non-inferiority" else significant_worse,
        significant_better=significant_better,
        resolution=m.resolution,
    )
    if gated and status is Status.REGRESSED and conf.mode == "non-inferiority" and not m.could_decide:
        return Decision(status=Status.INCONCLUSIVE, reason=_could_not(conf), gated=True)
    limit = conf.max_detectable_drop or max_detectable_drop
    if (
        gated
        and conf.mode == "regression"
        and status is not Status.REGRESSED
        and limit is not None
        and m.detectable_drop is not None
        and m.detectable_drop > limit
    ):
        reason = f"cannot detect a drop of {limit:g} (80% power needs a drop of {m.detectable_drop:.3g})"
        return Decision(status=Status.INCONCLUSIVE, reason=reason, gated=True)
    return Decision(status=status, reason=reason, gated=gated)


def _could_not(config: MetricConfig) -> str:
    if config.mode == "non-inferiority":
        return "too few examples to show non-inferiority even if nothing changed"
    if config.mode == "equivalence":
        return "too few examples to show equivalence even if nothing changed"
    if config.mode == "superiority":
        return "too few examples to show an improvement even if every example got better"
    return "could not have failed: even if every example got worse, the drop would not be significant"


def _claim(m: Measurement, config: MetricConfig, *, shown: bool, could: bool) -> tuple[Status, str]:
    """Equivalence or superiority overall: the claim must be shown."""
    margin = config.min_effect
    if config.mode == "equivalence":
        if shown:
            return Status.UNCHANGED, f"shown that any change is within ±{margin:g}"
        if not could:
            return Status.INCONCLUSIVE, _could_not(config)
        return Status.NOT_SHOWN, f"not shown that any change is within ±{margin:g}"
    better = f"better by more than {margin:g}" if margin > 0 else "better"
    if shown:
        return Status.IMPROVED, f"shown to be {better}"
    if not could:
        return Status.INCONCLUSIVE, _could_not(config)
    return Status.NOT_SHOWN, f"not shown to be {better}"


def _claim_slice(
    m: Measurement, config: MetricConfig, significant_worse: bool, significant_better: bool, higher: bool
) -> tuple[Status, str]:
    """A slice of a metric in a claim mode: it fails on a significant drop larger than the margin.

    Too few examples to show the claim on a slice is no evidence of a drop (250 examples cannot show
    non-inferiority at a margin of 0.005 even when nothing changed), so a slice is never held to the claim.
    """
    margin = 0.0 if config.mode == "superiority" else config.min_effect
    oriented = m.delta if higher else -m.delta
    shows = m.resolution == 0 or abs(m.delta) >= m.resolution
    if significant_worse and oriented < 0 and shows:
        return Status.REGRESSED, f"significant drop larger than {margin:g}"
    if significant_better and oriented > 0 and shows and abs(m.delta) > config.min_effect:
        return Status.IMPROVED, "significant improvement"
    return Status.WITHIN_NOISE, f"no significant drop larger than {margin:g}"


def aggregate_decision(
    *,
    baseline: float | None,
    candidate: float | None,
    direction: str | None,
    config: MetricConfig | None,
    resolution: float = 0.0,
    wants_gate: bool | None = None,
) -> Decision:
    """A metric known only as an aggregate on at least one side, without a standard error: added, removed,
    or the threshold rule (which never fails on a change smaller than the report shows)."""
    gates = (config is not None and config.gate) if wants_gate is None else wants_gate
    if baseline is None or candidate is None:
        status = Status.ADDED if baseline is None else Status.REMOVED
        if candidate is None and gates:
            return Decision(status=status, reason="a gated metric is missing from the candidate", gated=True)
        reason = "only in the candidate" if baseline is None else "only in the baseline"
        return Decision(status=status, reason=reason, gated=False)
    delta = candidate - baseline
    if direction is None:
        status = Status.CHANGED if delta != 0 else Status.UNCHANGED
        return Decision(status=status, reason="direction not declared", gated=False)
    status, reason = decide(
        delta=delta,
        baseline=baseline,
        higher_is_better=direction == "higher",
        config=effective(config, direction),
        significant_worse=None,
        significant_better=None,
        resolution=resolution,
    )
    return Decision(status=status, reason=reason, gated=gates)


def too_few_scored(*, compared: int, scored: int, wants_gate: bool, min_overlap: float) -> Decision | None:
    """A gated metric the candidate left unscored on too many of the examples the baseline scored.

    It cannot be compared (a crash on the hard examples looks like this); None when enough are scored.
    """
    if not wants_gate or compared >= min_overlap * scored:
        return None
    return Decision(
        status=Status.INCOMPARABLE,
        reason=(
            f"the candidate scored only {compared} of the {scored} examples the baseline scored "
            f"({compared / scored:.0%}, below gate.min_overlap {min_overlap:.0%}); score the missing "
            "examples, or lower gate.min_overlap to compare the ones scored"
        ),
        gated=True,
    )


def finding_gates(discover: str, *, wants_gate: bool) -> bool:
    """A subgroup the search found fails the gate under `gate.discover: gate`, on a gated metric; under
    `report` it is shown and never gates (its p-value already accounts for the whole search)."""
    return discover == "gate" and wants_gate


def verdict_outcome(
    rows: Sequence[Row],
    slice_rows: Sequence[Row],
    *,
    comparability: Comparability | None = None,
    found: Sequence[Found] = (),
) -> Outcome:
    """One model on one benchmark: incomparable when the runs share too few examples or a gated metric
    cannot be compared, failed when a gated row regressed, went missing or did not show its claim (or a
    gating finding of the search), inconclusive when a gated test could not have failed, passed otherwise."""
    if comparability is not None and not comparability.comparable:
        return Outcome.INCOMPARABLE
    if any(r.gated and r.status is Status.INCOMPARABLE for r in rows):
        return Outcome.INCOMPARABLE
    if any(r.gated and r.status in FAILING for r in (*rows, *slice_rows)) or any(f.gated for f in found):
        return Outcome.FAILED
    if any(r.gated and r.status is Status.INCONCLUSIVE for r in (*rows, *slice_rows)):
        return Outcome.INCONCLUSIVE
    return Outcome.PASSED


def missing_baseline(candidate: Results, *, policy: str, config: Config | None = None) -> Verdict:
    """The verdict when no baseline exists for the candidate's model and benchmark.

    It passes under `missing_baseline: pass`; otherwise the outcome is `no_baseline`, which fails the gate.
    Each metric is shown as the comparison would show it: declared and gated as `config` says, in
    percent where its values (per example when there are examples) are rates.
    """
    note = (
        # Plain text, as every note: the report escapes it, so markdown here would show as entities.
        f"No baseline is stored for {candidate.model} on {candidate.benchmark}: this looks like the "
        "first run. Record one with gatebot baseline save, or let the Action record it on the next push "
        "to the default branch."
    )
    # pairing -> measure -> decision: imported here, where the comparison's own metric rules are needed.
    from gatebot.pairing import direction_of, shown_as_percent, wants_gate  # noqa: PLC0415

    outcome = Outcome.PASSED if policy == "pass" else Outcome.NO_BASELINE
    judged = config if config is not None else Config()
    examples = candidate.examples

    def row(name: str, value: float) -> Row:
        declared = judged.metrics.get(name)
        per_example = examples.scores.get(name) if examples is not None else None
        return Row(
            metric=name,
            status=Status.ADDED,
            gated=wants_gate(name, judged, candidate, candidate),
            declared=declared is not None,
            direction=direction_of(name, judged, candidate, candidate),
            n=0,
            baseline=None,
            candidate=value,
            delta=None,
            reason="no baseline",
            fraction_scale=shown_as_percent(declared, value if per_example is None else per_example),
        )

    rows = tuple(row(name, value) for name, value in candidate.metrics.items())
    return Verdict(
        model=candidate.model,
        benchmark=candidate.benchmark,
        outcome=outcome,
        rows=rows,
        slice_rows=(),
        flips=(),
        comparability=None,
        method=None,
        notes=(note,),
        candidate_provenance=candidate.provenance,
    )


def attach_reference(verdict: Verdict, against_reference: Verdict, *, model: str, gates: bool) -> Verdict:
    """The verdict with a column comparing the candidate to another model's baseline.

    `against_reference` is `compare(reference_baseline, candidate, config)`. It is shown always, and
    fails the gate only when `gates` (the model's `gate_on_reference`).
    """
    reference = Reference(model=model, rows=against_reference.rows, gates=gates)
    attached = replace(verdict, reference=reference)
    if (
        gates
        and attached.reference_regressions
        and attached.outcome in (Outcome.PASSED, Outcome.INCONCLUSIVE)
    ):
        attached = replace(attached, outcome=Outcome.FAILED)
    return attached


def report_outcome(outcomes: Iterable[Outcome], *, inconclusive_fails: bool = False) -> Outcome:
    """A gate run's outcome: the worst of its verdicts'. No verdicts at all is a pass (nothing to gate).

    An inconclusive verdict makes the run inconclusive (a neutral check), or failed when the config says
    `gate.inconclusive: fail`.
    """
    found = set(outcomes)
    # A regression is named first: a run that cannot be compared must not hide one found elsewhere.
    for worst in (Outcome.FAILED, Outcome.INCOMPARABLE, Outcome.NO_BASELINE):
        if worst in found:
            return worst
    if Outcome.INCONCLUSIVE in found:
        return Outcome.FAILED if inconclusive_fails else Outcome.INCONCLUSIVE
    return Outcome.PASSED


def _gated_by(config: Config | None, row: Row) -> bool:
    """A row gates when it says so, or when `config` gates its metric (overall, or on a large slice)."""
    if row.gated or config is None:
        return row.gated
    declared = config.metrics.get(row.metric)
    if declared is None or not declared.gate:
        return False
    return row.slice_key is None or row.n >= config.gate.min_slice_size


def _finding_gated_by(config: Config | None, finding: Found) -> bool:
    """A finding read back gates when the judge's `gate.discover` is `gate` and its metric gates."""
    if config is None:
        return False
    declared = config.metrics.get(finding.metric)
    return finding_gates(config.gate.discover, wants_gate=declared is not None and declared.gate)


def _has_baseline(verdict: Verdict) -> bool:
    rows = (*verdict.rows, *verdict.slice_rows)
    return verdict.comparability is not None or any(r.baseline is not None for r in rows)


def rejudge(verdict: Verdict, config: Config | None) -> Verdict:
    """A verdict read back from a document someone else wrote (a fork's bundle), judged again.

    The outcome the document states is never taken: it follows from the rows by the rules above. A row
    gates when the document says so or when `config` (the judge's own; None when it has none) gates
    its metric; `config` also sets the overlap required, whether the reference gates and, for a
    verdict without a baseline, the policy. The rows' measurements and statuses are the document's,
    shown as the evidence they are, so the check can never pass over a row the comment shows failing.
    """
    rows = tuple(replace(r, gated=_gated_by(config, r)) for r in verdict.rows)
    slice_rows = tuple(replace(r, gated=_gated_by(config, r)) for r in verdict.slice_rows)
    comparability = verdict.comparability
    reference = verdict.reference
    if config is not None:
        if comparability is not None:
            comparability = replace(comparability, min_overlap=config.gate.min_overlap)
        model = config.models.get(verdict.model)
        if reference is not None and model is not None and model.reference == reference.model:
            reference = replace(reference, gates=reference.gates or model.gate_on_reference)
    if reference is not None:
        reference = replace(
            reference, rows=tuple(replace(r, gated=_gated_by(config, r)) for r in reference.rows)
        )
    found = tuple(replace(f, gated=f.gated or _finding_gated_by(config, f)) for f in verdict.found)
    judged = replace(
        verdict,
        rows=rows,
        slice_rows=slice_rows,
        comparability=comparability,
        reference=reference,
        found=found,
    )
    outcome = verdict_outcome(rows, slice_rows, comparability=comparability, found=found)
    if outcome is Outcome.PASSED and judged.reference_regressions:
        outcome = Outcome.FAILED
    if outcome is Outcome.PASSED and not _has_baseline(verdict):
        if config is not None:
            outcome = Outcome.PASSED if config.gate.missing_baseline == "pass" else Outcome.NO_BASELINE
        elif verdict.outcome is Outcome.NO_BASELINE:
            outcome = Outcome.NO_BASELINE  # the rows cannot tell; of the two they allow, the strict one
    return replace(judged, outcome=outcome)


def rejudge_report(report: GateReport, config: Config | None) -> GateReport:
    """Every verdict of a report read back from a document, judged again (`rejudge`)."""
    return GateReport(tuple(rejudge(v, config) for v in report.verdicts), report.costs)


# --- acceptances ------------------------------------------------------------------------------------
# The outcome arrives as the value the sticky comment's state stores (`Outcome` is a `str`, so either
# works): the state is read back from a comment, and an outcome it does not know fails the check.


def unacceptable(verdict: Verdict) -> tuple[str, ...]:
    """What fails a verdict that no acceptance can cover, in words for the reader.

    An acceptance covers the regressions it names and nothing else: not a run that could not be compared,
    not a missing baseline that fails the gate, not a regression against a gating reference.
    """
    name = f"{verdict.model}/{verdict.benchmark}"
    if verdict.outcome is Outcome.INCOMPARABLE:
        return (f"{name} could not be compared",)
    if verdict.outcome is Outcome.NO_BASELINE:
        return (f"{name} has no baseline",)
    if verdict.reference is None:
        return ()
    problems = []
    for row in verdict.reference_regressions:
        where = f" on {row.slice_label}" if row.slice_key else ""
        problems.append(f"{name}: {row.metric}{where} is worse than {verdict.reference.model}'s baseline")
    return tuple(problems)


def accepted(outcome: str, *, regressions: int, unaccepted: int, blocking: int = 0) -> bool:
    """A failed gate is accepted when it found regressions, an acceptance covers every one of them, and
    nothing else fails (`blocking` counts what `unacceptable` found)."""
    return outcome == Outcome.FAILED and regressions > 0 and unaccepted == 0 and blocking == 0


def check_conclusion(outcome: str, *, accepted: bool) -> Conclusion:
    """The check passes on a passed gate, or on a failed one whose regressions are all accepted; it is
    neutral on an inconclusive one (nothing failed, but the eval could not have failed either)."""
    if outcome == Outcome.INCONCLUSIVE:
        return "neutral"
    return "success" if outcome == Outcome.PASSED or accepted else "failure"


def title_after_acceptance(title: str, *, accepted_by: tuple[str, str] | None) -> str:
    """The check's title: the report's, or, once the regressions are accepted, the latest acceptance's
    `(login, reason)`, cut to the 255 characters GitHub allows."""
    if accepted_by is None:
        return title
    by, reason = accepted_by
    return f"Accepted by @{by}: {reason}"[:255]
