"""Telling the formats apart from their content, and what `import_results` does around the importers."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from gatebot.errors import InputError
from gatebot.importers import FORMATS, ImportOptions, detect_format, import_results
from gatebot.results import load_results, results_document, write_results
from tests.factories import make_results


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("reference/lm-evaluation-harness/Qwen__Qwen2.5-3B.results_2025-03-03T00-58-03.320716.json",
         "lm-eval"),
        ("reference/lm-evaluation-harness/google__gemma-2b.masakhaner.results_2026-01-16T15-23-47.285735.json",
         "lm-eval"),
        ("reference/promptfoo/sample-export.json", "promptfoo"),
        ("generated/promptfoo/two-providers/output.json", "promptfoo"),
        ("reference/inspect_ai/log_read_sample.eval", "inspect"),
        ("reference/inspect_ai/log_read_sample.json", "inspect"),
        ("reference/inspect_ai/2025-05-12T20-28-13-04-00_popularity.json", "inspect"),
        ("generated/inspect_ai/baseline/quiz.eval", "inspect"),
        ("generated/inspect_ai/inputs/dataset.jsonl", "jsonl"),
    ],
)  # fmt: skip
def test_detect__real_files(relative: str, expected: str, reference: Path) -> None:
    assert detect_format(reference.parent / relative) == expected


def test_detect__csv(tmp_path: Path) -> None:
    path = tmp_path / "scores.txt"
    path.write_text("id,acc\na,1\n")
    assert detect_format(path) == "csv"


def test_detect__single_line_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text('{"id": "a", "acc": 1}\n')
    assert detect_format(path) == "jsonl"


def test_detect__unknown_json_document__error_lists_the_formats(generated: Path) -> None:
    with pytest.raises(InputError, match="not a format gatebot can import") as caught:
        detect_format(generated / "promptfoo" / "inputs" / "replies_baseline.json")
    assert "|".join(FORMATS) in caught.value.one_line()


@pytest.mark.parametrize("first_line", ["# Notes, mostly", "a,,b"])
def test_detect__text_with_commas__not_csv(first_line: str, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(first_line + "\nmore text\n")
    with pytest.raises(InputError, match="not a format gatebot can import"):
        detect_format(path)


def test_detect__markdown__error(reference: Path) -> None:
    with pytest.raises(InputError, match="not a format gatebot can import"):
        detect_format(reference / "README.md")


def test_detect__empty_file__error(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text("  \n\n")
    with pytest.raises(InputError, match=r"empty\.json: the file is empty"):
        detect_format(path)


def test_detect__truncated_json_document__error(reference: Path, tmp_path: Path) -> None:
    data = (reference / "promptfoo" / "sample-export.json").read_bytes()
    path = tmp_path / "cut.json"
    path.write_bytes(data[:5000])
    with pytest.raises(InputError, match=r"cut\.json: the JSON ends early \(truncated file\?\)"):
        detect_format(path)


def test_detect__lm_eval_samples_file__points_to_the_results_file(generated: Path) -> None:
    (samples,) = generated.glob("lm-evaluation-harness/baseline/out/*/samples_fx_quiz_stem_*.jsonl")
    with pytest.raises(InputError, match="per-sample file") as caught:
        detect_format(samples)
    assert "results_<timestamp>.json" in caught.value.one_line()


def test_detect__gatebot_results__no_import_needed(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results_document(make_results({"acc": [1, 0]}))))
    with pytest.raises(InputError, match="already a gatebot results file"):
        detect_format(path)


def test_detect__zip_that_is_not_an_inspect_log__error(tmp_path: Path) -> None:
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.txt", "x")
    with pytest.raises(InputError, match="not a format gatebot can import"):
        detect_format(path)


def test_auto__says_what_it_detected(reference: Path) -> None:
    assert import_results(reference / "inspect_ai" / "log_read_sample.json").format == "inspect"


def test_explicit_format_contradicting_the_content__error(reference: Path) -> None:
    with pytest.raises(InputError, match="this is inspect output, not lm-eval") as caught:
        import_results(reference / "inspect_ai" / "log_read_sample.json", "lm-eval")
    assert "--format inspect" in caught.value.one_line()


def test_unknown_format_name__error(reference: Path) -> None:
    with pytest.raises(InputError, match="unknown import format 'helm'"):
        import_results(reference / "inspect_ai" / "log_read_sample.json", "helm")


def test_missing_file__error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        import_results(tmp_path / "nope.json")


def test_directions_option__added_and_reported_when_unused(tmp_path: Path) -> None:
    path = tmp_path / "scores.jsonl"
    path.write_text('{"id": "a", "loss": 0.5}\n{"id": "b", "loss": 0.25}\n')
    options = ImportOptions(directions={"loss": "lower", "bleu": "higher"})
    imported = import_results(path, options=options)
    assert imported.results[0].directions == {"loss": "lower"}
    assert "direction for bleu: no such metric" in imported.skipped


def test_directions_option__bad_value__error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="direction of loss is 'down'"):
        import_results(tmp_path / "x.jsonl", options=ImportOptions(directions={"loss": "down"}))


def test_directions_option__overrides_the_file(reference: Path) -> None:
    options = ImportOptions(directions={"match/accuracy": "lower"})
    (results,) = import_results(reference / "inspect_ai" / "log_read_sample.json", options=options).results
    assert results.directions == {"match/accuracy": "lower"}


def test_lm_eval_results_renamed__samples_not_looked_for(generated: Path, tmp_path: Path) -> None:
    (source,) = generated.glob("lm-evaluation-harness/baseline/out/*/results_*.json")
    path = tmp_path / "lm.json"
    shutil.copy(source, path)
    imported = import_results(path)
    assert imported.results[0].examples is None
    assert any("per-sample files not looked for" in s for s in imported.skipped)


@pytest.mark.parametrize(
    "relative",
    [
        "reference/lm-evaluation-harness/Qwen__Qwen3-8B.negotiationtom.results_2026-07-08T18-15-33.115417.json",
        "reference/inspect_ai/2025-05-12T20-28-13-04-00_popularity.json",
        "generated/promptfoo/baseline/output.json",
    ],
)
def test_imported_results__written_and_read_back_as_gatebot_results(
    relative: str, reference: Path, tmp_path: Path
) -> None:
    (results,) = import_results(reference.parent / relative).results
    write_results(results, tmp_path / "results.json")
    loaded = load_results(tmp_path / "results.json")
    assert (loaded.benchmark, loaded.model, loaded.metrics) == (
        results.benchmark,
        results.model,
        results.metrics,
    )
    assert loaded.directions == results.directions
    assert loaded.examples is not None and results.examples is not None
    assert loaded.examples.ids == results.examples.ids
    assert set(loaded.examples.slices) == set(results.examples.slices)
