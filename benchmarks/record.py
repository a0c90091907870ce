"""Rows written, time and peak memory of a whole run with its result folder, by ``run.record`` (issue 17).

Each setting runs in a freshly spawned interpreter on the synthetic parks of :mod:`scaling`
(``generate_park``, with ``run.record`` set): ``single_run.run_and_save`` without figures, as
``eipsim run --no-figures`` does it (the run streamed to disk, the indicators, chart data and
every table written in chunks; ``--format`` as given, ``auto`` by default). Reported per run:

* ``save_s``: wall time of ``run_and_save`` (``time.perf_counter``);
* ``rss_peak_mb``: peak resident set size of the process (``ru_maxrss``) at the end;
* ``stocks_rows``, ``flows_rows``: rows of the two tables ``run.record`` sets the resolution of,
  and the format each was written in;
* ``folder_mb``: size of the result folder.

Usage (from the repository root)::

    python benchmarks/record.py --firms 1091 --days 11315 --records daily/each period/period
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scaling import generate_park, peak_rss_bytes, validate_park  # noqa: E402


def table_rows(folder: Path, name: str) -> tuple[int, str]:
    """Rows of the table ``name`` in a result folder, and its format (without reading it)."""
    if (folder / f"{name}.parquet").is_file():
        import pyarrow.parquet as pq

        return pq.ParquetFile(folder / f"{name}.parquet").metadata.num_rows, "parquet"
    with open(folder / f"{name}.csv", "rb") as handle:
        return sum(1 for _ in handle) - 1, "csv"


def measure(n_firms: int, days: int, record: str, seed: int, table_format: str, scratch: str) -> dict:
    """One run saved with ``record`` (``STOCKS/SHIPMENTS``); meant for a fresh interpreter."""
    from simulator.single_run import run_and_save

    stocks, shipments = record.split("/")
    data = generate_park(n_firms, seed, days)
    data["run"]["record"] = {"stocks": stocks, "shipments": shipments}
    scenario = validate_park(data)
    with tempfile.TemporaryDirectory(dir=scratch, prefix=".record-bench-") as out:
        start = time.perf_counter()
        saved = run_and_save(scenario, out=out, figures=False, table_format=table_format)
        save_s = time.perf_counter() - start
        peak = peak_rss_bytes()
        stocks_rows, stocks_format = table_rows(saved.folder, "stocks")
        flows_rows, flows_format = table_rows(saved.folder, "flows")
        size = sum(p.stat().st_size for p in saved.folder.rglob("*") if p.is_file())
    return {"firms": n_firms, "days": days, "record": record, "save_s": save_s, "rss_peak_mb": peak / 1e6,
            "stocks_rows": stocks_rows, "stocks_format": stocks_format, "flows_rows": flows_rows,
            "flows_format": flows_format, "folder_mb": size / 1e6}


def in_child(*args) -> dict:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(measure, args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, nargs="+", default=[1000])
    parser.add_argument("--days", type=int, nargs="+", default=[3650])
    parser.add_argument("--records", nargs="+", default=["daily/each", "period/period"],
                        help="run.record settings as STOCKS/SHIPMENTS (default: daily/each period/period)")
    parser.add_argument("--format", default="auto", choices=("auto", "csv", "parquet"), dest="table_format")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scratch", default=".", help="folder on disk for the result folders (default: here)")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    rows = []
    print(f"{'firms':>6} {'days':>6} {'record':>14} {'save s':>8} {'peak MB':>8} {'stocks rows':>14} "
          f"{'flows rows':>12} {'folder MB':>10}")
    for firms in args.firms:
        for days in args.days:
            for record in args.records:
                r = in_child(firms, days, record, args.seed, args.table_format, args.scratch)
                rows.append(r)
                print(f"{firms:>6,} {days:>6,} {record:>14} {r['save_s']:>8.1f} {r['rss_peak_mb']:>8.0f} "
                      f"{r['stocks_rows']:>14,} {r['flows_rows']:>12,} {r['folder_mb']:>10.1f}  "
                      f"({r['stocks_format']}, {r['flows_format']})", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
