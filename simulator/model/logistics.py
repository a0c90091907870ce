"""Trucks: a shared fleet (``simpy.Resource``) whose trips take travel time and money.

A trip is: wait for a free truck (queueing emerges when the fleet is short), load at the
supplier, drive loaded, unload at the consumer, drive back empty. Travel time is distance /
speed; loading and unloading add ``loading_hours``. A trip is a chain of SimPy events (the truck
request, two timeouts, the release) linked by callbacks rather than a generator process: four
events per trip instead of eight, which matters in parks with hundreds of trips a day. The
fleet logs every wait so the queueing behaviour can be checked against M/M/c theory
(``tests/test_queueing.py``).
"""

from __future__ import annotations

from typing import Callable

import simpy

HOURS_PER_DAY = 24.0


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
        self.resource = simpy.Resource(env, capacity=trucks)
        self.speed_km_per_h = speed_km_per_h
        self.loading_hours = loading_hours
        self.waits: list[float] = []      # days each trip waited for a truck
        self.busy_days = 0.0              # truck-days of service completed

    def loaded_days(self, distance_km: float) -> float:
        """Days from the start of loading to the end of unloading."""
        return (distance_km / self.speed_km_per_h + self.loading_hours) / HOURS_PER_DAY

    def empty_days(self, distance_km: float) -> float:
        """Days to drive back empty."""
        return distance_km / self.speed_km_per_h / HOURS_PER_DAY

    def send(self, loaded_days: float, empty_days: float, pickup: Callable[[float], None] | None = None,
             dropoff: Callable[[float], None] | None = None) -> None:
        """Start a trip: when a truck is free, ``pickup(wait_days)`` loads it; after ``loaded_days``
        ``dropoff(wait_days)`` unloads it; the truck is back and free ``empty_days`` later."""
        env, resource = self.env, self.resource
        requested = env.now
        request = resource.request()

        def start(_event) -> None:
            wait = env.now - requested
            self.waits.append(wait)
            started = env.now
            if pickup is not None:
                pickup(wait)

            def arrive(_event) -> None:
                if dropoff is not None:
                    dropoff(wait)

                def back(_event) -> None:
                    resource.release(request)
                    self.busy_days += env.now - started

                env.timeout(empty_days).callbacks.append(back)

            env.timeout(loaded_days).callbacks.append(arrive)

        request.callbacks.append(start)
