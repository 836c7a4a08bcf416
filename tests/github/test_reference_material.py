"""tests/reference/ is complete and unchanged: every file is listed in SHA256SUMS and matches it."""

from __future__ import annotations

import hashlib

from tests.fakegithub.spec import REFERENCE_DIR

SUMS = REFERENCE_DIR / "SHA256SUMS"
NOT_SUMMED = {"README.md", "SHA256SUMS"}


def listed() -> dict[str, str]:
    entries = {}
    for line in SUMS.read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        entries[name] = digest
    return entries


def test_reference_files__sha256sums__all_match() -> None:
    mismatched = [
        name
        for name, digest in listed().items()
        if hashlib.sha256((REFERENCE_DIR / name).read_bytes()).hexdigest() != digest
    ]

    assert mismatched == []


def test_reference_files__every_file__listed_in_sha256sums() -> None:
    present = {
        path.relative_to(REFERENCE_DIR).as_posix()
        for path in REFERENCE_DIR.rglob("*")
        if path.is_file() and path.name not in NOT_SUMMED
    }

    assert present == set(listed())
