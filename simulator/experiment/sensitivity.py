"""Global sensitivity analysis with SALib (optional extra ``eipsim[sensitivity]``).

Two methods over the same parameter ranges (uniform over each range):

* ``sobol``: Sobol indices (Saltelli 2002; Saltelli et al. 2010) from a Saltelli/Sobol sample of
  N (D + 2) parameter points: S1 is the share of an indicator's variance due to one parameter
  alone, ST its total share including interactions.
* ``morris``: elementary-effects screening (Morris 1991, Technometrics 33:161; mu* of Campolongo,
  Cariboni & Saltelli 2007, Environ. Model. Softw. 22:1509) from N trajectories of D + 1 points on
  a grid of :data:`MORRIS_LEVELS` levels: one parameter moves by Delta = p / (2 (p - 1)) of its
  range at each step. mu* (mean |effect|) ranks the parameters by influence, in the indicator's
  unit per whole range; sigma (spread of the effects) is large when a parameter acts
  non-linearly or through interactions. It needs far fewer runs than Sobol to tell which
  assumptions matter at all (N of 10 to 20 is usual).

Each point's indicator is the mean over its replications.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import EipsimError
from ..metrics.registry import REGISTRY
from ..storage import ExperimentStore, csv_text

METHODS = ("sobol", "morris")
MORRIS_LEVELS = 4
"""Grid levels of the Morris design (p = 4, the usual choice: Saltelli et al. 2008, Global
Sensitivity Analysis: The Primer, sec. 3.3)."""
COLUMNS = {"sobol": ("S1", "S1_conf", "ST", "ST_conf"), "morris": ("mu", "mu_star", "mu_star_conf", "sigma")}
"""The columns of ``sensitivity.csv`` of each method (after metric and parameter, before note)."""


def _salib(method: str):
    try:
        if method == "morris":
            from SALib.analyze import morris as analyze
            from SALib.sample import morris as sample
        else:
            from SALib.analyze import sobol as analyze
            from SALib.sample import sobol as sample
    except ImportError:
        raise EipsimError("sensitivity analysis needs the optional extra: pip install 'eipsim[sensitivity]'") from None
    return sample, analyze


def _problem(bounds: dict[str, tuple[float, float]]) -> dict:
    return {"num_vars": len(bounds), "names": list(bounds), "bounds": [list(b) for b in bounds.values()]}


def design_runs(method: str, n: int, parameters: int) -> int:
    """Parameter points of a design: N (D + 2) for Sobol, N (D + 1) for Morris."""
    return n * (parameters + (2 if method == "sobol" else 1))


def design_points(method: str, bounds: dict[str, tuple[float, float]], n: int, seed: int) -> list[dict[str, float]]:
    """Parameter points of the Sobol design (n should be a power of 2) or of n Morris trajectories."""
    sample, _ = _salib(method)
    if method == "morris":
        values = sample.sample(_problem(bounds), n, num_levels=MORRIS_LEVELS, seed=seed)
    else:
        values = sample.sample(_problem(bounds), n, calc_second_order=False, seed=seed)
    return [dict(zip(bounds, map(float, row))) for row in values]


def indices(method: str, bounds: dict[str, tuple[float, float]], X: np.ndarray, y: np.ndarray,
            seed: int) -> dict[str, np.ndarray]:
    """The method's indices (:data:`COLUMNS`) of one indicator ``y`` at the design points ``X``
    (rows in design order); ``seed`` seeds the bootstrap of the confidence intervals."""
    _, analyze = _salib(method)
    if method == "morris":
        result = analyze.analyze(_problem(bounds), np.asarray(X, dtype=float), np.asarray(y, dtype=float),
                                 num_levels=MORRIS_LEVELS, print_to_console=False, seed=seed)
    else:
        result = analyze.analyze(_problem(bounds), np.asarray(y, dtype=float), calc_second_order=False,
                                 print_to_console=False, seed=seed)
    return {column: np.asarray(result[column], dtype=float) for column in COLUMNS[method]}


def analyse(outcome, bounds: dict[str, tuple[float, float]], outcomes=None, method: str = "sobol") -> list[dict]:
    """Indices of each indicator; written to ``sensitivity.csv`` of the experiment."""
    names = list(outcomes) if outcomes else [m for m, spec in REGISTRY.items() if spec.headline]
    means = {(row["arm"], row["metric"]): row["mean"] for row in outcome.summary}
    arms = outcome.plan.arms
    X = np.array([[arm.params[p] for p in bounds] for arm in arms], dtype=float)
    columns = COLUMNS[method]
    rows = []
    for metric in names:
        y = np.array([means.get((arm.label, metric), math.nan) for arm in arms], dtype=float)
        if not np.all(np.isfinite(y)) or np.ptp(y) == 0:
            reason = "failed or missing runs" if not np.all(np.isfinite(y)) else "no variation"
            rows.extend({"metric": metric, "parameter": p, **{c: math.nan for c in columns}, "note": reason}
                        for p in bounds)
            continue
        found = indices(method, bounds, X, y, outcome.plan.root_seed)
        for k, p in enumerate(bounds):
            rows.append({"metric": metric, "parameter": p, **{c: float(found[c][k]) for c in columns}, "note": ""})
    table = {k: [r[k] for r in rows] for k in ("metric", "parameter", *columns, "note")}
    ExperimentStore(outcome.folder).write("sensitivity.csv", csv_text(table))
    return rows
