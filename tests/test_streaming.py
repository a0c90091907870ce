"""A run streamed to disk chunk by chunk (issue 17) gives exactly the run kept in memory."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers import SCENARIOS

import simulator.model.recorder as recorder
from simulator.metrics import compute_metrics
from simulator.model.park import run_scenario
from simulator.model.recorder import DailyChunks, MemorySink
from simulator.single_run import run_and_save
from simulator.storage import SeriesFiles
from simulator.validation import load_scenario


def assert_same(a, b, path="result"):
    """Every field of two RunResults equal: arrays by dtype, shape and value (nan equal to nan)."""
    if dataclasses.is_dataclass(a):
        for field in dataclasses.fields(a):
            assert_same(getattr(a, field.name), getattr(b, field.name), f"{path}.{field.name}")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            assert_same(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, np.ndarray):
        assert (a.dtype, a.shape) == (b.dtype, b.shape), path
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), path
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), path
    else:
        assert a == b, path


@pytest.fixture(scope="module")
def demo():
    scenario, _ = load_scenario(SCENARIOS / "demo.yaml")
    return scenario, run_scenario(scenario)


def test_streamed_run_equals_the_run_in_memory_across_many_chunk_boundaries(demo, tmp_path, monkeypatch):
    scenario, in_memory = demo
    # 1,000-byte chunks: a few days each (the demo's widest series is its stores), and the
    # 365-day horizon is not a multiple of them; the viability rules' 90-day look back at
    # disposals then spans many chunks
    monkeypatch.setattr(recorder, "CHUNK_BYTES", 1000)
    widest = max(in_memory.output.shape[1], in_memory.slot_level.shape[1], len(in_memory.materials.ids))
    chunk_days = 1000 // (8 * widest)
    assert 1 < chunk_days < 90 and scenario.run.horizon_days % chunk_days
    assert scenario.viability is not None
    streamed = run_scenario(scenario, sink=SeriesFiles(tmp_path))
    assert isinstance(streamed.output, np.memmap) and isinstance(streamed.shipments, np.memmap)
    assert_same(in_memory, streamed)
    assert_same(compute_metrics(in_memory), compute_metrics(streamed))


def test_daily_chunks_hand_over_full_chunks_and_a_short_last_one():
    sink = MemorySink()
    chunks = DailyChunks({"x": 2}, horizon_days=10, chunk_days=4, sink=sink, keep=("x",))
    chunks.keep_days = 5
    for day in range(10):
        chunks["x"][day - chunks.start] += [day, 1.0]
        if day < 9:  # written before the day closes: lands on the next day, across a chunk boundary
            chunks["x"][day + 1 - chunks.start, 1] += 10.0
        if day == 6:
            assert chunks.window("x", 2, 7)[:, 0].tolist() == [2, 3, 4, 5, 6]
        chunks.close_day(day)
    assert [len(c) for c in sink._chunks["x"]] == [4, 4, 2]
    whole = sink.arrays()["x"]
    assert whole[:, 0].tolist() == list(range(10))
    assert whole[:, 1].tolist() == [1.0] + [11.0] * 9


def test_daily_chunks_say_when_a_window_is_no_longer_kept():
    chunks = DailyChunks({"x": 1}, horizon_days=20, chunk_days=3, sink=MemorySink(), keep=("x",))
    chunks.keep_days = 4
    for day in range(15):
        chunks.close_day(day)
    with pytest.raises(IndexError, match="no longer kept"):
        chunks.window("x", 0, 15)
    assert len(chunks.window("x", 11, 15)) == 4


def test_series_files_round_trip_typed_rows_and_refuse_a_changed_shape(tmp_path):
    sink = SeriesFiles(tmp_path)
    rows = np.zeros(3, dtype=recorder.SHIPMENT_DTYPE)
    rows["link"] = [1, 2, 3]
    sink.append("shipments", rows)
    sink.append("shipments", rows[:0])
    sink.append("shipments", rows[::-1])
    sink.append("series", np.ones((2, 4)))
    sink.append("empty", np.zeros((0, 5)))
    with pytest.raises(ValueError, match="series"):
        sink.append("series", np.ones((2, 3)))
    arrays = sink.arrays()
    assert arrays["shipments"]["link"].tolist() == [1, 2, 3, 3, 2, 1]
    assert arrays["series"].shape == (2, 4) and arrays["empty"].shape == (0, 5)
    assert np.load(tmp_path / "shipments.npy").dtype == recorder.SHIPMENT_DTYPE


def test_a_saved_run_streams_and_publishes_no_scratch_files(demo, tmp_path):
    scenario, in_memory = demo
    saved = run_and_save(scenario, out=tmp_path, figures=False)
    assert not list(saved.folder.rglob("*.npy")) and not (saved.folder / ".series").exists()
    assert saved.metrics == pytest.approx(compute_metrics(in_memory), nan_ok=True)
    np.testing.assert_array_equal(saved.result.slot_level, in_memory.slot_level)


def test_open_days_follow_each_firms_calendar(demo):
    scenario, result = demo
    from simulator.compose import compose

    instances = {i.id: i for i in compose(scenario).instances}
    days = np.arange(result.horizon_days)
    closed_somewhere = 0
    for f, firm in enumerate(result.firms.ids):
        calendar = instances[firm].spec.calendar
        expected = ~np.isin(days % 7, list(calendar.closed_weekdays))
        for stop in calendar.shutdowns:
            expected &= ~((days >= stop.start_day) & (days < stop.start_day + stop.days))
        np.testing.assert_array_equal(result.firms.open_days[:, f], expected)
        assert not result.output[~expected, f].any()
        closed_somewhere += int((~expected).any())
    assert closed_somewhere >= 2


def test_an_experiment_worker_streams_its_run_and_keeps_nothing_on_disk(demo, tmp_path, monkeypatch):
    import tempfile

    from simulator.compose import compose
    from simulator.experiment.plan import Task
    from simulator.experiment.worker import execute

    scenario, _ = demo
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where scratch_series makes its folder
    composed = compose(scenario)
    record = execute(Task("r1", "demo", 1, 11), composed, "streaming-test", keep_result=True)
    in_memory = run_scenario(composed, seed=11, replication=1)
    assert record["status"] == "ok", record.get("error")
    assert isinstance(record["result"].output, np.memmap)
    assert_same(record["result"], in_memory)
    assert_same(record["metrics"], compute_metrics(in_memory))
    assert list(tmp_path.iterdir()) == []
