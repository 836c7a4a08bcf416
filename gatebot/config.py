"""The models of `.gatebot.yml`: which models to gate, how to run their benchmarks, how to judge metrics.

Every section is optional: a file holding only `metrics:` is a valid configuration for `gatebot compare`.
Loading turns any problem into one `ConfigError` line that names the file, the field path and what was
expected. Past 400 lines because every field carries its description (the JSON Schema and the
README's reference come from them) and the YAML loader bounds what a file may expand to.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gatebot.errors import ConfigError

CONFIG_VERSION = 1
MAX_YAML_DEPTH = 64
"""Levels of nesting a config may have, aliases expanded; real ones use about five."""
MAX_YAML_VALUES = 100_000
"""Values (scalars, lists, mappings) a config may hold once its aliases are expanded."""
DEFAULT_CONFIG_FILE = ".gatebot.yml"
DEFAULT_ALPHA = 0.05
"""The significance level of a metric that sets no `alpha` (and of one the config does not declare)."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Direction = Literal["higher", "lower"]
GateMode = Literal["regression", "non-inferiority", "equivalence", "superiority"]
Correction = Literal["holm", "bh", "none"]
Family = Literal["run", "benchmark"]
MissingExamples = Literal["worst", "drop"]
Inconclusive = Literal["neutral", "fail"]
Discover = Literal["report", "gate", "off"]
MissingBaseline = Literal["run-base", "pass", "fail"]
ResultsFormat = Literal["gatebot", "auto", "lm-eval", "promptfoo", "inspect", "jsonl", "csv"]
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
SecretName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
WITHHELD_SECRETS = frozenset({"GITHUB_TOKEN", "GATEBOT_TOKEN", "ACTIONS_RUNTIME_TOKEN"})
"""Names a benchmark may not declare as its secrets: the tokens of the job itself."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricConfig(_Strict):
    """How one metric is judged. Metrics the config does not declare are reported but never gate."""

    direction: Direction = Field(description="Which way is better: `higher` (accuracy) or `lower` (loss).")
    min_effect: float = Field(
        default=0.0,
        ge=0.0,
        description="Smallest absolute change that matters, in the metric's own units (0.01 = 1 point "
        "of accuracy). Significant moves smaller than this are `unchanged`.",
    )
    max_relative_drop: float | None = Field(
        default=None,
        ge=0.0,
        description="Optional relative tolerance (0.02 = 2% of the baseline value): a move in the bad "
        "direction must also exceed it to count as a regression.",
    )
    gate: bool = Field(default=True, description="`false` reports the metric without ever failing the gate.")
    alpha: float = Field(
        default=DEFAULT_ALPHA,
        gt=0.0,
        lt=0.5,
        description="False-alarm rate for this metric's tests, after the multiple-testing correction.",
    )
    scale: Literal["auto", "percent", "raw"] = Field(
        default="auto",
        description="How values are shown: `percent` (0.81 as 81.0%, changes in points), `raw` (the "
        "metric's units), or `auto`: percent when every value lies between 0 and 1.",
    )
    mode: GateMode = Field(
        default="regression",
        description="`regression` fails on a significant drop larger than `min_effect`; `non-inferiority` "
        "passes only when a one-sided test shows any drop is smaller than `min_effect`; `equivalence` "
        "passes only when two one-sided tests show any change is within +-`min_effect` (a PR that claims "
        "no change); `superiority` passes only when a one-sided test shows an improvement larger than "
        "`min_effect` (a PR that claims one). Slices are tested for a significant drop larger than the "
        "margin in every mode but `regression`.",
    )
    max_detectable_drop: float | None = Field(
        default=None,
        gt=0.0,
        description="The largest drop this metric's eval must be able to detect (80% power), in the "
        "metric's units; when it cannot, the verdict is `inconclusive`. Overrides "
        "`gate.max_detectable_drop`.",
    )

    @model_validator(mode="after")
    def _margin_for_non_inferiority(self) -> MetricConfig:
        if self.mode == "non-inferiority" and self.min_effect <= 0:
            raise ValueError("mode non-inferiority needs min_effect > 0 (the largest drop you accept)")
        if self.mode == "equivalence" and self.min_effect <= 0:
            raise ValueError(
                "mode equivalence needs min_effect > 0 (the largest change either way you accept)"
            )
        return self


class BenchmarkConfig(_Strict):
    """How to run one benchmark and where its results land."""

    run: str | None = Field(
        default=None,
        min_length=1,
        description="Shell command. Placeholders: {model}, {benchmark}, {output} (the results path "
        "gatebot expects), {python} (the interpreter running gatebot). Write {{ and }} for braces.",
    )
    results: str | None = Field(
        default=None,
        description="Where the command writes its results, relative to `workdir`, when not {output}. "
        "May use the same placeholders.",
    )
    format: ResultsFormat = Field(
        default="gatebot",
        description="Format of the results: `gatebot` (gatebot/results@1), a harness (`lm-eval`, "
        "`promptfoo`, `inspect`), per-example `jsonl`/`csv`, or `auto` to detect it.",
    )
    provider: str | None = Field(default=None, description="promptfoo: the provider (label or id) to gate.")
    slices: list[str] | None = Field(
        default=None, description="Importers: which vars/metadata/columns become slices (default: a rule)."
    )
    id_column: str = Field(default="id", description="jsonl/csv: the column holding the example id.")
    metric_columns: list[str] | None = Field(
        default=None,
        description="jsonl/csv: the metric columns (default: the numeric columns named like scores).",
    )
    timeout: float = Field(
        default=3600.0,
        gt=0,
        allow_inf_nan=False,
        description="Seconds before the command and every process it started are stopped (a finite number).",
    )
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment variables.")
    workdir: str | None = Field(
        default=None, description="Directory to run in, relative to the config file's directory."
    )
    inputs: list[str] = Field(
        default_factory=list,
        description="Path globs whose change means the benchmark changed (its script, its dataset): on a "
        "push to the default branch every model it gates is measured again. Results are reused only for a "
        "benchmark that declares them: their digest stands for everything the run reads besides the model.",
    )
    shards: int = Field(
        default=1,
        ge=1,
        le=256,
        description="How many parts `gatebot plan` splits the benchmark into for the Actions matrix; each "
        "part runs with {shard} (0 to shards-1) and {shards} and writes partial results that `gatebot "
        "merge` joins. Not part of the config digest: the merged results are the benchmark's results.",
    )
    reuse: bool = Field(
        default=True,
        description="Reuse results recorded for the same model artifacts, inputs and config instead of "
        "running again. `false` for a benchmark that reads something gatebot cannot digest (a live API).",
    )
    secrets: list[SecretName] = Field(
        default_factory=list,
        description="Secrets the benchmark needs (an API key of a judge model, a token for gated weights): "
        "given only to its command, from the action's `secrets` input. A fork's pull request gets none "
        "until a maintainer's `/gatebot run`.",
    )

    @field_validator("secrets")
    @classmethod
    def _not_the_job_token(cls, value: list[str]) -> list[str]:
        for name in value:
            if name.upper() in WITHHELD_SECRETS:
                raise ValueError(f"{name} is the job's own token, never a benchmark's secret")
        return value


class ModelConfig(_Strict):
    """A model a pull request can change."""

    artifacts: list[str] = Field(
        default_factory=list,
        description="Path globs (relative to the config file's directory) whose change means this model "
        "changed: weights, adapters, a config file naming the model id, a prompt.",
    )
    benchmarks: list[Name] = Field(default_factory=list, description="Benchmarks that gate this model.")
    reference: Name | None = Field(
        default=None, description="Another configured model to show beside this one (e.g. its base model)."
    )
    gate_on_reference: bool = Field(
        default=False, description="Also fail when the candidate regresses against the reference's baseline."
    )


class GateSettings(_Strict):
    """How comparisons are computed: statistics, slices, comparability."""

    correction: Correction = Field(
        default="holm",
        description="Multiple-testing correction across all gated metric x slice tests: `holm` "
        "(family-wise error), `bh` (Benjamini-Hochberg false discovery rate) or `none`.",
    )
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0, description="Level of confidence intervals.")
    bootstrap_resamples: int = Field(default=2000, ge=100, le=100_000, description="Paired bootstrap size.")
    seed: int = Field(default=0, ge=0, description="Seed of the bootstrap; same seed, same report.")
    min_slice_size: int = Field(
        default=30, ge=1, description="Slices with fewer paired examples are shown but never gate."
    )
    slices: list[str] | None = Field(
        default=None, description="Slice keys to analyse (default: every key found in the examples)."
    )
    max_flips_shown: int = Field(default=10, ge=0, description="Example flips listed in the comment.")
    min_overlap: float = Field(
        default=0.9,
        gt=0.0,
        le=1.0,
        description="Least share of the baseline's examples the candidate must also have; below it the "
        "runs are `incomparable` and the gate fails with exit code 2.",
    )
    missing_baseline: MissingBaseline = Field(
        default="run-base",
        description="When no baseline exists: `run-base` (in the Action: run the benchmark on the pull "
        "request's base commit and compare with that; elsewhere like `fail`), `fail` (exit 2) or `pass` "
        "(neutral, with a warning).",
    )
    baselines_branch: str = Field(
        default="gatebot-baselines",
        min_length=1,
        pattern=r"^[A-Za-z0-9._/-]+$",
        description="The branch where the Action records baselines on pushes to the default branch.",
    )
    trend_points: int = Field(
        default=10, ge=0, le=50, description="Recorded baselines shown in the trend chart (0: no chart)."
    )
    family: Family = Field(
        default="run",
        description="Which gated tests share one multiple-testing correction: `run`, every test of every "
        "model x benchmark of the gate run (the false-alarm rate holds for the run), or `benchmark`, each "
        "model x benchmark on its own.",
    )
    cluster_by: str | None = Field(
        default=None,
        min_length=1,
        description="A slice key whose values are clusters (a passage, document or conversation several "
        "examples share): tests and intervals become cluster-robust. Examples may also carry `cluster`.",
    )
    missing_examples: MissingExamples = Field(
        default="worst",
        description="An example the baseline scored and the candidate did not: `worst` counts it as the "
        "worst score of the metric (a crash on the hard examples cannot pass), `drop` leaves it out. The "
        "report says how many either way.",
    )
    inconclusive: Inconclusive = Field(
        default="neutral",
        description="When the eval could not have failed (or cannot detect `max_detectable_drop`): "
        "`neutral` (a neutral check, exit 0) or `fail` (a failing check, exit 1).",
    )
    max_detectable_drop: float | None = Field(
        default=None,
        gt=0.0,
        description="The largest drop every gated metric's eval must be able to detect (80% power), in "
        "each metric's units (0.03 = 3 points of accuracy); when it cannot, the verdict is `inconclusive`.",
    )
    discover: Discover = Field(
        default="report",
        description="Search the examples' slices and metadata for subgroups nobody declared where a gated "
        'metric got worse (selection-adjusted): `report` shows them under "Found by search", `gate` '
        "also fails the gate on them, `off` skips the search.",
    )
    discover_fields: list[str] | None = Field(
        default=None,
        description="Slice and metadata keys the search looks at (default: every one the examples have, "
        "but `cluster_by`).",
    )
    allow_pickle_from_forks: bool = Field(
        default=False,
        description="`/gatebot run` on a fork's pull request: accept artifacts in pickle-based formats "
        "(`.pkl`, `.pt`, `.pth`, `.bin`, `.joblib`), which run code when loaded. Off: convert them to "
        "safetensors.",
    )
    cache_dir: str | None = Field(
        default=None,
        min_length=1,
        description="Folder of reusable results, relative to this file (default: `cache` in the output "
        "folder). GATEBOT_CACHE_DIR overrides it. Restore it with `actions/cache` keyed on `gatebot "
        "cache-key` to reuse results between workflow runs.",
    )

    @field_validator("discover", mode="before")
    @classmethod
    def _off_is_not_false(cls, value: Any) -> Any:
        # YAML 1.1 reads a bare `off` as false.
        return "off" if value is False else value


class Config(_Strict):
    """`.gatebot.yml`."""

    version: Literal[1] = Field(default=1, description="Version of this file's format.")
    models: dict[Name, ModelConfig] = Field(default_factory=dict)
    benchmarks: dict[Name, BenchmarkConfig] = Field(default_factory=dict)
    metrics: dict[str, MetricConfig] = Field(default_factory=dict)
    gate: GateSettings = Field(default_factory=GateSettings)

    @field_validator("metrics")
    @classmethod
    def _metric_names(cls, value: dict[str, MetricConfig]) -> dict[str, MetricConfig]:
        for name in value:
            if not name.strip():
                raise ValueError("metric names must not be empty")
        return value

    @model_validator(mode="after")
    def _references_resolve(self) -> Config:
        for model_name, model in self.models.items():
            for bench in model.benchmarks:
                if bench not in self.benchmarks:
                    known = ", ".join(sorted(self.benchmarks)) or "none"
                    raise ValueError(
                        f"models.{model_name}.benchmarks names {bench!r}, which is not under benchmarks: "
                        f"(known: {known})"
                    )
            if model.reference is not None and model.reference not in self.models:
                raise ValueError(f"models.{model_name}.reference names {model.reference!r}, not a model")
        return self


class LoadedConfig(BaseModel):
    """A validated config and the directory its relative paths are resolved against."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    config: Config
    path: Path | None
    root: Path

    def resolve(self, relative: str | None) -> Path:
        return self.root if relative is None else (self.root / relative)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of `.gatebot.yml`, for editors."""
    schema = Config.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "gatebot configuration (.gatebot.yml)"
    return schema


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in {
            "function-after[_references_resolve()]",
            "function-after[_margin_for_non_inferiority()]",
        }:
            continue
        else:
            text = str(item)
            if _CONTROL.search(text):
                text = json.dumps(text)  # a key holding a NUL byte or a newline is shown escaped
            parts.append(("." if parts else "") + text)
    return "".join(parts) or "(top level)"


def _describe(error: ValidationError, where: str) -> ConfigError:
    first = error.errors(include_url=False)[0]
    path = _field_path(tuple(first["loc"]))
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown field"
        hint = "check its spelling; `gatebot config --schema` lists every field"
    elif first["type"] == "literal_error":
        hint = "use one of the values named"
    else:
        got = first.get("input")
        hint = f"got {json.dumps(got, default=str)[:60]}" if not isinstance(got, dict) else ""
    more = error.error_count() - 1
    suffix = f" (+{more} more problem{'s' if more > 1 else ''})" if more else ""
    return ConfigError(f"{where}: {path}: {message}{suffix}", hint)


def parse_config(data: Any, *, where: str) -> Config:
    """Validate already-parsed YAML data. `where` names the source in error messages."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        return Config.model_validate(data)
    except ValidationError as error:
        raise _describe(error, where) from None


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing nesting deeper than `MAX_YAML_DEPTH` while it composes nodes, so a
    deep document fails before anything recurses further."""

    def __init__(self, stream: str, where: Path) -> None:
        super().__init__(stream)
        self._where = where
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]  # untyped in the stubs
                raise _refused(self._where, mark, _DEEP)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_DEEP = f"nested more than {MAX_YAML_DEPTH} levels deep"


def _refused(where: Path, mark: yaml.Mark | None, problem: str) -> ConfigError:
    at = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(where)
    return ConfigError(
        f"{at}: {problem}", "write the values out; a config needs neither deep nesting nor many aliases"
    )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_expansion(root: yaml.Node, where: Path) -> None:
    """Refuse a document whose aliases expand it beyond `MAX_YAML_VALUES` values or `MAX_YAML_DEPTH`
    levels (a "billion laughs": nine anchors of nine aliases each make 387 million values), or that
    contains itself. Counted on the node graph, each shared node once, without building anything."""
    done: dict[int, tuple[int, int]] = {}  # id(node) -> (values, levels) once expanded
    path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            below = [done[id(child)] for child in _children(node)]
            values = 1 + sum(v for v, _ in below)
            levels = 1 + max((d for _, d in below), default=0)
            if values > MAX_YAML_VALUES:
                problem = f"its aliases expand it to more than {MAX_YAML_VALUES:,} values"
                raise _refused(where, node.start_mark, problem)
            if levels > MAX_YAML_DEPTH:
                raise _refused(where, node.start_mark, f"its aliases make it {_DEEP}")
            done[key] = (values, levels)
            path.discard(key)
        elif key in path:
            raise _refused(where, node.start_mark, "an alias refers to a value that contains it")
        elif key not in done:
            path.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))


def _load_yaml(text: str, where: Path) -> Any:
    """`yaml.safe_load`, with the bounds above checked before any Python value is built."""
    loader = _Loader(text, where)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, where)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def parse_config_text(text: str, *, where: str) -> Config:
    """A config from the text of a `.gatebot.yml` (another commit's, say), with the same bounds and errors."""
    return parse_config(_load_yaml(text, Path(where)), where=where)


def load_config(path: Path | None, *, required: bool) -> LoadedConfig:
    """Read and validate a config file. With `required=False` a missing file yields the empty config."""
    if path is None or not path.exists():
        if required or (path is not None and path.name != DEFAULT_CONFIG_FILE):
            shown = path if path is not None else DEFAULT_CONFIG_FILE
            raise ConfigError(
                f"{shown}: config file not found", "create it, or pass --config PATH to an existing one"
            )
        return LoadedConfig(config=Config(), path=None, root=Path.cwd())
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the config file: {error}") from None
    try:
        data = _load_yaml(text, path)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(f"{where}: invalid YAML: {problem}", "fix the YAML syntax at that line") from None
    config = parse_config(data, where=str(path))
    return LoadedConfig(config=config, path=path, root=path.resolve().parent)
