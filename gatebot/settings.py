"""Settings from the environment (`GATEBOT_*`), which command-line options override."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where gatebot reads and writes. Every field can be set as `GATEBOT_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="GATEBOT_", extra="ignore", frozen=True)

    config: Path | None = Field(default=None, description="The config file (default: ./.gatebot.yml).")
    out_dir: Path = Field(default=Path("gatebot-out"), description="Where run results and reports go.")
    baselines: Path | None = Field(
        default=None, description="Local baseline store (default: .gatebot/baselines beside the config)."
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
    debug: bool = Field(default=False, description="Print tracebacks of unexpected errors.")
