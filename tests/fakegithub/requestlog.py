"""The record of every request the fake answered, in arrival order, for assertions in tests."""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    """One request and the status it got. ``headers`` never include ``Authorization``."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]
    status: int
    operation_id: str | None
    login: str | None
    response: Any
    response_headers: dict[str, str]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[RecordedRequest] = []

    def append(self, entry: RecordedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> RecordedRequest:
        return self.entries[index]

    @property
    def entries(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._entries)

    def find(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        operation: str | None = None,
        status: int | None = None,
    ) -> list[RecordedRequest]:
        """Requests matching all given filters; ``path`` is a glob (``*/check-runs*``)."""
        return [
            entry
            for entry in self.entries
            if (method is None or entry.method == method.upper())
            and (path is None or fnmatch.fnmatchcase(entry.path, path))
            and (operation is None or entry.operation_id == operation)
            and (status is None or entry.status == status)
        ]

    def count(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        operation: str | None = None,
        status: int | None = None,
    ) -> int:
        return len(self.find(method, path, operation=operation, status=status))

    def operations(self) -> list[str]:
        """The operationIds in order (``"?"`` for requests that matched no operation)."""
        return [entry.operation_id or "?" for entry in self.entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
