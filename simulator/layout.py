"""Where the firms of a scenario are: firm entries with a `count` become placed firm instances.

Placement is deterministic (no random numbers), so every replication and every variant of a
scenario sees the same park layout and the same candidate links.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping

from .config import FirmSpec

DEFAULT_SPACING_KM = 0.5
"""Grid spacing for firms written without a location (illustrative)."""


@dataclass(frozen=True)
class FirmInstance:
    """One simulated firm: its id, its specification and its position (km)."""

    id: str
    spec: FirmSpec
    location_km: tuple[float, float]
    entry: str  # the firm entry of the scenario it was generated from


def instance_ids(entry_id: str, count: int) -> list[str]:
    """Ids of the firms generated from one entry: the id itself, or id_1 ... id_n."""
    if count == 1:
        return [entry_id]
    return [f"{entry_id}_{k}" for k in range(1, count + 1)]


def grid_offsets(count: int, spacing_km: float) -> list[tuple[float, float]]:
    """Offsets of ``count`` points on a square grid centred on (0, 0)."""
    side = math.ceil(math.sqrt(count))
    centre = (side - 1) / 2
    return [((k % side - centre) * spacing_km, (k // side - centre) * spacing_km) for k in range(count)]


def plot_spacing_km(plot_ha: float) -> float:
    """Side of a square plot of ``plot_ha`` hectares, in km (1 ha = 0.01 km2), at least 50 m."""
    return max(math.sqrt(plot_ha * 0.01), 0.05)


def expand_firms(firms: Mapping[str, FirmSpec]) -> list[FirmInstance]:
    """Firm instances of all entries, in scenario order.

    Entries with a location and a count are laid out on a grid of their plot size around it;
    entries without a location get consecutive places on a park grid of ``DEFAULT_SPACING_KM``.
    """
    instances: list[FirmInstance] = []
    unplaced = [fid for fid, spec in firms.items() if spec.location_km is None]
    auto = dict(zip(unplaced, grid_offsets(len(unplaced), DEFAULT_SPACING_KM))) if unplaced else {}
    for entry_id, spec in firms.items():
        centre = spec.location_km if spec.location_km is not None else auto[entry_id]
        offsets = grid_offsets(spec.count, plot_spacing_km(spec.plot_ha)) if spec.count > 1 else [(0.0, 0.0)]
        for fid, (dx, dy) in zip(instance_ids(entry_id, spec.count), offsets):
            instances.append(FirmInstance(fid, spec, (centre[0] + dx, centre[1] + dy), entry_id))
    return instances


def entry_members(instances: Iterable[FirmInstance]) -> dict[str, list[str]]:
    """Firm entry id -> ids of its instances (for events that name an entry)."""
    members: dict[str, list[str]] = {}
    for inst in instances:
        members.setdefault(inst.entry, []).append(inst.id)
    return members
