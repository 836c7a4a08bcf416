"""`python -m gatebot` runs the CLI; importing `gatebot.__main__` runs nothing."""

from __future__ import annotations

import importlib


def test_import__runs_nothing(capsys) -> None:
    module = importlib.import_module("gatebot.__main__")
    assert module.main.__module__ == "gatebot.cli"
    assert capsys.readouterr() == ("", "")
