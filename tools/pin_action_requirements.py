"""Write `requirements/action.txt`: the action's pinned dependencies with the SHA-256 of every wheel.

The action installs with `pip install --require-hashes --only-binary :all:`, so a wheel whose bytes
differ from the ones listed here is refused, whatever index or cache serves it. The pins themselves
live in `requirements/action.in` (one `name==version[; marker]` a line); this script asks the package
index's JSON simple API (PEP 691) for the files of each pinned version and lists the hash of every
wheel, for every platform and Python the index has, so the file serves Linux, macOS and Windows runners.

    python tools/pin_action_requirements.py           # rewrite requirements/action.txt
    python tools/pin_action_requirements.py --check   # exit 1 when it differs from what the index says
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PINS = ROOT / "requirements" / "action.in"
OUTPUT = ROOT / "requirements" / "action.txt"
INDEX = "https://pypi.org/simple"
HEADER = """\
# What action.yml installs into its own fresh virtual environment: gatebot's runtime dependencies,
# pinned (transitive ones included) with the hash of every wheel, installed with --require-hashes.
# Generated from requirements/action.in by tools/pin_action_requirements.py: do not edit by hand.
"""
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)==(?P<version>[^\s;]+)\s*(?:;\s*(?P<marker>.+))?$")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _wheel_of(filename: str) -> tuple[str, str]:
    """(normalised project name, version) of a wheel file name (PEP 427: name-version-...)."""
    name, version = filename.split("-")[:2]
    return _normalise(name), version


def _wheel_hashes(name: str, version: str) -> list[str]:
    url = f"{INDEX}/{_normalise(name)}/"  # a fixed https URL
    request = urllib.request.Request(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        files = json.load(response)["files"]
    hashes = sorted(
        f["hashes"]["sha256"]
        for f in files
        if f["filename"].endswith(".whl") and _wheel_of(f["filename"]) == (_normalise(name), version)
    )
    if not hashes:
        raise SystemExit(f"{name}=={version}: the index lists no wheel for this version")
    return hashes


def render() -> str:
    lines = [HEADER]
    for raw in PINS.read_text(encoding="utf-8").splitlines():
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        match = _PIN.match(text)
        if match is None:
            raise SystemExit(f"{PINS.name}: {raw!r} is not name==version[; marker]")
        name, version, marker = match["name"], match["version"], match["marker"]
        head = f"{name}=={version}" + (f"; {marker}" if marker else "")
        hashes = _wheel_hashes(name, version)
        lines.append(" \\\n".join([head, *(f"    --hash=sha256:{h}" for h in hashes)]))
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    text = render()
    if args.check:
        if OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
