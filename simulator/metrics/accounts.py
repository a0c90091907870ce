"""Economic indicators computed from the run's money ledger.

Ledger rows are summed per accounting period; indicators count the periods that start after the
warm-up. Definitions: :mod:`simulator.metrics.registry`.
"""

from __future__ import annotations

import numpy as np

from ..ledger import CATEGORIES
from ..results import RunResult


def _rows(result: RunResult):
    led = result.ledger
    keep = led.time_days >= result.warmup_days
    return led, keep


def _paid(result: RunResult, category: str, to_park: bool | None = None, from_park: bool | None = None) -> float:
    led, keep = _rows(result)
    in_park = np.array([loc == "park" for loc in led.locations])
    mask = keep & (led.category == CATEGORIES.index(category))
    if to_park is not None:
        mask &= in_park[led.payee] == to_park
    if from_park is not None:
        mask &= in_park[led.payer] == from_park
    return float(led.amount[mask].sum())


def economy_metrics(result: RunResult) -> dict[str, float]:
    """Revenue, by-product money, disposal costs and jobs."""
    present = np.ones(len(result.firms.ids), dtype=bool)
    events = result.firm_events
    for row in events:
        present[row["firm"]] = row["event"] != "exit"
    employees = result.firms.employees * present
    kinds = np.array(result.firms.kind)
    window = slice(result.warmup_days, None)
    return {
        "revenue": (_paid(result, "product_sale", to_park=True) + _paid(result, "byproduct_sale", to_park=True)
                    + _paid(result, "subsidy", to_park=True)),
        "byproduct_revenue": _paid(result, "byproduct_sale", to_park=True),
        "disposal_cost": _paid(result, "disposal_fee", from_park=True),
        "disposal_cost_avoided": float(result.value_disposal_avoided[window].sum()),
        "virgin_cost_avoided": float(result.value_virgin_avoided[window].sum()),
        "jobs_total": float(employees.sum()),
        "jobs_anchor": float(employees[kinds == "anchor"].sum()),
        "jobs_sme": float(employees[kinds == "sme"].sum()),
    }
