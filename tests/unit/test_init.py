"""The pure half of `gatebot init`: suggestions, questions, the plan and the text of the files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from gatebot.config import parse_config
from gatebot.errors import GatebotError
from gatebot.init import (
    ACTION_REF,
    WORKFLOWS,
    InitOptions,
    Measured,
    Plan,
    Question,
    Survey,
    as_name,
    check_answer,
    is_model_file,
    load_templates,
    make_plan,
    measure,
    next_steps,
    questions,
    render_config,
    render_files,
    render_workflow,
    run_inputs,
    suggest_artifacts,
    suggest_scripts,
    suggested_run,
    to_do,
    with_ignored_out,
    yaml_scalar,
)
from gatebot.results import Examples, Results, SliceColumn

RUN = "{python} bench.py --model {model} --output {output}"


def _measured(**changes: object) -> Measured:
    values: dict[str, object] = {
        "source": "sample.json",
        "format": "gatebot",
        "model": "router",
        "benchmark": "tickets",
        "metrics": ("accuracy", "latency_ms"),
        "directions": {"accuracy": "higher"},
        "slices": ("language",),
    }
    values.update(changes)
    return Measured(**values)


def _config(text: str) -> dict[str, object]:
    data = yaml.safe_load(text)
    parse_config(data, where="test")
    assert isinstance(data, dict)
    return data


# --- model files and artifact globs


def test_model_files__weights_adapters_and_configs_naming_a_model() -> None:
    configs = {
        "hf/config.json": {"architectures": ["BertModel"], "model_type": "bert"},
        "app/config.json": {"model": "gpt-4o-mini"},
        "web/config.json": {"port": 8080},
    }
    for path in (
        "a.safetensors",
        "m/q4.gguf",
        "m/model.onnx",
        "x/adapter_config.json",
        "x/pytorch_model-00001-of-00002.bin",
        "hf/config.json",
        "app/config.json",
    ):
        assert is_model_file(path, configs), path
    for path in ("web/config.json", "data/train.bin", "README.md", "missing/config.json"):
        assert not is_model_file(path, configs), path


def test_suggest_artifacts__a_model_folder_is_one_glob__a_lone_file_is_itself() -> None:
    files = [
        "README.md",
        "models/router/config.json",
        "models/router/model-00001-of-00002.safetensors",
        "models/router/model-00002-of-00002.safetensors",
        "models/router/tokenizer.json",
        "weights/small.gguf",
        "export.onnx",
        "bench.py",
    ]
    configs = {"models/router/config.json": {"_name_or_path": "distilbert-base-uncased"}}
    assert suggest_artifacts(files, configs) == ("export.onnx", "models/router/**", "weights/small.gguf")


def test_suggest_artifacts__a_folder_inside_a_model_folder_is_covered_once() -> None:
    files = ["m/adapter_config.json", "m/adapter_model.safetensors", "m/extra/q.gguf"]
    assert suggest_artifacts(files, {}) == ("m/**",)


def test_suggest_artifacts__a_top_level_config_naming_a_model_is_the_artifact() -> None:
    assert suggest_artifacts(["config.json", "app.py"], {"config.json": {"model_id": "llama-3-8b"}}) == (
        "config.json",
    )
    assert suggest_artifacts(["config.json"], {"config.json": {"debug": True}}) == ()


def test_scripts__bench_and_eval_files_at_the_top_or_in_eval_folders() -> None:
    files = ["src/evaluate.py", "evals/eval_router.py", "bench.py", "benchmarks/readme.md", "train.py"]
    assert suggest_scripts(files) == ("bench.py", "evals/eval_router.py")
    assert suggested_run(files) == "{python} bench.py --model {model} --output {output}"
    assert suggested_run(["train.py"]) == ""


def test_as_name__keeps_valid_names__cleans_others() -> None:
    assert as_name("router", "x") == "router"
    assert as_name("hf (pretrained=gpt2)", "x") == "hf-pretrained-gpt2"
    assert as_name("///", "x") == "x"


# --- questions and answers


def test_questions__only_what_the_options_leave_open() -> None:
    options = InitOptions(artifacts=("m/**",), run=RUN, model="router", benchmark="tickets")
    asked = questions(options, Survey(measured=_measured()))
    assert [q.key for q in asked] == ["direction:latency_ms", "branch"]


def test_questions__defaults_are_what_was_found() -> None:
    survey = Survey(files=("bench.py", "models/r.gguf"), default_branch="trunk")
    asked = {q.key: q for q in questions(InitOptions(), survey)}
    assert asked["model"].default == "r"
    assert asked["artifacts"].default == "models/r.gguf"
    assert asked["run"].default == RUN
    assert asked["branch"].default == "trunk"
    assert {"higher", "lower"} <= set(asked)  # no example output: ask for the metrics


@pytest.mark.parametrize(
    ("kind", "answer", "fine"),
    [
        ("name", "router-2", True),
        ("name", "my model", False),
        ("globs", "models/**, prompts/*.txt", True),
        ("globs", "/etc/passwd", False),
        ("globs", "../other/**", False),
        ("run", RUN, True),
        ("run", "python bench.py --out {out}", False),
        ("run", "echo {", False),
        ("direction", "lower", True),
        ("direction", "down", False),
        ("branch", "release/1.x", True),
        ("branch", "a b", False),
        ("name", "", True),
    ],
)
def test_check_answer(kind: str, answer: str, fine: bool) -> None:
    question = Question("k", "prompt", kind=kind)
    assert (check_answer(question, answer) is None) is fine


def test_check_answer__unknown_placeholder_is_named() -> None:
    problem = check_answer(Question("run", "p", kind="run"), "x --out {out}")
    assert problem is not None and "{out}" in problem


# --- the plan


def test_plan__options_win__then_answers__then_what_was_found() -> None:
    survey = Survey(files=("bench.py", "models/r.gguf"), measured=_measured(), default_branch="master")
    plan = make_plan(InitOptions(run=RUN, model="router"), survey)
    assert plan.model == "router"
    assert plan.benchmark == "tickets"
    assert plan.artifacts == ("models/r.gguf",)
    assert plan.inputs == ("bench.py",)
    assert plan.default_branch == "master"
    assert [(m.name, m.direction) for m in plan.metrics] == [("accuracy", "higher"), ("latency_ms", None)]

    answered = make_plan(
        InitOptions(run=RUN, model="router"),
        survey,
        {"benchmark": "quick", "direction:latency_ms": "lower", "artifacts": "a/**, b/*.onnx", "branch": ""},
    )
    assert answered.benchmark == "quick"
    assert answered.artifacts == ("a/**", "b/*.onnx")
    assert dict((m.name, m.direction) for m in answered.metrics)["latency_ms"] == "lower"
    assert answered.default_branch == "master"  # empty answer: the default


def test_plan__metrics_named_in_answers_without_an_example_output() -> None:
    plan = make_plan(InitOptions(run=RUN), Survey(), {"higher": "accuracy, f1", "lower": "latency_ms"})
    assert [(m.name, m.direction) for m in plan.metrics] == [
        ("accuracy", "higher"),
        ("f1", "higher"),
        ("latency_ms", "lower"),
    ]


def test_plan__a_command_without_output_reads_the_example_output_path() -> None:
    plan = make_plan(
        InitOptions(run="lm_eval --output_path out"), Survey(measured=_measured(format="lm-eval"))
    )
    assert plan.results == "sample.json" and plan.format == "lm-eval"


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (InitOptions(run="python bench.py --out {out}"), "--run"),
        (InitOptions(model="my model"), "--model"),
        (InitOptions(benchmark="-x"), "--benchmark"),
        (InitOptions(artifacts=("/abs/**",)), "--artifacts"),
    ],
)
def test_plan__bad_option__one_line_naming_it(options: InitOptions, named: str) -> None:
    with pytest.raises(GatebotError) as caught:
        make_plan(options, Survey())
    assert caught.value.one_line().startswith(named)


# --- the config


def test_config__valid_commented_and_what_was_planned() -> None:
    plan = make_plan(InitOptions(run=RUN, model="router"), Survey(files=("m/a.gguf",), measured=_measured()))
    text = render_config(plan)
    data = _config(text)
    assert data["models"] == {"router": {"artifacts": ["m/a.gguf"], "benchmarks": ["tickets"]}}
    bench = data["benchmarks"]["tickets"]
    assert bench["run"] == RUN and bench["format"] == "gatebot" and "inputs" not in bench
    assert data["metrics"] == {"accuracy": {"direction": "higher", "min_effect": 0.0}}
    assert data["gate"]["slices"] == ["language"]
    assert "# latency_ms: {direction: higher}" in text  # unknown direction: listed, not gated
    assert "#" in text.splitlines()[0]


def test_config__harness_output_picks_its_format_and_slices() -> None:
    measured = _measured(format="promptfoo", metrics=("pass", "score"), directions={"pass": "higher"})
    data = _config(render_config(make_plan(InitOptions(run=RUN), Survey(measured=measured))))
    bench = data["benchmarks"]["tickets"]
    assert bench["format"] == "promptfoo" and bench["slices"] == ["language"]
    assert "slices" not in data["gate"]


def test_config__tabular_output_pins_its_metric_columns() -> None:
    measured = _measured(format="csv", metrics=("correct",), directions={})
    data = _config(render_config(make_plan(InitOptions(run=RUN), Survey(measured=measured))))
    assert data["benchmarks"]["tickets"]["metric_columns"] == ["correct"]
    assert data["metrics"] == {}


def test_config__nothing_known__still_valid__and_says_what_is_left() -> None:
    plan = make_plan(InitOptions(), Survey())
    data = _config(render_config(plan))
    assert "run" not in data["benchmarks"]["eval"]
    assert data["models"] == {"model": {"artifacts": [], "benchmarks": ["eval"]}}
    left = " ".join(to_do(plan))
    assert "run" in left and "artifacts" in left and "direction" in left


def test_config__awkward_names_and_commands_read_back_exactly() -> None:
    metrics = ("hellaswag/acc", "acc[strict]", "yes", "1e3", "a: b", "émotion", 'q"uote')
    run = r'{python} "my bench.py" --sep "\t" --json "{{\"k\": 1}}" --output {output}'
    measured = _measured(metrics=metrics, directions=dict.fromkeys(metrics, "lower"), slices=("on", "x y"))
    data = _config(render_config(make_plan(InitOptions(run=run, model="true"), Survey(measured=measured))))
    assert list(data["metrics"]) == list(metrics)
    assert data["benchmarks"]["tickets"]["run"] == run
    assert list(data["models"]) == ["true"]
    assert data["gate"]["slices"] == ["on", "x y"]


@pytest.mark.parametrize("text", ["plain", "yes", "null", "1.5", "~", "a#b", "-x", "x: y", "", "ü"])
def test_yaml_scalar__reads_back_as_the_same_string(text: str) -> None:
    assert yaml.safe_load(f"k: {yaml_scalar(text)}") == {"k": text}


def test_run_inputs__the_files_the_command_names() -> None:
    files = ("bench.py", "data/q.jsonl", "models/x.gguf")
    assert run_inputs("{python} ./bench.py --data data/q.jsonl --output {output}", files) == (
        "bench.py",
        "data/q.jsonl",
    )
    assert run_inputs("echo 'unclosed", files) == ()


# --- the workflows


def test_templates__hold_the_action_reference_and_the_branch_that_init_replaces() -> None:
    templates = load_templates()
    assert sorted(templates) == sorted(WORKFLOWS)
    for name, text in templates.items():
        assert f"uses: {ACTION_REF}" in text, name
    assert "    branches: [main]\n" in templates["gatebot.yml"]


def test_render_workflow__local_action_and_default_branch() -> None:
    template = load_templates()["gatebot.yml"]
    text = render_workflow(template, action_ref="./.gatebot-action", default_branch="master")
    assert ACTION_REF not in text
    assert text.count("uses: ./.gatebot-action") == 2
    assert yaml.safe_load(text)[True]["push"] == {"branches": ["master"]}  # PyYAML reads `on` as True
    assert render_workflow(template, action_ref=ACTION_REF, default_branch="main") == template


def test_render_files__the_config_and_three_workflows() -> None:
    plan = Plan(model="m", benchmark="b", artifacts=("m/**",), run=RUN)
    files = render_files(plan, load_templates())
    assert sorted(files) == [
        ".gatebot.yml",
        ".github/workflows/gatebot-commands.yml",
        ".github/workflows/gatebot-publish.yml",
        ".github/workflows/gatebot.yml",
    ]


def test_next_steps__first_baseline__branch_protection__pinning() -> None:
    steps = " ".join(next_steps(Plan(model="m", benchmark="b", artifacts=(), run=RUN, default_branch="dev")))
    assert "workflow" in steps and "--to-branch" in steps and "gatebot-out/m/b.json" in steps
    assert "branch protection" in steps and "dev" in steps
    assert ACTION_REF in steps and "SHA" in steps


# --- what an example output says


def test_measure__metrics_from_aggregates_and_examples__stated_directions__slice_keys() -> None:
    examples = Examples(
        ids=["1", "2"],
        scores={"accuracy": np.array([1.0, 0.0]), "tokens": np.array([3.0, 4.0])},
        slices={"language": SliceColumn(np.array([0, 1], dtype=np.int32), ("en", "es"))},
    )
    results = Results(
        "tickets",
        "router",
        {"accuracy": 0.5, "cost": 0.1},
        examples,
        directions={"accuracy": "higher", "cost": "lower", "gone": "higher"},
    )
    measured = measure(results, source="s.json", kind="gatebot")
    assert measured.metrics == ("accuracy", "cost", "tokens")
    assert measured.directions == {"accuracy": "higher", "cost": "lower"}
    assert measured.slices == ("language",)
    assert json.dumps(measured.directions)  # plain values


def test_with_ignored_out__appends_one_commented_line__a_missing_newline_first() -> None:
    added = "# What gatebot run and gatebot gate write\ngatebot-out/\n"
    assert with_ignored_out("") == added
    assert with_ignored_out("*.pyc") == "*.pyc\n" + added
    assert with_ignored_out("*.pyc\n") == "*.pyc\n" + added


def test_make_plan__gitignore__added_only_in_git_when_not_ignored_yet() -> None:
    options = InitOptions(run=RUN)
    assert make_plan(options, Survey(out_ignored=False)).ignore_out is True
    assert make_plan(options, Survey(out_ignored=True)).ignore_out is False
    outside = make_plan(options, Survey(out_ignored=None))
    assert outside.ignore_out is None
    assert any("Add `gatebot-out/` to .gitignore" in step for step in next_steps(outside))
