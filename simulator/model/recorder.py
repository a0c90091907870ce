"""Records a run into chunks of typed arrays handed to a sink, and checks its mass balance.

Daily series are (day, material), (day, firm) or (day, store) arrays filled one chunk of days at
a time (:class:`DailyChunks`). Event-like records (shipments, link events, breakdowns, boundary
flows per accounting period) go into :class:`RowBuffer` s: typed numpy arrays filled block by
block, never lists of dicts. Each finished chunk or block goes to the run's sink: a
:class:`MemorySink` (the default: the chunks stay in memory and are joined at the end, so a run
keeps everything, as before) or a caller's sink that writes them to disk
(:class:`simulator.storage.SeriesFiles`), so a run holds its live state plus one open chunk,
whatever its horizon. A (day,) series (links known, trucks busy, values avoided) costs 8 bytes a
day and stays whole in memory. With ``run.record.stocks`` ``period`` or ``yearly`` the stores'
levels are folded into periods (:class:`PeriodStocks`) instead of kept day by day.
Cumulative flows are kept per recipe entry and folded into (firm, material) totals at the end,
where the mass balance of every firm, material and the park is checked.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Protocol

import numpy as np

from ..config import CONSERVED_UNITS
from .production import DayFlows, RecipeTables, Slots

SHIPMENT_DTYPE = np.dtype([("dispatch_day", "f8"), ("pickup_day", "f8"), ("arrival_day", "f8"),
                           ("link", "i8"), ("quantity", "f8"), ("price_per_unit", "f8"),
                           ("transport_cost", "f8"), ("wait_days", "f8")])
LINK_EVENT_DTYPE = np.dtype([("time_days", "f8"), ("link", "i8"), ("event", "U16")])
FIRM_EVENT_DTYPE = np.dtype([("time_days", "f8"), ("firm", "i8"), ("event", "U16")])
FLOW_DTYPE = np.dtype([("time_days", "f8"), ("source", "i8"), ("target", "i8"), ("material", "i8"),
                       ("quantity", "f8"), ("value", "f8"), ("kind", "U10")])
"""Boundary and pipeline flows per accounting period; source/target index firms, or are
negative for boundary nodes (see ``BOUNDARY_CODES``)."""
BOUNDARY_CODES = {"environment": -1, "market": -2, "region": -3}
DAILY_MATERIAL_SERIES = ("generated", "exchanged", "disposed", "stock", "in_transit", "virgin_purchased",
                         "secondary_used", "virgin_avoided", "energy_recovered")
DAYS_PER_YEAR = 365
"""Days of a model year (the year of every per-year rate in the model)."""
CHUNK_BYTES = 1 << 20
"""Largest open chunk of one daily series, in bytes, when a run streams to a sink: 1 MiB is
71 days of the 1,834 stores of a 1,091-firm park."""


class Sink(Protocol):
    """Receives a run's records chunk by chunk, in order, and gives them back whole at the end.

    ``append(name, rows)``: the next rows of a daily series (a (days, width) array) or of a
    table (a structured array); every name receives at least one (possibly empty) chunk.
    ``arrays()``: after the run, every name's rows as one array (the sink may memory-map them).
    """

    def append(self, name: str, rows: np.ndarray) -> None: ...

    def arrays(self) -> dict[str, np.ndarray]: ...


class MemorySink:
    """Keeps every chunk in memory and joins them at the end (a run without a sink)."""

    def __init__(self):
        self._chunks: dict[str, list[np.ndarray]] = defaultdict(list)

    def append(self, name: str, rows: np.ndarray) -> None:
        self._chunks[name].append(rows)

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
                for name, chunks in self._chunks.items()}


class RowBuffer:
    """A growable typed array of rows, kept as fixed-size blocks: an append is O(1) and never
    copies the rows already written (growing one array by doubling copies them again and again,
    a cost that grows faster than the run once the arrays outgrow the processor's caches).
    With a ``sink``, every full block goes to ``sink.append(name, block)`` instead of being kept."""

    def __init__(self, dtype: np.dtype, block_rows: int = 4096, sink: Sink | None = None, name: str = ""):
        self._dtype = dtype
        self._block_rows = block_rows
        self._sink = sink if sink is not None else MemorySink()
        self._name = name
        self._block = np.zeros(block_rows, dtype=dtype)
        self._n = 0          # rows used in the current block

    def append(self, *values) -> None:
        if self._n == self._block_rows:
            self._sink.append(self._name, self._block)
            self._block = np.zeros(self._block_rows, dtype=self._dtype)
            self._n = 0
        self._block[self._n] = values
        self._n += 1

    def extend(self, columns: dict[str, np.ndarray]) -> None:
        """Append many rows given as columns of equal length."""
        n = len(next(iter(columns.values())))
        rows = np.zeros(n, dtype=self._dtype)
        for name, values in columns.items():
            rows[name] = values
        self.flush()
        self._sink.append(self._name, rows)

    def flush(self) -> None:
        """Hand the rows of the open block to the sink (an empty chunk when there are none)."""
        self._sink.append(self._name, self._block[:self._n].copy())
        self._n = 0

    def array(self) -> np.ndarray:
        """All rows, when the buffer keeps them in memory (no sink given)."""
        self.flush()
        return self._sink.arrays()[self._name]


class DailyChunks:
    """(day, width) series (float, or as ``dtypes`` says) filled one chunk of ``chunk_days`` days at a time.

    ``self[name]`` is the open chunk of a series: row ``day - start`` is day ``day``. The open
    chunk has one spare row for the next day, written before the day closes (a pile cleared at
    midnight is disposed of on the next day); :meth:`close_day` hands the chunk to the sink when
    its last day closes and carries the spare row over. The ``keep`` series also keep their
    last ``keep_days`` closed days for :meth:`window`.
    """

    def __init__(self, widths: dict[str, int], horizon_days: int, chunk_days: int, sink: Sink,
                 keep: tuple[str, ...] = (), dtypes: dict[str, type] | None = None):
        self.widths, self.h, self.chunk_days, self.sink = widths, horizon_days, chunk_days, sink
        self.dtypes = {name: (dtypes or {}).get(name, np.float64) for name in widths}
        self.keep, self.keep_days = keep, 0
        self.start = 0
        self._closed: dict[str, list[np.ndarray]] = {name: [] for name in keep}
        self._arrays = self._open(None)

    def _open(self, carried: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
        rows = min(self.chunk_days, self.h - self.start) + 1
        arrays = {name: np.zeros((rows, width), dtype=self.dtypes[name]) for name, width in self.widths.items()}
        if carried is not None:
            for name, array in arrays.items():
                array[0] = carried[name][-1]
        return arrays

    def __getitem__(self, name: str) -> np.ndarray:
        return self._arrays[name]

    def close_day(self, day: int) -> None:
        """Day ``day`` is complete: hand the chunk over when it was its last day (or the horizon's)."""
        days = len(next(iter(self._arrays.values()))) - 1
        if day + 1 < self.start + days:
            return
        for name, array in self._arrays.items():
            self.sink.append(name, array[:days])
            if name in self.keep:
                self._closed[name].append(array[:days])
        self.start += days
        if self.start < self.h:
            self._arrays = self._open(self._arrays)
        kept = self._closed[self.keep[0]] if self.keep else []
        while len(kept) > 1 and sum(len(a) for a in kept[1:]) >= self.keep_days:
            for closed in self._closed.values():
                closed.pop(0)

    def window(self, name: str, start: int, stop: int) -> np.ndarray:
        """Rows ``start`` to ``stop - 1`` of a ``keep`` series, within its open chunk and the
        closed days kept (``keep_days``)."""
        closed = self._closed[name]
        first = self.start - sum(len(a) for a in closed)
        if start < first:
            raise IndexError(f"day {start} of {name} is no longer kept (from day {first})")
        rows = np.concatenate([*closed, self._arrays[name][:-1]]) if closed else self._arrays[name][:-1]
        return rows[start - first:stop - first]


def period_days(resolution: str, ledger_period_days: int) -> int | None:
    """Days summed into one row at a ``run.record`` resolution: ``daily`` 1, ``period`` the
    accounting period (``run.ledger_period_days``), ``yearly`` :data:`DAYS_PER_YEAR`; None for
    ``each`` (a row per truck)."""
    return {"daily": 1, "period": ledger_period_days, "yearly": DAYS_PER_YEAR}.get(resolution)


def stock_period_days(run) -> int | None:
    """Days of a row of the stores' levels by ``run.record.stocks`` (a :class:`~simulator.config.RunSpec`);
    None: every day."""
    return None if run.record.stocks == "daily" else period_days(run.record.stocks, run.ledger_period_days)


class PeriodStocks:
    """Every store's end-of-day level folded into periods of ``days`` days while the run goes
    (``run.record.stocks`` ``period`` or ``yearly``): when a period ends (or the horizon), one row
    each of ``slot_level`` (the level at the end of its last day), ``slot_level_mean`` and
    ``slot_level_max`` (the mean and the largest end-of-day level over its days) and
    ``stock_days`` (its last day) goes to the sink, so the run holds two arrays of the stores'
    width and writes a row per period instead of one a day."""

    def __init__(self, stores: int, days: int, horizon_days: int, sink: Sink):
        self.days, self.h, self.sink = days, horizon_days, sink
        self._sum = np.zeros(stores)
        self._max = np.full(stores, -np.inf)
        self._n = 0

    def add(self, day: int, level: np.ndarray) -> None:
        """The stores' ``level`` at the end of ``day`` (days come in order)."""
        self._sum += level
        np.maximum(self._max, level, out=self._max)
        self._n += 1
        if (day + 1) % self.days and day != self.h - 1:
            return
        self.sink.append("slot_level", np.array(level, dtype=np.float64)[None])
        self.sink.append("slot_level_mean", (self._sum / self._n)[None])
        self.sink.append("slot_level_max", self._max[None].copy())
        self.sink.append("stock_days", np.array([day], dtype=np.int64))
        self._sum[:] = 0.0
        self._max[:] = -np.inf
        self._n = 0


class Recorder:
    """Collects everything a run produces, chunk by chunk into ``sink`` (default: a
    :class:`MemorySink`); :meth:`finish` hands over the last chunks and returns ``sink.arrays()``.
    ``stock_period_days``: the stores' levels are kept per period of that many days
    (:class:`PeriodStocks`) instead of every day (None)."""

    def __init__(self, horizon_days: int, n_firms: int, materials: tuple[str, ...], recipes: RecipeTables,
                 slots: Slots, links, unit_of: list[str], mass_t: np.ndarray, product_material: np.ndarray,
                 fuel: np.ndarray, sink: Sink | None = None, stock_period_days: int | None = None):
        h, m = horizon_days, len(materials)
        self.sink = sink if sink is not None else MemorySink()
        self.h, self.n_firms, self.n_materials = h, n_firms, m
        self.r = recipes
        self.links = links
        self.slot_firm = np.array(slots.slot_firm, dtype=np.int64)
        self.slot_material = np.array(slots.slot_material, dtype=np.int64)
        self.point_firm = np.array(slots.point_firm, dtype=np.int64)
        self.point_material = np.array(slots.point_material, dtype=np.int64)
        self.unit_of = unit_of
        self.mass_t = mass_t
        self.product_material = product_material
        # daily series: the whole horizon in one chunk in memory, or chunks of CHUNK_BYTES into a sink
        # (the stores' levels per period instead, when stock_period_days is given)
        daily_stocks = {"slot_level": len(self.slot_firm)} if stock_period_days is None else {}
        widths = {"output": n_firms, **{name: m for name in DAILY_MATERIAL_SERIES}, **daily_stocks,
                  "open_days": n_firms}
        self.period_stocks = (None if stock_period_days is None
                              else PeriodStocks(len(self.slot_firm), stock_period_days, h, self.sink))
        chunk_days = h if sink is None else max(1, CHUNK_BYTES // (8 * max(1, *widths.values())))
        self.daily = DailyChunks(widths, h, chunk_days, self.sink, keep=("disposed",), dtypes={"open_days": bool})
        # secondary uses that are energy recovery (R1): in place of a fuel, or a fuel themselves
        self._fuel_subs = np.flatnonzero(fuel[recipes.in_material[recipes.sub_input]] | fuel[recipes.sub_material])
        self._fuel_inputs = np.flatnonzero((recipes.in_kind != 0) & fuel[recipes.in_material])
        self.links_known = np.zeros(h, dtype=np.int64)
        self.links_active = np.zeros(h, dtype=np.int64)
        self.trucks_busy = np.zeros(h)
        self.value_disposal_avoided = np.zeros(h)
        self.value_virgin_avoided = np.zeros(h)
        # cumulative per entry (for the mass balance)
        n_in, n_sub, n_out = len(recipes.in_firm), len(recipes.sub_input), len(recipes.out_firm)
        self.cum_output = np.zeros(n_firms)
        self.cum_purchased = np.zeros(n_in)
        self.cum_bought_park = np.zeros(n_in)
        self.cum_sold_park = np.zeros(n_firms)
        self.cum_consumed = np.zeros(n_in)
        self.cum_sub_used = np.zeros(n_sub)
        self.cum_sub_replaced = np.zeros(n_sub)
        self.cum_generated = np.zeros(n_out)
        self.cum_disposed_out = np.zeros(n_out)
        self.cum_piped = np.zeros(n_out)
        self.cum_pooled = np.zeros(n_out)
        # by-products pooled into a store another firm owns (the IKM centre's) are a transfer
        self.pool_owner = np.full(n_out, -1, dtype=np.int64)
        has_slot = recipes.out_slot >= 0
        self.pool_owner[has_slot] = self.slot_firm[recipes.out_slot[has_slot]]
        self.pooled_entry = has_slot & (self.pool_owner != recipes.out_firm)
        self.cum_delivered_point = np.zeros(len(self.point_firm))
        self.cum_vented_point = np.zeros(len(self.point_firm))
        self.cum_slot_disposed = np.zeros(len(self.slot_firm))
        # truck flows: the lots of a day arrive in arrays (:meth:`trucks_moved`), folded into the
        # daily series at the end of each day and into the totals at the end of the run
        self._slot_received = np.zeros(len(self.slot_firm))
        self._slot_shipped = np.zeros(len(self.slot_firm))
        self._link_quantity = np.zeros(len(links))
        self._link_value = np.zeros(len(links))
        self._link_material = np.asarray(links.material, dtype=np.int64)
        self._day_exchanged = np.zeros(m)
        self._day_disposal_avoided = np.zeros(1)
        self.in_transit_now = np.zeros(m)
        # per-period accumulators for the flows table
        self._period_purchased = np.zeros(n_in)
        self._period_bought_park = np.zeros(n_in)
        self._period_sold_park = np.zeros(n_firms)
        self._period_output = np.zeros(n_firms)
        self._period_disposed_out = np.zeros(n_out)
        self._period_disposed_slot = np.zeros(len(self.slot_firm))
        self._period_vented_point = np.zeros(len(self.point_firm))
        self._period_pipe = np.zeros(len(links))
        self._period_pipe_value = np.zeros(len(links))
        # rows
        self.shipments = RowBuffer(SHIPMENT_DTYPE, sink=self.sink, name="shipments")
        self.link_events = RowBuffer(LINK_EVENT_DTYPE, sink=self.sink, name="link_events")
        self.firm_events = RowBuffer(FIRM_EVENT_DTYPE, sink=self.sink, name="firm_events")
        self.flows = RowBuffer(FLOW_DTYPE, sink=self.sink, name="flows")

    # ---------------------------------------------------------------- during the run

    def record_day(self, day: int, f: DayFlows, pipe_price: np.ndarray, prices: np.ndarray,
                   disposal_cost: np.ndarray, open_firms: np.ndarray) -> None:
        """Fold one day of production into the series and the cumulative totals (values at the
        day's ``prices`` and ``disposal_cost`` per material; ``open_firms``: whose calendar let
        them work)."""
        r, m = self.r, self.n_materials
        d, i = self.daily, day - self.daily.start
        d["output"][i] = f.output
        d["open_days"][i] = open_firms
        self.cum_output += f.output
        self._period_output += f.output - f.sold_in_park
        self.cum_purchased += f.purchased
        self._period_purchased += f.purchased - f.bought_in_park
        self.cum_bought_park += f.bought_in_park
        self._period_bought_park += f.bought_in_park
        self.cum_sold_park += f.sold_in_park
        self._period_sold_park += f.sold_in_park
        self.cum_consumed += f.consumed
        self.cum_sub_used += f.sub_used
        self.cum_sub_replaced += f.sub_replaced
        self.cum_generated += f.generated
        self.cum_disposed_out += f.disposed
        self._period_disposed_out += f.disposed
        self.cum_piped += f.piped
        self.cum_pooled += np.where(self.pooled_entry, f.stored, 0.0)
        self.cum_delivered_point += f.delivered
        self.cum_vented_point += f.vented_in
        self._period_vented_point += f.vented_in
        self.cum_slot_disposed += f.spoiled
        self._period_disposed_slot += f.spoiled
        for link, quantity in f.pipe_flows:
            self._link_quantity[link] += quantity
            self._link_value[link] += quantity * pipe_price[link]
            self._period_pipe[link] += quantity
            self._period_pipe_value[link] += quantity * pipe_price[link]
        d["generated"][i] = np.bincount(r.out_material, f.generated, m)
        d["disposed"][i] += (np.bincount(r.out_material, f.disposed, m)
                             + np.bincount(self.point_material, f.vented_in, m)
                             + np.bincount(self.slot_material, f.spoiled, m))
        d["exchanged"][i] += np.bincount(self.point_material, f.delivered - f.vented_in, m)
        d["virgin_purchased"][i] = np.bincount(r.in_material, f.purchased - f.bought_in_park, m)
        d["secondary_used"][i] = (np.bincount(r.sub_material, f.sub_used, m)
                                  + np.bincount(r.in_material, np.where(r.in_kind != 0, f.consumed, 0.0), m))
        d["virgin_avoided"][i] = np.bincount(r.in_material[r.sub_input], f.sub_replaced, m)
        u, e = self._fuel_subs, self._fuel_inputs
        d["energy_recovered"][i] = (np.bincount(r.sub_material[u], f.sub_used[u], m)
                                    + np.bincount(r.in_material[e], f.consumed[e], m))
        self.value_virgin_avoided[day] = d["virgin_avoided"][i] @ prices
        self.value_disposal_avoided[day] += (f.delivered - f.vented_in) @ disposal_cost[self.point_material]

    def end_of_day(self, day: int, bank, known: int, active: int, busy: float) -> None:
        """Stocks, links and trucks at the end of a day (after the market round and the day's trips);
        the day is then complete."""
        d, i = self.daily, day - self.daily.start
        d["exchanged"][i] += self._day_exchanged     # + 0.0 where nothing arrived by truck
        self.value_disposal_avoided[day] += self._day_disposal_avoided[0]
        self._day_exchanged[:] = 0.0
        self._day_disposal_avoided[0] = 0.0
        if self.period_stocks is None:
            d["slot_level"][i] = bank.level
        else:
            self.period_stocks.add(day, bank.level)
        d["stock"][i] = np.bincount(self.slot_material, bank.level, self.n_materials)
        d["in_transit"][i] = self.in_transit_now
        self.links_known[day] = known
        self.links_active[day] = active
        self.trucks_busy[day] = busy
        d.close_day(day)

    def disposed_window(self, start: int, stop: int) -> np.ndarray:
        """Disposals per (day, material) on days ``start`` to ``stop - 1`` (at most
        ``daily.keep_days`` before the open chunk)."""
        return self.daily.window("disposed", start, stop)

    def slot_disposed(self, day: int, slot: int, quantity: float) -> None:
        """Stock disposed from a store (its last outlet ended)."""
        self.cum_slot_disposed[slot] += quantity
        self._period_disposed_slot[slot] += quantity
        self.daily["disposed"][min(day, self.h - 1) - self.daily.start, self.slot_material[slot]] += quantity

    def trucks_moved(self, loaded_slot: np.ndarray, loaded: np.ndarray, moved_material: np.ndarray,
                     moved: np.ndarray, link: np.ndarray, slot: np.ndarray, delivered: np.ndarray, value: np.ndarray,
                     disposal_avoided: np.ndarray) -> None:
        """Truck lots of the day so far, in the order they happened: ``loaded`` at stores
        ``loaded_slot``; the change of the quantity in transit, ``moved`` (+ when loaded, - when
        delivered) of ``moved_material``; ``delivered`` along ``link`` into store ``slot``, ``value``
        paid for them, ``disposal_avoided`` the fees they did not cost. ``np.add.at`` adds element
        by element in order, so every sum is the one of adding the lots one at a time."""
        np.add.at(self._slot_shipped, loaded_slot, loaded)
        np.add.at(self.in_transit_now, moved_material, moved)
        np.add.at(self._slot_received, slot, delivered)
        np.add.at(self._link_quantity, link, delivered)
        np.add.at(self._link_value, link, value)
        np.add.at(self._day_exchanged, self._link_material[link], delivered)
        np.add.at(self._day_disposal_avoided, np.zeros(len(disposal_avoided), dtype=np.int64), disposal_avoided)

    @property
    def link_quantity(self) -> np.ndarray:
        """Quantity moved on each link over the run."""
        return self._link_quantity.copy()

    @property
    def link_value(self) -> np.ndarray:
        """Payments on each link over the run (negative: gate fees paid by the supplier)."""
        return self._link_value.copy()

    def park_sale_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """This period's products sold between park firms, as (buyer, seller, material, quantity).

        Buyers and sellers of a material are paired pro rata: each buyer's purchases are split
        over the sellers in proportion to what each sold in the park during the period.
        """
        r = self.r
        buyers, sellers, materials, quantities = [], [], [], []
        bought = np.flatnonzero(self._period_bought_park > 0)
        for m in np.unique(r.in_material[bought]).tolist():
            entries = bought[r.in_material[bought] == m]
            selling = np.flatnonzero((self.product_material == m) & (self._period_sold_park > 0))
            shares = self._period_sold_park[selling] / self._period_sold_park[selling].sum()
            quantity = np.outer(self._period_bought_park[entries], shares)
            buyers.append(np.repeat(r.in_firm[entries], len(selling)))
            sellers.append(np.tile(selling, len(entries)))
            materials.append(np.full(quantity.size, m))
            quantities.append(quantity.reshape(-1))
        if not buyers:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, np.zeros(0)
        return (np.concatenate(buyers), np.concatenate(sellers), np.concatenate(materials),
                np.concatenate(quantities))

    def close_period(self, start_day: float, prices: np.ndarray, disposal_cost: np.ndarray, park_sales) -> None:
        """Write the period's boundary, pipeline and park product flows as rows of the flows table."""
        r = self.r
        buyer, seller, sold_material, sold_quantity = park_sales
        env, market = BOUNDARY_CODES["environment"], BOUNDARY_CODES["market"]
        blocks = [
            (r.in_material, np.full(len(r.in_firm), env), r.in_firm, self._period_purchased,
             self._period_purchased * prices[r.in_material], "purchase"),
            (self.product_material, np.arange(self.n_firms), np.full(self.n_firms, market),
             self._period_output, self._period_output * prices[self.product_material], "product"),
            (r.out_material, r.out_firm, np.full(len(r.out_firm), env), self._period_disposed_out,
             self._period_disposed_out * disposal_cost[r.out_material], "disposal"),
            (self.slot_material, self.slot_firm, np.full(len(self.slot_firm), env), self._period_disposed_slot,
             self._period_disposed_slot * disposal_cost[self.slot_material], "disposal"),
            (self.point_material, self.point_firm, np.full(len(self.point_firm), env), self._period_vented_point,
             self._period_vented_point * disposal_cost[self.point_material], "disposal"),
            (self.links.material, self.links.supplier, self.links.consumer, self._period_pipe,
             self._period_pipe_value, "pipeline"),
            (sold_material, seller, buyer, sold_quantity, sold_quantity * prices[sold_material], "product"),
        ]
        for material, source, target, quantity, value, kind in blocks:
            nz = np.flatnonzero(quantity > 0)
            if len(nz):
                self.flows.extend({"time_days": np.full(len(nz), start_day), "source": source[nz],
                                   "target": target[nz], "material": material[nz], "quantity": quantity[nz],
                                   "value": value[nz], "kind": np.full(len(nz), kind)})
            quantity[:] = 0.0
        self._period_pipe_value[:] = 0.0
        self._period_bought_park[:] = 0.0
        self._period_sold_park[:] = 0.0

    # ---------------------------------------------------------------- at the end

    def finish(self) -> dict[str, np.ndarray]:
        """Hand the open blocks of the row tables to the sink; every record of the run, by name
        (the daily series, ``shipments``, ``link_events``, ``firm_events``, ``flows`` and what
        others wrote to the sink, such as the ledger's rows)."""
        for rows in (self.shipments, self.link_events, self.firm_events, self.flows):
            rows.flush()
        return self.sink.arrays()

    def totals(self, bank) -> dict[str, np.ndarray]:
        """(firm, material) totals over the run, for the mass balance and the metrics."""
        r, shape = self.r, (self.n_firms, self.n_materials)

        def fold(firms, materials, values):
            out = np.zeros(shape)
            np.add.at(out, (firms, materials), values)
            return out

        sub_firm = r.in_firm[r.sub_input]
        return {
            "purchased": fold(r.in_firm, r.in_material, self.cum_purchased),
            "consumed": fold(r.in_firm, r.in_material, self.cum_consumed)
                        + fold(sub_firm, r.sub_material, self.cum_sub_used),
            "produced": fold(np.arange(self.n_firms), self.product_material, self.cum_output)
                        + fold(r.out_firm, r.out_material, self.cum_generated),
            "sold": fold(np.arange(self.n_firms), self.product_material, self.cum_output),
            "bought_in_park": fold(r.in_firm, r.in_material, self.cum_bought_park),
            "sold_in_park": fold(np.arange(self.n_firms), self.product_material, self.cum_sold_park),
            "received": fold(self.slot_firm, self.slot_material, np.array(self._slot_received))
                        + fold(self.point_firm, self.point_material, self.cum_delivered_point)
                        + fold(np.maximum(self.pool_owner, 0), r.out_material, self.cum_pooled),
            "shipped": fold(self.slot_firm, self.slot_material, np.array(self._slot_shipped))
                       + fold(r.out_firm, r.out_material, self.cum_piped + self.cum_pooled),
            "disposed": fold(r.out_firm, r.out_material, self.cum_disposed_out)
                        + fold(self.slot_firm, self.slot_material, self.cum_slot_disposed)
                        + fold(self.point_firm, self.point_material, self.cum_vented_point),
            "stock_end": fold(self.slot_firm, self.slot_material, bank.level),
        }

    def pooled_rows(self) -> np.ndarray:
        """Totals collected from each member into the IKM centre's shared store."""
        rows = np.flatnonzero(self.pooled_entry & (self.cum_pooled > 0))
        table = np.zeros(len(rows), dtype=[("firm", "i8"), ("owner", "i8"), ("material", "i8"), ("quantity", "f8")])
        table["firm"] = self.r.out_firm[rows]
        table["owner"] = self.pool_owner[rows]
        table["material"] = self.r.out_material[rows]
        table["quantity"] = self.cum_pooled[rows]
        return table

    def losses(self) -> np.ndarray:
        """(firm, conserved unit) losses: declared loss per unit x output, adjusted for the mass
        difference between substitutes and the inputs they replaced."""
        r = self.r
        loss = r.loss_per_unit * self.cum_output[:, None]
        np.add.at(loss, r.in_firm[r.sub_input], r.sub_loss_delta * self.cum_sub_replaced[:, None])
        return loss

    def mass_balance(self, totals: dict[str, np.ndarray], loss: np.ndarray, in_transit: np.ndarray) -> dict:
        """Residuals of every balance the run must close.

        * per (firm, material): purchased + produced + received
          = consumed + sold + shipped + disposed + closing stock;
        * per (firm, conserved unit): inputs consumed = product and outputs made + loss;
        * per conserved unit, the park against its boundary: bought from outside the park
          = sold outside + disposed + lost + closing stock + in transit;
        * per product, park firms' purchases from park producers = those producers' park sales.

        Returns the largest relative residual of each kind and the worst offender.
        """
        t = totals
        flow_residual = (t["purchased"] + t["produced"] + t["received"]
                         - t["consumed"] - t["sold"] - t["shipped"] - t["disposed"] - t["stock_end"])
        flow_scale = t["purchased"] + t["produced"] + t["received"]
        conv = self._conserved_matrix()  # (materials, units)
        consumed_u = t["consumed"] @ conv
        produced_u = t["produced"] @ conv
        recipe_residual = consumed_u - produced_u - loss
        park_in = ((t["purchased"] - t["bought_in_park"]) @ conv).sum(axis=0)
        park_out = ((t["sold"] - t["sold_in_park"] + t["disposed"] + t["stock_end"]) @ conv).sum(axis=0) \
            + loss.sum(axis=0) + in_transit @ conv
        park_residual = park_in - park_out
        market_residual = t["bought_in_park"].sum(axis=0) - t["sold_in_park"].sum(axis=0)
        return {
            "park_market": _worst(market_residual[None, :], t["sold_in_park"].sum(axis=0)[None, :]),
            "firm_material": _worst(flow_residual, flow_scale),
            "firm_unit": _worst(recipe_residual, consumed_u),
            "park_unit": _worst(park_residual[None, :], park_in[None, :]),
        }

    def _conserved_matrix(self) -> np.ndarray:
        conv = np.zeros((self.n_materials, len(CONSERVED_UNITS)))
        for m, unit in enumerate(self.unit_of):
            if unit in CONSERVED_UNITS:
                conv[m, CONSERVED_UNITS.index(unit)] = 1.0
            elif self.mass_t[m]:
                conv[m, CONSERVED_UNITS.index("t")] = self.mass_t[m]
        return conv


def _worst(residual: np.ndarray, scale: np.ndarray) -> dict:
    """Largest relative residual |r| / max(scale, 1) and where it is."""
    relative = np.abs(residual) / np.maximum(np.abs(scale), 1.0)
    if relative.size == 0:
        return {"max_relative": 0.0, "at": None}
    index = np.unravel_index(int(np.argmax(relative)), relative.shape)
    return {"max_relative": float(relative[index]), "at": tuple(int(i) for i in index),
            "residual": float(residual[index])}
