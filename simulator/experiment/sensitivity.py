"""Global sensitivity analysis with SALib (optional extra ``eipsim[sensitivity]``).

Sobol indices (Saltelli 2002; Saltelli et al. 2010) from a Saltelli/Sobol sample of N (D + 2)
parameter points: S1 is the share of an indicator's variance due to one parameter alone, ST its
total share including interactions. Each point's indicator is the mean over its replications.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import EipsimError
from ..metrics.registry import REGISTRY
from ..storage import ExperimentStore, csv_text


def _salib():
    try:
        from SALib.analyze import sobol as analyze_sobol
        from SALib.sample import sobol as sample_sobol
    except ImportError:
        raise EipsimError("sensitivity analysis needs the optional extra: pip install 'eipsim[sensitivity]'") from None
    return sample_sobol, analyze_sobol


def _problem(bounds: dict[str, tuple[float, float]]) -> dict:
    return {"num_vars": len(bounds), "names": list(bounds), "bounds": [list(b) for b in bounds.values()]}


def saltelli_points(bounds: dict[str, tuple[float, float]], n: int, seed: int) -> list[dict[str, float]]:
    """Parameter points of the Sobol design (n should be a power of 2)."""
    sample_sobol, _ = _salib()
    values = sample_sobol.sample(_problem(bounds), n, calc_second_order=False, seed=seed)
    return [dict(zip(bounds, map(float, row))) for row in values]


def analyse(outcome, bounds: dict[str, tuple[float, float]], outcomes=None) -> list[dict]:
    """Sobol indices of each indicator; written to ``sensitivity.csv`` of the experiment."""
    _, analyze_sobol = _salib()
    names = list(outcomes) if outcomes else [m for m, spec in REGISTRY.items() if spec.headline]
    means = {(row["arm"], row["metric"]): row["mean"] for row in outcome.summary}
    rows = []
    for metric in names:
        y = np.array([means.get((arm.label, metric), math.nan) for arm in outcome.plan.arms], dtype=float)
        if not np.all(np.isfinite(y)) or np.ptp(y) == 0:
            reason = "failed or missing runs" if not np.all(np.isfinite(y)) else "no variation"
            rows.extend({"metric": metric, "parameter": p, "S1": math.nan, "S1_conf": math.nan, "ST": math.nan,
                         "ST_conf": math.nan, "note": reason} for p in bounds)
            continue
        result = analyze_sobol.analyze(_problem(bounds), y, calc_second_order=False, print_to_console=False,
                                       seed=outcome.plan.root_seed)  # seeds the bootstrap of the CIs
        for k, p in enumerate(bounds):
            rows.append({"metric": metric, "parameter": p, "S1": float(result["S1"][k]),
                         "S1_conf": float(result["S1_conf"][k]), "ST": float(result["ST"][k]),
                         "ST_conf": float(result["ST_conf"][k]), "note": ""})
    table = {k: [r[k] for r in rows] for k in ("metric", "parameter", "S1", "S1_conf", "ST", "ST_conf", "note")}
    ExperimentStore(outcome.folder).write("sensitivity.csv", csv_text(table))
    return rows
