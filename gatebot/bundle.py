"""The report bundle of a fork's pull request: written by the read-only job, published by a trusted one.

`gatebot/bundle@1` carries the JSON verdict and where to publish it. The publishing job never runs the
pull request's code; it treats the bundle as hostile input: validated field by field, checked against
the `workflow_run` event GitHub sent, and rendered again through gatebot's own escaping report.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gatebot.config import Name
from gatebot.errors import InputError, validation_problem
from gatebot.jsonlimits import check_depth, depth_error

BUNDLE_SCHEMA = "gatebot/bundle@1"
BUNDLE_FILE = "gatebot-bundle.json"
ARTIFACT_NAME = "gatebot-bundle"
MAX_BUNDLE_BYTES = 50 * 1024 * 1024


class Bundle(BaseModel):
    """What a fork's job hands to the publisher."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_: Literal["gatebot/bundle@1"] = Field(default="gatebot/bundle@1", alias="schema")
    repository: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9_.-]+$", description="owner/name of the base repo"
    )
    pull_request: int = Field(gt=0)
    head_sha: str = Field(pattern=r"^[0-9a-f]{40}$")
    gate_id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    check_name: str = Field(min_length=1, max_length=100)
    nothing_to_gate: bool = False
    """The pull request changed no model: the publisher sets a neutral check."""
    needs_approval: tuple[Name, ...] = Field(default=(), max_length=200)
    """Benchmarks that need secrets a fork's run does not get: nothing ran, and the publisher asks for a
    maintainer's `/gatebot run` (a check that does not pass)."""
    verdict: dict[str, Any]


def write_bundle(bundle: Bundle, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(bundle.model_dump(by_alias=True), ensure_ascii=False) + "\n", encoding="utf-8")


def parse_bundle(data: bytes, *, where: str) -> Bundle:
    if len(data) > MAX_BUNDLE_BYTES:
        raise InputError(
            f"{where}: the bundle is larger than {MAX_BUNDLE_BYTES} bytes", "not a gatebot bundle"
        )
    check_depth(data, where=where)
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{where}: the bundle is not JSON ({error})", "was it written by gatebot?") from None
    except RecursionError:
        raise depth_error(data, where=where) from None
    try:
        return Bundle.model_validate(document)
    except ValidationError as error:
        path, message = validation_problem(error)
        raise InputError(f"{where}: {path}: {message}", f"expected a {BUNDLE_SCHEMA} file") from None


def read_bundle(path: Path) -> Bundle:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read the bundle: {error.strerror}", "check the path") from None
    return parse_bundle(data, where=str(path))


def bundle_from_zip(archive: bytes, *, where: str) -> Bundle:
    """The bundle inside an Actions artifact zip (as the artifact download API returns it)."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            info = zipped.getinfo(BUNDLE_FILE)
            if info.file_size > MAX_BUNDLE_BYTES:
                raise InputError(f"{where}: {BUNDLE_FILE} is too large", "not a gatebot bundle")
            data = zipped.read(info)
    except KeyError:
        raise InputError(
            f"{where}: the artifact has no {BUNDLE_FILE}", "upload the file the action wrote"
        ) from None
    except zipfile.BadZipFile:
        raise InputError(f"{where}: the artifact is not a zip archive", "download it again") from None
    return parse_bundle(data, where=f"{where}:{BUNDLE_FILE}")
