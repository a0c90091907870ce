"""The one reader of result folders, beside their one writer (:mod:`simulator.storage`).

The command line, the report, the charts, the explorer and the Python API read a run or an
experiment folder only through this module (the layout is described in ``results/README.md``):

* :func:`read_json` reads ``metrics.json``, ``manifest.json``, ``plan.json``, ``chart_data.json``
  or a run record, and says which file is missing or damaged (an :class:`EipsimError`, never a
  bare ``JSONDecodeError``);
* :func:`read_table` reads a CSV table as typed rows: a column whose every filled cell is a
  number holds numbers (``int`` where the text is an integer, else ``float``), a column of
  ``True``/``False`` holds booleans, and in these an empty cell (NaN or nothing when written, see
  :func:`storage.csv_text`) is ``None``; other columns keep their text, empty cells as ``""``;
  a column with no filled cell holds ``None``;
* :class:`ResultReader` knows the files of a folder: its kind, indicators, provenance, plan,
  tables and chart data (of the run, or of each arm's representative run), and the run folders
  of an experiment (``runs/<run_id>/``, each in the layout of a single run).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from .errors import EipsimError

BOOLEANS = {"True": True, "False": False}


def read_json(path: str | Path) -> Any:
    """The JSON document in ``path``; an EipsimError naming the file if it is missing or damaged."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EipsimError(f"{path}: file missing from the result folder") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EipsimError(f"{path}: cannot be read ({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise EipsimError(f"{path}:{exc.lineno}:{exc.colno}: damaged file (not valid JSON: {exc.msg}); "
                          "it was probably cut short: run again to write it anew") from None


def read_table(path: str | Path) -> list[dict[str, Any]]:
    """The rows of the CSV table in ``path``, typed (see the module text); ``[]`` if it is absent."""
    return read_table_with_header(path)[1]


def read_table_with_header(path: str | Path) -> tuple[list[str], list[dict[str, Any]]]:
    """The column names and the typed rows of a CSV table (``([], [])`` if it is absent)."""
    path = Path(path)
    if not path.is_file():
        return [], []
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            cells = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise EipsimError(f"{path}: cannot be read as a table ({exc})") from None
    for line, row in enumerate(cells, start=2):
        if len(row) != len(header):
            raise EipsimError(f"{path}:{line}: damaged table (row of {len(row)} cells under a header of "
                              f"{len(header)}); it was probably cut short: run again to write it anew")
    columns = [_typed_column([row[k] for row in cells]) for k in range(len(header))]
    return header, [dict(zip(header, values)) for values in zip(*columns)] if header else []


def _typed_column(texts: list[str]) -> list[Any]:
    filled = [t for t in texts if t != ""]
    if filled and all(t in BOOLEANS for t in filled):
        return [BOOLEANS.get(t, None) for t in texts]
    numbers = [_number(t) for t in texts]
    if all(n is not None for n, t in zip(numbers, texts) if t != ""):
        return [None if t == "" else n for n, t in zip(numbers, texts)]
    return texts


def _number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


class ResultReader:
    """A run or experiment folder, read.

    Parameters
    ----------
    folder : the folder (an experiment folder holds ``plan.json``; a run folder ``manifest.json``
        and, if it ran, ``metrics.json``, and ``chart_data.json`` if its tables were kept).

    Raises
    ------
    EipsimError
        If ``folder`` is neither.
    """

    def __init__(self, folder: str | Path):
        self.path = Path(folder)
        if (self.path / "plan.json").is_file():
            self.kind = self.plan()["kind"]
        elif any((self.path / name).is_file() for name in ("chart_data.json", "metrics.json", "manifest.json")):
            self.kind = "run"
        else:
            raise EipsimError(f"{self.path} is not an eipsim result folder (no chart_data.json or plan.json)")

    @property
    def is_run(self) -> bool:
        return self.kind == "run"

    def json(self, name: str) -> Any:
        return read_json(self.path / name)

    def table(self, name: str) -> list[dict[str, Any]]:
        """Typed rows of the table ``name`` (e.g. ``summary.csv``); ``[]`` if the folder has none."""
        return read_table(self.path / name)

    def metrics(self) -> dict:
        """``metrics.json``: every indicator with value, unit, label and definition (for an
        experiment: of its first arm, with sd, CI and n)."""
        return self.json("metrics.json")

    def manifest(self) -> dict:
        return self.json("manifest.json")

    def plausibility(self) -> list[tuple[str, str]]:
        """(arm, text) of each plausibility warning: a run's from its manifest (arm ``""``), an
        experiment's from ``plausibility.json`` (none in a folder written before it existed)."""
        if self.is_run:
            return [("", w["text"]) for w in self.manifest().get("plausibility", [])]
        path = self.path / "plausibility.json"
        found = read_json(path) if path.is_file() else {}
        return [(arm, w["text"]) for arm, warnings in found.items() for w in warnings]

    def plan(self) -> dict:
        """``plan.json`` of an experiment: kind, name, replications, root seed, parameters, arms."""
        return self.json("plan.json")

    def name(self) -> str:
        """The scenario of a run, the name of an experiment."""
        if not self.is_run:
            return self.plan()["name"]
        if self.has_tables():
            return self.chart_data()["meta"]["scenario"]
        return Path(self.manifest().get("scenario_file") or self.path.name).stem

    def has_tables(self) -> bool:
        """Whether a run folder holds the run's tables and chart data (an experiment keeps them for
        the representative run of each arm only)."""
        return (self.path / "chart_data.json").is_file()

    def chart_data(self, arm: str | None = None) -> dict:
        """The chart data of the run, or of ``arm``'s representative run in an experiment."""
        if arm is not None:
            folder = self.arm_run(arm)
            if folder is None:
                raise EipsimError(f"{self.path}: no run of arm {arm!r} was kept with its tables and charts")
            return read_json(folder / "chart_data.json")
        if self.is_run and not self.has_tables():
            raise EipsimError(f"{self.path} holds the indicators of one replication of an experiment, not its "
                              "tables and charts (kept for the representative run, replication 0, of each arm)")
        return self.json("chart_data.json")

    def run_folders(self) -> list[Path]:
        """The run folders of an experiment (``runs/<run_id>/``), in run order; ``[]`` for a run."""
        if self.is_run or not (self.path / "runs").is_dir():
            return []
        return sorted(p for p in (self.path / "runs").iterdir() if p.is_dir() and not p.name.startswith(".")
                      and (p / "manifest.json").is_file() and not p.name.endswith(".damaged"))

    def arm_run(self, arm: str) -> Path | None:
        """The run folder of ``arm``'s representative run (the first of its runs kept with tables)."""
        for folder in self.run_folders():
            if (folder / "chart_data.json").is_file() and read_json(folder / "manifest.json").get("arm") == arm:
                return folder
        return None

    def arms_with_charts(self) -> list[str]:
        """Labels of the arms whose representative run was written in full, in plan order."""
        if self.is_run:
            return []
        return [arm["label"] for arm in self.plan()["arms"] if self.arm_run(arm["label"]) is not None]

    def tables_folder(self) -> Path:
        """The folder holding the tables of a run: the run itself, or an experiment's first arm's
        representative run (the experiment folder itself when none was kept)."""
        if self.is_run:
            return self.path
        return next((run for arm in self.plan()["arms"] if (run := self.arm_run(arm["label"])) is not None),
                    self.path)

    def scenario_files(self) -> list[Path]:
        """The resolved scenario of a run, or the scenario of each arm of an experiment."""
        if self.is_run:
            own = self.path / "scenario.resolved.yaml"
            arm = self.manifest().get("scenario_file") if not own.is_file() else None
            return [(self.path / arm).resolve() if arm else own]  # a replication kept light: its arm's scenario
        return sorted((self.path / "scenarios").glob("*.yaml"))
