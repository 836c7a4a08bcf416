"""inspect_ai eval logs, `.json` (one document) or `.eval` (a zip of `header.json`, `samples/*.json`,
`summaries.json`, `reductions.json`): one `Results` per log.

Headline metrics come from `results.scores[].metrics` and are named `<score>/<metric>`
(`match/accuracy`). Per-sample scores become columns of the same name for the metrics that are means of
them (`accuracy`, `mean`), taken from the log's epoch reductions when it has them. Sample `metadata`
keys become slices. See docs/importers.md. About 500 lines: two containers of one harness (a JSON
document and a zip read with bounded members) and its epoch reductions.
"""

from __future__ import annotations

import dataclasses
import math
import zipfile
import zlib
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from gatebot.errors import InputError
from gatebot.importers._common import (
    ColumnBuilder,
    Imported,
    ImportOptions,
    as_number,
    close,
    column_mean,
    decode_json,
    describe_fields,
    fail,
    read_bytes,
)
from gatebot.results import Examples, Results

FORMAT = "inspect"
EXPECTED = "an inspect_ai eval log (.eval or .json, log format version 1 or 2)"
_VERSIONS = (1, 2)
_MEAN_METRICS = ("accuracy", "mean")
"""Metrics that are the mean of the per-sample values, so a per-sample column can stand for them."""
_STDERR_METRICS = ("stderr", "bootstrap_stderr")
_SPREAD_METRICS = ("std", "var")
_ZSTD = 93
MAX_MEMBER_BYTES = 512 * 2**20
"""The most one member of an `.eval` archive may expand to."""
MAX_ARCHIVE_BYTES = 2 * 2**30
"""The most the members gatebot reads from one `.eval` archive may expand to together."""
# The letter grades are converted as inspect_ai's own `value_to_float()` does
# (src/inspect_ai/scorer/_metric.py, UKGovernmentBEIS/inspect_ai): CORRECT "C" -> 1, PARTIAL "P" -> 0.5,
# INCORRECT "I" and NOANSWER "N" -> 0; numbers and booleans as numbers; "yes"/"true" -> 1,
# "no"/"false" -> 0; strings holding a finite number -> that number. Inspect maps anything else to 0
# with a warning; here it is left unscored and reported.
_LETTERS = {"C": 1.0, "P": 0.5, "I": 0.0, "N": 0.0}
_WORDS = {"yes": 1.0, "true": 1.0, "no": 0.0, "false": 0.0}


class _Metric(msgspec.Struct):
    value: Any = None


class _EvalScore(msgspec.Struct):
    name: str
    scorer: str = ""
    metrics: dict[str, _Metric] = {}


class _EvalResults(msgspec.Struct):
    scores: list[_EvalScore] = []
    total_samples: int | None = None
    completed_samples: int | None = None


class _Spec(msgspec.Struct):
    task: str
    model: str
    created: str | None = None
    run_id: str | None = None
    eval_id: str | None = None
    task_version: Any = None
    task_args: dict[str, Any] | None = None
    dataset: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    packages: dict[str, str] | None = None
    revision: dict[str, Any] | None = None


class _Error(msgspec.Struct):
    message: str = ""


class _Header(msgspec.Struct):
    version: int
    eval: _Spec
    status: str = "success"
    results: _EvalResults | None = None
    error: _Error | None = None


class _Score(msgspec.Struct):
    value: Any = None


class _Sample(msgspec.Struct):
    id: int | str
    epoch: int = 1
    scores: dict[str, _Score] | None = None
    metadata: dict[str, Any] | None = None
    error: Any = None


class _Reduced(msgspec.Struct):
    sample_id: int | str
    value: Any = None


class _Reduction(msgspec.Struct):
    scorer: str
    samples: list[_Reduced] = []
    reducer: str | None = None


class _Log(_Header):
    samples: list[_Sample] | None = None
    reductions: list[_Reduction] | None = None


@dataclass
class _Read:
    """A log as read, whatever its container."""

    header: _Header
    samples: Sequence[_Sample]
    reductions: Sequence[_Reduction] | None
    source: str
    notes: list[str] = field(default_factory=list)


def value_to_float(value: Any) -> float | None:
    """A score value as a number the way inspect_ai reads it; None when it cannot be read as one."""
    if isinstance(value, (bool, int, float)):
        number = float(value)
        return number if math.isfinite(number) else None
    if not isinstance(value, str):
        return None
    if value in _LETTERS:
        return _LETTERS[value]
    lowered = value.strip().lower()
    if lowered in _WORDS:
        return _WORDS[lowered]
    try:
        number = float(lowered)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def import_inspect(path: Path, options: ImportOptions) -> Imported:
    """Read an inspect_ai log (`.eval` or `.json`)."""
    log = _read_eval(path) if zipfile.is_zipfile(path) else _read_json(path)
    header = log.header
    if header.version not in _VERSIONS:
        raise fail(path, f"log format version {header.version} is not one gatebot reads", EXPECTED)
    headline = _headline(header.results.scores if header.results is not None else [])
    if not headline.metrics:
        raise fail(
            path,
            f"no metrics: the log has no scores (status {header.status})",
            "a scored log (score it with `inspect score`, or check that the task has a scorer)",
        )
    skipped = [*headline.skipped, *_status_notes(header)]
    examples, read = _examples(log, headline, options, skipped)
    spec = header.eval
    results = Results(
        benchmark=spec.task,
        model=spec.model,
        metrics=headline.metrics,
        examples=examples,
        provenance=_provenance(path, log, headline),
        directions={name: "higher" for name in headline.columns},
        stderr=_stderr_of_means(headline),
    )
    first = (
        f"{log.source}: task {spec.task}, model {spec.model}, status {header.status}, "
        f"{len(headline.metrics)} metrics"
    )
    return Imported((results,), FORMAT, (first, *read), tuple(skipped))


def _status_notes(header: _Header) -> list[str]:
    if header.status == "success":
        return []
    done = header.results.completed_samples if header.results is not None else None
    message = (
        header.error.message.strip().splitlines()[0] if header.error and header.error.message.strip() else ""
    )
    detail = f" ({message})" if message else ""
    return [
        f"the run's status is {header.status!r}{detail}: {done} samples completed; "
        "its metrics cover only the samples that finished"
    ]


# Reading the two containers -------------------------------------------------------------------------


def _read_json(path: Path) -> _Read:
    log = decode_json(read_bytes(path, EXPECTED), str(path), EXPECTED, _Log)
    return _Read(log, log.samples or [], log.reductions, f"{path.name} (.json log)")


class _Budget:
    """What an archive may still expand to: a zip of a few megabytes can declare (and hold) gigabytes."""

    def __init__(self) -> None:
        self.left = MAX_ARCHIVE_BYTES


def _zip_member(path: Path, archive: zipfile.ZipFile, name: str, budget: _Budget) -> bytes:
    """One member's bytes, refused when its declared size, or what reading it yields, is too large."""
    info = archive.getinfo(name)
    limit = min(MAX_MEMBER_BYTES, budget.left)
    if info.file_size > limit:
        raise _too_large(path, name, info.file_size, budget)
    try:
        with archive.open(info) as member:
            data = member.read(limit + 1)
    except NotImplementedError:
        method = info.compress_type
        what = (
            "zstd (zip method 93), which Python's zipfile reads from Python 3.14"
            if method == _ZSTD
            else f"zip method {method}, which this Python cannot read"
        )
        raise InputError(
            f"{path}: the log's members are compressed with {what}",
            "import the .json log instead (`inspect log convert --to json FILE`, "
            "or run inspect with --log-format json)",
        ) from None
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as error:
        raise fail(path, f"cannot read {name} from the archive: {error}", EXPECTED) from None
    if len(data) > limit:  # more than it declared
        raise _too_large(path, name, len(data), budget)
    budget.left -= len(data)
    return data


def _too_large(path: Path, name: str, size: int, budget: _Budget) -> InputError:
    if size > MAX_MEMBER_BYTES:
        problem = f"{name} expands to more than {MAX_MEMBER_BYTES // 2**20} MiB"
    else:
        problem = f"its members expand to more than {MAX_ARCHIVE_BYTES // 2**20} MiB together (at {name})"
    return InputError(
        f"{path}: {problem}, more than gatebot reads from an inspect log",
        "import the .json log instead, or a log of fewer samples",
    )


def _read_eval(path: Path) -> _Read:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise fail(path, f"not a readable zip archive: {error}", EXPECTED) from None
    budget = _Budget()
    with archive:
        names = archive.namelist()
        if "header.json" not in names:
            raise fail(path, "the archive has no header.json", EXPECTED)
        where = f"{path}!header.json"
        header = decode_json(_zip_member(path, archive, "header.json", budget), where, EXPECTED, _Header)
        reductions = None
        if "reductions.json" in names:
            data = _zip_member(path, archive, "reductions.json", budget)
            reductions = decode_json(data, f"{path}!reductions.json", EXPECTED, list[_Reduction])
        samples, source = _eval_samples(path, archive, names, budget)
    return _Read(header, samples, reductions, f"{path.name} (.eval log, samples from {source})")


def _eval_samples(
    path: Path, archive: zipfile.ZipFile, names: Sequence[str], budget: _Budget
) -> tuple[list[_Sample], str]:
    """The samples' ids, epochs, scores and metadata: from summaries.json when it has the metadata."""
    members = [n for n in names if n.startswith("samples/") and n.endswith(".json")]
    if "summaries.json" in names:
        data = _zip_member(path, archive, "summaries.json", budget)
        summaries = decode_json(data, f"{path}!summaries.json", EXPECTED, list[_Sample])
        if not members or all(s.metadata is not None for s in summaries):
            return summaries, "summaries.json"
    samples = [
        decode_json(_zip_member(path, archive, name, budget), f"{path}!{name}", EXPECTED, _Sample)
        for name in members
    ]
    return samples, f"{len(members)} samples/*.json files"


# Headline metrics -----------------------------------------------------------------------------------


@dataclass
class _Headline:
    metrics: dict[str, float] = field(default_factory=dict)
    columns: dict[str, _EvalScore] = field(default_factory=dict)
    """Metric name -> the score whose per-sample values it is the mean of."""
    stderr: dict[str, float] = field(default_factory=dict)
    spread: dict[str, float] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def _headline(scores: Sequence[_EvalScore]) -> _Headline:
    out = _Headline()
    for entry in scores:
        for metric, value in entry.metrics.items():
            name = f"{entry.name}/{metric}"
            number = as_number(value.value)
            if number is None or isinstance(value.value, bool):
                out.skipped.append(f"{name}: the value {value.value!r} is not a finite number")
            elif metric in _STDERR_METRICS:
                out.stderr[name] = number
            elif metric in _SPREAD_METRICS:
                out.spread[name] = number
            else:
                out.metrics[name] = number
                if metric in _MEAN_METRICS:
                    out.columns[name] = entry
    return out


def _stderr_of_means(headline: _Headline) -> dict[str, float]:
    """The reported standard error of each mean metric, from its score's `stderr` (`match/stderr` is the
    standard error of `match/accuracy`), so an aggregate-only comparison can test the difference."""
    out: dict[str, float] = {}
    for name, entry in headline.columns.items():
        se = headline.stderr.get(f"{entry.name}/stderr")
        if se is not None and se >= 0:
            out[name] = se
    return out


# Per-sample scores ----------------------------------------------------------------------------------


def _pick(scores: Mapping[str, Any], entry: _EvalScore) -> Any:
    """A score's value for one sample; a scorer returning a dict holds one value per score name."""
    value = scores.get(entry.name)
    if value is None:
        value = scores.get(entry.scorer)
    if isinstance(value, dict):
        return value.get(entry.name)
    return value


class _Sums:
    """Per-example sums and counts of each column, so that several epochs can be averaged."""

    def __init__(self) -> None:
        self.sums: dict[str, array[float]] = {}
        self.counts: dict[str, array[int]] = {}
        self.unreadable: dict[str, int] = {}

    def add(self, name: str, row: int, value: Any) -> None:
        if value is None:
            return
        number = value_to_float(value)
        if number is None:
            self.unreadable[name] = self.unreadable.get(name, 0) + 1
            return
        sums = self.sums.setdefault(name, array("d"))
        counts = self.counts.setdefault(name, array("i"))
        if len(sums) <= row:
            sums.extend([0.0] * (row + 1 - len(sums)))
            counts.extend([0] * (row + 1 - len(counts)))
        sums[row] += number
        counts[row] += 1

    def into(self, builder: ColumnBuilder) -> None:
        for name, sums in self.sums.items():
            counts = self.counts[name]
            for row, total in enumerate(sums):
                if counts[row]:
                    builder.score(name, row, total / counts[row])


def _examples(
    log: _Read, headline: _Headline, options: ImportOptions, skipped: list[str]
) -> tuple[Examples | None, list[str]]:
    if not log.samples:
        skipped.append("the log holds no samples: aggregates only, no significance tests")
        return None, []
    builder = ColumnBuilder(options.slices)
    sums = _Sums()
    epochs = max(sample.epoch for sample in log.samples)
    # Epochs reduced by their mean (or not reduced at all) are kept as repeats, not averaged away: the
    # test then counts examples, and sees how much each one's answers vary.
    repeats = epochs > 1 and all((r.reducer or "mean") == "mean" for r in log.reductions or ())
    errors = _sample_pass(
        log, headline, builder, sums, use_samples=repeats or not log.reductions, repeats=repeats
    )
    if repeats:
        how = f"each of the {epochs} epochs kept as a repeat"
    elif log.reductions:
        _reduction_pass(log.reductions, headline, builder, sums, skipped)
        how = "from the log's epoch reductions"
    else:
        how = "from the samples"
    sums.into(builder)
    skipped.extend(
        f"{name}: {count} sample values are not numbers (left unscored)"
        for name, count in sums.unreadable.items()
    )
    if errors:
        skipped.append(f"{errors} samples ended in an error")
    skipped.extend(f"slice {key!r}: no sample's metadata has it" for key in builder.missing_slices())
    examples = _ordered(_checked(builder.finish(), headline, skipped), log.header)
    read = [
        f"{len(set(examples.ids))} samples, {epochs} epoch(s); per-sample scores {how}: "
        f"{', '.join(examples.scores) or 'none'}; {describe_fields(examples)}"
    ]
    return examples, read


def _sample_pass(
    log: _Read, headline: _Headline, builder: ColumnBuilder, sums: _Sums, *, use_samples: bool, repeats: bool
) -> int:
    seen: set[tuple[str, int]] = set()
    errors = 0
    for sample in log.samples:
        ident = str(sample.id)
        if (ident, sample.epoch) in seen:
            raise fail(Path(log.source), f"sample {ident!r} epoch {sample.epoch} appears twice", EXPECTED)
        seen.add((ident, sample.epoch))
        errors += sample.error is not None
        row = builder.row(ident, repeat=sample.epoch if repeats else None)
        for key, value in (sample.metadata or {}).items():
            builder.offer_slice(key, row, value)
        if use_samples:
            values = {key: score.value for key, score in (sample.scores or {}).items()}
            for name, entry in headline.columns.items():
                sums.add(name, row, _pick(values, entry))
    return errors


def _reduction_pass(
    reductions: Sequence[_Reduction],
    headline: _Headline,
    builder: ColumnBuilder,
    sums: _Sums,
    skipped: list[str],
) -> None:
    by_scorer = {r.scorer: r for r in reductions}
    for name, entry in headline.columns.items():
        reduction = by_scorer.get(entry.scorer) or by_scorer.get(entry.name)
        if reduction is None:
            skipped.append(f"{name}: the log has no reductions for scorer {entry.scorer!r}")
            continue
        for reduced in reduction.samples:
            sums.add(
                name, builder.row(str(reduced.sample_id)), _pick({reduction.scorer: reduced.value}, entry)
            )


def _checked(examples: Examples, headline: _Headline, skipped: list[str]) -> Examples:
    """Keep the columns whose mean is the log's own metric value."""
    scores = {}
    ids = examples.ids if examples.repeats is not None else None
    for name, values in examples.scores.items():
        mean = column_mean(values, ids)
        reported = headline.metrics[name]
        if mean is not None and close(mean, reported):
            scores[name] = values
        else:
            shown = "none" if mean is None else f"{mean:.6g}"
            skipped.append(
                f"{name}: per-sample values not used: their mean ({shown}) is not the log's {reported:.6g}"
            )
    return dataclasses.replace(examples, scores=scores)


def _ordered(examples: Examples, header: _Header) -> Examples:
    """The samples in the data set's order (an .eval log lists them in the order they finished)."""
    listed = (header.eval.dataset or {}).get("sample_ids")
    if not isinstance(listed, list):
        return examples
    position = {str(ident): i for i, ident in enumerate(listed)}
    keys = np.array([position.get(ident, len(position)) for ident in examples.ids], dtype=np.int64)
    return examples.take(np.argsort(keys, kind="stable"))


def _provenance(path: Path, log: _Read, headline: _Headline) -> dict[str, Any]:
    header = log.header
    spec = header.eval
    dataset = spec.dataset or {}
    container = "eval" if path.suffix == ".eval" or zipfile.is_zipfile(path) else "json"
    out: dict[str, Any] = {
        "imported_from": {"format": FORMAT, "file": path.name, "container": container},
        "inspect_ai_version": (spec.packages or {}).get("inspect_ai"),
        "status": header.status,
        "log_version": header.version,
        "task_version": spec.task_version,
        "task_args": spec.task_args or None,
        "created": spec.created,
        "run_id": spec.run_id,
        "eval_id": spec.eval_id,
        "dataset": {k: dataset[k] for k in ("name", "location", "samples") if k in dataset} or None,
        "eval_config": spec.config or None,
        "revision": spec.revision,
        "stderr": headline.stderr or None,
        "spread": headline.spread or None,
    }
    return {k: v for k, v in out.items() if v is not None}
