"""Pure pieces of the action: event routing, glob matching, workflow commands, bundles, fitting."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from gatebot.bundle import Bundle, bundle_from_zip, parse_bundle
from gatebot.compare import compare
from gatebot.config import parse_config
from gatebot.errors import InputError
from gatebot.events import Activity, find_activity
from gatebot.plan import affected_models, matches, models_to_record
from gatebot.report import RenderOptions, fit_markdown, render_markdown
from gatebot.verdict import GateReport, report_document, report_from_document
from gatebot.workflow import Workflow, escape_data, escape_property
from tests.factories import flipped, make_results

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "events"


def _event(name: str) -> dict:
    return json.loads((REFERENCE / name).read_text())


def test_pull_request_opened__gate_with_head_and_base() -> None:
    plan = find_activity("pull_request", _event("pull_request.opened.json"), sha="x", ref="y")
    assert plan.activity is Activity.GATE_PULL_REQUEST
    assert plan.pull_request is not None
    assert plan.pull_request.number == 2
    assert plan.pull_request.head_sha == "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
    assert not plan.pull_request.from_fork


def test_pull_request_labeled__ignored() -> None:
    plan = find_activity("pull_request", _event("pull_request.labeled.json"), sha="x", ref="y")
    assert plan.activity is Activity.IGNORE


def test_pull_request_target__refused_with_the_safe_alternative() -> None:
    plan = find_activity("pull_request_target", _event("pull_request.opened.json"), sha="x", ref="y")
    assert plan.activity is Activity.UNSUPPORTED
    assert "workflow_run" in plan.reason


def test_push_deleting_a_tag__ignored() -> None:
    plan = find_activity("push", _event("push.json"), sha="x", ref="y")
    assert plan.activity is Activity.IGNORE


def test_push_to_default_branch__record_with_changed_files() -> None:
    plan = find_activity("push", _event("push.with-new-branch.json"), sha="x", ref="y")
    assert plan.activity is Activity.RECORD
    assert plan.push is not None and plan.push.complete
    assert plan.push.sha == _event("push.with-new-branch.json")["after"]


def test_check_run_event__unsupported_with_message() -> None:
    plan = find_activity("check_run", _event("check_run.rerequested.json"), sha="x", ref="y")
    assert plan.activity is Activity.UNSUPPORTED
    assert "'check_run'" in plan.reason


def test_models_to_record__artifacts_inputs_config() -> None:
    config = parse_config(
        {
            "models": {
                "a": {"artifacts": ["a/*"], "benchmarks": ["b1"]},
                "c": {"artifacts": ["c/*"], "benchmarks": ["b2"]},
            },
            "benchmarks": {"b1": {"run": "x"}, "b2": {"run": "x", "inputs": ["data/**"]}},
        },
        where="t",
    )
    assert models_to_record(config, ["a/w.bin"], complete=True) == ["a"]
    assert models_to_record(config, ["data/set/x.jsonl"], complete=True) == ["c"]
    assert models_to_record(config, [".gatebot.yml"], complete=True, config_path=".gatebot.yml") == ["a", "c"]
    assert models_to_record(config, ["README.md"], complete=False) == ["a", "c"]


@pytest.mark.parametrize(
    ("path", "patterns", "expected"),
    [
        ("models/a.npz", ["models/*.npz"], True),
        ("models/sub/a.npz", ["models/*.npz"], False),
        ("models/sub/a.npz", ["models/**/*.npz"], True),
        ("models/a.npz", ["models/**/*.npz"], True),
        ("prompts/router/v2.txt", ["prompts/router/**"], True),
        ("README.md", ["models/**"], False),
    ],
)
def test_glob_matching(path: str, patterns: list[str], expected: bool) -> None:
    assert matches(path, patterns) is expected


def test_affected_models__config_in_subdirectory__prefix_stripped() -> None:
    config = parse_config({"models": {"m": {"artifacts": ["models/*.npz"]}}}, where="t")
    assert affected_models(config, ["ml/models/x.npz"], prefix="ml/") == ["m"]
    assert affected_models(config, ["models/x.npz"], prefix="ml/") == []


def test_workflow_commands__escaped() -> None:
    assert escape_data("50%\nnext") == "50%25%0Anext"
    assert escape_property("a:b,c") == "a%3Ab%2Cc"
    stream = io.StringIO()
    Workflow(active=True, stream=stream).error("line1\nline2", title="gate:1")
    assert stream.getvalue() == "::error title=gate%3A1::line1%0Aline2\n"


def test_set_output__multiline_value_with_random_delimiter(tmp_path: Path) -> None:
    out = tmp_path / "out"
    Workflow(active=True, output_file=out).set_output("report", "a\nEOF\nb")
    text = out.read_text()
    delimiter = text.splitlines()[0].split("<<", 1)[1]
    assert delimiter.startswith("gatebot_") and len(delimiter) > 20
    assert text == f"report<<{delimiter}\na\nEOF\nb\n{delimiter}\n"


def test_summary__over_one_mebibyte__fallback_written(tmp_path: Path) -> None:
    summary = tmp_path / "summary"
    wf = Workflow(active=True, summary_file=summary)
    assert wf.add_summary("x" * (2 * 1024 * 1024), fallback="too big") is False
    assert summary.read_text() == "too big\n"


def _report(n_slices: int = 4) -> GateReport:
    rng = np.random.default_rng(0)
    base = (rng.random(4000) < 0.8).astype(float)
    cand = flipped(base, worse=200, better=100, rng=rng)
    slices = {"s": [f"v{i % n_slices}" for i in range(4000)]}
    config = parse_config({"metrics": {"acc": {"direction": "higher"}}}, where="t")
    verdict = compare(
        make_results({"acc": base}, slices=slices), make_results({"acc": cand}, slices=slices), config
    )
    return GateReport((verdict,))


def test_verdict_document__round_trip__renders_identically() -> None:
    report = _report()
    document = json.loads(json.dumps(report_document(report)))
    again = report_from_document(document, where="t")
    assert render_markdown(again) == render_markdown(report)


def test_verdict_document__tampered__input_error() -> None:
    document = report_document(_report())
    document["metrics"][0]["status"] = "owned"
    with pytest.raises(InputError, match=r"verdict metrics\.0\.status"):
        report_from_document(document, where="t")


def test_fit_markdown__over_limit__cuts_details_and_says_so() -> None:
    report = _report(n_slices=60)
    full = render_markdown(report)
    fitted = fit_markdown(
        report, RenderOptions(full_report_hint="See the job summary."), limit=len(full) // 3
    )
    assert len(fitted) <= len(full) // 3
    assert "cut to fit" in fitted
    assert "See the job summary." in fitted
    assert fitted.startswith("### ❌ gatebot")


def _bundle_json(**changes: object) -> bytes:
    doc = {
        "schema": "gatebot/bundle@1",
        "repository": "o/r",
        "pull_request": 2,
        "head_sha": "a" * 40,
        "gate_id": "default",
        "check_name": "gatebot",
        "verdict": report_document(_report()),
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
