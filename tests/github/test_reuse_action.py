"""Reuse and shards through `gatebot action` against the fake GitHub: results taken from the baselines
branch or the cache folder instead of running, the base commit benchmarked once per base, and a gate of
the results that sharded jobs left in `results-dir`.

The workspace holds tests/projects.py's project, whose benchmark counts its own runs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from gatebot.baselines import BaselineStore
from gatebot.commands import report_part
from gatebot.results import load_results
from tests.github.harness import REPO, ActionHarness, checks, opened
from tests.projects import BENCHMARK, MODEL, WORSE, git, runs, set_quality, write_project

SEED_TOKEN = "ghs_seedreuse0000000000000000000000000"
CHANGED = [f"models/{MODEL}.txt"]


def _project(action: ActionHarness, *, shards: int = 1, baseline: bool = True) -> Path:
    shutil.rmtree(action.workspace)
    return write_project(action.workspace, shards=shards, baseline=baseline)


def _run(root: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "gatebot", *args], cwd=root, check=True, capture_output=True)


def _recorded_pull_request(
    action: ActionHarness, root: Path, *, seed_token: str = SEED_TOKEN
) -> tuple[str, dict[str, Any]]:
    """Run the project's model once, record it on the baselines branch for a new base commit, and open
    a pull request on that base that touches the model: its base commit and event."""
    _run(root, "run", "--out", str(action.tmp / "recorded"))
    recorded = load_results(action.tmp / "recorded" / MODEL / f"{BENCHMARK}.json")
    action.fake.add_token(seed_token, {"contents": "write"})
    store = BaselineStore(action.fake.client(seed_token), REPO, sleep=lambda _s: None)
    base = action.repo.commit({"a": "1"}, branch="master")
    store.record(recorded, commit=base, recorded_at="2026-11-01T00:00:00Z")
    event = opened()
    event["pull_request"]["base"]["sha"] = base
    action.pull_request(event, CHANGED)
    return base, event


def test_model_equal_to_a_recorded_one__no_run__footer_names_the_branch(action: ActionHarness) -> None:
    root = _project(action)
    base, event = _recorded_pull_request(action, root)
    assert len(runs(root)) == 1

    run = action.gate("pull_request", event)
    assert run.code == 0, run.stdout + run.stderr
    assert len(runs(root)) == 1
    body = action.repo.comments_on(2)[0].body
    assert (report_part(body) or "").startswith("### ✅ gatebot: no regression")
    assert (
        f"<sub>Cost: qa for qa-bot: reused from the gatebot-baselines branch (recorded for commit {base[:7]})"
    ) in body
    assert "reused results from the gatebot-baselines branch" in run.stderr


def test_second_run_with_the_cache_folder_restored__no_run(action: ActionHarness, tmp_path: Path) -> None:
    root = _project(action)
    cache = str(tmp_path / "kept-cache")  # what actions/cache restores between workflow runs
    event = opened()
    action.pull_request(event, CHANGED)
    set_quality(root, WORSE)
    first = action.gate("pull_request", event, cache_dir=cache)
    assert first.code == 1, first.stderr
    second = action.gate("pull_request", event, cache_dir=cache)
    assert second.code == 1
    assert len(runs(root)) == 1
    body = action.repo.comments_on(2)[0].body
    assert "### ❌ gatebot: 3 regressions" in body
    assert f"<sub>Cost: qa for qa-bot: reused from the cache folder {cache} (measured in " in body
    set_quality(root, "0.7")
    third = action.gate("pull_request", event, cache_dir=cache)
    assert third.code == 1
    assert len(runs(root)) == 2
    assert "<sub>Cost: qa for qa-bot: ran in " in action.repo.comments_on(2)[0].body


def test_no_baseline__base_commit_benchmarked_once_for_two_pull_requests(
    action: ActionHarness, tmp_path: Path
) -> None:
    root = _project(action, baseline=False)
    (root / ".gitignore").write_text("runs.log\n")
    git(root, "init", "-q", "-b", "master")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "good model")
    base = git(root, "rev-parse", "HEAD")
    cache = str(tmp_path / "kept-cache")
    log = tmp_path / "every-run.log"
    for number, quality in ((2, WORSE), (3, "0.79")):
        set_quality(root, quality)
        event = opened()
        event["number"] = event["pull_request"]["number"] = number
        event["pull_request"]["base"]["sha"] = base
        event["pull_request"]["head"]["sha"] = f"{number:040d}"
        action.pull_request(event, CHANGED)
        action.gate("pull_request", event, cache_dir=cache, runs_log=str(log))
    assert runs(log) == [f"{MODEL} 0/1 env=0/1"] * 3  # the base once, each candidate once
    second = action.repo.comments_on(3)[0].body
    assert "qa for qa-bot on the base commit: reused from the cache folder" in second
    assert f"the base commit {base[:7]}, benchmarked in this run" in second


def _shards_dir(action: ActionHarness, root: Path, shards: list[str]) -> Path:
    parts = action.tmp / "downloaded"
    for shard in shards:
        _run(root, "run", "--shard", shard, "--out", str(parts))
    return parts


def test_results_dir__three_shards__one_comment_one_check_no_run(action: ActionHarness) -> None:
    root = _project(action, shards=3)
    set_quality(root, WORSE)
    parts = _shards_dir(action, root, ["0/3", "1/3", "2/3"])
    event = opened()
    action.pull_request(event, CHANGED)
    run = action.gate("pull_request", event, results_dir=str(parts))
    assert run.code == 1, run.stderr
    assert len(runs(root)) == 3  # the shard jobs' runs only
    (comment,) = action.repo.comments_on(2)
    assert "### ❌ gatebot: 3 regressions" in comment.body
    assert "<sub>Cost: qa for qa-bot: ran in 3 shards, " in comment.body
    assert [c.conclusion for c in checks(action.repo)] == ["failure"]


def test_results_dir__missing_shard__failed_check_names_it(action: ActionHarness) -> None:
    root = _project(action, shards=3)
    parts = _shards_dir(action, root, ["0/3", "2/3"])
    event = opened()
    action.pull_request(event, CHANGED)
    run = action.gate("pull_request", event, results_dir=str(parts))
    assert run.code == 2
    (check,) = checks(action.repo)
    assert check.conclusion == "failure"
    assert "qa-bot/qa: shard 1/3 is missing (have 0/3, 2/3)" in check.summary
    assert action.repo.comments_on(2) == []
