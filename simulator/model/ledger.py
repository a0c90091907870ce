"""The money ledger: who paid whom, how much, for what, and where the payee sits.

Every physical flow and every wage of a run is booked here. Flows are summed per accounting
period (``run.ledger_period_days``; 1 = daily rows) and per (payer, payee, category, material),
then handed to the run's sink one block per period, column by column (``ledger_<column>``, typed
as in :data:`LEDGER_COLUMNS`). The
local-economy indicators (LM3, the input-output table) are computed from these rows, not
estimated separately.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CATEGORIES = ("product_sale", "input_purchase", "byproduct_sale", "disposal_fee", "transport", "wage",
              "fixed_cost", "handling", "subsidy", "investment", "tax")
LOCATIONS = ("park", "region", "outside")
LEDGER_COLUMNS = {"time_days": np.float64, "payer": np.int32, "payee": np.int32, "category": np.int8,
                  "material": np.int32, "quantity": np.float64, "amount": np.float64}

MARKET, REGION_BUYERS = "market", "region_buyers"
REGION_SUPPLIERS, REGION_HOUSEHOLDS = "region_suppliers", "region_households"
OUTSIDE_SUPPLIERS, OUTSIDE_HOUSEHOLDS = "outside_suppliers", "outside_households"
LANDFILL, TRANSPORT, GOVERNMENT = "landfill_operator", "transport_operator", "government"


def parties(firm_ids: list[str], landfill_location: str, transport_location: str,
            government_location: str = "region") -> dict[str, str]:
    """Every party that pays or is paid, mapped to its location (park, region or outside).

    The government collects taxes (category ``tax``: the landfill tax) and pays subsidies; it is
    the regional government unless the scenario's ``region.tax_authority`` is ``outside``."""
    located = {fid: "park" for fid in firm_ids}
    located.update({
        MARKET: "outside", REGION_BUYERS: "region",
        REGION_SUPPLIERS: "region", REGION_HOUSEHOLDS: "region",
        OUTSIDE_SUPPLIERS: "outside", OUTSIDE_HOUSEHOLDS: "outside",
        LANDFILL: landfill_location, TRANSPORT: transport_location, GOVERNMENT: government_location,
    })
    return located


class Channel:
    """A fixed set of (payer, payee, category, material) flows booked together each day."""

    def __init__(self, payer: np.ndarray, payee: np.ndarray, category: int, material: np.ndarray):
        self.payer = np.asarray(payer, dtype=np.int32)
        self.payee = np.asarray(payee, dtype=np.int32)
        self.category = category
        self.material = np.asarray(material, dtype=np.int32)
        self.quantity = np.zeros(len(self.payer))
        self.amount = np.zeros(len(self.payer))

    def add(self, quantity: np.ndarray | float, amount: np.ndarray) -> None:
        self.quantity += quantity
        self.amount += amount


@dataclass(frozen=True)
class LedgerTable:
    """The ledger as columns (one row per period, payer, payee, category and material)."""

    time_days: np.ndarray      # start of the accounting period
    payer: np.ndarray          # index into parties
    payee: np.ndarray
    category: np.ndarray       # index into CATEGORIES
    material: np.ndarray       # index into materials, -1 for none (wages, fixed costs)
    quantity: np.ndarray       # material units (0 where no material)
    amount: np.ndarray         # currency
    parties: tuple[str, ...]
    locations: tuple[str, ...]  # location of each party

    def __len__(self) -> int:
        return len(self.amount)


class LedgerBook:
    """Accumulates flows during a period and closes them into rows, handed to ``sink``
    (``sink.append("ledger_amount", amounts)`` ..., see :class:`.recorder.Sink`)."""

    def __init__(self, located_parties: dict[str, str], period_days: int, sink):
        self.parties = tuple(located_parties)
        self.locations = tuple(located_parties.values())
        self.index = {p: i for i, p in enumerate(self.parties)}
        self.period_days = period_days
        self.sink = sink
        self.channels: list[Channel] = []
        self._single: dict[tuple[int, int, int, int], list[float]] = {}
        self._pending: list[tuple[np.ndarray, ...]] = []
        self.period_net = np.zeros(len(self.parties))
        for name, dtype in LEDGER_COLUMNS.items():
            sink.append(f"ledger_{name}", np.zeros(0, dtype=dtype))

    def channel(self, payer, payee, category: str, material) -> Channel:
        """Register a vectorised channel; ``payer``/``payee`` are party names or indices."""
        sizes = [np.size(x) for x in (payer, payee) if not isinstance(x, str)]
        sizes += [np.size(material)] if np.ndim(material) > 0 else []
        n = sizes[0] if sizes else 1
        ch = Channel(self._ids(payer, n), self._ids(payee, n), CATEGORIES.index(category),
                     np.broadcast_to(np.asarray(material), (n,)))
        self.channels.append(ch)
        return ch

    def _ids(self, who, n: int) -> np.ndarray:
        if isinstance(who, str):
            return np.full(n, self.index[who])
        values = np.asarray(who)
        if values.dtype.kind in "US" or values.dtype == object:
            values = np.array([self.index[w] for w in values])
        return np.broadcast_to(values, (n,))

    def book(self, payer: str | int, payee: str | int, category: str, material: int, quantity: float,
             amount: float) -> None:
        """Book one flow (a shipment, a pipeline delivery ...)."""
        payer = self.index[payer] if isinstance(payer, str) else int(payer)
        payee = self.index[payee] if isinstance(payee, str) else int(payee)
        key = (payer, payee, CATEGORIES.index(category), int(material))
        acc = self._single.get(key)
        if acc is None:
            self._single[key] = [quantity, amount]
        else:
            acc[0] += quantity
            acc[1] += amount

    def book_rows(self, payer, payee, category: str, material, quantity, amount) -> None:
        """Book many flows at once (arrays of party indices, materials, quantities, amounts)."""
        keep = np.asarray(amount) != 0.0
        if keep.any():
            self._pending.append((np.asarray(payer)[keep], np.asarray(payee)[keep],
                                  np.full(int(keep.sum()), CATEGORIES.index(category)), np.asarray(material)[keep],
                                  np.asarray(quantity, dtype=float)[keep], np.asarray(amount, dtype=float)[keep]))

    def close_period(self, start_day: float) -> None:
        """Turn everything booked since the last close into rows dated ``start_day``;
        ``period_net`` then holds each party's receipts minus payments of that period."""
        chunks = []
        for payer, payee, category, material, quantity, amount in self._pending:
            chunks.append((np.full(len(amount), start_day), payer, payee, category, material, quantity, amount))
        self._pending.clear()
        for ch in self.channels:
            nz = np.flatnonzero(ch.amount != 0.0)
            if len(nz):
                chunks.append((np.full(len(nz), start_day), ch.payer[nz], ch.payee[nz],
                               np.full(len(nz), ch.category), ch.material[nz],
                               ch.quantity[nz].copy(), ch.amount[nz].copy()))
            ch.quantity[:] = 0.0
            ch.amount[:] = 0.0
        if self._single:
            keys = np.array(list(self._single), dtype=np.int64).reshape(-1, 4)
            values = np.array(list(self._single.values()), dtype=float).reshape(-1, 2)
            keep = values[:, 1] != 0.0
            chunks.append((np.full(int(keep.sum()), start_day), keys[keep, 0], keys[keep, 1],
                           keys[keep, 2], keys[keep, 3], values[keep, 0], values[keep, 1]))
            self._single.clear()
        net = np.zeros(len(self.parties))
        for chunk in chunks:
            payer, payee, amount = chunk[1], chunk[2], chunk[6]
            net -= np.bincount(payer, amount, len(net))
            net += np.bincount(payee, amount, len(net))
        self.period_net = net
        if chunks:
            for k, (name, dtype) in enumerate(LEDGER_COLUMNS.items()):
                self.sink.append(f"ledger_{name}", np.concatenate([c[k] for c in chunks]).astype(dtype))

    def table(self, arrays: dict[str, np.ndarray]) -> LedgerTable:
        """The closed rows, from the sink's ``arrays()`` (every block of each ``ledger_`` column)."""
        return LedgerTable(**{name: arrays[f"ledger_{name}"] for name in LEDGER_COLUMNS},
                           parties=self.parties, locations=self.locations)


class LinkAccounts:
    """Money of by-product exchanges, summed per link during a period and booked at its close.

    A delivered lot adds its payment (price x quantity, negative for a gate fee paid by the
    supplier), its trip cost and its subsidy to the link's sums; handling is its link's cost per
    unit times the quantity. Deliveries arrive as arrays (a day's truck lots, a day's pipeline
    flows) and are summed per link; rows are booked per link and period.
    """

    def __init__(self, book: LedgerBook, supplier, consumer, material, handling_per_unit, transport: str,
                 handling: str, government: str):
        self.book = book
        self.supplier = np.asarray(supplier, dtype=np.int64)
        self.consumer = np.asarray(consumer, dtype=np.int64)
        self.material = np.asarray(material, dtype=np.int64)
        self.handling_per_unit = np.asarray(handling_per_unit, dtype=float)
        self.parties = (book.index[transport], book.index[handling], book.index[government])
        n = len(self.supplier)
        self.quantity = np.zeros(n)
        self.payment = np.zeros(n)
        self.trips = np.zeros(n)
        self.subsidy = np.zeros(n)

    def deliver(self, link: np.ndarray, quantity: np.ndarray, price: np.ndarray, trip_cost: np.ndarray,
                subsidy_per_unit: np.ndarray) -> None:
        """Add deliveries (arrays, one element per lot, in the order they arrived; ``np.add.at`` adds
        element by element in order, as lot by lot)."""
        np.add.at(self.quantity, link, quantity)
        np.add.at(self.payment, link, price * quantity)
        np.add.at(self.trips, link, trip_cost)
        np.add.at(self.subsidy, link, subsidy_per_unit * quantity)

    def close(self) -> None:
        """Book the period's sums as ledger rows (into the book's current period)."""
        q = self.quantity
        done = np.flatnonzero(q > 0)
        if not len(done):
            return
        payment = self.payment[done]
        supplier, consumer, material = self.supplier[done], self.consumer[done], self.material[done]
        transport, handling, government = self.parties
        paid = payment >= 0  # a negative payment is a gate fee: the supplier pays the consumer
        self.book.book_rows(np.where(paid, consumer, supplier), np.where(paid, supplier, consumer),
                            "byproduct_sale", material, q[done], np.abs(payment))
        self.book.book_rows(consumer, np.full(len(done), transport), "transport", material, q[done],
                            self.trips[done])
        self.book.book_rows(consumer, np.full(len(done), handling), "handling", material, q[done],
                            q[done] * self.handling_per_unit[done])
        self.book.book_rows(np.full(len(done), government), consumer, "subsidy", material, q[done],
                            self.subsidy[done])
        for values in (self.quantity, self.payment, self.trips, self.subsidy):
            values[:] = 0.0
