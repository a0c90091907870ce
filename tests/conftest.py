"""Generic fixtures: a minimal valid scenario as YAML text, and helpers to write broken copies.

The minimal scenario is two firms exchanging fly ash (as in ``scenarios/demo.yaml``): a power
plant burns coal and emits fly ash; a cement works may replace up to 30 % of its clinker with it.
Both recipes balance. Tests break it one way at a time and assert on the exact
``FILE:LINE:COL: path: message (hint)`` that points at the break.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

MINI_SCENARIO = """\
schema_version: 1
name: mini
currency: IDR
run:
  horizon_days: 30
  seed: 7
materials:
  coal: {category: virgin, price_per_unit: 1.2e6}
  clinker: {category: virgin, price_per_unit: 9.0e5}
  electricity: {unit: mwh, category: product, price_per_unit: 1.1e6}
  cement: {category: product, price_per_unit: 1.3e6}
  fly_ash: {category: byproduct, disposal_cost_per_unit: 3.0e5}
firms:
  power_plant:
    kind: anchor
    location_km: [0.0, 0.0]
    product: {material: electricity, capacity_per_day: 100}
    inputs: {coal: 0.5}
    outputs: {fly_ash: 0.05, loss: 0.45}
  cement_works:
    kind: anchor
    location_km: [1.0, 0.0]
    product: {material: cement, capacity_per_day: 100}
    inputs:
      clinker:
        per_unit: 1.0
        substitutes:
          fly_ash: {ratio: 1.0, max_share: 0.3}
    storage: {fly_ash: 50}
exchanges:
  - {supplier: power_plant, consumer: cement_works, material: fly_ash, known_from_day: 0}
"""


def position(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the ``occurrence``-th ``needle`` in ``text``."""
    start = -1
    for _ in range(occurrence):
        start = text.index(needle, start + 1)
    line = text.count("\n", 0, start) + 1
    col = start - (text.rfind("\n", 0, start) + 1) + 1
    return line, col


def replace_once(text: str, old: str, new: str) -> str:
    """``text`` with the single occurrence of ``old`` replaced (fails loudly if not exactly one)."""
    count = text.count(old)
    assert count == 1, f"{old!r} occurs {count} times in the scenario"
    return text.replace(old, new)


@pytest.fixture
def scenario_text() -> str:
    """YAML text of the minimal valid scenario."""
    return MINI_SCENARIO


@pytest.fixture
def locate() -> Callable[..., tuple[int, int]]:
    """``locate(text, needle, occurrence=1) -> (line, col)``, 1-based as in problem marks."""
    return position


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[[str, str], Path]:
    """``write_yaml(name, text) -> Path``: a file in the test's temporary folder."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def mini_scenario(write_yaml) -> Path:
    """The minimal valid scenario written to ``mini.yaml``."""
    return write_yaml("mini.yaml", MINI_SCENARIO)


@pytest.fixture
def broken_scenario(write_yaml) -> Callable[..., tuple[Path, str]]:
    """``broken_scenario((old, new), ..., name="broken.yaml") -> (path, text)``.

    Writes the minimal scenario with each ``old`` snippet (which must occur exactly once)
    replaced by ``new``, and returns the file and its text (to locate expected marks).
    """

    def make(*replacements: tuple[str, str], name: str = "broken.yaml", text: str = MINI_SCENARIO):
        for old, new in replacements:
            text = replace_once(text, old, new)
        return write_yaml(name, text), text

    return make


LONGEST_FIRST = ("test_report.py", "test_explorer.py")
"""Modules whose shared experiment folders and browser tests take longest (``--durations``)."""


def pytest_collection_modifyitems(items):
    """Run the longest modules first: work stealing hands each worker half of the list and lets an
    idle worker steal from the end of the other's queue, so long tests at the end left one worker
    waiting (for the shared folder the other was building, or for the last long test). Only the
    order changes."""
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)
