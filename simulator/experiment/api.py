"""Experiments from Python (notebooks) and the command line: ``run``, ``compare``, ``sweep``,
``sensitivity``, ``resume``.

Each call writes an experiment folder (see :mod:`.runner`) and returns an :class:`Experiment`
whose tables are pandas DataFrames when pandas is installed, plain lists of records otherwise::

    import simulator
    exp = simulator.compare("scenarios/kawasan_baseline.yaml", variants=["ikm10"], replications=10)
    exp.differences      # metric, baseline_mean, variant_mean, diff_mean, diff_ci_low, diff_ci_high, n
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..config import Scenario
from ..errors import EipsimError
from ..result_reader import read_table_with_header
from ..validation import load_scenario
from . import execution
from .plan import (Arm, Plan, arm_label, check_size, grid_points, lhs_points, load_arm, parse_grid, parse_ranges, point_arms,
                   root_seed_of, unique_labels)


@dataclass(frozen=True)
class Experiment:
    """The folder of a finished experiment and its main tables."""

    folder: Path
    kind: str
    runs_done: int
    runs_total: int
    runs_failed: int

    @property
    def summary(self):
        return read_table(self.folder / "summary.csv")

    @property
    def metrics(self):
        return read_table(self.folder / "metrics.csv")

    @property
    def runs(self):
        return read_table(self.folder / "runs.csv")

    @property
    def differences(self):
        return read_table(self.folder / "differences.csv")

    @property
    def failures(self):
        return read_table(self.folder / "failures.csv")


def read_table(path: str | Path):
    """A result table as a DataFrame (with pandas) or a list of dicts, typed by
    :func:`simulator.result_reader.read_table` (missing values: NaN in a DataFrame, None in a list).
    ``path`` names it with or without its ending (``RUN/flows.csv`` reads ``RUN/flows.parquet`` of a
    run written with ``--format parquet``)."""
    header, rows = read_table_with_header(path)
    pandas = _pandas()
    if pandas is None:
        return rows
    return pandas.DataFrame(rows, columns=header)


def _pandas():
    try:
        import pandas
    except ImportError:
        return None
    return pandas


def _arm(scenario: str | Path | Scenario, variant: str | None, overrides: Sequence[str], label: str | None) -> Arm:
    """An arm that must be valid (bad input to run/compare is an error, not a failed run)."""
    if isinstance(scenario, Scenario):
        return Arm(label or scenario.name, scenario, {}, {"object": scenario.name})
    loaded, _ = load_scenario(scenario, variant=variant, overrides=overrides)
    return Arm(label or loaded.name, loaded, {}, {"file": str(scenario), "variant": variant,
                                                   "overrides": list(overrides)})


def _finish(outcome: execution.ExperimentOutcome) -> Experiment:
    return Experiment(outcome.folder, outcome.plan.kind, outcome.runs_done, len(outcome.plan.tasks),
                      len(outcome.failures))


def run(scenario: str | Path | Scenario, *, replications: int = 1, variant: str | None = None,
        overrides: Sequence[str] = (), seed: int | None = None, **engine: Any) -> Experiment:
    """Replications of one scenario: per-indicator mean, sd and 95 % CI (``summary.csv``)."""
    _check_replications(replications)
    arm = _arm(scenario, variant, overrides, None)
    plan = Plan("replications", arm.scenario.name, (arm,), replications, root_seed_of([arm], seed))
    return _finish(execution.run_plan(plan, **engine))


def compare(scenarios: str | Path | Scenario | Sequence, *, variants: Sequence[str] = (),
            replications: int = 10, overrides: Sequence[str] = (), seed: int | None = None,
            **engine: Any) -> Experiment:
    """The first scenario (the baseline) against the others and against its ``variants``, with
    common random numbers; paired differences with 95 % CIs in ``differences.csv``."""
    _check_replications(replications)
    items = [scenarios] if isinstance(scenarios, (str, Path, Scenario)) else list(scenarios)
    if not items:
        raise EipsimError("compare needs at least one scenario")
    arms = [_arm(item, None, overrides, None) for item in items]
    arms += [_arm(items[0], name, overrides, name) for name in variants]
    if len(arms) < 2:
        raise EipsimError("compare needs a second scenario or a --variant to compare with the baseline")
    labels = unique_labels(a.label for a in arms)
    arms = [Arm(label, a.scenario, a.params, a.source) for label, a in zip(labels, arms)]
    plan = Plan("compare", f"compare-{arms[0].label}", tuple(arms), replications, root_seed_of(arms, seed))
    return _finish(execution.run_plan(plan, **engine))


def sweep(scenario: str | Path, *, grid: Sequence[str] = (), lhs: int | None = None, ranges: Sequence[str] = (),
          replications: int = 1, variant: str | None = None, overrides: Sequence[str] = (),
          seed: int | None = None, **engine: Any) -> Experiment:
    """A grid (``grid=["sme.land_share=0,0.1"]``) or a Latin hypercube (``lhs=200,
    ranges=["platform.coverage=0:1"]``) of parameter points, each replicated."""
    _check_replications(replications)
    base = load_arm(arm_label(scenario, variant), scenario, variant, overrides)
    if base.scenario is None:
        raise EipsimError(f"the base scenario is invalid: {base.error}")
    root = root_seed_of([base], seed)
    if grid and (lhs or ranges):
        raise EipsimError("give either --grid or --lhs with --range, not both")
    if grid:
        check_size(replications, math.prod(spec.count(",") + 1 for spec in grid))  # before parsing any
        points = grid_points(parse_grid(grid))
    elif lhs is not None and lhs < 1:
        raise EipsimError(f"--lhs must be at least 1 point, got {lhs:,}")
    elif lhs and ranges:
        check_size(replications, lhs)
        points = lhs_points(parse_ranges(ranges), lhs, root)
    else:
        raise EipsimError("a sweep needs --grid PATH=v1,v2,... or --lhs N with --range PATH=low:high")
    arms = point_arms(scenario, variant, overrides, points)
    plan = Plan("sweep", base.scenario.name, tuple(arms), replications, root, tuple(points[0]),
                {"design": "grid" if grid else "lhs"})
    return _finish(execution.run_plan(plan, **engine))


def sensitivity(scenario: str | Path, *, ranges: Sequence[str] = (), n: int = 256, method: str = "sobol",
                outcomes: Sequence[str] | None = None, replications: int = 1, variant: str | None = None,
                overrides: Sequence[str] = (), seed: int | None = None, **engine: Any) -> Experiment:
    """Global sensitivity with SALib: Sobol indices or Morris screening, in ``sensitivity.csv``.

    Without ``ranges`` the design varies the scenario's ``uncertain:`` parameters over their
    ranges (:func:`simulator.uncertainty.screening_ranges`)."""
    from ..metrics.registry import REGISTRY
    from ..uncertainty import screening_ranges
    from .sensitivity import METHODS, design_points, design_runs

    _check_replications(replications)
    base = load_arm(arm_label(scenario, variant), scenario, variant, overrides)
    if base.scenario is None:
        raise EipsimError(f"the base scenario is invalid: {base.error}")
    bounds = parse_ranges(ranges) or screening_ranges(base.scenario)
    if not bounds:
        raise EipsimError("sensitivity needs at least one --range PATH=low:high (or a scenario with uncertain: "
                          "parameters)")
    if method not in METHODS:
        raise EipsimError(f"unknown method {method!r}; available: {', '.join(METHODS)}")
    unknown = [name for name in outcomes or () if name not in REGISTRY]
    if unknown:
        raise EipsimError(f"unknown --outcome {', '.join(unknown)}; indicators: {', '.join(REGISTRY)}")
    if n < 1:
        raise EipsimError(f"--n must be at least 1, got {n:,}")
    check_size(replications, design_runs(method, n, len(bounds)))
    points = design_points(method, bounds, n, root_seed_of([base], seed))
    arms = point_arms(scenario, variant, overrides, points)
    plan = Plan("sensitivity", base.scenario.name, tuple(arms), replications, root_seed_of([base], seed),
                tuple(bounds), {"method": method, "n": n, "ranges": {k: list(v) for k, v in bounds.items()},
                                "outcomes": list(outcomes) if outcomes else None})
    return _finish(execution.run_plan(plan, **engine))


def resume(folder: str | Path, **engine: Any) -> Experiment:
    """Finish an interrupted experiment; tables equal those of an uninterrupted one."""
    return _finish(execution.resume(folder, **engine))


def _check_replications(replications: int) -> None:
    check_size(replications)
