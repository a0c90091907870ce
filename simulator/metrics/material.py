"""Resource-efficiency, network and logistics indicators of one run.

Daily series count from the end of the warm-up; per-firm totals (MCI, connectance) cover the
whole run. Masses add only materials measured in tonnes or with a declared mass per unit; water
(m3) and energy (MWh) are reported on their own. Definitions: :mod:`simulator.metrics.registry`.
"""

from __future__ import annotations

import numpy as np

from ..results import RunResult
from ..storage import row_blocks, select_rows
from .mci import flow_weighted_mci, material_circularity_indicator

HOURS_PER_DAY = 24.0


def _mass(result: RunResult, series: str) -> float:
    """Tonnes of a daily (day, material) series after the warm-up."""
    return float(result.after_warmup(result.daily[series]).sum(axis=0) @ result.materials.mass_t)


def shipped_after_warmup(result: RunResult, *fields: str) -> list[np.ndarray]:
    """Columns ``fields`` of the shipments that arrived after the warm-up, as compact arrays read
    block by block (a streamed run's shipments are never read whole at once)."""
    ship = result.shipments
    return select_rows(lambda arrival, *_: arrival >= result.warmup_days, ship["arrival_day"],
                       *(ship[name] for name in fields))[1:]


def material_metrics(result: RunResult) -> dict[str, float]:
    """By-product fate, virgin material, circularity, CO2e and water indicators."""
    mats = result.materials
    virgin = np.array([c == "virgin" for c in mats.categories])
    window = lambda name: result.after_warmup(result.daily[name]).sum(axis=0)  # noqa: E731
    generated, exchanged, disposed = _mass(result, "generated"), _mass(result, "exchanged"), _mass(result, "disposed")
    secondary = _mass(result, "secondary_used")
    purchased_virgin = float(window("virgin_purchased") @ (mats.mass_t * virgin))
    bought_outside = float(window("virgin_purchased") @ mats.mass_t)   # virgin materials and products
    energy = _mass(result, "energy_recovered")
    circular_use = secondary - energy
    avoided = window("virgin_avoided")
    link, = shipped_after_warmup(result, "link")
    transport_co2e = float((2.0 * result.links.distance_km[link] * result.link_co2e_kg_per_km[link]).sum()) / 1000

    co2e_avoided = float(avoided @ mats.co2e_t_per_unit + window("exchanged") @ mats.disposal_co2e_t_per_unit
                         - transport_co2e)
    water = np.array([u == "m3" for u in mats.units])
    return {
        "byproducts_generated_t": generated,
        "byproducts_exchanged_t": exchanged,
        "byproducts_disposed_t": disposed,
        "byproducts_stockpiled_t": float(result.daily["stock"][-1] @ mats.mass_t),
        "landfill_diversion_rate": _share(exchanged, exchanged + disposed),
        "byproduct_utilisation_rate": _share(secondary, generated),
        "virgin_material_purchased_t": purchased_virgin,
        "virgin_material_avoided_t": float(avoided @ mats.mass_t),
        "circular_material_use_rate": _share(circular_use, bought_outside + circular_use),
        "energy_recovered_t": energy,
        "co2e_avoided_t": co2e_avoided,
        "transport_co2e_t": float(transport_co2e),
        "water_reused_m3": float(window("exchanged") @ water),
        "material_circularity_indicator": park_mci(result),
        "mass_balance_residual": max(b["max_relative"] for b in result.mass_balance.values()),
    }


def firm_circularity(result: RunResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per firm over the whole run: feedstock mass M (t), recycled input share F_R, collected share C_R.

    The Ellen MacArthur Foundation's MCI, applied to a firm's material throughput (see
    docs/metrics.md for the full mapping):

    * M = mass of all material inputs the firm consumed (its feedstock);
    * F_R = secondary materials (by-products, utilities from other firms) in M / M;
    * C_R = mass collected for recycling or reuse / M: by-products it sent to other firms
      (truck or pipe) plus its product mass x the product's ``eol_collection_rate``.

    Everything else of M is the unrecoverable waste W0 = M (1 - C_R): products after use (when
    not collected), by-products disposed, vented, spoiled or left in storage, and process losses.
    """
    mats, totals = result.materials, result.totals
    secondary = np.array([c in ("byproduct", "utility") for c in mats.categories])
    consumed = totals["consumed"] * mats.mass_t
    mass_in = consumed.sum(axis=1)
    recycled_in = (consumed * secondary).sum(axis=1)
    shipped = (totals["shipped"] * mats.mass_t * secondary).sum(axis=1)
    collected_products = (totals["sold"] * mats.mass_t * mats.eol_collection_rate).sum(axis=1)
    collected = shipped + collected_products
    f_r = np.divide(recycled_in, mass_in, out=np.zeros_like(mass_in), where=mass_in > 0)
    c_r = np.divide(collected, mass_in, out=np.zeros_like(mass_in), where=mass_in > 0)
    return mass_in, np.clip(f_r, 0.0, 1.0), np.clip(c_r, 0.0, 1.0)


def park_mci(result: RunResult) -> float:
    """Feedstock-mass-weighted Material Circularity Indicator of the park's firms: each firm's
    MCI with V = M (1 - F_R), W0 = M (1 - C_R), recycling efficiencies E_F = E_C = 1 (so
    W_F = W_C = 0) and utility X = 1, F(X) = 0.9 / X (:func:`firm_circularity`)."""
    mass, f_r, c_r = firm_circularity(result)
    firms = np.flatnonzero(mass > 0)
    if not len(firms):
        return 0.0
    values = [material_circularity_indicator(mass[i], f_r[i], 0.0, c_r[i], 0.0) for i in firms]
    return float(flow_weighted_mci(values, mass[firms]))


def network_metrics(result: RunResult) -> dict[str, float]:
    """Discovery, contracts, connectance and truck logistics."""
    links, n = result.links, len(result.firms.ids)
    found = links.found_day[np.isfinite(links.found_day) & (links.found_day < result.horizon_days)]
    # time to discovery of the links that must be found (existing ties are known from the start),
    # censored at the horizon: links not found count as found on the last day
    searched = np.isnan(links.known_from_day)
    waits = np.minimum(links.found_day[searched], result.horizon_days)
    events = result.link_events
    _, started = select_rows(lambda event, _: event == "contract_start", events["event"], events["link"])
    contracted = np.unique(started)
    moved = links.quantity > 0
    pairs = {tuple(sorted(p)) for p in zip(links.supplier[moved].tolist(), links.consumer[moved].tolist())}
    horizon = result.horizon_days
    explored = searched & (links.found_day < horizon)
    operating = explored & ~np.isnan(links.first_delivery_day)
    negotiations = failed = 0
    for event, in row_blocks(events["event"]):
        negotiations += int(np.count_nonzero(np.isin(event, ("signed", "no_deal", "renewed"))))
        failed += int(np.count_nonzero(event == "no_deal"))
    wait, = shipped_after_warmup(result, "wait_days")
    return {
        "link_operation_share": _share(int(operating.sum()), int(explored.sum())),
        "operating_link_distance_km": _mean(links.distance_km[operating]),
        "discovery_to_delivery_days": _mean(links.first_delivery_day[operating] - links.found_day[operating]),
        "negotiation_failure_share": _share(failed, negotiations),
        "link_investment": float(links.investment.sum()),
        "platform_members": float(result.platform_members()[-1]) if horizon else 0.0,
        "links_candidate": float(len(links)),
        "links_found": float(len(found)),
        "links_contracted": float(len(contracted)),
        "median_discovery_day": float(np.median(waits)) if len(waits) else float("nan"),
        "connectance": _share(len(pairs), n * (n - 1) / 2),
        "truck_trips": float(len(wait)),
        "truck_wait_hours_mean": float(wait.mean() * HOURS_PER_DAY) if len(wait) else 0.0,
        "truck_utilisation": float(result.trucks_busy[-1] / (result.fleet_trucks * horizon)),
    }


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else 0.0


def _share(part: float, whole: float) -> float:
    return float(part / whole) if whole > 0 else 0.0
