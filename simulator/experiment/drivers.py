"""Which uncertain assumptions drive each indicator: rank correlations across replications.

Each replication draws the scenario's ``uncertain:`` parameters afresh, so across replications an
indicator moves with the assumptions and with the model's own randomness. Spearman's rank
correlation rho between a parameter's sampled values and an indicator (Spearman 1904; a standard
measure of sampling-based sensitivity analysis: Helton, Johnson, Sallaberry & Storlie 2006, Reliab.
Eng. Syst. Saf. 91:1175) says how strongly and in which direction the indicator follows the
assumption, whatever the shape of the relation as long as it is monotone. Parameters are drawn
independently, so rho^2 is roughly the share of the indicator's rank variance that the parameter explains.
"""

from __future__ import annotations

import math

import numpy as np

MOSTLY = 0.7
"""|rho| at or above which an indicator is said to be *mostly driven* by an assumption:
rho^2 >= 0.49, about half of its rank variance."""
SIGNIFICANCE = 0.05
"""A driver is named only when its correlation differs from 0 at this level (two-sided)."""
MIN_RUNS = 5
"""Fewer replications than this give no ranking (rho of 3 or 4 points says little)."""


def rank_drivers(samples: dict[str, list[float]], outcomes: dict[str, list[float]], scope: str) -> list[dict]:
    """Rows (scope, metric, parameter, rho, p_value, n, rank, note) for every outcome and parameter.

    ``samples`` and ``outcomes`` hold one value per replication, in the same order; NaN values
    are left out pair by pair. ``rank`` orders the parameters of one metric by |rho| (1 = strongest).
    """
    from scipy import stats

    rows = []
    for metric, y in outcomes.items():
        y = np.asarray(y, dtype=float)
        group = []
        for parameter, x in samples.items():
            x = np.asarray(x, dtype=float)
            both = np.isfinite(x) & np.isfinite(y)
            n = int(both.sum())
            rho = p = math.nan
            note = ""
            if n < MIN_RUNS:
                note = f"fewer than {MIN_RUNS} replications"
            elif np.ptp(y[both]) == 0 or np.ptp(x[both]) == 0:
                note = "no variation"
            else:
                rho, p = (float(v) for v in stats.spearmanr(x[both], y[both]))
            group.append({"scope": scope, "metric": metric, "parameter": parameter, "rho": rho, "p_value": p,
                          "n": n, "rank": None, "note": note})
        ranked = sorted((r for r in group if math.isfinite(r["rho"])), key=lambda r: -abs(r["rho"]))
        for k, row in enumerate(ranked, start=1):
            row["rank"] = k
        rows.extend(sorted(group, key=lambda r: (r["rank"] is None, r["rank"] or 0)))
    return rows


def top_drivers(rows: list[dict], scope: str, metric: str, limit: int = 2) -> list[dict]:
    """The strongest significant drivers of ``metric`` in ``scope`` (at most ``limit``)."""
    found = [r for r in rows if r["scope"] == scope and r["metric"] == metric and r["rank"] not in (None, "")
             and _num(r["p_value"]) < SIGNIFICANCE]
    return sorted(found, key=lambda r: int(r["rank"]))[:limit]


def describe(drivers: list[dict]) -> str:
    """``region.supplier_jobs_per_million +0.93 (mostly)``: the drivers of one indicator, for tables."""
    parts = []
    for r in drivers:
        rho = _num(r["rho"])
        parts.append(f"{r['parameter']} {rho:+.2f}" + (" (mostly)" if abs(rho) >= MOSTLY else ""))
    return ", ".join(parts) or "-"


def _num(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
