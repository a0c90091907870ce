"""ParkModel: wires the parts of a park into one SimPy run.

``run_scenario(scenario, seed) -> RunResult`` is the core contract of eipsim: no file I/O, no
plotting, no global state; picklable in and out.

The parts, each in its own module: the daily clock that drives a day in a fixed order
(:mod:`.clock`), the scheduled events (:mod:`.events`), the exchange market and its round
(:mod:`.market`), truck dispatch (:mod:`.dispatch`), the booking of money (:mod:`.booking`)
and the assembly of the result (:mod:`.assembly`); firms, production, stores, the recorder and
the ledger are the state they share.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

import numpy as np

from ..config import Scenario
from ..compose import ComposedScenario, compose
from ..network import ParkNetwork, build_network
from ..results import RunResult
from .assembly import assemble_result
from .booking import Booking
from .clock import CountingEnvironment, DailyClock
from .dispatch import Dispatch, LinkFleets
from .events import ScheduledEvents
from .exchange import MarketPrices
from .firm import FirmTable, breakdowns_process, firm_seed
from .market import Market
from .production import Production, build_recipes, build_slots
from .recorder import Recorder, Sink, stock_period_days
from .stores import StorageBank
from .viability import ParkDecisions, mark_dormant_entrants

STREAMS = ("production", "discovery", "contracts", "breakdowns", "entry")
"""Independent random streams, spawned in this order from the run's SeedSequence. ``production``
(output noise) and ``breakdowns`` are parents of one stream per firm keyed by its id
(:func:`firm_seed`); ``discovery`` and ``contracts`` key their draws by link identity; ``entry`` keys the entrants'
draws by plot identity (:mod:`.viability`)."""


def run_scenario(scenario: Scenario, seed: int | None = None, network: ParkNetwork | None = None,
                 replication: int | None = None, sink: Sink | None = None) -> RunResult:
    """Simulate a scenario once.

    Parameters
    ----------
    scenario : a validated Scenario; composed here (:func:`simulator.compose.compose`) unless it
        already is a ComposedScenario.
    seed : root seed; default ``scenario.run.seed``. Same scenario and seed give identical results.
    network : :func:`park_network` of this scenario, to skip rebuilding it across replications.
    replication : replication number i of an experiment: its streams come from the child
        ``SeedSequence(seed, spawn_key=(i,))``, i.e. ``SeedSequence(seed).spawn(n)[i]``.
    sink : receives the daily series and row tables chunk by chunk while the run goes
        (:class:`.recorder.Sink`, e.g. :class:`simulator.storage.SeriesFiles`, which writes them to
        disk), so the run holds its live state and one open chunk, whatever its horizon; the
        result's series are then the sink's ``arrays()``. Default: everything is kept in memory.
        Either way the numbers are identical.
    """
    scenario = compose(scenario)
    model = ParkModel(scenario, scenario.run.seed if seed is None else seed, network, replication, sink)
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
    return build_network(compose(scenario))


def centre_links(network: ParkNetwork) -> np.ndarray:
    """Links with an IKM-centre member (or the centre itself) at either end."""
    centre = network.members.copy()
    if network.sentra >= 0:
        centre[network.sentra] = True
    return centre[network.links.supplier] | centre[network.links.consumer]


class ParkModel:
    """One simulation of a park; build it, call :meth:`run` once."""

    def __init__(self, scenario: ComposedScenario, seed: int, network: ParkNetwork | None = None,
                 replication: int | None = None, sink: Sink | None = None):
        if not isinstance(scenario, ComposedScenario):
            raise TypeError("ParkModel runs a composed scenario: pass simulator.compose.compose(scenario)")
        self.scenario = scenario
        self.seed = int(seed)
        self.replication = replication
        net = self.net = network if network is not None else build_network(scenario)
        horizon = scenario.run.horizon_days
        spawn_key = () if replication is None else (int(replication),)
        children = np.random.SeedSequence(self.seed, spawn_key=spawn_key).spawn(len(STREAMS))
        seeds = self.seeds = dict(zip(STREAMS, children))   # firms' streams are keyed by id below these
        env = self.env = CountingEnvironment()
        firms = self.firms = FirmTable(net.firms, horizon, seeds["production"])
        slots = self.slots = build_slots(scenario, net)
        recipes = build_recipes(scenario, net, slots)
        self.bank = StorageBank(slots.slot_firm, slots.slot_material, slots.slot_capacity)
        materials = [scenario.materials[m] for m in net.materials]
        material_index = {m: i for i, m in enumerate(net.materials)}
        self.product_material = np.array([material_index[f.spec.product.material] for f in net.firms],
                                         dtype=np.int64)
        self.production = Production(recipes, len(slots.point_firm), self.product_material, len(materials))
        self.recorder = Recorder(horizon, len(net.firms), net.materials, recipes, slots, net.links,
                                 [m.unit for m in materials], np.array([m.mass_t for m in materials]),
                                 self.product_material, np.array([m.fuel for m in materials]), sink,
                                 stock_period_days=stock_period_days(scenario.run))
        self.events = ScheduledEvents(scenario, net, firms, env, self.recorder.firm_events.append)
        entrants = mark_dormant_entrants(net, firms, self.events.entry_day)
        firms.present_at_start = firms.active().copy()
        facilitated = centre_links(net)
        self.fleets = LinkFleets(env, scenario, net, facilitated)
        prices = MarketPrices(scenario, net.materials)
        self.booking = Booking(scenario, net, firms, recipes, slots, self.recorder, self.product_material, prices)
        self.market = Market(env, scenario, net, firms, self.events.entry_day, slots, recipes, self.bank,
                             self.recorder, prices, self.booking, self.fleets, np.random.default_rng(seeds["discovery"]),
                             np.random.default_rng(seeds["contracts"]),
                             facilitated)
        self.dispatch = Dispatch(env, net, self.fleets, self.market, self.bank, self.recorder)
        self.clock = DailyClock(env, scenario, firms, self.production, self.bank, self.recorder, self.events,
                                self.market, self.booking, self.dispatch)
        if scenario.viability is not None:
            key = np.random.default_rng(seeds["entry"]).bytes(16)
            decisions = ParkDecisions(scenario, net, firms, self.events.entry_day, entrants, self.recorder,
                                      self.booking, self.market, self.fleets, slots, self.bank, key)
            self.clock.decisions = decisions
            self.recorder.daily.keep_days = decisions.rules.window_days   # the entrants' look back
            self.events.on_exit = decisions.vacated

    def run(self) -> RunResult:
        self._start_breakdowns()
        self.market.start(self.scenario.run.horizon_days)
        self.clock.start()
        with _without_cyclic_gc():
            self.env.run(until=self.scenario.run.horizon_days)
        self.clock.finish()
        return assemble_result(self.scenario, self.seed, self.replication, self.net, self.firms,
                               self.product_material, self.recorder, self.bank, self.market, self.booking,
                               self.fleets, self.env.scheduled)

    def _start_breakdowns(self) -> None:
        firms = self.net.firms
        prone = [(f, inst.spec.breakdowns.mtbf_days, inst.spec.breakdowns.mttr_days,
                  np.random.default_rng(firm_seed(self.seeds["breakdowns"], inst.id)))
                 for f, inst in enumerate(firms) if inst.spec.breakdowns is not None]
        if prone:
            self.env.process(breakdowns_process(self.env, self.firms, prone, self.recorder.firm_events.append))
