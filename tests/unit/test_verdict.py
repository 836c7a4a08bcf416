"""The verdict document `gatebot/verdict@1`: written and read back by the one description of it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatebot.errors import InputError
from gatebot.report import render_markdown
from gatebot.verdict import (
    Comparability,
    FlipExample,
    Flips,
    GateReport,
    Method,
    Outcome,
    Reference,
    Row,
    Status,
    TrendPoint,
    Verdict,
    report_document,
    report_from_document,
)
from tests.factories import sliced_report


def _row(status: Status, index: int, *, slice_key: str | None = None) -> Row:
    tested = status not in (Status.ADDED, Status.REMOVED, Status.INCOMPARABLE)
    return Row(
        metric=f"metric-{index}",
        slice_key=slice_key,
        slice_value=None if slice_key is None else f"value-{index}",
        status=status,
        gated=index % 2 == 0,
        declared=index % 3 != 0,
        direction=None if status is Status.CHANGED else ("lower" if index % 2 else "higher"),
        n=100 + index if tested else 0,
        baseline=None if status is Status.ADDED else 0.5 + index / 100,
        candidate=None if status in (Status.REMOVED, Status.INCOMPARABLE) else 0.25 + index / 50,
        delta=-0.125 + index / 1000 if tested else None,
        ci_low=-0.25 if tested else None,
        ci_high=0.125 if tested else None,
        ci_method="bootstrap" if tested else None,
        test="sign test" if tested else "none",
        p_value=0.0123 if tested else None,
        p_adjusted=0.0456 if tested and index % 2 == 0 else None,
        detectable_drop=0.03 if tested else None,
        worse_count=7 if tested else None,
        better_count=3 if tested else None,
        fraction_scale=index % 2 == 0,
        min_effect=0.01 if index % 3 != 0 else None,
        reason=f"because {status.value}",
        alpha=0.01 if tested else None,
    )


def _verdict(outcome: Outcome, *, model: str) -> Verdict:
    rows = tuple(_row(status, i) for i, status in enumerate(Status))
    return Verdict(
        model=model,
        benchmark="bench",
        outcome=outcome,
        rows=rows,
        slice_rows=tuple(_row(status, i, slice_key="language") for i, status in enumerate(Status)),
        flips=(
            Flips(
                metric="metric-0",
                binary=True,
                worse_count=2,
                better_count=1,
                worse=(FlipExample("ex-1", 1.0, 0.0, {"language": "es"}),),
                better=(FlipExample("ex-2", 0.0, 1.0, {}),),
            ),
        ),
        comparability=Comparability(
            baseline_examples=120,
            candidate_examples=110,
            common=100,
            min_overlap=0.8,
            baseline_dataset="sha256:a",
            candidate_dataset=None,
        ),
        method=Method(
            correction="holm",
            confidence=0.9,
            bootstrap_resamples=1000,
            seed=7,
            min_slice_size=30,
            tests=8,
            alpha=0.05,
        ),
        notes=("a note", "another"),
        baseline_provenance={"git_commit": "abc", "nested": {"k": [1, 2.5, None]}},
        candidate_provenance={"created_at": "2026-01-01T00:00:00Z"},
        baseline_source="commit abc1234",
        reference=Reference(model="base", rows=rows[:3], gates=True),
        trend=(TrendPoint("abc1234", {"metric-0": 0.5}), TrendPoint("this run", {"metric-0": 0.625})),
    )


def _every_outcome() -> GateReport:
    verdicts = [_verdict(outcome, model=f"model-{outcome.value}") for outcome in Outcome]
    bare = Verdict(
        model="bare",
        benchmark="bench",
        outcome=Outcome.NO_BASELINE,
        rows=(),
        slice_rows=(),
        flips=(),
        comparability=None,
        method=None,
    )
    return GateReport((*verdicts, bare))


def _round_trip(report: GateReport) -> tuple[dict[str, Any], GateReport]:
    document = json.loads(json.dumps(report_document(report)))
    return document, report_from_document(document, where="verdict.json")


def test_round_trip__every_status_and_outcome__same_values() -> None:
    report = _every_outcome()
    document, again = _round_trip(report)
    assert again == report
    assert report_document(again) == document
    assert {m["status"] for m in document["metrics"]} == {s.value for s in Status}
    assert {r["outcome"] for r in document["runs"]} == {o.value for o in Outcome}


@pytest.mark.parametrize("outcome", list(Outcome))
def test_round_trip__report_of_one_outcome__outcome_kept(outcome: Outcome) -> None:
    report = GateReport((_verdict(outcome, model="m"),))
    document, again = _round_trip(report)
    assert again == report
    assert document["outcome"] == again.outcome.value == outcome.value
    assert document["passed"] is (outcome is Outcome.PASSED)


def test_document__keys_in_the_order_of_the_format() -> None:
    document = report_document(_every_outcome())
    assert list(document) == ["schema", "passed", "outcome", "metrics", "slices", "runs"]
    overall = document["metrics"][0]
    assert list(overall)[:4] == ["model", "benchmark", "name", "baseline"]
    assert list(document["slices"][0])[:4] == ["model", "benchmark", "name", "slice"]
    assert list(overall)[3:] == [
        "baseline",
        "candidate",
        "delta",
        "relative",
        "status",
        "gated",
        "declared",
        "direction",
        "n",
        "ci",
        "ci_method",
        "test",
        "p_value",
        "p_adjusted",
        "detectable_drop",
        "min_effect",
        "scale",
        "worse",
        "better",
        "reason",
        "alpha",
    ]
    run = document["runs"][0]
    assert list(run) == [
        "model",
        "benchmark",
        "outcome",
        "passed",
        "regressions",
        "notes",
        "comparability",
        "method",
        "flips",
        "baseline_provenance",
        "candidate_provenance",
        "baseline_source",
        "reference",
        "trend",
    ]
    assert run["method"] == {
        "correction": "holm",
        "confidence": 0.9,
        "bootstrap_resamples": 1000,
        "seed": 7,
        "min_slice_size": 30,
        "gated_tests": 8,
        "alpha": 0.05,
    }
    assert run["comparability"] == {
        "baseline_examples": 120,
        "candidate_examples": 110,
        "common": 100,
        "only_baseline": 20,
        "only_candidate": 10,
        "overlap": 100 / 120,
        "min_overlap": 0.8,
        "same_dataset": None,
        "baseline_dataset": "sha256:a",
        "candidate_dataset": None,
    }


def test_document__values_json_cannot_spell__written_as_null() -> None:
    row = Row(
        metric="loss",
        status=Status.WITHIN_NOISE,
        gated=True,
        declared=True,
        direction="lower",
        n=3,
        baseline=0.0,
        candidate=float("nan"),
        delta=float("inf"),
        detectable_drop=float("inf"),
    )
    report = GateReport((Verdict("m", "b", Outcome.PASSED, (row,), (), (), None, None),))
    (written,) = report_document(report)["metrics"]
    assert (written["candidate"], written["delta"], written["relative"], written["detectable_drop"]) == (
        None,
        None,
        None,
        None,
    )


def test_document_of_an_earlier_gatebot__no_alpha__read_with_the_default() -> None:
    document = report_document(_every_outcome())
    for row in (*document["metrics"], *document["slices"]):
        del row["alpha"]
    for run in document["runs"]:
        if run["method"] is not None:
            del run["method"]["alpha"]
    again = report_from_document(document, where="t")
    assert all(r.alpha is None for v in again.verdicts for r in v.rows)
    assert {v.method.alpha for v in again.verdicts if v.method is not None} == {0.05}


@pytest.mark.parametrize(
    ("tamper", "path"),
    [
        (lambda d: d["metrics"][0].update(status="owned"), r"metrics\.0\.status"),
        (lambda d: d["slices"][1]["slice"].update(value=5), r"slices\.1\.slice\.value"),
        (lambda d: d["runs"][0].update(outcome="great"), r"runs\.0\.outcome"),
        (lambda d: d["runs"][0]["method"].update(alpha="high"), r"runs\.0\.method\.alpha"),
        (lambda d: d["runs"][0]["comparability"].update(common=-1), r"runs\.0\.comparability\.common"),
        (lambda d: d["runs"][0]["flips"][0].update(kind="sideways"), r"runs\.0\.flips\.0\.kind"),
        (lambda d: d["metrics"][0].update(relative="big"), r"metrics\.0\.relative"),
        (lambda d: d.update(schema="gatebot/verdict@9"), "schema"),
    ],
)
def test_untrusted_document__tampered__one_line_input_error_naming_the_field(tamper: Any, path: str) -> None:
    document = report_document(_every_outcome())
    tamper(document)
    with pytest.raises(InputError, match=rf"^bundle\.json: verdict {path}: ") as caught:
        report_from_document(document, where="bundle.json")
    assert "\n" not in str(caught.value)


def test_verdict_document__round_trip__renders_identically() -> None:
    report = sliced_report()
    document = json.loads(json.dumps(report_document(report)))
    again = report_from_document(document, where="t")
    assert render_markdown(again) == render_markdown(report)


def test_verdict_document__tampered__input_error() -> None:
    document = report_document(sliced_report())
    document["metrics"][0]["status"] = "owned"
    with pytest.raises(InputError, match=r"verdict metrics\.0\.status"):
        report_from_document(document, where="t")
