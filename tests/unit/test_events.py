"""Which activity an event asks for: `find_activity` on GitHub's own example payloads."""

from __future__ import annotations

import json
from pathlib import Path

from gatebot.events import Activity, find_activity, record_by_hand

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "events"


def _event(name: str) -> dict:
    return json.loads((REFERENCE / name).read_text())


def test_pull_request_opened__gate_with_head_and_base() -> None:
    plan = find_activity("pull_request", _event("pull_request.opened.json"), sha="x", ref="y")
    assert plan.activity is Activity.GATE_PULL_REQUEST
    assert plan.pull_request is not None
    assert plan.pull_request.number == 2
    assert plan.pull_request.head_sha == "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
    assert not plan.pull_request.from_fork


def test_pull_request_labeled__ignored() -> None:
    plan = find_activity("pull_request", _event("pull_request.labeled.json"), sha="x", ref="y")
    assert plan.activity is Activity.IGNORE


def test_pull_request_target__refused_with_the_safe_alternative() -> None:
    plan = find_activity("pull_request_target", _event("pull_request.opened.json"), sha="x", ref="y")
    assert plan.activity is Activity.UNSUPPORTED
    assert "workflow_run" in plan.reason


def test_push_deleting_a_tag__ignored() -> None:
    plan = find_activity("push", _event("push.json"), sha="x", ref="y")
    assert plan.activity is Activity.IGNORE


def test_push_to_default_branch__record_with_changed_files() -> None:
    plan = find_activity("push", _event("push.with-new-branch.json"), sha="x", ref="y")
    assert plan.activity is Activity.RECORD
    assert plan.push is not None and plan.push.complete
    assert plan.push.sha == _event("push.with-new-branch.json")["after"]


def test_check_run_event__unsupported_with_message() -> None:
    plan = find_activity("check_run", _event("check_run.rerequested.json"), sha="x", ref="y")
    assert plan.activity is Activity.UNSUPPORTED
    assert "'check_run'" in plan.reason


def test_record_by_hand__workflow_dispatch_of_the_default_branch__records_every_model_at_the_sha() -> None:
    plan = record_by_hand("workflow_dispatch", _event("workflow_dispatch.json"), sha="a" * 40)
    assert plan.activity is Activity.RECORD
    assert plan.push is not None
    assert (plan.push.sha, plan.push.files, plan.push.complete) == ("a" * 40, (), False)


def test_record_by_hand__push_to_the_default_branch__records() -> None:
    plan = record_by_hand("push", _event("push.with-new-branch.json"), sha="a" * 40)
    assert plan.activity is Activity.RECORD


def test_record_by_hand__pull_request_target__refused_with_the_reason() -> None:
    # pull_request_target runs on the base branch (GITHUB_REF is the default branch) with a write token.
    plan = record_by_hand("pull_request_target", _event("pull_request.opened.json"), sha="a" * 40)
    assert plan.activity is Activity.UNSUPPORTED
    assert plan.reason.startswith("mode record writes the baselines branch, so it runs only on a push to")
    assert "not on pull_request_target" in plan.reason


def test_record_by_hand__other_events_and_branches__refused() -> None:
    on_feature = _event("workflow_dispatch.json") | {"ref": "refs/heads/feature"}
    deleted = _event("push.with-new-branch.json") | {"deleted": True}
    tag = _event("push.with-new-branch.json") | {"ref": "refs/tags/master"}
    cases = [
        ("workflow_dispatch", on_feature),
        ("push", deleted),
        ("push", tag),
        ("pull_request", _event("pull_request.opened.json")),
        ("issue_comment", _event("issue_comment.created.json")),
        ("workflow_run", _event("workflow_run.completed.json")),
        ("schedule", {"repository": {"default_branch": "master"}, "ref": "refs/heads/master"}),
    ]
    for event_name, payload in cases:
        plan = record_by_hand(event_name, payload, sha="a" * 40)
        assert plan.activity is Activity.UNSUPPORTED, event_name
    assert (
        "not on workflow_dispatch on refs/heads/feature"
        in record_by_hand("workflow_dispatch", on_feature, sha="a" * 40).reason
    )
