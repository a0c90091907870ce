"""The exchange market: what a link is worth, which contracts are active, who gets what.

Net benefit of moving one unit of a by-product along a link (DESIGN.md section 2):

    benefit = virgin cost avoided + disposal avoided + subsidy - transport - handling

where the virgin cost avoided is the price of the input it replaces divided by the substitution
ratio (or the by-product's own reference price when it is a main input), the disposal avoided
is the supplier's gate fee plus landfill tax, and transport is a loaded trip and the empty
return over the link, shared by a full truckload. Links are exchanged only when the benefit is
positive. The price splits the surplus: the supplier gets ``supplier_surplus_share`` of it,

    price = -disposal avoided + share x benefit,

so a negative price is a gate fee the supplier pays the consumer. Each market round gives stock
to the links with the highest benefit first, within the consumer's storage room.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..config import Scenario
from ..network import ParkNetwork
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
        self._disposal_cost = self.disposal + self.landfill_tax * self.is_tonnes
        self.subsidy_per_unit = (self.subsidy * self.is_tonnes).tolist()
        self.disposal_cost_list = self._disposal_cost.tolist()

    def disposal_cost(self) -> np.ndarray:
        """Cost of disposing one unit of each material: gate fee plus landfill tax on tonnes."""
        return self._disposal_cost


class Contracts:
    """State, economics and active lists of every candidate link."""

    def __init__(self, scenario: Scenario, network: ParkNetwork, slots: Slots, recipes: RecipeTables,
                 prices: MarketPrices, trip_cost: np.ndarray, truck_load: np.ndarray):
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
        self.handling = np.full(n, scenario.discovery.handling_cost_per_unit)
        self.surplus_share = scenario.discovery.supplier_surplus_share
        self.benefit = np.zeros(n)
        self.price = np.zeros(n)
        self._order = np.arange(n)            # links by decreasing benefit (set by reprice)
        self._cached: dict[bool, np.ndarray] = {}
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
        self.benefit = value + disposal_avoided + subsidy - self.transport_per_unit - self.handling
        rule_price = -disposal_avoided + self.surplus_share * self.benefit
        self.price = np.where(np.isnan(self.links.fixed_price), rule_price, self.links.fixed_price)
        self.price_list = self.price.tolist()
        self._sort_active()

    def set_handling_factor(self, factor: np.ndarray) -> None:
        """Scale each link's handling cost (links found on the platform cost less to run)."""
        self.handling = self.handling * factor
        self.reprice()

    def viable(self, link: int) -> bool:
        return bool(self.benefit[link] > 0.0)

    # ---------------------------------------------------------------- contract state

    def activate(self, link: int) -> None:
        self.state[link] = ACTIVE
        self._cached.clear()
        if not self.links.pipeline[link]:
            slot = int(self.supplier_slot[link])
            self.outlets[slot] += 1

    def deactivate(self, link: int) -> int:
        """End a contract; return the supplier slot that lost its last outlet, or -1."""
        self.state[link] = KNOWN
        self._cached.clear()
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
        self._order = np.lexsort((np.arange(len(self.benefit)), -self.benefit))
        self._cached.clear()

    def truck_table(self, min_lot: np.ndarray):
        """Active truck contracts in market order with their supplier and consumer stores and
        minimum lots; cached until a contract starts or ends."""
        table = self._cached.get("trucks")
        if table is None:
            links = self.active(pipeline=False)
            table = self._cached["trucks"] = (links, self.supplier_slot[links], self.consumer_slot[links],
                                              min_lot[links])
        return table

    def active(self, pipeline: bool) -> np.ndarray:
        """Links under contract (pipelines or truck links), best benefit first.

        Rebuilt with one vector operation when contracts changed since the last call, so many
        contracts starting on the same day cost one sort, not one insertion each.
        """
        cached = self._cached.get(pipeline)
        if cached is None:
            order = self._order
            keep = (self.state[order] == ACTIVE) & (self.links.pipeline[order] == pipeline)
            cached = self._cached[pipeline] = order[keep]
        return cached


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
    order = np.argsort(stores, kind="stable")
    grouped = stores[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    sizes = np.diff(np.r_[starts, len(grouped)])
    rank = np.empty(len(stores), dtype=np.int64)
    rank[order] = np.arange(len(grouped)) - np.repeat(starts, sizes)
    return rank < np.floor(lots) + REACH_SLACK


def truck_round(contracts: Contracts, bank, load: np.ndarray, min_lot: np.ndarray, interval_days: float,
                dispatch: Callable[[int, float], None]) -> None:
    """One market round: stock goes to active truck contracts, best benefit first.

    A lot leaves only when it is at least the link's ``min_lot``; full truckloads (``load`` of the
    link's fleet) are preferred. Stock and room are reserved at dispatch so later rounds and
    arrivals never over-commit a store. One vector pass finds the contracts whose supplier holds
    a lot and whose consumer has room for one (stocks and room only fall during a round); the
    Python loop then runs over those only.
    """
    links, supplier, consumer, smallest = contracts.truck_table(min_lot)
    if not len(links):
        return
    level, reserved_out = bank.level, bank.reserved_out
    capacity, reserved_in = bank.capacity, bank.reserved_in
    stock = level[supplier] - reserved_out[supplier]
    space = capacity[consumer] - level[consumer] - reserved_in[consumer]
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
    available: dict[int, float] = {}
    room: dict[int, float] = {}
    for k in range(len(links_l)):
        s, c, lot_min = supplier_l[k], consumer_l[k], smallest_l[k]
        if s not in available:
            available[s] = stock_l[k]
        if available[s] < lot_min:
            continue
        if c not in room:
            room[c] = space_l[k]
        quantity = min(available[s], room[c], limit_l[k])
        full = load_l[k]
        while quantity >= lot_min and quantity > 0.0:
            lot = full if full < quantity else quantity
            available[s] -= lot
            room[c] -= lot
            reserved_out[s] += lot
            reserved_in[c] += lot
            dispatch(links_l[k], lot)
            quantity -= lot
