"""Importing inspect_ai eval logs (`.eval` archives and `.json` documents)."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from gatebot.compare import compare
from gatebot.config import parse_config
from gatebot.errors import InputError
from gatebot.importers import ImportOptions, import_results
from gatebot.importers.inspect_ai import value_to_float
from gatebot.results import SliceColumn

SCORED = "2025-02-11T15-18-04-05-00_popularity_mj7khqpMM4GBCfVQozKgzB.eval"
UNSCORED = "2025-02-11T15-17-00-05-00_popularity_dPiJifoWeEQBrfWsAopzWr.eval"
CANCELLED = "2025-05-12T20-28-13-04-00_popularity.json"
OLD = "2024-11-05T13-31-45-05-00_input-task_8zXjbRzCWrL9GXiXo2vus9.json"


def _log(reference: Path, name: str) -> Path:
    return reference / "inspect_ai" / name


@pytest.mark.parametrize(
    ("value", "expected"),
    [("C", 1.0), ("I", 0.0), ("P", 0.5), ("N", 0.0), (True, 1.0), (0.25, 0.25), (3, 3.0), ("yes", 1.0),
     ("No", 0.0), ("0.75", 0.75), ("maybe", None), ([1, 2], None), (None, None)],
)  # fmt: skip
def test_value_to_float__as_inspect_reads_scores(value: Any, expected: float | None) -> None:
    assert value_to_float(value) == expected


def test_scored_eval__accuracy_as_the_log_says(reference: Path) -> None:
    imported = import_results(_log(reference, SCORED))
    assert imported.format == "inspect"
    (results,) = imported.results
    assert results.benchmark == "popularity"
    assert results.model == "openai/gpt-4o-mini"
    assert results.metrics == {"match/accuracy": pytest.approx(0.8)}
    assert results.directions == {"match/accuracy": "higher"}
    assert results.provenance["stderr"] == {"match/stderr": pytest.approx(0.13333333333333333)}
    assert results.provenance["inspect_ai_version"] == "0.3.58.dev16+g6a87748b"
    examples = results.examples
    assert examples is not None
    assert examples.ids == [str(i) for i in range(1, 11)]
    assert float(examples.scores["match/accuracy"].mean()) == pytest.approx(0.8)
    assert examples.scores["match/accuracy"][2] == 0.0


def test_unscored_eval__no_metrics_error(reference: Path) -> None:
    with pytest.raises(InputError, match="no metrics") as caught:
        import_results(_log(reference, UNSCORED))
    assert UNSCORED in caught.value.one_line()


def test_cancelled_run__imports_with_a_warning(reference: Path) -> None:
    imported = import_results(_log(reference, CANCELLED))
    (results,) = imported.results
    assert results.provenance["status"] == "cancelled"
    assert any("status is 'cancelled'" in line for line in imported.skipped)
    assert results.metrics["match/accuracy"] == pytest.approx(2 / 3)
    assert results.examples is not None and len(results.examples) == 3


def test_eval_and_json_of_one_run__same_results(reference: Path) -> None:
    (from_eval,) = import_results(_log(reference, "log_read_sample.eval")).results
    (from_json,) = import_results(_log(reference, "log_read_sample.json")).results
    assert from_eval.metrics == from_json.metrics == {"match/accuracy": 1.0}
    assert from_eval.examples is not None and from_json.examples is not None
    assert from_eval.examples.ids == from_json.examples.ids == ["1"]
    assert from_eval.provenance["imported_from"]["container"] == "eval"
    assert from_json.provenance["imported_from"]["container"] == "json"


def test_old_log__metric_options_instead_of_params(reference: Path) -> None:
    (results,) = import_results(_log(reference, OLD)).results
    assert results.benchmark == "input_task"
    assert results.metrics == {"model_graded_fact/accuracy": 1.0}
    assert results.examples is not None and results.examples.ids == ["1"]


def _quiz(generated: Path, run: str) -> Path:
    return generated / "inspect_ai" / run / "quiz.json"


def test_generated_quiz__headline_values_and_slices(generated: Path) -> None:
    (base,) = import_results(_quiz(generated, "baseline")).results
    assert base.metrics == {"match/accuracy": 15 / 21, "includes/accuracy": 16 / 21}
    assert base.provenance["stderr"]["match/stderr"] == pytest.approx(0.10101525445522108)
    examples = base.examples
    assert examples is not None and examples.ids[:3] == ["q01", "q02", "q03"]
    assert list(examples.slices) == ["category", "language"]
    assert examples.slice_values(examples.ids.index("q13")) == {"category": "geography", "language": "fr"}
    q11 = examples.ids.index("q11")
    assert (examples.scores["match/accuracy"][q11], examples.scores["includes/accuracy"][q11]) == (0.0, 1.0)


def test_generated_quiz__baseline_vs_candidate__paired(generated: Path) -> None:
    (base,) = import_results(_quiz(generated, "baseline")).results
    (cand,) = import_results(_quiz(generated, "candidate")).results
    verdict = compare(base, cand, parse_config({}, where="test"))
    rows = {r.metric: r for r in verdict.rows}
    assert {r.test for r in verdict.rows} == {"mcnemar-exact"}
    assert (rows["match/accuracy"].worse_count, rows["match/accuracy"].better_count) == (4, 5)
    assert (rows["includes/accuracy"].worse_count, rows["includes/accuracy"].better_count) == (2, 5)
    assert rows["includes/accuracy"].candidate == pytest.approx(19 / 21)


def test_slices_option__only_the_named_metadata_keys(generated: Path) -> None:
    options = ImportOptions(slices=("language",))
    examples = import_results(_quiz(generated, "baseline"), options=options).results[0].examples
    assert examples is not None and list(examples.slices) == ["language"]


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="zipfile reads zstd members from Python 3.14")
def test_zstd_eval_before_python_314__error_suggests_the_json_log(generated: Path) -> None:
    with pytest.raises(InputError, match="zstd") as caught:
        import_results(generated / "inspect_ai" / "baseline" / "quiz.eval")
    assert "inspect log convert --to json" in caught.value.one_line()


@pytest.mark.skipif(sys.version_info < (3, 14), reason="zipfile reads zstd members from Python 3.14")
def test_zstd_eval_from_python_314__same_as_the_json_log(generated: Path) -> None:
    (from_eval,) = import_results(generated / "inspect_ai" / "baseline" / "quiz.eval").results
    (from_json,) = import_results(_quiz(generated, "baseline")).results
    assert from_eval.metrics == from_json.metrics


def _edited_log(reference: Path, tmp_path: Path, edit: Any) -> Path:
    doc = json.loads(_log(reference, "log_read_sample.json").read_text(encoding="utf-8"))
    edit(doc)
    path = tmp_path / "log.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _two_epochs(reducer: str | None) -> Any:
    def edit(doc: dict[str, Any]) -> None:
        first = doc["samples"][0]
        second = json.loads(json.dumps(first)) | {"epoch": 2}
        second["scores"]["match"]["value"] = "I"
        doc["samples"].append(second)
        doc["results"]["scores"][0]["metrics"]["accuracy"]["value"] = 0.5
        if reducer is None:
            del doc["reductions"]
        else:
            doc["reductions"][0]["reducer"] = reducer
            doc["reductions"][0]["samples"][0]["value"] = 0.5 if reducer == "mean" else "C"
            if reducer != "mean":
                doc["results"]["scores"][0]["metrics"]["accuracy"]["value"] = 1.0

    return edit


@pytest.mark.parametrize("reducer", [None, "mean"])
def test_epochs_reduced_by_their_mean__kept_as_repeats(
    reference: Path, tmp_path: Path, reducer: str | None
) -> None:
    imported = import_results(_edited_log(reference, tmp_path, _two_epochs(reducer)))
    examples = imported.results[0].examples
    assert examples is not None and examples.ids == ["1", "1"]
    assert examples.repeats is not None and examples.repeats.tolist() == [1, 2]
    assert examples.scores["match/accuracy"].tolist() == [1.0, 0.0]
    assert any("each of the 2 epochs kept as a repeat" in line for line in imported.read)


def test_epochs_reduced_otherwise__the_reduced_value_per_sample(reference: Path, tmp_path: Path) -> None:
    imported = import_results(_edited_log(reference, tmp_path, _two_epochs("mode")))
    examples = imported.results[0].examples
    assert examples is not None and examples.ids == ["1"] and examples.repeats is None
    assert examples.scores["match/accuracy"].tolist() == [1.0]


def test_stderr_of_the_log__carried_for_its_mean_metric(reference: Path) -> None:
    (results,) = import_results(_log(reference, "log_read_sample.json")).results
    assert results.stderr == {"match/accuracy": results.provenance["stderr"]["match/stderr"]}


def test_per_sample_mean_differs_from_the_metric__not_attached(reference: Path, tmp_path: Path) -> None:
    def other_value(doc: dict[str, Any]) -> None:
        doc["results"]["scores"][0]["metrics"]["accuracy"]["value"] = 0.25

    imported = import_results(_edited_log(reference, tmp_path, other_value))
    (results,) = imported.results
    assert results.metrics == {"match/accuracy": 0.25}
    assert results.examples is not None and results.examples.scores == {}
    assert any("is not the log's 0.25" in line for line in imported.skipped)


def test_truncated_json_log__error(reference: Path, tmp_path: Path) -> None:
    data = _log(reference, "log_read_sample.json").read_bytes()
    path = tmp_path / "log.json"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match="ends early"):
        import_results(path, "inspect")


def test_eval_archive_without_header__error(tmp_path: Path) -> None:
    path = tmp_path / "log.eval"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("summaries.json", "[]")
    with pytest.raises(InputError, match=r"no header\.json"):
        import_results(path, "inspect")


def test_eval_members_read_from_sample_files_when_summaries_lack_metadata(reference: Path) -> None:
    path = _log(reference, SCORED)
    with zipfile.ZipFile(path) as archive:
        summaries = json.loads(archive.read("summaries.json"))
    grades = {str(s["id"]): s["scores"]["match"]["value"] for s in summaries}
    imported = import_results(path)
    assert "samples from 10 samples/*.json files" in imported.read[0]
    examples = imported.results[0].examples
    assert examples is not None
    expected = [{"C": 1.0, "I": 0.0}[grades[ident]] for ident in examples.ids]
    assert examples.scores["match/accuracy"].tolist() == expected


def test_metadata_not_named_as_slices__kept_as_metadata(generated: Path) -> None:
    options = ImportOptions(slices=("category",))
    examples = import_results(_quiz(generated, "baseline"), options=options).results[0].examples
    assert examples is not None and list(examples.slices) == ["category"]
    language = examples.meta["language"]
    assert isinstance(language, SliceColumn) and set(language.levels) == {"en", "de", "fr"}
