"""Regenerate the CLI reference in README.md from `gatebot --help`, or check that it is current.

python tools/cli_reference.py          # rewrite the section
python tools/cli_reference.py --check  # exit 1 if the README is stale
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from gatebot.cli import build_parser

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- cli-reference:start -->", "<!-- cli-reference:end -->"


def _help_texts() -> list[tuple[str, str]]:
    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal: fix the width
    parser = build_parser()
    texts = [("gatebot", parser.format_help())]
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subparsers.choices.items():
        texts.append((f"gatebot {name}", sub.format_help()))
        nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
        for action in nested:
            for inner_name, inner in action.choices.items():
                texts.append((f"gatebot {name} {inner_name}", inner.format_help()))
    return texts


def render() -> str:
    parts = [START]
    for title, text in _help_texts():
        parts.append(f"\n### `{title}`\n\n```text\n{text.rstrip()}\n```\n")
    parts.append(END)
    return "\n".join(parts)


def main() -> int:
    check = "--check" in sys.argv[1:]
    readme = README.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(readme):
        print(f"{README}: no {START} … {END} section", file=sys.stderr)
        return 1
    updated = pattern.sub(lambda _: render(), readme)
    if check:
        if updated != readme:
            print("README.md's CLI reference is stale: run python tools/cli_reference.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
