"""RunResult: everything one run produced, as labelled numpy arrays. No I/O, no plotting.

A RunResult is immutable and picklable, so it travels between processes and machines. The
``*_table`` methods give tidy views (dicts of equal-length columns) that
:mod:`simulator.storage` writes as CSV or Parquet (the long ones chunk by chunk: ``flows_chunks``,
``stocks_table(days)``, ``ledger_table(rows)``) and that pandas turns into DataFrames directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .model.ledger import CATEGORIES, LedgerTable
from .model.recorder import BOUNDARY_CODES, DAILY_MATERIAL_SERIES
from .storage import compact, row_blocks

DAILY_SERIES = DAILY_MATERIAL_SERIES
"""Per (day, material) series: by-products generated, exchanged (delivered), disposed,
held in storage at the end of the day, on trucks, inputs bought from outside the park (virgin
materials and products), secondary inputs used, virgin inputs replaced by secondary ones, and
the part of the secondary inputs used for energy recovery (R1: burned in place of a fuel)."""


@dataclass(frozen=True)
class FirmInfo:
    ids: tuple[str, ...]
    kind: tuple[str, ...]
    sector: tuple[str, ...]
    entry: tuple[str, ...]
    location_km: np.ndarray          # (firms, 2)
    product_material: np.ndarray     # material index of each firm's product
    employees: np.ndarray
    wage_per_year: np.ndarray
    local_staff_share: np.ndarray
    present_at_end: np.ndarray       # in the park on the last day (entered, not exited)
    present_at_start: np.ndarray     # in the park on day 0
    idle_at_end: np.ndarray          # in the park on the last day but idle (no production, no staff)
    open_days: np.ndarray            # (days, firms) bool: the firm's calendar lets it work that day


@dataclass(frozen=True)
class MaterialInfo:
    ids: tuple[str, ...]
    labels: tuple[str, ...]
    units: tuple[str, ...]
    categories: tuple[str, ...]
    co2e_t_per_unit: np.ndarray
    disposal_co2e_t_per_unit: np.ndarray
    hazardous: np.ndarray
    mass_t: np.ndarray
    eol_collection_rate: np.ndarray   # products' end-of-life collection rate (MCI)


@dataclass(frozen=True)
class RegionInfo:
    """Re-spending shares of the local economy (scenario `region`), for LM3 and the IO table."""

    household_local_spending_share: float
    supplier_local_respend_share: float
    supplier_wage_share: float
    supplier_jobs_per_million: float
    government_local_respend_share: float


@dataclass(frozen=True)
class LinkInfo:
    """Candidate links and what happened on them."""

    supplier: np.ndarray
    consumer: np.ndarray
    material: np.ndarray
    pipeline: np.ndarray
    distance_km: np.ndarray
    found_day: np.ndarray            # inf when never found within the horizon
    known_from_day: np.ndarray       # day an existing tie is known; nan: found by discovery
    quantity: np.ndarray             # total exchanged over the run (material units)
    value: np.ndarray                # total paid by consumers to suppliers (currency)
    benefit_per_unit: np.ndarray     # at the end of the run
    state: np.ndarray                # 0 unknown, 1 known, 2 under contract at the end
    investment: np.ndarray           # paid to build the link (currency)
    first_delivery_day: np.ndarray   # nan when nothing was delivered
    supplier_gain: np.ndarray        # over the run, against disposal (currency)
    consumer_gain: np.ndarray        # over the run, against virgin purchase, net of transport and investment

    def __len__(self) -> int:
        return len(self.supplier)


@dataclass(frozen=True)
class RunResult:
    """Immutable outputs of :func:`simulator.run_scenario`."""

    scenario_name: str
    seed: int                        # root seed
    replication: int | None          # replication number (spawn key) within an experiment, if any
    currency: str
    horizon_days: int
    warmup_days: int
    firms: FirmInfo
    materials: MaterialInfo
    region: RegionInfo
    links: LinkInfo
    daily: dict                      # name -> (days, materials) array, see DAILY_SERIES
    output: np.ndarray               # (days, firms) product units
    links_known: np.ndarray          # (days,)
    links_active: np.ndarray         # (days,)
    trucks_busy: np.ndarray          # (days,) truck-days of service completed by the end of each day
    slot_firm: np.ndarray
    slot_material: np.ndarray
    slot_capacity: np.ndarray
    slot_level: np.ndarray           # (rows, slots) end-of-day stock on the days stock_days
    stock_days: np.ndarray           # (rows,) day of each row of slot_level: every day, or the last day
                                     # of each period (run.record.stocks period or yearly)
    slot_level_mean: np.ndarray | None  # (rows, slots) mean and largest end-of-day stock over each row's
    slot_level_max: np.ndarray | None   # period; None when the stocks are kept daily
    shipments: np.ndarray            # structured rows, see recorder.SHIPMENT_DTYPE
    link_events: np.ndarray
    firm_events: np.ndarray
    flows: np.ndarray                # boundary and pipeline flows per accounting period
    shipment_period_days: int | None  # flows table: truck rows summed per link over periods of this many
                                      # days (run.record.shipments); None: a row per truck
    pooled: np.ndarray               # by-products collected into the IKM centre's store: firm, owner,
                                     # material, quantity (structured rows, totals over the run)
    totals: dict                     # name -> (firms, materials) totals over the run
    losses: np.ndarray               # (firms, conserved units)
    mass_balance: dict
    ledger: LedgerTable
    fleet_trucks: int                # trucks of the park and of the IKM centre
    link_co2e_kg_per_km: np.ndarray  # per link: emissions per km of the trucks that serve it
    value_disposal_avoided: np.ndarray  # (days,) disposal cost of exchanged by-products, at the day's fees
    value_virgin_avoided: np.ndarray    # (days,) purchase cost of replaced virgin inputs, at the day's prices
    sim_events: int = 0
    platform_joined_day: np.ndarray | None = None  # per firm: day it joined the platform (nan: never); None: no platform

    # ------------------------------------------------------------------ helpers

    def after_warmup(self, series: np.ndarray) -> np.ndarray:
        """Rows of a daily series that count for the indicators."""
        return series[self.warmup_days:]

    def node_name(self, code: int) -> str:
        if code >= 0:
            return self.firms.ids[code]
        return {v: k for k, v in BOUNDARY_CODES.items()}[int(code)]

    # ------------------------------------------------------------------ tidy tables

    def flows_table(self) -> dict[str, np.ndarray]:
        """One row per truck shipment (at arrival) and per accounting period for pipeline,
        purchase, product and disposal flows: time_days, source, target, material, quantity,
        unit, value, kind; in time order (a shipment before a period's flow of the same time).
        With the shipments summed per period (``run.record.shipments``), a truck row is a link's
        deliveries arriving in a period (time_days: its first day), and two columns follow:
        trips (0 on the other rows) and wait_days_mean (empty on the other rows)."""
        return next(self.flows_chunks(None))

    def flows_chunks(self, chunk_rows: int | None, trucks: dict | None = None) -> Iterator[dict[str, np.ndarray]]:
        """:meth:`flows_table`, ``chunk_rows`` rows at a time (None: all in one chunk; always at
        least one, possibly empty, chunk). Text columns are ``object`` arrays of ``str``.
        ``trucks``: :meth:`truck_totals` when the caller has them already (shipments summed per period)."""
        m, flows, links = self.materials, self.flows, self.links
        if self.shipment_period_days is None:
            trucks = self.shipments
            truck_time = trucks["arrival_day"]
        else:
            trucks = self.truck_totals() if trucks is None else trucks
            truck_time = trucks["from_day"]
        link = trucks["link"]
        time = np.concatenate([compact(truck_time), compact(flows["time_days"])])
        order = np.argsort(time, kind="stable")
        shipped = len(link)
        firms = len(self.firms.ids)
        boundary = sorted(BOUNDARY_CODES, key=lambda name: -BOUNDARY_CODES[name])  # codes -1, -2, -3 ...
        nodes = np.array([*self.firms.ids, *boundary], dtype=object)
        material_ids, units = np.array(m.ids, dtype=object), np.array(m.units, dtype=object)
        step = chunk_rows or max(len(order), 1)
        for start in range(0, max(len(order), 1), step):
            rows = order[start:start + step]
            by_truck = rows < shipped
            s, f = rows[by_truck], rows[~by_truck] - shipped

            def column(of_shipments, of_flows, dtype=object):
                values = np.empty(len(rows), dtype=dtype)
                values[by_truck], values[~by_truck] = of_shipments, of_flows
                return values

            material = column(links.material[link[s]], flows["material"][f], np.int64)
            value = (trucks["quantity"][s] * trucks["price_per_unit"][s] if self.shipment_period_days is None
                     else trucks["value"][s])
            chunk = {
                "time_days": time[rows],
                "source": column(nodes[links.supplier[link[s]]], nodes[_node_index(flows["source"][f], firms)]),
                "target": column(nodes[links.consumer[link[s]]], nodes[_node_index(flows["target"][f], firms)]),
                "material": material_ids[material],
                "quantity": column(trucks["quantity"][s], flows["quantity"][f], np.float64),
                "unit": units[material],
                "value": column(value, flows["value"][f], np.float64),
                "kind": column("truck", flows["kind"][f].astype(str).astype(object)),
            }
            if self.shipment_period_days is not None:
                chunk["trips"] = column(trucks["trips"][s], 0, np.int64)
                chunk["wait_days_mean"] = column(trucks["wait_days_mean"][s], np.nan, np.float64)
            yield chunk

    def truck_totals(self) -> dict[str, np.ndarray]:
        """Truck deliveries summed per link and period of :attr:`shipment_period_days` days (by
        arrival day; periods from day 0), in order of period then link: from_day (the period's
        first day), link, trips, quantity, value (paid to the supplier), wait_days_mean (for a
        truck, before loading). The shipments are read a block at a time (:func:`~.storage.row_blocks`)."""
        days, n_links = self.shipment_period_days, max(len(self.links), 1)
        keys, sums = [np.zeros(0, dtype=np.int64)], [np.zeros((4, 0))]
        for block, in row_blocks(self.shipments):
            key = (block["arrival_day"] // days).astype(np.int64) * n_links + block["link"]
            columns = np.stack([np.ones(len(block)), block["quantity"], block["quantity"] * block["price_per_unit"],
                                block["wait_days"]])
            key, columns = _sum_by_key(key, columns)
            keys.append(key)
            sums.append(columns)
        key, (trips, quantity, value, wait) = _sum_by_key(np.concatenate(keys), np.concatenate(sums, axis=1))
        return {"from_day": (key // n_links * days).astype(np.float64), "link": key % n_links,
                "trips": trips.astype(np.int64), "quantity": quantity, "value": value,
                "wait_days_mean": wait / trips}

    def stocks_table(self, rows: range | None = None) -> dict[str, np.ndarray]:
        """End-of-day stock of every store: day, firm, material, level, unit, capacity; for the
        ``rows`` of :attr:`slot_level` given (default: all; a long run's table is written a range
        of rows at a time). With the stocks kept per period (``run.record.stocks``) a row is a
        store over a period: from_day, day (its last day), firm, material, level (at the end of
        ``day``), level_mean and level_max (of the end-of-day levels over the period), unit, capacity."""
        rows = range(self.slot_level.shape[0]) if rows is None else rows
        slots = self.slot_level.shape[1]
        slot = np.tile(np.arange(slots), len(rows))
        firm = np.array(self.firms.ids, dtype=object)[self.slot_firm]
        material = np.array(self.materials.ids, dtype=object)[self.slot_material]
        unit = np.array(self.materials.units, dtype=object)[self.slot_material]
        part = slice(rows.start, rows.stop)
        day = np.repeat(np.asarray(self.stock_days[part], dtype=np.int64), slots)
        table = {"day": day, "firm": firm[slot], "material": material[slot],
                 "level": self.slot_level[part].reshape(-1)}
        if self.slot_level_mean is not None:
            starts = np.concatenate([[0], np.asarray(self.stock_days[:-1], dtype=np.int64) + 1])[part]
            table = {"from_day": np.repeat(starts, slots), **table,
                     "level_mean": self.slot_level_mean[part].reshape(-1),
                     "level_max": self.slot_level_max[part].reshape(-1)}
        return {**table, "unit": unit[slot], "capacity": self.slot_capacity[slot]}

    def ledger_table(self, rows: range | None = None) -> dict[str, np.ndarray]:
        """Ledger rows (of the ``rows`` given; default all): time_days, payer, payee,
        payee_location, category, material, quantity, amount."""
        led = self.ledger
        part = slice(None) if rows is None else slice(rows.start, rows.stop)
        parties, locations = np.array(led.parties, dtype=object), np.array(led.locations, dtype=object)
        materials = np.array([*self.materials.ids, ""], dtype=object)  # -1: no material
        payee = led.payee[part]
        return {
            "time_days": led.time_days[part],
            "payer": parties[led.payer[part]],
            "payee": parties[payee],
            "payee_location": locations[payee],
            "category": np.array(CATEGORIES, dtype=object)[led.category[part]],
            "material": materials[led.material[part]],
            "quantity": led.quantity[part],
            "amount": led.amount[part],
        }

    def platform_members(self) -> np.ndarray:
        """Platform members at the end of each day (zeros without a platform)."""
        days = np.arange(self.horizon_days)
        if self.platform_joined_day is None:
            return np.zeros(self.horizon_days, dtype=np.int64)
        joined = np.sort(self.platform_joined_day[~np.isnan(self.platform_joined_day)])
        return np.searchsorted(joined, days, side="right")

    def events_table(self) -> dict[str, np.ndarray]:
        """What happened to firms (entry, idle, exit, breakdown, repaired) and links (discovered,
        contract_start, renewed, lapsed, not_viable, firm_exit), in time order: time_days, kind
        (firm or link), subject (firm id, or supplier>consumer:material), event."""
        return next(self.events_chunks(None))

    def events_chunks(self, chunk_rows: int | None) -> Iterator[dict[str, np.ndarray]]:
        """:meth:`events_table`, ``chunk_rows`` rows at a time (None: all in one chunk; always at
        least one, possibly empty, chunk). Text columns are ``object`` arrays of ``str``; a link's
        subject is spelled once per chunk."""
        fe, le, ln = self.firm_events, self.link_events, self.links
        time = np.concatenate([compact(fe["time_days"]), compact(le["time_days"])])
        order = np.argsort(time, kind="stable")
        firm_rows = len(fe)
        firms, materials = np.array(self.firms.ids, dtype=object), self.materials.ids
        step = chunk_rows or max(len(order), 1)
        for start in range(0, max(len(order), 1), step):
            rows = order[start:start + step]
            of_firm = rows < firm_rows
            f, k = rows[of_firm], rows[~of_firm] - firm_rows
            links, which = np.unique(le["link"][k], return_inverse=True)
            names = [f"{firms[ln.supplier[i]]}>{firms[ln.consumer[i]]}:{materials[ln.material[i]]}" for i in links]
            subject, event = np.empty(len(rows), dtype=object), np.empty(len(rows), dtype=object)
            subject[of_firm], subject[~of_firm] = firms[fe["firm"][f]], np.array(names, dtype=object)[which]
            event[of_firm], event[~of_firm] = fe["event"][f].astype(object), le["event"][k].astype(object)
            yield {"time_days": time[rows], "kind": np.where(of_firm, "firm", "link").astype(object),
                   "subject": subject, "event": event}

    def links_table(self) -> dict[str, np.ndarray]:
        """Candidate links: supplier, consumer, material, mode, distance, when found (inf: not within
        the run), how much moved, investment and each side's gain over the run (money, against its
        outside of disposal or virgin purchase; the consumer's net of transport and investment).
        Distances are rounded to the metre and days to a minute and a half (0.001 day): finer
        digits are noise of the random draws, not information."""
        ln, m = self.links, self.materials
        found = np.where(ln.found_day < self.horizon_days, np.round(ln.found_day, 3), np.inf)
        return {
            "supplier": [self.firms.ids[s] for s in ln.supplier],
            "consumer": [self.firms.ids[c] for c in ln.consumer],
            "material": [m.ids[i] for i in ln.material],
            "mode": np.where(ln.pipeline, "pipeline", "truck"),
            "distance_km": np.round(ln.distance_km, 3),
            "found_day": found,
            "quantity": ln.quantity,
            "unit": [m.units[i] for i in ln.material],
            "value": ln.value,
            "benefit_per_unit": ln.benefit_per_unit,
            "state_at_end": np.array(["unknown", "known", "contract"])[ln.state],
            "first_delivery_day": np.round(ln.first_delivery_day, 3),
            "investment": ln.investment,
            "supplier_gain": ln.supplier_gain,
            "consumer_gain": ln.consumer_gain,
        }


def _sum_by_key(key: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``key`` values in order, and each row of ``columns`` summed over their entries."""
    distinct, inverse = np.unique(key, return_inverse=True)
    return distinct, np.stack([np.bincount(inverse, row, len(distinct)) for row in columns])


def _node_index(codes: np.ndarray, firms: int) -> np.ndarray:
    """Row of each node code in ``[*firm ids, *boundary nodes by code -1, -2 ...]``."""
    return np.where(codes >= 0, codes, firms - codes - 1)
