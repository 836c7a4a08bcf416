"""The flips file: every flip of a verdict's 0/1 metrics, in JSON Lines beside the verdict.

A 0/1 metric of a million examples flips on hundreds of thousands of them; listed in the verdict, each as
an object repeating its slices, they made the verdict of one such eval 64 MB. The verdict lists the first
ones (`Flips.cut`), and whoever writes `verdict.json` writes `verdict.flips.jsonl` beside it, streamed:
a first line `{"schema": "gatebot/flips@1"}`, then one line per flip, worse ones first:

    {"model": ..., "benchmark": ..., "metric": ..., "went": "worse", "id": ..., "baseline": 1.0,
     "candidate": 0.0, "slices": {"language": "es"}}

The publish stage copies the evaluate stage's file as it writes its own verdict, reading it as hostile
input: a regular file, never through a symlink, bounded in bytes and line length, each line validated,
and no more lines than the verdict counts flips.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from dataclasses import replace
from itertools import count
from pathlib import Path
from typing import Literal

import msgspec

from gatebot.errors import InputError
from gatebot.results import atomic_write
from gatebot.verdict import FlipExample, Flips, FlipStream, GateReport, Went, report_document

FLIPS_SCHEMA = "gatebot/flips@1"
MAX_FLIPS_FILE_BYTES = 1 << 30
"""The most gatebot reads of a flips file it did not write itself (a million flips take about 150 MB)."""
MAX_LINE_BYTES = 1 << 16
_LINES_PER_WRITE = 4096
_NOT_OURS = "was it written by gatebot?"


class _Header(msgspec.Struct, forbid_unknown_fields=True):
    schema: str


class _Line(msgspec.Struct, forbid_unknown_fields=True):
    model: str
    benchmark: str
    metric: str
    went: Literal["worse", "better"]
    id: str
    baseline: float
    candidate: float
    slices: dict[str, str] = {}


def flips_path(verdict_path: Path) -> Path:
    """The flips file beside a verdict: `verdict.json` -> `verdict.flips.jsonl`."""
    return verdict_path.with_name(f"{verdict_path.stem}.flips.jsonl")


def _listed(report: GateReport) -> bool:
    return any(f.cut and f.every is not None for v in report.verdicts for f in v.flips)


def flip_lines(report: GateReport) -> Iterator[bytes]:
    """The flips file of `report`, line by line: the header, then every flip of each cut `Flips`."""
    yield msgspec.json.encode(_Header(FLIPS_SCHEMA)) + b"\n"
    encode = msgspec.json.Encoder().encode
    for verdict in report.verdicts:
        for flips in verdict.flips:
            if not flips.cut or flips.every is None:
                continue
            for went, e in flips.every():
                line = _Line(
                    verdict.model,
                    verdict.benchmark,
                    flips.metric,
                    went,
                    e.id,
                    e.baseline,
                    e.candidate,
                    dict(e.slices),
                )
                yield encode(line) + b"\n"


def _chunks(lines: Iterator[bytes]) -> Iterator[bytes]:
    batch: list[bytes] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= _LINES_PER_WRITE:
            yield b"".join(batch)
            batch = []
    if batch:
        yield b"".join(batch)


def write_verdict(report: GateReport, path: Path, *, indent: int | None = 2) -> None:
    """Write the JSON verdict at `path` and, when some metric's flips are listed there only in part,
    every flip in the flips file beside it (an older flips file there is removed otherwise)."""
    sidecar = flips_path(path)
    listed = _listed(report)
    document = report_document(report, flips_file=sidecar.name if listed else None)
    text = json.dumps(document, indent=indent, ensure_ascii=False) + "\n"
    if listed:  # first: a verdict is never left naming a flips file that could not be written
        atomic_write(sidecar, _chunks(flip_lines(report)))
    else:
        sidecar.unlink(missing_ok=True)
    atomic_write(path, [text.encode()])


def with_flips_file(report: GateReport, path: Path, *, where: str) -> GateReport:
    """`report` (read back from a verdict) whose cut flips come, when iterated, from the flips file at
    `path`, read as hostile input; unchanged when there is no such file."""
    if not path.exists() and not path.is_symlink():
        return report
    verdicts = []
    for verdict in report.verdicts:
        flips = tuple(
            replace(f, every=_reader(path, verdict.model, verdict.benchmark, f, where=where)) if f.cut else f
            for f in verdict.flips
        )
        verdicts.append(replace(verdict, flips=flips))
    return GateReport(tuple(verdicts))


def _reader(path: Path, model: str, benchmark: str, flips: Flips, *, where: str) -> FlipStream:
    def every() -> Iterator[tuple[Went, FlipExample]]:
        counts: dict[Went, int] = {"worse": flips.worse_count, "better": flips.better_count}
        for number, line in _lines(path, where=where):
            if (line.model, line.benchmark, line.metric) != (model, benchmark, flips.metric):
                continue
            counts[line.went] -= 1
            if counts[line.went] < 0:
                raise InputError(
                    f"{where}:{number}: more flips of {flips.metric} to {line.went} than the verdict counts",
                    _NOT_OURS,
                )
            yield line.went, FlipExample(line.id, line.baseline, line.candidate, line.slices)

    return every


def _lines(path: Path, *, where: str) -> Iterator[tuple[int, _Line]]:
    """The validated lines of a flips file, with their line numbers."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        raise InputError(f"{where} is not a regular file", _NOT_OURS) from None
    decoder = msgspec.json.Decoder(_Line)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError(f"{where} is not a regular file", _NOT_OURS)
        total = 0
        for number in count(1):
            data = handle.readline(MAX_LINE_BYTES + 1)
            if not data:
                return
            total += len(data)
            if len(data) > MAX_LINE_BYTES or total > MAX_FLIPS_FILE_BYTES:
                raise InputError(f"{where}:{number}: the flips file is too large", _NOT_OURS)
            try:
                if number == 1:
                    if msgspec.json.decode(data, type=_Header).schema != FLIPS_SCHEMA:
                        raise InputError(f"{where}:1: not a {FLIPS_SCHEMA} file", _NOT_OURS)
                    continue
                yield number, decoder.decode(data)
            except msgspec.DecodeError as error:
                raise InputError(f"{where}:{number}: {error}", _NOT_OURS) from None
