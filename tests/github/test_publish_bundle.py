"""`gatebot publish` treating a fork's bundle as hostile: bound to the triggering run and the pull
request, judged again from its rows, and always leaving a check once the bundle is accepted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gatebot.commands import report_part
from gatebot.errors import COULD_NOT_RUN
from tests.factories import results_doc, write_json
from tests.fakegithub import events as payloads
from tests.github.harness import PERMISSIONS, ActionHarness, Run, checks, fork_run_completed, opened

FORK_TOKEN = "ghs_forkread"


def _fork_bundle(action: ActionHarness, files: list[str] | None = None) -> tuple[dict[str, Any], Path]:
    """A fork's pull request gated with its read-only token: the event and the bundle it wrote."""
    event = payloads.pull_request_from_fork()
    action.pull_request(event, files or ["models/ticket-router.npz"])
    action.fake.add_token(FORK_TOKEN, {scope: "read" for scope in PERMISSIONS})
    gated = action.gate("pull_request", event, token=FORK_TOKEN)
    assert gated.code in (0, 1), gated.stdout + gated.stderr
    return event, Path(gated.outputs["bundle"])


def _publish_event(event: dict[str, Any], **run: Any) -> dict[str, Any]:
    """The workflow_run event of the fork's run, as GitHub sends it to the publish workflow."""
    published = fork_run_completed(event)
    published["workflow_run"].update(run)
    return published


def _publish(action: ActionHarness, event: dict[str, Any], bundle: Path, **run: Any) -> Run:
    return action.run("workflow_run", _publish_event(event, **run), "publish", str(bundle))


def _edit(bundle: Path, change: Any) -> None:
    document = json.loads(bundle.read_text())
    change(document)
    bundle.write_text(json.dumps(document))


def _error(run: Run) -> str:
    (error,) = [line for line in run.stdout.splitlines() if line.startswith("::error")]
    return error


def test_bundle_naming_a_pull_request_that_does_not_exist__says_so(action: ActionHarness) -> None:
    event, bundle = _fork_bundle(action)
    _edit(bundle, lambda d: d.update(pull_request=999))
    published = _publish(action, event, bundle)
    assert published.code == 2, published.stdout + published.stderr
    error = _error(published)
    assert "the bundle names pull request #999, which Codertocat/Hello-World does not have" in error
    assert "lacks" not in error and "permissions" not in error
    assert checks(action.repo) == [] and action.repo.comments_on(2) == []


def test_run_from_another_branch_with_the_same_head_commit__refused(action: ActionHarness) -> None:
    event, bundle = _fork_bundle(action)
    published = _publish(action, event, bundle, head_branch="other-branch")
    assert published.code == 2, published.stdout + published.stderr
    assert (
        "the triggering workflow run is for branch 'other-branch' of contributor/Hello-World, but pull "
        "request #2 comes from branch 'changes' of contributor/Hello-World"
    ) in _error(published)
    assert checks(action.repo) == [] and action.repo.comments_on(2) == []


def test_run_from_another_fork_with_the_same_head_commit__refused(action: ActionHarness) -> None:
    event, bundle = _fork_bundle(action)
    other = payloads.workflow_run_from_pull_request(fork=True, fork_owner="mallory")["workflow_run"]
    published = _publish(action, event, bundle, head_repository=other["head_repository"])
    assert published.code == 2, published.stdout + published.stderr
    assert "of mallory/octo-repo, but pull request #2 comes from branch 'changes' of contributor/" in (
        _error(published)
    )
    assert checks(action.repo) == [] and action.repo.comments_on(2) == []


def _claim_passed(document: dict[str, Any]) -> None:
    """What a hostile fork's job can write: every outcome in the bundle says passed."""
    verdict = document["verdict"]
    verdict.update(outcome="passed", passed=True)
    for run in verdict["runs"]:
        run.update(outcome="passed", passed=True, regressions=0)


def test_bundle_saying_passed_over_a_regressed_slice__publishes_a_failing_check(
    action: ActionHarness,
) -> None:
    event, bundle = _fork_bundle(action)
    _edit(bundle, _claim_passed)
    published = _publish(action, event, bundle)
    assert published.code == 0, published.stdout + published.stderr
    (comment,) = action.repo.comments_on(2)
    assert "### ❌ gatebot: 1 regression" in comment.body
    assert "**accuracy** on language=es" in comment.body
    (check,) = checks(action.repo)
    assert (check.conclusion, check.head_sha) == ("failure", event["pull_request"]["head"]["sha"])
    assert check.title.startswith("1 regression: accuracy on language=es")


def test_bundle_ungating_its_regressed_slice__publisher_config_gates_it__failing_check(
    action: ActionHarness,
) -> None:
    event, bundle = _fork_bundle(action)

    def ungate(document: dict[str, Any]) -> None:
        _claim_passed(document)
        for row in document["verdict"]["slices"]:
            row["gated"] = False

    _edit(bundle, ungate)
    published = _publish(action, event, bundle)
    assert published.code == 0, published.stdout + published.stderr
    assert [c.conclusion for c in checks(action.repo)] == ["failure"]
    assert "### ❌ gatebot: 1 regression" in action.repo.comments_on(2)[0].body


def _regress_everywhere(action: ActionHarness, metrics: int = 20, slices: int = 100) -> None:
    """A workspace whose benchmark regresses every one of `metrics` metrics overall and on each of
    `slices` slices: the largest report a gate can make."""
    names = [f"metric_{m:02d}" for m in range(metrics)]
    per_slice = 40
    segments = [f"segment-{i // per_slice:03d}" for i in range(slices * per_slice)]
    worse = [0.0 if i % per_slice < per_slice // 2 else 1.0 for i in range(slices * per_slice)]
    for kind, score in (("baseline", [1.0] * len(worse)), ("candidate", worse)):
        document = results_doc(
            dict.fromkeys(names, score), slices={"segment": segments}, model="ticket-router", benchmark="wide"
        )
        target = action.workspace / (
            ".gatebot/baselines/ticket-router/wide.json" if kind == "baseline" else "candidate.json"
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        write_json(target, document)
    declared = "\n".join(f"  {name}: {{direction: higher, min_effect: 0.01}}" for name in names)
    (action.workspace / ".gatebot.yml").write_text(
        "version: 1\n"
        "models:\n"
        "  ticket-router:\n"
        '    artifacts: ["models/ticket-router.npz"]\n'
        "    benchmarks: [wide]\n"
        "benchmarks:\n"
        "  wide:\n"
        '    run: "cp candidate.json {output}"\n'
        f"metrics:\n{declared}\n"
        "gate:\n"
        "  bootstrap_resamples: 100\n"
    )


def test_20_metrics_x_100_slices_regressed__comment_under_the_limit_and_a_failing_check(
    action: ActionHarness,
) -> None:
    _regress_everywhere(action)
    event = opened()
    action.pull_request(event, ["models/ticket-router.npz"])
    run = action.gate("pull_request", event)
    assert run.code == 1, run.stdout[-2000:] + run.stderr[-2000:]
    (comment,) = action.repo.comments_on(2)
    assert len(comment.body) <= 65_536
    assert (report_part(comment.body) or "").startswith("### ❌ gatebot: 2020 regressions")
    assert [c.conclusion for c in checks(action.repo)] == ["failure"]


def test_20_metrics_x_100_slices_regressed__fork__publish_posts_the_comment_and_the_check(
    action: ActionHarness,
) -> None:
    _regress_everywhere(action)
    event, bundle = _fork_bundle(action)
    published = _publish(action, event, bundle)
    assert published.code == 0, published.stdout[-2000:] + published.stderr[-2000:]
    (comment,) = action.repo.comments_on(2)
    assert len(comment.body) <= 65_536
    assert [c.conclusion for c in checks(action.repo)] == ["failure"]


def test_comment_refused_while_publishing__a_failing_check_is_left_anyway(action: ActionHarness) -> None:
    event, bundle = _fork_bundle(action)
    refused = {"message": "Validation Failed", "documentation_url": "https://docs.github.com/rest"}
    action.fake.faults.add("POST", "*/issues/2/comments", status=422, body=refused)
    published = _publish(action, event, bundle)
    assert published.code == 2, published.stdout + published.stderr
    assert "422" in _error(published)
    (check,) = checks(action.repo)
    assert (check.conclusion, check.title) == ("failure", COULD_NOT_RUN)
    assert check.head_sha == event["pull_request"]["head"]["sha"]
    assert "422" in check.summary
