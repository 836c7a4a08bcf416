"""When results can be reused instead of running a benchmark again, and what a gate run cost (pure).

Results are a function of what the benchmark reads: the model's artifact files, the benchmark's `inputs`
(its script, its dataset), its config, and the shard it ran. `ReuseKey` names those digests; results
whose provenance records the same ones, written in the same results format, are the results a run would
give, so gatebot takes them instead of running. A key exists only when each part is known: a model with
no artifact files or a benchmark that declares no `inputs` has nothing that says it did not change.

A key is looked up only within a trust scope (`trust_scope`): results a fork's job produced can be
anything its code chose to write, so they never feed a run of the repository's own code, and the other
way round. The baselines branch is the exception: only the repository's default branch writes it, so
its records serve every scope.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gatebot.errors import InputError
from gatebot.results import SCHEMA
from gatebot.verdict import Cost

KEY_VERSION = 1
"""The version of the key's own layout: a change to what a key covers changes every key."""
CACHE_KEY_PREFIX = f"gatebot-results-{KEY_VERSION}"
LOCAL_SCOPE = "local"
REPOSITORY_SCOPE = "repository"
_PR_EVENTS = frozenset({"pull_request", "pull_request_target"})
_UNSAFE = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True)
class Shard:
    """Part `index` (from 0) of `count` parts of a benchmark; `Shard(0, 1)` is the whole of it."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def whole(self) -> bool:
        return self.count == 1


WHOLE = Shard(0, 1)


def parse_shard(text: str, *, where: str = "--shard") -> Shard:
    """`I/N` (0 <= I < N) as a `Shard`; anything else is an `InputError` naming `where`."""
    match = re.fullmatch(r"\s*(\d{1,4})\s*/\s*(\d{1,4})\s*", text)
    if match is None:
        raise InputError(f"{where} {text!r}: expected INDEX/COUNT, e.g. 0/3", "shards are numbered from 0")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or index >= count:
        raise InputError(
            f"{where} {text}: the index of a shard runs from 0 to COUNT-1",
            f"use 0/{max(count, 1)} to {max(count, 1) - 1}/{max(count, 1)}",
        )
    return Shard(index, count)


def shard_of(provenance: Mapping[str, Any]) -> Shard:
    """The shard that results recorded in their provenance (the whole benchmark when none)."""
    value = provenance.get("shard")
    if not isinstance(value, str):
        return WHOLE
    try:
        return parse_shard(value, where="provenance.shard")
    except InputError:
        return Shard(-1, 0)  # matches no key


@dataclass(frozen=True)
class ReuseKey:
    """Everything a benchmark's results depend on, as far as gatebot can see it."""

    model: str
    benchmark: str
    model_digest: str
    inputs_digest: str
    config_digest: str
    shard: Shard = WHOLE
    results_format: str = SCHEMA

    def canonical(self) -> str:
        return json.dumps(
            {
                "key": KEY_VERSION,
                "format": self.results_format,
                "model": self.model,
                "benchmark": self.benchmark,
                "model_digest": self.model_digest,
                "inputs_digest": self.inputs_digest,
                "config_digest": self.config_digest,
                "shard": str(self.shard),
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    def digest(self, scope: str) -> str:
        """The key within a trust scope, as hex: the name of its entry in a cache folder."""
        return hashlib.sha256(f"{scope}\n{self.canonical()}".encode()).hexdigest()

    def matches(self, provenance: Mapping[str, Any]) -> bool:
        """True when results with this provenance were produced from exactly this key's parts."""
        return (
            provenance.get("model_digest") == self.model_digest
            and provenance.get("inputs_digest") == self.inputs_digest
            and provenance.get("config_digest") == self.config_digest
            and shard_of(provenance) == self.shard
        )


def reuse_key(
    model: str,
    benchmark: str,
    *,
    model_digest: str | None,
    inputs_digest: str | None,
    config_digest: str,
    shard: Shard = WHOLE,
) -> ReuseKey | str:
    """The key of a job, or why it has none (a sentence for the log)."""
    if model_digest is None:
        return f"model {model} declares no `artifacts` that exist, so nothing says it is unchanged"
    if inputs_digest is None:
        return f"benchmark {benchmark} declares no `inputs` that exist, so nothing says it is unchanged"
    return ReuseKey(model, benchmark, model_digest, inputs_digest, config_digest, shard)


def trust_scope(
    *, in_actions: bool, event_name: str | None, payload: Mapping[str, Any], repository: str | None
) -> str:
    """Whose code produced results in this run: `local` (a laptop), `repository` (a push, a dispatch or
    a pull request from a branch of the repository) or `fork-<owner>-<name>` (a fork's pull request)."""
    if not in_actions:
        return LOCAL_SCOPE
    if event_name in _PR_EVENTS:
        pull = payload.get("pull_request")
        head = pull.get("head") if isinstance(pull, Mapping) else None
        repo = head.get("repo") if isinstance(head, Mapping) else None
        name = repo.get("full_name") if isinstance(repo, Mapping) else None
        return pull_request_scope(name if isinstance(name, str) else None, repository)
    return REPOSITORY_SCOPE


def pull_request_scope(head_repository: str | None, repository: str | None) -> str:
    """The trust scope of a pull request's run: `repository` for one from a branch of `repository`,
    `fork-<owner>-<name>` for one from a fork (or from a head whose repository is unknown)."""
    if head_repository and repository and head_repository.lower() == repository.lower():
        return REPOSITORY_SCOPE
    shown = head_repository or "unknown"
    return "fork-" + _UNSAFE.sub("-", shown.lower()).strip("-")


def valid_scope(text: str) -> bool:
    """True for a scope `trust_scope` can return (it names a cache folder's subfolder)."""
    return (
        text in (LOCAL_SCOPE, REPOSITORY_SCOPE) or re.fullmatch(r"fork-[a-z0-9._-]{1,200}", text) is not None
    )


def cache_key(keys: Iterable[ReuseKey], scope: str) -> tuple[str, str]:
    """The `actions/cache` key of a set of jobs and the prefix to restore from when it misses.

    The exact key changes whenever one job's key does; the prefix restores the newest cache of the same
    scope, whose entries serve every job whose key did not change."""
    inner = hashlib.sha256("\n".join(sorted(k.digest(scope) for k in keys)).encode()).hexdigest()
    prefix = f"{CACHE_KEY_PREFIX}-{scope}-"
    return prefix + inner[:40], prefix


def duration(seconds: float) -> str:
    """`0.4 s`, `12 s`, `3 min 5 s`, `2 h 10 min`."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def _cost_phrase(cost: Cost) -> str:
    took = duration(cost.seconds) if cost.seconds is not None else None
    if cost.reused_from is not None:
        measured = f" (measured in {took})" if took else ""
        return f"{cost.label}: reused from {cost.reused_from}{measured}"
    if cost.shards > 1:
        return f"{cost.label}: ran in {cost.shards} shards" + (f", {took} in all" if took else "")
    return f"{cost.label}: ran" + (f" in {took}" if took else "")


def cost_line(costs: Sequence[Cost]) -> str | None:
    """The report's footer line on what the gate cost, None when nothing ran or was reused."""
    if not costs:
        return None
    return "Cost: " + "; ".join(_cost_phrase(c) for c in costs) + "."
