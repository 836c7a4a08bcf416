"""Importing promptfoo output files (`promptfoo eval --output out.json`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gatebot.compare import compare
from gatebot.config import parse_config
from gatebot.errors import InputError
from gatebot.importers import ImportOptions, import_results


def _output(generated: Path, run: str) -> Path:
    return generated / "promptfoo" / run / "output.json"


def test_baseline__pass_rate_and_named_scores_match_promptfoos_summary(generated: Path) -> None:
    path = _output(generated, "baseline")
    doc = json.loads(path.read_text(encoding="utf-8"))
    summary = doc["results"]["prompts"][0]["metrics"]
    imported = import_results(path)
    assert imported.format == "promptfoo"
    (results,) = imported.results
    assert results.model == "mock-v1"
    assert results.benchmark == "gatebot format fixture (promptfoo, offline mock model)"
    assert results.metrics["pass"] == pytest.approx(23 / 30)
    assert results.metrics["score"] == pytest.approx(summary["score"] / 30)
    for name in ("correct", "exact", "concise"):
        expected = summary["namedScores"][name] / summary["namedScoresCount"][name]
        assert results.metrics[name] == pytest.approx(expected)
    assert results.directions == {
        "pass": "higher",
        "score": "higher",
        "latency_ms": "lower",
        "cost": "lower",
        "correct": "higher",
        "exact": "higher",
        "concise": "higher",
    }
    assert results.provenance["promptfoo_version"] == "0.121.20"
    assert results.provenance["tests"] == {"passed": 23, "failed": 7, "errors": 0}
    assert any("23 passed, 7 failed, 0 errors" in line for line in imported.read)


def test_baseline__ids_and_default_slices(generated: Path) -> None:
    examples = import_results(_output(generated, "baseline")).results[0].examples
    assert examples is not None and len(examples) == 30
    assert examples.ids[:2] == ["q01", "q02"]
    assert list(examples.slices) == ["category", "language"]
    assert examples.slice_values(2) == {"category": "arithmetic", "language": "fr"}
    q11 = examples.ids.index("q11")
    assert examples.scores["pass"][q11] == 0.0
    assert examples.scores["score"][q11] == pytest.approx(2 / 3)


def test_baseline_vs_candidate__paired_tests_find_the_flips(generated: Path) -> None:
    (base,) = import_results(_output(generated, "baseline")).results
    (cand,) = import_results(_output(generated, "candidate")).results
    verdict = compare(base, cand, parse_config({}, where="test"))
    rows = {r.metric: r for r in verdict.rows}
    assert {r.test for r in verdict.rows} <= {"mcnemar-exact", "paired-t"}
    assert rows["pass"].test == "mcnemar-exact" and rows["score"].test == "paired-t"
    assert (rows["pass"].worse_count, rows["pass"].better_count) == (4, 5)
    assert (rows["correct"].worse_count, rows["correct"].better_count) == (2, 5)
    assert (rows["concise"].worse_count, rows["concise"].better_count) == (1, 0)
    assert {r.slice_key for r in verdict.slice_rows} == {"category", "language"}


def test_two_providers_without_provider__error_lists_them(generated: Path) -> None:
    with pytest.raises(InputError) as caught:
        import_results(_output(generated, "two-providers"))
    line = caught.value.one_line()
    assert "mock-v1, mock-v2" in line and "--provider" in line


def test_two_providers__provider_picks_one__same_as_its_own_run(generated: Path) -> None:
    path = _output(generated, "two-providers")
    imported = import_results(path, options=ImportOptions(provider="mock-v2"))
    (picked,) = imported.results
    (alone,) = import_results(_output(generated, "candidate")).results
    assert picked.model == "mock-v2"
    assert picked.examples is not None and alone.examples is not None
    assert picked.examples.ids == alone.examples.ids
    for name in ("pass", "score", "correct", "exact", "concise"):
        np.testing.assert_array_equal(picked.examples.scores[name], alone.examples.scores[name])
    assert "provider mock-v1: not selected" in imported.skipped


def test_two_providers__star__one_results_per_provider(generated: Path) -> None:
    imported = import_results(_output(generated, "two-providers"), options=ImportOptions(provider="*"))
    assert [r.model for r in imported.results] == ["mock-v1", "mock-v2"]
    assert [r.metrics["pass"] for r in imported.results] == [pytest.approx(23 / 30), pytest.approx(24 / 30)]


def test_unknown_provider__error_lists_the_available_ones(generated: Path) -> None:
    with pytest.raises(
        InputError, match=r"provider 'mock-v3' is not in the eval; available: mock-v1, mock-v2"
    ):
        import_results(_output(generated, "two-providers"), options=ImportOptions(provider="mock-v3"))


def test_reference_export__provider_by_id__latency_and_cost(reference: Path) -> None:
    path = reference / "promptfoo" / "sample-export.json"
    with pytest.raises(InputError, match="openai:gpt-5, openai:gpt-5-mini"):
        import_results(path)
    (results,) = import_results(path, options=ImportOptions(provider="openai:gpt-5-mini")).results
    assert results.model == "openai:gpt-5-mini"
    assert results.metrics["pass"] == 0.0
    assert results.metrics["score"] == pytest.approx((0.75 + 2 / 3) / 2)
    assert results.metrics["latency_ms"] == pytest.approx((5794 + 4669) / 2)
    assert results.metrics["cost"] == pytest.approx((0.00049925 + 0.00032425) / 2)
    assert results.examples is not None and [i.startswith("vars:") for i in results.examples.ids] == [
        True,
        True,
    ]
    assert results.examples.slices == {}


def test_reference_export__named_var_becomes_a_slice(reference: Path) -> None:
    options = ImportOptions(provider="openai:gpt-5", slices=("riddle",))
    examples = (
        import_results(reference / "promptfoo" / "sample-export.json", options=options).results[0].examples
    )
    assert examples is not None and len(examples.slices["riddle"].levels) == 2


def test_not_promptfoo_output__error(generated: Path) -> None:
    path = generated / "inspect_ai" / "baseline" / "quiz.json"
    with pytest.raises(InputError, match="this is inspect output, not promptfoo"):
        import_results(path, "promptfoo")


def test_no_results__error(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    path.write_text(json.dumps({"evalId": "e", "results": {"version": 3, "prompts": [], "results": []}}))
    with pytest.raises(InputError, match="no test was run"):
        import_results(path)


def test_row_without_test_index__error_names_the_field(tmp_path: Path) -> None:
    doc = {
        "evalId": "e",
        "results": {"version": 3, "prompts": [], "results": [{"promptIdx": 0, "success": True}]},
    }
    path = tmp_path / "out.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=r"results\.results\[0\]: Object missing required field testIdx"):
        import_results(path, "promptfoo")


def test_one_provider_two_prompts__named_by_prompt(tmp_path: Path) -> None:
    def row(test: int, prompt: int) -> dict[str, object]:
        return {"testIdx": test, "promptIdx": prompt, "success": True, "score": 1, "provider": {"id": "echo"}}

    prompts = [{"provider": "echo", "label": "Say {{x}}"}, {"provider": "echo", "label": "Repeat {{x}}"}]
    results = [row(t, p) for t in range(2) for p in range(2)]
    path = tmp_path / "out.json"
    path.write_text(
        json.dumps({"evalId": "e", "results": {"version": 3, "prompts": prompts, "results": results}})
    )
    imported = import_results(path, options=ImportOptions(provider="*"))
    assert [r.model for r in imported.results] == ["echo [prompt 1]", "echo [prompt 2]"]
    assert imported.results[1].provenance["prompt"] == "Repeat {{x}}"
    with pytest.raises(InputError, match="provider 'echo' matches several"):
        import_results(path, options=ImportOptions(provider="echo"))


def test_baseline__long_vars__kept_as_their_length(generated: Path) -> None:
    examples = import_results(_output(generated, "baseline")).results[0].examples
    assert examples is not None
    assert list(examples.meta) == ["question_chars"]
    assert examples.meta["question_chars"][0] == len("What is 7 + 5?")


def test_repeat__every_test_run_twice__repeats_of_one_example(generated: Path, tmp_path: Path) -> None:
    doc = json.loads(_output(generated, "baseline").read_text(encoding="utf-8"))
    rows = doc["results"]["results"]
    again = [dict(row, testIdx=row["testIdx"] + len(rows)) for row in rows]
    doc["results"]["results"] = rows + again
    path = tmp_path / "repeated.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    imported = import_results(path)
    (results,) = imported.results
    examples = results.examples
    assert examples is not None and len(examples) == 60 and len(set(examples.ids)) == 30
    assert examples.repeats is not None and sorted(set(examples.repeats.tolist())) == [0, 1]
    assert results.metrics["pass"] == pytest.approx(23 / 30)
    assert any("kept as repeats" in line for line in imported.read)


def test_latency_and_cost__reported_not_gated_without_a_config(generated: Path) -> None:
    (base,) = import_results(_output(generated, "baseline")).results
    (cand,) = import_results(_output(generated, "candidate")).results
    assert base.report_only == ("latency_ms", "cost")
    verdict = compare(base, cand, parse_config({}, where="t"))
    gated = {r.metric for r in verdict.rows if r.gated}
    assert "pass" in gated and not gated & {"latency_ms", "cost"}
