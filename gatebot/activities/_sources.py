"""Where the Action finds baselines: the baselines branch, then the files committed in the checkout."""

from __future__ import annotations

from gatebot.activities.context import Context
from gatebot.baselines import DEFAULT_DIR, LocalStore
from gatebot.config import LoadedConfig
from gatebot.gating import BaselineSource, FileSource, Found
from gatebot.github.baseline_store import BaselineStore, github_is_ancestor
from gatebot.github.client import Client
from gatebot.verdict import TrendPoint


class BranchSource:
    """Baselines recorded on the baselines branch: the newest record on the base commit or one of its
    ancestors. Falls back to the files committed under `.gatebot/baselines` in the checkout."""

    def __init__(self, gh: Client, repository: str, base_sha: str, branch: str, files: FileSource) -> None:
        self.store = BaselineStore(gh, repository, branch=branch)
        self.base_sha = base_sha
        self.is_ancestor = github_is_ancestor(gh, repository)
        self.files = files

    def find(self, model: str, benchmark: str) -> Found | None:
        entry = self.store.find_baseline(
            model, benchmark, base_sha=self.base_sha, is_ancestor=self.is_ancestor
        )
        if entry is None:
            return self.files.find(model, benchmark)
        source = f"commit {entry.commit[:7]}, recorded {entry.recorded_at} on the {self.store.branch} branch"
        return Found(self.store.load(entry), source)

    def trend(self, model: str, benchmark: str, points: int) -> list[TrendPoint]:
        """The newest records on the base commit's line of history (not other branches'), oldest first."""
        chosen: list[TrendPoint] = []
        seen: set[str] = set()
        for entry in reversed(self.store.history(model, benchmark)):
            if len(chosen) == points:
                break
            if entry.commit in seen:
                continue
            if entry.commit == self.base_sha or self.is_ancestor(entry.commit, self.base_sha):
                seen.add(entry.commit)
                chosen.append(TrendPoint(entry.commit[:7], dict(entry.metrics)))
        return chosen[::-1]


def _sources(ctx: Context, gh: Client | None, loaded: LoadedConfig, base_sha: str | None) -> BaselineSource:
    files = FileSource(LocalStore(loaded.root / DEFAULT_DIR), label=DEFAULT_DIR.as_posix())
    if gh is None or not base_sha:
        return files
    return BranchSource(gh, ctx.runner.repository, base_sha, loaded.config.gate.baselines_branch, files)
