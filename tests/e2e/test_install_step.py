"""action.yml's install step, run as its own script in bash (what the runner does with it), for the ways
it can install: uv (the default, which the act tests use), pip (`installer: pip`), pip after uv was
refused, and an input it does not know; then the publish step's check of the installation's digest
against what the pull request's code could do between the two: hide a package in a folder the check
cannot list, or plant what Python probes at start beside the interpreter it was made from."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _script(step_id: str) -> str:
    steps = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["runs"]["steps"]
    return next(str(step["run"]) for step in steps if step.get("id") == step_id)


def _install_script() -> str:
    return _script("install")


def _digest_check() -> str:
    """The publish step's script up to the point where it would start Python with the token."""
    publish = _script("publish")
    check = publish.split("# Before Python starts with the token", 1)[1].split('exec "$GATEBOT_PYTHON"', 1)[0]
    return "set -euo pipefail\n" + check + "echo unchanged\n"


def _run(
    action: Path, tmp_path: Path, installer: str, *, path: str | None = None
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
    if path is not None:
        env["PATH"] = f"{path}{os.pathsep}{env['PATH']}"
    done = subprocess.run(
        ["bash", "-c", _install_script()],
        check=False,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    text = output.read_text()
    outputs = dict(line.split("=", 1) for line in text.splitlines() if "=" in line and "<<" not in line)
    if "roots<<gatebot_roots_end\n" in text:
        outputs["roots"] = text.split("roots<<gatebot_roots_end\n", 1)[1].split("gatebot_roots_end", 1)[0]
    return done, outputs


def _check(
    outputs: dict[str, str], tmp_path: Path, *, as_runner: bool = False
) -> subprocess.CompletedProcess[str]:
    """The publish step's digest check. `as_runner`: without root's power to read any folder, as the
    runner's user is (the tests run as root)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GATEBOT_", "PYTHON"))}
    env.update(
        RUNNER_TEMP=str(tmp_path / "runner-temp"),
        GATEBOT_VENV=outputs["venv"],
        GATEBOT_DIGEST=outputs["digest"],
        GATEBOT_ROOTS=outputs["roots"].strip(),
    )
    command = ["bash", "-c", _digest_check()]
    if as_runner and os.geteuid() == 0:
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--", *command]
    return subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=300)


def _refused(done: subprocess.CompletedProcess[str]) -> bool:
    return done.returncode == 2 and "gatebot's installation changed" in done.stdout


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


def test_digest__a_package_hidden_in_a_folder_the_check_cannot_list__refused(tmp_path: Path) -> None:
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("needs setpriv to check as the runner's user would")
    done, outputs = _run(_action_copy(tmp_path), tmp_path, "uv")
    assert done.returncode == 0, done.stderr
    assert _check(outputs, tmp_path, as_runner=True).stdout.strip() == "unchanged"

    # The pull request's code: a package gatebot.cli, which Python prefers to cli.py, in a folder
    # that can be entered (Python imports from it) but not listed.
    site = next(Path(outputs["venv"]).glob("lib/python3*/site-packages"))
    hidden = site / "gatebot" / "cli"
    hidden.mkdir()
    (hidden / "__init__.py").write_text("import os\nprint(os.environ.get('GATEBOT_TOKEN'))\n")
    hidden.chmod(0o311)
    try:
        assert _refused(_check(outputs, tmp_path, as_runner=True))
    finally:
        hidden.chmod(0o755)


def test_digest__planted_beside_the_interpreter__a_zip_on_sys_path_or_a_build_tree_marker__refused(
    tmp_path: Path,
) -> None:
    # A Python of the test's own, as actions/setup-python leaves one where the job can write: its own
    # bin/ and lib/ (the standard library linked in from this one's).
    prefix = tmp_path / "python"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "lib").mkdir()
    version = sysconfig.get_python_version()
    executable = Path(os.path.realpath(sys._base_executable))  # type: ignore[attr-defined]
    shutil.copy2(executable, prefix / "bin" / executable.name)
    if executable.name != "python3":
        (prefix / "bin" / "python3").symlink_to(executable.name)
    (prefix / "lib" / f"python{version}").symlink_to(sysconfig.get_path("stdlib"))
    done, outputs = _run(_action_copy(tmp_path), tmp_path, "uv", path=str(prefix / "bin"))
    assert done.returncode == 0, done.stderr
    assert str(prefix / "lib" / f"python{version.replace('.', '')}.zip") in outputs["roots"]
    assert _check(outputs, tmp_path).stdout.strip() == "unchanged"

    planted = prefix / "lib" / f"python{version.replace('.', '')}.zip"
    with zipfile.ZipFile(planted, "w") as archive:
        archive.writestr("argparse.py", "raise SystemExit('not the standard library')\n")
    assert _refused(_check(outputs, tmp_path))
    planted.unlink()
    assert _check(outputs, tmp_path).stdout.strip() == "unchanged"

    (prefix / "bin" / "pybuilddir.txt").write_text("build/lib\n")
    assert _refused(_check(outputs, tmp_path))
