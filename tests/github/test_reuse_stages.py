"""Reuse through the Action's three stages, as action.yml runs them: the plan stage (token, none of the
pull request's code) looks on the baselines branch and hands what it found to the evaluate stage (no
token), which looks in the cache folder of its trust scope only; the cost footer reaches the comment
through the verdict, which the publish stage reads as hostile input.

The workspace holds tests/projects.py's project, whose benchmark counts its own runs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from gatebot.commands import report_part
from gatebot.results import load_results
from gatebot.reuse import REPOSITORY_SCOPE, reuse_key
from gatebot.runs import LocalCache
from tests.fakegithub import events as payloads
from tests.github.harness import TOKEN, ActionHarness, checks, opened
from tests.github.test_reuse_action import _recorded_pull_request, _run
from tests.projects import BENCHMARK, MODEL, WORSE, runs, set_quality, write_project

SEED_TOKEN = "ghs_seedstages0000000000000000000000000"
CHANGED = [f"models/{MODEL}.txt"]


def _project(action: ActionHarness) -> Path:
    shutil.rmtree(action.workspace)
    return write_project(action.workspace)


def test_plan_stage_finds_the_recorded_model__evaluate_runs_nothing_without_the_token(
    action: ActionHarness,
) -> None:
    root = _project(action)
    base, event = _recorded_pull_request(action, root, seed_token=SEED_TOKEN)

    staged = action.stages("pull_request", event)
    assert staged.evaluate is not None and staged.publish is not None
    assert "gatebot-baselines branch (recorded for commit" in staged.plan.stderr
    assert "the evaluate step uses them instead of running" in staged.plan.stderr
    index = json.loads((staged.job / "handoff" / "reused" / "index.json").read_text())
    assert [(e["model"], e["source"]) for e in index["entries"]] == [
        (MODEL, f"the gatebot-baselines branch (recorded for commit {base[:7]})")
    ]
    assert "reused results from the gatebot-baselines branch" in staged.evaluate.stderr
    assert len(runs(root)) == 1  # the recording run only
    assert staged.publish.code == 0, staged.publish.stdout + staged.publish.stderr
    body = action.repo.comments_on(2)[0].body
    assert (report_part(body) or "").startswith("### ✅ gatebot: no regression")
    assert (
        f"<sub>Cost: qa for qa-bot: reused from the gatebot-baselines branch (recorded for commit {base[:7]})"
        in body
    )


def test_changed_artifact_after_the_plan__evaluate_runs_it(action: ActionHarness) -> None:
    """The evaluate stage uses what the plan stage found only if the digests it computes still match."""
    root = _project(action)
    _, event = _recorded_pull_request(action, root, seed_token=SEED_TOKEN)
    job, env = action.environ("pull_request", event)
    env["GATEBOT_HANDOFF"] = str(job / "handoff")
    plan = action._step(job, env, ("action", "--stage", "plan"))
    assert "the evaluate step uses them" in plan.stderr
    set_quality(root, WORSE)
    no_token = {k: v for k, v in env.items() if "TOKEN" not in k} | {"GATEBOT_PLAN": plan.outputs["plan"]}
    evaluate = action._step(job, no_token, ("action", "--stage", "evaluate"))
    assert evaluate.code == 0
    assert len(runs(root)) == 2
    assert "reused results" not in evaluate.stderr


def test_cache_folder_across_stages__second_run_runs_nothing__a_fork_never_feeds_it(
    action: ActionHarness, tmp_path: Path
) -> None:
    root = _project(action)
    set_quality(root, WORSE)
    cache = str(tmp_path / "kept-cache")
    fork = payloads.pull_request_from_fork()
    action.pull_request(fork, CHANGED)
    forked = action.stages("pull_request", fork, cache_dir=cache)
    assert forked.evaluate is not None and forked.evaluate.code == 0
    assert len(runs(root)) == 1
    assert sorted(p.name for p in Path(cache).iterdir() if p.is_dir()) == ["fork-contributor-hello-world"]

    event = opened()
    action.pull_request(event, CHANGED)
    first = action.stages("pull_request", event, cache_dir=cache)
    assert first.publish is not None and first.publish.code == 1
    assert len(runs(root)) == 2  # the fork's results were not reused
    second = action.stages("pull_request", event, cache_dir=cache)
    assert second.publish is not None and second.publish.code == 1
    assert len(runs(root)) == 2
    body = action.repo.comments_on(2)[0].body
    assert "### ❌ gatebot: 3 regressions" in body
    assert f"<sub>Cost: qa for qa-bot: reused from the cache folder {cache} (measured in " in body

    set_quality(root, "0.7")
    third = action.stages("pull_request", event, cache_dir=cache)
    assert third.publish is not None
    assert len(runs(root)) == 3
    assert "<sub>Cost: qa for qa-bot: ran in " in action.repo.comments_on(2)[0].body


def test_cache_entry_of_another_scope__copied_under_this_scope__is_a_miss(tmp_path: Path) -> None:
    root = write_project(tmp_path / "project")
    _run(root, "run", "--out", str(tmp_path / "out"))
    results = load_results(tmp_path / "out" / MODEL / f"{BENCHMARK}.json")
    key = reuse_key(
        MODEL,
        BENCHMARK,
        model_digest=results.provenance["model_digest"],
        inputs_digest=results.provenance["inputs_digest"],
        config_digest=results.provenance["config_digest"],
    )
    assert not isinstance(key, str)
    fork = LocalCache(tmp_path / "cache", "fork-contributor-hello-world")
    fork.put(key, results)
    assert fork.find(key) is not None
    ours = LocalCache(tmp_path / "cache", REPOSITORY_SCOPE)
    assert ours.find(key) is None
    ours.path(key).parent.mkdir(parents=True)
    shutil.copy(fork.path(key), ours.path(key))
    assert ours.find(key) is None


def test_cost_footer_rewritten_by_the_benchmark__escaped_or_refused(action: ActionHarness) -> None:
    root = _project(action)
    set_quality(root, WORSE)
    event = opened()
    action.pull_request(event, CHANGED)
    job, env = action.environ("pull_request", event)
    env["GATEBOT_HANDOFF"] = str(job / "handoff")
    plan = action._step(job, env, ("action", "--stage", "plan"))
    no_token = {k: v for k, v in env.items() if "TOKEN" not in k} | {"GATEBOT_PLAN": plan.outputs["plan"]}
    assert action._step(job, no_token, ("action", "--stage", "evaluate")).code == 0
    verdict_path = job / "handoff" / "verdict.json"
    verdict = json.loads(verdict_path.read_text())
    assert [c["label"] for c in verdict["costs"]] == ["qa for qa-bot"]
    verdict["costs"][0]["reused_from"] = "<img src=x onerror=alert(1)> [x](https://evil.example) @org/team"
    verdict_path.write_text(json.dumps(verdict))
    with_token = env | {"GATEBOT_PLAN": plan.outputs["plan"]}
    published = action._step(job, with_token, ("action", "--stage", "publish"))
    assert published.code == 1, published.stdout + published.stderr
    footer = next(line for line in action.repo.comments_on(2)[0].body.splitlines() if "Cost:" in line)
    assert "<img" not in footer and "](" not in footer and "@org" not in footer
    assert TOKEN not in footer

    verdict["costs"][0]["seconds"] = -1
    verdict_path.write_text(json.dumps(verdict))
    refused = action._step(job, with_token, ("action", "--stage", "publish"))
    assert refused.code == 2
    assert "costs" in checks(action.repo)[-1].summary
