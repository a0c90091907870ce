"""Trucks: a shared fleet whose trips take travel time and money.

A trip is: wait for a free truck (queueing emerges when the fleet is short), load at the
supplier, drive loaded, unload at the consumer, drive back empty. Travel time is distance /
speed; loading and unloading add ``loading_hours``. Each convoy carries its trucks' wait (the
recorder keeps it in each shipment's row), so the queueing behaviour can be checked against M/M/c
theory (``tests/test_queueing.py``).

The fleet is a counter of trucks in use and a first-come-first-served queue of requests, not a
``simpy.Resource``. A request asks for one truck per lot; the trucks granted to one request at
the same instant leave together as a **convoy**, whose trip is two SimPy timeouts however many
trucks it holds: its arrival (every lot unloaded, truck by truck) and its return (its trucks
freed and handed on to the waiting requests, which leave at once). The
convoys granted when a request is made leave in one zero-delay event of that instant, shared by
the fleets of a park (:class:`Departures`). ``RunResult.sim_events`` therefore counts about two
events per convoy, where a trip used to take four (grant, arrival, return, hand-on). Waits,
start, arrival and return times, the order of pick-ups and drop-offs and the truck-days are
those of a fleet of single trucks (every truck is granted first come, first served, at the
instant one is free); only events at exactly the same instant may run in another order. Only
SimPy's public API is used.
"""

from __future__ import annotations

from collections import deque
from typing import Callable

import simpy

HOURS_PER_DAY = 24.0


class _Request:
    """Lots waiting for trucks: ``left`` trucks still wanted, from lot ``first`` on."""

    __slots__ = ("loaded", "empty", "pickup", "dropoff", "payload", "lots", "requested", "first", "left")

    def __init__(self, loaded: float, empty: float, pickup, dropoff, payload, lots: list | None, requested: float):
        self.loaded, self.empty, self.pickup, self.dropoff = loaded, empty, pickup, dropoff
        self.payload, self.lots, self.requested = payload, lots, requested
        self.first, self.left = 0, 1 if lots is None else len(lots)


class Convoy:
    """Trucks granted to one request at one instant: they load, drive and unload together.

    Attributes
    ----------
    payload : what the request carries.
    lots, trucks : the request's lots on board (one per truck; None if it had none) and their number.
    requested, started, wait, arrived : day of the request, day the trucks were granted, days
        waited, day they arrived at the consumer.
    """

    __slots__ = ("fleet", "request", "payload", "lots", "trucks", "requested", "started", "wait", "arrived")

    def __init__(self, fleet: Fleet, request: _Request, trucks: int):
        self.fleet, self.request, self.trucks = fleet, request, trucks
        self.payload, self.requested = request.payload, request.requested
        lots = request.lots
        if lots is not None and trucks < len(lots):
            lots = lots[request.first:request.first + trucks]
        self.lots = lots

    def start(self) -> None:
        """Note the wait, load, drive."""
        env = self.fleet.env
        now = self.started = env.now
        self.wait = now - self.requested
        request = self.request
        if request.pickup is not None:
            request.pickup(self)
        env.timeout(request.loaded).callbacks.append(self.arrive)

    def arrive(self, _event) -> None:
        """Unload at the consumer, drive back empty."""
        request, env = self.request, self.fleet.env
        self.arrived = env.now
        if request.dropoff is not None:
            request.dropoff(self)
        env.timeout(request.empty).callbacks.append(self.back)

    def back(self, _event) -> None:
        """The trucks are back: free them and hand them on to the waiting requests."""
        fleet = self.fleet
        fleet.in_use -= self.trucks
        duration = fleet.env.now - self.started
        for _ in range(self.trucks):     # one addition per truck, as each truck's return adds it
            fleet.busy_days += duration
        if fleet._queue:
            for convoy in fleet._grant():
                convoy.start()


class Departures:
    """Convoys granted at one instant leave in one zero-delay event, in the order granted; the
    fleets of a park share one, so their convoys load in the order the trucks were granted."""

    def __init__(self, env: simpy.Environment):
        self.env = env
        self._leaving: list[Convoy] = []

    def add(self, convoy: Convoy) -> None:
        if not self._leaving:
            self.env.timeout(0).callbacks.append(self._depart)
        self._leaving.append(convoy)

    def _depart(self, _event) -> None:
        leaving, self._leaving = self._leaving, []
        for convoy in leaving:
            convoy.start()


class Fleet:
    """A pool of identical trucks shared by all shipments of the park.

    Parameters
    ----------
    env : the simulation environment (time in days).
    trucks : number of trucks (servers).
    speed_km_per_h, loading_hours : travel speed and load+unload time per trip.
    departures : shared with the park's other fleets (default: the fleet's own).
    """

    def __init__(self, env: simpy.Environment, trucks: int, speed_km_per_h: float = 30.0,
                 loading_hours: float = 0.0, departures: Departures | None = None):
        self.env = env
        self.trucks = trucks
        self.in_use = 0                   # trucks out on a trip (or granted to one)
        self.speed_km_per_h = speed_km_per_h
        self.loading_hours = loading_hours
        self.busy_days = 0.0              # truck-days of service completed
        self._queue: deque[_Request] = deque()   # requests waiting for trucks, first come first served
        self._departures = departures if departures is not None else Departures(env)

    def loaded_days(self, distance_km: float) -> float:
        """Days from the start of loading to the end of unloading."""
        return (distance_km / self.speed_km_per_h + self.loading_hours) / HOURS_PER_DAY

    def empty_days(self, distance_km: float) -> float:
        """Days to drive back empty."""
        return distance_km / self.speed_km_per_h / HOURS_PER_DAY

    def send(self, loaded_days: float, empty_days: float, pickup: Callable[[Convoy], None] | None = None,
             dropoff: Callable[[Convoy], None] | None = None, payload=None, lots: list | None = None) -> None:
        """Ask for one truck per lot of ``lots`` (one truck if None): as trucks are free (first come,
        first served), ``pickup(convoy)`` loads the convoy of those granted at one instant;
        ``loaded_days`` later ``dropoff(convoy)`` unloads it; its trucks are free again
        ``empty_days`` after that."""
        self._queue.append(_Request(loaded_days, empty_days, pickup, dropoff, payload, lots, self.env.now))
        if self.in_use < self.trucks:
            add = self._departures.add
            for convoy in self._grant():
                add(convoy)

    def _grant(self) -> list[Convoy]:
        """Grant the free trucks to the waiting requests in order: a convoy per request served."""
        queue = self._queue
        free = self.trucks - self.in_use
        granted = []
        while queue and free > 0:
            request = queue[0]
            n = request.left if request.left <= free else free
            granted.append(Convoy(self, request, n))
            free -= n
            self.in_use += n
            if n == request.left:
                queue.popleft()
            else:
                request.first += n
                request.left -= n
        return granted
