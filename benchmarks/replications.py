"""Replications of demo.yaml on the three engines, timed in one command.

    python benchmarks/replications.py [--replications 100] [--jobs 2] [--repeats 3]

Runs the same replication experiment serially, on a local process pool and on a Dask
LocalCluster (connected by address, as a user would connect to a remote scheduler), checks
that all three produce identical metrics, and prints the median wall time of each engine over
``--repeats`` repetitions and the speed-up ratios against serial. Targets (issue: experiments):
processes at least 1.7x faster than serial on 2 cores; Dask within 15 % of processes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import simulator

ROOT = Path(__file__).resolve().parents[1]


def timed(replications: int, out: Path, **engine) -> tuple[float, str]:
    started = time.perf_counter()
    experiment = simulator.run(ROOT / "scenarios/demo.yaml", replications=replications, out=out, progress=False,
                               figures=False, **engine)
    elapsed = time.perf_counter() - started
    return elapsed, (experiment.folder / "metrics.csv").read_text()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from dask.distributed import LocalCluster

    times: dict[str, list[float]] = {"serial": [], "process": [], "dask": []}
    tables = {}
    with tempfile.TemporaryDirectory() as tmp, LocalCluster(n_workers=args.jobs, threads_per_worker=1,
                                                            processes=True, dashboard_address=None) as cluster:
        out = Path(tmp)
        for _ in range(args.repeats):
            for name, engine in (("serial", {"engine": "serial"}),
                                 ("process", {"engine": "process", "jobs": args.jobs}),
                                 ("dask", {"scheduler": cluster.scheduler_address})):
                elapsed, table = timed(args.replications, out, **engine)
                times[name].append(elapsed)
                tables[name] = table
    same = tables["serial"] == tables["process"] == tables["dask"]
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"{args.replications} replications of demo.yaml (365 days), {args.jobs} workers, "
          f"median of {args.repeats} repeats; identical metrics on all engines: {same}")
    print(f"{'engine':<10}{'median s':>10}{'min to max s':>16}{'runs/s':>10}{'speed-up vs serial':>22}")
    for name, values in times.items():
        spread = f"{min(values):.2f} to {max(values):.2f}"
        print(f"{name:<10}{median[name]:>10.2f}{spread:>16}{args.replications / median[name]:>10.1f}"
              f"{median['serial'] / median[name]:>22.2f}")
    print(f"processes vs serial: {median['serial'] / median['process']:.2f}x (target >= 1.7x); "
          f"Dask vs processes: {median['dask'] / median['process']:.2f} (target <= 1.15)")


if __name__ == "__main__":
    main()
