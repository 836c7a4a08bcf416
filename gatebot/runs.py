"""How a gate gets a job's results: reused when nothing they depend on changed, else run; or read from a
folder of results (whole, or partial ones from sharded jobs, merged here).

The places to look, in order: the baselines branch (only the default branch writes it, so it serves
every trust scope), then the cache folder of this trust scope, which `actions/cache` can carry from one
workflow run to the next. The keys and scopes are `gatebot.reuse`; merging is `gatebot.shards`. Every
job's cost (run or reused, from where, its wall time, its shards) is kept for the report's footer.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from gatebot.baselines.source import Found
from gatebot.config import LoadedConfig
from gatebot.errors import InputError
from gatebot.plan import Job
from gatebot.results import Results, atomic_write, load_results, write_results
from gatebot.reuse import WHOLE, ReuseKey, Shard, reuse_key, trust_scope
from gatebot.runner import Digests, job_digests, results_path, run_benchmark
from gatebot.shards import Part, merge
from gatebot.verdict import Cost

if TYPE_CHECKING:
    from gatebot.baselines.branch import BaselineStore

Lookup = Callable[[ReuseKey], Found | None]
CACHE_SUBDIR = "cache"


def cache_folder(loaded: LoadedConfig, *, override: Path | None, out_dir: Path) -> Path:
    """GATEBOT_CACHE_DIR, else `gate.cache_dir` beside the config, else `cache` in the output folder."""
    if override is not None:
        return override
    if loaded.config.gate.cache_dir is not None:
        return loaded.resolve(loaded.config.gate.cache_dir)
    return out_dir / CACHE_SUBDIR


def scope_of(
    *, in_actions: bool, event_name: str | None, event_path: Path | None, repository: str | None
) -> str:
    """The trust scope of this process (see `gatebot.reuse.trust_scope`), from the event's payload."""
    payload: Any = {}
    if in_actions and event_path is not None:
        try:
            payload = json.loads(event_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InputError(f"{event_path}: cannot read the event payload ({error})") from None
    if not isinstance(payload, Mapping):
        payload = {}
    return trust_scope(in_actions=in_actions, event_name=event_name, payload=payload, repository=repository)


SCOPE_FIELD = "cache_scope"
"""The provenance key a cache entry records its trust scope in; an entry of another scope is a miss."""


class LocalCache:
    """Results kept in a folder, one file per key, in a subfolder per trust scope.

    Each entry also records its scope, and one that names another is not used (a cache folder that a
    fork's job filled, restored under the wrong key, feeds nothing but that fork's runs). The folder's
    contents are only as trustworthy as the storage that carries it: `actions/cache` keeps a pull
    request's caches to its own ref, and `gatebot cache-key` puts the scope in the key."""

    def __init__(self, root: Path, scope: str) -> None:
        self.root = root
        self.scope = scope

    def path(self, key: ReuseKey) -> Path:
        return self.root / self.scope / f"{key.digest(self.scope)}.json"

    def find(self, key: ReuseKey) -> Found | None:
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            results = load_results(path)
        except InputError:
            return None  # a damaged entry is a miss; the run that follows writes it again
        if (
            (results.model, results.benchmark) != (key.model, key.benchmark)
            or not key.matches(results.provenance)
            or results.provenance.get(SCOPE_FIELD) != self.scope
        ):
            return None
        provenance = {k: v for k, v in results.provenance.items() if k != SCOPE_FIELD}
        return Found(dataclasses.replace(results, provenance=provenance), f"the cache folder {self.root}")

    def put(self, key: ReuseKey, results: Results) -> None:
        ignore = self.root / ".gitignore"
        if not ignore.exists():
            atomic_write(ignore, [b"# gatebot's cache of reusable results: never commit it\n*\n"])
        entry = dataclasses.replace(results, provenance={**results.provenance, SCOPE_FIELD: self.scope})
        write_results(entry, self.path(key))


def job_key(loaded: LoadedConfig, job: Job, shard: Shard = WHOLE) -> ReuseKey | str:
    """The reuse key of a job as the checkout has it, or why it has none (`reuse: false` included)."""
    if not loaded.config.benchmarks[job.benchmark].reuse:
        return f"benchmark {job.benchmark} says `reuse: false`"
    return digests_key(job, job_digests(loaded, job), shard)


def digests_key(job: Job, digests: Digests, shard: Shard = WHOLE) -> ReuseKey | str:
    """The reuse key of a job whose digests are known, or why it has none."""
    return reuse_key(
        job.model,
        job.benchmark,
        model_digest=digests.model,
        inputs_digest=digests.inputs,
        config_digest=digests.config,
        shard=shard,
    )


def found_lookup(found: Mapping[tuple[str, str], Found]) -> Lookup:
    """Results found earlier (the Action's plan stage looked on the baselines branch), by model and
    benchmark; used only when their provenance matches the key computed now."""

    def find(key: ReuseKey) -> Found | None:
        hit = found.get((key.model, key.benchmark))
        if hit is None or not key.matches(hit.results.provenance):
            return None
        return hit

    return find


def branch_lookup(store: BaselineStore) -> Lookup:
    """The newest record on the baselines branch produced from exactly the key's digests."""

    def find(key: ReuseKey) -> Found | None:
        for entry in reversed(store.history(key.model, key.benchmark)):
            if key.matches(entry.provenance):
                where = f"the {store.branch} branch (recorded for commit {entry.commit[:7]})"
                return Found(store.load(entry), where)
        return None

    return find


def _seconds(results: Results) -> float | None:
    value = results.provenance.get("wall_seconds")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _shards(results: Results) -> int:
    value = results.provenance.get("shards")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


@dataclass
class Runs:
    """Produces jobs' results, reusing what it can; `costs` says what each job cost."""

    log: IO[str]
    cache: LocalCache | None = None
    lookups: Sequence[Lookup] = ()
    reuse: bool = True
    costs: list[Cost] = field(default_factory=list)
    keyed: bool = False
    """True once a job had a reuse key: its results could have been reused, so saying whether they were
    tells something."""

    def run(
        self,
        loaded: LoadedConfig,
        job: Job,
        out_dir: Path,
        *,
        shard: Shard = WHOLE,
        label: str | None = None,
    ) -> tuple[Results, Path]:
        """The job's results, reused or run, written where a run writes them."""
        label = label or f"{job.benchmark} for {job.model}" + ("" if shard.whole else f" (shard {shard})")
        digests = job_digests(loaded, job)
        key: ReuseKey | None = None
        if self.reuse and loaded.config.benchmarks[job.benchmark].reuse:
            made = digests_key(job, digests, shard)
            if isinstance(made, str):
                print(f"gatebot: {label}: results are not reused: {made}", file=self.log)
            else:
                key = made
                self.keyed = True
                found = self._find(key)
                if found is not None:
                    path = results_path(out_dir, job, shard)
                    write_results(found.results, path)
                    print(
                        f"gatebot: {label}: reused results from {found.source}: the model, inputs and "
                        f"config are unchanged (key {key.digest('')[:12]})",
                        file=self.log,
                    )
                    self.costs.append(Cost(label, found.source, _seconds(found.results)))
                    return found.results, path
        results, path = run_benchmark(loaded, job, out_dir, log=self.log, shard=shard, digests=digests)
        if key is not None and self.cache is not None:
            self.cache.put(key, results)
        self.costs.append(Cost(label, None, _seconds(results)))
        return results, path

    def _find(self, key: ReuseKey) -> Found | None:
        places = [*self.lookups, self.cache.find] if self.cache is not None else list(self.lookups)
        for look in places:
            found = look(key)
            if found is not None:
                return found
        return None

    def candidate(self, loaded: LoadedConfig, out_dir: Path) -> Callable[[Job], Results]:
        """The gate's candidate: each job's results, reused or run."""
        return lambda job: self.run(loaded, job, out_dir)[0]

    def read(self, loaded: LoadedConfig, folder: Path, job: Job, out_dir: Path) -> tuple[Results, Path]:
        """A job's results from a folder other jobs wrote (the shards of a matrix, merged here)."""
        results = read_folder(loaded, folder, job)
        path = results_path(out_dir, job)
        write_results(results, path)
        label = f"{job.benchmark} for {job.model}"
        self.costs.append(Cost(label, None, _seconds(results), _shards(results)))
        return results, path

    def from_folder(self, loaded: LoadedConfig, folder: Path, out_dir: Path) -> Callable[[Job], Results]:
        """The gate's candidate from a folder other jobs wrote (the shards of a matrix, merged here)."""
        return lambda job: self.read(loaded, folder, job, out_dir)[0]


def partials(folders: Sequence[Path]) -> dict[tuple[str, str], list[Part]]:
    """Every partial results file (`<model>/<benchmark>.shard-I-of-N.json`) below `folders`, by job."""
    found: dict[tuple[str, str], list[Part]] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*.shard-*-of-*.json")):
            results = load_results(path)
            found.setdefault((results.model, results.benchmark), []).append(Part(str(path), results))
    return found


def read_folder(loaded: LoadedConfig, folder: Path, job: Job) -> Results:
    """A job's results from `folder`: `<model>/<benchmark>.json`, else its shards there, merged."""
    whole = results_path(folder, job)
    if whole.is_file():
        return load_results(whole)
    if not folder.is_dir():
        raise InputError(f"results-dir {folder}: not a folder", "download the shard jobs' results there")
    parts = [
        Part(str(path), load_results(path))
        for path in sorted(folder.rglob(f"{job.benchmark}.shard-*-of-*.json"))
        if path.parent.name == job.model
    ]
    if not parts:
        raise InputError(
            f"results-dir {folder}: no results of {job.model}/{job.benchmark} (neither "
            f"{job.model}/{job.benchmark}.json nor its shards)",
            "check that its shard jobs ran and that their results were downloaded into this folder",
        )
    merged = merge(parts)
    expected = loaded.config.benchmarks[job.benchmark].shards
    if _shards(merged) != expected:
        raise InputError(
            f"{job.model}/{job.benchmark}: the results in {folder} are in {_shards(merged)} shards, "
            f"the config says shards: {expected}",
            "run the shards the config asks for (gatebot plan lists them)",
        )
    return merged
