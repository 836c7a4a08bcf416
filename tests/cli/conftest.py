"""Run `gatebot` as a user does: a subprocess with its own working directory."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Completed:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def gatebot(tmp_path: Path):
    def run(
        *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
    ) -> Completed:
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("GATEBOT_", "GITHUB_"))}
        environ.update(env or {})
        done = subprocess.run(
            [sys.executable, "-m", "gatebot", *args],
            cwd=cwd or tmp_path,
            env=environ,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Completed(done.returncode, done.stdout, done.stderr)

    return run
