"""Broken inputs: one line on stderr, exit code 2, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.factories import results_doc, write_json


def _assert_one_line_error(result, *fragments: str) -> None:
    assert result.code == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("gatebot: error:")]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def _pair(tmp_path: Path) -> tuple[Path, Path]:
    base = write_json(tmp_path / "base.json", results_doc({"accuracy": [1, 0, 1, 1] * 20}))
    cand = write_json(tmp_path / "cand.json", results_doc({"accuracy": [1, 0, 1, 1] * 20}))
    return base, cand


def test_compare__malformed_yaml__exit_2(tmp_path: Path, gatebot) -> None:
    (tmp_path / ".gatebot.yml").write_text("metrics:\n  accuracy: {direction: higher\n")
    _assert_one_line_error(gatebot("compare", *map(str, _pair(tmp_path))), ".gatebot.yml:", "invalid YAML")


def test_compare__unknown_direction__exit_2(tmp_path: Path, gatebot) -> None:
    (tmp_path / ".gatebot.yml").write_text("metrics:\n  accuracy: {direction: up}\n")
    _assert_one_line_error(gatebot("compare", *map(str, _pair(tmp_path))), "metrics.accuracy.direction")


def test_compare__missing_results_file__exit_2(tmp_path: Path, gatebot) -> None:
    base, _ = _pair(tmp_path)
    _assert_one_line_error(gatebot("compare", str(base), "nope.json"), "nope.json: results file not found")


def test_compare__nan_metric__exit_2(tmp_path: Path, gatebot) -> None:
    base, cand = _pair(tmp_path)
    doc = json.loads(cand.read_text())
    doc["metrics"]["accuracy"] = float("nan")
    cand.write_text(json.dumps(doc))  # Python writes NaN, which is not JSON
    _assert_one_line_error(
        gatebot("compare", str(base), str(cand)), "cand.json:1: a number is NaN or infinite"
    )


def test_compare__usage_error__exit_2(gatebot) -> None:
    result = gatebot("compare", "only-one.json")
    assert result.code == 2
    assert "Traceback" not in result.stderr


def _benchmark_config(tmp_path: Path, run: str, timeout: float = 60) -> None:
    (tmp_path / ".gatebot.yml").write_text(
        "models:\n  m: {benchmarks: [b]}\n"
        f"benchmarks:\n  b: {{run: {json.dumps(run)}, timeout: {timeout}}}\n"
        "metrics:\n  accuracy: {direction: higher}\n"
    )


def test_run__benchmark_exits_3__names_status_and_output(tmp_path: Path, gatebot) -> None:
    _benchmark_config(
        tmp_path,
        "{python} -c \"import sys; print('loading model'); print('CUDA out of memory'); sys.exit(3)\"",
    )
    result = gatebot("run")
    _assert_one_line_error(result, "benchmark b (model m)", "exited with status 3", "CUDA out of memory")
    assert "loading model" in result.stderr  # the benchmark's output streamed through
    assert not list((tmp_path / "gatebot-out").rglob("*.json"))


def test_run__benchmark_hangs__stopped_at_timeout(tmp_path: Path, gatebot) -> None:
    _benchmark_config(
        tmp_path, "{python} -c \"import time; print('warming up', flush=True); time.sleep(60)\"", 1
    )
    started = time.monotonic()
    result = gatebot("run")
    assert time.monotonic() - started < 30
    _assert_one_line_error(result, "timed out after 1 s", "warming up", "raise `timeout`")


def test_run__benchmark_writes_nothing__clear_error(tmp_path: Path, gatebot) -> None:
    _benchmark_config(tmp_path, "{python} -c \"print('done')\"")
    _assert_one_line_error(gatebot("run"), "wrote no results")


def test_run__benchmark_writes_broken_results__nothing_kept(tmp_path: Path, gatebot) -> None:
    _benchmark_config(tmp_path, "echo '{{\"schema\": ' > {output}")
    _assert_one_line_error(gatebot("run"), "wrote unusable results", "ends early")
    assert not list((tmp_path / "gatebot-out").rglob("*.json"))


def test_run__unknown_placeholder__config_error(tmp_path: Path, gatebot) -> None:
    _benchmark_config(tmp_path, "bench --weights {weights}")
    _assert_one_line_error(gatebot("run"), ".gatebot.yml: benchmarks.b.run: unknown placeholder {weights}")


def test_gate__no_baseline__exit_2_and_says_first_run(tmp_path: Path, gatebot) -> None:
    doc = results_doc({"accuracy": [1, 0, 1]}, model="m", benchmark="b")
    write_json(tmp_path / "fixed.json", doc)
    _benchmark_config(tmp_path, "cp fixed.json {output}")
    result = gatebot("gate")
    assert result.code == 2
    assert "no baseline" in result.stdout
    assert "first run" in result.stdout


@pytest.mark.parametrize(("drop", "code"), [(0, 0), (40, 1)])
def test_compare__exit_code_follows_verdict(tmp_path: Path, gatebot, drop: int, code: int) -> None:
    (tmp_path / ".gatebot.yml").write_text("metrics:\n  accuracy: {direction: higher, min_effect: 0.01}\n")
    base = [1.0] * 200
    cand = [0.0] * drop + [1.0] * (200 - drop)
    write_json(tmp_path / "b.json", results_doc({"accuracy": base}))
    write_json(tmp_path / "c.json", results_doc({"accuracy": cand}))
    result = gatebot("compare", "b.json", "c.json", "--json", "v.json", "--markdown", "r.md")
    assert result.code == code, result.stderr
    verdict = json.loads((tmp_path / "v.json").read_text())
    assert verdict["passed"] is (code == 0)
    assert {"name", "baseline", "candidate", "delta", "status"} <= set(verdict["metrics"][0])
    assert (tmp_path / "r.md").read_text() == result.stdout


def test_compare__incomparable__exit_2(tmp_path: Path, gatebot) -> None:
    base = results_doc({"accuracy": [1.0] * 50})
    cand = results_doc({"accuracy": [1.0] * 50})
    for i, example in enumerate(cand["examples"]):
        example["id"] = f"other-{i}"
    write_json(tmp_path / "b.json", base)
    write_json(tmp_path / "c.json", cand)
    result = gatebot("compare", "b.json", "c.json")
    assert result.code == 2
    assert "cannot be compared" in result.stdout


def test_config_schema__prints_json_schema(gatebot) -> None:
    result = gatebot("config", "--schema")
    assert result.code == 0
    assert json.loads(result.stdout)["title"].startswith("gatebot configuration")


def test_run__benchmark_never_sees_the_workflow_token(tmp_path: Path, gatebot) -> None:
    doc = results_doc({"accuracy": [1, 0, 1]}, model="m", benchmark="b")
    write_json(tmp_path / "fixed.json", doc)
    _benchmark_config(tmp_path, 'echo "seen:$GITHUB_TOKEN:$GATEBOT_TOKEN:end" && cp fixed.json {output}')
    result = gatebot("run", env={"GITHUB_TOKEN": "ghs_secret1", "GATEBOT_TOKEN": "ghs_secret2"})
    assert result.code == 0, result.stderr
    assert "seen:::end" in result.stderr
    assert "ghs_secret" not in result.stderr + result.stdout


def test_compare__unwritable_json_path__one_line_error(tmp_path: Path, gatebot) -> None:
    base, cand = _pair(tmp_path)
    _assert_one_line_error(
        gatebot("compare", str(base), str(cand), "--json", "/proc/nope/v.json"), "/proc/nope"
    )


def test_reader_of_the_output_gone__no_traceback__exit_141(tmp_path: Path) -> None:
    read, write = os.pipe()
    os.close(read)  # like `gatebot config --schema | head -c0`: every write meets a broken pipe
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("GATEBOT_", "GITHUB_"))}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "gatebot", "config", "--schema"],
            cwd=tmp_path,
            env=environ,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, "")


def test_bad_environment_variable__one_line_naming_it__exit_2(gatebot) -> None:
    result = gatebot("config", env={"GATEBOT_DEBUG": "maybe"})
    _assert_one_line_error(result, "environment variable GATEBOT_DEBUG: Input should be a valid boolean")
