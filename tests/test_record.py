"""run.record: the stocks and truck rows kept per accounting period or year are exact
aggregates of the daily run, the indicators do not change, and a folder written so reads back."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import position
from helpers import SCENARIOS

from simulator import storage
from simulator.chartdata import run_chart_data
from simulator.cli import main
from simulator.errors import ScenarioError
from simulator.metrics import compute_metrics
from simulator.model.park import run_scenario
from simulator.result_reader import ResultReader, read_columns
from simulator.validation import load_scenario

HORIZON = 400  # a year and 35 days: a last partial period and a last partial year


def recorded(scenario, stocks: str, shipments: str):
    run = scenario.run.model_copy(update={"horizon_days": HORIZON, "record": scenario.run.record.model_copy(
        update={"stocks": stocks, "shipments": shipments})})
    return run_scenario(scenario.model_copy(update={"run": run}))


@pytest.fixture(scope="module")
def runs():
    scenario, _ = load_scenario(SCENARIOS / "demo.yaml")
    assert scenario.run.ledger_period_days == 30
    return {"daily": recorded(scenario, "daily", "each"), "period": recorded(scenario, "period", "period"),
            "yearly": recorded(scenario, "yearly", "daily")}


def test_stocks_per_period_are_the_daily_levels_at_period_ends_and_their_mean_and_max(runs):
    daily = runs["daily"]
    assert daily.slot_level_mean is None and daily.stock_days.tolist() == list(range(HORIZON))
    for name, ends in (("period", [*range(29, HORIZON, 30), HORIZON - 1]), ("yearly", [364, HORIZON - 1])):
        kept = runs[name]
        assert kept.stock_days.tolist() == ends
        np.testing.assert_array_equal(kept.slot_level, daily.slot_level[ends])
        for row, (first, last) in enumerate(zip([0, *(np.array(ends[:-1]) + 1)], ends)):
            period = daily.slot_level[first:last + 1]
            np.testing.assert_allclose(kept.slot_level_mean[row], period.mean(axis=0), rtol=1e-12, atol=1e-12)
            np.testing.assert_array_equal(kept.slot_level_max[row], period.max(axis=0))
        table = kept.stocks_table()
        stores = daily.slot_level.shape[1]
        assert len(table["day"]) == len(ends) * stores
        assert list(table) == ["from_day", "day", "firm", "material", "level", "level_mean", "level_max", "unit",
                               "capacity"]
        assert table["from_day"][-1] == ends[-2] + 1 and table["day"][-1] == HORIZON - 1
        # a table written a range of rows at a time gives the same rows
        parts = [kept.stocks_table(range(r, min(r + 5, len(ends)))) for r in range(0, len(ends), 5)]
        np.testing.assert_array_equal(np.concatenate([p["from_day"] for p in parts]), table["from_day"])


def test_truck_rows_per_period_sum_to_the_shipments_of_the_daily_run(runs):
    each = runs["daily"].flows_table()
    assert "trips" not in each
    for name, days in (("period", 30), ("yearly", 1)):
        flows = runs[name].flows_table()
        assert len(flows["time_days"]) < len(each["time_days"])
        for kind in ("truck", "purchase", "product", "disposal", "pipeline"):
            for material in set(each["material"][each["kind"] == kind]):
                a = (each["kind"] == kind) & (each["material"] == material)
                b = (flows["kind"] == kind) & (flows["material"] == material)
                assert flows["quantity"][b].sum() == pytest.approx(each["quantity"][a].sum(), rel=1e-12)
                assert flows["value"][b].sum() == pytest.approx(each["value"][a].sum(), rel=1e-12)
        truck = flows["kind"] == "truck"
        ship = runs["daily"].shipments
        assert flows["trips"][truck].sum() == len(ship) and not flows["trips"][~truck].any()
        assert np.all(flows["time_days"][truck] % days == 0)
        assert np.isnan(flows["wait_days_mean"][~truck]).all()
        waited = (flows["wait_days_mean"][truck] * flows["trips"][truck]).sum()
        assert waited == pytest.approx(ship["wait_days"].sum(), rel=1e-12, abs=1e-12)
        assert np.all(np.diff(flows["time_days"]) >= 0)


def test_truck_totals_read_in_many_blocks_are_the_totals_read_at_once(runs, monkeypatch):
    whole = runs["period"].truck_totals()
    monkeypatch.setattr(storage, "READ_BLOCK_BYTES", 37 * runs["period"].shipments.itemsize)
    assert len(runs["period"].shipments) > 10 * 37
    blocks = runs["period"].truck_totals()
    for name in ("from_day", "link", "trips"):
        np.testing.assert_array_equal(blocks[name], whole[name])
    for name in ("quantity", "value", "wait_days_mean"):
        np.testing.assert_allclose(blocks[name], whole[name], rtol=1e-12, atol=1e-12)


def test_indicators_and_charts_do_not_depend_on_what_is_recorded(runs):
    daily = compute_metrics(runs["daily"])
    assert compute_metrics(runs["period"]) == daily
    assert compute_metrics(runs["yearly"]) == daily
    charts = json.dumps(run_chart_data(runs["daily"], 1, None))
    assert json.dumps(run_chart_data(runs["period"], 1, None)) == charts


def test_an_unknown_resolution_names_the_place_and_the_choices(broken_scenario):
    path, text = broken_scenario(("  seed: 7", "  seed: 7\n  record: {stocks: monthly}"))
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(path)
    line, col = position(text, "stocks")
    assert excinfo.value.report().splitlines()[0] == (
        f"{path}:{line}:{col}: run.record.stocks: must be one of 'daily', 'period' or 'yearly', got 'monthly'")


def test_cli_run_with_yearly_stocks_and_period_trucks_reads_back_and_plots(tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["run", str(SCENARIOS / "demo.yaml"), "--out", str(out), "--quiet", "--no-figures",
                 "--set", "run.horizon_days=90", "--set", "run.record.stocks=yearly",
                 "--set", "run.record.shipments=period"]) == 0
    folder = next(out.glob("demo/*"))
    stocks = read_columns(folder / "stocks.csv")
    assert set(stocks["day"].tolist()) == {89} and set(stocks["from_day"].tolist()) == {0}
    assert np.all(stocks["level_max"] >= stocks["level_mean"] - 1e-9)
    flows = read_columns(folder / "flows.csv")
    truck = flows["kind"] == "truck"
    assert set(flows["time_days"][truck].tolist()) <= {0.0, 30.0, 60.0} and flows["trips"][truck].min() >= 1
    reader = ResultReader(folder)
    assert reader.is_run and reader.metrics()
    assert reader.table("stocks")[0]["level_mean"] is not None
    assert main(["plot", str(folder), "--only", "material_fate", "--dpi", "40"]) == 0
    assert (folder / "figures" / "material_fate.png").is_file()
    capsys.readouterr()
