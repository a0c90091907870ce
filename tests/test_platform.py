"""Platform adoption on hand-checkable parks: who joins, at what fee, and what membership changes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator import compute_metrics, load_scenario, run_scenario
from simulator.compose import compose
from simulator.model.ledger import CATEGORIES
from simulator.model.park import ParkModel

from helpers import SCENARIOS, chain_dict, scenario

BLOCKS3 = {"kind": "sme", "location_km": [2, 1], "product": {"material": "blocks", "capacity_per_day": 50},
           "inputs": {"sand": {"per_unit": 1.0, "substitutes": {"ash": {"ratio": 1.0, "max_share": 1.0}}}},
           "storage": {"ash": 100}}


def platform_chain(fee: float | None, coverage: float = 1.0, **patch) -> dict:
    """The ash chain found by discovery (0.5 a year), handling 2 per t; the platform opens on day 0.

    Link kiln -> blocks: 20 t/day = 7,300 t a year, surplus per t at full handling
    20 + 15 - 4/20 - 2 = 32.8, saving between members 2 x (1 - 0.5) = 1 per t.
    """
    data = chain_dict(network={"known_from_day": None},
                      discovery={"base_rate_per_year": 0.5, "handling_cost_per_unit": 2.0}, **patch)
    if fee is not None:
        data["platform"] = {"opens_day": 0, "coverage": coverage, "discovery_multiplier": 10,
                            "handling_cost_factor": 0.5, "fee_per_year": fee, "review_days": 30,
                            "launch_expectation": 0.5}
    return data


def opening_benefit(data: dict) -> np.ndarray:
    model = ParkModel(compose(scenario(data)), 1)
    return model.market.lifecycle.members.expected_benefit()


def test_expected_benefit_equals_the_hand_computed_one():
    uplift = math.exp(-0.5) - math.exp(-5.0)
    # each side: its half of the gain, times 0.5 for a partner that is connected but not yet a member
    expected = 0.5 * 0.5 * 7300 * uplift * (32.8 + 1.0)
    assert opening_benefit(platform_chain(0.0)) == pytest.approx([expected, expected])


def test_no_members_when_the_fee_exceeds_every_expected_benefit():
    fee = float(opening_benefit(platform_chain(0.0)).max()) * 1.01
    with_platform = run_scenario(scenario(platform_chain(fee)))
    without = run_scenario(scenario(platform_chain(None)))
    assert with_platform.platform_members().max() == 0
    assert compute_metrics(with_platform)["platform_members"] == 0
    np.testing.assert_array_equal(with_platform.links.found_day, without.links.found_day)
    np.testing.assert_array_equal(with_platform.links.quantity, without.links.quantity)


def test_members_find_each_other_sooner_handle_for_less_and_pay_the_fee():
    fee = 1000.0
    model = ParkModel(compose(scenario(platform_chain(fee))), 1)
    result = model.run()
    without = run_scenario(scenario(platform_chain(None)))
    assert list(result.platform_joined_day) == [0.0, 0.0]
    assert result.links.found_day[0] < without.links.found_day[0]
    assert model.market.contracts.handling[0] == pytest.approx(1.0)
    joins = result.firm_events[result.firm_events["event"] == "platform_join"]
    assert len(joins) == 2
    fixed = result.ledger.category == CATEGORIES.index("fixed_cost")
    assert result.ledger.amount[fixed].sum() == pytest.approx(2 * fee * 365 / 365)


def test_platform_effects_act_only_between_members():
    # coverage 0.81: kiln and blocks can connect, blocks3 cannot (stable draws from their ids)
    data = platform_chain(0.0, coverage=0.81, firms={"blocks3": BLOCKS3})
    model = ParkModel(compose(scenario(data)), 1)
    result = model.run()
    without = run_scenario(scenario(platform_chain(None, firms={"blocks3": BLOCKS3})))
    ids = result.firms.ids
    member = ~np.isnan(result.platform_joined_day)
    assert member.tolist() == [fid != "blocks3" for fid in ids]
    to_blocks3 = [k for k in range(len(result.links)) if ids[result.links.consumer[k]] == "blocks3"]
    to_blocks = [k for k in range(len(result.links)) if ids[result.links.consumer[k]] == "blocks"]
    assert result.links.found_day[to_blocks3] == pytest.approx(without.links.found_day[to_blocks3])
    assert model.market.contracts.handling[to_blocks3] == pytest.approx(2.0)
    assert result.links.found_day[to_blocks][0] < without.links.found_day[to_blocks][0]
    assert model.market.contracts.handling[to_blocks] == pytest.approx(1.0)


@pytest.fixture(scope="module")
def demo_platform_by_fee():
    base, _ = load_scenario(SCENARIOS / "demo.yaml", variant="platform")
    return {fee: run_scenario(base.model_copy(update={"platform": base.platform.model_copy(
        update={"fee_per_year": fee})}), seed=2) for fee in (0.0, 3e7, 1e12)}


def test_a_higher_fee_never_brings_more_members(demo_platform_by_fee):
    members = [r.platform_members() for _, r in sorted(demo_platform_by_fee.items())]
    assert all(np.all(a >= b) for a, b in zip(members, members[1:]))
    assert members[0][-1] > 0 and members[-1][-1] == 0


def test_membership_grows_and_repeats_with_the_seed(demo_platform_by_fee):
    base, _ = load_scenario(SCENARIOS / "demo.yaml", variant="platform")
    again = run_scenario(base.model_copy(update={"platform": base.platform.model_copy(
        update={"fee_per_year": 3e7})}), seed=2)
    first = demo_platform_by_fee[3e7]
    np.testing.assert_array_equal(first.platform_joined_day, again.platform_joined_day)
    np.testing.assert_array_equal(first.links.quantity, again.links.quantity)
    assert np.all(np.diff(first.platform_members()) >= 0)
    assert compute_metrics(first)["mass_balance_residual"] < 1e-9


def test_discovery_chart_shows_members_on_a_right_axis():
    from simulator.plotting.discovery_chart import plot_discovery

    days = list(range(5))
    data = {"day": days, "links_known": [0, 1, 2, 2, 3], "links_active": [0, 0, 1, 1, 2], "links_candidate": 4,
            "platform_members": [0, 2, 2, 5, 5]}
    fig = plot_discovery({"arm": data}, {"scenario": "synthetic"})
    (right,) = [ax for ax in fig.axes if ax.get_ylabel() == "platform members (firms)"]
    (line,) = right.get_lines()
    assert list(line.get_ydata()[:-1]) == data["platform_members"] and line.get_linestyle() == "-."
    no_members = plot_discovery({"arm": {**data, "platform_members": [0] * 5}}, {"scenario": "synthetic"})
    assert not [ax for ax in no_members.axes if ax.get_ylabel() == "platform members (firms)"]
