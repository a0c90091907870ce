"""The only writer of result folders. Everything is written atomically.

A run folder is first written as a hidden temporary folder next to its final place and renamed
when complete, so an interrupted or failed run leaves nothing half-written, and an existing
folder is never overwritten (a new name is chosen instead). Single files (the tables of a
long experiment) are written to a temporary file and renamed the same way.

Layout of a run folder (see ``results/README.md``)::

    results/<scenario>/<UTC time>_<hash8>/
        scenario.resolved.yaml  scenario.composed.yaml  manifest.json  metrics.json
        flows  stocks  ledger  links  events  io_multipliers  (.csv or .parquet: TableWriter)
        io_table.csv  io/
        figures/<name>.png  figures/<name>.svg

An experiment folder holds its plan and one run folder of that layout per replication
(``runs/<run_id>/``), beside its tables.

Under concurrency and damage: a folder is published by one ``rename`` that fails when the name
is taken, and is then published under the next free name (never lost, never merged); the hidden
temporary folder being written is locked (``flock``) by its writer, so leftovers of a killed
process (unlocked and older than :data:`STALE_AFTER_S`) are removed the next time results are
written beside them; an experiment folder is locked while it is run (:meth:`ExperimentStore.locked`).
"""

from __future__ import annotations

import csv
import errno
import fcntl
import hashlib
import io
import json
import math
import mmap
import os
import shutil
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

DEPENDENCIES = ("simpy", "numpy", "scipy", "networkx", "matplotlib", "PyYAML", "pydantic", "tqdm", "openpyxl")


# --------------------------------------------------------------------------- atomic primitives


FILE_MODE, FOLDER_MODE = 0o644, 0o755
"""Results are shared like any other file (temporary files start private: 0600 / 0700)."""


@contextmanager
def atomic_file(path: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary file beside ``path`` to write; renamed to ``path`` when the block ends
    normally, removed when it raises (or on Ctrl-C). The one way eipsim writes a file.

    ``suffix`` is the temporary file's ending (matplotlib picks the format from it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(descriptor)
    try:
        yield Path(temporary)
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a rename."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (binary files: .xlsx)."""
    with atomic_file(path) as temporary:
        temporary.write_bytes(data)


def write_zip(folder: str | Path, target: str | Path) -> Path:
    """Pack ``folder`` (hidden files left out) into the zip file ``target``, atomically."""
    import zipfile

    folder, target = Path(folder), Path(target)
    with atomic_file(target) as temporary, zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            inside = path.relative_to(folder)
            if path.is_file() and not any(part.startswith(".") for part in inside.parts):
                archive.write(path, Path(folder.name) / inside)
    return target


def csv_text(table: Mapping[str, Iterable]) -> str:
    """A table given as equal-length columns, as CSV text (floats with 12 significant digits)."""
    names = list(table)
    columns = [_plain(table[n]) for n in names]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    writer.writerows(zip(*columns))
    return buffer.getvalue()


def _plain(column: Iterable) -> list:
    values = column.tolist() if hasattr(column, "tolist") else list(column)
    return [_cell(v) for v in values]


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        text = format(value, ".12g")
        # a float keeps a decimal point (20.0, not 20), so the reader types its column as floats
        return text if any(c in text for c in ".en") else f"{text}.0"
    return value


def json_text(data: Any) -> str:
    """JSON with NaN and infinity written as null (valid JSON for every reader)."""
    return json.dumps(_json_safe(data), indent=2, ensure_ascii=False) + "\n"


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "tolist"):
        return _json_safe(value.tolist())
    return value


# --------------------------------------------------------------------------- tables: CSV or Parquet


TABLE_FORMATS = ("auto", "csv", "parquet")
"""``--format`` of the result tables: ``csv``, ``parquet``, or ``auto`` (the default)."""

AUTO_PARQUET_ROWS = 1_000_000
"""``auto`` writes a table of more than this many rows as Parquet (when pyarrow is installed),
a smaller one as CSV. Excel opens at most 1,048,576 rows, so a larger CSV is of no use to the
people who open CSV files, and it takes some 60 to 100 bytes a row."""

EXCEL_ROWS = 1_048_576
"""Rows of an Excel worksheet."""

TABLE_CHUNK_ROWS = 100_000
"""Rows of a chunk when eipsim cuts a long table into chunks to write it (a run's flows, stocks, ledger)."""

Chunk = Mapping[str, Any]
"""Equal-length columns of a table: column name -> numpy array (or list) of one chunk of rows."""


def parquet_available() -> bool:
    """Whether pyarrow is installed (Parquet tables can be written and read)."""
    from importlib.util import find_spec

    return find_spec("pyarrow") is not None


def check_table_format(table_format: str) -> str:
    """``table_format`` if eipsim can write it here; an EipsimError (exit 2) naming what to install
    when Parquet is asked for without pyarrow, or the format is unknown."""
    from .errors import PARQUET_HINT, EipsimError

    if table_format not in TABLE_FORMATS:
        raise EipsimError(f"unknown table format {table_format!r}; formats: {', '.join(TABLE_FORMATS)}")
    if table_format == "parquet" and not parquet_available():
        raise EipsimError(f"--format parquet needs pyarrow, which is not installed: {PARQUET_HINT}")
    return table_format


class TableWriter:
    """One result table written chunk by chunk (bounded memory), atomically, as CSV or Parquet.

    Each :meth:`write` takes a chunk of rows as equal-length columns (``dict[str, np.ndarray]``;
    lists are accepted); every chunk has the columns of the first, in its order. CSV appends the
    chunk's rows; Parquet writes it as one row group (``pyarrow.parquet.ParquetWriter``, zstd),
    the column types fixed by the first chunk. The table is written to a hidden temporary file
    and renamed to ``<folder>/<name>.csv`` or ``.parquet`` by :meth:`close`; used as a context
    manager, an exception removes it instead (nothing half-written is left).

    Parameters
    ----------
    folder, name : where, and the table's name without its ending (``"flows"``).
    table_format : ``"csv"``, ``"parquet"`` or ``"auto"`` (Parquet above
        :data:`AUTO_PARQUET_ROWS` rows when pyarrow is installed, else CSV).
    rows : the table's number of rows when known in advance: ``auto`` then decides at once;
        otherwise ``auto`` writes both formats until the table passes the threshold, and keeps one.
    """

    def __init__(self, folder: str | Path, name: str, table_format: str = "auto", rows: int | None = None):
        check_table_format(table_format)
        self.folder, self.name = Path(folder), name
        self.rows = 0
        self.columns: list[str] | None = None
        if table_format == "auto":
            if (rows is not None and rows <= AUTO_PARQUET_ROWS) or not parquet_available():
                table_format = "csv"
            elif rows is not None:
                table_format = "parquet"
        self.format = table_format  # "auto" until the rows written decide it
        self._sinks: dict[str, _TableSink] = {}
        for kind in (("csv", "parquet") if table_format == "auto" else (table_format,)):
            self._sinks[kind] = (_CsvSink if kind == "csv" else _ParquetSink)(self.folder / f"{name}.{kind}")

    def write(self, chunk: Chunk) -> None:
        """Append a chunk of rows (equal-length columns, the same columns as the first chunk)."""
        names = list(chunk)
        if self.columns is None:
            self.columns = names
        elif names != self.columns:
            raise ValueError(f"table {self.name}: a chunk with columns {names}, not {self.columns}")
        lengths = {len(chunk[n]) for n in names}
        if len(lengths) > 1:
            raise ValueError(f"table {self.name}: columns of unequal length in a chunk ({sorted(lengths)})")
        for sink in self._sinks.values():
            sink.write(chunk)
        self.rows += lengths.pop() if lengths else 0
        if self.format == "auto" and self.rows > AUTO_PARQUET_ROWS:
            self._sinks.pop("csv").abort()
            self.format = "parquet"

    def close(self) -> Path:
        """Finish the table and publish it under its final name; returns its path."""
        if self.format == "auto":
            self._sinks.pop("parquet").abort()
            self.format = "csv"
        return self._sinks.pop(self.format).close(self.columns or [])

    def abort(self) -> None:
        """Remove what was written (the final name is never touched)."""
        for sink in self._sinks.values():
            sink.abort()
        self._sinks.clear()

    def __enter__(self) -> "TableWriter":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


def write_table(folder: str | Path, name: str, chunks: Chunk | Iterable[Chunk], table_format: str = "auto",
                rows: int | None = None) -> Path:
    """Write the table ``name`` into ``folder`` from one chunk (a mapping of columns) or an
    iterable of chunks (see :class:`TableWriter`); returns the path written. A whole table given
    as one mapping sets ``rows`` itself, so ``auto`` decides without writing twice."""
    writer = _written(folder, name, chunks, table_format, rows)
    return writer.folder / f"{name}.{writer.format}"


def _written(folder: str | Path, name: str, chunks: Chunk | Iterable[Chunk], table_format: str,
             rows: int | None) -> "TableWriter":
    """The closed :class:`TableWriter` that wrote ``chunks`` (see :func:`write_table`)."""
    if isinstance(chunks, Mapping):
        if rows is None:
            rows = len(next(iter(chunks.values()), ()))
        chunks = (chunks,)
    with TableWriter(folder, name, table_format, rows) as writer:
        for chunk in chunks:
            writer.write(chunk)
    return writer


def long_csv_warnings(tables: Mapping[str, tuple[str, str, int]]) -> list[str]:
    """A warning for each table that ``auto`` wrote as CSV although it has more than
    :data:`AUTO_PARQUET_ROWS` rows, because pyarrow is not installed; ``tables``: name ->
    (format asked for, format written, rows), as :attr:`ResultFolder.tables` keeps them."""
    from .errors import PARQUET_HINT

    return [f"table {name} has {rows:,} rows (Excel opens at most {EXCEL_ROWS:,}) and was written as {name}.csv "
            f"because pyarrow is not installed: above {AUTO_PARQUET_ROWS:,} rows --format auto writes Parquet, "
            f"some 6 to 10 times smaller and faster to read; {PARQUET_HINT}"
            for name, (asked, written, rows) in tables.items()
            if asked == "auto" and written == "csv" and rows > AUTO_PARQUET_ROWS]


class _TableSink(ABC):
    """A table's hidden temporary file, renamed to its final path on :meth:`close`; a format
    (:class:`_CsvSink`, :class:`_ParquetSink`) says how chunks are written and finished."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(descriptor)
        self.temporary = Path(temporary)

    @abstractmethod
    def write(self, chunk: Chunk) -> None:
        """Append one chunk of rows to the temporary file."""

    @abstractmethod
    def finish(self, columns: list[str]) -> None:
        """Complete the temporary file (header of an empty table, closing a Parquet footer)."""

    def close(self, columns: list[str]) -> Path:
        try:
            self.finish(columns)
            os.chmod(self.temporary, FILE_MODE)
            os.replace(self.temporary, self.path)
        except BaseException:
            self.abort()
            raise
        return self.path

    def abort(self) -> None:
        self.temporary.unlink(missing_ok=True)


class _CsvSink(_TableSink):
    """CSV as :func:`csv_text` writes it, one chunk of rows appended at a time."""

    def __init__(self, path: Path):
        super().__init__(path)
        self.handle = self.temporary.open("w", newline="", encoding="utf-8")
        self.writer = csv.writer(self.handle, lineterminator="\n")
        self.header = False

    def write(self, chunk: Chunk) -> None:
        if not self.header:
            self.writer.writerow(list(chunk))
            self.header = True
        self.writer.writerows(zip(*(_plain(column) for column in chunk.values())))

    def finish(self, columns: list[str]) -> None:
        if not self.header and columns:
            self.writer.writerow(columns)
        self.handle.close()

    def abort(self) -> None:
        self.handle.close()
        super().abort()


class _ParquetSink(_TableSink):
    """Parquet, one row group per chunk; column types fixed by the first chunk with rows."""

    def __init__(self, path: Path):
        super().__init__(path)
        self.writer = self.schema = None
        self.empty: Chunk | None = None

    def write(self, chunk: Chunk) -> None:
        if not len(next(iter(chunk.values()), ())):
            self.empty = self.empty or chunk  # an empty chunk gives the types only if no rows come
            return
        table = self._arrow(chunk)
        if self.writer is None:
            import pyarrow.parquet as pq

            self.schema = table.schema
            self.writer = pq.ParquetWriter(self.temporary, self.schema, compression="zstd")
        self.writer.write_table(table, row_group_size=max(table.num_rows, 1))

    def _arrow(self, chunk: Chunk):
        import pyarrow as pa

        arrays = []
        for name, column in chunk.items():
            kind = self.schema.field(name).type if self.schema is not None else None
            array = pa.array(column if hasattr(column, "dtype") else list(column), type=kind, from_pandas=False)
            if kind is None and pa.types.is_null(array.type):
                array = array.cast(pa.string())
            arrays.append(array)
        return pa.Table.from_arrays(arrays, names=list(chunk))

    def finish(self, columns: list[str]) -> None:
        if self.writer is None:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = self._arrow(self.empty) if self.empty is not None else pa.table({c: pa.array([], pa.string())
                                                                                     for c in columns})
            pq.write_table(table, self.temporary, compression="zstd")
        else:
            self.writer.close()

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        super().abort()


SERIES_SCRATCH = ".series"
"""Scratch folder of a run's streamed chunks inside its temporary result folder (never published)."""


class ResultFolder:
    """A folder written under a temporary name and published by :meth:`commit`.

    Use as a context manager: on an exception (or Ctrl-C) the temporary folder is removed. While
    it is written, the temporary folder is locked (``flock``, released however the process ends),
    and stale leftovers of killed writers beside it are removed (:func:`remove_stale_temporaries`).
    """

    def __init__(self, final: Path, clean: bool = True):
        from .errors import EipsimError

        self.final = Path(final)
        self._lock: int | None = None
        try:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            if clean:  # the runs of an experiment skip it: its lock cleans runs/ once (see ExperimentStore)
                remove_stale_temporaries(self.final.parent)
            self.tmp = Path(tempfile.mkdtemp(dir=self.final.parent, prefix=f".{self.final.name}.", suffix=".tmp"))
            self._lock = os.open(self.tmp, os.O_RDONLY)
            fcntl.flock(self._lock, fcntl.LOCK_EX)
        except OSError as exc:
            raise EipsimError(f"cannot write results in {self.final.parent}: {exc.strerror or exc}") from None
        self.committed = False
        self._series: SeriesFiles | None = None
        self.tables: dict[str, tuple[str, str, int]] = {}
        """Tables written by :meth:`write_table`: name -> (format asked for, format written, rows)."""

    def __enter__(self) -> "ResultFolder":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if not self.committed:
            shutil.rmtree(self.tmp, ignore_errors=True)
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def path(self, name: str) -> Path:
        target = self.tmp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write_text(self, name: str, text: str) -> None:
        self.path(name).write_text(text, encoding="utf-8")

    def write_csv(self, name: str, table: Mapping[str, Iterable]) -> None:
        self.write_text(name, csv_text(table))

    def write_table(self, name: str, chunks: Chunk | Iterable[Chunk], table_format: str = "auto",
                    rows: int | None = None) -> Path:
        """The table ``name`` (no ending) as ``<name>.csv`` or ``<name>.parquet``: see :func:`write_table`."""
        if self._series is not None and not isinstance(chunks, Mapping):
            chunks = self._series.releasing(chunks)  # chunks read from the run's records: one at a time resident
        writer = _written(self.tmp, name, chunks, table_format, rows)
        self.tables[name] = (table_format, writer.format, writer.rows)
        return writer.folder / f"{name}.{writer.format}"

    def table_writer(self, name: str, table_format: str = "auto", rows: int | None = None) -> "TableWriter":
        """A :class:`TableWriter` of the table ``name`` in this folder, to stream chunks into."""
        return TableWriter(self.tmp, name, table_format, rows)

    def write_json(self, name: str, data: Any) -> None:
        """``data`` as :func:`json_text` writes it, streamed to the file (a large park's chart data
        is not held as one text, nor as the million pieces it is joined from)."""
        with self.path(name).open("w", encoding="utf-8") as handle:
            json.dump(_json_safe(data), handle, indent=2, ensure_ascii=False)
            handle.write("\n")

    def series(self) -> "SeriesFiles":
        """A sink for a run's chunks (``run_scenario(..., sink=folder.series())``) in the scratch
        folder ``.series/``, removed when the folder is committed or abandoned (memory maps of
        its files stay readable after that on POSIX systems)."""
        self._series = SeriesFiles(self.tmp / SERIES_SCRATCH)
        return self._series

    def commit(self, unique: bool = True) -> Path:
        """Publish the folder under its final name, never replacing or merging into an existing one.

        The rename is the test of a free name: when another process published under the name
        first (the rename fails with ENOTEMPTY or EEXIST), the next free name (``name-2``,
        ``name-3`` ...) is tried, so concurrent commits to one name all succeed under distinct
        names. With ``unique=False`` (a run of an experiment, whose name is its id) a taken name
        is an error.
        """
        from .errors import EipsimError

        shutil.rmtree(self.tmp / SERIES_SCRATCH, ignore_errors=True)
        os.chmod(self.tmp, FOLDER_MODE)
        for candidate in _names(self.final) if unique else (self.final,):
            if unique and candidate.exists():
                continue
            try:
                os.rename(self.tmp, candidate)
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
                if not unique:
                    raise EipsimError(f"{candidate} exists already: it was written by another eipsim process") from None
                continue
            self.committed = True
            self.final = candidate
            self._release()
            return candidate
        raise AssertionError("unreachable: _names never ends")


class SeriesFiles:
    """A run's sink (:class:`simulator.model.recorder.Sink`) that appends each record's chunks to
    ``<folder>/<name>.npy`` while the run goes, so they are on disk, not in memory.

    Each file is written with a header sized for any row count and completed by :meth:`arrays`,
    which returns the records memory-mapped read-only (pages are read from disk when used and
    may be dropped again by the operating system). The folder is a scratch area: put it inside
    the run's temporary :class:`ResultFolder` (:meth:`ResultFolder.series`), which removes it.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, Any] = {}
        self._shapes: dict[str, tuple] = {}
        self._arrays: dict[str, Any] = {}

    def append(self, name: str, rows) -> None:
        import numpy as np

        rows = np.ascontiguousarray(rows)
        if name not in self._files:
            handle = open(self.folder / f"{name}.npy", "wb")
            handle.write(_npy_header(rows.dtype, (_MAX_ROWS, *rows.shape[1:])))
            self._files[name], self._shapes[name] = handle, (0, *rows.shape[1:], rows.dtype)
        count, *tail, dtype = self._shapes[name]
        if rows.dtype != dtype or list(rows.shape[1:]) != tail:
            raise ValueError(f"{name}: a chunk of {rows.dtype} {rows.shape[1:]} after chunks of {dtype} {tuple(tail)}")
        self._files[name].write(rows.tobytes())
        self._shapes[name] = (count + len(rows), *tail, dtype)

    def arrays(self) -> dict:
        """Close the files and return every record, memory-mapped (read them whole or with
        :func:`row_blocks`; :meth:`release` gives their pages back)."""
        import numpy as np

        out = self._arrays
        for name, handle in self._files.items():
            count, *tail, dtype = self._shapes[name]
            size = len(_npy_header(dtype, (_MAX_ROWS, *tail)))
            handle.seek(0)
            handle.write(_npy_header(dtype, (count, *tail), size))
            handle.close()
            path = self.folder / f"{name}.npy"
            out[name] = np.load(path, mmap_mode="r") if count else np.zeros((0, *tail), dtype=dtype)
        self._files.clear()
        return dict(out)

    def release(self) -> None:
        """Give back the resident pages of every record :meth:`arrays` mapped (see
        :func:`release_pages`); they are read again from the file (or the page cache) when used."""
        release_pages(*self._arrays.values())

    def releasing(self, items: Iterable) -> Iterator:
        """``items``, with :meth:`release` after each is used (a table's chunks made from the records)."""
        for item in items:
            yield item
            self.release()


READ_BLOCK_BYTES = 8 << 20
"""Bytes of the widest array :func:`row_blocks` reads at a time."""


def row_blocks(*arrays, size: int | None = None, rows: int | None = None) -> Iterator[tuple]:
    """Consecutive blocks of rows of ``arrays`` (of equal length), as views, about ``size`` bytes
    (default :data:`READ_BLOCK_BYTES`) of the widest at a time, or ``rows`` rows. The resident pages of memory-mapped arrays (a streamed run's records,
    :class:`SeriesFiles`) are given back after each block (:func:`release_pages`), so reading a
    whole record keeps one block of it resident, not the whole file: pages a process touched in
    a file's memory map count in its resident memory until they are unmapped."""
    if not arrays:
        return
    width = max(abs(a.strides[0]) if a.ndim and a.strides[0] else a.itemsize for a in arrays)
    step = rows or max(1, (size or READ_BLOCK_BYTES) // max(width, 1))
    for start in range(0, len(arrays[0]), step):
        yield tuple(a[start:start + step] for a in arrays)
        release_pages(*arrays)


def compact(array):
    """A compact in-memory copy of ``array`` (a record, or a field of one), read block by block
    (:func:`row_blocks`)."""
    import numpy as np

    out = np.empty(array.shape, dtype=array.dtype)
    start = 0
    for block, in row_blocks(array):
        out[start:start + len(block)] = block
        start += len(block)
    return out


def select_rows(keep, *arrays) -> list:
    """Compact in-memory copies of the rows of ``arrays`` (equal length) where ``keep(*block)`` is
    true, read block by block (:func:`row_blocks`); the same values, in the same order, as
    ``[a[keep(*arrays)] for a in arrays]``."""
    import numpy as np

    kept = sum(int(np.count_nonzero(keep(*block))) for block in row_blocks(*arrays))  # sized first: no copies
    out = [np.empty((kept, *a.shape[1:]), dtype=a.dtype) for a in arrays]
    start = 0
    for block in row_blocks(*arrays):
        mask = keep(*block)
        stop = start + int(np.count_nonzero(mask))
        for column, part in zip(out, block):
            column[start:stop] = part[mask]
        start = stop
    return out


def release_pages(*arrays) -> None:
    """Give back the resident pages of the read-only memory maps that ``arrays`` (or the arrays
    they view) are read from (``madvise(MADV_DONTNEED)``: the data stay in the file and the page
    cache); nothing for arrays in memory, or where the system has no ``madvise``."""
    for array in arrays:
        base = array
        while base is not None and not isinstance(base, mmap.mmap):
            base = getattr(base, "base", None)
        if base is None or base.closed or not hasattr(base, "madvise") or not hasattr(mmap, "MADV_DONTNEED"):
            continue
        with memoryview(base) as view:
            readonly = view.readonly  # a private (copy-on-write) map would lose its changes
        if readonly:
            base.madvise(mmap.MADV_DONTNEED)


@contextmanager
def scratch_series(folder: str | Path | None = None) -> Iterator[SeriesFiles]:
    """A :class:`SeriesFiles` sink in a new temporary folder (inside ``folder``; default: the
    system's temporary folder), removed with its files when the block ends (memory maps of them
    stay readable on POSIX systems)."""
    with tempfile.TemporaryDirectory(dir=folder, prefix=".eipsim-series-") as path:
        yield SeriesFiles(path)


_MAX_ROWS = 10 ** 15
"""Row count the provisional header of a :class:`SeriesFiles` file is sized for."""


def _npy_header(dtype, shape: tuple, size: int | None = None) -> bytes:
    """An ``.npy`` (version 1.0) header for a C-ordered array, padded to ``size`` bytes (default:
    the next multiple of 64)."""
    import numpy as np

    text = repr({"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": tuple(shape)})
    size = size or -(-(len(text) + 11) // 64) * 64
    body = text.ljust(size - 11) + "\n"
    return b"\x93NUMPY\x01\x00" + len(body).to_bytes(2, "little") + body.encode("latin1")


def save_figures(folder: str | Path, figures: dict, dpi: int = 150, lang: str = "en",
                 captions: Mapping[str, str] | None = None) -> list[Path]:
    """Save figures as PNG and SVG files (:func:`simulator.result_reader.figure_file`), each
    written atomically; a figure's caption (``captions[name]``) is its SVG's title, which
    ``eipsim report`` shows under it.

    A figure's layout is computed once, when its PNG is drawn; the SVG keeps it (a constrained
    layout would otherwise be solved again for each format: a third of the time of saving).
    """
    from .result_reader import figure_file

    written = []
    (Path(folder) / "figures").mkdir(parents=True, exist_ok=True)
    for name, figure in figures.items():
        for ext in ("png", "svg"):
            path = figure_file(folder, name, lang, ext)
            with atomic_file(path, suffix=f".{ext}") as temporary:
                figure.savefig(temporary, dpi=dpi, format=ext,
                               metadata=figure_metadata(ext, (captions or {}).get(name)))
            written.append(path)
            figure.set_layout_engine("none")
    return written


def figure_metadata(ext: str, title: str | None = None) -> dict:
    """The metadata of a saved figure: fixed, so that identical runs write identical files; an
    SVG's ``title`` (its ``<title>`` element) when given."""
    if ext == "png":
        return {"Software": "eipsim"}
    return {"Date": None, "Creator": "eipsim", **({"Title": title} if title else {})}


def unwritable_reason(folder: str | Path) -> str | None:
    """Why results cannot be written under ``folder`` (a file in the way, no permission), or None.

    Nothing is created: the nearest existing folder on the way is checked.
    """
    folder = Path(folder)
    existing = folder
    while not existing.exists() and existing != existing.parent:
        if existing.is_symlink():
            return f"{existing} is a broken symbolic link"
        existing = existing.parent
    if not existing.is_dir():
        return "is a file, not a folder" if existing == folder else f"{existing} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"cannot write in {existing} (no permission or a read-only disk)"
    return None


def unique_path(path: Path) -> Path:
    """``path`` if free, else ``path-2``, ``path-3`` ..."""
    return next(candidate for candidate in _names(path) if not candidate.exists())


def _names(path: Path) -> Iterator[Path]:
    """``path``, ``path-2``, ``path-3`` ... (without end)."""
    path = Path(path)
    yield path
    k = 2
    while True:
        yield path.with_name(f"{path.name}-{k}")
        k += 1


STALE_AFTER_S = 3600.0
"""A hidden ``.*.tmp`` folder or file older than this (seconds since its last change), and not
locked by a running writer, is what a killed process (SIGKILL, power cut) left behind."""


def remove_stale_temporaries(folder: str | Path, now: float | None = None,
                             older_than: float = STALE_AFTER_S) -> list[Path]:
    """Remove the hidden ``.*.tmp`` leftovers in ``folder`` older than ``older_than`` seconds and
    not locked (a folder being written is locked by its writer; the lock ends with the process,
    however it ends). Returns what was removed; what cannot be removed is left alone."""
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(Path(folder).glob(".*.tmp"))
    except OSError:
        return removed
    for entry in entries:
        try:
            if now - entry.lstat().st_mtime < older_than:
                continue
            if entry.is_dir() and not entry.is_symlink():
                descriptor = os.open(entry, os.O_RDONLY)
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a running eipsim writes it
                finally:
                    os.close(descriptor)
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
        except OSError:
            continue
    return removed


# --------------------------------------------------------------------------- provenance


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def run_folder(base: str | Path, scenario_name: str, scenario_digest: str, started: datetime,
               kind: str = "") -> Path:
    """``base/<scenario>/<UTC time>[_<kind>]_<hash8>`` (the folder is created later, atomically)."""
    middle = f"_{kind}" if kind else ""
    return Path(base) / scenario_name / f"{started.strftime('%Y%m%dT%H%M%SZ')}{middle}_{scenario_digest[:8]}"


def manifest(*, scenario_digest: str, seed: int, argv: list[str], started: datetime, finished: datetime,
             sources: dict, extra: dict | None = None) -> dict:
    """Provenance of a result: versions, git commit, scenario hash, seed, command, times.

    No user or host names: paths under the home folder are written with ``~``.
    """
    import platform
    from importlib import metadata

    from . import __version__

    versions = {}
    for name in DEPENDENCIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    data = {
        "eipsim_version": __version__,
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "dependencies": versions,
        **_git_state(),
        "scenario_sha256": scenario_digest,
        "root_seed": seed,
        "argv": [_anonymise(a) for a in argv],
        "sources": _anonymise(sources),
        "started_utc": started.isoformat(timespec="seconds"),
        "finished_utc": finished.isoformat(timespec="seconds"),
        "duration_s": round((finished - started).total_seconds(), 3),
    }
    data.update(extra or {})
    return data


def _anonymise(value: Any) -> Any:
    """Replace the home folder by ``~`` in text, lists and dicts of text."""
    if isinstance(value, dict):
        return {k: _anonymise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_anonymise(v) for v in value]
    home = os.path.expanduser("~")
    if isinstance(value, str) and home and home != "/" and home in value:
        return value.replace(home, "~")
    return value


def _git_state() -> dict:
    """The package's git commit, and whether its files differ from that commit (``None`` when the
    package is not in a git checkout)."""
    import subprocess

    package_dir = Path(__file__).resolve().parent

    def git(*args: str) -> subprocess.CompletedProcess | None:
        try:
            return subprocess.run(["git", *args], cwd=package_dir, capture_output=True, text=True, timeout=5,
                                  check=False)
        except (OSError, subprocess.SubprocessError):
            return None

    head = git("rev-parse", "HEAD")
    commit = head.stdout.strip() if head is not None and head.returncode == 0 else ""
    if len(commit) != 40:
        return {"git_commit": None, "git_modified": None}
    status = git("status", "--porcelain", "--untracked-files=no", "--", ".")
    modified = bool(status.stdout.strip()) if status is not None and status.returncode == 0 else None
    return {"git_commit": commit, "git_modified": modified}


def python_argv() -> list[str]:
    return [Path(sys.argv[0]).name, *sys.argv[1:]]


# --------------------------------------------------------------------------- experiment stores


class ExperimentStore:
    """An experiment folder that grows run by run and survives interruption and damage.

    Created atomically with its plan (``manifest.json``, ``plan.json``, ``scenarios/``); every
    finished run is then published at once as the run folder ``runs/<run_id>/`` (atomic rename),
    so a killed experiment leaves only complete runs and ``--resume`` finishes the missing ones.
    The tables (``runs.csv``, ``metrics.csv``, ``summary.csv`` ...) are rewritten atomically at
    the end. The folder is run under its lock (:meth:`locked`).
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.set_aside: list[Path] = []

    @classmethod
    def create(cls, final: Path, files: dict[str, str]) -> "ExperimentStore":
        with ResultFolder(final) as folder:
            for name, text in files.items():
                folder.write_text(name, text)
            (folder.tmp / "runs").mkdir()
            path = folder.commit()
        return cls(path)

    @classmethod
    def open(cls, path: str | Path) -> "ExperimentStore":
        from .errors import EipsimError

        path = Path(path)
        if not (path / "plan.json").is_file():
            raise EipsimError(f"{path} is not an eipsim experiment folder (no plan.json)")
        return cls(path)

    @contextmanager
    def locked(self) -> Iterator["ExperimentStore"]:
        """Hold the experiment's lock (``flock`` of its folder, released however the process ends)
        while it is run, so that a second ``--resume`` of the same folder is refused at once
        instead of computing the missing runs twice; once it is held, the temporary leftovers of
        killed writers in the folder are removed, whatever their age (nobody else writes there)."""
        from .errors import EipsimError

        descriptor = os.open(self.path, os.O_RDONLY)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise EipsimError(f"{self.path} is being run by another eipsim process: wait for it to finish "
                                  "(or stop it) before resuming") from None
            for folder in (self.path, self.path / "runs", self.path / "figures"):
                # only the holder of this lock writes here: what is left is a killed run's, whatever its age
                remove_stale_temporaries(folder, older_than=0.0)
            yield self
        finally:
            os.close(descriptor)

    def read_json(self, name: str) -> Any:
        from .result_reader import read_json

        return read_json(self.path / name)

    def run_path(self, run_id: str) -> Path:
        return self.path / "runs" / run_id

    def done(self, run_ids: Iterable[str]) -> set[str]:
        """Which of ``run_ids`` have a readable run folder. A damaged one (its ``manifest.json``
        or ``metrics.json`` missing or not valid JSON) is set aside as ``runs/<run_id>.damaged``
        (listed in :attr:`set_aside`), so that its run counts as missing and is run again."""
        from .errors import EipsimError

        done = set()
        for run_id in run_ids:
            if not self.run_path(run_id).is_dir():
                continue
            try:
                self.load_run(run_id)
            except EipsimError:
                aside = unique_path(self.run_path(run_id).with_name(f"{run_id}.damaged"))
                os.rename(self.run_path(run_id), aside)
                self.set_aside.append(aside)
                continue
            done.add(run_id)
        return done

    def run_folder(self, run_id: str) -> ResultFolder:
        """The run folder ``runs/<run_id>/`` to write (published with ``commit(unique=False)``)."""
        return ResultFolder(self.run_path(run_id), clean=False)

    def load_run(self, run_id: str) -> dict | None:
        """The record of a finished run (its manifest's run fields, ``metrics``: the values of its
        indicators, ``uncertain``: the values it drew), or None when it has not run."""
        from .errors import EipsimError
        from .result_reader import read_json

        folder = self.run_path(run_id)
        if not folder.is_dir():
            return None
        record = read_json(folder / "manifest.json")
        if not isinstance(record, dict) or record.get("run_id") != run_id:
            raise EipsimError(f"{folder / 'manifest.json'}: damaged file (not the manifest of run {run_id})")
        record = dict(record, uncertain=(record.get("uncertain") or {}).get("values", {}))
        if record.get("status") == "ok":
            metrics = read_json(folder / "metrics.json")
            if not isinstance(metrics, dict) or not all(isinstance(m, dict) for m in metrics.values()):
                raise EipsimError(f"{folder / 'metrics.json'}: damaged file (not a table of indicators)")
            record["metrics"] = {name: entry.get("value") for name, entry in metrics.items()}
        return record

    def write(self, name: str, text: str) -> None:
        write_atomic(self.path / name, text)
