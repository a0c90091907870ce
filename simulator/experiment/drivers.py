"""Which uncertain assumptions drive each indicator: rank correlations across replications.

Each replication draws the scenario's ``uncertain:`` parameters afresh, so across replications an
indicator moves with the assumptions and with the model's own randomness. Spearman's rank
correlation rho between a parameter's sampled values and an indicator (Spearman 1904; a standard
measure of sampling-based sensitivity analysis: Helton, Johnson, Sallaberry & Storlie 2006, Reliab.
Eng. Syst. Saf. 91:1175) says how strongly and in which direction the indicator follows the
assumption, whatever the shape of the relation as long as it is monotone. Parameters are drawn
independently, so rho^2 is roughly the share of the indicator's rank variance that the parameter explains.

A scope (an arm, a paired difference, or all runs of a sweep) tests every indicator against every
parameter: with 40 indicators and 3 parameters, 120 tests at the 5 % level name about 6 drivers by
chance alone. The p-values of a scope are therefore adjusted together by the Benjamini-Hochberg
step-up procedure (Benjamini & Hochberg 1995, J. R. Stat. Soc. B 57:289), and a parameter is named
a driver only when its adjusted p-value is below :data:`SIGNIFICANCE`: among the drivers named,
the expected share of false ones is at most 5 %. We control the false discovery rate rather than
the family-wise error rate (Holm 1979) because an assumption that truly drives one indicator
usually drives several related ones (all the employment indicators follow
``supplier_jobs_per_million``): Holm's stricter guarantee would hide most of them with the 20 or so
replications a study can afford, while BH keeps them and still removes the lone chance
correlations. BH is proven for independent or positively dependent tests (Benjamini & Yekutieli
2001, Ann. Stat. 29:1165); indicators of one run are correlated both ways, so the 5 % is nominal.
"""

from __future__ import annotations

import math

import numpy as np

MOSTLY = 0.7
"""|rho| at or above which an indicator is said to be *mostly driven* by an assumption:
rho^2 >= 0.49, about half of its rank variance."""
SIGNIFICANCE = 0.05
"""A driver is named only when its correlation differs from 0 at this false discovery rate
(two-sided p-values adjusted by Benjamini-Hochberg within the scope)."""
MIN_RUNS = 5
"""Fewer replications than this give no ranking (rho of 3 or 4 points says little)."""


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values) of a family of tests; NaN stays NaN.

    With the m finite p-values sorted, p_(1) <= ... <= p_(m): q_(i) = min over j >= i of
    min(1, m p_(j) / j). A test is a discovery at false discovery rate alpha when q < alpha.
    """
    p = np.asarray(p_values, dtype=float)
    q = np.full(p.shape, math.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = len(finite)
    if m:
        order = finite[np.argsort(p[finite], kind="stable")]
        scaled = p[order] * m / np.arange(1, m + 1)
        q[order] = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    return q


def rank_drivers(samples: dict[str, list[float]], outcomes: dict[str, list[float]], scope: str) -> list[dict]:
    """Rows (scope, metric, parameter, rho, p_value, p_adjusted, n, rank, note) for every outcome
    and parameter.

    ``samples`` and ``outcomes`` hold one value per replication, in the same order; NaN values
    are left out pair by pair. ``rank`` orders the parameters of one metric by |rho| (1 = strongest);
    ``p_adjusted`` is the Benjamini-Hochberg adjustment over every test of the scope.
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
                          "p_adjusted": math.nan, "n": n, "rank": None, "note": note})
        ranked = sorted((r for r in group if math.isfinite(r["rho"])), key=lambda r: -abs(r["rho"]))
        for k, row in enumerate(ranked, start=1):
            row["rank"] = k
        rows.extend(sorted(group, key=lambda r: (r["rank"] is None, r["rank"] or 0)))
    for row, q in zip(rows, benjamini_hochberg([r["p_value"] for r in rows])):
        row["p_adjusted"] = float(q)
    return rows


def is_driver(row: dict) -> bool:
    """A ranked parameter whose correlation survives the scope's false discovery rate."""
    return row["rank"] not in (None, "") and _num(row.get("p_adjusted")) < SIGNIFICANCE


def top_drivers(rows: list[dict], scope: str, metric: str, limit: int = 2) -> list[dict]:
    """The strongest drivers of ``metric`` in ``scope`` that survive the correction (at most ``limit``)."""
    found = [r for r in rows if r["scope"] == scope and r["metric"] == metric and is_driver(r)]
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
