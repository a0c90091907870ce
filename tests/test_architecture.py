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
