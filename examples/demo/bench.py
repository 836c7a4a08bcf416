"""The `tickets` benchmark: score a ticket-router model on the held-out tickets.

    python bench.py --weights models/ticket-router.npz --model ticket-router --output OUT.json

Writes a gatebot/results@1 file with one entry per held-out ticket:

  accuracy   1.0 if the predicted category is the true one, else 0.0 (per example)
  nll        negative log-likelihood of the true category (per example, lower is better)
  macro_f1   unweighted mean of the per-category F1 scores (aggregate only)

and the slices category (the true label), language and channel.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from router import Model, SparseBatch, read_jsonl

HERE = Path(__file__).resolve().parent
SCHEMA = "gatebot/results@1"
TOOL = "examples/demo/bench.py"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def sha256_file(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def macro_f1(truth: list[int], pred: list[int], n_classes: int) -> float:
    scores = []
    for c in range(n_classes):
        tp = sum(1 for t, p in zip(truth, pred, strict=True) if t == c and p == c)
        fp = sum(1 for t, p in zip(truth, pred, strict=True) if t != c and p == c)
        fn = sum(1 for t, p in zip(truth, pred, strict=True) if t == c and p != c)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return sum(scores) / n_classes


def created_at(value: str | None) -> str:
    if value is None:
        return datetime.now(timezone.utc).strftime(TIME_FORMAT)
    datetime.strptime(value, TIME_FORMAT)  # raises ValueError on anything else
    return value


def score(model: Model, rows: list[dict[str, str]]) -> tuple[list[dict], dict[str, float]]:
    index = {label: i for i, label in enumerate(model.labels)}
    unknown = sorted({r["label"] for r in rows} - index.keys())
    if unknown:
        raise SystemExit(f"bench.py: labels not known to the model: {', '.join(unknown)}")
    ids = [r["id"] for r in rows]
    if len(set(ids)) != len(ids):
        raise SystemExit("bench.py: example ids are not unique")

    logp = model.log_proba(SparseBatch.from_texts([r["text"] for r in rows], model.n_features))
    truth = [index[r["label"]] for r in rows]
    pred = [int(i) for i in np.argmax(logp, axis=1)]
    examples = []
    for row, t, p, lp in zip(rows, truth, pred, logp, strict=True):
        examples.append(
            {
                "id": row["id"],
                "scores": {"accuracy": 1.0 if p == t else 0.0, "nll": round(float(-lp[t]), 6)},
                "slices": {"category": row["label"], "language": row["language"], "channel": row["channel"]},
            }
        )
    n = len(examples)
    metrics = {
        "accuracy": round(sum(e["scores"]["accuracy"] for e in examples) / n, 6),
        "nll": round(sum(e["scores"]["nll"] for e in examples) / n, 6),
        "macro_f1": round(macro_f1(truth, pred, len(model.labels)), 6),
    }
    return examples, metrics


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file next to `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score a ticket-router model on the held-out tickets.")
    parser.add_argument("--weights", required=True, help="model file (.npz) written by train.py")
    parser.add_argument("--model", required=True, help="model name recorded in the results")
    parser.add_argument("--output", required=True, help="where to write the gatebot/results@1 JSON")
    parser.add_argument("--data", default=str(HERE / "data" / "heldout.jsonl"), help="held-out JSON Lines")
    parser.add_argument("--benchmark", default="tickets", help="benchmark name recorded in the results")
    parser.add_argument(
        "--created-at", help=f"timestamp for provenance.created_at ({TIME_FORMAT}); default: now (UTC)"
    )
    args = parser.parse_args(argv)

    weights, data = Path(args.weights), Path(args.data)
    stamp = created_at(args.created_at)
    rows = read_jsonl(data)
    if not rows:
        raise SystemExit(f"bench.py: no examples in {data}")
    examples, metrics = score(Model.load(weights), rows)

    results = {
        "schema": SCHEMA,
        "benchmark": args.benchmark,
        "model": args.model,
        "metrics": metrics,
        "examples": examples,
        "provenance": {
            "dataset_digest": sha256_file(data),
            "model_digest": sha256_file(weights),
            "created_at": stamp,
            "tool": TOOL,
        },
    }
    text = json.dumps(results, indent=None, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    write_atomic(Path(args.output), text + "\n")
    print(
        f"scored {len(examples)} examples: accuracy {metrics['accuracy']:.4f}, "
        f"nll {metrics['nll']:.4f}, macro_f1 {metrics['macro_f1']:.4f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
