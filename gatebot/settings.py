"""The one settings model: `GATEBOT_*` variables (the action's inputs among them), GitHub's, and flags.

`action.yml` passes every input as `GATEBOT_<INPUT>`, so the CLI and the Action read the same model,
built once from an environment mapping (the process's, or one a test gives). An empty value counts as
unset, as an input left out of the `with:` block arrives empty. Command-line options override fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, ValidationError

from gatebot.errors import GatebotError, validation_problem

ACTIONS_BOT = "github-actions[bot]"
DEFAULT_OUT_DIR = Path("gatebot-out")

INPUTS = frozenset(
    {
        "config",
        "token",
        "comment",
        "check_name",
        "fail_on_regression",
        "id",
        "out_dir",
        "comment_author",
        "results_dir",
    }
)
"""Fields the action sets from its inputs: a bad value is blamed on the input, not a variable."""


def _env(name: str) -> str:
    return f"GATEBOT_{name.upper()}"


class Settings(BaseModel):
    """Where gatebot reads and writes, and how the Action publishes. Each field has its variable."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    config: Path | None = Field(
        default=None,
        validation_alias=_env("config"),
        description="The config file (default: ./.gatebot.yml; the Action requires it).",
    )
    out_dir: Path = Field(
        default=DEFAULT_OUT_DIR,
        validation_alias=_env("out_dir"),
        description="Where run results, the verdict and the report are written.",
    )
    handoff: Path | None = Field(
        default=None,
        validation_alias=_env("handoff"),
        description="The folder the Action's stages hand their work over in (default: OUT_DIR/handoff).",
    )
    plan: str | None = Field(
        default=None,
        validation_alias=_env("plan"),
        description="The plan stage's plan, which the evaluate and publish stages carry out (JSON).",
    )
    baselines: Path | None = Field(
        default=None,
        validation_alias=_env("baselines"),
        description="Local baseline store (default: .gatebot/baselines beside the config).",
    )
    token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("GATEBOT_TOKEN", "GITHUB_TOKEN"),
        description="GitHub token (GATEBOT_TOKEN, else GITHUB_TOKEN); never printed.",
    )
    repository: str | None = Field(
        default=None, validation_alias="GITHUB_REPOSITORY", description="owner/name, as Actions sets it."
    )
    api_url: str | None = Field(
        default=None, validation_alias="GITHUB_API_URL", description="GitHub's API (Enterprise Server too)."
    )
    debug: bool = Field(
        default=False, validation_alias=_env("debug"), description="Print tracebacks of unexpected errors."
    )
    comment: Literal["sticky", "off"] = Field(
        default="sticky", validation_alias=_env("comment"), description="Post the sticky PR comment."
    )
    check_name: str = Field(
        default="gatebot",
        min_length=1,
        max_length=100,
        validation_alias=_env("check_name"),
        description="Name of the check.",
    )
    fail_on_regression: bool = Field(
        default=True,
        validation_alias=_env("fail_on_regression"),
        description="Exit 1 (failing the job) on a regression.",
    )
    id: str = Field(
        default="default",
        validation_alias=_env("id"),
        description="Gate id: separate comments for separate gatebot jobs.",
    )
    comment_author: str = Field(
        default=ACTIONS_BOT,
        validation_alias=_env("comment_author"),
        description="Login that posts the sticky comment.",
    )

    @property
    def handoff_dir(self) -> Path:
        return self.handoff if self.handoff is not None else self.out_dir / "handoff"

    cache_dir: Path | None = Field(
        default=None,
        validation_alias=_env("cache_dir"),
        description="Folder of reusable results (default: `gate.cache_dir`, else `cache` in out_dir).",
    )
    results_dir: Path | None = Field(
        default=None,
        validation_alias=_env("results_dir"),
        description="Gate the results in this folder (merging shards) instead of running the benchmarks.",
    )
    in_actions: bool = Field(
        default=False, validation_alias="GITHUB_ACTIONS", description="True inside GitHub Actions."
    )
    event_name: str | None = Field(
        default=None, validation_alias="GITHUB_EVENT_NAME", description="The triggering event, in Actions."
    )
    event_path: Path | None = Field(
        default=None, validation_alias="GITHUB_EVENT_PATH", description="Its payload, in Actions."
    )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], *, action: bool = False) -> Settings:
        """The settings in `environ`. With `action`, a bad input is reported as the action's input."""
        try:
            # Only the variables' names: an unrelated lowercase `id` or `config` must not fill a field.
            found = {k: v for k, v in environ.items() if k.startswith(("GATEBOT_", "GITHUB_")) and v != ""}
            return cls.model_validate(found)
        except ValidationError as error:
            raise settings_error(error, action=action) from None


def settings_error(error: ValidationError, *, action: bool) -> GatebotError:
    """One line naming the variable (or, in the Action, the input) and what is wrong with its value."""
    path, message = validation_problem(error)
    variable = path.split(".")[0]
    field = variable.removeprefix("GATEBOT_").lower()
    if action and variable.startswith("GATEBOT_") and field in INPUTS:
        return GatebotError(
            f"input {field.replace('_', '-')}: {message}", "fix the `with:` block of the gatebot step"
        )
    return GatebotError(f"environment variable {variable}: {message}")
