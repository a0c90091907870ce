"""Result assembly: check the mass balance of a finished run and build its :class:`RunResult`."""

from __future__ import annotations

import numpy as np

from ..config import Scenario
from ..errors import SimulationError
from ..network import ParkNetwork
from ..vocabulary import readable
from ..results import FirmInfo, LinkInfo, MaterialInfo, RegionInfo, RunResult
from .recorder import DAILY_MATERIAL_SERIES, period_days

MASS_BALANCE_TOLERANCE = 1e-9
"""Largest relative residual of any balance before a run is stopped as wrong."""


def assemble_result(scenario: Scenario, seed: int, replication: int | None, network: ParkNetwork, firms,
                    product_material: np.ndarray, recorder, bank, market, booking, fleets,
                    sim_events: int) -> RunResult:
    """The RunResult of a finished run, after checking that every balance closes.

    Raises
    ------
    SimulationError
        If a mass balance residual exceeds :data:`MASS_BALANCE_TOLERANCE` (a bug in eipsim).
    """
    rec = recorder
    records = rec.finish()
    totals = rec.totals(bank)
    losses = rec.losses()
    balance = rec.mass_balance(totals, losses, np.array(rec.in_transit_now))
    worst = max(balance.values(), key=lambda b: b["max_relative"])
    if worst["max_relative"] > MASS_BALANCE_TOLERANCE:
        raise SimulationError(
            f"mass balance does not close (relative residual {worst['max_relative']:.3g} at {worst['at']}); "
            "this is a bug in eipsim, please report it with the scenario")
    sc, net = scenario, network
    specs = [f.spec for f in net.firms]
    mats = [sc.materials[m] for m in net.materials]
    links = net.links
    return RunResult(
        scenario_name=sc.name, seed=seed, replication=replication, currency=sc.currency,
        horizon_days=sc.run.horizon_days,
        warmup_days=sc.run.warmup_days,
        firms=FirmInfo(
            ids=tuple(firms.ids), kind=tuple(s.kind for s in specs), sector=tuple(s.sector for s in specs),
            entry=tuple(f.entry for f in net.firms),
            location_km=np.array([f.location_km for f in net.firms], dtype=float).reshape(-1, 2),
            product_material=product_material,
            employees=np.array([s.employees for s in specs], dtype=float),
            wage_per_year=np.array([s.wage_per_year for s in specs], dtype=float),
            local_staff_share=np.array([s.local_staff_share for s in specs], dtype=float),
            present_at_end=firms.active().copy(), present_at_start=firms.present_at_start.copy(),
            idle_at_end=firms.idle & firms.active(), open_days=records["open_days"]),
        region=RegionInfo(**sc.region.model_dump(include={
            "household_local_spending_share", "supplier_local_respend_share", "supplier_wage_share",
            "supplier_jobs_per_million", "government_local_respend_share"})),
        materials=MaterialInfo(
            ids=net.materials, labels=tuple(m.label or readable(mid) for m, mid in zip(mats, net.materials)),
            units=tuple(m.unit for m in mats), categories=tuple(m.category for m in mats),
            co2e_t_per_unit=np.array([m.co2e_t_per_unit for m in mats]),
            disposal_co2e_t_per_unit=np.array([m.disposal_co2e_t_per_unit for m in mats]),
            hazardous=np.array([m.hazardous for m in mats]), mass_t=np.array([m.mass_t for m in mats]),
            eol_collection_rate=np.array([m.eol_collection_rate for m in mats])),
        links=LinkInfo(
            supplier=links.supplier, consumer=links.consumer, material=links.material,
            pipeline=links.pipeline, distance_km=links.distance_km, found_day=market.lifecycle.found_day,
            known_from_day=links.known_from_day,
            quantity=rec.link_quantity, value=rec.link_value, benefit_per_unit=market.contracts.benefit,
            state=market.contracts.state.copy(), investment=market.contracts.invested.copy(),
            first_delivery_day=market.contracts.first_delivery.copy(),
            supplier_gain=market.contracts.realised_supplier.copy(),
            consumer_gain=market.contracts.realised_consumer.copy()),
        daily={name: records[name] for name in DAILY_MATERIAL_SERIES},
        output=records["output"], links_known=rec.links_known, links_active=rec.links_active,
        trucks_busy=rec.trucks_busy,
        slot_firm=rec.slot_firm, slot_material=rec.slot_material, slot_capacity=bank.capacity.copy(),
        slot_level=records["slot_level"],
        stock_days=records.get("stock_days", np.arange(sc.run.horizon_days)),
        slot_level_mean=records.get("slot_level_mean"), slot_level_max=records.get("slot_level_max"),
        shipments=records["shipments"], link_events=records["link_events"],
        firm_events=records["firm_events"], flows=records["flows"],
        shipment_period_days=period_days(sc.run.record.shipments, sc.run.ledger_period_days),
        pooled=rec.pooled_rows(), totals=totals,
        losses=losses, mass_balance=balance, ledger=booking.ledger.table(records),
        fleet_trucks=fleets.trucks(),
        link_co2e_kg_per_km=fleets.co2e_kg_per_km,
        value_disposal_avoided=rec.value_disposal_avoided, value_virgin_avoided=rec.value_virgin_avoided,
        sim_events=sim_events,
        platform_joined_day=(market.lifecycle.members.joined_day.copy() if market.lifecycle.members is not None
                             else None))
