"""Peak memory of one run against the horizon: kept in memory, or streamed to disk (issue 17).

Each run is measured in a freshly spawned interpreter, on the synthetic parks of
:mod:`scaling` (``generate_park``): the park is generated, validated, composed and its network
built, then one run is timed, either as ``run_scenario(scenario)`` (``memory``: every daily series
and table kept in the RunResult) or as ``run_scenario(scenario, sink=SeriesFiles(folder))``
(``stream``: chunks appended to ``.npy`` files in a scratch folder on disk while the run goes,
the result's series memory-mapped from them). Reported per run:

* ``run_s``: wall time of ``run_scenario`` (``time.perf_counter``);
* ``rss_peak_mb``: peak resident set size of the process (``ru_maxrss``) after the run;
* ``rss_run_mb``: that peak minus the peak before the scenario was generated (an interpreter
  that has imported numpy, SimPy and the package); ``KB/firm`` is this per firm;
* ``rss_metrics_mb``: the peak after ``compute_metrics`` too (it reads every series once; a
  streamed run's series are read in blocks of rows, and the pages of their memory maps are
  given back after each block: :func:`simulator.storage.row_blocks`).

Mode ``saved`` measures what ``eipsim run`` does end to end: ``run_and_save`` of the park (run
streamed to the result folder's scratch files, metrics, warnings, every table in ``--format``,
``chart_data.json``; figures unless ``--no-figures``, drawn in the measured process), into a
scratch folder; ``rss_peak_mb`` is then the peak of the whole command and ``run_s`` its wall time.
Mode ``cli`` runs ``eipsim run`` itself on the park written as a scenario file, in a subprocess
(charts drawn by its helper processes, as a user's command does); ``rss_peak_mb`` is the peak of
its largest process (``RUSAGE_CHILDREN``).

Usage (from the repository root)::

    python benchmarks/memory.py --firms 1091 --days 11315 --modes stream memory
    python benchmarks/memory.py --firms 1000 --days 365 3650 --modes stream
    python benchmarks/memory.py --firms 1091 --days 11315 --modes saved --no-figures
    python benchmarks/memory.py --firms 1091 --days 11315 --modes cli
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scaling import generate_park, peak_rss_bytes, validate_park  # noqa: E402


def measure(n_firms: int, days: int, mode: str, seed: int, scratch: str) -> dict:
    """One run of ``mode`` (``memory`` or ``stream``); meant for a fresh interpreter."""
    from simulator.compose import compose
    from simulator.metrics import compute_metrics
    from simulator.model.park import run_scenario
    from simulator.network import build_network
    from simulator.storage import SeriesFiles

    baseline = peak_rss_bytes()
    scenario = compose(validate_park(generate_park(n_firms, seed, days)))
    network = build_network(scenario)
    with tempfile.TemporaryDirectory(dir=scratch, prefix=".memory-bench-") as folder:
        sink = SeriesFiles(folder) if mode == "stream" else None
        start = time.perf_counter()
        result = run_scenario(scenario, seed, network=network, sink=sink)
        run_s = time.perf_counter() - start
        after_run = peak_rss_bytes()
        compute_metrics(result)
        after_metrics = peak_rss_bytes()
        on_disk = sum(p.stat().st_size for p in Path(folder).iterdir())
        del result
    return {"firms": n_firms, "days": days, "mode": mode, "run_s": run_s,
            "rss_peak_mb": after_run / 1e6, "rss_run_mb": (after_run - baseline) / 1e6,
            "rss_run_kb_per_firm": (after_run - baseline) / n_firms / 1e3,
            "rss_metrics_mb": after_metrics / 1e6, "streamed_mb": on_disk / 1e6}


def measure_saved(n_firms: int, days: int, seed: int, scratch: str, figures: bool, table_format: str,
                  keep: str | None = None) -> dict:
    """``run_and_save`` of the park end to end (``saved``); meant for a fresh interpreter.
    ``keep``: a folder to keep the result folder in (default: a scratch folder, removed)."""
    import shutil

    from simulator.single_run import run_and_save

    baseline = peak_rss_bytes()
    scenario = validate_park(generate_park(n_firms, seed, days))
    with tempfile.TemporaryDirectory(dir=scratch, prefix=".memory-bench-") as folder:
        start = time.perf_counter()
        saved = run_and_save(scenario, out=keep or folder, figures=figures, table_format=table_format)
        run_s = time.perf_counter() - start
        peak = peak_rss_bytes()
        on_disk = sum(p.stat().st_size for p in saved.folder.rglob("*") if p.is_file())
        if keep is None:
            shutil.rmtree(saved.folder)
    return {"firms": n_firms, "days": days, "mode": "saved", "run_s": run_s, "rss_peak_mb": peak / 1e6,
            "rss_run_mb": (peak - baseline) / 1e6, "rss_run_kb_per_firm": (peak - baseline) / n_firms / 1e3,
            "rss_metrics_mb": peak / 1e6, "streamed_mb": on_disk / 1e6}


def measure_cli(n_firms: int, days: int, seed: int, scratch: str, figures: bool, table_format: str,
                keep: str | None = None) -> dict:
    """``eipsim run`` of the park written as a scenario file, in a subprocess (``cli``); meant for a
    fresh interpreter, whose ``RUSAGE_CHILDREN`` peak is then the largest process of the command
    (the run, or one of its chart-drawing helpers)."""
    import subprocess

    from simulator.loader import dump_yaml

    with tempfile.TemporaryDirectory(dir=scratch, prefix=".memory-bench-") as folder:
        scenario = Path(folder) / "park.yaml"
        plain = json.loads(json.dumps(generate_park(n_firms, seed, days), default=lambda value: value.item()))
        scenario.write_text(dump_yaml(plain))  # numpy scalars as plain numbers
        out = keep or str(Path(folder) / "results")
        command = [sys.executable, "-m", "simulator", "run", str(scenario), "--out", out, "--quiet",
                   "--format", table_format, *([] if figures else ["--no-figures"])]
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        run_s = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        on_disk = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
    return {"firms": n_firms, "days": days, "mode": "cli", "run_s": run_s, "rss_peak_mb": peak / 1e6,
            "rss_run_mb": peak / 1e6, "rss_run_kb_per_firm": peak / n_firms / 1e3,
            "rss_metrics_mb": peak / 1e6, "streamed_mb": on_disk / 1e6}


def in_child(*args) -> dict:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(measure, args)


def saved_in_child(mode: str, *args) -> dict:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(measure_saved if mode == "saved" else measure_cli, args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, nargs="+", default=[1000])
    parser.add_argument("--days", type=int, nargs="+", default=[365, 3650])
    parser.add_argument("--modes", nargs="+", choices=("memory", "stream", "saved", "cli"), default=["stream", "memory"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scratch", default=".", help="folder on disk for the streamed files (default: here)")
    parser.add_argument("--no-figures", action="store_true", help="saved: without the figures")
    parser.add_argument("--format", default="auto", choices=("auto", "csv", "parquet"), help="saved: table format")
    parser.add_argument("--keep", help="saved: keep the result folders in this folder")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    rows = []
    print(f"{'firms':>6} {'days':>6} {'mode':>6} {'run s':>8} {'peak MB':>8} {'run MB':>8} {'KB/firm':>8} "
          f"{'+metrics MB':>11} {'on disk MB':>10}")
    print("(saved, cli: run s is the whole run_and_save or eipsim run, peak MB its peak (cli: of its largest "
          "process), on disk MB the result folder)")
    for firms in args.firms:
        for days in args.days:
            for mode in args.modes:
                r = (saved_in_child(mode, firms, days, args.seed, args.scratch, not args.no_figures, args.format,
                                    args.keep)
                     if mode in ("saved", "cli") else in_child(firms, days, mode, args.seed, args.scratch))
                rows.append(r)
                print(f"{firms:>6,} {days:>6,} {mode:>6} {r['run_s']:>8.1f} {r['rss_peak_mb']:>8.0f} "
                      f"{r['rss_run_mb']:>8.0f} {r['rss_run_kb_per_firm']:>8.1f} {r['rss_metrics_mb']:>11.0f} "
                      f"{r['streamed_mb'] if mode != 'memory' else 0:>10.1f}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
