"""The one reader of result folders, beside their one writer (:mod:`simulator.storage`).

The command line, the report, the charts, the explorer and the Python API read a run or an
experiment folder only through this module (the layout is described in ``results/README.md``):

* :func:`read_json` reads ``metrics.json``, ``manifest.json``, ``plan.json``, ``chart_data.json``
  or a run record, and says which file is missing or damaged (an :class:`EipsimError`, never a
  bare ``JSONDecodeError``);
* :func:`read_table` reads a table, CSV or Parquet (:func:`table_path` finds which), as typed
  rows: a column whose every filled cell is a number holds numbers (``int`` where the text is an
  integer, else ``float``), a column of ``True``/``False`` holds booleans, and in these an empty
  cell (NaN or nothing when written, see :func:`storage.csv_text`) is ``None``; other columns
  keep their text, empty cells as ``""``; a column with no filled cell holds ``None``. A Parquet
  table's rows read the same, typed as written;
* :func:`read_columns` and :func:`read_chunks` read a table as numpy columns, whole or chunk by
  chunk (bounded memory);
* :class:`ResultReader` knows the files of a folder: its kind, indicators, provenance, plan,
  tables and chart data (of the run, or of each arm's representative run), and the run folders
  of an experiment (``runs/<run_id>/``, each in the layout of a single run).
"""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from .errors import PARQUET_HINT, EipsimError

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


TABLE_ENDINGS = (".csv", ".parquet")
"""A table is ``<name>.csv`` or ``<name>.parquet`` (written by :class:`storage.TableWriter`)."""

CHUNK_ROWS = 100_000
"""Rows per chunk of :func:`read_chunks` from a CSV table (a Parquet table: one row group)."""


def table_path(path: str | Path) -> Path | None:
    """The file of the table at ``path``, whichever of ``.csv`` and ``.parquet`` it was written as
    (``path``'s own ending, or none, does not matter: ``flows.csv`` finds ``flows.parquet``); None
    when the folder has neither. Both at once is an error: which one is the table would be a guess."""
    path = Path(path)
    if path.suffix not in ("", *TABLE_ENDINGS):
        return path if path.is_file() else None
    found = [path.with_suffix(ending) for ending in TABLE_ENDINGS if path.with_suffix(ending).is_file()]
    if len(found) > 1:
        raise EipsimError(f"{path.parent} holds the table {path.stem} twice, as {found[0].name} and {found[1].name}; "
                          "remove the one that is not the run's (eipsim writes one format of each table)")
    return found[0] if found else None


def read_table(path: str | Path) -> list[dict[str, Any]]:
    """The rows of the table in ``path`` (CSV or Parquet), typed (see the module text); ``[]`` if absent."""
    return read_table_with_header(path)[1]


def read_table_with_header(path: str | Path) -> tuple[list[str], list[dict[str, Any]]]:
    """The column names and the typed rows of a table (``([], [])`` if it is absent).

    Rows of a CSV and of a Parquet table read alike: numbers as ``int`` or ``float``, missing
    numbers (NaN) as ``None``, text as ``str``."""
    found = table_path(path)
    if found is None:
        return [], []
    if found.suffix == ".parquet":
        header, rows = [], []
        for chunk in _parquet_chunks(found):
            header = list(chunk)
            rows.extend(dict(zip(header, values)) for values in zip(*(_python(c) for c in chunk.values())))
        return header, rows
    header, cells = [], []
    for header, part in _csv_cells(found, None):
        cells = part
    columns = [_typed_column([row[k] for row in cells]) for k in range(len(header))]
    return header, [dict(zip(header, values)) for values in zip(*columns)] if header else []


def read_columns(path: str | Path) -> dict[str, np.ndarray]:
    """The whole table in ``path`` as typed numpy columns (``{}`` if absent); see :func:`read_chunks`."""
    chunks = list(read_chunks(path))
    if not chunks:
        return {}
    return {name: np.concatenate([c[name] for c in chunks]) if len(chunks) > 1 else chunks[0][name]
            for name in chunks[0]}


def read_chunks(path: str | Path, chunk_rows: int = CHUNK_ROWS) -> Iterator[dict[str, np.ndarray]]:
    """The table in ``path`` chunk by chunk (bounded memory) as typed numpy columns.

    Parquet columns keep the type they were written with; NaN stays NaN. A CSV column is typed
    from its text: ``int64`` when every cell is an integer, ``float64`` when every filled cell is
    a number (an empty cell is NaN; the writer gives every float a decimal point, so a float
    column never reads as integers), ``bool`` for ``True``/``False``, else text (``object``
    arrays of ``str``, empty cells ``""``); a column with no filled cell is NaN. A CSV table is
    typed chunk by chunk (a text column empty throughout one chunk reads as NaN there). Floats in
    CSV carry 12 significant digits, in Parquet all of them."""
    found = table_path(path)
    if found is None:
        return
    if found.suffix == ".parquet":
        yield from _parquet_chunks(found)
        return
    for header, cells in _csv_cells(found, chunk_rows):
        yield {name: _array([row[k] for row in cells]) for k, name in enumerate(header)}


def _csv_cells(path: Path, chunk_rows: int | None) -> Iterator[tuple[list[str], list[list[str]]]]:
    """(header, rows of cells) of a CSV table, ``chunk_rows`` rows at a time (None: all); always
    at least one (possibly empty) chunk. A row of the wrong length is an EipsimError naming its line."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            cells, line, sent = [], 1, False
            for row in reader:
                line += 1
                if len(row) != len(header):
                    raise EipsimError(f"{path}:{line}: damaged table (row of {len(row)} cells under a header of "
                                      f"{len(header)}); it was probably cut short: run again to write it anew")
                cells.append(row)
                if chunk_rows is not None and len(cells) == chunk_rows:
                    yield header, cells
                    cells, sent = [], True
            if cells or not sent:
                yield header, cells
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise EipsimError(f"{path}: cannot be read as a table ({exc})") from None


def _parquet_chunks(path: Path) -> Iterator[dict[str, np.ndarray]]:
    """A Parquet table's row groups as numpy columns (an EipsimError when pyarrow is missing)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise EipsimError(f"{path} is a Parquet table; reading it needs pyarrow, which is not installed: "
                          f"{PARQUET_HINT}") from None
    try:
        table = pq.ParquetFile(path)
        names = table.schema_arrow.names
        if table.num_row_groups == 0:
            empty = table.schema_arrow.empty_table()
            yield {name: empty.column(name).to_numpy() for name in names}
        for group in range(table.num_row_groups):
            part = table.read_row_group(group)
            yield {name: part.column(name).to_numpy() for name in names}
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise EipsimError(f"{path}: cannot be read as a Parquet table ({exc}); it was probably cut short: "
                          "run again to write it anew") from None


def _python(column: np.ndarray) -> list:
    """A numpy column as row values: NaN as None, as the CSV reader gives an empty cell."""
    values = column.tolist()
    if column.dtype.kind == "f":
        return [None if v != v else v for v in values]
    return values


def _array(texts: list[str]) -> np.ndarray:
    """A CSV column as a typed numpy array (see :func:`read_chunks`); numbers are converted
    by ``int`` and ``float`` as :func:`_typed_column` does, without a list of them first."""
    filled = [t for t in texts if t != ""]
    if not filled:
        return np.full(len(texts), np.nan)
    if len(filled) == len(texts):
        try:
            return np.fromiter(map(int, texts), dtype=np.int64, count=len(texts))
        except (ValueError, OverflowError):
            pass
    try:
        return np.fromiter((float(t) if t else np.nan for t in texts), dtype=np.float64, count=len(texts))
    except ValueError:
        pass
    if set(filled) <= BOOLEANS.keys():
        flags = [BOOLEANS.get(t) for t in texts]
        return np.array(flags, dtype=bool if len(filled) == len(texts) else object)
    return np.array(texts, dtype=object)


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


def figure_file(folder: str | Path, name: str, lang: str = "en", ext: str = "svg") -> Path:
    """The file of chart ``name`` in ``lang`` saved in a result folder: ``figures/<name>.<ext>``
    in English, ``figures/<name>_<lang>.<ext>`` in another language."""
    return Path(folder) / "figures" / (f"{name}.{ext}" if lang == "en" else f"{name}_{lang}.{ext}")


MAX_ARMS_WARNED = 3
"""Arms whose plausibility warnings of one kind are each shown (see :meth:`ResultReader.plausibility`)."""
_SVG_TITLE = re.compile(rb"<svg[^>]*>\s*<title>(.*?)</title>", re.DOTALL)


def saved_chart(folder: str | Path, name: str, lang: str = "en") -> tuple[bytes, str] | None:
    """The SVG file of chart ``name`` in ``lang`` saved in a run or experiment folder, and its
    caption (the SVG's title, see :func:`storage.save_figures`); None when the folder has no
    titled SVG of it (written with ``--no-figures``, drawn in another language only, or by an
    older eipsim, whose SVGs had no title)."""
    path = figure_file(folder, name, lang, "svg")
    if not path.is_file():
        return None
    svg = path.read_bytes()
    title = _SVG_TITLE.search(svg, 0, 4096)
    return None if title is None else (svg, html.unescape(title.group(1).decode("utf-8")))


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
        """(arms, text) of each plausibility warning: a run's from its manifest (arms ``""``), an
        experiment's from ``plausibility.json`` (none in a folder written before it existed), each
        text once with the arms that have it (``demo, platform``); a warning of more than
        :data:`MAX_ARMS_WARNED` arms (a sweep's points) once, with how many arms have it and the
        text of the first (``12 of 16 points, e.g. p000``)."""
        if self.is_run:
            return [("", w["text"]) for w in self.manifest().get("plausibility", [])]
        path = self.path / "plausibility.json"
        found = read_json(path) if path.is_file() else {}
        by_title: dict[str, dict[str, list[str]]] = {}
        for arm, warnings in found.items():
            for warning in warnings:
                by_title.setdefault(warning["title"], {}).setdefault(warning["text"], []).append(arm)
        noun = "points" if self.kind in ("sweep", "sensitivity") else "arms"
        lines = []
        for texts in by_title.values():
            if len(texts) <= MAX_ARMS_WARNED:
                lines += [(", ".join(arms), text) for text, arms in texts.items()]
            else:
                (text, arms), count = next(iter(texts.items())), sum(len(a) for a in texts.values())
                lines.append((f"{count} of {len(self.plan()['arms'])} {noun}, e.g. {arms[0]}", text))
        return lines

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
