"""Train the two ticket-router models of the gatebot demo.

  models/base.npz           multinomial logistic regression trained on data/train_general.jsonl
  models/ticket-router.npz  the fine-tune: starts from the base weights and keeps training,
                            with the same recipe, on data/train_finetune.jsonl (English and
                            German tickets, half of them about products launched since the
                            base model, plus some French; no Spanish)

Minibatch SGD with L2 weight decay, in pure numpy, with a fixed seed for the batch
order, so the same data gives the same weights.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np
from router import N_FEATURES, Model, SparseBatch, log_softmax, read_jsonl

HERE = Path(__file__).resolve().parent
LABELS = ["billing", "refund", "login", "shipping", "bug", "cancellation"]

BASE = {"epochs": 30, "lr": 1.0, "l2": 1e-3, "seed": 1}
FINETUNE = {"epochs": 30, "lr": 1.0, "l2": 1e-3, "seed": 2}
BATCH_SIZE = 32


def fit(
    model: Model,
    rows: list[dict[str, str]],
    batch: SparseBatch,
    *,
    epochs: int,
    lr: float,
    l2: float,
    seed: int,
) -> Model:
    """Minibatch SGD on the softmax cross-entropy, with decoupled L2 weight decay.

    The minibatches are fixed blocks of consecutive rows (the data files are already
    shuffled); only the order of the blocks changes between epochs, drawn from a
    seeded generator.
    """
    index = {label: i for i, label in enumerate(model.labels)}
    y = np.array([index[r["label"]] for r in rows])
    n, n_classes = len(rows), len(model.labels)
    starts = np.searchsorted(batch.rows, np.arange(n + 1))
    if np.any(np.diff(starts) == 0):
        raise ValueError("every training ticket needs at least one feature")

    w = model.weights.astype(np.float64)
    b = model.bias.astype(np.float64)
    blocks = list(range(0, n, BATCH_SIZE))
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(blocks)
        for lo in blocks:
            hi = min(lo + BATCH_SIZE, n)
            nz = slice(starts[lo], starts[hi])
            cols, vals = batch.cols[nz], batch.vals[nz]
            logits = np.add.reduceat(w[cols] * vals[:, None], starts[lo:hi] - starts[lo], axis=0) + b
            g = np.exp(log_softmax(logits))
            g[np.arange(hi - lo), y[lo:hi]] -= 1.0
            g /= hi - lo
            step = -lr * g[batch.rows[nz] - lo] * vals[:, None]
            w *= 1.0 - lr * l2
            for c in range(n_classes):
                w[:, c] += np.bincount(cols, weights=step[:, c], minlength=model.n_features)
            b -= lr * g.sum(axis=0)
    return Model(model.labels, w.astype(np.float32), b.astype(np.float32))


def mean_nll(model: Model, rows: list[dict[str, str]], batch: SparseBatch) -> float:
    y = np.array([model.labels.index(r["label"]) for r in rows])
    return float(-model.log_proba(batch)[np.arange(len(rows)), y].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(HERE / "data"))
    parser.add_argument("--out", default=str(HERE / "models"))
    args = parser.parse_args()
    data, out = Path(args.data), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    empty = Model(LABELS, np.zeros((N_FEATURES, len(LABELS)), np.float32), np.zeros(len(LABELS), np.float32))
    general = read_jsonl(data / "train_general.jsonl")
    general_x = SparseBatch.from_texts([r["text"] for r in general])
    base = fit(empty, general, general_x, **BASE)
    base.save(out / "base.npz")
    print(f"base: train nll {mean_nll(base, general, general_x):.4f} -> {out / 'base.npz'}")

    finetune = read_jsonl(data / "train_finetune.jsonl")
    finetune_x = SparseBatch.from_texts([r["text"] for r in finetune])
    tuned = fit(Model.load(out / "base.npz"), finetune, finetune_x, **FINETUNE)
    tuned.save(out / "ticket-router.npz")
    print(f"fine-tune: train nll {mean_nll(tuned, finetune, finetune_x):.4f} -> {out / 'ticket-router.npz'}")


if __name__ == "__main__":
    main()
