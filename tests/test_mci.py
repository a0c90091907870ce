"""Tests for simulator.metrics.mci against the Ellen MacArthur methodology cases."""

import json
from pathlib import Path

import numpy as np
import pytest

from simulator.metrics.mci import (
    flow_weighted_mci,
    linear_flow_index,
    material_circularity_indicator,
    mci_components,
    utility_factor,
)

with open(Path(__file__).parent / "data" / "validation" / "mci.json", encoding="utf-8") as handle:
    MCI = json.load(handle)

# Case-file input symbols -> keyword arguments; missing shares default to 0.
ARGUMENTS = {
    "M": "mass",
    "F_R": "recycled_input_share",
    "F_U": "reused_input_share",
    "C_R": "recycled_output_share",
    "C_U": "reused_output_share",
    "E_F": "recycling_efficiency_feedstock",
    "E_C": "recycling_efficiency_collection",
    "L/Lav": "lifetime_ratio",
    "U/Uav": "intensity_ratio",
}
# Case-file output names -> mci_components keys.
COMPONENTS = {"WC": "W_C", "WF": "W_F"}
SHARES = ("recycled_input_share", "reused_input_share", "recycled_output_share", "reused_output_share")


def case_kwargs(inputs):
    kwargs = dict.fromkeys(SHARES, 0.0)
    kwargs.update({ARGUMENTS[symbol]: value for symbol, value in inputs.items()})
    return kwargs


def base_kwargs(**overrides):
    kwargs = dict(mass=1.0, **dict.fromkeys(SHARES, 0.0))
    kwargs.update(overrides)
    return kwargs


@pytest.mark.parametrize("case", MCI["cases"], ids=lambda case: case["name"])
def test_published_cases(case):
    kwargs = case_kwargs(case["inputs"])
    components = mci_components(**kwargs)
    for name, expected in case["expected"].items():
        assert components[COMPONENTS.get(name, name)] == pytest.approx(expected, abs=1e-6), name
    assert material_circularity_indicator(**kwargs) == components["MCI"]


def test_linear_flow_index_and_utility_factor_match_components():
    case = next(case for case in MCI["cases"] if case["name"] == "mixed case, 100 kg product")
    c = mci_components(**case_kwargs(case["inputs"]))
    assert linear_flow_index(100.0, c["V"], c["W0"], c["W_F"], c["W_C"]) == pytest.approx(79.25 / 203.25, rel=1e-12)
    assert utility_factor(c["X"]) == 0.45
    assert utility_factor(1.0) == 0.9


def test_clipping_to_unit_interval():
    low = mci_components(**base_kwargs(lifetime_ratio=0.1))
    assert low["MCI_raw"] == pytest.approx(1 - 9.0) and low["MCI"] == 0.0
    high = mci_components(**base_kwargs(recycled_input_share=1.0, recycled_output_share=1.0, lifetime_ratio=50.0))
    assert high["MCI"] == 1.0
    rng = np.random.default_rng(3)
    for _ in range(100):
        f = rng.dirichlet(np.ones(3))[:2]
        c = rng.dirichlet(np.ones(3))[:2]
        value = material_circularity_indicator(
            rng.uniform(0.1, 100), f[0], f[1], c[0], c[1],
            recycling_efficiency_feedstock=rng.uniform(0.05, 1), recycling_efficiency_collection=rng.random(),
            lifetime_ratio=rng.uniform(0.1, 10), intensity_ratio=rng.uniform(0.1, 10),
        )
        assert 0.0 <= value <= 1.0


def random_bases(count=20, seed=11):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        yield base_kwargs(
            mass=rng.uniform(0.5, 50),
            reused_input_share=rng.uniform(0, 0.3),
            reused_output_share=rng.uniform(0, 0.3),
            recycling_efficiency_feedstock=rng.uniform(0.34, 1.0),
            recycling_efficiency_collection=rng.random(),
            lifetime_ratio=rng.uniform(0.5, 3),
        )


def raw_mci_along(name, grid, **kwargs):
    return np.array([mci_components(**{**kwargs, name: value})["MCI_raw"] for value in grid])


@pytest.mark.parametrize("kwargs", list(random_bases()))
def test_monotone_in_collection_for_recycling(kwargs):
    grid = np.linspace(0, 1 - kwargs["reused_output_share"], 15)
    assert np.all(np.diff(raw_mci_along("recycled_output_share", grid, **kwargs)) >= -1e-12)


@pytest.mark.parametrize("kwargs", list(random_bases()))
def test_monotone_in_utility(kwargs):
    grid = np.linspace(0.2, 5, 15)
    assert np.all(np.diff(raw_mci_along("lifetime_ratio", grid, **kwargs)) > 0)
    assert np.all(np.diff(raw_mci_along("intensity_ratio", grid, **kwargs)) > 0)


@pytest.mark.parametrize("kwargs", list(random_bases()))
def test_monotone_in_recycled_input_when_feedstock_efficiency_above_one_third(kwargs):
    grid = np.linspace(0, 1 - kwargs["reused_input_share"], 15)
    assert np.all(np.diff(raw_mci_along("recycled_input_share", grid, **kwargs)) >= -1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        # E_F well below 1/3 with all output collected for recycling.
        base_kwargs(recycled_output_share=1.0, recycling_efficiency_feedstock=0.1),
        # Just below 1/3: the bound is tight when nearly all flows are reused.
        base_kwargs(reused_input_share=0.9, reused_output_share=1.0, recycling_efficiency_feedstock=0.3),
    ],
)
def test_recycled_input_can_lower_mci_when_feedstock_efficiency_below_one_third(kwargs):
    grid = np.linspace(0, 1 - kwargs["reused_input_share"], 15)
    assert np.all(np.diff(raw_mci_along("recycled_input_share", grid, **kwargs)) < 0)


def test_2019_extensions_default_to_2015_and_act_like_perfect_loops():
    assert material_circularity_indicator(**base_kwargs(
        sustained_input_share=0.0, composted_output_share=0.0, energy_recovery_output_share=0.0,
    )) == pytest.approx(0.1)
    sustained = mci_components(**base_kwargs(sustained_input_share=0.3))
    recycled = mci_components(**base_kwargs(recycled_input_share=0.3))
    assert sustained["V"] == pytest.approx(0.7) and sustained["MCI"] == pytest.approx(recycled["MCI"])
    composted = mci_components(**base_kwargs(composted_output_share=0.25, energy_recovery_output_share=0.25))
    reused = mci_components(**base_kwargs(reused_output_share=0.5))
    assert composted["W0"] == pytest.approx(0.5) and composted["MCI"] == pytest.approx(reused["MCI"])


def test_shares_summing_to_one_with_rounding_are_accepted():
    assert 0.33 + 0.56 + 0.11 > 1.0  # float rounding
    components = mci_components(1.0, 0.33, 0.56, 0.7, 0.2, sustained_input_share=0.11, composted_output_share=0.1)
    assert components["V"] == 0.0
    assert components["MCI"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"recycled_input_share": 1.2}, r"recycled_input_share must be a fraction in \[0, 1\], got 1.2"),
        ({"reused_output_share": -0.1}, r"reused_output_share must be a fraction in \[0, 1\]"),
        ({"recycled_input_share": 0.7, "reused_input_share": 0.4}, "recycled_input_share \\+ reused_input_share \\+ sustained_input_share must not exceed 1"),
        ({"recycled_output_share": 0.6, "reused_output_share": 0.3, "energy_recovery_output_share": 0.2}, "recycled_output_share \\+ reused_output_share .* must not exceed 1"),
        ({"recycling_efficiency_feedstock": 0.0}, r"recycling_efficiency_feedstock must be in \(0, 1\]"),
        ({"recycling_efficiency_feedstock": 1.5}, "recycling_efficiency_feedstock must be a fraction"),
        ({"recycling_efficiency_collection": -0.5}, "recycling_efficiency_collection must be a fraction"),
        ({"mass": 0.0}, "mass must be positive"),
        ({"lifetime_ratio": 0.0}, "lifetime_ratio must be positive"),
        ({"intensity_ratio": -1.0}, "intensity_ratio must be positive"),
        ({"recycled_output_share": float("nan")}, "recycled_output_share must be a finite number"),
    ],
)
def test_invalid_inputs_are_rejected(overrides, message):
    with pytest.raises(ValueError, match=message):
        material_circularity_indicator(**base_kwargs(**overrides))


def test_utility_factor_and_lfi_reject_invalid_inputs():
    with pytest.raises(ValueError, match="x must be positive"):
        utility_factor(0.0)
    with pytest.raises(ValueError, match="mass must be positive"):
        linear_flow_index(0.0, 1.0, 1.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="unrecoverable_waste must be non-negative"):
        linear_flow_index(1.0, 1.0, -0.1, 0.0, 0.0)


def test_flow_weighted_mci():
    assert flow_weighted_mci([0.1, 0.5, 0.9], [1.0, 2.0, 1.0]) == pytest.approx(0.5)
    assert flow_weighted_mci([0.2, 0.6], [3.0, 3.0]) == pytest.approx(0.4)
    assert flow_weighted_mci([0.2, 0.9], [1.0, 0.0]) == pytest.approx(0.2)
    assert flow_weighted_mci([0.7], [42.0]) == pytest.approx(0.7)


@pytest.mark.parametrize(
    "values, weights, message",
    [
        ([0.1, 0.2], [1.0], r"weights must have the shape of values \(2,\), got shape \(1,\)"),
        ([], [], "values must be a non-empty 1-D array"),
        ([0.1, 1.2], [1.0, 1.0], r"values must be MCIs in \[0, 1\]"),
        ([0.1, 0.2], [1.0, -1.0], "weights must be non-negative with a positive sum"),
        ([0.1, 0.2], [0.0, 0.0], "weights must be non-negative with a positive sum"),
        ([0.1, np.nan], [1.0, 1.0], "values and weights must contain only finite numbers"),
    ],
)
def test_flow_weighted_mci_rejects_invalid_inputs(values, weights, message):
    with pytest.raises(ValueError, match=message):
        flow_weighted_mci(values, weights)


# --------------------------------------------------------------------------- a park's MCI (issue 12)


def _chain_mci(**patch):
    from helpers import chain_dict, scenario

    from simulator.metrics.material import firm_circularity, park_mci
    from simulator.model.park import run_scenario
    result = run_scenario(scenario(chain_dict(**patch)))
    return result, firm_circularity(result), park_mci(result)


def test_park_mci_maps_firm_flows_to_emf_terms_in_one_mass_base():
    """Hand-computed chain (see helpers.chain_dict): the kiln turns 150 t limestone/day into 100 t
    lime and 20 t ash that all goes to the block maker; the block maker makes 50 t blocks/day
    from 20 t ash + 30 t sand, and half its blocks are collected after use.

    kiln: M = 150, F_R = 0, C_R = 20 / 150 -> LFI = (150 + 130) / 300, MCI = 1 - 0.9 LFI = 0.16;
    blocks: M = 50, F_R = 0.4, C_R = 0.5 -> LFI = (30 + 25) / 100, MCI = 0.505."""
    result, (mass, f_r, c_r), park = _chain_mci(materials={"blocks": {"eol_collection_rate": 0.5}})
    kiln, blocks = result.firms.ids.index("kiln"), result.firms.ids.index("blocks")
    days = result.horizon_days
    assert mass[kiln] == pytest.approx(150 * days) and mass[blocks] == pytest.approx(50 * days)
    assert f_r[blocks] == pytest.approx(0.4, rel=5e-3) and f_r[kiln] == 0
    assert c_r[kiln] == pytest.approx(20 / 150, rel=1e-2) and c_r[blocks] == pytest.approx(0.5)
    kiln_mci = material_circularity_indicator(1.0, 0.0, 0.0, c_r[kiln], 0.0)
    blocks_mci = material_circularity_indicator(1.0, f_r[blocks], 0.0, c_r[blocks], 0.0)
    assert kiln_mci == pytest.approx(0.16, abs=2e-3) and blocks_mci == pytest.approx(0.505, abs=1e-3)
    assert park == pytest.approx((150 * kiln_mci + 50 * blocks_mci) / 200, rel=1e-9)


def test_a_firm_without_byproducts_is_linear_not_half_circular():
    """A firm that sends nothing to others and whose product is not collected is fully linear
    (MCI 0.1), not a firm whose whole input is waste while its by-products count as recovered."""
    _, _, park = _chain_mci(network={"generate": False, "known_from_day": None})
    assert park == pytest.approx(0.1)


def test_product_collection_raises_the_mci():
    _, _, none = _chain_mci()
    _, _, half = _chain_mci(materials={"lime_product": {"eol_collection_rate": 0.5}})
    assert half > none
