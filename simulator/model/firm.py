"""Firms as columns of arrays: who operates on a day, and how much each plans to make.

Per-day state (operating, broken, entered, exited) is a boolean array over all firms so the
daily production step is a handful of numpy operations whatever the park size. Breakdowns are
genuinely discrete: one SimPy process fails and repairs the firms at their own random times.
"""

from __future__ import annotations

import heapq
from typing import Callable, Sequence

import numpy as np
import simpy
from scipy.special import ndtr

from ..layout import FirmInstance

_DISTRIBUTIONS = {"none": 0, "normal": 1, "lognormal": 2, "uniform": 3}


class FirmTable:
    """Static parameters and daily state of every firm.

    Parameters
    ----------
    firms : the park's firm instances, in index order.
    horizon_days : length of the run, for the operating calendar.
    """

    def __init__(self, firms: Sequence[FirmInstance], horizon_days: int):
        n = len(firms)
        specs = [f.spec for f in firms]
        self.ids = [f.id for f in firms]
        self.capacity = np.array([s.product.capacity_per_day for s in specs], dtype=float)
        self.utilisation = np.array([s.product.utilisation for s in specs], dtype=float)
        self.distribution = np.array([_DISTRIBUTIONS[s.variability.distribution] for s in specs])
        self.cv = np.array([s.variability.cv for s in specs], dtype=float)
        self.calendar = _calendar(specs, horizon_days)
        self.entered = np.ones(n, dtype=bool)
        self.exited = np.zeros(n, dtype=bool)
        self.broken = np.zeros(n, dtype=bool)
        self._lognormal_sigma = np.sqrt(np.log1p(self.cv ** 2))
        self._has_variability = bool(np.any((self.distribution != 0) & (self.cv > 0)))

    def __len__(self) -> int:
        return len(self.ids)

    def active(self) -> np.ndarray:
        """Firms in the park today (entered and not exited), operating or not."""
        return self.entered & ~self.exited

    def planned_output(self, day: int, rng: np.random.Generator) -> np.ndarray:
        """Output each firm plans today (product units): capacity x utilisation x a random factor,
        zero when closed, broken, not yet entered or exited; never above capacity.

        One standard normal is drawn per firm every day, whatever happens, so random streams stay
        aligned between scenarios that differ only in levers (common random numbers).
        """
        z = rng.standard_normal(len(self.ids))
        factor = np.ones(len(self.ids))
        if self._has_variability:
            dist = self.distribution
            normal = dist == 1
            factor[normal] = np.maximum(1.0 + self.cv[normal] * z[normal], 0.0)
            logn = dist == 2
            sigma = self._lognormal_sigma[logn]
            factor[logn] = np.exp(sigma * z[logn] - 0.5 * sigma ** 2)
            unif = dist == 3
            factor[unif] = 1.0 + self.cv[unif] * np.sqrt(3.0) * (2.0 * ndtr(z[unif]) - 1.0)
        operating = self.calendar[day] & self.entered & ~self.exited & ~self.broken
        return np.minimum(self.capacity * self.utilisation * factor, self.capacity) * operating


def _calendar(specs, horizon_days: int) -> np.ndarray:
    """Boolean (day, firm) matrix: True where the firm's calendar lets it work that day."""
    days = np.arange(horizon_days)
    calendar = np.ones((horizon_days, len(specs)), dtype=bool)
    for i, spec in enumerate(specs):
        for weekday in spec.calendar.closed_weekdays:
            calendar[days % 7 == weekday, i] = False
        for stop in spec.calendar.shutdowns:
            calendar[(days >= stop.start_day) & (days < stop.start_day + stop.days), i] = False
    return calendar


def breakdowns_process(env: simpy.Environment, table: FirmTable,
                       firms: Sequence[tuple[int, float, float, np.random.Generator]],
                       log: Callable[[float, int, str], None]):
    """SimPy process: each firm ``(index, mtbf_days, mttr_days, rng)`` fails after Exp(MTBF) days
    and is repaired after Exp(MTTR) days, over and over, drawing from its own ``rng``.

    One process sleeps until the next failure or repair of any firm (a heap of times) rather than
    one process per firm: the event queue that every truck trip passes through then holds one
    breakdown timeout instead of one per breakdown-prone firm (about 1,700 in a 5,000-firm park).
    Time to failure runs on calendar days (a simplification: idle days also age the plant).
    ``log(time, firm, event)`` is told of each 'breakdown' and 'repaired'.
    """
    draws = {firm: (mtbf, mttr, rng) for firm, mtbf, mttr, rng in firms}
    agenda = [(env.now + rng.exponential(mtbf), firm, True) for firm, (mtbf, _, rng) in draws.items()]
    heapq.heapify(agenda)   # (time, firm, whether it fails then or is repaired)
    while agenda:
        when, firm, fails = agenda[0]
        if when > env.now:
            yield env.timeout(when - env.now)
        heapq.heappop(agenda)
        mtbf, mttr, rng = draws[firm]
        table.broken[firm] = fails
        log(env.now, firm, "breakdown" if fails else "repaired")
        heapq.heappush(agenda, (env.now + rng.exponential(mttr if fails else mtbf), firm, not fails))
