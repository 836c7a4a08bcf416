"""Speed and memory of the subgroup search (`gatebot.discover.search`) on large evals.

Each case draws N paired examples with 10 metadata fields (5 categorical with 3 to 12 values, 5
numeric: two continuous, two with a few integer values, one 0/1 flag with some missing), and
searches one metric with the default options:
  - a 0/1 metric (accuracy) where 10% of the examples change (5% each way), the usual LLM eval;
  - a continuous score where every example changes a little, the worst case for the search (every
    example enters the permutations).
Reported: the best wall seconds of a few runs (the machine may be shared), the peak memory numpy
allocated during one search (tracemalloc), the subgroups searched and the permutations drawn.

    python benchmarks/discover_speed.py [--examples 10000 100000] [--seed 0] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from gatebot.discover import Discovery, search
from gatebot.results import FloatArray, SliceColumn

CATEGORICAL_LEVELS = (3, 4, 5, 8, 12)


def fields(n: int, rng: np.random.Generator) -> tuple[dict[str, SliceColumn], dict[str, FloatArray]]:
    categorical = {
        f"field_{k}": SliceColumn(
            rng.integers(0, levels, n).astype(np.int32), tuple(f"v{i}" for i in range(levels))
        )
        for k, levels in enumerate(CATEGORICAL_LEVELS)
    }
    flag = (rng.random(n) < 0.3).astype(np.float64)
    flag[rng.random(n) < 0.1] = np.nan
    numeric = {
        "input_chars": rng.lognormal(6.0, 1.0, n),
        "latency_ms": 50 + rng.gamma(2.0, 20.0, n),
        "turns": rng.integers(1, 5, n).astype(np.float64),
        "attachments": rng.poisson(0.7, n).clip(0, 3).astype(np.float64),
        "has_table": flag,
    }
    return categorical, numeric


def scores(n: int, rng: np.random.Generator, *, binary: bool) -> tuple[FloatArray, FloatArray]:
    if binary:
        base = (rng.random(n) < 0.8).astype(np.float64)
        # 5% of all examples flip each way: right ones with probability 0.05/0.8, wrong ones 0.05/0.2
        flip = rng.random(n) < np.where(base == 1.0, 0.05 / 0.8, 0.05 / 0.2)
        return base, np.where(flip, 1.0 - base, base)
    base = rng.random(n)
    return base, np.clip(base + rng.normal(0.0, 0.05, n), 0.0, 1.0)


def measure(n: int, seed: int, *, binary: bool, repeats: int) -> tuple[float, float, int, int, int]:
    """Best wall seconds of `repeats` searches (the machine may be shared), and the peak memory of one."""
    rng = np.random.default_rng(seed)
    categorical, numeric = fields(n, rng)
    base, cand = scores(n, rng, binary=binary)

    def once() -> Discovery:
        return search(
            base,
            cand,
            direction="higher",
            rng=np.random.default_rng(seed),
            categorical=categorical,
            numeric=numeric,
        )

    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        found = once()
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    once()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return min(times), peak / 2**20, found.candidates, found.permutations, len(found.findings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="report the best of this many runs")
    args = parser.parse_args(argv)
    header = f"{'examples':>9} {'metric':<10} {'seconds':>8} {'peak MB':>8} {'subgroups':>9} {'perms':>6}"
    print(header, " findings")
    for n in args.examples:
        for binary in (True, False):
            seconds, peak, count, perms, findings = measure(n, args.seed, binary=binary, repeats=args.repeats)
            kind = "0/1" if binary else "continuous"
            print(f"{n:>9,} {kind:<10} {seconds:>8.2f} {peak:>8.0f} {count:>9,} {perms:>6}  {findings}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
