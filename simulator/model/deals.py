"""The terms of a deal on a link: investment, expected volume, and how two firms split its gain.

A link needs an investment ``I`` before its first delivery (a pipeline: fixed cost + cost per km;
a trucked exchange: a set-up cost such as storage or pre-treatment). The consumer builds and owns
it; it is ready a lead time after signing and is not paid again when the two firms sign later
contracts, whose price keeps the investment charge per unit ``i`` (below) until the asset's life
ends, as a capital charge in a supply tariff would: the consumer recovers what it counted on. Two firms weigh a link over the life ``L`` of its asset (``pipeline_life_years``,
``truck_link_life_years``), not over one contract: contracts of ``T`` years follow each other and
each is renewed with probability ``p`` (``discovery.renewal_probability``), so at the discount rate
``r`` a unit of yearly volume is worth the expected annuity factor

    A = sum_{k=0}^{n-1} (p (1 + r)^-T)^k a(min(T, L - kT)),   n = ceil(L / T),
    a(t) = (1 - (1 + r)^-t) / r   (a(t) = t when r = 0)

the present value of the contracts the firms can count on during the asset's life (an asset
is amortised over its life and contracts renew; with ``L <= T`` this is one contract, ``a(L)``).
Per unit moved, with ``V`` the expected volume per year:

    surplus per unit      S   = benefit per unit (:mod:`model.exchange`)
    investment per unit   i   = I / (A V)
    supplier's gain       g_s = o_s + beta (S - i - o_s - o_c)
    consumer's gain       g_c = S - i - g_s = o_c + (1 - beta) (S - i - o_s - o_c)

the generalised Nash bargaining solution (Nash 1950, Econometrica 18:155; Binmore, Rubinstein &
Wolinsky 1986, RAND J. Econ. 17:176) with the supplier's bargaining power ``beta`` and the
outside options ``o_s``, ``o_c``: what each side would gain per unit without this link. A side
whose running contracts for the material already take all it emits (or cover all it can use)
would move the unit to its best other contract, so its outside option is that contract's gain
per unit; otherwise the marginal unit would be disposed of (or the virgin input bought) and its
outside option is 0. They sign only if both gains are positive, so that each side's expected net present
value over the link's life, ``A V g``, beats its outside option; negotiation fails otherwise. With ``fixed_share``
the outside options count as zero. With ``decision: payback`` the investment must also pay back
within the limit: ``I / (S V) <= payback_limit_years``.

The supplier's gain is paid through the price, ``price = g_s - d`` (``d``: the supplier's disposal
cost avoided per unit), so a negative price is a gate fee the supplier pays the consumer.
"""

from __future__ import annotations

import numpy as np

from ..config import Discovery, LinkEconomics
from ..network import CandidateLinks
from .production import RecipeTables, Slots

DAYS_PER_YEAR = 365.0


def annuity_factor(rate_per_year: float, years: float) -> float:
    """Present value of 1 per year for ``years`` years at ``rate_per_year`` (paid yearly in arrears)."""
    if rate_per_year == 0:
        return years
    return (1.0 - (1.0 + rate_per_year) ** -years) / rate_per_year


def expected_annuity(rate_per_year: float, contract_years: float, life_years: float,
                     renewal_probability: float) -> float:
    """Expected present value of 1 per year over an asset's life, made of contracts of
    ``contract_years`` each renewed with ``renewal_probability`` (``A`` of the module docstring)."""
    step = (1.0 + rate_per_year) ** -contract_years
    total, weight, start = 0.0, 1.0, 0.0
    while start < life_years - 1e-9 and weight > 1e-12:
        total += weight * annuity_factor(rate_per_year, min(contract_years, life_years - start))
        weight *= renewal_probability * step
        start += contract_years
    return total


def link_investment(links: CandidateLinks, spec: LinkEconomics) -> tuple[np.ndarray, np.ndarray]:
    """Investment (currency) and lead time (days) of every candidate link."""
    investment = np.where(links.pipeline, spec.pipeline_fixed_cost + spec.pipeline_cost_per_km * links.distance_km,
                          spec.truck_link_setup_cost)
    lead = np.where(links.pipeline, spec.pipeline_lead_days, spec.truck_link_lead_days)
    return investment.astype(float), lead.astype(float)


def link_annuity(links: CandidateLinks, spec: LinkEconomics, discovery: Discovery) -> np.ndarray:
    """Expected annuity factor ``A`` (years) of every candidate link, by its mode's asset life."""
    contract_years = discovery.contract_days / DAYS_PER_YEAR
    pipe, truck = (expected_annuity(spec.discount_rate_per_year, contract_years, life, discovery.renewal_probability)
                   for life in (spec.pipeline_life_years, spec.truck_link_life_years))
    return np.where(links.pipeline, pipe, truck).astype(float)


def nash_split(surplus: float, investment_per_unit: float, outside_supplier: float, outside_consumer: float,
               power: float) -> tuple[float, float]:
    """Per-unit gains (supplier, consumer) of the generalised Nash bargaining solution (module docstring)."""
    net = surplus - investment_per_unit
    supplier = outside_supplier + power * (net - outside_supplier - outside_consumer)
    return supplier, net - supplier


def expected_volume_per_year(links: CandidateLinks, slots: Slots, recipes: RecipeTables, nominal_output: np.ndarray,
                             supplier_slot: np.ndarray, consumer_slot: np.ndarray, point: np.ndarray,
                             out_entry: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per link and year (material units): what its supplier emits, what its consumer can use,
    and the volume the link would carry if it alone served its two ends.

    Emitted: at the supplier's nominal output (all members' output, for the IKM centre's pooled
    store). Usable: the consumer's need of the material, or the share of an input it may replace
    times the substitution ratio. Volume: the smaller of the two, at most the link's capacity.
    """
    r = recipes
    n_sources = r.n_slots + len(slots.point_firm)
    emitted = r.out_per_unit * nominal_output[r.out_firm]
    supply_slot = np.bincount(r.out_slot[r.out_slot >= 0], emitted[r.out_slot >= 0], r.n_slots).astype(float)
    need = r.in_per_unit * nominal_output[r.in_firm]
    sourced = r.in_source >= 0
    demand = np.bincount(r.in_source[sourced], need[sourced], n_sources).astype(float)
    demand += np.bincount(r.sub_source, r.sub_share * need[r.sub_input] * r.sub_ratio, n_sources)
    supply = np.where(links.pipeline, _take(emitted, out_entry), _take(supply_slot, supplier_slot))
    usable = _take(demand, np.where(links.pipeline, r.n_slots + point, consumer_slot))
    per_day = np.minimum(np.minimum(supply, usable), links.capacity_per_day)
    return supply * DAYS_PER_YEAR, usable * DAYS_PER_YEAR, per_day * DAYS_PER_YEAR


def _take(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``values[index]``, 0 where ``index`` is -1 (no such entry)."""
    padded = np.append(values, 0.0)
    return padded[np.where(index >= 0, index, len(values))]
