"""Write `requirements/action.txt` and `installer.txt`: what the action installs, with every wheel's SHA-256.

The action installs with `--require-hashes --only-binary :all:`, so a wheel whose bytes differ from the
ones listed here is refused, whatever index or cache serves it. `action.txt` holds gatebot's runtime
dependencies; `installer.txt` holds uv, which the runner's pip installs first and which then installs
`action.txt`. The pins themselves live in the `.in` file beside each (one `name==version[; marker]` a
line); this script asks the package index's JSON simple API (PEP 691) for the files of each pinned
version and lists the hash of every wheel, for every platform and Python the index has; for the
installer, one wheel a Linux machine by its URL, so that pip needs no index page to find it.

    python tools/pin_action_requirements.py           # rewrite both files
    python tools/pin_action_requirements.py --check   # exit 1 when one differs from what the index says
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements"
INDEX = "https://pypi.org/simple"
LINUX_MACHINES = ("x86_64", "aarch64")
"""The machines of Linux runners the installer is pinned for; elsewhere the action installs with pip."""
FILES = {
    "action": """\
# What action.yml installs into its own fresh virtual environment: gatebot's runtime dependencies,
# pinned (transitive ones included) with the hash of every wheel, installed with --require-hashes.
# Generated from requirements/action.in by tools/pin_action_requirements.py: do not edit by hand.
""",
    "installer": """\
# What action.yml installs first, into a folder of its own that is removed after use: uv, which then
# installs requirements/action.txt (with --require-hashes) into gatebot's virtual environment. Each
# line is one wheel, by URL and hash, for one Linux machine; on any other, pip installs action.txt.
# Generated from requirements/installer.in by tools/pin_action_requirements.py: do not edit by hand.
""",
}
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)==(?P<version>[^\s;]+)\s*(?:;\s*(?P<marker>.+))?$")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _wheel_of(filename: str) -> tuple[str, str]:
    """(normalised project name, version) of a wheel file name (PEP 427: name-version-...)."""
    name, version = filename.split("-")[:2]
    return _normalise(name), version


def _wheels(name: str, version: str) -> list[tuple[str, str, str]]:
    """(file name, URL, sha256) of every wheel the index lists for name==version."""
    url = f"{INDEX}/{_normalise(name)}/"  # a fixed https URL
    request = urllib.request.Request(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        files = json.load(response)["files"]
    wheels = sorted(
        (f["filename"], f["url"], f["hashes"]["sha256"])
        for f in files
        if f["filename"].endswith(".whl") and _wheel_of(f["filename"]) == (_normalise(name), version)
    )
    if not wheels:
        raise SystemExit(f"{name}=={version}: the index lists no wheel for this version")
    return wheels


def _direct(name: str, version: str) -> list[str]:
    """One direct reference for each Linux machine, to the manylinux wheel needing the oldest glibc: pip then
    fetches that file, checks its hash and its tags, and never reads the project's index page (for
    uv, megabytes listing every release)."""
    lines = []
    for machine in LINUX_MACHINES:
        found = [
            (tuple(map(int, m.groups())), url, sha)
            for filename, url, sha in _wheels(name, version)
            if (m := re.search(rf"-manylinux_(\d+)_(\d+)_{machine}\b", filename))
        ]
        if not found:
            raise SystemExit(f"{name}=={version}: the index lists no manylinux wheel for {machine}")
        _, url, sha = min(found)
        marker = f'sys_platform == "linux" and platform_machine == "{machine}"'
        lines.append(f"{name} @ {url} ; {marker} \\\n    --hash=sha256:{sha}")
    return lines


def render(pins: Path, header: str, *, direct: bool) -> str:
    lines = [header]
    for raw in pins.read_text(encoding="utf-8").splitlines():
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        match = _PIN.match(text)
        if match is None:
            raise SystemExit(f"{pins.name}: {raw!r} is not name==version[; marker]")
        name, version, marker = match["name"], match["version"], match["marker"]
        if direct:
            lines.extend(_direct(name, version))
            continue
        head = f"{name}=={version}" + (f"; {marker}" if marker else "")
        hashes = sorted(sha for _, _, sha in _wheels(name, version))
        lines.append(" \\\n".join([head, *(f"    --hash=sha256:{h}" for h in hashes)]))
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    stale = 0
    for stem, header in FILES.items():
        output = REQUIREMENTS / f"{stem}.txt"
        text = render(REQUIREMENTS / f"{stem}.in", header, direct=stem == "installer")
        if not args.check:
            output.write_text(text, encoding="utf-8")
            print(f"wrote {output.relative_to(ROOT)}")
        elif output.read_text(encoding="utf-8") != text:
            print(f"{output.relative_to(ROOT)} is out of date: run {Path(__file__).name}", file=sys.stderr)
            stale = 1
    return stale


if __name__ == "__main__":
    raise SystemExit(main())
