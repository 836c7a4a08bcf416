"""The `gatebot` command: argument parsing, exit codes, and the one place errors are caught.

Over 400 lines because `build_parser` is half of them: its help text is the CLI reference the README
shows (tools/cli_reference.py), and the commands themselves are a few lines each.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from gatebot import __version__, progress, scaling
from gatebot.action import STAGES, run_action, run_publish
from gatebot.activities.context import Context
from gatebot.activities.progress import Watch, watch_shards
from gatebot.baselines import DEFAULT_DIR, BaselineStore, LocalStore
from gatebot.compare import compare
from gatebot.config import DEFAULT_CONFIG_FILE, LoadedConfig, json_schema, load_config
from gatebot.config_check import check_config
from gatebot.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    EXIT_PASSED,
    GatebotError,
    failure_of,
)
from gatebot.flips_file import write_verdict
from gatebot.github.client import connect
from gatebot.importers import FORMATS, ImportOptions, import_results
from gatebot.init import InitOptions, ask_terminal, init_repository
from gatebot.local_gate import LocalGate, gate_locally
from gatebot.plan import select_jobs
from gatebot.report import RenderOptions, render_markdown
from gatebot.results import atomic_write, load_results, write_results
from gatebot.runner import git_commit, utc_timestamp
from gatebot.settings import Settings
from gatebot.verdict import GateReport
from gatebot.workflow import Workflow

ACTION_COMMANDS = frozenset({"action", "publish"})
"""Commands that run as steps of action.yml: errors go out as workflow commands, settings as inputs."""


def _config(args: argparse.Namespace, settings: Settings) -> LoadedConfig:
    path = args.config or settings.config
    if path is not None:
        return load_config(Path(path), required=True)
    return load_config(Path(DEFAULT_CONFIG_FILE), required=False)


def _write_outputs(report: GateReport, args: argparse.Namespace, out: IO[str]) -> None:
    markdown = render_markdown(report, RenderOptions())
    if args.json:
        write_verdict(report, Path(args.json))
    if args.markdown:
        atomic_write(Path(args.markdown), [markdown.encode()])
    out.write(markdown)


def cmd_compare(args: argparse.Namespace, settings: Settings, out: IO[str]) -> int:
    loaded = _config(args, settings)
    baseline = load_results(Path(args.baseline))
    candidate = load_results(Path(args.candidate))
    report = GateReport((compare(baseline, candidate, loaded.config),))
    _write_outputs(report, args, out)
    return report.exit_code()


def _out_dir(args: argparse.Namespace, settings: Settings) -> Path:
    return Path(args.out) if args.out else settings.out_dir


def cmd_run(args: argparse.Namespace, settings: Settings, out: IO[str]) -> int:
    loaded = _config(args, settings)
    jobs = select_jobs(loaded.config, models=args.model or (), benchmarks=args.benchmark or ())
    if not jobs:
        raise GatebotError(
            "nothing to run: the config names no model with a benchmark", "add models: to the config"
        )
    out_dir = _out_dir(args, settings)
    runs = scaling.runs_for(settings, loaded, reuse=not args.no_reuse)
    for job in jobs:
        shard = scaling.shard_for(args.shard, loaded, job.benchmark)
        part = "" if shard.whole else f" (shard {shard})"
        print(f"gatebot: running {job.benchmark} for {job.model}{part}", file=sys.stderr)
        _, path = runs.run(loaded, job, out_dir, shard=shard)
        out.write(f"{path}\n")
    return EXIT_PASSED


def cmd_plan(args: argparse.Namespace, settings: Settings, out: IO[str]) -> int:
    loaded = _config(args, settings)
    changed = None
    if args.changed_files is not None:
        changed = scaling.read_changed_files(args.changed_files)
    elif args.from_event:
        changed = scaling.pull_request_files(settings)
    models, benchmarks = args.model or (), args.benchmark or ()
    out.write(scaling.plan(loaded, changed=changed, models=models, benchmarks=benchmarks) + "\n")
    return EXIT_PASSED


def cmd_shard_progress(args: argparse.Namespace, settings: Settings, out: IO[str]) -> int:
    del out
    names = progress.shard_job_names(progress.parse_matrix(args.matrix), args.job_name)
    watch = Watch(names, gate_job=args.gate_job, interval=args.interval, timeout=args.timeout)
    if settings.token is None:
        raise GatebotError(
            "no token: GATEBOT_TOKEN and GITHUB_TOKEN are empty",
            "pass `GITHUB_TOKEN: ${{ github.token }}` in the step's env (checks: write, actions: read)",
        )
    ctx = Context.from_environ(settings, os.environ, sys.stderr)
    return watch_shards(ctx, connect(settings.api_url, settings.token), watch)


def cmd_merge(args: argparse.Namespace, settings: Settings, out: IO[str]) -> int:
    for line in scaling.merge_folders([Path(f) for f in args.folders], _out_dir(args, settings)):
        out.write(line + "\n")
    return EXIT_PASSED


def cmd_cache_key(args: argparse.Namespace, settings: Settings, out: IO[str]) -> int:
    loaded = _config(args, settings)
    jobs = select_jobs(loaded.config, models=args.model or (), benchmarks=args.benchmark or ())
    out.write(scaling.cache_key_lines(settings, loaded, jobs, shard=args.shard))
    return EXIT_PASSED


def _store(args: argparse.Namespace, settings: Settings, loaded: LoadedConfig) -> LocalStore:
    if args.baselines:
        return LocalStore(Path(args.baselines))
    if settings.baselines is not None:
        return LocalStore(settings.baselines)
    return LocalStore(loaded.root / DEFAULT_DIR)


def cmd_gate(args: argparse.Namespace, settings: Settings, out: IO[str]) -> int:
    loaded = _config(args, settings)
    jobs = select_jobs(loaded.config, models=args.model or (), benchmarks=args.benchmark or ())
    if not jobs:
        raise GatebotError(
            "nothing to gate: the config names no model with a benchmark", "add models: to the config"
        )
    how = LocalGate(
        store=_store(args, settings, loaded),
        out_dir=_out_dir(args, settings),
        base=args.base,
        save_options=[*_given(args, "config"), *_given(args, "baselines")],
        runs=scaling.runs_for(settings, loaded, reuse=not args.no_reuse),
        results_dir=Path(args.results_dir) if args.results_dir else settings.results_dir,
    )
    report = gate_locally(loaded, jobs, how, log=sys.stderr)
    _write_outputs(report, args, out)
    return report.exit_code()


def _given(args: argparse.Namespace, name: str) -> list[str]:
    value = getattr(args, name)
    return [f"--{name}", value] if value else []


def cmd_baseline_save(args: argparse.Namespace, settings: Settings, out: IO[str]) -> int:
    loaded = _config(args, settings)
    results = load_results(Path(args.results))
    if not args.to_branch:
        path = _store(args, settings, loaded).save(results)
        out.write(f"saved the baseline of {results.model} on {results.benchmark} to {path}\n")
        return EXIT_PASSED
    repository, token = settings.repository, settings.token
    if not repository or token is None:
        raise GatebotError(
            "--to-branch needs GITHUB_REPOSITORY (owner/name) and a token in GATEBOT_TOKEN or GITHUB_TOKEN",
            "export them, or save to files with --baselines",
        )
    commit = args.commit or git_commit(loaded.root)
    if not commit:
        raise GatebotError("--to-branch needs the commit the results belong to", "pass --commit SHA")
    store = BaselineStore(
        connect(settings.api_url, token),
        repository,
        branch=loaded.config.gate.baselines_branch,
    )
    now = utc_timestamp()
    outcome = store.record(results, commit=commit, recorded_at=now)
    done = "recorded" if outcome.appended else "was already recorded"
    out.write(
        f"{results.model} on {results.benchmark} {done} for {commit[:12]} on {store.branch} of {repository}\n"
    )
    return EXIT_PASSED


def cmd_config(args: argparse.Namespace, settings: Settings, out: IO[str]) -> int:
    if args.schema:
        out.write(json.dumps(json_schema(), indent=2) + "\n")
        return EXIT_PASSED
    loaded = _config(args, settings)
    for warning in check_config(loaded):
        print(f"gatebot: warning: {warning}", file=sys.stderr)
    where = loaded.path or "(no config file: defaults)"
    cfg = loaded.config
    out.write(
        f"{where}: valid ({len(cfg.models)} models, {len(cfg.benchmarks)} benchmarks, "
        f"{len(cfg.metrics)} metrics)\n"
    )
    return EXIT_PASSED


def _words(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(w for w in (x.strip() for x in text.split(",")) if w)


def cmd_import(args: argparse.Namespace, settings: Settings, out: IO[str]) -> int:
    del settings
    options = ImportOptions(
        provider=args.provider,
        slices=_words(args.slices),
        id_column=args.id_column,
        metric_columns=_words(args.metrics),
        samples=tuple(Path(p) for p in args.samples or ()),
    )
    imported = import_results(Path(args.path), args.format, options)
    renamed = [
        dataclasses.replace(r, benchmark=args.benchmark or r.benchmark, model=args.model or r.model)
        for r in imported.results
    ]
    detected = "detected" if args.format == "auto" else "read"
    print(f"gatebot: {detected} {imported.format} output in {args.path}", file=sys.stderr)
    for line in imported.read:
        print(f"gatebot: read {line}", file=sys.stderr)
    for line in imported.skipped:
        print(f"gatebot: skipped {line}", file=sys.stderr)
    target = Path(args.out) if args.out else None
    for results in renamed:
        if target is None:
            path = Path(f"{results.model}.{results.benchmark}.json".replace("/", "_"))
        elif len(renamed) > 1:
            path = target / f"{results.model}.json".replace("/", "_")
        else:
            path = target
        write_results(results, path)
        examples = len(results.examples) if results.examples is not None else 0
        counts = f"{len(results.metrics)} metrics, {examples} examples"
        out.write(f"{path}: {results.model} on {results.benchmark}, {counts}\n")
    return EXIT_PASSED


def cmd_init(args: argparse.Namespace, settings: Settings, out: IO[str]) -> int:
    del settings
    options = InitOptions(
        artifacts=tuple(args.artifacts or ()),
        run=args.run,
        results=Path(args.results) if args.results else None,
        model=args.model,
        benchmark=args.benchmark,
    )
    interactive = not args.yes and sys.stdin.isatty()
    return init_repository(
        Path.cwd(),
        options,
        ask=ask_terminal if interactive else None,
        dry_run=args.dry_run,
        force=args.force,
        out=out,
    )


def cmd_action(args: argparse.Namespace, settings: Settings, out: IO[str]) -> int:
    del out
    return run_action(settings, os.environ, record=args.record, stage=args.stage)


def cmd_publish(args: argparse.Namespace, settings: Settings, out: IO[str]) -> int:
    del out
    return run_publish(settings, os.environ, Path(args.bundle) if args.bundle else None)


def build_parser() -> argparse.ArgumentParser:  # noqa: PLR0915 - one statement per option, read as the CLI reference
    parser = argparse.ArgumentParser(
        prog="gatebot",
        description="A quality gate for machine-learning models: compare evaluation results with a baseline.",
    )
    parser.add_argument("--version", action="version", version=f"gatebot {__version__}")
    parser.add_argument("--debug", action="store_true", help="print the traceback of unexpected errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def with_config(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--config", metavar="FILE", help=f"config file (default: ./{DEFAULT_CONFIG_FILE} if present)"
        )

    def with_reports(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--json",
            metavar="OUT",
            help="write the JSON verdict to OUT (and, when a 0/1 metric has more flips than it lists, every "
            "flip to OUT's .flips.jsonl beside it)",
        )
        p.add_argument("--markdown", metavar="OUT", help="write the markdown report to OUT")

    def with_selection(p: argparse.ArgumentParser) -> None:
        p.add_argument("--model", action="append", metavar="M", help="only this model (repeatable)")
        p.add_argument("--benchmark", action="append", metavar="B", help="only this benchmark (repeatable)")
        p.add_argument("--out", metavar="DIR", help="where results go (default: gatebot-out)")

    def with_reuse(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--no-reuse",
            action="store_true",
            help="run every benchmark, even when results for the same artifacts, inputs and config exist",
        )

    p = sub.add_parser("compare", help="compare two results files; exit 0 passed, 1 regressed, 2 error")
    p.add_argument("baseline", metavar="BASELINE", help="results file of the baseline")
    p.add_argument("candidate", metavar="CANDIDATE", help="results file of the candidate")
    with_config(p)
    with_reports(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("run", help="run the configured benchmarks and write validated results")
    with_config(p)
    with_selection(p)
    with_reuse(p)
    p.add_argument(
        "--shard",
        metavar="I/N",
        help="run part I (from 0) of N of the benchmark, as `gatebot plan` lists them, and write its "
        "partial results (<model>/<benchmark>.shard-I-of-N.json) for `gatebot merge`",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("gate", help="run the benchmarks, compare with the stored baselines, print the report")
    with_config(p)
    with_selection(p)
    with_reports(p)
    p.add_argument(
        "--baselines", metavar="DIR", help="baseline store (default: .gatebot/baselines by the config)"
    )
    p.add_argument(
        "--base",
        metavar="REF",
        help="where no baseline is stored, benchmark the commit REF in a git worktree and compare with "
        "it, as a pull request does with its base commit (gate.missing_baseline: run-base)",
    )
    with_reuse(p)
    p.add_argument(
        "--results-dir",
        metavar="DIR",
        help="gate the results in DIR (<model>/<benchmark>.json, or its shards, merged) instead of running",
    )
    p.set_defaults(func=cmd_gate)

    p = sub.add_parser("plan", help="print the (model, benchmark, shard) jobs as JSON for strategy.matrix")
    with_config(p)
    p.add_argument("--model", action="append", metavar="M", help="only this model (repeatable)")
    p.add_argument("--benchmark", action="append", metavar="B", help="only this benchmark (repeatable)")
    p.add_argument(
        "--changed-files",
        metavar="FILE",
        help="only the models these files (one path a line, from the repository root; - for stdin) touch",
    )
    p.add_argument(
        "--from-event",
        action="store_true",
        help="on a pull_request event, only the models its changed files touch (asks the API: "
        "GITHUB_TOKEN with pull-requests: read)",
    )
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser(
        "shard-progress",
        help="while the shards run, keep the check in progress saying how many are done (a watcher job)",
    )
    p.add_argument(
        "--matrix",
        required=True,
        metavar="JSON",
        help="the matrix `gatebot plan` printed (the plan job's output)",
    )
    p.add_argument(
        "--job-name",
        default=progress.SHARD_JOB_NAME,
        metavar="TEMPLATE",
        help="the shard jobs' name, from each matrix entry's {model}, {benchmark} and {shard} "
        "(default: %(default)s, as the README's workflow names them)",
    )
    p.add_argument(
        "--gate-job",
        default="gate",
        metavar="NAME",
        help="the job that gates the shards and concludes the check (default: %(default)s)",
    )
    p.add_argument(
        "--interval",
        type=float,
        default=30.0,
        metavar="S",
        help="seconds between looks, 1 to 600 (default: 30)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=5.5 * 3600,
        metavar="S",
        help="stop watching after S seconds, at most 6 h (default: 19800); the gate job still concludes "
        "the check",
    )
    p.set_defaults(func=cmd_shard_progress)

    p = sub.add_parser("merge", help="merge the partial results of sharded runs into one results file each")
    p.add_argument("folders", nargs="+", metavar="DIR", help="folders holding the shards' results")
    p.add_argument("--out", metavar="DIR", help="where merged results go (default: gatebot-out)")
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser(
        "cache-key", help="print the actions/cache key, restore prefix and path of the reusable results"
    )
    with_config(p)
    p.add_argument("--model", action="append", metavar="M", help="only this model (repeatable)")
    p.add_argument("--benchmark", action="append", metavar="B", help="only this benchmark (repeatable)")
    p.add_argument("--shard", metavar="I/N", help="the key of this shard's results (as `run --shard`)")
    p.set_defaults(func=cmd_cache_key)

    p = sub.add_parser("baseline", help="manage stored baselines")
    baseline_sub = p.add_subparsers(dest="baseline_command", metavar="ACTION", required=True)
    q = baseline_sub.add_parser(
        "save", help="store a results file as the baseline of its model and benchmark"
    )
    q.add_argument("results", metavar="RESULTS", help="results file to store")
    with_config(q)
    q.add_argument(
        "--baselines", metavar="DIR", help="baseline store (default: .gatebot/baselines by the config)"
    )
    q.add_argument(
        "--to-branch",
        action="store_true",
        help="record on the repository's baselines branch through the GitHub API instead "
        "(GITHUB_REPOSITORY, GATEBOT_TOKEN or GITHUB_TOKEN, optional GITHUB_API_URL)",
    )
    q.add_argument(
        "--commit", metavar="SHA", help="with --to-branch: the commit measured (default: git HEAD)"
    )
    q.set_defaults(func=cmd_baseline_save)

    p = sub.add_parser("import", help="turn a harness's output into gatebot results")
    p.add_argument("path", metavar="PATH", help="the harness's output file")
    p.add_argument("--format", default="auto", choices=("auto", *FORMATS), help="format (default: detect it)")
    p.add_argument(
        "--out",
        metavar="FILE",
        help="results file to write (default: <model>.<benchmark>.json here; with several runs in PATH, "
        "a directory that gets <model>.json each)",
    )
    p.add_argument("--provider", metavar="P", help="promptfoo: provider label or id to import ('*' for all)")
    p.add_argument("--slices", metavar="K1,K2", help="keys that become slices (default: a rule, see docs)")
    p.add_argument("--id-column", default="id", metavar="C", help="jsonl/csv: column holding the example id")
    p.add_argument("--metrics", metavar="M1,M2", help="jsonl/csv: metric columns (default: all numeric)")
    p.add_argument(
        "--samples", action="append", metavar="FILE", help="lm-eval: per-sample JSONL (repeatable)"
    )
    p.add_argument("--model", metavar="NAME", help="name the model (default: from the file)")
    p.add_argument("--benchmark", metavar="NAME", help="name the benchmark (default: from the file)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "init", help="write a commented .gatebot.yml and the GitHub workflows, then say what next"
    )
    p.add_argument(
        "--artifacts",
        action="append",
        metavar="GLOB",
        help="files whose change means the model changed (repeatable; default: the model files found)",
    )
    p.add_argument(
        "--run",
        metavar="COMMAND",
        help="the benchmark's command, with {model}, {benchmark}, {output} and {python} placeholders",
    )
    p.add_argument(
        "--results",
        metavar="FILE",
        help="an output of the benchmark (gatebot results, lm-eval, promptfoo, inspect_ai, jsonl, csv): "
        "metric names, directions and slice keys come from it",
    )
    p.add_argument("--model", metavar="NAME", help="name the model (default: from the model files found)")
    p.add_argument(
        "--benchmark", metavar="NAME", help="name the benchmark (default: from --results, or eval)"
    )
    p.add_argument("--yes", action="store_true", help="ask nothing: take the options and what was found")
    p.add_argument("--dry-run", action="store_true", help="print the files instead of writing them")
    p.add_argument("--force", action="store_true", help="replace files that already exist")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("action", help="the GitHub Action's entry: gate the event's pull request or ref")
    p.add_argument(
        "--record", action="store_true", help="record every model's results at GITHUB_SHA as baselines"
    )
    p.add_argument(
        "--stage",
        choices=STAGES,
        default="all",
        help="all (default): everything in one process; or one of the steps that keep the pull "
        "request's code away from the token: plan (token, no PR code), evaluate (PR code, no token), "
        "publish (token, no PR code)",
    )
    p.set_defaults(func=cmd_action)

    p = sub.add_parser("publish", help="post a fork's report bundle (from a workflow_run job)")
    p.add_argument(
        "bundle",
        nargs="?",
        metavar="BUNDLE",
        help="bundle file (default: download it from the triggering run)",
    )
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("config", help="check the config file, or print its JSON Schema")
    with_config(p)
    p.add_argument("--schema", action="store_true", help="print the JSON Schema of .gatebot.yml")
    p.set_defaults(func=cmd_config)
    return parser


def _print_error(message: str) -> None:
    print(f"gatebot: error: {message}", file=sys.stderr)


def _discard_stdout() -> None:
    """After a broken pipe: send what is left to /dev/null, so the flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        return


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the one place errors are caught, told in one line, and mapped to exit codes."""
    parser = build_parser()
    args = parser.parse_args(argv)
    in_action = args.command in ACTION_COMMANDS
    tell = Workflow.from_environ(os.environ).error if in_action else _print_error
    debug = bool(args.debug)
    try:
        settings = Settings.from_environ(os.environ, action=in_action)
        debug = debug or settings.debug
        code: int = args.func(args, settings, sys.stdout)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's flush at exit
        return code
    except BrokenPipeError:  # before OSError, which it is
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("gatebot: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        failure = failure_of(error)
        if failure.bug and debug:
            raise
        tell(failure.message)
        return failure.exit_code
