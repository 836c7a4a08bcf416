"""`gatebot compare --json OUT` on thousands of flips: OUT stays small, each flip is in a file beside it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.factories import flipped, results_doc, write_json


def test_compare__thousands_of_flips__verdict_lists_a_hundred_and_names_the_flips_file(
    gatebot, tmp_path: Path
) -> None:
    rng = np.random.default_rng(3)
    base = (rng.random(5000) < 0.7).astype(float)
    cand = flipped(base, worse=600, better=400, rng=rng)
    write_json(tmp_path / "b.json", results_doc({"acc": base}, slices={"s": ["x", "y"] * 2500}))
    write_json(tmp_path / "c.json", results_doc({"acc": cand}, slices={"s": ["x", "y"] * 2500}))
    result = gatebot("compare", "b.json", "c.json", "--json", "out/v.json")
    assert result.code in (0, 1), result.stderr
    flips = json.loads((tmp_path / "out" / "v.json").read_text())["runs"][0]["flips"][0]
    assert (flips["worse_count"], len(flips["worse"]), flips["file"]) == (600, 100, "v.flips.jsonl")
    lines = [json.loads(line) for line in (tmp_path / "out" / "v.flips.jsonl").read_text().splitlines()]
    assert len(lines) == 1 + 600 + 400
    assert [line["id"] for line in lines[1:101]] == [e["id"] for e in flips["worse"]]
    assert {line["went"] for line in lines[601:]} == {"better"}
    assert "every one is in the `.flips.jsonl` file beside the JSON verdict" in result.stdout
