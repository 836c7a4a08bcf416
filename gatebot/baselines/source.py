"""Where a gate finds a baseline: the `BaselineSource` protocol, what a source finds, and the source
that reads the files committed with the code (`.gatebot/baselines/<model>/<benchmark>.json`).

The source on the baselines branch is `gatebot.baselines.branch.BranchSource`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from gatebot.baselines.local import LocalStore
from gatebot.results import Results
from gatebot.verdict import TrendPoint


@dataclass(frozen=True)
class Found:
    """A baseline and, for the reader, where it came from."""

    results: Results
    source: str


class BaselineSource(Protocol):
    def find(self, model: str, benchmark: str) -> Found | None: ...

    def trend(self, model: str, benchmark: str, points: int) -> list[TrendPoint]: ...


@dataclass(frozen=True)
class FileSource:
    """Baselines committed with the code: `.gatebot/baselines/<model>/<benchmark>.json`."""

    store: LocalStore
    label: str
    excluded: frozenset[str] = frozenset()
    """`model/benchmark` pairs whose files are not to be trusted here (a pull request changed them)."""

    def find(self, model: str, benchmark: str) -> Found | None:
        if f"{model}/{benchmark}" in self.excluded:
            return None
        results = self.store.load(model, benchmark)
        if results is None:
            return None
        return Found(results, f"{self.label}/{model}/{benchmark}.json")

    def trend(self, model: str, benchmark: str, points: int) -> list[TrendPoint]:
        del model, benchmark, points
        return []
