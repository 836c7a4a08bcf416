"""A fake GitHub REST server for gatebot's tests, checked against GitHub's own API description.

See ``README.md`` in this folder. The pieces:

* ``spec.py`` — the OpenAPI description: routing, request and response validation;
* ``state.py`` / ``git.py`` — the in-memory repositories and their git objects;
* ``render.py`` — GitHub's JSON shapes built from that state;
* ``handlers.py`` — the operations, keyed by operationId;
* ``pagination.py``, ``faults.py``, ``requestlog.py`` — paging, canned failures, the request log;
* ``server.py`` — HTTP, authentication, permissions; :class:`FakeGitHub`;
* ``fixture.py`` — the ``fake_github`` pytest fixture and the loopback-only network guard;
* ``events.py`` — webhook payloads (real ones, and variants derived from them).
"""

from .faults import Fault, FaultQueue
from .requestlog import RecordedRequest, RequestLog
from .server import FakeGitHub
from .state import Clock, GitHubState, PullFile, Repository, Token

__all__ = [
    "Clock",
    "FakeGitHub",
    "Fault",
    "FaultQueue",
    "GitHubState",
    "PullFile",
    "RecordedRequest",
    "Repository",
    "RequestLog",
    "Token",
]
