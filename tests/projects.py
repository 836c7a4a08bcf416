"""A small project whose benchmark counts its own runs, for the tests of reuse and sharding.

`write_project(root)` writes a model file, a dataset, a benchmark script and a `.gatebot.yml` that
declares the script and the dataset as the benchmark's `inputs`. The benchmark appends one line per run
to `runs.log`, or to the file GATEBOT_RUNS_LOG names (`<model> <shard>/<shards> env=<GATEBOT_SHARD_INDEX>/
<GATEBOT_SHARD_COUNT>`): a run of the base commit happens in a worktree of its own. It scores the
examples of its shard (every `shards`-th one), and fails when a file `fail-shard-<index>` exists.
A model's file holds its quality: an example scores 1 when its difficulty is below it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MODEL = "qa-bot"
BENCHMARK = "qa"
EXAMPLES = 300
GOOD, WORSE = "0.8", "0.6"

BENCH = """\
import argparse, json, os, sys
from pathlib import Path

here = Path(__file__).resolve().parent
parser = argparse.ArgumentParser()
parser.add_argument("--model", required=True)
parser.add_argument("--output", required=True)
parser.add_argument("--shard", type=int, default=0)
parser.add_argument("--shards", type=int, default=1)
args = parser.parse_args()
env = f"{os.environ.get('GATEBOT_SHARD_INDEX')}/{os.environ.get('GATEBOT_SHARD_COUNT')}"
with open(os.environ.get("GATEBOT_RUNS_LOG") or here / "runs.log", "a") as log:
    log.write(f"{args.model} {args.shard}/{args.shards} env={env}\\n")
if (here / f"fail-shard-{args.shard}").exists():
    sys.exit(f"shard {args.shard} failed on purpose")
quality = float((here / "models" / f"{args.model}.txt").read_text().split()[0])
rows = [json.loads(line) for line in (here / "data.jsonl").read_text().splitlines()]
mine = [row for i, row in enumerate(rows) if i % args.shards == args.shard]
examples = [
    {"id": r["id"], "scores": {"accuracy": int(r["difficulty"] < quality)}, "slices": {"lang": r["lang"]}}
    for r in mine
]
accuracy = sum(e["scores"]["accuracy"] for e in examples) / len(examples)
document = {
    "schema": "gatebot/results@1", "benchmark": "qa", "model": args.model,
    "metrics": {"accuracy": accuracy}, "examples": examples,
}
Path(args.output).write_text(json.dumps(document))
"""


def config_text(*, shards: int = 1, extra: str = "") -> str:
    return (
        "version: 1\n"
        f"models:\n  {MODEL}:\n    artifacts: [models/{MODEL}.txt]\n    benchmarks: [{BENCHMARK}]\n"
        f"benchmarks:\n  {BENCHMARK}:\n"
        '    run: "{python} bench.py --model {model} --output {output} --shard {shard} --shards {shards}"\n'
        "    inputs: [bench.py, data.jsonl]\n"
        f"    shards: {shards}\n"
        f"{extra}"
        "metrics:\n  accuracy: {direction: higher, min_effect: 0.01}\n"
    )


def write_project(root: Path, *, shards: int = 1, quality: str = GOOD, baseline: bool = True) -> Path:
    """The project under `root`, with a baseline of the good model under .gatebot/baselines."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "bench.py").write_text(BENCH)
    rows = [
        {
            "id": f"q{i:04d}",
            "difficulty": round((i * 37 % EXAMPLES) / EXAMPLES, 4),
            "lang": ["en", "es"][i % 2],
        }
        for i in range(EXAMPLES)
    ]
    (root / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "models").mkdir(exist_ok=True)
    (root / "models" / f"{MODEL}.txt").write_text(f"{GOOD}\n")
    (root / ".gatebot.yml").write_text(config_text(shards=shards))
    if baseline:
        target = root / ".gatebot" / "baselines" / MODEL / f"{BENCHMARK}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "bench.py", "--model", MODEL, "--output", str(target)], cwd=root, check=True
        )
        (root / "runs.log").unlink()
    set_quality(root, quality)
    return root


def set_quality(root: Path, quality: str) -> None:
    (root / "models" / f"{MODEL}.txt").write_text(f"{quality}\n")


def runs(root: Path) -> list[str]:
    """The lines the benchmark wrote, one per run (`root` is the project, or the GATEBOT_RUNS_LOG file)."""
    log = root if root.suffix == ".log" else root / "runs.log"
    return log.read_text().splitlines() if log.exists() else []


def git(cwd: Path, *args: str) -> str:
    """`git` in `cwd` with a committer identity of its own (a fresh machine has none); its output."""
    done = subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()
