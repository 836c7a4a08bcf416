"""GitHub's page-based pagination: ``per_page`` (default 30, at most 100), ``page``, RFC 5988 ``Link``."""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100


def _int(values: Sequence[str] | None) -> int | None:
    if not values:
        return None
    try:
        return int(values[-1])
    except ValueError:
        return None


@dataclass(frozen=True)
class Page:
    """Where a list request asks to start, and how to build ``Link`` URLs for its neighbours."""

    base_url: str
    path: str
    query: Mapping[str, Sequence[str]]
    number: int
    size: int

    @classmethod
    def of(cls, base_url: str, path: str, query: Mapping[str, Sequence[str]]) -> Page:
        size = _int(query.get("per_page"))
        number = _int(query.get("page"))
        size = DEFAULT_PER_PAGE if size is None or size < 1 else min(size, MAX_PER_PAGE)
        return cls(base_url, path, query, number if number and number > 0 else 1, size)

    @property
    def requested(self) -> bool:
        """Whether the request named ``per_page`` or ``page`` at all."""
        return "per_page" in self.query or "page" in self.query

    def url(self, number: int) -> str:
        pairs = [(key, value) for key, values in self.query.items() if key != "page" for value in values]
        pairs.append(("page", str(number)))
        return f"{self.base_url}{self.path}?{urllib.parse.urlencode(pairs)}"

    def slice(self, items: Sequence[T]) -> tuple[list[T], dict[str, str]]:
        """This page's items and the ``Link`` header (absent when everything fits on one page)."""
        last = max(1, math.ceil(len(items) / self.size))
        start = (self.number - 1) * self.size
        chosen = list(items[start : start + self.size])
        links = []
        if self.number > 1:
            links.append((self.url(min(self.number - 1, last)), "prev"))
        if self.number < last:
            links.append((self.url(self.number + 1), "next"))
            links.append((self.url(last), "last"))
        if self.number > 1:
            links.append((self.url(1), "first"))
        headers = {"Link": ", ".join(f'<{url}>; rel="{rel}"' for url, rel in links)} if links else {}
        return chosen, headers
