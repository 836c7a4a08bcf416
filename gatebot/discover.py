"""Find the subgroups where a candidate got worse than its baseline, with the selection accounted for.

The declared slices are tested because someone thought of them; the regressions that hurt are often in
a subgroup nobody declared (French tickets sent by email, long contracts). This module searches the
examples' metadata for them: every level of every categorical field, every pair of levels of two
fields, and every numeric field cut into quantile bins and runs of adjacent bins ("the longest 40%").
Subgroups smaller than `min_size` are not candidates.

Statistic. For example i let w_i be the paired change oriented so that positive is worse (baseline
minus candidate for a higher-is-better metric). A subgroup S of n_S examples scores

    T_S = sum_{i in S} w_i / sqrt(n_S * v),   v = mean of w_i^2 over all paired examples,

a paired standardised mean difference times sqrt(n_S): mean_S(w) / sqrt(v / n_S), the z statistic of
the subgroup's mean change with the scale pooled over all examples. v is the null second moment (under
no change E[w] = 0) and does not change when signs are flipped, so the null distribution of every
subgroup's statistic is one matrix product away. The scale is pooled, not the subgroup's own
(sum_S w_i^2, the conditional McNemar z for 0/1 scores), because a subgroup that regressed usually
shows it as MORE changed examples there, and its own variance would absorb exactly that signal: in
`benchmarks/decision_quality.py` the pooled scale finds a 22-point drop in 62 of 2,000 examples in
88% of runs, the subgroup's own scale in 59%, with the same false-alarm rate. The choice affects
power only; the error control below holds for any statistic, because its null distribution is
computed for that statistic. Two other statistics were measured against it, through the gate, on the
20-point drop (300 runs each), and both lost power: the mean of the two scales, sqrt((n_S v +
sum_S w_i^2) / 2), found it in 63% of runs against 79%; a size penalty that keeps small subgroups
from setting the bar, T_S - sqrt(2 log(e N / n_S)) (Dümbgen & Spokoiny 2001, "Multiscale testing of
qualitative hypotheses"), in 70%, because it lowers the bar for large subgroups more than for one of
62. At 20 points the pooled scale stays just under 80% (78% in 1,000 runs; 88% at 22 points, 94% at
25): the planted subgroup is then reported whenever its own statistic beats the permutation maximum,
so what is left is the price of the search itself, not of the merging. Three refinements were measured
on the search alone (which finds it in 79.8% of 4,000 runs) and not kept (1,000 runs or more each):
5,000 permutations (no gain); ties with the permutation maximum broken at random, an exact randomised
test (81%, but 5.2% false alarms); and a statistic that weights the change rate more, sum_S w_i /
sqrt(n_S v) * (k_S / (n_S v))^(1/4) with k_S the changed examples of S (83%), whose gain comes from
the simulation's examples all churning alike: when one topic's examples change three times as often,
both ways, it finds the drop in 57% of 600 runs against the pooled scale's 60%.

Findings. Subgroups that are found are grouped, strongest first: one whose examples are nearly the
same as a stronger one's (Jaccard >= `merge_jaccard`) is the same finding under another name (the
name with fewer conditions is shown, the others are its aliases). One that is significant only
through a stronger finding's examples (a slice of it, or a larger subgroup around it) is not shown:
after removing the examples of the findings kept so far, its statistic must still exceed the
critical value. Dropping findings never adds false alarms, so the error control below still holds.

Selection. Searching hundreds of subgroups finds something in pure noise. Under "no change" the
baseline and candidate scores of each example are exchangeable, so w_i is as likely to be -w_i.
Drawing random sign flips of all w at once and taking the MAXIMUM of T over the whole search gives the
null distribution of the best subgroup a search can find (the max-T procedure, Westfall & Young 1993,
"Resampling-Based Multiple Testing", section 2.6). A subgroup's selection-adjusted p-value is the share
of those maxima at least as large as its T, counted as (1 + hits) / (1 + permutations) so that it is a
valid p-value for any number of permutations (Phipson & Smyth 2010, "Permutation p-values should never
be zero"). This controls the family-wise error over the whole search: on an unchanged model the chance
that any subgroup is reported is at most alpha. A finding's interval inverts the same statistic: its
mean change plus or minus sqrt(v / n_S) times the (1 - alpha) quantile of the permutation maximum of
|T| (not a normal quantile), so the intervals are simultaneous over the search (the max-T intervals of
Hothorn, Bretz & Westfall 2008, "Simultaneous inference in general parametric models") and exclude
zero when the finding is strong enough to be found two-sided. Being on the pooled scale, they are
too narrow for a subgroup whose changes vary much more than the rest's.

Cost. Subgroup membership is an indicator matrix Z (examples x subgroups); the permutation sums for a
batch of sign flips E are one product (E * w)^T Z. Examples whose change is zero (most examples of a
0/1 metric) contribute nothing and are left out of it. The number of subgroups is capped, and the
number of permutations is lowered (never below `min_permutations`) when examples x subgroups x
permutations would exceed `work_budget`, or changed examples x permutations (the sign draws, which
dominate when there are few subgroups and a million examples) `flip_budget`; the result records both.
Examples alike on every searched field fall in the same subgroups, so only their sum matters; when
2,000 or more changed examples are alike (a million examples with one slice key), their sum under
sign flips is drawn from its normal limit (mean 0, variance the sum of their w_i^2; a sum of that many
independent symmetric terms, Lindeberg's central limit theorem), not flipped one by one, and only the
others count against `flip_budget`.

Everything here is a pure function of numpy arrays; randomness comes from an explicit Generator.
It runs to about 700 lines, a sixth of them this docstring: the candidate subgroups, the
permutation null and the merging of findings are one method and are read together.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from gatebot.results import Examples, MetaColumn, SliceColumn

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]
_Codes = npt.NDArray[np.int32]
_Table = npt.NDArray[np.bool_]

METHOD = "max-T over sign-flip permutations (Westfall & Young 1993)"
_CHUNK_BYTES = 32 * 1024 * 1024
_NORMAL_ATOM = 2000
"""Changed examples alike on every field whose signed sum is drawn from its normal limit, not flipped
one by one (the sum of 2,000 independent symmetric terms is normal to well within the permutations' own
error)."""
_MERGE_POOL = 64
_MAX_ALIASES = 3
_TIE = 1e-9


@dataclass(frozen=True)
class SearchOptions:
    """Bounds and levels of a search. The defaults keep 100,000 examples to about a second or two."""

    min_size: int = 30
    """Subgroups with fewer paired examples are not candidates (the gate's `min_slice_size`)."""
    alpha: float = 0.05
    """A subgroup is a finding when its selection-adjusted p-value is at most alpha."""
    permutations: int = 1000
    """Sign-flip permutations drawn for the null distribution of the maximum."""
    min_permutations: int = 200
    """The work budget never lowers the number of permutations below this."""
    work_budget: float = 1e10
    """Examples x subgroups x permutations (multiply-adds) allowed before permutations are lowered."""
    flip_budget: float = 1e8
    """Changed examples x permutations (sign draws) allowed before permutations are lowered: drawing
    the signs costs about as much as a few dozen subgroups, whatever the number of subgroups."""
    max_candidates: int = 1500
    """Subgroups searched at most; pairs of fields beyond it are left out (and said so)."""
    max_levels: int = 20
    """Per categorical field, only its most frequent levels are searched."""
    bins: int = 5
    """Numeric fields are cut at these quantiles (5: quintiles); fewer distinct values: one bin each."""
    numeric_pairs: bool = False
    """Whether a numeric field's bins also pair with the other fields' levels. Off by default: it
    doubles the search, and a larger search needs a larger effect to find anything."""
    max_findings: int = 3
    merge_jaccard: float = 0.8
    """Findings sharing at least this share of their examples (Jaccard) are one finding."""

    def __post_init__(self) -> None:
        if self.min_size < 1:
            raise ValueError("min_size must be at least 1")
        if not 0.0 < self.alpha < 1.0:
            raise ValueError("alpha must lie strictly between 0 and 1")
        if self.permutations < 1 or self.min_permutations < 1:
            raise ValueError("permutations and min_permutations must be at least 1")
        if self.bins < 2:
            raise ValueError("bins must be at least 2")
        if self.max_candidates < 1 or self.max_levels < 1 or self.max_findings < 0:
            raise ValueError("max_candidates and max_levels must be positive, max_findings not negative")
        if not 0.0 < self.merge_jaccard <= 1.0:
            raise ValueError("merge_jaccard must lie in (0, 1]")


@dataclass(frozen=True)
class Condition:
    """One part of a subgroup's name: a field equal to a value, or a numeric field within bounds."""

    field: str
    value: str | None = None
    """Categorical level (or a numeric field's single value)."""
    low: float | None = None
    """Numeric: field >= low."""
    high: float | None = None
    """Numeric: field < high."""

    def __str__(self) -> str:
        if self.value is not None:
            return f"{self.field} = {self.value}"
        if self.low is not None and self.high is not None:
            return f"{_num(self.low)} ≤ {self.field} < {_num(self.high)}"
        if self.low is not None:
            return f"{self.field} ≥ {_num(self.low)}"
        return f"{self.field} < {_num(self.high if self.high is not None else math.inf)}"


def _num(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def name_of(conditions: Sequence[Condition]) -> str:
    return " & ".join(str(c) for c in conditions)


@dataclass(frozen=True)
class Finding:
    """A subgroup where the candidate is worse, oriented like `stats.PairedResult`.

    `delta`, `ci_low`, `ci_high` are candidate minus baseline in the metric's units; the interval is
    simultaneous over the whole search. `examples` are positions in the arrays the search was given.
    """

    conditions: tuple[Condition, ...]
    n: int
    baseline_mean: float
    candidate_mean: float
    delta: float
    ci_low: float
    ci_high: float
    statistic: float
    adjusted_p: float
    examples: IndexArray = field(compare=False, repr=False)
    aliases: tuple[tuple[Condition, ...], ...] = ()
    """Other subgroups holding (nearly) the same examples, merged into this one."""

    @property
    def name(self) -> str:
        return name_of(self.conditions)

    @property
    def alias_names(self) -> tuple[str, ...]:
        return tuple(name_of(a) for a in self.aliases)


@dataclass(frozen=True)
class Discovery:
    """What a search looked at and what it found (at most `max_findings`, strongest first)."""

    findings: tuple[Finding, ...]
    candidates: int
    """Subgroups searched."""
    permutations: int
    """Sign-flip permutations drawn (0 when there was nothing to search or nothing changed)."""
    paired: int
    """Examples with both scores."""
    alpha: float
    critical: float
    """The (1 - alpha) quantile of the permutation maximum: a subgroup scoring above it is a finding."""
    fields: tuple[str, ...]
    """Fields searched."""
    notes: tuple[str, ...] = ()
    """What the bounds left out, and why."""
    strongest: Finding | None = None
    """The best-scoring subgroup, found or not (None when there were no candidates)."""
    method: str = METHOD


@dataclass(frozen=True)
class _Key:
    """A searchable field: a code per paired example (-1: missing or not searched), a name per level."""

    name: str
    codes: _Codes
    levels: tuple[Condition, ...]
    bins: tuple[tuple[float | None, float | None], ...] | None
    """Numeric fields: each bin's (low, high) bounds, for naming runs of adjacent bins."""


@dataclass(frozen=True)
class _Family:
    """Candidates defined on one or two keys: `table[joint code]` is the row of Z for that family."""

    keys: tuple[int, ...]
    table: _Table
    conditions: tuple[tuple[Condition, ...], ...]


def search(
    baseline: FloatArray,
    candidate: FloatArray,
    *,
    direction: Literal["higher", "lower"],
    rng: np.random.Generator,
    categorical: Mapping[str, SliceColumn] | None = None,
    numeric: Mapping[str, FloatArray] | None = None,
    options: SearchOptions | None = None,
) -> Discovery:
    """Search the subgroups of paired examples for ones where `candidate` is worse than `baseline`.

    `baseline[i]` and `candidate[i]` are example i's scores (NaN: not scored; such pairs are left
    out). `categorical` fields hold a code per example into their levels (-1: no value); `numeric`
    fields a float per example (NaN: no value). All arrays have one entry per example.
    """
    opts = options if options is not None else SearchOptions()
    categorical = categorical or {}
    numeric = numeric or {}
    base = np.asarray(baseline, dtype=np.float64)
    cand = np.asarray(candidate, dtype=np.float64)
    _check_shapes(base, cand, direction, categorical, numeric)
    paired = np.flatnonzero(~np.isnan(base) & ~np.isnan(cand))
    change = cand[paired] - base[paired]
    worse = -change if direction == "higher" else change
    notes: list[str] = []
    keys = _keys(paired, categorical, numeric, opts, notes)
    space = _Space(keys, _families(keys, paired.size, opts, notes))
    fields = tuple(k.name for k in keys)

    def nothing() -> Discovery:
        return Discovery((), space.count, 0, paired.size, opts.alpha, math.inf, fields, tuple(notes))

    moving = np.flatnonzero(worse != 0)
    if space.count == 0 or moving.size == 0:
        return nothing()
    sums = space.sums(np.stack([worse, np.ones_like(worse)], axis=1))
    second_moment = float(np.mean(worse * worse))
    scale = np.sqrt(sums[1] * second_moment)
    inv_scale = np.divide(1.0, scale, out=np.zeros_like(scale), where=scale > 0)
    observed = sums[0] * inv_scale
    perms = _permutations(opts, space.flipped(moving), space.count, notes)
    top, top_abs = space.null_maxima(moving, worse[moving], inv_scale, permutations=perms, rng=rng)
    null = _Null(top, top_abs, opts.alpha)
    conditions = space.conditions

    def members_count(j: int) -> int:
        return int(sums[1][j])

    def finding(j: int, aliases: tuple[tuple[Condition, ...], ...] = ()) -> Finding:
        t = float(observed[j])
        return _finding(
            conditions[j],
            paired[space.members(j)],
            base,
            cand,
            statistic=t,
            adjusted_p=null.adjusted(t),
            half_width=null.critical_abs * math.sqrt(second_moment / max(1, members_count(j))),
            aliases=aliases,
        )

    order = np.argsort(-observed, kind="stable")
    pool = [
        int(j) for j in order[:_MERGE_POOL] if observed[j] > 0 and null.adjusted(observed[j]) <= opts.alpha
    ]
    findings: list[Finding] = []
    covered = np.zeros(paired.size, np.bool_)
    explained = 0
    for members in _clusters(pool, space, opts.merge_jaccard):
        if len(findings) == opts.max_findings:
            break
        mask = space.members(members[0])
        rest = mask & ~covered
        size = int(np.count_nonzero(rest))
        if findings and (
            size < opts.min_size
            or float(worse[rest].sum()) / math.sqrt(size * second_moment) <= null.critical
        ):
            explained += 1
            continue
        covered |= mask
        best = min(members, key=lambda j: (len(conditions[j]), -observed[j]))
        others = tuple(conditions[j] for j in members if j != best)[:_MAX_ALIASES]
        findings.append(finding(best, others))
    if explained:
        notes.append(
            f"{explained} more significant subgroup(s) not shown: inside or around the findings, and "
            "not significant without their examples"
        )
    strongest = findings[0] if findings else finding(int(order[0]))
    return Discovery(
        tuple(findings),
        space.count,
        perms,
        paired.size,
        opts.alpha,
        null.critical,
        fields,
        tuple(notes),
        strongest,
    )


def fields_of(
    examples: Examples, index: IndexArray | None = None
) -> tuple[dict[str, SliceColumn], dict[str, FloatArray]]:
    """The searchable fields of `examples`: its slices and string metadata (categorical) and its
    numeric metadata, at positions `index` (for instance the candidate's side of aligned pairs)."""
    categorical: dict[str, SliceColumn] = {}
    numeric: dict[str, FloatArray] = {}
    columns: list[tuple[str, MetaColumn]] = [*examples.slices.items(), *examples.meta.items()]
    for name, column in columns:
        if isinstance(column, SliceColumn):
            codes = column.codes if index is None else column.codes[index]
            categorical[name] = SliceColumn(codes, column.levels)
        else:
            numeric[name] = column if index is None else column[index]
    return categorical, numeric


def _check_shapes(
    base: FloatArray,
    cand: FloatArray,
    direction: str,
    categorical: Mapping[str, SliceColumn],
    numeric: Mapping[str, FloatArray],
) -> None:
    if base.ndim != 1 or base.shape != cand.shape:
        raise ValueError("baseline and candidate must be 1-d arrays of the same length")
    if direction not in ("higher", "lower"):
        raise ValueError("direction must be 'higher' or 'lower'")
    n = base.size
    for name, column in categorical.items():
        if column.codes.shape != (n,):
            raise ValueError(f"categorical field {name!r} has {column.codes.size} codes for {n} examples")
        if column.codes.size and int(column.codes.max()) >= len(column.levels):
            raise ValueError(f"categorical field {name!r} has a code beyond its {len(column.levels)} levels")
    for name, values in numeric.items():
        if np.shape(values) != (n,):
            raise ValueError(f"numeric field {name!r} has {np.size(values)} values for {n} examples")


def _permutations(opts: SearchOptions, moving: int, count: int, notes: list[str]) -> int:
    """The permutations to draw: as asked, unless that would exceed the work budget."""
    per_permutation = float(moving) * count
    affordable = min(opts.work_budget / max(1.0, per_permutation), opts.flip_budget / max(1, moving))
    if affordable >= opts.permutations:
        return opts.permutations
    lowered = max(opts.min_permutations, int(affordable))
    if lowered >= opts.permutations:
        return opts.permutations
    notes.append(
        f"{lowered} permutations instead of {opts.permutations}, to keep {moving:,} changed examples x "
        f"{count:,} subgroups within the work budget"
    )
    return lowered


class _Null:
    """The permutation distribution of the search's maximum statistic."""

    def __init__(self, top: FloatArray, top_abs: FloatArray, alpha: float) -> None:
        self.sorted = np.sort(top)
        self.critical = float(np.quantile(top, 1 - alpha, method="higher"))
        self.critical_abs = float(np.quantile(top_abs, 1 - alpha, method="higher"))

    def adjusted(self, t: float) -> float:
        """(1 + maxima >= t) / (1 + permutations); a relative tolerance keeps exact ties counted."""
        at = float(t) - _TIE * max(1.0, abs(float(t)))
        hits = self.sorted.size - int(np.searchsorted(self.sorted, at, side="left"))
        return (1 + hits) / (1 + self.sorted.size)


def _keys(
    paired: IndexArray,
    categorical: Mapping[str, SliceColumn],
    numeric: Mapping[str, FloatArray],
    opts: SearchOptions,
    notes: list[str],
) -> list[_Key]:
    n = paired.size
    keys: list[_Key] = []
    for name, column in categorical.items():
        codes = column.codes[paired].astype(np.int32)
        valid = codes >= 0
        counts = np.bincount(codes[valid], minlength=len(column.levels))
        eligible = np.flatnonzero((counts >= opts.min_size) & (counts < n))
        if eligible.size > opts.max_levels:
            eligible = eligible[np.argsort(-counts[eligible], kind="stable")[: opts.max_levels]]
            eligible.sort()
            notes.append(f"{name}: only its {opts.max_levels} most frequent values searched")
        if eligible.size == 0:
            continue
        remap = np.full(len(column.levels) + 1, -1, np.int32)
        remap[eligible] = np.arange(eligible.size, dtype=np.int32)
        new_codes = remap[np.where(valid, codes, len(column.levels))]
        levels = tuple(Condition(name, value=column.levels[i]) for i in eligible.tolist())
        keys.append(_Key(name, new_codes, levels, None))
    for name, raw in numeric.items():
        key = _numeric_key(name, np.asarray(raw, dtype=np.float64)[paired], opts)
        if key is not None:
            keys.append(key)
    return keys


def _numeric_key(name: str, values: FloatArray, opts: SearchOptions) -> _Key | None:
    present = ~np.isnan(values)
    if present.sum() < opts.min_size:
        return None
    distinct = np.unique(values[present])
    if distinct.size < 2:
        return None
    if distinct.size <= opts.bins:
        cuts = (distinct[:-1] + distinct[1:]) / 2
        bounds: list[tuple[float | None, float | None]] = [
            (float(distinct[i]) if i else None, float(distinct[i + 1]) if i + 1 < distinct.size else None)
            for i in range(distinct.size)
        ]
        levels = tuple(Condition(name, value=_num(float(v))) for v in distinct)
    else:
        quantiles = np.quantile(values[present], np.arange(1, opts.bins) / opts.bins)
        cuts = np.unique([_round_significant(float(q)) for q in quantiles])
        cuts = cuts[cuts > distinct[0]]
        edges: list[float | None] = [None, *(float(c) for c in cuts), None]
        bounds = [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]
        levels = tuple(Condition(name, low=lo, high=hi) for lo, hi in bounds)
    codes = np.searchsorted(cuts, values, side="right").astype(np.int32)
    codes[~present] = -1
    return _Key(name, codes, levels, tuple(bounds))


def _round_significant(value: float, digits: int = 3) -> float:
    """Cuts are rounded so that the bounds a finding's name shows are the bounds it used."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def _families(keys: list[_Key], n: int, opts: SearchOptions, notes: list[str]) -> list[_Family]:
    families: list[_Family] = []
    budget = opts.max_candidates
    level_counts = [np.bincount(k.codes[k.codes >= 0], minlength=len(k.levels)) for k in keys]

    def add(family: _Family) -> bool:
        nonlocal budget
        width = family.table.shape[1]
        if width == 0:
            return True
        if width > budget:
            return False
        families.append(family)
        budget -= width
        return True

    for i, key in enumerate(keys):
        counts = level_counts[i]
        keep = np.flatnonzero((counts >= opts.min_size) & (counts < n))
        table = np.zeros((len(key.levels) + 1, keep.size), np.bool_)
        table[keep, np.arange(keep.size)] = True
        if not add(_Family((i,), table, tuple((key.levels[j],) for j in keep.tolist()))):
            notes.append(f"{key.name}: left out, the search is capped at {opts.max_candidates} subgroups")
    for i, key in enumerate(keys):
        if key.bins is None or len(key.bins) < 3:
            continue
        runs = _runs(level_counts[i], key, n, opts.min_size)
        table = np.zeros((len(key.levels) + 1, len(runs)), np.bool_)
        for col, (lo, hi, _) in enumerate(runs):
            table[lo : hi + 1, col] = True
        add(_Family((i,), table, tuple((c,) for _, _, c in runs)))
    left_out: list[str] = []
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            if not opts.numeric_pairs and (keys[i].bins is not None or keys[j].bins is not None):
                continue
            family = _pair_family(keys, level_counts, (i, j), n=n, min_size=opts.min_size)
            if family is not None and not add(family):
                left_out.append(f"{keys[i].name} x {keys[j].name}")
    if left_out:
        shown = ", ".join(left_out[:3]) + (f" and {len(left_out) - 3} more" if len(left_out) > 3 else "")
        notes.append(f"pairs {shown} left out: the search is capped at {opts.max_candidates} subgroups")
    return families


def _runs(counts: npt.NDArray[np.intp], key: _Key, n: int, min_size: int) -> list[tuple[int, int, Condition]]:
    """Runs of two or more adjacent bins (never all of them) large enough to be candidates."""
    assert key.bins is not None
    total = np.concatenate(([0], np.cumsum(counts)))
    last = len(key.bins) - 1
    out: list[tuple[int, int, Condition]] = []
    for lo in range(last + 1):
        for hi in range(lo + 1, last + 1):
            if lo == 0 and hi == last:
                continue
            size = int(total[hi + 1] - total[lo])
            if min_size <= size < n:
                out.append((lo, hi, Condition(key.name, low=key.bins[lo][0], high=key.bins[hi][1])))
    return out


def _pair_family(
    keys: list[_Key],
    level_counts: list[npt.NDArray[np.intp]],
    pair: tuple[int, int],
    *,
    n: int,
    min_size: int,
) -> _Family | None:
    i, j = pair
    a, b = keys[i], keys[j]
    la, lb = len(a.levels), len(b.levels)
    joint = _joint(a.codes, b.codes, lb, la * lb)
    counts = np.bincount(joint, minlength=la * lb + 1)[: la * lb].reshape(la, lb)
    same_as_a = counts == level_counts[i][:, None]
    same_as_b = counts == level_counts[j][None, :]
    keep = np.argwhere((counts >= min_size) & (counts < n) & ~same_as_a & ~same_as_b)
    if keep.size == 0:
        return None
    table = np.zeros((la * lb + 1, len(keep)), np.bool_)
    table[keep[:, 0] * lb + keep[:, 1], np.arange(len(keep))] = True
    conditions = tuple((a.levels[x], b.levels[y]) for x, y in keep.tolist())
    return _Family((i, j), table, conditions)


def _joint(first: _Codes, second: _Codes, width: int, missing: int) -> _Codes:
    joint: _Codes = first * np.int32(width) + second
    joint[(first < 0) | (second < 0)] = missing
    return joint


class _Space:
    """The candidate subgroups: their names, and Z (examples x subgroups) built chunk by chunk."""

    def __init__(self, keys: list[_Key], families: list[_Family]) -> None:
        self.keys = keys
        self.families = families
        self.count = sum(f.table.shape[1] for f in families)
        self._tables = [f.table.astype(np.float32) for f in families]
        self.conditions = [c for f in families for c in f.conditions]
        self._where = [(f, c) for f in families for c in range(f.table.shape[1])]
        self._members: dict[int, npt.NDArray[np.bool_]] = {}

    def _codes(self, family: _Family, rows: IndexArray) -> _Codes:
        missing = family.table.shape[0] - 1
        if len(family.keys) == 1:
            codes = self.keys[family.keys[0]].codes[rows]
            return np.where(codes >= 0, codes, np.int32(missing)).astype(np.int32)
        a, b = (self.keys[k] for k in family.keys)
        return _joint(a.codes[rows], b.codes[rows], len(b.levels), missing)

    def indicators(self, rows: IndexArray) -> npt.NDArray[np.float32]:
        """Z for `rows`: one row per example, one 0/1 column per candidate subgroup."""
        z = np.empty((rows.size, self.count), np.float32)
        start = 0
        for family, table in zip(self.families, self._tables, strict=True):
            width = table.shape[1]
            z[:, start : start + width] = table[self._codes(family, rows)]
            start += width
        return z

    def _step(self, columns: int) -> int:
        return max(256, int(_CHUNK_BYTES // (8 * (self.count + columns))))

    def sums(self, values: FloatArray) -> FloatArray:
        """Each column of `values` (one row per paired example) summed per subgroup: columns x subgroups.

        Exact, in float64, by a weighted count per joint code of each family (no Z needed).
        """
        rows = np.arange(values.shape[0])
        out = np.empty((values.shape[1], self.count))
        start = 0
        for family in self.families:
            codes = self._codes(family, rows)
            width = family.table.shape[1]
            length = family.table.shape[0]
            per_code = np.stack([np.bincount(codes, weights=column, minlength=length) for column in values.T])
            out[:, start : start + width] = per_code @ family.table
            start += width
        return out

    def null_maxima(
        self,
        rows: IndexArray,
        worse: FloatArray,
        inv_scale: FloatArray,
        *,
        permutations: int,
        rng: np.random.Generator,
    ) -> tuple[FloatArray, FloatArray]:
        """Per permutation: the largest T over all subgroups, and the largest |T|.

        Each permutation flips the sign of every example's change independently with probability 1/2.
        Signs are drawn chunk by chunk in a fixed order, so one Generator state gives one answer.
        Examples alike on every searched field (an atom) fall in the same subgroups, so only their sum
        matters: an atom of at least `_NORMAL_ATOM` changed examples draws it from its normal limit.
        """
        totals = np.zeros((permutations, self.count))
        atom, big = self._atoms(rows)
        if big.size:
            in_big = np.isin(atom, big)
            variance = np.bincount(atom[in_big], weights=worse[in_big] ** 2)[big]
            first = np.full(int(atom.max()) + 1, -1, np.intp)
            first[atom[::-1]] = np.arange(atom.size - 1, -1, -1)
            draws = rng.standard_normal((permutations, big.size)) * np.sqrt(variance)
            totals += draws @ self.indicators(rows[first[big]])
            rows, worse = rows[~in_big], worse[~in_big]
        step = self._step(permutations)
        w32 = worse.astype(np.float32)
        for start in range(0, rows.size, step):
            part = rows[start : start + step]
            w = w32[start : start + step, None]
            bits = rng.integers(0, 256, size=(part.size, (permutations + 7) // 8), dtype=np.uint8)
            flips = np.unpackbits(bits, axis=1, count=permutations)
            signed = np.empty((part.size, permutations), np.float32)
            np.multiply(flips, 2 * w, out=signed)
            np.subtract(signed, w, out=signed)
            totals += signed.T @ self.indicators(part)
        totals *= inv_scale
        return totals.max(axis=1), np.abs(totals).max(axis=1)

    def flipped(self, rows: IndexArray) -> int:
        """How many of `rows` `null_maxima` flips one by one (the others are in large atoms)."""
        atom, big = self._atoms(rows)
        return int(rows.size - np.count_nonzero(np.isin(atom, big))) if big.size else int(rows.size)

    def _atoms(self, rows: IndexArray) -> tuple[IndexArray, IndexArray]:
        """Each row's atom (its codes on every key, as one number) and the atoms of `_NORMAL_ATOM`
        rows or more; none when there are too few rows or too many atoms to number."""
        none = np.empty(0, np.intp)
        radix = math.prod(len(k.levels) + 1 for k in self.keys)
        if rows.size < _NORMAL_ATOM or radix >= 2**62:
            return none, none
        joint = np.zeros(rows.size, np.int64)
        for key in self.keys:
            joint *= len(key.levels) + 1
            joint += key.codes[rows].astype(np.int64) + 1
        _, atom, counts = np.unique(joint, return_inverse=True, return_counts=True)
        return atom.astype(np.intp), np.flatnonzero(counts >= _NORMAL_ATOM)

    def members(self, j: int) -> npt.NDArray[np.bool_]:
        """Which paired examples subgroup j holds."""
        found = self._members.get(j)
        if found is None:
            family, col = self._where[j]
            rows = np.arange(self.keys[0].codes.size)
            found = self._members[j] = family.table[self._codes(family, rows), col]
        return found


def _clusters(pool: list[int], space: _Space, threshold: float) -> list[list[int]]:
    """Greedy clusters of subgroups, strongest first: each joins the first leader it overlaps enough."""
    clusters: list[list[int]] = []
    for j in pool:
        mask = space.members(j)
        for members in clusters:
            leader = space.members(members[0])
            union = int(np.count_nonzero(mask | leader))
            if union and np.count_nonzero(mask & leader) / union >= threshold:
                members.append(j)
                break
        else:
            clusters.append([j])
    return clusters


def _finding(
    conditions: tuple[Condition, ...],
    examples: IndexArray,
    base: FloatArray,
    cand: FloatArray,
    *,
    statistic: float,
    adjusted_p: float,
    half_width: float,
    aliases: tuple[tuple[Condition, ...], ...],
) -> Finding:
    examples.flags.writeable = False
    b, c = base[examples], cand[examples]
    d = c - b
    n = int(d.size)
    delta = float(d.mean())
    return Finding(
        conditions=conditions,
        n=n,
        baseline_mean=float(b.mean()),
        candidate_mean=float(c.mean()),
        delta=delta,
        ci_low=delta - half_width,
        ci_high=delta + half_width,
        statistic=statistic,
        adjusted_p=adjusted_p,
        examples=examples,
        aliases=aliases,
    )
