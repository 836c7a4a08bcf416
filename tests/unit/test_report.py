"""The markdown report as GitHub renders it (cmark-gfm, GitHub's own parser)."""

from __future__ import annotations

import re
from dataclasses import replace

import cmarkgfm
import numpy as np
import pytest
from cmarkgfm.cmark import Options

from gatebot.compare import compare
from gatebot.config import parse_config
from gatebot.decision import attach_reference, missing_baseline
from gatebot.report import (
    RenderOptions,
    change_cell,
    check_title,
    escape_md,
    fit_markdown,
    headline,
    render_markdown,
    trend_charts,
)
from gatebot.verdict import GateReport, Outcome, Status, TrendPoint
from tests.factories import flipped, make_results, sliced_report

HOSTILE = "| <img src=x onerror=alert(1)> @everyone **bold** [link](http://evil) `code` $x$"


def _html(markdown: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def _hostile_report() -> str:
    rng = np.random.default_rng(0)
    base = (rng.random(400) < 0.8).astype(float)
    cand = base.copy()
    cand[:100] = flipped(base[:100], worse=40, better=0, rng=rng)
    slices = {"group": [HOSTILE] * 100 + ["other"] * 300}
    config = parse_config({"metrics": {HOSTILE: {"direction": "higher"}}}, where="test")
    verdict = compare(
        make_results({HOSTILE: base}, slices=slices, ids=[f"{HOSTILE}-{i}" for i in range(400)]),
        make_results({HOSTILE: cand}, slices=slices, ids=[f"{HOSTILE}-{i}" for i in range(400)]),
        config,
    )
    return render_markdown(GateReport((verdict,)), RenderOptions(max_flips_shown=3))


def test_hostile_names__render_as_text__no_tags_links_or_mentions() -> None:
    html = _html(_hostile_report())
    assert "<img" not in html
    assert "<strong>bold</strong>" not in html
    assert "href=" not in html
    assert "<code>code</code>" not in html
    assert "@everyone" not in html  # a zero-width space breaks the mention
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_hostile_names__tables_keep_their_columns() -> None:
    html = _html(_hostile_report())
    for table in re.findall(r"<table>.*?</table>", html, flags=re.S):
        header_cells = len(re.findall(r"<th[ >]", table.split("</thead>")[0]))
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], flags=re.S):
            assert len(re.findall(r"<td[ >]", row)) == header_cells


def test_failed_gate__first_line_names_the_regressed_slice() -> None:
    markdown = _hostile_report()
    first = markdown.splitlines()[0]
    assert first.startswith("### ❌ gatebot: 2 regressions")
    assert "on group=" in markdown.splitlines()[2]


def test_details__inside_details_blocks() -> None:
    html = _html(_hostile_report())
    assert html.count("<details>") == html.count("</details>") >= 2
    assert "<summary>All slices: 2 comparisons</summary>" in html


def test_escape_md__line_start_markers_and_newlines() -> None:
    assert escape_md("- item") == "&#45; item"
    assert escape_md("1. first") == "1&#46; first"
    assert escape_md("a\nb\r\nc") == "a b c"
    assert escape_md("# title") == "&#35; title"
    assert escape_md("acc_norm") == "acc_norm"
    assert escape_md("_em_") == "&#95;em&#95;"


def test_change_cell__fraction_in_points_raw_in_units() -> None:
    assert change_cell(-0.0213, fraction=True) == "-2.1 pts"
    assert change_cell(0.5, fraction=False) == "+0.5"
    assert change_cell(None, fraction=True) == "–"


def test_reference_model__column_and_gate_when_configured() -> None:
    rng = np.random.default_rng(3)
    base_model = (rng.random(500) < 0.85).astype(float)
    previous = base_model.copy()
    candidate = flipped(base_model, worse=60, better=10, rng=rng)
    config = parse_config({"metrics": {"acc": {"direction": "higher"}}}, where="test")
    verdict = compare(make_results({"acc": previous}), make_results({"acc": candidate}), config)
    against = compare(
        make_results({"acc": base_model}, model="base"), make_results({"acc": candidate}), config
    )
    shown = attach_reference(verdict, against, model="base", gates=False)
    gating = attach_reference(replace(verdict, outcome=Outcome.PASSED), against, model="base", gates=True)
    markdown = render_markdown(GateReport((shown,)))
    assert "| vs base" in markdown.splitlines()[4]
    assert gating.outcome is Outcome.FAILED
    assert "no longer beats the model it started from" in render_markdown(GateReport((gating,)))


def _one_of_each_outcome() -> dict[str, GateReport]:
    rng = np.random.default_rng(5)
    base = (rng.random(600) < 0.8).astype(float)
    worse = flipped(base, worse=90, better=0, rng=rng)
    config = parse_config({"metrics": {"acc": {"direction": "higher"}}}, where="test")
    regressed = compare(make_results({"acc": base}), make_results({"acc": worse}), config)
    same = compare(make_results({"acc": worse}), make_results({"acc": worse}), config)
    against = compare(make_results({"acc": base}, model="base"), make_results({"acc": worse}), config)
    shifted = make_results({"acc": base}, ids=[f"other-{i}" for i in range(600)])
    return {
        "regressed": GateReport((regressed,)),
        "worse than the reference": GateReport((attach_reference(same, against, model="base", gates=True),)),
        "incomparable": GateReport((compare(make_results({"acc": base}), shifted, config),)),
        "no baseline": GateReport((missing_baseline(make_results({"acc": base}), policy="fail"),)),
        "passed": GateReport((same,)),
    }


@pytest.mark.parametrize(
    ("case", "head", "title"),
    [
        ("regressed", "❌ gatebot: 1 regression", "1 regression: acc -15.0 pts"),
        (
            "worse than the reference",
            "❌ gatebot: worse than the reference model",
            "Worse than base: acc -15.0 pts",
        ),
        ("incomparable", "⚠️ gatebot: the runs cannot be compared", "The runs cannot be compared"),
        ("no baseline", "⚠️ gatebot: no baseline to compare with", "No baseline to compare with"),
        ("passed", "✅ gatebot: no regression", "No regression"),
    ],
)
def test_headline__every_outcome__one_line_for_the_comment_and_the_check(
    case: str, head: str, title: str
) -> None:
    report = _one_of_each_outcome()[case]
    line = headline(report)
    assert (line.head, line.title) == (head, title)
    assert check_title(report) == title
    assert render_markdown(report).startswith(f"### {head}\n\n{line.lead}\n")


def test_headline__a_metric_cannot_be_compared__a_regression_of_another_still_heads_the_report() -> None:
    rng = np.random.default_rng(5)
    base = (rng.random(400) < 0.8).astype(float)
    worse = flipped(base, worse=80, better=0, rng=rng)
    partial = np.where(np.arange(400) < 150, base, np.nan)  # the candidate scored f1 on 150 of 400
    config = parse_config(
        {"metrics": {"acc": {"direction": "higher"}, "f1": {"direction": "higher"}}}, where="test"
    )
    report = GateReport(
        (
            compare(
                make_results({"acc": base, "f1": base}), make_results({"acc": worse, "f1": partial}), config
            ),
        )
    )
    line = headline(report)
    assert line.head == "❌ gatebot: 1 regression; f1 cannot be compared"
    assert line.title.startswith("1 regression: acc -20.0 pts") and line.title.endswith(
        "f1 cannot be compared"
    )
    markdown = render_markdown(report)
    assert "below gate.min_overlap 90%" in markdown  # the setting that decides it, by name


def test_metrics_table__a_rate_missing_from_the_candidate__shown_in_percent_like_its_neighbours() -> None:
    config = parse_config(
        {"metrics": {"acc": {"direction": "higher"}, "f1": {"direction": "higher"}}}, where="test"
    )
    verdict = compare(
        make_results(metrics={"acc": 0.81, "f1": 0.6495}), make_results(metrics={"acc": 0.82}), config
    )
    (f1,) = [line for line in render_markdown(GateReport((verdict,))).splitlines() if line.startswith("| f1")]
    assert "65.0%" in f1 and "0.6495" not in f1


def test_trend_charts__regression_in_a_slice__draws_that_slice_in_red__else_the_overall_in_blue() -> None:
    report = sliced_report(n_slices=2)
    (verdict,) = report.verdicts
    (regression,) = [r for r in verdict.regressions if r.slice_key is not None][:1]
    label = regression.slice_label
    assert label is not None
    trend = tuple(
        TrendPoint(name, {regression.metric: 0.5}, {label: {regression.metric: value}})
        for name, value in (("abc1234", 0.9), ("def5678", 0.91), ("this run", 0.6))
    )
    charts = trend_charts(replace(verdict, trend=trend))
    chart = next(c for c in charts if f" on {label} " in c)
    assert f'title "{regression.metric} on {label} (%): recorded baselines' in chart
    assert "#cf222e" in chart and "line [90, 91, 60]" in chart

    calm = replace(
        verdict, trend=trend, rows=tuple(replace(r, status=Status.WITHIN_NOISE) for r in verdict.rows)
    )
    calm = replace(calm, slice_rows=tuple(replace(r, status=Status.WITHIN_NOISE) for r in verdict.slice_rows))
    (overall, *_) = trend_charts(calm)
    assert f'title "{regression.metric} (%): recorded baselines' in overall
    assert "#0969da" in overall and "line [50, 50, 50]" in overall


def test_fit_markdown__over_limit__cuts_details_and_says_so() -> None:
    report = sliced_report(n_slices=60)
    full = render_markdown(report)
    fitted = fit_markdown(
        report, RenderOptions(full_report_hint="See the job summary."), limit=len(full) // 3
    )
    assert len(fitted) <= len(full) // 3
    assert "cut to fit" in fitted
    assert "See the job summary." in fitted
    assert fitted.startswith("### ❌ gatebot")


def test_cost_line__a_footer_line_escaped__kept_when_details_are_cut() -> None:
    report = sliced_report(40)
    line = "Cost: qa for m: reused from the cache folder <b>x</b> (measured in 4.2 s)."
    text = render_markdown(report, RenderOptions(cost_line=line))
    footer = text.splitlines()[-3]
    assert footer.startswith("<sub>Cost: qa for m: reused from the cache folder ")
    assert "<b>" not in footer
    assert text.splitlines()[-1].startswith("<sub>gatebot ")
    assert "Cost:" not in render_markdown(report, RenderOptions())
    cut = fit_markdown(report, RenderOptions(cost_line=line), limit=len(text) // 2)
    assert "<sub>Cost: qa for m" in cut
