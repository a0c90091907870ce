"""The exchange market of a run: prices, contracts, the link life cycle and the market round.

It owns what links are worth (:class:`.exchange.MarketPrices`, :class:`.exchange.Contracts`),
which are known and under contract (:class:`.discovery.LinkLifecycle`), the money of each link
(:class:`.ledger.LinkAccounts`, booked when a money period closes), the pipelines that carry
utilities as produced, and the round that gives stock to truck contracts
(:func:`.exchange.truck_round`).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import simpy

from ..config import Scenario
from ..network import ParkNetwork
from .booking import Booking
from .discovery import LinkLifecycle
from .dispatch import LinkFleets
from .exchange import ACTIVE, UNKNOWN, Contracts, MarketPrices, Pipelines, truck_round
from .firm import FirmTable
from .production import RecipeTables, Slots


class Market:
    """Prices, contracts and the market round of one run.

    Parameters
    ----------
    env : the run's environment.
    scenario, network : the realised scenario and its network.
    firms : the firm table; ``entry_day`` the day each firm enters (0 if present from the start).
    slots, recipes, bank, recorder : stores, recipe tables, store levels and the recorder.
    prices : the market prices (changed by scheduled events).
    booking : the ledger the link accounts and a pile cleared to disposal are booked in.
    fleets : which fleet serves each link (its trip cost and load set the transport cost).
    discovery_rng, contract_rng : the streams of discovery times and of contract draws.
    facilitated : links with an IKM-centre member at either end.
    """

    def __init__(self, env: simpy.Environment, scenario: Scenario, network: ParkNetwork, firms: FirmTable,
                 entry_day: np.ndarray, slots: Slots, recipes: RecipeTables, bank, recorder, prices: MarketPrices,
                 booking: Booking, fleets: LinkFleets, discovery_rng: np.random.Generator, contract_rng: np.random.Generator,
                 facilitated: np.ndarray):
        self.env, self.slots, self.bank, self.recorder, self.booking = env, slots, bank, recorder, booking
        self.fleets = fleets
        self.prices = prices
        self.links = network.links
        nominal = firms.capacity * firms.utilisation * firms.open_share()
        self.contracts = Contracts(scenario, network, slots, recipes, self.prices, fleets.trip_cost, fleets.load,
                                   nominal)
        self.pipelines = Pipelines(self.contracts)
        self.lifecycle = LinkLifecycle(env, scenario, self.contracts, firms, entry_day, discovery_rng, contract_rng,
                                       recorder.link_events.append, self.clear_pile, facilitated, self.invest,
                                       recorder.firm_events.append)
        self.link_material = network.links.material
        self.accounts = booking.link_accounts(network.links, self.contracts.handling)

    def start(self, horizon_days: float) -> None:
        """Start discovery and the contract processes."""
        self.lifecycle.start(horizon_days)

    def links_known(self) -> int:
        return int(np.count_nonzero(self.contracts.state != UNKNOWN))

    def links_active(self) -> int:
        return int(np.count_nonzero(self.contracts.state == ACTIVE))

    def changed(self) -> None:
        """Prices or fees changed: reprice every link and let the life cycle reconsider."""
        self.prices.changed()
        self.contracts.reprice()
        self.lifecycle.reconsider()

    def round(self, interval_days: float, dispatch: Callable[[int, list[float]], None]) -> None:
        """One market round: stock goes to truck contracts, a link's lots sent by ``dispatch(link, lots)``."""
        truck_round(self.contracts, self.bank, self.fleets.load, self.fleets.min_lot, interval_days, dispatch)

    def deliver_by_pipe(self, pipe_flows) -> None:
        """Enter the day's pipeline deliveries ``(link, quantity)`` in the link accounts and the
        contracts' gains."""
        if not pipe_flows:
            return
        contracts = self.contracts
        link = np.array([k for k, _ in pipe_flows], dtype=np.int64)
        quantity = np.array([q for _, q in pipe_flows], dtype=float)
        price = contracts.price[link]
        subsidy = np.array(self.prices.subsidy_per_unit)[self.link_material[link]]
        self.accounts.deliver(link, quantity, price, np.zeros(len(link)), subsidy)
        contracts.delivered(link, quantity, price, [contracts.delivery_terms] * len(link),
                            quantity * contracts.transport_per_unit[link], np.full(len(link), self.env.now))

    def invest(self, link: int, amount: float) -> None:
        """The consumer of a newly signed link pays for building it (regional contractors)."""
        if amount > 0:
            self.booking.investment(int(self.links.consumer[link]), int(self.links.material[link]), amount)

    def clear_pile(self, slot: int) -> None:
        """A supplier's last contract for a by-product ended: it clears the pile to disposal."""
        amount = float(self.bank.available(np.array([slot]))[0])
        if amount <= 0:
            return
        self.bank.level[slot] -= amount
        self.recorder.slot_disposed(int(self.env.now), slot, amount)
        self.booking.disposal(int(self.slots.slot_firm[slot]), int(self.slots.slot_material[slot]), amount)
