"""Reading and writing gatebot/results@1."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

import gatebot.results
from gatebot.errors import InputError
from gatebot.results import SliceColumn, atomic_write, load_results, results_document, write_results
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


def test_meta__numbers_and_strings__columns_and_round_trip(tmp_path: Path) -> None:
    doc = results_doc({"acc": [1, 0, 1]})
    doc["examples"][0]["meta"] = {"input_chars": 120, "channel": "email"}
    doc["examples"][1]["meta"] = {"input_chars": 4500.5}
    doc["examples"][2]["meta"] = {"channel": "chat", "has_table": 1}
    loaded = load_results(write_json(tmp_path / "r.json", doc))
    assert loaded.examples is not None
    meta = loaded.examples.meta
    assert list(meta) == ["channel", "has_table", "input_chars"]
    np.testing.assert_array_equal(meta["input_chars"], [120.0, 4500.5, np.nan])
    channel = meta["channel"]
    assert isinstance(channel, SliceColumn)
    assert channel.levels == ("email", "chat")
    np.testing.assert_array_equal(channel.codes, [0, -1, 1])
    assert loaded.examples.slices == {}
    assert [e.get("meta") for e in results_document(loaded)["examples"]] == [
        {"channel": "email", "input_chars": 120},
        {"input_chars": 4500.5},
        {"channel": "chat", "has_table": 1},
    ]
    taken = loaded.examples.take(np.array([2, 0]))
    np.testing.assert_array_equal(taken.meta["input_chars"], [np.nan, 120.0])


def test_meta__in_a_sidecar__read_like_inline(tmp_path: Path) -> None:
    doc = results_doc({"acc": [1, 0]})
    doc["examples"][1]["meta"] = {"turns": 3}
    (tmp_path / "ex.jsonl").write_text("\n".join(json.dumps(e) for e in doc.pop("examples")))
    doc["examples_file"] = "ex.jsonl"
    loaded = load_results(write_json(tmp_path / "r.json", doc))
    assert loaded.examples is not None
    np.testing.assert_array_equal(loaded.examples.meta["turns"], [np.nan, 3.0])


def test_no_meta__document_unchanged(tmp_path: Path) -> None:
    doc = results_doc({"acc": [1, 0]}, slices={"lang": ["en", "de"]})
    loaded = load_results(write_json(tmp_path / "r.json", doc))
    assert all("meta" not in e for e in results_document(loaded)["examples"])


@pytest.mark.parametrize(
    ("metas", "message"),
    [
        ([{"n": 1}, {"n": "one"}], "examples[1].meta.n is a string, but other examples have numbers"),
        ([{"n": "a"}, {"n": 2}], "examples[1].meta.n is a number, but other examples have strings"),
        ([{"flag": True}, {}], "examples[0].meta.flag"),
        ([{"lang": "en"}, {}], "meta key 'lang' is also a slice key"),
        ([{"n": [1, 2]}, {}], "examples[0].meta.n"),
    ],
)
def test_bad_meta__one_line_input_error(tmp_path: Path, metas: list[dict[str, object]], message: str) -> None:
    doc = results_doc({"acc": [1, 0]}, slices={"lang": ["en", "de"]})
    for example, meta in zip(doc["examples"], metas, strict=True):
        example["meta"] = meta
    path = write_json(tmp_path / "r.json", doc)
    with pytest.raises(InputError) as caught:
        load_results(path)
    assert message in caught.value.one_line()


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


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_written_files__take_the_mode_the_umask_gives(tmp_path: Path, umask: int, mode: int) -> None:
    before = os.umask(umask)
    try:
        write_results(make_results(), tmp_path / "results.json")
        atomic_write(tmp_path / "out" / "verdict.json", [b"{}\n"])
    finally:
        os.umask(before)
    for path in (tmp_path / "results.json", tmp_path / "out" / "verdict.json"):
        assert stat.S_IMODE(path.stat().st_mode) == mode, path
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["results.json", "verdict.json"]


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


def _examples_varying_keys() -> list[dict[str, object]]:
    """Keys that appear late, disappear, come back, and an example with meta among plain ones."""
    examples: list[dict[str, object]] = []
    for i in range(11):
        scores: dict[str, float] = {"acc": i % 2}
        if i >= 4:
            scores["late"] = i / 10
        if i in (2, 9):
            del scores["acc"]
        slices = {"lang": ["en", "de", "fr"][i % 3]} if i != 5 else {}
        if i >= 7:
            slices["topic"] = "t9" if i == 10 else "t7"
        example: dict[str, object] = {"id": f"e{i}", "scores": scores, "slices": slices}
        if i == 8:
            example["meta"] = {"length": 12}
        examples.append(example)
    return examples


@pytest.mark.parametrize("batch", [2, 3, 65_536])
def test_examples__keys_that_come_and_go__same_columns_in_any_batching(
    tmp_path: Path, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gatebot.results, "_SIDE_BATCH", batch)
    doc: dict[str, object] = {"schema": "gatebot/results@1", "benchmark": "b", "model": "m"}
    inline = load_results(write_json(tmp_path / "inline.json", {**doc, "examples": _examples_varying_keys()}))
    lines = "".join(json.dumps(e) + "\n" for e in _examples_varying_keys())
    (tmp_path / "ex.jsonl").write_text(lines)
    streamed = load_results(write_json(tmp_path / "side.json", {**doc, "examples_file": "ex.jsonl"}))
    for loaded in (inline, streamed):
        ex = loaded.examples
        assert ex is not None
        assert list(ex.scores) == ["acc", "late"]
        np.testing.assert_array_equal(ex.scores["acc"], [0, 1, np.nan, 1, 0, 1, 0, 1, 0, np.nan, 0])
        np.testing.assert_array_equal(ex.scores["late"][:5], [np.nan] * 4 + [0.4])
        assert list(ex.slices) == ["lang", "topic"]
        assert ex.slices["lang"].levels == ("en", "de", "fr")
        assert ex.slices["lang"].codes.tolist() == [0, 1, 2, 0, 1, -1, 0, 1, 2, 0, 1]
        assert ex.slices["topic"].levels == ("t7", "t9")
        assert ex.slices["topic"].codes.tolist() == [-1] * 7 + [0, 0, 0, 1]
        length = ex.meta["length"]
        assert isinstance(length, np.ndarray) and length[8] == 12 and np.isnan(length[7])


def test_examples__bad_example_after_good_batches__the_same_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gatebot.results, "_SIDE_BATCH", 2)
    examples = _examples_varying_keys()
    examples[6]["scores"] = {"acc": "yes"}
    doc = {"schema": "gatebot/results@1", "benchmark": "b", "model": "m", "examples": examples}
    with pytest.raises(InputError, match=r"r\.json: examples\[6\]\.scores\.acc: Expected float, got str$"):
        load_results(write_json(tmp_path / "r.json", doc))
