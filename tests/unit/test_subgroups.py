"""The subgroup search inside a comparison: `gate.discover`, the findings in the verdict, its document
and the report."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gatebot.compare import compare
from gatebot.config import parse_config
from gatebot.errors import InputError
from gatebot.importers import ImportOptions, import_results
from gatebot.report import RenderOptions, fit_markdown, render_markdown
from gatebot.results import Examples, Results, SliceColumn
from gatebot.verdict import GateReport, Outcome, report_document, report_from_document

CHANNELS = ("email", "chat", "phone", "web")
TOPICS = ("billing", "shipping", "returns", "account", "login", "refund", "privacy", "other")


def _runs(*, drop: float, seed: int = 1, clusters: bool = False) -> tuple[Results, Results]:
    """2,000 examples; the billing questions sent by email (about 60) lose `drop` of their right answers."""
    rng = np.random.default_rng(seed)
    n = 2000
    channel = rng.integers(0, 4, n).astype(np.int32)
    topic = rng.integers(0, 8, n).astype(np.int32)
    language = rng.integers(0, 4, n).astype(np.int32)
    base = (rng.random(n) < 0.8).astype(np.float64)
    cand = base.copy()
    noise = rng.random(n)
    cand[(base == 1) & (noise < 0.05)] = 0.0
    cand[(base == 0) & (noise < 0.2)] = 1.0
    planted = np.flatnonzero((channel == 0) & (topic == 0) & (base == 1))
    cand[planted[: round(drop * planted.size)]] = 0.0
    ids = [f"q-{i}" for i in range(n)]
    slices = {"language": SliceColumn(language, ("en", "es", "fr", "de"))}
    if clusters:
        slices["doc"] = SliceColumn((np.arange(n) // 10).astype(np.int32), tuple(f"d{i}" for i in range(200)))
    meta: dict[str, Any] = {
        "channel": SliceColumn(channel, CHANNELS),
        "topic": SliceColumn(topic, TOPICS),
        "input_chars": np.round(rng.lognormal(6.0, 1.0, n)),
    }

    def results(scores: np.ndarray, model: str) -> Results:
        examples = Examples(ids=ids, scores={"accuracy": scores}, slices=slices, meta=meta)
        return Results("support", model, {"accuracy": float(scores.mean())}, examples)

    return results(base, "base"), results(cand, "cand")


def _config(**gate: Any) -> Any:
    return parse_config({"metrics": {"accuracy": {"direction": "higher"}}, "gate": gate}, where="t")


def test_planted_intersection__found_with_its_examples_and_report_only_by_default() -> None:
    verdict = compare(*_runs(drop=0.6), _config())
    assert [f.name for f in verdict.found] == ["channel = email & topic = billing"]
    found = verdict.found[0]
    assert found.delta < 0 and found.ci_high < 0 and found.p_adjusted <= 0.05
    assert found.subgroups > 100 and found.permutations == 1000
    assert 0 < len(found.examples) <= 50 and all(e.startswith("q-") for e in found.examples)
    assert not found.gated
    assert verdict.outcome is Outcome.PASSED


def test_same_inputs__same_findings() -> None:
    first = compare(*_runs(drop=0.6), _config())
    again = compare(*_runs(drop=0.6), _config())
    assert first.found == again.found


def test_discover_gate__a_finding_fails_the_gate_and_is_a_regression() -> None:
    verdict = compare(*_runs(drop=0.6), _config(discover="gate"))
    assert verdict.outcome is Outcome.FAILED
    assert [r.slice_label for r in verdict.regressions] == ["channel = email & topic = billing"]
    assert GateReport((verdict,)).exit_code() == 1


def test_discover_off__no_search() -> None:
    assert compare(*_runs(drop=0.6), _config(discover="off")).found == ()


def test_discover_fields__only_those_searched_and_unknown_ones_named() -> None:
    verdict = compare(*_runs(drop=0.6), _config(discover_fields=["channel", "language", "colour"]))
    assert {c.field for f in verdict.found for c in f.conditions} <= {"channel", "language"}
    assert "gate.discover_fields names keys no example has: colour." in verdict.notes


def test_unchanged_model__nothing_found() -> None:
    base, _ = _runs(drop=0.0)
    assert compare(base, replace(base, model="cand"), _config()).found == ()


def test_declared_slice_that_regressed__shown_as_its_row_not_as_a_finding() -> None:
    base, cand = _runs(drop=0.0)
    assert cand.examples is not None
    scores = cand.examples.scores["accuracy"].copy()
    spanish = cand.examples.slices["language"].codes == 1
    scores[spanish & (np.arange(scores.size) % 2 == 0)] = 0.0
    cand = replace(cand, examples=replace(cand.examples, scores={"accuracy": scores}))
    verdict = compare(base, cand, _config())
    assert any(r.slice_label == "language=es" and r.status.value == "regressed" for r in verdict.slice_rows)
    assert all(f.name != "language = es" for f in verdict.found)


def test_clustered_examples__not_searched_and_said_so() -> None:
    verdict = compare(*_runs(drop=0.6, clusters=True), _config(cluster_by="doc"))
    assert verdict.found == ()
    assert "accuracy: the examples are clustered, so the subgroup search was not run." in verdict.notes


def test_report__found_by_search_block_with_the_examples_one_click_away() -> None:
    report = GateReport((compare(*_runs(drop=0.6), _config()),))
    text = render_markdown(report)
    assert "**Found by search**" in text
    assert "| channel = email & topic = billing | accuracy |" in text
    assert "Report only (`gate.discover: gate` gates on them)." in text
    assert "<details><summary>Examples behind channel = email & topic = billing:" in text
    assert text.index("**Found by search**") < text.index("<details><summary>All slices")
    cut = render_markdown(report, RenderOptions(detail=0))
    assert "**Found by search**" in cut and "Examples behind" not in cut
    fitted = fit_markdown(report, RenderOptions(), limit=len(cut) + 10)
    assert "**Found by search**" in fitted


def test_report__hostile_metadata_is_escaped() -> None:
    base, cand = _runs(drop=0.6)
    hostile = ("<img src=x> @everyone | [x](http://e.vil)", *CHANNELS[1:])
    assert cand.examples is not None and base.examples is not None

    def poisoned(r: Results) -> Results:
        assert r.examples is not None
        channel = r.examples.meta["channel"]
        assert isinstance(channel, SliceColumn)
        meta = {**r.examples.meta, "channel": SliceColumn(channel.codes, hostile)}
        return replace(r, examples=replace(r.examples, meta=meta))

    text = render_markdown(GateReport((compare(poisoned(base), poisoned(cand), _config()),)))
    assert "<img" not in text and "@everyone" not in text and "](http" not in text
    assert "&lt;img src=x&gt; @\u200beveryone &#124;" in text


def test_document__findings_round_trip_and_old_documents_read_without_them() -> None:
    report = GateReport((compare(*_runs(drop=0.6), _config()),))
    document = report_document(report)
    assert document["runs"][0]["found"][0]["subgroup"] == [
        {"field": "channel", "value": "email"},
        {"field": "topic", "value": "billing"},
    ]
    back = report_from_document(json.loads(json.dumps(document)), where="bundle")
    assert back.verdicts[0].found == report.verdicts[0].found
    del document["runs"][0]["found"]
    assert report_from_document(document, where="bundle").verdicts[0].found == ()
    quiet = report_document(GateReport((compare(*_runs(drop=0.0), _config()),)))
    assert "found" not in quiet["runs"][0]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("examples",), ["x" * 501]),
        (("examples",), [f"e{i}" for i in range(51)]),
        (("subgroup",), [{"field": "f" * 501, "value": "v"}]),
        (("subgroup",), []),
        (("p_adjusted",), 2.0),
    ],
)
def test_document__hostile_findings_refused_in_one_line(path: tuple[str, ...], value: Any) -> None:
    document = report_document(GateReport((compare(*_runs(drop=0.6), _config()),)))
    document["runs"][0]["found"][0][path[0]] = value
    with pytest.raises(InputError, match=r"^bundle: verdict runs\.0\.found\.0\."):
        report_from_document(document, where="bundle")


def test_imported_jsonl__extra_columns_are_searched(tmp_path: Path) -> None:
    """A harness's extra columns reach the search through the importer's metadata."""
    base, cand = _runs(drop=0.6)
    paths = []
    for results in (base, cand):
        assert results.examples is not None
        meta = results.examples.meta
        channel, topic = meta["channel"], meta["topic"]
        assert isinstance(channel, SliceColumn) and isinstance(topic, SliceColumn)
        path = tmp_path / f"{results.model}.jsonl"
        rows = [
            {
                "id": ident,
                "correct": int(score),
                "channel": channel.levels[int(channel.codes[i])],
                "topic": topic.levels[int(topic.codes[i])],
            }
            for i, (ident, score) in enumerate(
                zip(results.examples.ids, results.examples.scores["accuracy"].tolist(), strict=True)
            )
        ]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        paths.append(path)
    options = ImportOptions(metric_columns=("correct",), slices=())
    imported = [import_results(p, options=options).results[0] for p in paths]
    config = parse_config({"metrics": {"correct": {"direction": "higher"}}}, where="t")
    verdict = compare(imported[0], imported[1], config)
    assert [f.name for f in verdict.found] == ["channel = email & topic = billing"]
