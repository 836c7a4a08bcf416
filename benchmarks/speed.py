"""Speed and memory of `gatebot compare` on a large eval, against the cost of merely reading its inputs.

For each size N (10,000, 100,000 and 1,000,000 examples by default), writes two results files
(baseline, candidate) of N examples x 3 metrics (0/1 accuracy, a continuous score, latency) x 20 slice
values, then measures, each in a fresh process:
  1. the stdlib: `json.load` of both files (the reference the target is stated against);
  2. `gatebot compare BASELINE CANDIDATE --json ... --markdown ...`: load, compare, render, write the
     verdict (and its flips file) and the report.
Reported side by side: wall time and peak resident memory of each process, their ratio, and the size of
the verdict and of the flips file beside it, in a markdown table.

    python benchmarks/speed.py [--examples "10000 100000 1000000"] [--out benchmarks/out]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

SLICE_VALUES = 20


def write_results(path: Path, model: str, n: int, seed: int, *, shift: float) -> None:
    """Stream a gatebot/results@1 file with n examples, without holding it in memory."""
    rng = np.random.default_rng(seed)
    base_rng = np.random.default_rng(1234)  # the same underlying difficulty for both runs
    difficulty = base_rng.random(n)
    correct = (rng.random(n) * 0.25 + difficulty * 0.75) < 0.8 - shift
    f1 = np.clip(difficulty * 0.6 + rng.random(n) * 0.4 - shift, 0, 1)
    latency = 50 + rng.gamma(2.0, 20.0, n)
    category = base_rng.integers(0, SLICE_VALUES, n)
    with path.open("w", encoding="utf-8") as out:
        out.write(
            f'{{"schema":"gatebot/results@1","benchmark":"speed","model":"{model}",'
            f'"metrics":{{"accuracy":{correct.mean():.6f},"f1":{f1.mean():.6f},"latency_ms":{latency.mean():.3f}}},'
            '"examples":['
        )
        for start in range(0, n, 100_000):
            stop = min(n, start + 100_000)
            rows = [
                f'{{"id":"ex-{i:07d}","scores":{{"accuracy":{int(correct[i])},"f1":{f1[i]:.4f},'
                f'"latency_ms":{latency[i]:.1f}}},"slices":{{"category":"c{category[i]:02d}"}}}}'
                for i in range(start, stop)
            ]
            out.write(("," if start else "") + ",".join(rows))
        out.write('],"provenance":{"dataset_digest":"sha256:speed"}}\n')


def measure(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a command run in a fresh child process."""
    wrapper = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL); dt = time.perf_counter() - t; "
        "print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *command], capture_output=True, text=True, check=True
    )
    seconds, rss_kb, code = done.stdout.split()
    if int(code) not in (0, 1):
        raise SystemExit(f"{command[:3]} exited with {code}: {done.stderr[-500:]}")
    return float(seconds), int(rss_kb) / 1024


def _sizes(text: str) -> list[int]:
    return [int(part.replace("_", "").replace(",", "")) for part in text.split()]


def run_size(n: int, out: Path) -> dict[str, float]:
    """Both measurements at one size, each in a fresh process; the verdict's and flips file's sizes."""
    base = out / f"speed-base-{n}.json"
    cand = out / f"speed-cand-{n}.json"
    for path, model, seed, shift in ((base, "base", 1, 0.0), (cand, "cand", 2, 0.002)):
        if not path.exists():
            print(f"writing {path} ...", file=sys.stderr)
            write_results(path, model, n, seed, shift=shift)
    load = [
        sys.executable,
        "-c",
        "import json, sys\nfor p in sys.argv[1:]: json.load(open(p))",
        str(base),
        str(cand),
    ]
    json_s, json_mb = measure(load)
    config = out / "speed.gatebot.yml"
    config.write_text(
        "metrics:\n"
        "  accuracy: {direction: higher, min_effect: 0.005}\n"
        "  f1: {direction: higher}\n"
        "  latency_ms: {direction: lower, gate: false}\n"
    )
    verdict = out / f"verdict-{n}.json"
    gate = [sys.executable, "-m", "gatebot", "compare", str(base), str(cand), "--config", str(config)]
    gate += ["--json", str(verdict), "--markdown", str(out / f"report-{n}.md")]
    gate_s, gate_mb = measure(gate)
    flips = verdict.with_name(f"{verdict.stem}.flips.jsonl")
    return {
        "examples": n,
        "inputs_mb": (base.stat().st_size + cand.stat().st_size) / 1e6,
        "json_s": json_s,
        "json_mb": json_mb,
        "gate_s": gate_s,
        "gate_mb": gate_mb,
        "verdict_kb": verdict.stat().st_size / 1e3,
        "flips_mb": flips.stat().st_size / 1e6 if flips.exists() else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--examples", type=_sizes, default=[10_000, 100_000, 1_000_000], help="sizes, e.g. '10000 1000000'"
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    print(
        "| examples | inputs | json.load of both | gatebot compare + render | ratio "
        "| peak json.load | peak gatebot | verdict.json | flips file |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.examples:
        r = run_size(n, args.out)
        print(
            f"| {n:,} | {r['inputs_mb']:.0f} MB | {r['json_s']:.2f} s | {r['gate_s']:.2f} s "
            f"| {r['gate_s'] / r['json_s']:.2f} | {r['json_mb']:.0f} MB | {r['gate_mb']:.0f} MB "
            f"| {r['verdict_kb']:.0f} kB | {r['flips_mb']:.1f} MB |",
            flush=True,
        )
    print(f"load average {os.getloadavg()[0]:.1f} at the end; target at 1,000,000: ratio <= 1, peak < 600 MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
