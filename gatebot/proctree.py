"""The processes a benchmark command starts, and stopping every one of them when its run ends.

A command runs in its own session (`start_new_session`), so its process group is the leader's pid. Killing
that group is not enough: a child can call `setsid`, or fork twice so that it is no longer anyone's child.
What gatebot guarantees, where:

- **Linux**: while a command runs, gatebot is a *child subreaper* (`prctl(PR_SET_CHILD_SUBREAPER)`), so a
  process of the command that loses its parent (double fork, daemon) is reparented to gatebot instead of to
  init. At the end of every run (success, failure, timeout, interrupt) gatebot walks the `ppid` links in
  `/proc/<pid>/stat` from the leader and from its own new children, kills every process found, and repeats
  until none is left. Nothing the command started outlives its run; the exception is a process some other
  service starts on its behalf (`systemd-run`, `docker run`, `ssh`, `at`), which is not its descendant.
- **Elsewhere** (macOS, BSD, or a Linux without `/proc` or `prctl`): gatebot kills the command's process
  group, and on Linux without `prctl` also the descendants still linked to the leader. A process that moved
  to another session or group can survive.

Processes are first asked to stop (SIGTERM); those still running after the grace period are killed.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

_PR_SET_CHILD_SUBREAPER = 36
_PR_GET_CHILD_SUBREAPER = 37
_PROC = "/proc"
_KILL_ROUNDS = 200
_PAUSE_SECONDS = 0.01


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function: Callable[..., int] = libc.prctl
    except (OSError, AttributeError):
        return None
    return function


@contextmanager
def subreaper() -> Iterator[bool]:
    """Make this process a child subreaper for the duration; yields whether that worked (Linux only).

    The previous setting is restored afterwards."""
    prctl = _prctl()
    previous = ctypes.c_int(0)
    if prctl is None or prctl(_PR_GET_CHILD_SUBREAPER, ctypes.byref(previous), 0, 0, 0) != 0:
        yield False
        return
    if prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        yield False
        return
    try:
        yield True
    finally:
        prctl(_PR_SET_CHILD_SUBREAPER, previous.value, 0, 0, 0)


def _table() -> dict[int, tuple[int, str]] | None:
    """pid -> (parent pid, state letter) of every process in /proc; None when there is no /proc."""
    try:
        names = os.listdir(_PROC)
    except OSError:
        return None
    table: dict[int, tuple[int, str]] = {}
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"{_PROC}/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue  # gone meanwhile
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
        fields = stat.rpartition(b")")[2].split()
        if len(fields) >= 2:
            table[int(name)] = (int(fields[1]), fields[0].decode("ascii", "replace"))
    return table


def children() -> frozenset[int]:
    """The pids of this process's children now (empty without /proc)."""
    me = os.getpid()
    table = _table() or {}
    return frozenset(pid for pid, (ppid, _) in table.items() if ppid == me)


def _members(process: subprocess.Popen[bytes], before: frozenset[int]) -> dict[int, tuple[int, str]] | None:
    """The command's processes: the leader's descendants, and our own children that appeared since
    `before` (orphans reparented to us) with theirs. None when there is no /proc."""
    table = _table()
    if table is None:
        return None
    me = os.getpid()
    kids: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        kids.setdefault(ppid, []).append(pid)
    todo = [pid for pid in kids.get(me, ()) if pid not in before]
    if process.returncode is None:
        # Not yet collected, so its pid cannot have been reused; once collected, its children are ours.
        todo.append(process.pid)
    found: dict[int, tuple[int, str]] = {}
    while todo:
        pid = todo.pop()
        if pid in found or pid == me or pid not in table:
            continue
        found[pid] = table[pid]
        todo.extend(kids.get(pid, ()))
    return found


def _signal(process: subprocess.Popen[bytes], pids: Iterator[int], sig: signal.Signals) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)
    for pid in pids:
        with suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _reap(members: dict[int, tuple[int, str]], leader: int) -> None:
    """Collect the exit status of our own children among `members` (the leader is Popen's to reap)."""
    me = os.getpid()
    for pid, (ppid, state) in members.items():
        if ppid == me and pid != leader and state == "Z":
            with suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _alive(process: subprocess.Popen[bytes], before: frozenset[int]) -> dict[int, tuple[int, str]]:
    """The command's processes that still run (zombies of ours are reaped on the way)."""
    members = _members(process, before)
    if members is None:
        running = process.poll() is None or _group_alive(process.pid)
        return {process.pid: (0, "R")} if running else {}
    _reap(members, process.pid)
    return {pid: info for pid, info in members.items() if info[1] not in ("Z", "X")}


def stop(
    process: subprocess.Popen[bytes],
    before: frozenset[int],
    *,
    grace: float,
    wait: Callable[[float], None],
) -> int:
    """Stop every process of the command led by `process` (see the module docstring for what "every"
    means where); return how many were still running besides the leader.

    `before` is this process's children before the command started. `wait(seconds)` is called while
    waiting, so the caller can keep reading the command's output."""
    alive = _alive(process, before)
    others = len([pid for pid in alive if pid != process.pid])
    if not alive:
        return 0
    _signal(process, iter(alive), signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive and time.monotonic() < deadline:
        wait(min(_PAUSE_SECONDS * 5, max(0.0, deadline - time.monotonic())))
        alive = _alive(process, before)
    for _ in range(_KILL_ROUNDS):
        if not alive:
            break
        _signal(process, iter(alive), signal.SIGKILL)
        wait(_PAUSE_SECONDS)
        alive = _alive(process, before)
    return others
