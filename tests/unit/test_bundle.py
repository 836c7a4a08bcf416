"""The fork bundle: parsed field by field, hostile fields refused, read from an artifact zip."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from gatebot.bundle import Bundle, bundle_from_zip, parse_bundle
from gatebot.errors import InputError
from gatebot.verdict import report_document
from tests.factories import sliced_report


def _bundle_json(**changes: object) -> bytes:
    doc = {
        "schema": "gatebot/bundle@1",
        "repository": "o/r",
        "pull_request": 2,
        "head_sha": "a" * 40,
        "gate_id": "default",
        "check_name": "gatebot",
        "verdict": report_document(sliced_report()),
    }
    doc.update(changes)
    return json.dumps(doc).encode()


def test_bundle__valid__parsed() -> None:
    bundle = parse_bundle(_bundle_json(), where="b")
    assert isinstance(bundle, Bundle) and bundle.pull_request == 2


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [({"head_sha": "HEAD"}, "head_sha"), ({"repository": "../x"}, "repository"), ({"extra": 1}, "extra")],
)
def test_bundle__hostile_fields__rejected(changes: dict, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        parse_bundle(_bundle_json(**changes), where="b")


def test_bundle_from_zip__missing_file__input_error() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("other.json", "{}")
    with pytest.raises(InputError, match=r"has no gatebot-bundle\.json"):
        bundle_from_zip(buffer.getvalue(), where="artifact")
