"""The daily clock: the one SimPy process that drives a simulated day in a fixed order.

Order of day ``d`` (one driver keeps it deterministic): close day ``d-1`` (its stocks, link
counts and truck use; the money period if one ends, and then the firms' decisions of
:mod:`.viability`) -> scheduled events of day ``d`` ->
production of all firms (utilities piped as produced) -> money booked -> market round (every
``matching_interval_days``) dispatching trucks. Trucks, breakdowns, discovery and contracts run
as their own SimPy processes in continuous time between the clock's ticks.
"""

from __future__ import annotations

import simpy
from simpy.events import NORMAL

from ..config import Scenario


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it schedules (``RunResult.sim_events``).

    Every SimPy event (timeout, process step, truck phase, ...) passes through
    :meth:`simpy.Environment.schedule`, SimPy's public hook for it; ``scheduled`` is their number.
    Only SimPy's public API is used, so a SimPy release that changes its internals cannot change
    a run silently.
    """

    def __init__(self, initial_time: float = 0):
        self.scheduled = 0
        super().__init__(initial_time)
        # SimPy binds ``timeout``, ``process``, ... to the instance only for names in the
        # instance's own class (``BoundClass.bind_early``); bind the inherited ones too, or every
        # ``env.timeout`` of a subclass builds a bound method first
        for name in ("event", "process", "timeout", "all_of", "any_of"):
            setattr(self, name, getattr(self, name))

    def schedule(self, event, priority=NORMAL, delay=0) -> None:
        self.scheduled += 1
        super().schedule(event, priority, delay)


class DailyClock:
    """Ticks once a day and calls each part of the park in the order of a simulated day.

    Parameters
    ----------
    env : the run's environment (time in days).
    scenario : the realised scenario (horizon, ledger period, matching interval).
    firms, production, bank, recorder : the firm table, the production step, the stores and the
        recorder of the park.
    events, market, booking, dispatch : the other parts (:mod:`.events`, :mod:`.market`,
        :mod:`.booking`, :mod:`.dispatch`).
    """

    def __init__(self, env: simpy.Environment, scenario: Scenario, firms, production, bank, recorder,
                 events, market, booking, dispatch):
        self.env = env
        self.horizon = scenario.run.horizon_days
        self.period = scenario.run.ledger_period_days
        self.interval = scenario.run.matching_interval_days
        self.firms, self.production, self.bank, self.recorder = firms, production, bank, recorder
        self.events, self.market, self.booking, self.dispatch = events, market, booking, dispatch
        self.decisions = None   # model.viability.ParkDecisions, when the scenario has `viability`

    def start(self) -> None:
        """Start the daily driver process."""
        self.env.process(self._days())

    def _days(self):
        market = self.market
        for day in range(self.horizon):
            if day > 0:
                self._end_of_day(day - 1)
                if day % self.period == 0:
                    self._close_period(day - self.period)
                    if self.decisions is not None:
                        self.decisions.decide(day)
            self.events.apply_day(day, market)
            planned = self.firms.planned_output(day)
            flows = self.production.step(planned, self.bank, market.contracts.outlet(), market.pipelines)
            self.recorder.record_day(day, flows, market.contracts.price, market.prices.price,
                                     market.prices.disposal_cost(), self.firms.open_today)
            self.booking.book_day(flows, market.lifecycle.members)
            market.deliver_by_pipe(flows.pipe_flows)
            if day % self.interval == 0:
                market.round(self.interval, self.dispatch.send)
            yield self.env.timeout(1)

    def finish(self) -> None:
        """Close the last day and the last (possibly partial) money period."""
        self._end_of_day(self.horizon - 1)
        self._close_period((self.horizon - 1) // self.period * self.period)

    def _end_of_day(self, day: int) -> None:
        self.dispatch.book()
        self.recorder.end_of_day(day, self.bank, self.market.links_known(), self.market.links_active(),
                                 self.dispatch.fleets.busy_days())

    def _close_period(self, start_day: int) -> None:
        sales = self.recorder.park_sale_pairs()
        self.booking.close_period(start_day, sales, self.market.accounts)
        self.recorder.close_period(float(start_day), self.market.prices.price, self.market.prices.disposal_cost(),
                                   sales)
