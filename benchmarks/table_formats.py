"""Result tables as CSV and as Parquet: file size, write and read time, for a park of N firms.

Runs the synthetic park of :mod:`scaling` (default 1,000 firms, 365 days) once, then writes its
flows table (one row per truck shipment and per accounting-period flow), its stocks table (one
row per store and day) and its ledger through :func:`simulator.storage.write_table` as CSV and as Parquet,
in chunks of ``--chunk-rows`` rows (as a streamed run writes them), and reads each back with
:func:`simulator.result_reader.read_columns`. Both formats are timed in this one process, one
after the other, so their ratio holds on a busy machine better than either time alone. Then the
peak memory of building and writing each table whole and chunk by chunk (:func:`peak_while_writing`)::

    python benchmarks/table_formats.py --firms 1000 --days 365
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scaling import generate_park, validate_park  # noqa: E402

from simulator.compose import compose  # noqa: E402
from simulator.model.park import run_scenario  # noqa: E402
from simulator.result_reader import read_columns  # noqa: E402
from simulator.storage import write_table  # noqa: E402


def chunks(table: dict, size: int):
    """The table's rows, ``size`` at a time, as column chunks."""
    rows = len(next(iter(table.values())))
    for start in range(0, rows, size):
        yield {name: column[start:start + size] for name, column in table.items()}


def measure(table: dict, name: str, folder: Path, chunk_rows: int) -> list[dict]:
    rows = len(next(iter(table.values())))
    found = []
    for table_format in ("csv", "parquet"):
        start = time.perf_counter()
        path = write_table(folder, f"{name}_{table_format}", chunks(table, chunk_rows), table_format)
        written = time.perf_counter() - start
        start = time.perf_counter()
        read_columns(path)
        read = time.perf_counter() - start
        found.append({"table": name, "format": table_format, "rows": rows, "bytes": path.stat().st_size,
                      "write_s": written, "read_s": read})
    return found


def peak_while_writing(result, folder: Path, chunk_rows: int) -> list[dict]:
    """Peak of the memory traced by ``tracemalloc`` (numpy arrays and Python objects) while the
    flows, stocks and ledger tables are built and written as Parquet: whole (each table one dict
    of columns, as before chunked writing) and chunk by chunk (as ``write_run_tables`` does)."""
    days, stores = result.slot_level.shape
    step = max(1, chunk_rows // stores)
    rows = len(result.ledger)
    ways = {
        "whole": {"flows": lambda: result.flows_table(), "stocks": lambda: result.stocks_table(),
                  "ledger": lambda: result.ledger_table()},
        "chunks": {"flows": lambda: result.flows_chunks(chunk_rows),
                   "stocks": lambda: (result.stocks_table(range(d, min(d + step, days))) for d in range(0, days, step)),
                   "ledger": lambda: (result.ledger_table(range(r, min(r + chunk_rows, rows)))
                                      for r in range(0, rows, chunk_rows))},
    }
    found = []
    for way, tables in ways.items():
        for name, make in tables.items():
            tracemalloc.start()
            write_table(folder, f"{name}_{way}", make(), "parquet")
            found.append({"table": name, "way": way, "peak_mb": tracemalloc.get_traced_memory()[1] / 1e6})
            tracemalloc.stop()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--firms", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=20241006)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    scenario = compose(validate_park(generate_park(args.firms, args.seed, args.days)))
    result = run_scenario(scenario, args.seed)
    tables = {"flows": result.flows_table(), "stocks": result.stocks_table(), "ledger": result.ledger_table()}
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()  # pyarrow's import and first use, paid once by a process
        read_columns(write_table(folder, "warm", {"x": [0.5], "y": ["a"]}, "parquet"))
        warm = time.perf_counter() - start
        rows = [row for name, table in tables.items() for row in measure(table, name, Path(folder), args.chunk_rows)]
        del tables
        peaks = peak_while_writing(result, Path(folder), args.chunk_rows)
    print(f"{args.firms} firms x {args.days} days, chunks of {args.chunk_rows:,} rows; pyarrow's import and "
          f"first use (once a process, not in the times below): {warm:.2f} s\n")
    print("| table | format | rows | size MB | bytes/row | write s | read s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['table']} | {r['format']} | {r['rows']:,} | {r['bytes'] / 1e6:.1f} | {r['bytes'] / r['rows']:.1f} "
              f"| {r['write_s']:.2f} | {r['read_s']:.2f} |")
    print("\nPeak memory traced while a table is built and written as Parquet (tracemalloc, MB):\n")
    print("| table | whole | in chunks |")
    print("|---|---:|---:|")
    for name in ("flows", "stocks", "ledger"):
        peak = {r["way"]: r["peak_mb"] for r in peaks if r["table"] == name}
        print(f"| {name} | {peak['whole']:.1f} | {peak['chunks']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
