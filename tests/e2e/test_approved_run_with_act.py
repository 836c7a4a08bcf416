"""A maintainer's `/gatebot run` on a fork's pull request, run by a real Actions runner (nektos/act, host
mode) against the fake GitHub: the command workflow checks out the base branch, whose benchmark needs a
secret; the fork's model file comes through the API as data.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_action_with_act import ActRepo
from tests.fakegithub import FakeGitHub
from tests.fakegithub import events as payloads
from tests.github.harness import PERMISSIONS, bundle_uploaded, synchronize

pytestmark = pytest.mark.e2e

SECRET = "sk-e2ejudge-4c8e1a7b9d3f5a2c6e0b8d4f1a9c7e3b"
COMMANDS_WORKFLOW = """\
name: commands
on:
  issue_comment:
    types: [created]
permissions:
  contents: read
  pull-requests: write
  checks: write
  actions: write
jobs:
  command:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ./.gatebot-action
        with:
          secrets: |
            JUDGE_KEY=${{ secrets.JUDGE_KEY }}
"""
# The gate workflow, keeping the bundle where the test finds it (act removes a job's files when it passes).
FORK_GATE_WORKFLOW = """\
name: gate
on:
  pull_request:
    types: [opened, synchronize, reopened]
permissions:
  contents: read
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ./.gatebot-action
        id: gate
      - if: always() && steps.gate.outputs.bundle != ''
        env:
          BUNDLE: ${{ steps.gate.outputs.bundle }}
        run: cp "$BUNDLE" KEPT
"""
KEY_CHECK = """\
import hashlib, os, sys
key = os.environ.get("JUDGE_KEY", "")
print("judge key in use:", key, flush=True)
if hashlib.sha256(key.encode()).hexdigest() != sys.argv[1]:
    sys.exit("JUDGE_KEY is missing or wrong")
"""


@pytest.fixture
def act_repo(tmp_path: Path, fake_github: FakeGitHub) -> ActRepo:
    repo = ActRepo(tmp_path / "repo", fake_github)
    root = repo.root
    (root / ".github" / "workflows" / "commands.yml").write_text(COMMANDS_WORKFLOW)
    kept = tmp_path / "kept-bundle.json"
    (root / ".github" / "workflows" / "forkgate.yml").write_text(
        FORK_GATE_WORKFLOW.replace("KEPT", str(kept))
    )
    (root / "check_key.py").write_text(KEY_CHECK)
    config = root / ".gatebot.yml"
    digest = hashlib.sha256(SECRET.encode()).hexdigest()
    text = config.read_text().replace(
        'run: "{python} bench.py', 'run: "{python} check_key.py ' + digest + " && {python} bench.py"
    )
    config.write_text(text.replace("    timeout: 300\n", "    timeout: 300\n    secrets: [JUDGE_KEY]\n"))
    return repo


def _fork_pull_request(act_repo: ActRepo, files: dict[str, bytes | str]) -> dict[str, Any]:
    """The base branch holds the base model as ticket-router; the fork's head brings `files`."""
    models = act_repo.root / "models"
    event = payloads.pull_request_from_fork()
    pull = event["pull_request"]
    act_repo.repo.commit({"README.md": "the base\n"}, branch=None, sha=pull["base"]["sha"])
    act_repo.repo.commit(dict(files), branch=None, parents=[pull["base"]["sha"]], sha=pull["head"]["sha"])
    act_repo.pull_request(event, list(files))
    shutil.copy(models / "base.npz", models / "ticket-router.npz")
    return event


def _comment(act_repo: ActRepo, body: str, user: str) -> Any:
    comment = act_repo.repo.add_issue_comment(2, body, user=user)
    event = payloads.issue_comment_on_pull_request(body=body, user=user, comment_id=comment.id)
    return act_repo.act("issue_comment", event, "commands.yml", secrets={"JUDGE_KEY": SECRET})


def _checks(act_repo: ActRepo) -> list[Any]:
    return sorted(act_repo.repo.check_runs.values(), key=lambda c: c.id)


def test_act_maintainer_run__base_benchmark_with_secret_on_fork_model__no_secret_left(
    act_repo: ActRepo, tmp_path: Path
) -> None:
    fine_tune = (act_repo.root / "models" / "ticket-router.npz").read_bytes()
    event = _fork_pull_request(act_repo, {"models/ticket-router.npz": fine_tune})
    head = event["pull_request"]["head"]["sha"]
    act_repo.repo.set_permission("maintainer-mia", "maintain")

    run = _comment(act_repo, "/gatebot run", "maintainer-mia")

    assert run.returncode != 0, run.stdout[-4000:]  # the fine-tune regresses: the gate fails
    assert "judge key in use: ***" in run.stdout, run.stdout[-4000:]
    checks = _checks(act_repo)
    assert [(c.head_sha, c.conclusion) for c in checks] == [(head, "failure")], run.stdout[-4000:]
    sticky = next(c for c in act_repo.repo.comments_on(2) if "gatebot:sticky" in c.body)
    assert "maintainer-mia approved with `/gatebot run`" in sticky.body and head[:7] in sticky.body
    assert "### ❌ gatebot: 1 regression" in sticky.body

    # A read-only user's /gatebot run changes nothing but the polite reply.
    act_repo.repo.set_permission("reader-rick", "read")
    before = [c.body for c in act_repo.repo.comments_on(2)]
    refused = _comment(act_repo, "/gatebot run", "reader-rick")
    assert refused.returncode == 0, refused.stdout[-4000:]
    assert len(_checks(act_repo)) == 1
    after = [c.body for c in act_repo.repo.comments_on(2)]
    assert after[: len(before)] == before and "only people with write access" in after[-1]

    # No secret in anything the runs left: files (but the secrets file given to act), logs, requests.
    needle = SECRET.encode()
    for path in tmp_path.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.name != "secrets.env":
            assert needle not in path.read_bytes(), path
    for done in (run, refused):
        assert SECRET not in done.stdout + done.stderr
    for entry in act_repo.fake.log:
        assert SECRET not in json.dumps([entry.path, entry.query, entry.body, entry.response], default=str)


def test_act_fork_changes_the_benchmark__refused_naming_it(act_repo: ActRepo) -> None:
    fine_tune = (act_repo.root / "models" / "ticket-router.npz").read_bytes()
    _fork_pull_request(act_repo, {"models/ticket-router.npz": fine_tune, "bench.py": "print('mine')\n"})
    act_repo.repo.set_permission("maintainer-mia", "maintain")

    run = _comment(act_repo, "/gatebot run", "maintainer-mia")

    assert run.returncode == 0, run.stdout[-4000:]
    assert _checks(act_repo) == []
    (reply,) = [c.body for c in act_repo.repo.comments_on(2) if c.user.login == "github-actions[bot]"]
    assert "bench.py" in reply and "outside the models' `artifacts`" in reply


def test_act_fork_pickle_artifact__refused_with_the_reason(act_repo: ActRepo) -> None:
    config = act_repo.root / ".gatebot.yml"
    config.write_text(
        config.read_text().replace('["models/ticket-router.npz"]', '["models/ticket-router.*"]')
    )
    _fork_pull_request(act_repo, {"models/ticket-router.pt": b"\x80\x04pickled"})
    act_repo.repo.set_permission("maintainer-mia", "maintain")

    run = _comment(act_repo, "/gatebot run", "maintainer-mia")

    assert run.returncode == 0, run.stdout[-4000:]
    assert _checks(act_repo) == []
    (reply,) = [c.body for c in act_repo.repo.comments_on(2) if c.user.login == "github-actions[bot]"]
    assert "models/ticket-router.pt: pickle-based weights run code when loaded" in reply
    assert "safetensors" in reply


def _fork_gate(act_repo: ActRepo, event: dict[str, Any]) -> Any:
    """The fork's own gate run (read-only token, no secrets), then the publish workflow on its bundle."""
    read_only = "ghs_forkreadonly00000000000000000000000"
    act_repo.fake.add_token(read_only, {scope: "read" for scope in PERMISSIONS})
    gate = act_repo.act("pull_request", event, "forkgate.yml", token=read_only)
    assert gate.returncode == 0, gate.stdout[-4000:]
    lines = [line for line in gate.stdout.splitlines() if "title=gatebot::" in line]
    bundle = act_repo.root.parent / "kept-bundle.json"
    published = act_repo.act(
        "workflow_run", bundle_uploaded(act_repo.repo, event, bundle.read_bytes()), "publish.yml"
    )
    assert published.returncode == 0, published.stdout[-4000:]
    return lines


def test_act_fork_gate__needs_approval__run__then_a_push_lapses_it(act_repo: ActRepo) -> None:
    fine_tune = (act_repo.root / "models" / "ticket-router.npz").read_bytes()
    event = _fork_pull_request(act_repo, {"models/ticket-router.npz": fine_tune})
    head = event["pull_request"]["head"]["sha"]

    notices = _fork_gate(act_repo, event)
    assert "needs a maintainer's `/gatebot run`" in " ".join(notices[:2]), notices
    assert [(c.head_sha, c.conclusion) for c in _checks(act_repo)] == [(head, "action_required")]

    act_repo.repo.set_permission("maintainer-mia", "maintain")
    approved = _comment(act_repo, "/gatebot run", "maintainer-mia")
    assert "judge key in use: ***" in approved.stdout, approved.stdout[-4000:]
    assert _checks(act_repo)[-1].head_sha == head

    new_head = act_repo.repo.commit(
        {"models/ticket-router.npz": fine_tune + b"\0"}, branch=None, parents=[head]
    )
    act_repo.repo.pulls[2].head_sha = new_head
    act_repo.repo.refs["refs/pull/2/head"] = new_head
    _fork_gate(act_repo, synchronize(event, new_head))
    sticky = next(c for c in act_repo.repo.comments_on(2) if "gatebot:sticky" in c.body)
    assert f"maintainer-mia for commit {head[:7]} no longer applies" in sticky.body
    assert "a new `/gatebot run` is needed" in sticky.body
    assert [(c.head_sha, c.conclusion) for c in _checks(act_repo)][-1] == (new_head, "action_required")
