"""Tests for simulator.metrics.economic against published input-output cases."""

import json
from pathlib import Path

import numpy as np
import pytest

from simulator.metrics.economic import (
    close_households,
    decompose_output_effects,
    effect_multipliers,
    leontief_inverse,
    lm3,
    output_multipliers,
    ratio_multipliers,
    technical_coefficients,
    type1_multipliers,
    type2_multipliers,
)

VALIDATION = Path(__file__).parent / "data" / "validation"


def load(name):
    with open(VALIDATION / name, encoding="utf-8") as handle:
        return json.load(handle)


MB = load("io_miller_blair_2sector.json")
NL = load("io_spicosa_netherlands_2000_6sector.json")
LM3 = load("lm3.json")


# --------------------------------------------------------------------------
# Miller & Blair (2009) 2-sector example; file tolerance: rel 1e-5 for A, L,
# x and 1e-4 for multipliers.
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mb():
    inputs = MB["inputs"]
    A = technical_coefficients(inputs["Z_transactions"], inputs["total_output_x"])
    return {"A": A, "L": leontief_inverse(A), **inputs}


def test_mb_technical_coefficients(mb):
    np.testing.assert_allclose(mb["A"], MB["expected_published"]["A"], rtol=1e-5)


def test_mb_leontief_inverse(mb):
    np.testing.assert_allclose(mb["L"], MB["expected_published"]["L_leontief_inverse"], rtol=1e-5)
    exact = np.array([[380.0, 100.0], [80.0, 340.0]]) / 303.0
    np.testing.assert_allclose(mb["L"], exact, rtol=1e-12)


def test_mb_leontief_inverse_reproduces_base_year_output(mb):
    np.testing.assert_allclose(mb["L"] @ mb["final_demand_f"], mb["total_output_x"], rtol=1e-12)


def test_mb_output_multipliers(mb):
    expected = MB["expected_derived_by_helper"]["type_I_output_multipliers_colsum_L"]
    np.testing.assert_allclose(output_multipliers(mb["A"]), expected, rtol=1e-4)


def test_mb_output_for_new_final_demand(mb):
    x_new = mb["L"] @ np.array(mb["new_final_demand_f_new"])
    # The book prints x_new to one decimal (exact: 1247.5248, 1841.5842), so
    # the check is at the published precision rather than rel 1e-5.
    np.testing.assert_array_equal(np.round(x_new, 1), MB["expected_published"]["x_new_for_f_new"])


def test_mb_labour_totals(mb):
    lab = np.array(mb["labour_input_coefficients"])
    published_x_new = np.array(MB["expected_published"]["x_new_for_f_new"])
    expected = MB["expected_published"]["labour_totals_for_x_new"]
    np.testing.assert_allclose(lab * published_x_new, expected, rtol=1e-12)
    # From the unrounded x_new, within the 0.05 rounding of the printed x_new.
    x_new = mb["L"] @ np.array(mb["new_final_demand_f_new"])
    assert np.all(np.abs(lab * x_new - expected) <= 0.05 * lab)


def test_mb_labour_multipliers(mb):
    lab = mb["labour_input_coefficients"]
    helper = MB["expected_derived_by_helper"]
    np.testing.assert_allclose(effect_multipliers(lab, mb["A"]), helper["labour_multipliers_lab_times_L"], rtol=1e-4)
    np.testing.assert_allclose(ratio_multipliers(lab, mb["A"]), helper["type_I_labour_multiplier_ratio"], rtol=1e-4)


def test_mb_value_added_multipliers_are_one(mb):
    va = np.array(mb["value_added_payments_sector"]) / np.array(mb["total_output_x"])
    helper = MB["expected_derived_by_helper"]
    np.testing.assert_allclose(va, helper["value_added_coefficients"], rtol=1e-12)
    np.testing.assert_allclose(effect_multipliers(va, mb["A"]), helper["value_added_multipliers"], rtol=1e-12)


def test_mb_new_industry_example(mb):
    case = MB["supplementary_new_industry_example"]
    inputs, expected = case["inputs"], case["expected"]
    delta_f = np.array([inputs["a13"], inputs["a23"]]) * inputs["x3_bar"]
    np.testing.assert_allclose(delta_f, expected["delta_f"], rtol=1e-12)
    np.testing.assert_allclose(mb["L"] @ delta_f, expected["delta_x"], rtol=1e-8)
    jobs = effect_multipliers(inputs["employment_coefficients_E"], mb["A"]) @ delta_f
    assert jobs == pytest.approx(expected["delta_employment"], rel=1e-8)


# --------------------------------------------------------------------------
# Spicosa: Netherlands 2000, 6 sectors. Type I published to 3 d.p.
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def nl():
    inputs = NL["inputs"]
    x = np.array(inputs["total_output_x"], dtype=float)
    A = technical_coefficients(inputs["Z_domestic_intermediate"], x)
    w = np.array(inputs["compensation_of_employees"]) / x
    c = np.array(inputs["household_consumption_for_type_II_closure"]) / np.sum(inputs["compensation_of_employees"])
    return {"A": A, "w": w, "c": c}


NL_HELPER = NL["expected_derived_by_helper"]
NL_PLAIN = NL_HELPER["type_II_closure_hh_consumption_over_total_compensation"]
NL_ROUNDED_C = [0.0, 0.0, 0.08, 0.03, 0.0, 0.59]


def test_nl_table_balances():
    inputs = NL["inputs"]
    Z = np.array(inputs["Z_domestic_intermediate"], dtype=float)
    x = np.array(inputs["total_output_x"], dtype=float)
    column_total = Z.sum(axis=0) + np.sum([inputs[k] for k in ("imports_row", "net_taxes_row", "value_added_bp")], axis=0)
    np.testing.assert_array_equal(column_total, x)
    row_total = Z.sum(axis=1) + np.sum(inputs["final_demand"], axis=1)
    np.testing.assert_allclose(row_total, x, atol=1.0)


def test_nl_technical_coefficients_and_inverse(nl):
    np.testing.assert_allclose(nl["A"], NL_HELPER["A"], atol=5e-7)
    np.testing.assert_allclose(leontief_inverse(nl["A"]), NL_HELPER["L"], atol=1e-6)
    np.testing.assert_allclose(output_multipliers(nl["A"]), NL_HELPER["type_I_output_multipliers"], atol=5e-5)


def test_nl_type1_income_multipliers(nl):
    published = NL["expected_published"]["type_I_income_multipliers"]
    np.testing.assert_allclose(nl["w"], NL_HELPER["compensation_coefficients"], atol=5e-7)
    np.testing.assert_allclose(ratio_multipliers(nl["w"], nl["A"]), published, atol=5e-4)


def test_nl_income_effects(nl):
    published = NL["expected_published"]["income_effect_per_unit_final_demand_wc_times_L"]
    np.testing.assert_allclose(effect_multipliers(nl["w"], nl["A"]), published, atol=5e-4)


def test_nl_type1_helper_bundles_the_single_functions(nl):
    e = np.linspace(1.0, 6.0, 6) * 1e-5
    result = type1_multipliers(nl["A"], nl["w"], employment_coeffs=e)
    np.testing.assert_allclose(result["output"], output_multipliers(nl["A"]), rtol=1e-12)
    np.testing.assert_allclose(result["income_effect"], effect_multipliers(nl["w"], nl["A"]), rtol=1e-12)
    np.testing.assert_allclose(result["income"], ratio_multipliers(nl["w"], nl["A"]), rtol=1e-12)
    np.testing.assert_allclose(result["employment_effect"], effect_multipliers(e, nl["A"]), rtol=1e-12)
    np.testing.assert_allclose(result["employment"], ratio_multipliers(e, nl["A"]), rtol=1e-12)
    assert set(type1_multipliers(nl["A"], nl["w"])) == {"output", "income", "income_effect"}


def test_nl_type2_plain_closure(nl):
    np.testing.assert_allclose(nl["c"], NL_PLAIN["household_consumption_coefficients"], atol=5e-7)
    result = type2_multipliers(nl["A"], nl["w"], nl["c"])
    np.testing.assert_allclose(result["income"], NL_PLAIN["type_II_income_multipliers"], atol=1e-3)
    np.testing.assert_allclose(result["output"], NL_PLAIN["type_II_output_multipliers_excl_household_row"], atol=1e-3)
    np.testing.assert_allclose(result["output_with_households"] - result["output"],
                               leontief_inverse(close_households(nl["A"], nl["w"], nl["c"]))[6, :6], rtol=1e-12)


def test_nl_type2_rounded_closure_matches_published(nl):
    income = type2_multipliers(nl["A"], nl["w"], NL_ROUNDED_C)["income"]
    helper = NL_HELPER["type_II_closure_rounded_coefficients_0_0_.08_.03_0_.59"]["type_II_income_multipliers"]
    np.testing.assert_allclose(income, helper, atol=1e-3)
    np.testing.assert_allclose(income, NL["expected_published"]["type_II_income_multipliers_UNVERIFIED"], rtol=1e-3)


def test_nl_type2_employment_equals_income_for_income_coefficients(nl):
    result = type2_multipliers(nl["A"], nl["w"], nl["c"], employment_coeffs=nl["w"])
    np.testing.assert_allclose(result["employment"], result["income"], rtol=1e-10)


def test_nl_decomposition_adds_up_to_type2_output(nl):
    parts = decompose_output_effects(nl["A"], nl["w"], nl["c"])
    np.testing.assert_array_equal(parts["direct"], np.ones(6))
    np.testing.assert_allclose(parts["indirect"], np.array(NL_HELPER["type_I_output_multipliers"]) - 1, atol=5e-5)
    total = parts["direct"] + parts["indirect"] + parts["induced"]
    np.testing.assert_allclose(total, NL_PLAIN["type_II_output_multipliers_excl_household_row"], atol=1e-3)
    assert np.all(parts["induced"] > 0)


# --------------------------------------------------------------------------
# Structural properties on random productive economies (fixed seed).
# --------------------------------------------------------------------------

def random_economies(count=50, seed=20240517):
    """Economies whose closed model has every column sum < 1 (productive)."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n = int(rng.integers(2, 9))
        A = rng.uniform(0.0, 1.0, (n, n))
        column_sums = rng.uniform(0.05, 0.6, n)
        A *= column_sums / A.sum(axis=0)
        w = rng.uniform(0.05, 0.95 - column_sums)
        c = rng.dirichlet(np.ones(n)) * rng.uniform(0.3, 0.95)
        e = rng.uniform(0.0, 2.0, n) * (rng.random(n) > 0.2)
        yield A, w, c, e


ECONOMIES = list(random_economies())


@pytest.mark.parametrize("A, w, c, e", ECONOMIES[:1])
def test_close_households_layout(A, w, c, e):
    n = A.shape[0]
    closed = close_households(A, w, c)
    assert closed.shape == (n + 1, n + 1)
    np.testing.assert_array_equal(closed[:n, :n], A)
    np.testing.assert_array_equal(closed[n, :n], w)
    np.testing.assert_array_equal(closed[:n, n], c)
    assert closed[n, n] == 0.0


def test_leontief_inverse_dominates_identity():
    for A, _, _, _ in ECONOMIES:
        L = leontief_inverse(A)
        assert np.all(L >= 0.0)
        assert np.all(L >= np.eye(A.shape[0]) - 1e-12)
        np.testing.assert_allclose(L @ (np.eye(A.shape[0]) - A), np.eye(A.shape[0]), atol=1e-10)


def test_type2_multipliers_exceed_type1():
    for A, w, c, e in ECONOMIES:
        type1 = type1_multipliers(A, w, employment_coeffs=e)
        type2 = type2_multipliers(A, w, c, employment_coeffs=e)
        assert np.all(type2["output"] >= type1["output"] - 1e-12)
        assert np.all(type2["output_with_households"] >= type2["output"])
        assert np.all(type2["income"] >= type1["income"] - 1e-12)
        assert np.all(type2["employment"] >= type1["employment"] - 1e-12)
        assert np.all(type1["output"] >= 1.0 - 1e-12)


def test_type2_to_type1_income_ratio_is_the_same_for_every_sector():
    # Miller & Blair (2009) sec. 6.2.2: Type II / Type I income = 1 / (1 - w L c).
    for A, w, c, _ in ECONOMIES:
        ratio = type2_multipliers(A, w, c)["income"] / ratio_multipliers(w, A)
        expected = 1.0 / (1.0 - effect_multipliers(w, A) @ c)
        np.testing.assert_allclose(ratio, expected, rtol=1e-9)


def test_ratio_multiplier_is_zero_where_coefficient_is_zero():
    A = [[0.1, 0.2], [0.3, 0.1]]
    result = ratio_multipliers([0.0, 0.5], A)
    assert result[0] == 0.0
    assert result[1] > 1.0


def test_zero_output_sector_gets_zero_column():
    A = technical_coefficients([[10.0, 0.0], [5.0, 0.0]], [100.0, 0.0])
    np.testing.assert_array_equal(A, [[0.1, 0.0], [0.05, 0.0]])


# --------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------

@pytest.mark.parametrize("A", [[[0.5, 0.5], [0.5, 0.5]], [[1.0]], [[0.6, 0.4], [0.4, 0.6 + 1e-14]]])
def test_singular_economy_is_rejected(A):
    with pytest.raises(ValueError, match="I - A is singular"):
        leontief_inverse(A)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: leontief_inverse([[0.1, 0.2, 0.3], [0.1, 0.2, 0.3]]), r"A must be a square 2-D matrix, got shape \(2, 3\)"),
        (lambda: leontief_inverse([0.1, 0.2]), r"A must be a square 2-D matrix, got shape \(2,\)"),
        (lambda: technical_coefficients([[1.0, 2.0], [3.0, 4.0]], [10.0, 20.0, 30.0]), r"x must be a 1-D array of shape \(2,\), got shape \(3,\)"),
        (lambda: effect_multipliers([0.1], [[0.1, 0.2], [0.3, 0.1]]), r"coeffs must be a 1-D array of shape \(2,\)"),
        (lambda: close_households([[0.1]], [0.1, 0.2], [0.5]), r"income_coeffs must be a 1-D array of shape \(1,\)"),
        (lambda: type2_multipliers([[0.1]], [0.1], [[0.5]]), r"consumption_coeffs must be a 1-D array of shape \(1,\)"),
        (lambda: type1_multipliers([[0.1]], [0.1], employment_coeffs=[1.0, 2.0]), r"employment_coeffs must be a 1-D array"),
    ],
)
def test_wrong_shapes_are_rejected(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: leontief_inverse([[np.nan, 0.1], [0.1, 0.1]]), "A"),
        (lambda: technical_coefficients([[1.0, np.inf], [1.0, 1.0]], [10.0, 10.0]), "Z"),
        (lambda: technical_coefficients([[1.0, 1.0], [1.0, 1.0]], [10.0, np.nan]), "x"),
        (lambda: ratio_multipliers([np.nan, 0.1], [[0.1, 0.1], [0.1, 0.1]]), "coeffs"),
        (lambda: type2_multipliers([[0.1]], [0.1], [np.nan]), "consumption_coeffs"),
    ],
)
def test_non_finite_inputs_are_rejected(call, name):
    with pytest.raises(ValueError, match=rf"^{name} must contain only finite numbers"):
        call()


# --------------------------------------------------------------------------
# LM3 (Sacks 2002)
# --------------------------------------------------------------------------

def rounds(inputs):
    """R1, R2, R3 from a case's inputs (keys 'R1' or 'R1_<description>')."""
    return [next(v for k, v in inputs.items() if k.split("_")[0] == f"R{i}") for i in (1, 2, 3)]


LM3_ROUND_CASES = [case for case in LM3["cases"] if "inputs" in case]
NORTHUMBERLAND = next(case for case in LM3["cases"] if "published" in case)


def test_lm3_file_cases_are_all_covered():
    assert len(LM3_ROUND_CASES) + 1 == len(LM3["cases"])


@pytest.mark.parametrize("case", LM3_ROUND_CASES, ids=lambda case: case["name"])
def test_lm3_cases(case):
    assert lm3(*rounds(case["inputs"])) == pytest.approx(case["expected"]["LM3"], abs=1e-12)


def test_lm3_slide_sequence_is_geometric():
    case = LM3_ROUND_CASES[0]
    r1, r2, r3 = rounds(case["inputs"])
    p = r2 / r1
    assert r3 / r2 == pytest.approx(p)
    assert case["inputs"]["next_round_shown_on_slide"] / r3 == pytest.approx(p)
    assert 1 + p + p**2 == pytest.approx(case["expected"]["check_1_plus_p_plus_p2_with_p_0.8"])


def test_lm3_northumberland_supplier_multiplier():
    # Published GBP 1.76 is (R1 + R2) / R1 with R1 = 1 and R2 = the 76% local re-spend.
    published = NORTHUMBERLAND["published"]
    value = lm3(1.0, published["local_suppliers_respend_locally_share"], 0.0)
    assert value == pytest.approx(published["value_of_GBP1_spent_with_local_supplier"], abs=1e-12)


@pytest.mark.parametrize("p", [0.0, 0.1, 0.25, 0.5, 0.8, 0.95, 1.0])
@pytest.mark.parametrize("scale", [1.0, 2500.0])
def test_lm3_geometric_special_case(p, scale):
    assert lm3(scale, scale * p, scale * p**2) == pytest.approx(1 + p + p**2, rel=1e-12)


def test_lm3_bounds():
    rng = np.random.default_rng(7)
    for _ in range(200):
        r1 = rng.uniform(0.1, 1e6)
        r2 = r1 * rng.random()
        r3 = r2 * rng.random()
        assert 1.0 <= lm3(r1, r2, r3) <= 3.0
    assert lm3(5.0, 0.0, 0.0) == 1.0
    assert lm3(5.0, 5.0, 5.0) == 3.0


@pytest.mark.parametrize(
    "args, message",
    [
        ((0.0, 0.0, 0.0), "round1 must be positive"),
        ((-10.0, 0.0, 0.0), "round1 must be positive"),
        ((10.0, -1.0, 0.0), "round2 and round3 must be non-negative"),
        ((10.0, 5.0, -1.0), "round2 and round3 must be non-negative"),
        ((10.0, 11.0, 0.0), r"round2 \(11.0\) cannot exceed round1 \(10.0\)"),
        ((10.0, 5.0, 6.0), r"round3 \(6.0\) cannot exceed round2 \(5.0\)"),
        ((np.nan, 5.0, 1.0), "round1 must contain only finite numbers"),
        ((10.0, [5.0, 1.0], 1.0), "round2 must be a scalar"),
    ],
)
def test_lm3_rejects_invalid_rounds(args, message):
    with pytest.raises(ValueError, match=message):
        lm3(*args)
