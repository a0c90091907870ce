"""Recipes as entry tables, and the daily production step of all firms at once.

Every recipe line becomes one entry of a table: an *input entry* (firm, material, per unit of
product), a *substitute entry* (which secondary material may replace which input entry, at what
ratio and up to what share) and an *output entry* (by-product or utility per unit of product).
A day of production is then a few numpy operations over these tables:

1. planned output (capacity x utilisation x daily factor, zero when closed or broken);
2. output limited by stocks of secondary materials that are a firm's main input (recyclers);
3. non-storable utilities (steam, heat) allocated along active pipelines as they are produced;
4. inputs consumed: secondary materials first (up to their share), the rest bought;
5. by-products stored where a contract will take them, the rest disposed.

Material *sources* are numbered 0..S-1 for storage slots and S..S+P-1 for pipeline receiving
points (what arrived by pipe today).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import CONSERVED_UNITS, Scenario
from ..network import ParkNetwork

BOUGHT, STOCK, PIPE = 0, 1, 2
"""How an input entry is supplied: bought (virgin, product), from a storage slot, from a pipeline."""


@dataclass
class Slots:
    """Storage slots (firm, material) and pipeline receiving points, before the bank exists."""

    slot_firm: list[int]
    slot_material: list[int]
    slot_capacity: list[float]
    point_firm: list[int]
    point_material: list[int]
    slot_of: dict[tuple[int, int], int]
    point_of: dict[tuple[int, int], int]
    pooled_to: dict[tuple[int, int], int]   # (member, material) -> the IKM centre's shared slot


@dataclass(frozen=True)
class RecipeTables:
    """Entry tables of all recipes (arrays aligned by entry)."""

    n_slots: int
    # input entries
    in_firm: np.ndarray
    in_material: np.ndarray
    in_per_unit: np.ndarray
    in_local_share: np.ndarray
    in_park_share: np.ndarray       # share of the bought quantity sourced from park producers
    in_kind: np.ndarray
    in_source: np.ndarray           # slot or point (offset by n_slots) for STOCK/PIPE, else -1
    # substitute entries, grouped into levels with no repeated input entry or source
    sub_input: np.ndarray
    sub_material: np.ndarray
    sub_ratio: np.ndarray
    sub_share: np.ndarray
    sub_source: np.ndarray
    sub_levels: tuple[np.ndarray, ...]
    sub_loss_delta: np.ndarray      # (entries, conserved units): loss change per unit replaced
    # output entries
    out_firm: np.ndarray
    out_material: np.ndarray
    out_per_unit: np.ndarray
    out_slot: np.ndarray            # supplier storage slot, -1 if none
    out_pipe: np.ndarray            # bool: non-storable (goes by pipe or is vented)
    loss_per_unit: np.ndarray       # (firms, conserved units)
    shelf_cap_per_slot: np.ndarray  # largest level before spoilage (inf when no shelf life)


@dataclass
class DayFlows:
    """What the production step did on one day (arrays aligned with the entry tables)."""

    output: np.ndarray              # per firm, product units
    purchased: np.ndarray           # per input entry: bought (from outside or from park firms)
    bought_in_park: np.ndarray      # per input entry: the part bought from park producers
    sold_in_park: np.ndarray        # per firm: product sold to park firms
    consumed: np.ndarray            # per input entry: input material used
    sub_used: np.ndarray            # per substitute entry: secondary material used
    sub_replaced: np.ndarray        # per substitute entry: input replaced
    generated: np.ndarray           # per output entry
    stored: np.ndarray              # per output entry: put into a store (own or the IKM centre's)
    disposed: np.ndarray            # per output entry (overflow, no outlet, vented, spoiled)
    piped: np.ndarray               # per output entry: sent by pipeline
    delivered: np.ndarray           # per receiving point: arrived by pipeline
    vented_in: np.ndarray           # per receiving point: arrived but not usable today
    pipe_flows: list                # (link, quantity) of pipeline flows today
    spoiled: np.ndarray             # per slot: disposed from storage for age


def build_slots(scenario: Scenario, network: ParkNetwork) -> Slots:
    """Storage slots at both ends of every truck link, for secondary main inputs, and pipeline
    receiving points; capacities from each firm's `storage` or the park default."""
    firms, links = network.firms, network.links
    materials = list(scenario.materials.values())
    mat_ids = network.materials
    load = scenario.park.truck_fleet.load
    days = scenario.park.default_storage_days
    slots = Slots([], [], [], [], [], {}, {}, {})

    def nominal(f: int) -> float:
        spec = firms[f].spec
        return spec.product.capacity_per_day * spec.product.utilisation

    def add_slot(f: int, m: int, daily_flow: float) -> None:
        if (f, m) in slots.slot_of:
            return
        declared = firms[f].spec.storage.get(mat_ids[m])
        if f == network.sentra:
            declared = scenario.sentra.storage_per_material
        capacity = declared if declared is not None else max(days * daily_flow, load)
        slots.slot_of[(f, m)] = len(slots.slot_firm)
        slots.slot_firm.append(f)
        slots.slot_material.append(m)
        slots.slot_capacity.append(float(capacity))

    def add_point(f: int, m: int) -> None:
        if (f, m) not in slots.point_of:
            slots.point_of[(f, m)] = len(slots.point_firm)
            slots.point_firm.append(f)
            slots.point_material.append(m)

    for i in range(len(links)):
        s, c, m = int(links.supplier[i]), int(links.consumer[i]), int(links.material[i])
        if links.pipeline[i]:
            add_point(c, m)
            continue
        add_slot(s, m, nominal(s) * firms[s].spec.outputs.get(mat_ids[m], 0.0))
        add_slot(c, m, nominal(c) * _max_use(firms[c].spec, mat_ids[m]))
    for f, firm in enumerate(firms):
        for name, inp in firm.spec.inputs.items():
            m = mat_ids.index(name)
            if materials[m].category in ("byproduct", "utility"):
                if materials[m].is_storable:
                    add_slot(f, m, nominal(f) * inp.per_unit)
                else:
                    add_point(f, m)
    for member, m in network.pooled:
        shared = slots.slot_of.get((network.sentra, m))
        if shared is not None:
            slots.pooled_to[(member, m)] = shared
    return slots


def _max_use(spec, material: str) -> float:
    """Most of ``material`` a firm can use per unit of product (as input or substitute)."""
    use = spec.inputs[material].per_unit if material in spec.inputs else 0.0
    for inp in spec.inputs.values():
        rule = inp.substitutes.get(material)
        if rule is not None:
            use += inp.per_unit * rule.max_share * rule.ratio
    return use


def build_recipes(scenario: Scenario, network: ParkNetwork, slots: Slots) -> RecipeTables:
    """Entry tables of every firm's recipe, wired to storage slots and receiving points."""
    mat_ids = network.materials
    m_index = {m: i for i, m in enumerate(mat_ids)}
    materials = [scenario.materials[m] for m in mat_ids]
    n_slots = len(slots.slot_firm)
    units = CONSERVED_UNITS

    ins: list[tuple] = []
    subs: list[tuple] = []
    outs: list[tuple] = []
    loss = np.zeros((len(network.firms), len(units)))
    for f, firm in enumerate(network.firms):
        spec = firm.spec
        for name, inp in spec.inputs.items():
            m = m_index[name]
            material = materials[m]
            local = inp.local_share if inp.local_share is not None else spec.local_purchase_share
            if material.category in ("virgin", "product"):
                kind, source = BOUGHT, -1
            elif material.is_storable:
                kind, source = STOCK, slots.slot_of[(f, m)]
            else:
                kind, source = PIPE, n_slots + slots.point_of[(f, m)]
            entry = len(ins)
            ins.append((f, m, inp.per_unit, local, kind, source, inp.park_share))
            # utilities first: their pipeline demand is then exact (see module docstring)
            ordered = sorted(inp.substitutes.items(), key=lambda kv: scenario.materials[kv[0]].is_storable)
            for sub_name, rule in ordered:
                sm = m_index[sub_name]
                if materials[sm].is_storable:
                    src = slots.slot_of.get((f, sm), -1)
                else:
                    point = slots.point_of.get((f, sm))
                    src = -1 if point is None else n_slots + point
                if src < 0:
                    continue  # no link can bring this material here
                delta = [materials[sm].conserved(rule.ratio).get(u, 0.0) - material.conserved(1.0).get(u, 0.0)
                         for u in units]
                subs.append((entry, sm, rule.ratio, rule.max_share, src, delta))
        for name in spec.output_materials:
            m = m_index[name]
            slot = slots.pooled_to.get((f, m), -1) if (f, m) in network.pooled else slots.slot_of.get((f, m), -1)
            outs.append((f, m, spec.outputs[name], slot, not materials[m].is_storable))
        for u, unit in enumerate(units):
            loss[f, u] = spec.losses.get(unit, 0.0)

    def col(rows, k, dtype):
        return np.array([r[k] for r in rows], dtype=dtype)

    levels = _levels([(s[0], s[4]) for s in subs])
    shelf = np.array([materials[m].shelf_life_days or np.inf for m in slots.slot_material], dtype=float)
    # Largest stock before the oldest lot passes its shelf life (FIFO, at the nominal inflow).
    inflow = np.zeros(n_slots)
    for f, _material, per_unit, slot, _ in outs:
        if slot >= 0:
            spec = network.firms[f].spec
            inflow[slot] += spec.product.capacity_per_day * spec.product.utilisation * per_unit
    shelf_cap = np.full(n_slots, np.inf)
    ages = np.isfinite(shelf) & (inflow > 0)
    shelf_cap[ages] = shelf[ages] * inflow[ages]
    return RecipeTables(
        n_slots=n_slots,
        in_firm=col(ins, 0, np.int64), in_material=col(ins, 1, np.int64), in_per_unit=col(ins, 2, float),
        in_local_share=col(ins, 3, float), in_kind=col(ins, 4, np.int8), in_source=col(ins, 5, np.int64),
        in_park_share=col(ins, 6, float),
        sub_input=col(subs, 0, np.int64), sub_material=col(subs, 1, np.int64), sub_ratio=col(subs, 2, float),
        sub_share=col(subs, 3, float), sub_source=col(subs, 4, np.int64), sub_levels=levels,
        sub_loss_delta=np.array([s[5] for s in subs], dtype=float).reshape(len(subs), len(units)),
        out_firm=col(outs, 0, np.int64), out_material=col(outs, 1, np.int64), out_per_unit=col(outs, 2, float),
        out_slot=col(outs, 3, np.int64), out_pipe=col(outs, 4, bool),
        loss_per_unit=loss, shelf_cap_per_slot=shelf_cap)


def _levels(pairs: list[tuple[int, int]]) -> tuple[np.ndarray, ...]:
    """Group substitute entries so that no level repeats an input entry or a source.

    Entries of one level can then be applied together with numpy; levels run in order, so an
    input's first-listed substitute is used before its second.
    """
    levels: list[list[int]] = []
    used: list[set] = []
    for k, (entry, source) in enumerate(pairs):
        for lvl, seen in enumerate(used):
            if ("i", entry) not in seen and ("s", source) not in seen and all(
                    ("i", entry) not in u for u in used[lvl + 1:]):
                levels[lvl].append(k)
                seen.update({("i", entry), ("s", source)})
                break
        else:
            levels.append([k])
            used.append({("i", entry), ("s", source)})
    return tuple(np.array(lvl, dtype=np.int64) for lvl in levels)


class Production:
    """The daily production step of all firms (see the module docstring for the order)."""

    def __init__(self, recipes: RecipeTables, n_points: int, product_material: np.ndarray, n_materials: int):
        self.r = recipes
        self.n_points = n_points
        self.product_material = product_material
        self.n_materials = n_materials
        r = recipes
        made_in_park = np.zeros(n_materials, dtype=bool)
        made_in_park[product_material] = True
        self._linked = np.flatnonzero((r.in_park_share > 0) & made_in_park[r.in_material])
        self._stock_inputs = np.flatnonzero(r.in_kind == STOCK)
        self._pipe_inputs = np.flatnonzero(r.in_kind == PIPE)
        self._primary = np.flatnonzero(r.in_kind != BOUGHT)
        self._pipe_subs = np.flatnonzero(r.sub_source >= r.n_slots)
        is_stock_input = np.zeros(len(r.in_firm), dtype=bool)
        is_stock_input[self._stock_inputs] = True
        self._stock_subs = np.flatnonzero(is_stock_input[r.sub_input] & (r.sub_source < r.n_slots))
        self._stored_outputs = np.flatnonzero(r.out_slot >= 0)
        self._pipe_outputs = np.flatnonzero(r.out_pipe)

    def step(self, planned: np.ndarray, bank, outlet: np.ndarray, pipelines) -> DayFlows:
        """Run one day of production for all firms.

        Parameters
        ----------
        planned : output each firm plans today (product units).
        bank : the StorageBank (levels are read and changed).
        outlet : per slot, whether a contract takes this by-product (else it is disposed daily).
        pipelines : object with ``allocate(supply, demand) -> (delivered, piped, flows)`` for
            non-storable utilities; ``supply`` is per output entry, ``demand`` per receiving point.
        """
        r = self.r
        output = planned.copy()
        n_slots = r.n_slots

        # 2. secondary main inputs held in storage cap the output (recyclers, SME processors)
        if len(self._stock_inputs):
            np.minimum.at(output, r.in_firm[self._stock_inputs], self._stock_caps(bank))

        # 3. utilities by pipe, allocated as produced
        delivered = np.zeros(self.n_points)
        piped = np.zeros(len(r.out_firm))
        flows: list = []
        if self.n_points:
            need = output[r.in_firm] * r.in_per_unit
            demand = np.zeros(self.n_points)
            e = self._pipe_inputs
            np.add.at(demand, r.in_source[e] - n_slots, need[e])
            u = self._pipe_subs
            np.add.at(demand, r.sub_source[u] - n_slots,
                      r.sub_share[u] * need[r.sub_input[u]] * r.sub_ratio[u])
            supply = np.where(r.out_pipe, output[r.out_firm] * r.out_per_unit, 0.0)
            delivered, piped, flows = pipelines.allocate(supply, demand)
            if len(self._pipe_inputs):
                e = self._pipe_inputs
                np.minimum.at(output, r.in_firm[e], delivered[r.in_source[e] - n_slots] / r.in_per_unit[e])

        # 4. inputs: main secondary inputs, then substitutes level by level, the rest bought
        need = output[r.in_firm] * r.in_per_unit
        available = np.concatenate([bank.available(), delivered])
        start = available.copy()
        e = self._primary
        take = np.minimum(need[e], available[r.in_source[e]])
        np.subtract.at(available, r.in_source[e], take)
        remaining = need.copy()
        remaining[e] -= take
        consumed = np.zeros(len(need))
        consumed[e] = take
        sub_used = np.zeros(len(r.sub_input))
        sub_replaced = np.zeros(len(r.sub_input))
        for level in r.sub_levels:
            entry, src, ratio = r.sub_input[level], r.sub_source[level], r.sub_ratio[level]
            replace = np.minimum(np.minimum(r.sub_share[level] * need[entry], remaining[entry]),
                                 available[src] / ratio)
            replace = np.maximum(replace, 0.0)
            used = replace * ratio
            available[src] -= used
            remaining[entry] -= replace
            sub_used[level] = used
            sub_replaced[level] = replace
        bought = r.in_kind == BOUGHT
        purchased = np.where(bought, remaining, 0.0)
        consumed[bought] = remaining[bought]
        bought_in_park, sold_in_park = self._park_market(output, purchased)
        bank.withdraw(np.arange(n_slots), start[:n_slots] - available[:n_slots])
        vented_in = available[n_slots:]

        # 5. by-products: keep what a contract will take, within room; dispose the rest
        generated = output[r.out_firm] * r.out_per_unit
        disposed = generated - piped
        stored = np.zeros(len(generated))
        o = self._stored_outputs
        if len(o):
            o = o[outlet[r.out_slot[o]]]
            slots = r.out_slot[o]
            # several members may pool into one shared store: fill it, share the overflow pro rata
            offered = np.bincount(slots, generated[o], r.n_slots)
            kept = np.minimum(offered, bank.room())
            bank.level += kept
            fraction = np.divide(kept, offered, out=np.zeros(r.n_slots), where=offered > 0)
            stored[o] = generated[o] * fraction[slots]
            disposed[o] = generated[o] - stored[o]
        spoiled = np.maximum(bank.level - bank.reserved_out - r.shelf_cap_per_slot, 0.0)
        if spoiled.any():
            bank.withdraw(np.arange(n_slots), spoiled)
        return DayFlows(output=output, purchased=purchased, bought_in_park=bought_in_park,
                        sold_in_park=sold_in_park, consumed=consumed, sub_used=sub_used,
                        sub_replaced=sub_replaced, generated=generated, stored=stored, disposed=disposed,
                        piped=piped,
                        delivered=delivered, vented_in=vented_in, pipe_flows=flows, spoiled=spoiled)

    def _stock_caps(self, bank) -> np.ndarray:
        """Most each firm can make from a main input held in storage, counting its substitutes.

        With stock P of the main input and stocks S_k of substitutes (ratio r_k, share s_k), output
        x needs x u of the input, of which min(s_k x u, S_k / r_k) may be replaced, so
        x <= min((P + sum S_k / r_k) / u, P / (u (1 - sum s_k))): exact for one substitute, a safe
        bound for several.
        """
        r, e = self.r, self._stock_inputs
        stock = np.zeros(len(r.in_firm))
        stock[e] = bank.available(r.in_source[e])
        replaceable = np.zeros(len(r.in_firm))
        shares = np.zeros(len(r.in_firm))
        u = self._stock_subs
        if len(u):
            np.add.at(replaceable, r.sub_input[u], bank.available(r.sub_source[u]) / r.sub_ratio[u])
            np.add.at(shares, r.sub_input[u], r.sub_share[u])
        per_unit = r.in_per_unit[e]
        by_stock = (stock[e] + replaceable[e]) / per_unit
        free = 1.0 - np.minimum(shares[e], 1.0)
        by_share = np.divide(stock[e], per_unit * free, out=np.full(len(e), np.inf), where=free > 0)
        return np.minimum(by_stock, by_share)

    def _park_market(self, output: np.ndarray, purchased: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Products that park firms buy from park producers today (supply-chain linkage).

        Each linked input asks for ``park_share`` of what it buys; when the park makes less than is
        asked, every request is served in the same proportion and producers sell pro rata to
        their output. Returns (bought per input entry, sold per firm).
        """
        r = self.r
        bought = np.zeros(len(r.in_firm))
        sold = np.zeros(len(output))
        e = self._linked
        if not len(e):
            return bought, sold
        asked = purchased[e] * r.in_park_share[e]
        demand = np.bincount(r.in_material[e], asked, self.n_materials)
        supply = np.bincount(self.product_material, output, self.n_materials)
        served = np.divide(supply, demand, out=np.ones(self.n_materials), where=demand > supply)
        taken = np.divide(demand, supply, out=np.zeros(self.n_materials), where=supply > 0)
        bought[e] = asked * np.minimum(served, 1.0)[r.in_material[e]]
        sold = output * np.minimum(taken, 1.0)[self.product_material]
        return bought, sold
