"""Result tables as CSV or Parquet: written chunk by chunk, read alike, chosen by --format."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from helpers import SCENARIOS

from simulator import storage
from simulator.cli import main
from simulator.errors import EipsimError
from simulator.result_reader import read_chunks, read_columns, read_table, table_path
from simulator.storage import TableWriter, write_table

SHORT = ["--set", "run.horizon_days=120", "--quiet", "--no-figures"]
RUN_TABLES = ("flows", "stocks", "ledger", "links", "events", "io_multipliers")


def the_run_folder(out):
    folders = [p for p in out.glob("*/*") if p.is_dir()]
    assert len(folders) == 1, folders
    return folders[0]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The demo run once with CSV tables and once with Parquet tables (same seed)."""
    folders = {}
    for table_format in ("csv", "parquet"):
        out = tmp_path_factory.mktemp(table_format)
        assert main(["run", str(SCENARIOS / "demo.yaml"), "--out", str(out), "--format", table_format, *SHORT]) == 0
        folders[table_format] = the_run_folder(out)
    return folders


def without_pyarrow(monkeypatch):
    for name in ("pyarrow", "pyarrow.parquet"):
        monkeypatch.setitem(sys.modules, name, None)


def assert_same_columns(csv_columns: dict, parquet_columns: dict, exact: bool = False):
    assert list(csv_columns) == list(parquet_columns)
    for name, left in csv_columns.items():
        right = parquet_columns[name]
        assert left.dtype == right.dtype, name
        if left.dtype.kind == "f":
            assert np.array_equal(np.isnan(left), np.isnan(right)), name
            if exact:
                assert np.array_equal(left, right, equal_nan=True), name
            else:  # CSV carries 12 significant digits
                np.testing.assert_allclose(left, right, rtol=1e-11, atol=0, equal_nan=True, err_msg=name)
        else:
            assert left.tolist() == right.tolist(), name


def test_a_run_writes_its_tables_in_the_format_asked_for(runs):
    for table_format, folder in runs.items():
        other = "parquet" if table_format == "csv" else "csv"
        for name in RUN_TABLES:
            assert (folder / f"{name}.{table_format}").is_file() and not (folder / f"{name}.{other}").exists()
        assert (folder / "io_table.csv").is_file()  # pymrio's layout, always CSV
        assert not list(folder.rglob(".*"))          # no temporary file left


def test_csv_and_parquet_tables_of_a_run_read_back_as_the_same_arrays(runs):
    for name in RUN_TABLES:
        csv_columns = read_columns(runs["csv"] / f"{name}.csv")
        parquet_columns = read_columns(runs["parquet"] / f"{name}.csv")  # the ending does not matter
        assert len(next(iter(csv_columns.values()))) > 0, name
        assert_same_columns(csv_columns, parquet_columns)
    flows = read_columns(runs["parquet"] / "flows")
    assert flows["time_days"].dtype == np.float64 and flows["source"].dtype == object
    assert read_table(runs["csv"] / "links.csv")[0].keys() == read_table(runs["parquet"] / "links.csv")[0].keys()


def test_parquet_keeps_types_nan_and_every_digit_and_csv_the_types(tmp_path):
    table = {"day": np.arange(6, dtype=np.int64),
             "firm": np.array(["a", "", "Pabrik Tahu Sumedang", "é ü", "x,y", "\"q\""], dtype=object),
             "level": np.array([1 / 3, np.nan, np.inf, -np.inf, 20.0, 1e-300]),
             "active": np.array([True, False, True, True, False, True]),
             "mode": np.where(np.arange(6) > 2, "pipeline", "truck")}
    chunks = [{k: v[:2] for k, v in table.items()}, {k: v[2:] for k, v in table.items()}]
    for table_format in ("csv", "parquet"):
        write_table(tmp_path, table_format, chunks, table_format)
    parquet = read_columns(tmp_path / "parquet.parquet")
    assert_same_columns({**table, "mode": table["mode"].astype(object)}, parquet, exact=True)
    assert_same_columns(read_columns(tmp_path / "csv.csv"), parquet)
    assert [len(c["day"]) for c in read_chunks(tmp_path / "parquet.parquet")] == [2, 4]  # one row group a chunk
    assert [len(c["day"]) for c in read_chunks(tmp_path / "csv.csv", chunk_rows=4)] == [4, 2]
    rows, exact_rows = read_table(tmp_path / "csv.csv"), read_table(tmp_path / "parquet.parquet")
    assert rows[1:] == exact_rows[1:] and exact_rows[0]["level"] == 1 / 3
    assert rows[0] == {**exact_rows[0], "level": pytest.approx(1 / 3, rel=1e-11)}
    assert rows[1] == {"day": 1, "firm": "", "level": None, "active": False, "mode": "truck"}
    assert isinstance(rows[4]["level"], float)  # 20.0 is written 20.0 in CSV: its column stays float


def test_plot_report_and_export_read_a_parquet_folder(runs, tmp_path, capsys):
    folder = runs["parquet"]
    assert main(["plot", str(folder), "--only", "network,material_fate"]) == 0
    assert (folder / "figures" / "network.png").is_file()
    assert main(["report", str(folder)]) == 0
    assert "Indicators" in (folder / "report.html").read_text(encoding="utf-8")
    workbook, layer = tmp_path / "run.xlsx", tmp_path / "run.geojson"
    assert main(["export", str(folder), "--xlsx", str(workbook), "--geojson", str(layer)]) == 0
    from openpyxl import load_workbook

    sheets = load_workbook(workbook).sheetnames
    assert {"Flows by link", "Flows by material", "Ledger", "Multipliers"} <= set(sheets)
    capsys.readouterr()


def test_the_python_api_reads_a_parquet_table(runs):
    import simulator

    links = simulator.read_table(runs["parquet"] / "links.parquet")
    assert len(links) == len(read_table(runs["csv"] / "links.csv")) > 0


def test_parquet_without_pyarrow_is_a_clear_error_and_writes_nothing(runs, tmp_path, monkeypatch, capsys):
    without_pyarrow(monkeypatch)
    out = tmp_path / "out"
    assert main(["run", str(SCENARIOS / "demo.yaml"), "--out", str(out), "--format", "parquet", *SHORT]) == 2
    err = capsys.readouterr().err
    assert "pip install 'eipsim[parquet]'" in err and "Traceback" not in err
    assert not out.exists() or not any(out.rglob("*"))
    # a folder written with Parquet: reading it says what to install
    assert main(["export", str(runs["parquet"]), "--xlsx", str(tmp_path / "x.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "Parquet table" in err and "eipsim[parquet]" in err and "Traceback" not in err
    assert not (tmp_path / "x.xlsx").exists()
    # auto falls back to CSV, however large the table
    assert write_table(tmp_path, "big", {"a": np.arange(3)}, "auto", rows=10**9).suffix == ".csv"


def test_auto_writes_parquet_above_the_threshold_also_when_streamed(tmp_path, monkeypatch):
    monkeypatch.setattr(storage, "AUTO_PARQUET_ROWS", 10)
    assert write_table(tmp_path, "ten", {"a": np.arange(10)}).suffix == ".csv"
    assert write_table(tmp_path, "eleven", {"a": np.arange(11)}).suffix == ".parquet"
    for rows, ending in ((8, ".csv"), (12, ".parquet")):
        with TableWriter(tmp_path, f"streamed{rows}", "auto") as writer:  # rows not known in advance
            for start in range(0, rows, 4):
                writer.write({"a": np.arange(start, start + 4), "b": ["x"] * 4})
        assert writer.format == ending[1:]
        assert read_columns(tmp_path / f"streamed{rows}")["a"].tolist() == list(range(rows))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eleven.parquet", "streamed12.parquet", "streamed8.csv",
                                                          "ten.csv"]


def test_a_run_says_which_tables_auto_wrote_as_parquet(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(storage, "AUTO_PARQUET_ROWS", 1000)
    assert main(["run", str(SCENARIOS / "demo.yaml"), "--out", str(tmp_path), "--no-figures",
                 "--set", "run.horizon_days=120"]) == 0
    folder = the_run_folder(tmp_path)
    assert (folder / "stocks.parquet").is_file() and (folder / "links.csv").is_file()  # 2,520 and 30 rows
    out = capsys.readouterr().out
    assert "are Parquet files" in out and "stocks.parquet" in out and "links" not in out.split("Parquet files")[1]


def test_a_table_in_both_formats_is_an_error_naming_both(runs, tmp_path):
    for ending in ("csv", "parquet"):
        (tmp_path / f"flows.{ending}").write_bytes((runs[ending] / f"flows.{ending}").read_bytes())
    with pytest.raises(EipsimError, match=r"flows twice, as flows\.csv and flows\.parquet"):
        read_table(tmp_path / "flows.csv")
    assert table_path(tmp_path / "absent.csv") is None and read_columns(tmp_path / "absent.parquet") == {}


def test_a_failed_or_malformed_table_leaves_nothing(tmp_path):
    for table_format in ("csv", "parquet"):
        with pytest.raises(RuntimeError), TableWriter(tmp_path, "t", table_format) as writer:
            writer.write({"a": np.arange(3)})
            raise RuntimeError
        with pytest.raises(ValueError, match="columns"), TableWriter(tmp_path, "t", table_format) as writer:
            writer.write({"a": np.arange(3)})
            writer.write({"b": np.arange(3)})
    assert not list(tmp_path.iterdir())
    with pytest.raises(EipsimError, match="unknown table format"):
        TableWriter(tmp_path, "t", "xlsx")


def test_an_experiment_writes_its_kept_runs_tables_in_the_format_asked_for(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(SCENARIOS / "demo.yaml"), "--replications", "2", "--engine", "serial",
                 "--out", str(out), "--format", "parquet", *SHORT]) == 0
    kept = [p for p in (the_run_folder(out) / "runs").iterdir() if (p / "chart_data.json").is_file()]
    assert kept and all((p / "flows.parquet").is_file() and not (p / "flows.csv").exists() for p in kept)
    assert (the_run_folder(out) / "summary.csv").is_file()  # the experiment's own tables: one row per arm, CSV
    capsys.readouterr()


def test_long_tables_are_written_in_chunks_that_join_into_the_whole_table(tmp_path, monkeypatch):
    from simulator import single_run
    from simulator.model.park import run_scenario
    from simulator.storage import ResultFolder
    from simulator.validation import load_scenario

    scenario, _ = load_scenario(SCENARIOS / "demo.yaml", overrides=["run.horizon_days=20"])
    result = run_scenario(scenario)
    days, stores = result.slot_level.shape
    monkeypatch.setattr(single_run, "TABLE_CHUNK_ROWS", 3 * stores)  # three days of stocks a chunk
    with ResultFolder(tmp_path / "run") as folder:
        single_run.write_run_tables(folder, result, result.currency, figures=False, table_format="parquet")
        path = folder.commit()
    assert [len(c["day"]) for c in read_chunks(path / "stocks.parquet")] == [3 * stores] * 6 + [2 * stores]
    for name in ("flows", "stocks", "ledger"):
        whole = {k: np.asarray(v) for k, v in getattr(result, f"{name}_table")().items()}
        chunks = [len(next(iter(c.values()))) for c in read_chunks(path / f"{name}.parquet")]
        assert len(chunks) > 1 and max(chunks) <= 3 * stores and sum(chunks) == len(next(iter(whole.values())))
        assert_same_columns(read_columns(path / f"{name}.parquet"), whole, exact=True)
