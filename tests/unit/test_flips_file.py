"""The flips file beside a verdict: every flip of a 0/1 metric the verdict lists only in part."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gatebot.activities.handoff import Handoff, StagePlan
from gatebot.compare import compare
from gatebot.config import parse_config
from gatebot.errors import InputError
from gatebot.events import Activity
from gatebot.flips_file import flips_path, write_verdict
from gatebot.plan import Job
from gatebot.report import render_markdown
from gatebot.verdict import GateReport
from tests.factories import flipped, make_results, sliced_report


def _plan() -> StagePlan:
    return StagePlan(
        activity=Activity.GATE_REF,
        sha="a" * 40,
        jobs=(Job("m", "b"),),
        baselines_branch="b",
        max_flips_shown=10,
    )


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _complete() -> list[dict[str, object]]:
    """The flips of `sliced_report`, listed in full by a verdict that may list 1,000 each way."""
    rng = np.random.default_rng(0)
    base = (rng.random(4000) < 0.8).astype(float)
    cand = flipped(base, worse=200, better=100, rng=rng)
    slices = {"s": [f"v{i % 4}" for i in range(4000)]}
    config = parse_config(
        {"metrics": {"acc": {"direction": "higher"}}, "gate": {"max_flips_shown": 1000}}, where="t"
    )
    flips = compare(
        make_results({"acc": base}, slices=slices), make_results({"acc": cand}, slices=slices), config
    ).flips[0]
    return [
        {"model": "m", "benchmark": "b", "metric": "acc", "went": went, "id": e.id}
        | {"baseline": e.baseline, "candidate": e.candidate, "slices": dict(e.slices)}
        for went, listed in (("worse", flips.worse), ("better", flips.better))
        for e in listed
    ]


def test_many_flips__verdict_lists_the_first__flips_file_lists_every_one(tmp_path: Path) -> None:
    report = sliced_report()
    write_verdict(report, tmp_path / "verdict.json")
    flips = json.loads((tmp_path / "verdict.json").read_text())["runs"][0]["flips"][0]
    assert (flips["worse_count"], flips["better_count"]) == (200, 100)
    assert (len(flips["worse"]), len(flips["better"])) == (100, 100)
    assert flips["file"] == "verdict.flips.jsonl"
    lines = _lines(tmp_path / "verdict.flips.jsonl")
    assert lines[0] == {"schema": "gatebot/flips@1"}
    assert lines[1:] == _complete()
    assert [line["id"] for line in lines[1:101]] == [e["id"] for e in flips["worse"]]
    text = render_markdown(report)
    assert "every one is in the `.flips.jsonl` file beside the JSON verdict" in text


def test_few_flips__no_flips_file__an_older_one_removed(tmp_path: Path) -> None:
    base = np.array([1.0, 1.0, 0.0, 0.0] * 10)
    cand = base.copy()
    cand[0] = 0.0
    config = parse_config({"metrics": {"acc": {"direction": "higher"}}}, where="t")
    report = GateReport((compare(make_results({"acc": base}), make_results({"acc": cand}), config),))
    flips_path(tmp_path / "v.json").write_text("stale\n")
    write_verdict(report, tmp_path / "v.json")
    assert not (tmp_path / "v.flips.jsonl").exists()
    flips = json.loads((tmp_path / "v.json").read_text())["runs"][0]["flips"][0]
    assert "file" not in flips and len(flips["worse"]) == flips["worse_count"] == 1
    assert "the JSON verdict lists all of them" in render_markdown(report)


def test_handoff__publish_writes_the_evaluate_steps_flips_again(tmp_path: Path) -> None:
    handoff = Handoff(tmp_path / "handoff")
    handoff.clear()
    handoff.write_verdict(sliced_report())
    assert handoff.flips.is_file()
    read = handoff.read_verdict(_plan())
    write_verdict(read, tmp_path / "out" / "verdict.json")
    assert _lines(tmp_path / "out" / "verdict.flips.jsonl")[1:] == _complete()
    handoff.clear()
    assert not handoff.flips.exists()


def _published(tmp_path: Path, tamper: str) -> Path:
    handoff = Handoff(tmp_path / "handoff")
    handoff.clear()
    handoff.write_verdict(sliced_report())
    lines = handoff.flips.read_text().splitlines(keepends=True)
    if tamper == "symlink":
        (tmp_path / "elsewhere").write_text("".join(lines))
        handoff.flips.unlink()
        handoff.flips.symlink_to(tmp_path / "elsewhere")
    elif tamper == "extra field":
        lines[3] = lines[3].replace('"went"', '"extra":1,"went"')
    elif tamper == "too many":
        lines.append(lines[1])
    elif tamper == "header":
        lines[0] = '{"schema":"gatebot/other@1"}\n'
    elif tamper == "long line":
        lines[2] = lines[2].replace('"id":"', '"id":"' + "x" * 70_000)
    if tamper != "symlink":
        handoff.flips.write_text("".join(lines))
    read = handoff.read_verdict(_plan())
    out = tmp_path / "out" / "verdict.json"
    write_verdict(read, out)
    return out


@pytest.mark.parametrize(
    ("tamper", "said"),
    [
        ("symlink", "the flips file of the evaluate step is not a regular file"),
        ("extra field", "the flips file of the evaluate step:4: Object contains unknown field `extra`"),
        ("too many", "the flips file of the evaluate step:302: more flips of acc to worse than the verdict"),
        ("header", "the flips file of the evaluate step:1: not a gatebot/flips@1 file"),
        ("long line", "the flips file of the evaluate step:3: the flips file is too large"),
    ],
)
def test_handoff__tampered_flips_file__one_line_error_and_nothing_written(
    tmp_path: Path, tamper: str, said: str
) -> None:
    with pytest.raises(InputError) as raised:
        _published(tmp_path, tamper)
    assert raised.value.message.startswith(said), raised.value.message
    assert not (tmp_path / "out" / "verdict.flips.jsonl").exists()
    assert not (tmp_path / "out" / "verdict.json").exists()
