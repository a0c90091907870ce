"""Experiments: seeds, engines, statistics, comparisons, sweeps, failures and resuming."""

from __future__ import annotations

import csv
import json
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
from simulator.experiment import execution as runner
from simulator.experiment.stats import paired_difference, summarise
from simulator.metrics import compute_metrics
from simulator.result_reader import ResultReader
from simulator.model.park import run_scenario
from simulator.validation import load_scenario

DEMO = SCENARIOS / "demo.yaml"
SHORT = ["run.horizon_days=40"]


def read_csv(path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def without(rows: list[dict], *columns: str) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in columns} for row in rows]


def manifest_of(folder) -> dict:
    return json.loads((folder / "manifest.json").read_text())


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


def test_arm_means_are_kept_when_the_other_arm_is_undefined():
    d = paired_difference([np.nan, np.nan, np.nan], [1.0, 2.0, np.nan])
    assert np.isnan(d["baseline_mean"]) and d["variant_mean"] == 1.5
    assert np.isnan(d["diff_mean"]) and np.isnan(d["diff_ci_low"]) and d["n"] == 0
    paired = paired_difference([1.0, np.nan, 3.0], [2.0, 5.0, 5.0])  # means over the pairs: diff = difference
    assert (paired["baseline_mean"], paired["variant_mean"], paired["diff_mean"]) == (2.0, 3.5, 1.5)


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
    reader = ResultReader(folder)
    assert [ResultReader(run).manifest()["replication"] for run in reader.run_folders()] == [0, 1, 2, 0, 1, 2]
    assert (reader.arm_run("platform") / "flows.csv").is_file()
    assert not (reader.arm_run("demo") / "figures").exists()  # --no-figures


def test_compare_shows_the_mean_of_an_arm_whose_baseline_is_undefined(tmp_path, capsys):
    # the baseline park has no SMEs, so their LM3 is undefined there; the ikm10 variant has 50
    code = main(["compare", str(SCENARIOS / "kawasan_baseline.yaml"), "--variant", "ikm10", "--replications", "2",
                 "--set", "run.horizon_days=10", "--engine", "serial", "--out", str(tmp_path), "--no-figures"])
    out = capsys.readouterr().out
    assert code == 0
    row = next(r for r in read_csv(next(tmp_path.glob("*/*/differences.csv"))) if r["metric"] == "lm3_sme")
    assert (row["baseline_mean"], row["diff_mean"], row["diff_ci_low"], row["n"]) == ("", "", "", "0")
    assert float(row["variant_mean"]) > 1
    line = next(line for line in out.splitlines() if "LM3 of the SMEs" in line)
    # no difference, so nothing drives it (kawasan has uncertain assumptions: a "driven by" column)
    assert line.split()[-5:] == ["n/a", "->", f"{float(row['variant_mean']):.2f}", "n/a", "-"]


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


def test_failures_are_summarised_by_cause(tmp_path, capsys):
    grid = ["--grid", "park.truck_fleet.trucks=0,-1,3", "--grid", "discovery.base_rate_per_year=1,2"]
    code = main(["sweep", str(DEMO), *grid, "--set", SHORT[0], "--engine", "serial", "--out", str(tmp_path),
                 "--no-figures"])
    out, err = capsys.readouterr()
    folder = next(tmp_path.glob("demo/*"))
    assert code == 1  # some runs failed: a script must see it, with or without --quiet
    assert err.startswith("sweep demo: 6 runs (6 configurations) on 1 worker, roughly ")
    assert err.splitlines()[-1] == f"eipsim: 4 of 6 runs failed; the errors are in {folder / 'failures.csv'}"
    assert "4 of 6 runs failed (2 distinct error(s); every failed run is in failures.csv):" in out
    assert "  2 run(s): --set:2:25: park.truck_fleet.trucks: must be >= 1, got 0\n" \
           "      e.g. run0000 (p000: park.truck_fleet.trucks=0, discovery.base_rate_per_year=1)" in out
    assert "got -1\n      e.g. run0002 (p002: park.truck_fleet.trucks=-1, discovery.base_rate_per_year=1)" in out
    assert manifest_of(folder)["runs_failed"] == 4


def test_a_sweep_whose_every_point_is_invalid_exits_2_before_any_work(tmp_path, capsys):
    code = main(["sweep", str(DEMO), "--grid", "park.truck_fleet.trucks=0,-1", "--set", SHORT[0],
                 "--engine", "serial", "--out", str(tmp_path), "--quiet"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("eipsim: every point of the experiment is invalid; the first (p000): --set:")
    assert "park.truck_fleet.trucks: must be >= 1, got 0" in err
    assert list(tmp_path.iterdir()) == []


def test_an_experiment_whose_every_run_failed_exits_1(tmp_path, capsys, monkeypatch):
    import simulator.model.park

    def broken(*args, **kwargs):
        raise RuntimeError("a run that fails")

    monkeypatch.setattr(simulator.model.park, "run_scenario", broken)
    code = main(["sweep", str(DEMO), "--grid", "park.truck_fleet.trucks=1,2", "--set", SHORT[0],
                 "--engine", "serial", "--out", str(tmp_path), "--quiet"])
    out, err = capsys.readouterr()
    folder = next(tmp_path.glob("demo/*"))
    assert (code, out) == (1, f"{folder}\n")
    assert err == f"eipsim: every run failed; the errors are in {folder / 'failures.csv'}\n"


def test_replicated_table_shows_mean_sd_ci_and_n(tmp_path, capsys):
    assert main(["run", str(DEMO), "--replications", "2", "--set", SHORT[0], "--engine", "serial",
                 "--out", str(tmp_path), "--no-figures"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[3].split() == ["indicator", "mean", "sd", "95", "%", "CI", "n"]
    summary = next(r for r in read_csv(next(tmp_path.glob("demo/*/summary.csv")))
                   if r["metric"] == "links_contracted")
    row = next(line for line in lines if "Links with a contract" in line)
    assert f"{float(summary['sd']):.3g} links" in row and row.split()[-1] in ("2", "*")


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
        found = list((tmp_path / "cut").glob("*/*/runs/*/manifest.json"))
        if len(found) >= 3:
            runs_dir = found[0].parent.parent
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert runs_dir is not None, "the sweep did not start"
    cut = runs_dir.parent
    assert 3 <= len(list(runs_dir.glob("*/manifest.json"))) < 12
    assert manifest_of(cut)["finished_utc"] is None
    assert main(["sweep", "--resume", str(cut), "--engine", "serial", "--no-figures"]) == 0
    assert not list(runs_dir.glob(".*"))  # the half-written run folder of the killed process is gone
    finished, resumed = manifest_of(whole), manifest_of(cut)
    assert finished["finished_utc"] >= finished["started_utc"] and finished["resumed_utc"] == []
    assert finished["duration_s"] > 0 and finished["runs_failed"] == 0
    assert resumed["finished_utc"] >= resumed["resumed_utc"][0] >= resumed["started_utc"]
    assert len(resumed["resumed_utc"]) == 1 and resumed["duration_s"] > 0
    for name in ("metrics.csv", "summary.csv", "failures.csv"):
        assert (cut / name).read_text() == (whole / name).read_text(), name
    assert without(read_csv(cut / "runs.csv"), "duration_s") == without(read_csv(whole / "runs.csv"), "duration_s")


@pytest.mark.parametrize("stop, code, said", [("ctrl-c", 130, "interrupted"), ("sigterm", 143, "stopped by SIGTERM")])
def test_stopped_experiment_names_its_folder_and_how_to_resume(tmp_path, capsys, monkeypatch, stop, code, said):
    done = []

    def stops_at_the_third_run(*args):
        if len(done) == 2:
            if stop == "ctrl-c":
                raise KeyboardInterrupt
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(10)  # the handler interrupts the sleep
        done.append(args)
        return execute(*args)

    execute = runner.execute
    monkeypatch.setattr(runner, "execute", stops_at_the_third_run)
    grid = ["--grid", "discovery.base_rate_per_year=1,2,3"]
    assert main(["sweep", str(DEMO), *grid, "--set", SHORT[0], "--engine", "serial", "--out", str(tmp_path),
                 "--no-figures"]) == code
    folder = next(tmp_path.glob("demo/*"))
    assert capsys.readouterr().err.splitlines()[-2:] == [
        f"eipsim: {said}; the finished runs are kept in {folder}",
        f"Run the others and write the tables with: eipsim sweep --resume {folder}"]
    assert len(list((folder / "runs").glob("*/manifest.json"))) == 2 and not list(tmp_path.rglob(".*"))
    monkeypatch.setattr(runner, "execute", execute)
    assert main(["sweep", "--resume", str(folder), "--engine", "serial", "--no-figures", "--quiet"]) == 0
    assert len(read_csv(folder / "metrics.csv")) == 3


def test_sigterm_stops_a_process_pool_experiment(tmp_path):
    args = ["sweep", str(DEMO), "--grid", "discovery.base_rate_per_year=0.5,1,2,4,8,16", "--replications", "2",
            "--set", "run.horizon_days=120", "--jobs", "2", "--no-figures", "--out", str(tmp_path)]
    proc = subprocess.Popen([sys.executable, "-m", "simulator", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(tmp_path.glob("*/*/runs/*/manifest.json"))) < 2:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    folder = next(tmp_path.glob("demo/*"))
    assert proc.returncode == 143, err
    assert f"eipsim sweep --resume {folder}" in err and "Traceback" not in err
    assert not list(tmp_path.rglob(".*")) and not (folder / "summary.csv").exists()
    assert main(["sweep", "--resume", str(folder), "--jobs", "2", "--no-figures", "--quiet"]) == 0
    assert len(read_csv(folder / "metrics.csv")) == 12


def test_sensitivity_prints_sobol_indices(tmp_path, capsys):
    pytest.importorskip("SALib")
    code = main(["sensitivity", str(DEMO), "--range", "discovery.base_rate_per_year=0.5:8", "--range",
                 "policy.landfill_tax_per_t=0:5e5", "--n", "4", "--outcome", "revenue", "--outcome", "jobs_sme",
                 "--set", SHORT[0], "--engine", "serial", "--out", str(tmp_path), "--no-figures"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    rows = read_csv(next(tmp_path.glob("demo/*/sensitivity.csv")))
    table = lines[lines.index(next(line for line in lines if line.split()[:2] == ["indicator", "parameter"])):]
    first = next(r for r in rows if r["metric"] == "revenue")
    assert table[1].split() == ["Revenue", "of", "park", "firms", first["parameter"],
                                f"{float(first['S1']):.2f}", "±", f"{float(first['S1_conf']):.2f}",
                                f"{float(first['ST']):.2f}", "±", f"{float(first['ST_conf']):.2f}"]
    assert table[2].split()[0] == "policy.landfill_tax_per_t"
    assert table[3].split() == ["Active", "jobs", "in", "SMEs", "(IKM)", "not", "computed:", "no", "variation"]
    assert not any(line.startswith("p000") for line in lines)  # no table per sample point


def test_sensitivity_writes_sobol_indices(tmp_path):
    pytest.importorskip("SALib")
    experiment = simulator.sensitivity(DEMO, ranges=["discovery.base_rate_per_year=0.5:8", "policy.landfill_tax_per_t=0:5e5"],
                                       n=8, outcomes=["byproducts_exchanged_t"], overrides=["run.horizon_days=60"],
                                       engine="process", jobs=2, out=tmp_path, progress=False, figures=False)
    rows = read_csv(experiment.folder / "sensitivity.csv")
    assert [r["parameter"] for r in rows] == ["discovery.base_rate_per_year", "policy.landfill_tax_per_t"]
    assert experiment.runs_total == 8 * (2 + 2)
    assert all(r["note"] in ("", "no variation") for r in rows)


def test_morris_screening_recovers_the_effects_of_a_known_function():
    """y = 3 a - 2 b + 0 c + 4 b d: elementary effects per whole range (Delta in units of the
    range): a over [0, 2] has effect 3 x 2 = 6 everywhere (mu = mu* = 6, sigma = 0); c none; b and
    d interact, so their effects vary from step to step (sigma > 0) and b's mean effect over
    [0, 1] is (-2 + 4 E[d]) x 1 = 0 with d uniform on [0, 1], its mu* larger."""
    pytest.importorskip("SALib")
    from simulator.experiment.sensitivity import design_points, design_runs, indices

    bounds = {"a": (0.0, 2.0), "b": (0.0, 1.0), "c": (5.0, 9.0), "d": (0.0, 1.0)}
    points = design_points("morris", bounds, 40, seed=3)
    assert len(points) == design_runs("morris", 40, 4) == 40 * 5
    X = np.array([[p[k] for k in bounds] for p in points])
    y = 3 * X[:, 0] - 2 * X[:, 1] + 4 * X[:, 1] * X[:, 3]
    found = indices("morris", bounds, X, y, seed=3)
    assert found["mu"][0] == pytest.approx(6.0) and found["mu_star"][0] == pytest.approx(6.0)
    assert found["sigma"][0] == pytest.approx(0.0, abs=1e-9)
    assert found["mu_star"][2] == pytest.approx(0.0, abs=1e-12)
    assert found["sigma"][1] > 0.5 and found["sigma"][3] > 0.5
    assert abs(found["mu"][1]) < 0.6 < found["mu_star"][1]
    assert list(np.argsort(-found["mu_star"]))[0] == 0 and list(np.argsort(-found["mu_star"]))[-1] == 2


def test_morris_screens_the_uncertain_parameters_of_a_scenario(tmp_path, capsys):
    """No --range: the design varies the scenario's uncertain parameters over their ranges; the
    employees of the paving-block maker move SME jobs, the coal price does not."""
    pytest.importorskip("SALib")
    path = tmp_path / "u.yaml"
    path.write_text(f"extends: {DEMO}\nname: u\nrun: {{horizon_days: 30}}\nuncertain:\n"
                    "  firms.paving_block_maker.employees: {distribution: uniform, low: 10, high: 60}\n"
                    "  materials.coal.price_per_unit: {distribution: lognormal, mean: 1.2e6, sd: 1.0e5}\n",
                    encoding="utf-8")
    code = main(["sensitivity", str(path), "--method", "morris", "--n", "3", "--outcome", "jobs_sme",
                 "--engine", "serial", "--out", str(tmp_path / "out"), "--no-figures"])
    out = capsys.readouterr().out
    assert code == 0 and "Morris elementary effects from 9 parameter points" in out
    folder = next((tmp_path / "out").glob("u/*"))
    rows = {r["parameter"]: r for r in read_csv(folder / "sensitivity.csv")}
    assert float(rows["firms.paving_block_maker.employees"]["mu_star"]) > 10
    assert float(rows["materials.coal.price_per_unit"]["mu_star"]) == pytest.approx(0.0, abs=1e-9)
    runs = read_csv(folder / "runs.csv")   # a design point fixes the value: it is not drawn again
    levels = np.linspace(10, 60, 4)          # the Morris grid over the uniform's range
    assert all(np.isclose(float(r["firms.paving_block_maker.employees"]), levels).any() for r in runs)
    prices = [float(r["materials.coal.price_per_unit"]) for r in runs]   # lognormal: its 1 % to 99 % quantiles
    assert 9.0e5 < min(prices) < 1.0e6 and 1.4e6 < max(prices) < 1.5e6
    drivers = read_csv(folder / "drivers.csv")
    assert {r["scope"] for r in drivers} == {"all runs"}
    top = next(r for r in drivers if r["metric"] == "jobs_sme" and r["rank"] == "1")
    assert top["parameter"] == "firms.paving_block_maker.employees" and float(top["p_adjusted"]) < 0.05


def test_a_sweep_writes_drivers_over_all_its_runs(tmp_path):
    experiment = simulator.sweep(DEMO, grid=["firms.paving_block_maker.employees=10,20,40,60,80"], replications=1,
                                 overrides=SHORT, engine="serial", out=tmp_path, progress=False, figures=False)
    rows = read_csv(experiment.folder / "drivers.csv")
    jobs = next(r for r in rows if r["metric"] == "jobs_sme")
    assert (jobs["scope"], jobs["parameter"], jobs["n"], jobs["rank"]) == ("all runs",
                                                                        "firms.paving_block_maker.employees", "5", "1")
    assert float(jobs["rho"]) == pytest.approx(1.0)


def test_bad_experiment_options_are_input_errors(tmp_path, capsys):
    assert main(["sweep", str(DEMO), "--out", str(tmp_path)]) == 2
    assert "needs --grid" in capsys.readouterr().err
    assert main(["run", str(DEMO), "--replications", "0", "--out", str(tmp_path)]) == 2
    assert main(["compare", str(DEMO), "--out", str(tmp_path)]) == 2
    assert main(["sweep", "--resume", str(tmp_path)]) == 2
    assert main(["sensitivity", str(DEMO), "--range", "discovery.base_rate_per_year=1:2", "--outcome", "lm4",
                 "--out", str(tmp_path)]) == 2
    assert "unknown --outcome lm4" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


# --------------------------------------------------------------------------- cost, engines, workers


def test_quiet_sweep_with_a_failed_point_exits_1(tmp_path, capsys):
    code = main(["sweep", str(DEMO), "--grid", "park.truck_fleet.trucks=0,3", "--set", SHORT[0],
                 "--engine", "serial", "--out", str(tmp_path), "--quiet"])
    out, err = capsys.readouterr()
    folder = next(tmp_path.glob("demo/*"))
    assert (code, out) == (1, f"{folder}\n")  # exited 0 before: the failed point went unseen
    assert err == f"eipsim: 1 of 2 runs failed; the errors are in {folder / 'failures.csv'}\n"


def test_runs_and_their_cost_are_said_before_starting():
    """README's `sensitivity --n 256` with two ranges: 1,024 runs, said with a rough duration."""
    from simulator.experiment.plan import Arm, Plan

    demo, _ = load_scenario(DEMO)
    arms = tuple(Arm(f"p{i:04d}", demo, {}, str(DEMO)) for i in range(256 * (2 + 2)))
    line = runner.cost_line(Plan("sensitivity", "demo", arms, 1, 0), "process", 2)
    # 1,024 x (0.2 s + 2.5e-4 s x 11 firms x 365 days) / 2 workers = 616 s
    assert line.startswith("sensitivity demo: 1,024 runs (1,024 configurations) on 2 workers, roughly 10 min")
    line = runner.cost_line(Plan("compare", "c", arms[:2], 30, 0), "serial", None)
    assert line.startswith("compare c: 60 runs (2 configurations x 30 replications) on 1 worker, roughly 72 s")


def test_a_dead_worker_is_an_engine_error_not_a_crash():
    from simulator.errors import SimulationError
    from simulator.experiment.executors import EngineLost, ProcessEngine

    engine = ProcessEngine(2)
    try:
        with pytest.raises(EngineLost, match="the engine stopped working") as excinfo:
            list(engine.imap(os._exit, [(3,)]))  # a worker killed (out of memory, SIGKILL)
    finally:
        engine.close()
    assert isinstance(excinfo.value, SimulationError)  # exit 1 with a message, not "bug in eipsim"


KILLED_PARENT = """
import os, sys, time
from simulator.experiment.executors import ProcessEngine
engine = ProcessEngine(2)
futures = [engine.pool.submit(time.sleep, 120) for _ in range(2)]
time.sleep(1.0)
print(" ".join(str(pid) for pid in engine.pool._processes), flush=True)
time.sleep(120)
"""


def test_workers_die_with_a_killed_experiment(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    parent = subprocess.Popen([sys.executable, "-c", KILLED_PARENT], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, text=True)
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(workers) == 2
    parent.kill()
    parent.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.2)
    alive = [pid for pid in workers if _alive(pid)]
    for pid in alive:  # do not leave them behind when the test fails
        os.kill(pid, signal.SIGKILL)
    assert alive == []  # they ran on for minutes before


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
