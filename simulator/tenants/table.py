"""Reading a tenant table: CSV or Excel (.xlsx), first sheet or a named one.

The first non-empty row is the header; every later non-empty row is a tenant. Problems name the
file, the row number as the user sees it (1-based, header included) and the column
(``tenants.xlsx:7:3: KBLI (cell C7): ...``). A table that cannot be read at all (wrong file type,
empty sheet, merged cells in the data) is one clear problem, never a traceback.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem, ScenarioError, SourceMark

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
MAX_BYTES = 20_000_000
MAX_ROWS = 100_000


@dataclass(frozen=True)
class Table:
    """Header and rows of a tenant table, with where each cell was."""

    file: str
    sheet: str | None
    header_row: int                       # 1-based row number of the header
    headers: tuple[str, ...]
    rows: tuple[tuple[int, tuple], ...]   # (1-based row number, cells), empty rows left out

    def mark(self, row: int, col: int) -> SourceMark:
        return SourceMark(self.file, row, col + 1)

    def where(self, row: int, col: int) -> str:
        """``column 'KBLI' (cell C7)`` for Excel, ``column 'KBLI'`` for CSV (the mark gives row:col)."""
        cell = f" (cell {column_letter(col)}{row})" if self.sheet is not None else ""
        return f"column '{self.headers[col]}'{cell}"

    def problem(self, row: int, col: int | None, message: str, hint: str = "") -> Problem:
        if col is None:
            return Problem(message, mark=SourceMark(self.file, row, 1), hint=hint)
        return Problem(message, path=self.where(row, col), mark=self.mark(row, col), hint=hint)


def column_letter(col: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters, col = "", col + 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_table(path: str | Path, sheet: str | None = None) -> Table:
    """The tenant table in ``path`` (CSV or .xlsx; ``sheet``: name of an Excel sheet)."""
    path = Path(path)
    name = str(path)
    at = SourceMark(name, 1, 1)
    if not path.exists():
        raise ScenarioError([Problem("file not found", mark=at)])
    if path.is_dir():
        raise ScenarioError([Problem("is a folder, not a tenant table", mark=at)])
    suffix = path.suffix.lower()
    if path.stat().st_size > MAX_BYTES:
        raise ScenarioError([Problem(f"file is larger than {MAX_BYTES:,} bytes; is it a tenant list?", mark=at)])
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, sheet)
    if suffix in CSV_SUFFIXES:
        if sheet is not None:
            raise ScenarioError([Problem(f"--sheet {sheet!r} applies to Excel files; {path.name} is CSV", mark=at)])
        return _read_csv(path)
    if suffix == ".xls":
        hint = "open it in Excel or LibreOffice and save it as .xlsx (or CSV)"
        raise ScenarioError([Problem("the old Excel format .xls is not read", mark=at, hint=hint)])
    kind = f"'{suffix}'" if suffix else "without an extension"
    raise ScenarioError([Problem(f"wrong file type: a file {kind} is not a tenant table", mark=at,
                                 hint="give a CSV file (.csv) or an Excel workbook (.xlsx)")])


def _read_csv(path: Path) -> Table:
    name = str(path)
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise ScenarioError([Problem("this is not a text (CSV) file: it holds binary data", mark=SourceMark(name, 1, 1),
                                     hint="give a CSV file (.csv) or an Excel workbook (.xlsx)")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # Excel's "CSV" export on Windows
    try:
        sample = "\n".join(line for line in text[:8192].splitlines() if not line.lstrip().startswith("#"))
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    # lines starting with '#' are comments (a note above the header, such as "fictitious data")
    rows = [(n, tuple(cell.strip() for cell in cells))
            for n, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1)
            if not (cells and cells[0].lstrip().startswith("#"))]
    return _table(name, None, rows)


def _read_excel(path: Path, sheet: str | None) -> Table:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    name = str(path)
    at = SourceMark(name, 1, 1)
    try:
        book = load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ScenarioError([Problem(f"cannot be read as an Excel workbook ({type(exc).__name__}: {exc})", mark=at,
                                     hint="save it again as .xlsx from Excel or LibreOffice, or as CSV")]) from None
    if sheet is None:
        ws = book.worksheets[0]
    elif sheet in book.sheetnames:
        ws = book[sheet]
    else:
        raise ScenarioError([Problem(f"no sheet named {sheet!r}; the sheets are: {', '.join(book.sheetnames)}",
                                     mark=at)])
    rows = [(n, tuple("" if v is None else v for v in values))
            for n, values in enumerate(ws.iter_rows(values_only=True), start=1)]
    table = _table(name, ws.title, rows)
    merged = [r for r in ws.merged_cells.ranges if r.max_row >= table.header_row]
    if merged:
        raise ScenarioError([Problem(
            f"cells {r.coord} are merged: a merged cell leaves the rows below it without a value",
            mark=SourceMark(name, r.min_row, r.min_col), hint="unmerge them and repeat the value in every row")
            for r in merged])
    return table


def _table(name: str, sheet: str | None, rows: list[tuple[int, tuple]]) -> Table:
    filled = [(n, cells) for n, cells in rows if any(str(c).strip() for c in cells)]
    where = f"sheet '{sheet}'" if sheet is not None else "the file"
    if not filled:
        raise ScenarioError([Problem(f"{where} is empty: no header row and no tenants", mark=SourceMark(name, 1, 1),
                                     hint="the first row names the columns, each later row is one tenant")])
    (header_row, header), body = filled[0], filled[1:]
    if not body:
        raise ScenarioError([Problem(f"{where} has a header row but no tenant rows below it",
                                     mark=SourceMark(name, header_row, 1))])
    if len(body) > MAX_ROWS:
        raise ScenarioError([Problem(f"{len(body):,} rows: more than {MAX_ROWS:,} tenants", mark=SourceMark(name, 1, 1))])
    width = max(len(cells) for _, cells in filled)
    headers = tuple(str(h).strip() for h in header) + ("",) * (width - len(header))
    body = tuple((n, tuple(cells) + ("",) * (width - len(cells))) for n, cells in body)
    return Table(name, sheet, header_row, headers, body)
