"""Importing per-example scores written as JSON Lines or CSV."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gatebot.errors import InputError
from gatebot.importers import ImportOptions, import_results


def _jsonl(tmp_path: Path, rows: list[dict[str, Any]], name: str = "scores.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _csv(tmp_path: Path, text: str, name: str = "scores.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


ROWS = [
    {"id": "a", "correct": 1, "f1": 0.5, "lang": "en", "prompt": "x" * 80},
    {"id": "b", "correct": 0, "f1": 0.25, "lang": "de", "prompt": "y" * 80},
    {"id": "c", "correct": True, "f1": None, "lang": "en", "prompt": "z" * 80},
    {"id": "d", "correct": False, "f1": 1.0, "lang": "de", "prompt": "w" * 80},
]


def test_jsonl__numeric_columns_are_metrics__means_skip_missing(tmp_path: Path) -> None:
    imported = import_results(_jsonl(tmp_path, ROWS))
    assert imported.format == "jsonl"
    (results,) = imported.results
    assert results.benchmark == "scores"
    assert results.metrics == {"correct": 0.5, "f1": pytest.approx(1.75 / 3)}
    examples = results.examples
    assert examples is not None and examples.ids == ["a", "b", "c", "d"]
    assert examples.scores["correct"].tolist() == [1.0, 0.0, 1.0, 0.0]
    assert np.isnan(examples.scores["f1"][2])
    assert list(examples.slices) == ["lang"]
    assert "columns neither metrics nor slices: prompt" in imported.skipped


def test_jsonl__numeric_columns_whose_names_are_no_score__metadata_and_the_import_says_so(
    tmp_path: Path,
) -> None:
    rows = [
        {"id": str(i), "is_correct": i % 2, "latency_ms": 10.0 + i, "label": i % 3, "seed": 7, "n_tokens": i}
        for i in range(6)
    ]
    imported = import_results(_jsonl(tmp_path, rows))
    (results,) = imported.results
    assert sorted(results.metrics) == ["is_correct", "latency_ms"]
    examples = results.examples
    assert examples is not None and {"label", "seed", "n_tokens"} <= set(examples.meta)
    (line,) = [x for x in imported.skipped if x.startswith("numeric columns kept as metadata")]
    assert line.endswith(": label, n_tokens, seed") and "--metrics" in line

    chosen = import_results(_jsonl(tmp_path, rows), options=ImportOptions(metric_columns=("label",)))
    assert list(chosen.results[0].metrics) == ["label"]


def test_jsonl__no_column_named_like_a_score__one_line_naming_the_numeric_columns_and_the_fix(
    tmp_path: Path,
) -> None:
    path = _jsonl(tmp_path, [{"id": "a", "y": 1, "seed": 3}, {"id": "b", "y": 0, "seed": 3}])
    with pytest.raises(InputError) as raised:
        import_results(path)
    assert "no column's name says it is a score (numeric columns: seed, y)" in raised.value.message
    assert "--metrics a,b" in raised.value.hint


def test_jsonl__options_choose_id_metrics_slices(tmp_path: Path) -> None:
    rows = [{"key": f"k{i}", "correct": i % 2, "f1": 0.5, "lang": "en"} for i in range(4)]
    options = ImportOptions(id_column="key", metric_columns=("correct",), slices=("lang",))
    (results,) = import_results(_jsonl(tmp_path, rows), options=options).results
    assert results.metrics == {"correct": 0.5}
    assert results.examples is not None and results.examples.ids[0] == "k0"
    assert list(results.examples.slices) == ["lang"]


def test_jsonl__missing_id__error_names_the_line(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, [{"id": "a", "acc": 1}, {"acc": 0}])
    with pytest.raises(InputError, match=r"scores\.jsonl:2: no 'id' value"):
        import_results(path)


def test_jsonl__duplicate_id__error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="id 'a' appears more than once"):
        import_results(_jsonl(tmp_path, [{"id": "a", "acc": 1}, {"id": "a", "acc": 0}]))


def test_jsonl__text_in_a_named_metric_column__error(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, [{"id": "a", "acc": 1}, {"id": "b", "acc": "high"}])
    with pytest.raises(InputError, match=r":2: metric column 'acc' holds 'high'"):
        import_results(path, options=ImportOptions(metric_columns=("acc",)))


def test_jsonl__named_metric_column_absent__error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="metric column 'bleu' not found"):
        import_results(_jsonl(tmp_path, ROWS), options=ImportOptions(metric_columns=("bleu",)))


def test_jsonl__no_numeric_column__error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no numeric column besides the id"):
        import_results(_jsonl(tmp_path, [{"id": "a", "lang": "en"}, {"id": "b", "lang": "de"}]))


def test_jsonl__truncated_last_line__error(tmp_path: Path) -> None:
    path = tmp_path / "scores.jsonl"
    path.write_text('{"id": "a", "acc": 1}\n{"id": "b", "ac', encoding="utf-8")
    with pytest.raises(InputError, match=r"scores\.jsonl:2: the JSON ends early"):
        import_results(path)


def test_csv__header_metrics_slices_and_ids_as_written(tmp_path: Path) -> None:
    text = (
        "\ufeffid,correct,latency,lang,note\n"
        '001,1,0.5,en,\n002,0,NA,de,"quoted, text"\n003,true,1.5,en,x\n004,false,1.0,de,y\n'
    )
    imported = import_results(_csv(tmp_path, text))
    assert imported.format == "csv"
    (results,) = imported.results
    assert results.metrics == {"correct": 0.5, "latency": 1.0}
    examples = results.examples
    assert examples is not None and examples.ids == ["001", "002", "003", "004"]
    assert np.isnan(examples.scores["latency"][1])
    assert list(examples.slices) == ["lang"]


def test_csv__more_cells_than_columns__error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"scores\.csv:3: 3 cells but the header has 2 columns"):
        import_results(_csv(tmp_path, "id,acc\na,1\nb,0,9\n"))


def test_csv__no_id_column__error_names_the_columns(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no 'id' column \(columns: name, acc\)"):
        import_results(_csv(tmp_path, "name,acc\na,1\n"))


def test_csv__infinite_score__error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="acc is infinite"):
        import_results(_csv(tmp_path, "id,acc\na,1\nb,inf\n"))


def test_csv__empty__error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty"):
        import_results(_csv(tmp_path, ""), "csv")


def test_default_slices__many_values_or_long_text_are_not_slices(tmp_path: Path) -> None:
    rows = [{"id": str(i), "acc": i % 2, "bucket": f"b{i % 3}", "uid": f"u{i}"} for i in range(30)]
    examples = import_results(_jsonl(tmp_path, rows)).results[0].examples
    assert examples is not None and list(examples.slices) == ["bucket"]


def test_jsonl__other_columns__kept_as_metadata(tmp_path: Path) -> None:
    rows = [
        {"id": f"r{i}", "correct": i % 2, "turns": i % 3 + 1, "channel": ["email", "chat"][i % 2],
         "user": f"u{i}", "prompt": "p" * (50 + i), "mixed": [1, "a"][i % 2]}
        for i in range(6)
    ]  # fmt: skip
    options = ImportOptions(metric_columns=("correct",), slices=())
    imported = import_results(_jsonl(tmp_path, rows), options=options)
    examples = imported.results[0].examples
    assert examples is not None and examples.slices == {}
    assert list(examples.meta) == ["channel", "prompt_chars", "turns"]
    assert examples.meta["turns"].tolist() == [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]  # type: ignore[union-attr]
    assert examples.meta["prompt_chars"].tolist() == [50.0, 51.0, 52.0, 53.0, 54.0, 55.0]  # type: ignore[union-attr]
    assert examples.meta["channel"].levels == ("email", "chat")  # type: ignore[union-attr]
    assert "metadata: channel, prompt_chars, turns" in imported.read[0]


def test_csv__numbers_beside_the_metrics__metadata_with_missing_cells(tmp_path: Path) -> None:
    text = "id,correct,input_chars,has_table\na,1,120,true\nb,0,,false\nc,1,4500,true\n"
    options = ImportOptions(metric_columns=("correct",))
    examples = import_results(_csv(tmp_path, text), options=options).results[0].examples
    assert examples is not None
    chars = examples.meta["input_chars"]
    np.testing.assert_array_equal(chars, [120.0, np.nan, 4500.0])  # type: ignore[arg-type]
    np.testing.assert_array_equal(examples.meta["has_table"], [1.0, 0.0, 1.0])  # type: ignore[arg-type]


def test_jsonl__default_rule__text_column_kept_as_its_length(tmp_path: Path) -> None:
    examples = import_results(_jsonl(tmp_path, ROWS)).results[0].examples
    assert examples is not None
    assert list(examples.meta) == ["prompt_chars"]
    assert examples.meta["prompt_chars"].tolist() == [80.0] * 4  # type: ignore[union-attr]
