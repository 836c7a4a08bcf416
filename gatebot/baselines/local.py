"""The local baseline store: `.gatebot/baselines/<model>/<benchmark>.json`, one results file each."""

from __future__ import annotations

from pathlib import Path

from gatebot.errors import InputError
from gatebot.results import Results, load_results, write_results

DEFAULT_DIR = Path(".gatebot") / "baselines"


class LocalStore:
    """Baselines kept in a directory, e.g. committed with the repository."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, model: str, benchmark: str) -> Path:
        for part in (model, benchmark):
            if not part or part.startswith(".") or "/" in part or "\\" in part:
                raise InputError(
                    f"model/benchmark name {part!r} cannot name a baseline file", "use a plain name"
                )
        return self.root / model / f"{benchmark}.json"

    def load(self, model: str, benchmark: str) -> Results | None:
        path = self.path_for(model, benchmark)
        return load_results(path) if path.exists() else None

    def save(self, results: Results) -> Path:
        path = self.path_for(results.model, results.benchmark)
        write_results(results, path)
        return path
