"""ParkModel: wires firms, storage, the exchange market, trucks and discovery into one SimPy run.

``run_scenario(scenario, seed) -> RunResult`` is the core contract of eipsim: no file I/O, no
plotting, no global state; picklable in and out.

Order of a simulated day ``d`` (one driver process keeps it deterministic):
scheduled events of day d -> production of all firms (utilities piped as produced) -> money
booked -> market round (every ``matching_interval_days``) dispatching trucks. Trucks,
breakdowns, discovery and contracts run as their own SimPy processes in continuous time.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

import numpy as np
import simpy

from ..config import Scenario
from ..errors import SimulationError
from .ledger import (GOVERNMENT, LANDFILL, MARKET, OUTSIDE_HOUSEHOLDS, OUTSIDE_SUPPLIERS, REGION_BUYERS,
                      REGION_HOUSEHOLDS, REGION_SUPPLIERS, TRANSPORT, LedgerBook, LinkAccounts, parties)
from ..compose import realise
from ..network import ParkNetwork, build_network
from .recorder import Recorder
from ..results import FirmInfo, LinkInfo, MaterialInfo, RegionInfo, RunResult
from .discovery import LinkLifecycle
from .exchange import ACTIVE, UNKNOWN, Contracts, MarketPrices, Pipelines, truck_round
from .firm import FirmTable, breakdowns_process
from .logistics import Fleet
from .production import Production, build_recipes, build_slots
from .stores import StorageBank

MASS_BALANCE_TOLERANCE = 1e-9
"""Largest relative residual of any balance before a run is stopped as wrong."""
DAYS_PER_YEAR = 365.0
STREAMS = ("production", "discovery", "contracts", "breakdowns")
"""Independent random streams, spawned in this order from the run's SeedSequence."""


def run_scenario(scenario: Scenario, seed: int | None = None, network: ParkNetwork | None = None,
                 replication: int | None = None) -> RunResult:
    """Simulate a scenario once.

    Parameters
    ----------
    scenario : a validated Scenario.
    seed : root seed; default ``scenario.run.seed``. Same scenario and seed give identical results.
    network : :func:`park_network` of this scenario, to skip rebuilding it across replications.
    replication : replication number i of an experiment: its streams come from the child
        ``SeedSequence(seed, spawn_key=(i,))``, i.e. ``SeedSequence(seed).spawn(n)[i]``.
    """
    model = ParkModel(scenario, scenario.run.seed if seed is None else seed, network, replication)
    return model.run()


@contextmanager
def _without_cyclic_gc():
    """Pause Python's cyclic garbage collector during a run (reference counting still frees).

    A run creates hundreds of thousands of short-lived events, freed by reference counting as
    soon as they are processed (SimPy drops an event's callbacks then, which breaks the only
    cycles). The cyclic collector would meanwhile re-scan every live object (firms, links, one
    waiting process per contract) thousands of times: 85 % of the cost of a truck dispatch in a
    1,000-firm park, a quarter of a 5,000-firm run. Its previous state is restored afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def park_network(scenario: Scenario) -> ParkNetwork:
    """The network :func:`run_scenario` builds for ``scenario`` (build it once for many seeds)."""
    return build_network(realise(scenario))


class ParkModel:
    """One simulation of a park; build it, call :meth:`run` once."""

    def __init__(self, scenario: Scenario, seed: int, network: ParkNetwork | None = None,
                 replication: int | None = None):
        scenario = realise(scenario)
        self.scenario = scenario
        self.seed = int(seed)
        self.replication = replication
        self.net = network if network is not None else build_network(scenario)
        self.horizon = scenario.run.horizon_days
        spawn_key = () if replication is None else (int(replication),)
        children = np.random.SeedSequence(self.seed, spawn_key=spawn_key).spawn(len(STREAMS))
        self.rng = {name: np.random.default_rng(child) for name, child in zip(STREAMS, children)}
        self._breakdown_seeds = children[STREAMS.index("breakdowns")]
        self.env = simpy.Environment()
        firms = self.net.firms
        self.firms = FirmTable(firms, self.horizon)
        self.entry_day = np.zeros(len(firms))
        self._events_by_day = self._schedule_events()
        self.slots = build_slots(scenario, self.net)
        self.recipes = build_recipes(scenario, self.net, self.slots)
        self.bank = StorageBank(self.slots.slot_firm, self.slots.slot_material, self.slots.slot_capacity)
        self.prices = MarketPrices(scenario, self.net.materials)
        self._fleets()
        nominal = self.firms.capacity * self.firms.utilisation * self.firms.calendar.mean(axis=0)
        self.contracts = Contracts(scenario, self.net, self.slots, self.recipes, self.prices,
                                   self.trip_cost, self.link_load, nominal)
        self.pipelines = Pipelines(self.contracts)
        materials = [scenario.materials[m] for m in self.net.materials]
        self.material_index = {m: i for i, m in enumerate(self.net.materials)}
        self.product_material = np.array([self.material_index[f.spec.product.material] for f in firms],
                                         dtype=np.int64)
        self.fixed_product_price = np.array(
            [np.nan if f.spec.product.price_per_unit is None else f.spec.product.price_per_unit for f in firms])
        self.production = Production(self.recipes, len(self.slots.point_firm), self.product_material,
                                     len(materials))
        self.recorder = Recorder(self.horizon, len(firms), self.net.materials, self.recipes, self.slots,
                                 self.net.links, [m.unit for m in materials],
                                 np.array([m.mass_t for m in materials]), self.product_material)
        self.lifecycle = LinkLifecycle(self.env, scenario, self.contracts, self.firms, self.entry_day,
                                       self.rng["discovery"], self.rng["contracts"], self._link_event,
                                       self._outlet_lost, self._centre_links(), self._invest, self._firm_log)
        region = scenario.region
        self.ledger = LedgerBook(parties(list(self.firms.ids), region.landfill_operator,
                                         region.transport_operator), scenario.run.ledger_period_days)
        links = self.net.links
        self.accounts = LinkAccounts(self.ledger, links.supplier, links.consumer, links.material,
                                     self.contracts.handling, TRANSPORT, REGION_SUPPLIERS, GOVERNMENT)
        self._channels()
        self._trips: dict[int, tuple] = {}

    # ---------------------------------------------------------------- setup

    def _centre_links(self) -> np.ndarray:
        """Links with an IKM-centre member (or the centre itself) at either end."""
        links, net = self.net.links, self.net
        centre = net.members.copy()
        if net.sentra >= 0:
            centre[net.sentra] = True
        return centre[links.supplier] | centre[links.consumer]

    def _fleets(self) -> None:
        """The park's trucks and, if it has its own, the IKM centre's; each link uses one fleet."""
        specs = [self.scenario.park.truck_fleet]
        sentra = self.scenario.sentra
        if sentra is not None and sentra.truck_fleet is not None:
            specs.append(sentra.truck_fleet)
        self.fleets = [Fleet(self.env, f.trucks, f.speed_km_per_h, f.loading_hours) for f in specs]
        links = self.net.links
        choice = np.zeros(len(links), dtype=np.int64)
        if len(specs) > 1:
            choice[self._centre_links()] = 1
        self.link_fleet = choice
        self.link_load = np.array([specs[k].load for k in choice], dtype=float)
        self.link_min_lot = np.array([specs[k].min_load_share * specs[k].load for k in choice], dtype=float)
        self.trip_cost = np.array([
            f.cost_per_trip + 2.0 * d * f.cost_per_km + f.cost_per_hour * (2.0 * d / f.speed_km_per_h + f.loading_hours)
            for f, d in zip((specs[k] for k in choice), links.distance_km.tolist())], dtype=float)
        self.trip_co2e_kg_per_km = np.array([specs[k].co2e_kg_per_km for k in choice], dtype=float)

    def _schedule_events(self) -> dict[int, list]:
        """Scheduled events by day; firms with an entry event start outside the park."""
        members: dict[str, list[int]] = {}
        for i, inst in enumerate(self.net.firms):
            members.setdefault(inst.entry, []).append(i)
            if inst.id != inst.entry:
                members[inst.id] = [i]
        by_day: dict[int, list] = {}
        for event in self.scenario.events:
            day = int(np.ceil(event.day))
            if event.type == "firm_entry":
                for f in members[event.firm]:
                    self.firms.entered[f] = day <= 0
                    self.entry_day[f] = day
            if day < self.horizon:
                by_day.setdefault(day, []).append((event, members.get(getattr(event, "firm", None), [])))
        return by_day

    def _channels(self) -> None:
        """Ledger channels of the flows booked every day."""
        r, led = self.recipes, self.ledger
        ids = np.array(self.firms.ids, dtype=object)
        specs = [f.spec for f in self.net.firms]
        self.ch_buy_region = led.channel(ids[r.in_firm], REGION_SUPPLIERS, "input_purchase", r.in_material)
        self.ch_buy_outside = led.channel(ids[r.in_firm], OUTSIDE_SUPPLIERS, "input_purchase", r.in_material)
        self.ch_sale_outside = led.channel(MARKET, ids, "product_sale", self.product_material)
        self.ch_sale_region = led.channel(REGION_BUYERS, ids, "product_sale", self.product_material)
        self.ch_dispose_out = led.channel(ids[r.out_firm], LANDFILL, "disposal_fee", r.out_material)
        self.ch_dispose_slot = led.channel(ids[self.slots.slot_firm], LANDFILL, "disposal_fee",
                                           np.array(self.slots.slot_material, dtype=np.int64))
        self.ch_dispose_point = led.channel(ids[self.slots.point_firm], LANDFILL, "disposal_fee",
                                            np.array(self.slots.point_material, dtype=np.int64))
        self.ch_wage_local = led.channel(ids, REGION_HOUSEHOLDS, "wage", -1)
        self.ch_wage_outside = led.channel(ids, OUTSIDE_HOUSEHOLDS, "wage", -1)
        self.ch_fixed_local = led.channel(ids, REGION_SUPPLIERS, "fixed_cost", -1)
        self.ch_fixed_outside = led.channel(ids, OUTSIDE_SUPPLIERS, "fixed_cost", -1)
        wage_bill = np.array([s.employees * s.wage_per_year for s in specs]) / DAYS_PER_YEAR
        local_staff = np.array([s.local_staff_share for s in specs])
        fixed = np.array([s.fixed_cost_per_year for s in specs]) / DAYS_PER_YEAR
        fixed_local = np.array([s.fixed_cost_local_share for s in specs])
        self.daily_wage_local, self.daily_wage_outside = wage_bill * local_staff, wage_bill * (1 - local_staff)
        self.daily_fixed_local, self.daily_fixed_outside = fixed * fixed_local, fixed * (1 - fixed_local)
        self.sales_region_share = np.array([s.product.region_sales_share for s in specs])
        pooled = np.flatnonzero(self.recorder.pooled_entry)
        self.pooled_entries = pooled
        self.ch_collection = led.channel(ids[self.recorder.pool_owner[pooled]], REGION_SUPPLIERS, "handling",
                                         r.out_material[pooled])
        sentra = self.scenario.sentra
        self.collection_cost = sentra.collection_cost_per_unit if sentra is not None else 0.0
        platform = self.scenario.platform
        self.daily_platform_fee = platform.fee_per_year / DAYS_PER_YEAR if platform is not None else 0.0
        self.ch_platform_fee = led.channel(ids, REGION_SUPPLIERS, "fixed_cost", -1)

    # ---------------------------------------------------------------- the run

    def run(self) -> RunResult:
        env = self.env
        self._start_breakdowns()
        self.lifecycle.start(self.horizon)
        env.process(self._days())
        with _without_cyclic_gc():
            env.run(until=self.horizon)
        return self._finish()

    def _start_breakdowns(self) -> None:
        prone = [f for f, inst in enumerate(self.net.firms) if inst.spec.breakdowns is not None]
        seeds = self._breakdown_seeds.spawn(len(self.net.firms))  # one stream per firm: stable under edits
        firms = [(f, self.net.firms[f].spec.breakdowns.mtbf_days, self.net.firms[f].spec.breakdowns.mttr_days,
                  np.random.default_rng(seeds[f])) for f in prone]
        if firms:
            self.env.process(breakdowns_process(self.env, self.firms, firms, self._firm_log))

    def _days(self):
        env, rec = self.env, self.recorder
        period = self.scenario.run.ledger_period_days
        interval = self.scenario.run.matching_interval_days
        for day in range(self.horizon):
            if day > 0:
                self._end_of_day(day - 1)
                if day % period == 0:
                    self._close_period(day - period)
            for event, members in self._events_by_day.get(day, ()):
                self._apply(event, members)
            planned = self.firms.planned_output(day, self.rng["production"])
            flows = self.production.step(planned, self.bank, self.contracts.outlet(), self.pipelines)
            rec.record_day(day, flows, self.contracts.price, self.prices.price, self.prices.disposal_cost())
            self._book_day(flows)
            if day % interval == 0:
                truck_round(self.contracts, self.bank, self.link_load, self.link_min_lot, interval, self._dispatch)
            yield env.timeout(1)

    def _end_of_day(self, day: int) -> None:
        state = self.contracts.state
        self.recorder.end_of_day(day, self.bank, int(np.count_nonzero(state != UNKNOWN)), int(np.count_nonzero(state == ACTIVE)),
                                 sum(f.busy_days for f in self.fleets))

    def _close_period(self, start_day: int) -> None:
        buyer, seller, material, quantity = self.recorder.park_sale_pairs()
        price = self.prices.price
        self.ledger.book_rows(buyer, seller, "product_sale", material, quantity, quantity * price[material])
        self.accounts.close()
        self.ledger.close_period(float(start_day))
        self.recorder.close_period(float(start_day), price, self.prices.disposal_cost(),
                                   (buyer, seller, material, quantity))

    # ---------------------------------------------------------------- money of a day

    def _book_day(self, f) -> None:
        r, price = self.recipes, self.prices.price
        disposal = self.prices.disposal_cost()
        # bought from park producers: booked between the firms when the period closes
        from_suppliers = f.purchased - f.bought_in_park
        spend = from_suppliers * price[r.in_material]
        self.ch_buy_region.add(from_suppliers * r.in_local_share, spend * r.in_local_share)
        self.ch_buy_outside.add(from_suppliers * (1 - r.in_local_share), spend * (1 - r.in_local_share))
        unit_price = np.where(np.isnan(self.fixed_product_price), price[self.product_material],
                              self.fixed_product_price)
        sold_out = f.output - f.sold_in_park
        revenue = sold_out * unit_price
        share = self.sales_region_share
        self.ch_sale_outside.add(sold_out * (1 - share), revenue * (1 - share))
        self.ch_sale_region.add(sold_out * share, revenue * share)
        self.ch_dispose_out.add(f.disposed, f.disposed * disposal[r.out_material])
        self.ch_dispose_slot.add(f.spoiled, f.spoiled * disposal[self.slots.slot_material])
        self.ch_dispose_point.add(f.vented_in, f.vented_in * disposal[self.slots.point_material])
        collected = f.stored[self.pooled_entries]
        self.ch_collection.add(collected, collected * self.collection_cost)
        present = self.firms.active()
        self.ch_wage_local.add(0.0, self.daily_wage_local * present)
        self.ch_wage_outside.add(0.0, self.daily_wage_outside * present)
        self.ch_fixed_local.add(0.0, self.daily_fixed_local * present)
        self.ch_fixed_outside.add(0.0, self.daily_fixed_outside * present)
        members = self.lifecycle.members
        if members is not None and self.daily_platform_fee > 0:
            self.ch_platform_fee.add(0.0, self.daily_platform_fee * (members.member & present))
        price, subsidy = self.contracts.price_list, self.prices.subsidy_per_unit
        material = self.net.links.material
        transport, now = self.contracts.transport_per_unit, self.env.now
        for link, quantity in f.pipe_flows:
            self.accounts.deliver(link, quantity, price[link], 0.0, subsidy[material[link]])
            self.contracts.delivered(link, quantity, quantity * transport[link], now)

    # ---------------------------------------------------------------- trucks

    def _trip_of(self, link: int) -> tuple:
        """Per-link values a shipment needs, as plain Python values, computed on first use."""
        trip = self._trips.get(link)
        if trip is None:
            fleet = self.fleets[self.link_fleet[link]]
            distance = float(self.net.links.distance_km[link])
            trip = self._trips[link] = (
                int(self.contracts.supplier_slot[link]), int(self.contracts.consumer_slot[link]),
                int(self.net.links.material[link]), fleet, fleet.loaded_days(distance),
                fleet.empty_days(distance), float(self.trip_cost[link]))
        return trip

    def _dispatch(self, link: int, lot: float) -> None:
        """Send a truck with ``lot`` along ``link`` (stock and room are already reserved)."""
        s_slot, c_slot, material, fleet, loaded, empty, trip = self._trip_of(link)
        dispatched = self.env.now

        def pickup(wait: float) -> None:
            self.bank.load_truck(s_slot, lot)
            self.recorder.picked_up(s_slot, material, lot)

        def dropoff(wait: float) -> None:
            self.bank.unload_truck(c_slot, lot)
            self._delivered(link, material, c_slot, lot, trip, dispatched, wait)

        fleet.send(loaded, empty, pickup, dropoff)

    def _delivered(self, link: int, material: int, slot: int, lot: float, trip: float, dispatched: float,
                   waited: float) -> None:
        now, prices = self.env.now, self.prices
        price = self.contracts.price_list[link]
        self.recorder.delivered(link, slot, lot, price * lot, lot * prices.disposal_cost_list[material])
        self.accounts.deliver(link, lot, price, trip, prices.subsidy_per_unit[material])
        self.contracts.delivered(link, lot, trip, now)
        self.recorder.shipments.append(dispatched, dispatched + waited, now, link, lot, price, trip, waited)

    # ---------------------------------------------------------------- events and logs

    def _apply(self, event, members: list[int]) -> None:
        """Apply one scheduled event (see config.Event)."""
        kind, now = event.type, self.env.now
        if kind == "firm_entry":
            for f in members:
                self.firms.entered[f] = True
                self._firm_log(now, f, "entry")
            return
        if kind == "firm_exit":
            for f in members:
                self.firms.exited[f] = True
                self._firm_log(now, f, "exit")
                self.lifecycle.close_firm(f)
            return
        if kind == "landfill_tax":
            self.prices.landfill_tax = event.per_t
        elif kind == "exchange_subsidy":
            self.prices.subsidy = event.per_t
        elif kind == "disposal_cost":
            self.prices.disposal[self.material_index[event.material]] = event.per_unit
        elif kind == "price":
            self.prices.price[self.material_index[event.material]] *= event.factor
        self.prices.changed()
        self.contracts.reprice()
        self.lifecycle.reconsider()

    def _invest(self, link: int, amount: float) -> None:
        """The consumer of a newly signed link pays for building it (regional contractors)."""
        if amount > 0:
            links = self.net.links
            self.ledger.book(self.firms.ids[links.consumer[link]], REGION_SUPPLIERS, "investment",
                             int(links.material[link]), 0.0, amount)

    def _link_event(self, time: float, link: int, event: str) -> None:
        self.recorder.link_events.append(time, link, event)

    def _firm_log(self, time: float, firm: int, event: str) -> None:
        self.recorder.firm_events.append(time, firm, event)

    def _outlet_lost(self, slot: int) -> None:
        """A supplier's last contract for a by-product ended: it clears the pile to disposal."""
        amount = float(self.bank.available(np.array([slot]))[0])
        if amount <= 0:
            return
        self.bank.level[slot] -= amount
        self.recorder.slot_disposed(int(self.env.now), slot, amount)
        cost = amount * float(self.prices.disposal_cost()[self.slots.slot_material[slot]])
        self.ledger.book(self.firms.ids[self.slots.slot_firm[slot]], LANDFILL, "disposal_fee",
                         int(self.slots.slot_material[slot]), amount, cost)

    # ---------------------------------------------------------------- the result

    def _finish(self) -> RunResult:
        rec, sc = self.recorder, self.scenario
        self._end_of_day(self.horizon - 1)
        period = sc.run.ledger_period_days
        self._close_period((self.horizon - 1) // period * period)
        totals = rec.totals(self.bank)
        losses = rec.losses()
        balance = rec.mass_balance(totals, losses, np.array(rec.in_transit_now))
        worst = max(balance.values(), key=lambda b: b["max_relative"])
        if worst["max_relative"] > MASS_BALANCE_TOLERANCE:
            raise SimulationError(
                f"mass balance does not close (relative residual {worst['max_relative']:.3g} at {worst['at']}); "
                "this is a bug in eipsim, please report it with the scenario")
        return self._result(totals, losses, balance)

    def _result(self, totals, losses, balance) -> RunResult:
        sc, net, rec = self.scenario, self.net, self.recorder
        specs = [f.spec for f in net.firms]
        mats = [sc.materials[m] for m in net.materials]
        links = net.links
        return RunResult(
            scenario_name=sc.name, seed=self.seed, replication=self.replication, currency=sc.currency,
            horizon_days=self.horizon,
            warmup_days=sc.run.warmup_days,
            firms=FirmInfo(
                ids=tuple(self.firms.ids), kind=tuple(s.kind for s in specs), sector=tuple(s.sector for s in specs),
                entry=tuple(f.entry for f in net.firms),
                location_km=np.array([f.location_km for f in net.firms], dtype=float).reshape(-1, 2),
                product_material=self.product_material,
                employees=np.array([s.employees for s in specs], dtype=float),
                wage_per_year=np.array([s.wage_per_year for s in specs], dtype=float),
                local_staff_share=np.array([s.local_staff_share for s in specs], dtype=float),
                present_at_end=self.firms.active().copy()),
            region=RegionInfo(**sc.region.model_dump(include={
                "household_local_spending_share", "supplier_local_respend_share", "supplier_wage_share",
                "supplier_jobs_per_million"})),
            materials=MaterialInfo(
                ids=net.materials, labels=tuple(m.label or mid for m, mid in zip(mats, net.materials)),
                units=tuple(m.unit for m in mats), categories=tuple(m.category for m in mats),
                co2e_t_per_unit=np.array([m.co2e_t_per_unit for m in mats]),
                disposal_co2e_t_per_unit=np.array([m.disposal_co2e_t_per_unit for m in mats]),
                hazardous=np.array([m.hazardous for m in mats]), mass_t=np.array([m.mass_t for m in mats])),
            links=LinkInfo(
                supplier=links.supplier, consumer=links.consumer, material=links.material,
                pipeline=links.pipeline, distance_km=links.distance_km, found_day=self.lifecycle.found_day,
                known_from_day=links.known_from_day,
                quantity=rec.link_quantity, value=rec.link_value, benefit_per_unit=self.contracts.benefit,
                state=self.contracts.state.copy(), investment=self.contracts.invested.copy(),
                first_delivery_day=self.contracts.first_delivery.copy(),
                supplier_gain=self.contracts.realised_supplier.copy(),
                consumer_gain=self.contracts.realised_consumer.copy()),
            daily={name: getattr(rec, name) for name in
                   ("generated", "exchanged", "disposed", "stock", "in_transit", "virgin_purchased",
                    "secondary_used", "virgin_avoided")},
            output=rec.output, links_known=rec.links_known, links_active=rec.links_active,
            trucks_busy=rec.trucks_busy,
            slot_firm=rec.slot_firm, slot_material=rec.slot_material, slot_capacity=self.bank.capacity.copy(),
            slot_level=rec.slot_level, shipments=rec.shipments.array(), link_events=rec.link_events.array(),
            firm_events=rec.firm_events.array(), flows=rec.flows.array(), pooled=rec.pooled_rows(), totals=totals, losses=losses,
            mass_balance=balance, ledger=self.ledger.table(),
            truck_waits=np.concatenate([np.array(f.waits, dtype=float) for f in self.fleets]),
            fleet_trucks=sum(f.resource.capacity for f in self.fleets),
            link_co2e_kg_per_km=self.trip_co2e_kg_per_km,
            value_disposal_avoided=rec.value_disposal_avoided, value_virgin_avoided=rec.value_virgin_avoided,
            sim_events=next(self.env._eid),
            platform_joined_day=(self.lifecycle.members.joined_day.copy() if self.lifecycle.members is not None
                                 else None))
