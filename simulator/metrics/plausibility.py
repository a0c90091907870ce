"""Plausibility of a run's local-economy results against reference values.

A park-wide multiplier or LM3 above the scenario's ``region.reference_multipliers`` (by default
the highest sector values of a national input-output table, and the LM3 of NEF's highest measured
local re-spend share) is mostly an assumption: the warning says so and names the parameters that
drive it, with their values in this run: the regional re-spend shares and jobs per million sales
of the scenario, and the firms whose local purchases or local staff weigh most in the ledger.
"""

from __future__ import annotations

import math

import numpy as np

from ..config import Scenario
from ..model.ledger import CATEGORIES, REGION_HOUSEHOLDS, REGION_SUPPLIERS
from ..results import RunResult
from ..storage import select_rows
from ..uncertainty import screening_ranges

CHECKS = {
    "Output multipliers": (("multiplier_output_type1", "output_type1"), ("multiplier_output_type2", "output_type2"),
                           ("purchases", "respend", "households")),
    "Income multipliers": (("multiplier_income_type1", "income_type1"), ("multiplier_income_type2", "income_type2"),
                           ("staff", "purchases", "wages", "households")),
    "Employment multipliers": (("multiplier_employment_type1", "employment_type1"),
                               ("multiplier_employment_type2", "employment_type2"),
                               ("jobs", "purchases", "respend", "households")),
    "LM3 of the park": (("lm3_park", "lm3"), ("purchases", "staff", "respend", "households")),
    "LM3 of the SMEs": (("lm3_sme", "lm3"), ("purchases", "staff", "respend", "households")),
}
"""Per checked result: (indicator, its field of ``region.reference_multipliers``) for each
indicator (Type I and Type II of a multiplier together), then the kinds of parameter that drive it."""
TOP_FIRMS = 2
"""Firm entries named per kind: those that weigh most in the run's local purchases or local wages."""


def driving_parameters(result: RunResult, scenario: Scenario) -> dict[str, list[str]]:
    """Per checked result (a title of :data:`CHECKS`): the parameters that drive it in this run,
    with their values."""
    return {title: [p for kind in kinds for p in _drivers(kind, result, scenario, title == "LM3 of the SMEs")]
            for title, (*_, kinds) in CHECKS.items()}


def plausibility_warnings(values: dict[str, float], scenario: Scenario,
                          parameters: dict[str, list[str]]) -> list[dict]:
    """One warning (title, indicators, values, references, parameters, text) per checked result
    with an indicator in ``values`` above its reference; ``parameters``: :func:`driving_parameters`."""
    reference = scenario.region.reference_multipliers
    warnings = []
    for title, (*pairs, _) in CHECKS.items():
        names = [name for name, _ in pairs]
        found = [values.get(name, math.nan) for name in names]
        limits = [getattr(reference, field) for _, field in pairs]
        if not any(isinstance(v, float) and math.isfinite(v) and v > limit for v, limit in zip(found, limits)):
            continue
        kind = ", Type I / Type II," if len(pairs) == 2 else ""
        fields = " / ".join(f"region.reference_multipliers.{field}" for _, field in pairs)
        warnings.append({
            "title": title, "indicators": names, "values": found, "references": limits,
            "parameters": parameters[title],
            "text": (f"{title}{kind} {' / '.join(f'{v:.2f}' for v in found)} {'are' if kind else 'is'} above "
                     f"the highest plausible {' / '.join(f'{v:.2f}' for v in limits)} ({fields}): mostly an "
                     f"assumption of " + "; ".join(parameters[title]) + ".")})
    return warnings


REGION_FIELDS = {"jobs": "supplier_jobs_per_million", "respend": "supplier_local_respend_share",
                 "wages": "supplier_wage_share", "households": "household_local_spending_share"}


def _drivers(kind: str, result: RunResult, scenario: Scenario, smes_only: bool) -> list[str]:
    ranges = screening_ranges(scenario)   # the uncertain parameters, which replications draw

    def uncertain(path: str) -> str:
        return f" (uncertain: {ranges[path][0]:g} to {ranges[path][1]:g})" if path in ranges else ""

    if kind in REGION_FIELDS:
        path = f"region.{REGION_FIELDS[kind]}"
        return [f"{path} = {getattr(scenario.region, REGION_FIELDS[kind]):g}{uncertain(path)}"]
    category, local_payee, field = (("input_purchase", REGION_SUPPLIERS, "local_purchase_share") if kind == "purchases"
                                    else ("wage", REGION_HOUSEHOLDS, "local_staff_share"))
    if kind == "purchases":
        return [f"the local purchase shares of firms.{entry} ({share:.0%} of its inputs bought in the region; "
                f"{weight:.0%} of the park's local purchases){uncertain(f'firms.{entry}.{field}')}"
                for entry, share, weight in _weightiest(result, category, local_payee, smes_only)]
    return [f"firms.{entry}.{field} ({share:.0%}; {weight:.0%} of the park's local wages)"
            f"{uncertain(f'firms.{entry}.{field}')}"
            for entry, share, weight in _weightiest(result, category, local_payee, smes_only)]


def _weightiest(result: RunResult, category: str, local_payee: str, smes_only: bool) -> list[tuple[str, float, float]]:
    """(firm entry, its local share of ``category`` payments, its share of all local ones) of the
    entries that pay most locally."""
    led = result.ledger
    n = len(result.firms.ids)
    code = CATEGORIES.index(category)
    _, payer, _, payee, amount = select_rows(
        lambda cat, payer, time, *_: (cat == code) & (payer < n) & (time >= result.warmup_days),
        led.category, led.payer, led.time_days, led.payee, led.amount)
    local = payee == led.parties.index(local_payee)
    entries = np.array(result.firms.entry)
    keep = np.array(result.firms.kind) == "sme" if smes_only else np.ones(n, dtype=bool)
    paid = np.bincount(payer, amount, n) * keep
    paid_local = np.bincount(payer[local], amount[local], n) * keep
    names = list(dict.fromkeys(entries[keep]))
    by_entry = {e: (paid_local[entries == e].sum(), paid[entries == e].sum()) for e in names}
    total = sum(v[0] for v in by_entry.values())
    ranked = sorted((e for e in names if by_entry[e][0] > 0), key=lambda e: -by_entry[e][0])[:TOP_FIRMS]
    return [(e, by_entry[e][0] / by_entry[e][1], by_entry[e][0] / total) for e in ranked]
