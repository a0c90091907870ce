"""The layering agreed in DESIGN.md section 4, checked on the source itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from helpers import ROOT

PACKAGE = ROOT / "simulator"


def imports_of(path: Path) -> set[str]:
    """Top-level module names a file imports (anywhere in it, lazily or not)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_only_the_loader_reads_yaml():
    users = {p.relative_to(PACKAGE).as_posix() for p in modules() if "yaml" in imports_of(p)}
    assert users == {"loader.py"}


def test_only_plotting_imports_matplotlib():
    users = {p.relative_to(PACKAGE).as_posix() for p in modules() if "matplotlib" in imports_of(p)}
    assert users and all(u.startswith("plotting/") for u in users), users


def test_files_are_written_only_by_storage():
    """Writing calls anywhere else: open(..., "w"), Path.write_*, temporary files, zips, renames.
    (``folder.write_text`` is a storage.ResultFolder; docgen refreshes the repository's own docs.)"""
    writers = {"write_bytes", "mkstemp", "ZipFile", "rename", "unlink"}
    offenders = []
    for path in modules():
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in ("storage.py", "docgen.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in writers:
                offenders.append(f"{rel}:{node.lineno}:{func.attr}")
            if (isinstance(func, ast.Attribute) and func.attr == "write_text"
                    and not (isinstance(func.value, ast.Name) and func.value.id == "folder")):
                offenders.append(f"{rel}:{node.lineno}:write_text")
            if isinstance(func, ast.Name) and func.id == "open":
                modes = [a.value for a in node.args[1:2] if isinstance(a, ast.Constant)]
                if any("w" in m or "a" in m for m in modes):
                    offenders.append(f"{rel}:{node.lineno}:open")
    assert not offenders, offenders


def test_importing_the_package_does_no_work():
    code = ("import sys, simulator; heavy = {'simpy', 'numpy', 'matplotlib', 'pydantic', 'networkx', 'yaml'};"
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_no_global_random_state():
    for path in modules():
        text = path.read_text(encoding="utf-8")
        assert "import random" not in text and "np.random.seed" not in text, path
        for fn in ("rand(", "randn(", "randint(", "normal(", "uniform(", "exponential(", "choice("):
            assert f"np.random.{fn}" not in text, (path, fn)


# --------------------------------------------------------------------------- layers and cycles


def module_name(path: Path) -> str:
    """``simulator/plotting/sweep.py`` -> ``simulator.plotting.sweep`` (a package by its __init__)."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_imports(path: Path, known: set[str]) -> set[str]:
    """Modules of the package that a file imports, at the top or lazily inside functions.

    ``from .x import y`` counts as importing the module ``x.y`` when that is a module, else ``x``."""
    here = module_name(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "simulator")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - node.level + 1] + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "simulator":
                base = node.module.split(".")
            else:
                continue
            for alias in node.names:
                child = ".".join(base + [alias.name])
                found.add(child if child in known else ".".join(base))
    return {name for name in found if name in known}


def import_graph() -> dict[str, set[str]]:
    known = {module_name(p) for p in modules()}
    return {module_name(p): package_imports(p, known) - {module_name(p)} for p in modules()}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of the graph as a list of modules (first = last), or [] when there is none."""
    state: dict[str, int] = {}   # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return []


def _layer(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_package_has_no_import_cycles():
    """Lazy imports included: a cycle hidden in a function is still two modules that need each other."""
    assert find_cycle(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_nothing_imports_the_command_line_or_the_explorer():
    graph = import_graph()
    offenders = {(importer, target) for importer, targets in graph.items() for target in targets
                 if _layer(target, ("simulator.cli", "simulator.explorer"))
                 and not _layer(importer, ("simulator.cli", "simulator.explorer", "simulator.__main__"))}
    assert not offenders, offenders


def test_model_and_metrics_import_no_views():
    views = ("simulator.plotting", "simulator.report", "simulator.explorer", "simulator.cli")
    graph = import_graph()
    offenders = {(importer, target) for importer, targets in graph.items() for target in targets
                 if _layer(importer, ("simulator.model", "simulator.metrics")) and _layer(target, views)}
    assert not offenders, offenders


def test_schema_and_validation_import_nothing_from_the_model():
    graph = import_graph()
    model = ("simulator.model", "simulator.network", "simulator.results", "simulator.metrics")
    offenders = {(importer, target) for importer, targets in graph.items() for target in targets
                 if importer in ("simulator.config", "simulator.validation", "simulator.loader")
                 and _layer(target, model)}
    assert not offenders, offenders



def test_no_two_modules_share_a_name():
    """A module's name says what it is: ``model/discovery`` (partners finding each other) and a
    chart of it are two names, not one name in two folders."""
    names: dict[str, list[str]] = {}
    for path in modules():
        if path.name != "__init__.py":
            names.setdefault(path.stem, []).append(path.relative_to(PACKAGE).as_posix())
    assert not {n: p for n, p in names.items() if len(p) > 1}


EVENT_PRIVATE = {"_ok", "_value", "_defused"}
"""Attributes SimPy keeps private on its events; nothing of ours may read or set them."""


def _is_environment(node: ast.expr) -> bool:
    """``env``, ``self.env``, ``fleet.env``...: an expression that names a SimPy environment."""
    return (isinstance(node, ast.Name) and node.id == "env") or (isinstance(node, ast.Attribute) and node.attr == "env")


def test_no_private_simpy_attributes():
    """Only SimPy's public API (``schedule``, ``timeout``, ``process``, ``run``, ``now``...): a
    SimPy release that changes its internals must not change a run silently (issue 11, step 5)."""
    import simpy

    environment_private = {name for name in vars(simpy.Environment()) if name.startswith("_")}
    offenders = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and (
                    node.attr in EVENT_PRIVATE
                    or (node.attr in environment_private and _is_environment(node.value))):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: .{node.attr}")
    assert not offenders, offenders


def test_the_private_attribute_check_sees_an_offender():
    tree = ast.parse("env._now\nself.env._eid\nstop._ok = True\nfleet._queue")
    found = [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
             and (n.attr in EVENT_PRIVATE or (n.attr in {"_now", "_eid", "_queue"} and _is_environment(n.value)))]
    assert sorted(found) == ["_eid", "_now", "_ok"]
