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
