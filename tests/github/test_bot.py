"""/gatebot commands in pull-request comments, answered by `gatebot action` on issue_comment events.

The issue_comment payloads are derived from the real `issue_comment.created` example (GitHub has no
example on a pull request; `tests/fakegithub/events.py` documents the derivation).
"""

from __future__ import annotations

import base64
import json
import re

from gatebot.commands import addressed, decode_state, parse_commands
from tests.fakegithub import events as payloads
from tests.github.harness import (
    PERMISSIONS,
    REPO,
    ActionHarness,
    checks,
    fork_run_completed,
    opened,
    synchronize,
)

HEAD = opened()["pull_request"]["head"]["sha"]


def _gated(action: ActionHarness) -> None:
    """A pull request whose gate failed on accuracy for language=es."""
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    assert action.gate("pull_request", event).code == 1


def _command(
    action: ActionHarness,
    body: str,
    user: str,
    *,
    user_type: str = "User",
    token: str | None = None,
    **inputs: str,
):  # type: ignore[no-untyped-def]
    """A comment on the pull request and the issue_comment event GitHub sends for it."""
    comment = action.repo.add_issue_comment(2, body, user=user, user_type=user_type)
    event = payloads.issue_comment_on_pull_request(
        body=body, user=user, user_type=user_type, comment_id=comment.id
    )
    return action.run("issue_comment", event, "action", **({"token": token} if token else {}), **inputs)


def _sticky(action: ActionHarness):  # type: ignore[no-untyped-def]
    return next(c for c in action.repo.comments_on(2) if "gatebot:sticky" in c.body)


def test_maintainer_accepts__check_turns_green__shown_in_comment(action: ActionHarness) -> None:
    _gated(action)
    action.repo.set_permission("maintainer-mia", "maintain")
    run = _command(
        action, "/gatebot accept language=es Spanish tickets move to the new router", "maintainer-mia"
    )
    assert run.code == 0, run.stdout + run.stderr
    latest = checks(action.repo)[-1]
    assert (latest.conclusion, latest.head_sha) == ("success", HEAD)
    assert latest.title == "Accepted by @maintainer-mia: Spanish tickets move to the new router"
    body = _sticky(action).body
    assert "All 1 regression accepted" in body
    assert "Spanish tickets move to the new router" in body
    assert "### ❌ gatebot: 1 regression" in body  # the report itself is kept as it was
    state = decode_state(body)
    assert state is not None and [a.by for a in state.acceptances] == ["maintainer-mia"]
    assert [r.content for r in action.repo.reactions] == ["+1"]
    assert len([c for c in action.repo.comments_on(2) if "gatebot:sticky" in c.body]) == 1


def test_read_only_user_accepts__nothing_changes__polite_reply(action: ActionHarness) -> None:
    _gated(action)
    before = _sticky(action).body
    run = _command(action, "/gatebot accept all ship it", "drive-by")
    assert run.code == 0
    assert _sticky(action).body == before
    assert [c.conclusion for c in checks(action.repo)] == ["failure"]
    replies = [c.body for c in action.repo.comments_on(2) if c.body.startswith("Sorry")]
    assert len(replies) == 1 and "only people with write access" in replies[0]
    assert [r.content for r in action.repo.reactions] == ["confused"]


def test_push_after_acceptance__fails_again__comment_says_why(action: ActionHarness) -> None:
    _gated(action)
    action.repo.set_permission("owner-olga", "admin")
    _command(action, "/gatebot accept all known trade-off", "owner-olga")
    new_head = action.repo.commit({"models/ticket-router.npz": b"v2"}, branch="changes")
    action.repo.pulls[2].head_sha = new_head
    run = action.gate("pull_request", synchronize(opened(), new_head))
    assert run.code == 1
    assert checks(action.repo)[-1].conclusion == "failure"
    body = _sticky(action).body
    assert "no longer apply after a new push" in body
    assert "All 1 regression accepted" not in body


def test_command_in_code_block_or_quote__not_obeyed(action: ActionHarness) -> None:
    _gated(action)
    action.repo.set_permission("owner-olga", "admin")
    before = len(action.fake.log.entries)
    run = _command(
        action, "> /gatebot accept all quoted\n```\n/gatebot accept all in code\n```", "owner-olga"
    )
    assert run.code == 0
    writes = [e for e in action.fake.log.entries[before:] if e.method != "GET"]
    assert writes == []
    assert [c.conclusion for c in checks(action.repo)] == ["failure"]


def test_bot_comment__ignored_without_any_request(action: ActionHarness) -> None:
    _gated(action)
    before = len(action.fake.log.entries)
    run = _command(action, "/gatebot accept all by a bot", "renovate[bot]", user_type="Bot")
    assert run.code == 0
    assert len(action.fake.log.entries) == before


def test_unknown_command__help_reply(action: ActionHarness) -> None:
    _gated(action)
    action.repo.set_permission("owner-olga", "admin")
    _command(action, "/gatebot deploy to prod", "owner-olga")
    replies = [c.body for c in action.repo.comments_on(2) if "gatebot understands" in c.body]
    assert len(replies) == 1 and "/gatebot deploy is not a command" in replies[0]


def test_accept_with_hostile_reason__escaped_in_comment(action: ActionHarness) -> None:
    _gated(action)
    action.repo.set_permission("owner-olga", "admin")
    _command(
        action, "/gatebot accept all <img src=x onerror=alert(1)> @everyone [x](http://e.vil)", "owner-olga"
    )
    body = _sticky(action).body
    assert "<img" not in body and "@everyone" not in body and "](http://e.vil)" not in body


def test_rerun__workflow_rerun_requested(action: ActionHarness) -> None:
    _gated(action)
    action.repo.add_workflow_run(
        id=1001,
        name="gatebot",
        status="completed",
        conclusion="failure",
        head_sha=HEAD,
        head_branch="changes",
    )
    action.fake.add_token(
        "ghs_rerun000000000000000000000000000000",
        {"pull-requests": "write", "checks": "write", "actions": "write", "contents": "read"},
    )
    action.repo.set_permission("owner-olga", "admin")
    run = _command(action, "/gatebot rerun", "owner-olga", token="ghs_rerun000000000000000000000000000000")
    assert run.code == 0, run.stdout + run.stderr
    assert len(action.repo.reruns) == 1
    assert [r.content for r in action.repo.reactions] == ["rocket"]


def test_rerun_without_actions_permission__republishes_and_says_so(action: ActionHarness) -> None:
    _gated(action)
    action.repo.set_permission("owner-olga", "admin")
    run = _command(action, "/gatebot rerun", "owner-olga")
    assert run.code == 0, run.stdout + run.stderr
    assert [c.conclusion for c in checks(action.repo)] == ["failure", "failure"]
    assert any("could not re-run the workflow" in c.body for c in action.repo.comments_on(2))


def _edit_config(action: ActionHarness, old: str, new: str) -> None:
    path = action.workspace / ".gatebot.yml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _forge_state(action: ActionHarness, **changes: str) -> None:
    """What anyone with write access can do: edit the hidden state in gatebot's comment."""
    sticky = _sticky(action)
    match = re.search(r"<!-- gatebot:state (\S+) -->", sticky.body)
    assert match is not None
    state = json.loads(base64.b64decode(match.group(1)))
    state.update(changes)
    forged = base64.b64encode(json.dumps(state).encode()).decode()
    sticky.body = sticky.body.replace(match.group(1), forged)


def _replies(action: ActionHarness) -> list[str]:
    return [
        c.body
        for c in action.repo.comments_on(2)
        if "gatebot:sticky" not in c.body and c.user.login == "github-actions[bot]"
    ]


def test_accept_one_slice__another_model_has_no_baseline__check_and_job_stay_red(
    action: ActionHarness,
) -> None:
    _edit_config(
        action,
        "models:\n",
        'models:\n  base:\n    artifacts: ["models/base.npz"]\n    benchmarks: [tickets]\n',
    )
    _edit_config(action, "gate:\n", "gate:\n  missing_baseline: fail\n")
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz", "models/base.npz"])
    assert action.gate("pull_request", event).code == 1
    action.repo.set_permission("maintainer-mia", "maintain")
    run = _command(action, "/gatebot accept language=es Spanish moves to the new router", "maintainer-mia")
    assert run.code == 0, run.stdout + run.stderr
    assert checks(action.repo)[-1].conclusion == "failure"
    body = _sticky(action).body
    assert "but the check still fails: base/tickets has no baseline" in body
    assert any("An acceptance covers only the regressions it names" in r for r in _replies(action))
    assert action.gate("pull_request", event).code == 1
    assert checks(action.repo)[-1].conclusion == "failure"


def test_accept_all__rerun_of_the_commit_finds_new_regressions__fails_again(action: ActionHarness) -> None:
    _gated(action)
    action.repo.set_permission("owner-olga", "admin")
    _command(action, "/gatebot accept all one Spanish drop, on purpose", "owner-olga")
    assert checks(action.repo)[-1].conclusion == "success"
    # The same commit gated again, and this time another metric fails too.
    _edit_config(
        action,
        "macro_f1: {direction: higher, min_effect: 0.02}",
        "macro_f1: {direction: lower, min_effect: 0.01}",
    )
    run = action.gate("pull_request", opened())
    assert run.code == 1
    assert checks(action.repo)[-1].conclusion == "failure"
    body = _sticky(action).body
    assert "### ❌ gatebot: 2 regressions" in body
    assert "no longer apply, because this commit's run found other regressions" in body


def test_accepted__gated_again__the_job_passes_as_the_check_does(action: ActionHarness) -> None:
    _gated(action)
    action.repo.set_permission("owner-olga", "admin")
    _command(action, "/gatebot accept language=es Spanish moves to the new router", "owner-olga")
    run = action.gate("pull_request", opened())
    assert run.code == 0, run.stdout + run.stderr
    assert checks(action.repo)[-1].conclusion == "success"
    assert "every regression on this commit is accepted" in run.stdout


def test_fork__accepted__the_fork_job_gated_again_passes_as_the_check_does(action: ActionHarness) -> None:
    event = payloads.pull_request_from_fork()
    action.pull_request(event, ["models/ticket-router.npz"])
    action.fake.add_token("ghs_forkread", {scope: "read" for scope in PERMISSIONS})
    gated = action.gate("pull_request", event, token="ghs_forkread")
    assert gated.code == 1
    publish_event = fork_run_completed(event)
    publish_event["repository"]["full_name"] = REPO
    published = action.run("workflow_run", publish_event, "publish", gated.outputs["bundle"])
    assert published.code == 0, published.stdout + published.stderr
    action.repo.set_permission("owner-olga", "admin")
    _command(action, "/gatebot accept all known trade-off", "owner-olga")
    assert checks(action.repo)[-1].conclusion == "success"
    again = action.gate("pull_request", event, token="ghs_forkread")
    assert again.code == 0, again.stdout + again.stderr


def test_state_edited_to_name_another_check__accept_sets_the_input_check_on_the_head(
    action: ActionHarness,
) -> None:
    _gated(action)
    _forge_state(action, check_name="ci/required-tests")
    action.repo.set_permission("owner-olga", "admin")
    run = _command(action, "/gatebot accept all known trade-off", "owner-olga")
    assert run.code == 0, run.stdout + run.stderr
    assert [(c.name, c.head_sha, c.conclusion) for c in checks(action.repo)] == [
        ("gatebot", HEAD, "failure"),
        ("gatebot", HEAD, "success"),
    ]


def test_state_edited_to_another_commit__rerun_writes_no_check_there(action: ActionHarness) -> None:
    _gated(action)
    base = opened()["pull_request"]["base"]["sha"]
    _forge_state(action, head_sha=base)
    action.repo.set_permission("owner-olga", "admin")
    run = _command(action, "/gatebot rerun", "owner-olga")
    assert run.code == 0, run.stdout + run.stderr
    assert [c.head_sha for c in checks(action.repo)] == [HEAD]
    assert any("wait for the gate on the new commit" in r for r in _replies(action))


def test_state_edited_to_name_another_run__rerun_does_not_rerun_it(action: ActionHarness) -> None:
    _gated(action)
    base = opened()["pull_request"]["base"]["sha"]
    action.repo.add_workflow_run(
        id=2002, name="deploy", status="completed", conclusion="success", head_sha=base, head_branch="master"
    )
    _forge_state(action, run_id="2002")
    action.fake.add_token(
        "ghs_rerun000000000000000000000000000000",
        {"pull-requests": "write", "checks": "write", "actions": "write", "contents": "read"},
    )
    action.repo.set_permission("owner-olga", "admin")
    run = _command(action, "/gatebot rerun", "owner-olga", token="ghs_rerun000000000000000000000000000000")
    assert run.code == 0, run.stdout + run.stderr
    assert action.repo.reruns == []
    assert any("could not re-run the workflow" in r for r in _replies(action))


def test_comment_by_the_comment_author__ignored_without_any_request(action: ActionHarness) -> None:
    _gated(action)
    action.repo.set_permission("gatebot-pat", "write")
    before = len(action.fake.log.entries)
    run = _command(
        action,
        "@owner-olga /gatebot approve is not a command.\n/gatebot accept all answering itself",
        "gatebot-pat",
        comment_author="gatebot-pat",
    )
    assert run.code == 0, run.stdout + run.stderr
    assert len(action.fake.log.entries) == before


def test_replies__mention_the_commenter_only__start_no_line_with_a_command(action: ActionHarness) -> None:
    _gated(action)
    action.repo.set_permission("owner-olga", "admin")
    _command(action, "/gatebot approve", "owner-olga")
    _command(action, "/gatebot accept @octo-org/everyone <b>hi</b>", "owner-olga")
    _command(action, "/gatebot accept all ship it", "drive-by")
    help_reply, no_match, refused = _replies(action)
    assert help_reply.startswith("@owner-olga ") and "/gatebot approve is not a command" in help_reply
    assert no_match.startswith("@owner-olga no regression matches @\u200bocto-org/everyone")
    assert refused.startswith("Sorry @drive-by, ")
    for reply in (help_reply, no_match, refused):
        assert len(re.findall("@(?!\u200b)", reply)) == 1, reply  # one mention: the commenter's
        assert parse_commands(reply) == [] and not addressed(reply)
