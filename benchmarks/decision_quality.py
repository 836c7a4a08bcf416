"""How often does the gate fail, when we know the truth? A simulation of paired eval runs.

Each scenario draws a baseline run and a candidate run whose truth is known: nothing changed, or a drop
of a known size, in one of the designs real evals have (independent examples, examples in clusters,
repeated samples, aggregates only, examples missing from the candidate, several benchmarks in one run).
Three rules judge each pair:

- gatebot: `gatebot.compare.compare_run` with the default settings (Holm, alpha 0.05, min_slice_size 30,
  one family per run, missing examples counted as the worst score);
- the previous rule: the one gatebot used before it knew these designs, restated below
  (`previous_rule`): examples independent and scored once (samples of one example counted as separate
  examples, clusters ignored), examples missing from the candidate left out, non-inferiority held on
  every slice in one Holm family, aggregates judged by the threshold alone, one family per benchmark;
- the naive rule "fail if the aggregate drops by more than 1 point".

The table gives, per scenario, the share of runs with the outcome the target names: failing (false
alarms where nothing changed, power where something did), passing, or covering the true change.

The search scenarios ask whether the gate's subgroup search (`gate.discover`, `gatebot.discover`, run
by `compare` with the default settings) finds a regression in a subgroup nobody declared. Each run has
2,000 examples with a declared slice (language: 8 values) and three metadata fields the search also
looks at (channel: 4 values, topic: 8 values, input_chars: a number); 5% of the
examples flip right-to-wrong and 5% wrong-to-right, and the billing questions sent by email (about 62)
flip right-to-wrong 20 to 25 points more often. The search counts as finding it when one of its
findings shares at least half its examples with that subgroup (Jaccard >= 0.5); where nothing
changed, when it reports any finding at all. Beside it: how often the gate, which tests the overall
change and the declared slices, fails on the same runs. The search pays for looking at about 136
subgroups: a finding must beat the permutation maximum over all of them (z of about 3.6 on these
data, where one declared test needs 1.64), which is why a 20-point drop in 62 examples (about 12 net
flips) is found a little less often than a 25-point one (78% against 94% in 1,000 runs).

    python benchmarks/decision_quality.py [--runs 1000] [--seed 0] [--markdown] [--search]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from gatebot import stats
from gatebot.compare import compare, compare_run
from gatebot.config import Config, parse_config
from gatebot.discover import Condition
from gatebot.results import Examples, FloatArray, MetaColumn, Results, SliceColumn
from gatebot.verdict import Outcome, Status

ACCURACY: dict[str, Any] = {"accuracy": {"direction": "higher"}}
Pairs = list[tuple[Results, Results]]


@dataclass(frozen=True)
class Draw:
    """One simulated gate run: its (baseline, candidate) pairs, and the true change of the first one."""

    pairs: Pairs
    truth: float = 0.0


@dataclass(frozen=True)
class Scenario:
    name: str
    target: str
    """`fails <= 5%`, `passes 0%`, `covers >= 95%`, ...: its first word names what is counted."""
    draw: Callable[[np.random.Generator], Draw]
    metrics: dict[str, Any] = field(default_factory=lambda: ACCURACY)
    gate: dict[str, Any] = field(default_factory=dict)

    @property
    def counted(self) -> str:
        return self.target.split()[0]


# --- drawing runs -------------------------------------------------------------------------------------


def _results(model: str, scores: np.ndarray, *, codes: np.ndarray | None = None, **extra: Any) -> Results:
    n = scores.size
    slices = {}
    if codes is not None and int(codes.max()) > 0:
        slices = {
            "slice": SliceColumn(
                codes.astype(np.int32), tuple(f"s{k:02d}" for k in range(int(codes.max()) + 1))
            )
        }
    ids = extra.pop("ids", [f"e{i}" for i in range(n)])
    examples = Examples(ids=ids, scores={"accuracy": scores}, slices=slices, **extra)
    return Results("sim", model, {"accuracy": float(np.nanmean(scores))}, examples)


def flips(
    sizes: tuple[int, ...], worse: tuple[float, ...], better: tuple[float, ...]
) -> Callable[[np.random.Generator], Draw]:
    """Baseline right with probability 0.80; per slice, a share of examples flips each way."""

    def draw(rng: np.random.Generator) -> Draw:
        n = sum(sizes)
        base = (rng.random(n) < 0.80).astype(np.float64)
        cand = base.copy()
        codes = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
        bounds = np.concatenate(([0], np.cumsum(sizes)))
        for k, size in enumerate(sizes):
            part = slice(int(bounds[k]), int(bounds[k + 1]))
            b = base[part]
            # Flip exactly round(rate * size) examples of the slice, drawn from those that can flip that
            # way; the share of right answers varies from run to run, so the flips stay binomial-like.
            right = np.flatnonzero(b == 1)
            wrong = np.flatnonzero(b == 0)
            n_worse = min(right.size, rng.binomial(size, worse[k]))
            n_better = min(wrong.size, rng.binomial(size, better[k]))
            c = b.copy()
            c[rng.choice(right, size=n_worse, replace=False)] = 0.0
            c[rng.choice(wrong, size=n_better, replace=False)] = 1.0
            cand[part] = c
        truth = sum(size * (b - w) for size, w, b in zip(sizes, worse, better, strict=True)) / n
        return Draw([(_results("base", base, codes=codes), _results("cand", cand, codes=codes))], truth)

    return draw


def _uniform(count: int, value: float) -> tuple[float, ...]:
    return (value,) * count


def identical(n: int, *, slices: int = 1) -> Callable[[np.random.Generator], Draw]:
    def draw(rng: np.random.Generator) -> Draw:
        base = (rng.random(n) < 0.9).astype(np.float64)
        codes = np.arange(n, dtype=np.int32) % slices
        return Draw([(_results("base", base, codes=codes), _results("cand", base.copy(), codes=codes))])

    return draw


def clustered(
    clusters: int, size: int, *, lean: float, churn: float = 0.15, drop: float = 0.0
) -> Callable[[np.random.Generator], Draw]:
    """Examples in clusters (questions on one passage): a share `churn` of examples flips, and `lean` of a
    cluster's flips go the way the cluster leans (a fair coin per cluster). `drop` more flips go to worse."""

    def draw(rng: np.random.Generator) -> Draw:
        n = clusters * size
        base = (rng.random(n) < 0.8).astype(np.float64)
        cand = base.copy()
        leans_worse = np.repeat(rng.random(clusters) < 0.5, size)
        flip = rng.random(n) < churn
        worse = rng.random(n) < np.where(leans_worse, lean, 1.0 - lean)
        base[flip] = np.where(worse[flip], 1.0, 0.0)
        cand[flip] = np.where(worse[flip], 0.0, 1.0)
        if drop:
            right = np.flatnonzero((cand == 1) & ~flip)
            lost = rng.choice(right, size=min(right.size, rng.binomial(n, drop)), replace=False)
            cand[lost] = 0.0
        column = SliceColumn(
            np.repeat(np.arange(clusters, dtype=np.int32), size), tuple(f"c{g}" for g in range(clusters))
        )
        return Draw(
            [(_results("base", base, clusters=column), _results("cand", cand, clusters=column))], -drop
        )

    return draw


def repeated(
    n: int, k: int, *, drop: float = 0.0, spread: float = 0.0
) -> Callable[[np.random.Generator], Draw]:
    """A non-deterministic model scored k times per example: each example has its own chance of being
    right, sampled anew each time; the candidate's chance is `drop` lower, and `spread` higher or lower
    on each example (a fair coin each: questions move both ways, none on average)."""

    def draw(rng: np.random.Generator) -> Draw:
        p = rng.uniform(0.25, 0.75, n) if spread else rng.random(n)
        moved = p - drop + spread * np.where(rng.random(n) < 0.5, 1.0, -1.0)
        base = (rng.random((n, k)) < p[:, None]).astype(np.float64).ravel()
        cand = (rng.random((n, k)) < np.clip(moved, 0, 1)[:, None]).astype(np.float64).ravel()
        ids = [f"e{i}" for i in range(n) for _ in range(k)]
        repeats = np.tile(np.arange(k, dtype=np.int32), n)
        return Draw(
            [
                (
                    _results("base", base, ids=list(ids), repeats=repeats),
                    _results("cand", cand, ids=list(ids), repeats=repeats.copy()),
                )
            ],
            -drop,
        )

    return draw


def aggregate(
    *, drift: float = 0.0, se: tuple[float, float] | None = None, drop: float = 0.0
) -> Callable[[np.random.Generator], Draw]:
    """Aggregate-only metrics: a drift within +-`drift`, or two runs drawn with standard errors `se`."""

    def draw(rng: np.random.Generator) -> Draw:
        if se is None:
            b, c = 0.8, 0.8 + rng.uniform(-drift, drift)
            stderr: tuple[dict[str, float], dict[str, float]] = ({}, {})
        else:
            b = 0.652 + rng.normal(0, se[0])
            c = 0.652 - drop + rng.normal(0, se[1])
            stderr = ({"accuracy": se[0]}, {"accuracy": se[1]})
        directions = {"accuracy": "higher"}
        return Draw(
            [
                (
                    Results("sim", "base", {"accuracy": b}, None, {}, directions, stderr[0]),
                    Results("sim", "cand", {"accuracy": c}, None, {}, directions, stderr[1]),
                )
            ],
            -drop,
        )

    return draw


def shifted(n: int, shift: float) -> Callable[[np.random.Generator], Draw]:
    def draw(rng: np.random.Generator) -> Draw:
        base = rng.random(n)
        return Draw([(_results("base", base), _results("cand", base - shift))])

    return draw


def crash_on_hard(n: int, worse: float, better: float) -> Callable[[np.random.Generator], Draw]:
    """A true change (flips each way), and the candidate's run lost exactly the examples it got wrong."""

    def draw(rng: np.random.Generator) -> Draw:
        ((base_run, cand_run),) = flips((n,), (worse,), (better,))(rng).pairs
        assert base_run.examples is not None and cand_run.examples is not None
        b = base_run.examples.scores["accuracy"]
        c = cand_run.examples.scores["accuracy"]
        keep = np.flatnonzero(~((b == 1) & (c == 0)))
        ids = [base_run.examples.ids[i] for i in keep]
        return Draw([(base_run, _results("cand", c[keep], ids=ids))], worse - better)

    return draw


def all_wrong(n: int) -> Callable[[np.random.Generator], Draw]:
    def draw(rng: np.random.Generator) -> Draw:
        del rng
        return Draw([(_results("base", np.ones(n)), _results("cand", np.zeros(n)))], -1.0)

    return draw


def several(
    benchmarks: int, one: Callable[[np.random.Generator], Draw]
) -> Callable[[np.random.Generator], Draw]:
    def draw(rng: np.random.Generator) -> Draw:
        pairs = []
        for k in range(benchmarks):
            ((b, c),) = one(rng).pairs
            pairs.append(
                (
                    Results(f"bench{k}", b.model, b.metrics, b.examples),
                    Results(f"bench{k}", c.model, c.metrics, c.examples),
                )
            )
        return Draw(pairs)

    return draw


def scenarios() -> list[Scenario]:
    return [
        Scenario(
            "no change, 1,000 examples, 10% flip (5% each way)",
            "fails <= 5%",
            flips((1000,), (0.05,), (0.05,)),
        ),
        Scenario("true drop of 3 points, 10% flip", "fails >= 80%", flips((1000,), (0.065,), (0.035,))),
        Scenario("no change, 20% flip (10% each way)", "fails <= 5%", flips((1000,), (0.10,), (0.10,))),
        Scenario("true drop of 3 points, 20% flip", "fails >= 80%", flips((1000,), (0.115,), (0.085,))),
        Scenario(
            "no change, 20 slices of 50 examples",
            "fails <= 5%",
            flips(_uniform(20, 50), _uniform(20, 0.05), _uniform(20, 0.05)),
        ),
        Scenario(
            "overall flat, a slice of 100 drops 15 points (slices 100 + 900)",
            "fails >= 80%",
            flips((100, 900), (0.20, 0.05), (0.05, 0.05 + 0.15 / 9)),
        ),
        Scenario(
            "overall flat, a slice of 100 drops 15 points (slices 100 + 3 x 300)",
            "fails >= 80%",
            flips((100, 300, 300, 300), (0.20, 0.05, 0.05, 0.05), (0.05, *_uniform(3, 0.05 + 0.15 / 9))),
        ),
        Scenario(
            "overall flat, a slice of 100 drops 15 points (10 slices of 100)",
            "fails >= 80%",
            flips(_uniform(10, 100), (0.20, *_uniform(9, 0.05)), (0.05, *_uniform(9, 0.05 + 0.15 / 9))),
        ),
        # -- unchanged models that the previous rule failed --------------------------------------------
        Scenario("identical model, 1,000 examples", "fails <= 5%", identical(1000)),
        Scenario(
            "non-inferiority (margin 0.5 pts), identical model, 4 slices of 250",
            "fails <= 5%",
            identical(1000, slices=4),
            metrics={"accuracy": {"direction": "higher", "mode": "non-inferiority", "min_effect": 0.005}},
        ),
        Scenario(
            "clustered null: 50 clusters of 20, 90% of a cluster's flips go its way",
            "fails <= 5%",
            clustered(50, 20, lean=0.9),
        ),
        Scenario(
            "clustered null: 10 clusters of 100, 90% of a cluster's flips go its way",
            "fails <= 5%",
            clustered(10, 100, lean=0.9),
        ),
        Scenario(
            "repeated-sample null: 300 examples x 5 samples, same model", "fails <= 5%", repeated(300, 5)
        ),
        Scenario(
            "repeated-sample null: 300 x 5, each question 20 pts up or down, none on average",
            "fails <= 5%",
            repeated(300, 5, spread=0.2),
        ),
        Scenario(
            "aggregate only, drift the table rounds to zero (< 0.05 pts)",
            "fails <= 5%",
            aggregate(drift=0.00049),
        ),
        Scenario(
            "aggregate only with stderr 1.2 / 1.4 pts, no change", "fails <= 5%", aggregate(se=(0.012, 0.014))
        ),
        Scenario("continuous scores, constant shift of 1e-6", "fails <= 5%", shifted(1000, 1e-6)),
        Scenario(
            "5 benchmarks in one gate run, none changed (10% flip)",
            "fails <= 5%",
            several(5, flips((1000,), (0.05,), (0.05,))),
        ),
        Scenario(
            "equivalence (margin 2 pts), no change, 5,000 examples, 10% flip",
            "fails <= 5%",
            flips((5000,), (0.05,), (0.05,)),
            metrics={"accuracy": {"direction": "higher", "mode": "equivalence", "min_effect": 0.02}},
        ),
        # -- true drops in every design ------------------------------------------------------------------
        Scenario(
            "true drop of 3.5 points, clustered: 200 clusters of 10, 90% lean",
            "fails >= 80%",
            clustered(200, 10, lean=0.9, drop=0.035),
        ),
        Scenario(
            "true drop of 3.5 points, repeated: 500 examples x 5 samples",
            "fails >= 80%",
            repeated(500, 5, drop=0.035),
        ),
        Scenario(
            "true drop of 3 points, candidate lost the examples it got wrong",
            "fails >= 80%",
            crash_on_hard(1000, 0.065, 0.035),
        ),
        Scenario(
            "lm-eval aggregates, no config: true drop of 3.9 pts, stderr 1.2 / 1.4 pts",
            "fails >= 50%",
            aggregate(se=(0.012, 0.014), drop=0.039),
            metrics={},
        ),
        Scenario(
            "superiority claimed, no improvement (1,000 examples, 10% flip)",
            "fails >= 90%",
            flips((1000,), (0.05,), (0.05,)),
            metrics={"accuracy": {"direction": "higher", "mode": "superiority"}},
        ),
        Scenario(
            "superiority claimed, true gain of 3 points (1,000 examples, 10% flip)",
            "fails <= 20%",
            flips((1000,), (0.035,), (0.065,)),
            metrics={"accuracy": {"direction": "higher", "mode": "superiority"}},
        ),
        # -- what a pass, a slice and an interval say --------------------------------------------------
        Scenario("eval too small to fail: 4 examples, 100% -> 0%", "passes 0%", all_wrong(4)),
        Scenario(
            "no change, 20 slices of 20: a slice shown red",
            "red <= 5%",
            flips(_uniform(20, 20), _uniform(20, 0.05), _uniform(20, 0.05)),
        ),
        Scenario(
            "95% interval covers the true change: 150 examples, 3-point drop, 5% flip",
            "covers >= 95%",
            flips((150,), (0.04,), (0.01,)),
        ),
        Scenario(
            "true drop of 3 points (20% flip), rerun until green (3 attempts)",
            "silent 0%",
            flips((1000,), (0.115,), (0.085,)),
        ),
    ]


# --- the rules ------------------------------------------------------------------------------------------


def _flat_ids(examples: Examples) -> list[str]:
    """Samples of one example as separate examples, as the previous results format forced."""
    if examples.repeats is None:
        return examples.ids
    return [f"{i}#{r}" for i, r in zip(examples.ids, examples.repeats.tolist(), strict=True)]


def previous_rule(pairs: Pairs, metrics: dict[str, Any]) -> tuple[bool, bool]:
    """(failed, a slice shown red) under the rule gatebot used before it knew clusters, repeats, claims
    on slices, missing examples and standard errors: each benchmark its own Holm family."""
    failed = red = False
    for baseline, candidate in pairs:
        for name in baseline.metrics:
            m = metrics.get(name)
            if m is None:
                continue  # undeclared metrics never gated
            higher = m["direction"] == "higher"
            margin = m.get("min_effect", 0.0)
            mode = m.get("mode", "regression")
            if baseline.examples is None or candidate.examples is None:
                delta = candidate.metrics[name] - baseline.metrics[name]
                failed |= (delta < 0) == higher and delta != 0 and abs(delta) > margin
                continue
            position = {ident: i for i, ident in enumerate(_flat_ids(candidate.examples))}
            pairs_at = [(i, position[x]) for i, x in enumerate(_flat_ids(baseline.examples)) if x in position]
            bi = np.array([p[0] for p in pairs_at])
            ci = np.array([p[1] for p in pairs_at])
            b = baseline.examples.scores[name][bi]
            c = candidate.examples.scores[name][ci]
            keep = ~(np.isnan(b) | np.isnan(c))
            b, c, ci = b[keep], c[keep], ci[keep]
            tests = [np.arange(b.size)]
            shown = []
            column = candidate.examples.slices.get("slice")
            if column is not None:
                for index in stats.group_indices(column.codes[ci], len(column.levels)):
                    if 0 < index.size < b.size:
                        (tests if index.size >= 30 else shown).append(index)
            results = [
                _old_test(b[i], c[i], higher, margin if mode == "non-inferiority" else 0.0) for i in tests
            ]
            p_gate = np.array(
                [r.p_noninferior if r.p_noninferior is not None else r.p_worse for r in results]
            )
            p_better = np.array([r.p_better for r in results])
            adj, adj_better = stats.holm(p_gate), stats.holm(p_better)
            for r, a, ab in zip(results, adj, adj_better, strict=True):
                material = abs(r.delta) > margin
                if mode == "non-inferiority":
                    failed |= not (ab < 0.05 and material) and a >= 0.05
                else:
                    failed |= a < 0.05 and material
            for index in shown:
                r = _old_test(b[index], c[index], higher, 0.0)
                red |= r.p_worse < 0.05 and abs(r.delta) > margin
    return failed, red


def _old_test(b: np.ndarray, c: np.ndarray, higher: bool, margin: float) -> stats.PairedResult:
    return stats.paired_compare(
        b,
        c,
        higher_is_better=higher,
        resamples=2000,
        confidence=0.95,
        rng=np.random.default_rng(0),
        margin=margin,
    )


def naive_rule(pairs: Pairs) -> bool:
    """Fail if any run's aggregate drops by more than 1 point."""
    return any(c.metrics["accuracy"] - b.metrics["accuracy"] < -0.01 for b, c in pairs)


# --- counting -------------------------------------------------------------------------------------------


def _config(s: Scenario) -> Config:
    return parse_config({"metrics": s.metrics, "gate": s.gate}, where="simulation")


def evaluate(s: Scenario, runs: int, seed: int) -> tuple[float, float | None, float | None]:
    """The share of runs with the target's outcome: gatebot, the previous rule, the naive rule."""
    rng = np.random.default_rng(seed)
    config = _config(s)
    counts = [0, 0, 0]
    for _ in range(runs):
        drawn = s.draw(rng)
        verdicts = compare_run(drawn.pairs, config)
        outcomes = {v.outcome for v in verdicts}
        failed = Outcome.FAILED in outcomes
        old_failed, old_red = previous_rule(drawn.pairs, s.metrics)
        naive = naive_rule(drawn.pairs)
        if s.counted == "fails":
            hits = (failed, old_failed, naive)
        elif s.counted == "passes":
            hits = (outcomes == {Outcome.PASSED}, not old_failed, not naive)
        elif s.counted == "red":
            red = any(r.status is Status.REGRESSED for v in verdicts for r in v.slice_rows)
            hits = (red, old_red or old_failed, naive)
        elif s.counted == "covers":
            row = verdicts[0].rows[0]
            truth = drawn.truth
            old = _old_interval(drawn)
            hits = (
                row.ci_low is not None and row.ci_high is not None and row.ci_low <= truth <= row.ci_high,
                old[0] <= truth <= old[1],
                False,
            )
        else:  # silent: a failure turned green by rerunning, with nothing on the PR to say so
            later = [s.draw(rng) for _ in range(2)]
            old = [old_failed, *(previous_rule(d.pairs, s.metrics)[0] for d in later)]
            # gatebot shows every earlier outcome of the same commit on the comment ("attempt 2;
            # earlier: failed"), so a green rerun after a failure is never silent.
            hits = (False, old[0] and not all(old), False)
        for k, hit in enumerate(hits):
            counts[k] += bool(hit)
    shares = [count / runs for count in counts]
    return shares[0], shares[1], shares[2] if s.counted in ("fails", "passes") else None


def _old_interval(drawn: Draw) -> tuple[float, float]:
    b, c = drawn.pairs[0]
    assert b.examples is not None and c.examples is not None
    r = _old_test(b.examples.scores["accuracy"], c.examples.scores["accuracy"], True, 0.0)
    return r.ci_low, r.ci_high


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


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
    """One run through the gate (`compare` with the defaults, `gate.discover: report`): did it find the
    planted subgroup (any finding, with no drop), and did the gate fail on the declared slices."""
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
    metadata: dict[str, MetaColumn] = {
        "channel": SliceColumn(channel, CHANNELS),
        "topic": SliceColumn(topic, TOPICS),
        "input_chars": input_chars,
    }
    ids = [f"e{i}" for i in range(n)]

    def results(model: str, scores: FloatArray) -> Results:
        examples = Examples(ids=ids, scores={"accuracy": scores}, slices=declared, meta=metadata)
        return Results("sim", model, {"accuracy": float(scores.mean())}, examples)

    config = parse_config({"metrics": {"accuracy": {"direction": "higher"}}}, where="simulation")
    verdict = compare(results("base", base), results("cand", cand), config)
    fields = {**declared, **metadata}
    if s.drop == 0.0:
        hit = bool(verdict.found)
    else:
        hit = any(_jaccard(_members(f.conditions, fields), planted) >= 0.5 for f in verdict.found)
    return hit, verdict.outcome is Outcome.FAILED


def _members(conditions: tuple[Condition, ...], fields: dict[str, MetaColumn]) -> npt.NDArray[np.bool_]:
    """The examples a finding's subgroup holds, from its conditions."""
    mask = np.ones(SEARCH_EXAMPLES, np.bool_)
    for c in conditions:
        column = fields[c.field]
        if isinstance(column, SliceColumn):
            mask &= column.codes == column.levels.index(c.value or "")
            continue
        if c.value is not None:
            mask &= column == float(c.value.replace(",", ""))
        if c.low is not None:
            mask &= column >= c.low
        if c.high is not None:
            mask &= column < c.high
    return mask


def _jaccard(members: npt.NDArray[np.bool_], planted: npt.NDArray[np.bool_]) -> float:
    inside = int(np.count_nonzero(members & planted))
    return inside / (int(np.count_nonzero(members | planted)) or 1)


def evaluate_search(s: SearchScenario, runs: int, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    hits = fails = 0
    for _ in range(runs):
        hit, failed = search_run(s, rng)
        hits += hit
        fails += failed
    return hits / runs, fails / runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--search", action="store_true", help="only the search scenarios")
    args = parser.parse_args(argv)
    rows = []
    started = time.perf_counter()
    offset = len(scenarios())
    for i, s in enumerate([] if args.search else scenarios()):
        gate, old, naive = evaluate(s, args.runs, args.seed + i)
        rows.append((s.name, s.target, gate, old, naive))
        if not args.markdown:
            print(
                f"{s.name:<75} {s.target:<14} gatebot {_cell(gate):>6}   previous {_cell(old):>6}   "
                f"naive {_cell(naive):>6}",
                flush=True,
            )
    search_rows = []
    for i, s in enumerate(search_scenarios(), start=offset):
        finds, gate = evaluate_search(s, args.runs, args.seed + i)
        search_rows.append((s.name, s.target, finds, gate))
        if not args.markdown:
            print(
                f"{s.name:<75} {s.target:<14} finds {finds:6.1%}   gate (declared slices) {gate:6.1%}",
                flush=True,
            )
    elapsed = time.perf_counter() - started
    if args.markdown and rows:
        print(
            f"| Scenario ({args.runs} runs each) | Target | gatebot | Previous rule | "
            'Naive "drop > 1 point" |'
        )
        print("|---|---|---|---|---|")
        for name, target, gate, old, naive in rows:
            print(f"| {name} | {target} | {_cell(gate)} | {_cell(old)} | {_cell(naive)} |")
        print()
    if args.markdown:
        print(f"| Search scenario ({args.runs} runs each) | Target | Search finds it | Gate fails |")
        print("|---|---|---|---|")
        for name, target, finds, gate in search_rows:
            print(f"| {name} | {target} | {finds:.1%} | {gate:.1%} |")
    count = len(rows) + len(search_rows)
    print(f"{count} scenarios x {args.runs} runs in {elapsed:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
