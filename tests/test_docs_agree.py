"""Docs that say what the program does (issue 14, item 9): numbers and meanings in the docs and
in the tables a run writes agree."""

from __future__ import annotations

import re

import numpy as np
from helpers import ROOT, SCENARIOS

from simulator.model.park import run_scenario
from simulator.validation import load_scenario
from simulator.vocabulary import format_value


def test_the_firm_entries_the_docs_count_are_those_of_the_scenario():
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    counted = re.findall(r"\[`scenarios/(\w+)\.yaml`\]\([^)]*\) \((\d+) firm entries\)", text)
    assert counted, "docs/scenarios.md no longer counts the demo's firm entries"
    for name, count in counted:
        scenario, _ = load_scenario(SCENARIOS / f"{name}.yaml")
        assert len(scenario.firms) == int(count), name


def test_links_csv_says_inf_for_links_not_found_within_the_run():
    """docs/scenarios.md: `found_day` (inf: never found in the horizon); a drawn day beyond the
    horizon was written as if it were a day of the run."""
    scenario, _ = load_scenario(SCENARIOS / "demo.yaml", overrides=["run.horizon_days=60", "run.warmup_days=0"])
    result = run_scenario(scenario)
    found = np.asarray(result.links_table()["found_day"], dtype=float)
    assert np.isinf(found).any() and np.all((found < 60) | np.isinf(found))
    assert np.isinf(result.links.found_day).sum() <= np.isinf(found).sum()
    distances = np.asarray(result.links_table()["distance_km"], dtype=float)
    assert np.allclose(distances, np.round(distances, 3))


def test_a_day_of_the_run_reads_as_one():
    assert format_value(152.0, "day") == "day 152"        # "Median discovery day 152 day"
    assert format_value(152.0, "day", "id") == "hari ke-152"
    assert format_value(12.0, "days") == "12 days"
