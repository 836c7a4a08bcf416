"""What `gatebot init --yes` writes, run unchanged by a real Actions runner (nektos/act, host mode) against
the fake GitHub: the first push records a baseline, and a pull request that makes the model worse gets a
comment and a failing check.

The repository is new: a benchmark script, a model (a safetensors file whose metadata sets how often it
answers right, per language) and one output of the benchmark. The workflows are not edited at all: act's
`--local-repository` serves `uses: gatebot/gatebot@v1` (`gatebot.init.ACTION_REF`) from a copy of this
checkout, and the artifact upload, which runs only for forks, from a stand-in that fails if it ever runs.
`actions/checkout` is act's own: it keeps the local checkout.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from gatebot.baselines import BaselineStore
from gatebot.init import ACTION_REF, load_templates
from tests.e2e.test_action_with_act import ACTION_FILES, PERMISSIONS, REPO, ROOT, TOKEN, ActRepo
from tests.fakegithub import FakeGitHub
from tests.fakegithub import events as payloads

pytestmark = pytest.mark.e2e

RUN = "{python} bench.py --model {model} --output {output}"
MODEL = "models/router/model.safetensors"
PUSH_TOKEN = "ghs_e2epushtoken00000000000000000000000"
BENCH = """\
import argparse, hashlib, json, struct

parser = argparse.ArgumentParser()
parser.add_argument("--model", required=True)
parser.add_argument("--output", required=True)
args = parser.parse_args()
with open("models/router/model.safetensors", "rb") as weights:
    (size,) = struct.unpack("<Q", weights.read(8))
    metadata = json.loads(weights.read(size))["__metadata__"]
examples = []
for i in range(400):
    language = "es" if i % 2 else "en"
    draw = int(hashlib.sha256(str(i).encode()).hexdigest()[:8], 16) / 2**32
    correct = float(draw < float(metadata["accuracy_" + language]))
    examples.append({"id": f"t{i}", "scores": {"accuracy": correct}, "slices": {"language": language}})
accuracy = sum(e["scores"]["accuracy"] for e in examples) / len(examples)
with open(args.output, "w") as out:
    json.dump({"schema": "gatebot/results@1", "benchmark": "tickets", "model": args.model,
               "metrics": {"accuracy": accuracy}, "directions": {"accuracy": "higher"},
               "examples": examples}, out)
"""
UPLOAD_STAND_IN = """\
name: upload-artifact stand-in
description: Runs only for pull requests from forks; failing here says it ran where it must not.
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "the artifact upload ran for a same-repository pull request" && exit 1
"""


def _safetensors(accuracy_en: float, accuracy_es: float) -> bytes:
    """A safetensors file holding no tensors, only metadata (the format's header is all it needs)."""
    header = json.dumps(
        {"__metadata__": {"accuracy_en": str(accuracy_en), "accuracy_es": str(accuracy_es)}}
    ).encode()
    return struct.pack("<Q", len(header)) + header


def _uses(workflow: str) -> list[str]:
    """The `uses:` of every step of a workflow's text."""
    return [
        line.split("uses:", 1)[1].split("#", 1)[0].strip()
        for line in workflow.splitlines()
        if line.strip().startswith("- uses:")
    ]


class InitRepo(ActRepo):
    """A new repository that gatebot init sets up; act runs its workflows as written."""

    def __init__(self, root: Path, fake: FakeGitHub) -> None:
        # Not ActRepo's demo and hand-written workflows: only its way of running act is shared.
        self.root = root
        self.fake = fake
        self.home = root.parent / "home"
        self.home.mkdir()
        (root / "models" / "router").mkdir(parents=True)
        (root / MODEL).write_bytes(_safetensors(0.85, 0.85))
        (root / "models" / "router" / "config.json").write_text('{"_name_or_path": "acme/router-base"}\n')
        (root / "bench.py").write_text(BENCH)
        self.run_python("bench.py", "--model", "router", "--output", "sample.json")
        self._git("init", "-q", "-b", "master")
        self._git("remote", "add", "origin", f"https://github.com/{REPO}.git")
        self.commit_all("A router model and its benchmark")
        self.committed = True
        fake.add_token(TOKEN, PERMISSIONS)
        fake.add_token(PUSH_TOKEN, {"contents": "write"})  # the record job's `contents: write`
        self.repo = fake.add_repo(REPO, default_branch="master")
        self.flags = self._local_actions(root.parent)

    def _local_actions(self, where: Path) -> list[str]:
        """act flags serving the workflows' remote actions from local folders, no download."""
        action = where / "gatebot-action"
        action.mkdir()
        for name in ACTION_FILES:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, action / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, action / name)
        stand_in = where / "upload-artifact"
        stand_in.mkdir()
        (stand_in / "action.yml").write_text(UPLOAD_STAND_IN)
        upload = next(u for u in _uses(load_templates()["gatebot.yml"]) if "upload-artifact" in u)
        return ["--local-repository", f"{ACTION_REF}={action}", "--local-repository", f"{upload}={stand_in}"]

    def run_python(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args], cwd=self.root, capture_output=True, text=True, check=True, timeout=120
        )

    def commit_all(self, message: str) -> str:
        self._git("add", "-A")
        self._git("-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-qm", message)
        return self.head()

    def head(self) -> str:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=self.root, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()


@pytest.fixture
def init_repo(tmp_path: Path, fake_github: FakeGitHub) -> InitRepo:
    return InitRepo(tmp_path / "repo", fake_github)


def test_init_yes__its_workflows_unchanged__first_push_records__regressed_model_fails_its_pr(
    init_repo: InitRepo,
) -> None:
    root = init_repo.root
    done = init_repo.run_python("-m", "gatebot", "init", "--yes", "--run", RUN, "--results", "sample.json")
    assert "wrote .github/workflows/gatebot.yml" in done.stdout, done.stdout + done.stderr
    workflow = root / ".github" / "workflows" / "gatebot.yml"
    assert ACTION_REF in _uses(workflow.read_text())
    before = init_repo.head()
    after = init_repo.commit_all("gatebot init --yes")
    written = sorted(
        subprocess.run(
            ["git", "diff", "--name-only", before, after],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    )
    assert ".gatebot.yml" in written and ".github/workflows/gatebot.yml" in written

    # The first push to the default branch: the record job measures the model and records its baseline.
    push = payloads.load("push.with-new-branch")
    push.update(before=before, after=after)
    push["head_commit"]["id"] = after
    push["commits"] = [{**push["commits"][0], "id": after, "added": written, "removed": [], "modified": []}]
    recorded = init_repo.act("push", push, "gatebot.yml", token=PUSH_TOKEN, flags=init_repo.flags)
    assert recorded.returncode == 0, recorded.stdout[-4000:]
    store = BaselineStore(init_repo.fake.client(PUSH_TOKEN), REPO)
    (entry,) = store.history("router", "tickets")
    assert entry.commit == after
    assert entry.metrics["accuracy"] > 0.8

    # A pull request that swaps in a model that is much worse on Spanish.
    init_repo._git("checkout", "-q", "-b", "cheaper-model")
    (root / MODEL).write_bytes(_safetensors(0.85, 0.55))
    head = init_repo.commit_all("A cheaper model")
    event = payloads.load("pull_request.opened")
    event["pull_request"]["base"].update(sha=after, ref="master")
    event["pull_request"]["head"].update(sha=head, ref="cheaper-model")
    init_repo.pull_request(event, [MODEL])
    gated = init_repo.act("pull_request", event, "gatebot.yml", flags=init_repo.flags)
    assert gated.returncode != 0, gated.stdout[-4000:]
    assert "the artifact upload ran" not in gated.stdout
    (comment,) = init_repo.repo.comments_on(2)
    headline = next(line for line in comment.body.splitlines() if line.startswith("### "))
    assert headline.startswith("### ❌ gatebot: ") and "regression" in headline, comment.body[:2000]
    assert "language=es" in comment.body
    assert f"commit {after[:7]}, recorded " in comment.body  # the baseline the first push recorded
    checks = sorted(init_repo.repo.check_runs.values(), key=lambda c: c.id)
    assert [(c.name, c.conclusion, c.head_sha) for c in checks] == [("gatebot", "failure", head)]
