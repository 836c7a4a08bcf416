"""Importers of evaluation-harness output: the registry of formats, format detection, and `import_results`.

Each format lives in its own module and is a function from a path (and `ImportOptions`) to
`Imported`: the `Results` it produced and an account of what was read and what was skipped.
`gatebot import` and a benchmark's `format:` both come through `import_results`. See docs/importers.md.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import msgspec

from gatebot.errors import InputError
from gatebot.importers._common import Imported, ImportOptions, decode_json, fail
from gatebot.importers.inspect_ai import import_inspect
from gatebot.importers.lm_eval import import_lm_eval
from gatebot.importers.promptfoo import import_promptfoo
from gatebot.importers.tabular import import_csv, import_jsonl
from gatebot.results import Results, check_name

__all__ = ["FORMATS", "ImportOptions", "Imported", "detect_format", "import_results"]

FORMATS: tuple[str, ...] = ("lm-eval", "promptfoo", "inspect", "jsonl", "csv")

_IMPORTERS: Mapping[str, Callable[[Path, ImportOptions], Imported]] = {
    "lm-eval": import_lm_eval,
    "promptfoo": import_promptfoo,
    "inspect": import_inspect,
    "jsonl": import_jsonl,
    "csv": import_csv,
}
_KNOWN = (
    "an lm-evaluation-harness results JSON, a promptfoo output JSON, an inspect_ai log (.eval or .json), "
    "or per-example scores as JSON Lines or CSV"
)
_ZIP_MAGIC = b"PK\x03\x04"
_MAX_HEADER_CHARS = 200
_LM_EVAL_KEYS = ("versions", "n-shot", "higher_is_better", "configs")


def detect_format(path: Path) -> str:
    """The format of `path`, from its content: one of `FORMATS`."""
    found = _sniff(path)
    if found is None:
        raise InputError(
            f"{path}: not a format gatebot can import",
            f"expected {_KNOWN} (--format {'|'.join(FORMATS)})",
        )
    return found


_DEFAULT_OPTIONS = ImportOptions()


def import_results(path: Path, fmt: str = "auto", options: ImportOptions = _DEFAULT_OPTIONS) -> Imported:
    """Import `path` as `fmt` (`auto`: detect it from the content)."""
    if fmt != "auto" and fmt not in _IMPORTERS:
        raise InputError(f"unknown import format {fmt!r}", f"use auto or one of: {', '.join(FORMATS)}")
    _check_directions(options.directions)
    if fmt == "auto":
        fmt = detect_format(path)
    else:
        try:
            found = _sniff(path)
        except InputError:
            found = None  # the importer names the problem in terms of the format asked for
        if found is not None and found != fmt:
            raise InputError(
                f"{path}: this is {found} output, not {fmt}", f"use --format {found}, or --format auto"
            )
    imported = _IMPORTERS[fmt](path, options)
    for result in imported.results:
        check_name(result.benchmark, where=str(path), field="benchmark")
        check_name(result.model, where=str(path), field="model")
    return _with_directions(imported, options.directions)


def _check_directions(directions: Mapping[str, str]) -> None:
    for name, direction in directions.items():
        if direction not in ("higher", "lower"):
            raise InputError(f"direction of {name} is {direction!r}", "use 'higher' or 'lower'")


def _with_directions(imported: Imported, directions: Mapping[str, str]) -> Imported:
    if not directions:
        return imported
    results: list[Results] = []
    used: set[str] = set()
    for r in imported.results:
        names = set(r.metrics) | set(r.examples.scores if r.examples is not None else ())
        chosen = {k: v for k, v in directions.items() if k in names}
        used.update(chosen)
        results.append(dataclasses.replace(r, directions={**r.directions, **chosen}))
    unused = [f"direction for {name}: no such metric" for name in directions if name not in used]
    return dataclasses.replace(imported, results=tuple(results), skipped=(*imported.skipped, *unused))


def _first_line(path: Path) -> tuple[bytes, bool]:
    """The first non-blank line of `path`, and whether anything but blank lines follows it."""
    try:
        with path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    rest = any(more.strip() for more in handle)
                    return line, rest
    except IsADirectoryError:
        raise fail(path, "is a directory", _KNOWN) from None
    except FileNotFoundError:
        raise InputError(f"{path}: file not found", "check the path") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read the file: {error.strerror}") from None
    raise fail(path, "the file is empty", _KNOWN)


def _sniff(path: Path) -> str | None:
    line, more = _first_line(path)
    if line.startswith(_ZIP_MAGIC):
        return "inspect" if _is_inspect_zip(path) else None
    head = line.lstrip()
    if head.startswith((b"{", b"[")):
        keys = _object_keys(line)
        if keys is not None and more:
            return _jsonl_kind(path, keys)
        if keys is not None:
            return _document_kind(path, keys) or "jsonl"
        keys = _document_keys(path)
        return _document_kind(path, keys) if keys is not None else None
    return "csv" if _is_csv_header(line) else None


def _is_csv_header(line: bytes) -> bool:
    """Whether `line` reads as a CSV header: at least two non-empty, comma-separated column names."""
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    if text.lstrip().startswith("#"):
        return False
    cells = next(csv.reader([text]), [])
    return len(cells) >= 2 and all(c.strip() and len(c) <= _MAX_HEADER_CHARS for c in cells)


def _is_inspect_zip(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "header.json" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _object_keys(data: bytes) -> dict[str, Any] | None:
    """The top-level members of a JSON object (values undecoded where possible), None if not one."""
    try:
        raw: dict[str, Any] = msgspec.json.decode(data, type=dict[str, msgspec.Raw])
        return raw
    except (msgspec.ValidationError, RecursionError):
        return None  # too deep: the importer's decode_json says so
    except msgspec.DecodeError:
        pass
    try:
        generic = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return generic if isinstance(generic, dict) else None


def _document_keys(path: Path) -> dict[str, Any] | None:
    data = path.read_bytes()
    keys = _object_keys(data)
    if keys is None:
        decode_json(data, str(path), _KNOWN, dict[str, Any])
    return keys


def _jsonl_kind(path: Path, keys: Mapping[str, Any]) -> str:
    if "doc_id" in keys and ("doc" in keys or "filter" in keys):
        raise fail(
            path,
            "this is an lm-evaluation-harness per-sample file",
            "the results_<timestamp>.json beside it (its samples files are read with it)",
        )
    return "jsonl"


def _document_kind(path: Path, keys: Mapping[str, Any]) -> str | None:
    schema = _member(keys, "schema")
    if isinstance(schema, str) and schema.startswith("gatebot/results@"):
        raise InputError(
            f"{path}: already a gatebot results file ({schema})", "use it as it is: no import needed"
        )
    if "eval" in keys and "version" in keys:
        return "inspect"
    if "results" in keys and any(k in keys for k in _LM_EVAL_KEYS):
        return "lm-eval"
    if "results" in keys:
        inner = _member(keys, "results")
        if isinstance(inner, dict) and "results" in inner and ("prompts" in inner or "evalId" in keys):
            return "promptfoo"
    if "doc_id" in keys:
        return _jsonl_kind(path, keys)
    return None


def _member(keys: Mapping[str, Any], name: str) -> Any:
    """One member's value; an object's own members are left undecoded."""
    value = keys.get(name)
    if not isinstance(value, msgspec.Raw):
        return value
    data = bytes(value)
    if data.startswith(b"{"):
        return _object_keys(data)
    try:
        return msgspec.json.decode(data)
    except (msgspec.DecodeError, RecursionError):
        return None
