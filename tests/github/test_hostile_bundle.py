"""A fork's bundle built to crash the publisher (nested 2,000 deep) is refused in one line, exit 2."""

from __future__ import annotations

import json

from tests.fakegithub import events as payloads
from tests.github.harness import REPO, ActionHarness, bundle_uploaded, checks


def test_publish__bundle_nested_2000_deep__refused_in_one_line(action: ActionHarness) -> None:
    event = payloads.pull_request_from_fork()
    action.pull_request(event, ["models/ticket-router.npz"])
    head = event["pull_request"]["head"]["sha"]
    document = {
        "schema": "gatebot/bundle@1",
        "repository": REPO,
        "pull_request": 2,
        "head_sha": head,
        "gate_id": "default",
        "check_name": "gatebot",
    }
    text = json.dumps(document)[:-1] + ', "verdict": ' + '{"a": ' * 2000 + "1" + "}" * 2000 + "}"
    publish_event = bundle_uploaded(action.repo, event, text.encode())
    published = action.run("workflow_run", publish_event, "publish")
    assert published.code == 2, published.stdout + published.stderr
    assert "Traceback" not in published.stderr
    errors = [line for line in published.stdout.splitlines() if line.startswith("::error")]
    assert len(errors) == 1, published.stdout + published.stderr
    assert "gatebot-bundle.json: arrays and objects nested more than 100 levels deep" in errors[0]
    assert action.repo.comments_on(2) == [] and checks(action.repo) == []
