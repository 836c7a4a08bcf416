"""Cold start of the Action: what its install step costs on a runner that has nothing yet.

Repeats, each time in a new temporary folder, exactly what action.yml's `Install gatebot` step does:
  1. `python3 -I -m venv --without-pip VENV`;
  2. the runner's pip installs into it: `python3 -I -m pip --python VENV/bin/python install --no-compile
     --only-binary :all: --no-deps --require-hashes -r requirements/action.txt` (with `--no-cache-dir`
     unless `--warm`: a fresh hosted runner has no pip cache, so every wheel is fetched);
  3. the `.pth` file that puts the action's checkout on the path;
and then the first `gatebot --version` from that venv (imports, bytecode compiled on the way).
`--old` measures the recipe before: a venv with its own pip (ensurepip), bytecode compiled at install.
Reported: each part's wall time (median and range over the rounds) and its CPU time (user + system,
steadier than wall time on a busy machine), and the total against the 10 s target.

    python benchmarks/cold_start.py [--rounds 3] [--warm] [--old]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 10.0


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str], cpu: dict[str, float], part: str) -> float:
    started, used = time.perf_counter(), _cpu()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    cpu[part] = _cpu() - used
    return time.perf_counter() - started


def one_round(*, warm: bool, old: bool) -> tuple[dict[str, float], dict[str, float]]:
    folder = Path(tempfile.mkdtemp(prefix="gatebot-cold-"))
    try:
        venv = folder / "venv"
        python = str(venv / "bin" / "python")
        without = [] if old else ["--without-pip"]
        cpu: dict[str, float] = {}
        times = {"venv": _timed([sys.executable, "-I", "-m", "venv", *without, str(venv)], cpu, "venv")}
        pip = [python, "-I", "-m", "pip"] if old else [sys.executable, "-I", "-m", "pip", "--python", python]
        install = [*pip, "install", "--quiet", "--disable-pip-version-check", "--no-input"]
        install += ["--only-binary", ":all:", "--no-deps", "--require-hashes"]
        install += ["-r", str(ROOT / "requirements" / "action.txt")]
        install += [] if old else ["--no-compile"]
        times["pip install"] = _timed(install + ([] if warm else ["--no-cache-dir"]), cpu, "pip install")
        site = subprocess.run(
            [python, "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        (Path(site) / "gatebot-action.pth").write_text(f"{ROOT}\n")
        first = "first gatebot --version"
        times[first] = _timed([python, "-I", "-m", "gatebot", "--version"], cpu, first)
        times["total"] = sum(times.values())
        cpu["total"] = sum(cpu.values())
        return times, cpu
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warm", action="store_true", help="keep pip's cache (a runner that kept it)")
    parser.add_argument("--old", action="store_true", help="the recipe before: ensurepip, compile at install")
    args = parser.parse_args()
    rounds = [one_round(warm=args.warm, old=args.old) for _ in range(args.rounds)]
    kind = "warm pip cache" if args.warm else "no pip cache (--no-cache-dir)"
    kind += ", the old recipe" if args.old else ""
    print(f"Python {sysconfig.get_python_version()}, {kind}, {args.rounds} rounds:\n")
    print("| Part | Wall, median | Wall, range | CPU, median |")
    print("|---|---|---|---|")
    for part in rounds[0][0]:
        walls = [wall[part] for wall, _ in rounds]
        cpu = statistics.median(used[part] for _, used in rounds)
        median = statistics.median(walls)
        print(f"| {part} | {median:.1f} s | {min(walls):.1f}-{max(walls):.1f} s | {cpu:.1f} s |")
    total = statistics.median(wall["total"] for wall, _ in rounds)
    verdict = "within" if total <= TARGET_SECONDS else "over"
    print(f"\nTotal {total:.1f} s of wall time: {verdict} the {TARGET_SECONDS:g} s target.")
    return 0 if total <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
