"""`gatebot import` on real harness outputs, then `gatebot compare` with per-example statistics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

GENERATED = Path(__file__).resolve().parents[1] / "fixtures" / "formats" / "generated"


def _one(pattern: str) -> str:
    (found,) = sorted(GENERATED.glob(pattern))
    return str(found)


CASES = {
    "lm-eval": (
        "lm-evaluation-harness/baseline/out/*/results_*.json",
        "lm-evaluation-harness/candidate/out/*/results_*.json",
        "fx_quiz/acc",
    ),
    "promptfoo": ("promptfoo/baseline/output.json", "promptfoo/candidate/output.json", "pass"),
    "inspect": ("inspect_ai/baseline/quiz.json", "inspect_ai/candidate/quiz.json", "match/accuracy"),
}


@pytest.mark.parametrize("tool", sorted(CASES))
def test_import_two_runs__compare_uses_paired_tests(tool: str, tmp_path: Path, gatebot) -> None:
    base_pattern, cand_pattern, metric = CASES[tool]
    for name, pattern in (("base", base_pattern), ("cand", cand_pattern)):
        result = gatebot("import", _one(pattern), "--out", f"{name}.json", "--model", "router", cwd=tmp_path)
        assert result.code == 0, result.stderr
        assert "gatebot: detected" in result.stderr
    (tmp_path / ".gatebot.yml").write_text(f"metrics:\n  {json.dumps(metric)}: {{direction: higher}}\n")
    compared = gatebot("compare", "base.json", "cand.json", "--json", "v.json", cwd=tmp_path)
    assert compared.code in (0, 1), compared.stderr
    verdict = json.loads((tmp_path / "v.json").read_text())
    row = next(m for m in verdict["metrics"] if m["name"] == metric)
    assert row["test"] in ("mcnemar-exact", "paired-t")
    assert row["gated"] is True and row["n"] > 0


def test_import_promptfoo_two_providers__asks_which(tmp_path: Path, gatebot) -> None:
    result = gatebot("import", _one("promptfoo/two-providers/output.json"), "--out", "r.json", cwd=tmp_path)
    assert result.code == 2
    assert "--provider" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_not_a_harness_file__one_line_error(tmp_path: Path, gatebot) -> None:
    (tmp_path / "x.json").write_text('{"hello": "world"}')
    result = gatebot("import", "x.json", cwd=tmp_path)
    assert result.code == 2
    assert (
        result.stderr.count("gatebot: error:") == 1
        and "x.json" in result.stderr
        and "expected" in result.stderr
    )
