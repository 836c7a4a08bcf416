"""The subgroup search: what it finds, what it does not find in noise, how it names and bounds it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from gatebot import discover
from gatebot.discover import Condition, Discovery, SearchOptions, fields_of, search
from gatebot.results import Examples, FloatArray, SliceColumn

LANGUAGES = ("en", "es", "fr", "de")
CHANNELS = ("email", "chat", "phone")


@dataclass
class Eval:
    base: FloatArray
    cand: FloatArray
    categorical: dict[str, SliceColumn]
    numeric: dict[str, FloatArray]
    planted: np.ndarray


def draw(seed: int, *, n: int = 2000, drop: float = 0.0, churn: float = 0.05) -> Eval:
    """0/1 scores, 80% right; `churn` of all examples flip each way; `drop` more go wrong in fr x email."""
    rng = np.random.default_rng(seed)
    language = rng.integers(0, 4, n).astype(np.int32)
    channel = rng.choice(3, n, p=[0.12, 0.44, 0.44]).astype(np.int32)
    base = (rng.random(n) < 0.8).astype(np.float64)
    planted = np.flatnonzero((language == 2) & (channel == 0))
    rate_worse = np.full(n, churn / 0.8)
    rate_worse[planted] += drop / 0.8
    rate_better = churn / 0.2
    flip = rng.random(n) < np.where(base == 1.0, rate_worse, rate_better)
    cand = np.where(flip, 1.0 - base, base)
    return Eval(
        base,
        cand,
        {"language": SliceColumn(language, LANGUAGES), "channel": SliceColumn(channel, CHANNELS)},
        {"input_chars": rng.lognormal(6.0, 1.0, n)},
        planted,
    )


def run(e: Eval, seed: int = 0, **options: Any) -> Discovery:
    return search(
        e.base,
        e.cand,
        direction="higher",
        rng=np.random.default_rng(seed),
        categorical=e.categorical,
        numeric=e.numeric,
        options=SearchOptions(**options),
    )


def test_planted_intersection__found__named_by_both_fields_with_its_examples() -> None:
    e = draw(1, drop=0.30)
    found = run(e)
    top = found.findings[0]
    assert top.name == "language = fr & channel = email"
    assert top.conditions == (Condition("language", value="fr"), Condition("channel", value="email"))
    assert top.adjusted_p <= 0.05
    assert top.n == e.planted.size
    assert np.array_equal(top.examples, e.planted)
    assert top.delta == pytest.approx(float((e.cand - e.base)[e.planted].mean()))
    assert top.ci_low < top.delta < top.ci_high < 0
    assert found.strongest == top


def test_unchanged_model__twenty_evals__findings_rare_and_p_mostly_large() -> None:
    results = [run(draw(seed), seed=seed, permutations=300) for seed in range(20)]
    with_findings = sum(bool(r.findings) for r in results)
    assert with_findings <= 2
    strongest_p = [r.strongest.adjusted_p for r in results if r.strongest is not None]
    assert sum(p > 0.05 for p in strongest_p) >= 18


def test_same_seed__same_answer__other_seed_same_finding() -> None:
    e = draw(3, drop=0.30)
    first, again, other = run(e, seed=7), run(e, seed=7), run(e, seed=8)
    assert first == again
    assert [f.name for f in first.findings] == [f.name for f in other.findings]


def test_same_examples_under_two_names__one_finding__simpler_name_kept() -> None:
    e = draw(1, drop=0.30)
    region = np.zeros(e.base.size, np.int32)
    region[e.planted] = 1
    e.categorical["region"] = SliceColumn(region, ("rest", "quebec"))
    found = run(e)
    names = [f.name for f in found.findings]
    assert names[0] == "region = quebec"
    assert "language = fr & channel = email" not in names
    assert "language = fr & channel = email" in found.findings[0].alias_names


def test_field_nested_in_another__its_duplicate_pairs_not_searched() -> None:
    e = draw(2)
    alone = run(e, permutations=50).candidates
    french = np.where(e.categorical["language"].codes == 2, 0, 1).astype(np.int32)
    e.categorical["group"] = SliceColumn(french, ("fr", "other"))
    nested = run(e, permutations=50).candidates
    # New: group's 2 levels and its 2 x 3 pairs with channel (numeric bins pair with nothing by
    # default). Every pair of group with a language is empty or the same examples as one of the two.
    assert nested - alone == 2 + 6


def test_long_inputs_regress__numeric_run_found_with_rounded_bounds() -> None:
    rng = np.random.default_rng(5)
    n = 2000
    chars = rng.lognormal(6.0, 1.0, n)
    base = (rng.random(n) < 0.8).astype(np.float64)
    cand = base.copy()
    longest = chars >= np.quantile(chars, 0.8)
    cand[longest & (base == 1.0) & (rng.random(n) < 0.3)] = 0.0
    found = search(
        base, cand, direction="higher", rng=np.random.default_rng(0), numeric={"input_chars": chars}
    )
    top = found.findings[0]
    (condition,) = top.conditions
    assert condition.field == "input_chars"
    assert condition.low is not None and condition.high is None
    assert str(condition) == f"input_chars ≥ {condition.low:,.0f}"
    assert top.n == int(np.count_nonzero(chars >= condition.low))
    assert abs(top.n - longest.sum()) <= 2


def test_lower_is_better__increase_is_worse() -> None:
    rng = np.random.default_rng(6)
    n = 1500
    kind = rng.integers(0, 5, n).astype(np.int32)
    base = rng.gamma(2.0, 1.0, n)
    cand = base + rng.normal(0.0, 0.3, n)
    cand[kind == 3] += 0.5
    columns = {"kind": SliceColumn(kind, tuple("abcde"))}
    up = search(base, cand, direction="lower", rng=np.random.default_rng(0), categorical=columns)
    down = search(base, cand, direction="higher", rng=np.random.default_rng(0), categorical=columns)
    assert [f.name for f in up.findings] == ["kind = d"]
    assert up.findings[0].delta == pytest.approx(0.5, abs=0.1)
    assert down.findings == ()


def test_unscored_pairs__left_out__examples_index_the_inputs() -> None:
    e = draw(1, drop=0.30)
    base = e.base.copy()
    gone = e.planted[:5]
    base[gone] = np.nan
    found = search(base, e.cand, direction="higher", rng=np.random.default_rng(0), categorical=e.categorical)
    top = found.findings[0]
    assert found.paired == e.base.size - 5
    assert np.array_equal(top.examples, e.planted[5:])
    assert not top.examples.flags.writeable


def test_small_subgroups__never_candidates() -> None:
    e = draw(1, drop=0.30)
    found = run(e, min_size=e.planted.size + 1)
    assert all(f.n > e.planted.size for f in found.findings)
    assert all(f.n >= e.planted.size + 1 for f in found.findings)


def test_candidate_cap__pairs_left_out_and_said() -> None:
    e = draw(1, drop=0.30)
    full = run(e, permutations=50)
    capped = run(e, permutations=50, max_candidates=20)
    assert capped.candidates <= 20 < full.candidates
    assert any("capped at 20 subgroups" in note for note in capped.notes)


def test_work_budget__lowers_permutations_not_below_floor() -> None:
    e = draw(1, drop=0.30)
    found = run(e, permutations=1000, min_permutations=100, work_budget=1.0)
    assert found.permutations == 100
    assert any("100 permutations instead of 1000" in note for note in found.notes)


def test_max_findings__at_most_that_many() -> None:
    rng = np.random.default_rng(9)
    n = 3000
    kind = rng.integers(0, 6, n).astype(np.int32)
    base = (rng.random(n) < 0.8).astype(np.float64)
    cand = np.where((kind <= 3) & (base == 1.0) & (rng.random(n) < 0.3), 0.0, base)
    found = search(
        base,
        cand,
        direction="higher",
        rng=np.random.default_rng(0),
        categorical={"kind": SliceColumn(kind, tuple("abcdef"))},
        options=SearchOptions(max_findings=2),
    )
    assert len(found.findings) == 2


def test_nothing_changed__no_permutations_no_findings() -> None:
    e = draw(1)
    found = search(
        e.base, e.base, direction="higher", rng=np.random.default_rng(0), categorical=e.categorical
    )
    assert found.findings == ()
    assert found.permutations == 0
    assert found.candidates > 0


def test_mismatched_lengths__value_error() -> None:
    e = draw(1)
    with pytest.raises(ValueError, match="language"):
        search(
            e.base,
            e.cand,
            direction="higher",
            rng=np.random.default_rng(0),
            categorical={"language": SliceColumn(e.categorical["language"].codes[:-1], LANGUAGES)},
        )
    with pytest.raises(ValueError, match="same length"):
        search(e.base, e.cand[:-1], direction="higher", rng=np.random.default_rng(0))


def test_fields_of_examples__slices_and_meta__at_the_aligned_positions() -> None:
    e = draw(1, drop=0.30)
    n = e.base.size
    examples = Examples(
        ids=[f"e{i}" for i in range(n)],
        scores={"accuracy": e.cand},
        slices={"language": e.categorical["language"]},
        meta={"channel": e.categorical["channel"], "input_chars": e.numeric["input_chars"]},
    )
    reverse = np.arange(n)[::-1]
    categorical, numeric = fields_of(examples, reverse)
    assert list(categorical) == ["language", "channel"] and list(numeric) == ["input_chars"]
    np.testing.assert_array_equal(categorical["channel"].codes, e.categorical["channel"].codes[::-1])
    found = search(
        e.base[::-1], e.cand[::-1], direction="higher", rng=np.random.default_rng(0),
        categorical=categorical, numeric=numeric,
    )  # fmt: skip
    assert found.findings[0].name == "language = fr & channel = email"
    np.testing.assert_array_equal(np.sort(reverse[found.findings[0].examples]), e.planted)


def _regress(e: Eval, mask: np.ndarray, share: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    e.cand[mask & (e.base == 1.0) & (rng.random(e.base.size) < share)] = 0.0


def test_whole_slice_regressed__its_cells_not_shown_as_more_findings() -> None:
    e = draw(4)
    _regress(e, e.categorical["language"].codes == 2, 0.3, seed=1)
    found = run(e)
    assert [f.name for f in found.findings] == ["language = fr"]
    assert any("not significant without their examples" in note for note in found.notes)


def test_two_separate_regressions__both_shown() -> None:
    e = draw(4)
    _regress(e, e.categorical["language"].codes == 2, 0.3, seed=1)
    _regress(e, e.categorical["channel"].codes == 0, 0.4, seed=2)
    found = run(e)
    assert {f.name for f in found.findings} == {"language = fr", "channel = email"}


def test_large_atoms__normal_sums__same_null_as_flipping_each_example(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Examples alike on every field enter the null as one normal sum once there are 2,000 of them."""
    rng = np.random.default_rng(5)
    n = 40_000
    codes = rng.integers(0, 4, n).astype(np.int32)
    base = rng.random(n)
    cand = np.clip(base + rng.normal(0.0, 0.05, n), 0.0, 1.0)
    column = {"kind": SliceColumn(codes, ("a", "b", "c", "d"))}

    def critical() -> float:
        found = search(base, cand, direction="higher", rng=np.random.default_rng(1), categorical=column)
        return found.critical

    normal = critical()
    monkeypatch.setattr(discover, "_NORMAL_ATOM", 10**9)
    exact = critical()
    assert normal == pytest.approx(exact, rel=0.1)
