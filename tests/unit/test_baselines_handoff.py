"""Baselines handed off from the plan stage to the evaluate stage: fetched once, read back the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatebot.baselines import FileSource, Found, LocalStore
from gatebot.baselines.handoff import HandoffSource, fetch, write_handoff
from gatebot.errors import InputError
from gatebot.results import Results, results_document
from gatebot.verdict import TrendPoint
from tests.factories import make_results


class _Branch:
    """A source as the branch answers: some baselines, each with a trend."""

    def __init__(self, found: dict[tuple[str, str], Results]) -> None:
        self.found = found
        self.asked: list[tuple[str, str, int | None]] = []

    def find(self, model: str, benchmark: str) -> Found | None:
        self.asked.append((model, benchmark, None))
        results = self.found.get((model, benchmark))
        return None if results is None else Found(results, f"commit abc1234 on the branch ({model})")

    def trend(self, model: str, benchmark: str, points: int) -> list[TrendPoint]:
        self.asked.append((model, benchmark, points))
        return [TrendPoint(f"c{i}", {"acc": i / 10}) for i in range(points + 2)][-points:]


def _files(tmp_path: Path) -> FileSource:
    return FileSource(LocalStore(tmp_path / "committed"), label=".gatebot/baselines")


def test_fetched_and_written__read_back_with_source_and_trend(tmp_path: Path) -> None:
    router = make_results({"acc": [1, 0, 1, 1]}, model="router", benchmark="tickets")
    base = make_results({"acc": [1, 1, 1, 1]}, model="base", benchmark="tickets")
    branch = _Branch({("router", "tickets"): router, ("base", "tickets"): base})
    wanted = [("router", "tickets", True), ("base", "tickets", False), ("gone", "tickets", True)]
    write_handoff(tmp_path / "handoff", fetch(branch, wanted, trend_points=3))
    # The trend is asked only for what was found and wanted with its trend.
    assert branch.asked == [
        ("router", "tickets", None),
        ("router", "tickets", 3),
        ("base", "tickets", None),
        ("gone", "tickets", None),
    ]
    source = HandoffSource(tmp_path / "handoff", _files(tmp_path))
    found = source.find("router", "tickets")
    assert found is not None and found.source == "commit abc1234 on the branch (router)"
    assert results_document(found.results) == results_document(router)
    assert [p.label for p in source.trend("router", "tickets", 3)] == ["c2", "c3", "c4"]
    assert [p.label for p in source.trend("router", "tickets", 1)] == ["c4"]
    assert source.trend("base", "tickets", 3) == []
    assert source.find("gone", "tickets") is None


def test_not_handed_off__the_committed_file_answers(tmp_path: Path) -> None:
    write_handoff(tmp_path / "handoff", [])
    files = _files(tmp_path)
    files.store.save(make_results({"acc": [1.0, 0.0]}, model="router", benchmark="tickets"))
    found = HandoffSource(tmp_path / "handoff", files).find("router", "tickets")
    assert found is not None and found.source == ".gatebot/baselines/router/tickets.json"


def test_written_again__what_was_there_is_gone(tmp_path: Path) -> None:
    folder = tmp_path / "handoff"
    router = make_results({"acc": [1.0]}, model="router", benchmark="tickets")
    write_handoff(
        folder,
        fetch(_Branch({("router", "tickets"): router}), [("router", "tickets", False)], trend_points=0),
    )
    write_handoff(folder, [])
    assert sorted(p.name for p in folder.iterdir()) == ["index.json"]
    assert HandoffSource(folder, _files(tmp_path)).find("router", "tickets") is None


def test_no_index__says_to_run_the_plan_stage_first(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="the plan stage handed off no baselines"):
        HandoffSource(tmp_path, _files(tmp_path)).find("router", "tickets")


def test_index_naming_a_path__refused(tmp_path: Path) -> None:
    (tmp_path / "index.json").write_text(
        '{"schema": "gatebot/handoff-baselines@1", "entries": [{"model": "m", "benchmark": "b", '
        '"file": "../../etc/passwd", "source": "x"}]}'
    )
    with pytest.raises(InputError, match=r"entries\.0\.file"):
        HandoffSource(tmp_path, _files(tmp_path)).find("m", "b")
