"""A maintainer's `/gatebot run` on a fork's pull request, as action.yml's three steps run it against the
fake GitHub: the base branch's benchmark runs with the secret on the fork's model file, fetched through
the API as data; everything else a fork may change is refused, and no secret is left anywhere.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from gatebot.bundle import read_bundle
from gatebot.commands import decode_state
from tests.fakegithub import events as payloads
from tests.github.harness import REPO, ActionHarness, Stages, checks, fork_run_completed, synchronize
from tests.projects import git

SECRET = "sk-judge-7f3a9c1e2b4d6f8a0c2e4a6b8d0f1a3c"
SECRETS = {"GATEBOT_SECRETS": f"JUDGE_KEY={SECRET}"}
FORK_READ = "ghs_forkreadonly0000000000000000000000"
# A careless benchmark: it prints its key (gatebot redacts it) and fails without the right one.
KEY_CHECK = """\
import hashlib, os, sys
if "GATEBOT_SECRETS" in os.environ:
    sys.exit("the action's secrets input, every benchmark's secrets at once, reached this one")
key = os.environ.get("JUDGE_KEY", "")
print("judge key in use:", key, flush=True)
if hashlib.sha256(key.encode()).hexdigest() != sys.argv[1]:
    sys.exit("JUDGE_KEY is missing or wrong: " + key)
"""


def _harness(action: ActionHarness, *, artifacts: str | None = None) -> bytes:
    """The base branch's checkout: the demo whose benchmark needs the secret JUDGE_KEY, with the base
    model as ticket-router. Returns the fine-tune's bytes, which the fork's pull request brings."""
    workspace = action.workspace
    (workspace / "check_key.py").write_text(KEY_CHECK)
    digest = hashlib.sha256(SECRET.encode()).hexdigest()
    config = workspace / ".gatebot.yml"
    text = config.read_text().replace(
        'run: "{python} bench.py', 'run: "{python} check_key.py ' + digest + " && {python} bench.py"
    )
    text = text.replace("    timeout: 300\n", "    timeout: 300\n    secrets: [JUDGE_KEY]\n")
    if artifacts is not None:
        text = text.replace('artifacts: ["models/ticket-router.npz"]', f"artifacts: {artifacts}")
    config.write_text(text)
    fine_tune = (workspace / "models" / "ticket-router.npz").read_bytes()
    shutil.copy(workspace / "models" / "base.npz", workspace / "models" / "ticket-router.npz")
    return fine_tune


def _fork_pull_request(
    action: ActionHarness, files: dict[str, bytes | str], *, base_sha: str | None = None
) -> dict[str, Any]:
    """A fork's pull request whose head commit holds `files` on top of its base (`base_sha`: that
    commit, say the checkout's own)."""
    event = payloads.pull_request_from_fork()
    pull = event["pull_request"]
    if base_sha is not None:
        pull["base"]["sha"] = base_sha
    action.repo.commit({"README.md": "the base\n"}, branch=None, sha=pull["base"]["sha"])
    action.repo.commit(dict(files), branch=None, parents=[pull["base"]["sha"]], sha=pull["head"]["sha"])
    action.pull_request(event, list(files))
    return event


def _command(
    action: ActionHarness, body: str, user: str, *, secrets: dict[str, str] | None = SECRETS, **kwargs: Any
) -> Stages:
    """The command workflow's three steps for `body` commented by `user`; `secrets` reach evaluate only."""
    comment = action.repo.add_issue_comment(2, body, user=user)
    event = payloads.issue_comment_on_pull_request(body=body, user=user, comment_id=comment.id)
    return action.stages("issue_comment", event, evaluate_only=secrets, **kwargs)


def _sticky(action: ActionHarness) -> Any:
    return next(c for c in action.repo.comments_on(2) if "gatebot:sticky" in c.body)


def _replies(action: ActionHarness) -> list[str]:
    return [c.body for c in action.repo.comments_on(2) if c.user.login == "github-actions[bot]"]


def _assert_no_secret(action: ActionHarness, *runs: Stages) -> None:
    """Not in any file the runs left (workspace, job folders, outputs), not in their logs, not in any
    request or answer of the fake GitHub."""
    needle = SECRET.encode()
    for path in action.tmp.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert needle not in path.read_bytes(), path
    for staged in runs:
        for run in (staged.plan, staged.evaluate, staged.publish):
            if run is not None:
                assert SECRET not in run.stdout + run.stderr + run.summary + json.dumps(run.outputs)
    for entry in action.fake.log:
        assert SECRET not in json.dumps([entry.path, entry.query, entry.body, entry.response], default=str)


def test_maintainer_run__base_benchmark_with_secret_on_fork_model__comment_and_check_on_head(
    action: ActionHarness,
) -> None:
    fine_tune = _harness(action)
    event = _fork_pull_request(action, {"models/ticket-router.npz": fine_tune})
    head = event["pull_request"]["head"]["sha"]
    action.repo.set_permission("maintainer-mia", "maintain")

    staged = _command(action, "/gatebot run", "maintainer-mia")

    assert staged.publish is not None, staged.last.stdout + staged.last.stderr
    assert (staged.plan.code, staged.evaluate and staged.evaluate.code) == (0, 0)
    assert staged.publish.code == 1  # the fine-tune regresses on Spanish tickets: the gate fails
    check = checks(action.repo)[-1]
    assert (check.head_sha, check.conclusion) == (head, "failure")
    body = _sticky(action).body
    assert "maintainer-mia approved with `/gatebot run`" in body
    assert f"commit {head[:7]}" in body
    assert "a new `/gatebot run` is needed" in body
    assert "language=es" in body  # the fork's model was evaluated, not the base's
    assert "maintainer-mia approved" in check.summary
    state = decode_state(body)
    assert state is not None and state.approval is not None
    assert (state.approval.by, state.approval.head_sha, state.run_id) == ("maintainer-mia", head, None)
    assert "ticket-router" in staged.publish.summary
    assert "judge key in use: ***" in staged.evaluate.stderr  # the benchmark ran with it; redacted
    # The base branch's checkout is the harness: only the artifact was placed in it.
    assert (action.workspace / "models" / "ticket-router.npz").read_bytes() == fine_tune
    _assert_no_secret(action, staged)


# A benchmark that writes its key into the results it leaves (gatebot redacts the file).
WRITE_KEY = """\
import json, os, sys
with open(sys.argv[1]) as f:
    results = json.load(f)
results.setdefault("provenance", {})["judge"] = os.environ["JUDGE_KEY"]
with open(sys.argv[1], "w") as f:
    json.dump(results, f)
"""


def test_no_baseline_anywhere__maintainer_run_benchmarks_the_checkouts_commit_with_the_secret__and_says_so(
    action: ActionHarness,
) -> None:
    fine_tune = _harness(action)
    workspace = action.workspace
    shutil.rmtree(workspace / ".gatebot")  # no baseline file, and no baselines branch either
    (workspace / "write_key.py").write_text(WRITE_KEY)
    config = workspace / ".gatebot.yml"
    config.write_text(
        config.read_text().replace("--output {output}", "--output {output} && {python} write_key.py {output}")
    )
    # The pull request's base is an older commit of the default branch, whose model was the fine-tune
    # itself; the default branch has gone back to the base model since. The harness is the checkout as
    # it is now, so that is what the fork's model must be compared with.
    models = workspace / "models"
    (models / "ticket-router.npz").write_bytes(fine_tune)
    git(workspace, "init", "-q", "-b", "main")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-qm", "the fine-tune, when the fork branched off")
    old_base = git(workspace, "rev-parse", "HEAD")
    shutil.copy(models / "base.npz", models / "ticket-router.npz")
    git(workspace, "commit", "-qam", "back to the base model")
    harness = git(workspace, "rev-parse", "HEAD")
    _fork_pull_request(action, {"models/ticket-router.npz": fine_tune}, base_sha=old_base)
    action.repo.set_permission("maintainer-mia", "maintain")

    staged = _command(action, "/gatebot run", "maintainer-mia")

    assert staged.publish is not None, staged.last.stdout + staged.last.stderr
    assert staged.evaluate is not None and staged.evaluate.code == 0, staged.evaluate
    assert staged.publish.code == 1  # compared with the base model, the fine-tune regresses on Spanish
    body = _sticky(action).body
    assert (
        f"the default branch's commit {harness[:7]} (this run's harness), benchmarked in this run "
        "(no baseline was recorded)"
    ) in body
    assert "No baseline is stored" not in body
    assert "language=es" in body
    assert checks(action.repo)[-1].conclusion == "failure"
    # Both runs had the key: the fork's model in the checkout, the harness commit's in a worktree.
    assert staged.evaluate.stderr.count("judge key in use: ***") == 2
    base_results = list((staged.job / "gatebot-out" / "base").rglob("*.json"))
    assert base_results and all(
        json.loads(p.read_text())["provenance"]["judge"] == "***" for p in base_results
    )
    assert git(workspace, "worktree", "list").count("\n") == 0  # the worktree is gone
    assert (models / "ticket-router.npz").read_bytes() == fine_tune
    _assert_no_secret(action, staged)


def test_maintainer_run__secret_of_several_lines__benchmark_gets_it_whole__no_line_left_anywhere(
    action: ActionHarness,
) -> None:
    key = "\n".join(
        [
            "-----BEGIN KEY-----",
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
            "bm90LWEtcmVhbC1rZXktYnV0",
            "-----END KEY-----",
        ]
    )
    fine_tune = _harness(action)
    with (action.workspace / "check_key.py").open("a") as script:
        script.write('print("one line of it:", key.splitlines()[1], flush=True)\n')
    config = action.workspace / ".gatebot.yml"
    digest = hashlib.sha256(key.encode()).hexdigest()
    config.write_text(config.read_text().replace(hashlib.sha256(SECRET.encode()).hexdigest(), digest))
    _fork_pull_request(action, {"models/ticket-router.npz": fine_tune})
    action.repo.set_permission("maintainer-mia", "maintain")

    staged = _command(
        action, "/gatebot run", "maintainer-mia", secrets={"GATEBOT_SECRETS": f"JUDGE_KEY<<EOF\n{key}\nEOF\n"}
    )

    assert staged.evaluate is not None and staged.evaluate.code == 0, staged.last.stderr
    assert staged.publish is not None and staged.publish.code == 1
    assert "judge key in use: ***" in staged.evaluate.stderr
    assert "one line of it: ***" in staged.evaluate.stderr
    for line in key.splitlines():
        for entry in action.fake.log:
            assert line not in json.dumps([entry.path, entry.body, entry.response], default=str)
        for path in action.tmp.rglob("*"):
            if path.is_file() and not path.is_symlink():
                assert line.encode() not in path.read_bytes(), path
        assert line not in staged.evaluate.stdout + staged.evaluate.stderr + staged.publish.summary


def test_read_only_user_run__nothing_planned_nothing_published(action: ActionHarness) -> None:
    fine_tune = _harness(action)
    _fork_pull_request(action, {"models/ticket-router.npz": fine_tune})
    action.repo.set_permission("reader-rick", "read")

    staged = _command(action, "/gatebot run", "reader-rick")

    assert staged.evaluate is None and staged.plan.code == 0
    assert checks(action.repo) == []
    (reply,) = _replies(action)
    assert "only people with write access" in reply
    assert (action.workspace / "models" / "ticket-router.npz").read_bytes() != fine_tune


def test_pull_request_into_another_branch__refused__the_harness_is_the_default_branch(
    action: ActionHarness,
) -> None:
    fine_tune = _harness(action)
    event = payloads.pull_request_from_fork()
    event["pull_request"]["base"]["ref"] = "release/1.x"
    pull = event["pull_request"]
    action.repo.commit({"README.md": "the release\n"}, branch=None, sha=pull["base"]["sha"])
    action.repo.commit(
        {"models/ticket-router.npz": fine_tune},
        branch=None,
        parents=[pull["base"]["sha"]],
        sha=pull["head"]["sha"],
    )
    action.pull_request(event, ["models/ticket-router.npz"])
    action.repo.set_permission("maintainer-mia", "maintain")

    staged = _command(action, "/gatebot run", "maintainer-mia")

    assert staged.evaluate is None and staged.plan.code == 0
    assert checks(action.repo) == []
    (reply,) = _replies(action)
    assert (
        "is into release/1.x, and `/gatebot run` evaluates with the harness of the default branch (master)"
        in reply
    )
    assert (action.workspace / "models" / "ticket-router.npz").read_bytes() != fine_tune


def test_fork_also_changes_the_benchmark__refused_naming_the_file(action: ActionHarness) -> None:
    fine_tune = _harness(action)
    _fork_pull_request(
        action, {"models/ticket-router.npz": fine_tune, "bench.py": "import os; print(os.environ)\n"}
    )
    action.repo.set_permission("maintainer-mia", "maintain")

    staged = _command(action, "/gatebot run", "maintainer-mia")

    assert staged.evaluate is None and staged.plan.code == 0
    assert checks(action.repo) == []
    (reply,) = _replies(action)
    assert "bench.py" in reply and "outside the models' `artifacts`" in reply
    assert "models/ticket-router.npz" not in reply.split("artifacts`")[-1].split(".")[0]
    assert not (Path(staged.job) / "handoff" / "fork").exists() or not any(
        (Path(staged.job) / "handoff" / "fork").rglob("*")
    )


def test_fork_pickle_artifact__refused_with_the_reason(action: ActionHarness) -> None:
    _harness(action, artifacts='["models/ticket-router.*"]')
    _fork_pull_request(action, {"models/ticket-router.pt": b"\x80\x04pickled"})
    action.repo.set_permission("maintainer-mia", "maintain")

    staged = _command(action, "/gatebot run", "maintainer-mia")

    assert staged.evaluate is None
    (reply,) = _replies(action)
    assert "models/ticket-router.pt: pickle-based weights run code when loaded" in reply
    assert "safetensors" in reply
    assert checks(action.repo) == []


def test_fork_gate_without_approval__says_it_needs_a_maintainer_run__check_does_not_pass(
    action: ActionHarness,
) -> None:
    fine_tune = _harness(action)
    event = _fork_pull_request(action, {"models/ticket-router.npz": fine_tune})
    action.fake.add_token(FORK_READ, {"contents": "read", "pull-requests": "read", "actions": "read"})

    gated = action.stages("pull_request", event, token=FORK_READ)

    assert gated.evaluate is None and gated.plan.code == 0, gated.plan.stdout + gated.plan.stderr
    # First but for the warning that the test's checkout has no history (a real one has)
    assert "needs a maintainer's `/gatebot run`" in "".join(gated.plan.stdout.splitlines()[:2])
    bundle = read_bundle(Path(gated.plan.outputs["bundle"]))
    assert bundle.needs_approval == ("tickets",)
    published = _publish(action, event, gated)
    assert published.code == 0, published.stdout + published.stderr
    check = checks(action.repo)[-1]
    assert (check.conclusion, check.title) == ("action_required", "Needs a maintainer's /gatebot run")
    assert _sticky(action).body.splitlines()[1].startswith("### ⏸️ gatebot: this evaluation needs")


def _publish(action: ActionHarness, event: dict[str, Any], gated: Stages) -> Any:
    publish_event = fork_run_completed(event)
    publish_event["repository"]["full_name"] = REPO
    return action.run("workflow_run", publish_event, "publish", gated.plan.outputs["bundle"])


def test_push_after_approval__lapses__comment_says_a_new_run_is_needed(action: ActionHarness) -> None:
    fine_tune = _harness(action)
    event = _fork_pull_request(action, {"models/ticket-router.npz": fine_tune})
    action.repo.set_permission("maintainer-mia", "maintain")
    approved = _command(action, "/gatebot run", "maintainer-mia")
    assert approved.publish is not None
    old_head = event["pull_request"]["head"]["sha"]

    new_head = action.repo.commit(
        {"models/ticket-router.npz": fine_tune + b"\0"}, branch=None, parents=[old_head]
    )
    action.repo.pulls[2].head_sha = new_head
    action.repo.refs["refs/pull/2/head"] = new_head
    pushed = synchronize(event, new_head)
    action.fake.add_token(FORK_READ, {"contents": "read", "pull-requests": "read", "actions": "read"})
    gated = action.stages("pull_request", pushed, token=FORK_READ)
    assert _publish(action, pushed, gated).code == 0

    body = _sticky(action).body
    assert f"maintainer-mia for commit {old_head[:7]} no longer applies" in body
    assert "a new `/gatebot run` is needed" in body
    check = checks(action.repo)[-1]
    assert (check.head_sha, check.conclusion) == (new_head, "action_required")


def test_secret_not_passed__the_approved_commit_gets_a_failing_check_naming_it(action: ActionHarness) -> None:
    fine_tune = _harness(action)
    event = _fork_pull_request(action, {"models/ticket-router.npz": fine_tune})
    action.repo.set_permission("maintainer-mia", "maintain")

    staged = _command(action, "/gatebot run", "maintainer-mia", secrets=None)

    assert staged.publish is not None and staged.publish.code == 2
    check = checks(action.repo)[-1]
    assert (check.head_sha, check.conclusion) == (event["pull_request"]["head"]["sha"], "failure")
    assert "needs the secret JUDGE_KEY" in check.summary


def test_run_in_one_process__refused__the_secrets_need_the_separate_steps(action: ActionHarness) -> None:
    fine_tune = _harness(action)
    _fork_pull_request(action, {"models/ticket-router.npz": fine_tune})
    action.repo.set_permission("maintainer-mia", "maintain")
    comment = action.repo.add_issue_comment(2, "/gatebot run", user="maintainer-mia")
    command = payloads.issue_comment_on_pull_request(
        body="/gatebot run", user="maintainer-mia", comment_id=comment.id
    )

    run = action.run("issue_comment", command, "action")

    assert run.code == 0 and checks(action.repo) == []
    assert "separate steps" in _replies(action)[-1]


def test_push_during_the_run__approved_commit_checked__reply_says_a_new_run_is_needed(
    action: ActionHarness,
) -> None:
    fine_tune = _harness(action)
    event = _fork_pull_request(action, {"models/ticket-router.npz": fine_tune})
    head = event["pull_request"]["head"]["sha"]
    action.repo.set_permission("maintainer-mia", "maintain")

    def push() -> None:
        new_head = action.repo.commit({"models/ticket-router.npz": b"other"}, branch=None, parents=[head])
        action.repo.pulls[2].head_sha = new_head
        action.repo.refs["refs/pull/2/head"] = new_head

    staged = _command(action, "/gatebot run", "maintainer-mia", after_plan=push)

    assert staged.publish is not None
    assert [c.head_sha for c in checks(action.repo)] == [head]  # the commit approved, never the new one
    assert (action.workspace / "models" / "ticket-router.npz").read_bytes() == fine_tune
    lapsed = _replies(action)[-1]
    assert f"but the pull request has moved on to {action.repo.pulls[2].head_sha[:7]}" in lapsed
    assert "a new `/gatebot run` is needed" in lapsed


def test_fork_gate_rerun_after_the_approved_run__keeps_its_report_and_check(action: ActionHarness) -> None:
    fine_tune = _harness(action)
    event = _fork_pull_request(action, {"models/ticket-router.npz": fine_tune})
    action.repo.set_permission("maintainer-mia", "maintain")
    assert _command(action, "/gatebot run", "maintainer-mia").publish is not None
    body = _sticky(action).body
    action.fake.add_token(FORK_READ, {"contents": "read", "pull-requests": "read", "actions": "read"})

    gated = action.stages("pull_request", event, token=FORK_READ)

    assert _publish(action, event, gated).code == 0
    assert _sticky(action).body == body
    assert [c.conclusion for c in checks(action.repo)] == ["failure"]
