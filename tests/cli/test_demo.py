"""The embedded demo, gated as a user would from the Quick start."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo"


def test_demo_gate__slice_regression_while_overall_improves__exit_1(tmp_path: Path, gatebot) -> None:
    result = gatebot("gate", "--config", str(DEMO / ".gatebot.yml"), "--json", "verdict.json", cwd=tmp_path)
    assert result.code == 1, result.stderr
    head = result.stdout.splitlines()[:3]
    assert head[0] == "### ❌ gatebot: 1 regression"
    assert "**accuracy** on language=es" in head[2]
    assert "Overall it looks better (accuracy +" in head[2]
    verdict = json.loads((tmp_path / "verdict.json").read_text())
    overall = next(m for m in verdict["metrics"] if m["name"] == "accuracy")
    # The fine-tune also misfiled English billing tickets, which costs the overall number some points.
    assert overall["delta"] > 0.01
    regressed = [s for s in verdict["slices"] if s["status"] == "regressed" and s["gated"]]
    assert [(s["name"], s["slice"]) for s in regressed] == [("accuracy", {"key": "language", "value": "es"})]
    assert (tmp_path / "gatebot-out" / "ticket-router" / "tickets.json").exists()
    assert "scored 600 examples" in result.stderr


def test_demo_gate__undeclared_intersection__found_by_search_reported_not_gated(
    tmp_path: Path, gatebot
) -> None:
    result = gatebot("gate", "--config", str(DEMO / ".gatebot.yml"), "--json", "verdict.json", cwd=tmp_path)
    assert result.code == 1, result.stderr
    assert "**Found by search**" in result.stdout
    assert "| category = billing & language = en | accuracy | 37 " in result.stdout
    assert "<details><summary>Examples behind category = billing & language = en:" in result.stdout
    found = json.loads((tmp_path / "verdict.json").read_text())["runs"][0]["found"]
    assert [(f["metric"], f["subgroup"], f["gated"]) for f in found] == [
        ("accuracy", [{"field": "category", "value": "billing"}, {"field": "language", "value": "en"}], False)
    ]
    assert found[0]["p_adjusted"] <= 0.05 and found[0]["ci"][1] < 0


def test_demo_compare__rerun__byte_identical_outputs(tmp_path: Path, gatebot) -> None:
    run = gatebot("run", "--config", str(DEMO / ".gatebot.yml"), cwd=tmp_path)
    assert run.code == 0, run.stderr
    candidate = tmp_path / "gatebot-out" / "ticket-router" / "tickets.json"
    baseline = DEMO / ".gatebot" / "baselines" / "ticket-router" / "tickets.json"
    outputs = []
    for i in range(2):
        result = gatebot(
            "compare",
            str(baseline),
            str(candidate),
            "--config",
            str(DEMO / ".gatebot.yml"),
            "--json",
            f"v{i}.json",
            "--markdown",
            f"r{i}.md",
            cwd=tmp_path,
        )
        assert result.code == 1
        outputs.append(((tmp_path / f"v{i}.json").read_bytes(), (tmp_path / f"r{i}.md").read_bytes()))
    assert outputs[0] == outputs[1]


def test_demo_baseline_save__then_gate_passes_against_itself(tmp_path: Path, gatebot) -> None:
    store = tmp_path / "store"
    run = gatebot("run", "--config", str(DEMO / ".gatebot.yml"), cwd=tmp_path)
    assert run.code == 0, run.stderr
    saved = gatebot(
        "baseline",
        "save",
        run.stdout.strip(),
        "--config",
        str(DEMO / ".gatebot.yml"),
        "--baselines",
        str(store),
        cwd=tmp_path,
    )
    assert saved.code == 0, saved.stderr
    assert (store / "ticket-router" / "tickets.json").exists()
    gate = gatebot("gate", "--config", str(DEMO / ".gatebot.yml"), "--baselines", str(store), cwd=tmp_path)
    assert gate.code == 0, gate.stdout
    assert gate.stdout.startswith("### ✅ gatebot: no regression")
