"""Publishing a fork's bundle: the trusted half of the fork flow, run by a `workflow_run` job.

Trusts only the event GitHub sent: the bundle must name this repository and the head commit of the
triggering run, and the pull request must have that head, from the run's repository and branch. The
verdict is then judged again from its rows (`decision.rejudge`, by the publisher's own config when it
has one) and rendered afresh. The check's name and the comment's id are the publisher's own settings,
never the bundle's.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gatebot.activities import payloads
from gatebot.activities.context import Context
from gatebot.activities.posting import (
    publish_failure_check,
    publish_needs_approval,
    publish_nothing_to_gate,
    publish_report,
)
from gatebot.bundle import ARTIFACT_NAME, Bundle, bundle_from_zip, read_bundle
from gatebot.config import DEFAULT_CONFIG_FILE, Config, load_config
from gatebot.decision import rejudge_report
from gatebot.errors import EXIT_PASSED, InputError, failure_of
from gatebot.github.artifacts import download_artifact
from gatebot.github.client import Client
from gatebot.github.pulls import pull_request_head
from gatebot.report import RenderOptions, render_markdown
from gatebot.verdict import report_from_document


def publish_bundle(ctx: Context, bundle_path: Path | None) -> int:
    """Post the bundle (at `bundle_path`, else the triggering run's artifact) as comment and check."""
    needs = "the publishing job needs a token with write permissions"
    token = ctx.need_token(needs)
    gh = ctx.need_github(needs)
    run = _triggering_run(ctx.runner.event())
    if bundle_path is not None:
        bundle = read_bundle(bundle_path)
    else:
        run_id = int(run["id"])
        archive = download_artifact(gh, token, ctx.runner.repository, run_id, ARTIFACT_NAME)
        bundle = bundle_from_zip(archive, where=f"artifact {ARTIFACT_NAME} of run {run_id}")
    _check_bundle(ctx, gh, bundle, run)
    try:
        return _publish(ctx, gh, bundle, str(run["id"]))
    except Exception as error:
        # The bundle is the pull request's own: whatever stops the publishing, its check must not be
        # left missing, or branch protection waits for it forever.
        publish_failure_check(ctx, gh, bundle.head_sha, failure_of(error).message)
        raise


def _publish(ctx: Context, gh: Client, bundle: Bundle, run_id: str) -> int:
    if bundle.needs_approval:
        publish_needs_approval(
            ctx, gh, number=bundle.pull_request, head_sha=bundle.head_sha, benchmarks=bundle.needs_approval
        )
        return EXIT_PASSED
    if bundle.nothing_to_gate:
        publish_nothing_to_gate(ctx, gh, number=bundle.pull_request, head_sha=bundle.head_sha)
        return EXIT_PASSED
    report = rejudge_report(report_from_document(bundle.verdict, where="bundle verdict"), _own_config(ctx))
    options = RenderOptions(run_url=ctx.runner.run_url, full_report_hint=payloads.FORK_SUMMARY_HINT)
    publish_report(ctx, gh, report, options, sha=bundle.head_sha, pr=bundle.pull_request, run_id=run_id)
    ctx.workflow.add_summary(
        render_markdown(report, options), fallback="The report is too large for the job summary."
    )
    return EXIT_PASSED


def _own_config(ctx: Context) -> Config | None:
    """The publishing job's own config, when it has one (the default branch's, checked out): the bundle's
    rows are judged by its rules. Never the pull request's: this job does not check it out."""
    loaded = load_config(ctx.settings.config or Path(DEFAULT_CONFIG_FILE), required=False)
    return loaded.config if loaded.path is not None else None


def _triggering_run(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    run = payload.get("workflow_run")
    if not isinstance(run, Mapping):
        raise InputError("event payload: no workflow_run", "run `gatebot publish` on a workflow_run event")
    return run


def _check_bundle(ctx: Context, gh: Client, bundle: Bundle, run: Mapping[str, Any]) -> None:
    """Refuse a bundle for another repository, commit, pull request head, gate id or check."""
    repository = ctx.runner.repository
    if bundle.repository != repository:
        raise InputError(f"the bundle names repository {bundle.repository}, not {repository}")
    if bundle.head_sha != run.get("head_sha"):
        raise InputError("the bundle's head commit is not the head commit of the triggering workflow run")
    number = bundle.pull_request
    head = pull_request_head(gh, repository, number)
    if head is None:
        raise InputError(
            f"the bundle names pull request #{number}, which {repository} does not have",
            "publish only bundles written by gatebot for this repository's pull requests",
        )
    if head.sha != bundle.head_sha:
        raise InputError(f"pull request #{number} has moved on from the bundle's head commit")
    # The same commit can be pushed to any branch of any fork: the run must be the pull request's own.
    run_repository = (run.get("head_repository") or {}).get("full_name")
    if (run_repository, run.get("head_branch")) != (head.repository, head.ref):
        raise InputError(
            f"the triggering workflow run is for branch {run.get('head_branch')!r} of {run_repository}, but "
            f"pull request #{number} comes from branch {head.ref!r} of {head.repository or '(deleted fork)'}",
            "publish only the runs of the pull request's own head branch",
        )
    # A fork's bundle must not choose which check it turns green or whose comment it overwrites.
    settings = ctx.settings
    if (bundle.gate_id, bundle.check_name) != (settings.id, settings.check_name):
        raise InputError(
            f"the bundle is for gate id {bundle.gate_id!r} and check {bundle.check_name!r}, but this job "
            f"publishes id {settings.id!r} and check {settings.check_name!r}",
            "give the publish step the same `id` and `check-name` inputs as the gate step",
        )
