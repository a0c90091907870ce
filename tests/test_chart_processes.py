"""A run's charts drawn by two processes (simulator/plotting/saving.py): the same files as drawn in
one process, a failing chart named in a clean error, and no process left behind."""

from __future__ import annotations

import os
import re
import signal
import threading
import time

import pytest
from helpers import SCENARIOS

from simulator.chartdata import run_chart_data
from simulator.cli import main
from simulator.model.park import run_scenario
from simulator.plotting import sankey, saving
from simulator.plotting.charts import RUN_CHARTS
from simulator.plotting.saving import ChartError, ChartProcesses, draw_run_charts
from simulator.storage import ResultFolder
from simulator.validation import load_scenario

pytestmark = pytest.mark.skipif(not saving.can_fork(), reason="charts are drawn in one process here")


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    """Earlier tests in this process may leave idle threads behind (a process pool's manager,
    tqdm's monitor), which would make ChartProcesses draw here; the processes these tests fork
    touch none of them."""
    monkeypatch.setattr(saving.threading, "active_count", lambda: 1)


@pytest.fixture(scope="module")
def data():
    scenario, _ = load_scenario(SCENARIOS / "demo.yaml", overrides=["run.horizon_days=60"])
    return run_chart_data(run_scenario(scenario))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is not alive
        return stat.read().split(")")[-1].split()[0] != "Z"


def files(folder) -> dict[str, bytes]:
    """The figure files by name: PNGs as written; SVGs with their element ids numbered in order of
    appearance and numbers to 3 decimals. (matplotlib derives a clip path's id from its rectangle
    at full precision, and a layout solved in another process may differ in the last bits.)"""
    found = {}
    for path in sorted((folder / "figures").iterdir()):
        found[path.name] = path.read_bytes()
        if path.suffix == ".svg":
            ids: dict[str, str] = {}
            text = re.sub(rb"\b([A-Za-z]+)([0-9a-f]{10})\b",
                          lambda m: m[1] + ids.setdefault(m[0], str(len(ids))).encode(), found[path.name])
            found[path.name] = re.sub(rb"\d+\.\d+", lambda m: b"%.3f" % float(m[0]), text)
    return found


def test_two_processes_write_the_same_files_as_one(tmp_path, data):
    serial = draw_run_charts(tmp_path / "serial", data, dpi=40)
    with ChartProcesses() as charts:
        assert charts.parallel
        pid = charts._process.pid
        parallel = charts.draw(tmp_path / "parallel", data, dpi=40)
    assert not alive(pid)  # the helper and its copy are gone
    assert [p.name for p in parallel] == [p.name for p in serial] == [f"{n}.{e}" for n in RUN_CHARTS
                                                                       for e in ("png", "svg")]
    assert files(tmp_path / "parallel") == files(tmp_path / "serial")
    assert not [p for p in (tmp_path / "parallel" / "figures").iterdir() if p.name.startswith(".")]


def test_every_run_chart_is_drawn_once():
    assert sorted(saving.COSTLIEST_FIRST) == sorted(RUN_CHARTS)


def boom(*args, **kwargs):
    raise ValueError("no room for the flows")


@pytest.mark.parametrize("parallel", [True, False], ids=["two processes", "one process"])
def test_a_failing_chart_is_named(tmp_path, data, monkeypatch, parallel):
    monkeypatch.setattr(sankey, "plot_sankey", boom)  # before the fork: the helper inherits it
    if not parallel:
        monkeypatch.setattr(saving, "can_fork", lambda: False)
    with ChartProcesses() as charts, pytest.raises(ChartError) as caught:
        assert charts.parallel == parallel
        charts.draw(tmp_path, data, dpi=40)
    assert str(caught.value) == "chart 'sankey' could not be drawn: ValueError: no room for the flows"
    cause = caught.value.__cause__  # the process that drew it: its traceback; this one: the error
    assert "in boom" in str(cause) if parallel else isinstance(cause, ValueError)


def test_a_failing_chart_ends_the_command_cleanly(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sankey, "plot_sankey", boom)
    code = main(["run", str(SCENARIOS / "demo.yaml"), "--set", "run.horizon_days=30", "--out", str(tmp_path),
                 "--quiet"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "chart 'sankey' could not be drawn: ValueError: no room for the flows" in err
    assert "Traceback" not in err
    assert [p for p in tmp_path.rglob("*") if p.is_file() or p.name.startswith(".")] == []


def test_an_interrupt_stops_the_helper():
    with pytest.raises(KeyboardInterrupt), ChartProcesses() as charts:
        pid = charts._process.pid
        raise KeyboardInterrupt  # before the charts: the helper waits for them
    assert not alive(pid)


def test_ctrl_c_while_the_charts_are_drawn_leaves_nothing(tmp_path, data, monkeypatch):
    drawn = sankey.plot_sankey
    monkeypatch.setattr(sankey, "plot_sankey", lambda *a, **k: time.sleep(3) or drawn(*a, **k))
    with pytest.raises(KeyboardInterrupt):
        with ChartProcesses() as charts, ResultFolder(tmp_path / "run") as folder:
            pid = charts._process.pid
            threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()
            charts.draw(folder.tmp, data, dpi=40)
    time.sleep(0.5)  # a drawing process left behind would write now
    assert list(tmp_path.iterdir()) == []
    assert not alive(pid)


def test_a_helper_that_died_is_reported(tmp_path, data):
    with ChartProcesses() as charts:
        os.kill(charts._process.pid, signal.SIGKILL)
        with pytest.raises(ChartError, match="ended unexpectedly"):
            charts.draw(tmp_path, data, dpi=40)


def test_threads_running_means_one_process(monkeypatch):
    monkeypatch.setattr(saving.threading, "active_count", lambda: 2)
    with ChartProcesses() as charts:
        assert not charts.parallel
