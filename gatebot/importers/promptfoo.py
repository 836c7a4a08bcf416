"""promptfoo output (`promptfoo eval --output out.json`): one `Results` per provider and prompt.

Each result row (one test case run against one prompt of one provider) becomes one example of that
provider's `Results`: `pass` (0/1 from `success`), `score`, every named assertion metric
(`namedScores`), `latency_ms` and `cost`. Test `vars` become slices. See docs/importers.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from gatebot.errors import InputError
from gatebot.importers._common import (
    ColumnBuilder,
    Imported,
    ImportOptions,
    as_number,
    decode_json,
    describe_fields,
    fail,
    means,
    read_bytes,
)
from gatebot.results import Results

FORMAT = "promptfoo"
EXPECTED = "a promptfoo output file (promptfoo eval --output out.json)"
ALL_PROVIDERS = "*"
_ERROR = 2
"""promptfoo's `failureReason` for a provider or runtime error (1 is a failed assertion)."""
_BUILTIN = {"pass": "higher", "score": "higher", "latency_ms": "lower", "cost": "lower"}
_REPORT_ONLY = ("latency_ms", "cost")
"""Resources, not quality: shown with their direction, gated only when the config declares them."""


class _Provider(msgspec.Struct):
    id: str = ""
    label: str | None = None


class _TestCase(msgspec.Struct):
    description: str | None = None
    vars: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


class _Row(msgspec.Struct, rename="camel"):
    test_idx: int
    prompt_idx: int
    success: bool = False
    score: Any = None
    named_scores: dict[str, Any] | None = None
    latency_ms: Any = None
    cost: Any = None
    provider: _Provider | str | None = None
    test_case: _TestCase | None = None
    vars: dict[str, Any] | None = None
    failure_reason: int | None = None
    error: str | None = None


class _Prompt(msgspec.Struct):
    provider: str = ""
    label: str = ""
    raw: str = ""
    id: str | None = None


class _Eval(msgspec.Struct):
    results: list[_Row]
    prompts: list[_Prompt] = []
    version: int | None = None
    timestamp: str | None = None


class _File(msgspec.Struct, rename={"eval_id": "evalId"}):
    results: _Eval
    eval_id: str | None = None
    config: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True)
class _Target:
    """One prompt × provider column of the eval: what becomes one `Results`."""

    index: int
    name: str
    provider_id: str
    provider_label: str
    prompt: str


def import_promptfoo(path: Path, options: ImportOptions) -> Imported:
    """Read a promptfoo output file; `options.provider` picks the provider when there are several."""
    doc = decode_json(read_bytes(path, EXPECTED), str(path), EXPECTED, _File)
    if not doc.results.results:
        raise fail(path, "results.results is empty: no test was run", EXPECTED)
    targets = _targets(doc)
    chosen = _choose(path, targets, options.provider)
    version = (doc.metadata or {}).get("promptfooVersion")
    read = [
        f"promptfoo {version or '(version unknown)'} eval {doc.eval_id or ''}".rstrip()
        + f": {len(doc.results.results)} results, {len(targets)} provider/prompt pairs"
    ]
    skipped: list[str] = []
    results = []
    for target in chosen:
        result, lines = _import_target(path, doc, target, options, skipped)
        results.append(result)
        read.extend(lines)
    for target in targets:
        if target not in chosen:
            skipped.append(f"provider {target.name}: not selected")
    return Imported(tuple(results), FORMAT, tuple(read), tuple(skipped))


def _row_provider(row: _Row) -> tuple[str, str]:
    if isinstance(row.provider, _Provider):
        return row.provider.id, row.provider.label or ""
    return row.provider or "", ""


def _targets(doc: _File) -> list[_Target]:
    """One target per `promptIdx`, named after its provider (and its prompt, when that is ambiguous)."""
    first: dict[int, _Row] = {}
    for row in doc.results.results:
        first.setdefault(row.prompt_idx, row)
    prompts = doc.results.prompts
    rows = []
    for index in sorted(first):
        provider_id, label = _row_provider(first[index])
        prompt = prompts[index] if 0 <= index < len(prompts) else _Prompt()
        base = prompt.provider or label or provider_id or f"prompt {index}"
        rows.append((index, base, provider_id, label, prompt.label or prompt.raw))
    bases = [base for _, base, _, _, _ in rows]
    numbering = {text: k for k, text in enumerate(dict.fromkeys(r[4] for r in rows), start=1)}
    return [
        _Target(
            index, base if bases.count(base) == 1 else f"{base} [prompt {numbering[text]}]", pid, label, text
        )
        for index, base, pid, label, text in rows
    ]


def _choose(path: Path, targets: Sequence[_Target], wanted: str | None) -> list[_Target]:
    names = ", ".join(t.name for t in targets)
    if wanted == ALL_PROVIDERS:
        return list(targets)
    if wanted is None:
        if len(targets) == 1:
            return list(targets)
        raise InputError(
            f"{path}: the eval has {len(targets)} providers/prompts: {names}",
            "choose one with --provider NAME",
        )
    matches = [t for t in targets if wanted in (t.name, t.provider_id, t.provider_label)]
    if len(matches) == 1:
        return matches
    problem = "matches several" if matches else "is not in the eval"
    raise InputError(f"{path}: provider {wanted!r} {problem}; available: {names}", "pass one of those names")


def _import_target(
    path: Path, doc: _File, target: _Target, options: ImportOptions, skipped: list[str]
) -> tuple[Results, list[str]]:
    builder = ColumnBuilder(options.slices)
    passed = failed = errors = 0
    clashes: set[str] = set()
    rows = [
        (position, row) for position, row in enumerate(doc.results.results) if row.prompt_idx == target.index
    ]
    samples = _samples(rows)
    seen: dict[tuple[str, str], int] = {}
    for position, row in rows:
        key = _test_key(row)
        repeat = seen[key] = seen.get(key, -1) + 1
        _add_row(
            path,
            builder,
            row,
            position=position,
            options=options,
            clashes=clashes,
            repeat=repeat if samples[key] > 1 else None,
        )
        if row.success:
            passed += 1
        elif row.failure_reason == _ERROR:
            errors += 1
        else:
            failed += 1
    skipped.extend(f"{target.name}: named metric {name!r} clashes with a built-in metric" for name in clashes)
    skipped.extend(f"{target.name}: slice {key!r}: no test has that var" for key in builder.missing_slices())
    examples = builder.finish()
    directions = {name: _BUILTIN.get(name, "higher") for name in examples.scores}
    results = Results(
        benchmark=_benchmark(path, doc),
        model=target.name,
        metrics=means(examples),
        examples=examples,
        provenance=_provenance(path, doc, target, {"passed": passed, "failed": failed, "errors": errors}),
        directions=directions,
        report_only=tuple(name for name in _REPORT_ONLY if name in examples.scores),
    )
    repeated = max(samples.values(), default=1)
    line = (
        f"{target.name}: {len(examples)} tests ({passed} passed, {failed} failed, {errors} errors), "
        f"metrics: {', '.join(examples.scores)}; {describe_fields(examples)}"
    )
    if repeated > 1:
        line += f"; tests run up to {repeated} times (--repeat) kept as repeats of one example"
    return results, [line]


def _test_key(row: _Row) -> tuple[str, str]:
    """What makes two result rows the same test: its id, and its vars (a description can be reused)."""
    case = row.test_case
    variables = row.vars if row.vars is not None else (case.vars if case is not None else None) or {}
    return _example_id(row), json.dumps(variables, sort_keys=True, default=str, ensure_ascii=False)


def _samples(rows: Sequence[tuple[int, _Row]]) -> dict[tuple[str, str], int]:
    """How many times each test was run: `promptfoo eval --repeat N` runs every test N times."""
    counts: dict[tuple[str, str], int] = {}
    for _, row in rows:
        key = _test_key(row)
        counts[key] = counts.get(key, 0) + 1
    return counts


def _example_id(row: _Row) -> str:
    """An id that survives tests being added or reordered: the test's `id` var, else its description,
    else a digest of its vars; the test's index only when it has none of these."""
    case = row.test_case
    variables = (case.vars if case is not None else None) or row.vars or {}
    if isinstance(variables.get("id"), (str, int)) and not isinstance(variables.get("id"), bool):
        return str(variables["id"])
    if case is not None and case.description:
        return case.description
    if variables:
        canonical = json.dumps(variables, sort_keys=True, default=str, ensure_ascii=False)
        return "vars:" + hashlib.sha256(canonical.encode()).hexdigest()[:12]
    return f"test {row.test_idx}"


def _add_row(
    path: Path,
    builder: ColumnBuilder,
    row: _Row,
    *,
    position: int,
    options: ImportOptions,
    clashes: set[str],
    repeat: int | None,
) -> None:
    ident = _example_id(row)
    if repeat is None and builder.has_row(ident):
        ident = f"{ident} (test {row.test_idx})"  # two tests alike but for their vars: tell them apart
    if builder.has_row(ident, repeat=repeat):
        raise fail(
            path, f"results.results[{position}]: test {ident!r} appears twice for one provider", EXPECTED
        )
    index = builder.row(ident, repeat=repeat)
    builder.score("pass", index, 1.0 if row.success else 0.0)
    for name, value in (("score", row.score), ("latency_ms", row.latency_ms), ("cost", row.cost)):
        number = as_number(value)
        if number is not None:
            builder.score(name, index, number)
    for name, value in (row.named_scores or {}).items():
        if name in _BUILTIN:
            clashes.add(name)
            continue
        number = as_number(value)
        if number is not None:
            builder.score(name, index, number)
    _add_slices(builder, row, index, options)


def _add_slices(builder: ColumnBuilder, row: _Row, index: int, options: ImportOptions) -> None:
    case = row.test_case
    variables = row.vars if row.vars is not None else (case.vars if case is not None else None) or {}
    for key, value in variables.items():
        builder.offer_slice(key, index, value)
    metadata = (case.metadata if case is not None else None) or {}
    named = set(options.slices or ())
    for key, value in metadata.items():
        if key not in variables:
            (builder.offer_slice if key in named else builder.offer_meta)(key, index, value)


def _benchmark(path: Path, doc: _File) -> str:
    description = (doc.config or {}).get("description")
    return description if isinstance(description, str) and description.strip() else path.stem


def _provenance(path: Path, doc: _File, target: _Target, counts: dict[str, int]) -> dict[str, Any]:
    metadata = doc.metadata or {}
    out: dict[str, Any] = {
        "imported_from": {"format": FORMAT, "file": path.name},
        "promptfoo_version": metadata.get("promptfooVersion"),
        "eval_id": doc.eval_id,
        "results_version": doc.results.version,
        "timestamp": doc.results.timestamp,
        "provider": {"id": target.provider_id, "label": target.provider_label},
        "prompt": target.prompt,
        "tests": counts,
    }
    return {k: v for k, v in out.items() if v is not None}
