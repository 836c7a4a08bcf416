"""Render a `GateReport` as markdown: the PR comment, the job summary and `gatebot compare`'s output.

Short on top, exact underneath: a verdict line, the table of what changed, then `<details>` blocks.
Every value that reaches the template passes through one escaping function, `escape_md`, unless it is
`Markup` built here from numbers; results and config are written by PR authors, so a metric called
`| <img src=x> @everyone` must render as plain text and break no table.

The headline (`headline`) is computed once, for the comment's first lines and the check run's title.
The module is over 400 lines because the template's helpers (cells, tables, charts, footnotes) and the
headline all read the same rows; the layout itself is in `templates/comment.md.j2`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

from gatebot import __version__, numbers
from gatebot.markdown import escape_md, table
from gatebot.markdown import trusted as _trusted
from gatebot.reuse import cost_line
from gatebot.verdict import Flips, Found, GateReport, Outcome, Row, Status, Verdict

_MAX_TOP_REGRESSIONS = 3

STATUS_LABEL = {
    Status.REGRESSED: "🔴 regressed",
    Status.IMPROVED: "🟢 improved",
    Status.UNCHANGED: "⚪ unchanged",
    Status.WITHIN_NOISE: "⚪ within noise",
    Status.CHANGED: "🔵 changed",
    Status.ADDED: "🆕 added",
    Status.REMOVED: "➖ removed",
    Status.INCOMPARABLE: "⚠️ incomparable",
    Status.NOT_SHOWN: "🔴 not shown",
    Status.TOO_SMALL: "⚪ too small to gate",
    Status.INCONCLUSIVE: "🟡 inconclusive",
}

CLAIM_LABEL = {"non-inferior": "non-inf.", "equivalent": "equiv.", "superior": "sup."}
"""How a claim's p is labelled: small means the claim is shown."""


def fmt_value(value: float | None, fraction: bool) -> Markup:
    """A metric value: a percentage for 0..1 metrics, four significant digits otherwise."""
    if value is None or not math.isfinite(value):
        return _trusted("–")
    return _trusted(f"{value * 100:.1f}%" if fraction else f"{value:.4g}")


def change_cell(
    delta: float | None, low: float | None = None, high: float | None = None, *, fraction: bool
) -> Markup:
    """A change and its interval, in the decimals the interval needs (`numbers.change`): points for
    0..1 metrics (`+4.2 pts [+1.0, +7.4]`), the metric's own units otherwise; `–` for no change."""
    if delta is None or not math.isfinite(delta):
        return _trusted("–")
    text, interval = numbers.change(delta, low, high, fraction=fraction)
    return _trusted(f"{text} {interval}".strip())


def row_change(row: Row) -> Markup:
    """A row's change and interval: the one rule for every row."""
    return change_cell(row.delta, row.ci_low, row.ci_high, fraction=row.fraction_scale)


def row_delta(row: Row) -> Markup:
    """A row's change without its interval (a check title), in the decimals `row_change` uses."""
    if row.delta is None or not math.isfinite(row.delta):
        return _trusted("–")
    return _trusted(numbers.change(row.delta, row.ci_low, row.ci_high, fraction=row.fraction_scale)[0])


def pvalue(p: float | None) -> Markup:
    if p is None:
        return _trusted("–")
    return _trusted("<0.001" if p < 0.001 else f"{p:.3f}")


_SAFE_URL = re.compile(r"^https?://[A-Za-z0-9.:-]+(/[A-Za-z0-9._~/%-]*)?$")


def safe_url(url: str) -> Markup:
    """A link target: only plain http(s) URLs pass; anything else is dropped."""
    return _trusted(url) if _SAFE_URL.match(url) else _trusted("#")


def pct(value: float) -> Markup:
    return _trusted(f"{value:.0%}")


def _delta_cell(row: Row) -> Markup:
    return row_change(row)


def _status_cell(row: Row) -> Markup:
    label = STATUS_LABEL[row.status]
    if not row.gated and row.status not in (Status.ADDED, Status.REMOVED, Status.TOO_SMALL):
        label += " (not gated)" if row.declared or row.slice_key is not None else " (not declared)"
    return _trusted(label)


def _significance_cell(row: Row) -> Markup:
    """The p-value, labelled with what it is: adjusted within the gated family, raw outside it, or the
    p of the metric's claim (non-inferiority, equivalence, superiority), where small means shown."""
    if row.test == "threshold":
        return _trusted("not assessed")
    if row.p_value is None:
        return _trusted("–")
    if row.claim is not None:
        return _trusted(f"{pvalue(row.p_value)} {CLAIM_LABEL.get(row.claim, row.claim)}")
    if row.p_adjusted is not None:
        return _trusted(f"{pvalue(row.p_adjusted)} adj.")
    return _trusted(f"{pvalue(row.p_value)} raw")


def _reference_cell(row: Row | None) -> Markup:
    if row is None or row.delta is None:
        return _trusted("–")
    icon = {Status.REGRESSED: "🔴", Status.IMPROVED: "🟢"}.get(row.status, "⚪")
    return _trusted(f"{row_change(row)} {icon}")


def metrics_table(verdict: Verdict) -> Markup:
    headers = ["Metric", "Baseline", "Candidate", _delta_header(verdict), "p", "Status"]
    reference = {r.metric: r for r in verdict.reference.rows} if verdict.reference is not None else None
    if verdict.reference is not None:
        headers.append(f"vs {escape_md(verdict.reference.model)}")
    rows = []
    for row in verdict.rows:
        cells: list[object] = [
            row.metric,
            fmt_value(row.baseline, row.fraction_scale),
            fmt_value(row.candidate, row.fraction_scale),
            _delta_cell(row),
            _significance_cell(row),
            _status_cell(row),
        ]
        if reference is not None:
            cells.append(_reference_cell(reference.get(row.metric)))
        rows.append(cells)
    return table(headers, rows)


_MERMAID_UNSAFE = re.compile(r"[^A-Za-z0-9 _.:/=+()%-]")


def _mermaid_text(value: str) -> str:
    """Text inside a mermaid string: no quotes, brackets or anything that could end the block."""
    return _MERMAID_UNSAFE.sub("_", value)[:60]


_REGRESSED_COLOUR = "#cf222e"
_TREND_COLOUR = "#0969da"
"""GitHub's own red and blue: a line that reads in its light and dark themes."""


def trend_charts(verdict: Verdict) -> list[Markup]:
    """A mermaid `xychart-beta` of what the verdict is about, over the recorded baselines then the
    candidate: each regressed metric on the slice where it regressed (in red), or else each gated
    metric overall. A record made before slices were recorded has no point on a slice's chart."""
    if len(verdict.trend) < 2:
        return []
    regressed = [r for r in verdict.regressions if r.status is Status.REGRESSED]
    drawn = regressed[:_MAX_TOP_REGRESSIONS] or [r for r in verdict.rows if r.gated]
    colour = _REGRESSED_COLOUR if regressed else _TREND_COLOUR
    charts = []
    for row in drawn:
        label = row.slice_label if row.slice_key is not None else None
        points = [
            (p.label, value)
            for p in verdict.trend
            if (value := (p.metrics if label is None else p.slices.get(label, {})).get(row.metric))
            is not None
        ]
        if len(points) < 2:
            continue
        scale = 100.0 if row.fraction_scale else 1.0
        values = [v * scale for _, v in points]
        low, high = min(values), max(values)
        pad = (high - low) * 0.2 or abs(high) * 0.05 or 1.0
        labels = ", ".join(f'"{_mermaid_text(point)}"' for point, _ in points)
        unit = " (%)" if row.fraction_scale else ""
        where = f" on {label}" if label is not None else ""
        name = _mermaid_text(f"{row.metric}{where}{unit}")
        charts.append(
            _trusted(
                "```mermaid\n"
                f'%%{{init: {{"themeVariables": {{"xyChart": {{"plotColorPalette": "{colour}"}}}}}}}}%%\n'
                "xychart-beta\n"
                f'    title "{name}: recorded baselines, then this pull request"\n'
                f"    x-axis [{labels}]\n"
                f'    y-axis "{_mermaid_text(row.metric + unit)}" {low - pad:.4g} --> {high + pad:.4g}\n'
                f"    line [{', '.join(f'{v:.4g}' for v in values)}]\n```"
            )
        )
    return charts


def _delta_header(verdict: Verdict) -> str:
    confidence = verdict.method.confidence if verdict.method is not None else 0.95
    return f"Δ [{confidence:.0%} CI]"


def slices_table(rows: Sequence[Row], verdict: Verdict) -> Markup:
    body = [
        (
            row.slice_label or "",
            row.metric,
            _trusted(str(row.n)),
            fmt_value(row.baseline, row.fraction_scale),
            fmt_value(row.candidate, row.fraction_scale),
            _delta_cell(row),
            _significance_cell(row),
            _status_cell(row),
        )
        for row in rows
    ]
    headers = ("Slice", "Metric", "n", "Baseline", "Candidate", _delta_header(verdict), "p", "Status")
    return table(headers, body)


def flips_table(flips: Flips, shown: int) -> Markup:
    body = []
    for direction, examples in (("worse", flips.worse[:shown]), ("better", flips.better[:shown])):
        for example in examples:
            slices = ", ".join(f"{k}={v}" for k, v in example.slices.items())
            body.append(
                (
                    example.id,
                    _trusted(direction),
                    _trusted(f"{example.baseline:.4g} → {example.candidate:.4g}"),
                    slices,
                )
            )
    return table(("Example", "Went", "Score", "Slices"), body)


def found_table(found: Sequence[Found]) -> Markup:
    """The search's findings: each subgroup with n, the change, its simultaneous interval, adjusted p."""
    body = [
        (
            f.name,
            f.metric,
            _trusted(str(f.n)),
            fmt_value(f.baseline, f.fraction_scale),
            fmt_value(f.candidate, f.fraction_scale),
            change_cell(f.delta, f.ci_low, f.ci_high, fraction=f.fraction_scale),
            pvalue(f.p_adjusted),
            _trusted("🔴 gates" if f.gated else "🟡 report only"),
        )
        for f in found
    ]
    headers = ("Subgroup", "Metric", "n", "Baseline", "Candidate", "Δ [simultaneous CI]", "adj. p", "")
    return table(headers, body)


def found_examples(finding: Found) -> Markup:
    """The ids of the examples behind a finding, worst first, each escaped."""
    return _trusted(", ".join(str(escape_md(e)) for e in finding.examples))


def found_note(found: Sequence[Found]) -> Markup:
    """How the findings were found, in a line: the search's size and what its p-values account for."""
    first = found[0]
    aliases = [
        _trusted(f"{escape_md(f.name)} is also {', '.join(str(escape_md(_joined(a))) for a in f.aliases)}")
        for f in found
        if f.aliases
    ]
    gates = any(f.gated for f in found)
    text = (
        f"Subgroups of the examples' slices and metadata nobody declared. {first.subgroups:,} subgroups "
        f"searched; p-values and intervals account for all of them ({first.permutations:,} sign-flip "
        "permutations of the largest change, max-T). "
        + (
            "`gate.discover: gate`: these fail the gate."
            if gates
            else "Report only (`gate.discover: gate` gates on them)."
        )
    )
    if aliases:
        text += " " + "; ".join(str(a) for a in aliases) + "."
    return _trusted(text)


def _joined(conditions: Sequence[object]) -> str:
    return " & ".join(str(c) for c in conditions)


@dataclass(frozen=True)
class RenderOptions:
    """What the markdown includes: links and how much detail. `detail` 2 = everything, 0 = tables only."""

    run_url: str | None = None
    full_report_hint: str | None = None
    detail: int = 2
    max_flips_shown: int = 10
    settings_changes: tuple[str, ...] = ()
    """What a pull request changes of the gate's settings: shown first, in force once merged."""
    cost_line: str | None = None
    """The footer's line on what the gate cost; by default `gatebot.reuse.cost_line` of the report's
    costs (run or reused and from where, wall time, shards)."""


def _regression_phrase(row: Row) -> Markup:
    if row.status is Status.REMOVED:
        return _trusted(f"**{escape_md(row.metric)}** is missing from the candidate")
    where = _trusted(f" on {escape_md(row.slice_label)}") if row.slice_key is not None else ""
    moved = row_change(row)
    if row.status is Status.NOT_SHOWN:
        return _trusted(f"**{escape_md(row.metric)}**{where} {_not_shown(row)}: {moved}")
    return _trusted(f"**{escape_md(row.metric)}**{where} {moved}")


def _not_shown(row: Row) -> str:
    margin = _magnitude(row.min_effect or 0.0, row.fraction_scale)
    if row.claim == "equivalent":
        return f"not shown equivalent (within ±{margin})"
    if row.min_effect:
        return f"not shown better by more than {margin}"
    return "not shown better"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@dataclass(frozen=True, kw_only=True)
class Headline:
    """The verdict in a few words, computed once for the comment and the check run."""

    head: Markup
    """The comment's first line: `❌ gatebot: 2 regressions`."""
    lead: Markup
    """The sentence under it."""
    title: str
    """The check run's title, plain text (GitHub shows it unrendered)."""


_INCOMPARABLE = Headline(
    head=_trusted("⚠️ gatebot: the runs cannot be compared"),
    lead=_trusted("The gate fails until they can; see below."),
    title="The runs cannot be compared",
)
_NO_BASELINE = Headline(
    head=_trusted("⚠️ gatebot: no baseline to compare with"),
    lead=_trusted("The gate does not pass until a baseline is recorded."),
    title="No baseline to compare with",
)


def headline(report: GateReport) -> Headline:
    """The verdict line, the sentence under it and the check's title, for the report's outcome."""
    line = _headline(report)
    missing = _missing_sentence(report)
    if missing:
        line = Headline(head=line.head, lead=_trusted(f"{line.lead} {missing}"), title=line.title)
    return line


def _headline(report: GateReport) -> Headline:
    outcome = report.outcome
    if outcome is Outcome.FAILED:
        regressions = [r for v in report.verdicts for r in v.regressions]
        if regressions:
            return _regressed(report, regressions)
        if any(v.reference_regressions for v in report.verdicts):
            return _worse_than_reference(report)
        if any(v.outcome is Outcome.INCONCLUSIVE for v in report.verdicts):
            return _inconclusive(report, fails=True)
        return _worse_than_reference(report)
    if outcome is Outcome.INCOMPARABLE:
        regressions = [r for v in report.verdicts for r in v.regressions]
        return _also_regressed(report, regressions) if regressions else _INCOMPARABLE
    if outcome is Outcome.NO_BASELINE:
        return _NO_BASELINE
    if outcome is Outcome.INCONCLUSIVE:
        return _inconclusive(report, fails=False)
    return _passed(report)


def _missing_sentence(report: GateReport) -> str:
    """How many examples the candidate lost, for the first lines of the report."""
    counted = left_out = 0
    for v in report.verdicts:
        imputed = max((r.imputed or 0 for r in v.rows), default=0)
        if imputed:
            counted += imputed
        elif v.comparability is not None and v.comparability.comparable and v.comparability.only_baseline:
            left_out += v.comparability.only_baseline
    parts = []
    if counted:
        parts.append(
            f"{_plural(counted, 'example')} the baseline scored {'is' if counted == 1 else 'are'} missing "
            "from the candidate and count as the worst score."
        )
    if left_out:
        parts.append(
            f"{_plural(left_out, 'example')} the baseline scored {'is' if left_out == 1 else 'are'} "
            "missing from the candidate and left out."
        )
    return " ".join(parts)


def _inconclusive(report: GateReport, *, fails: bool) -> Headline:
    """Nothing failed, but a gated test could not have failed (or cannot detect the drop it must)."""
    rows = [
        (v, r)
        for v in report.verdicts
        for r in (*v.rows, *v.slice_rows)
        if r.gated and r.status is Status.INCONCLUSIVE
    ]
    parts = "; ".join(
        f"**{escape_md(r.metric)}**{f' on {escape_md(r.slice_label)}' if r.slice_key else ''} "
        f"({_plural(r.n, 'example') if r.n else 'aggregate'}): {escape_md(r.reason)}"
        for _, r in rows[:_MAX_TOP_REGRESSIONS]
    )
    then = (
        "`gate.inconclusive: fail` counts this as a failure."
        if fails
        else "The check is neutral: add examples (or repeats) for a verdict."
    )
    first = rows[0][1] if rows else None
    title = "Inconclusive" if first is None else f"Inconclusive: {first.metric} {first.reason}"[:255]
    head = "❌ gatebot: inconclusive" if fails else "🟡 gatebot: inconclusive"
    return Headline(
        head=_trusted(head),
        lead=_trusted(f"Nothing regressed, but the eval cannot back a pass: {parts}. {then}"),
        title=title,
    )


def _regressed(report: GateReport, regressions: Sequence[Row]) -> Headline:
    claims = sum(1 for r in regressions if r.status is Status.NOT_SHOWN)
    drops = len(regressions) - claims
    count = ", ".join(
        part
        for part in (
            _plural(drops, "regression") if drops else "",
            f"{_plural(claims, 'claim')} not shown" if claims else "",
        )
        if part
    )
    parts = "; ".join(_regression_phrase(r) for r in regressions[:_MAX_TOP_REGRESSIONS])
    extra = len(regressions) - _MAX_TOP_REGRESSIONS
    verb = "Regressed" if not claims else "Failed"
    lead = f"{verb}: {parts}{f' and {extra} more' if extra > 0 else ''}."
    hidden = [
        r
        for v in report.verdicts
        for r in v.rows
        if r.delta is not None
        and r.direction is not None
        and r.delta != 0
        and (r.delta > 0) == (r.direction == "higher")
        and any(g.metric == r.metric and g.slice_key for g in v.regressions)
    ]
    if hidden:
        moves = ", ".join(f"{escape_md(r.metric)} {row_change(r)}" for r in hidden)
        lead += f" Overall it looks better ({moves}): the average hides the slice that got worse."
    first = regressions[0]
    if first.status is Status.REMOVED:
        title = f"{first.metric} is missing from the candidate"
    elif first.status is Status.NOT_SHOWN:
        title = f"{first.metric} {_not_shown(first)}: {row_delta(first)}"
    else:
        where = f" on {first.slice_label}" if first.slice_key is not None else ""
        more = f" (+{len(regressions) - 1} more)" if len(regressions) > 1 else ""
        title = f"{count}: {first.metric}{where} {row_delta(first)}{more}"
    return Headline(head=_trusted(f"❌ gatebot: {count}"), lead=_trusted(lead), title=title)


def _also_regressed(report: GateReport, regressions: Sequence[Row]) -> Headline:
    """Some metric cannot be compared, and another regressed: the regression is not hidden behind it."""
    found = _regressed(report, regressions)
    unknown = [
        r.metric for v in report.verdicts for r in v.rows if r.gated and r.status is Status.INCOMPARABLE
    ]
    what = ", ".join(dict.fromkeys(unknown)) or "some runs"
    return Headline(
        head=_trusted(f"{found.head}; {escape_md(what)} cannot be compared"),
        lead=_trusted(f"{found.lead} {escape_md(what)} cannot be compared either (see below)."),
        title=f"{found.title}; {what} cannot be compared",
    )


def _worse_than_reference(report: GateReport) -> Headline:
    """Failed on the reference model alone (`gate_on_reference`): no row of its own regressed."""
    versus = [(v.reference.model, r) for v in report.verdicts if v.reference for r in v.reference_regressions]
    parts = "; ".join(
        f"**{escape_md(r.metric)}** {row_delta(r)} vs {escape_md(model)}"
        for model, r in versus[:_MAX_TOP_REGRESSIONS]
    )
    title = "Regression"
    if versus:
        model, row = versus[0]
        title = f"Worse than {model}: {row.metric} {row_delta(row)}"
    return Headline(
        head=_trusted("❌ gatebot: worse than the reference model"),
        lead=_trusted(f"Regressed against the reference: {parts}."),
        title=title,
    )


def _passed(report: GateReport) -> Headline:
    gated = sum(1 for v in report.verdicts for r in (*v.rows, *v.slice_rows) if r.gated)
    if gated == 0 and all(v.method is not None for v in report.verdicts):
        head = "⚪ gatebot: nothing gated"
        lead = "No metric of these results is declared under `metrics:` in the config, so nothing could fail."
    elif any(v.method is None for v in report.verdicts):
        head, lead = "✅ gatebot: passed, with warnings", "See the notes below."
    else:
        head, lead = "✅ gatebot: no regression", f"{_plural(gated, 'gated comparison')} checked."
    return Headline(head=_trusted(head), lead=_trusted(lead), title="No regression")


def _magnitude(value: float, fraction: bool) -> str:
    return f"{value * 100:.1f} pts" if fraction else f"{value:.4g}"


def _room(row: Row) -> float | None:
    """The largest drop the metric's range allows from the baseline (a rate cannot fall below 0%)."""
    if not row.fraction_scale or row.baseline is None:
        return None
    return row.baseline if row.direction != "lower" else 1.0 - row.baseline


def _power_phrase(row: Row, what: str) -> str | None:
    """ "drops … of X or more", capped at what the range allows; None when no drop could be detected."""
    drop = row.detectable_drop
    room = _room(row)
    if drop is None or not math.isfinite(drop):
        return None
    if room is not None and drop >= room:
        return None
    return f"{what} {_magnitude(drop, row.fraction_scale)}"


def _footnotes(verdict: Verdict) -> list[Markup]:
    """What the reader should know about the strength of a pass: power, and metrics that cannot gate."""
    notes = []
    for row in verdict.rows:
        if not row.gated or row.detectable_drop is None or row.status is Status.INCONCLUSIVE:
            continue
        if row.claim is not None:
            continue
        target = row.min_effect if row.min_effect else (0.01 if row.fraction_scale else None)
        if target is None or row.detectable_drop <= target:
            continue
        size = f"With {row.n} examples" if row.n else "With the standard errors the harness reported"
        phrase = _power_phrase(row, "smaller than")
        if phrase is None:
            notes.append(
                _trusted(
                    f"{size}, no drop in {escape_md(row.metric)} can be reliably detected, not even a fall "
                    f"to the worst score ({_magnitude(_room(row) or 0.0, row.fraction_scale)}), so a pass "
                    "does not rule one out."
                )
            )
            continue
        notes.append(
            _trusted(
                f"{size}, a drop in {escape_md(row.metric)} {phrase} cannot be reliably detected "
                "(80% power, before the correction for multiple tests), so a pass does not rule one out."
            )
        )
    gated_slices = [
        r
        for r in verdict.slice_rows
        if r.gated and r.detectable_drop is not None and r.status is not Status.INCONCLUSIVE
    ]
    if gated_slices:
        small = min(gated_slices, key=lambda r: r.n)
        phrase = _power_phrase(small, "of")
        detects = (
            f"drops in {escape_md(small.metric)} {phrase} or more"
            if phrase
            else (f"only a fall of {escape_md(small.metric)} to the worst score")
        )
        notes.append(
            _trusted(
                f"The smallest gated slice ({escape_md(small.slice_label)}, {small.n} examples) "
                f"can only detect {detects}."
            )
        )
    if verdict.baseline_source:
        notes.append(_trusted(f"Compared with the baseline of {escape_md(verdict.baseline_source)}."))
    for row in verdict.reference_regressions:
        assert verdict.reference is not None
        notes.append(
            _trusted(
                f"Against {escape_md(verdict.reference.model)}'s baseline, "
                f"{escape_md(row.metric)} regressed {row_delta(row)}: "
                "it no longer beats the model it started from."
            )
        )
    undeclared = [r.metric for r in verdict.rows if r.direction is None]
    if undeclared:
        names = ", ".join(str(escape_md(n)) for n in undeclared)
        notes.append(_trusted(f"Shown, never gated (declare a direction under `metrics:` to gate): {names}."))
    return notes


_INTERVALS = {
    "newcombe": "Newcombe's interval for paired proportions on 0/1 scores",
    "exact": "an exact one where every example moved alike",
    "normal": "the normal interval",
    "cluster-robust t": "the cluster-robust t interval on clustered examples",
    "t on per-example means": "the t interval on per-example means for repeated samples",
}
_TESTS = {
    "cluster": "examples in clusters the cluster sign-flip test (the cluster-robust t-test from 1,000 "
    "clusters)",
    "per-example means": "examples sampled more than once a test on per-example means (sign-flip, the "
    "paired t-test from 1,000 examples)",
    "reported standard errors": "aggregates with reported standard errors a z-test",
}


def method_text(verdict: Verdict) -> Markup:
    """How the verdict was decided, in words: the rule, the tests, what each p is, the intervals."""
    m = verdict.method
    if m is None:
        return _trusted("")
    rows = (*verdict.rows, *verdict.slice_rows)
    tests = f"{m.tests} gated tests"
    if m.family == "run" and m.family_tests is not None and m.family_tests != m.tests:
        tests = f"the {m.family_tests} gated tests of this gate run ({m.tests} here)"
    others = [text for key, text in _TESTS.items() if any(key in r.test for r in rows)]
    designs = "".join(f", {text}" for text in others)
    kinds = []
    for method in dict.fromkeys(r.ci_method for r in rows if r.ci_method):
        kinds.append(
            f"the paired bootstrap ({m.bootstrap_resamples} resamples, seed {m.seed}) on continuous scores"
            if method == "bootstrap"
            else _INTERVALS.get(method, method)
        )
    intervals = "; ".join(dict.fromkeys(kinds)) or "none was computed"
    claims = ""
    if any(r.claim for r in rows):
        claims = (
            " A claim's p (`non-inf.`, `equiv.`, `sup.`) is small when the metric's mode shows its claim, "
            "and "
            "is not adjusted: the gate passes only when every claim is shown; slices are tested for a "
            "significant drop larger than the margin."
        )
    missing = {
        "worst": " Examples the baseline scored and the candidate did not count as the worst score.",
        "drop": " Examples the baseline scored and the candidate did not are left out.",
    }.get(m.missing_examples or "", "")
    text = (
        "A metric regresses when its move in the bad direction is statistically significant after the "
        f"{escape_md(m.correction)} correction across {tests}, and larger than its `min_effect` (and than "
        "the report can show). 0/1 scores use the exact McNemar test, continuous scores the paired t-test"
        f"{designs}. p is one-sided, in the direction the metric moved: `adj.` is adjusted for the gated "
        f"tests, `raw` is not (a row that does not gate).{claims} Intervals are {pct(m.confidence)}, not "
        f"adjusted: {intervals}. They are two-sided while the tests are one-sided: an interval can exclude "
        "zero while the adjusted p is not significant, and a regression can be marked while an interval "
        f"touches zero. Slices with fewer than {m.min_slice_size} examples, or that could not have failed, "
        f"are shown as too small to gate.{missing}"
    )
    return _trusted(text)


def _provenance_line(prov: Mapping[str, Any]) -> str:
    parts = []
    commit = prov.get("git_commit")
    if isinstance(commit, str) and commit:
        parts.append(f"commit {commit[:12]}")
    created = prov.get("created_at")
    if isinstance(created, str) and created:
        # When the benchmark ran; a baseline's "recorded" time above is when the branch got it.
        parts.append(f"run {created}")
    digest = prov.get("model_digest")
    if isinstance(digest, str) and digest:
        parts.append(f"model {digest[:19]}")
    return ", ".join(parts) or "no provenance recorded"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gatebot", "templates"),
        finalize=escape_md,
        autoescape=False,  # noqa: S701 - `finalize=escape_md` escapes for markdown, which HTML escaping does not
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        md=escape_md,
        value=fmt_value,
        pvalue=pvalue,
        pct=pct,
        safe_url=safe_url,
    )
    env.globals.update(
        trend_charts=trend_charts,
        metrics_table=metrics_table,
        slices_table=slices_table,
        flips_table=flips_table,
        found_table=found_table,
        found_examples=found_examples,
        found_note=found_note,
        method_text=method_text,
        provenance=_provenance_line,
    )
    return env


def render_markdown(report: GateReport, options: RenderOptions | None = None) -> str:
    """The markdown report of `report`."""
    options = options or RenderOptions()
    verdict_line = headline(report)
    runs = []
    for verdict in report.verdicts:
        regressed = [r for r in verdict.slice_rows if r.status is Status.REGRESSED and r.gated]
        runs.append(
            {
                "verdict": verdict,
                "regressed_slices": regressed,
                "notes": verdict.notes,
                "footnotes": _footnotes(verdict),
                "flips": [f for f in verdict.flips if f.worse_count or f.better_count],
                "found": verdict.found,
            }
        )
    template = _environment().get_template("comment.md.j2")
    text = template.render(
        head=verdict_line.head,
        sentence=verdict_line.lead,
        runs=runs,
        options=options,
        cost_line=options.cost_line if options.cost_line is not None else cost_line(report.costs),
        multiple=len(report.verdicts) > 1,
        version=_trusted(__version__),
    )
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def check_title(report: GateReport) -> str:
    """The check run's title: the verdict line in plain text (GitHub shows it unrendered)."""
    return headline(report).title


def fit_markdown(report: GateReport, options: RenderOptions, *, limit: int, reserve: int = 0) -> str:
    """The report, with details cut (flips first, then every slice) until it fits in `limit` characters.

    Says what was cut and where the full report is. `reserve` characters are kept free for a marker.
    """
    budget = limit - reserve
    for detail in (2, 1, 0):
        cut = detail < options.detail
        hint = options.full_report_hint if cut else None
        note = "Some details were cut to fit GitHub's size limit." if cut else None
        text = render_markdown(
            report,
            replace(
                options,
                full_report_hint=" ".join(x for x in (note, hint) if x) or None,
                detail=min(detail, options.detail),
            ),
        )
        if len(text) <= budget:
            return text
    return cut_at_line(text, budget, hint=options.full_report_hint)


def cut_at_line(text: str, limit: int, *, hint: str | None = None) -> str:
    """`text` if it fits in `limit` characters; else its first whole lines and a note that says so."""
    if len(text) <= limit:
        return text
    note = "\n\n_The report was cut to fit GitHub's size limit._\n"
    if hint:
        note += f"{hint}\n"
    head = text[: max(0, limit - len(note))]
    return head[: head.rfind("\n") + 1] + note
