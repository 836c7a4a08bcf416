"""What the Action posts for the outcomes beyond pass and fail: an inconclusive eval, and reruns."""

from __future__ import annotations

from gatebot.commands import decode_state, report_part
from tests.github.harness import ActionHarness, checks, opened

INCONCLUSIVE_CONFIG = """\
version: 1
models:
  ticket-router:
    artifacts: ["models/ticket-router.npz"]
    benchmarks: [tickets]
benchmarks:
  tickets:
    run: "{python} bench.py --weights models/{model}.npz --model {model} --output {output}"
    timeout: 300
metrics:
  accuracy: {direction: higher, min_effect: 0.01}
gate:
  slices: []
  max_detectable_drop: 0.01
"""


def test_eval_cannot_detect_the_drop_it_must__neutral_check__exit_0(action: ActionHarness) -> None:
    (action.workspace / ".gatebot.yml").write_text(INCONCLUSIVE_CONFIG, encoding="utf-8")
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    run = action.gate("pull_request", event)
    assert run.code == 0, run.stderr
    (check,) = checks(action.repo)
    assert check.conclusion == "neutral"
    assert check.title.startswith("Inconclusive: accuracy cannot detect a drop of 0.01")
    body = action.repo.comments_on(2)[0].body
    assert (report_part(body) or "").startswith("### 🟡 gatebot: inconclusive")
    assert run.outputs["passed"] == "false"


def test_rerun_of_the_same_commit__comment_says_attempt_2_and_the_earlier_outcome(
    action: ActionHarness,
) -> None:
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    assert action.gate("pull_request", event).code == 1
    assert action.gate("pull_request", event).code == 1
    (comment,) = action.repo.comments_on(2)
    report = report_part(comment.body) or ""
    assert report.startswith(
        "> Attempt 2 on this commit with the same model, dataset and config; earlier attempts: failed."
    )
    state = decode_state(comment.body)
    assert state is not None and state.attempts == ("failed",)
    assert [c.conclusion for c in checks(action.repo)] == ["failure", "failure"]
