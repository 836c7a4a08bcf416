"""action.yml's install step, run as its own script in bash (what the runner does with it), for the ways
it can install: uv (the default, which the act tests use), pip (`installer: pip`), pip after uv was
refused, and an input it does not know."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _install_script() -> str:
    steps = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["runs"]["steps"]
    return next(str(step["run"]) for step in steps if step.get("id") == "install")


def _run(
    action: Path, tmp_path: Path, installer: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    output = tmp_path / "github-output"
    output.touch()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GATEBOT_", "PYTHON"))}
    env.update(
        GATEBOT_ACTION_PATH=str(action),
        GATEBOT_INSTALLER=installer,
        RUNNER_TEMP=str(runner_temp),
        GITHUB_OUTPUT=str(output),
    )
    done = subprocess.run(
        ["bash", "-c", _install_script()],
        check=False,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    outputs = dict(
        line.split("=", 1) for line in output.read_text().splitlines() if "=" in line and "<<" not in line
    )
    return done, outputs


def _action_copy(tmp_path: Path) -> Path:
    action = tmp_path / "action"
    shutil.copytree(ROOT / "gatebot", action / "gatebot", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "requirements", action / "requirements")
    return action


def _runs(python: str) -> str:
    done = subprocess.run(
        [python, "-I", "-B", "-m", "gatebot", "--version"], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_install__installer_pip__pip_installs_the_pinned_wheels_and_gatebot_runs(tmp_path: Path) -> None:
    done, outputs = _run(_action_copy(tmp_path), tmp_path, "pip")

    assert done.returncode == 0, done.stderr
    assert "::warning" not in done.stdout
    assert _runs(outputs["python"]).startswith("gatebot ")
    assert len(outputs["digest"]) == 64
    assert not list((tmp_path / "runner-temp").glob("gatebot-uv.*")), "uv is never fetched with pip"


def test_install__uv_wheel_hash_differs__refused_and_pip_installs_with_a_warning(tmp_path: Path) -> None:
    action = _action_copy(tmp_path)
    pins = action / "requirements" / "installer.txt"
    text = pins.read_text(encoding="utf-8")
    hashes = [line.split("sha256:", 1)[1].strip() for line in text.splitlines() if "sha256:" in line]
    for value in hashes:
        text = text.replace(value, "0" * 64)
    pins.write_text(text, encoding="utf-8")

    done, outputs = _run(action, tmp_path, "uv")

    assert done.returncode == 0, done.stderr
    assert "::warning title=gatebot::uv could not install gatebot's wheels" in done.stdout
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in done.stderr
    assert _runs(outputs["python"]).startswith("gatebot ")
    venvs = list((tmp_path / "runner-temp").glob("gatebot-venv.*"))
    assert [str(v) for v in venvs] == [outputs["venv"]], "the venv uv began is gone, one fresh venv left"
    assert not list((tmp_path / "runner-temp").glob("gatebot-uv.*")), "uv's folder is removed"


def test_install__unknown_installer__one_error_and_exit_2(tmp_path: Path) -> None:
    done, outputs = _run(_action_copy(tmp_path), tmp_path, "conda")

    assert done.returncode == 2
    assert done.stdout.strip().splitlines()[-1] == "::error title=gatebot::input installer must be uv or pip"
    assert outputs == {}
