"""On-site storage of by-products and secondary inputs, as arrays indexed by store ("slot").

Every (firm, material) store has a level and a capacity; stock promised to a dispatched truck and
room promised to an arriving one are reserved, so a truck always finds its load and its room.
Because no process ever waits on a store, stores are plain numpy arrays rather than
``simpy.Container`` objects: the daily production step fills and empties all of them with a few
vector operations, and a truck's load moves with two scalar updates (a Container's put and get
events cost a quarter of the run time of a 1,000-firm park, for no modelling gain).
"""

from __future__ import annotations

import numpy as np


class StorageBank:
    """Levels, capacities and reservations of every store, as arrays indexed by slot.

    Attributes
    ----------
    level : current stock (material units).
    capacity : most the store holds (material units).
    reserved_out : stock promised to trucks not yet loaded.
    reserved_in : room promised to trucks on their way.
    """

    def __init__(self, firm: np.ndarray, material: np.ndarray, capacity: np.ndarray):
        self.firm = np.asarray(firm, dtype=np.int64)
        self.material = np.asarray(material, dtype=np.int64)
        self.capacity = np.asarray(capacity, dtype=float).copy()
        self.level = np.zeros(len(self.firm))
        self.reserved_out = np.zeros(len(self.firm))
        self.reserved_in = np.zeros(len(self.firm))

    def __len__(self) -> int:
        return len(self.firm)

    def available(self, slots=slice(None)) -> np.ndarray:
        """Stock not yet promised to a truck."""
        return np.maximum(self.level[slots] - self.reserved_out[slots], 0.0)

    def room(self, slots=slice(None)) -> np.ndarray:
        """Free capacity not yet promised to an arriving truck."""
        return np.maximum(self.capacity[slots] - self.level[slots] - self.reserved_in[slots], 0.0)

    def withdraw(self, slots: np.ndarray, amounts: np.ndarray) -> None:
        """Remove ``amounts`` (never more than available) from ``slots``."""
        self.level[slots] = np.maximum(self.level[slots] - amounts, 0.0)

    def load_truck(self, slot: int, lots: list[float]) -> None:
        """Trucks take reserved ``lots`` from ``slot``, one after the other (Python floats: the
        same arithmetic as numpy's, without a numpy scalar per operation)."""
        reserved, level = self.reserved_out.item(slot), self.level.item(slot)
        for lot in lots:
            reserved -= lot
            level = max(level - lot, 0.0)
        self.reserved_out[slot] = reserved
        self.level[slot] = level

    def unload_truck(self, slot: int, lots: list[float]) -> None:
        """Trucks put ``lots`` into ``slot``, into room reserved for them, one after the other."""
        reserved, level = self.reserved_in.item(slot), self.level.item(slot)
        for lot in lots:
            reserved -= lot
            level += lot
        self.reserved_in[slot] = reserved
        self.level[slot] = level
