"""Workflow commands and files: escaping, multi-line outputs, the job summary's limit."""

from __future__ import annotations

import io
from pathlib import Path

from gatebot.workflow import Workflow, escape_data, escape_property


def test_workflow_commands__escaped() -> None:
    assert escape_data("50%\nnext") == "50%25%0Anext"
    assert escape_property("a:b,c") == "a%3Ab%2Cc"
    stream = io.StringIO()
    Workflow(active=True, stream=stream).error("line1\nline2", title="gate:1")
    assert stream.getvalue() == "::error title=gate%3A1::line1%0Aline2\n"


def test_set_output__multiline_value_with_random_delimiter(tmp_path: Path) -> None:
    out = tmp_path / "out"
    Workflow(active=True, output_file=out).set_output("report", "a\nEOF\nb")
    text = out.read_text()
    delimiter = text.splitlines()[0].split("<<", 1)[1]
    assert delimiter.startswith("gatebot_") and len(delimiter) > 20
    assert text == f"report<<{delimiter}\na\nEOF\nb\n{delimiter}\n"


def test_summary__over_one_mebibyte__fallback_written(tmp_path: Path) -> None:
    summary = tmp_path / "summary"
    wf = Workflow(active=True, summary_file=summary)
    assert wf.add_summary("x" * (2 * 1024 * 1024), fallback="too big") is False
    assert summary.read_text() == "too big\n"
