"""The subgroup search of one comparison: which fields it looks at, on which examples, with which seed.

`gatebot.discover` is the method (candidate subgroups, the max-T sign-flip null, merging); this module
runs it on one gated metric of a pairing, the way `compare` runs the declared slices' tests: on the
examples the metric's design kept, in the baseline's order, with each example's slice and metadata
values taken from the candidate (from the baseline for an example the candidate lost). What it finds
becomes `verdict.Found` values; whether one gates is `decision.finding_gates`.

The search leaves out what the report already shows: a finding that is a declared slice's value (or
holds the same examples) is that slice's row. Dropping findings never adds a false alarm.

Randomness comes from a generator seeded by the gate's `seed`, the metric's name and a digest of both
runs' scores, so the same inputs give the same report and another run of the same eval another draw.
Pure: numpy arrays in, frozen values out.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection
from typing import Literal

import numpy as np
import numpy.typing as npt

from gatebot import decision, discover
from gatebot.config import GateSettings
from gatebot.pairing import MetricDesign, Pairing, Side
from gatebot.results import FloatArray, MetaColumn, SliceColumn
from gatebot.verdict import MAX_FOUND_EXAMPLES, Found

IntArray = npt.NDArray[np.intp]


def search_metric(
    pm: MetricDesign, pairing: Pairing, gate: GateSettings, *, declared: Collection[str]
) -> tuple[tuple[Found, ...], tuple[str, ...]]:
    """The subgroups nobody declared where metric `pm` got worse, and notes on what was left out.

    `declared` are the slice keys the comparison tested: their values are not findings here.
    """
    if gate.discover == "off" or not pm.gated or pm.direction not in ("higher", "lower"):
        return (), ()
    design = pm.design
    if design.clusters is not None:
        # Sign flips of single examples assume independent examples; within clusters they do not hold.
        return (), (f"{pm.name}: the examples are clustered, so the subgroup search was not run.",)
    notes: list[str] = []
    categorical, numeric = _fields(pairing, pm.base_uid, gate, notes)
    if not categorical and not numeric:
        return (), tuple(notes)
    direction: Literal["higher", "lower"] = "lower" if pm.direction == "lower" else "higher"
    options = discover.SearchOptions(min_size=gate.min_slice_size, alpha=decision.alpha_of(pm.config))
    found = discover.search(
        design.baseline,
        design.candidate,
        direction=direction,
        rng=_rng(gate.seed, pm.name, design.baseline, design.candidate),
        categorical=categorical,
        numeric=numeric,
        options=options,
    )
    gated = decision.finding_gates(gate.discover, wants_gate=pm.gated)
    kept = [f for f in found.findings if not _declared(f, declared)]
    return tuple(_found(pm, pairing, f, found, gated=gated) for f in kept), tuple(notes)


def _rng(seed: int, metric: str, baseline: FloatArray, candidate: FloatArray) -> np.random.Generator:
    digest = zlib.crc32(np.ascontiguousarray(baseline).tobytes())
    digest = zlib.crc32(np.ascontiguousarray(candidate).tobytes(), digest)
    return np.random.default_rng([seed, zlib.crc32(f"discover\x1f{metric}".encode()), digest])


def _declared(finding: discover.Finding, declared: Collection[str]) -> bool:
    """A finding that is a declared slice's value, under its name or an alias: the table shows it."""
    names = (finding.conditions, *finding.aliases)
    return any(len(c) == 1 and c[0].field in declared and c[0].value is not None for c in names)


def _found(
    pm: MetricDesign, pairing: Pairing, f: discover.Finding, search: discover.Discovery, *, gated: bool
) -> Found:
    design = pm.design
    oriented = (design.candidate - design.baseline) * (1.0 if pm.higher_is_better else -1.0)
    worse = f.examples[oriented[f.examples] < 0]
    worst_first = worse[np.argsort(oriented[worse], kind="stable")][:MAX_FOUND_EXAMPLES]
    ids = tuple(pairing.base.ids[int(u)] for u in pm.base_uid[worst_first].tolist())
    return Found(
        metric=pm.name,
        conditions=f.conditions,
        aliases=f.aliases,
        direction=pm.direction,
        n=f.n,
        baseline=f.baseline_mean,
        candidate=f.candidate_mean,
        delta=f.delta,
        ci_low=f.ci_low,
        ci_high=f.ci_high,
        p_adjusted=f.adjusted_p,
        permutations=search.permutations,
        subgroups=search.candidates,
        examples=ids,
        fraction_scale=pm.fraction,
        gated=gated,
    )


def _fields(
    pairing: Pairing, kept: IntArray, gate: GateSettings, notes: list[str]
) -> tuple[dict[str, SliceColumn], dict[str, FloatArray]]:
    """The searchable fields at the kept examples: slice keys and metadata, by `gate.discover_fields`."""
    base, cand = pairing.base.examples, pairing.cand.examples
    available = [
        *dict.fromkeys([*cand.slices, *base.slices]),
        *dict.fromkeys([*cand.meta, *base.meta]),
    ]
    available = [k for k in dict.fromkeys(available) if k != gate.cluster_by]
    if gate.discover_fields is not None:
        missing = [k for k in gate.discover_fields if k not in available]
        if missing:
            notes.append(f"gate.discover_fields names keys no example has: {', '.join(missing)}.")
        available = [k for k in gate.discover_fields if k in available]
    categorical: dict[str, SliceColumn] = {}
    numeric: dict[str, FloatArray] = {}
    for key in available:
        column = _column(pairing, key)
        if isinstance(column, SliceColumn):
            categorical[key] = SliceColumn(column.codes[kept], column.levels)
        elif column is not None:
            numeric[key] = column[kept]
    return categorical, numeric


def _entry(side: Side, key: str) -> MetaColumn | None:
    """A side's values of `key` at each of its unique examples (its first entry)."""
    column: MetaColumn | None = side.examples.slices.get(key)
    if column is None:
        column = side.examples.meta.get(key)
    if column is None:
        return None
    if isinstance(column, SliceColumn):
        return SliceColumn(column.codes[side.first], column.levels)
    return np.asarray(column, dtype=np.float64)[side.first]


def _column(pairing: Pairing, key: str) -> MetaColumn | None:
    """Per baseline example: the candidate's value of `key`, else the baseline's (None: neither has it,
    or the two hold it as different kinds, text and numbers)."""
    b, c = _entry(pairing.base, key), _entry(pairing.cand, key)
    if b is not None and c is not None and isinstance(b, SliceColumn) != isinstance(c, SliceColumn):
        return None
    cu = pairing.cand_of_base
    present = np.flatnonzero(cu >= 0)
    fill = (cu < 0) if c is not None else np.ones(cu.size, np.bool_)
    if isinstance(b, SliceColumn) or isinstance(c, SliceColumn):
        return _labels(b, c, cu, present, fill)
    values = np.full(cu.size, np.nan)
    if c is not None:
        values[present] = np.asarray(c)[cu[present]]
    if b is not None:
        values[fill] = np.asarray(b)[fill]
    return values


def _labels(
    b: MetaColumn | None, c: MetaColumn | None, cu: IntArray, present: IntArray, fill: npt.NDArray[np.bool_]
) -> SliceColumn:
    levels: dict[str, int] = {}
    codes = np.full(cu.size, -1, dtype=np.int32)
    if isinstance(c, SliceColumn):
        levels.update((v, i) for i, v in enumerate(c.levels))
        codes[present] = c.codes[cu[present]]
    if isinstance(b, SliceColumn):
        mapping = np.array([levels.setdefault(v, len(levels)) for v in b.levels] + [-1], dtype=np.int32)
        codes[fill] = mapping[b.codes[fill]]
    return SliceColumn(codes, tuple(levels))
