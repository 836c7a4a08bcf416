"""`gatebot init` in a fresh repository: what it writes passes `gatebot config` and zizmor unchanged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gatebot.init import ACTION_REF, load_templates

GENERATED = Path(__file__).resolve().parents[1] / "fixtures" / "formats" / "generated"
RUN = "{python} bench.py --model {model} --output {output}"
WRITTEN = (
    ".gatebot.yml",
    ".github/workflows/gatebot.yml",
    ".github/workflows/gatebot-publish.yml",
    ".github/workflows/gatebot-commands.yml",
)

BENCH = """\
import argparse, json
parser = argparse.ArgumentParser()
parser.add_argument("--model")
parser.add_argument("--output")
args = parser.parse_args()
examples = [
    {"id": str(i), "scores": {"accuracy": float(i % 3 != 0), "latency_ms": 10.0 + i % 7},
     "slices": {"language": "es" if i % 2 else "en"}}
    for i in range(60)
]
json.dump({
    "schema": "gatebot/results@1", "benchmark": "tickets", "model": args.model,
    "metrics": {name: sum(e["scores"][name] for e in examples) / 60 for name in ("accuracy", "latency_ms")},
    "directions": {"accuracy": "higher"},
    "examples": examples,
}, open(args.output, "w"))
"""


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh repository with a benchmark script, a model and one output of the benchmark."""
    root = tmp_path / "repo"
    (root / "models" / "router").mkdir(parents=True)
    (root / "models" / "router" / "model.safetensors").write_bytes(b"\0" * 64)
    (root / "models" / "router" / "config.json").write_text(json.dumps({"_name_or_path": "distilbert-base"}))
    (root / "bench.py").write_text(BENCH)
    subprocess.run(
        [sys.executable, "bench.py", "--model", "router", "--output", "sample.json"], cwd=root, check=True
    )
    _git(root, "init", "-q", "-b", "master")
    _git(root, "add", "-A")
    _git(root, "-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-qm", "model")
    return root


def _zizmor(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "zizmor"), "--offline", "--no-progress", str(root)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def test_init__yes__writes_config_and_workflows_that_pass_config_and_zizmor(repo: Path, gatebot) -> None:
    done = gatebot("init", "--yes", "--run", RUN, "--results", "sample.json", cwd=repo)
    assert done.code == 0, done.stderr
    for path in WRITTEN:
        assert (repo / path).is_file(), path
        assert f"wrote {path}" in done.stdout
    assert "Next steps" in done.stdout and "branch protection" in done.stdout
    assert "--to-branch" in done.stdout and "workflow" in done.stdout

    config = yaml.safe_load((repo / ".gatebot.yml").read_text())
    assert config["models"] == {"router": {"artifacts": ["models/router/**"], "benchmarks": ["tickets"]}}
    assert config["benchmarks"]["tickets"]["run"] == RUN
    assert config["benchmarks"]["tickets"]["inputs"] == ["bench.py"]
    assert config["metrics"] == {"accuracy": {"direction": "higher", "min_effect": 0.0}}
    assert config["gate"]["slices"] == ["language"]

    checked = gatebot("config", cwd=repo)
    assert checked.code == 0, checked.stderr
    assert "valid (1 models, 1 benchmarks, 1 metrics)" in checked.stdout
    audited = _zizmor(repo)
    assert audited.returncode == 0, audited.stdout + audited.stderr

    templates = load_templates()
    for name in ("gatebot-publish.yml", "gatebot-commands.yml"):
        assert (repo / ".github" / "workflows" / name).read_text() == templates[name]
    gate = (repo / ".github" / "workflows" / "gatebot.yml").read_text()
    assert gate == templates["gatebot.yml"].replace("branches: [main]", "branches: [master]")
    assert f"uses: {ACTION_REF}" in gate

    ran = gatebot("run", cwd=repo)  # the written config runs the benchmark as it is
    assert ran.code == 0, ran.stderr
    assert (repo / "gatebot-out" / "router" / "tickets.json").is_file()


def test_init__existing_file__refused_in_one_line__nothing_changed__force_replaces(
    repo: Path, gatebot
) -> None:
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "gatebot-publish.yml").write_text("# mine\n")
    before = _snapshot(repo)
    refused = gatebot("init", "--yes", "--run", RUN, cwd=repo)
    assert refused.code == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "gatebot-publish.yml" in lines[0] and "--force" in lines[0]
    assert _snapshot(repo) == before

    forced = gatebot("init", "--yes", "--run", RUN, "--force", cwd=repo)
    assert forced.code == 0, forced.stderr
    assert "replaced .github/workflows/gatebot-publish.yml" in forced.stdout
    assert (repo / ".github/workflows/gatebot-publish.yml").read_text() == load_templates()[
        "gatebot-publish.yml"
    ]

    again = gatebot("init", "--yes", "--run", RUN, cwd=repo)
    assert again.code == 2 and ".gatebot.yml" in again.stderr


def test_init__dry_run__prints_every_file__writes_nothing(repo: Path, gatebot) -> None:
    before = _snapshot(repo)
    done = gatebot("init", "--yes", "--dry-run", "--run", RUN, "--results", "sample.json", cwd=repo)
    assert done.code == 0, done.stderr
    assert _snapshot(repo) == before
    for path in WRITTEN:
        assert f"==> {path} <==" in done.stdout
    assert 'run: "{python} bench.py --model {model} --output {output}"' in done.stdout
    assert "nothing written" in done.stdout


def test_init__unknown_placeholder__one_line__nothing_written(repo: Path, gatebot) -> None:
    before = _snapshot(repo)
    done = gatebot("init", "--yes", "--run", "python bench.py --out {out}", cwd=repo)
    assert done.code == 2
    assert done.stderr.count("\n") == 1 and "--run" in done.stderr and "{out}" in done.stderr
    assert _snapshot(repo) == before


def test_init__unreadable_results__one_line_naming_the_file(repo: Path, gatebot) -> None:
    (repo / "notes.json").write_text('{"hello": "world"}')
    done = gatebot("init", "--yes", "--results", "notes.json", cwd=repo)
    assert done.code == 2
    assert done.stderr.count("\n") == 1 and "--results" in done.stderr and "notes.json" in done.stderr
    missing = gatebot("init", "--yes", "--results", "nope.json", cwd=repo)
    assert missing.code == 2 and "nope.json" in missing.stderr and "Traceback" not in missing.stderr


def test_init__lm_eval_results__metrics_and_directions_from_the_harness(repo: Path, gatebot) -> None:
    (found,) = sorted(GENERATED.glob("lm-evaluation-harness/baseline/out/*/results_*.json"))
    done = gatebot("init", "--yes", "--run", RUN, "--results", str(found), "--benchmark", "quiz", cwd=repo)
    assert done.code == 0, done.stderr
    config = yaml.safe_load((repo / ".gatebot.yml").read_text())
    assert config["benchmarks"]["quiz"]["format"] == "lm-eval"
    assert config["metrics"]["fx_quiz/acc"]["direction"] == "higher"
    assert gatebot("config", cwd=repo).code == 0


def test_init__no_terminal__asks_nothing(repo: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("GATEBOT_", "GITHUB_"))}
    done = subprocess.run(
        [sys.executable, "-m", "gatebot", "init", "--run", RUN],
        cwd=repo,
        env=environ,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no prompt
    assert (repo / ".gatebot.yml").is_file()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_init__in_a_terminal__asks_what_the_options_leave_open(repo: Path) -> None:
    import pty

    leader, follower = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("GATEBOT_", "GITHUB_"))}
    # Asked, in order: model, artifacts, benchmark, the direction of latency_ms, the default branch.
    os.write(leader, b"ticket-router\n\n\nlower\n\n")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "gatebot", "init", "--run", RUN, "--results", "sample.json"],
            cwd=repo,
            env=environ,
            stdin=follower,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 0, done.stderr
    assert "Name of the model [router]" in done.stderr
    assert "Is higher or lower better for latency_ms?" in done.stderr
    config = yaml.safe_load((repo / ".gatebot.yml").read_text())
    assert list(config["models"]) == ["ticket-router"]
    assert config["metrics"]["latency_ms"]["direction"] == "lower"
    assert (repo / ".github/workflows/gatebot.yml").read_text().count("branches: [master]") == 1


def test_init__gatebot_out_not_ignored__a_gitignore_line_added__runs_leave_the_tree_clean(
    repo: Path, gatebot
) -> None:
    (repo / ".gitignore").write_text("__pycache__/")  # no newline at the end
    done = gatebot("init", "--yes", "--run", RUN, cwd=repo)
    assert done.code == 0, done.stderr
    assert "added gatebot-out/ to .gitignore" in done.stdout
    assert "Add `gatebot-out/` to .gitignore" not in done.stdout
    assert (repo / ".gitignore").read_text() == (
        "__pycache__/\n# What gatebot run and gatebot gate write\ngatebot-out/\n"
    )
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-qm", "gatebot")
    assert gatebot("run", cwd=repo).code == 0
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    assert status.stdout == ""


def test_init__gatebot_out_already_ignored__gitignore_untouched(repo: Path, gatebot) -> None:
    (repo / ".gitignore").write_text("/gatebot-out\n")
    done = gatebot("init", "--yes", "--run", RUN, cwd=repo)
    assert done.code == 0, done.stderr
    assert ".gitignore" not in done.stdout
    assert (repo / ".gitignore").read_text() == "/gatebot-out\n"


def test_init__dry_run__shows_the_gitignore_line__writes_nothing(repo: Path, gatebot) -> None:
    done = gatebot("init", "--yes", "--dry-run", "--run", RUN, cwd=repo)
    assert done.code == 0, done.stderr
    assert (
        "==> .gitignore (lines added) <==\n# What gatebot run and gatebot gate write\ngatebot-out/\n"
        in done.stdout
    )
    assert not (repo / ".gitignore").exists()
