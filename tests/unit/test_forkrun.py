"""What a `/gatebot run` may use of a fork's pull request, and redacting the benchmarks' secrets."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from gatebot.activities.approved import RedactingLog, _redact_results
from gatebot.config import Config
from gatebot.errors import InputError
from gatebot.forkrun import ChangedFile, parse_secrets, redact, secret_values, vet_changes

CONFIG = Config.model_validate(
    {
        "models": {
            "router": {"artifacts": ["models/router.*"], "benchmarks": ["tickets"]},
            "other": {"artifacts": ["other/**"], "benchmarks": ["tickets"]},
        },
        "benchmarks": {"tickets": {"run": "python bench.py", "secrets": ["JUDGE_KEY"]}},
    }
)


def _vet(*files: ChangedFile, prefix: str = "", from_fork: bool = True, config: Config = CONFIG):  # type: ignore[no-untyped-def]
    return vet_changes(config, list(files), prefix=prefix, from_fork=from_fork)


def test_artifact_change__fetched__its_model_touched() -> None:
    vetted = _vet(ChangedFile("models/router.safetensors", "modified"))
    assert (vetted.models, vetted.fetch, vetted.problem) == (
        ("router",),
        ("models/router.safetensors",),
        None,
    )


def test_benchmark_or_data_change__refused_with_every_such_file_named() -> None:
    vetted = _vet(
        ChangedFile("models/router.safetensors", "modified"),
        ChangedFile("bench.py", "modified"),
        ChangedFile("data/heldout.jsonl", "added"),
    )
    assert vetted.refused == ("bench.py", "data/heldout.jsonl")
    assert vetted.problem is not None and "bench.py, data/heldout.jsonl" in vetted.problem


def test_rename_into_the_artifacts__the_old_name_outside__refused() -> None:
    vetted = _vet(ChangedFile("models/router.gguf", "renamed", previous_path="bench.py"))
    assert vetted.refused == ("bench.py",)


def test_removed_artifact__removed_not_fetched() -> None:
    vetted = _vet(ChangedFile("other/adapter.onnx", "removed"))
    assert (vetted.fetch, vetted.remove, vetted.models) == ((), ("other/adapter.onnx",), ("other",))


@pytest.mark.parametrize("name", ["router.pt", "router.PTH", "router.bin", "router.pkl", "router.joblib"])
def test_pickle_from_a_fork__refused_unless_allowed(name: str) -> None:
    change = ChangedFile(f"models/{name}", "added")
    vetted = _vet(change)
    assert vetted.pickled == (f"models/{name}",)
    assert vetted.problem is not None and "convert them to safetensors" in vetted.problem
    allowed = CONFIG.model_copy(
        update={"gate": CONFIG.gate.model_copy(update={"allow_pickle_from_forks": True})}
    )
    assert _vet(change, config=allowed).problem is None
    assert _vet(change, from_fork=False).problem is None


@pytest.mark.parametrize(
    "name", ["router.safetensors", "router.gguf", "router.onnx", "router.json", "router.txt"]
)
def test_data_formats_pass(name: str) -> None:
    assert _vet(ChangedFile(f"models/{name}", "added")).problem is None


def test_config_in_a_folder__paths_outside_it_refused() -> None:
    vetted = _vet(
        ChangedFile("ml/models/router.gguf", "modified"), ChangedFile("README.md", "modified"), prefix="ml/"
    )
    assert (vetted.fetch, vetted.refused) == (("ml/models/router.gguf",), ("README.md",))


def test_path_with_dot_dot__never_an_artifact() -> None:
    config = Config.model_validate({"models": {"m": {"artifacts": ["**"]}}})
    assert _vet(ChangedFile("a/../../etc/x", "added"), config=config).refused == ("a/../../etc/x",)


def test_no_artifact_changed__nothing_to_run() -> None:
    assert _vet().problem is not None and "nothing to run" in (_vet().problem or "")


def test_secrets_input__name_value_lines__empty_left_out__problem_never_shows_a_value() -> None:
    assert parse_secrets("JUDGE_KEY=abc=def\n\nHF_TOKEN=\n") == {"JUDGE_KEY": "abc=def"}
    with pytest.raises(InputError) as raised:
        parse_secrets("JUDGE_KEY=fine\nsk-not-a-line")
    assert "line 2" in raised.value.message and "sk-not" not in raised.value.message


KEY_FILE = '{\n  "type": "service_account",\n  "private_key": "-----BEGIN KEY-----\\nMIIEvQ\\n"\n}'


def test_secrets_input__a_block_of_several_lines__kept_whole__unclosed_named_without_the_value() -> None:
    text = f"JUDGE_KEY=abc\nGCP_KEY<<EOF\n{KEY_FILE}\nEOF\nEMPTY<<END\nEND\nLAST=z1"
    assert parse_secrets(text) == {"JUDGE_KEY": "abc", "GCP_KEY": KEY_FILE, "LAST": "z1"}
    with pytest.raises(InputError) as raised:
        parse_secrets(f"JUDGE_KEY=abc\nGCP_KEY<<EOF\n{KEY_FILE}\n")
    assert raised.value.message == (
        "input secrets: line 2 opens a value of several lines (NAME<<DELIMITER) that no line closes"
    )
    assert "service_account" not in raised.value.message + (raised.value.hint or "")
    assert parse_secrets("K<<E\r\nl1\u2028l2\x0cl3\r\nE\r\n") == {"K": "l1\u2028l2\x0cl3"}


def test_redact__a_value_of_several_lines__whole__each_line__and_as_json() -> None:
    values = secret_values({"GCP_KEY": KEY_FILE})
    document = {
        "log": f"loaded {KEY_FILE}",
        "line": 'key: "private_key": "-----BEGIN KEY-----\\nMIIEvQ\\n"',
        "json": json.dumps({"echo": KEY_FILE}),
    }
    redacted = json.dumps(redact(document, values))
    assert "service_account" not in redacted and "MIIEvQ" not in redacted
    assert redact(document, values)["log"] == "loaded ***"


def test_redact__every_string_of_a_document__longest_value_first() -> None:
    values = secret_values({"A": "secret-value", "B": "secret-value-longer", "C": "ab"})
    document = {"k secret-value": ["x secret-value-longer y", 3, {"n": None}], "short": "ab"}
    assert redact(document, values) == {"k ***": ["x *** y", 3, {"n": None}], "short": "ab"}


def test_redacting_log__value_split_across_writes__still_redacted() -> None:
    out = io.StringIO()
    log = RedactingLog(out, ("sk-123456",))
    log.write("key sk-12")
    log.write("3456 in use\nnext sk-")
    log.write("123456")
    log.close()
    assert out.getvalue() == "key *** in use\nnext ***"


def test_benchmark_declaring_the_job_token__refused() -> None:
    with pytest.raises(ValueError, match="the job's own token"):
        Config.model_validate({"benchmarks": {"b": {"run": "x", "secrets": ["GITHUB_TOKEN"]}}})


def test_results_left_in_the_output_folder__secret_values_redacted(tmp_path: Path) -> None:
    results = tmp_path / "router" / "tickets.json"
    results.parent.mkdir()
    results.write_text('{"examples": [{"output": "the key is sk-12\\"3456"}, "sk-plain99"]}\n')
    _redact_results(tmp_path, secret_values({"A": 'sk-12"3456', "B": "sk-plain99"}))
    assert results.read_text() == '{"examples": [{"output": "the key is ***"}, "***"]}\n'
