"""One Excel workbook of a result folder (``eipsim export RESULT_DIR --xlsx FILE``), built with openpyxl.

Sheets: *Indicators* (value, unit, definition of every indicator), *Flows by link* (realised and
candidate exchanges) and *Flows by material* (purchases, sales, disposal, exchanges, summed over
the run), *Ledger* (money by category and by where the payee sits), *IO table* and *Multipliers*
(the local input-output table and Type I / II multipliers), and for experiments *Summary* (mean,
sd, 95 % CI per arm and indicator) and *Differences* (paired differences with CIs). For an
experiment, flows, ledger and IO come from the first arm's representative run (replication 0).
Headers are bold on a coloured band and frozen; numbers carry number formats. Returns bytes:
:func:`simulator.storage.write_bytes_atomic` writes them. Folders are read through
:mod:`simulator.result_reader` (a damaged file is an error naming it).
"""

from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

import numpy as np

from .errors import EipsimError
from .result_reader import ResultReader, read_chunks, read_table, read_table_with_header

HEADER_FILL = "1F4E79"
MONEY, QUANTITY, RATIO, SHARE, DAY = "#,##0", "#,##0.0", "0.000", "0.0%", "0.0"


def workbook_bytes(folder: str | Path) -> bytes:
    """The workbook of a run or experiment folder, as .xlsx bytes."""
    from openpyxl import Workbook

    reader = ResultReader(folder)
    folder = reader.path
    run = ResultReader(reader.tables_folder())
    plan = None if reader.is_run else reader.plan()
    book = Workbook()
    book.remove(book.active)
    # an experiment's metrics.json: the first arm's means with sd and 95 % CI
    metrics = reader.metrics() if (folder / "metrics.json").is_file() else {}
    manifest = run.manifest() if (run.path / "manifest.json").is_file() else {}
    currency = _currency(run)
    run = run.path
    if metrics:
        spread = ["sd", "ci_low", "ci_high", "n"] if plan is not None else []
        rows = [[m.get("label", name), m.get("value"), m.get("unit", ""), m.get("definition", ""), name,
                 m.get("group", ""), *(m.get(k) for k in spread)] for name, m in metrics.items()]
        header = ["indicator", "value" if plan is None else "mean", "unit", "definition", "name", "group",
                  *(k if k != "n" else "replications" for k in spread)]
        ws = _sheet(book, "Indicators", header, rows, widths=[36, 16, 14, 90, 32, 12])
        for r, (_, value, unit, *_rest) in enumerate(rows, start=2):
            for c in (2, 7, 8, 9)[:1 + 3 * bool(spread)]:
                ws.cell(r, c).number_format = _format_for(unit)
        where = (f"Means over the replications of the first arm ({plan['arms'][0]['label']}), 95 % CI; flows, "
                 "ledger and IO sheets: its representative run (replication 0). " if plan else "")
        ws.cell(len(rows) + 3, 1, f"{where}Seed {manifest.get('root_seed', manifest.get('seed', ''))}; "
                                  f"money in {currency}.")
    links = read_table(run / "links.csv")
    if links:
        header = ["supplier", "consumer", "material", "mode", "distance_km", "quantity", "unit", "value",
                  "benefit_per_unit", "found_day", "state_at_end"]
        rows = [[row.get(h, "") for h in header] for row in links]
        rows.sort(key=lambda r: -(r[5] or 0))
        ws = _sheet(book, "Flows by link", [*header[:7], f"value ({currency})", f"benefit per unit ({currency})",
                                            "found on day", "state at end"], rows)
        _formats(ws, {5: QUANTITY, 6: QUANTITY, 8: MONEY, 9: MONEY, 10: DAY}, len(rows))
    totals: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for chunk in read_chunks(run / "flows.csv"):  # chunk by chunk: a long run's flows need not fit in memory
        for key, quantity, value in zip(zip(*(chunk[c].tolist() for c in ("kind", "material", "unit"))),
                                        _numbers(chunk["quantity"]), _numbers(chunk["value"])):
            totals[key][0] += quantity
            totals[key][1] += value
    if totals:
        rows = [[kind, material, q, unit, v] for (kind, material, unit), (q, v) in sorted(totals.items())]
        ws = _sheet(book, "Flows by material", ["kind", "material", "quantity", "unit", f"value ({currency})"], rows)
        _formats(ws, {3: QUANTITY, 5: MONEY}, len(rows))
    by: dict[tuple, float] = defaultdict(float)
    for chunk in read_chunks(run / "ledger.csv"):
        for key, amount in zip(zip(chunk["category"].tolist(), chunk["payee_location"].tolist()),
                               _numbers(chunk["amount"])):
            by[key] += amount
    if by:
        locations = sorted({loc for _, loc in by})
        categories = sorted({cat for cat, _ in by})
        rows = [[cat, *(by.get((cat, loc), 0.0) for loc in locations), sum(by.get((cat, loc), 0.0) for loc in locations)]
                for cat in categories]
        rows.append(["total", *(sum(by.get((c, loc), 0.0) for c in categories) for loc in locations),
                     sum(by.values())])
        from openpyxl.styles import Font

        ws = _sheet(book, "Ledger", ["category", *(f"paid to {loc} ({currency})" for loc in locations),
                                     f"total ({currency})"], rows)
        _formats(ws, {c: MONEY for c in range(2, len(locations) + 3)}, len(rows))
        for cell in ws[len(rows) + 1]:
            cell.font = Font(bold=True)
    io_header, io_rows = read_table_with_header(run / "io_table.csv")
    if io_rows:
        ws = _sheet(book, "IO table", io_header, [list(r.values()) for r in io_rows], widths=[10, 40])
        _formats(ws, {c: MONEY for c in range(3, len(io_header) + 1)}, len(io_rows))
        ws.cell(len(io_rows) + 3, 1, f"Money in {currency} over the run; employment in jobs. Rows: supplying "
                                     "sectors and value-added rows; columns: purchasing sectors, final demand, output.")
    header, multipliers = read_table_with_header(run / "io_multipliers.csv")
    if multipliers:
        rows = [list(row.values()) for row in multipliers]
        ws = _sheet(book, "Multipliers", header, rows, widths=[50])
        _formats(ws, {c: RATIO for c in range(2, len(header) + 1)}, len(rows))
        ws.cell(len(rows) + 3, 1, "Type I: Leontief inverse of park and regional supplier sectors; Type II: "
                                  "households closed (Miller & Blair 2009, ch. 6).")
    if plan is not None:
        for name, title in (("summary.csv", "Summary"), ("differences.csv", "Differences")):
            head_row, rows = read_table_with_header(folder / name)
            if rows:
                body = [list(r.values()) for r in rows]
                ws = _sheet(book, title, head_row, body)
                for c, head in enumerate(head_row, start=1):
                    if any(isinstance(r[c - 1], float) for r in body):
                        _formats(ws, {c: "0" if head == "n" else "#,##0.0000"}, len(body))
    if not book.sheetnames:
        raise EipsimError(f"{folder} holds no tables to export")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _numbers(column) -> list[float]:
    """A column's values as floats, a missing one (NaN) as 0."""
    return np.nan_to_num(np.asarray(column, dtype=float), nan=0.0).tolist()


def _currency(run: ResultReader) -> str:
    if run.is_run and run.has_tables():
        return run.chart_data().get("meta", {}).get("currency") or "currency"
    return "currency"


def _format_for(unit: str) -> str:
    if unit == "share":
        return SHARE
    if unit in ("ratio", "ratio 1-3", "index 0-1", "relative"):
        return RATIO
    return MONEY if len(unit) == 3 and unit.isupper() else QUANTITY


def _sheet(book, title: str, header: list[str], rows: list[list], widths: list[int] | None = None):
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = book.create_sheet(title)
    ws.append(header)
    for row in rows:
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    for i, head in enumerate(header, start=1):
        width = (widths[i - 1] if widths and i <= len(widths) else max(12, min(40, len(str(head)) + 2)))
        ws.column_dimensions[get_column_letter(i)].width = width
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    return ws


def _formats(ws, formats: dict[int, str], count: int) -> None:
    for column, number_format in formats.items():
        for r in range(2, count + 2):
            ws.cell(r, column).number_format = number_format
