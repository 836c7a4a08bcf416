"""lm-evaluation-harness output: the aggregated `results_<timestamp>.json` and its per-sample files.

One results file holds many tasks and groups, so it becomes one `Results` whose metrics are named
`<task>/<metric>` (filter `none`) or `<task>/<metric>[<filter>]`. The per-sample files written with
`--log_samples` (`samples_<task>_<timestamp>.jsonl`) are streamed line by line into score columns of the
same names, one example per `<task>/<doc_id>`. A column is attached only when its mean equals the
aggregate lm-eval reported, so a paired test always tests the number in the results file.
See docs/importers.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

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
    keep_scores,
    read_bytes,
)
from gatebot.results import Examples, FloatArray, Results

FORMAT = "lm-eval"
EXPECTED = "an lm-evaluation-harness results_<timestamp>.json file"
EXPECTED_SAMPLES = "lm-evaluation-harness per-sample lines (samples_<task>_<timestamp>.jsonl)"
_STAMP = r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?"
_RESULTS_NAME = re.compile(rf"results_({_STAMP})\.json$")
_SAMPLES_NAME = re.compile(rf"samples_(.+)_({_STAMP})\.jsonl$")
_STDERR = "_stderr"
_MAX_NAMED_TASKS = 3


class _Doc(msgspec.Struct):
    results: dict[str, dict[str, Any]]
    groups: dict[str, dict[str, Any]] | None = None
    group_subtasks: dict[str, list[str]] | None = None
    versions: dict[str, Any] | None = None
    n_shot: dict[str, Any] | None = msgspec.field(default=None, name="n-shot")
    higher_is_better: dict[str, dict[str, bool | None]] | None = None
    n_samples: dict[str, Any] | None = msgspec.field(default=None, name="n-samples")
    config: dict[str, Any] | None = None
    model_name: str | None = None
    lm_eval_version: str | None = None
    transformers_version: str | None = None
    git_hash: str | None = None
    date: float | str | None = None
    task_hashes: dict[str, Any] | None = None


@dataclass(frozen=True)
class _Key:
    """Where a metric comes from: `<metric>,<filter>` of one task or group."""

    task: str
    metric: str
    filter: str


def metric_name(task: str, metric: str, filter_name: str) -> str:
    """`hellaswag/acc` for filter `none`, `gsm8k/exact_match[flexible-extract]` for any other filter."""
    base = f"{task}/{metric}"
    return base if filter_name == "none" else f"{base}[{filter_name}]"


@dataclass
class _Aggregates:
    metrics: dict[str, float] = field(default_factory=dict)
    keys: dict[str, _Key] = field(default_factory=dict)
    directions: dict[str, str] = field(default_factory=dict)
    stderr: dict[str, float | None] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    subtasks: dict[str, list[str]] = field(default_factory=dict)


def import_lm_eval(path: Path, options: ImportOptions) -> Imported:
    """Read an lm-eval results file and the per-sample files of the same run."""
    doc = decode_json(read_bytes(path, EXPECTED), str(path), EXPECTED, _Doc)
    if doc.versions is None and doc.n_shot is None and doc.higher_is_better is None:
        raise fail(
            path,
            "not an lm-evaluation-harness results file (no versions, n-shot or higher_is_better)",
            EXPECTED,
        )
    groups = _groups(doc)
    agg = _aggregates(path, doc, groups)
    if not agg.metrics:
        raise fail(path, "no metrics in `results`", EXPECTED)
    top = _top_level(doc)
    read = [
        f"{len(doc.results) - len(groups & doc.results.keys())} tasks, {len(groups)} groups "
        f"({len(agg.metrics)} metrics) from {path.name}"
    ]
    skipped = list(agg.skipped)
    examples: Examples | None = None
    files, not_used = _sample_files(path, doc, options)
    skipped.extend(not_used)
    if not files:
        skipped.append("no per-sample scores: aggregates only, no significance tests")
    else:
        examples, lines = _read_all_samples(files, agg, options, skipped)
        read.extend(lines)
        examples = _attach_checked(examples, agg, groups, skipped)
        columns = len(examples.scores)
        read.append(f"{len(examples)} examples, {columns} per-example metrics, {describe_fields(examples)}")
    results = Results(
        benchmark=_benchmark(top),
        model=_model(doc),
        metrics=agg.metrics,
        examples=examples,
        provenance=_provenance(path, doc, agg, [p for _, p in files]),
        directions=agg.directions,
        stderr={
            name: se for name, se in agg.stderr.items() if se is not None and se >= 0 and name in agg.metrics
        },
    )
    return Imported((results,), FORMAT, tuple(read), tuple(skipped))


def _groups(doc: _Doc) -> set[str]:
    named = {g for g, subtasks in (doc.group_subtasks or {}).items() if subtasks}
    return named | set(doc.groups or {})


def _entries(doc: _Doc) -> dict[str, dict[str, Any]]:
    entries = dict(doc.results)
    for group, row in (doc.groups or {}).items():
        entries.setdefault(group, row)
    return entries


def _aggregates(path: Path, doc: _Doc, groups: set[str]) -> _Aggregates:
    agg = _Aggregates(subtasks={g: s for g, s in (doc.group_subtasks or {}).items() if s})
    better = doc.higher_is_better or {}
    for task, row in _entries(doc).items():
        found = 0
        for key, value in row.items():
            metric, comma, filter_name = key.partition(",")
            if not comma:
                continue
            if metric.endswith(_STDERR):
                agg.stderr[metric_name(task, metric.removesuffix(_STDERR), filter_name)] = as_number(value)
                continue
            name = metric_name(task, metric, filter_name)
            number = as_number(value)
            if number is None or isinstance(value, bool):
                agg.skipped.append(f"{name}: the value {value!r} is not a finite number")
                continue
            found += 1
            agg.metrics[name] = number
            agg.keys[name] = _Key(task, metric, filter_name)
            direction = better.get(task, {}).get(metric)
            if direction is not None:
                agg.directions[name] = "higher" if direction else "lower"
        if not found:
            if task not in groups:
                raise fail(
                    path, f"task {task!r} has no metrics", f"{EXPECTED} with `<metric>,<filter>` values"
                )
            agg.skipped.append(f"group {task}: no aggregated metrics in the file")
    return agg


def _top_level(doc: _Doc) -> list[str]:
    children = {t for subtasks in (doc.group_subtasks or {}).values() for t in subtasks}
    return sorted(t for t in _entries(doc) if t not in children)


def _benchmark(top: list[str]) -> str:
    if len(top) <= _MAX_NAMED_TASKS:
        return "+".join(top)
    return "lm-eval"


def _model(doc: _Doc) -> str:
    if doc.model_name:
        return doc.model_name
    config = doc.config or {}
    args = config.get("model_args")
    if isinstance(args, dict) and isinstance(args.get("pretrained"), str):
        return str(args["pretrained"])
    if isinstance(args, str):
        for part in args.split(","):
            key, _, value = part.partition("=")
            if key.strip() == "pretrained" and value:
                return value.strip()
    model = config.get("model")
    return model if isinstance(model, str) and model else "unknown"


def _sample_files(path: Path, doc: _Doc, options: ImportOptions) -> tuple[list[tuple[str, Path]], list[str]]:
    """(task, file) pairs to read: the files given, or those of the same run beside the results file."""
    if options.samples:
        pairs = []
        for sample in options.samples:
            task = _task_of(sample)
            if task is None:
                raise fail(
                    sample, "cannot tell the task from the file name", "samples_<task>_<timestamp>.jsonl"
                )
            if task not in doc.results:
                raise fail(
                    sample, f"task {task!r} is not in {path.name}", "the per-sample files of the same run"
                )
            pairs.append((task, sample))
        return pairs, []
    stamp = _RESULTS_NAME.search(path.name)
    if stamp is None:
        return [], [f"{path.name} is not named results_<timestamp>.json: per-sample files not looked for"]
    found: list[tuple[str, Path]] = []
    notes: list[str] = []
    for candidate in sorted(path.parent.glob(f"*samples_*_{stamp.group(1)}.jsonl")):
        task = _task_of(candidate)
        if task is not None and task in doc.results:
            found.append((task, candidate))
        else:
            notes.append(f"{candidate.name}: its task is not in {path.name}")
    if not found:
        notes.append(f"no samples_<task>_{stamp.group(1)}.jsonl beside it (run lm_eval with --log_samples)")
    return found, notes


def _task_of(sample: Path) -> str | None:
    match = _SAMPLES_NAME.search(sample.name)
    return match.group(1) if match else None


def _read_all_samples(
    files: list[tuple[str, Path]], agg: _Aggregates, options: ImportOptions, skipped: list[str]
) -> tuple[Examples, list[str]]:
    builder = ColumnBuilder(options.slices)
    names = {(k.task, k.metric, k.filter): name for name, k in agg.keys.items()}
    problems: dict[str, str] = {}
    read = []
    for task, sample in files:
        count = _read_samples(sample, task, builder, names, problems)
        read.append(f"{count} samples of {task} from {sample.name}")
    for name, reason in sorted(problems.items()):
        builder.drop_score(name)
        skipped.append(f"{name}: per-sample values not used: {reason}")
    for key in builder.missing_slices():
        skipped.append(f"slice {key!r}: no sample's doc has it")
    return builder.finish(), read


def _lines(sample: Path) -> Iterator[tuple[int, bytes]]:
    try:
        handle = sample.open("rb")
    except OSError as error:
        raise fail(sample, f"cannot read the file: {error.strerror}", EXPECTED_SAMPLES) from None
    with handle:
        for line_no, line in enumerate(handle, start=1):
            if line.strip():
                yield line_no, line


def _read_samples(
    sample: Path,
    task: str,
    builder: ColumnBuilder,
    names: Mapping[tuple[str, str, str], str],
    problems: dict[str, str],
) -> int:
    count = 0
    for line_no, line in _lines(sample):
        where = f"{sample}:{line_no}"
        record = decode_json(line, where, EXPECTED_SAMPLES, dict[str, Any])
        doc_id = record.get("doc_id")
        if not isinstance(doc_id, (int, str)) or isinstance(doc_id, bool):
            raise fail(Path(where), "the line has no doc_id", EXPECTED_SAMPLES)
        filter_name = str(record.get("filter", "none"))
        row = builder.row(f"{task}/{doc_id}")
        builder.fixed_slice("task", row, task)
        doc = record.get("doc")
        if isinstance(doc, dict):
            # Docs hold whole data-set rows: their fields are slices only when named, metadata always.
            offer = builder.offer_slice if builder.explicit else builder.offer_meta
            for key, value in doc.items():
                offer(str(key), row, value)
        for metric in _sample_metrics(record, task, names):
            name = names.get((task, metric, filter_name))
            if name is None:
                continue
            _score(builder, name, row, record.get(metric), problems=problems, where=where)
        count += 1
    if count == 0:
        raise fail(sample, "the file has no samples", EXPECTED_SAMPLES)
    return count


def _sample_metrics(
    record: Mapping[str, Any], task: str, names: Mapping[tuple[str, str, str], str]
) -> list[str]:
    listed = record.get("metrics")
    if isinstance(listed, list):
        return [str(m) for m in listed]
    return [m for (t, m, _) in names if t == task and m in record]


def _score(
    builder: ColumnBuilder, name: str, row: int, value: Any, *, problems: dict[str, str], where: str
) -> None:
    if value is None or name in problems:
        return
    number = as_number(value)
    if number is None:
        if not isinstance(value, (int, float)):
            problems[name] = "they are not numbers (a corpus-level metric)"
        return
    if not builder.score(name, row, number):
        raise fail(Path(where), f"{name}: the doc appears twice", EXPECTED_SAMPLES)


def _attach_checked(examples: Examples, agg: _Aggregates, groups: set[str], skipped: list[str]) -> Examples:
    """Keep the task columns whose mean is the reported aggregate, then add the groups' columns."""
    scores: dict[str, FloatArray] = {}
    for name, values in examples.scores.items():
        reason = _mismatch(values, agg.metrics[name])
        if reason:
            skipped.append(f"{name}: per-sample values not used: {reason}")
        else:
            scores[name] = values
    for name, key in agg.keys.items():
        if key.task in groups and name not in scores:
            column, reason = _group_column(name, key, agg, scores, len(examples))
            if column is not None:
                scores[name] = column
            elif reason:
                skipped.append(f"{name}: no per-example scores: {reason}")
    ordered = [n for n in agg.metrics if n in scores]
    return keep_scores(replace(examples, scores=scores), ordered)


def _mismatch(values: FloatArray, reported: float) -> str | None:
    mean = column_mean(values)
    if mean is None:
        return "no sample has a number for it"
    if not close(mean, reported):
        return f"their mean {mean:.6g} is not the reported {reported:.6g} (not a per-sample mean)"
    return None


def _leaves(group: str, subtasks: Mapping[str, list[str]]) -> list[str]:
    out: list[str] = []
    for child in subtasks.get(group, []):
        out.extend(_leaves(child, subtasks) if subtasks.get(child) else [child])
    return out


def _group_column(
    name: str, key: _Key, agg: _Aggregates, scores: Mapping[str, FloatArray], n: int
) -> tuple[FloatArray | None, str | None]:
    """The group's column pooled from its subtasks' columns, if that reproduces the group's value."""
    parts = [metric_name(t, key.metric, key.filter) for t in _leaves(key.task, agg.subtasks)]
    parts = [p for p in parts if p in agg.metrics]
    if not parts:
        return None, None
    missing = [p for p in parts if p not in scores]
    if missing:
        return None, f"{missing[0]} has none"
    column = np.full(n, np.nan)
    for part in parts:
        values = scores[part]
        column = np.where(np.isnan(values), column, values)
    reason = _mismatch(column, agg.metrics[name])
    if reason:
        return None, reason.replace("per-sample mean", "sample-weighted mean of its subtasks")
    return column, None


def _provenance(path: Path, doc: _Doc, agg: _Aggregates, samples: list[Path]) -> dict[str, Any]:
    config = dict(doc.config or {})
    source: dict[str, Any] = {"format": FORMAT, "file": path.name}
    if samples:
        source["samples"] = [p.name for p in samples]
    out: dict[str, Any] = {
        "imported_from": source,
        "lm_eval_version": doc.lm_eval_version,
        "model_name": doc.model_name,
        "model_args": config.pop("model_args", None),
        "lm_eval_config": config or None,
        "versions": doc.versions,
        "n-shot": doc.n_shot,
        "n-samples": doc.n_samples,
        "stderr": agg.stderr or None,
        "group_subtasks": agg.subtasks or None,
        "task_hashes": doc.task_hashes,
        "transformers_version": doc.transformers_version,
        "git_hash": doc.git_hash,
        "date": doc.date,
    }
    return {k: v for k, v in out.items() if v is not None}
