"""The `gatebot/verdict@1` document: written and read back, and refused when tampered with."""

from __future__ import annotations

import json

import pytest

from gatebot.errors import InputError
from gatebot.report import render_markdown
from gatebot.verdict import report_document, report_from_document
from tests.factories import sliced_report


def test_verdict_document__round_trip__renders_identically() -> None:
    report = sliced_report()
    document = json.loads(json.dumps(report_document(report)))
    again = report_from_document(document, where="t")
    assert render_markdown(again) == render_markdown(report)


def test_verdict_document__tampered__input_error() -> None:
    document = report_document(sliced_report())
    document["metrics"][0]["status"] = "owned"
    with pytest.raises(InputError, match=r"verdict metrics\.0\.status"):
        report_from_document(document, where="t")
