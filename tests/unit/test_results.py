"""Reading and writing gatebot/results@1."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gatebot.errors import InputError
from gatebot.results import load_results, results_document, write_results
from tests.factories import make_results, results_doc, write_json


def test_round_trip__inline_examples(tmp_path: Path) -> None:
    original = make_results({"acc": [1, 0, 1], "loss": [0.1, 0.5, 0.2]}, slices={"lang": ["en", "de", "en"]})
    write_results(original, tmp_path / "r.json")
    loaded = load_results(tmp_path / "r.json")
    assert loaded.examples is not None
    assert loaded.examples.ids == original.examples.ids  # type: ignore[union-attr]
    np.testing.assert_array_equal(loaded.examples.scores["loss"], [0.1, 0.5, 0.2])
    assert loaded.examples.slice_values(1) == {"lang": "de"}


def test_sidecar__jsonl_streamed(tmp_path: Path) -> None:
    doc = results_doc({"acc": [1, 0]}, slices={"lang": ["en", "de"]})
    lines = "\n".join(json.dumps(e) for e in doc.pop("examples")) + "\n\n"
    (tmp_path / "ex.jsonl").write_text(lines)
    doc["examples_file"] = "ex.jsonl"
    loaded = load_results(write_json(tmp_path / "r.json", doc))
    assert loaded.examples is not None and loaded.examples.ids == ["ex-00000", "ex-00001"]


def test_missing_scores__nan_not_zero(tmp_path: Path) -> None:
    doc = results_doc({"acc": [1, 0]})
    doc["examples"][1]["scores"] = {}
    loaded = load_results(write_json(tmp_path / "r.json", doc))
    assert loaded.examples is not None
    assert np.isnan(loaded.examples.scores["acc"][1])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"schema": "gatebot/results@1", "benchmark": "b", "model": "m", "metrics": {"a": NaN}}',
            "NaN or infinite",
        ),
        ('{"schema": "gatebot/results@2", "benchmark": "b", "model": "m"}', "does not know"),
        ('{"schema": "other", "benchmark": "b", "model": "m"}', "expected 'gatebot/results@1'"),
        ('{"schema": "gatebot/results@1", "benchmark": "b", "model": "m", "metrics": {"a": 1', "ends early"),
        ("", "is empty"),
        ("[1, 2]", "expected a JSON object"),
        (
            '{"schema": "gatebot/results@1", "benchmark": "b", "model": "m", "metrics": {"a": "x"}}',
            "metrics.a",
        ),
        (
            '{"schema": "gatebot/results@1", "benchmark": "b", "model": "m", "examples": '
            '[{"id": "a", "scores": {}}, {"id": "a", "scores": {}}]}',
            "'a' appears more than once",
        ),
        (
            '{"schema": "gatebot/results@1", "benchmark": "b", "model": "m", "metrics": {"a": 1e999}}',
            "finite",
        ),
    ],
)
def test_bad_results__one_line_input_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_results(path)
    assert message in caught.value.one_line()
    assert str(path) in caught.value.one_line()


def test_missing_file__input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="results file not found"):
        load_results(tmp_path / "nope.json")


def test_clusters_and_repeats__inline_and_sidecar__read_and_written_back(tmp_path: Path) -> None:
    lines = [
        {"id": "q1", "scores": {"acc": 1}, "cluster": "p1", "repeat": 0},
        {"id": "q1", "scores": {"acc": 0}, "cluster": "p1", "repeat": 1},
        {"id": "q2", "scores": {"acc": 1}},
    ]
    (tmp_path / "examples.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    head = {"schema": "gatebot/results@1", "benchmark": "b", "model": "m", "stderr": {"acc": 0.1}}
    sidecar = tmp_path / "sidecar.json"
    sidecar.write_text(json.dumps({**head, "examples_file": "examples.jsonl"}), encoding="utf-8")
    inline = tmp_path / "inline.json"
    inline.write_text(json.dumps({**head, "examples": lines}), encoding="utf-8")
    for path in (sidecar, inline):
        results = load_results(path)
        assert results.examples is not None and results.stderr == {"acc": 0.1}
        assert results.examples.repeats is not None and results.examples.repeats.tolist() == [0, 1, -1]
        assert results.examples.clusters is not None and results.examples.clusters.levels == ("p1",)
        write_results(results, tmp_path / "again.json")
        assert results_document(load_results(tmp_path / "again.json")) == results_document(results)


def test_same_id_without_repeats__still_an_error(tmp_path: Path) -> None:
    doc = {"schema": "gatebot/results@1", "benchmark": "b", "model": "m"}
    doc["examples"] = [{"id": "q1", "repeat": 0}, {"id": "q1"}]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match=r"examples\[1\]\.id 'q1' appears more than once"):
        load_results(path)
