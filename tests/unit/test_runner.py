"""The model digest over artifact files: symlinks count by their target's path text, never followed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from gatebot.runner import artifact_digest

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="symlinks and FIFOs")


def _repo(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "repo"
    (root / "models").mkdir(parents=True)
    (root / "models" / "weights.bin").write_bytes(b"\x00\x01")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("one")
    return root, outside


def test_regular_files__digest_follows_names_and_contents(tmp_path: Path) -> None:
    root, _ = _repo(tmp_path)
    first = artifact_digest(root, ["models/**"])
    assert first is not None and first.startswith("sha256:")
    (root / "models" / "weights.bin").write_bytes(b"\x00\x02")
    assert artifact_digest(root, ["models/**"]) != first
    assert artifact_digest(root, ["nothing/**"]) is None


@posix_only
def test_symlink_out_of_the_repository__target_never_read(tmp_path: Path) -> None:
    root, outside = _repo(tmp_path)
    (root / "models" / "link.txt").symlink_to(outside / "secret.txt")
    (root / "models" / "dir").symlink_to(outside, target_is_directory=True)
    first = artifact_digest(root, ["models/**"])
    (outside / "secret.txt").write_text("two")  # what the link points at changes
    (outside / "more.txt").write_text("three")  # and the linked directory gains a file
    assert artifact_digest(root, ["models/**"]) == first
    (root / "models" / "link.txt").unlink()
    (root / "models" / "link.txt").symlink_to(outside / "more.txt")  # where it points changes
    assert artifact_digest(root, ["models/**"]) != first


@posix_only
def test_symlink_to_a_device_and_a_fifo__digest_returns(tmp_path: Path) -> None:
    root, _ = _repo(tmp_path)
    (root / "models" / "zero").symlink_to("/dev/zero")
    os.mkfifo(root / "models" / "pipe")
    assert artifact_digest(root, ["models/**"]) is not None
