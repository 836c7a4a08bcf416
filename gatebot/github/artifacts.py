"""Workflow-run artifacts: find one by name and download its zip (PyGithub lists, requests downloads)."""

from __future__ import annotations

import requests
from github import Github
from pydantic import SecretStr

from gatebot.errors import GatebotError, InputError
from gatebot.github.client import TIMEOUT_SECONDS, call

MAX_ARTIFACT_BYTES = 100 * 1024 * 1024


def download_artifact(gh: Github, token: SecretStr, repository: str, run_id: int, name: str) -> bytes:
    """The zip of artifact `name` of workflow run `run_id`."""

    def find() -> str | None:
        for artifact in gh.get_repo(repository).get_workflow_run(run_id).get_artifacts():
            if artifact.name == name and not artifact.expired:
                return str(artifact.archive_download_url)
        return None

    url = call(f"listing the artifacts of workflow run {run_id}", "actions: read", find)
    if url is None:
        raise InputError(
            f"workflow run {run_id} has no artifact named {name}",
            "the pull request's job must upload it (see the README's fork workflow)",
        )
    # GitHub answers with a redirect to storage; requests drops the Authorization header when the
    # redirect leaves the API host, as the storage URL must not receive the token.
    headers = {"Authorization": f"Bearer {token.get_secret_value()}", "Accept": "application/vnd.github+json"}
    try:
        response = requests.get(url, headers=headers, timeout=TIMEOUT_SECONDS, stream=True)
    except requests.RequestException as error:
        raise GatebotError(
            f"downloading artifact {name} failed: {type(error).__name__}", "try again"
        ) from None
    with response:
        if response.status_code != 200:
            raise GatebotError(
                f"downloading artifact {name} failed with HTTP {response.status_code}",
                "grant `actions: read` to the publishing workflow",
            )
        chunks = []
        size = 0
        for chunk in response.iter_content(1 << 20):
            size += len(chunk)
            if size > MAX_ARTIFACT_BYTES:
                raise InputError(
                    f"artifact {name} is larger than {MAX_ARTIFACT_BYTES} bytes", "not a gatebot bundle"
                )
            chunks.append(chunk)
    return b"".join(chunks)
