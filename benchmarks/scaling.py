"""How eipsim's run time and memory scale with the number of firms in a park.

For each park size, in a freshly spawned interpreter (:func:`measure_size`), the benchmark

1. generates a synthetic park (:func:`generate_park`) and validates it the way a scenario file
   is validated (archetypes merged, structure and recipe balances checked);
2. builds its network once (:func:`simulator.network.build_network`) and times that separately;
3. runs :func:`simulator.model.park.run_scenario` ``--repeats`` times on that network and reports
   the median wall time, SimPy events, events/s, firm-years/s, candidate links and shipments;
4. measures memory: the peak resident set size above an interpreter that has only imported the
   package, the size of what a run records (its result arrays), and, in one more traced run,
   the ``tracemalloc`` peak and the "live state": traced memory excluding what the recorder,
   the ledger and the result hold (:func:`traced_run`).

A bare SimPy loop (:func:`bare_simpy_throughput`), timed in the same interpreter just before
the runs, gives the events/s ceiling of the event engine itself on this machine at that moment,
so the model's events/s can be read as a share of it even when the machine's load drifts.

Run from the repository root::

    python benchmarks/scaling.py --firms 100 1000 5000 --days 365 --repeats 3 --json scaling.json

See ``benchmarks/README.md`` for the measured figures and the targets they are checked against.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import multiprocessing
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import simpy

import simulator
from simulator.compose import compose
from simulator.config import Scenario
from simulator.loader import LoadedDocument, SourceMap
from simulator.model.clock import CountingEnvironment
from simulator.model.park import ParkModel, run_scenario
from simulator.network import ParkNetwork, build_network
from simulator.validation import build_scenario

# --------------------------------------------------------------------------- targets

TARGET_SECONDS_1000 = 5.0
"""Issue target: 1,000 firms x 365 days in under 5 s."""
TARGET_RATIO_5000 = 6.0
"""Issue target: 5,000 firms take at most 6x the time of 1,000 firms."""
TARGET_BYTES_PER_FIRM = 50_000
"""Issue target: less than 50 KB of live simulation state per firm."""
REFERENCE_FIRMS = 1000
"""Size the time ratios are taken against."""
LARGE_FIRMS = 5000
"""Size whose time is held against ``TARGET_RATIO_5000`` x the reference time."""
TARGET_RATIO_10000 = 11.0
"""Issue 16 target: 10,000 firms take at most 11x the CPU time of 1,000 firms."""
RATIO_FIRMS = 10_000
"""Size whose CPU time is held against ``TARGET_RATIO_10000`` x the reference CPU time (CPU time:
on a shared machine, wall time also counts the other processes' turns)."""

# --------------------------------------------------------------------------- park layout

KM2_PER_FIRM = 0.05
"""Land per firm including roads and green space (km2): a park of n firms covers n x 0.05 km2,
so the number of partners within ``MAX_DISTANCE_KM`` stays bounded as n grows."""
FIRMS_PER_BLOCK = 20
"""Firms per square block of the park grid (a block of 20 firms is 1 km2)."""
ANCHOR_SHARE = 0.15
"""Share of anchor tenants; the rest are SMEs (IKM)."""
MAX_DISTANCE_KM = 3.0
"""Longest road distance of a trucked exchange (and longest steam pipeline)."""
FIRMS_PER_TRUCK = 10
"""The shared truck fleet grows with the park: one 20 t truck per this many firms."""

# --------------------------------------------------------------------------- materials
# Prices in IDR per unit (2024, rounded, illustrative), as in scenarios/demo.yaml.

MATERIALS = {
    # virgin inputs
    "coal": {"category": "virgin", "price_per_unit": 1.2e6, "co2e_t_per_unit": 0.1},
    "limestone": {"category": "virgin", "price_per_unit": 1.5e5, "co2e_t_per_unit": 0.005},
    "clinker": {"category": "virgin", "price_per_unit": 9.0e5, "co2e_t_per_unit": 0.85},
    "natural_gypsum": {"category": "virgin", "price_per_unit": 3.5e5, "co2e_t_per_unit": 0.02},
    "sand": {"category": "virgin", "price_per_unit": 1.5e5, "co2e_t_per_unit": 0.005},
    "clay": {"category": "virgin", "price_per_unit": 1.0e5, "co2e_t_per_unit": 0.005},
    "firewood": {"category": "virgin", "price_per_unit": 4.0e5, "co2e_t_per_unit": 0.05},
    "natural_gas": {"unit": "mwh", "category": "virgin", "price_per_unit": 4.6e5, "co2e_t_per_unit": 0.2},
    "steel_scrap": {"category": "virgin", "price_per_unit": 6.5e6, "co2e_t_per_unit": 0.05},
    "lime": {"category": "virgin", "price_per_unit": 1.5e6, "co2e_t_per_unit": 1.0},
    "fresh_fruit_bunches": {"category": "virgin", "price_per_unit": 2.5e6, "co2e_t_per_unit": 0.05},
    "logs": {"category": "virgin", "price_per_unit": 1.5e6, "co2e_t_per_unit": 0.05},
    "sawn_timber": {"category": "virgin", "price_per_unit": 4.5e6, "co2e_t_per_unit": 0.1},
    "glue": {"category": "virgin", "price_per_unit": 1.5e7, "co2e_t_per_unit": 1.5},
    "pulp": {"category": "virgin", "price_per_unit": 9.0e6, "co2e_t_per_unit": 0.6},
    "filler": {"category": "virgin", "price_per_unit": 1.5e6, "co2e_t_per_unit": 0.05},
    # products
    "electricity": {"unit": "mwh", "category": "product", "price_per_unit": 1.1e6},
    "cement": {"category": "product", "price_per_unit": 1.3e6},
    "steel_billet": {"category": "product", "price_per_unit": 9.5e6},
    "crude_palm_oil": {"category": "product", "price_per_unit": 1.2e7},
    "paper": {"category": "product", "price_per_unit": 1.3e7},
    "plywood": {"category": "product", "price_per_unit": 1.3e7},
    "paving_block": {"category": "product", "price_per_unit": 9.0e5},
    "bricks": {"category": "product", "price_per_unit": 6.0e5},
    "compost": {"category": "product", "price_per_unit": 1.0e6},
    "wood_pellets": {"category": "product", "price_per_unit": 2.2e6},
    "charcoal_briquettes": {"category": "product", "price_per_unit": 8.0e6},
    "furniture": {"category": "product", "price_per_unit": 2.5e7},
    # by-products, wastes and utilities
    "fly_ash": {"category": "byproduct", "disposal_cost_per_unit": 3.0e5},
    "bottom_ash": {"category": "byproduct", "disposal_cost_per_unit": 3.0e5},
    "fgd_gypsum": {"category": "byproduct", "disposal_cost_per_unit": 2.0e5},
    "eaf_slag": {"category": "byproduct", "disposal_cost_per_unit": 2.0e5},
    "eaf_dust": {"category": "byproduct", "hazardous": True, "disposal_cost_per_unit": 3.5e6},
    "palm_shells": {"category": "byproduct", "disposal_cost_per_unit": 5.0e4, "disposal_co2e_t_per_unit": 0.1},
    "empty_fruit_bunches": {"category": "byproduct", "price_per_unit": 5.0e4, "disposal_cost_per_unit": 5.0e4,
                            "disposal_co2e_t_per_unit": 0.2, "shelf_life_days": 14},
    "wood_waste": {"category": "byproduct", "price_per_unit": 2.0e5, "disposal_cost_per_unit": 1.0e5,
                   "disposal_co2e_t_per_unit": 0.3},
    "paper_sludge": {"category": "byproduct", "disposal_cost_per_unit": 2.5e5, "disposal_co2e_t_per_unit": 0.2},
    "steam": {"unit": "mwh", "category": "utility"},
}

# --------------------------------------------------------------------------- archetypes
# Recipes follow scenarios/demo.yaml; anchor capacities are those of the captive plants and
# mid-sized mills typical of an Indonesian industrial estate (illustrative). Every firm varies
# day to day (normal, cv 0.1); the plants marked with breakdowns fail at random.

VARIABLE = {"distribution": "normal", "cv": 0.1}
SIX_DAY_WEEK = {"closed_weekdays": [6]}

ANCHORS = {
    "power_plant": {
        "label": "Captive coal power plant (30 MW)", "kind": "anchor", "sector": "D3510 electricity",
        "plot_ha": 20,
        "product": {"material": "electricity", "capacity_per_day": 720, "utilisation": 0.85},
        "inputs": {"coal": {"per_unit": 0.55, "substitutes": {
                       "palm_shells": {"ratio": 1.15, "max_share": 0.05},
                       "wood_waste": {"ratio": 1.3, "max_share": 0.03}}},
                   "limestone": 0.008},
        "outputs": {"fly_ash": 0.03, "bottom_ash": 0.0075, "fgd_gypsum": 0.0136, "steam": 0.15,
                    "loss": 0.5069},
        "variability": VARIABLE, "breakdowns": {"mtbf_days": 120, "mttr_days": 3},
        "employees": 60, "wage_per_year": 1.2e8, "local_staff_share": 0.7, "local_purchase_share": 0.1,
        "fixed_cost_per_year": 1.5e10, "fixed_cost_local_share": 0.3,
    },
    "cement_works": {
        "label": "Cement grinding plant", "kind": "anchor", "sector": "C2394 cement", "plot_ha": 15,
        "product": {"material": "cement", "capacity_per_day": 1000, "utilisation": 0.8},
        "inputs": {"clinker": {"per_unit": 0.8, "substitutes": {"fly_ash": {"ratio": 1.0, "max_share": 0.25}}},
                   "natural_gypsum": {"per_unit": 0.05,
                                      "substitutes": {"fgd_gypsum": {"ratio": 1.0, "max_share": 1.0}}},
                   "limestone": 0.15},
        "variability": VARIABLE,
        "employees": 150, "wage_per_year": 1.1e8, "local_staff_share": 0.75, "local_purchase_share": 0.2,
        "fixed_cost_per_year": 2.0e10, "fixed_cost_local_share": 0.3,
    },
    "steel_mill": {
        "label": "Electric-arc-furnace steel mill", "kind": "anchor", "sector": "C2410 basic iron and steel",
        "plot_ha": 15,
        "product": {"material": "steel_billet", "capacity_per_day": 300, "utilisation": 0.8},
        "inputs": {"steel_scrap": 1.1, "lime": 0.05},
        "outputs": {"eaf_slag": 0.12, "eaf_dust": 0.015, "loss": 0.015},
        "variability": VARIABLE, "breakdowns": {"mtbf_days": 60, "mttr_days": 2},
        "employees": 250, "wage_per_year": 1.0e8, "local_staff_share": 0.8, "local_purchase_share": 0.1,
        "fixed_cost_per_year": 5.0e10, "fixed_cost_local_share": 0.3,
    },
    "palm_oil_mill": {
        "label": "Palm oil mill (45 t FFB/h)", "kind": "anchor", "sector": "C1040 vegetable oils", "plot_ha": 10,
        "product": {"material": "crude_palm_oil", "capacity_per_day": 200, "utilisation": 0.9},
        "inputs": {"fresh_fruit_bunches": 5.0},
        "outputs": {"empty_fruit_bunches": 1.15, "palm_shells": 0.3, "loss": 2.55},
        "variability": VARIABLE,
        "employees": 120, "wage_per_year": 7.0e7, "local_staff_share": 0.9, "local_purchase_share": 0.9,
        "fixed_cost_per_year": 1.5e10, "fixed_cost_local_share": 0.5,
    },
    "paper_mill": {
        "label": "Paper mill", "kind": "anchor", "sector": "C1701 pulp and paper", "plot_ha": 20,
        "product": {"material": "paper", "capacity_per_day": 300, "utilisation": 0.85},
        "inputs": {"pulp": 0.85, "filler": 0.2,
                   "natural_gas": {"per_unit": 1.5, "substitutes": {"steam": {"ratio": 0.9, "max_share": 0.8}}}},
        "outputs": {"paper_sludge": 0.04, "loss": 0.01},
        "variability": VARIABLE,
        "employees": 400, "wage_per_year": 1.0e8, "local_staff_share": 0.7, "local_purchase_share": 0.1,
        "fixed_cost_per_year": 6.0e10, "fixed_cost_local_share": 0.3,
    },
    "plywood_mill": {
        "label": "Plywood mill", "kind": "anchor", "sector": "C1621 veneer and plywood", "plot_ha": 10,
        "product": {"material": "plywood", "capacity_per_day": 150, "utilisation": 0.85},
        "inputs": {"logs": 2.0, "glue": 0.05},
        "outputs": {"wood_waste": 0.8, "loss": 0.25},
        "variability": VARIABLE, "calendar": SIX_DAY_WEEK,
        "employees": 800, "wage_per_year": 6.5e7, "local_staff_share": 0.9, "local_purchase_share": 0.6,
        "fixed_cost_per_year": 2.0e10, "fixed_cost_local_share": 0.5,
    },
}

SMES = {
    "paving_block_maker": {
        "label": "Paving-block maker (IKM)", "kind": "sme", "sector": "C2395 concrete products", "plot_ha": 0.5,
        "product": {"material": "paving_block", "capacity_per_day": 30, "utilisation": 0.8},
        "inputs": {"sand": {"per_unit": 0.85, "substitutes": {
                       "bottom_ash": {"ratio": 1.0, "max_share": 0.3},
                       "eaf_slag": {"ratio": 1.0, "max_share": 0.3},
                       "eaf_dust": {"ratio": 1.0, "max_share": 0.1}}},  # hazardous: no licence, no link
                   "cement": {"per_unit": 0.15, "substitutes": {"fly_ash": {"ratio": 1.0, "max_share": 0.2}}}},
        "variability": VARIABLE, "breakdowns": {"mtbf_days": 45, "mttr_days": 3}, "calendar": SIX_DAY_WEEK,
        "employees": 15, "wage_per_year": 4.5e7, "local_purchase_share": 0.7,
        "fixed_cost_per_year": 3.0e8, "fixed_cost_local_share": 0.9,
    },
    "brick_maker": {
        "label": "Clay-brick kiln (IKM)", "kind": "sme", "sector": "C2392 clay building materials", "plot_ha": 0.5,
        "product": {"material": "bricks", "capacity_per_day": 20, "utilisation": 0.8},
        "inputs": {"clay": {"per_unit": 1.2, "substitutes": {"fly_ash": {"ratio": 1.0, "max_share": 0.15}}},
                   "firewood": {"per_unit": 0.3, "substitutes": {"wood_waste": {"ratio": 1.0, "max_share": 0.6}}}},
        "outputs": {"loss": 0.5},  # moisture and fuel burnt in the kiln
        "variability": VARIABLE, "calendar": SIX_DAY_WEEK,
        "employees": 20, "wage_per_year": 4.0e7, "local_purchase_share": 0.8,
        "fixed_cost_per_year": 2.0e8, "fixed_cost_local_share": 0.9,
    },
    "compost_maker": {
        "label": "Compost maker (IKM)", "kind": "sme", "sector": "C2012 fertilisers", "plot_ha": 1.0,
        "product": {"material": "compost", "capacity_per_day": 20, "utilisation": 0.9, "region_sales_share": 1.0},
        "inputs": {"empty_fruit_bunches": 1.5},  # main input: without bunches, no compost
        "outputs": {"loss": 0.5},
        "variability": VARIABLE, "calendar": SIX_DAY_WEEK,
        "employees": 12, "wage_per_year": 4.0e7, "local_purchase_share": 0.8,
        "fixed_cost_per_year": 1.5e8, "fixed_cost_local_share": 0.9,
    },
    "pellet_maker": {
        "label": "Wood-pellet maker (IKM)", "kind": "sme", "sector": "C1629 other wood products", "plot_ha": 0.5,
        "product": {"material": "wood_pellets", "capacity_per_day": 15, "utilisation": 0.85},
        "inputs": {"wood_waste": 1.25},
        "outputs": {"loss": 0.25},
        "variability": VARIABLE, "breakdowns": {"mtbf_days": 60, "mttr_days": 2}, "calendar": SIX_DAY_WEEK,
        "employees": 20, "wage_per_year": 4.5e7, "local_purchase_share": 0.6,
        "fixed_cost_per_year": 4.0e8, "fixed_cost_local_share": 0.8,
    },
    "briquette_maker": {
        "label": "Shell-charcoal briquette maker (IKM)", "kind": "sme", "sector": "C2029 charcoal briquettes",
        "plot_ha": 0.5,
        "product": {"material": "charcoal_briquettes", "capacity_per_day": 5, "utilisation": 0.85},
        "inputs": {"palm_shells": 3.0},  # carbonisation yield about one third
        "outputs": {"loss": 2.0},
        "variability": VARIABLE, "calendar": SIX_DAY_WEEK,
        "employees": 10, "wage_per_year": 4.0e7, "local_purchase_share": 0.8,
        "fixed_cost_per_year": 1.0e8, "fixed_cost_local_share": 0.9,
    },
    "furniture_workshop": {
        "label": "Furniture workshop (IKM)", "kind": "sme", "sector": "C3100 furniture", "plot_ha": 0.3,
        "product": {"material": "furniture", "capacity_per_day": 3, "utilisation": 0.8},
        "inputs": {"sawn_timber": 1.5, "glue": 0.02},
        "outputs": {"wood_waste": 0.45, "loss": 0.07},  # offcuts and sawdust: a small SME supplier
        "variability": VARIABLE, "calendar": SIX_DAY_WEEK,
        "employees": 12, "wage_per_year": 4.0e7, "local_purchase_share": 0.6,
        "fixed_cost_per_year": 1.0e8, "fixed_cost_local_share": 0.9,
    },
}

ANCHOR_MIX = {"power_plant": 1, "cement_works": 1, "steel_mill": 1, "palm_oil_mill": 1, "paper_mill": 1,
              "plywood_mill": 1}
"""Relative frequency of each anchor archetype among the anchors."""
SME_MIX = {"paving_block_maker": 0.25, "brick_maker": 0.15, "compost_maker": 0.15, "pellet_maker": 0.10,
           "briquette_maker": 0.10, "furniture_workshop": 0.25}
"""Relative frequency of each SME archetype among the SMEs."""


# --------------------------------------------------------------------------- the park generator


def apportion(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Split ``total`` into whole counts proportional to ``weights`` (largest remainder method)."""
    names = list(weights)
    share = np.array([weights[k] for k in names], dtype=float)
    exact = total * share / share.sum()
    counts = np.floor(exact).astype(int)
    for k in np.argsort(-(exact - counts), kind="stable")[: total - counts.sum()]:
        counts[k] += 1
    return dict(zip(names, counts.tolist(), strict=True))


def block_cells(n_blocks: int, side_km: float) -> list[tuple[float, float, float, float]]:
    """Split a square park of ``side_km`` into ``n_blocks`` cells (x0, y0, width, height) in km.

    The cells fill whole rows (about sqrt(n) of them, with counts differing by at most one), so
    the park has no empty corner whatever ``n_blocks`` is and its density is even: the share of
    firms near the park's edge then shrinks smoothly as the park grows.
    """
    rows = max(1, round(math.sqrt(n_blocks)))
    base, extra = divmod(n_blocks, rows)
    height = side_km / rows
    cells = []
    for row in range(rows):
        count = base + (row < extra)
        width = side_km / count
        cells.extend((k * width, row * height, width, height) for k in range(count))
    return cells


def generate_park(n_firms: int, seed: int, days: int = 365) -> dict:
    """A synthetic eco-industrial park of ``n_firms`` firms, as a scenario dict.

    Composition: ``ANCHOR_SHARE`` (15%) of the firms are anchors split evenly over six sectors
    (captive coal power plant emitting fly ash, bottom ash, FGD gypsum and piped steam; cement
    grinding plant taking fly ash and FGD gypsum; EAF steel mill emitting slag and B3 dust; palm
    oil mill emitting empty fruit bunches and shells; paper mill taking steam by pipe; plywood
    mill emitting wood waste). The other 85% are SMEs (IKM): paving-block makers (ash and slag
    for sand, fly ash for cement), clay-brick kilns (fly ash for clay, wood waste for firewood),
    compost makers (empty fruit bunches as main input), wood-pellet makers (wood waste as main
    input), shell-charcoal briquette makers (palm shells as main input) and furniture workshops
    (small suppliers of wood waste). See ``ANCHOR_MIX`` and ``SME_MIX``.

    Layout: the park is a square of ``n_firms`` x ``KM2_PER_FIRM`` (0.05 km2), so the density is
    the same whatever the size and the number of candidate partners of a firm within
    ``MAX_DISTANCE_KM`` is bounded. It is cut into cells of about 1 km2 (:func:`block_cells`),
    each holding a block of ``FIRMS_PER_BLOCK`` (20) firms drawn from the shuffled population;
    within a block, the firms of one archetype form one entry with ``count`` (a small cluster,
    like a *sentra IKM*, on a grid of its plot size) at a random point of the cell.

    Candidate links are left to the simulator (``network.generate``). Discovery is fast
    (partners find each other in about a month, 14 days of negotiation), so most viable links
    trade for most of the year and the exchange market is busy.

    Parameters
    ----------
    n_firms : number of firms (at least 1).
    seed : seeds both the layout (which firms go where) and the run (``run.seed``).
    days : simulated days (``run.horizon_days``).

    Returns
    -------
    dict
        A scenario document; validate it with :func:`validate_park`.
    """
    if n_firms < 1:
        raise ValueError("a park needs at least one firm")
    rng = np.random.default_rng(seed)
    n_anchors = round(ANCHOR_SHARE * n_firms)
    mix = {**apportion(n_anchors, ANCHOR_MIX), **apportion(n_firms - n_anchors, SME_MIX)}
    population = np.array([name for name, count in mix.items() for _ in range(count)])
    rng.shuffle(population)

    side_km = math.sqrt(n_firms * KM2_PER_FIRM)
    n_blocks = math.ceil(n_firms / FIRMS_PER_BLOCK)
    firms = {}
    for block, (x0, y0, width, height) in enumerate(block_cells(n_blocks, side_km)):
        members = population[block * FIRMS_PER_BLOCK:(block + 1) * FIRMS_PER_BLOCK]
        names, counts = np.unique(members, return_counts=True)
        for name, count in zip(names.tolist(), counts.tolist(), strict=True):
            u, v = rng.uniform(0.15, 0.85, size=2)
            firms[f"b{block:04d}_{name}"] = {"archetype": name, "count": count,
                                             "location_km": [round(x0 + u * width, 3), round(y0 + v * height, 3)]}

    return {
        "schema_version": 1,
        "name": f"scaling-{n_firms}",
        "description": f"Synthetic park of {n_firms} firms ({n_anchors} anchors) for the scaling benchmark.",
        "currency": "IDR",
        "run": {"horizon_days": days, "warmup_days": 0, "seed": seed, "ledger_period_days": 30},
        "park": {"area_ha": round(side_km ** 2 * 100, 1), "default_storage_days": 7,
                 "truck_fleet": {"trucks": max(4, math.ceil(n_firms / FIRMS_PER_TRUCK)), "load": 20,
                                 "speed_km_per_h": 30, "cost_per_km": 15000, "loading_hours": 1.0,
                                 "min_load_share": 1.0}},
        "network": {"generate": True, "max_distance_km": MAX_DISTANCE_KM,
                    "pipeline_max_distance_km": MAX_DISTANCE_KM},
        "discovery": {"base_rate_per_year": 12.0, "negotiation_days": 14, "contract_days": 365,
                      "renewal_probability": 0.85, "supplier_surplus_share": 0.5,
                      "handling_cost_per_unit": 10000},
        "region": {"household_local_spending_share": 0.6, "supplier_local_respend_share": 0.4,
                   "supplier_wage_share": 0.3},
        "materials": MATERIALS,
        "archetypes": {**ANCHORS, **SMES},
        "firms": firms,
    }


def validate_park(data: dict) -> Scenario:
    """Validate a generated scenario dict exactly as a scenario file would be.

    ``Scenario.model_validate`` alone does not merge archetypes into the firms that name them
    (that is the validator's first pass), so this goes through
    :func:`simulator.validation.build_scenario`, which also checks references and recipe balances.
    Raises :class:`simulator.errors.ScenarioError` listing every problem.
    """
    return build_scenario(LoadedDocument(data=data, sources=SourceMap(), file="<generated>"))


# --------------------------------------------------------------------------- measurements




def bare_simpy_throughput(processes: int = 100, steps: int = 10_000, repeats: int = 3) -> dict:
    """Events per second of SimPy itself: ``processes`` processes each yielding ``steps`` timeouts.

    Returns the median time of ``repeats`` runs and the events counted the same way as the model's
    (in the model's :class:`simulator.model.clock.CountingEnvironment`, so both pay its count).
    """
    def ticker(env):
        for _ in range(steps):
            yield env.timeout(1)

    times, events = [], 0
    for _ in range(repeats):
        env = CountingEnvironment()
        for _ in range(processes):
            env.process(ticker(env))
        start = time.perf_counter()
        env.run()
        times.append(time.perf_counter() - start)
        events = env.scheduled
    seconds = statistics.median(times)
    return {"processes": processes, "steps": steps, "events": events, "seconds": seconds,
            "events_per_s": events / seconds}


def measure_size(n_firms: int, days: int, repeats: int, seed: int, trace: bool = True,
                 bare: bool = True) -> dict:
    """All figures of one park size; meant to run in a fresh interpreter (see :func:`in_child`).

    Generates and validates the park, builds its network once (timed), then times ``repeats``
    runs on that network (seeds ``seed``, ``seed + 1`` ...) and reports their medians, with:

    * ``rss_peak_bytes``: peak resident set size of the process after the first timed run minus
      the peak before any work (an interpreter that has imported numpy, SimPy and the package):
      scenario, network, one run and its result, and the allocator's slack;
    * ``result_bytes``: the numpy arrays of a RunResult, i.e. what a run records (daily series
      such as ``output`` (days x firms) and ``slot_level`` (days x stores), shipments, ledger).

    With ``bare``, :func:`bare_simpy_throughput` is timed first (``bare_simpy``). With ``trace``,
    one more run (seed ``seed``, not timed: tracing slows it) is measured by :func:`traced_run`.
    """
    baseline_rss = peak_rss_bytes()
    bare_simpy = bare_simpy_throughput() if bare else None
    start = time.perf_counter()
    scenario = validate_park(generate_park(n_firms, seed, days))
    validate_s = time.perf_counter() - start
    start = time.perf_counter()
    scenario = compose(scenario)  # levers and layout, once
    network = build_network(scenario)
    build_s = time.perf_counter() - start

    times, cpu, events, shipments = [], [], [], []
    for k in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run_scenario(scenario, seed + k, network=network)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        events.append(result.sim_events)
        shipments.append(len(result.shipments))
        if k == 0:
            rss_bytes = peak_rss_bytes() - baseline_rss
            result_bytes = result_nbytes(result)
        del result
    run_s = statistics.median(times)
    figures = {
        "firms": n_firms, "days": days, "repeats": repeats,
        "anchors": sum(1 for f in network.firms if f.spec.kind == "anchor"),
        "candidate_links": len(network.links),
        "validate_s": validate_s, "network_build_s": build_s,
        "run_s": run_s, "run_s_all": times,
        "cpu_s": statistics.median(cpu), "cpu_s_all": cpu,
        "sim_events": statistics.median(events),
        "events_per_s": statistics.median(events) / run_s,
        "firm_years_per_s": n_firms * days / 365 / run_s,
        "shipments": statistics.median(shipments),
        "rss_peak_bytes": rss_bytes,
        "result_bytes": result_bytes,
        "bare_simpy": bare_simpy,
    }
    if trace:
        figures.update(traced_run(scenario, seed, network))
        figures["traced_peak_per_firm"] = figures["traced_peak_bytes"] / n_firms
        figures["live_state_per_firm"] = figures["live_state_bytes"] / n_firms
    return figures


TRACE_FRAMES = 3
"""Frames kept per traced allocation: enough to see that numpy was called from the recorder
(one frame would charge e.g. ``np.full`` to numpy; more frames slow the traced run further)."""
RECORDING_MODULES = tuple(os.path.join(os.sep, "simulator", *module.split("/")) + ".py"
                          for module in ("model/recorder", "model/ledger", "results"))
"""Modules that record a run (its results); their allocations are left out of the live state."""


def traced_run(scenario: Scenario, seed: int, network: ParkNetwork, sample_days: int = 30) -> dict:
    """Python-heap memory of one run, from ``tracemalloc``.

    The prebuilt network is not traced (it is allocated before tracing starts). Returns

    * ``traced_peak_bytes``: peak of all memory allocated during the run: the model's state
      (SimPy's queue of pending events and their callbacks, trucks on the road, stores,
      contracts, recipe and firm tables), the recorder's preallocated arrays and growing row
      buffers, the ledger, and the result assembled at the end (which briefly holds row buffers
      and their copies together);
    * ``live_state_bytes``: the largest traced memory, sampled every ``sample_days`` and on
      the last day, *excluding* allocations made by the recorder, the ledger and the result
      (:data:`RECORDING_MODULES` anywhere in the allocation's traceback): the state the
      simulation itself needs to go on.

    The run is driven through :class:`simulator.model.park.ParkModel` (what ``run_scenario``
    does) so that a sampling process can be added to its SimPy environment; taking the snapshots
    is excluded from the peak with ``tracemalloc.reset_peak``.
    """
    samples = sorted({*range(sample_days, scenario.run.horizon_days, sample_days),
                      scenario.run.horizon_days - 0.5})
    live, peaks = [], []

    def sampler(env):
        for day in samples:
            yield env.timeout(day - env.now)
            peaks.append(tracemalloc.get_traced_memory()[1])
            live.append(_live_bytes(tracemalloc.take_snapshot()))
            tracemalloc.reset_peak()

    tracemalloc.start(TRACE_FRAMES)
    try:
        model = ParkModel(compose(scenario), seed, network)
        model.env.process(sampler(model.env))
        model.run()
        peaks.append(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()
    return {"traced_peak_bytes": max(peaks), "live_state_bytes": max(live)}


def _live_bytes(snapshot: tracemalloc.Snapshot) -> int:
    """Traced bytes whose allocation did not pass through a recording module."""
    return sum(stat.size for stat in snapshot.statistics("traceback")
               if not any(frame.filename.endswith(RECORDING_MODULES) for frame in stat.traceback))


def in_child(function, *args):
    """Call ``function(*args)`` in a freshly spawned interpreter and return its result.

    Each park size gets a clean process: its memory peaks are its own and its timings do not
    inherit the heap of the sizes measured before it.
    """
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


def result_nbytes(obj) -> int:
    """Bytes held by the numpy arrays of a RunResult (recursing through dataclasses and containers)."""
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if dataclasses.is_dataclass(obj):
        return sum(result_nbytes(getattr(obj, f.name)) for f in dataclasses.fields(obj))
    if isinstance(obj, dict):
        return sum(result_nbytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(result_nbytes(v) for v in obj)
    return 0


def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


# --------------------------------------------------------------------------- report

COLUMNS = [
    # (heading, width, format, value of a row given the reference row or None)
    ("firms", 6, "{:,}", lambda r, ref: r["firms"]),
    ("links", 8, "{:,}", lambda r, ref: r["candidate_links"]),
    ("build s", 8, "{:.2f}", lambda r, ref: r["network_build_s"]),
    ("run s", 8, "{:.2f}", lambda r, ref: r["run_s"]),
    ("x 1k", 6, "{:.2f}", lambda r, ref: r["run_s"] / ref["run_s"] if ref else None),
    ("CPU s", 8, "{:.2f}", lambda r, ref: r.get("cpu_s")),
    ("x 1k CPU", 8, "{:.2f}", lambda r, ref: r["cpu_s"] / ref["cpu_s"] if ref and "cpu_s" in r else None),
    ("events", 10, "{:,.0f}", lambda r, ref: r["sim_events"]),
    ("events/s", 9, "{:,.0f}", lambda r, ref: r["events_per_s"]),
    ("bare ev/s", 9, "{:,.0f}", lambda r, ref: _bare_events_per_s(r)),
    ("% bare", 6, "{:.1f}", lambda r, ref: _share_of_bare(r)),
    ("firm-yr/s", 9, "{:,.0f}", lambda r, ref: r["firm_years_per_s"]),
    ("shipments", 9, "{:,.0f}", lambda r, ref: r["shipments"]),
    ("RSS KB/firm", 11, "{:.1f}", lambda r, ref: r["rss_peak_bytes"] / r["firms"] / 1e3),
    ("rec KB/firm", 11, "{:.1f}", lambda r, ref: r["result_bytes"] / r["firms"] / 1e3),
    ("peak KB/firm", 12, "{:.1f}", lambda r, ref: _scaled(r.get("traced_peak_per_firm"), 1e3)),
    ("live KB/firm", 12, "{:.1f}", lambda r, ref: _scaled(r.get("live_state_per_firm"), 1e3)),
]


def _scaled(value: float | None, unit: float) -> float | None:
    """``value`` in ``unit`` s, or None when it was not measured."""
    return None if value is None else value / unit


def _bare_events_per_s(row: dict) -> float | None:
    """Bare SimPy's events/s measured with this row, or None when skipped (``--no-bare``)."""
    return row["bare_simpy"]["events_per_s"] if row["bare_simpy"] else None


def _share_of_bare(row: dict) -> float | None:
    """The model's events/s as a percentage of bare SimPy's, measured in the same process."""
    bare = _bare_events_per_s(row)
    return None if bare is None else 100 * row["events_per_s"] / bare


def table(rows: list[dict]) -> str:
    """The per-size figures as a fixed-width text table; '-' where a figure was not measured."""
    reference = next((r for r in rows if r["firms"] == REFERENCE_FIRMS), None)
    lines = ["  ".join(f"{heading:>{width}}" for heading, width, _, _ in COLUMNS)]
    for row in rows:
        cells = []
        for _, width, fmt, value in COLUMNS:
            v = value(row, reference)
            cells.append(f"{'-' if v is None else fmt.format(v):>{width}}")
        lines.append("  ".join(cells))
    return "\n".join(lines)


def verdicts(rows: list[dict]) -> list[str]:
    """The issue's targets, each with the measured figure and whether it is met."""
    by_size = {r["firms"]: r for r in rows}
    lines = []
    ref = by_size.get(REFERENCE_FIRMS)
    if ref and ref["days"] == 365:
        ok = ref["run_s"] < TARGET_SECONDS_1000
        lines.append(f"1,000 firms x 365 days < {TARGET_SECONDS_1000:g} s: {ref['run_s']:.2f} s "
                     f"-> {'met' if ok else 'MISSED'}")
    if ref and LARGE_FIRMS in by_size:
        ratio = by_size[LARGE_FIRMS]["run_s"] / ref["run_s"]
        ok = ratio <= TARGET_RATIO_5000
        lines.append(f"5,000 firms <= {TARGET_RATIO_5000:g}x the 1,000-firm time: {ratio:.2f}x "
                     f"-> {'met' if ok else 'MISSED'}")
    if ref and RATIO_FIRMS in by_size:
        ratio = by_size[RATIO_FIRMS]["cpu_s"] / ref["cpu_s"]
        ok = ratio <= TARGET_RATIO_10000
        lines.append(f"{RATIO_FIRMS:,} firms <= {TARGET_RATIO_10000:g}x the 1,000-firm CPU time: {ratio:.2f}x "
                     f"-> {'met' if ok else 'MISSED'}")
    measured = [r for r in rows if "live_state_per_firm" in r]
    if measured:
        worst = max(measured, key=lambda r: r["live_state_per_firm"])
        ok = worst["live_state_per_firm"] < TARGET_BYTES_PER_FIRM
        lines.append(f"live state < {TARGET_BYTES_PER_FIRM / 1e3:g} KB per firm: worst "
                     f"{worst['live_state_per_firm'] / 1e3:.1f} KB at {worst['firms']:,} firms "
                     f"-> {'met' if ok else 'MISSED'}")
    return lines


def machine() -> dict:
    """What the figures were measured on, and which simulator code they measure."""
    package = os.path.dirname(os.path.abspath(simulator.__file__))
    return {"python": sys.version.split()[0], "simpy": simpy.__version__, "numpy": np.__version__,
            "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpus": multiprocessing.cpu_count(), "simulator_path": package,
            "git_commit": _git(package, "rev-parse", "--short", "HEAD"),
            "simulator_uncommitted_changes": _git(package, "status", "--porcelain", "--", ".") not in (None, "")}


def _git(folder: str, *args: str) -> str | None:
    """Output of a read-only git command run in ``folder``, or None outside a git checkout."""
    try:
        done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def main(argv: list[str] | None = None) -> int:
    """Command line: measure each size, print the table and the targets, optionally save JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--firms", type=int, nargs="+", default=[100, 1000, 5000],
                        help="park sizes (number of firms); default: 100 1000 5000")
    parser.add_argument("--days", type=int, default=365, help="simulated days per run (default 365)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per size; the median is "
                                                               "reported (default 3)")
    parser.add_argument("--seed", type=int, default=20241006, help="seed of the layout and first run")
    parser.add_argument("--trace-up-to", type=int, metavar="FIRMS",
                        help="trace memory (one more, slower run) only for sizes up to FIRMS; "
                             "default: every size")
    parser.add_argument("--no-bare", dest="bare", action="store_false",
                        help="skip the bare SimPy baseline (e.g. when profiling the model)")
    parser.add_argument("--in-process", action="store_true",
                        help="measure in this interpreter instead of a fresh one per size (for "
                             "profilers such as cProfile; memory peaks then include earlier sizes)")
    parser.add_argument("--json", metavar="FILE", help="also save all figures as JSON to FILE")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.days < 1 or min(args.firms) < 1:
        parser.error("--firms, --days and --repeats must be positive")

    rows = []
    for n in sorted(set(args.firms)):
        trace = args.trace_up_to is None or n <= args.trace_up_to
        size_args = (n, args.days, args.repeats, args.seed, trace, args.bare)
        row = measure_size(*size_args) if args.in_process else in_child(measure_size, *size_args)
        rows.append(row)
        runs = ", ".join(f"{t:.2f}" for t in row["run_s_all"])
        bare = f", bare SimPy {_bare_events_per_s(row):,.0f} events/s" if row["bare_simpy"] else ""
        print(f"{n:,} firms: {row['candidate_links']:,} links{bare}, runs {runs} s", flush=True)

    print()
    print(f"{args.days} days, median of {args.repeats} run(s); 'x 1k': time / {REFERENCE_FIRMS:,}-firm time; "
          "'% bare': events/s as a share of bare SimPy")
    print(table(rows))
    for line in verdicts(rows):
        print(line)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"machine": machine(), "args": vars(args), "sizes": rows,
                       "targets": verdicts(rows)}, out, indent=2)
        print(f"figures saved to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
