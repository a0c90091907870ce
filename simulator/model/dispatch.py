"""Dispatch: which fleet serves each link, and sending a lot along a link by truck.

The park has its trucks and, if it has its own, the IKM centre has its trucks; links with a
centre member at either end use the centre's. A dispatched lot waits for a truck of its fleet,
is loaded at the supplier, driven, unloaded at the consumer and paid for (:class:`.logistics.Fleet`).
The lots a market round sends along one link leave together: one request for one truck per lot,
whose trucks granted at one instant travel as one convoy; each lot is still its own shipment.
"""

from __future__ import annotations

import numpy as np
import simpy

from ..config import Scenario
from ..network import ParkNetwork
from .logistics import Departures, Fleet


class LinkFleets:
    """The fleets of a park and, per link, the fleet that serves it and what a trip costs.

    Attributes
    ----------
    fleets : the park's fleet, then the IKM centre's if it has one.
    fleet_of : index into ``fleets`` per link.
    load, min_lot : a full truckload and the smallest lot worth a trip, per link (material units).
    trip_cost : cost of a loaded trip and the empty return, per link (currency): the fleet's cost per
        trip, per km driven and per hour out (driving both ways and loading).
    co2e_kg_per_km : emissions of the link's trucks per km.
    """

    def __init__(self, env: simpy.Environment, scenario: Scenario, network: ParkNetwork, facilitated: np.ndarray):
        specs = [scenario.park.truck_fleet]
        sentra = scenario.sentra
        if sentra is not None and sentra.truck_fleet is not None:
            specs.append(sentra.truck_fleet)
        departures = Departures(env)
        self.fleets = [Fleet(env, f.trucks, f.speed_km_per_h, f.loading_hours, departures) for f in specs]
        links = network.links
        choice = np.zeros(len(links), dtype=np.int64)
        if len(specs) > 1:
            choice[facilitated] = 1
        self.fleet_of = choice
        self.load = np.array([specs[k].load for k in choice], dtype=float)
        self.min_lot = np.array([specs[k].min_load_share * specs[k].load for k in choice], dtype=float)
        self.trip_cost = np.array([
            f.cost_per_trip + 2.0 * d * f.cost_per_km + f.cost_per_hour * (2.0 * d / f.speed_km_per_h + f.loading_hours)
            for f, d in zip((specs[k] for k in choice), links.distance_km.tolist())], dtype=float)
        self.co2e_kg_per_km = np.array([specs[k].co2e_kg_per_km for k in choice], dtype=float)

    def busy_days(self) -> float:
        """Truck-days of service completed so far, all fleets."""
        return sum(f.busy_days for f in self.fleets)

    def trucks(self) -> int:
        return sum(f.trucks for f in self.fleets)


class _Route:
    """What a shipment along one link needs, as plain Python values (made on the link's first trip)."""

    __slots__ = ("link", "supplier_slot", "consumer_slot", "material", "fleet", "loaded", "empty", "trip_cost")

    def __init__(self, link: int, supplier_slot: int, consumer_slot: int, material: int, fleet, distance_km: float,
                 trip_cost: float):
        self.link, self.supplier_slot, self.consumer_slot, self.material = link, supplier_slot, consumer_slot, material
        self.fleet, self.trip_cost = fleet, trip_cost
        self.loaded, self.empty = fleet.loaded_days(distance_km), fleet.empty_days(distance_km)


class Dispatch:
    """Sends lots along links by truck and records and pays for each delivery.

    Stores are loaded and unloaded the moment a convoy arrives; what the recorder, the link
    accounts and the contracts' gains make of a lot is noted in the day's journal and booked as
    arrays by :meth:`book` (at the end of the day, before anything reads those sums), in the order
    the lots moved, so every sum is the one of booking them one at a time.

    Parameters
    ----------
    env : the run's environment.
    network : the park network (link ends, materials and distances).
    fleets : the fleets and per-link trip figures.
    market : the market (contract prices, link accounts).
    bank, recorder : the stores and the recorder.
    """

    def __init__(self, env: simpy.Environment, network: ParkNetwork, fleets: LinkFleets, market, bank, recorder):
        self.env, self.links, self.fleets = env, network.links, fleets
        self.market, self.bank, self.recorder = market, bank, recorder
        self._routes: dict[int, _Route] = {}
        # the journal since the last booking: lots loaded (store, lot); quantity in transit
        # (material, +lot loaded / -lot delivered), in order; convoys delivered and their lots
        self._loaded_slot: list[int] = []
        self._loaded: list[float] = []
        self._moved_material: list[int] = []
        self._moved: list[float] = []
        self._arrivals: list[tuple] = []
        self._terms: list[tuple] = []        # the contracts' delivery terms at each arrival
        self._delivered: list[float] = []

    def _route(self, link: int) -> _Route:
        fleets, contracts = self.fleets, self.market.contracts
        route = self._routes[link] = _Route(
            link, int(contracts.supplier_slot[link]), int(contracts.consumer_slot[link]), int(self.links.material[link]),
            fleets.fleets[fleets.fleet_of[link]], float(self.links.distance_km[link]), float(fleets.trip_cost[link]))
        return route

    def send(self, link: int, lots: list[float]) -> None:
        """Send one truck per lot of ``lots`` along ``link`` (stock and room are already reserved);
        the trucks granted at one instant travel as one convoy."""
        route = self._routes.get(link)
        if route is None:
            route = self._route(link)
        route.fleet.send(route.loaded, route.empty, self._pickup, self._dropoff, route, lots)

    def _pickup(self, convoy) -> None:
        """A convoy loads its lots at the supplier's store, truck by truck."""
        route, lots = convoy.payload, convoy.lots
        slot, material = route.supplier_slot, route.material
        self.bank.load_truck(slot, lots)
        for lot in lots:
            self._loaded_slot.append(slot)
            self._loaded.append(lot)
            self._moved_material.append(material)
            self._moved.append(lot)

    def _dropoff(self, convoy) -> None:
        """A convoy unloads at the consumer's store, truck by truck (one shipment per truck), at
        the prices and terms of this moment."""
        route, lots = convoy.payload, convoy.lots
        link, material, market = route.link, route.material, self.market
        self.bank.unload_truck(route.consumer_slot, lots)
        for lot in lots:
            self._moved_material.append(material)
            self._moved.append(-lot)
        contracts, prices = market.contracts, market.prices
        self._arrivals.append((link, route.consumer_slot, contracts.price_list[link], route.trip_cost,
                               prices.disposal_cost_list[material], prices.subsidy_per_unit[material],
                               convoy.requested, convoy.requested + convoy.wait, convoy.arrived, convoy.wait, len(lots)))
        self._terms.append(contracts.delivery_terms)
        self._delivered.extend(lots)

    def book(self) -> None:
        """Book the journal's lots in the recorder, the link accounts and the contracts' gains, and
        their shipment rows; then start a new journal."""
        if not self._moved:
            return
        terms = self._terms
        if self._arrivals:
            link, slot, price, trip, disposal, subsidy, dispatched, picked, arrived, waited, trucks = (
                np.array(column) for column in zip(*self._arrivals))
            lots = np.array(self._delivered)
            if len(lots) != len(link):   # convoys of several trucks: their values per lot
                (link, slot, price, trip, disposal, subsidy, dispatched, picked, arrived, waited) = (
                    np.repeat(c, trucks) for c in (link, slot, price, trip, disposal, subsidy, dispatched, picked,
                                                   arrived, waited))
                terms = [t for t, n in zip(terms, trucks.tolist()) for _ in range(n)]
        else:
            link = slot = np.zeros(0, dtype=np.int64)
            lots = price = trip = disposal = subsidy = np.zeros(0)
        self.recorder.trucks_moved(np.array(self._loaded_slot, dtype=np.int64), np.array(self._loaded, dtype=float),
                                   np.array(self._moved_material, dtype=np.int64), np.array(self._moved, dtype=float),
                                   link, slot, lots, price * lots, lots * disposal)
        if len(link):
            market = self.market
            market.accounts.deliver(link, lots, price, trip, subsidy)
            market.contracts.delivered(link, lots, price, terms, trip, arrived)
            self.recorder.shipments.extend({"dispatch_day": dispatched, "pickup_day": picked, "arrival_day": arrived,
                                            "link": link, "quantity": lots, "price_per_unit": price,
                                            "transport_cost": trip, "wait_days": waited})
        for journal in (self._loaded_slot, self._loaded, self._moved_material, self._moved, self._arrivals,
                        self._terms, self._delivered):
            journal.clear()
