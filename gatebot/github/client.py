"""The one place a PyGithub client is built, and the one mapping of GitHub errors to user errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias, TypeVar

import requests
from github import Auth, Github, GithubException, GithubRetry
from pydantic import SecretStr

from gatebot.errors import GatebotError

DEFAULT_API_URL = "https://api.github.com"
TIMEOUT_SECONDS = 30
_T = TypeVar("_T")

Client: TypeAlias = Github
"""The client type, named here so code outside `gatebot/github/` never imports PyGithub."""

PERMISSIONS_YAML = "permissions: {contents: read, pull-requests: write, checks: write, statuses: write}"
RETRIES = 4
# Every method gatebot sends. PyGithub's default leaves out PATCH (comment edits, `git/update-ref`); each
# of these calls is safe to repeat: edits and ref moves set a value, and a repeated create at worst
# meets gatebot's own marker or a compare-and-swap that re-reads.
RETRIED_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PATCH", "PUT", "DELETE"})
_RATE_LIMITED = ("rate limit", "abuse detection")


def connect(api_url: str | None, token: SecretStr, *, retries: int = RETRIES) -> Client:
    """A lazy client: objects are fetched only when read, so each call below costs only what it says.

    Retries 5xx answers and secondary rate limits (honouring Retry-After) of every method, with bounded
    waits.
    """
    retry = GithubRetry(
        total=retries,
        backoff_factor=0.5,
        secondary_rate_wait=30,
        max_rate_limit_wait=120,
        allowed_methods=RETRIED_METHODS,
    )
    return Github(
        base_url=(api_url or DEFAULT_API_URL).rstrip("/"),
        auth=Auth.Token(token.get_secret_value()),
        timeout=TIMEOUT_SECONDS,
        retry=retry,
        lazy=True,
        per_page=100,
    )


class GitHubAPIError(GatebotError):
    """GitHub answered a call with an error status."""

    def __init__(self, message: str, hint: str, *, status: int) -> None:
        super().__init__(message, hint)
        self.status = status


def github_error(error: GithubException, doing: str, *, needs: str) -> GitHubAPIError:
    """One line for a failed call: what gatebot was doing, what GitHub said, which permission to grant."""
    data = error.data if isinstance(error.data, dict) else {}
    said = str(data.get("message") or error.status)
    if error.status == 401:
        return GitHubAPIError(
            f"GitHub refused the token while {doing} (401 {said})",
            "pass a valid token in the `token` input",
            status=401,
        )
    if error.status in (403, 429) and any(words in said.lower() for words in _RATE_LIMITED):
        return GitHubAPIError(
            f"GitHub kept rate-limiting gatebot while {doing} ({error.status} {said}), also after retries",
            "re-run the job later; many workflows sharing one token make this more likely",
            status=error.status,
        )
    if error.status in (403, 404):
        return GitHubAPIError(
            f"GitHub answered {error.status} ({said}) while {doing}: the token lacks `{needs}`",
            f"grant it in the workflow: {PERMISSIONS_YAML}",
            status=error.status,
        )
    retried = " after retries" if error.status >= 500 else ""
    return GitHubAPIError(
        f"GitHub answered {error.status} ({said}) while {doing}{retried}",
        "GitHub had trouble answering: re-run the job later" if retried else "try again later",
        status=error.status,
    )


def call(doing: str, needs: str, fn: Callable[[], _T]) -> _T:
    """Run `fn`, turning a GitHub error or an unreachable API into a one-line GatebotError."""
    try:
        return fn()
    except GithubException as error:
        raise github_error(error, doing, needs=needs) from None
    except requests.exceptions.RetryError:
        raise GatebotError(
            f"GitHub kept answering with server errors or rate limits while {doing}, also after retries",
            "GitHub had trouble answering: re-run the job later",
        ) from None
    except requests.RequestException as error:
        raise GatebotError(
            f"cannot reach the GitHub API while {doing} ({type(error).__name__})",
            "check GITHUB_API_URL and the runner's network; retries were exhausted",
        ) from None
