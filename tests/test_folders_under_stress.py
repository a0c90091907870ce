"""Result and experiment folders under concurrency and damage (issue 14): publishing to a taken
name, two resumes of one folder, damaged files, leftovers of killed writers."""

from __future__ import annotations

import json
import multiprocessing
import os
import time

import pytest
from helpers import SCENARIOS

import simulator
from simulator.cli import main
from simulator.errors import EipsimError
from simulator.result_reader import ResultReader
from simulator.storage import STALE_AFTER_S, ExperimentStore, ResultFolder, remove_stale_temporaries

DEMO = SCENARIOS / "demo.yaml"
SHORT = ["--set", "run.horizon_days=30"]


def _publish(args) -> str:
    """Write a small folder and publish it to the one name ``target`` as soon as ``barrier`` opens."""
    target, barrier, k = args
    with ResultFolder(target) as folder:
        folder.write_text("who.txt", str(k))
        barrier.wait()
        return str(folder.commit())


def test_concurrent_publishes_to_one_name_all_land_under_distinct_names(tmp_path):
    """Before, a name checked free was then renamed onto: 46 of 200 synchronised commits failed
    with Errno 39 (ENOTEMPTY) and lost their run."""
    workers = 8
    with multiprocessing.Manager() as manager, multiprocessing.Pool(workers) as pool:
        barrier = manager.Barrier(workers)
        published = pool.map(_publish, [(tmp_path / "same", barrier, k) for k in range(workers)])
    assert len(set(published)) == workers
    assert sorted((tmp_path / p / "who.txt").read_text() for p in os.listdir(tmp_path)) == \
        sorted(str(k) for k in range(workers))
    assert not list(tmp_path.glob(".*"))


def test_a_taken_name_is_retried_even_when_it_was_free_when_looked_at(tmp_path, monkeypatch):
    """The race itself, made certain: the name is taken between the look and the rename."""
    from simulator import storage

    folder = ResultFolder(tmp_path / "same")
    folder.write_text("mine.txt", "x")
    real_rename = os.rename

    def taken_first(source, target):
        if target == tmp_path / "same" and not (tmp_path / "same").exists():
            (tmp_path / "same").mkdir()
            (tmp_path / "same" / "other.txt").write_text("other")
        return real_rename(source, target)

    monkeypatch.setattr(storage.os, "rename", taken_first)
    assert folder.commit() == tmp_path / "same-2"
    assert (tmp_path / "same-2" / "mine.txt").is_file() and (tmp_path / "same" / "other.txt").is_file()


def test_stale_leftovers_are_removed_by_age_and_lock(tmp_path):
    old = time.time() - 2 * STALE_AFTER_S
    stale = tmp_path / ".demo.abc123.tmp"
    (stale / "figures").mkdir(parents=True)
    stale_file = tmp_path / ".metrics.csv.xyz.tmp"
    stale_file.write_text("half")
    fresh = tmp_path / ".demo.fresh.tmp"
    fresh.mkdir()
    writing = ResultFolder(tmp_path / "demo")  # a writer at work: locked, however old it looks
    for path in (stale, stale_file, writing.tmp):
        os.utime(path, (old, old))
    removed = remove_stale_temporaries(tmp_path)
    assert set(removed) == {stale, stale_file}
    assert fresh.is_dir() and writing.tmp.is_dir()
    writing.write_text("a.txt", "a")
    assert writing.commit() == tmp_path / "demo"
    # a new result folder cleans up beside itself
    (tmp_path / ".other.killed.tmp").mkdir()
    os.utime(tmp_path / ".other.killed.tmp", (old, old))
    with ResultFolder(tmp_path / "next") as folder:
        folder.commit()
    assert not (tmp_path / ".other.killed.tmp").exists()


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    out = tmp_path_factory.mktemp("exp")
    assert main(["run", str(DEMO), "--replications", "3", *SHORT, "--engine", "serial", "--no-figures", "--quiet",
                 "--out", str(out)]) == 0
    return next(out.glob("demo/*"))


def test_each_replication_is_a_run_folder_of_the_single_run_layout(experiment):
    reader = ResultReader(experiment)
    runs = reader.run_folders()
    assert [p.name for p in runs] == ["run0000", "run0001", "run0002"]
    first = ResultReader(runs[0])
    assert first.is_run and first.has_tables() and first.name() == "demo"
    assert {"scenario.resolved.yaml", "scenario.composed.yaml", "flows.csv", "ledger.csv", "chart_data.json",
            "manifest.json", "metrics.json"} <= {p.name for p in runs[0].iterdir()}
    metrics = {row["run_id"]: row for row in reader.table("metrics.csv")}
    for folder in runs:
        run = ResultReader(folder)
        manifest = run.manifest()
        assert manifest["run_id"] == folder.name and manifest["status"] == "ok"
        assert manifest["replication"] == int(folder.name[-1]) and manifest["root_seed"] == 20241006
        assert run.metrics()["landfill_diversion_rate"]["value"] == pytest.approx(
            metrics[folder.name]["landfill_diversion_rate"], rel=1e-11)
    assert not (experiment / "arms").exists()


def _resume(folder) -> str:
    try:
        simulator.resume(folder, engine="serial", progress=False, figures=False)
    except EipsimError as exc:
        return str(exc)
    return "done"


def test_two_resumes_of_one_folder_never_compute_a_run_twice(experiment, tmp_path):
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(experiment, folder)
    for run_id in ("run0001", "run0002"):
        shutil.rmtree(folder / "runs" / run_id)
    store = ExperimentStore.open(folder)
    with store.locked():  # another process runs it: a resume is refused at once, and says why
        assert "being run by another eipsim process" in _resume(folder)
    assert sorted(p.name for p in (folder / "runs").iterdir()) == ["run0000"]
    with multiprocessing.Pool(2) as pool:
        answers = pool.map(_resume, [folder, folder])
    assert all(a == "done" or "being run by another eipsim process" in a for a in answers), answers
    assert "done" in answers
    assert sorted(p.name for p in (folder / "runs").iterdir()) == ["run0000", "run0001", "run0002"]
    assert (folder / "metrics.csv").read_text() == (experiment / "metrics.csv").read_text()


def test_a_damaged_run_is_set_aside_and_run_again(experiment, tmp_path, capsys):
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(experiment, folder)
    metrics = folder / "runs" / "run0001" / "metrics.json"
    metrics.write_text(metrics.read_text()[:200])  # cut short
    # reading it names the damaged file (no JSONDecodeError)
    with pytest.raises(EipsimError, match=r"run0001/metrics\.json:\d+:\d+: damaged file"):
        ResultReader(folder / "runs" / "run0001").metrics()
    assert main(["run", "--resume", str(folder), "--engine", "serial", "--no-figures", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "run0001" in err and "set aside as run0001.damaged" in err
    assert (folder / "runs" / "run0001.damaged" / "metrics.json").is_file()
    assert json.loads(metrics.read_text())["landfill_diversion_rate"]["value"] is not None
    assert (folder / "metrics.csv").read_text() == (experiment / "metrics.csv").read_text()


def test_a_damaged_experiment_file_is_named_not_a_crash(experiment, tmp_path, capsys):
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(experiment, folder)
    (folder / "plan.json").write_text((folder / "plan.json").read_text()[:50])
    assert main(["run", "--resume", str(folder), "--engine", "serial", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "plan.json:" in err and "damaged file" in err and "Traceback" not in err


def test_a_resume_removes_what_a_killed_run_left_in_its_folder(experiment, tmp_path):
    """Under the experiment's lock nobody else writes in it: a run folder half-written by a killed
    process is removed whatever its age (other folders wait an hour)."""
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(experiment, folder)
    shutil.rmtree(folder / "runs" / "run0002")
    (folder / "runs" / ".run0002.x1y2.tmp").mkdir()
    (folder / ".metrics.csv.a1b2.tmp").write_text("half")
    assert _resume(folder) == "done"
    assert not list(folder.rglob(".*")) and (folder / "runs" / "run0002" / "metrics.json").is_file()


def test_a_replication_kept_light_reads_as_a_run(experiment, tmp_path, capsys):
    """A run folder with only manifest.json and metrics.json: the report shows its indicators and
    its arm's scenario; plot and report say it has no charts instead of failing."""
    light = experiment / "runs" / "run0001"
    assert main(["report", str(light)]) == 0
    text = (light / "report.html").read_text()
    assert "Landfill diversion rate" in text and "Teaching park" in text
    (light / "report.html").unlink()
    assert main(["plot", str(light)]) == 2 and "no chart to draw" in capsys.readouterr().err
