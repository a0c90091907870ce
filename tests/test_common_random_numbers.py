"""Common random numbers: every random draw of a firm is keyed by its identity, not its position.

Adding a firm, or a lever that adds firms, must leave every other firm's draws unchanged, so that
paired comparisons of scenarios differ only where the lever acts.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers import SCENARIOS

from simulator.loader import load_document
from simulator.model.firm import firm_seed
from simulator.model.park import run_scenario
from simulator.validation import build_scenario, load_scenario

FAR_FIRM = {
    "label": "Far-away workshop that trades with nobody",
    "kind": "sme",
    "location_km": [900.0, 900.0],
    "product": {"material": "isolated_goods", "capacity_per_day": 10},
    "inputs": {"isolated_feed": 1.0},
    "variability": {"distribution": "normal", "cv": 0.2},
    "breakdowns": {"mtbf_days": 20, "mttr_days": 2},
}


def _demo_with_far_firm():
    """The demo with one extra firm listed FIRST (so every other firm's table position shifts)."""
    doc = load_document(SCENARIOS / "demo.yaml")
    data = dict(doc.data)
    data["materials"] = {**data["materials"],
                         "isolated_feed": {"category": "virgin", "price_per_unit": 1.0},
                         "isolated_goods": {"category": "product", "price_per_unit": 2.0}}
    data["firms"] = {"far_workshop": FAR_FIRM, **data["firms"]}
    return build_scenario(dataclasses.replace(doc, data=data))


@pytest.fixture(scope="module")
def demo_pair():
    base, _ = load_scenario(SCENARIOS / "demo.yaml")
    return run_scenario(base), run_scenario(_demo_with_far_firm())


def test_firm_seed_depends_on_identity_and_parent():
    parent = np.random.SeedSequence(5, spawn_key=(2,))
    a = np.random.default_rng(firm_seed(parent, "kiln")).random(3)
    assert np.array_equal(a, np.random.default_rng(firm_seed(parent, "kiln")).random(3))
    assert not np.array_equal(a, np.random.default_rng(firm_seed(parent, "mill")).random(3))
    other = np.random.SeedSequence(5, spawn_key=(3,))
    assert not np.array_equal(a, np.random.default_rng(firm_seed(other, "kiln")).random(3))


def test_far_away_firm_changes_no_other_firms_flows_stocks_or_ledger(demo_pair):
    base, more = demo_pair
    assert not len(more.links.supplier) or more.firms.ids.index("far_workshop") not in set(
        more.links.supplier.tolist() + more.links.consumer.tolist())
    far = more.firms.ids.index("far_workshop")
    assert more.output[:, far].std() > 0                       # it does draw noise
    new_of = np.array([more.firms.ids.index(fid) for fid in base.firms.ids])
    # daily output of every firm, bit-identical
    np.testing.assert_array_equal(base.output, more.output[:, new_of])
    # breakdowns of every other firm at the same times
    events = lambda r, f: [(float(e["time_days"]), str(e["event"])) for e in r.firm_events if e["firm"] == f]  # noqa: E731
    for old, new in enumerate(new_of):
        assert events(base, old) == events(more, new)
    # flows: boundary and pipeline flows, shipments and stocks
    keep = lambda r, idx: (r.flows["source"] != idx) & (r.flows["target"] != idx)  # noqa: E731
    rows = more.flows[keep(more, far)]
    remap = np.full(len(more.firms.ids), -99)
    remap[new_of] = np.arange(len(base.firms.ids))
    for col in ("source", "target"):
        rows[col] = np.where(rows[col] >= 0, remap[np.maximum(rows[col], 0)], rows[col])
    mat = [more.materials.ids.index(m) for m in base.materials.ids]
    rows["material"] = np.array([base.materials.ids.index(more.materials.ids[m]) for m in rows["material"]])
    assert sorted(map(tuple, base.flows.tolist())) == sorted(map(tuple, rows.tolist()))
    np.testing.assert_array_equal(base.shipments, more.shipments)
    np.testing.assert_array_equal(base.slot_level, more.slot_level)
    np.testing.assert_array_equal(base.daily["stock"], more.daily["stock"][:, mat])
    # ledger rows that do not involve the far firm, by party name
    def ledger_rows(r, skip):
        led = r.ledger
        return sorted((float(t), led.parties[a], led.parties[b], int(c), r.materials.ids[m] if m >= 0 else "",
                       float(q), float(x))
                      for t, a, b, c, m, q, x in zip(led.time_days, led.payer, led.payee, led.category,
                                                     led.material, led.quantity, led.amount)
                      if skip not in (led.parties[a], led.parties[b]))
    assert ledger_rows(base, "far_workshop") == ledger_rows(more, "far_workshop")


@pytest.mark.parametrize("variant", ["ikm5", "ikm10"])
def test_kawasan_anchors_output_identical_until_an_ikm_exchange(variant):
    base_sc, _ = load_scenario(SCENARIOS / "kawasan_baseline.yaml")
    var_sc, _ = load_scenario(SCENARIOS / "kawasan_baseline.yaml", variant=variant)
    base, var = run_scenario(base_sc), run_scenario(var_sc)
    sme = np.array([k == "sme" for k in var.firms.kind])
    links = var.links
    ikm_links = np.flatnonzero(sme[links.supplier] | sme[links.consumer])
    ship = var.shipments[np.isin(var.shipments["link"], ikm_links)]
    piped = np.isin(links.pipeline.nonzero()[0], ikm_links) & (links.quantity[links.pipeline] > 0)
    assert not piped.any()
    first = int(np.floor(ship["dispatch_day"].min())) if len(ship) else var.horizon_days
    assert first > 30    # IKM exchanges start only once the links are found
    anchors = [fid for fid, kind in zip(base.firms.ids, base.firms.kind) if kind == "anchor"]
    assert anchors
    for fid in anchors:
        before = base.output[:first, base.firms.ids.index(fid)]
        after = var.output[:first, var.firms.ids.index(fid)]
        assert np.array_equal(before, after), fid
