"""Canned failures the fake answers instead of the real operation.

A fault matches on method and path (a glob such as ``*/check-runs`` or a template such as
``/repos/{owner}/{repo}/check-runs``) or on an operationId, answers ``times`` matching requests
in order, and then normal behaviour resumes. A faulted request changes no state.
"""

from __future__ import annotations

import fnmatch
import re
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
NOT_ACCESSIBLE_MESSAGE = "Resource not accessible by integration"
RATE_LIMIT_DOCS = (
    "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)


def _path_matcher(pattern: str) -> re.Pattern[str]:
    if "{" in pattern:
        parts = [
            re.escape(p) if not p.startswith("{") else "[^/]+" for p in re.split(r"(\{[^}]+\})", pattern)
        ]
        return re.compile("^" + "".join(parts) + "$")
    return re.compile(fnmatch.translate(pattern))


@dataclass
class Fault:
    """Answer ``status`` with ``body`` and ``headers`` to the next ``times`` matching requests."""

    status: int
    method: str = "*"
    path: str = "*"
    operation: str | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    served: int = 0

    def __post_init__(self) -> None:
        self._path = _path_matcher(self.path)

    def matches(self, method: str, path: str, operation_id: str | None) -> bool:
        if self.method != "*" and self.method.upper() != method.upper():
            return False
        if self.operation is not None and self.operation != operation_id:
            return False
        return bool(self._path.match(path))

    @property
    def exhausted(self) -> bool:
        return self.served >= self.times


class FaultQueue:
    """The faults a test has queued; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        method: str = "*",
        path: str = "*",
        *,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        operation: str | None = None,
    ) -> Fault:
        """Queue a fault; faults are tried in the order they were added."""
        fault = Fault(
            status=status,
            method=method,
            path=path,
            operation=operation,
            body=body if body is not None else {"message": _reason(status)},
            headers=dict(headers or {}),
            times=times,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def server_error(
        self,
        method: str = "*",
        path: str = "*",
        *,
        status: int = 502,
        times: int = 1,
        operation: str | None = None,
    ) -> Fault:
        """``502 Server Error`` (or another 5xx) ``times`` times."""
        return self.add(method, path, status=status, times=times, operation=operation)

    def secondary_rate_limit(
        self,
        method: str = "*",
        path: str = "*",
        *,
        retry_after: int | None = 1,
        times: int = 1,
        operation: str | None = None,
    ) -> Fault:
        """403 with GitHub's secondary-rate-limit message (and ``Retry-After`` unless ``None``)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = {"message": SECONDARY_RATE_LIMIT_MESSAGE, "documentation_url": RATE_LIMIT_DOCS}
        return self.add(
            method, path, status=403, body=body, headers=headers, times=times, operation=operation
        )

    def not_accessible(
        self, method: str = "*", path: str = "*", *, times: int = 1, operation: str | None = None
    ) -> Fault:
        """403 ``Resource not accessible by integration``, whatever the token may do."""
        body = {"message": NOT_ACCESSIBLE_MESSAGE, "documentation_url": "https://docs.github.com/rest"}
        return self.add(method, path, status=403, body=body, times=times, operation=operation)

    def take(self, method: str, path: str, operation_id: str | None) -> Fault | None:
        """The fault that answers this request (counted as served), or ``None``."""
        with self._lock:
            for fault in self._faults:
                if not fault.exhausted and fault.matches(method, path, operation_id):
                    fault.served += 1
                    return fault
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return [fault for fault in self._faults if not fault.exhausted]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


def _reason(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "Error"
    return "Server Error" if status >= 500 else phrase
