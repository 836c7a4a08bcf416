"""Results reused when nothing they depend on changed, and sharded runs merged, through the `gatebot` CLI.

The benchmark counts its own runs (tests/projects.py), so "ran no benchmark" is what it says.
"""

from __future__ import annotations

import json
from pathlib import Path

from gatebot.results import load_results
from tests.projects import BENCHMARK, MODEL, WORSE, config_text, runs, set_quality, write_project


def _gate(gatebot, root: Path, *args: str):  # type: ignore[no-untyped-def]
    return gatebot("gate", "--config", str(root / ".gatebot.yml"), *args, cwd=root)


def test_second_gate__nothing_changed__runs_no_benchmark_and_says_reused(tmp_path: Path, gatebot) -> None:
    root = write_project(tmp_path / "p")
    first = _gate(gatebot, root)
    assert first.code == 0, first.stderr
    assert len(runs(root)) == 1
    assert "<sub>Cost: qa for qa-bot: ran in " in first.stdout

    second = _gate(gatebot, root)
    assert second.code == 0, second.stderr
    assert len(runs(root)) == 1
    assert (
        "<sub>Cost: qa for qa-bot: reused from the cache folder gatebot-out/cache (measured in "
        in second.stdout
    )
    assert "qa for qa-bot: reused results from the cache folder gatebot-out/cache" in second.stderr
    assert second.stdout.splitlines()[0] == first.stdout.splitlines()[0]
    assert (root / "gatebot-out" / MODEL / f"{BENCHMARK}.json").exists()


def test_changed_artifact__runs_again__then_reused_for_that_artifact(tmp_path: Path, gatebot) -> None:
    root = write_project(tmp_path / "p")
    assert _gate(gatebot, root).code == 0
    set_quality(root, WORSE)
    worse = _gate(gatebot, root)
    assert worse.code == 1, worse.stderr
    assert len(runs(root)) == 2
    assert "qa for qa-bot: ran in " in worse.stdout
    again = _gate(gatebot, root)
    assert again.code == 1
    assert len(runs(root)) == 2
    assert "reused from the cache folder" in again.stdout


def test_changed_input_or_config__runs_again(tmp_path: Path, gatebot) -> None:
    root = write_project(tmp_path / "p")
    assert _gate(gatebot, root).code == 0
    with (root / "data.jsonl").open("a") as data:
        data.write('{"id": "extra", "difficulty": 0.1, "lang": "en"}\n')
    assert _gate(gatebot, root).code == 0
    assert len(runs(root)) == 2
    (root / ".gatebot.yml").write_text(config_text(extra="    timeout: 120\n"))
    assert _gate(gatebot, root).code == 0
    assert len(runs(root)) == 3


def test_no_reuse_flag_or_reuse_false__runs_every_time(tmp_path: Path, gatebot) -> None:
    root = write_project(tmp_path / "p")
    assert _gate(gatebot, root).code == 0
    assert _gate(gatebot, root, "--no-reuse").code == 0
    assert len(runs(root)) == 2
    (root / ".gatebot.yml").write_text(config_text(extra="    reuse: false\n"))
    assert _gate(gatebot, root).code == 0
    assert len(runs(root)) == 3


def test_benchmark_without_inputs__never_reused_and_log_says_why(tmp_path: Path, gatebot) -> None:
    root = write_project(tmp_path / "p")
    config = root / ".gatebot.yml"
    config.write_text(config.read_text().replace("    inputs: [bench.py, data.jsonl]\n", ""))
    _gate(gatebot, root)
    second = _gate(gatebot, root)
    assert len(runs(root)) == 2
    assert "results are not reused: benchmark qa declares no `inputs`" in second.stderr


def test_fork_scope__cache_of_the_repository_not_used(tmp_path: Path, gatebot) -> None:
    """A job of a fork's pull request looks in its own scope's folder, never in the repository's."""
    root = write_project(tmp_path / "p")
    event = tmp_path / "event.json"
    repo = {"full_name": "octo/gated"}
    fork = {"full_name": "someone/gated"}
    event.write_text(json.dumps({"pull_request": {"head": {"repo": repo}, "base": {"repo": repo}}}))
    same_repo = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "octo/gated",
        "GATEBOT_CACHE_DIR": str(tmp_path / "cache"),
    }
    config = str(root / ".gatebot.yml")
    assert gatebot("run", "--config", config, cwd=root, env=same_repo).code == 0
    assert gatebot("run", "--config", config, cwd=root, env=same_repo).code == 0
    assert len(runs(root)) == 1
    event.write_text(json.dumps({"pull_request": {"head": {"repo": fork}, "base": {"repo": repo}}}))
    from_fork = gatebot("run", "--config", config, cwd=root, env=same_repo)
    assert from_fork.code == 0, from_fork.stderr
    assert len(runs(root)) == 2
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [
        ".gitignore",
        "fork-someone-gated",
        "repository",
    ]


def test_cache_key__same_inputs_same_key__changed_artifact_new_key(tmp_path: Path, gatebot) -> None:
    root = write_project(tmp_path / "p")
    config = str(root / ".gatebot.yml")

    def key() -> dict[str, str]:
        done = gatebot("cache-key", "--config", config, cwd=root)
        assert done.code == 0, done.stderr
        return dict(line.split("=", 1) for line in done.stdout.splitlines())

    first = key()
    assert first["key"].startswith("gatebot-results-1-local-")
    assert first["restore-keys"] == "gatebot-results-1-local-"
    assert first["path"] == str((root / "gatebot-out" / "cache").resolve())
    assert key() == first
    set_quality(root, WORSE)
    assert key()["key"] != first["key"]


def test_three_shards__plan_run_merge__same_results_as_one_run(tmp_path: Path, gatebot) -> None:
    root = write_project(tmp_path / "p", shards=3)
    config = str(root / ".gatebot.yml")
    plan = gatebot("plan", "--config", config, cwd=root)
    assert plan.code == 0, plan.stderr
    include = json.loads(plan.stdout)["include"]
    assert [e["shard"] for e in include] == ["0/3", "1/3", "2/3"]
    assert {(e["model"], e["benchmark"], e["shards"]) for e in include} == {(MODEL, BENCHMARK, 3)}
    for entry in include:
        done = gatebot("run", "--config", config, "--shard", entry["shard"], "--out", "parts", cwd=root)
        assert done.code == 0, done.stderr
    assert runs(root) == [f"{MODEL} {i}/3 env={i}/3" for i in range(3)]
    merged = gatebot("merge", "parts", "--out", "merged", cwd=root)
    assert merged.code == 0, merged.stderr
    assert "qa-bot on qa, 3 shards, 300 examples" in merged.stdout
    results = load_results(root / "merged" / MODEL / f"{BENCHMARK}.json")
    whole = load_results(root / ".gatebot" / "baselines" / MODEL / f"{BENCHMARK}.json")
    assert results.metrics["accuracy"] == whole.metrics["accuracy"]
    assert results.examples is not None and sorted(results.examples.ids) == sorted(whole.examples.ids)
    assert results.provenance["shards"] == 3
    gated = _gate(gatebot, root, "--results-dir", "parts")
    assert gated.code == 0, gated.stderr
    assert "<sub>Cost: qa for qa-bot: ran in 3 shards, " in gated.stdout
    assert len(runs(root)) == 3


def test_merge__missing_shard__one_line_naming_it(tmp_path: Path, gatebot) -> None:
    root = write_project(tmp_path / "p", shards=3)
    config = str(root / ".gatebot.yml")
    for shard in ("0/3", "2/3"):
        assert gatebot("run", "--config", config, "--shard", shard, "--out", "parts", cwd=root).code == 0
    merged = gatebot("merge", "parts", cwd=root)
    assert merged.code == 2
    (line,) = merged.stderr.strip().splitlines()
    assert line.startswith("gatebot: error: qa-bot/qa: shard 1/3 is missing (have 0/3, 2/3)")


def test_merge__shards_of_different_models__refused_naming_the_digest(tmp_path: Path, gatebot) -> None:
    root = write_project(tmp_path / "p", shards=2)
    config = str(root / ".gatebot.yml")
    assert gatebot("run", "--config", config, "--shard", "0/2", "--out", "parts", cwd=root).code == 0
    set_quality(root, WORSE)
    assert gatebot("run", "--config", config, "--shard", "1/2", "--out", "parts", cwd=root).code == 0
    merged = gatebot("merge", "parts", cwd=root)
    assert merged.code == 2
    assert "qa-bot/qa: shard 1/2 has model_digest sha256:" in merged.stderr
    assert len(merged.stderr.strip().splitlines()) == 1


def test_run_shard__count_differs_from_config__config_error(tmp_path: Path, gatebot) -> None:
    root = write_project(tmp_path / "p", shards=3)
    done = gatebot("run", "--config", str(root / ".gatebot.yml"), "--shard", "0/4", cwd=root)
    assert done.code == 2
    assert "--shard 0/4: benchmark qa has shards: 3" in done.stderr
    bad = gatebot("run", "--config", str(root / ".gatebot.yml"), "--shard", "3/3", cwd=root)
    assert bad.code == 2 and "the index of a shard runs from 0 to COUNT-1" in bad.stderr


def test_plan__changed_files__only_the_models_they_touch(tmp_path: Path, gatebot) -> None:
    root = write_project(tmp_path / "p", shards=2)
    config = str(root / ".gatebot.yml")
    (root / "changed.txt").write_text("README.md\n")
    none = gatebot("plan", "--config", config, "--changed-files", "changed.txt", cwd=root)
    assert none.stdout == '{"include":[]}\n'
    (root / "changed.txt").write_text(f"models/{MODEL}.txt\n")
    some = gatebot("plan", "--config", config, "--changed-files", "changed.txt", cwd=root)
    assert [e["shard"] for e in json.loads(some.stdout)["include"]] == ["0/2", "1/2"]
