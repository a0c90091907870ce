"""Experiments: seeds, engines, statistics, comparisons, sweeps, failures and resuming."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from helpers import ROOT, SCENARIOS

import simulator
from simulator.cli import main
from simulator.experiment.stats import paired_difference, summarise
from simulator.metrics import compute_metrics
from simulator.model.park import run_scenario
from simulator.validation import load_scenario

DEMO = SCENARIOS / "demo.yaml"
SHORT = ["run.horizon_days=40"]


def read_csv(path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def without(rows: list[dict], *columns: str) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in columns} for row in rows]


# --------------------------------------------------------------------------- statistics


def test_t_interval_of_known_sample():
    s = summarise([1.0, 2.0, 3.0, 4.0])
    assert s["n"] == 4 and s["mean"] == 2.5
    # sd = 1.29099, t(0.975, 3) = 3.18245 -> half-width 2.05426
    assert s["half_width"] == pytest.approx(3.182446 * 1.290994 / 2, rel=1e-5)
    assert s["imprecise"]
    assert not summarise([100.0, 101.0, 99.0, 100.5])["imprecise"]


def test_paired_difference_is_tighter_than_independent_under_common_noise():
    rng = np.random.default_rng(0)
    common = rng.normal(100, 10, 30)
    base, variant = common + rng.normal(0, 1, 30), common + 2 + rng.normal(0, 1, 30)
    d = paired_difference(base, variant)
    assert d["diff_ci_low"] < 2 < d["diff_ci_high"]
    independent = 2 * 2.045 * np.sqrt(base.var(ddof=1) / 30 + variant.var(ddof=1) / 30) / 2
    assert (d["diff_ci_high"] - d["diff_ci_low"]) / 2 < independent / 3


# --------------------------------------------------------------------------- seeds and engines


def test_any_replication_can_be_reproduced_alone(tmp_path):
    experiment = simulator.run(DEMO, replications=3, overrides=SHORT, engine="serial", out=tmp_path,
                               progress=False, figures=False)
    rows = read_csv(experiment.folder / "metrics.csv")
    scenario, _ = load_scenario(DEMO, overrides=SHORT)
    alone = compute_metrics(run_scenario(scenario, replication=2))
    assert float(rows[2]["byproducts_exchanged_t"]) == pytest.approx(alone["byproducts_exchanged_t"], rel=1e-12)
    assert rows[2]["replication"] == "2"
    assert read_csv(experiment.folder / "runs.csv")[2]["spawn_key"] == "(2,)"
    assert float(rows[0]["byproducts_exchanged_t"]) != float(rows[1]["byproducts_exchanged_t"])


def test_cli_replication_option_reproduces_a_run(tmp_path, capsys):
    experiment = simulator.run(DEMO, replications=2, overrides=SHORT, engine="serial", out=tmp_path / "exp",
                               progress=False, figures=False)
    assert main(["run", str(DEMO), "--set", SHORT[0], "--replication", "1", "--out", str(tmp_path / "one"),
                 "--quiet", "--no-figures"]) == 0
    capsys.readouterr()
    single = next((tmp_path / "one").glob("*/*/metrics.json"))
    import json
    value = json.loads(single.read_text())["byproducts_exchanged_t"]["value"]
    assert float(read_csv(experiment.folder / "metrics.csv")[1]["byproducts_exchanged_t"]) == pytest.approx(value)


@pytest.fixture(scope="module")
def serial_metrics(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    experiment = simulator.run(DEMO, replications=4, overrides=SHORT, engine="serial", out=out, progress=False,
                               figures=False)
    return without(read_csv(experiment.folder / "metrics.csv"))


def test_process_engine_gives_identical_metrics(serial_metrics, tmp_path):
    experiment = simulator.run(DEMO, replications=4, overrides=SHORT, engine="process", jobs=2, out=tmp_path,
                               progress=False, figures=False)
    assert read_csv(experiment.folder / "metrics.csv") == serial_metrics


def test_dask_cluster_by_address_gives_identical_metrics(serial_metrics, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        experiment = simulator.run(DEMO, replications=4, overrides=SHORT, scheduler=cluster.scheduler_address,
                                   out=tmp_path, progress=False, figures=False)
    assert read_csv(experiment.folder / "metrics.csv") == serial_metrics


# --------------------------------------------------------------------------- comparisons


def test_compare_writes_paired_differences(tmp_path, capsys):
    code = main(["compare", str(DEMO), "--variant", "platform", "--replications", "3", "--set", "run.horizon_days=90",
                 "--engine", "serial", "--out", str(tmp_path), "--no-figures"])
    out = capsys.readouterr().out
    assert code == 0 and "platform vs baseline" in out
    folder = next(tmp_path.glob("compare-demo/*"))
    rows = read_csv(folder / "differences.csv")
    assert list(rows[0]) == ["variant", "metric", "unit", "baseline_mean", "variant_mean", "diff_mean",
                             "diff_ci_low", "diff_ci_high", "n"]
    generated = next(r for r in rows if r["metric"] == "byproducts_generated_t")
    # common random numbers: the platform does not change production, so the difference is exactly 0
    assert float(generated["diff_mean"]) == 0.0 and generated["n"] == "3"
    found = next(r for r in rows if r["metric"] == "links_contracted")
    assert float(found["diff_mean"]) >= 0
    assert (folder / "arms/demo/figures").exists() is False  # --no-figures
    assert (folder / "arms/platform/flows.csv").is_file()


def test_compare_returns_tables_from_python(tmp_path):
    experiment = simulator.compare([DEMO, DEMO], replications=2, overrides=SHORT, engine="serial", out=tmp_path,
                                   progress=False, figures=False)
    table = experiment.differences
    assert set(table["variant"]) == {"demo-2"}
    assert (table["diff_mean"].abs() < 1e-9).all()  # a scenario against itself


# --------------------------------------------------------------------------- sweeps, failures, resume


def test_sweep_reports_failed_points_and_runs_the_others(tmp_path):
    experiment = simulator.sweep(DEMO, grid=["park.truck_fleet.trucks=0,3"], replications=2, overrides=SHORT,
                                 engine="serial", out=tmp_path, progress=False, figures=False)
    runs = read_csv(experiment.folder / "runs.csv")
    assert [r["status"] for r in runs] == ["failed", "failed", "ok", "ok"]
    failures = read_csv(experiment.folder / "failures.csv")
    assert failures[0]["park.truck_fleet.trucks"] == "0" and "must be >= 1" in failures[0]["error"]
    summary = read_csv(experiment.folder / "summary.csv")
    assert {r["n"] for r in summary if r["arm"] == "p001"} == {"2"}


def test_lhs_sweep_points_are_within_ranges(tmp_path):
    experiment = simulator.sweep(DEMO, lhs=5, ranges=["discovery.base_rate_per_year=0.5:4"], overrides=SHORT,
                                 engine="serial", out=tmp_path, progress=False, figures=False)
    values = [float(r["discovery.base_rate_per_year"]) for r in read_csv(experiment.folder / "runs.csv")]
    assert len(values) == 5 and all(0.5 <= v <= 4 for v in values)
    assert len({int((v - 0.5) / 0.7) for v in values}) == 5   # one point per stratum


def test_killed_sweep_resumes_to_the_same_tables(tmp_path):
    args = ["sweep", str(DEMO), "--grid", "discovery.base_rate_per_year=0.5,1,2,4,8,16", "--replications", "2",
            "--set", "run.horizon_days=120", "--engine", "serial", "--no-figures"]
    assert main([*args, "--out", str(tmp_path / "whole")]) == 0
    whole = next((tmp_path / "whole").glob("*/*"))
    proc = subprocess.Popen([sys.executable, "-m", "simulator", *args, "--out", str(tmp_path / "cut")], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    runs_dir = None
    while time.time() < deadline:
        found = list((tmp_path / "cut").glob("*/*/runs/*.json"))
        if len(found) >= 3:
            runs_dir = found[0].parent
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert runs_dir is not None, "the sweep did not start"
    cut = runs_dir.parent
    assert 3 <= len(list(runs_dir.glob("*.json"))) < 12
    assert not list(runs_dir.glob(".*"))  # no half-written run file
    assert main(["sweep", "--resume", str(cut), "--engine", "serial", "--no-figures"]) == 0
    for name in ("metrics.csv", "summary.csv", "failures.csv"):
        assert (cut / name).read_text() == (whole / name).read_text(), name
    assert without(read_csv(cut / "runs.csv"), "duration_s") == without(read_csv(whole / "runs.csv"), "duration_s")


def test_sensitivity_writes_sobol_indices(tmp_path):
    pytest.importorskip("SALib")
    experiment = simulator.sensitivity(DEMO, ranges=["discovery.base_rate_per_year=0.5:8", "policy.landfill_tax_per_t=0:5e5"],
                                       n=8, outcomes=["byproducts_exchanged_t"], overrides=["run.horizon_days=60"],
                                       engine="process", jobs=2, out=tmp_path, progress=False, figures=False)
    rows = read_csv(experiment.folder / "sensitivity.csv")
    assert [r["parameter"] for r in rows] == ["discovery.base_rate_per_year", "policy.landfill_tax_per_t"]
    assert experiment.runs_total == 8 * (2 + 2)
    assert all(r["note"] in ("", "no variation") for r in rows)


def test_bad_experiment_options_are_input_errors(tmp_path, capsys):
    assert main(["sweep", str(DEMO), "--out", str(tmp_path)]) == 2
    assert "needs --grid" in capsys.readouterr().err
    assert main(["run", str(DEMO), "--replications", "0", "--out", str(tmp_path)]) == 2
    assert main(["compare", str(DEMO), "--out", str(tmp_path)]) == 2
    assert main(["sweep", "--resume", str(tmp_path)]) == 2
    assert not any(tmp_path.iterdir())
