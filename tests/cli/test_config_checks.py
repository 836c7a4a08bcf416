"""`gatebot config` checks what `gatebot run` would otherwise find out later: placeholders, the workdir,
and globs that match no file; each problem named with the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

GOOD_RUN = "{python} bench.py --output {output}"


def _repo(
    root: Path,
    *,
    run: str = GOOD_RUN,
    artifacts: str = "models/**",
    inputs: str = "bench.py",
    extra: tuple[str, ...] = (),
) -> Path:
    """A repository with a model, a benchmark script and a config naming them."""
    (root / "models").mkdir(parents=True)
    (root / "models" / "router.onnx").write_bytes(b"onnx")
    (root / "bench.py").write_text("print('bench')\n")
    (root / "sub").mkdir()
    lines = [
        "models:",
        f"  router: {{artifacts: [{artifacts}], benchmarks: [tickets]}}",
        "benchmarks:",
        "  tickets:",
        f"    run: '{run}'",
        f"    inputs: [{inputs}]",
        *(f"    {line}" for line in extra),
    ]
    (root / ".gatebot.yml").write_text("\n".join(lines) + "\n")
    return root


def _error_line(stderr: str) -> str:
    (line,) = [x for x in stderr.splitlines() if x.startswith("gatebot: error:")]
    assert "Traceback" not in stderr
    return line


def test_config__good__valid__no_warning(tmp_path: Path, gatebot) -> None:
    root = _repo(tmp_path, extra=("workdir: sub", "results: 'out/{model}.json'"))
    done = gatebot("config", cwd=root)
    assert done.code == 0, done.stderr
    assert done.stdout == ".gatebot.yml: valid (1 models, 1 benchmarks, 0 metrics)\n"
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("options", "field", "problem"),
    [
        ({"run": "python bench.py --out {out}"}, "benchmarks.tickets.run", "unknown placeholder {out}"),
        ({"run": "python bench.py {output"}, "benchmarks.tickets.run", "expected '}'"),
        ({"extra": ("results: 'o/{x}.json'",)}, "benchmarks.tickets.results", "unknown placeholder {x}"),
        ({"extra": ("workdir: nowhere",)}, "benchmarks.tickets.workdir", "nowhere is not a directory"),
    ],
)  # fmt: skip
def test_config__what_run_would_refuse__one_line_naming_file_and_field__exit_2(
    tmp_path: Path, gatebot, options: dict[str, Any], field: str, problem: str
) -> None:
    done = gatebot("config", cwd=_repo(tmp_path, **options))
    assert done.code == 2
    line = _error_line(done.stderr)
    assert line.startswith(f"gatebot: error: .gatebot.yml: {field}: ")
    assert problem in line
    assert done.stdout == ""


def test_config__globs_matching_nothing__a_warning_line_each__still_valid(tmp_path: Path, gatebot) -> None:
    root = _repo(tmp_path, artifacts="models/**, weights/*.safetensors", inputs="bench.py, data/**")
    done = gatebot("config", cwd=root)
    assert done.code == 0, done.stderr
    assert "valid (1 models" in done.stdout
    assert done.stderr.splitlines() == [
        "gatebot: warning: .gatebot.yml: models.router.artifacts: 'weights/*.safetensors' matches no file "
        "(globs are relative to the config file's directory)",
        "gatebot: warning: .gatebot.yml: benchmarks.tickets.inputs: 'data/**' matches no file "
        "(globs are relative to the config file's directory)",
    ]


def test_config__elsewhere__paths_start_at_the_config_files_directory(tmp_path: Path, gatebot) -> None:
    root = _repo(tmp_path / "project", extra=("workdir: sub",))
    done = gatebot("config", "--config", str(root / ".gatebot.yml"), cwd=tmp_path)
    assert done.code == 0, done.stderr
    assert done.stderr == ""
