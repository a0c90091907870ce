"""Trucks: a shared fleet whose trips take travel time and money.

A trip is: wait for a free truck (queueing emerges when the fleet is short), load at the
supplier, drive loaded, unload at the consumer, drive back empty. Travel time is distance /
speed; loading and unloading add ``loading_hours``. Each trip carries its wait (the recorder
keeps it in the shipment's row), so the queueing behaviour can be checked against M/M/c theory
(``tests/test_queueing.py``).

The fleet is a counter of trucks in use and a first-come-first-served queue of trips, not a
``simpy.Resource``: a trip is one small object whose four phases (truck granted, arrival, return,
truck handed on) are each one SimPy timeout, with no request or release object and no linear
``list.remove`` over the trucks in use. It reproduces ``simpy.Resource``'s order of events
exactly (a granted truck and a released one each take one zero-delay event, a release hands the
truck to the head of the queue), so runs are identical to those with the resource, event for
event (``RunResult.sim_events`` counts the same four events per trip). Only SimPy's public API
is used.
"""

from __future__ import annotations

from collections import deque
from typing import Callable

import simpy

HOURS_PER_DAY = 24.0


class _Trip:
    """One trip; each of its phases is a SimPy timeout whose callback is the next phase."""

    __slots__ = ("fleet", "loaded", "empty", "pickup", "dropoff", "requested", "started",
                 "wait", "payload")

    def __init__(self, fleet: Fleet, loaded: float, empty: float, pickup, dropoff, requested: float, payload):
        self.fleet, self.loaded, self.empty = fleet, loaded, empty
        self.pickup, self.dropoff, self.requested, self.payload = pickup, dropoff, requested, payload

    def start(self, _event) -> None:
        """A truck is granted: note the wait, load, drive."""
        fleet = self.fleet
        env = fleet.env
        now = env.now
        self.wait = now - self.requested
        self.started = now
        if self.pickup is not None:
            self.pickup(self)
        env.timeout(self.loaded).callbacks.append(self.arrive)

    def arrive(self, _event) -> None:
        """Unload at the consumer, drive back empty."""
        if self.dropoff is not None:
            self.dropoff(self)
        self.fleet.env.timeout(self.empty).callbacks.append(self.back)

    def back(self, _event) -> None:
        """The truck is back: release it (the head of the queue gets it one event later)."""
        fleet = self.fleet
        fleet.in_use -= 1
        fleet.env.timeout(0).callbacks.append(fleet.serve)
        fleet.busy_days += fleet.env.now - self.started


class Fleet:
    """A pool of identical trucks shared by all shipments of the park.

    Parameters
    ----------
    env : the simulation environment (time in days).
    trucks : number of trucks (servers).
    speed_km_per_h, loading_hours : travel speed and load+unload time per trip.
    """

    def __init__(self, env: simpy.Environment, trucks: int, speed_km_per_h: float = 30.0,
                 loading_hours: float = 0.0):
        self.env = env
        self.trucks = trucks
        self.in_use = 0                   # trucks out on a trip (or granted to one)
        self._queue: deque[_Trip] = deque()   # trips waiting for a truck, first come first served
        self.speed_km_per_h = speed_km_per_h
        self.loading_hours = loading_hours
        self.busy_days = 0.0              # truck-days of service completed

    def loaded_days(self, distance_km: float) -> float:
        """Days from the start of loading to the end of unloading."""
        return (distance_km / self.speed_km_per_h + self.loading_hours) / HOURS_PER_DAY

    def empty_days(self, distance_km: float) -> float:
        """Days to drive back empty."""
        return distance_km / self.speed_km_per_h / HOURS_PER_DAY

    def send(self, loaded_days: float, empty_days: float, pickup: Callable[[_Trip], None] | None = None,
             dropoff: Callable[[_Trip], None] | None = None, payload=None) -> None:
        """Start a trip: when a truck is free, ``pickup(trip)`` loads it; after ``loaded_days``
        ``dropoff(trip)`` unloads it; the truck is back and free ``empty_days`` later. The trip
        carries ``payload`` and, once started, ``requested`` (day) and ``wait`` (days)."""
        self._queue.append(_Trip(self, loaded_days, empty_days, pickup, dropoff, self.env.now, payload))
        self.serve()

    def serve(self, _event=None) -> None:
        """Grant a free truck to the trip at the head of the queue (its start is one event later),
        as ``simpy.Resource`` does on a request or a processed release."""
        queue = self._queue
        if queue and self.in_use < self.trucks:
            self.in_use += 1
            trip = queue.popleft()
            self.env.timeout(0).callbacks.append(trip.start)
