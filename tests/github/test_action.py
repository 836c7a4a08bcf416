"""`gatebot action` and `gatebot publish` as GitHub Actions runs them, against the fake GitHub.

Assertions are on what a user sees: the comment, the check, the job summary, the outputs, the exit
code and the requests sent.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from gatebot.action import run_action
from gatebot.commands import report_part
from gatebot.errors import COULD_NOT_RUN, GatebotError
from gatebot.settings import Settings
from tests.fakegithub import events as payloads
from tests.github.harness import (
    PERMISSIONS,
    TOKEN,
    ActionHarness,
    bundle_uploaded,
    checks,
    fork_run_completed,
    opened,
    outputs,
    statuses,
    synchronize,
)


def test_first_push__creates_comment_and_failing_check__exit_1(action: ActionHarness) -> None:
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz", "README.md"])
    run = action.gate("pull_request", event)
    assert run.code == 1, run.stderr
    comments = action.repo.comments_on(2)
    assert len(comments) == 1
    body = comments[0].body
    assert body.splitlines()[0] == "<!-- gatebot:sticky id=default -->"
    assert body.splitlines()[1].startswith("<!-- gatebot:state ")
    assert (report_part(body) or "").startswith("### ❌ gatebot: 1 regression")
    assert "**accuracy** on language=es" in body
    assert "https://github.com/Codertocat/Hello-World/actions/runs/" in body
    (check,) = checks(action.repo)
    assert (check.name, check.conclusion, check.head_sha) == (
        "gatebot",
        "failure",
        event["pull_request"]["head"]["sha"],
    )
    assert check.title.startswith("1 regression: accuracy on language=es -26.7 pts")
    assert run.outputs["passed"] == "false"
    assert json.loads(Path(run.outputs["verdict"]).read_text())["passed"] is False
    assert run.summary.startswith("### ❌ gatebot: 1 regression")
    assert "::error title=gatebot::ticket-router/tickets: accuracy on language=es regressed" in run.stdout
    assert "::group::gatebot: tickets for ticket-router" in run.stdout
    assert TOKEN not in run.stdout + run.stderr + run.summary + body


def test_second_push__edits_the_same_comment(action: ActionHarness) -> None:
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    assert action.gate("pull_request", event).code == 1
    first = action.repo.comments_on(2)[0]
    new_head = action.repo.commit({"models/ticket-router.npz": b"retrained"}, branch="changes")
    action.repo.pulls[2].head_sha = new_head
    second = action.gate("pull_request", synchronize(event, new_head))
    assert second.code == 1, second.stderr
    comments = action.repo.comments_on(2)
    assert [c.id for c in comments] == [first.id]
    assert (
        action.fake.log.count("PATCH", "*/issues/comments/*")
        + action.fake.log.count("POST", "*/issues/2/comments")
        == 2
    )
    assert [c.head_sha for c in checks(action.repo)] == [event["pull_request"]["head"]["sha"], new_head]


def test_existing_comment__at_most_six_requests_besides_changed_files(action: ActionHarness) -> None:
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    for i in range(120):  # a long discussion: gatebot's comment is on page 2 of the comments
        action.repo.add_issue_comment(2, f"review note {i}", user="reviewer")
    assert action.gate("pull_request", event).code == 1
    for i in range(120):
        action.repo.add_issue_comment(2, f"more discussion {i}", user="reviewer")
    before = len(action.fake.log.entries)
    assert action.gate("pull_request", event).code == 1
    requests = [e for e in action.fake.log.entries[before:] if e.operation_id != "pulls/list-files"]
    assert len(requests) <= 6, [(e.method, e.path) for e in requests]
    assert len([c for c in action.repo.comments_on(2) if "gatebot:sticky" in c.body]) == 1


def test_pull_request_touching_no_model__neutral_check_and_no_comment(action: ActionHarness) -> None:
    event = opened()
    action.pull_request(event, ["README.md", "docs/usage.md"])
    run = action.gate("pull_request", event)
    assert run.code == 0, run.stderr
    assert action.repo.comments_on(2) == []
    (check,) = checks(action.repo)
    assert (check.conclusion, check.title) == ("neutral", "No model artifacts changed")
    assert run.outputs["passed"] == "true"
    assert action.fake.log.count("POST", "*/issues/*/comments") == 0


def test_comment_off__check_only(action: ActionHarness) -> None:
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    assert action.gate("pull_request", event, comment="off").code == 1
    assert action.repo.comments_on(2) == []
    assert [c.conclusion for c in checks(action.repo)] == ["failure"]


def test_fail_on_regression_false__job_passes_check_fails(action: ActionHarness) -> None:
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    run = action.gate("pull_request", event, fail_on_regression="false")
    assert run.code == 0
    assert [c.conclusion for c in checks(action.repo)] == ["failure"]


def test_two_gate_ids__two_comments(action: ActionHarness) -> None:
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    action.gate("pull_request", event, id="small")
    action.gate("pull_request", event, id="large", check_name="gatebot-large")
    markers = sorted(c.body.splitlines()[0] for c in action.repo.comments_on(2))
    assert markers == ["<!-- gatebot:sticky id=large -->", "<!-- gatebot:sticky id=small -->"]


def test_server_errors_twice__retried__published(action: ActionHarness) -> None:
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    action.fake.faults.server_error("POST", "*/check-runs", status=502, times=2)
    run = action.gate("pull_request", event)
    assert run.code == 1, run.stderr
    assert [e.status for e in action.fake.log.find("POST", "*/check-runs")] == [502, 502, 201]


def test_secondary_rate_limit__waits_retry_after__published(action: ActionHarness) -> None:
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    action.fake.faults.secondary_rate_limit("POST", "*/issues/2/comments", retry_after=1)
    run = action.gate("pull_request", event)
    assert run.code == 1, run.stderr
    assert [e.status for e in action.fake.log.find("POST", "*/issues/2/comments")] == [403, 201]
    assert len(action.repo.comments_on(2)) == 1


def test_checks_not_allowed__commit_status_instead__said_in_log(action: ActionHarness) -> None:
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    action.fake.faults.not_accessible(operation="checks/create")
    run = action.gate("pull_request", event)
    assert run.code == 1, run.stderr
    (status,) = statuses(action.repo)
    assert (status.state, status.context) == ("failure", "gatebot")
    assert "commit status instead" in run.stdout


def test_comment_permission_missing__one_line_error_with_the_yaml(action: ActionHarness) -> None:
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    action.fake.add_token("ghs_noprs", {"contents": "read", "checks": "write", "pull-requests": "read"})
    run = action.gate("pull_request", event, token="ghs_noprs")
    assert run.code == 2
    errors = [line for line in run.stdout.splitlines() if "lacks" in line]
    assert len(errors) == 1
    assert errors[0].startswith("::error title=gatebot::")
    assert "lacks `pull-requests: write`" in errors[0] and "permissions: {" in errors[0]
    assert "Traceback" not in run.stderr
    (check,) = checks(action.repo)
    assert (check.conclusion, check.title) == ("failure", "gatebot could not run")


def test_huge_report__comment_cut_under_the_limit(action: ActionHarness) -> None:
    config = action.workspace / ".gatebot.yml"
    config.write_text(config.read_text().replace("gate:\n", "gate:\n  max_flips_shown: 100000\n"))
    # Every example becomes its own slice value up to the analysis cap: a long report.
    heldout = action.workspace / "data" / "heldout.jsonl"
    rows = [json.loads(line) for line in heldout.read_text().splitlines()]
    for i, row in enumerate(rows):
        row["channel"] = f"{row['channel']}-{i % 90:02d}-" + "x" * 200
    heldout.write_text("".join(json.dumps(r) + "\n" for r in rows))
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    run = action.gate("pull_request", event)
    assert run.code in (1, 2), run.stderr
    (comment,) = action.repo.comments_on(2)
    assert len(comment.body) <= 65_536
    assert "cut to fit" in comment.body
    assert "job summary" in comment.body


def test_unsupported_event__clear_message_exit_2(action: ActionHarness) -> None:
    run = action.gate("check_run", payloads.load("check_run.rerequested"))
    assert run.code == 2
    assert "::error title=gatebot::event 'check_run' is not one gatebot handles" in run.stdout


def test_labeled__ignored_exit_0(action: ActionHarness) -> None:
    run = action.gate("pull_request", payloads.load("pull_request.labeled"))
    assert run.code == 0
    assert run.outputs["passed"] == "true"
    assert action.fake.log.entries == []


def test_fork_pull_request__bundle__then_publish_posts_it(action: ActionHarness) -> None:
    event = payloads.pull_request_from_fork()
    action.pull_request(event, ["models/ticket-router.npz"])
    action.fake.add_token("ghs_forkread", {scope: "read" for scope in PERMISSIONS})
    run = action.gate("pull_request", event, token="ghs_forkread")
    assert run.code == 1, run.stderr
    assert action.repo.comments_on(2) == [] and checks(action.repo) == []
    assert not [e for e in action.fake.log.entries if e.method != "GET"]
    bundle = Path(run.outputs["bundle"])
    assert json.loads(bundle.read_text())["schema"] == "gatebot/bundle@1"
    assert "workflow_run" in run.stdout

    head = event["pull_request"]["head"]["sha"]
    publish_event = bundle_uploaded(action.repo, event, bundle.read_bytes())
    published = action.run("workflow_run", publish_event, "publish")
    assert published.code == 0, published.stdout + published.stderr
    (comment,) = action.repo.comments_on(2)
    assert "### ❌ gatebot: 1 regression" in comment.body
    assert [(c.conclusion, c.head_sha) for c in checks(action.repo)] == [("failure", head)]


def test_publish__bundle_for_another_commit__refused(action: ActionHarness, tmp_path: Path) -> None:
    event = payloads.pull_request_from_fork()
    action.pull_request(event, ["models/ticket-router.npz"])
    action.fake.add_token("ghs_forkread", {scope: "read" for scope in PERMISSIONS})
    bundle = Path(action.gate("pull_request", event, token="ghs_forkread").outputs["bundle"])
    publish_event = fork_run_completed(event)
    publish_event["workflow_run"]["head_sha"] = "f" * 40
    published = action.run("workflow_run", publish_event, "publish", str(bundle))
    assert published.code == 2
    assert "not the head commit of the triggering workflow run" in published.stdout
    assert action.repo.comments_on(2) == []


def test_publish__hostile_verdict__rendered_escaped(action: ActionHarness) -> None:
    event = payloads.pull_request_from_fork()
    action.pull_request(event, ["models/ticket-router.npz"])
    action.fake.add_token("ghs_forkread", {scope: "read" for scope in PERMISSIONS})
    bundle_path = Path(action.gate("pull_request", event, token="ghs_forkread").outputs["bundle"])
    bundle = json.loads(bundle_path.read_text())
    bundle["verdict"]["metrics"][0]["name"] = "<img src=x onerror=alert(1)> @everyone"
    bundle["verdict"]["runs"][0]["notes"] = ["[click](https://evil.example) <script>x</script>"]
    bundle_path.write_text(json.dumps(bundle))
    publish_event = fork_run_completed(event)
    publish_event["workflow_run"]["head_sha"] = event["pull_request"]["head"]["sha"]
    published = action.run("workflow_run", publish_event, "publish", str(bundle_path))
    assert published.code == 0, published.stdout + published.stderr
    (comment,) = action.repo.comments_on(2)
    assert "<img" not in comment.body and "<script>" not in comment.body
    assert "[click](" not in comment.body
    assert "@everyone" not in comment.body


def test_publish__bundle_naming_another_check__refused(action: ActionHarness) -> None:
    event = payloads.pull_request_from_fork()
    action.pull_request(event, ["models/ticket-router.npz"])
    action.fake.add_token("ghs_forkread", {scope: "read" for scope in PERMISSIONS})
    bundle_path = Path(action.gate("pull_request", event, token="ghs_forkread").outputs["bundle"])
    bundle = json.loads(bundle_path.read_text())
    bundle["check_name"] = "required-security-scan"
    bundle_path.write_text(json.dumps(bundle))
    publish_event = fork_run_completed(event)
    publish_event["workflow_run"]["head_sha"] = event["pull_request"]["head"]["sha"]
    published = action.run("workflow_run", publish_event, "publish", str(bundle_path))
    assert published.code == 2
    assert "required-security-scan" in published.stdout
    assert checks(action.repo) == [] and action.repo.comments_on(2) == []


def test_benchmark_environment__no_workflow_token(action: ActionHarness) -> None:
    config = action.workspace / ".gatebot.yml"
    config.write_text(
        config.read_text().replace(
            'run: "{python} bench.py',
            'run: "echo token=$GATEBOT_TOKEN$GITHUB_TOKEN. && {python} bench.py',
        )
    )
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    run = action.gate("pull_request", event)
    assert "token=." in run.stderr
    assert TOKEN not in run.stdout + run.stderr


def test_fork_pull_request_touching_no_model__publish_sets_a_neutral_check(action: ActionHarness) -> None:
    event = payloads.pull_request_from_fork()
    action.pull_request(event, ["README.md"])
    action.fake.add_token("ghs_forkread", {scope: "read" for scope in PERMISSIONS})
    gated = action.gate("pull_request", event, token="ghs_forkread")
    assert gated.code == 0, gated.stdout + gated.stderr
    publish_event = fork_run_completed(event)
    publish_event["workflow_run"]["head_sha"] = event["pull_request"]["head"]["sha"]
    published = action.run("workflow_run", publish_event, "publish", gated.outputs["bundle"])
    assert published.code == 0, published.stdout + published.stderr
    assert [(c.conclusion, c.title) for c in checks(action.repo)] == [
        ("neutral", "No model artifacts changed")
    ]
    assert action.repo.comments_on(2) == []


def test_bad_input__one_line_naming_the_input__exit_2_and_nothing_sent(action: ActionHarness) -> None:
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    run = action.gate("pull_request", event, comment="always")
    assert run.code == 2
    assert run.stdout.splitlines() == [
        "::error title=gatebot::input comment: Input should be 'sticky' or 'off' "
        "(fix the `with:` block of the gatebot step)"
    ]
    assert "Traceback" not in run.stderr
    assert action.fake.log.entries == []


# In-process: the dispatcher takes its settings and environment as values, as the CLI passes them.


def test_in_process__labeled__ignored_with_passed_output(action: ActionHarness, capsys) -> None:
    job, environ = action.environ("pull_request", payloads.load("pull_request.labeled"))
    code = run_action(Settings.from_environ(environ, action=True), environ, log=io.StringIO())
    assert code == 0
    assert outputs(job / "output") == {"passed": "true"}
    assert (
        "::notice title=gatebot::pull_request 'labeled' does not change the code" in capsys.readouterr().out
    )
    assert action.fake.log.entries == []


def test_in_process__gate_fails_on_github__error_raised_and_failing_check_left(
    action: ActionHarness, monkeypatch
) -> None:
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    action.fake.add_token("ghs_noprs", {"contents": "read", "checks": "write", "pull-requests": "read"})
    _, environ = action.environ("pull_request", event, token="ghs_noprs")
    monkeypatch.chdir(action.workspace)
    with pytest.raises(GatebotError, match="lacks `pull-requests: write`"):
        run_action(Settings.from_environ(environ, action=True), environ, log=io.StringIO())
    (check,) = checks(action.repo)
    assert (check.conclusion, check.title) == ("failure", COULD_NOT_RUN)
    assert "lacks `pull-requests: write`" in check.summary
