"""Importing lm-evaluation-harness results files and their per-sample files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from gatebot.compare import compare
from gatebot.config import parse_config
from gatebot.errors import InputError
from gatebot.importers import ImportOptions, import_results
from gatebot.results import SliceColumn

NEGOTIATION = "Qwen__Qwen3-8B.negotiationtom.results_2026-07-08T18-15-33.115417.json"
GEMMA = "google__gemma-2b.masakhaner.results_2026-01-16T15-23-47.285735.json"
QWEN_SMALL = "Qwen__Qwen2.5-1.5B.results_2025-03-03T00-05-12.300060.json"


def _run(generated: Path, side: str) -> Path:
    (found,) = (generated / "lm-evaluation-harness" / side / "out").glob("*/results_*.json")
    return found


def _copy_run(generated: Path, side: str, tmp_path: Path) -> Path:
    source = _run(generated, side)
    target = tmp_path / source.parent.name
    shutil.copytree(source.parent, target)
    return target / source.name


def test_generated_run__metrics_are_the_files_own_values(generated: Path) -> None:
    path = _run(generated, "baseline")
    raw = json.loads(path.read_text(encoding="utf-8"))["results"]
    imported = import_results(path)
    (results,) = imported.results
    assert imported.format == "lm-eval"
    assert results.benchmark == "fx_quiz"
    assert results.model == "gatebot-fx/dummy-seed1"
    for task in ("fx_quiz", "fx_quiz_stem", "fx_quiz_geography"):
        assert results.metrics[f"{task}/acc"] == raw[task]["acc,none"]
        assert results.metrics[f"{task}/acc_norm"] == raw[task]["acc_norm,none"]
        assert results.directions[f"{task}/acc"] == "higher"
    assert results.provenance["stderr"]["fx_quiz/acc"] == raw["fx_quiz"]["acc_stderr,none"]
    assert results.provenance["lm_eval_version"] == "0.4.13"
    assert results.provenance["model_args"] == {"pretrained": "gatebot-fx/dummy-seed1"}


def test_generated_run__per_sample_means_equal_the_aggregates(generated: Path) -> None:
    (results,) = import_results(_run(generated, "baseline")).results
    examples = results.examples
    assert examples is not None and len(examples) == 30
    for name, values in examples.scores.items():
        assert float(np.nanmean(values)) == pytest.approx(results.metrics[name], abs=1e-12)
    stem = examples.scores["fx_quiz_stem/acc"]
    assert int(np.count_nonzero(~np.isnan(stem))) == 20
    assert float(np.nansum(stem)) == 1.0
    group = examples.scores["fx_quiz/acc"]
    assert not np.isnan(group).any() and float(group.sum()) == 4.0


def test_generated_run__ids_are_task_and_doc_id__task_is_a_slice(generated: Path) -> None:
    imported = import_results(_run(generated, "baseline"))
    examples = imported.results[0].examples
    assert examples is not None
    assert "fx_quiz_stem/0" in examples.ids and "fx_quiz_geography/9" in examples.ids
    assert list(examples.slices) == ["task"]
    assert set(examples.slices["task"].levels) == {"fx_quiz_stem", "fx_quiz_geography"}
    assert any("20 samples of fx_quiz_stem" in line for line in imported.read)


def test_slices_option__doc_fields_become_slices(generated: Path) -> None:
    options = ImportOptions(slices=("category", "language"))
    examples = import_results(_run(generated, "baseline"), options=options).results[0].examples
    assert examples is not None
    assert list(examples.slices) == ["task", "category", "language"]
    assert set(examples.slices["category"].levels) == {"arithmetic", "science", "geography"}
    index = examples.ids.index("fx_quiz_geography/0")
    assert examples.slice_values(index) == {
        "task": "fx_quiz_geography",
        "category": "geography",
        "language": "en",
    }


def test_samples_option__only_the_files_given_are_read(generated: Path) -> None:
    path = _run(generated, "baseline")
    (stem,) = path.parent.glob("samples_fx_quiz_stem_*.jsonl")
    imported = import_results(path, options=ImportOptions(samples=(stem,)))
    examples = imported.results[0].examples
    assert examples is not None and len(examples) == 20
    assert set(examples.scores) == {"fx_quiz_stem/acc", "fx_quiz_stem/acc_norm"}
    assert any(line.startswith("fx_quiz/acc: no per-example scores") for line in imported.skipped)


def test_baseline_vs_candidate__paired_tests_on_every_metric(generated: Path) -> None:
    options = ImportOptions(slices=("category",))
    (base,) = import_results(_run(generated, "baseline"), options=options).results
    (cand,) = import_results(_run(generated, "candidate"), options=options).results
    verdict = compare(base, cand, parse_config({}, where="test"))
    assert {r.test for r in verdict.rows} == {"mcnemar-exact"}
    overall = {r.metric: r for r in verdict.rows}["fx_quiz/acc"]
    assert (overall.baseline, overall.candidate) == (pytest.approx(4 / 30), pytest.approx(7 / 30))
    assert (overall.worse_count, overall.better_count) == (2, 5)
    geography = {r.metric: r for r in verdict.rows}["fx_quiz_geography/acc"]
    assert geography.delta == 0 and (geography.worse_count, geography.better_count) == (2, 2)
    assert {r.slice_key for r in verdict.slice_rows} == {"task", "category"}


def test_reference_negotiationtom__corpus_f1_is_aggregate_only(reference: Path) -> None:
    imported = import_results(reference / "lm-evaluation-harness" / NEGOTIATION)
    (results,) = imported.results
    assert results.benchmark == "negotiationtom"
    assert results.model == "Qwen/Qwen3-8B"
    assert results.metrics["negotiationtom_intention/micro_f1"] == pytest.approx(0.2857142857142857)
    examples = results.examples
    assert examples is not None and len(examples) == 60
    assert "negotiationtom_intention/micro_f1" not in examples.scores
    assert float(np.nanmean(examples.scores["negotiationtom_intention/exact_match"])) == pytest.approx(0.2)
    assert float(np.nanmean(examples.scores["negotiationtom/acc"])) == pytest.approx(0.525)
    assert any("micro_f1: per-sample values not used: they are not numbers" in s for s in imported.skipped)
    assert results.provenance["stderr"]["negotiationtom_intention/micro_f1"] is None
    assert results.provenance["n-samples"]["negotiationtom_belief"] == {"original": 13812, "effective": 20}


def test_reference_gemma__filter_in_the_name__na_stderr(reference: Path) -> None:
    imported = import_results(reference / "lm-evaluation-harness" / GEMMA)
    (results,) = imported.results
    name = "masakhaner_luo_prompt_1/f1[flexible-extract]"
    assert results.metrics == {name: pytest.approx(0.0656270305392884)}
    assert results.directions == {name: "higher"}
    assert results.provenance["stderr"] == {name: None}
    assert results.examples is None
    assert any("--log_samples" in s for s in imported.skipped)
    assert "no per-sample scores: aggregates only, no significance tests" in imported.skipped


def test_reference_qwen__many_tasks__old_format(reference: Path) -> None:
    (results,) = import_results(reference / "lm-evaluation-harness" / QWEN_SMALL).results
    assert results.benchmark == "lm-eval"
    assert results.model == "Qwen/Qwen2.5-1.5B"
    assert results.metrics["mmlu/acc"] == pytest.approx(0.5961401509756445)
    assert results.directions["lambada_openai/perplexity"] == "lower"
    assert results.provenance["model_args"] == "pretrained=Qwen/Qwen2.5-1.5B,trust_remote_code=True"
    assert "lm_eval_version" not in results.provenance


def test_group_not_weighted_by_size__group_has_no_per_example_column(generated: Path, tmp_path: Path) -> None:
    path = _copy_run(generated, "baseline", tmp_path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["results"]["fx_quiz"]["acc,none"] = (0.05 + 0.3) / 2
    path.write_text(json.dumps(doc), encoding="utf-8")
    imported = import_results(path)
    examples = imported.results[0].examples
    assert examples is not None and "fx_quiz/acc" not in examples.scores
    assert "fx_quiz_stem/acc" in examples.scores
    assert any(s.startswith("fx_quiz/acc: no per-example scores: their mean") for s in imported.skipped)


def test_truncated_results__one_line_error(generated: Path, tmp_path: Path) -> None:
    path = _copy_run(generated, "baseline", tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="ends early") as caught:
        import_results(path, "lm-eval")
    assert str(path) in caught.value.one_line() and "lm-evaluation-harness" in caught.value.one_line()


def test_empty_results__error(tmp_path: Path) -> None:
    path = tmp_path / "results_2026-01-01T00-00-00.0.json"
    path.write_text("\n")
    with pytest.raises(InputError, match="the file is empty") as caught:
        import_results(path, "lm-eval")
    assert "expected an lm-evaluation-harness results" in caught.value.one_line()


def test_task_without_metrics__error(tmp_path: Path) -> None:
    doc = {"results": {"arc": {"alias": "arc"}}, "versions": {"arc": 1}, "n-shot": {"arc": 0}}
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="task 'arc' has no metrics"):
        import_results(path)


def test_truncated_sample_line__error_names_the_line(generated: Path, tmp_path: Path) -> None:
    path = _copy_run(generated, "baseline", tmp_path)
    (stem,) = path.parent.glob("samples_fx_quiz_stem_*.jsonl")
    lines = stem.read_bytes().splitlines(keepends=True)
    stem.write_bytes(b"".join(lines[:5]) + lines[5][:100])
    with pytest.raises(InputError, match=r"\.jsonl:6: the JSON ends early"):
        import_results(path)


def test_repeated_doc__error(generated: Path, tmp_path: Path) -> None:
    path = _copy_run(generated, "baseline", tmp_path)
    (stem,) = path.parent.glob("samples_fx_quiz_stem_*.jsonl")
    first = stem.read_bytes().splitlines(keepends=True)[0]
    stem.write_bytes(stem.read_bytes() + first)
    with pytest.raises(InputError, match="the doc appears twice"):
        import_results(path)


def test_samples_file_of_another_task__error(generated: Path, tmp_path: Path) -> None:
    stray = tmp_path / "samples_hellaswag_2026-01-01T00-00-00.0.jsonl"
    stray.write_text('{"doc_id": 0, "acc": 1.0}\n')
    with pytest.raises(InputError, match="task 'hellaswag' is not in"):
        import_results(_run(generated, "baseline"), options=ImportOptions(samples=(stray,)))


def test_generated_run__doc_fields_not_named__kept_as_metadata(generated: Path) -> None:
    imported = import_results(_run(generated, "baseline"))
    examples = imported.results[0].examples
    assert examples is not None and list(examples.slices) == ["task"]
    assert list(examples.meta) == ["category", "label", "language", "question_chars"]
    language = examples.meta["language"]
    assert isinstance(language, SliceColumn) and set(language.levels) == {"en", "de", "fr"}
    assert any("metadata: category, label, language, question_chars" in line for line in imported.read)


def test_generated_run__reported_stderr_carried_for_the_aggregates(generated: Path) -> None:
    path = _run(generated, "baseline")
    raw = json.loads(path.read_text(encoding="utf-8"))["results"]
    (results,) = import_results(path).results
    assert results.stderr["fx_quiz/acc"] == raw["fx_quiz"]["acc_stderr,none"]
    assert all(name in results.metrics for name in results.stderr)


def test_na_stderr__not_carried(reference: Path) -> None:
    (results,) = import_results(reference / "lm-evaluation-harness" / GEMMA).results
    assert results.stderr == {}
