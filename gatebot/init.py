"""`gatebot init`: the first config and workflows for a repository, and the next steps to take.

The first half is pure: from the options, what was found in the repository (`Survey`) and the answers
to the questions it could not settle, it builds a `Plan` and renders the files' text. The second half
reads the repository (its files, its default branch, an example results file), asks in a terminal,
and writes. The workflows are the package's templates, the same text the README shows; the only
changes are the action reference (`ACTION_REF`, so a test can point it at a local copy) and the
default branch the record job runs on. About 800 lines, the pure half first: they are one command's
questions, rules and files, read top to bottom.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal

import yaml

from gatebot.config import DEFAULT_CONFIG_FILE, parse_config
from gatebot.errors import EXIT_PASSED, GatebotError, InputError
from gatebot.importers import ImportOptions, import_results
from gatebot.plan import matches
from gatebot.results import Results, is_results_file, load_results
from gatebot.runner import render_command

ACTION_REF = "gatebot/gatebot@v1"
"""How the written workflows refer to the gatebot action (the README says to pin it to a SHA)."""
WORKFLOWS: tuple[str, ...] = ("gatebot.yml", "gatebot-publish.yml", "gatebot-commands.yml")
"""The workflow templates in `gatebot/templates/workflows/`, written under `.github/workflows/`."""
WORKFLOW_DIR = ".github/workflows"
DEFAULT_BRANCH = "main"
DEFAULT_BENCHMARK = "eval"
DEFAULT_MODEL = "model"
CHECK_NAME = "gatebot"

WEIGHT_SUFFIXES: tuple[str, ...] = (".safetensors", ".gguf", ".onnx", ".pt", ".pth", ".ckpt")
"""Files that are model weights whatever their folder."""
MODEL_ID_KEYS: tuple[str, ...] = (
    "_name_or_path",
    "base_model_name_or_path",
    "model_name_or_path",
    "model_id",
    "model_name",
    "model",
)
"""Keys of a `config.json` that name a model (Hugging Face configs, adapters, application configs)."""
_HF_CONFIG_KEYS = ("architectures", "model_type")
_WEIGHT_NAME = re.compile(r"^(?:pytorch_model|adapter_model)(?:-\d+-of-\d+)?\.bin$")
_SCRIPT_NAME = re.compile(r"^(?:bench|benchmark|eval|evaluate)[\w-]*\.py$")
_SCRIPT_DIRS = ("", "bench", "benchmark", "benchmarks", "eval", "evals", "evaluation", "scripts")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")
_PLACEHOLDERS = {"model": "m", "benchmark": "b", "output": "o", "python": "p"}
_ASK_DIRECTIONS_UP_TO = 20
"""With more metrics of unknown direction than this, none is asked about: the config lists them."""

Direction = Literal["higher", "lower"]
ResultsKind = Literal["gatebot", "lm-eval", "promptfoo", "inspect", "jsonl", "csv"]
_KINDS: Mapping[str, ResultsKind] = {
    "lm-eval": "lm-eval",
    "promptfoo": "promptfoo",
    "inspect": "inspect",
    "jsonl": "jsonl",
    "csv": "csv",
}


# ---------------------------------------------------------------------------------------------- pure


@dataclass(frozen=True)
class InitOptions:
    """What the command line said. Empty or None: infer it, or ask."""

    artifacts: tuple[str, ...] = ()
    run: str | None = None
    results: Path | None = None
    model: str | None = None
    benchmark: str | None = None


@dataclass(frozen=True)
class Measured:
    """What an example output of the benchmark says about its metrics."""

    source: str
    """The file, as the user named it."""
    format: ResultsKind
    model: str
    benchmark: str
    metrics: tuple[str, ...]
    directions: Mapping[str, Direction]
    """Only where the file (or the harness) states it."""
    slices: tuple[str, ...]


@dataclass(frozen=True)
class Survey:
    """What was found in the repository, read before anything is planned."""

    files: tuple[str, ...] = ()
    """Every file of the repository, POSIX paths relative to its root."""
    configs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """The content of each `config.json` among `files` that is a JSON object."""
    default_branch: str = DEFAULT_BRANCH
    measured: Measured | None = None
    out_ignored: bool | None = None
    """Whether git already ignores `gatebot-out/`; None outside a git repository."""


@dataclass(frozen=True)
class Question:
    """One thing to ask in a terminal; an empty answer takes `default`."""

    key: str
    prompt: str
    default: str = ""
    kind: Literal["name", "globs", "run", "metrics", "direction", "branch"] = "name"


@dataclass(frozen=True)
class MetricPlan:
    name: str
    direction: Direction | None
    """None: unknown; the config lists the metric in a comment and it is only shown."""


@dataclass(frozen=True)
class Plan:
    """Everything `gatebot init` writes, decided."""

    model: str
    benchmark: str
    artifacts: tuple[str, ...]
    run: str | None
    format: ResultsKind = "gatebot"
    results: str | None = None
    """Where the command writes its results when `run` has no {output}."""
    inputs: tuple[str, ...] = ()
    metrics: tuple[MetricPlan, ...] = ()
    slices: tuple[str, ...] = ()
    default_branch: str = DEFAULT_BRANCH
    action_ref: str = ACTION_REF
    measured_from: str | None = None
    ignore_out: bool | None = None
    """True: add `gatebot-out/` to .gitignore; False: git ignores it already; None: not a git repository."""


def is_model_file(path: str, configs: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether `path` holds a model: weights, an adapter, or a config.json naming a model."""
    name = PurePosixPath(path).name
    if name.endswith(WEIGHT_SUFFIXES) or _WEIGHT_NAME.match(name) or name == "adapter_config.json":
        return True
    if name != "config.json":
        return False
    content = configs.get(path, {})
    names_model = any(isinstance(content.get(key), str) and content[key] for key in MODEL_ID_KEYS)
    return names_model or any(key in content for key in _HF_CONFIG_KEYS)


def _is_model_folder(files: Sequence[str], configs: Mapping[str, Mapping[str, Any]]) -> bool:
    names = {PurePosixPath(f).name for f in files}
    return "adapter_config.json" in names or "config.json" in names or len(files) > 1


def suggest_artifacts(files: Iterable[str], configs: Mapping[str, Mapping[str, Any]]) -> tuple[str, ...]:
    """Artifact globs for the model files among `files`.

    A folder holding a model in several files (shards, an adapter with its config, a Hugging Face
    checkpoint) becomes `folder/**`, so its tokenizer and config count too; a lone weights file is
    named itself, and so is every model file at the top level (`**` there would be the whole repository).
    """
    by_folder: dict[str, list[str]] = {}
    for path in files:
        if is_model_file(path, configs):
            by_folder.setdefault(str(PurePosixPath(path).parent), []).append(path)
    globs: list[str] = []
    for folder, found in sorted(by_folder.items()):
        if folder != "." and _is_model_folder(found, configs):
            globs.append(f"{folder}/**")
        else:
            globs.extend(sorted(found))
    kept = [g for g in globs if not any(o != g and o.endswith("/**") and matches(g, [o]) for o in globs)]
    return tuple(kept)


def suggest_scripts(files: Iterable[str]) -> tuple[str, ...]:
    """Python files that look like a benchmark (`bench.py`, `evals/evaluate_router.py`)."""
    found = []
    for path in files:
        pure = PurePosixPath(path)
        folder = "" if str(pure.parent) == "." else str(pure.parent)
        if folder in _SCRIPT_DIRS and _SCRIPT_NAME.match(pure.name):
            found.append(path)
    return tuple(sorted(found, key=lambda p: (p.count("/"), p)))


def as_name(text: str, fallback: str) -> str:
    """`text` made into a valid model or benchmark name, or `fallback` when nothing is left of it."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._")[:200]
    return cleaned if cleaned and _NAME.match(cleaned) else fallback


def _model_from_artifacts(artifacts: Sequence[str], configs: Mapping[str, Mapping[str, Any]]) -> str | None:
    if not artifacts:
        return None
    first = PurePosixPath(artifacts[0].removesuffix("/**"))
    if artifacts[0].endswith("/**"):
        return as_name(first.name, DEFAULT_MODEL)
    if first.name in ("config.json", "adapter_config.json"):
        content = configs.get(str(first), {})
        named = next((content[k] for k in MODEL_ID_KEYS if isinstance(content.get(k), str)), None)
        if named:
            return as_name(named.rsplit("/", 1)[-1], DEFAULT_MODEL)
        return as_name(first.parent.name, DEFAULT_MODEL) if str(first.parent) != "." else None
    return as_name(first.name.split(".", 1)[0], DEFAULT_MODEL)


def default_model(options: InitOptions, survey: Survey, artifacts: Sequence[str]) -> str:
    if options.model:
        return options.model
    found = _model_from_artifacts(artifacts, survey.configs)
    if found:
        return found
    if survey.measured is not None:
        return as_name(survey.measured.model, DEFAULT_MODEL)
    return DEFAULT_MODEL


def default_benchmark(options: InitOptions, survey: Survey) -> str:
    if options.benchmark:
        return options.benchmark
    if survey.measured is not None:
        return as_name(survey.measured.benchmark, DEFAULT_BENCHMARK)
    return DEFAULT_BENCHMARK


def suggested_run(files: Iterable[str]) -> str:
    """A command to offer as the default answer (never written unasked: its flags are a guess)."""
    scripts = suggest_scripts(files)
    if not scripts:
        return ""
    return f"{{python}} {shlex.quote(scripts[0])} --model {{model}} --output {{output}}"


def questions(options: InitOptions, survey: Survey) -> tuple[Question, ...]:
    """What to ask in a terminal: only what the options leave open, each with the inferred default."""
    asked: list[Question] = []
    artifacts = options.artifacts or suggest_artifacts(survey.files, survey.configs)
    if not options.model:
        asked.append(Question("model", "Name of the model", default_model(options, survey, artifacts)))
    if not options.artifacts:
        asked.append(
            Question(
                "artifacts",
                "Files whose change means the model changed (globs, comma-separated)",
                ", ".join(artifacts),
                "globs",
            )
        )
    if not options.benchmark:
        asked.append(Question("benchmark", "Name of the benchmark", default_benchmark(options, survey)))
    if options.run is None:
        asked.append(
            Question(
                "run",
                "Command that runs the benchmark ({model}, {benchmark}, {output}, {python}; empty: later)",
                suggested_run(survey.files),
                "run",
            )
        )
    measured = survey.measured
    if measured is None:
        asked.append(Question("higher", "Metrics where higher is better (comma-separated)", "", "metrics"))
        asked.append(Question("lower", "Metrics where lower is better (comma-separated)", "", "metrics"))
    else:
        unknown = [m for m in measured.metrics if m not in measured.directions]
        if len(unknown) <= _ASK_DIRECTIONS_UP_TO:
            for metric in unknown:
                asked.append(
                    Question(
                        f"direction:{metric}",
                        f"Is higher or lower better for {metric}? (higher, lower; empty: only show it)",
                        "",
                        "direction",
                    )
                )
    asked.append(
        Question(
            "branch",
            "Default branch (baselines are recorded on pushes to it)",
            survey.default_branch,
            "branch",
        )
    )
    return tuple(asked)


def _words(text: str) -> tuple[str, ...]:
    return tuple(w for w in (part.strip() for part in text.split(",")) if w)


def check_glob(glob: str) -> str | None:
    """Why `glob` cannot be an artifact glob, or None."""
    if not glob.strip():
        return "an artifact glob is empty"
    if glob.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", glob):
        return f"artifact glob {glob!r} is absolute: write it relative to the repository root"
    if ".." in PurePosixPath(glob).parts:
        return f"artifact glob {glob!r} leaves the repository"
    if "\\" in glob:
        return f"artifact glob {glob!r} has a backslash: write paths with /"
    return None


def check_run(command: str) -> str | None:
    """Why `command` cannot be a benchmark's `run:`, or None."""
    if not command.strip():
        return "the command is empty"
    try:
        render_command(command, _PLACEHOLDERS, where="the command")
    except GatebotError as error:
        return error.one_line()
    return None


def check_answer(question: Question, answer: str) -> str | None:
    """Why `answer` does not do for `question`, or None. An empty answer always does (the default)."""
    text = answer.strip()
    if not text:
        return None
    if question.kind == "name" and not _NAME.match(text):
        return "use letters, digits, '.', '_' and '-', starting with a letter or digit"
    if question.kind == "globs":
        return next((p for p in map(check_glob, _words(text)) if p), None)
    if question.kind == "run":
        return check_run(text)
    if question.kind == "direction" and text not in ("higher", "lower"):
        return "answer higher or lower, or leave it empty"
    if question.kind == "branch" and not re.match(r"^[A-Za-z0-9._/-]+$", text):
        return "not a branch name"
    return None


def _option_problem(flag: str, problem: str | None, fix: str) -> None:
    if problem is not None:
        raise GatebotError(f"{flag}: {problem}", fix)


def _check_options(options: InitOptions) -> None:
    for flag, value in (("--model", options.model), ("--benchmark", options.benchmark)):
        if value is not None and not _NAME.match(value):
            raise GatebotError(
                f"{flag} {value!r}: not a valid name",
                "use letters, digits, '.', '_' and '-', starting with a letter or digit",
            )
    for glob in options.artifacts:
        _option_problem("--artifacts", check_glob(glob), "pass a path glob such as 'models/**'")
    if options.run is not None:
        _option_problem(
            "--run",
            check_run(options.run),
            "use {model}, {benchmark}, {output} or {python}; {{ }} for braces",
        )


def run_inputs(run: str | None, files: Iterable[str]) -> tuple[str, ...]:
    """The repository files the command names (its script): a change to them re-records baselines."""
    if not run:
        return ()
    try:
        words = shlex.split(run)
    except ValueError:
        return ()
    known = set(files)
    found = []
    for word in words:
        clean = word.removeprefix("./")
        if clean in known and clean not in found:
            found.append(clean)
    return tuple(found)


def make_plan(options: InitOptions, survey: Survey, answers: Mapping[str, str] | None = None) -> Plan:
    """Decide what to write from the options, the survey and the answers (keys of `questions`).

    Raises `GatebotError` for an option that cannot work; answers are checked by `check_answer`.
    """
    _check_options(options)
    said = {k: v.strip() for k, v in (answers or {}).items() if v.strip()}
    artifacts = (
        options.artifacts
        or _words(said.get("artifacts", ""))
        or suggest_artifacts(survey.files, survey.configs)
    )
    model = said.get("model") or default_model(options, survey, artifacts)
    benchmark = said.get("benchmark") or default_benchmark(options, survey)
    run = options.run if options.run is not None else said.get("run")
    measured = survey.measured
    metrics: list[MetricPlan] = []
    if measured is not None:
        for name in measured.metrics:
            answer = said.get(f"direction:{name}")
            direction: Direction | None = measured.directions.get(name)
            if answer in ("higher", "lower"):
                direction = "higher" if answer == "higher" else "lower"
            metrics.append(MetricPlan(name, direction))
    else:
        for key in ("higher", "lower"):
            for name in _words(said.get(key, "")):
                if all(m.name != name for m in metrics):
                    metrics.append(MetricPlan(name, "higher" if key == "higher" else "lower"))
    results = None
    if run and "{output}" not in run and measured is not None:
        results = measured.source  # the example output is where the command writes
    return Plan(
        model=model,
        benchmark=benchmark,
        artifacts=tuple(artifacts),
        run=run or None,
        format=measured.format if measured is not None else "gatebot",
        results=results,
        inputs=run_inputs(run, survey.files),
        metrics=tuple(metrics),
        slices=measured.slices if measured is not None else (),
        default_branch=said.get("branch") or survey.default_branch,
        measured_from=measured.source if measured is not None else None,
        ignore_out=None if survey.out_ignored is None else not survey.out_ignored,
    )


def yaml_scalar(text: str) -> str:
    """`text` as a YAML scalar that reads back as the same string."""
    if _PLAIN.match(text) and yaml.safe_load(text) == text:
        return text
    return json.dumps(text, ensure_ascii=False)


def _flow(items: Iterable[str]) -> str:
    return "[" + ", ".join(yaml_scalar(i) for i in items) + "]"


def render_config(plan: Plan) -> str:  # noqa: PLR0912 - one branch per optional section of the file
    """The commented `.gatebot.yml` for `plan`. It is validated before it is returned."""
    lines = [
        "# gatebot: which models a pull request can change, how to benchmark them, how to judge the metrics.",
        "# Check this file with `gatebot config`; `gatebot config --schema` lists every field.",
        "# Paths are relative to this file's folder (the repository root).",
        "version: 1",
        "models:",
        f"  {yaml_scalar(plan.model)}:",
        "    # A pull request that changes a file matching these globs changes the model and is gated.",
        f"    artifacts: {_flow(plan.artifacts)}",
        f"    benchmarks: {_flow([plan.benchmark])}",
        "benchmarks:",
        f"  {yaml_scalar(plan.benchmark)}:",
        "    # {model} and {benchmark} are the names above, {output} the results file gatebot reads,",
        "    # {python} the interpreter running gatebot. Write {{ and }} for literal braces.",
    ]
    if plan.run is not None:
        lines.append(f"    run: {json.dumps(plan.run, ensure_ascii=False)}")
    else:
        lines.append('    # run: "{python} bench.py --model {model} --output {output}"  # still to write')
    if plan.results is not None:
        lines.append(f"    results: {yaml_scalar(plan.results)}  # where the command writes its results")
    lines.append(
        f"    format: {plan.format}  # what it writes: gatebot, lm-eval, promptfoo, inspect, jsonl, csv, auto"
    )
    if plan.slices and plan.format != "gatebot":
        lines.append(f"    slices: {_flow(plan.slices)}  # the fields that become slices")
    if plan.format in ("jsonl", "csv") and plan.metrics:
        lines.append(f"    metric_columns: {_flow(m.name for m in plan.metrics)}")
    lines.append("    timeout: 3600  # seconds, then the command is stopped")
    if plan.inputs:
        lines.append(f"    inputs: {_flow(plan.inputs)}  # a push changing these records new baselines")
    else:
        lines.append("    # inputs: [bench.py, data/**]  # a push changing these records new baselines")
    known = [m for m in plan.metrics if m.direction is not None]
    unknown = [m for m in plan.metrics if m.direction is None]
    lines.append("# direction: which way is better. min_effect: the smallest change that matters, in the")
    lines.append(
        "# metric's units (0.01 = 1 point of accuracy). Metrics not listed here are shown, never gated."
    )
    lines.append("metrics:" if known else "metrics: {}  # nothing is gated yet")
    for metric in known:
        lines.append(f"  {yaml_scalar(metric.name)}: {{direction: {metric.direction}, min_effect: 0.0}}")
    if unknown:
        where = f" in {plan.measured_from}" if plan.measured_from else ""
        lines.append(f"  # Found{where} without a direction: uncomment and set one to gate them.")
        for metric in unknown:
            lines.append(f"  # {yaml_scalar(metric.name)}: {{direction: higher}}  # or lower")
    if not plan.metrics:
        lines.append(
            "  # accuracy: {direction: higher, min_effect: 0.01}  # still to write: nothing is gated yet"
        )
    lines.extend(
        [
            "gate:",
            "  missing_baseline: run-base  # no baseline yet: benchmark the base commit (or fail, pass)",
            "  correction: holm  # across every gated metric x slice test: holm, bh or none",
            "  confidence: 0.95",
            "  min_slice_size: 30  # smaller slices are shown, never gate",
        ]
    )
    if plan.slices and plan.format == "gatebot":
        where = f" (found in {plan.measured_from})" if plan.measured_from else ""
        lines.append(f"  slices: {_flow(plan.slices)}  # slice keys to analyse{where}")
    else:
        lines.append("  # slices: [language]  # slice keys to analyse (default: every key in the examples)")
    text = "\n".join(lines) + "\n"
    parse_config(yaml.safe_load(text), where=DEFAULT_CONFIG_FILE)
    return text


_TEMPLATE_BRANCHES = "    branches: [main]\n"


def render_workflow(template: str, *, action_ref: str, default_branch: str) -> str:
    """A workflow template with the action reference and the default branch filled in."""
    text = template.replace(f"uses: {ACTION_REF}", f"uses: {action_ref}")
    if _TEMPLATE_BRANCHES in text:
        text = text.replace(_TEMPLATE_BRANCHES, f"    branches: [{yaml_scalar(default_branch)}]\n")
    return text


def render_files(plan: Plan, templates: Mapping[str, str]) -> dict[str, str]:
    """Every file to write: repository-relative path -> text."""
    files = {DEFAULT_CONFIG_FILE: render_config(plan)}
    for name in WORKFLOWS:
        files[f"{WORKFLOW_DIR}/{name}"] = render_workflow(
            templates[name], action_ref=plan.action_ref, default_branch=plan.default_branch
        )
    return files


def to_do(plan: Plan) -> tuple[str, ...]:
    """What the written files still lack, one line each."""
    missing = []
    if plan.run is None:
        missing.append(
            f"write benchmarks.{plan.benchmark}.run in {DEFAULT_CONFIG_FILE}: the command gatebot runs"
        )
    elif "{output}" not in plan.run and plan.results is None:
        missing.append(
            f"benchmarks.{plan.benchmark}.run has no {{output}}: pass it to your script, or set results:"
        )
    if not plan.artifacts:
        missing.append(
            f"list models.{plan.model}.artifacts: no model file was found, so no pull request is gated"
        )
    if not any(m.direction is not None for m in plan.metrics):
        missing.append("declare a metric's direction under metrics: until then nothing is gated")
    return tuple(missing)


OUT_DIR = "gatebot-out/"
"""What `gatebot run` and `gatebot gate` write (results, the verdict, the report): never committed."""
GITIGNORE = ".gitignore"


def with_ignored_out(gitignore: str) -> str:
    """The text of a .gitignore (empty when there is none) with a line that ignores `gatebot-out/`."""
    if gitignore and not gitignore.endswith("\n"):
        gitignore += "\n"
    return gitignore + f"# What gatebot run and gatebot gate write\n{OUT_DIR}\n"


def next_steps(plan: Plan) -> tuple[str, ...]:
    """What to do after `gatebot init`, in order."""
    results = f"gatebot-out/{plan.model}/{plan.benchmark}.json"
    return (
        "Check the config and run the benchmark once: `gatebot config`, then `gatebot run`.",
        f"Commit the files and push them to {plan.default_branch}."
        if plan.ignore_out is not None
        else f"Add `{OUT_DIR}` to .gitignore, then commit the files and push them to {plan.default_branch}.",
        "Record a first baseline: run the gatebot workflow by hand (Actions > gatebot > Run workflow, "
        f"on {plan.default_branch}), or `gatebot run` and `gatebot baseline save {results} --to-branch` "
        "(GITHUB_REPOSITORY and GATEBOT_TOKEN set).",
        f"Require the check `{CHECK_NAME}` in branch protection (Settings > Branches > {plan.default_branch} "
        "> Require status checks to pass).",
        f"Pin `{ACTION_REF}` in the workflows to the full commit SHA of the gatebot release you use.",
    )


# ----------------------------------------------------------------------------------------------- I/O

_SKIP_DIRS = frozenset(
    {".git", ".venv", "venv", "env", "node_modules", "__pycache__", ".tox", ".nox", ".mypy_cache",
     ".pytest_cache", ".ruff_cache", "gatebot-out", "site-packages", ".gatebot"}
)  # fmt: skip
_MAX_FILES = 200_000
_MAX_CONFIG_BYTES = 1_000_000
_MAX_CONFIGS = 50


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=False, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def repository_root(cwd: Path) -> tuple[Path, bool]:
    """The repository holding `cwd` and True, or `cwd` and False when it is in none."""
    top = _git(cwd, "rev-parse", "--show-toplevel")
    return (Path(top.strip()), True) if top and top.strip() else (cwd, False)


def list_files(root: Path, *, in_git: bool) -> tuple[str, ...]:
    """The repository's files: git's (committed and untracked, ignored ones left out), else a walk."""
    if in_git:
        listed = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        if listed is not None:
            return tuple(sorted({p for p in listed.split("\0") if p})[:_MAX_FILES])
    found: list[str] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in names:
            found.append(Path(folder, name).relative_to(root).as_posix())
            if len(found) >= _MAX_FILES:
                return tuple(sorted(found))
    return tuple(sorted(found))


def read_configs(root: Path, files: Iterable[str]) -> dict[str, Mapping[str, Any]]:
    """Each small `config.json` among `files` that holds a JSON object; others are passed over."""
    configs: dict[str, Mapping[str, Any]] = {}
    for path in files:
        if PurePosixPath(path).name != "config.json" or len(configs) >= _MAX_CONFIGS:
            continue
        full = root / path
        try:
            if full.is_symlink() or full.stat().st_size > _MAX_CONFIG_BYTES:
                continue
            content = json.loads(full.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            continue
        if isinstance(content, dict):
            configs[path] = content
    return configs


def default_branch(root: Path, *, in_git: bool) -> str:
    """origin's default branch, else a local main or master, else the current branch, else main."""
    if not in_git:
        return DEFAULT_BRANCH
    remote = _git(root, "symbolic-ref", "--short", "refs/remotes/origin/HEAD")
    if remote and remote.strip().startswith("origin/"):
        return remote.strip().removeprefix("origin/")
    for name in ("main", "master"):
        if _git(root, "rev-parse", "--verify", "--quiet", f"refs/heads/{name}") is not None:
            return name
    current = _git(root, "symbolic-ref", "--short", "HEAD")
    return current.strip() if current and current.strip() else DEFAULT_BRANCH


def measure(results: Results, *, source: str, kind: ResultsKind) -> Measured:
    """What `results` says about its metrics (pure; `read_measured` reads the file)."""
    names = list(results.metrics)
    if results.examples is not None:
        names.extend(n for n in results.examples.scores if n not in results.metrics)
    directions: dict[str, Direction] = {}
    for name, direction in results.directions.items():
        if direction in ("higher", "lower") and name in names:
            directions[name] = "higher" if direction == "higher" else "lower"
    slices = tuple(results.examples.slices) if results.examples is not None else ()
    return Measured(source, kind, results.model, results.benchmark, tuple(names), directions, slices)


def read_measured(path: Path, *, shown: str) -> Measured:
    """Read an example output of the benchmark: gatebot results, or any format gatebot imports."""
    if not path.is_file():
        raise InputError(f"--results {shown}: file not found", "pass an output of the benchmark")
    if is_results_file(path):
        return measure(load_results(path), source=shown, kind="gatebot")
    try:
        imported = import_results(path, "auto", ImportOptions())
    except GatebotError as error:
        raise InputError(f"--results {error.message}", error.hint) from None
    if len(imported.results) != 1:
        raise InputError(
            f"--results {shown}: holds {len(imported.results)} runs",
            "pass an output of one run of the benchmark",
        )
    return measure(imported.results[0], source=shown, kind=_KINDS[imported.format])


def read_survey(root: Path, options: InitOptions, *, in_git: bool, cwd: Path) -> Survey:
    """Read what `gatebot init` needs from the repository and the example results."""
    files = list_files(root, in_git=in_git)
    measured = None
    if options.results is not None:
        full = options.results if options.results.is_absolute() else cwd / options.results
        try:
            shown = full.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            shown = str(options.results)
        measured = read_measured(full, shown=shown)
    return Survey(
        files=files,
        configs=read_configs(root, files),
        default_branch=default_branch(root, in_git=in_git),
        measured=measured,
        out_ignored=out_ignored(root) if in_git else None,
    )


def out_ignored(root: Path) -> bool | None:
    """Whether git ignores what gatebot writes in `gatebot-out/`; None when git cannot say."""
    written = (f"{OUT_DIR}report.md", f"{OUT_DIR}model/benchmark.json")  # not just `*.json`
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "check-ignore", "--no-index", *written],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode not in (0, 1):
        return None
    return set(done.stdout.splitlines()) == set(written)


def load_templates() -> dict[str, str]:
    """The workflow templates shipped in the package."""
    folder = resources.files("gatebot") / "templates" / "workflows"
    return {name: (folder / name).read_text(encoding="utf-8") for name in WORKFLOWS}


def ask_terminal(question: Question) -> str:
    """Ask `question` on stderr, read one line from stdin; re-ask when the answer does not do."""
    for _ in range(3):
        shown = f" [{question.default}]" if question.default else ""
        sys.stderr.write(f"{question.prompt}{shown}: ")
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:  # end of input: take the default
            sys.stderr.write("\n")
            return ""
        problem = check_answer(question, line)
        if problem is None:
            return line.strip()
        sys.stderr.write(f"  {problem}\n")
    raise GatebotError(f"{question.prompt}: no usable answer", "run again, or pass the value as an option")


def existing(root: Path, paths: Iterable[str]) -> list[str]:
    return [p for p in paths if (root / p).exists() or (root / p).is_symlink()]


def init_repository(
    cwd: Path,
    options: InitOptions,
    *,
    ask: Callable[[Question], str] | None,
    dry_run: bool,
    force: bool,
    out: IO[str],
) -> int:
    """`gatebot init`: write (or with `dry_run` print) the config and workflows, then the next steps.

    `ask` is None when nothing may be asked (`--yes`, or stdin is not a terminal).
    """
    _check_options(options)
    root, in_git = repository_root(cwd)
    found = read_survey(root, options, in_git=in_git, cwd=cwd)
    answers: dict[str, str] = {}
    if ask is not None:
        for question in questions(options, found):
            answers[question.key] = ask(question)
    plan = make_plan(options, found, answers)
    files = render_files(plan, load_templates())
    taken = existing(root, files)
    if taken and not force:
        shown = os.path.relpath(root / taken[0], cwd)
        raise GatebotError(
            f"{shown}: already exists; gatebot init never overwrites a file",
            "pass --force to replace it, or move it away first",
        )
    if not in_git:
        where = "" if dry_run else ": writing there"
        print(f"gatebot: {root} is not in a git repository{where}", file=sys.stderr)
    for path, text in files.items():
        shown = os.path.relpath(root / path, cwd)
        if dry_run:
            out.write(f"==> {shown} <==\n{text}\n")
            continue
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink():
            target.unlink()  # replace the link itself, never the file it points to
        with target.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        verb = "replaced" if path in taken else "wrote"
        out.write(f"{verb} {shown}\n")
    if plan.ignore_out:
        _ignore_out(root / GITIGNORE, os.path.relpath(root / GITIGNORE, cwd), dry_run=dry_run, out=out)
    if dry_run:
        out.write(f"--dry-run: nothing written ({len(files)} files shown)\n")
    missing = to_do(plan)
    if missing:
        out.write("\nStill to do:\n")
        out.writelines(_item("  - ", line) for line in missing)
    out.write("\nNext steps:\n")
    out.writelines(_item(f"  {i}. ", line) for i, line in enumerate(next_steps(plan), start=1))
    return EXIT_PASSED


def _ignore_out(path: Path, shown: str, *, dry_run: bool, out: IO[str]) -> None:
    """Add `gatebot-out/` to the repository's .gitignore (a line appended; the file made if need be)."""
    if path.is_symlink():
        out.write(f"left {shown} alone (a symbolic link): add {OUT_DIR} to it yourself\n")
        return
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    if dry_run:
        out.write(f"==> {shown} (lines added) <==\n{with_ignored_out(before)[len(before) :]}\n")
        return
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(with_ignored_out(before))
    out.write(f"added {OUT_DIR} to {shown}\n")


def _item(mark: str, text: str) -> str:
    indent = " " * len(mark)
    wrapped = textwrap.fill(
        text, width=100, initial_indent=mark, subsequent_indent=indent, break_on_hyphens=False
    )
    return wrapped + "\n"
