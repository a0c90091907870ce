"""Firms as columns of arrays: who operates on a day, and how much each plans to make.

Per-day state (operating, broken, entered, exited) is a boolean array over all firms so the
daily production step is a handful of numpy operations whatever the park size. Breakdowns are
genuinely discrete: one SimPy process fails and repairs the firms at their own random times.

Every random draw that belongs to a firm (its daily output factor, its failures and repairs)
comes from a stream keyed by the firm's id (:func:`firm_seed`), never by its position in the
table: adding or removing firms leaves every other firm's draws unchanged (common random numbers).
"""

from __future__ import annotations

import hashlib
import heapq
from typing import Callable, Sequence

import numpy as np
import simpy

from ..layout import FirmInstance

_DISTRIBUTIONS = {"none": 0, "normal": 1, "lognormal": 2, "uniform": 3}
NOISE_BLOCK_DAYS = 64
"""Days of output noise drawn at once from each firm's stream (memory: 8 bytes x days x firms)."""


def firm_seed(parent: np.random.SeedSequence, firm_id: str) -> np.random.SeedSequence:
    """The seed of a firm's own stream: ``parent``'s entropy and spawn key, extended by a 64-bit
    hash of the firm's id, so it depends on who the firm is, not where it sits in the table."""
    key = int.from_bytes(hashlib.sha256(firm_id.encode()).digest()[:8], "big")
    return np.random.SeedSequence(parent.entropy, spawn_key=tuple(parent.spawn_key) + (key,))


class _DailyNoise:
    """Standard normals per firm and day, each firm's from its own stream, drawn in blocks of days."""

    def __init__(self, seeds: Sequence[np.random.SeedSequence]):
        self.rngs = [np.random.default_rng(s) for s in seeds]
        self.start = 0
        self.block = np.zeros((0, len(seeds)))

    def day(self, day: int) -> np.ndarray:
        """Row of ``day`` (days are asked for in increasing order)."""
        if day >= self.start + len(self.block):
            self.start = day
            self.block = np.stack([rng.standard_normal(NOISE_BLOCK_DAYS) for rng in self.rngs], axis=1) \
                if self.rngs else np.zeros((NOISE_BLOCK_DAYS, 0))
        return self.block[day - self.start]


class FirmTable:
    """Static parameters and daily state of every firm.

    Parameters
    ----------
    firms : the park's firm instances, in index order.
    horizon_days : length of the run, for the operating calendar.
    noise_seed : parent of the firms' output-noise streams (one per firm with variability,
        keyed by its id, see :func:`firm_seed`).
    """

    def __init__(self, firms: Sequence[FirmInstance], horizon_days: int, noise_seed: np.random.SeedSequence):
        n = len(firms)
        specs = [f.spec for f in firms]
        self.ids = [f.id for f in firms]
        self.capacity = np.array([s.product.capacity_per_day for s in specs], dtype=float)
        self.utilisation = np.array([s.product.utilisation for s in specs], dtype=float)
        self.distribution = np.array([_DISTRIBUTIONS[s.variability.distribution] for s in specs])
        self.cv = np.array([s.variability.cv for s in specs], dtype=float)
        self.horizon_days = horizon_days
        self._closed_weekday = np.zeros((7, n), dtype=bool)     # [weekday, firm]: closed that weekday
        for i, spec in enumerate(specs):
            self._closed_weekday[list(spec.calendar.closed_weekdays), i] = True
        stops = [(i, stop.start_day, stop.start_day + stop.days) for i, spec in enumerate(specs)
                 for stop in spec.calendar.shutdowns]
        self._shutdown_firm, self._shutdown_start, self._shutdown_end = (
            np.array(column, dtype=np.int64) for column in (zip(*stops) if stops else ([], [], [])))
        self.open_today = self.open_on(0)
        self.entered = np.ones(n, dtype=bool)
        self.exited = np.zeros(n, dtype=bool)
        self.broken = np.zeros(n, dtype=bool)
        self.idle = np.zeros(n, dtype=bool)      # stopped for want of a margin (model.viability)
        self.present_at_start = np.ones(n, dtype=bool)   # set once the scenario's entries are known
        self._lognormal_sigma = np.sqrt(np.log1p(self.cv ** 2))
        self._varies = np.flatnonzero((self.distribution != 0) & (self.cv > 0))
        self._noise = _DailyNoise([firm_seed(noise_seed, self.ids[f]) for f in self._varies])

    def __len__(self) -> int:
        return len(self.ids)

    def open_on(self, day: int) -> np.ndarray:
        """Firms whose calendar lets them work on ``day`` (not a closed weekday, not in a shutdown)."""
        open_ = ~self._closed_weekday[day % 7]
        open_[self._shutdown_firm[(self._shutdown_start <= day) & (day < self._shutdown_end)]] = False
        return open_

    def open_share(self) -> np.ndarray:
        """Share of the run's days on which each firm's calendar lets it work."""
        count = np.zeros(len(self.ids), dtype=np.int64)
        for day in range(self.horizon_days):
            count += self.open_on(day)
        return count / self.horizon_days

    def active(self) -> np.ndarray:
        """Firms in the park today (entered and not exited), operating or not."""
        return self.entered & ~self.exited

    def staffed(self) -> np.ndarray:
        """Firms that pay wages today: in the park and not idle."""
        return self.entered & ~self.exited & ~self.idle

    def planned_output(self, day: int) -> np.ndarray:
        """Output each firm plans today (product units): capacity x utilisation x a random factor,
        zero when closed, broken, idle, not yet entered or exited; never above capacity.

        Each firm with variability draws one standard normal from its own stream every day,
        whatever happens, so its factors are the same in every scenario it appears in.
        """
        factor = np.ones(len(self.ids))
        if len(self._varies):
            z = np.zeros(len(self.ids))
            z[self._varies] = self._noise.day(day)
            dist = self.distribution
            normal = dist == 1
            factor[normal] = np.maximum(1.0 + self.cv[normal] * z[normal], 0.0)
            logn = dist == 2
            sigma = self._lognormal_sigma[logn]
            factor[logn] = np.exp(sigma * z[logn] - 0.5 * sigma ** 2)
            unif = dist == 3
            if unif.any():
                from scipy.special import ndtr   # only uniform noise needs it (a slow import)

                factor[unif] = 1.0 + self.cv[unif] * np.sqrt(3.0) * (2.0 * ndtr(z[unif]) - 1.0)
        self.open_today = self.open_on(day)
        operating = self.open_today & self.entered & ~self.exited & ~self.broken & ~self.idle
        return np.minimum(self.capacity * self.utilisation * factor, self.capacity) * operating


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
