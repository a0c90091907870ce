"""The truck fleet as a queue: simulated waits match M/M/1, M/M/c and M/D/1 theory.

Published closed forms: ``tests/data/validation/queueing.json`` (Hillier & Lieberman County
Hospital M/M/1 and M/M/2, Ciw's M/M/3, M/D/1 by Pollaczek-Khinchine). Trips are fed to
:class:`simulator.model.logistics.Fleet` exactly as shipments are: Poisson arrivals, each trip
holding a truck for its service time.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import simpy

from simulator.model.logistics import Fleet

CASES = json.loads((Path(__file__).parent / "data/validation/queueing.json").read_text())["cases"]
CUSTOMERS = 60_000
REPLICATIONS = 5


def mean_wait(arrival_rate: float, servers: int, service, seed: int) -> float:
    """Mean wait in queue over one long run (first 10 % of trips discarded as warm-up)."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    fleet = Fleet(env, trucks=servers)
    waits = []

    def arrivals():
        for _ in range(CUSTOMERS):
            yield env.timeout(rng.exponential(1 / arrival_rate))
            fleet.send(service(rng), 0.0, pickup=lambda trip: waits.append(trip.wait))

    env.process(arrivals())
    env.run()
    waits = np.array(waits)
    return float(waits[CUSTOMERS // 10:].mean())


def within_theory(samples: list[float], expected: float) -> None:
    """Theory inside the 99 % t-interval of the replications and within 5 %."""
    mean = np.mean(samples)
    half = 4.604 * np.std(samples, ddof=1) / np.sqrt(len(samples))  # t(0.995, 4)
    assert abs(mean - expected) <= max(half, 1e-12) + 0.01 * expected, (mean, expected, half)
    assert mean == pytest.approx(expected, rel=0.05)


@pytest.mark.parametrize("case", [c for c in CASES if "mu_per_h" in c["inputs"] or "mu" in c["inputs"]],
                         ids=lambda c: c["name"][:40])
def test_mmc_wait_matches_theory(case):
    inp = case["inputs"]
    lam = inp.get("lambda_per_h", inp.get("lambda"))
    mu = inp.get("mu_per_h", inp.get("mu"))
    expected = (case.get("expected") or case["expected_theory"])["Wq"]
    samples = [mean_wait(lam, inp["c"], lambda rng: rng.exponential(1 / mu), seed) for seed in range(REPLICATIONS)]
    within_theory(samples, expected)


def test_md1_wait_matches_pollaczek_khinchine():
    case = next(c for c in CASES if c["name"].startswith("M/D/1"))
    service = case["inputs"]["service_time"]
    samples = [mean_wait(case["inputs"]["lambda"], 1, lambda rng: service, seed) for seed in range(REPLICATIONS)]
    within_theory(samples, case["expected"]["Wq"])


def test_convoys_deliver_what_single_trucks_deliver(monkeypatch):
    """The lots a market round sends along one link travel as one convoy (issue 16): the run is
    the one where each lot asks for its own truck, shipment by shipment (same pick-up, arrival
    and wait of every truck, same quantities, stocks, money and mass balance), with fewer events.
    The scenario has two fleets, rounds sending several lots per link and trucks that wait."""
    from simulator import load_scenario, run_scenario
    from simulator.model.dispatch import Dispatch

    scenario, _ = load_scenario(Path(__file__).parents[1] / "scenarios/kawasan_smart_eip.yaml", variant="sentra")
    convoys = run_scenario(scenario)
    send = Dispatch.send

    def truck_by_truck(self, link, lots):
        for lot in lots:
            send(self, link, [lot])

    monkeypatch.setattr(Dispatch, "send", truck_by_truck)
    single = run_scenario(scenario)
    shipments = convoys.shipments
    per_link_round = np.unique(np.c_[shipments["dispatch_day"], shipments["link"]], axis=0, return_counts=True)[1]
    assert (per_link_round > 1).sum() > 1000 and (shipments["wait_days"] > 0).mean() > 0.3   # the case is exercised
    np.testing.assert_array_equal(convoys.shipments, single.shipments)
    np.testing.assert_array_equal(convoys.trucks_busy, single.trucks_busy)
    for name in ("exchanged", "stock", "in_transit", "disposed", "generated"):
        np.testing.assert_array_equal(convoys.daily[name], single.daily[name])
    np.testing.assert_array_equal(convoys.ledger.amount, single.ledger.amount)
    assert convoys.mass_balance == single.mass_balance
    assert all(check["max_relative"] < 1e-9 for check in convoys.mass_balance.values())
    trucked = ~convoys.links.pipeline
    delivered = np.bincount(shipments["link"], shipments["quantity"], len(trucked))
    np.testing.assert_allclose(delivered[trucked], convoys.links.quantity[trucked], rtol=1e-12)
    assert convoys.sim_events < single.sim_events
