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


class Dispatch:
    """Sends lots along links by truck and records and pays for each delivery.

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
        self._trips: dict[int, tuple] = {}

    def _trip_of(self, link: int) -> tuple:
        """Per-link values a shipment needs, as plain Python values, computed on first use."""
        trip = self._trips.get(link)
        if trip is None:
            fleets, contracts = self.fleets, self.market.contracts
            fleet = fleets.fleets[fleets.fleet_of[link]]
            distance = float(self.links.distance_km[link])
            trip = self._trips[link] = (
                int(contracts.supplier_slot[link]), int(contracts.consumer_slot[link]),
                int(self.links.material[link]), fleet, fleet.loaded_days(distance),
                fleet.empty_days(distance), float(fleets.trip_cost[link]))
        return trip

    def send(self, link: int, lots: list[float]) -> None:
        """Send one truck per lot of ``lots`` along ``link`` (stock and room are already reserved);
        the trucks granted at one instant travel as one convoy."""
        trip = self._trip_of(link)
        trip[3].send(trip[4], trip[5], self._pickup, self._dropoff, (link, trip), lots)

    def _pickup(self, convoy) -> None:
        """A convoy loads its lots at the supplier's store, truck by truck."""
        _, (s_slot, _, material, *_) = convoy.payload
        bank, recorder = self.bank, self.recorder
        for lot in convoy.lots:
            bank.load_truck(s_slot, lot)
            recorder.picked_up(s_slot, material, lot)

    def _dropoff(self, convoy) -> None:
        """A convoy unloads at the consumer's store, truck by truck; each delivery is recorded and
        paid for (one shipment per truck)."""
        link, (_, slot, material, _, _, _, trip) = convoy.payload
        now, market, bank, recorder = self.env.now, self.market, self.bank, self.recorder
        dispatched, waited = convoy.requested, convoy.wait
        disposal = market.prices.disposal_cost_list[material]
        price = market.contracts.price_list[link]
        lots = convoy.lots
        for lot in lots:
            bank.unload_truck(slot, lot)
            recorder.delivered(link, slot, lot, price * lot, lot * disposal)
            recorder.shipments.append(dispatched, dispatched + waited, now, link, lot, price, trip, waited)
        market.deliver_by_truck(link, material, lots, price, trip)
