"""The exchange market: what a link is worth, which contracts are active, who gets what.

Net benefit (surplus) of moving one unit of a by-product along a link (DESIGN.md section 2):

    benefit = virgin cost avoided + disposal avoided + subsidy - transport - handling

where the virgin cost avoided is the price of the input it replaces divided by the substitution
ratio (or the by-product's own reference price when it is a main input), the disposal avoided
is the supplier's gate fee plus landfill tax, and transport is a full truckload's trip cost
(fixed cost per trip, loaded and empty km, hours out) per unit of load. A lot smaller than a
truckload still pays the whole trip. How the two firms split the benefit, net of the link's
investment, is settled when they negotiate (:mod:`model.deals`); the supplier's share is paid
through the price. Each market round gives stock to the links with the highest benefit first,
within the consumer's storage room.
"""

from __future__ import annotations

from bisect import insort
from typing import Callable

import numpy as np

from ..config import Scenario
from ..network import ParkNetwork
from .deals import DAYS_PER_YEAR, expected_volume_per_year, link_annuity, link_investment, nash_split
from .production import RecipeTables, Slots

UNKNOWN, KNOWN, ACTIVE = 0, 1, 2
"""Link states: not yet found, known (negotiating or not worth it now), under contract."""


class MarketPrices:
    """Current prices, fees and policy levels; scheduled events change them."""

    def __init__(self, scenario: Scenario, materials: tuple[str, ...]):
        specs = [scenario.materials[m] for m in materials]
        self.price = np.array([m.price_per_unit for m in specs], dtype=float)
        self.disposal = np.array([m.disposal_cost_per_unit for m in specs], dtype=float)
        self.is_tonnes = np.array([m.unit == "t" for m in specs], dtype=bool)
        self.landfill_tax = scenario.policy.landfill_tax_per_t
        self.subsidy = scenario.policy.exchange_subsidy_per_t
        self.changed()

    def changed(self) -> None:
        """Call after changing prices, fees or policy levels: refreshes the derived values."""
        self.tax_per_unit = self.landfill_tax * self.is_tonnes
        self._disposal_cost = self.disposal + self.tax_per_unit
        self.subsidy_per_unit = (self.subsidy * self.is_tonnes).tolist()
        self.disposal_cost_list = self._disposal_cost.tolist()

    def disposal_cost(self) -> np.ndarray:
        """Cost of disposing one unit of each material: gate fee plus landfill tax on tonnes."""
        return self._disposal_cost


class Contracts:
    """State, economics and active lists of every candidate link."""

    def __init__(self, scenario: Scenario, network: ParkNetwork, slots: Slots, recipes: RecipeTables,
                 prices: MarketPrices, trip_cost: np.ndarray, truck_load: np.ndarray, nominal_output: np.ndarray):
        links = network.links
        n = len(links)
        self.links = links
        self.prices = prices
        self.state = np.full(n, UNKNOWN, dtype=np.int8)
        self.supplier_slot = np.full(n, -1, dtype=np.int64)
        self.consumer_slot = np.full(n, -1, dtype=np.int64)
        self.point = np.full(n, -1, dtype=np.int64)
        self.out_entry = np.full(n, -1, dtype=np.int64)
        out_entry_of = {(int(f), int(m)): k for k, (f, m) in enumerate(zip(recipes.out_firm, recipes.out_material))}
        for i in range(n):
            s, c, m = int(links.supplier[i]), int(links.consumer[i]), int(links.material[i])
            if links.pipeline[i]:
                self.point[i] = slots.point_of[(c, m)]
                self.out_entry[i] = out_entry_of[(s, m)]
            else:
                self.supplier_slot[i] = slots.slot_of[(s, m)]
                self.consumer_slot[i] = slots.slot_of[(c, m)]
        self._use_input, self._use_ratio, self._primary = _valuation_basis(network)
        self.transport_per_unit = np.where(
            links.pipeline, links.distance_km * scenario.network.pipeline_cost_per_unit_km, trip_cost / truck_load)
        self.base_handling = scenario.discovery.handling_cost_per_unit
        self.handling = np.full(n, self.base_handling)
        self.surplus_share = scenario.discovery.supplier_surplus_share
        self.economics = scenario.link_economics
        self.investment, self.lead_days = link_investment(links, self.economics)
        self.annuity = link_annuity(links, self.economics, scenario.discovery)
        self.emitted, self.usable, self.volume = expected_volume_per_year(links, slots, recipes, nominal_output, self.supplier_slot,
                                               self.consumer_slot, self.point, self.out_entry)
        self.built = ~np.isnan(links.known_from_day)   # existing ties need no new investment
        self.invested = np.zeros(n)                     # investment paid (currency)
        self.life_days = np.where(links.pipeline, self.economics.pipeline_life_years,
                                  self.economics.truck_link_life_years) * DAYS_PER_YEAR
        self.recover_until = np.full(n, -np.inf)        # day the investment charge leaves the price
        # terms of the last deal, per unit: investment recovered, outside options (nan: never signed)
        self.invest_per_unit = np.zeros(n)
        self.outside = np.full((n, 2), np.nan)
        self.gain_supplier = np.zeros(n)
        self.gain_consumer = np.zeros(n)
        self._realised = (np.zeros(n), np.zeros(n))      # supplier's and consumer's gains over the run (currency)
        self.first_delivery = np.full(n, np.nan)
        # per link, the running contracts of its supplier (consumer) for the same material, in
        # link order: the same list object for every link of one (firm, material)
        self._by_supplier = _groups(links.supplier, links.material)
        self._by_consumer = _groups(links.consumer, links.material)
        self.benefit = np.zeros(n)
        self.price = np.zeros(n)
        self._order = np.arange(n)            # links by decreasing benefit (set by reprice)
        self._cached: dict = {}               # active lists, until a contract starts or ends
        self._in_order: dict = {}             # arrays by market position, until a repricing
        self.outlets = np.zeros(len(slots.slot_firm), dtype=np.int64)
        self.reprice()

    # ---------------------------------------------------------------- economics

    def reprice(self) -> None:
        """Recompute every link's benefit and price from current prices and fees."""
        p = self.prices
        material = self.links.material
        substitute_value = np.where(self._use_input >= 0,
                                    p.price[np.maximum(self._use_input, 0)] / self._use_ratio, 0.0)
        value = np.maximum(substitute_value, np.where(self._primary, p.price[material], 0.0))
        disposal_avoided = p.disposal_cost()[material]
        subsidy = p.subsidy * p.is_tonnes[material]
        self.disposal_avoided = disposal_avoided
        self.consumer_value = value + subsidy - self.handling   # per unit, before price and transport
        self.delivery_terms = (disposal_avoided, self.consumer_value)   # new arrays at each repricing
        self.benefit = value + disposal_avoided + subsidy - self.transport_per_unit - self.handling
        self._split()
        self._sort_active()

    def _split(self) -> None:
        """Per-unit gains and prices from the current benefit and each link's deal terms."""
        outside = np.nan_to_num(self.outside)
        fixed = ~np.isnan(self.links.fixed_price)
        supplier, consumer = nash_split(self.benefit, self.invest_per_unit, outside[:, 0], outside[:, 1],
                                        self.surplus_share)
        supplier = np.where(fixed, self.links.fixed_price + self.disposal_avoided, supplier)
        self.gain_supplier = supplier
        self.gain_consumer = self.benefit - self.invest_per_unit - supplier
        self.price = supplier - self.disposal_avoided
        self.price_list = self.price.tolist()

    def set_handling_factor(self, factor: np.ndarray) -> None:
        """Set each link's handling cost to the base cost times ``factor`` (cheaper among platform members)."""
        self.handling[:] = self.base_handling * factor   # in place: the link accounts read this array
        self.reprice()

    def negotiate(self, link: int, now: float) -> bool:
        """Bargain over ``link`` on day ``now`` (module :mod:`model.deals`): True and the terms are set
        when both sides gain more than their outside option, False when negotiation fails. A link
        built in this run keeps its investment charge per unit in the price of later contracts until
        its asset's life ends (the consumer recovers what it counted on); an existing tie has none."""
        volume, surplus = float(self.volume[link]), float(self.benefit[link])
        if volume <= 0.0 or surplus <= 0.0:
            return False
        new = not self.built[link]
        investment = float(self.investment[link]) if new or now < self.recover_until[link] else 0.0
        spec = self.economics
        if new and spec.decision == "payback" and investment > spec.payback_limit_years * surplus * volume:
            return False
        per_unit = investment / (self.annuity[link] * volume)
        outside_s = outside_c = 0.0
        if spec.bargaining == "nash":
            outside_s = self._outside_option(self._by_supplier, link, self.gain_supplier, self.emitted)
            outside_c = self._outside_option(self._by_consumer, link, self.gain_consumer, self.usable)
        if np.isnan(self.links.fixed_price[link]):
            supplier, consumer = nash_split(surplus, per_unit, outside_s, outside_c, self.surplus_share)
        else:
            supplier = float(self.links.fixed_price[link] + self.disposal_avoided[link])
            consumer = surplus - per_unit - supplier
        if supplier <= outside_s or consumer <= outside_c or supplier <= 0.0 or consumer <= 0.0:
            return False
        self.invest_per_unit[link] = per_unit
        self.outside[link] = (outside_s, outside_c)
        self._split_link(link, surplus, per_unit, outside_s, outside_c)
        return True

    def _split_link(self, link: int, surplus: float, per_unit: float, outside_s: float, outside_c: float) -> None:
        """:meth:`_split` for one link whose terms changed (the same arithmetic, element by element;
        the other links' values do not depend on it), so a signing costs O(1), not O(links)."""
        supplier, _ = nash_split(surplus, per_unit, outside_s, outside_c, self.surplus_share)
        fixed = float(self.links.fixed_price[link])
        if fixed == fixed:   # not nan
            supplier = fixed + float(self.disposal_avoided[link])
        price = supplier - float(self.disposal_avoided[link])
        self.gain_supplier[link] = supplier
        self.gain_consumer[link] = surplus - per_unit - supplier
        self.price[link] = price
        self.price_list[link] = price

    def _outside_option(self, running: list[list[int]], link: int, gain: np.ndarray, amount: np.ndarray) -> float:
        """Per-unit gain a party of ``link`` would make on a unit without it: its best other running
        contract for the material (``running[link]``) when those already take (or cover) all its
        ``amount``, else 0."""
        others = running[link]
        if link in others:    # a renewal: leave the link itself out
            others = [k for k in others if k != link]
        if not others:
            return 0.0
        others = np.array(others, dtype=np.int64)
        if np.add.reduce(self.volume[others]) < amount[link]:   # ndarray.sum without its wrapper
            return 0.0
        return max(0.0, float(np.maximum.reduce(gain[others])))

    def pay_investment(self, link: int, now: float) -> float:
        """The consumer pays the link's investment (at signing, on day ``now``); returns the amount."""
        amount = float(self.investment[link])
        self.invested[link] += amount
        self._realised[1][link] -= amount
        self.built[link] = True
        self.recover_until[link] = now + self.life_days[link]
        return amount

    def delivered(self, link: np.ndarray, quantity: np.ndarray, price: np.ndarray, terms: list[tuple],
                  carriage: np.ndarray, when: np.ndarray) -> None:
        """Book the gains of deliveries (arrays, one element per lot, in the order they arrived, each
        with its price, the :attr:`delivery_terms` and the cost of carrying it at that moment): each
        side's money against its outside of disposal or virgin purchase. ``np.add.at`` adds element
        by element in order, as lot by lot."""
        supplier_gain, consumer_gain = np.empty(len(link)), np.empty(len(link))
        distinct = {id(t): t for t in terms}   # one set of terms unless repriced meanwhile
        for term in distinct.values():
            at = slice(None) if len(distinct) == 1 else np.array([t is term for t in terms])
            disposal_avoided, consumer_value = term
            supplier_gain[at] = price[at] + disposal_avoided[link[at]]
            consumer_gain[at] = consumer_value[link[at]] - price[at]
        supplier, consumer = self._realised
        np.add.at(supplier, link, quantity * supplier_gain)
        np.add.at(consumer, link, quantity * consumer_gain - carriage)
        new = np.flatnonzero(np.isnan(self.first_delivery[link]))   # lots on links without a delivery yet
        if len(new):
            first, at = np.unique(link[new], return_index=True)
            self.first_delivery[first] = when[new[at]]

    @property
    def realised_supplier(self) -> np.ndarray:
        """The supplier's gain on each link over the run so far (currency)."""
        return self._realised[0].copy()

    @property
    def realised_consumer(self) -> np.ndarray:
        """The consumer's gain on each link over the run so far, net of its investment (currency)."""
        return self._realised[1].copy()

    # ---------------------------------------------------------------- contract state

    def activate(self, link: int) -> None:
        self.state[link] = ACTIVE
        self._cached.clear()
        self._in_order["active"][self._in_order["rank"][link]] = True
        insort(self._by_supplier[link], link)
        insort(self._by_consumer[link], link)
        if not self.links.pipeline[link]:
            slot = int(self.supplier_slot[link])
            self.outlets[slot] += 1

    def deactivate(self, link: int) -> int:
        """End a contract; return the supplier slot that lost its last outlet, or -1."""
        self.state[link] = KNOWN
        self._cached.clear()
        self._in_order["active"][self._in_order["rank"][link]] = False
        self._by_supplier[link].remove(link)
        self._by_consumer[link].remove(link)
        if self.links.pipeline[link]:
            return -1
        slot = int(self.supplier_slot[link])
        self.outlets[slot] -= 1
        return slot if self.outlets[slot] == 0 else -1

    def outlet(self) -> np.ndarray:
        """Per storage slot: does an active contract take its by-product?"""
        return self.outlets > 0

    def _sort_active(self) -> None:
        # highest benefit first; ties by link index, so the order is deterministic
        order = self._order = np.lexsort((np.arange(len(self.benefit)), -self.benefit))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        # by market position: a contract starting or ending flips one flag, and the active lists
        # are read off in sequence, not gathered over every link each time
        self._in_order = {"rank": rank, "active": self.state[order] == ACTIVE, "pipeline": self.links.pipeline[order],
                          "supplier": self.supplier_slot[order], "consumer": self.consumer_slot[order]}
        self._cached.clear()

    def truck_table(self, min_lot: np.ndarray):
        """Active truck contracts in market order with their supplier and consumer stores and
        minimum lots (``min_lot``: per link, the fleets' fixed figures); cached until a contract
        starts or ends."""
        table = self._cached.get("trucks")
        if table is None:
            at = self._positions(pipeline=False)
            by_position = self._in_order
            if "min_lot" not in by_position:
                by_position["min_lot"] = min_lot[self._order]
            table = self._cached["trucks"] = (self._order[at], by_position["supplier"][at], by_position["consumer"][at],
                                              by_position["min_lot"][at])
        return table

    def _positions(self, pipeline: bool) -> np.ndarray:
        """Market positions of the links under contract (pipelines or truck links)."""
        by_position = self._in_order
        mode = by_position["pipeline"] if pipeline else ~by_position["pipeline"]
        return np.flatnonzero(by_position["active"] & mode)

    def active(self, pipeline: bool) -> np.ndarray:
        """Links under contract (pipelines or truck links), best benefit first.

        Rebuilt with one vector operation when contracts changed since the last call, so many
        contracts starting on the same day cost one pass, not one insertion each.
        """
        cached = self._cached.get(pipeline)
        if cached is None:
            cached = self._cached[pipeline] = self._order[self._positions(pipeline)]
        return cached


def _groups(party: np.ndarray, material: np.ndarray) -> list[list[int]]:
    """Per link, one empty list shared by the links of the same (firm, material)."""
    groups: dict[tuple[int, int], list[int]] = {}
    return [groups.setdefault(key, []) for key in zip(party.tolist(), material.tolist())]


def _valuation_basis(network: ParkNetwork) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per link: the consumer input a by-product replaces (index, ratio), and whether it is a
    main input of the consumer (valued at its own reference price)."""
    links = network.links
    m_index = {m: i for i, m in enumerate(network.materials)}
    use_input = np.full(len(links), -1, dtype=np.int64)
    use_ratio = np.ones(len(links))
    primary = np.zeros(len(links), dtype=bool)
    for i in range(len(links)):
        spec = network.firms[links.consumer[i]].spec
        name = network.materials[links.material[i]]
        primary[i] = name in spec.inputs
        for input_name, inp in spec.inputs.items():
            rule = inp.substitutes.get(name)
            if rule is not None:
                use_input[i], use_ratio[i] = m_index[input_name], rule.ratio
                break
    return use_input, use_ratio, primary


class Pipelines:
    """Allocates non-storable utilities along active pipeline contracts, best benefit first."""

    def __init__(self, contracts: Contracts):
        self.contracts = contracts
        self.capacity = contracts.links.capacity_per_day

    def allocate(self, supply: np.ndarray, demand: np.ndarray):
        """Split today's utility ``supply`` (per output entry) over ``demand`` (per receiving point).

        Returns (delivered per point, piped per output entry, [(link, quantity), ...]).
        """
        delivered = np.zeros(len(demand))
        piped = np.zeros(len(supply))
        flows = []
        active = self.contracts.active(pipeline=True)
        if not len(active):
            return delivered, piped, flows
        left_supply = supply.tolist()
        left_demand = demand.tolist()
        out_entry, point = self.contracts.out_entry, self.contracts.point
        for link in active.tolist():
            o, p = int(out_entry[link]), int(point[link])
            q = min(left_supply[o], left_demand[p], float(self.capacity[link]))
            if q <= 0.0:
                continue
            left_supply[o] -= q
            left_demand[p] -= q
            delivered[p] += q
            piped[o] += q
            flows.append((link, q))
        return delivered, piped, flows


REACH_SLACK = 1
"""Contracts a store may try beyond its number of lots (the partner of one of its first
contracts may have run out of stock or room earlier in the round)."""


def _within_reach(stores: np.ndarray, lots: np.ndarray) -> np.ndarray:
    """Which of the ready contracts (in market order) a store can still serve: its first
    ``lots + REACH_SLACK`` ones, ``lots`` being how many lots its stock (supplier) or room
    (consumer) holds; each contract served takes at least one lot, so those further down would
    find the stock, or the room, gone."""
    keys = stores.astype(np.uint16) if stores.max() <= 0xFFFF else stores   # 16 bits: a radix sort
    order = np.argsort(keys, kind="stable")
    grouped = stores[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    sizes = np.diff(np.r_[starts, len(grouped)])
    rank = np.empty(len(stores), dtype=np.int64)
    rank[order] = np.arange(len(grouped)) - np.repeat(starts, sizes)
    return rank < np.floor(lots) + REACH_SLACK


def truck_round(contracts: Contracts, bank, load: np.ndarray, min_lot: np.ndarray, interval_days: float,
                dispatch: Callable[[int, list[float]], None]) -> None:
    """One market round: stock goes to active truck contracts, best benefit first.

    A lot leaves only when it is at least the link's ``min_lot``; full truckloads (``load`` of the
    link's fleet) are preferred; the lots of one link leave in one ``dispatch(link, lots)`` (one
    truck each, travelling together when trucks are free). Stock and room are reserved at dispatch so later rounds and
    arrivals never over-commit a store. One vector pass finds the contracts whose supplier holds
    a lot and whose consumer has room for one (stocks and room only fall during a round); the
    Python loop then runs over those only.
    """
    links, supplier, consumer, smallest = contracts.truck_table(min_lot)
    if not len(links):
        return
    level, reserved_out = bank.level, bank.reserved_out
    capacity, reserved_in = bank.capacity, bank.reserved_in
    stock = (level - reserved_out)[supplier]               # per store, then per contract
    space = (capacity - level - reserved_in)[consumer]
    ready = np.flatnonzero((stock >= smallest) & (space >= smallest))
    if not len(ready):
        return
    lots = smallest[ready]
    ready = ready[_within_reach(supplier[ready], stock[ready] / lots) & _within_reach(consumer[ready], space[ready] / lots)]
    ready_links = links[ready]
    links_l, supplier_l, consumer_l = ready_links.tolist(), supplier[ready].tolist(), consumer[ready].tolist()
    smallest_l, load_l = smallest[ready].tolist(), load[ready_links].tolist()
    limit_l = (contracts.links.capacity_per_day[ready_links] * interval_days).tolist()
    stock_l, space_l = stock[ready].tolist(), space[ready].tolist()
    available: dict[int, float] = {}   # stock and room left in this round, per store
    room: dict[int, float] = {}
    # reservations as Python floats, written back once at the end (the same additions in the same
    # order as on the arrays; nothing reads them before: a dispatch only queues its trucks)
    out: dict[int, float] = {}
    into: dict[int, float] = {}
    for k in range(len(links_l)):
        s = supplier_l[k]
        left = available.get(s)
        if left is None:
            left = available[s] = stock_l[k]
        lot_min = smallest_l[k]
        if left < lot_min:
            continue
        c = consumer_l[k]
        free = room.get(c)
        if free is None:
            free = room[c] = space_l[k]
        quantity = min(left, free, limit_l[k])
        if not (quantity >= lot_min and quantity > 0.0):
            continue
        full = load_l[k]
        reserved_s = out.get(s)
        if reserved_s is None:
            reserved_s = reserved_out.item(s)
        reserved_c = into.get(c)
        if reserved_c is None:
            reserved_c = reserved_in.item(c)
        lots = []
        while quantity >= lot_min and quantity > 0.0:
            lot = full if full < quantity else quantity
            left -= lot
            free -= lot
            reserved_s += lot
            reserved_c += lot
            lots.append(lot)
            quantity -= lot
        available[s], room[c], out[s], into[c] = left, free, reserved_s, reserved_c
        dispatch(links_l[k], lots)
    if out:
        reserved_out[list(out)] = list(out.values())
        reserved_in[list(into)] = list(into.values())
