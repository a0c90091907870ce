"""A streamed run's records are read in bounded blocks (issue 17): the same numbers as reading
them whole, the pages of their memory maps given back, and a warning when a long table is CSV."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from helpers import SCENARIOS

from simulator import storage
from simulator.chartdata import run_chart_data
from simulator.cli import main
from simulator.metrics import compute_metrics
from simulator.model.park import run_scenario
from simulator.scenario_warnings import run_warnings
from simulator.storage import SeriesFiles, release_pages, row_blocks, select_rows
from simulator.validation import load_scenario


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The demo kept in memory and streamed to files (memory-mapped records)."""
    scenario, _ = load_scenario(SCENARIOS / "demo.yaml")
    streamed = run_scenario(scenario, sink=SeriesFiles(tmp_path_factory.mktemp("series")))
    assert isinstance(streamed.shipments, np.memmap) and isinstance(streamed.ledger.amount, np.memmap)
    return run_scenario(scenario), streamed


def test_metrics_and_chart_data_read_in_small_blocks_equal_those_read_whole(runs, monkeypatch):
    in_memory, streamed = runs
    whole_metrics, whole_charts = compute_metrics(in_memory), run_chart_data(in_memory)
    # blocks of a few rows: every record of the demo is read in many blocks (SME series 64 days
    # at a time); the indicators gather the same rows in the same order, so they are bit-identical
    monkeypatch.setattr(storage, "READ_BLOCK_BYTES", 700)
    assert len(list(row_blocks(streamed.shipments))) > 10
    metrics = compute_metrics(streamed)
    assert metrics.keys() == whole_metrics.keys()
    for name, value in whole_metrics.items():
        assert value == metrics[name] or (np.isnan(value) and np.isnan(metrics[name])), name
    charts = run_chart_data(streamed)
    jobs = ("jobs_on_plots", "jobs_active")  # sums of products per day: BLAS may group a block's rows otherwise
    assert {k: v for k, v in charts["firms"].items() if k not in jobs} == \
           {k: v for k, v in whole_charts["firms"].items() if k not in jobs}
    for key in jobs:
        assert charts["firms"][key] == pytest.approx(whole_charts["firms"][key], rel=1e-12, abs=1e-9)
    assert {k: v for k, v in charts.items() if k != "firms"} == {k: v for k, v in whole_charts.items() if k != "firms"}
    assert run_warnings(streamed) == run_warnings(in_memory)


def test_select_rows_gathers_the_rows_a_mask_keeps_across_blocks(tmp_path):
    sink = SeriesFiles(tmp_path)
    rows = np.zeros(1000, dtype=[("day", "f8"), ("link", "i4")])
    rows["day"], rows["link"] = np.arange(1000) / 7, np.arange(1000) % 13
    for part in np.array_split(rows, 3):
        sink.append("rows", part)
    mapped = sink.arrays()["rows"]
    day, link = select_rows(lambda d, *_: d >= 50, mapped["day"], mapped["link"])
    assert isinstance(day, np.ndarray) and not isinstance(day, np.memmap)
    assert day.tolist() == rows["day"][rows["day"] >= 50].tolist()
    assert link.dtype == np.int32 and link.tolist() == rows["link"][rows["day"] >= 50].tolist()
    empty, = select_rows(lambda d: d > 1e9, mapped["day"])
    assert empty.dtype == np.float64 and len(empty) == 0
    blocks = list(row_blocks(mapped, size=1600))  # rows of 12 bytes: 133 rows a block
    assert [len(b) for b, in blocks] == [133] * 7 + [69]


def resident_file_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("RssFile:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no RssFile")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_reading_a_mapped_record_in_blocks_leaves_its_pages_unmapped(tmp_path):
    sink = SeriesFiles(tmp_path)
    for _ in range(8):
        sink.append("big", np.ones((1024, 1024)))  # 8 MiB a chunk, 64 MiB in all
    big = sink.arrays()["big"]
    before = resident_file_mb()
    total = sum(float(block.sum()) for block, in row_blocks(big, size=1 << 20))
    assert total == 8 * 1024 * 1024
    assert resident_file_mb() - before < 8  # one block at most
    big.sum()  # read whole through the map: every page resident
    assert resident_file_mb() - before > 48
    release_pages(big)
    assert resident_file_mb() - before < 8
    assert float(big.sum()) == total  # still readable: the pages come back from the file


def test_a_long_table_written_as_csv_for_want_of_pyarrow_is_named_in_a_warning(tmp_path, monkeypatch, capsys):
    for name in ("pyarrow", "pyarrow.parquet"):
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setattr(storage, "AUTO_PARQUET_ROWS", 1000)  # stocks of 60 days: 21 stores x 60 rows
    out = tmp_path / "out"
    assert main(["run", str(SCENARIOS / "demo.yaml"), "--out", str(out), "--no-figures",
                 "--set", "run.horizon_days=60"]) == 0
    text = capsys.readouterr().out
    stocks = [line for line in text.splitlines() if "table stocks" in line]
    assert len(stocks) == 1, text
    rows = len(next(out.glob("*/*/stocks.csv")).read_text().splitlines()) - 1
    assert rows > 1000 and f"table stocks has {rows:,} rows" in stocks[0]
    assert "pip install 'eipsim[parquet]'" in stocks[0] and "stocks.csv" in stocks[0]
    assert "table links" not in text  # short tables: no warning
    # asked for CSV: no warning
    assert main(["run", str(SCENARIOS / "demo.yaml"), "--out", str(out), "--no-figures", "--format", "csv",
                 "--set", "run.horizon_days=60"]) == 0
    assert "pip install" not in capsys.readouterr().out
