"""Inputs built to exhaust gatebot (alias bombs, deep nesting, NUL bytes, zip bombs): one line, exit 2."""

from __future__ import annotations

import io
import json
import os
import resource
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.factories import results_doc, write_json

DEEP = "[" * 2000 + "]" * 2000


def _one_line_error(result, *fragments: str) -> str:
    assert result.code == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("gatebot: error:")]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def _gatebot_in_1_gib(cwd: Path, *args: str):
    """`gatebot` with its address space capped, so a regression shows as an error instead of a machine
    out of memory."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    environ = {k: v for k, v in os.environ.items() if not k.startswith(("GATEBOT_", "GITHUB_"))}
    done = subprocess.run(
        [sys.executable, "-m", "gatebot", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=cap,
    )
    return type("Completed", (), {"code": done.returncode, "stdout": done.stdout, "stderr": done.stderr})


# The config -----------------------------------------------------------------------------------------


def test_config__alias_bomb_of_9_levels__refused(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    (tmp_path / "bomb.yml").write_text("\n".join(lines) + "\nmetrics: *a9\n")
    result = _gatebot_in_1_gib(tmp_path, "config", "--config", "bomb.yml")
    _one_line_error(result, "bomb.yml:", "aliases expand it to more than 100,000 values")


def test_config__nested_5000_deep__refused_with_line_and_column(tmp_path: Path, gatebot) -> None:
    (tmp_path / ".gatebot.yml").write_text("metrics: " + "[" * 5000 + "]" * 5000 + "\n")
    _one_line_error(gatebot("config"), ".gatebot.yml:1:", "nested more than 64 levels deep")


def test_config__alias_inside_itself__refused(tmp_path: Path, gatebot) -> None:
    (tmp_path / ".gatebot.yml").write_text("gate:\n  slices: &s [a, *s]\n")
    _one_line_error(gatebot("config"), ".gatebot.yml:2:", "an alias refers to a value that contains it")


def test_config__shared_values_through_aliases__still_accepted(tmp_path: Path, gatebot) -> None:
    (tmp_path / ".gatebot.yml").write_text(
        "metrics:\n  accuracy: &gate {direction: higher, min_effect: 0.01}\n  f1: *gate\n"
        "  recall: {<<: *gate, alpha: 0.01}\n"
    )
    result = gatebot("config")
    assert result.code == 0, result.stderr
    assert "3 metrics" in result.stdout


def test_config__nul_byte_in_model_name__refused_and_shown_escaped(tmp_path: Path, gatebot) -> None:
    (tmp_path / ".gatebot.yml").write_text('models:\n  "a\\0b": {}\n')
    line = _one_line_error(gatebot("config"), '.gatebot.yml: models."a\\u0000b"')
    assert "\0" not in line


# Results files --------------------------------------------------------------------------------------


def _results(tmp_path: Path) -> Path:
    return write_json(tmp_path / "base.json", results_doc({"accuracy": [1, 0, 1, 1] * 10}))


@pytest.mark.parametrize(
    ("member", "fragment"),
    [
        ('"provenance": {"x": ' + DEEP + "}", "deep.json: "),
        ('"junk": ' + DEEP, "deep.json: "),
        ('"examples": [{"id": "a", "scores": {"accuracy": ' + DEEP + "}}]", "deep.json: "),
        ('"provenance": {"x": ' + "[" * 150 + "]" * 150 + "}", "deep.json: provenance: "),
    ],
)
def test_compare__results_nested_deep__refused(tmp_path: Path, gatebot, member: str, fragment: str) -> None:
    head = '{"schema": "gatebot/results@1", "benchmark": "b", "model": "m", "metrics": {"accuracy": 0.5}'
    (tmp_path / "deep.json").write_text(head + ", " + member + "}")
    result = gatebot("compare", str(_results(tmp_path)), "deep.json")
    _one_line_error(result, fragment, "nested more than 100 levels deep")


def test_compare__sidecar_line_nested_deep__refused(tmp_path: Path, gatebot) -> None:
    doc = results_doc({"accuracy": [1.0]})
    del doc["examples"]
    doc["examples_file"] = "examples.jsonl"
    write_json(tmp_path / "cand.json", doc)
    (tmp_path / "examples.jsonl").write_text('{"id": "a", "scores": {"accuracy": ' + DEEP + "}}\n")
    result = gatebot("compare", str(_results(tmp_path)), "cand.json")
    _one_line_error(result, "examples.jsonl:1: scores", "Expected float, got array")


@pytest.mark.parametrize(("field", "value"), [("model", "a\0b"), ("benchmark", "b\0"), ("model", "m\n")])
def test_results__control_character_in_a_name__refused(
    tmp_path: Path, gatebot, field: str, value: str
) -> None:
    doc = results_doc({"accuracy": [1, 0, 1, 1] * 10})
    doc[field] = value
    write_json(tmp_path / "cand.json", doc)
    for args in (("compare", str(_results(tmp_path)), "cand.json"), ("baseline", "save", "cand.json")):
        line = _one_line_error(gatebot(*args), f"cand.json: {field} contains")
        assert "\0" not in line


# Importer inputs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "fragment"),
    [
        (
            "promptfoo.json",
            '{"evalId": "e", "results": {"prompts": [], "results": [], "x": ' + DEEP + "}}",
            "",
        ),
        ("log.json", '{"version": 2, "eval": {"task": "t", "model": "m", "x": ' + DEEP + "}}", ""),
        (
            "results_2024-01-01T00-00-00.json",
            '{"results": {"t": {"acc,none": 0.5}}, "configs": ' + DEEP + "}",
            "",
        ),
        ("scores.jsonl", '{"id": "a", "accuracy": 1}\n{"id": "b", "accuracy": 0, "x": ' + DEEP + "}\n", ":2"),
    ],
)
def test_import__nested_deep__refused(tmp_path: Path, gatebot, name: str, text: str, fragment: str) -> None:
    (tmp_path / name).write_text(text)
    result = gatebot("import", name, "--out", "out.json")
    _one_line_error(result, f"{name}{fragment}: arrays and objects nested more than 100 levels deep")
    assert not (tmp_path / "out.json").exists()


_HEADER = {
    "version": 2,
    "status": "success",
    "eval": {"task": "t", "model": "m"},
    "results": {"scores": [{"name": "match", "scorer": "match", "metrics": {"accuracy": {"value": 0.5}}}]},
}


def _eval_zip(declared: int | None = None) -> bytes:
    """An inspect `.eval` log; with `declared`, header.json's size is rewritten to that many bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("header.json", json.dumps(_HEADER) + " " * 100_000)
    data = bytearray(buffer.getvalue())
    if declared is not None:
        local = data.index(b"PK\x03\x04")
        central = data.index(b"PK\x01\x02")
        struct.pack_into("<I", data, local + 22, declared)
        struct.pack_into("<I", data, central + 24, declared)
    return bytes(data)


def test_import__eval_member_declaring_4_gb__refused_unread(tmp_path: Path, gatebot) -> None:
    (tmp_path / "bomb.eval").write_bytes(_eval_zip(declared=0xF0000000))
    _one_line_error(
        gatebot("import", "bomb.eval", "--out", "out.json"), "bomb.eval: header.json expands to more than"
    )


def test_import__eval_member_larger_than_declared__refused(tmp_path: Path, gatebot) -> None:
    (tmp_path / "lies.eval").write_bytes(_eval_zip(declared=1000))
    _one_line_error(gatebot("import", "lies.eval", "--out", "out.json"), "lies.eval: cannot read header.json")


def test_import__eval_log__still_read(tmp_path: Path, gatebot) -> None:
    (tmp_path / "ok.eval").write_bytes(_eval_zip())
    result = gatebot("import", "ok.eval", "--out", "out.json")
    assert result.code == 0, result.stderr
    assert json.loads((tmp_path / "out.json").read_text())["metrics"] == {"match/accuracy": 0.5}
