"""How often does the gate fail, when we know the truth? A simulation of paired eval runs.

Each scenario draws a baseline run (every example right with probability 0.80) and a candidate run in
which some examples flip: right-to-wrong at one rate, wrong-to-right at another, per slice. The gate
(`gatebot.compare.compare` with the default settings: Holm correction, alpha 0.05, min_slice_size 30)
judges each pair; so does the naive rule "fail if accuracy drops by more than 1 point". The share of
runs that fail is the false-alarm rate where nothing changed and the power where something did.

    python benchmarks/decision_quality.py [--runs 1000] [--seed 0] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

import numpy as np

from gatebot.compare import compare
from gatebot.config import parse_config
from gatebot.results import Examples, Results, SliceColumn
from gatebot.verdict import Outcome

CONFIG = parse_config({"metrics": {"accuracy": {"direction": "higher"}}}, where="simulation")


@dataclass(frozen=True)
class Scenario:
    name: str
    sizes: tuple[int, ...]
    """Examples per slice; one slice means no slicing."""
    worse: tuple[float, ...]
    """Per slice: share of the slice's examples that flip right-to-wrong."""
    better: tuple[float, ...]
    """Per slice: share that flip wrong-to-right."""
    target: str


def _uniform(count: int, value: float) -> tuple[float, ...]:
    return (value,) * count


def scenarios() -> list[Scenario]:
    return [
        Scenario(
            "no change, 1,000 examples, 10% flip (5% each way)", (1000,), (0.05,), (0.05,), "fails <= 5%"
        ),
        Scenario("true drop of 3 points, 10% flip", (1000,), (0.065,), (0.035,), "fails >= 80%"),
        Scenario("no change, 20% flip (10% each way)", (1000,), (0.10,), (0.10,), "fails <= 5%"),
        Scenario("true drop of 3 points, 20% flip", (1000,), (0.115,), (0.085,), "fails >= 80%"),
        Scenario(
            "no change, 20 slices of 50 examples",
            _uniform(20, 50),
            _uniform(20, 0.05),
            _uniform(20, 0.05),
            "fails <= 5%",
        ),
        Scenario(
            "overall flat, a slice of 100 drops 15 points (slices 100 + 900)",
            (100, 900),
            (0.20, 0.05),
            (0.05, 0.05 + 0.15 / 9),
            "fails >= 80%",
        ),
        Scenario(
            "overall flat, a slice of 100 drops 15 points (slices 100 + 3 x 300)",
            (100, 300, 300, 300),
            (0.20, 0.05, 0.05, 0.05),
            (0.05, 0.05 + 0.15 / 9, 0.05 + 0.15 / 9, 0.05 + 0.15 / 9),
            "fails >= 80%",
        ),
        Scenario(
            "overall flat, a slice of 100 drops 15 points (10 slices of 100)",
            _uniform(10, 100),
            (0.20, *_uniform(9, 0.05)),
            (0.05, *_uniform(9, 0.05 + 0.15 / 9)),
            "fails >= 80%",
        ),
    ]


def draw(s: Scenario, rng: np.random.Generator) -> tuple[Results, Results, float]:
    """A baseline and a candidate run, and the naive rule's view: the overall accuracy change."""
    n = sum(s.sizes)
    base = (rng.random(n) < 0.80).astype(np.float64)
    cand = base.copy()
    codes = np.repeat(np.arange(len(s.sizes), dtype=np.int32), s.sizes)
    bounds = np.concatenate(([0], np.cumsum(s.sizes)))
    for k, size in enumerate(s.sizes):
        part = slice(int(bounds[k]), int(bounds[k + 1]))
        b = base[part]
        # Flip exactly round(rate * size) examples of the slice, drawn from those that can flip that way;
        # the share of right answers varies from run to run, so the flips stay a binomial-like draw.
        right = np.flatnonzero(b == 1)
        wrong = np.flatnonzero(b == 0)
        n_worse = min(right.size, rng.binomial(size, s.worse[k]))
        n_better = min(wrong.size, rng.binomial(size, s.better[k]))
        c = b.copy()
        c[rng.choice(right, size=n_worse, replace=False)] = 0.0
        c[rng.choice(wrong, size=n_better, replace=False)] = 1.0
        cand[part] = c
    ids = [f"e{i}" for i in range(n)]
    levels = tuple(f"s{k:02d}" for k in range(len(s.sizes)))
    slices = {"slice": SliceColumn(codes, levels)} if len(s.sizes) > 1 else {}

    def results(model: str, scores: np.ndarray) -> Results:
        examples = Examples(ids=ids, scores={"accuracy": scores}, slices=slices)
        return Results("sim", model, {"accuracy": float(scores.mean())}, examples)

    return results("base", base), results("cand", cand), float(cand.mean() - base.mean())


def evaluate(s: Scenario, runs: int, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    gate_fails = naive_fails = 0
    for _ in range(runs):
        baseline, candidate, delta = draw(s, rng)
        gate_fails += compare(baseline, candidate, CONFIG).outcome is Outcome.FAILED
        naive_fails += delta < -0.01
    return gate_fails / runs, naive_fails / runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args(argv)
    rows = []
    started = time.perf_counter()
    for i, s in enumerate(scenarios()):
        gate, naive = evaluate(s, args.runs, args.seed + i)
        rows.append((s.name, s.target, gate, naive))
        if not args.markdown:
            print(f"{s.name:<70} target {s.target:<13} gate {gate:6.1%}   naive 1-point rule {naive:6.1%}")
    elapsed = time.perf_counter() - started
    if args.markdown:
        print(f'| Scenario ({args.runs} runs each) | Target | gatebot fails | Naive "drop > 1 point" fails |')
        print("|---|---|---|---|")
        for name, target, gate, naive in rows:
            print(f"| {name} | {target} | {gate:.1%} | {naive:.1%} |")
    print(f"{len(rows)} scenarios x {args.runs} runs in {elapsed:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
