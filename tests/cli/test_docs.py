"""The README's CLI reference is generated from --help and must not drift."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_readme_cli_reference__matches_help() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "cli_reference.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_readme_quick_start__two_lines() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [line for line in block.splitlines() if line.strip()]
    assert len(lines) == 2
    assert "gatebot gate" in lines[0] and "pytest" in lines[1]


WORKFLOWS = ROOT / "gatebot" / "templates" / "workflows"
WORKFLOW_NAMES = ("gatebot.yml", "gatebot-publish.yml", "gatebot-commands.yml")
_WORKFLOW_BLOCK = re.compile(r"```yaml\n(# \.github/workflows/(\S+)\n.*?)```", re.S)


def _readme_workflows() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return {name: text for text, name in _WORKFLOW_BLOCK.findall(readme)}


def _zizmor() -> str:
    beside = Path(sys.executable).parent / "zizmor"
    if not beside.is_file():
        pytest.fail("zizmor is not installed: pip install -e '.[test]' brings it")
    return str(beside)


def test_readme_workflows__are_the_templates_gatebot_init_writes() -> None:
    shown = _readme_workflows()
    templates = {path.name: path.read_text(encoding="utf-8") for path in WORKFLOWS.glob("*.yml")}
    assert sorted(shown) == sorted(templates) == sorted(WORKFLOW_NAMES)
    for name, text in templates.items():
        assert shown[name] == text, f"README's {name} differs from gatebot/templates/workflows/{name}"


def test_readme_workflows__pin_third_party_actions_to_a_commit() -> None:
    for name, text in _readme_workflows().items():
        for ref in re.findall(r"^\s*(?:- )?uses:\s*(\S+)", text, re.M):
            if ref.startswith("gatebot/gatebot@"):
                continue  # the release a user picks: the README says to pin it
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), f"{name}: {ref} is not pinned"
        for line in text.splitlines():
            if re.search(r"^\s*(?:- )?uses:\s*\S+@[0-9a-f]{40}", line):
                assert re.search(r"# v\d+\.\d+\.\d+$", line), f"{name}: say which tag the SHA is: {line}"


def _zizmor_on(root: Path, name: str, text: str) -> subprocess.CompletedProcess[str]:
    """`zizmor --offline` on `text` as the workflow `name` of a repository at `root`."""
    workflows = root / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / name).write_text(text, encoding="utf-8")
    return subprocess.run(
        [_zizmor(), "--offline", "--no-progress", str(workflows / name)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_readme_workflow__zizmor_offline_is_clean(name: str, tmp_path: Path) -> None:
    done = _zizmor_on(tmp_path, name, _readme_workflows()[name])
    assert done.returncode == 0, done.stdout + done.stderr


def test_readme_publish_workflow__skips_same_repository_pull_requests() -> None:
    publish = yaml.safe_load(_readme_workflows()["gatebot-publish.yml"])
    condition = " ".join(publish["jobs"]["publish"]["if"].split())
    assert "github.event.workflow_run.head_repository.full_name != github.repository" in condition


SHARDED_MARKER = "# The sharded gate: plan the matrix, run each shard, gate once\n"


def _sharded_workflow() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return SHARDED_MARKER + readme.split(SHARDED_MARKER, 1)[1].split("```", 1)[0]


def test_readme_sharded_workflow__zizmor_clean__pinned__no_token_where_the_pull_requests_code_runs(
    tmp_path: Path,
) -> None:
    text = _sharded_workflow()
    for ref in re.findall(r"^\s*(?:- )?uses:\s*(\S+)", text, re.M):
        assert ref.startswith("gatebot/gatebot@") or re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref
    jobs = yaml.safe_load(text)["jobs"]
    shard_steps = jobs["shard"]["steps"]
    assert "token" not in json.dumps(shard_steps).lower()  # the step that runs the pull request's code
    assert set(jobs["shard"]["permissions"].values()) == {"read"}
    assert jobs["gate"]["steps"][-1]["with"] == {"results-dir": "shards"}
    done = _zizmor_on(tmp_path, "gatebot-sharded.yml", text)
    assert done.returncode == 0, done.stdout + done.stderr
