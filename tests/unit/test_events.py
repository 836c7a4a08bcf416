"""Which activity an event asks for: `find_activity` on GitHub's own example payloads."""

from __future__ import annotations

import json
from pathlib import Path

from gatebot.events import Activity, find_activity

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
