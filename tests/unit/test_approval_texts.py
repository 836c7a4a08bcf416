"""`/gatebot run` as a command, and what gatebot says about an approval: pure texts and payloads."""

from __future__ import annotations

from gatebot.activities.payloads import needs_approval_check, needs_approval_comment
from gatebot.commands import Approval, Command, State, Verb, parse_commands, render_overrides

HEAD = "a" * 40


def test_run__a_command_of_its_own__words_after_it_not_understood() -> None:
    assert parse_commands("/gatebot run") == [Command(Verb.RUN)]
    assert parse_commands("> /gatebot run") == []
    assert parse_commands("/gatebot run now")[0].verb is Verb.UNKNOWN


def test_overrides__say_who_approved_which_commit__login_escaped() -> None:
    approval = Approval(by="mia", at="2026-12-01T12:00:00Z", head_sha=HEAD)
    state = State(head_sha=HEAD, check_name="gatebot", outcome="passed", approval=approval)
    text = render_overrides(state)
    assert "commit aaaaaaa" in text and "`/gatebot run`" in text
    assert "@\u200bmia approved" in text  # named, not notified


def test_needs_approval__comment_names_benchmarks_escaped__lapsed_approval_said() -> None:
    lapsed = Approval(by="mia", at="2026-12-01T12:00:00Z", head_sha="b" * 40)
    body = needs_approval_comment("<!-- m -->", ("judge<b>",), lapsed=lapsed, head_sha=HEAD)
    assert "judge<b>" not in body and "judge&lt;b&gt;" in body
    assert "for commit bbbbbbb no longer applies after the push" in body
    assert "no longer applies" not in needs_approval_comment("<!-- m -->", ("j",), lapsed=None, head_sha=HEAD)


def test_needs_approval_check__does_not_pass__a_status_waits_too() -> None:
    check = needs_approval_check("gatebot", HEAD, "why", details_url="https://example.com/pr/2")
    assert check.conclusion == "action_required"
    assert check.check_run_fields()["details_url"] == "https://example.com/pr/2"
    assert check.status_fields()["state"] == "pending"
