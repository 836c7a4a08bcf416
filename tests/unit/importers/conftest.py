"""Where the harness output files live: `reference/` (copied from the tools' repositories) and
`generated/` (written by the tools themselves); see tests/fixtures/formats/README.md."""

from __future__ import annotations

from pathlib import Path

import pytest

FORMATS = Path(__file__).resolve().parents[2] / "fixtures" / "formats"


@pytest.fixture
def reference() -> Path:
    return FORMATS / "reference"


@pytest.fixture
def generated() -> Path:
    return FORMATS / "generated"
