"""What an experiment runs: its arms (scenario configurations) and tasks (one run each).

An *arm* is one scenario configuration: a scenario file, optionally a variant, ``--set``
overrides and (in sweeps) parameter values. A *task* is one replication of one arm. Replication
i of every arm uses the seed streams of ``SeedSequence(root_seed, spawn_key=(i,))``: common random
numbers across arms, and any single run can be reproduced alone with
``eipsim run FILE --seed ROOT --replication I``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from ..config import Scenario
from ..errors import EipsimError, ScenarioError
from ..loader import parse_override
from ..validation import load_scenario


@dataclass(frozen=True)
class Arm:
    """One scenario configuration of an experiment (``scenario`` is None when it is invalid)."""

    label: str
    scenario: Scenario | None
    params: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)
    error: str = ""


@dataclass(frozen=True)
class Task:
    run_id: str
    arm: str
    replication: int
    root_seed: int


MAX_REPLICATIONS = 100_000
"""Most replications of one configuration (the confidence interval shrinks as 1/sqrt(n): 100,000
replications are 100 times more precise than 10; more is a typing error, refused before anything
is allocated)."""
MAX_RUNS = 1_000_000
"""Most runs of one experiment (points x replications): a million runs of the demo take days."""
SECONDS_PER_FIRM_DAY = 2.5e-4
SECONDS_PER_RUN = 0.2
"""Rough cost of one run in an experiment: ``SECONDS_PER_RUN + SECONDS_PER_FIRM_DAY x firms x
horizon_days`` per worker. Calibrated on the README's ``sweep kawasan_baseline.yaml --lhs 200``
(24 firms, 365 days), which took 3 min 42 s on 2 cores (this gives 4 min); ``sensitivity --n 256``
took about 30 min (this gives 20 min: larger IKM land shares add firms). A single run of that park
alone takes 0.67 s: experiments add saving each run and share the cores."""


def check_size(replications: int, points: int = 1) -> None:
    """Refuse a replication count or a total number of runs above the limits (EipsimError)."""
    from ..errors import EipsimError

    if replications < 1:
        raise EipsimError(f"--replications must be at least 1, got {replications:,}")
    if replications > MAX_REPLICATIONS:
        raise EipsimError(f"--replications {replications:,} is above the limit of {MAX_REPLICATIONS:,}")
    if points * replications > MAX_RUNS:
        raise EipsimError(f"{points:,} configurations x {replications:,} replications = "
                          f"{points * replications:,} runs, above the limit of {MAX_RUNS:,} runs per experiment")


@dataclass(frozen=True)
class Plan:
    kind: str                   # "replications", "compare", "sweep" or "sensitivity"
    name: str                   # results go to results/<name>/...
    arms: tuple[Arm, ...]
    replications: int
    root_seed: int
    parameters: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tasks(self) -> list[Task]:
        width = max(4, len(str(len(self.arms) * self.replications)))
        tasks, k = [], 0
        for arm in self.arms:
            for rep in range(self.replications):
                tasks.append(Task(f"run{k:0{width}d}", arm.label, rep, self.root_seed))
                k += 1
        return tasks

    def estimate_seconds(self, workers: int) -> float:
        """A rough duration of all runs on ``workers`` parallel workers (see ``SECONDS_PER_RUN``)."""
        total = 0.0
        for arm in self.arms:
            if arm.scenario is not None:
                firms = sum(firm.count for firm in arm.scenario.firms.values())
                total += SECONDS_PER_RUN + SECONDS_PER_FIRM_DAY * firms * arm.scenario.run.horizon_days
        return total * self.replications / max(1, workers)

    def arm(self, label: str) -> Arm:
        return next(a for a in self.arms if a.label == label)


def load_arm(label: str, path: str | Path, variant: str | None = None, overrides: Sequence[str] = (),
             params: dict[str, Any] | None = None) -> Arm:
    """An arm from a scenario file; an invalid configuration becomes an arm with an error."""
    source = {"file": str(path), "variant": variant, "overrides": list(overrides)}
    try:
        scenario, _ = load_scenario(path, variant=variant, overrides=overrides)
    except ScenarioError as exc:
        return Arm(label, None, dict(params or {}), source, error="; ".join(str(p) for p in exc.problems))
    return Arm(label, scenario, dict(params or {}), source)


def arm_label(path: str | Path, variant: str | None) -> str:
    return variant or Path(path).stem


def unique_labels(labels: Iterable[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if seen[label] == 1 else f"{label}-{seen[label]}")
    return unique


def root_seed_of(arms: Sequence[Arm], seed: int | None) -> int:
    if seed is not None:
        return int(seed)
    valid = [a.scenario for a in arms if a.scenario is not None]
    if not valid:
        raise EipsimError("no valid scenario to run: " + "; ".join(a.error for a in arms))
    return valid[0].run.seed


# --------------------------------------------------------------------------- sweeps


def parse_grid(specs: Sequence[str]) -> dict[str, list[Any]]:
    """``["sme.land_share=0,0.05,0.1"]`` -> ``{"sme.land_share": [0, 0.05, 0.1]}`` (YAML values)."""
    grid: dict[str, list[Any]] = {}
    for spec in specs:
        path, _, values = spec.partition("=")
        if not values:
            raise EipsimError(f"--grid {spec!r}: expected dotted.path=v1,v2,... (e.g. sme.land_share=0,0.1)")
        grid[path.strip()] = [parse_override(f"{path}={v}")[1] for v in values.split(",")]
    return grid


def parse_ranges(specs: Sequence[str]) -> dict[str, tuple[float, float]]:
    """``["platform.coverage=0:1"]`` -> ``{"platform.coverage": (0.0, 1.0)}``."""
    ranges = {}
    for spec in specs:
        path, _, bounds = spec.partition("=")
        low, sep, high = bounds.partition(":")
        try:
            lo, hi = float(low), float(high)
        except ValueError:
            lo = hi = math.nan
        if not sep or not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
            raise EipsimError(f"--range {spec!r}: expected dotted.path=low:high with low <= high "
                              "(e.g. platform.coverage=0:1)")
        ranges[path.strip()] = (lo, hi)
    return ranges


def grid_points(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    names = list(grid)
    return [dict(zip(names, combo)) for combo in itertools.product(*(grid[n] for n in names))]


def lhs_points(ranges: dict[str, tuple[float, float]], n: int, seed: int) -> list[dict[str, float]]:
    """``n`` Latin-hypercube points over the ranges (McKay, Beckman & Conover 1979), seeded."""
    from scipy.stats import qmc

    names = list(ranges)
    sample = qmc.LatinHypercube(d=len(names), seed=np.random.default_rng(seed)).random(n)
    low = np.array([ranges[k][0] for k in names])
    high = np.array([ranges[k][1] for k in names])
    values = qmc.scale(sample, low, high) if np.all(high > low) else low + sample * (high - low)
    return [dict(zip(names, map(float, row))) for row in values]


def point_arms(path: str | Path, variant: str | None, overrides: Sequence[str],
               points: list[dict[str, Any]]) -> list[Arm]:
    """One arm per parameter point: the point's values applied as ``--set`` overrides.

    Raises
    ------
    EipsimError
        When every point is invalid (an unknown field, a value no point may take).
    """
    from ..loader import dump_yaml

    width = max(3, len(str(len(points))))
    arms = []
    for k, point in enumerate(points):
        sets = [f"{name}={dump_yaml(value).strip().removesuffix('...').strip()}" for name, value in point.items()]
        arms.append(load_arm(f"p{k:0{width}d}", path, variant, [*overrides, *sets], point))
    if arms and all(arm.error for arm in arms):  # nothing would run: bad input, refused before any work
        raise EipsimError(f"every point of the experiment is invalid; the first ({arms[0].label}): {arms[0].error}")
    return arms
