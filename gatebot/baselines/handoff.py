"""Baselines handed over from the Action's plan stage to its evaluate stage, in a folder.

The plan stage holds the token and runs none of the pull request's code; the evaluate stage runs it and
holds no token, so it cannot read the baselines branch itself. The plan stage fetches every baseline
the evaluate stage will ask for (each job's, its model's reference's, the trend) and writes them here:
the results files as they are, and `index.json` (`gatebot/handoff-baselines@1`) saying which file is
which model and benchmark, where it came from and its trend. `HandoffSource` reads them back, and
falls back, as the branch source does, to the files committed beside the config.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gatebot.baselines.source import BaselineSource, FileSource, Found
from gatebot.errors import InputError, validation_problem
from gatebot.results import atomic_write, load_results, write_results
from gatebot.verdict import TrendPoint

INDEX_SCHEMA = "gatebot/handoff-baselines@1"
INDEX_FILE = "index.json"


class _Point(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str
    metrics: dict[str, float]
    slices: dict[str, dict[str, float]] = Field(default_factory=dict)


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    benchmark: str
    file: str = Field(pattern=r"^[0-9]{1,6}\.json$", description="The results file, in the folder.")
    source: str = Field(description="Where the baseline came from, as the report names it.")
    trend: list[_Point] = Field(default_factory=list, description="The trend points, oldest first.")


class _Index(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_: Literal["gatebot/handoff-baselines@1"] = Field(
        default="gatebot/handoff-baselines@1", alias="schema"
    )
    entries: list[_Entry] = Field(default_factory=list)


@dataclass(frozen=True)
class HandedOff:
    """A baseline found for the evaluate stage, and its trend."""

    model: str
    benchmark: str
    found: Found
    trend: tuple[TrendPoint, ...] = ()


def fetch(
    source: BaselineSource, wanted: Iterable[tuple[str, str, bool]], *, trend_points: int
) -> list[HandedOff]:
    """What `source` has of each (model, benchmark, with its trend) in `wanted`."""
    handed: list[HandedOff] = []
    for model, benchmark, with_trend in wanted:
        found = source.find(model, benchmark)
        if found is None:
            continue
        trend = source.trend(model, benchmark, trend_points) if with_trend and trend_points > 0 else []
        handed.append(HandedOff(model, benchmark, found, tuple(trend)))
    return handed


def write_handoff(folder: Path, handed: Iterable[HandedOff]) -> None:
    """Write the baselines and their index to `folder`, emptied first."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    entries: list[_Entry] = []
    for item in handed:
        name = f"{len(entries)}.json"
        write_results(item.found.results, folder / name)
        points = [
            _Point(label=p.label, metrics=dict(p.metrics), slices={k: dict(v) for k, v in p.slices.items()})
            for p in item.trend
        ]
        entries.append(
            _Entry(
                model=item.model, benchmark=item.benchmark, file=name, source=item.found.source, trend=points
            )
        )
    index = _Index(entries=entries).model_dump_json(by_alias=True, indent=2)
    atomic_write(folder / INDEX_FILE, [index.encode(), b"\n"])


class HandoffSource:
    """The baselines the plan stage handed off in `folder`; then those committed with the code (`files`)."""

    def __init__(self, folder: Path, files: FileSource) -> None:
        self.folder = folder
        self.files = files
        self._entries: dict[tuple[str, str], _Entry] | None = None

    def _entry(self, model: str, benchmark: str) -> _Entry | None:
        if self._entries is None:
            self._entries = {(e.model, e.benchmark): e for e in _read_index(self.folder / INDEX_FILE)}
        return self._entries.get((model, benchmark))

    def find(self, model: str, benchmark: str) -> Found | None:
        entry = self._entry(model, benchmark)
        if entry is None:
            return self.files.find(model, benchmark)
        return Found(load_results(self.folder / entry.file), entry.source)

    def trend(self, model: str, benchmark: str, points: int) -> list[TrendPoint]:
        entry = self._entry(model, benchmark)
        if entry is None or points <= 0:
            return []
        return [TrendPoint(p.label, dict(p.metrics), p.slices) for p in entry.trend[-points:]]


def read_handed_off(folder: Path) -> dict[tuple[str, str], Found]:
    """Every results file handed off in `folder`, by model and benchmark (none when there is no folder)."""
    if not (folder / INDEX_FILE).exists():
        return {}
    return {
        (e.model, e.benchmark): Found(load_results(folder / e.file), e.source)
        for e in _read_index(folder / INDEX_FILE)
    }


def _read_index(path: Path) -> list[_Entry]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            f"{path}: the plan stage handed off no baselines",
            "run `gatebot action --stage plan` before `--stage evaluate`, with the same GATEBOT_HANDOFF",
        ) from None
    except OSError as error:
        raise InputError(f"{path}: cannot read the handed-off baselines: {error.strerror}") from None
    try:
        return _Index.model_validate_json(data).entries
    except ValidationError as error:
        where, message = validation_problem(error)
        raise InputError(f"{path}: {where}: {message}", f"expected a {INDEX_SCHEMA} file") from None
