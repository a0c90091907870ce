"""Firms that decide: an operating margin from the money they book, idle, restart and exit, entrants.

Reviewed whenever an accounting period closes (``run.ledger_period_days``), from what the ledger
booked in that period:

* **margin**: each firm's receipts minus payments (income - variable costs - wages - fixed
  costs), summed over the last ``margin_window_days`` (rounded up to whole periods);
* **distress**: a firm of a deciding kind (``viability.kinds``) whose margin is below
  ``margin_threshold`` x its wage and fixed-cost bill over the window, once its start-up grace has
  passed; distress counts from the start of the first period found below;
* **idle** after ``distress_days`` in distress: no production, no wages, fixed costs still due;
* **restart**: an idle firm that, at a later review, expects a margin at or above the threshold
  (below: with the by-products its running contracts bring it) starts again; its losses count
  again once its start-up grace and a full margin window have passed since the restart;
* **exit** after ``idle_days`` idle without a restart: the plot becomes vacant, contracts end,
  fixed costs stop.

A vacant plot in the IKM area (and, with ``entry.estate_plots``, a vacated plot elsewhere)
waits ``entry.search_days``; then an entrant's archetype is drawn from the IKM mix with a draw
keyed by the plot's identity and the attempt number. The entrant takes the plot only if it
expects a margin at or above the threshold over its first ``entry.planning_days`` given the
by-products on offer (below); otherwise the plot waits another search time. Entrants are
dormant firms prepared by :func:`simulator.compose.realise` (``entry.candidates_per_archetype``
per archetype, in the IKM zone, on the vacant plots first), so every link an entrant could use
already exists as a candidate link, with its length from the entrant's own plot.

Expected margin per day (all at today's prices)::

    q      = capacity x utilisation x open weekdays / 7, limited by supply_m / per_unit_m for
             every by-product input m
    margin = s x q x (product price - bought inputs - sum_m per_unit_m x cost_m
                      - disposal of its outputs) - (wages + fixed costs) / 365

For each by-product input m, the firm looks at the link that would bring it most cheaply:

* an **entrant** at its candidate links that could deliver m today (an exchange worth it at
  today's prices, by pipeline or by trucks whose smallest lot fits in its store): supply_m is
  what the park disposed of m per day over the margin window, less what entrants still in their
  start-up grace expect to take (0 without such a link); cost_m is what it would pay per unit
  on that link: the negotiated price (outside options 0) + transport from its plot + handling -
  subsidy + its share of the link's investment per unit (:mod:`model.deals`); the link's lead
  time is its expected discovery time (1 / discovery rate, 0 for a tie it is known to have) +
  negotiation (none for an existing tie) + construction (none if built). Supply comes after the
  longest lead time ``L`` of its by-product inputs, so s = max(0, 1 - L / planning_days);
* an **idle firm** at its running contracts for m: supply_m is their yearly volume / 365 (at
  nominal output, as signed), cost_m the price + transport + handling - subsidy of the
  cheapest (its investment is sunk), and s = 1.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..compose import ENTRANT_PREFIX, IKM_PREFIX, vacant_plots
from ..config import Scenario
from ..layout import FirmInstance
from .exchange import ACTIVE, UNKNOWN
from .firm import FirmTable

DAYS_PER_YEAR = 365.0


def keyed_uniform(key: bytes, text: str) -> float:
    """A draw in (0, 1) from a keyed BLAKE2b hash of ``text``: tied to an identity, not to order."""
    digest = hashlib.blake2b(text.encode(), key=key, digest_size=8).digest()
    return (int.from_bytes(digest, "big") + 0.5) / 2 ** 64


@dataclass
class Vacancy:
    """A vacant plot: its identity (for the draws), since when it is searched, attempts so far."""

    plot: str
    since: float
    attempts: int = 0


Terms = dict[int, tuple[float | None, float, float]]
"""Per by-product input material: (supply per day, None for the park's offer; cost per unit;
days until the first delivery)."""


class FirmEconomics:
    """What a firm expects to earn per day, from its recipe, today's prices and its by-product terms."""

    def __init__(self, scenario: Scenario, firms: Sequence[FirmInstance], materials: tuple[str, ...]):
        index = {m: i for i, m in enumerate(materials)}
        self.rows = []
        for inst in firms:
            spec = inst.spec
            open_share = (7 - len(set(spec.calendar.closed_weekdays))) / 7
            bought, secondary = [], []
            for name, inp in spec.inputs.items():
                m = index[name]
                if scenario.materials[name].category in ("virgin", "product"):
                    bought.append((m, inp.per_unit))
                else:
                    secondary.append((m, inp.per_unit))
            outputs = [(index[name], per) for name, per in spec.outputs.items() if name in index]
            self.rows.append((
                spec.product.capacity_per_day * spec.product.utilisation * open_share,
                index[spec.product.material], spec.product.price_per_unit, bought, secondary, outputs,
                (spec.employees * spec.wage_per_year + spec.fixed_cost_per_year) / DAYS_PER_YEAR))

    def secondary(self, firm: int) -> list[int]:
        """The by-product (secondary) inputs of ``firm`` (material indices)."""
        return [m for m, _ in self.rows[firm][4]]

    def take(self, firm: int, supply: dict[int, float]) -> tuple[float, list[tuple[int, float]]]:
        """Output per day the firm can expect and what it takes of each by-product per day."""
        q, _, _, _, secondary, _, _ = self.rows[firm]
        for m, per in secondary:
            q = min(q, max(supply.get(m, 0.0), 0.0) / per) if per > 0 else q
        return q, [(m, q * per) for m, per in secondary]

    def margin_per_day(self, firm: int, supply: dict[int, float], cost: dict[int, float], supplied_share: float,
                       price: np.ndarray, disposal: np.ndarray) -> float:
        """Expected operating margin per day (currency, module docstring)."""
        _, product, fixed_price, bought, secondary, outputs, costs = self.rows[firm]
        q, _ = self.take(firm, supply)
        unit = price[product] if fixed_price is None else fixed_price
        unit -= sum(per * price[m] for m, per in bought)
        unit -= sum(per * cost.get(m, 0.0) for m, per in secondary)
        unit -= sum(per * disposal[m] for m, per in outputs)
        return supplied_share * q * unit - costs

    def costs_per_day(self, firm: int) -> float:
        """Wages and fixed costs per day (currency)."""
        return self.rows[firm][-1]


class FirmDecisions:
    """Margins, distress, idle, restart and exit of the deciding firms; vacancies and entrants.

    Parameters
    ----------
    scenario : the realised scenario (``scenario.viability`` is set).
    firms : the park's firm instances; table : their daily state (``idle``, ``entered``, ``exited``).
    entry_day : day each firm entered (``inf`` for dormant entrants); updated on entry.
    entrants : archetype -> indices of its dormant entrant firms, in order of use.
    vacant_plots : identities of the IKM plots vacant on day 0.
    ikm_plot : per firm, whether it stands on IKM land.
    terms : (firm, running) -> its :data:`Terms` today: through its running contracts (an idle
        firm, ``running=True``) or through the candidate links that could serve it (an entrant).
    key : 16 bytes from the run's random stream, keying the entrants' draws.
    """

    def __init__(self, scenario: Scenario, firms: Sequence[FirmInstance], table: FirmTable, entry_day: np.ndarray,
                 materials: tuple[str, ...], entrants: dict[str, list[int]], vacant_plots: Sequence[str],
                 ikm_plot: np.ndarray, terms: Callable[[int, bool], Terms], key: bytes):
        spec = scenario.viability
        self.spec = spec
        self.table = table
        self.entry_day = entry_day
        self.terms = terms
        period = scenario.run.ledger_period_days
        self.window_periods = max(1, math.ceil(spec.margin_window_days / period - 1e-9))
        self.window_days = self.window_periods * period
        n = len(firms)
        self.deciding = np.array([f.spec.kind in spec.kinds for f in firms], dtype=bool)
        self.economics = FirmEconomics(scenario, firms, materials)
        self.costs = np.array([self.economics.costs_per_day(f) for f in range(n)])
        self._nets: list[np.ndarray] = []
        self.distress_since = np.full(n, np.nan)
        self.idle_since = np.full(n, np.nan)
        self.restarted = np.full(n, -np.inf)
        self.ikm_plot = ikm_plot
        self.entrants = {name: list(pool) for name, pool in entrants.items()}
        self.mix = [(name, w) for name, w in scenario.sme.mix.items() if name in self.entrants]
        self.vacancies = [Vacancy(plot, 0.0) for plot in vacant_plots]
        self.planning_days = spec.entry.planning_days if spec.entry is not None else DAYS_PER_YEAR
        self.key = key

    def review(self, now: float, period_net: np.ndarray, price: np.ndarray,
               disposal: np.ndarray) -> tuple[list[int], list[int], list[int]]:
        """Close a period: firms that go idle now, idle firms that restart now, firms that exit now."""
        self._nets.append(period_net[:len(self.costs)].copy())
        if len(self._nets) > self.window_periods:
            self._nets.pop(0)
        margin = np.sum(self._nets, axis=0)
        spec, t = self.spec, self.table
        open_firms = self.deciding & t.entered & ~t.exited & ~t.idle
        counted = (open_firms & (now - self.entry_day >= spec.startup_grace_days)
                   & (now - self.restarted >= max(spec.startup_grace_days, self.window_days) - 1e-9))
        low = counted & (margin < spec.margin_threshold * self.costs * self.window_days)
        period_start = now - (self.window_days / self.window_periods)
        self.distress_since[low & np.isnan(self.distress_since)] = period_start
        self.distress_since[~low] = np.nan
        waiting = np.flatnonzero(t.idle & ~t.exited & (self.idle_since < now))   # idle before this review
        restart = [f for f in waiting.tolist() if self._viable(f, self.terms(f, True), price, disposal)]
        t.idle[restart] = False
        self.idle_since[restart] = np.nan
        self.restarted[restart] = now
        to_idle = np.flatnonzero(low & (now - self.distress_since >= spec.distress_days - 1e-9))
        t.idle[to_idle] = True
        self.idle_since[to_idle] = now
        self.distress_since[to_idle] = np.nan
        to_exit = np.flatnonzero(t.idle & ~t.exited & (now - self.idle_since >= spec.idle_days - 1e-9))
        return to_idle.tolist(), restart, to_exit.tolist()

    def _viable(self, firm: int, terms: Terms, price: np.ndarray, disposal: np.ndarray,
                offer: np.ndarray | None = None) -> bool:
        """Does ``firm`` expect a margin at or above the threshold with these terms (module docstring)?"""
        supply, cost, lead = self._supply(firm, terms, offer)
        share = max(0.0, 1.0 - lead / self.planning_days)
        need = self.spec.margin_threshold * self.economics.costs_per_day(firm)
        return self.economics.margin_per_day(firm, supply, cost, share, price, disposal) >= need

    def _supply(self, firm: int, terms: Terms, offer: np.ndarray | None) -> tuple[dict, dict, float]:
        """Supply and cost per unit of each by-product input, and the longest lead time (days)."""
        supply, cost, lead = {}, {}, 0.0
        for m in self.economics.secondary(firm):
            if m not in terms:
                supply[m] = 0.0
                continue
            amount, cost[m], days = terms[m]
            supply[m] = float(offer[m]) if amount is None else amount
            lead = max(lead, days)
        return supply, cost, lead

    def vacate(self, firm: int, now: float, plot: str) -> None:
        """Firm ``firm`` left its plot: the plot is searched for an entrant if it can have one."""
        if self.spec.entry is not None and (self.ikm_plot[firm] or self.spec.entry.estate_plots):
            self.vacancies.append(Vacancy(plot, now))

    def entrants_now(self, now: float, offer: np.ndarray, price: np.ndarray,
                     disposal: np.ndarray) -> list[tuple[int, str]]:
        """Entrants that take a vacant plot now: (firm index, plot)."""
        entry = self.spec.entry
        if entry is None or not self.vacancies or not self.mix:
            return []
        t = self.table
        offer = offer.copy()
        starting = np.flatnonzero(t.entered & ~t.exited & (now - self.entry_day < self.spec.startup_grace_days)
                                  & np.isfinite(self.entry_day) & (self.entry_day > 0))
        for f in starting.tolist():   # entrants still setting up will take their share of the offer
            self._reserve(f, self.terms(f, False), offer)
        taken = []
        for vacancy in list(self.vacancies):
            if now - vacancy.since < entry.search_days - 1e-9:
                continue
            name = self._draw(vacancy)
            vacancy.attempts += 1
            pool = self.entrants[name]
            if pool:
                firm = pool[0]
                terms = self.terms(firm, False)
                if self._viable(firm, terms, price, disposal, offer):
                    pool.pop(0)
                    self._reserve(firm, terms, offer)
                    self.vacancies.remove(vacancy)
                    taken.append((firm, vacancy.plot))
                    continue
            vacancy.since = now   # no viable entrant this time: search again
        return taken

    def _reserve(self, firm: int, terms: Terms, offer: np.ndarray) -> None:
        """Set aside from ``offer`` what ``firm`` expects to take of it."""
        supply, _, _ = self._supply(firm, terms, offer)
        for m, amount in self.economics.take(firm, supply)[1]:
            offer[m] -= amount

    def _draw(self, vacancy: Vacancy) -> str:
        """Archetype of the next candidate for ``vacancy``, weighted by the IKM mix."""
        u = keyed_uniform(self.key, f"entrant|{vacancy.plot}|{vacancy.attempts}")
        total = sum(w for _, w in self.mix)
        acc = 0.0
        for name, w in self.mix:
            acc += w / total
            if u < acc:
                return name
        return self.mix[-1][0]


def mark_dormant_entrants(network, firms: FirmTable, entry_day: np.ndarray) -> dict[str, list[int]]:
    """Entrants prepared by :func:`simulator.compose.realise` start outside the park (not entered,
    entry day ``inf``): archetype -> their firm indices, in order of use."""
    pool: dict[str, list[int]] = {}
    for f, inst in enumerate(network.firms):
        if inst.id.startswith(ENTRANT_PREFIX):
            firms.entered[f] = False
            entry_day[f] = np.inf
            pool.setdefault(inst.spec.archetype, []).append(f)
    return pool


class ParkDecisions:
    """What the firms' decisions do to the park, each time an accounting period closes: idle
    firms stop or restart, exiting firms leave (contracts end, plot vacant), entrants come in
    (their links start being discovered). Every step is logged as a firm event.

    Parameters
    ----------
    scenario, network : the realised scenario (``viability`` set) and its network.
    firms : the firm table; entry_day : each firm's entry day (updated on entry).
    entrants : :func:`mark_dormant_entrants`.
    recorder, booking, market, fleets, slots, bank : the parts of the park it reads or acts on.
    key : 16 bytes from the run's ``entry`` stream.
    """

    def __init__(self, scenario: Scenario, network, firms: FirmTable, entry_day: np.ndarray,
                 entrants: dict[str, list[int]], recorder, booking, market, fleets, slots, bank, key: bytes):
        self.firms, self.entry_day = firms, entry_day
        self.recorder, self.booking, self.market = recorder, booking, market
        self.fleets, self.slots, self.bank, self.links = fleets, slots, bank, network.links
        self.negotiation_days = scenario.discovery.negotiation_days
        self.power = scenario.discovery.supplier_surplus_share
        ikm = np.array([f.id.startswith(f"{IKM_PREFIX}_") for f in network.firms], dtype=bool)
        self.rules = FirmDecisions(scenario, network.firms, firms, entry_day, network.materials, entrants,
                                   vacant_plots(scenario), ikm, self.terms, key)

    def decide(self, day: int) -> None:
        """Review margins (idle, restart, exit) and let entrants take vacant plots, at the start of ``day``."""
        rules, now, log = self.rules, float(day), self.recorder.firm_events.append
        prices = self.market.prices
        to_idle, restarted, to_exit = rules.review(now, self.booking.ledger.period_net, prices.price,
                                                   prices.disposal_cost())
        for f in restarted:
            log(now, f, "restart")
        for f in to_idle:
            log(now, f, "idle")
        for f in to_exit:
            self.firms.exited[f] = True
            log(now, f, "exit")
            self.market.lifecycle.close_firm(f)
            self.vacated(f, now)
        window = slice(max(0, day - int(rules.window_days)), day)
        offer = self.recorder.disposed_window(window.start, window.stop).sum(axis=0) / max(1, window.stop - window.start)
        for f, _plot in rules.entrants_now(now, offer, prices.price, prices.disposal_cost()):
            self.firms.entered[f] = True
            self.entry_day[f] = now
            log(now, f, "entry")
            self.market.lifecycle.firm_entered(f, self.entry_day)

    def vacated(self, firm: int, now: float) -> None:
        """Firm ``firm`` left (its own decision or a scheduled exit): its plot may find an entrant."""
        self.rules.vacate(firm, now, self.firms.ids[firm])

    def terms(self, firm: int, running: bool) -> Terms:
        """``firm``'s :data:`Terms` for each by-product input it could get today (module docstring):
        through its running contracts (``running``), or through its candidate links that could
        deliver (an exchange worth it at today's prices, by pipeline or by trucks whose smallest
        lot fits in its store)."""
        links, contracts = self.links, self.market.contracts
        capacity = self.bank.capacity
        subsidy = contracts.prices.subsidy_per_unit
        mine = np.flatnonzero(links.consumer == firm)
        if running:
            mine = mine[contracts.state[mine] == ACTIVE]
        best: dict[int, tuple[float, float]] = {}
        volume: dict[int, float] = {}
        for k in mine.tolist():
            m = int(links.material[k])
            if contracts.benefit[k] <= 0:
                continue
            slot = self.slots.slot_of.get((firm, m))
            if not (links.pipeline[k] or (slot is not None and self.fleets.min_lot[k] <= capacity[slot] + 1e-9)):
                continue
            cost = float(contracts.price[k] + contracts.transport_per_unit[k] + contracts.handling[k] - subsidy[m])
            lead = 0.0
            if running:
                volume[m] = volume.get(m, 0.0) + float(contracts.volume[k]) / DAYS_PER_YEAR
            else:
                lead = self._lead_days(k)
                if not contracts.built[k] and contracts.volume[k] > 0:
                    share = 1.0 if np.isfinite(links.fixed_price[k]) else 1.0 - self.power
                    cost += share * float(contracts.investment[k] / (contracts.annuity[k] * contracts.volume[k]))
            if m not in best or (cost, lead) < best[m]:
                best[m] = (cost, lead)
        return {m: (volume.get(m) if running else None, cost, lead) for m, (cost, lead) in best.items()}

    def _lead_days(self, link: int) -> float:
        """Expected days from entry to the first delivery on ``link``: discovery (1 / rate; none for
        a tie known from the scenario or a link already found), negotiation (none for an existing
        tie) and construction (none if built)."""
        links, contracts, lifecycle = self.links, self.market.contracts, self.market.lifecycle
        existing = not np.isnan(links.known_from_day[link])
        if existing or contracts.state[link] != UNKNOWN:
            found = 0.0
        else:
            rate = float(lifecycle.rate[link])
            found = 1.0 / rate if rate > 0 else np.inf
        negotiation = 0.0 if existing else self.negotiation_days
        build = 0.0 if contracts.built[link] else float(contracts.lead_days[link])
        return found + negotiation + build
