"""Workflow commands and files: escaping, multi-line outputs, the job summary's limit."""

from __future__ import annotations

import io
from pathlib import Path

from gatebot.workflow import Workflow, escape_data, escape_property, file_commands_kept


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


def _files(tmp_path: Path) -> dict[str, str]:
    names = ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_STEP_SUMMARY")
    environ = {}
    for name in names:
        path = tmp_path / name.lower()
        path.write_text("before=1\n" if name == "GITHUB_OUTPUT" else "")
        environ[name] = str(path)
    return environ


def test_file_commands_kept__lines_appended_inside__gone_after(tmp_path: Path) -> None:
    environ = _files(tmp_path)
    with file_commands_kept(environ):
        for path in environ.values():
            with open(path, "a") as handle:
                handle.write("BASH_ENV=/tmp/hook.sh\n")
    assert {Path(p).read_text() for p in environ.values()} == {"", "before=1\n"}
    assert Path(environ["GITHUB_OUTPUT"]).read_text() == "before=1\n"


def test_file_commands_kept__file_replaced_by_symlink_or_folder__put_back(tmp_path: Path) -> None:
    environ = _files(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("not the runner's\n")
    with file_commands_kept(environ):
        Path(environ["GITHUB_ENV"]).unlink()
        Path(environ["GITHUB_ENV"]).symlink_to(elsewhere)
        Path(environ["GITHUB_PATH"]).unlink()
        Path(environ["GITHUB_PATH"]).mkdir()
        (Path(environ["GITHUB_PATH"]) / "x").write_text("/tmp/evil\n")
        Path(environ["GITHUB_OUTPUT"]).unlink()
        Path(environ["GITHUB_OUTPUT"]).write_text("passed=true\n")
    for name in ("GITHUB_ENV", "GITHUB_PATH"):
        path = Path(environ[name])
        assert path.is_file() and not path.is_symlink() and path.read_text() == ""
    assert Path(environ["GITHUB_OUTPUT"]).read_text() == "before=1\n"
    assert elsewhere.read_text() == "not the runner's\n"


def test_file_commands_kept__on_an_error_too(tmp_path: Path) -> None:
    environ = _files(tmp_path)
    try:
        with file_commands_kept(environ):
            Path(environ["GITHUB_ENV"]).write_text("LD_PRELOAD=/tmp/x.so\n")
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert Path(environ["GITHUB_ENV"]).read_text() == ""
