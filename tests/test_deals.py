"""Exchange economics on hand-checkable parks: investment, lead time, NPV, Nash bargaining, trip costs."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import compute_metrics, load_scenario, run_scenario
from simulator.compose import compose
from simulator.model.deals import annuity_factor, expected_annuity, nash_split
from simulator.model.park import ParkModel

from helpers import SCENARIOS, chain_dict, deep_update, scenario

A_TRUCK = annuity_factor(0.10, 5.0)  # a 5-year set-up life, one-year contracts renewed for certain


def steam_dict(distance_km: float, **patch) -> dict:
    """A boiler 50 MWh/day of steam by pipe to a mill that can use 60 MWh/day instead of gas at 30/MWh.

    Surplus 30 per MWh (no disposal cost, free transport), 18,250 MWh a year. Weighed over one
    contract (a pipeline life of one year), a year at 10 % is worth 30 x 18,250 / 1.1 = 497,727.
    A pipeline costs 100,000 + 50,000 per km, so it breaks even at (497,727 - 100,000) / 50,000
    = 7.95 km.
    """
    base = {
        "name": "steam", "currency": "USD",
        "run": {"horizon_days": 120, "seed": 3, "ledger_period_days": 30},
        "discovery": {"base_rate_per_year": 1e5, "negotiation_days": 0, "contract_days": 365},
        "link_economics": {"pipeline_fixed_cost": 1e5, "pipeline_cost_per_km": 5e4, "pipeline_lead_days": 10,
                           "discount_rate_per_year": 0.10, "pipeline_life_years": 1},
        "materials": {
            "fuel": {"category": "virgin", "price_per_unit": 1},
            "pulp": {"category": "virgin", "price_per_unit": 100},
            "gas": {"unit": "mwh", "category": "virgin", "price_per_unit": 30},
            "steam": {"unit": "mwh", "category": "utility"},
            "power": {"unit": "mwh", "category": "product", "price_per_unit": 50},
            "paper": {"category": "product", "price_per_unit": 500},
        },
        "firms": {
            "boiler": {"location_km": [0, 0], "product": {"material": "power", "capacity_per_day": 100},
                       "inputs": {"fuel": 1.0}, "outputs": {"steam": 0.5, "loss": 1.0}},
            "mill": {"location_km": [distance_km, 0], "product": {"material": "paper", "capacity_per_day": 40},
                     "inputs": {"pulp": 1.0, "gas": {"per_unit": 1.5, "substitutes": {"steam": {"ratio": 1.0, "max_share": 1.0}}}}},
        },
        "network": {"road_factor": 1.0, "max_distance_km": 50},
    }
    return deep_update(base, patch)


def test_annuity_and_nash_split_by_hand():
    assert annuity_factor(0.0, 3.0) == 3.0
    assert annuity_factor(0.10, 2.0) == pytest.approx(1 / 1.1 + 1 / 1.21)
    # surplus 10, investment 1 per unit, outside options 2 and 1, power 0.5: 2 + (10 - 1 - 3) / 2 = 5
    assert nash_split(10.0, 1.0, 2.0, 1.0, 0.5) == pytest.approx((5.0, 4.0))
    assert nash_split(10.0, 0.0, 0.0, 0.0, 0.3) == pytest.approx((3.0, 7.0))


def test_expected_annuity_over_an_assets_life_by_hand():
    assert expected_annuity(0.10, 1.0, 1.0, 0.8) == pytest.approx(1 / 1.1)         # one contract
    assert expected_annuity(0.10, 1.0, 0.5, 0.8) == pytest.approx(annuity_factor(0.10, 0.5))  # life < contract
    assert expected_annuity(0.0, 1.0, 30.0, 1.0) == pytest.approx(30.0)            # certain renewals, no discount
    assert expected_annuity(0.10, 1.0, 30.0, 0.0) == pytest.approx(1 / 1.1)        # never renewed
    # two-year contracts over five years, renewed with 0.5: a(2) + 0.5/1.21 a(2) + 0.25/1.4641 a(1)
    a2 = 1 / 1.1 + 1 / 1.21
    assert expected_annuity(0.10, 2.0, 5.0, 0.5) == pytest.approx(a2 + 0.5 / 1.21 * a2 + 0.25 / 1.4641 / 1.1)


@pytest.mark.parametrize("life, built", [(1, False), (30, True)])
def test_a_pipeline_is_weighed_over_its_life_with_renewals(life, built):
    # 20 km costs 1.1 million: more than one contract's 497,727, less than 30 years of yearly
    # contracts each renewed with 0.8: 547,500 x sum_k (0.8 / 1.1)^k / 1.1 (k < 30) = 1,824,871
    years = sum((0.8 / 1.1) ** k for k in range(30)) / 1.1
    assert 30 * 18250 * years == pytest.approx(1_824_871, abs=1)
    data = steam_dict(20.0, link_economics={"pipeline_life_years": life}, discovery={"renewal_probability": 0.8})
    result = run_scenario(scenario(data))
    assert bool(result.links.quantity.sum() > 0) is built


@pytest.mark.parametrize("distance, built", [(7.0, True), (9.0, False)])
def test_pipeline_is_built_only_within_its_break_even_distance(distance, built):
    result = run_scenario(scenario(steam_dict(distance)))
    events = set(result.link_events["event"].tolist())
    assert ("signed" in events) is built
    assert ("no_deal" in events) is not built
    assert bool(result.links.quantity.sum() > 0) is built
    assert result.links.investment.sum() == pytest.approx(1e5 + 5e4 * distance if built else 0.0)
    if built:  # nothing flows before the pipe is finished: found on day ~0, built in 10 days
        assert result.links.first_delivery_day[0] == pytest.approx(11.0, abs=1.0)
        assert result.links.consumer_gain[0] < result.links.quantity[0] * 30  # paid for the pipe


@pytest.mark.parametrize("life", [1, 30])
def test_renewals_keep_the_investment_charge_during_the_assets_life(life):
    # a 7 km pipe (450,000) pays within one contract; signed on day ~0, renewed for certain on days
    # ~375 and ~740: within a 30-year life the renewed price still recovers 450,000 / (a(30) x
    # 18,250) per MWh, after a one-year life nothing
    data = steam_dict(7.0, run={"horizon_days": 800}, link_economics={"pipeline_life_years": life},
                      discovery={"renewal_probability": 1.0})
    model = ParkModel(compose(scenario(data)), 1)
    result = model.run()
    assert list(result.link_events["event"]).count("renewed") == 2
    expected = (1e5 + 5e4 * 7) / (annuity_factor(0.10, 30.0) * 18250) if life == 30 else 0.0
    assert model.market.contracts.invest_per_unit[0] == pytest.approx(expected)


def test_pipeline_length_has_no_fixed_cap():
    # the old 3 km constant is gone: a 7 km pipe is a candidate and, when it pays, it is built
    result = run_scenario(scenario(steam_dict(7.0)))
    assert len(result.links) == 1 and result.links.pipeline[0]


def chain_deal(**patch) -> dict:
    """The two-firm ash chain with a set-up cost, a fixed cost per trip and a bargaining power of 0.3.

    Transport per t: (10 per trip + 2 x 2 km x 1 per km) / 20 t = 0.7; surplus per t:
    20 (sand) + 15 (disposal) - 0.7 = 34.3. Volume 20 t/day x 365 = 7,300 t a year; a set-up of
    1,000 recovered over its 5-year life of yearly contracts renewed for certain, at 10 %:
    1,000 / (a(5) x 7,300) per t.
    """
    return chain_dict(park={"truck_fleet": {"cost_per_trip": 10.0}}, discovery={"supplier_surplus_share": 0.3},
                      link_economics={"truck_link_setup_cost": 1000.0, "truck_link_lead_days": 0},
                      network={"known_from_day": None}, **patch)


def test_nash_split_of_a_new_link_equals_the_hand_computed_one():
    data = chain_deal(exchanges=[{"supplier": "kiln", "consumer": "blocks", "material": "ash"}])
    data["network"]["generate"] = False
    data["discovery"].update(base_rate_per_year=1e5, negotiation_days=0)
    model = ParkModel(compose(scenario(data)), 1)
    result = model.run()
    c = model.market.contracts
    surplus = 20 + 15 - (10 + 4) / 20
    per_unit = 1000 / (A_TRUCK * 7300)
    supplier = 0.3 * (surplus - per_unit)
    assert c.benefit[0] == pytest.approx(surplus)
    assert c.gain_supplier[0] == pytest.approx(supplier)
    assert c.gain_consumer[0] == pytest.approx(0.7 * (surplus - per_unit))
    assert c.price[0] == pytest.approx(supplier - 15)
    # realised gains: the supplier's per delivered t; the consumer's net of trips and the set-up
    q = result.links.quantity[0]
    assert result.links.supplier_gain[0] == pytest.approx(q * supplier)
    trips = result.shipments["transport_cost"].sum()
    assert result.links.consumer_gain[0] == pytest.approx(q * (20 - (supplier - 15)) - trips - 1000)


def test_outside_option_raises_the_suppliers_share():
    # The kiln already sells all its ash to `blocks` (an existing tie, built); a second, nearer
    # consumer found on day 10 must beat that contract: the kiln's outside option is its gain there.
    data = chain_deal(
        firms={"blocks2": {"kind": "sme", "location_km": [1, 0], "product": {"material": "blocks", "capacity_per_day": 50},
                           "inputs": {"sand": {"per_unit": 1.0, "substitutes": {"ash": {"ratio": 1.0, "max_share": 1.0}}}},
                           "storage": {"ash": 100}}},
        exchanges=[{"supplier": "kiln", "consumer": "blocks", "material": "ash", "known_from_day": 0},
                   {"supplier": "kiln", "consumer": "blocks2", "material": "ash", "known_from_day": 10}])
    data["network"]["generate"] = False
    model = ParkModel(compose(scenario(data)), 1)
    model.run()
    c = model.market.contracts
    first = 0.3 * (20 + 15 - (10 + 4) / 20)            # no investment: an existing tie is built
    second_surplus = 20 + 15 - (10 + 2) / 20
    assert c.outside[1, 0] == pytest.approx(first)
    assert c.gain_supplier[1] == pytest.approx(first + 0.3 * (second_surplus - first))
    assert c.gain_supplier[1] > 0.3 * second_surplus   # more than the fixed share would give


def test_fixed_share_ignores_outside_options():
    data = chain_deal(exchanges=[{"supplier": "kiln", "consumer": "blocks", "material": "ash", "known_from_day": 0}])
    data["network"]["generate"] = False
    data["link_economics"]["bargaining"] = "fixed_share"
    model = ParkModel(compose(scenario(data)), 1)
    model.run()
    assert model.market.contracts.gain_supplier[0] == pytest.approx(0.3 * (20 + 15 - 0.7))


def test_a_part_load_pays_the_whole_trip():
    # 15 t lots in 20 t trucks: each lot pays the fixed cost per trip, the km and the hours out
    data = chain_dict(firms={"kiln": {"outputs": {"ash": 0.15, "loss": 0.35}}},
                      park={"truck_fleet": {"min_load_share": 0.5, "cost_per_trip": 10.0, "cost_per_hour": 6.0}})
    result = run_scenario(scenario(data))
    hours = 2 * 2 / 40 + 1.0
    assert np.all(result.shipments["quantity"] == 15)
    assert result.shipments["transport_cost"] == pytest.approx(np.full(len(result.shipments), 10 + 4 + 6 * hours))


@pytest.fixture(scope="module")
def demo_by_setup_cost():
    base, _ = load_scenario(SCENARIOS / "demo.yaml")
    runs = {}
    for cost in (0.0, 2e8, 2e9):
        sc = base.model_copy(update={"link_economics": base.link_economics.model_copy(
            update={"truck_link_setup_cost": cost, "pipeline_fixed_cost": cost})})
        runs[cost] = run_scenario(sc, seed=5)
    return runs


def test_negotiation_fails_more_often_as_links_cost_more(demo_by_setup_cost):
    metrics = [compute_metrics(r) for _, r in sorted(demo_by_setup_cost.items())]
    failure = [m["negotiation_failure_share"] for m in metrics]
    operating = [m["link_operation_share"] for m in metrics]
    assert failure == sorted(failure) and failure[-1] > failure[0]
    assert operating == sorted(operating, reverse=True) and operating[-1] < operating[0]


def test_mass_balance_closes_and_runs_repeat_with_link_costs(demo_by_setup_cost):
    base, _ = load_scenario(SCENARIOS / "demo.yaml")
    sc = base.model_copy(update={"link_economics": base.link_economics.model_copy(
        update={"truck_link_setup_cost": 2e8, "pipeline_fixed_cost": 2e8})})
    again = run_scenario(sc, seed=5)
    first = demo_by_setup_cost[2e8]
    assert compute_metrics(first)["mass_balance_residual"] < 1e-9
    for name in ("quantity", "investment", "supplier_gain", "consumer_gain", "first_delivery_day"):
        np.testing.assert_array_equal(getattr(first.links, name), getattr(again.links, name))
