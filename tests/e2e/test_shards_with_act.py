"""The README's sharded workflow run by a real Actions runner (act) against the fake GitHub: a plan job
prints the matrix, one job per shard runs `gatebot run --shard`, and a final job gates the merged results,
comments and sets the check once.

act runs `strategy.matrix` and `needs:`, but `actions/upload-artifact` and `download-artifact` need
GitHub's artifact service, which act cannot provide offline. Here, and only here, the shard jobs copy
their partial results into a folder on the host and the final job copies them back: those two `cp` steps
replace the upload and download steps of the README's workflow, which is otherwise run as written
(with this checkout of the action and act's own checkout). The `progress` job checks nothing out: here
it does, because act finds this action in the checkout. act cannot tell the fake about its jobs, so the
watcher finds no shard job in the run, says so and sets no check.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.e2e.test_action_with_act import ActRepo, _checks
from tests.fakegithub import FakeGitHub
from tests.fakegithub import events as payloads
from tests.projects import MODEL, WORSE, runs, write_project

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MARKER = "# The sharded gate: plan the matrix, run each shard, gate once\n"
_UPLOAD = re.compile(r"^( +)- uses: actions/upload-artifact@.*\n(?:\1  .*\n)*", re.M)
_PROGRESS_STEPS = re.compile(r"^(  progress:.*\n(?:    .*\n)*?    steps:\n)( +)", re.M)
_DOWNLOAD = re.compile(r"^( +)- uses: actions/download-artifact@.*\n(?:\1  .*\n)*", re.M)


def readme_workflow(*, exchange: Path, runs_log: Path) -> str:
    """The README's sharded workflow, made runnable here: this action from its folder, act's own
    checkout, and a folder on the host instead of the artifact actions."""
    text = (ROOT / "README.md").read_text(encoding="utf-8").split(MARKER, 1)[1].split("```", 1)[0]
    text = re.sub(r"uses: actions/checkout@.*", "uses: actions/checkout@v4", text)
    text = re.sub(r"uses: gatebot/gatebot@.*", "uses: ./.gatebot-action", text)
    text, uploads = _UPLOAD.subn(lambda m: f'{m.group(1)}- run: cp -r shards/. "{exchange}/"\n', text)
    text, downloads = _DOWNLOAD.subn(
        lambda m: f'{m.group(1)}- run: mkdir -p shards && cp -r "{exchange}/." shards/\n', text
    )
    assert (uploads, downloads) == (1, 1), "the README's sharded workflow lost its artifact steps"
    text, checkouts = _PROGRESS_STEPS.subn(r"\1\2- uses: actions/checkout@v4\n\2", text)
    assert checkouts == 1, "the README's sharded workflow lost its progress job"
    return text.replace("permissions: {}\n", f"permissions: {{}}\nenv:\n  GATEBOT_RUNS_LOG: {runs_log}\n", 1)


class ShardedRepo(ActRepo):
    """The act repository of tests/e2e/test_action_with_act.py, holding the counting project instead of
    the demo, with three shards and the sharded workflow."""

    def __init__(self, root: Path, fake: FakeGitHub, *, fail_shard: int | None) -> None:
        super().__init__(root, fake)
        for entry in root.iterdir():
            if entry.name not in {".git", ".gatebot-action", ".github"}:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        write_project(root, shards=3, quality=WORSE)
        if fail_shard is not None:
            (root / f"fail-shard-{fail_shard}").write_text("this shard's job fails\n")
        host = root.parent
        self.runs_log = host / "runs.log"
        exchange = host / "exchange"
        exchange.mkdir()
        workflow = readme_workflow(exchange=exchange, runs_log=self.runs_log)
        (root / ".github" / "workflows" / "gate.yml").write_text(workflow)


def _opened(repo: ShardedRepo) -> dict:
    event = payloads.load("pull_request.opened")
    repo.pull_request(event, [f"models/{MODEL}.txt"])
    return event


def test_act_three_shards_and_a_merge__one_comment_one_check(tmp_path: Path, fake_github: FakeGitHub) -> None:
    repo = ShardedRepo(tmp_path / "repo", fake_github, fail_shard=None)
    run = repo.act("pull_request", _opened(repo), "gate.yml")
    assert run.returncode != 0, run.stdout[-3000:]  # the gate job fails on the regression
    assert sorted(runs(repo.runs_log)) == [f"{MODEL} {i}/3 env={i}/3" for i in range(3)], run.stdout[-3000:]
    (comment,) = repo.repo.comments_on(2)
    assert "### ❌ gatebot: 3 regressions" in comment.body
    assert "qa for qa-bot: ran in 3 shards, " in comment.body
    assert [c.conclusion for c in _checks(repo.repo)] == ["failure"]
    assert "lists none of the 3 shard jobs" in run.stdout, run.stdout[-3000:]


def test_act_missing_shard__failed_check_names_it(tmp_path: Path, fake_github: FakeGitHub) -> None:
    repo = ShardedRepo(tmp_path / "repo", fake_github, fail_shard=1)
    run = repo.act("pull_request", _opened(repo), "gate.yml")
    assert run.returncode != 0
    assert repo.repo.comments_on(2) == []
    (check,) = _checks(repo.repo)
    assert check.conclusion == "failure", run.stdout[-3000:]
    assert "qa-bot/qa: shard 1/3 is missing (have 0/3, 2/3)" in (check.summary or ""), run.stdout[-3000:]
