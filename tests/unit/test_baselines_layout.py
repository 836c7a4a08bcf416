"""The pure parts of the baselines branch: layout paths, history lines, entries, choosing a baseline,
backoff. No network: the GitHub side is in tests/github/test_baselines_branch.py."""

from __future__ import annotations

import gzip
import random
from dataclasses import replace

import pytest

from gatebot.baselines.layout import (
    BACKOFF_CAP_SECONDS,
    HistoryEntry,
    append_line,
    backoff_delay,
    check_branch_name,
    check_walk,
    choose_baseline,
    compress,
    decode_entry,
    encode_entry,
    entry_path,
    history_line,
    history_path,
    parse_history,
    slice_means,
)
from gatebot.errors import GatebotError, InputError
from tests.factories import make_results

PARENTS = {"c1": [], "c2": ["c1"], "c3": ["c2"], "side": ["c1"], "merge": ["c3", "side"]}


def ancestors(commit: str) -> set[str]:
    seen = {commit}
    for parent in PARENTS.get(commit, []):
        seen |= ancestors(parent)
    return seen


def entry(commit: str, line: int) -> HistoryEntry:
    return HistoryEntry(
        model="m",
        benchmark="b",
        commit=commit,
        recorded_at="2024-01-01T00:00:00Z",
        metrics={},
        provenance={},
        entry=f"baselines/m/b/entries/{commit}.json.gz",
        entry_sha256="0" * 64,
        run_url=None,
        line=line,
        branch_commit="f" * 40,
    )


class Asked(list[tuple[str, str]]):
    def __call__(self, ancestor: str, descendant: str) -> bool:
        self.append((ancestor, descendant))
        return ancestor in ancestors(descendant)


def test_layout__paths_per_model_and_benchmark() -> None:
    assert history_path("router", "tickets") == "baselines/router/tickets/history.jsonl"
    assert entry_path("router", "tickets", "a" * 40, "0123456789abcdef" * 4) == (
        f"baselines/router/tickets/entries/{'a' * 40}-0123456789abcdef.json.gz"
    )


@pytest.mark.parametrize("name", ["", ".hidden", "a/b", "a\\b", "new\nline"])
def test_layout__name_that_cannot_be_a_directory__input_error(name: str) -> None:
    with pytest.raises(InputError, match="cannot name a directory"):
        history_path(name, "b")


@pytest.mark.parametrize("branch", ["gatebot-baselines", "ml/baselines", "v1.2_x"])
def test_branch_name__valid__kept(branch: str) -> None:
    assert check_branch_name(branch) == branch


@pytest.mark.parametrize("branch", ["", "-x", "a..b", "a//b", "x/", "x.lock", "refs/heads/x", "has space"])
def test_branch_name__invalid__one_line_error(branch: str) -> None:
    with pytest.raises(GatebotError, match="is not a valid branch name"):
        check_branch_name(branch)


def test_choose__exact_base_recorded__chosen_without_asking() -> None:
    asked = Asked()
    history = [entry("c1", 1), entry("c3", 2), entry("side", 3)]

    assert choose_baseline(history, base_sha="c3", is_ancestor=asked) == history[1]
    assert asked == []


def test_choose__newest_first__stops_at_first_ancestor() -> None:
    asked = Asked()
    history = [entry("c1", 1), entry("c3", 2), entry("side", 3)]

    assert choose_baseline(history, base_sha="c2", is_ancestor=asked) == history[0]
    assert asked == [("side", "c2"), ("c3", "c2"), ("c1", "c2")]


def test_choose__commit_recorded_twice__asked_once_and_newest_record_wins() -> None:
    asked = Asked()
    history = [entry("c1", 1), entry("side", 2), entry("c1", 3), entry("side", 4)]

    assert choose_baseline(history, base_sha="c2", is_ancestor=asked) == history[2]
    assert asked == [("side", "c2"), ("c1", "c2")]


def test_choose__no_ancestor_recorded__none() -> None:
    assert choose_baseline([entry("side", 1)], base_sha="c3", is_ancestor=Asked()) is None
    assert choose_baseline([], base_sha="c3", is_ancestor=Asked()) is None


def test_choose__merge_commit__sees_both_parents_lines() -> None:
    history = [entry("side", 1)]

    assert choose_baseline(history, base_sha="merge", is_ancestor=Asked()) == history[0]


def test_backoff__doubles_from_half_a_second__capped__jittered_in_the_upper_half() -> None:
    rng = random.Random(3)
    for attempt in range(1, 10):
        ceiling = min(BACKOFF_CAP_SECONDS, 0.5 * 2 ** (attempt - 1))
        delays = [backoff_delay(attempt, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1


def test_history_line__round_trips_and_appends_without_touching_earlier_bytes() -> None:
    results = make_results({"acc": [1, 0]}, provenance={"run": 7})
    _, digest = encode_entry(results)
    path = entry_path("m", "b", "a" * 40, digest)
    line = history_line(
        results, commit="a" * 40, recorded_at="2024-01-01T00:00:00Z", entry=path, sha256=digest, run_url=None
    )
    hand_edited = b'{"schema":"gatebot/baseline-history@1"}  '  # no final newline

    assert line.endswith(b"\n") and b"run_url" not in line
    assert append_line(hand_edited, line) == hand_edited + b"\n" + line
    (parsed,) = parse_history(line + b"\n  \n", branch="x", model="m", benchmark="b", branch_commit="f" * 40)
    assert (parsed.commit, parsed.entry, parsed.entry_sha256, parsed.provenance) == (
        "a" * 40,
        path,
        digest,
        {"run": 7},
    )


def test_history_line__sliced_results__v2_line_with_each_slice_mean__aggregate_only_stays_v1() -> None:
    sliced = make_results({"acc": [1, 0, 1, 1]}, slices={"lang": ["en", "en", "es", "es"]})
    line = history_line(
        sliced, commit="a" * 40, recorded_at="2024-01-01T00:00:00Z", entry="e", sha256="0" * 64, run_url=None
    )
    assert line.startswith(b'{"schema":"gatebot/baseline-history@2"')
    (parsed,) = parse_history(line, branch="x", model="m", benchmark="b", branch_commit="f" * 40)
    assert parsed.slices == {"lang=en": {"acc": 0.5}, "lang=es": {"acc": 1.0}}

    plain = history_line(
        make_results(metrics={"acc": 0.7}),
        commit="a" * 40,
        recorded_at="2024-01-01T00:00:00Z",
        entry="e",
        sha256="0" * 64,
        run_url=None,
    )
    assert plain.startswith(b'{"schema":"gatebot/baseline-history@1"') and b"slices" not in plain
    (old,) = parse_history(plain, branch="x", model="m", benchmark="b", branch_commit="f" * 40)
    assert old.slices == {}


def test_slice_means__bounded_number_of_slice_values() -> None:
    many = make_results({"acc": [1.0] * 300}, slices={"id": [str(i) for i in range(300)]})
    assert len(slice_means(many, limit=64)) == 64


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"{", "malformed JSON"),
        (b"[1]", "malformed JSON"),
        (b'{"schema": "gatebot/results@1"}', "schema is 'gatebot/results@1', expected"),
        (
            b'{"schema": "gatebot/baseline-history@9"}',
            "'gatebot/baseline-history@9' is a format this gatebot",
        ),
        (b'{"schema": "gatebot/baseline-history@1"}', "missing required field"),
        (b"\xff\xfe", "not UTF-8 text"),
    ],
)
def test_history__broken_line__input_error_naming_branch_file_and_line(data: bytes, problem: str) -> None:
    good = history_line(
        make_results({"acc": [1]}),
        commit="a" * 40,
        recorded_at="2024-01-01T00:00:00Z",
        entry="e",
        sha256="0" * 64,
        run_url=None,
    )

    with pytest.raises(InputError) as raised:
        parse_history(good + data + b"\n", branch="gb", model="m", benchmark="b", branch_commit="f" * 40)

    assert raised.value.message.startswith("gb:baselines/m/b/history.jsonl")
    assert problem in raised.value.message
    upgrade = "@9" in problem
    assert (
        "upgrade gatebot" if upgrade else "git show origin/gb:baselines/m/b/history.jsonl"
    ) in raised.value.hint


def test_entry__compressed_bytes_are_reproducible_and_decode_to_the_results() -> None:
    results = make_results({"acc": [1, 0, 1]}, slices={"lang": ["en", "de", "en"]})
    document, digest = encode_entry(results)
    recorded = replace(entry("a" * 40, 1), entry_sha256=digest)

    assert compress(document) == compress(document)
    assert gzip.decompress(compress(document)) == document
    loaded = decode_entry(compress(document), recorded, branch="gb")
    assert loaded.examples is not None and loaded.examples.ids == ["ex-00000", "ex-00001", "ex-00002"]
    with pytest.raises(InputError, match=r"^gb:baselines/m/b/entries/a+\.json\.gz: not a readable gzip"):
        decode_entry(document, recorded, branch="gb")
    with pytest.raises(InputError, match="holds other/b, expected m/b"):
        other, other_digest = encode_entry(make_results({"acc": [1]}, model="other"))
        decode_entry(compress(other), replace(recorded, entry_sha256=other_digest), branch="gb")


def test_check_walk__directories_then_a_regular_file__found_or_absent() -> None:
    path = "baselines/m/b/history.jsonl"
    dirs = [("baselines", "040000"), ("baselines/m", "040000"), ("baselines/m/b", "040000")]
    assert check_walk("gb", path, [*dirs, (path, "100644")]) is True
    assert check_walk("gb", path, [*dirs, (path, "100755")]) is True
    assert check_walk("gb", path, dirs) is False  # nothing there yet: a new pair
    assert check_walk("gb", path, []) is False
    assert check_walk("gb", "baselines/m/b", dirs, directory=True) is True


@pytest.mark.parametrize(
    ("walked", "said"),
    [
        ([("baselines", "100644")], "gb:baselines: is a file where the baselines layout has a directory"),
        (
            [("baselines", "040000"), ("baselines/m", "120000")],
            "gb:baselines/m: is a symbolic link where the baselines layout has a directory",
        ),
        (
            [("baselines", "040000"), ("baselines/m", "160000")],
            "gb:baselines/m: is a submodule where the baselines layout has a directory",
        ),
    ],
)
def test_check_walk__shape_the_layout_does_not_allow__one_line_naming_the_path(
    walked: list[tuple[str, str]], said: str
) -> None:
    with pytest.raises(InputError) as error:
        check_walk("gb", "baselines/m/b/history.jsonl", walked)
    assert error.value.one_line().startswith(said + "; gatebot neither reads nor writes over it")
    assert "git show origin/gb:" in error.value.hint


def test_check_walk__history_file_that_is_a_link_or_a_directory__refused() -> None:
    path = "baselines/m/b/history.jsonl"
    dirs = [("baselines", "040000"), ("baselines/m", "040000"), ("baselines/m/b", "040000")]
    for mode, found in (("120000", "a symbolic link"), ("040000", "a directory")):
        with pytest.raises(InputError, match=f"is {found} where the baselines layout has a regular file"):
            check_walk("gb", path, [*dirs, (path, mode)])
