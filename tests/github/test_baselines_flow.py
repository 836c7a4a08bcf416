"""Baselines on the branch, end to end through `gatebot action`: record on push, pick the right one on a
pull request, benchmark the base commit when there is none, and fail loudly on corrupt data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from gatebot.baselines import BaselineStore
from gatebot.commands import report_part
from gatebot.results import load_results
from tests.fakegithub import events as payloads
from tests.github.harness import DEMO, REPO, SYMLINK_MODE, ActionHarness, checks, commit_entry, opened
from tests.projects import git

BRANCH = "gatebot-baselines"


SEED_TOKEN = "ghs_seedbaselines000000000000000000000"


def _store(action: ActionHarness) -> BaselineStore:
    """The store as an earlier push's job wrote it (a token that may write contents)."""
    action.fake.add_token(SEED_TOKEN, {"contents": "write"})
    return BaselineStore(action.fake.client(SEED_TOKEN), REPO, branch=BRANCH, sleep=lambda _s: None)


def _push(sha: str, files: list[str]) -> dict:
    """The real push example, made a push of one commit to master touching `files`."""
    event = payloads.load("push.with-new-branch")
    event["after"] = sha
    event["head_commit"]["id"] = sha
    event["commits"][0].update(id=sha, added=[], removed=[], modified=files)
    return event


def _demo_baseline():  # type: ignore[no-untyped-def]
    return load_results(DEMO / ".gatebot" / "baselines" / "ticket-router" / "tickets.json")


def test_push_to_default_branch__records_a_baseline_for_that_commit(action: ActionHarness) -> None:
    action.fake.add_token("ghs_push", {"contents": "write", "checks": "write", "pull-requests": "write"})
    sha = action.repo.commit({"models/ticket-router.npz": b"weights"})
    run = action.run("push", _push(sha, ["models/ticket-router.npz"]), "action", token="ghs_push")
    assert run.code == 0, run.stdout + run.stderr
    (entry,) = _store(action).history("ticket-router", "tickets")
    assert entry.commit == sha
    assert entry.metrics["accuracy"] > 0.8
    assert "baselines recorded" in run.summary


def test_push_touching_no_model__records_nothing(action: ActionHarness) -> None:
    sha = action.repo.commit({"README.md": "docs"})
    run = action.run("push", _push(sha, ["README.md"]), "action")
    assert run.code == 0
    assert _store(action).history("ticket-router", "tickets") == []


def test_pull_request__uses_the_newest_baseline_on_an_ancestor_of_its_base(action: ActionHarness) -> None:
    c1 = action.repo.commit({"a": "1"}, branch="master")
    c2 = action.repo.commit({"a": "2"}, branch="master")
    side = action.repo.commit({"b": "1"}, branch="experiment", parents=[c1])
    store = _store(action)
    baseline = _demo_baseline()
    store.record(baseline, commit=c1, recorded_at="2026-11-01T00:00:00Z")
    store.record(baseline, commit=side, recorded_at="2026-11-02T00:00:00Z")
    event = opened()
    event["pull_request"]["base"]["sha"] = c2
    action.pull_request(event, ["models/ticket-router.npz"])
    # The committed file would give the same numbers: remove it, so only the branch can answer.
    shutil.rmtree(action.workspace / ".gatebot")
    run = action.gate("pull_request", event)
    assert run.code == 1, run.stdout + run.stderr
    body = report_part(action.repo.comments_on(2)[0].body) or ""
    assert f"commit {c1[:7]}, recorded 2026-11-01T00:00:00Z on the {BRANCH} branch" in body
    assert side[:7] not in body


def test_trend__recorded_baselines_drawn_in_the_comment(action: ActionHarness) -> None:
    store = _store(action)
    baseline = _demo_baseline()
    event = opened()
    commits = [action.repo.commit({"a": str(i)}, branch="master") for i in range(3)]
    for i, sha in enumerate(commits):
        store.record(baseline, commit=sha, recorded_at=f"2026-11-0{i + 1}T00:00:00Z")
    event["pull_request"]["base"]["sha"] = commits[-1]
    action.pull_request(event, ["models/ticket-router.npz"])
    assert action.gate("pull_request", event).code == 1
    body = action.repo.comments_on(2)[0].body
    assert "```mermaid\n" in body and "\nxychart-beta\n" in body
    # The chart is of what the verdict is about: the slice that regressed, not the average that rose.
    assert 'title "accuracy on language=es (%): recorded baselines' in body
    assert '"plotColorPalette": "#cf222e"' in body
    assert all(f'"{sha[:7]}"' in body for sha in commits)
    assert '"this run"' in body
    (line,) = [x for x in body.splitlines() if x.startswith("    line [")]
    *recorded, candidate = (float(v) for v in line.removeprefix("    line [").rstrip("]").split(", "))
    assert recorded == [92.38] * 3 and candidate == 65.71  # language=es: 92.4% recorded, 65.7% now


def test_pull_request_with_trend__reads_the_branch_and_the_history_once(action: ActionHarness) -> None:
    store = _store(action)
    baseline = _demo_baseline()
    commits = [action.repo.commit({"a": str(i)}, branch="master") for i in range(3)]
    for i, sha in enumerate(commits):
        store.record(baseline, commit=sha, recorded_at=f"2026-11-0{i + 1}T00:00:00Z")
    event = opened()
    event["pull_request"]["base"]["sha"] = commits[-1]
    action.pull_request(event, ["models/ticket-router.npz"])
    action.fake.log.clear()
    run = action.gate("pull_request", event)
    assert run.code == 1, run.stdout + run.stderr
    assert "```mermaid" in action.repo.comments_on(2)[0].body  # the trend was drawn
    log = action.fake.log
    assert log.count("GET", f"/repos/{REPO}/git/ref/heads/{BRANCH}") == 1
    blobs = [entry.path for entry in log.find("GET", f"/repos/{REPO}/git/blobs/*")]
    assert len(blobs) == len(set(blobs)) == 2  # the history, then the entry it names


CHANGED_BASELINE = ".gatebot/baselines/ticket-router/tickets.json"
CHANGED_WARNING = "this pull request changes stored baselines: the comparison uses the changed files"


def test_pull_request_changing_the_baseline_file__branch_record_used__no_warning(
    action: ActionHarness,
) -> None:
    base = action.repo.commit({"a": "1"}, branch="master")
    _store(action).record(_demo_baseline(), commit=base, recorded_at="2026-11-01T00:00:00Z")
    event = opened()
    event["pull_request"]["base"]["sha"] = base
    action.pull_request(event, ["models/ticket-router.npz", CHANGED_BASELINE])
    run = action.gate("pull_request", event)
    assert run.code == 1, run.stdout + run.stderr
    assert f"on the {BRANCH} branch" in action.repo.comments_on(2)[0].body
    assert "changes stored baselines" not in run.stdout + run.stderr


def test_pull_request_changing_the_baseline_file__not_compared_with__warns_naming_it(
    action: ActionHarness,
) -> None:
    # The checkout has no history here, so the base commit's version of the file cannot be read: the
    # changed file is still never what the pull request is compared with.
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz", CHANGED_BASELINE])
    run = action.gate("pull_request", event)
    assert run.code != 0  # without its own baseline file, nothing says this pull request passes
    bodies = [c.body for c in action.repo.comments_on(2)]
    assert not any(f"Compared with the baseline of {CHANGED_BASELINE}" in body for body in bodies)
    (line,) = [x for x in run.stdout.splitlines() if "changes a stored baseline" in x]
    assert line.startswith("::warning") and CHANGED_BASELINE in line and "not used until merged" in line


def test_corrupt_history_on_the_branch__one_line_error_and_failing_check(action: ActionHarness) -> None:
    store = _store(action)
    sha = action.repo.commit({"a": "1"}, branch="master")
    store.record(_demo_baseline(), commit=sha, recorded_at="2026-11-01T00:00:00Z")
    action.repo.commit({"baselines/ticket-router/tickets/history.jsonl": "{not json\n"}, branch=BRANCH)
    event = opened()
    event["pull_request"]["base"]["sha"] = sha
    action.pull_request(event, ["models/ticket-router.npz"])
    run = action.gate("pull_request", event)
    assert run.code == 2
    errors = [line for line in run.stdout.splitlines() if line.startswith("::error")]
    assert len(errors) == 1 and "baselines/ticket-router/tickets/history.jsonl" in errors[0]
    assert [(c.conclusion, c.title) for c in checks(action.repo)] == [("failure", "gatebot could not run")]


def test_model_directory_turned_into_a_symlink__gate_and_record_fail_loudly__branch_kept(
    action: ActionHarness,
) -> None:
    store = _store(action)
    sha = action.repo.commit({"a": "1"}, branch="master")
    store.record(_demo_baseline(), commit=sha, recorded_at="2026-11-01T00:00:00Z")
    commit_entry(action.repo, BRANCH, "baselines/ticket-router", SYMLINK_MODE, "../elsewhere")
    tip = action.repo.branch(BRANCH)
    event = opened()
    event["pull_request"]["base"]["sha"] = sha
    action.pull_request(event, ["models/ticket-router.npz"])

    gated = action.gate("pull_request", event)
    assert gated.code == 2, gated.stdout + gated.stderr
    (error,) = [line for line in gated.stdout.splitlines() if line.startswith("::error")]
    assert "gatebot-baselines:baselines/ticket-router: is a symbolic link where" in error
    assert [(c.conclusion, c.title) for c in checks(action.repo)] == [("failure", "gatebot could not run")]

    action.fake.add_token("ghs_push", {"contents": "write"})
    pushed = action.repo.commit({"models/ticket-router.npz": b"weights"})
    recorded = action.run("push", _push(pushed, ["models/ticket-router.npz"]), "action", token="ghs_push")
    assert recorded.code == 2, recorded.stdout + recorded.stderr
    assert "gatebot-baselines:baselines/ticket-router: is a symbolic link where" in recorded.stdout
    assert action.repo.branch(BRANCH) == tip


def test_no_baseline_anywhere__benchmarks_the_base_commit_and_says_so(action: ActionHarness) -> None:
    workspace = action.workspace
    shutil.rmtree(workspace / ".gatebot")
    fine_tuned = (workspace / "models" / "ticket-router.npz").read_bytes()
    shutil.copy(workspace / "models" / "base.npz", workspace / "models" / "ticket-router.npz")
    git(workspace, "init", "-q", "-b", "master")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-qm", "base model")
    base = git(workspace, "rev-parse", "HEAD")
    (workspace / "models" / "ticket-router.npz").write_bytes(fine_tuned)
    git(workspace, "commit", "-qam", "fine-tune")
    event = opened()
    event["pull_request"]["base"]["sha"] = base
    action.pull_request(event, ["models/ticket-router.npz"])
    run = action.gate("pull_request", event)
    assert run.code == 1, run.stdout + run.stderr
    body = action.repo.comments_on(2)[0].body
    assert f"the base commit {base[:7]}, benchmarked in this run (no baseline was recorded)" in body
    assert "**accuracy** on language=es" in body
    assert git(workspace, "worktree", "list").count("\n") == 0  # the base worktree is gone


def test_no_baseline_and_policy_fail__exit_2_no_baseline(action: ActionHarness) -> None:
    shutil.rmtree(action.workspace / ".gatebot")
    config = action.workspace / ".gatebot.yml"
    config.write_text(config.read_text().replace("gate:\n", "gate:\n  missing_baseline: fail\n"))
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    run = action.gate("pull_request", event)
    assert run.code == 2
    assert "no baseline" in json.dumps(json.loads(Path(run.outputs["verdict"]).read_text()))
    assert [c.conclusion for c in checks(action.repo)] == ["failure"]


def test_mode_record__every_model_recorded_at_the_workflow_commit(action: ActionHarness) -> None:
    action.fake.add_token("ghs_record", {"contents": "write"})
    event = payloads.load("workflow_dispatch")
    run = action.run("workflow_dispatch", event, "action", "--record", token="ghs_record")
    assert run.code == 0, run.stdout + run.stderr
    (entry,) = _store(action).history("ticket-router", "tickets")
    assert entry.commit == "0" * 40  # GITHUB_SHA of the harness's job


def test_mode_record__pull_request_target__refused_with_the_reason_and_nothing_written(
    action: ActionHarness,
) -> None:
    # pull_request_target runs on the base branch with a write token: the fork's code must not record.
    action.fake.add_token("ghs_record", {"contents": "write", "checks": "write"})
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    _, env = action.environ("pull_request_target", event, token="ghs_record")
    env["GITHUB_REF"] = "refs/heads/master"
    done = subprocess.run(
        [sys.executable, "-m", "gatebot", "action", "--record"],
        cwd=action.workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    (error,) = [line for line in done.stdout.splitlines() if line.startswith("::error")]
    assert "mode record writes the baselines branch, so it runs only on a push to or a workflow_dispatch" in (
        error
    )
    assert "not on pull_request_target" in error
    assert "Traceback" not in done.stderr
    assert action.repo.branch(BRANCH) is None
    assert [e for e in action.fake.log.entries if e.method != "GET"] == []


def test_mode_record__workflow_dispatch_of_another_branch__refused(action: ActionHarness) -> None:
    action.fake.add_token("ghs_record", {"contents": "write"})
    event = payloads.load("workflow_dispatch")
    event["ref"] = "refs/heads/feature"
    run = action.run("workflow_dispatch", event, "action", "--record", token="ghs_record")
    assert run.code == 2
    assert "not on workflow_dispatch on refs/heads/feature" in run.stdout
    assert action.repo.branch(BRANCH) is None


def test_cli_baseline_save_to_branch__recorded_by_hand(action: ActionHarness, tmp_path: Path) -> None:
    action.fake.add_token("ghs_byhand", {"contents": "write"})
    sha = action.repo.commit({"a": "1"}, branch="master")
    baseline = DEMO / ".gatebot" / "baselines" / "ticket-router" / "tickets.json"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GATEBOT_"))},
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": action.fake.url,
        "GATEBOT_TOKEN": "ghs_byhand",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gatebot",
            "baseline",
            "save",
            str(baseline),
            "--to-branch",
            "--commit",
            sha,
            "--config",
            str(action.workspace / ".gatebot.yml"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"recorded for {sha[:12]} on {BRANCH}" in done.stdout
    assert [e.commit for e in _store(action).history("ticket-router", "tickets")] == [sha]


def test_pull_request_loosens_its_own_gate__judged_by_the_base_settings__change_shown_first(
    action: ActionHarness,
) -> None:
    workspace = action.workspace
    git(workspace, "init", "-q", "-b", "master")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-qm", "base")
    base = git(workspace, "rev-parse", "HEAD")
    config = workspace / ".gatebot.yml"
    loosened = config.read_text().replace("min_effect: 0.01", "min_effect: 0.5")
    assert loosened != config.read_text()
    config.write_text(loosened)
    git(workspace, "commit", "-qam", "a generous threshold")
    event = opened()
    event["pull_request"]["base"]["sha"] = base
    action.pull_request(event, ["models/ticket-router.npz", ".gatebot.yml"])
    run = action.gate("pull_request", event)
    assert run.code == 1, run.stdout + run.stderr
    assert "changes the gate's settings, in force once merged: metrics.accuracy.min_effect" in run.stdout
    body = report_part(action.repo.comments_on(2)[0].body) or ""
    first_lines = "\n".join(body.splitlines()[:8])
    assert "changes the gate's own settings" in first_lines
    assert "metrics.accuracy.min_effect: 0.01 -&gt; 0.5" in first_lines
    assert "**accuracy** on language=es" in body
    assert [c.conclusion for c in checks(action.repo)] == ["failure"]


def test_pull_request_rewrites_its_committed_baseline__compared_with_the_base_commits(
    action: ActionHarness,
) -> None:
    workspace = action.workspace
    git(workspace, "init", "-q", "-b", "master")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-qm", "base")
    base = git(workspace, "rev-parse", "HEAD")
    stored = workspace / ".gatebot" / "baselines" / "ticket-router" / "tickets.json"
    document = json.loads(stored.read_text())
    for example in document["examples"]:
        example["scores"] = {name: 0 for name in example.get("scores", {})}
    stored.write_text(json.dumps(document))  # a baseline nobody could fail against
    git(workspace, "commit", "-qam", "a convenient baseline")
    event = opened()
    event["pull_request"]["base"]["sha"] = base
    changed = ".gatebot/baselines/ticket-router/tickets.json"
    action.pull_request(event, ["models/ticket-router.npz", changed])
    run = action.gate("pull_request", event)
    assert run.code == 1, run.stdout + run.stderr
    body = report_part(action.repo.comments_on(2)[0].body) or ""
    assert "**accuracy** on language=es" in body
    assert f"{changed}: changed by this pull request; compared with {changed} at the base commit" in body
