"""Firms that decide (scenario `viability`): margins from booked money, idle, exit, entrants on
vacant plots, and jobs counted by activity. Small parks whose timings and margins are worked out
by hand in each test."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import chain_dict, scenario

from simulator.metrics import compute_metrics
from simulator.model.park import run_scenario

RULES = {"margin_window_days": 10, "margin_threshold": 0.0, "startup_grace_days": 0,
         "distress_days": 20, "idle_days": 15}


def losing_chain(rules: dict | None = None):
    """The kiln -> blocks chain with daily accounts, where the blocks SME cannot cover its costs.

    Blocks: 50 t/day at 60 USD/t from ash (free) or sand (20 USD/t): at most 3,000 USD/day of
    margin before fixed costs of 36.5 million USD/yr = 100,000 USD/day: a loss every day.
    """
    data = chain_dict(run={"horizon_days": 120, "seed": 1, "ledger_period_days": 1},
                      viability=dict(RULES, **(rules or {})))
    data["firms"]["blocks"].update(employees=4, wage_per_year=36500, fixed_cost_per_year=36.5e6)
    return data


def firm_events(result, firm: str) -> list[tuple[float, str]]:
    f = result.firms.ids.index(firm)
    rows = result.firm_events
    return [(float(t), str(e)) for t, i, e in zip(rows["time_days"], rows["firm"], rows["event"])
            if i == f and e not in ("breakdown", "repaired")]


@pytest.fixture(scope="module")
def losing():
    result = run_scenario(scenario(losing_chain()))
    return result, compute_metrics(result)


def test_a_firm_that_cannot_cover_its_costs_goes_idle_then_exits_after_the_set_periods(losing):
    result, values = losing
    # day 0's loss is reviewed at the start of day 1; distress counts from day 0: idle on day 20
    # (distress_days), exit 15 days later (idle_days)
    assert firm_events(result, "blocks") == [(20.0, "idle"), (35.0, "exit")]
    blocks = result.firms.ids.index("blocks")
    assert np.all(result.output[:20, blocks] > 0) and np.all(result.output[20:, blocks] == 0)
    assert firm_events(result, "kiln") == []   # an anchor is not a deciding kind by default
    assert values["firms_exited"] == 1 and values["firms_idle"] == 0
    assert values["sme_survival"] == 0.0


def test_exit_ends_contracts_and_stops_wages_when_idle(losing):
    result, _ = losing
    rows = result.events_table()
    ended = [(t, s) for t, k, s, e in zip(rows["time_days"], rows["kind"], rows["subject"], rows["event"])
             if k == "link" and e == "firm_exit"]
    assert ended == [(35.0, "kiln>blocks:ash")]
    led = result.ledger
    blocks = led.parties.index("blocks")
    wage = (led.payer == blocks) & (led.category == 5)   # CATEGORIES.index("wage")
    assert set(led.time_days[wage & (led.amount > 0)]) == set(float(d) for d in range(20))
    ash = result.materials.ids.index("ash")
    assert result.daily["disposed"][40:, ash].min() > 0 and result.daily["exchanged"][40:, ash].sum() == 0


def test_jobs_by_activity_count_only_days_worked(losing):
    result, values = losing
    # 4 employees who worked 20 of 120 open days; on plots at the end: none (it left)
    assert values["jobs_sme"] == pytest.approx(4 * 20 / 120)
    assert values["jobs_sme_on_plots"] == 0.0
    assert values["jobs_anchor"] == 10.0 and values["jobs_on_plots"] == 10.0   # the kiln works every day
    assert values["jobs_total"] == pytest.approx(10 + 4 * 20 / 120)


def test_mass_balance_closes_with_exits(losing):
    result, _ = losing
    assert max(b["max_relative"] for b in result.mass_balance.values()) < 1e-9


def test_a_firm_that_covers_its_costs_stays():
    data = losing_chain()
    data["firms"]["blocks"]["fixed_cost_per_year"] = 0.0
    result = run_scenario(scenario(data))
    assert firm_events(result, "blocks") == []
    assert compute_metrics(result)["sme_survival"] == 1.0


def test_losses_within_the_startup_grace_do_not_count():
    data = losing_chain({"startup_grace_days": 50})
    # first counted review on day 50; its window (days 40-49) is a loss: distress from day 49
    assert firm_events(run_scenario(scenario(data)), "blocks") == [(69.0, "idle"), (84.0, "exit")]


def test_without_viability_every_firm_stays():
    data = losing_chain()
    data.pop("viability")
    result = run_scenario(scenario(data))
    assert firm_events(result, "blocks") == []
    values = compute_metrics(result)
    assert values["jobs_sme_on_plots"] == 4.0 and values["jobs_sme"] == 4.0 and values["sme_survival"] == 1.0


# --------------------------------------------------------------------------- restart


def restart_park(kiln_enters: int) -> dict:
    """The blocks SME makes 50 t/day from ash alone; the kiln that emits it (20 t/day, an existing
    tie 2 km away) enters the park on ``kiln_enters``.

    Without ash the SME loses its costs (1,000 USD/day): idle on day 20, exit 30 days later. With
    its contract running it expects 20 t/day x (60 + 7.4) - 1,000 = 348 USD/day (per t of ash it
    is paid the Nash price 0.5 x (15 - 0.2) - 15 = -7.6 and pays 0.2 of transport).
    """
    data = chain_dict(run={"horizon_days": 120, "seed": 1, "ledger_period_days": 1},
                      viability=dict(RULES, idle_days=30),
                      events=[{"type": "firm_entry", "day": kiln_enters, "firm": "kiln"}])
    data["firms"]["blocks"].update(inputs={"ash": 1.0}, employees=4, wage_per_year=36500,
                                   fixed_cost_per_year=6 * 36500)
    return data


def test_an_idle_firm_restarts_when_a_supplier_appears():
    result = run_scenario(scenario(restart_park(kiln_enters=30)))
    # idle on day 20 for want of ash; the kiln enters on day 30 and their tie contracts at the
    # start of that day: at that day's review the SME expects a margin and starts again, and stays
    assert firm_events(result, "blocks") == [(20.0, "idle"), (30.0, "restart")]
    blocks = result.firms.ids.index("blocks")
    assert result.output[40:, blocks].min() > 0
    values = compute_metrics(result)
    assert values["firms_restarted"] == 1 and values["firms_exited"] == 0 and values["sme_survival"] == 1.0
    rows = result.events_table()
    assert ("firm", "blocks", "restart") in set(zip(rows["kind"], rows["subject"], rows["event"]))


def test_an_idle_firm_without_a_supplier_exits():
    result = run_scenario(scenario(restart_park(kiln_enters=100)))
    assert firm_events(result, "blocks") == [(20.0, "idle"), (50.0, "exit")]
    assert compute_metrics(result)["firms_restarted"] == 0


def test_restarts_show_in_the_firms_chart():
    from simulator.chartdata import run_chart_data

    firms = run_chart_data(run_scenario(scenario(restart_park(kiln_enters=30))))["firms"]
    assert firms["idle_days"] == [20.0] and firms["restart_days"] == [30.0]
    assert firms["idle"][25] == 1 and firms["idle"][30] == 0 and firms["operating"][30] == 1


# --------------------------------------------------------------------------- entrants


def entry_park(blocks_price: float = 60.0, ash: bool = True, store: float = 100.0, **patch):
    """One kiln (20 t ash/day, disposed) and one IKM plot, vacant on day 0.

    The mix's only archetype makes 10 t blocks/day from 1 t ash each and costs 300 USD/day
    (2 staff at 36,500 USD/yr + 36,500 USD/yr fixed). With ash on offer it expects
    10 x 60 - 300 = 300 USD/day: it enters once the plot has been searched for 10 days.
    """
    data = chain_dict(run={"horizon_days": 120, "seed": 3, "ledger_period_days": 1}, park={"area_ha": 1.0},
                      archetypes={"ash_user": {
                          "kind": "sme", "product": {"material": "blocks", "capacity_per_day": 10},
                          "inputs": {"ash": 1.0}, "storage": {"ash": store}, "employees": 2,
                          "wage_per_year": 36500, "fixed_cost_per_year": 36500}},
                      sme={"land_share": 1.0, "plot_ha": 1.0, "mix": {"ash_user": 1}, "vacant_share": 1.0,
                           "zone_km": [1.0, 0.0]},
                      viability=dict(RULES, startup_grace_days=30,
                                     entry={"search_days": 10, "candidates_per_archetype": 1}), **patch)
    del data["firms"]["blocks"]
    data["materials"]["blocks"]["price_per_unit"] = blocks_price
    if not ash:
        data["firms"]["kiln"]["outputs"] = {"loss": 0.5}
    return data


def test_an_entrant_takes_a_vacant_plot_when_it_expects_to_be_viable():
    result = run_scenario(scenario(entry_park()))
    values = compute_metrics(result)
    assert firm_events(result, "ikm_entrant_ash_user_1") == [(10.0, "entry")]
    f = result.firms.ids.index("ikm_entrant_ash_user_1")
    assert not result.firms.present_at_start[f] and result.firms.present_at_end[f]
    assert np.all(result.output[:10, f] == 0) and result.output[12:, f].min() > 0   # the tie contracts at entry
    assert values["firms_entered"] == 1 and values["jobs_sme_on_plots"] == 2.0
    assert np.isnan(values["sme_survival"])   # no SME on day 0
    assert max(b["max_relative"] for b in result.mass_balance.values()) < 1e-9


@pytest.mark.parametrize("setting", [{"blocks_price": 20.0}, {"ash": False}, {"store": 10.0}],
                         ids=["price_too_low", "no_byproduct_on_offer", "store_below_a_truckload"])
def test_no_entrant_when_it_would_not_be_viable(setting):
    # 10 x 20 - 300 = -100 USD/day; without ash it can get (none on offer, or a 10 t store that a
    # 20 t truckload never fits) it makes nothing: -300 USD/day
    result = run_scenario(scenario(entry_park(**setting)))
    assert compute_metrics(result)["firms_entered"] == 0
    assert not result.firms.present_at_end[result.firms.ids.index("ikm_entrant_ash_user_1")]


@pytest.mark.parametrize("zone_km, enters", [(1.0, True), (140.0, False)])
def test_an_entrant_far_from_the_source_does_not_enter_where_a_near_one_would(zone_km, enters):
    # blocks at 29 USD/t; per t of ash the entrant pays the Nash price 0.5 x (15 - t) - 15 and the
    # trip t = 2 x km / 20 t: near (1 km, t = 0.1) 10 x (29 + 7.45) - 300 = 64.5 USD/day; far
    # (140 km, t = 14) 10 x (29 + 0.5) - 300 = -5 USD/day
    data = entry_park(blocks_price=29.0)
    data["sme"]["zone_km"] = [zone_km, 0.0]
    data["network"]["max_distance_km"] = 200
    result = run_scenario(scenario(data))
    assert compute_metrics(result)["firms_entered"] == (1 if enters else 0)


@pytest.mark.parametrize("rate, planning, enters", [(12.0, 365, True), (1.0, 365, False), (1.0, 3650, True)])
def test_an_entrant_weighs_the_time_before_its_link_delivers(rate, planning, enters):
    # the link must be found first: expected 365 / rate days (no negotiation or build time); over
    # its planning horizon the entrant earns (1 - days / planning) x 10 x (60 + 7.45) and pays 300 a
    # day throughout: rate 12: 0.917 x 674.5 - 300 = 318; rate 1: 0 - 300; over ten years 0.9 x 674.5 - 300
    data = entry_park(discovery={"base_rate_per_year": rate, "negotiation_days": 0},
                      link_economics={"truck_link_lead_days": 0})
    data["network"]["known_from_day"] = None
    data["viability"]["entry"]["planning_days"] = planning
    result = run_scenario(scenario(data))
    assert compute_metrics(result)["firms_entered"] == (1 if enters else 0)


def test_same_seed_same_decisions():
    data = entry_park()
    first, second = (run_scenario(scenario(data)) for _ in range(2))
    assert first.firm_events.tolist() == second.firm_events.tolist()
    assert compute_metrics(first) == pytest.approx(compute_metrics(second), nan_ok=True)


# --------------------------------------------------------------------------- chart


def test_firms_chart_shows_exits_and_jobs_in_both_languages(losing):
    from simulator.chartdata import run_chart_data
    from simulator.plotting.firms import plot_firms

    result, _ = losing
    data = run_chart_data(result)
    firms = data["firms"]
    assert firms["exit_days"] == [35.0] and firms["idle_days"] == [20.0] and firms["entry_days"] == []
    assert firms["operating"][19] == 1 and firms["idle"][20] == 1 and firms["idle"][34] == 1
    assert firms["operating"][35] + firms["idle"][35] == 0
    assert firms["jobs_on_plots"][34] == 4 and firms["jobs_on_plots"][35] == 0
    assert firms["jobs_active"][19] == 4 and firms["jobs_active"][49] == 0   # 30-day window
    for lang, words in (("en", ("exits (1)", "SMEs (IKM) over time")), ("id", ("keluar (1)", "IKM dari waktu"))):
        fig = plot_firms(data, lang=lang)
        texts = [t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts()]
        texts += [ax.get_title() for ax in fig.axes]
        assert any(words[0] == t for t in texts) and any(t.startswith(words[1]) for t in texts)


def test_entrants_that_never_entered_are_not_on_the_network_map():
    from simulator.chartdata import network_data

    data = entry_park(blocks_price=20.0)
    shown = {f["id"] for f in network_data(run_scenario(scenario(data)))["firms"]}
    assert shown == {"kiln"}
