"""`gatebot action --stage plan|evaluate|publish` run as action.yml's three steps, against the fake GitHub.

The evaluate step, which runs the pull request's code, has no token in its environment; the steps
around it hold the token and run none of that code. Run one after the other they publish what
`gatebot action` publishes in one process.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

from gatebot.action import run_action
from gatebot.baselines import BaselineStore
from gatebot.results import load_results
from gatebot.settings import Settings
from tests.fakegithub import events as payloads
from tests.github.harness import DEMO, REPO, TOKEN, ActionHarness, checks, opened, outputs

SEED_TOKEN = "ghs_seedstages0000000000000000000000000"


def _seed_branch(action: ActionHarness, event: dict) -> None:  # type: ignore[type-arg]
    """Three records on the baselines branch up to the pull request's base: a baseline and a trend."""
    action.fake.add_token(SEED_TOKEN, {"contents": "write"})
    store = BaselineStore(action.fake.client(SEED_TOKEN), REPO, sleep=lambda _s: None)
    baseline = load_results(DEMO / ".gatebot" / "baselines" / "ticket-router" / "tickets.json")
    commits = [action.repo.commit({"a": str(i)}, branch="master") for i in range(3)]
    for i, sha in enumerate(commits):
        store.record(baseline, commit=sha, recorded_at=f"2026-11-0{i + 1}T00:00:00Z")
    event["pull_request"]["base"]["sha"] = commits[-1]
    shutil.rmtree(action.workspace / ".gatebot")  # only the branch can answer


def _same(text: str) -> str:
    """`text` but what differs between two runs of one commit: the times of day (the candidate's
    `created_at`), how long the benchmark took (`wall_seconds`, the cost footer's), and the second run's
    record of the first as an earlier attempt (the hidden state and the line that says so)."""
    text = re.sub(r"T\d\d:\d\d:\d\dZ", "T00:00:00Z", text)
    text = re.sub(r'("(?:wall_)?seconds": ?)[0-9.]+', r"\g<1>0", text)
    text = re.sub(r"ran in [0-9.]+ s", "ran in 0 s", text)
    text = re.sub(r"<!-- gatebot:state [^>]* -->", "<!-- gatebot:state -->", text)
    return re.sub(r"(?m)^> Attempt \d+ on this commit.*\n\n?", "", text)


def _bench(action: ActionHarness, before: str) -> None:
    """Run the shell line `before` ahead of the demo's benchmark."""
    config = action.workspace / ".gatebot.yml"
    config.write_text(
        config.read_text().replace('run: "{python} bench.py', f'run: "{before} && {{python}} bench.py')
    )


def test_three_stages__same_comment_check_summary_and_verdict_as_one_process(action: ActionHarness) -> None:
    event = opened()
    _seed_branch(action, event)
    action.pull_request(event, ["models/ticket-router.npz"])

    staged = action.stages("pull_request", event, run_id="4242")
    assert staged.publish is not None, staged.last.stdout + staged.last.stderr
    assert (staged.plan.code, staged.evaluate and staged.evaluate.code, staged.publish.code) == (0, 0, 1)
    (comment,) = action.repo.comments_on(2)
    staged_body = comment.body
    staged_check = checks(action.repo)[-1]

    whole = action.run("pull_request", event, "action", run_id="4242")
    assert whole.code == 1, whole.stderr
    (comment,) = action.repo.comments_on(2)
    assert _same(comment.body) == _same(staged_body)
    assert "\nxychart-beta\n" in staged_body  # the trend came through the hand-off
    assert "on the gatebot-baselines branch" in staged_body
    whole_check = checks(action.repo)[-1]
    fields = ("name", "head_sha", "conclusion", "title", "summary")
    assert [_same(str(getattr(staged_check, f))) for f in fields] == [
        _same(str(getattr(whole_check, f))) for f in fields
    ]
    assert _same(staged.publish.summary) == _same(whole.summary)
    assert staged.publish.outputs["passed"] == whole.outputs["passed"] == "false"
    verdicts = [Path(run.outputs["verdict"]).read_text() for run in (staged.publish, whole)]
    assert _same(verdicts[0]) == _same(verdicts[1])
    assert "::error title=gatebot::ticket-router/tickets: accuracy on language=es regressed" in (
        staged.publish.stdout
    )


def test_three_stages__token_only_where_no_pull_request_code_runs(action: ActionHarness) -> None:
    # The benchmark shows what it can see: its environment and its parent's (gatebot's).
    _bench(action, "env > own.env && cat /proc/$PPID/environ | tr '\\\\0' '\\\\n' > parent.env")
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    staged = action.stages("pull_request", event)
    assert staged.publish is not None and staged.publish.code == 1, staged.last.stdout + staged.last.stderr
    seen = (action.workspace / "own.env").read_text() + (action.workspace / "parent.env").read_text()
    assert "GATEBOT_MODEL=ticket-router" in seen and "GATEBOT_PLAN=" in seen
    assert TOKEN not in seen
    assert "GITHUB_ENV=" not in (action.workspace / "own.env").read_text()
    handed_off = "".join(p.read_text() for p in (staged.job / "handoff").rglob("*") if p.is_file())
    assert TOKEN not in handed_off + staged.plan.outputs["plan"]
    assert [c.conclusion for c in checks(action.repo)] == ["failure"]


def test_benchmark_writes_bash_env_into_github_env__undone_before_the_publish_step(
    action: ActionHarness,
) -> None:
    hook = action.tmp / "hook.sh"
    # GITHUB_ENV is not in the benchmark's environment, but its parent's holds it.
    _bench(
        action,
        "f=$(tr '\\\\0' '\\\\n' < /proc/$PPID/environ | sed -n 's/^GITHUB_ENV=//p')"
        f" && echo BASH_ENV={hook} >> $f && echo /tmp/evil >> $(dirname $f)/path && echo wrote=$f",
    )
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    staged = action.stages("pull_request", event)
    assert staged.evaluate is not None and staged.evaluate.code == 0, staged.evaluate
    assert f"wrote={staged.job}/evaluate/env" in staged.evaluate.stderr
    assert (staged.job / "evaluate" / "env").read_text() == ""
    assert (staged.job / "evaluate" / "path").read_text() == ""
    assert staged.publish is not None and staged.publish.code == 1


def test_benchmark_fails__publish_sets_could_not_run__escaped__exit_2(action: ActionHarness) -> None:
    _bench(action, "echo '<img src=x onerror=alert(1)> [x](https://evil.example) @org/team #12' && exit 7")
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    staged = action.stages("pull_request", event)
    assert staged.evaluate is not None and staged.evaluate.code == 0
    assert "the publish step reports it" in staged.evaluate.stderr
    assert staged.publish is not None and staged.publish.code == 2
    errors = [line for line in staged.publish.stdout.splitlines() if line.startswith("::error")]
    assert len(errors) == 1 and "the command exited with status 7" in errors[0]
    (check,) = checks(action.repo)
    assert (check.conclusion, check.title) == ("failure", "gatebot could not run")
    assert "status 7" in check.summary
    assert "<img" not in check.summary and "](" not in check.summary and "@org" not in check.summary
    assert action.repo.comments_on(2) == []


def test_verdict_rewritten_by_the_benchmark__outcome_follows_its_rows(action: ActionHarness) -> None:
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    job, env = action.environ("pull_request", event)
    env["GATEBOT_HANDOFF"] = str(job / "handoff")
    plan = action._step(job, env, ("action", "--stage", "plan"))
    no_token = {k: v for k, v in env.items() if "TOKEN" not in k} | {"GATEBOT_PLAN": plan.outputs["plan"]}
    assert action._step(job, no_token, ("action", "--stage", "evaluate")).code == 0
    verdict_path = job / "handoff" / "verdict.json"
    verdict = json.loads(verdict_path.read_text())
    assert verdict["outcome"] == "failed"
    verdict["outcome"] = "passed"
    verdict["passed"] = True
    for run in verdict["runs"]:
        run["outcome"], run["passed"] = "passed", True
    verdict_path.write_text(json.dumps(verdict))
    published = action._step(
        job, env | {"GATEBOT_PLAN": plan.outputs["plan"]}, ("action", "--stage", "publish")
    )
    assert published.code == 1, published.stdout + published.stderr
    assert [c.conclusion for c in checks(action.repo)] == ["failure"]
    assert published.outputs["passed"] == "false"


def test_verdict_replaced_by_a_symlink_to_the_environ__refused(action: ActionHarness) -> None:
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    job, env = action.environ("pull_request", event)
    env["GATEBOT_HANDOFF"] = str(job / "handoff")
    plan = action._step(job, env, ("action", "--stage", "plan"))
    (job / "handoff" / "verdict.json").symlink_to("/proc/self/environ")
    published = action._step(
        job, env | {"GATEBOT_PLAN": plan.outputs["plan"]}, ("action", "--stage", "publish")
    )
    assert published.code == 2
    assert (
        "::error title=gatebot::the verdict file of the evaluate step is not a regular file"
        in published.stdout
    )
    assert TOKEN not in published.stdout + published.stderr
    (check,) = checks(action.repo)
    assert TOKEN not in check.summary and check.title == "gatebot could not run"


def test_plan_stage__no_model_changed__neutral_check_and_nothing_planned(action: ActionHarness) -> None:
    event = opened()
    action.pull_request(event, ["README.md"])
    staged = action.stages("pull_request", event)
    assert (staged.plan.code, staged.evaluate, staged.publish) == (0, None, None)
    assert staged.plan.outputs == {"passed": "true"}
    assert [c.conclusion for c in checks(action.repo)] == ["neutral"]


def test_plan_stage__command__answered_whole_in_the_plan_step(action: ActionHarness) -> None:
    action.pull_request(opened(), ["models/ticket-router.npz"])
    action.repo.set_permission("maintainer-mia", "maintain")
    comment = action.repo.add_issue_comment(2, "/gatebot help", user="maintainer-mia")
    event = payloads.issue_comment_on_pull_request(
        body="/gatebot help", user="maintainer-mia", comment_id=comment.id
    )
    staged = action.stages("issue_comment", event)
    assert (staged.plan.code, staged.evaluate, staged.publish) == (0, None, None), staged.plan.stdout
    assert any("/gatebot accept" in c.body for c in action.repo.comments_on(2)[1:])


def test_three_stages__push__records_the_baseline(action: ActionHarness) -> None:
    action.fake.add_token("ghs_push", {"contents": "write"})
    sha = action.repo.commit({"models/ticket-router.npz": b"weights"})
    event = payloads.load("push.with-new-branch")
    event["after"] = sha
    event["commits"][0].update(id=sha, added=[], removed=[], modified=["models/ticket-router.npz"])
    staged = action.stages("push", event, token="ghs_push")
    assert staged.publish is not None and staged.publish.code == 0, staged.last.stdout + staged.last.stderr
    store = BaselineStore(action.fake.client("ghs_push"), REPO)
    (entry,) = store.history("ticket-router", "tickets")
    assert entry.commit == sha
    assert "baselines recorded" in staged.publish.summary


def test_three_stages__fork__bundle_written_by_the_publish_step(action: ActionHarness) -> None:
    event = payloads.pull_request_from_fork()
    action.pull_request(event, ["models/ticket-router.npz"])
    action.fake.add_token(
        "ghs_forkread", {scope: "read" for scope in ("contents", "pull-requests", "checks")}
    )
    staged = action.stages("pull_request", event, token="ghs_forkread")
    assert staged.publish is not None and staged.publish.code == 1
    bundle = json.loads(Path(staged.publish.outputs["bundle"]).read_text())
    assert bundle["schema"] == "gatebot/bundle@1"
    assert bundle["head_sha"] == event["pull_request"]["head"]["sha"]
    assert not [e for e in action.fake.log.entries if e.method != "GET"]


def test_evaluate_stage__without_a_plan__one_line_error(action: ActionHarness) -> None:
    run = action.run("pull_request", opened(), "action", "--stage", "evaluate")
    assert run.code == 2
    assert re.fullmatch(r"::error title=gatebot::GATEBOT_PLAN is not set[^\n]*\n", run.stdout)


def test_in_process__run_action_stage_by_stage__check_and_comment(action: ActionHarness, monkeypatch) -> None:
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    job, environ = action.environ("pull_request", event)
    environ["GATEBOT_HANDOFF"] = str(job / "handoff")
    monkeypatch.chdir(action.workspace)

    def stage(name: str, env: dict[str, str]) -> int:
        return run_action(Settings.from_environ(env, action=True), env, stage=name, log=io.StringIO())  # type: ignore[arg-type]

    assert stage("plan", environ) == 0
    plan = outputs(job / "output")["plan"]
    assert action.repo.comments_on(2) == [] and checks(action.repo) == []
    without_token = {k: v for k, v in environ.items() if "TOKEN" not in k} | {"GATEBOT_PLAN": plan}
    assert Settings.from_environ(without_token).token is None
    assert stage("evaluate", without_token) == 0
    assert (job / "handoff" / "verdict.json").is_file()
    assert action.repo.comments_on(2) == [] and checks(action.repo) == []
    assert stage("publish", environ | {"GATEBOT_PLAN": plan}) == 1
    (comment,) = action.repo.comments_on(2)
    assert "### ❌ gatebot: 1 regression" in comment.body
    assert [c.conclusion for c in checks(action.repo)] == ["failure"]
