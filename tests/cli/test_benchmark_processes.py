"""A benchmark's processes never outlive its run: background children, `setsid` daemons and double forks
are stopped when the shell exits or the timeout passes, and the command's output costs bounded memory."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gatebot.errors import BenchmarkError
from gatebot.runner import run_command
from tests.factories import results_doc, write_json

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc and prctl")


def _config(tmp_path: Path, run: str, timeout: float) -> None:
    write_json(tmp_path / "fixed.json", results_doc({"accuracy": [1, 0, 1]}, model="m", benchmark="b"))
    (tmp_path / ".gatebot.yml").write_text(
        "models:\n  m: {benchmarks: [b]}\n"
        f"benchmarks:\n  b:\n    run: '{run}'\n    timeout: {timeout}\n"
        "metrics:\n  accuracy: {direction: higher}\n"
    )


def _state(pid: int) -> str | None:
    """The process's state letter, None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return None
    return stat.rpartition(b")")[2].split()[0].decode()


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        if _state(pid) in (None, "Z", "X"):  # a zombie has exited; its new parent collects it
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def pid_files(tmp_path: Path) -> Iterator[list[str]]:
    """Names of the pid files a test's benchmark writes; whatever they name is killed afterwards, so a
    failing test leaves nothing running either."""
    names: list[str] = []
    yield names
    for name in names:
        path = tmp_path / name
        if path.exists() and path.read_text().strip():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(path.read_text()), signal.SIGKILL)


def _pids(tmp_path: Path, names: list[str]) -> list[int]:
    return [int((tmp_path / name).read_text()) for name in names]


@linux_only
def test_run__background_child_outlives_the_shell__stopped_when_the_shell_exits(
    tmp_path: Path, gatebot, pid_files: list[str]
) -> None:
    pid_files.append("child.pid")
    _config(
        tmp_path, "echo hi; (sleep 25; echo late) & echo $! > child.pid; echo done; cp fixed.json {output}", 3
    )
    started = time.monotonic()
    result = gatebot("run")
    assert result.code == 0, result.stderr
    assert time.monotonic() - started < 10
    assert "done" in result.stderr
    assert "late" not in result.stderr
    assert "the command left running" in result.stderr
    assert _gone(_pids(tmp_path, pid_files)[0])


@linux_only
def test_run__setsid_daemon_and_double_fork__stopped_on_success(
    tmp_path: Path, gatebot, pid_files: list[str]
) -> None:
    # Their output goes elsewhere, so nothing holds the pipe open: only gatebot can stop them.
    pid_files.extend(["daemon.pid", "orphan.pid"])
    _config(
        tmp_path,
        'setsid sh -c "sleep 30 & echo \\$! > daemon.pid; wait" >/dev/null 2>&1 & '
        '(sh -c "sleep 30 & echo \\$! > orphan.pid" >/dev/null 2>&1 &); '
        "while [ ! -s daemon.pid ] || [ ! -s orphan.pid ]; do sleep 0.05; done; cp fixed.json {output}",
        10,
    )
    started = time.monotonic()
    result = gatebot("run")
    assert result.code == 0, result.stderr
    assert time.monotonic() - started < 10
    daemon, orphan = _pids(tmp_path, pid_files)
    assert _gone(daemon)
    assert _gone(orphan)


@linux_only
def test_run__timeout__setsid_daemon_stopped_too(tmp_path: Path, gatebot, pid_files: list[str]) -> None:
    pid_files.append("daemon.pid")
    _config(tmp_path, 'setsid sh -c "sleep 30 & echo \\$! > daemon.pid; wait" & echo waiting; sleep 30', 1)
    started = time.monotonic()
    result = gatebot("run")
    assert time.monotonic() - started < 10
    assert result.code == 2
    assert "timed out after 1 s" in result.stderr
    assert "Traceback" not in result.stderr
    assert _gone(_pids(tmp_path, pid_files)[0])


@linux_only
def test_run_command__child_ignores_sigterm__killed_after_the_grace_period(
    tmp_path: Path, pid_files: list[str]
) -> None:
    pid_files.append("stubborn.pid")
    log = (tmp_path / "log.txt").open("w")
    command = 'setsid sh -c "trap \\"\\" TERM; echo \\$\\$ > stubborn.pid; while :; do sleep 0.1; done" & '
    command += "while [ ! -s stubborn.pid ]; do sleep 0.05; done"
    started = time.monotonic()
    with log:
        run_command(command, cwd=tmp_path, env=os.environ, timeout=5, log=log, what="b", grace=0.3)
    assert time.monotonic() - started < 4
    assert _gone(_pids(tmp_path, pid_files)[0])


def test_run_command__exits_nonzero__error_names_status_and_last_line(tmp_path: Path) -> None:
    log = (tmp_path / "log.txt").open("w")
    with log, pytest.raises(BenchmarkError, match=r"exited with status 4; last output: one \| two"):
        run_command(
            "printf 'one\\r\\ntwo'; exit 4", cwd=tmp_path, env=os.environ, timeout=5, log=log, what="b"
        )
    assert (tmp_path / "log.txt").read_text() == "one\ntwo"


def test_run__a_line_of_200_mb_without_newline__memory_stays_bounded(tmp_path: Path) -> None:
    size = 200 * 1024 * 1024
    _config(tmp_path, f'head -c {size} /dev/zero | tr "\\\\0" x; echo; echo the end; exit 3', 60)
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("GATEBOT_", "GITHUB_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "gatebot", "run"],
        cwd=tmp_path,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    seen = [0]
    tail = bytearray()

    def drain() -> None:
        assert process.stderr is not None
        for block in iter(lambda: process.stderr.read(1 << 16), b""):
            seen[0] += len(block)
            tail.extend(block)
            del tail[: -(1 << 14)]

    reader = threading.Thread(target=drain)
    reader.start()
    _, status, usage = os.wait4(process.pid, 0)
    reader.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    text = tail.decode()
    assert process.returncode == 2, text
    assert seen[0] > size  # the whole line reached the log
    assert "exited with status 3; last output: " in text
    error = next(line for line in text.splitlines() if line.startswith("gatebot: error:"))
    assert len(error) < 20_000
    assert "the end" in error
    peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    # gatebot alone peaks near 80 MiB; one copy of the line would add 200. The margin between is for
    # the allocator: on a loaded machine one run peaked at 156 MiB, with no copy of the line.
    assert peak < 180 * 1024 * 1024, f"peak memory {peak / 2**20:.0f} MiB"
