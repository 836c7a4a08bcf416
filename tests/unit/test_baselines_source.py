"""The file source of baselines: what `gatebot gate` and the Action read from `.gatebot/baselines/`."""

from __future__ import annotations

from pathlib import Path

import pytest

import gatebot.baselines
from gatebot.baselines import DEFAULT_DIR, FileSource, LocalStore, branch
from gatebot.errors import InputError
from tests.factories import make_results


def test_file_source__saved_baseline__found_with_its_file_named(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / DEFAULT_DIR)
    saved = store.save(make_results({"accuracy": [1, 0, 1, 1]}, model="router", benchmark="tickets"))
    found = FileSource(store, label=DEFAULT_DIR.as_posix()).find("router", "tickets")
    assert saved == tmp_path / ".gatebot" / "baselines" / "router" / "tickets.json"
    assert found is not None
    assert found.source == ".gatebot/baselines/router/tickets.json"
    assert found.results.metrics == {"accuracy": 0.75}


def test_file_source__no_file__nothing_found_and_no_trend(tmp_path: Path) -> None:
    source = FileSource(LocalStore(tmp_path), label="baselines")
    assert source.find("router", "tickets") is None
    assert source.trend("router", "tickets", 10) == []


@pytest.mark.parametrize("name", ["", ".hidden", "a/b", "a\\b"])
def test_local_store__name_that_cannot_be_a_file__input_error(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match="cannot name a baseline file"):
        LocalStore(tmp_path).load(name, "tickets")


def test_package__branch_names__loaded_on_first_use() -> None:
    assert gatebot.baselines.BranchSource is branch.BranchSource
    assert gatebot.baselines.BaselineStore is branch.BaselineStore
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        _ = gatebot.baselines.Nothing
