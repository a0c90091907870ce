"""Small scenario builders shared by the model tests, and folders built once per test session."""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path
from typing import Callable

from filelock import FileLock

from simulator.config import Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def bundled_cases() -> list[tuple[str, str | None]]:
    """(scenario file name, variant or None) of every bundled scenario file and each variant."""
    from simulator.loader import load_document

    found = []
    for path in sorted(SCENARIOS.glob("*.yaml")):
        found.append((path.name, None))
        found.extend((path.name, name) for name in load_document(path).variants)
    return found


def deep_update(base: dict, patch: dict) -> dict:
    """Nested-dict update (patch wins), returning ``base``."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_update(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def chain_dict(**patch) -> dict:
    """A deterministic two-firm chain: a kiln emits `ash` that a block maker can use instead of sand.

    Supplier: 100 units/day of `lime_product`, 0.2 t ash per unit (20 t/day). Consumer: 50 t/day
    of blocks needing 1 t sand per t, ash may replace all of it. An existing tie (known from day
    0), one 20 t truck 2 km away: every day's ash leaves the same day.
    """
    base = {
        "name": "chain",
        "currency": "USD",
        "run": {"horizon_days": 365, "seed": 1, "ledger_period_days": 30},
        "park": {"truck_fleet": {"trucks": 2, "load": 20, "speed_km_per_h": 40, "cost_per_km": 1.0,
                                 "loading_hours": 1.0}},
        "discovery": {"renewal_probability": 1.0, "handling_cost_per_unit": 0.0},
        "materials": {
            "limestone": {"category": "virgin", "price_per_unit": 10, "co2e_t_per_unit": 0.01},
            "sand": {"category": "virgin", "price_per_unit": 20, "co2e_t_per_unit": 0.005},
            "lime_product": {"category": "product", "price_per_unit": 100},
            "blocks": {"category": "product", "price_per_unit": 60},
            "ash": {"category": "byproduct", "disposal_cost_per_unit": 15, "disposal_co2e_t_per_unit": 0.02},
        },
        "firms": {
            "kiln": {"location_km": [0, 0], "product": {"material": "lime_product", "capacity_per_day": 100},
                     "inputs": {"limestone": 1.5}, "outputs": {"ash": 0.2, "loss": 0.3},
                     "storage": {"ash": 200}, "employees": 10, "wage_per_year": 36500,
                     "local_staff_share": 0.5, "local_purchase_share": 0.4},
            "blocks": {"kind": "sme", "location_km": [2, 0],
                       "product": {"material": "blocks", "capacity_per_day": 50},
                       "inputs": {"sand": {"per_unit": 1.0, "substitutes": {"ash": {"ratio": 1.0, "max_share": 1.0}}}},
                       "storage": {"ash": 100}},
        },
        "network": {"road_factor": 1.0, "known_from_day": 0},
    }
    return deep_update(base, patch)


def scenario(data: dict) -> Scenario:
    return Scenario.model_validate(data)


def built_once(tmp_path_factory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder ``build(folder)`` fills once per test session, shared by the xdist workers.

    A module fixture runs once in each worker that runs one of its tests, and work stealing
    spreads a module's tests over both workers: an expensive result folder (an experiment and its
    reports) was built twice. The first worker that needs it builds it under a file lock; the
    others wait for it and reuse it. Tests must only read the folder, or write files of their own.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent               # the session's folder, shared by its workers
    folder = root / f"built-once-{name}"
    with FileLock(str(root / f"built-once-{name}.lock")):
        if not (folder / ".built").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            (folder / ".built").touch()
    return folder
