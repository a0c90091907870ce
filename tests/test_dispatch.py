"""Truck deliveries are booked as arrays once a day (``model/dispatch.py``, ``Dispatch.book``):
every sum must be the one of booking the lots one at a time, in the order they arrived."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import SCENARIOS

from simulator import load_scenario, run_scenario


@pytest.fixture(scope="module")
def smart():
    """The smart-EIP park: trucks, pipelines and a platform whose members' joining reprices every
    link during the run (a day's deliveries can arrive under two sets of terms)."""
    scenario, _ = load_scenario(SCENARIOS / "kawasan_smart_eip.yaml")
    return run_scenario(scenario)


def test_shipment_rows_are_in_the_order_the_lots_arrived(smart):
    arrival = smart.shipments["arrival_day"]
    assert len(arrival) > 1000
    assert np.all(np.diff(arrival) >= 0)


def test_link_totals_are_the_lots_added_one_at_a_time(smart):
    ship, links = smart.shipments, smart.links
    quantity, value, first = [0.0] * len(links), [0.0] * len(links), [math.nan] * len(links)
    for link, lot, price, arrived in zip(ship["link"].tolist(), ship["quantity"].tolist(),
                                         ship["price_per_unit"].tolist(), ship["arrival_day"].tolist()):
        quantity[link] += lot
        value[link] += price * lot
        if math.isnan(first[link]):
            first[link] = arrived
    truck = ~links.pipeline
    assert np.count_nonzero(links.quantity[truck]) > 20
    # bit for bit, not approximately: the daily arrays add in the same order as lot by lot
    assert np.array_equal(links.quantity[truck], np.array(quantity)[truck])
    assert np.array_equal(links.value[truck], np.array(value)[truck])
    assert np.array_equal(links.first_delivery_day[truck], np.array(first)[truck], equal_nan=True)


def test_nothing_delivered_is_left_in_transit_or_unbooked(smart):
    """Each lot loaded is either delivered by the end or still on a truck: the mass balance closes."""
    assert all(part["max_relative"] < 1e-9 for part in smart.mass_balance.values())
