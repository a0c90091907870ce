"""The SME (IKM) and smart-park levers: what each must do to a park (short deterministic runs)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import deep_update, scenario

from simulator.compose import ikm_firm_counts, realise
from simulator.metrics import compute_metrics
from simulator.model.park import run_scenario


def estate(**patch) -> dict:
    """An estate with a sawmill and a furniture anchor; IKM archetypes that process the sawmill's
    offcuts into briquettes, or make drawer parts the furniture anchor buys."""
    base = {
        "name": "estate", "currency": "IDR",
        "run": {"horizon_days": 120, "seed": 3},
        "park": {"area_ha": 100, "truck_fleet": {"trucks": 4, "load": 10, "cost_per_km": 1000}},
        "network": {"known_from_day": 0, "max_distance_km": 20},
        "discovery": {"renewal_probability": 1.0, "base_rate_per_year": 2.0},
        "materials": {
            "logs": {"category": "virgin", "price_per_unit": 1.0e6},
            "boards": {"category": "product", "price_per_unit": 3.0e6},
            "furniture": {"category": "product", "price_per_unit": 8.0e6},
            "drawer_parts": {"category": "product", "price_per_unit": 4.0e6},
            "briquettes": {"category": "product", "price_per_unit": 1.5e6},
            "offcuts": {"category": "byproduct", "price_per_unit": 2.0e5, "disposal_cost_per_unit": 1.0e5},
        },
        "archetypes": {
            "briquette_maker": {"kind": "sme", "sector": "C1629", "employees": 8, "wage_per_year": 4.0e7,
                                "product": {"material": "briquettes", "capacity_per_day": 4},
                                "inputs": {"offcuts": 1.25}, "outputs": {"loss": 0.25},
                                "storage": {"offcuts": 40}, "local_purchase_share": 0.8},
            "parts_maker": {"kind": "sme", "sector": "C3100", "employees": 10, "wage_per_year": 4.0e7,
                            "product": {"material": "drawer_parts", "capacity_per_day": 2},
                            "inputs": {"boards": 1.1}, "outputs": {"loss": 0.1}},
        },
        "firms": {
            "sawmill": {"location_km": [0, 0], "product": {"material": "boards", "capacity_per_day": 100},
                        "inputs": {"logs": 1.6}, "outputs": {"offcuts": 0.5, "loss": 0.1},
                        "employees": 200, "wage_per_year": 6.0e7},
            "furniture_works": {"location_km": [1, 0], "product": {"material": "furniture", "capacity_per_day": 20},
                                "inputs": {"boards": 0.9, "drawer_parts": 0.2}, "outputs": {"offcuts": 0.1},
                                "employees": 300, "wage_per_year": 6.0e7},
        },
        "sme": {"plot_ha": 0.5, "mix": {"briquette_maker": 2, "parts_maker": 1}},
    }
    return deep_update(base, patch)


def run(data: dict):
    result = run_scenario(scenario(data))
    return result, compute_metrics(result)


def test_ikm_firm_counts_split_the_land_by_the_mix():
    assert ikm_firm_counts(10.0, 0.5, {"a": 2, "b": 1}) == {"a": 13, "b": 7}
    assert ikm_firm_counts(0.4, 0.5, {"a": 1}) == {"a": 0}
    assert sum(ikm_firm_counts(37.3, 0.5, {"a": 1, "b": 1, "c": 1}).values()) == 74


def test_land_share_places_ikm_firms_in_the_zone():
    sc = realise(scenario(estate(sme={"land_share": 0.05})))
    ikm = [fid for fid in sc.firms if fid.startswith("ikm_")]
    assert len(ikm) == 10   # 100 ha x 5 % / 0.5 ha
    assert sum(fid.startswith("ikm_briquette_maker") for fid in ikm) == 7
    assert all(sc.firms[f].location_km[0] > 1.0 for f in ikm)   # east of the anchors


def test_more_ikm_land_more_sme_firms_jobs_revenue_and_use_not_lower():
    previous = None
    for share in (0.0, 0.05, 0.1, 0.2):
        result, values = run(estate(sme={"land_share": share}))
        smes = sum(k == "sme" for k in result.firms.kind)
        current = (smes, values["jobs_sme"], values["sme_revenue"], values["byproduct_utilisation_rate"])
        if previous is not None:
            assert current[0] > previous[0] and current[1] > previous[1] and current[2] > previous[2]
            assert current[3] >= previous[3] - 1e-12
        previous = current


def test_linkage_zero_means_no_sme_component_sales_to_anchors():
    for linkage, expect_sales in ((0.0, False), (0.5, True)):
        result, _ = run(estate(sme={"land_share": 0.05, "linkage": linkage}))
        led = result.ledger
        anchors = {i for i, k in enumerate(result.firms.kind) if k == "anchor"}
        smes = {i for i, k in enumerate(result.firms.kind) if k == "sme"}
        parts = result.materials.ids.index("drawer_parts")
        sold = sum(a for p, q, m, a in zip(led.payer, led.payee, led.material, led.amount)
                   if p in anchors and q in smes and m == parts)
        assert (sold > 0) == expect_sales


def test_linkage_moves_spending_from_outside_to_the_park():
    _, without = run(estate(sme={"land_share": 0.05}))
    _, linked = run(estate(sme={"land_share": 0.05, "linkage": 1.0}))
    assert linked["local_spending_share"] > without["local_spending_share"]


def _platform_case(platform: bool) -> dict:
    patch = {"network": {"known_from_day": None}, "run": {"horizon_days": 365},
             "discovery": {"base_rate_per_year": 0.5}, "sme": {"land_share": 0.1}}
    if platform:
        patch["platform"] = {"opens_day": 0, "coverage": 1.0, "discovery_multiplier": 5}
    return estate(**patch)


def test_platform_finds_links_sooner_and_landfills_no_more():
    _, without = run(_platform_case(False))
    _, with_platform = run(_platform_case(True))
    assert with_platform["median_discovery_day"] < without["median_discovery_day"]
    assert with_platform["byproducts_disposed_t"] <= without["byproducts_disposed_t"]


def _pooling_case(sentra: bool) -> dict:
    # Parts makers emit 0.2 t of offcuts a day into 2 t stores: a 10 t truck never fills there.
    patch = {"sme": {"land_share": 0.1, "mix": {"parts_maker": 1}},
             "firms": {"sawmill": {"outputs": {"offcuts": 0.0, "loss": 0.6}},
                       "furniture_works": {"outputs": {"offcuts": 0.0, "loss": 0.1}},
                       "briquetter": {"kind": "sme", "location_km": [3, 0],
                                      "product": {"material": "briquettes", "capacity_per_day": 4},
                                      "inputs": {"offcuts": 1.25}, "outputs": {"loss": 0.25},
                                      "storage": {"offcuts": 40}}},
             "archetypes": {"parts_maker": {"storage": {"offcuts": 2.0}, "outputs": {"offcuts": 0.1, "loss": 0.0}}}}
    if sentra:
        patch["sentra"] = {"pooling": True, "storage_per_material": 100}
    return estate(**patch)


def test_sentra_pooling_ships_lots_below_a_truckload():
    _, alone = run(_pooling_case(False))
    _, pooled = run(_pooling_case(True))
    assert alone["byproducts_exchanged_t"] == 0.0
    assert pooled["byproducts_exchanged_t"] > 0.0
    assert pooled["byproducts_disposed_t"] < alone["byproducts_disposed_t"]


def test_pooled_run_balances_and_the_centre_is_a_firm():
    result, values = run(_pooling_case(True))
    assert "sentra" in result.firms.ids
    assert values["mass_balance_residual"] < 1e-9
    sentra = result.firms.ids.index("sentra")
    assert np.any(result.links.supplier == sentra)


def test_facilitator_speeds_discovery_of_members_links():
    base = _platform_case(False)
    _, without = run(base)
    _, facilitated = run(deep_update(base, {"sentra": {"pooling": False, "facilitator_multiplier": 5}}))
    assert facilitated["median_discovery_day"] < without["median_discovery_day"]


@pytest.mark.parametrize("licence", [False, True])
def test_b3_waste_only_to_licensed_firms(licence):
    data = estate(materials={"offcuts": {"hazardous": True}}, sme={"land_share": 0.05},
                  archetypes={"briquette_maker": {"b3_licence": licence}})
    result, values = run(data)
    receivers = {int(c) for c in result.links.consumer[result.links.quantity > 0]}
    licensed = {i for i, fid in enumerate(result.firms.ids) if fid.startswith("ikm_briquette")}
    assert receivers <= (licensed if licence else set())
    assert (values["byproducts_exchanged_t"] > 0) == licence


@pytest.mark.parametrize("licence", [False, True])
def test_sentra_never_pools_b3_waste(licence):
    # Members (parts makers) emit hazardous offcuts. The centre has no B3 licence, so it must not
    # collect them; only the briquetter, when licensed, may ever receive them.
    data = deep_update(_pooling_case(True), {"materials": {"offcuts": {"hazardous": True}},
                                             "firms": {"briquetter": {"b3_licence": licence}}})
    result, values = run(data)
    ids, hazardous = result.firms.ids, result.materials.hazardous
    offcuts = result.materials.ids.index("offcuts")
    members = [i for i, fid in enumerate(ids) if fid.startswith("ikm_parts_maker")]
    assert "sentra" in ids and members and hazardous[offcuts]
    assert result.totals["produced"][members, offcuts].sum() > 0     # members do emit B3 waste
    licensed = [ids.index("briquetter")] if licence else []
    unlicensed = [i for i in range(len(ids)) if i not in licensed]

    assert not np.any(hazardous[result.pooled["material"]])          # nothing B3 is pooled
    assert result.totals["received"][np.ix_(unlicensed, hazardous)].sum() == 0.0
    moved = result.links.quantity > 0
    receivers = {int(c) for c, m in zip(result.links.consumer[moved], result.links.material[moved]) if hazardous[m]}
    shipped = result.shipments["link"][result.shipments["quantity"] > 0]
    receivers |= {int(result.links.consumer[k]) for k in shipped if hazardous[result.links.material[k]]}
    assert receivers <= set(licensed)
    assert values["mass_balance_residual"] < 1e-9


def test_landfill_tax_and_subsidy_never_lower_exchange():
    far = {"sme": {"land_share": 0.05, "zone_km": [30, 0]}, "network": {"max_distance_km": 60},
           "park": {"truck_fleet": {"cost_per_km": 60000}}}
    quantities = []
    for tax, subsidy in ((0, 0), (1e5, 0), (1e5, 5e4), (3e5, 5e4)):
        data = estate(**far, policy={"landfill_tax_per_t": tax, "exchange_subsidy_per_t": subsidy})
        quantities.append(run(data)[1]["byproducts_exchanged_t"])
    assert quantities == sorted(quantities)
    assert quantities[-1] > quantities[0]


# --------------------------------------------------------------------------- the compose stage


def test_compose_realises_the_levers_once_and_the_model_takes_nothing_else():
    from simulator.compose import ComposedScenario, compose
    from simulator.model.park import ParkModel

    user = scenario(estate(sme={"land_share": 0.05}, sentra={}))
    composed = compose(user)
    assert isinstance(composed, ComposedScenario) and compose(composed) is composed
    assert composed.firms == realise(user).firms and "ikm_briquette_maker_1" not in user.firms
    assert [inst.id for inst in composed.instances][-1] == "sentra"           # laid out once, in order
    with pytest.raises(TypeError, match="composed scenario"):
        ParkModel(user, 1)
    same = run_scenario(user, 5), ParkModel(composed, 5).run()                 # composing first changes nothing
    first, second = (compute_metrics(r) for r in same)
    assert first.keys() == second.keys()
    assert all(first[k] == second[k] or (np.isnan(first[k]) and np.isnan(second[k])) for k in first)


def test_an_experiment_composes_each_arm_once(tmp_path, monkeypatch):
    """However many replications, the levers are realised the same number of times: the workers
    run the arm's composed scenario and do not realise its levers again."""
    import simulator
    from simulator import compose as compose_module
    from simulator.loader import dump_yaml

    calls = []
    original = compose_module.realise
    monkeypatch.setattr(compose_module, "realise", lambda sc: calls.append(sc.name) or original(sc))
    path = tmp_path / "estate.yaml"
    path.write_text(dump_yaml(estate(sme={"land_share": 0.05}, run={"horizon_days": 20})), encoding="utf-8")
    counts = []
    for replications in (1, 4):
        calls.clear()
        simulator.run(path, replications=replications, engine="serial", out=tmp_path / f"out{replications}",
                      figures=False)
        counts.append(len(calls))
    assert counts[0] == counts[1] > 0


def test_generated_ikm_firm_ids_must_not_be_taken(tmp_path):
    from simulator.errors import ScenarioError
    from simulator.loader import dump_yaml
    from simulator.validation import load_scenario

    data = estate(sme={"land_share": 0.05})
    data["firms"]["ikm_parts_maker_1"] = data["firms"].pop("furniture_works")
    path = tmp_path / "taken.yaml"
    path.write_text(dump_yaml(data), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert ("sme.mix.parts_maker: the IKM firm 'ikm_parts_maker_1' created on the IKM land has the id of a firm "
            "of entry 'ikm_parts_maker_1'") in caught.value.report()


def test_an_uncertain_lever_is_composed_for_each_draw(tmp_path):
    """A drawn land share is another park: each replication composes its own (more land, more IKM jobs)."""
    import csv

    import simulator
    from simulator.loader import dump_yaml

    data = estate(run={"horizon_days": 10})
    data["uncertain"] = {"sme.land_share": {"distribution": "uniform", "low": 0.01, "high": 0.2}}
    path = tmp_path / "drawn.yaml"
    path.write_text(dump_yaml(data), encoding="utf-8")
    experiment = simulator.run(path, replications=4, engine="serial", out=tmp_path / "out", figures=False)
    with open(experiment.folder / "metrics.csv", newline="", encoding="utf-8") as handle:
        rows = [(float(r["sme.land_share"]), float(r["jobs_sme"])) for r in csv.DictReader(handle)]
    assert len({jobs for _, jobs in rows}) > 1
    assert [jobs for _, jobs in sorted(rows)] == sorted(jobs for _, jobs in rows)
