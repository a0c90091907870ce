"""The local economy from simulated money flows: IO table, multipliers, LM3 (issue: economy)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import SCENARIOS, chain_dict, deep_update, scenario

from simulator.export import pymrio_files
from simulator.model.ledger import CATEGORIES
from simulator.metrics import compute_metrics
from simulator.metrics.local_economy import io_table, lm3_rounds, multipliers
from simulator.model.park import run_scenario
from simulator.validation import load_scenario

VALIDATION = Path(__file__).parent / "data/validation"


def miller_blair_park() -> dict:
    """Two sectors of two firms each whose yearly purchases are the Miller & Blair (2009) flows.

    Products are counted in money units (price 1, no mass), so output = sales. Sector 1 (firms
    s1a, s1b) makes 1000, sector 2 (s2a, s2b) 2000 over the run; each firm buys the Table 2.3
    inputs per unit from park producers (park_share 1): a11 = .15, a21 = .2, a12 = .25, a22 = .05.
    """
    def firm(sector, product, capacity, inputs):
        return {"sector": sector, "product": {"material": product, "capacity_per_day": capacity},
                "inputs": {m: {"per_unit": v, "park_share": 1.0} for m, v in inputs.items()}}

    days = 10
    return {
        "name": "miller-blair", "currency": "USD",
        "run": {"horizon_days": days, "ledger_period_days": days},
        "materials": {"good1": {"category": "product", "unit": "pcs", "price_per_unit": 1.0},
                      "good2": {"category": "product", "unit": "pcs", "price_per_unit": 1.0}},
        "firms": {
            "s1a": firm("sec1", "good1", 1000 / 2 / days, {"good1": 0.15, "good2": 0.2}),
            "s1b": firm("sec1", "good1", 1000 / 2 / days, {"good1": 0.15, "good2": 0.2}),
            "s2a": firm("sec2", "good2", 2000 / 2 / days, {"good1": 0.25, "good2": 0.05}),
            "s2b": firm("sec2", "good2", 2000 / 2 / days, {"good1": 0.25, "good2": 0.05}),
        },
    }


def test_park_with_miller_blair_flows_reproduces_their_A():
    case = json.loads((VALIDATION / "io_miller_blair_2sector.json").read_text())
    table = io_table(run_scenario(scenario(miller_blair_park())))
    assert table.sectors[:2] == ("sec1", "sec2")
    np.testing.assert_allclose(table.Z[:2, :2], case["inputs"]["Z_transactions"], rtol=1e-9)
    np.testing.assert_allclose(table.output[:2], case["inputs"]["total_output_x"], rtol=1e-9)
    np.testing.assert_allclose(table.final_demand[:2], case["inputs"]["final_demand_f"], rtol=1e-9)
    np.testing.assert_allclose(table.A[:2, :2], case["expected_published"]["A"], rtol=1e-5)


def test_park_market_ledger_matches_quantities():
    result = run_scenario(scenario(miller_blair_park()))
    led = result.ledger
    internal = (led.category == CATEGORIES.index("product_sale")) & (led.payer < 4)
    assert led.amount[internal].sum() == pytest.approx(150 + 500 + 200 + 100)
    assert result.mass_balance["park_market"]["max_relative"] < 1e-12


# --------------------------------------------------------------------------- LM3


def local_chain(p: float, **patch) -> dict:
    """The chain where every local share is p: firms buy, hire and re-spend a share p locally."""
    shares = {"local_staff_share": p, "local_purchase_share": p, "fixed_cost_local_share": p,
              "employees": 10, "wage_per_year": 3650, "fixed_cost_per_year": 3650}
    data = chain_dict(firms={"kiln": shares, "blocks": shares},
                      materials={"ash": {"disposal_cost_per_unit": 0.0}},
                      park={"truck_fleet": {"cost_per_km": 0.0}},
                      region={"household_local_spending_share": p, "supplier_local_respend_share": p,
                              "supplier_wage_share": 0.0})
    return deep_update(data, patch)


def park_income_and_spending(result) -> tuple[float, float]:
    led = result.ledger
    in_park = np.array([party in result.firms.ids for party in led.parties])
    income = led.amount[in_park[led.payee] & ~in_park[led.payer]].sum()
    spending = led.amount[in_park[led.payer] & ~in_park[led.payee]].sum()
    return float(income), float(spending)


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.8, 0.99])
def test_lm3_of_a_chain_respending_p_is_one_plus_m_times_p_plus_p_squared(p):
    """Every payee re-spends a share p locally; the park spends a share m of its income (it keeps
    the rest): R2 = m p R1, R3 = m p^2 R1, so LM3 = 1 + m (p + p^2). (p = 1 is refused by
    validation: no money would ever leave the region, and the IO multipliers are infinite.)"""
    result = run_scenario(scenario(local_chain(p)))
    income, spending = park_income_and_spending(result)
    m = spending / income
    assert 0.1 < m < 0.9   # the chain keeps a surplus: what it keeps is not spent locally
    assert compute_metrics(result)["lm3_park"] == pytest.approx(1 + m * (p + p * p), rel=1e-9)


def test_lm3_of_a_loss_making_group_counts_only_what_its_income_pays_for():
    """Fixed costs far above income: the park spends S > R1. NEF's rounds follow the income, so
    R2 = R1 x (local share of spending) = p R1 and R3 = p^2 R1: LM3 = 1 + p + p^2."""
    p = 0.5
    data = local_chain(p, firms={"kiln": {"fixed_cost_per_year": 1.0e7}, "blocks": {"fixed_cost_per_year": 1.0e7}})
    result = run_scenario(scenario(data))
    income, spending = park_income_and_spending(result)
    assert spending > 2 * income
    r1, r2, r3 = lm3_rounds(result, np.ones(2, dtype=bool))
    assert r1 == pytest.approx(income) and r2 == pytest.approx(p * income, rel=1e-6)
    assert r3 == pytest.approx(p * p * income, rel=1e-6)
    assert compute_metrics(result)["lm3_park"] == pytest.approx(1 + p + p * p, rel=1e-6)


def test_lm3_published_cases():
    from simulator.metrics.economic import lm3
    case = json.loads((VALIDATION / "lm3.json").read_text())["cases"][0]
    assert lm3(case["inputs"]["R1"], case["inputs"]["R2"], case["inputs"]["R3"]) == pytest.approx(2.44)


def test_park_paying_everything_outside_has_lm3_one():
    data = local_chain(0.0, region={"landfill_operator": "outside", "transport_operator": "outside"},
                       materials={"ash": {"disposal_cost_per_unit": 3.0}})
    values = compute_metrics(run_scenario(scenario(data)))
    assert values["lm3_park"] == pytest.approx(1.0)
    assert values["local_spending_share"] == pytest.approx(0.0)


@pytest.mark.parametrize("field", ["local_purchase_share", "local_staff_share"])
def test_more_local_sourcing_or_staff_never_lowers_lm3(field):
    values = []
    for share in (0.0, 0.25, 0.5, 0.75, 1.0):
        data = local_chain(0.5, firms={"kiln": {field: share}, "blocks": {field: share}})
        values.append(compute_metrics(run_scenario(scenario(data)))["lm3_park"])
    assert values == sorted(values)
    assert values[-1] > values[0]


def test_sme_buying_a_byproduct_locally_raises_the_local_share_of_spending():
    base = local_chain(0.3, region={"landfill_operator": "outside"}, materials={"ash": {"disposal_cost_per_unit": 5.0}})
    anchor_only = deep_update(json.loads(json.dumps(base)), {"network": {"generate": False}})
    alone = compute_metrics(run_scenario(scenario(anchor_only)))
    together = compute_metrics(run_scenario(scenario(base)))
    assert together["byproducts_exchanged_t"] > 0
    assert together["local_spending_share"] > alone["local_spending_share"]


def test_lm3_rounds_are_ordered_and_lm3_in_range():
    sc, _ = load_scenario(SCENARIOS / "demo.yaml", overrides=["run.horizon_days=90"])
    result = run_scenario(sc)
    values = compute_metrics(result)
    groups = {"lm3_park": np.ones(len(result.firms.ids), dtype=bool),
              "lm3_sme": np.array(result.firms.kind) == "sme"}
    for name, members in groups.items():
        r1, r2, r3 = lm3_rounds(result, members)
        assert r1 > 0 and 0 < r3 < r2 < r1   # every round re-spends only part of the previous one
        assert values[name] == pytest.approx((r1 + r2 + r3) / r1, rel=1e-12)
        assert 1.0 < values[name] < 3.0


# --------------------------------------------------------------------------- multipliers


@pytest.fixture(scope="module")
def demo_table():
    sc, _ = load_scenario(SCENARIOS / "demo.yaml", overrides=["run.horizon_days=120"])
    return io_table(run_scenario(sc))


def test_type2_at_least_type1_and_constant_income_ratio(demo_table):
    m = multipliers(demo_table)
    active = demo_table.coefficients(demo_table.household_income) > 0
    assert np.all(m["output_type2"] >= m["output_type1"] - 1e-12)
    assert np.all(m["income_type2"][active] >= m["income_type1"][active] - 1e-12)
    ratio = m["income_type2"][active] / m["income_type1"][active]
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)


def test_io_table_accounts_balance(demo_table):
    t = demo_table
    np.testing.assert_allclose(t.Z.sum(axis=1) + t.final_demand, t.output, rtol=1e-9)
    np.testing.assert_allclose(t.Z.sum(axis=0) + t.imports + t.value_added, t.output, rtol=1e-9, atol=1e-3)


def test_pymrio_loads_the_exported_table(demo_table, tmp_path):
    pymrio = pytest.importorskip("pymrio")
    for name, text in pymrio_files(demo_table, "IDR").items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    io = pymrio.load_all(tmp_path)
    io.calc_all()
    np.testing.assert_allclose(io.A.to_numpy(), demo_table.A, rtol=1e-9, atol=1e-12)
    assert list(io.factor_inputs.F.index) == ["household_income", "imports", "value_added", "employment"]


def test_employment_multiplier_does_not_depend_on_the_horizon():
    """Park jobs are head counts; regional jobs come from jobs per million of yearly sales, so a
    60-day and a 180-day run of the same park give about the same employment multiplier."""
    values = []
    for days in (60, 180):
        sc, _ = load_scenario(SCENARIOS / "demo.yaml", overrides=[f"run.horizon_days={days}"])
        assert sc.region.supplier_jobs_per_million > 0
        values.append(compute_metrics(run_scenario(sc))["multiplier_employment_type1"])
    assert values[0] == pytest.approx(values[1], rel=0.1)


def test_value_added_counts_every_wage_wherever_the_staff_live():
    """Value added = sales - intermediate inputs (local and imported); wages, local or not, are
    part of it (issue 12): a park with all staff living outside has the same value added as one
    with all staff local, and it equals sales - non-wage purchases from the ledger."""
    added = {}
    for share in (0.0, 1.0):
        data = local_chain(0.5)
        for firm in ("kiln", "blocks"):
            data["firms"][firm]["local_staff_share"] = share
        result = run_scenario(scenario(data))
        led = result.ledger
        firm = np.array([party in result.firms.ids for party in led.parties])
        sales = firm[led.payee] & np.isin(led.category, [CATEGORIES.index("product_sale"),
                                                          CATEGORIES.index("byproduct_sale")])
        bought = firm[led.payer] & ~np.isin(led.category, [CATEGORIES.index("wage"), CATEGORIES.index("investment")])
        wages = led.amount[firm[led.payer] & (led.category == CATEGORIES.index("wage"))].sum()
        added[share] = compute_metrics(result)["value_added"]
        assert added[share] == pytest.approx(led.amount[sales].sum() - led.amount[bought].sum(), rel=1e-9)
        assert added[share] > wages > 0
    assert added[0.0] == pytest.approx(added[1.0], rel=1e-9)


# --------------------------------------------------------------------------- taxes and the government


def lone_kiln(tax_per_t: float, **region) -> dict:
    """The chain's kiln alone (local shares 0.5): its 20 t of ash a day have no taker and are
    landfilled at no gate fee, with ``tax_per_t`` of landfill tax."""
    data = local_chain(0.5, policy={"landfill_tax_per_t": tax_per_t}, materials={"ash": {"disposal_cost_per_unit": 0.0}},
                       region=region)
    del data["firms"]["blocks"]
    return data


@pytest.fixture(scope="module")
def taxed_kiln():
    """Metrics and ledger of the lone kiln without tax, taxed by a regional government that
    re-spends 0.3 locally, and taxed by a government outside the region."""
    runs = {"untaxed": lone_kiln(0.0), "regional": lone_kiln(10.0, government_local_respend_share=0.3),
            "outside": lone_kiln(10.0, tax_authority="outside")}
    return {name: (run_scenario(scenario(data))) for name, data in runs.items()}


def test_landfill_tax_is_paid_to_the_government_not_the_landfill_operator(taxed_kiln):
    led = taxed_kiln["regional"].ledger
    tax = led.category == CATEGORIES.index("tax")
    assert {led.parties[i] for i in led.payee[tax]} == {"government"}
    assert led.amount[tax].sum() == pytest.approx(20 * 365 * 10.0)     # 20 t/day x 365 days x 10 per t
    assert led.quantity[tax].sum() == pytest.approx(20 * 365)
    fees = led.category == CATEGORIES.index("disposal_fee")
    assert led.amount[fees].sum() == 0.0                                # gate fee 0: nothing to the operator
    assert compute_metrics(taxed_kiln["regional"])["disposal_cost"] == pytest.approx(20 * 365 * 10.0)


def test_lm3_follows_taxes_through_the_government_respend_share(taxed_kiln):
    """Same flows, so the same income R1; the tax T adds T to R2 and g T to R3 (g = 0.3, the
    government's share, not the suppliers' 0.5) when the government is regional, nothing when it
    sits outside: LM3 rises by T (1 + g) / R1 or not at all."""
    untaxed, regional, outside = (taxed_kiln[k] for k in ("untaxed", "regional", "outside"))
    r1, r2, r3 = lm3_rounds(untaxed, np.ones(1, dtype=bool))
    t1, t2, t3 = lm3_rounds(regional, np.ones(1, dtype=bool))
    tax = 20 * 365 * 10.0
    assert t1 == pytest.approx(r1) and t2 - r2 == pytest.approx(tax) and t3 - r3 == pytest.approx(0.3 * tax)
    lm3 = {k: compute_metrics(v)["lm3_park"] for k, v in taxed_kiln.items()}
    assert lm3["regional"] - lm3["untaxed"] == pytest.approx(tax * 1.3 / r1, rel=1e-9)
    assert lm3["outside"] == pytest.approx(lm3["untaxed"], rel=1e-12)


def test_taxes_are_value_added_and_government_is_exogenous_in_the_io_table(taxed_kiln):
    """Miller & Blair: a tax is in the payer's payments (value-added) row, neither an intermediate
    purchase from the regional sector nor an import, and the government is final demand: a tax
    that changes no flow changes neither value added nor any multiplier."""
    values = {k: compute_metrics(v) for k, v in taxed_kiln.items()}
    tables = {k: io_table(v) for k, v in taxed_kiln.items()}
    for taxed in ("regional", "outside"):
        assert np.allclose(tables[taxed].Z, tables["untaxed"].Z)
        assert np.allclose(tables[taxed].imports, tables["untaxed"].imports)
        for key in ("value_added", "multiplier_output_type1", "multiplier_output_type2", "multiplier_income_type2",
                    "multiplier_employment_type2"):
            assert values[taxed][key] == pytest.approx(values["untaxed"][key], rel=1e-12), key


# --------------------------------------------------------------------------- plausibility


def test_a_multiplier_above_its_reference_is_flagged_with_what_drives_it():
    """Regional jobs per million sales drive the employment multiplier: the warning appears exactly
    when the value exceeds region.reference_multipliers and names that parameter and the firm
    whose local purchases the regional sector lives on."""
    from simulator.metrics.plausibility import driving_parameters, plausibility_warnings

    sc = scenario(local_chain(0.5, region={"supplier_jobs_per_million": 5000.0}))
    result = run_scenario(sc)
    values = compute_metrics(result)
    value = values["multiplier_employment_type2"]
    assert value > 1.5
    for limit, flagged in ((value * 0.99, True), (value * 1.01, False)):
        region = sc.region.model_copy(update={"reference_multipliers": sc.region.reference_multipliers.model_copy(
            update={"employment_type2": limit, "employment_type1": 1e9})})
        found = plausibility_warnings(values, sc.model_copy(update={"region": region}), driving_parameters(result, sc))
        employment = [w for w in found if w["title"] == "Employment multipliers"]
        assert bool(employment) is flagged
        if flagged:
            assert employment[0]["parameters"][0] == "region.supplier_jobs_per_million = 5000"
            assert any("firms.kiln (50% of its inputs bought in the region" in p for p in employment[0]["parameters"])


def test_the_warning_says_which_driving_parameters_are_uncertain():
    """Replications draw an uncertain parameter, so the warning gives its range besides its point value."""
    from simulator.metrics.plausibility import driving_parameters

    sc = scenario(local_chain(0.5, region={"supplier_jobs_per_million": 5000.0},
                              uncertain={"region.supplier_jobs_per_million": {"distribution": "uniform", "low": 4000,
                                                                              "high": 6000}}))
    named = driving_parameters(run_scenario(sc), sc)["Employment multipliers"]
    assert named[0] == "region.supplier_jobs_per_million = 5000 (uncertain: 4000 to 6000)"
    assert "uncertain" not in named[-1]   # household_local_spending_share is not
