"""The ticket-router model: hashed text features and a linear softmax classifier.

Shared by train.py (fitting) and bench.py (scoring). Pure numpy and stdlib.

Features are word unigrams, word bigrams and character 3-/4-grams of each word,
hashed with CRC32 into a fixed number of buckets. Each example is a sparse
vector of log(1 + count) values, scaled to unit length.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

N_FEATURES = 1 << 13
CHAR_NGRAMS = (3, 4)
_TOKEN_RE = re.compile(r"[^\W_]+|[!?]")


def read_jsonl(path: str | Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _feature_strings(text: str) -> list[str]:
    toks = _TOKEN_RE.findall(text.lower())
    feats = ["w:" + t for t in toks]
    feats += [f"b:{a} {b}" for a, b in itertools.pairwise(toks)]
    for t in toks:
        if len(t) < 2:
            continue
        padded = f"<{t}>"
        for n in CHAR_NGRAMS:
            feats += ["c:" + padded[i : i + n] for i in range(len(padded) - n + 1)]
    return feats


def featurize(text: str, n_features: int = N_FEATURES) -> tuple[np.ndarray, np.ndarray]:
    """Return (bucket indices, values) of one text, indices sorted ascending."""
    counts = Counter(zlib.crc32(f.encode("utf-8")) % n_features for f in _feature_strings(text))
    idx = np.array(sorted(counts), dtype=np.int64)
    val = np.log1p(np.array([counts[i] for i in idx], dtype=np.float64))
    norm = float(np.sqrt(np.sum(val * val)))
    if norm > 0:
        val /= norm
    return idx, val


@dataclass
class SparseBatch:
    """A batch of examples as flat (row, column, value) triples."""

    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    n_rows: int

    @classmethod
    def from_texts(cls, texts: list[str], n_features: int = N_FEATURES) -> SparseBatch:
        rows, cols, vals = [], [], []
        for r, text in enumerate(texts):
            idx, val = featurize(text, n_features)
            rows.append(np.full(idx.shape, r, dtype=np.int64))
            cols.append(idx)
            vals.append(val)
        return cls(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), len(texts))

    def matmul(self, weights: np.ndarray) -> np.ndarray:
        """X @ W for W of shape (n_features, n_classes)."""
        out = np.empty((self.n_rows, weights.shape[1]), dtype=np.float64)
        for c in range(weights.shape[1]):
            w = weights[self.cols, c].astype(np.float64) * self.vals
            out[:, c] = np.bincount(self.rows, weights=w, minlength=self.n_rows)
        return out


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@dataclass
class Model:
    labels: list[str]
    weights: np.ndarray  # (n_features, n_classes)
    bias: np.ndarray  # (n_classes,)

    @property
    def n_features(self) -> int:
        return int(self.weights.shape[0])

    def log_proba(self, batch: SparseBatch) -> np.ndarray:
        return log_softmax(batch.matmul(self.weights) + self.bias.astype(np.float64))

    def save(self, path: str | Path) -> None:
        """Write an .npz archive with fixed zip timestamps, so equal weights give equal bytes."""
        arrays = {
            "labels": np.array(self.labels, dtype="<U16"),
            "weights": self.weights.astype(np.float32),
            "bias": self.bias.astype(np.float32),
        }
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, arr in arrays.items():
                member = io.BytesIO()
                np.lib.format.write_array(member, arr, allow_pickle=False)
                info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, member.getvalue())
        Path(path).write_bytes(buf.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> Model:
        with np.load(path, allow_pickle=False) as npz:
            return cls([str(x) for x in npz["labels"]], npz["weights"], npz["bias"])
