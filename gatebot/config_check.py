"""What `gatebot config` checks beyond the schema: what `gatebot run` would otherwise find out later.

Errors (raised as `ConfigError`, naming the file and the field): an unknown or malformed placeholder in
a benchmark's `run:` or `results:`, a `workdir` that is not a directory. Warnings (returned as lines):
`artifacts` and `inputs` globs that match no file, so no pull request would ever be gated by them.
Relative paths start at the config file's directory, as everywhere in gatebot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gatebot.config import Config, LoadedConfig
from gatebot.errors import ConfigError
from gatebot.plan import glob_to_regex
from gatebot.runner import PLACEHOLDERS, render_command, tree_files

_SAMPLE = {name: name for name in PLACEHOLDERS}


@dataclass(frozen=True)
class Unmatched:
    """A glob of the config that names no file."""

    field: str
    """`models.<name>.artifacts` or `benchmarks.<name>.inputs`."""
    glob: str


def check_placeholders(config: Config, *, where: str) -> None:
    """Raise a `ConfigError` naming `where` and the field for the first placeholder `run` would refuse."""
    for name, bench in config.benchmarks.items():
        if bench.run is not None:
            render_command(bench.run, _SAMPLE, where=f"{where}: benchmarks.{name}.run")
        if bench.results is not None:
            render_command(bench.results, _SAMPLE, where=f"{where}: benchmarks.{name}.results", quote=False)


def unmatched_globs(config: Config, files: Iterable[str]) -> list[Unmatched]:
    """The artifact and input globs that match none of `files` (POSIX paths relative to the config's
    directory), in the config's order."""
    globs: list[Unmatched] = [
        *(Unmatched(f"models.{n}.artifacts", g) for n, m in config.models.items() for g in m.artifacts),
        *(Unmatched(f"benchmarks.{n}.inputs", g) for n, b in config.benchmarks.items() for g in b.inputs),
    ]
    left = {u.glob for u in globs}
    for path in files:
        if not left:
            break
        left -= {g for g in left if glob_to_regex(g.removeprefix("./")).match(path)}
    return [u for u in globs if u.glob in left]


def check_config(loaded: LoadedConfig) -> list[str]:
    """Check what a loaded config names; raise on errors, return one warning line per doubtful glob."""
    if loaded.path is None:
        return []  # the defaults name nothing
    where = str(loaded.path)
    config = loaded.config
    check_placeholders(config, where=where)
    for name, bench in config.benchmarks.items():
        if bench.workdir is not None and not loaded.resolve(bench.workdir).is_dir():
            raise ConfigError(
                f"{where}: benchmarks.{name}.workdir: {bench.workdir} is not a directory",
                "paths are relative to the config file's directory",
            )
    return [
        f"{where}: {u.field}: {u.glob!r} matches no file (globs are relative to the config file's directory)"
        for u in unmatched_globs(config, tree_files(loaded.root))
    ]
