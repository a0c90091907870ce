"""On-site storage of by-products and secondary inputs.

Each (firm, material) store is a :class:`Storage`, a ``simpy.Container`` whose level and
capacity live in the shared numpy arrays of a :class:`StorageBank`. Trucks move lots with the
container's event-based ``get``/``put``; the daily production step adds and removes the
continuous flows of all stores at once through the bank's arrays (one numpy operation per day
instead of one SimPy event per store and day, which is what keeps large parks fast).
"""

from __future__ import annotations

import numpy as np
import simpy

_EPS = 1e-9


class Storage(simpy.Container):
    """A store of one material at one firm; level and capacity are views into the bank."""

    def __init__(self, env: simpy.Environment, bank: "StorageBank", slot: int):
        self._bank = bank
        self._slot = slot
        super().__init__(env, capacity=float(bank.capacity[slot]), init=float(bank.level[slot]))

    @property
    def _level(self) -> float:  # simpy.Container keeps its level here
        return float(self._bank.level[self._slot])

    @_level.setter
    def _level(self, value: float) -> None:
        self._bank.level[self._slot] = value

    @property
    def _capacity(self) -> float:
        return float(self._bank.capacity[self._slot])

    @_capacity.setter
    def _capacity(self, value: float) -> None:
        self._bank.capacity[self._slot] = value

    def _do_put(self, event) -> bool | None:
        # Room is reserved before a truck leaves; allow float rounding of that reservation.
        if self._capacity - self._level >= event.amount - _EPS * max(1.0, self._capacity):
            self._level += event.amount
            event.succeed()
            return True
        return None

    def _do_get(self, event) -> bool | None:
        if self._level >= event.amount - _EPS * max(1.0, event.amount):
            self._level = max(self._level - event.amount, 0.0)
            event.succeed()
            return True
        return None


class StorageBank:
    """Levels, capacities and reservations of every store, as arrays indexed by slot.

    Attributes
    ----------
    level : current stock (material units).
    capacity : most the store holds (material units).
    reserved_out : stock promised to trucks not yet loaded.
    reserved_in : room promised to trucks on their way.
    """

    def __init__(self, env: simpy.Environment, firm: np.ndarray, material: np.ndarray, capacity: np.ndarray):
        self.firm = np.asarray(firm, dtype=np.int64)
        self.material = np.asarray(material, dtype=np.int64)
        self.capacity = np.asarray(capacity, dtype=float).copy()
        self.level = np.zeros(len(self.firm))
        self.reserved_out = np.zeros(len(self.firm))
        self.reserved_in = np.zeros(len(self.firm))
        self.stores = [Storage(env, self, slot) for slot in range(len(self.firm))]

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
