"""Pinned results: a change that moves any indicator of a bundled scenario must say so.

``tests/baselines/headline.json`` holds every indicator of one full run of each bundled scenario
and variant (its own horizon and seed). A change of model semantics that moves a number on
purpose regenerates it with ``python tests/baselines/regenerate.py`` in the same commit; anything
else that moves a number is a regression this test catches.
"""

from __future__ import annotations

import importlib.util
import json
import math

import pytest
from helpers import ROOT

SPEC = importlib.util.spec_from_file_location("regenerate_baselines", ROOT / "tests" / "baselines" / "regenerate.py")
regenerate = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(regenerate)
PINNED = json.loads(regenerate.BASELINE.read_text(encoding="utf-8"))
RELATIVE_TOLERANCE = 1e-7
"""Room for summation-order differences between numpy builds; any model change moves more."""
ABSOLUTE_TOLERANCE = 1e-9
"""For values pinned at zero (e.g. the mass-balance residual, ~1e-16)."""
HOW_TO = "if the change is intended, run `python tests/baselines/regenerate.py` and commit the diff"


def test_every_bundled_scenario_and_variant_is_pinned():
    expected = {regenerate.case_key(n, v) for n, v in regenerate.cases()}
    assert set(PINNED) == expected, f"bundled scenarios and baselines differ; {HOW_TO}"


@pytest.mark.parametrize("name, variant", regenerate.cases(), ids=lambda v: v or "-")
def test_headline_numbers_are_unchanged(name, variant):
    pinned = PINNED.get(regenerate.case_key(name, variant))
    assert pinned is not None, f"{name} {variant or ''} has no baseline; {HOW_TO}"
    now = regenerate.headline(name, variant)
    assert set(now) == set(pinned), (f"indicators added {sorted(set(now) - set(pinned))}, "
                                     f"removed {sorted(set(pinned) - set(now))}; {HOW_TO}")
    moved = {key: (pinned[key], now[key]) for key in now
             if not _same(pinned[key], now[key])}
    assert not moved, f"{name} {variant or ''}: indicators moved (pinned, now): {moved}; {HOW_TO}"


def _same(pinned: float | None, now: float | None) -> bool:
    if pinned is None or now is None:
        return pinned is None and now is None
    return math.isclose(pinned, now, rel_tol=RELATIVE_TOLERANCE, abs_tol=ABSOLUTE_TOLERANCE)
