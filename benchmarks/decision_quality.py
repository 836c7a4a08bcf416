"""How often does the gate fail, when we know the truth? A simulation of paired eval runs.

Each scenario draws a baseline run (every example right with probability 0.80) and a candidate run in
which some examples flip: right-to-wrong at one rate, wrong-to-right at another, per slice. The gate
(`gatebot.compare.compare` with the default settings: Holm correction, alpha 0.05, min_slice_size 30)
judges each pair; so does the naive rule "fail if accuracy drops by more than 1 point". The share of
runs that fail is the false-alarm rate where nothing changed and the power where something did.

The search scenarios ask whether `gatebot.discover.search` finds a regression in a subgroup nobody
declared. Each run has 2,000 examples with a declared slice (language: 8 values) and three metadata
fields the search also looks at (channel: 4 values, topic: 8 values, input_chars: a number); 5% of the
examples flip right-to-wrong and 5% wrong-to-right, and the billing questions sent by email (about 62)
flip right-to-wrong 20 to 25 points more often. The search counts as finding it when one of its
findings shares at least half its examples with that subgroup (Jaccard >= 0.5); where nothing
changed, when it reports any finding at all. Beside it: how often the gate, which tests the overall
change and the declared slices, fails on the same runs. The search pays for looking at about 136
subgroups: a finding must beat the permutation maximum over all of them (z of about 3.6 on these
data, where one declared test needs 1.64), which is why a 20-point drop in 62 examples (about 12 net
flips) is found a little less often than a 25-point one.

    python benchmarks/decision_quality.py [--runs 1000] [--seed 0] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gatebot.compare import compare
from gatebot.config import parse_config
from gatebot.discover import search
from gatebot.results import Examples, FloatArray, Results, SliceColumn
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


@dataclass(frozen=True)
class SearchScenario:
    name: str
    drop: float
    """Extra share of the billing-by-email examples that flip right-to-wrong."""
    target: str


SEARCH_EXAMPLES = 2000
LANGUAGES = ("en", "es", "fr", "de", "it", "pt", "nl", "pl")
CHANNELS = ("email", "chat", "phone", "web")
TOPICS = ("billing", "shipping", "returns", "account", "login", "refund", "privacy", "other")


def search_scenarios() -> list[SearchScenario]:
    return [
        SearchScenario("search: no change, 2,000 examples, 4 fields", 0.0, "finds <= 5%"),
        SearchScenario(
            "search: 62 of 2,000 (email x billing, undeclared) drop 20 points", 0.20, "finds >= 80%"
        ),
        SearchScenario(
            "search: 62 of 2,000 (email x billing, undeclared) drop 22 points", 0.22, "finds >= 80%"
        ),
        SearchScenario(
            "search: 62 of 2,000 (email x billing, undeclared) drop 25 points", 0.25, "finds >= 80%"
        ),
    ]


def _flip(
    base: FloatArray, members: npt.NDArray[np.intp], worse: float, better: float, rng: np.random.Generator
) -> FloatArray:
    """The candidate's scores on `members`: as in `draw`, exact binomial counts of flips each way."""
    b = base[members]
    right, wrong = np.flatnonzero(b == 1), np.flatnonzero(b == 0)
    c = b.copy()
    c[rng.choice(right, size=min(right.size, rng.binomial(members.size, worse)), replace=False)] = 0.0
    c[rng.choice(wrong, size=min(wrong.size, rng.binomial(members.size, better)), replace=False)] = 1.0
    return c


def search_run(s: SearchScenario, rng: np.random.Generator) -> tuple[bool, bool]:
    """One run: did the search find the planted subgroup (any finding, with no drop), did the gate fail."""
    n = SEARCH_EXAMPLES
    language = rng.integers(0, len(LANGUAGES), n).astype(np.int32)
    channel = rng.integers(0, len(CHANNELS), n).astype(np.int32)
    topic = rng.integers(0, len(TOPICS), n).astype(np.int32)
    input_chars = np.round(rng.lognormal(6.0, 1.0, n))
    base = (rng.random(n) < 0.80).astype(np.float64)
    planted = (channel == 0) & (topic == 0)
    cand = base.copy()
    for members, worse in ((np.flatnonzero(~planted), 0.05), (np.flatnonzero(planted), 0.05 + s.drop)):
        cand[members] = _flip(base, members, worse, 0.05, rng)
    declared = {"language": SliceColumn(language, LANGUAGES)}
    metadata = {"channel": SliceColumn(channel, CHANNELS), "topic": SliceColumn(topic, TOPICS)}
    found = search(
        base,
        cand,
        direction="higher",
        rng=rng,
        categorical={**declared, **metadata},
        numeric={"input_chars": input_chars},
    )
    if s.drop == 0.0:
        hit = bool(found.findings)
    else:
        hit = any(_jaccard(f.examples, planted) >= 0.5 for f in found.findings)
    ids = [f"e{i}" for i in range(n)]

    def results(model: str, scores: FloatArray) -> Results:
        examples = Examples(ids=ids, scores={"accuracy": scores}, slices=declared)
        return Results("sim", model, {"accuracy": float(scores.mean())}, examples)

    failed = compare(results("base", base), results("cand", cand), CONFIG).outcome is Outcome.FAILED
    return hit, failed


def _jaccard(examples: npt.NDArray[np.intp], planted: npt.NDArray[np.bool_]) -> float:
    inside = int(np.count_nonzero(planted[examples]))
    return inside / (examples.size + int(np.count_nonzero(planted)) - inside)


def evaluate_search(s: SearchScenario, runs: int, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    hits = fails = 0
    for _ in range(runs):
        hit, failed = search_run(s, rng)
        hits += hit
        fails += failed
    return hits / runs, fails / runs


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
    search_rows = []
    for i, s in enumerate(search_scenarios(), start=len(rows)):
        finds, gate = evaluate_search(s, args.runs, args.seed + i)
        search_rows.append((s.name, s.target, finds, gate))
        if not args.markdown:
            print(
                f"{s.name:<70} target {s.target:<13} finds {finds:6.1%}   gate (declared slices) {gate:6.1%}"
            )
    elapsed = time.perf_counter() - started
    if args.markdown:
        print(f'| Scenario ({args.runs} runs each) | Target | gatebot fails | Naive "drop > 1 point" fails |')
        print("|---|---|---|---|")
        for name, target, gate, naive in rows:
            print(f"| {name} | {target} | {gate:.1%} | {naive:.1%} |")
        print()
        print(f"| Search scenario ({args.runs} runs each) | Target | Search finds it | Gate fails |")
        print("|---|---|---|---|")
        for name, target, finds, gate in search_rows:
            print(f"| {name} | {target} | {finds:.1%} | {gate:.1%} |")
    count = len(rows) + len(search_rows)
    print(f"{count} scenarios x {args.runs} runs in {elapsed:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
