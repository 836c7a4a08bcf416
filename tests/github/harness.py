"""Running gatebot as GitHub Actions does, against the fake GitHub: one harness for every test here.

The harness copies the demo into a workspace, writes a real event payload (from tests/reference/events,
adjusted where GitHub has no example, as the fake's `events` module documents), sets the environment
the runner provides, and runs gatebot as a subprocess.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fakegithub import FakeGitHub, Repository
from tests.fakegithub import events as payloads
from tests.fakegithub.git import TreeEntry
from tests.fakegithub.state import PullFile

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo"
REPO = "Codertocat/Hello-World"
TOKEN = "ghs_actiontoken00000000000000000000000"
PERMISSIONS = {
    "contents": "read",
    "pull-requests": "write",
    "checks": "write",
    "statuses": "write",
    "actions": "read",
}


def copy_demo(workspace: Path) -> None:
    shutil.copytree(
        DEMO, workspace, ignore=shutil.ignore_patterns("train_*.jsonl", "__pycache__", "gatebot-out")
    )


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str


def seed_pull_request(repo: Repository, event: dict[str, Any], files: list[str]) -> None:
    """The pull request an event payload describes, with `files` as its changed files."""
    pr = event["pull_request"]
    head_repo = pr["head"]["repo"]["full_name"]
    repo.add_pull_request(
        number=pr["number"],
        head_ref=pr["head"]["ref"],
        head_sha=pr["head"]["sha"],
        head_repo=None if head_repo == repo.full_name else head_repo,
        base_ref=pr["base"]["ref"],
        base_sha=pr["base"]["sha"],
        files=[PullFile(f) for f in files],
    )


class ActionHarness:
    """A workspace, an event and the environment of one Actions job."""

    def __init__(self, tmp_path: Path, fake: FakeGitHub) -> None:
        self.tmp = tmp_path
        self.fake = fake
        self.workspace = tmp_path / "workspace"
        copy_demo(self.workspace)
        fake.add_token(TOKEN, PERMISSIONS)
        self.repo: Repository = fake.add_repo(REPO, default_branch="master")
        self.runs = 0

    def pull_request(self, event: dict[str, Any], files: list[str]) -> None:
        seed_pull_request(self.repo, event, files)

    def environ(
        self,
        event_name: str,
        event: dict[str, Any],
        *,
        token: str = TOKEN,
        run_id: str | None = None,
        **inputs: str,
    ) -> tuple[Path, dict[str, str]]:
        """A new job folder holding the event, and the environment of a step of that job."""
        self.runs += 1
        job = self.tmp / f"job{self.runs}"
        job.mkdir()
        (job / "event.json").write_text(json.dumps(event))
        (job / "output").touch()
        (job / "summary").touch()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GATEBOT_", "RUNNER_"))}
        env.update(
            GITHUB_ACTIONS="true",
            GITHUB_EVENT_NAME=event_name,
            GITHUB_EVENT_PATH=str(job / "event.json"),
            GITHUB_REPOSITORY=REPO,
            GITHUB_SHA="0" * 40,
            GITHUB_REF="refs/pull/2/merge",
            GITHUB_API_URL=self.fake.url,
            GITHUB_SERVER_URL="https://github.com",
            GITHUB_RUN_ID=run_id or str(1000 + self.runs),
            GITHUB_WORKSPACE=str(self.workspace),
            GITHUB_OUTPUT=str(job / "output"),
            GITHUB_STEP_SUMMARY=str(job / "summary"),
            RUNNER_TEMP=str(job),
            GATEBOT_TOKEN=token,
            GATEBOT_OUT_DIR=str(job / "gatebot-out"),
        )
        env.update({f"GATEBOT_{k.upper()}": v for k, v in inputs.items()})
        return job, env

    def run(
        self,
        event_name: str,
        event: dict[str, Any],
        *args: str,
        token: str = TOKEN,
        run_id: str | None = None,
        **inputs: str,
    ) -> Run:
        job, env = self.environ(event_name, event, token=token, run_id=run_id, **inputs)
        return self._step(job, env, args)

    def _step(self, job: Path, env: dict[str, str], args: tuple[str, ...]) -> Run:
        done = subprocess.run(
            # Isolated (-I), as action.yml runs it: nothing in the workspace is imported.
            [sys.executable, "-I", "-B", "-m", "gatebot", *args],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        return Run(
            done.returncode,
            done.stdout,
            done.stderr,
            outputs(Path(env["GITHUB_OUTPUT"])),
            Path(env["GITHUB_STEP_SUMMARY"]).read_text(),
        )

    def gate(self, event_name: str, event: dict[str, Any], **inputs: str) -> Run:
        return self.run(event_name, event, "action", **inputs)

    def stages(
        self,
        event_name: str,
        event: dict[str, Any],
        *args: str,
        token: str = TOKEN,
        run_id: str | None = None,
        evaluate_only: dict[str, str] | None = None,
        after_plan: Callable[[], None] | None = None,
        **inputs: str,
    ) -> Stages:
        """`gatebot action --stage …` three times, as action.yml's steps run it: one job, a file of
        outputs, summary and environment for each step, and no token at all in the evaluate step's
        environment. Evaluate runs when the plan step planned something, publish when evaluate succeeded.
        `evaluate_only` is added to the evaluate step's environment alone (as action.yml passes the
        `secrets` input); `after_plan` runs between the plan step and the evaluate step.
        """
        job, env = self.environ(event_name, event, token=token, run_id=run_id, **inputs)
        env["GATEBOT_HANDOFF"] = str(job / "handoff")
        plan = self._step(job, _step_files(job, "plan", env), (*args, "action", "--stage", "plan"))
        if "plan" not in plan.outputs:
            return Stages(plan, None, None, job)
        if after_plan is not None:
            after_plan()
        evaluate_env = {k: v for k, v in env.items() if "TOKEN" not in k}
        evaluate_env["GATEBOT_PLAN"] = plan.outputs["plan"]
        evaluate_env.update(evaluate_only or {})
        evaluate_env = _step_files(job, "evaluate", evaluate_env)
        evaluate = self._step(job, evaluate_env, (*args, "action", "--stage", "evaluate"))
        if evaluate.code != 0:
            return Stages(plan, evaluate, None, job)
        publish_env = _step_files(job, "publish", {**env, "GATEBOT_PLAN": plan.outputs["plan"]})
        publish = self._step(job, publish_env, (*args, "action", "--stage", "publish"))
        return Stages(plan, evaluate, publish, job)


@dataclass
class Stages:
    """The three steps of one job; None for a step its condition skipped."""

    plan: Run
    evaluate: Run | None
    publish: Run | None
    job: Path

    @property
    def last(self) -> Run:
        return self.publish or self.evaluate or self.plan


def _step_files(job: Path, step: str, env: dict[str, str]) -> dict[str, str]:
    """`env` with file commands of the step's own (the runner gives every step new ones)."""
    folder = job / step
    folder.mkdir()
    files = {}
    for name, file in (
        ("GITHUB_OUTPUT", "output"),
        ("GITHUB_STEP_SUMMARY", "summary"),
        ("GITHUB_ENV", "env"),
        ("GITHUB_PATH", "path"),
    ):
        (folder / file).touch()
        files[name] = str(folder / file)
    return {**env, **files}


def fork_run_completed(event: dict[str, Any]) -> dict[str, Any]:
    """The workflow_run event the publish workflow gets when the run of a fork's pull request `event`
    completes: the run's head commit, branch and repository are the pull request's head."""
    head = event["pull_request"]["head"]
    published = payloads.workflow_run_from_pull_request(
        fork=True, with_pull_requests=False, head_branch=head["ref"], head_sha=head["sha"]
    )
    published["workflow_run"]["head_repository"] = json.loads(json.dumps(head["repo"]))
    return published


def bundle_uploaded(repo: Repository, event: dict[str, Any], bundle: bytes) -> dict[str, Any]:
    """A fork's gate run for the pull request `event` that completed and uploaded `bundle` as the
    artifact gatebot-bundle; returns the workflow_run event the publish workflow then gets."""
    head = event["pull_request"]["head"]
    run = repo.add_workflow_run(
        name="gate",
        path=".github/workflows/gate.yml",
        event="pull_request",
        status="completed",
        conclusion="failure",
        head_sha=head["sha"],
        head_branch=head["ref"],
        head_repo=head["repo"]["full_name"],
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("gatebot-bundle.json", bundle)
    repo.add_artifact(run.id, "gatebot-bundle", archive.getvalue())
    published = fork_run_completed(event)
    published["workflow_run"]["id"] = run.id
    published["repository"]["full_name"] = repo.full_name
    return published


def outputs(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    outputs: dict[str, str] = {}
    i = 0
    while i < len(lines):
        name, _, delimiter = lines[i].partition("<<")
        end = lines.index(delimiter, i + 1)
        outputs[name] = "\n".join(lines[i + 1 : end])
        i = end + 1
    return outputs


def checks(repo: Repository) -> list[Any]:
    return sorted(repo.check_runs.values(), key=lambda c: c.id)


def statuses(repo: Repository) -> list[Any]:
    found = repo.statuses.values() if isinstance(repo.statuses, dict) else repo.statuses
    return sorted(found, key=lambda s: s.id)


def opened() -> dict[str, Any]:
    return payloads.load("pull_request.opened")


def synchronize(event: dict[str, Any], head_sha: str) -> dict[str, Any]:
    """The opened payload as GitHub sends it after a push: action synchronize, new head."""
    moved = json.loads(json.dumps(event))
    moved["action"] = "synchronize"
    moved["before"] = event["pull_request"]["head"]["sha"]
    moved["after"] = head_sha
    moved["pull_request"]["head"]["sha"] = head_sha
    return moved


SYMLINK_MODE = "120000"
SUBMODULE_MODE = "160000"


def commit_entry(repo: Repository, branch: str, path: str, mode: str, target: str | bytes) -> str:
    """Commit one tree entry of any mode on `branch`, as `git` could push it: a symbolic link
    (`target` is where it points), a submodule (`target` is a commit id) or a regular file."""
    tip = repo.branch(branch)
    assert tip is not None, f"no branch {branch}"
    if mode == SUBMODULE_MODE:
        entry = TreeEntry(path.rsplit("/", 1)[-1], mode, "commit", str(target))
    else:
        data = target.encode() if isinstance(target, str) else target
        entry = TreeEntry(path.rsplit("/", 1)[-1], mode, "blob", repo.store.put_blob(data))
    tree = repo.store.edit_tree(repo.store.commits[tip].tree, {path: entry})
    who = repo.signature("octocat")
    new = repo.store.put_commit(tree, [tip], f"Change {path}", author=who, committer=who)
    repo.set_ref(f"refs/heads/{branch}", new)
    return new
