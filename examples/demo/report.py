"""Compare two results files of the tickets benchmark, overall and per slice.

    python report.py BASELINE.json CANDIDATE.json

Prints a Markdown table: accuracy and mean nll of both models per slice, and for
accuracy the paired counts b (baseline right, candidate wrong) and c (baseline
wrong, candidate right) with the exact one-sided McNemar p-value for a
regression, P(X >= b) for X ~ Binomial(b + c, 1/2).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

SLICE_KEYS = ("language", "category", "channel")


def regression_p(b: int, c: int) -> float:
    n = b + c
    if n == 0:
        return 1.0
    return sum(math.comb(n, k) for k in range(b, n + 1)) / 2**n


def load(path: str) -> dict[str, dict]:
    results = json.loads(Path(path).read_text(encoding="utf-8"))
    return {e["id"]: e for e in results["examples"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline")
    parser.add_argument("candidate")
    args = parser.parse_args()
    base, cand = load(args.baseline), load(args.candidate)
    if base.keys() != cand.keys():
        raise SystemExit("report.py: the two files score different examples")

    groups: list[tuple[str, list[str]]] = [("overall", sorted(base))]
    for key in SLICE_KEYS:
        for value in sorted({e["slices"][key] for e in base.values()}):
            groups.append((f"{key}={value}", sorted(i for i, e in base.items() if e["slices"][key] == value)))

    columns = ["slice", "n", "accuracy baseline", "accuracy candidate", "change", "b", "c"]
    columns += ["p (regression)", "nll baseline", "nll candidate"]
    print("| " + " | ".join(columns) + " |")
    print("|---|" + "--:|" * (len(columns) - 1))
    for name, ids in groups:
        acc_b = [base[i]["scores"]["accuracy"] for i in ids]
        acc_c = [cand[i]["scores"]["accuracy"] for i in ids]
        b = sum(1 for x, y in zip(acc_b, acc_c, strict=True) if x > y)
        c = sum(1 for x, y in zip(acc_b, acc_c, strict=True) if x < y)
        mean_b, mean_c = sum(acc_b) / len(ids), sum(acc_c) / len(ids)
        nll_b = sum(base[i]["scores"]["nll"] for i in ids) / len(ids)
        nll_c = sum(cand[i]["scores"]["nll"] for i in ids) / len(ids)
        print(
            f"| {name} | {len(ids)} | {mean_b:.3f} | {mean_c:.3f} | {100 * (mean_c - mean_b):+.1f} pts "
            f"| {b} | {c} | {regression_p(b, c):.2g} | {nll_b:.3f} | {nll_c:.3f} |"
        )


if __name__ == "__main__":
    main()
