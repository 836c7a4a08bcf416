#!/usr/bin/env bash
# Rebuild everything the gatebot demo ships with: the ticket data, both models and
# the stored baseline (the base model's results, which is what main had before the
# pull request swapped in the fine-tune). Deterministic: running it twice gives
# byte-identical files.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
PYTHON="${PYTHON:-python3}"
BASELINE=.gatebot/baselines/ticket-router/tickets.json

"$PYTHON" make_data.py
"$PYTHON" train.py
"$PYTHON" bench.py --weights models/base.npz --model ticket-router \
  --output "$BASELINE" --created-at 2026-11-01T00:00:00Z

# Score the fine-tune too (into a scratch file) and print the comparison.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
"$PYTHON" bench.py --weights models/ticket-router.npz --model ticket-router \
  --output "$scratch/tickets.json" --created-at 2026-11-01T00:00:00Z
echo
"$PYTHON" report.py "$BASELINE" "$scratch/tickets.json"
