"""Cold start of the Action: what its install step costs on a runner that has nothing yet.

Runs, each round in a new temporary folder standing for RUNNER_TEMP, the `Install gatebot` step's own
script, taken from action.yml as it is (a venv with no pip of its own; with `--installer uv`, the
default, the runner's pip fetching the hash-pinned uv wheel and uv installing the hash-pinned wheels of
requirements/action.txt, with `--installer pip` the runner's pip installing them; gatebot copied in, the
venv compiled, the digest of the installation), with pip's cache off unless `--warm` (a fresh hosted
runner has none, so every wheel is fetched; uv never reads a cache). Then what each later step pays
before its work starts: the first `gatebot --version` (`python -I -B`, as the stages run, importing
what they import) and the publish step's check of the digest.

Reported: each part's wall time (median and range over the rounds) and the CPU time of the whole step
(user + system, steadier than wall time on a busy machine), and the total against the 10 s target.

    python benchmarks/cold_start.py [--rounds 3] [--warm] [--installer uv|pip]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 10.0
PHASES = (
    ("venv", re.compile(r" -m venv ")),
    ("install uv", re.compile(r" -r \S*/installer\.txt")),
    ("install the wheels", re.compile(r" -r \S*/action\.txt")),
    ("copy gatebot, compile", re.compile(r"^\S+ cp -R ")),
    ("digest", re.compile(r"^\S+ roots=|^\S+ mapfile ")),
)
"""Each part of the step starts at the first traced command that matches."""


def _step(name: str) -> str:
    steps = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["runs"]["steps"]
    return next(str(s["run"]) for s in steps if s.get("id") == name)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _phases(trace: str, started: float, ended: float) -> dict[str, float]:
    """The wall time of each part, from the trace's `+<EPOCHREALTIME> command` lines."""
    times = {name: 0.0 for name, _ in PHASES}
    current, since = PHASES[0][0], started
    for line in trace.splitlines():
        match = re.match(r"^\++(\d+\.\d+) (.*)", line)
        if match is None:
            continue
        stamp, command = float(match.group(1)), f"+ {match.group(2)}"
        for name, pattern in PHASES:
            if pattern.search(command) and list(times).index(name) > list(times).index(current):
                times[current] += stamp - since
                current, since = name, stamp
    times[current] += ended - since
    return times


def one_round(*, warm: bool, installer: str) -> tuple[dict[str, float], float]:
    folder = Path(tempfile.mkdtemp(prefix="gatebot-cold-"))
    try:
        output = folder / "output"
        output.touch()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
        env.update(
            RUNNER_TEMP=str(folder),
            GITHUB_OUTPUT=str(output),
            GATEBOT_ACTION_PATH=str(ROOT),
            GATEBOT_INSTALLER=installer,
        )
        if not warm:
            env["PIP_NO_CACHE_DIR"] = "1"
        used, started = _cpu(), time.time()
        done = subprocess.run(
            # PS4 set in the script: bash ignores one from the environment when run as root.
            ["bash", "-c", "PS4='+${EPOCHREALTIME} '\nset -x\n" + _step("install")],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        times = _phases(done.stderr, started, time.time())
        cpu = _cpu() - used
        outputs = dict(
            line.split("=", 1) for line in output.read_text().splitlines() if "=" in line and "<<" not in line
        )
        python = outputs["python"]
        begun = time.perf_counter()
        subprocess.run(
            [python, "-I", "-B", "-m", "gatebot", "--version"], check=True, stdout=subprocess.DEVNULL
        )
        times["first gatebot start"] = time.perf_counter() - begun
        roots = output.read_text().split("roots<<gatebot_roots_end\n", 1)[1].split("gatebot_roots_end", 1)[0]
        publish = _step("publish").split("# Before Python starts with the token", 1)[1]
        publish = publish.split('exec "$GATEBOT_PYTHON"', 1)[0]
        check_env = {
            **env,
            "GATEBOT_VENV": outputs["venv"],
            "GATEBOT_ROOTS": roots.strip(),
            "GATEBOT_DIGEST": outputs["digest"],
        }
        begun = time.perf_counter()
        subprocess.run(["bash", "-c", "set -euo pipefail\n" + publish], env=check_env, check=True)
        times["publish step's digest check"] = time.perf_counter() - begun
        times["total"] = sum(times.values())
        return times, cpu
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warm", action="store_true", help="keep pip's cache (a runner that kept it)")
    parser.add_argument("--installer", choices=("uv", "pip"), default="uv", help="the action's input")
    args = parser.parse_args()
    rounds = [one_round(warm=args.warm, installer=args.installer) for _ in range(args.rounds)]
    kind = f"installer {args.installer}, " + ("warm pip cache" if args.warm else "no pip cache")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Python {sysconfig.get_python_version()}, {kind}, {args.rounds} rounds, {os.cpu_count()} cores")
    print(f"(load average {load}):\n")
    print("| Part | Wall, median | Wall, range |")
    print("|---|---|---|")
    for part in rounds[0][0]:
        walls = [wall[part] for wall, _ in rounds]
        print(f"| {part} | {statistics.median(walls):.1f} s | {min(walls):.1f}-{max(walls):.1f} s |")
    total = statistics.median(wall["total"] for wall, _ in rounds)
    cpu = statistics.median(used for _, used in rounds)
    verdict = "within" if total <= TARGET_SECONDS else "over"
    print(f"\nInstall step CPU time (user + system), median: {cpu:.1f} s.")
    print(f"Total {total:.1f} s of wall time: {verdict} the {TARGET_SECONDS:g} s target.")
    return 0 if total <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
