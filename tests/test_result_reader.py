"""The one reader of result folders, the one atomic-write helper and the bounded map of engines."""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from simulator.errors import EipsimError
from simulator.experiment.executors import bounded_map
from simulator.result_reader import ResultReader, read_json, read_table
from simulator.storage import atomic_file, csv_text, json_text, write_atomic


def test_tables_read_back_typed_as_the_writer_wrote_them(tmp_path):
    write_atomic(tmp_path / "t.csv", csv_text({
        "arm": ["a", "b"], "n": [10, 1], "mean": [0.25, math.nan], "imprecise": [True, False],
        "note": ["", ""], "error": ["", "ValueError: x"], "sme.land_share": [0, 0.1]}))
    rows = read_table(tmp_path / "t.csv")
    assert rows[0] == {"arm": "a", "n": 10, "mean": 0.25, "imprecise": True, "note": None, "error": "",
                       "sme.land_share": 0}
    assert rows[1]["mean"] is None and rows[1]["imprecise"] is False and rows[1]["error"] == "ValueError: x"
    assert rows[1]["sme.land_share"] == 0.1 and isinstance(rows[1]["n"], int)
    assert read_table(tmp_path / "absent.csv") == []


def test_a_damaged_file_is_an_error_naming_it(tmp_path):
    (tmp_path / "plan.json").write_text('{"kind": "compare", "arms": [', encoding="utf-8")
    with pytest.raises(EipsimError, match=r"plan\.json:1:\d+: damaged file"):
        ResultReader(tmp_path)
    (tmp_path / "t.csv").write_text("arm,n,mean\na,1,0.5\nb,2", encoding="utf-8")
    with pytest.raises(EipsimError, match=r"t\.csv:3: damaged table"):
        read_table(tmp_path / "t.csv")
    with pytest.raises(EipsimError, match="metrics.json: file missing"):
        read_json(tmp_path / "metrics.json")
    with pytest.raises(EipsimError, match="not an eipsim result folder"):
        ResultReader(tmp_path / "nothing")


def test_reader_knows_a_run_from_an_experiment(tmp_path):
    run = tmp_path / "run"
    write_atomic(run / "chart_data.json", json_text({"meta": {"scenario": "demo"}}))
    assert ResultReader(run).kind == "run" and ResultReader(run).name() == "demo"
    experiment = tmp_path / "experiment"
    write_atomic(experiment / "plan.json", json_text({"kind": "compare", "name": "x",
                                                      "arms": [{"label": "a"}, {"label": "b"}]}))
    for run_id, arm, kept in (("run0", "a", False), ("run1", "a", False), ("run2", "b", True), ("run3", "b", False)):
        write_atomic(experiment / "runs" / run_id / "manifest.json", json_text({"run_id": run_id, "arm": arm}))
        write_atomic(experiment / "runs" / run_id / "metrics.json", json_text({}))
        if kept:
            write_atomic(experiment / "runs" / run_id / "chart_data.json", json_text({"discovery": []}))
    reader = ResultReader(experiment)
    assert reader.kind == "compare" and reader.arms_with_charts() == ["b"]
    assert reader.arm_run("b") == reader.tables_folder() == experiment / "runs" / "run2"
    # every replication is a run folder of the single-run layout: a reader reads it as a run
    light = ResultReader(experiment / "runs" / "run1")
    assert light.is_run and not light.has_tables() and light.metrics() == {}
    with pytest.raises(EipsimError, match="indicators of one replication"):
        light.chart_data()


def test_atomic_file_publishes_on_success_and_leaves_nothing_on_failure(tmp_path):
    with atomic_file(tmp_path / "a.txt") as temporary:
        temporary.write_text("done")
    assert (tmp_path / "a.txt").read_text() == "done"
    with pytest.raises(RuntimeError), atomic_file(tmp_path / "a.txt") as temporary:
        temporary.write_text("half")
        raise RuntimeError
    assert (tmp_path / "a.txt").read_text() == "done" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_bounded_map_keeps_at_most_its_bound_in_flight():
    lock, state = threading.Lock(), {"now": 0, "most": 0}

    def work(x):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        with lock:
            state["now"] -= 1
        return x * x

    submitted = []

    def calls():
        for x in range(50):
            submitted.append(x)
            yield (x,)

    with ThreadPoolExecutor(4) as pool:
        results = []
        for value in bounded_map(pool, work, calls(), in_flight=3):
            results.append(value)
            assert len(submitted) - len(results) <= 3   # calls are read lazily
    assert sorted(results) == [x * x for x in range(50)] and state["most"] <= 3


def test_report_of_a_folder_with_a_damaged_file_names_the_file(tmp_path, capsys):
    from simulator.cli import main

    write_atomic(tmp_path / "chart_data.json", json_text({"meta": {"scenario": "demo"}}))
    (tmp_path / "metrics.json").write_text('{"landfill_diversion_rate": {"value": 0.3', encoding="utf-8")
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "metrics.json:1:" in err and "damaged file" in err and "Traceback" not in err
