"""The layout keeps its architecture: imports point one way, there is no import circle, SQL stays
in the store, the training half reads files only, and typer and streamlit stay at the edge (see
../shared/DESIGN.md and the README's Layout section). The checks read the source, so a new
module is held to them the day it is added; each is also run on a planted violation."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("annotate", "train")

# Layers, lowest first: a module imports (at module level) only from its own layer or below.
VALUES = ("annotate.records", "annotate.errors", "annotate.config", "annotate.clock", "annotate.text", "annotate.stats",
          "annotate.crash_points",
          "annotate.contracts")  # fmt: skip
STORE = ("annotate.store",)
DOMAIN = ("annotate.project", "annotate.ingest", "annotate.flagging", "annotate.tasks", "annotate.review",
          "annotate.consensus", "annotate.export", "annotate.reports", "annotate.sample")  # fmt: skip
LABEL_STUDIO = ("annotate.labelstudio",)
INTERFACES = ("annotate.cli", "annotate.ui", "annotate.__main__", "review_app")
LAYERS = (VALUES, STORE, DOMAIN, LABEL_STUDIO, INTERFACES)
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|BEGIN|COMMIT|WITH)\s")


class Tree:
    """The project's Python modules under `root`, parsed once."""

    def __init__(self, root: Path):
        self.root = root
        self.paths = {self._name(path): path for package in PACKAGES for path in (root / package).rglob("*.py")}
        if (root / "review_app.py").exists():
            self.paths["review_app"] = root / "review_app.py"
        self._parsed: dict[str, ast.Module] = {}

    def _name(self, path: Path) -> str:
        parts = path.relative_to(self.root).with_suffix("").parts
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    def parsed(self, name: str) -> ast.Module:
        if name not in self._parsed:
            self._parsed[name] = ast.parse(self.paths[name].read_text(encoding="utf-8"))
        return self._parsed[name]

    def imports(self, name: str, *, top_level_only: bool = False) -> set[str]:
        """The project modules `name` imports (`from package import module` counts as the module)."""
        nodes = self.parsed(name).body if top_level_only else ast.walk(self.parsed(name))
        found = set()
        for node in nodes:
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    child = f"{node.module}.{alias.name}"
                    found.add(child if child in self.paths else node.module)
        return {module for module in found if module in self.paths and module != name}

    def imported_names(self, name: str) -> list[tuple[int, str]]:
        """(line, module) of every import statement in `name`, third-party ones included."""
        found = []
        for node in ast.walk(self.parsed(name)):
            if isinstance(node, ast.Import):
                found += [(node.lineno, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                found.append((node.lineno, node.module or ""))
        return found


def layer(name: str) -> int | None:
    for rank, modules in enumerate(LAYERS):
        if any(name == prefix or name.startswith(prefix + ".") for prefix in modules):
            return rank
    return None


def unplaced_modules(tree: Tree) -> list[str]:
    return sorted(name for name in tree.paths if name.startswith("annotate.") and layer(name) is None)


def upward_imports(tree: Tree) -> list[str]:
    return sorted(
        f"{name} imports {imported}"
        for name in tree.paths if (rank := layer(name)) is not None
        for imported in tree.imports(name, top_level_only=True)
        if (other := layer(imported)) is not None and other > rank
    )  # fmt: skip


def import_circles(tree: Tree) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), counting every import,
    function-local ones included: a circle hidden inside a function is still a circle."""
    graph = {name: tree.imports(name) for name in tree.paths}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for following in sorted(graph[node]):
            if following not in index:
                visit(following)
                low[node] = min(low[node], low[following])
            elif following in on_stack:
                low[node] = min(low[node], index[following])
        if low[node] == index[node]:
            component = []
            while (member := stack.pop()) != node:
                on_stack.discard(member)
                component.append(member)
            on_stack.discard(node)
            if component:
                circles.append(sorted([node, *component]))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return circles


def train_reaching_past_the_values(tree: Tree) -> list[str]:
    return sorted(f"{name} imports {imported}" for name in tree.paths if name.startswith("train")
                  for imported in tree.imports(name) if imported.startswith("annotate") and layer(imported) != 0)  # fmt: skip


def annotate_importing_train_at_module_level(tree: Tree) -> list[str]:
    return sorted(f"{name} imports {imported}" for name in tree.paths if not name.startswith("train")
                  for imported in tree.imports(name, top_level_only=True) if imported.startswith("train"))  # fmt: skip


def sql_outside_the_store(tree: Tree) -> list[str]:
    """sqlite-utils, a connection of its own, a statement on the store's connection, or SQL text,
    anywhere but `annotate/store/` (catching `sqlite3.Error` at an edge is allowed)."""
    offenders = []
    for name in tree.paths:
        if name.startswith("annotate.store"):
            continue
        offenders += [f"{name}:{line} imports sqlite_utils" for line, module in tree.imported_names(name)
                      if module.split(".")[0] == "sqlite_utils"]  # fmt: skip
        for node in ast.walk(tree.parsed(name)):
            if isinstance(node, ast.Attribute) and _is_sql_access(node):
                offenders.append(f"{name}:{node.lineno} runs SQL through {ast.unparse(node)}")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
                offenders.append(f"{name}:{node.lineno} holds SQL {node.value.strip()[:40]!r}")
    return sorted(offenders)


def _is_sql_access(node: ast.Attribute) -> bool:
    """`sqlite3.connect`, `store.db` / `store.conn`, or `.execute`/`.query` on anything's `.db` or `.conn`."""
    value = node.value
    if isinstance(value, ast.Name) and value.id == "sqlite3" and node.attr == "connect":
        return True
    if node.attr in ("db", "conn") and isinstance(value, ast.Name) and value.id.endswith("store"):
        return True
    return (node.attr in ("execute", "executemany", "executescript", "query")
            and isinstance(value, ast.Attribute) and value.attr in ("db", "conn"))  # fmt: skip


def interfaces_querying_the_store(tree: Tree) -> list[str]:
    """Pages and commands hand the store to domain functions; they call none of its queries themselves."""
    return sorted(
        f"{name}:{node.lineno} calls {ast.unparse(node.func)}"
        for name in tree.paths if layer(name) == len(LAYERS) - 1
        for node in ast.walk(tree.parsed(name))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name) and node.func.value.id == "store"
    )  # fmt: skip


def forbidden_imports(tree: Tree, where, packages: tuple[str, ...]) -> list[str]:
    """Imports of `packages` in the modules `where(name)` selects."""
    return sorted(f"{name}:{line} imports {module}" for name in tree.paths if where(name)
                  for line, module in tree.imported_names(name) if module.split(".")[0] in packages)  # fmt: skip


def ui_libraries_below_the_interfaces(tree: Tree) -> list[str]:
    below = lambda name: name.startswith("annotate") and layer(name) != len(LAYERS) - 1  # noqa: E731
    return forbidden_imports(tree, below, ("typer", "streamlit"))


def heavy_imports_in_the_values(tree: Tree) -> list[str]:
    return forbidden_imports(tree, lambda name: layer(name) == 0, ("pandas", "sqlite3", "sqlite_utils"))


CHECKS = (unplaced_modules, upward_imports, import_circles, train_reaching_past_the_values,
          annotate_importing_train_at_module_level, sql_outside_the_store, interfaces_querying_the_store,
          ui_libraries_below_the_interfaces, heavy_imports_in_the_values)  # fmt: skip


@cache
def repository() -> Tree:
    return Tree(ROOT)


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_the_repository_keeps_its_architecture(check):
    assert check(repository()) == []


@pytest.fixture
def planted(tmp_path: Path) -> Tree:
    """A small tree with one violation of every rule."""
    files = {
        "annotate/__init__.py": "",
        "annotate/records.py": "import pandas\nfrom annotate.store import Store\n",
        "annotate/text/__init__.py": "",
        "annotate/store/__init__.py": "import sqlite_utils\nclass Store: ...\n",
        "annotate/tasks/__init__.py": "",
        "annotate/tasks/selection.py": "import streamlit\nfrom annotate.tasks import gold\n",
        "annotate/tasks/gold.py": "def f():\n    from annotate.tasks import selection\n",
        "annotate/reports/__init__.py": "",
        "annotate/reports/overview.py": "from annotate.ui import pages\nimport train.recipe\n"
                                        "def f(store):\n    store.db.execute('x')\n    return 'SELECT * FROM records'\n",
        "annotate/ui/__init__.py": "",
        "annotate/ui/pages.py": "import streamlit\ndef page(store):\n    return store.flag_counts()\n",
        "annotate/stray.py": "",
        "train/__init__.py": "",
        "train/recipe.py": "from annotate.store import Store\n",
    }  # fmt: skip
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return Tree(tmp_path)


def test_each_check_finds_its_planted_violation(planted):
    assert unplaced_modules(planted) == ["annotate.stray"]
    assert upward_imports(planted) == ["annotate.records imports annotate.store", "annotate.reports.overview imports annotate.ui.pages"]
    assert import_circles(planted) == [["annotate.tasks.gold", "annotate.tasks.selection"]]
    assert train_reaching_past_the_values(planted) == ["train.recipe imports annotate.store"]
    assert annotate_importing_train_at_module_level(planted) == ["annotate.reports.overview imports train.recipe"]
    assert sql_outside_the_store(planted) == [
        "annotate.reports.overview:4 runs SQL through store.db",
        "annotate.reports.overview:4 runs SQL through store.db.execute",
        "annotate.reports.overview:5 holds SQL 'SELECT * FROM records'",
    ]
    assert interfaces_querying_the_store(planted) == ["annotate.ui.pages:3 calls store.flag_counts"]
    assert ui_libraries_below_the_interfaces(planted) == ["annotate.tasks.selection:1 imports streamlit"]
    assert heavy_imports_in_the_values(planted) == ["annotate.records:1 imports pandas"]


@pytest.mark.slow
def test_importing_training_and_evaluation_never_loads_the_store_or_sqlite_utils():
    probe = ("import sys, train.recipe, train.evaluate, train.sft, train.dpo; "
             "print(sorted(m for m in sys.modules if m.startswith(('annotate.store', 'sqlite_utils', 'annotate.flagging'))))")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
