"""Run a plan on an engine into an experiment store, then write its tables.

Tables of an experiment folder:

* ``runs.csv``: run_id, arm, replication, root_seed, spawn_key, parameters, status, duration, error;
* ``metrics.csv``: one row per successful run, one column per indicator;
* ``summary.csv``: per arm and indicator: unit, n, mean, sd, 95 % CI, half-width, imprecise flag;
* ``metrics.json``: the summary of the first arm with units and definitions;
* ``differences.csv`` (comparisons): paired differences of each arm against the baseline;
* ``drivers.csv``: Spearman rank correlation of each indicator with each parameter, and which
  survive the false-discovery-rate correction (:mod:`.drivers`). Replications and comparisons of
  scenarios with ``uncertain:`` parameters: per arm and per paired difference, against each
  parameter's sampled values (``runs.csv`` and ``metrics.csv`` then have a column per uncertain
  parameter with the value each run drew). Sweeps and sensitivity experiments: one scope,
  ``all runs``, against the designed parameters' values and any uncertain draws;
* ``plausibility.json``: per arm (or sweep point), the warnings of its mean multipliers and LM3
  above ``region.reference_multipliers``, with the parameters that drive them in the arm's
  representative run (its replication 0; :mod:`..metrics.plausibility`);
* ``failures.csv``: failed runs with their parameters and error.

Every run is a run folder ``runs/<run_id>/`` in the layout of a single run (readable by
:class:`simulator.result_reader.ResultReader`): ``manifest.json`` (its arm, replication, seed,
status, duration, drawn values, error) and ``metrics.json``. The representative run (replication 0)
of each arm of a replication or comparison experiment also holds every table and figure of a
single run and its resolved and composed scenario; the others keep only these two files (a
kawasan run's tables are megabytes: a thousand of them would be gigabytes nobody reads; every
run is reproduced from the plan, its seed and replication). A sensitivity experiment adds
``sensitivity.csv``. ``manifest.json`` is completed last, and again by each ``--resume``:
``finished_utc`` (null until then), ``duration_s`` (from the start, pauses before resumes
included), ``runs_failed`` and ``resumed_utc`` (when each resume started).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..chartdata import firm_labels
from ..compose import compose
from ..metrics.plausibility import plausibility_warnings
from ..metrics.registry import REGISTRY, describe, unit_of
from ..single_run import composed_yaml, resolved_yaml, uncertain_record, write_run_tables
from ..storage import (ExperimentStore, check_table_format, csv_text, digest, json_text, manifest, run_folder,
                       utc_now)
from ..validation import load_scenario, sampled_scenario
from .drivers import rank_drivers
from .executors import EngineLost, make_engine
from .plan import Arm, Plan
from .stats import paired_difference, summarise

DESIGNS = ("sweep", "sensitivity")
"""Experiments whose arms are points of a design over their parameters."""
ALL_RUNS = "all runs"
"""The drivers.csv scope of a design: every run, against the designed parameters."""
from .worker import execute


@dataclass(frozen=True)
class ExperimentOutcome:
    folder: Path
    plan: Plan
    summary: list[dict]
    differences: list[dict]
    failures: list[dict]
    runs_done: int


class ExperimentInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) during an experiment: its finished runs are kept in ``folder``, and
    ``--resume`` runs the others. The original interrupt is the ``__cause__``."""

    def __init__(self, folder: Path):
        super().__init__(f"finished runs are kept in {folder}; simulator.resume({str(folder)!r}) runs the others")
        self.folder = folder


def run_plan(plan: Plan, *, out: str | Path = "results", engine: str = "process", jobs: int | None = None,
             scheduler: str | None = None, argv: list[str] | None = None, progress: bool | None = None,
             figures: bool = True, table_format: str = "auto") -> ExperimentOutcome:
    """Create the store of ``plan`` and run all its tasks; ``table_format``: of the tables of the runs
    kept in full (:data:`simulator.storage.TABLE_FORMATS`)."""
    check_table_format(table_format)
    if progress is not False:
        print(cost_line(plan, engine, jobs), file=sys.stderr, flush=True)
    store = create_store(plan, out, argv or [], {"engine": engine, "jobs": jobs, "scheduler": scheduler})
    return execute_plan(plan, store, engine=engine, jobs=jobs, scheduler=scheduler, progress=progress,
                        figures=figures, table_format=table_format)


def resume(path: str | Path, *, engine: str = "process", jobs: int | None = None, scheduler: str | None = None,
           progress: bool | None = None, figures: bool = True, table_format: str = "auto") -> ExperimentOutcome:
    """Finish the missing runs of an interrupted experiment and write its tables."""
    check_table_format(table_format)
    resumed = utc_now()
    store = ExperimentStore.open(path)
    return execute_plan(plan_from_store(store), store, engine=engine, jobs=jobs, scheduler=scheduler,
                        progress=progress, figures=figures, resumed=resumed, table_format=table_format)


def cost_line(plan: Plan, engine: str, jobs: int | None) -> str:
    """How many runs ``plan`` has and roughly how long they take, said before they start."""
    from .executors import default_jobs

    workers = 1 if engine == "serial" else (jobs or default_jobs())
    runs = len(plan.arms) * plan.replications
    shape = (f"{len(plan.arms):,} configurations x {plan.replications:,} replications"
             if len(plan.arms) > 1 and plan.replications > 1 else
             f"{len(plan.arms):,} configurations" if len(plan.arms) > 1 else f"{plan.replications:,} replications")
    return (f"{plan.kind} {plan.name}: {runs:,} runs ({shape}) on {workers} worker{'s' * (workers > 1)}, "
            f"roughly {_duration(plan.estimate_seconds(workers))} (an estimate from the park's size; "
            "Ctrl-C keeps finished runs for --resume)")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


# --------------------------------------------------------------------------- the store


def create_store(plan: Plan, out: str | Path, argv: list[str], engine: dict) -> ExperimentStore:
    files = {}
    arms = []
    for arm in plan.arms:
        entry = {"label": arm.label, "params": arm.params, "source": arm.source, "error": arm.error,
                 "scenario": None}
        if arm.scenario is not None:
            entry["scenario"] = f"scenarios/{arm.label}.yaml"
            files[entry["scenario"]] = resolved_yaml(arm.scenario, None)
        arms.append(entry)
    plan_data = {"kind": plan.kind, "name": plan.name, "replications": plan.replications,
                 "root_seed": plan.root_seed, "parameters": list(plan.parameters), "extra": plan.extra,
                 "arms": arms}
    files["plan.json"] = json_text(plan_data)
    started = utc_now()
    plan_digest = digest(files["plan.json"] + "".join(files.get(a["scenario"] or "", "") for a in arms))
    files["manifest.json"] = json_text(manifest(
        scenario_digest=plan_digest, seed=plan.root_seed, argv=argv, started=started, finished=started,
        sources={a.label: a.source for a in plan.arms},
        extra={"experiment": plan.kind, "replications": plan.replications, "runs": len(plan.tasks), **engine,
               "finished_utc": None, "duration_s": None, "runs_failed": None, "resumed_utc": []}))
    return ExperimentStore.create(run_folder(out, plan.name, plan_digest, started, plan.kind), files)


def plan_from_store(store: ExperimentStore) -> Plan:
    data = store.read_json("plan.json")
    arms = []
    for entry in data["arms"]:
        scenario = None
        if entry["scenario"]:
            scenario, _ = load_scenario(store.path / entry["scenario"])
        arms.append(Arm(entry["label"], scenario, entry["params"], entry["source"], entry["error"]))
    return Plan(kind=data["kind"], name=data["name"], arms=tuple(arms), replications=data["replications"],
                root_seed=data["root_seed"], parameters=tuple(data["parameters"]), extra=data.get("extra", {}))


# --------------------------------------------------------------------------- running


def execute_plan(plan: Plan, store: ExperimentStore, *, engine: str = "process", jobs: int | None = None,
                 scheduler: str | None = None, progress: bool | None = None, figures: bool = True,
                 resumed: datetime | None = None, table_format: str = "auto") -> ExperimentOutcome:
    """Run the tasks not done yet, write the tables (and Sobol indices, figures), then complete
    the manifest; ``resumed`` is when ``--resume`` started. Raises :class:`ExperimentInterrupted`,
    or an EipsimError when another process runs the same folder."""
    with store.locked():
        return _execute_locked(plan, store, engine, jobs, scheduler, progress, figures, resumed, table_format)


def _execute_locked(plan: Plan, store: ExperimentStore, engine: str, jobs: int | None, scheduler: str | None,
                    progress: bool | None, figures: bool, resumed: datetime | None,
                    table_format: str) -> ExperimentOutcome:
    try:
        _run_missing(plan, store, engine, jobs, scheduler, progress, figures, table_format)
        outcome = finalise(plan, store)
        if plan.kind == "sensitivity":
            from .sensitivity import analyse

            analyse(outcome, {k: tuple(v) for k, v in plan.extra["ranges"].items()}, plan.extra.get("outcomes"),
                    plan.extra.get("method", "sobol"))
        if figures:
            from ..plotting.charts import experiment_figures
            from ..plotting.saving import save_figures

            save_figures(store.path, experiment_figures(store.path))
        _complete_manifest(store, len(outcome.failures), resumed)
    except KeyboardInterrupt as stop:
        raise ExperimentInterrupted(store.path) from stop
    return outcome


def _run_missing(plan: Plan, store: ExperimentStore, engine: str, jobs: int | None, scheduler: str | None,
                 progress: bool | None, figures: bool, table_format: str) -> None:
    done = store.done(t.run_id for t in plan.tasks)
    for path in store.set_aside:
        print(f"eipsim: {path.name.removesuffix('.damaged')} in {path.parent} was damaged (a file missing or not "
              f"valid JSON): set aside as {path.name}, its run is run again", file=sys.stderr)
    tasks = [t for t in plan.tasks if t.run_id not in done]
    keep = plan.kind in ("replications", "compare")
    # each arm composed once (levers realised, firms laid out) for all its replications; an arm with
    # uncertain parameters is composed per draw by the worker (a drawn land share is another park)
    scenarios = {a.label: a.scenario if a.scenario is None or a.scenario.uncertain else compose(a.scenario)
                 for a in plan.arms}
    writer = _RunWriter(plan, store, figures, table_format)
    for task in tasks:
        if scenarios[task.arm] is None:  # invalid configuration: a failed run, reported with its params
            writer.save({"run_id": task.run_id, "arm": task.arm, "replication": task.replication,
                         "root_seed": task.root_seed, "status": "failed", "duration_s": 0.0,
                         "error": plan.arm(task.arm).error})
    runnable = [t for t in tasks if scenarios[t.arm] is not None]
    calls = ((t, scenarios[t.arm], f"{store.path}:{t.arm}", keep and t.replication == 0) for t in runnable)
    bar = _progress(len(plan.tasks), len(plan.tasks) - len(runnable), plan, progress)
    runner = make_engine(engine, jobs, scheduler) if runnable else None
    try:
        for record in (runner.imap(execute, calls) if runner else ()):
            writer.save(record)
            bar.update(1)
    except EngineLost as exc:
        raise EngineLost(f"{exc}; the finished runs are kept in {store.path}: run the others with --resume "
                         f"{store.path}") from exc
    finally:
        bar.close()
        if runner is not None:
            runner.close()


class _RunWriter:
    """Publishes each finished run as its run folder ``runs/<run_id>/`` (see the module text)."""

    def __init__(self, plan: Plan, store: ExperimentStore, figures: bool, table_format: str = "auto"):
        self.plan, self.store, self.figures, self.table_format = plan, store, figures, table_format
        now = utc_now()
        # versions and git state once per experiment (asking git per run would cost more than a run)
        self.base = manifest(scenario_digest="", seed=plan.root_seed, argv=[], started=now, finished=now, sources={})
        for key in ("scenario_sha256", "argv", "sources", "started_utc", "finished_utc", "duration_s"):
            self.base.pop(key)
        self.digests = {a.label: digest(resolved_yaml(a.scenario, None)) for a in plan.arms if a.scenario is not None}

    def save(self, record: dict) -> None:
        arm = self.plan.arm(record["arm"])
        result = record.pop("result", None)
        drawn = record.get("uncertain", {})
        data = {**self.base, "experiment": "../..", "run_id": record["run_id"], "arm": arm.label,
                "replication": record["replication"], "replications": self.plan.replications,
                "scenario_file": f"../../scenarios/{arm.label}.yaml" if arm.scenario is not None else None,
                "scenario_sha256": self.digests.get(arm.label), "parameters": arm.params,
                "status": record["status"], "duration_s": record.get("duration_s"),
                "finished_utc": utc_now().isoformat(timespec="seconds"), "sim_events": record.get("sim_events"),
                "uncertain": uncertain_record(arm.scenario, drawn, record["replication"]) if arm.scenario else {},
                "error": record.get("error", ""), "traceback": record.get("traceback", "")}
        if "driving_parameters" in record:
            data["driving_parameters"] = record["driving_parameters"]
        with self.store.run_folder(record["run_id"]) as folder:
            folder.write_json("manifest.json", data)
            if record["status"] == "ok":
                folder.write_json("metrics.json", describe(record["metrics"], arm.scenario.currency))
            if result is not None:
                folder.write_text("scenario.resolved.yaml", resolved_yaml(arm.scenario, None, drawn))
                folder.write_text("scenario.composed.yaml", composed_yaml(compose(sampled_scenario(arm.scenario, drawn))))
                write_run_tables(folder, result, result.currency, figures=self.figures, table_format=self.table_format,
                                 replications=self.plan.replications, geo_origin=arm.scenario.park.geo_origin,
                                 labels=firm_labels(arm.scenario))
            folder.commit(unique=False)


def _complete_manifest(store: ExperimentStore, runs_failed: int, resumed: datetime | None) -> None:
    """Record the finish time, the duration since the start, failed runs and this resume."""
    data = store.read_json("manifest.json")
    finished = utc_now()
    started = datetime.fromisoformat(data["started_utc"])
    data.update(finished_utc=finished.isoformat(timespec="seconds"),
                duration_s=round((finished - started).total_seconds(), 3), runs_failed=runs_failed)
    if resumed is not None:
        data["resumed_utc"] = [*data.get("resumed_utc", []), resumed.isoformat(timespec="seconds")]
    store.write("manifest.json", json_text(data))


def _progress(total: int, initial: int, plan: Plan, enabled: bool | None):
    from tqdm import tqdm

    disable = None if enabled is None else not enabled  # None: only on a terminal
    return tqdm(total=total, initial=initial, unit="run", desc=f"{plan.kind} {plan.name}", disable=disable,
                file=sys.stderr, dynamic_ncols=True)


# --------------------------------------------------------------------------- tables


def finalise(plan: Plan, store: ExperimentStore) -> ExperimentOutcome:
    """Write runs.csv, metrics.csv, summary.csv, metrics.json, differences.csv and failures.csv."""
    names = [m for m in REGISTRY]
    currency = next((a.scenario.currency for a in plan.arms if a.scenario is not None), "")
    uncertain = uncertain_paths(plan)
    runs_rows, metric_rows, failures = [], [], []
    values: dict[str, dict[str, list[float]]] = {a.label: {m: [] for m in names} for a in plan.arms}
    by_replication: dict[str, dict[int, dict]] = {a.label: {} for a in plan.arms}
    done = 0
    for task in plan.tasks:
        record = store.load_run(task.run_id)
        params = plan.arm(task.arm).params
        status = record["status"] if record else "missing"
        done += record is not None
        drawn = (record or {}).get("uncertain", {})
        runs_rows.append({"run_id": task.run_id, "arm": task.arm, "replication": task.replication,
                          "root_seed": task.root_seed, "spawn_key": f"({task.replication},)",
                          **{p: params.get(p) for p in plan.parameters}, **{p: drawn.get(p) for p in uncertain},
                          "status": status, "duration_s": record.get("duration_s") if record else None,
                          "error": record.get("error", "") if record else ""})
        if status == "ok":
            metrics = record["metrics"]
            metric_rows.append({"run_id": task.run_id, "arm": task.arm, "replication": task.replication,
                                **{p: params.get(p) for p in plan.parameters},
                                **{p: drawn.get(p) for p in uncertain},
                                **{m: metrics.get(m) for m in names}})
            by_replication[task.arm][task.replication] = {"uncertain": drawn, "metrics": metrics}
            for m in names:
                value = metrics.get(m)
                values[task.arm][m].append(math.nan if value is None else float(value))
        elif status == "failed":
            failures.append({"run_id": task.run_id, "arm": task.arm,
                             **{p: params.get(p) for p in plan.parameters}, "error": record.get("error", "")})
    summary = []
    for arm in plan.arms:
        for m in names:
            stats = summarise(values[arm.label][m])
            summary.append({"arm": arm.label, **{p: arm.params.get(p) for p in plan.parameters}, "metric": m,
                            "unit": unit_of(m, currency), **stats})
    differences = _differences(plan, values, names, currency) if plan.kind == "compare" else []
    store.write("runs.csv", csv_text(_columns(runs_rows)))
    store.write("metrics.csv", csv_text(_columns(metric_rows)))
    store.write("summary.csv", csv_text(_columns(summary)))
    store.write("failures.csv", csv_text(_columns(failures, ["run_id", "arm", *plan.parameters, "error"])))
    if differences:
        store.write("differences.csv", csv_text(_columns(differences)))
    if uncertain or plan.kind in DESIGNS:
        store.write("drivers.csv", csv_text(_columns(_drivers(plan, by_replication, uncertain, names))))
    store.write("plausibility.json", json_text(_plausibility(plan, store, summary)))
    first = plan.arms[0].label
    means = {row["metric"]: row["mean"] for row in summary if row["arm"] == first}
    described = describe(means, currency)
    for row in summary:
        if row["arm"] == first and row["metric"] in described:
            described[row["metric"]].update({k: row[k] for k in ("sd", "ci_low", "ci_high", "n", "imprecise")})
    store.write("metrics.json", json_text(described))
    return ExperimentOutcome(store.path, plan, summary, differences, failures, done)


def uncertain_paths(plan: Plan) -> list[str]:
    """The uncertain parameters of any arm, sorted (columns of runs.csv and metrics.csv)."""
    return sorted({path for arm in plan.arms if arm.scenario is not None
                   for path, dist in arm.scenario.uncertain.items() if dist is not None})


def _drivers(plan: Plan, runs: dict[str, dict[int, dict]], uncertain: list[str], names: list[str]) -> list[dict]:
    """Rank correlations of each indicator of each arm (and, in a comparison, of each paired
    difference ``variant - baseline``) with the sampled values of the uncertain parameters; in a
    sweep or sensitivity design, of each indicator over all runs with the designed parameters and
    the uncertain draws."""
    def column(rows, key, name):
        return [_float(row[key].get(name)) for row in rows]

    if plan.kind in DESIGNS:
        done = [(arm, runs[arm.label][i]) for arm in plan.arms for i in sorted(runs[arm.label])]
        designed = {p: [_number(arm.params.get(p)) for arm, _ in done] for p in plan.parameters}
        samples = {p: v for p, v in designed.items() if any(math.isfinite(x) for x in v)}
        samples.update({p: column([r for _, r in done], "uncertain", p) for p in uncertain if p not in designed})
        return rank_drivers(samples, {m: column([r for _, r in done], "metrics", m) for m in names}, ALL_RUNS)
    table = []
    for arm in plan.arms:
        rows = [runs[arm.label][i] for i in sorted(runs[arm.label])]
        table += rank_drivers({p: column(rows, "uncertain", p) for p in uncertain},
                              {m: column(rows, "metrics", m) for m in names}, arm.label)
    if plan.kind == "compare":
        baseline = runs[plan.arms[0].label]
        for arm in plan.arms[1:]:
            pairs = [(baseline[i], runs[arm.label][i]) for i in sorted(set(baseline) & set(runs[arm.label]))]
            # the same draws in both arms (paired); a path uncertain in one arm only comes from that arm
            drawn = {p: [_float(b["uncertain"].get(p, a["uncertain"].get(p))) for a, b in pairs] for p in uncertain}
            diffs = {m: [_float(b["metrics"].get(m)) - _float(a["metrics"].get(m)) for a, b in pairs] for m in names}
            table += rank_drivers(drawn, diffs, f"{arm.label} - {plan.arms[0].label}")
    return table


def _plausibility(plan: Plan, store: ExperimentStore, summary: list[dict]) -> dict[str, list[dict]]:
    """Plausibility warnings of each arm's mean multipliers and LM3, naming the parameters that
    drive them in the arm's representative run (:mod:`..metrics.plausibility`)."""
    found = {}
    for arm in plan.arms:
        first = next((t for t in plan.tasks if t.arm == arm.label and t.replication == 0), None)
        record = store.load_run(first.run_id) if first is not None else None
        if arm.scenario is None or not record or "driving_parameters" not in record:
            continue
        means = {row["metric"]: row["mean"] for row in summary if row["arm"] == arm.label}
        warnings = plausibility_warnings(means, arm.scenario, record["driving_parameters"])
        if warnings:
            found[arm.label] = warnings
    return found


def _float(value) -> float:
    return math.nan if value is None else float(value)


def _number(value) -> float:
    """A designed parameter's value as a number (NaN for a text or mapping value)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _differences(plan: Plan, values, names, currency) -> list[dict]:
    baseline = plan.arms[0].label
    rows = []
    for arm in plan.arms[1:]:
        for m in names:
            d = paired_difference(values[baseline][m], values[arm.label][m])
            rows.append({"variant": arm.label, "metric": m, "unit": unit_of(m, currency),
                         "baseline_mean": d["baseline_mean"], "variant_mean": d["variant_mean"],
                         "diff_mean": d["diff_mean"], "diff_ci_low": d["diff_ci_low"],
                         "diff_ci_high": d["diff_ci_high"], "n": d["n"]})
    return rows


def _columns(rows: list[dict], header: list[str] | None = None) -> dict[str, list[Any]]:
    keys = header or (list(rows[0]) if rows else [])
    return {k: [r.get(k) for r in rows] for k in keys}
