"""`gatebot gate` where no baseline is stored: what stderr says, and `--base REF`, which benchmarks a commit
in a worktree as a pull request benchmarks its base commit."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo"
STORED = ".gatebot/baselines/ticket-router/tickets.json"


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True)
    return done.stdout


def _demo(tmp_path: Path) -> Path:
    """The demo without its stored baseline."""
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("train_*.jsonl", "__pycache__", ".gatebot"))
    return root


def _history(root: Path) -> str:
    """A repository whose previous commit has the base model and whose head has the fine-tune: the
    demo's pull request, as commits. Returns the previous commit."""
    fine_tune = (root / "models" / "ticket-router.npz").read_bytes()
    shutil.copy(root / "models" / "base.npz", root / "models" / "ticket-router.npz")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-qm", "base model")
    base = _git(root, "rev-parse", "HEAD").strip()
    (root / "models" / "ticket-router.npz").write_bytes(fine_tune)
    _git(root, "-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-qam", "fine-tune")
    return base


def _without_source(report: str) -> str:
    """The report without the lines that say where the baseline came from and when each run was made."""
    return "\n".join(
        line
        for line in report.splitlines()
        if "Compared with the baseline of" not in line and not line.startswith("Baseline: ")
    )


def test_gate__no_baseline__stderr_says_what_is_missing__its_command_fixes_it(
    tmp_path: Path, gatebot
) -> None:
    root = _demo(tmp_path)
    first = gatebot("gate", cwd=root)
    assert first.code == 2
    (line,) = [x for x in first.stderr.splitlines() if x.startswith("gatebot: no baseline")]
    assert f"no baseline of ticket-router on tickets: {STORED} does not exist" in line
    assert "`gatebot gate --base REF`" in line
    assert "&#96;" not in first.stdout and "Record one with gatebot baseline save" in first.stdout

    (command,) = re.findall(r"`(gatebot baseline save [^`]*)`", line)
    assert command == "gatebot baseline save gatebot-out/ticket-router/tickets.json"
    saved = gatebot(*shlex.split(command)[1:], cwd=root)
    assert saved.code == 0, saved.stderr
    assert (root / STORED).is_file()
    again = gatebot("gate", cwd=root)
    assert again.code == 0, again.stderr  # the same model against its own results
    assert "no baseline" not in again.stderr


def test_gate__no_baseline__report_shows_declared_metrics_as_declared_and_rates_in_percent(
    tmp_path: Path, gatebot
) -> None:
    first = gatebot("gate", cwd=_demo(tmp_path))
    assert first.code == 2
    assert "Shown, never gated" not in first.stdout  # every metric of the demo is declared
    (accuracy,) = [x for x in first.stdout.splitlines() if x.startswith("| accuracy")]
    assert re.search(r"\| \d+\.\d% +\|", accuracy), accuracy
    (nll,) = [x for x in first.stdout.splitlines() if x.startswith("| nll")]
    assert "%" not in nll  # a loss per example passes 1: no rate


def test_gate__no_baseline__elsewhere__the_command_names_config_and_store(tmp_path: Path, gatebot) -> None:
    root = _demo(tmp_path)
    store = tmp_path / "store"
    first = gatebot("gate", "--config", str(root / ".gatebot.yml"), "--baselines", str(store), cwd=tmp_path)
    assert first.code == 2
    (command,) = re.findall(r"`(gatebot baseline save [^`]*)`", first.stderr)
    assert gatebot(*shlex.split(command)[1:], cwd=tmp_path).code == 0
    assert (store / "ticket-router" / "tickets.json").is_file()


def test_gate__base_ref__benchmarks_it_in_a_worktree__the_report_a_stored_baseline_gives(
    tmp_path: Path, gatebot
) -> None:
    root = _demo(tmp_path)
    base = _history(root)
    run = gatebot("gate", "--base", "HEAD~1", "--json", "verdict.json", cwd=root)
    assert run.code == 1, run.stderr
    assert run.stdout.startswith("### ❌ gatebot: 1 regression")
    assert f"Compared with the baseline of commit {base[:7]} (--base), benchmarked in this run" in run.stdout
    assert f"has no stored baseline: benchmarking HEAD~1 ({base[:7]}) in a worktree" in run.stderr
    assert "gatebot: no baseline" not in run.stderr
    assert _git(root, "worktree", "list").count("\n") == 1  # its worktree is gone
    assert _git(root, "status", "--porcelain", "--untracked-files=no") == ""

    # The same comparison, with the base model's results stored as the baseline instead.
    saved = gatebot("baseline", "save", "gatebot-out/base/ticket-router/tickets.json", cwd=root)
    assert saved.code == 0, saved.stderr
    stored = gatebot("gate", cwd=root)
    assert stored.code == 1
    assert _without_source(stored.stdout) == _without_source(run.stdout)


def test_gate__base_ref_unknown__one_line__exit_2(tmp_path: Path, gatebot) -> None:
    root = _demo(tmp_path)
    _history(root)
    run = gatebot("gate", "--base", "no-such-branch", cwd=root)
    assert run.code == 2
    assert (
        run.stderr.strip()
        .splitlines()[-1]
        .startswith("gatebot: error: --base no-such-branch: no such commit")
    )
    outside = _demo(tmp_path / "plain")
    run = gatebot("gate", "--base", "main", cwd=outside)
    assert run.code == 2 and "not in a git repository" in run.stderr and "Traceback" not in run.stderr
