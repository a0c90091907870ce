"""The park graph: firms and boundary nodes, and the candidate exchange links between firms.

A candidate link (supplier, consumer, material) exists where the supplier emits a material the
consumer can use as an input or substitute, within a search radius (road distance for trucks,
pipe length for non-storable utilities), or where the scenario lists it under ``exchanges``.
Whether a candidate is ever built is for its two firms to decide (:mod:`model.deals`).
Links are found once, per material, with a k-d tree of consumer locations: never by scanning
all pairs of firms during the simulation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .config import BOUNDARY_NODES, FirmSpec, Scenario
from .layout import FirmInstance
from .compose import SENTRA_ID, ComposedScenario, sentra_members


@dataclass(frozen=True)
class CandidateLinks:
    """Candidate exchange links as parallel arrays (one entry per link)."""

    supplier: np.ndarray        # firm index
    consumer: np.ndarray        # firm index
    material: np.ndarray        # material index
    pipeline: np.ndarray        # bool: pipeline (True) or truck (False)
    distance_km: np.ndarray
    capacity_per_day: np.ndarray  # inf when unlimited
    known_from_day: np.ndarray  # nan when found by discovery
    fixed_price: np.ndarray     # nan when priced by the surplus-sharing rule
    explicit: np.ndarray        # bool: written in the scenario

    def __len__(self) -> int:
        return len(self.supplier)


@dataclass(frozen=True)
class ParkNetwork:
    """Firms, materials and candidate links of a scenario, plus the networkx graph of them
    (``graph``, built on first use: a run needs only the arrays, and networkx costs a quarter of a
    second to import).

    With an IKM centre, ``members`` flags its member firms, ``sentra`` is the centre's firm index
    and ``pooled`` holds the (member, material) outputs collected into the centre's shared store:
    the centre, not the member, supplies those materials (never hazardous ones: see :func:`_centre`).
    """

    firms: tuple[FirmInstance, ...]
    materials: tuple[str, ...]
    links: CandidateLinks
    members: np.ndarray
    sentra: int = -1
    pooled: frozenset = frozenset()

    @cached_property
    def graph(self):
        """The park as a networkx ``MultiDiGraph``: boundary nodes, firms, one edge per candidate link."""
        return _graph(self.firms, self.materials, self.links)

    @property
    def firm_ids(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.firms)


def uses_of(spec: FirmSpec) -> set[str]:
    """Materials a firm can take in: its inputs and their substitutes."""
    return set(spec.inputs) | {s for inp in spec.inputs.values() for s in inp.substitutes}


def build_network(scenario: ComposedScenario) -> ParkNetwork:
    """Candidate links and graph of a composed scenario (:func:`simulator.compose.compose`)."""
    firms = scenario.instances
    materials = tuple(scenario.materials)
    firm_index = {f.id: i for i, f in enumerate(firms)}
    material_index = {m: i for i, m in enumerate(materials)}
    xy = np.array([f.location_km for f in firms], dtype=float).reshape(len(firms), 2)
    spec_net = scenario.network
    members, sentra, pooled = _centre(scenario, firms, firm_index, material_index)

    links: dict[tuple[int, int, int], dict] = {}
    if spec_net.generate:
        for material_id, material in scenario.materials.items():
            if material.category not in ("byproduct", "utility"):
                continue
            m_idx = material_index[material_id]
            suppliers = [i for i, f in enumerate(firms) if material_id in f.spec.outputs and (i, m_idx) not in pooled]
            if any(m == m_idx for _, m in pooled):
                suppliers.append(sentra)
            consumers = [i for i, f in enumerate(firms) if material_id in uses_of(f.spec)
                         and (f.spec.b3_licence or not material.hazardous)]
            if not suppliers or not consumers:
                continue
            pipeline = not material.is_storable
            factor = 1.0 if pipeline else spec_net.road_factor
            reach = spec_net.max_distance_km
            if pipeline and spec_net.pipeline_max_distance_km is not None:
                reach = spec_net.pipeline_max_distance_km
            near = _Grid(xy[consumers], reach / factor + 1e-12)
            for s in suppliers:
                for j in near.within(xy[s]).tolist():
                    c = consumers[j]
                    if c == s:
                        continue
                    distance = float(np.hypot(*(xy[c] - xy[s]))) * factor
                    links[(s, c, material_index[material_id])] = dict(
                        pipeline=pipeline, distance_km=distance, capacity_per_day=np.inf,
                        known_from_day=_known_day(spec_net.known_from_day), fixed_price=np.nan,
                        explicit=False)
    for ex in scenario.exchanges:
        s, c, m = firm_index[ex.supplier], firm_index[ex.consumer], material_index[ex.material]
        material = scenario.materials[ex.material]
        pipeline = (ex.mode == "pipeline") if ex.mode else not material.is_storable
        factor = 1.0 if pipeline else spec_net.road_factor
        distance = ex.distance_km if ex.distance_km is not None else float(np.hypot(*(xy[c] - xy[s]))) * factor
        links[(s, c, m)] = dict(
            pipeline=pipeline, distance_km=distance,
            capacity_per_day=ex.capacity_per_day if ex.capacity_per_day is not None else np.inf,
            known_from_day=_known_day(ex.known_from_day), fixed_price=_or_nan(ex.price_per_unit),
            explicit=True)

    keys = sorted(links)
    column = lambda name, dtype: np.array([links[k][name] for k in keys], dtype=dtype)  # noqa: E731
    candidate = CandidateLinks(
        supplier=np.array([k[0] for k in keys], dtype=np.int64),
        consumer=np.array([k[1] for k in keys], dtype=np.int64),
        material=np.array([k[2] for k in keys], dtype=np.int64),
        pipeline=column("pipeline", bool), distance_km=column("distance_km", float),
        capacity_per_day=column("capacity_per_day", float), known_from_day=column("known_from_day", float),
        fixed_price=column("fixed_price", float), explicit=column("explicit", bool))
    return ParkNetwork(firms=firms, materials=materials, links=candidate, members=members,
                       sentra=sentra, pooled=pooled)


def _centre(scenario: Scenario, firms, firm_index, material_index) -> tuple[np.ndarray, int, frozenset]:
    """Members of the IKM centre, its firm index and the pooled (member, material) outputs.

    With ``sentra.pooling``, a member's output is pooled (collected into the centre's shared store,
    from which the centre supplies it) when it is a storable by-product that is not hazardous.
    Hazardous (B3) by-products are never pooled: collecting them would hand B3 waste to the centre,
    which holds no B3 licence (the scenario offers none for it). They stay with the member, who
    may ship them only to firms with ``b3_licence``, like any other firm's B3 waste.
    """
    members = np.zeros(len(firms), dtype=bool)
    if scenario.sentra is None or SENTRA_ID not in firm_index:
        return members, -1, frozenset()
    entries = sentra_members(scenario.sentra, scenario.firms)
    for i, f in enumerate(firms):
        members[i] = f.entry in entries or f.id in entries
    pooled = set()
    if scenario.sentra.pooling:
        for i in np.flatnonzero(members).tolist():
            for name in firms[i].spec.output_materials:
                if scenario.materials[name].is_poolable:
                    pooled.add((i, material_index[name]))
    return members, firm_index[SENTRA_ID], frozenset(pooled)


def _known_day(day: float | None) -> float:
    return np.nan if day is None else float(day)


class _Grid:
    """Points in square cells a little wider than ``radius``, to find those near a query point.

    :meth:`within` returns the points whose squared distance to it is at most ``radius ** 2``,
    computed as ``dx * dx + dy * dy`` (the test of scipy's ``cKDTree.query_ball_point``, which
    gave the same links, but whose import costs half a second), looking only at the 3 x 3
    cells around it: the work is linear in the points, whatever the size of the park.
    """

    def __init__(self, points: np.ndarray, radius: float):
        self.points, self.radius2 = points, radius * radius
        self.width = radius * (1.0 + 1e-6)
        cells: dict[tuple[int, int], list[int]] = {}
        for k, (x, y) in enumerate(np.floor(points / self.width).astype(np.int64).tolist()):
            cells.setdefault((x, y), []).append(k)
        self.cells = {key: np.array(ks, dtype=np.int64) for key, ks in cells.items()}

    def within(self, point: np.ndarray) -> np.ndarray:
        """Indices (ascending) of the points within ``radius`` of ``point``."""
        cx, cy = (int(v) for v in np.floor(point / self.width))
        parts = [self.cells[key] for key in ((cx + i, cy + j) for i in (-1, 0, 1) for j in (-1, 0, 1))
                 if key in self.cells]
        if not parts:
            return np.zeros(0, dtype=np.int64)
        candidates = np.sort(np.concatenate(parts))
        d = self.points[candidates] - point
        return candidates[d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1] <= self.radius2]


def _or_nan(value: float | None) -> float:
    return np.nan if value is None else float(value)


def _graph(firms, materials, links: CandidateLinks):
    import networkx as nx

    graph = nx.MultiDiGraph()
    for node in BOUNDARY_NODES:
        graph.add_node(node, boundary=True)
    for f in firms:
        graph.add_node(f.id, boundary=False, kind=f.spec.kind, sector=f.spec.sector,
                       location_km=f.location_km, entry=f.entry)
    for i in range(len(links)):
        graph.add_edge(firms[links.supplier[i]].id, firms[links.consumer[i]].id,
                       key=materials[links.material[i]], link=i,
                       mode="pipeline" if links.pipeline[i] else "truck",
                       distance_km=float(links.distance_km[i]))
    return graph
