"""Behaviour of the park model: hand-computed cases, invariants, determinism, direction of effects."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import SCENARIOS, chain_dict, scenario

from simulator.model.ledger import CATEGORIES
from simulator.metrics import compute_metrics
from simulator.model.park import run_scenario
from simulator.validation import load_scenario


@pytest.fixture(scope="module")
def demo():
    sc, _ = load_scenario(SCENARIOS / "demo.yaml")
    return sc, run_scenario(sc)


def exchanged_t(result) -> float:
    return float(result.daily["exchanged"].sum(axis=0) @ result.materials.mass_t)


# --------------------------------------------------------------------------- hand-computed cases


def test_two_firm_chain_exchanges_every_days_ash():
    result = run_scenario(scenario(chain_dict()))
    ash = result.materials.ids.index("ash")
    # 100 units/day x 0.2 t/unit = 20 t/day = one full truckload, shipped and delivered the same day.
    assert result.daily["exchanged"][:, ash].sum() == pytest.approx(20 * 365)
    assert result.daily["disposed"][:, ash].sum() == pytest.approx(0.0)
    # A lot delivered on day d is used on day d + 1: 364 days of use replace 20 t of sand each.
    sand = result.materials.ids.index("sand")
    assert result.daily["virgin_avoided"][:, sand].sum() == pytest.approx(20 * 364)
    assert result.daily["virgin_purchased"][:, sand].sum() == pytest.approx(50 * 365 - 20 * 364)
    assert len(result.shipments) == 365


def test_full_loads_only_ship_multiples_of_a_truckload():
    # 15 t/day with 20 t trucks and full loads only: what leaves is the largest multiple of 20
    # below the 5,475 t generated; the rest waits in storage.
    result = run_scenario(scenario(chain_dict(firms={"kiln": {"outputs": {"ash": 0.15, "loss": 0.35}}})))
    ash = result.materials.ids.index("ash")
    assert result.daily["exchanged"][:, ash].sum() == pytest.approx(20 * (5475 // 20))
    kiln_store = np.flatnonzero(result.slot_firm == 0)[0]
    assert result.slot_level[-1, kiln_store] == pytest.approx(5475 - 20 * (5475 // 20))
    assert np.all(result.shipments["quantity"] == 20)


def test_partial_loads_allowed_by_min_load_share():
    # Half-truck lots allowed: 15 t leaves every day.
    data = chain_dict(firms={"kiln": {"outputs": {"ash": 0.15, "loss": 0.35}}},
                      park={"truck_fleet": {"min_load_share": 0.5}})
    result = run_scenario(scenario(data))
    ash = result.materials.ids.index("ash")
    assert result.daily["exchanged"][:, ash].sum() == pytest.approx(15 * 365)


def test_no_candidate_links_means_everything_disposed():
    data = chain_dict(network={"generate": False})
    result = run_scenario(scenario(data))
    assert len(result.links) == 0
    assert exchanged_t(result) == 0.0
    ash = result.materials.ids.index("ash")
    assert result.daily["disposed"][:, ash].sum() == pytest.approx(result.daily["generated"][:, ash].sum())


# --------------------------------------------------------------------------- invariants


def test_demo_mass_balance_closes(demo):
    _, result = demo
    for kind, balance in result.mass_balance.items():
        assert balance["max_relative"] < 1e-9, kind
    totals = result.totals
    # Independent check from the park's boundary: what came in = what left + losses + stock + in transit.
    mass = result.materials.mass_t
    inflow = totals["purchased"].sum(axis=0) @ mass
    outflow = ((totals["sold"] + totals["disposed"] + totals["stock_end"]).sum(axis=0) @ mass
               + result.losses[:, 0].sum() + result.daily["in_transit"][-1] @ mass)
    assert outflow == pytest.approx(inflow, rel=1e-9)


def test_demo_byproduct_fates_add_up(demo):
    _, result = demo
    t = result.totals
    byproducts = np.array([c in ("byproduct", "utility") for c in result.materials.categories])
    generated = (t["produced"] * byproducts).sum()
    fates = ((t["shipped"] + t["disposed"] + t["stock_end"] - t["received"] + t["consumed"]) * byproducts).sum()
    assert fates == pytest.approx(generated, rel=1e-9)


def test_demo_stocks_within_bounds_and_finite(demo):
    _, result = demo
    assert np.all(result.slot_level >= -1e-9)
    assert np.all(result.slot_level <= result.slot_capacity * (1 + 1e-9) + 1e-9)
    for name, series in result.daily.items():
        assert np.all(np.isfinite(series)), name
        assert np.all(series >= -1e-9), name


def test_demo_rates_are_shares(demo):
    _, result = demo
    values = compute_metrics(result)
    for name in ("landfill_diversion_rate", "byproduct_utilisation_rate", "circular_material_use_rate",
                 "material_circularity_indicator", "connectance", "truck_utilisation"):
        assert 0.0 <= values[name] <= 1.0, name


def test_hazardous_waste_never_reaches_unlicensed_firms(demo):
    _, result = demo
    dust = result.materials.ids.index("eaf_dust")
    assert not np.any(result.links.material == dust)
    assert result.daily["exchanged"][:, dust].sum() == 0.0


def test_hazardous_waste_reaches_a_licensed_firm():
    data = chain_dict(materials={"ash": {"hazardous": True}})
    assert exchanged_t(run_scenario(scenario(data))) == 0.0
    data = chain_dict(materials={"ash": {"hazardous": True}}, firms={"blocks": {"b3_licence": True}})
    assert exchanged_t(run_scenario(scenario(data))) > 0.0


def test_non_storable_utility_is_used_as_produced(demo):
    _, result = demo
    steam = result.materials.ids.index("steam")
    assert not np.any(result.slot_material == steam)
    delivered = result.daily["exchanged"][:, steam].sum()
    assert delivered > 0
    assert delivered + result.daily["disposed"][:, steam].sum() == pytest.approx(
        result.daily["generated"][:, steam].sum())


def test_storage_overflow_is_disposed():
    # The block maker can take 50 t/day but its store holds 20 t and the kiln's store 40 t; with a
    # single truck a day capacity (min lot 20 t, one trip/day), 15 t/day more than a truck can carry goes to disposal.
    data = chain_dict(firms={"kiln": {"product": {"capacity_per_day": 175}, "storage": {"ash": 40}}},
                      park={"truck_fleet": {"trucks": 1, "speed_km_per_h": 0.2}})
    result = run_scenario(scenario(data))
    ash = result.materials.ids.index("ash")
    assert result.daily["disposed"][:, ash].sum() > 0
    assert np.all(result.slot_level <= result.slot_capacity + 1e-9)


def test_shelf_life_caps_stock():
    data = chain_dict(materials={"ash": {"shelf_life_days": 2}}, network={"known_from_day": 400},
                      exchanges=[{"supplier": "kiln", "consumer": "blocks", "material": "ash",
                                  "known_from_day": 0}],
                      park={"truck_fleet": {"trucks": 1, "speed_km_per_h": 0.5}})
    result = run_scenario(scenario(data))
    kiln_ash = np.flatnonzero(result.slot_firm == 0)[0]
    assert result.slot_level[:, kiln_ash].max() <= 2 * 20 + 1e-9


# --------------------------------------------------------------------------- determinism


def breakdown_times(result, firm: str) -> list[tuple[float, str]]:
    index = result.firms.ids.index(firm)
    return [(float(e["time_days"]), str(e["event"])) for e in result.firm_events if e["firm"] == index]


def test_breakdowns_stop_production_for_the_repair_time():
    data = chain_dict(run={"horizon_days": 3650})
    data["firms"]["kiln"]["breakdowns"] = {"mtbf_days": 40, "mttr_days": 5}
    result = run_scenario(scenario(data))
    events = breakdown_times(result, "kiln")
    kinds = [kind for _, kind in events]
    assert len(events) > 100
    assert kinds[::2] == ["breakdown"] * len(kinds[::2]) and kinds[1::2] == ["repaired"] * len(kinds[1::2])
    times = [t for t, _ in events]
    assert times == sorted(times)
    # a day that starts broken produces nothing
    kiln = result.firms.ids.index("kiln")
    broken_days = [day for day in range(3650)
                   if sum(1 for t, _ in events if t <= day) % 2 == 1]
    assert result.output[broken_days, kiln].max() == 0.0
    # long-run share of time broken: MTTR / (MTBF + MTTR) = 5 / 45 = 11 %
    assert len(broken_days) / 3650 == pytest.approx(5 / 45, abs=0.03)


def test_each_firm_breaks_down_on_its_own_stream():
    data = chain_dict()
    data["firms"]["kiln"]["breakdowns"] = {"mtbf_days": 30, "mttr_days": 3}
    alone = breakdown_times(run_scenario(scenario(data)), "kiln")
    data["firms"]["blocks"]["breakdowns"] = {"mtbf_days": 20, "mttr_days": 2}
    together = run_scenario(scenario(data))
    # another firm becoming breakdown-prone does not move the kiln's failures
    assert breakdown_times(together, "kiln") == alone
    assert breakdown_times(together, "blocks")


def test_row_buffer_keeps_order_across_blocks_and_column_extends():
    from simulator.model.recorder import SHIPMENT_DTYPE, RowBuffer

    buffer = RowBuffer(SHIPMENT_DTYPE, block_rows=3)
    for k in range(5):
        buffer.append(k, k, k, k, k, k, k, k)
    buffer.extend({"link": np.array([5, 6]), "quantity": np.array([5.0, 6.0])})
    buffer.append(7, 7, 7, 7, 7, 7, 7, 7)
    rows = buffer.array()
    assert rows["link"].tolist() == list(range(8))
    assert rows["quantity"].tolist() == [float(k) for k in range(8)]
    assert rows["dispatch_day"][5:7].tolist() == [0.0, 0.0]


def test_same_seed_same_results(demo):
    sc, first = demo
    second = run_scenario(sc)
    assert compute_metrics(first) == compute_metrics(second)
    np.testing.assert_array_equal(first.slot_level, second.slot_level)
    np.testing.assert_array_equal(first.shipments, second.shipments)
    np.testing.assert_array_equal(first.ledger.amount, second.ledger.amount)


def test_different_seed_different_flows(demo):
    sc, first = demo
    other = run_scenario(sc, seed=7)
    assert not np.array_equal(first.output, other.output)
    assert exchanged_t(first) != exchanged_t(other)


# --------------------------------------------------------------------------- direction of effects


def _far_chain(**patch):
    """The chain with a 10 km haul at 2 USD/km: worth it only when disposal is dear enough."""
    base = chain_dict(firms={"blocks": {"location_km": [10, 0]}}, park={"truck_fleet": {"cost_per_km": 2.0}},
                      materials={"sand": {"price_per_unit": 1.0}})
    from helpers import deep_update
    return deep_update(base, patch)


def test_higher_landfill_fee_never_lowers_exchange():
    # transport = 2 x 10 km x 2 USD / 20 t = 2 USD/t; benefit = 1 (sand) + fee - 2
    quantities = [exchanged_t(run_scenario(scenario(_far_chain(materials={"ash": {"disposal_cost_per_unit": fee}}))))
                  for fee in (0.0, 0.5, 1.5, 5.0, 50.0)]
    assert quantities == sorted(quantities)
    assert quantities[0] == 0.0 and quantities[-1] > 0.0


def test_shorter_distance_never_lowers_exchange():
    quantities = [exchanged_t(run_scenario(scenario(_far_chain(
        materials={"ash": {"disposal_cost_per_unit": 0.2}}, firms={"blocks": {"location_km": [d, 0]}}))))
        for d in (20.0, 10.0, 5.0, 1.0, 0.2)]
    assert quantities == sorted(quantities)
    assert quantities[0] == 0.0 and quantities[-1] > 0.0


def test_landfill_tax_event_starts_exchange_when_it_pays():
    data = _far_chain(materials={"ash": {"disposal_cost_per_unit": 0.0}},
                      events=[{"day": 100, "type": "landfill_tax", "per_t": 5.0}])
    result = run_scenario(scenario(data))
    ash = result.materials.ids.index("ash")
    assert result.daily["exchanged"][:100, ash].sum() == 0.0
    assert result.daily["exchanged"][100:, ash].sum() > 0.0


def test_firm_exit_stops_its_production():
    data = chain_dict(events=[{"day": 200, "type": "firm_exit", "firm": "kiln"}])
    result = run_scenario(scenario(data))
    assert np.all(result.output[200:, 0] == 0)
    assert np.all(result.output[:200, 0] > 0)


def test_firm_entry_starts_its_production():
    data = chain_dict(events=[{"day": 50, "type": "firm_entry", "firm": "blocks"}])
    result = run_scenario(scenario(data))
    assert np.all(result.output[:50, 1] == 0)
    assert np.all(result.output[50:, 1] > 0)


# --------------------------------------------------------------------------- the ledger


def _ledger_sum(result, category, payer=None, payee=None):
    led = result.ledger
    mask = led.category == CATEGORIES.index(category)
    if payer is not None:
        mask &= led.payer == led.parties.index(payer)
    if payee is not None:
        mask &= led.payee == led.parties.index(payee)
    return led.amount[mask].sum()


def test_ledger_matches_flows():
    result = run_scenario(scenario(chain_dict()))
    # product sales = quantity x price
    assert _ledger_sum(result, "product_sale", payee="kiln") == pytest.approx(result.output[:, 0].sum() * 100)
    # by-product sales = shipped quantity x contract price
    ship = result.shipments
    assert (_ledger_sum(result, "byproduct_sale", payer="blocks", payee="kiln")
            == pytest.approx((ship["quantity"] * ship["price_per_unit"]).sum()))
    # wages: 10 employees x 36,500 a year = 1,000 a day, half to local households
    assert _ledger_sum(result, "wage", payer="kiln", payee="region_households") == pytest.approx(365 * 500)
    # purchases: limestone bought x price, 40 % from regional suppliers
    assert _ledger_sum(result, "input_purchase", payer="kiln", payee="region_suppliers") == pytest.approx(
        0.4 * 1.5 * result.output[:, 0].sum() * 10)
    # transport: one 2 km trip (4 km driven) per shipment at 1 USD/km
    assert _ledger_sum(result, "transport") == pytest.approx(4.0 * len(ship))


def test_circular_material_use_rate_follows_eurostat():
    """Eurostat CMU = U / (DMC + U). The chain each day buys 150 t limestone, 30 t sand and 5 t of a
    bought product (binder) from outside (DMC = 185 t) and uses 20 t ash in place of sand (U = 20 t):
    CMU = 20 / 205. Products bought count in the denominator."""
    data = chain_dict(materials={"binder": {"category": "product", "price_per_unit": 10}},
                      firms={"blocks": {"inputs": {"binder": 0.1}, "outputs": {"loss": 0.1}}})
    values = compute_metrics(run_scenario(scenario(data)))
    # the first day's ash arrives the next day: 364 days of U over 365 days of DMC
    u, dmc = 20 * 364, 185 * 365 + 20
    assert values["circular_material_use_rate"] == pytest.approx(u / (dmc + u), rel=1e-3)
    assert values["energy_recovered_t"] == 0.0


def test_burning_a_byproduct_in_place_of_a_fuel_is_energy_recovery_not_circular_use():
    data = chain_dict(materials={"sand": {"fuel": True}})
    values = compute_metrics(run_scenario(scenario(data)))
    assert values["circular_material_use_rate"] == 0.0
    assert values["energy_recovered_t"] == pytest.approx(values["virgin_material_avoided_t"], rel=1e-9)
    assert values["energy_recovered_t"] > 0
