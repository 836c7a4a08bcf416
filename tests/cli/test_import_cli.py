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


def _lm_eval_aggregates(path: Path, model: str, acc: float, stderr: float) -> Path:
    """An lm-eval results file without per-sample files: aggregates and their standard errors only."""
    path.mkdir(parents=True, exist_ok=True)
    results = path / "results_2026-01-01T00-00-00.000000.json"
    results.write_text(
        json.dumps(
            {
                "results": {"arc_easy": {"alias": "arc_easy", "acc,none": acc, "acc_stderr,none": stderr}},
                "versions": {"arc_easy": 1.0},
                "n-shot": {"arc_easy": 0},
                "higher_is_better": {"arc_easy": {"acc": True}},
                "n-samples": {"arc_easy": {"original": 512, "effective": 512}},
                "config": {"model": "hf", "model_args": f"pretrained={model}"},
            }
        ),
        encoding="utf-8",
    )
    return results


def test_lm_eval_aggregates__no_config__gated_from_the_reported_stderr(tmp_path: Path, gatebot) -> None:
    # A fine-tune and its base on 512 examples: 3.9 points apart, standard errors 1.2 and 1.4 points.
    tuned = _lm_eval_aggregates(tmp_path / "tuned", "org/tuned", 0.652, 0.012)
    base = _lm_eval_aggregates(tmp_path / "base", "org/base", 0.613, 0.014)
    for name, path in (("tuned", tuned), ("base", base)):
        result = gatebot("import", str(path), "--out", f"{name}.json", cwd=tmp_path)
        assert result.code == 0, result.stderr
    worse = gatebot("compare", "tuned.json", "base.json", "--json", "v.json", cwd=tmp_path)
    assert worse.code == 1, worse.stdout + worse.stderr
    (row,) = json.loads((tmp_path / "v.json").read_text())["metrics"]
    assert (row["status"], row["gated"], row["test"]) == (
        "regressed",
        True,
        "z-test on reported standard errors",
    )
    better = gatebot("compare", "base.json", "tuned.json", cwd=tmp_path)
    assert better.code == 0, better.stdout + better.stderr
