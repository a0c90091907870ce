"""Two versions of eipsim side by side, timed in units of bare SimPy events (issue 16).

    git archive <commit> | tar -x -C OLD          # any version, as a folder with simulator/, scenarios/
    python benchmarks/versus.py park --trees OLD . --firms 1000 --repeats 2
    python benchmarks/versus.py park --trees OLD . --firms 1091 --days 11315 --repeats 1
    python benchmarks/versus.py demo --trees OLD . --repeats 3

``park``: in a fresh interpreter per tree and repeat (the tree first on ``sys.path``), the
synthetic park of ``scaling.py`` (``generate_park(firms, 20241006, days)``) runs once; its CPU time
(``time.process_time``, steadier than wall time on a shared machine) is divided by the CPU time of
one million bare SimPy events timed in the same interpreter just before and after (a plain
``simpy.Environment``, 100 processes x 10,000 ``timeout(1)``; the median of the two). The figure
is the run's cost in millions of bare SimPy events; peak RSS of the interpreter is reported too.

``demo``: wall time of ``python -m simulator run scenarios/demo.yaml`` in each tree (warm: the
trees are run in turn ``--repeats`` times), with all charts and with ``--no-figures``, and of
importing the CLI and the single-run module, divided by the wall time of one million bare SimPy
events timed in this process before each round.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2])
import scaling
from versus import bare_seconds
from simulator import run_scenario
from simulator.compose import compose
from simulator.network import build_network

firms, days = int(sys.argv[3]), int(sys.argv[4])
scenario = compose(scaling.validate_park(scaling.generate_park(firms, 20241006, days)))
network = build_network(scenario)
before = bare_seconds(time.process_time)
start = time.process_time()
result = run_scenario(scenario, 20241006, network=network)
run = time.process_time() - start
per_million = (before + bare_seconds(time.process_time)) / 2   # median of two
print(json.dumps({"cpu_s": run, "bare_s_per_million": per_million, "million_bare_events": run / per_million,
                  "sim_events": result.sim_events, "shipments": len(result.shipments),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bare_seconds(clock=time.perf_counter) -> float:
    """Seconds of ``clock`` per million bare SimPy events: a plain ``simpy.Environment``, 100
    processes x 10,000 ``timeout(1)`` (1,000,200 events)."""
    import simpy

    def ticker(env):
        for _ in range(10_000):
            yield env.timeout(1)

    env = simpy.Environment()
    for _ in range(100):
        env.process(ticker(env))
    start = clock()
    env.run()
    return (clock() - start) / 1.0002


def park(trees: list[Path], firms: int, repeats: int, days: int = 365) -> None:
    rows = {tree: [] for tree in trees}
    for _ in range(repeats):
        for tree in trees:
            out = subprocess.run([sys.executable, "-c", CHILD, str(tree), str(HERE), str(firms), str(days)],
                                 capture_output=True, text=True, check=True, cwd=tree)
            rows[tree].append(json.loads(out.stdout.strip().splitlines()[-1]))
    for tree, runs in rows.items():
        cost = statistics.median(r["million_bare_events"] for r in runs)
        costs = ", ".join(f"{r['million_bare_events']:.2f}" for r in runs)
        cpu = ", ".join(f"{r['cpu_s']:.2f}" for r in runs)
        rss = max(r["peak_rss_mb"] for r in runs)
        print(f"{tree}: {firms:,} firms x {days:,} days = {cost:.2f} million bare SimPy events (runs: {costs}; "
              f"CPU s: {cpu}; SimPy events {runs[0]['sim_events']:,}; peak RSS {rss:.0f} MB)")
    if len(trees) == 2:
        a, b = (statistics.median(r["million_bare_events"] for r in rows[t]) for t in trees)
        print(f"ratio {trees[0]} / {trees[1]}: {a / b:.2f}")


def demo(trees: list[Path], repeats: int) -> None:
    kinds = {"figures": [], "no-figures": ["--no-figures"]}
    times = {tree: {k: [] for k in [*kinds, "import"]} for tree in trees}
    bares = []
    for _ in range(repeats):
        for tree in trees:
            bares.append(bare_seconds())
            for kind, extra in kinds.items():
                with tempfile.TemporaryDirectory() as out:
                    start = time.perf_counter()
                    subprocess.run([sys.executable, "-m", "simulator", "run", "scenarios/demo.yaml", "--out", out,
                                    "--quiet", *extra], cwd=tree, check=True, capture_output=True)
                    times[tree][kind].append(time.perf_counter() - start)
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import simulator.cli, simulator.single_run"], cwd=tree, check=True)
            times[tree]["import"].append(time.perf_counter() - start)
    unit = statistics.median(bares)
    print(f"bare SimPy: {unit:.2f} s per million events (median of {len(bares)})")
    for tree, kinds_ in times.items():
        parts = [f"{k} {statistics.median(v):.2f} s = {statistics.median(v) / unit:.2f} M" for k, v in kinds_.items()]
        print(f"{tree}: " + "; ".join(parts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["park", "demo"])
    parser.add_argument("--trees", type=Path, nargs="+", required=True, help="folders holding simulator/")
    parser.add_argument("--firms", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365, help="simulated days (park only)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    trees = [t.resolve() for t in args.trees]
    if args.what == "park":
        park(trees, args.firms, args.repeats, args.days)
    else:
        demo(trees, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
