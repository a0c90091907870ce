"""Scheduled events: what the scenario says happens on a given day (see ``config.Event``).

A firm enters or exits; a landfill tax, an exchange subsidy, a disposal cost or a price changes.
Firms with a ``firm_entry`` event start outside the park until their day.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import simpy

from ..config import Scenario
from ..network import ParkNetwork
from .firm import FirmTable
from .market import Market


class ScheduledEvents:
    """The scenario's events by day, and what each does to the park.

    Building it marks the firms that enter later as absent and sets ``entry_day``.

    Parameters
    ----------
    scenario, network : the realised scenario and its network.
    firms : the firm table (its ``entered`` flags are set here).
    env : the run's environment (the time an event is logged at).
    log : ``log(time, firm, event)`` is told of every entry and exit.
    """

    def __init__(self, scenario: Scenario, network: ParkNetwork, firms: FirmTable, env: simpy.Environment,
                 log: Callable[[float, int, str], None]):
        self.firms, self.env, self.log = firms, env, log
        self.on_exit: Callable[[int, float], None] | None = None   # told of scheduled exits (viability)
        self.entry_day = np.zeros(len(network.firms))
        members: dict[str, list[int]] = {}
        for i, inst in enumerate(network.firms):
            members.setdefault(inst.entry, []).append(i)
            if inst.id != inst.entry:
                members[inst.id] = [i]
        self.material_index = {m: i for i, m in enumerate(network.materials)}
        self.by_day: dict[int, list] = {}
        for event in scenario.events:
            day = int(np.ceil(event.day))
            if event.type == "firm_entry":
                for f in members[event.firm]:
                    firms.entered[f] = day <= 0
                    self.entry_day[f] = day
            if day < scenario.run.horizon_days:
                self.by_day.setdefault(day, []).append((event, members.get(getattr(event, "firm", None), [])))

    def apply_day(self, day: int, market: Market) -> None:
        """Apply the events of ``day``, in the scenario's order."""
        for event, members in self.by_day.get(day, ()):
            self.apply(event, members, market)

    def apply(self, event, members: list[int], market: Market) -> None:
        """Apply one event to the firms it names (``members``) or to the market."""
        kind, now = event.type, self.env.now
        if kind == "firm_entry":
            for f in members:
                self.firms.entered[f] = True
                self.log(now, f, "entry")
            return
        if kind == "firm_exit":
            for f in members:
                self.firms.exited[f] = True
                self.log(now, f, "exit")
                market.lifecycle.close_firm(f)
                if self.on_exit is not None:
                    self.on_exit(f, now)
            return
        prices = market.prices
        if kind == "landfill_tax":
            prices.landfill_tax = event.per_t
        elif kind == "exchange_subsidy":
            prices.subsidy = event.per_t
        elif kind == "disposal_cost":
            prices.disposal[self.material_index[event.material]] = event.per_unit
        elif kind == "price":
            prices.price[self.material_index[event.material]] *= event.factor
        market.changed()
