"""How partners find each other, negotiate, contract, renew and lapse.

A candidate link is not known on day one. Its two firms find each other at a rate (per day)

    rate = base_rate_per_year / 365 x (IKM-centre facilitator multiplier for links of its members)
                                x (platform multiplier from the day both firms are members)

so the discovery time is exponential with that (piecewise constant) rate, computed for all
links at once from one unit-exponential clock each, and recomputed for the links whose two firms
both become platform members (:mod:`model.platform`). A found link is negotiated for
``negotiation_days`` (shorter between members); the two firms sign if both gain from it
(:mod:`model.deals`), else negotiation fails. A signed link that needs an investment is built
over its lead time; then a contract runs for ``contract_days`` and is renewed with
``renewal_probability`` if both still gain from it. A lapsed pair talks again after
``renegotiation_days``. Links known from the scenario (``known_from_day``) are existing ties:
already built, their contract starts that day without a negotiation delay. A link whose
negotiation failed is reconsidered whenever prices or fees change.
"""

from __future__ import annotations

import hashlib
import heapq
from functools import partial
from typing import Callable

import numpy as np
import simpy

from ..config import Scenario
from .exchange import ACTIVE, KNOWN, UNKNOWN, Contracts
from .firm import FirmTable
from .platform import PlatformMembers

DAYS_PER_YEAR = 365.0
TIME_TOLERANCE = 1e-9
"""Days: a wake-up at ``now + (due - now)`` may land a rounding error before ``due``."""


class LinkDraws:
    """Uniform random numbers tied to a link's identity (supplier, consumer, material) and a
    counter, not to the order in which links are listed or events happen.

    Adding firms or pulling a lever therefore leaves every other link's draws unchanged, which
    keeps scenario comparisons paired (common random numbers). A draw is a keyed BLAKE2b hash of
    the link's label, the purpose and the counter; the key comes from the run's random stream.
    """

    def __init__(self, rng: np.random.Generator, labels: list[str]):
        self.key = rng.bytes(16)
        self.labels = labels

    def uniform(self, purpose: str, link: int, counter: int = 0) -> float:
        """A draw in (0, 1) for ``link``'s ``counter``-th ``purpose``."""
        text = f"{purpose}|{self.labels[link]}|{counter}".encode()
        digest = hashlib.blake2b(text, key=self.key, digest_size=8).digest()
        return (int.from_bytes(digest, "big") + 0.5) / 2 ** 64

    def uniforms(self, purpose: str) -> np.ndarray:
        """The first draw of every link."""
        return np.array([self.uniform(purpose, k) for k in range(len(self.labels))])


def discovery_times(clock: np.ndarray, start: np.ndarray, rate_before: np.ndarray,
                    change: np.ndarray, rate_after: np.ndarray) -> np.ndarray:
    """Day each link is found, given unit-exponential ``clock`` draws and a rate that steps from
    ``rate_before`` to ``rate_after`` on day ``change`` (all per link; rates per day).

    The link is found when the cumulative hazard since ``start`` reaches its clock. A zero rate
    never finds it (``inf``).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        first = start + clock / rate_before
        span = np.maximum(change - start, 0.0)
        hazard_before = rate_before * span
        second = np.maximum(change, start) + (clock - hazard_before) / rate_after
    found = np.where(first <= np.maximum(change, start), first, second)
    return np.where(np.isnan(found), np.inf, found)


class LinkLifecycle:
    """Runs discovery and the contract life of every candidate link as SimPy processes."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, contracts: Contracts, firms: FirmTable,
                 entry_day: np.ndarray, discovery_rng: np.random.Generator,
                 contract_rng: np.random.Generator, log: Callable[[float, int, str], None],
                 outlet_lost: Callable[[int], None], facilitated: np.ndarray,
                 invest: Callable[[int, float], None], firm_log: Callable[[float, int, str], None]):
        self.env = env
        self.spec = scenario.discovery
        self.platform = scenario.platform
        self.contracts = contracts
        self.firms = firms
        labels = [f"{firms.ids[a]}>{firms.ids[b]}:{m}" for a, b, m in
                  zip(contracts.links.supplier.tolist(), contracts.links.consumer.tolist(),
                      contracts.links.material.tolist())]
        self.draws = LinkDraws(contract_rng, labels)
        self._agenda: list[tuple[float, int, int, Callable[[int], None]]] = []
        self._serial = 0
        self._wake_at = float("inf")
        self.renewals = np.zeros(len(labels), dtype=np.int64)
        self.log = log
        self.outlet_lost = outlet_lost
        self.invest = invest
        self.firm_log = firm_log
        self.horizon = float("inf")
        links = contracts.links
        n = len(links)
        self._supplier, self._consumer = links.supplier.tolist(), links.consumer.tolist()
        self.busy = np.zeros(n, dtype=bool)   # a negotiation or contract process is running
        self.start_day = np.maximum(entry_day[links.supplier], entry_day[links.consumer])
        rate = np.full(n, self.spec.base_rate_per_year / DAYS_PER_YEAR)
        if scenario.sentra is not None:  # the IKM centre's facilitator introduces its members
            rate = np.where(facilitated, rate * scenario.sentra.facilitator_multiplier, rate)
        self.rate = rate
        self.clock = -np.log(LinkDraws(discovery_rng, labels).uniforms("discovery"))
        never = np.full(n, np.inf)
        self.found_day = discovery_times(self.clock, self.start_day, rate, never, rate)
        known = ~np.isnan(links.known_from_day)
        self.found_day[known] = np.maximum(links.known_from_day[known], self.start_day[known])
        self.existing = known
        self.via_platform = np.zeros(n, dtype=bool)   # found while both firms were platform members
        self.members = (PlatformMembers(self.platform, list(firms.ids), contracts, rate,
                                        self.spec.handling_cost_per_unit, self.spec.supplier_surplus_share)
                        if self.platform else None)

    def start(self, horizon_days: float) -> None:
        """Schedule the discovery of every link found before the horizon, and the platform's reviews."""
        self.horizon = horizon_days
        order = np.argsort(self.found_day, kind="stable")
        order = order[self.found_day[order] < horizon_days]
        self.env.process(self._discover(order, self.found_day[order].tolist()))
        if self.members is not None:
            self.env.process(self._platform_reviews())

    def firm_entered(self, firm: int, entry_day: np.ndarray) -> None:
        """A firm entered during the run (``entry_day[firm]`` is today): discovery of its links
        with firms in the park starts now, on each link's own clock (existing ties at once)."""
        links = self.contracts.links
        mine = np.flatnonzero((links.supplier == firm) | (links.consumer == firm))
        self.start_day[mine] = np.maximum(entry_day[links.supplier[mine]], entry_day[links.consumer[mine]])
        never = np.full(len(mine), np.inf)
        found = discovery_times(self.clock[mine], self.start_day[mine], self.rate[mine], never, self.rate[mine])
        known = self.existing[mine]
        found[known] = np.maximum(links.known_from_day[mine][known], self.start_day[mine][known])
        self.found_day[mine] = found
        for link, day in zip(mine.tolist(), found.tolist()):
            if day < self.horizon:
                self._at(day, partial(self._found, day), link)

    def _discover(self, order: np.ndarray, days: list[float]):
        env = self.env
        for link, day in zip(order.tolist(), days):
            wait = day - env.now
            if wait > 0:
                yield env.timeout(wait)
            self._found(day, link)

    def _found(self, day: float, link: int) -> None:
        if self.found_day[link] != day or self.contracts.state[link] != UNKNOWN:
            return  # found earlier: the platform sped it up
        if self._closed(link):
            return
        self.contracts.state[link] = KNOWN
        self.log(self.env.now, link, "discovered")
        self.busy[link] = True
        if self.members is not None:
            self.via_platform[link] = self._between_members(link)
        if self.existing[link]:
            # an existing tie contracts at once, before that day's production
            self._negotiated(link)
        else:
            self._after(self._negotiation_days(link), self._negotiated, link)

    # ---------------------------------------------------------------- the platform

    def _between_members(self, link: int) -> bool:
        links, member = self.contracts.links, self.members.member
        return bool(member[links.supplier[link]] and member[links.consumer[link]])

    def _platform_reviews(self):
        """From the opening day, every ``review_days``: firms decide whether to join."""
        env, spec = self.env, self.platform
        if spec.opens_day > env.now:
            yield env.timeout(spec.opens_day - env.now)
        while env.now < self.horizon:
            joined = self.members.review(env.now, self.firms.active())
            if len(joined):
                self._members_joined(joined)
            yield env.timeout(spec.review_days)

    def _members_joined(self, joined: np.ndarray) -> None:
        """New members: log them, make handling cheaper and discovery faster between members."""
        now, members = self.env.now, self.members
        for firm in joined.tolist():
            self.firm_log(now, firm, "platform_join")
        both = members.both()
        self.contracts.set_handling_factor(np.where(both, self.platform.handling_cost_factor, 1.0))
        links = self.contracts.links
        new = np.isin(links.supplier, joined) | np.isin(links.consumer, joined)
        sooner = np.flatnonzero(new & both & ~self.existing & (self.contracts.state == UNKNOWN)
                                & (self.found_day > now))
        if not len(sooner):
            return
        found = discovery_times(self.clock[sooner], self.start_day[sooner], self.rate[sooner],
                                np.full(len(sooner), now), self.rate[sooner] * self.platform.discovery_multiplier)
        self.found_day[sooner] = found
        for link, day in zip(sooner.tolist(), found.tolist()):
            if day < self.horizon:
                self._at(day, partial(self._found, day), link)

    # The life of a link is a chain of steps, each due some days after the previous one:
    # negotiated -> contract ends -> renewed (again later) | lapsed -> negotiated again ...
    # Due steps wait in an agenda of their own (a heap) with one SimPy timeout for the earliest:
    # thousands of contracts waiting a year then cost nothing to every other event of the run.

    def _after(self, days: float, step: Callable[[int], None], link: int) -> None:
        self._at(self.env.now + days, step, link)

    def _at(self, due: float, step: Callable[[int], None], link: int) -> None:
        days = due - self.env.now
        heapq.heappush(self._agenda, (due, self._serial, link, step))
        self._serial += 1
        if due < self._wake_at:
            self._wake_at = due
            self.env.timeout(days).callbacks.append(self._wake)

    def _wake(self, _event) -> None:
        now = self.env.now
        if now < self._wake_at - TIME_TOLERANCE:  # a later wake-up superseded by an earlier one
            return
        while self._agenda and self._agenda[0][0] <= now + TIME_TOLERANCE:
            _, _, link, step = heapq.heappop(self._agenda)
            step(link)
        self._wake_at = self._agenda[0][0] if self._agenda else float("inf")
        if self._agenda:
            self.env.timeout(self._wake_at - now).callbacks.append(self._wake)

    def _negotiation_days(self, link: int) -> float:
        factor = self.platform.negotiation_factor if self.members is not None and self._between_members(link) else 1.0
        return self.spec.negotiation_days * factor

    def _closed(self, link: int) -> bool:
        exited = self.firms.exited
        return bool(exited[self._supplier[link]] or exited[self._consumer[link]])

    def _negotiated(self, link: int) -> None:
        """The end of a negotiation: sign (and build, if the link is new) or fail."""
        contracts = self.contracts
        if self._closed(link):
            self.busy[link] = False
            return
        if not contracts.negotiate(link, self.env.now):
            self.log(self.env.now, link, "no_deal")
            self.busy[link] = False
            return
        self.log(self.env.now, link, "signed")
        if contracts.built[link]:
            self._start(link)
            return
        self.invest(link, contracts.pay_investment(link, self.env.now))
        self._after(float(contracts.lead_days[link]), self._ready, link)

    def _ready(self, link: int) -> None:
        """The link is built: its contract starts (the investment is sunk if a firm has left)."""
        if self._closed(link):
            self.busy[link] = False
            return
        self._start(link)

    def _start(self, link: int) -> None:
        self.contracts.activate(link)
        self.log(self.env.now, link, "contract_start")
        self._after(self.spec.contract_days, self._contract_ends, link)

    def _contract_ends(self, link: int) -> None:
        """Renew (with the renewal probability, if still worth it) or lapse and talk again later."""
        if self.contracts.state[link] != ACTIVE:  # ended early: a firm closed
            self.busy[link] = False
            return
        self.renewals[link] += 1
        draw = self.draws.uniform("renewal", link, int(self.renewals[link]))
        if draw < self.spec.renewal_probability and not self._closed(link):
            if self.contracts.negotiate(link, self.env.now):
                self.log(self.env.now, link, "renewed")
                self._after(self.spec.contract_days, self._contract_ends, link)
                return
            self.log(self.env.now, link, "no_deal")
        self._end(link, "lapsed")
        self._after(self.spec.renegotiation_days, self._negotiated, link)

    def _end(self, link: int, why: str) -> None:
        slot = self.contracts.deactivate(link)
        self.log(self.env.now, link, why)
        if slot >= 0:
            self.outlet_lost(slot)

    def reconsider(self) -> None:
        """After a price or fee change: renegotiate known links that have become worth it."""
        contracts = self.contracts
        idle = np.flatnonzero((contracts.state == KNOWN) & ~self.busy & (contracts.benefit > 0))
        for link in idle.tolist():
            if not self._closed(link):
                self.busy[link] = True
                self._after(self._negotiation_days(link), self._negotiated, link)

    def close_firm(self, firm: int) -> None:
        """A firm left the park: end its contracts now."""
        links = self.contracts.links
        mine = np.flatnonzero(((links.supplier == firm) | (links.consumer == firm))
                              & (self.contracts.state == ACTIVE))
        for link in mine.tolist():
            self._end(link, "firm_exit")
