"""A job run as another commit has it: in a worktree of its own, and nothing left behind."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest

from gatebot.config import load_config
from gatebot.errors import BenchmarkError
from gatebot.plan import Job
from gatebot.runner import run_at_commit
from tests.projects import git


def test_commit_cannot_be_fetched__error_names_the_fix__no_scratch_folder_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".gatebot.yml").write_text("metrics:\n  acc: {direction: higher}\n", encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "config")
    loaded = load_config(repo / ".gatebot.yml", required=True)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    with pytest.raises(BenchmarkError, match="cannot fetch the base commit 0000000000") as raised:
        run_at_commit(repo, loaded, Job("m", "b"), "0" * 40, tmp_path / "out", log=io.StringIO())

    assert "fetch-depth: 0" in raised.value.hint
    assert list(scratch.iterdir()) == []
