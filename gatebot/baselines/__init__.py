"""Where baselines live and how a gate finds them.

- `local`: the files committed with the code (`LocalStore`, `DEFAULT_DIR`);
- `layout`: the baselines branch's layout and history format, as pure functions;
- `source`: the `BaselineSource` protocol, what it finds (`Found`) and the file source;
- `branch`: the branch store (`BaselineStore`) and its source (`BranchSource`), on GitHub's Git Data
  API. It is the only module here that reaches GitHub, and it is imported on first use of its names,
  so the pure core can import this package without loading PyGithub.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gatebot.baselines.local import DEFAULT_DIR, LocalStore
from gatebot.baselines.source import BaselineSource, FileSource, Found

if TYPE_CHECKING:
    from gatebot.baselines.branch import BaselineStore, BranchSource

__all__ = [
    "DEFAULT_DIR",
    "BaselineSource",
    "BaselineStore",
    "BranchSource",
    "FileSource",
    "Found",
    "LocalStore",
]

_BRANCH_NAMES = ("BaselineStore", "BranchSource")


def __getattr__(name: str) -> Any:
    if name in _BRANCH_NAMES:
        return getattr(importlib.import_module("gatebot.baselines.branch"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
