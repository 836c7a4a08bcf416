"""What every activity is given: the settings, the runner's environment, the workflow's files and a log.

Built once by the Action's dispatcher from one environment mapping; activities read nothing else of
the environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pydantic import SecretStr

from gatebot.config import DEFAULT_CONFIG_FILE, LoadedConfig, load_config
from gatebot.errors import GatebotError, InputError
from gatebot.github.client import Client, connect
from gatebot.github.comments import marker
from gatebot.settings import Settings
from gatebot.workflow import Workflow


@dataclass(frozen=True)
class Runner:
    """The variables GitHub Actions sets for every step (the repository and API URL are `Settings`')."""

    event_name: str
    event_path: Path | None
    repository: str
    sha: str
    ref: str
    server_url: str
    run_id: str | None
    workspace: Path
    run_attempt: int = 1
    """GITHUB_RUN_ATTEMPT: above 1 on a re-run, which replays the event as it was."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], settings: Settings) -> Runner:
        event_name = environ.get("GITHUB_EVENT_NAME", "")
        repository = settings.repository or ""
        pairs = (("GITHUB_EVENT_NAME", event_name), ("GITHUB_REPOSITORY", repository))
        missing = [name for name, value in pairs if not value]
        if missing:
            raise GatebotError(
                f"{', '.join(missing)} not set: `gatebot action` runs inside GitHub Actions",
                "use `gatebot gate` on your machine",
            )
        event_path = environ.get("GITHUB_EVENT_PATH")
        return cls(
            event_name=event_name,
            event_path=Path(event_path) if event_path else None,
            repository=repository,
            sha=environ.get("GITHUB_SHA", ""),
            ref=environ.get("GITHUB_REF", ""),
            server_url=environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/"),
            run_id=environ.get("GITHUB_RUN_ID"),
            workspace=Path(environ.get("GITHUB_WORKSPACE") or os.getcwd()),
            run_attempt=int(attempt) if (attempt := environ.get("GITHUB_RUN_ATTEMPT", "")).isdigit() else 1,
        )

    @property
    def run_url(self) -> str | None:
        if not self.run_id:
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    def event(self) -> dict[str, Any]:
        if self.event_path is None:
            raise InputError("GITHUB_EVENT_PATH is not set", "gatebot reads the triggering event from it")
        try:
            payload = json.loads(self.event_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InputError(f"{self.event_path}: cannot read the event payload ({error})") from None
        if not isinstance(payload, dict):
            raise InputError(f"{self.event_path}: the event payload is not a JSON object")
        return payload


@dataclass(frozen=True)
class Context:
    settings: Settings
    runner: Runner
    workflow: Workflow
    log: IO[str]

    @classmethod
    def from_environ(cls, settings: Settings, environ: Mapping[str, str], log: IO[str]) -> Context:
        return cls(settings, Runner.from_environ(environ, settings), Workflow.from_environ(environ), log)

    @property
    def mark(self) -> str:
        return marker(self.settings.id)

    @property
    def out_dir(self) -> Path:
        return self.settings.out_dir

    def github(self, *, retries: int = 4) -> Client | None:
        """A client with the token, or None when the token input is empty."""
        token = self.settings.token
        return None if token is None else connect(self.settings.api_url, token, retries=retries)

    def need_token(self, hint: str) -> SecretStr:
        """The token; without one, the error says what the activity needs it for (`hint`)."""
        if self.settings.token is None:
            raise GatebotError("input token is empty", hint)
        return self.settings.token

    def need_github(self, hint: str) -> Client:
        """A client; without a token, the error says what the activity needs it for (`hint`)."""
        return connect(self.settings.api_url, self.need_token(hint))

    def load_config(self) -> LoadedConfig:
        """The config the `config` input names: the Action requires one."""
        return load_config(self.settings.config or Path(DEFAULT_CONFIG_FILE), required=True)

    def config_prefix(self, loaded: LoadedConfig) -> str:
        """The config directory relative to the repository root, as a path prefix ('' at the root)."""
        try:
            relative = loaded.root.resolve().relative_to(self.runner.workspace.resolve())
        except ValueError:
            return ""
        text = relative.as_posix()
        return "" if text == "." else text + "/"
