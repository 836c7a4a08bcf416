"""The rules of ARCHITECTURE.md that keep the house readable, checked on the source itself.

The pure modules (everything between reading the config and rendering the report) take plain values and
return plain values: they import no module that talks to the network, starts processes or touches the
file system, and they write no file. Reading the world and writing to it is the job of the thin ends
(cli, action, activities, runner, github, results/baselines stores).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "gatebot"

PURE = (
    "stats.py",
    "stats_designs.py",
    "discover.py",
    "subgroups.py",
    "measure.py",
    "pairing.py",
    "compare.py",
    "decision.py",
    "verdict.py",
    "report.py",
    "commands.py",
    "markdown.py",
    "numbers.py",
    "events.py",
    "plan.py",
    "gating.py",
    "policy.py",
    "forkrun.py",
    "baselines/layout.py",
    "reuse.py",
    "shards.py",
    "progress.py",
)
FORBIDDEN_IMPORTS = (
    "os",
    "subprocess",
    "socket",
    "shutil",
    "tempfile",
    "requests",
    "urllib",
    "http",
    "github",
    "gatebot.github",
    "gatebot.runner",
    "gatebot.proctree",
    "gatebot.action",
    "gatebot.activities",
    "gatebot.cli",
)
WRITING_METHODS = frozenset(
    {"write_text", "write_bytes", "mkdir", "unlink", "rmdir", "rename", "touch", "symlink_to", "chmod"}
)


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN_IMPORTS)


def _writes(tree: ast.AST) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in WRITING_METHODS:
            found.append(f"line {node.lineno}: .{func.attr}()")
        is_open = (isinstance(func, ast.Name) and func.id == "open") or (
            isinstance(func, ast.Attribute) and func.attr == "open"
        )
        if is_open:
            modes = [a for a in node.args[1:2]] + [k.value for k in node.keywords if k.arg == "mode"]
            for mode in modes:
                if not isinstance(mode, ast.Constant) or set(str(mode.value)) & set("wax+"):
                    found.append(f"line {node.lineno}: open() for writing")
    return found


@pytest.mark.parametrize("module", PURE)
def test_pure_module__imports_no_io_or_network_module(module: str) -> None:
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    assert [name for name in _imports(tree) if _forbidden(name)] == []


@pytest.mark.parametrize("module", PURE)
def test_pure_module__writes_no_file(module: str) -> None:
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    assert _writes(tree) == []


def test_the_guard_itself__catches_an_io_import_and_a_write() -> None:
    tree = ast.parse(
        "import os\nfrom github import Github\nfrom pathlib import Path\nPath('x').write_text('y')\n"
    )
    assert [n for n in _imports(tree) if _forbidden(n)] == ["os", "github", "github.Github"]
    assert _writes(tree) == ["line 4: .write_text()"]
    assert _writes(ast.parse("open('f', 'w')\nopen('g')\n")) == ["line 1: open() for writing"]


def test_only_the_github_package_imports_pygithub() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("github/"):
            continue
        names = _imports(ast.parse(path.read_text(encoding="utf-8")))
        if any(name == "github" or name.startswith("github.") for name in names):
            offenders.append(relative)
    # The baselines branch store builds on the Git Data calls and takes a client: it names PyGithub's
    # exception types to tell a lost compare-and-swap from other errors.
    assert offenders in ([], ["baselines/branch.py"])


def test_no_module_over_400_lines_without_a_reason_in_its_docstring() -> None:
    unexplained = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") <= 420:
            continue
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if "lines" not in docstring:
            unexplained.append(path.relative_to(PACKAGE).as_posix())
    assert unexplained == []
