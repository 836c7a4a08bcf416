"""Merging the partial results of sharded runs, and the matrix (gatebot.shards)."""

from __future__ import annotations

import numpy as np
import pytest

from gatebot.config import parse_config
from gatebot.errors import InputError
from gatebot.plan import Job
from gatebot.results import Results
from gatebot.shards import Part, matrix, merge
from tests.factories import make_results

DIGESTS = {"model_digest": "sha256:m", "inputs_digest": "sha256:i", "config_digest": "sha256:c"}


def _part(index: int, count: int, ids: list[str], scores: list[float], **provenance: object) -> Part:
    results = make_results(
        {"accuracy": scores},
        ids=ids,
        slices={"lang": ["en" if i % 2 else f"l{index}" for i in range(len(ids))]},
        provenance={**DIGESTS, "shard": f"{index}/{count}", "wall_seconds": 2.0, **provenance},
    )
    return Part(f"part{index}.json", results)


def test_merge__three_parts__examples_joined_metrics_weighted_by_examples() -> None:
    merged = merge(
        [
            _part(0, 3, ["a", "b"], [1, 1]),
            _part(1, 3, ["c", "d", "e", "f"], [0, 0, 1, 1]),
            _part(2, 3, ["g", "h"], [0, 0]),
        ]
    )
    assert merged.examples is not None
    assert merged.examples.ids == list("abcdefgh")
    assert merged.metrics["accuracy"] == pytest.approx(4 / 8)
    lang = merged.examples.slices["lang"]
    assert [lang.levels[c] for c in lang.codes] == ["l0", "en", "l1", "en", "l1", "en", "l2", "en"]
    assert merged.provenance["shards"] == 3 and merged.provenance["wall_seconds"] == 6.0
    assert "shard" not in merged.provenance and merged.provenance["model_digest"] == "sha256:m"


def test_merge__parts_in_any_order__same_results() -> None:
    parts = [_part(0, 2, ["a"], [1]), _part(1, 2, ["b"], [0])]
    assert merge(parts).examples.ids == merge(parts[::-1]).examples.ids  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([_part(0, 3, ["a"], [1]), _part(2, 3, ["c"], [1])], "m/b: shard 1/3 is missing (have 0/3, 2/3)"),
        ([_part(0, 3, ["a"], [1])], "m/b: shards 1/3, 2/3 are missing (have 0/3)"),
        (
            [_part(0, 2, ["a"], [1]), _part(0, 2, ["b"], [1])],
            "m/b: shard 0/2 is given twice (part0.json and part0.json)",
        ),
        (
            [_part(0, 2, ["a"], [1]), _part(1, 2, ["a"], [1])],
            "m/b: example 'a' is in shard 0/2 and in shard 1/2",
        ),
        (
            [_part(0, 2, ["a"], [1]), _part(1, 2, ["b"], [1], model_digest="sha256:other")],
            "m/b: shard 1/2 has model_digest sha256:other but shard 0/2 has sha256:m",
        ),
        (
            [_part(0, 2, ["a"], [1], dataset_digest="x"), _part(1, 2, ["b"], [1], dataset_digest="y")],
            "m/b: shard 1/2 has dataset_digest y but shard 0/2 has x",
        ),
        (
            [_part(0, 2, ["a"], [1]), _part(1, 3, ["b"], [1])],
            "m/b: the partial results disagree on the number",
        ),
    ],
)
def test_merge__refusals__one_line(parts: list[Part], message: str) -> None:
    with pytest.raises(InputError) as raised:
        merge(parts)
    assert raised.value.message.startswith(message)
    assert "\n" not in raised.value.message


def test_merge__another_model__refused() -> None:
    other = Part("x.json", Results("b", "other", {"accuracy": 1.0}, None, {**DIGESTS, "shard": "1/2"}))
    with pytest.raises(InputError, match="holds other/b, not m/b"):
        merge([_part(0, 2, ["a"], [1]), other])


def test_merge__aggregate_only_metric__weighted_by_examples() -> None:
    three = make_results({"x": [1.0] * 3}, ids=["a", "b", "c"]).examples
    one = make_results({"x": [1.0]}, ids=["d"]).examples
    parts = [
        Part("0", Results("b", "m", {"f1": 0.5}, three, {**DIGESTS, "shard": "0/2"})),
        Part("1", Results("b", "m", {"f1": 1.0}, one, {**DIGESTS, "shard": "1/2"})),
    ]
    assert merge(parts).metrics["f1"] == pytest.approx((0.5 * 3 + 1.0) / 4)


def test_merge__missing_scores_stay_missing() -> None:
    a = _part(0, 2, ["a", "b"], [1, np.nan])
    b = _part(1, 2, ["c"], [0])
    merged = merge([a, b])
    assert merged.examples is not None
    assert np.isnan(merged.examples.scores["accuracy"][1])
    assert merged.metrics["accuracy"] == pytest.approx(0.5)


def test_matrix__one_entry_per_shard() -> None:
    config = parse_config(
        {
            "models": {"m": {"benchmarks": ["big", "small"]}},
            "benchmarks": {"big": {"run": "x", "shards": 2}, "small": {"run": "y"}},
        },
        where="t",
    )
    assert matrix(config, [Job("m", "big"), Job("m", "small")]) == {
        "include": [
            {"model": "m", "benchmark": "big", "shard": "0/2", "index": 0, "shards": 2},
            {"model": "m", "benchmark": "big", "shard": "1/2", "index": 1, "shards": 2},
            {"model": "m", "benchmark": "small", "shard": "0/1", "index": 0, "shards": 1},
        ]
    }
