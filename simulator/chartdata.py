"""The data behind every chart of a run, as plain JSON-ready dicts.

A run folder keeps this as ``chart_data.json`` so ``eipsim plot`` and ``eipsim report`` can redraw
charts (another resolution, another language) without re-running the simulation. Plotting
functions take these dicts; they never see a RunResult.

Masses are tonnes (materials measured in t, or with a declared mass per unit); per-run totals
cover the whole run, daily series every day.
"""

from __future__ import annotations

import numpy as np

from .metrics.economic import decompose_output_effects
from .metrics.employment import active_jobs, ever_present, firm_status
from .metrics.local_economy import io_table, lm3_rounds, multipliers
from .results import RunResult
from . import storage
from .storage import row_blocks, select_rows

MAX_NODES = 30
MAX_SOURCES = 8


def firm_labels(scenario) -> dict[str, str]:
    """The ``label`` of each firm entry of a scenario that has one, by entry id (the charts name
    a firm entry by its label, else by its id)."""
    return {entry: spec.label for entry, spec in scenario.firms.items() if spec.label}


def run_chart_data(result: RunResult, replications: int = 1, geo_origin: tuple | None = None,
                   labels: dict[str, str] | None = None) -> dict:
    """Everything the run's charts need (see the module docstring); ``geo_origin``: latitude and
    longitude of the km origin when the scenario has one (the network map names it); ``labels``:
    :func:`firm_labels` of the scenario (the network map and the Sankey name firm entries so)."""
    return {
        "meta": {"scenario": result.scenario_name, "seed": result.seed, "replications": replications,
                 "currency": result.currency, "horizon_days": result.horizon_days,
                 "warmup_days": result.warmup_days, "replication": result.replication,
                 "geo_origin": list(geo_origin) if geo_origin else None},
        "fate": fate_data(result),
        "discovery": {"day": list(range(result.horizon_days)), "links_known": result.links_known.tolist(),
                      "links_active": result.links_active.tolist(), "links_candidate": len(result.links),
                      "platform_members": result.platform_members().tolist()},
        "network": network_data(result, labels or {}),
        "sankey": sankey_data(result, labels or {}),
        "economy": economy_data(result),
        "firms": firms_data(result),
    }


def fate_data(result: RunResult) -> dict:
    mass = result.materials.mass_t
    return {"day": list(range(result.horizon_days)),
            **{f"{name}_t": (result.daily[name] @ mass).tolist()
               for name in ("generated", "exchanged", "disposed", "stock")}}


def network_data(result: RunResult, labels: dict[str, str] | None = None) -> dict:
    """Firms (location, input and output, ``label`` of the entry where ``labels`` has one) and
    candidate links with their annual quantity.
    ``output_t`` is the mass of the firm's products over the run (tonnes; 0 for products without a
    mass), ``output_value`` their sales in the currency over the run. Entrants that never
    entered are left out, with their links."""
    firms, links, mats = result.firms, result.links, result.materials
    shown = ever_present(result)
    input_t = (result.totals["consumed"] * mats.mass_t).sum(axis=1)
    output_t = (result.totals["sold"] * mats.mass_t).sum(axis=1)
    output_value = _product_sales(result)
    annual = links.quantity * 365.0 / result.horizon_days
    return {
        "firms": [{"id": fid, "entry": firms.entry[i], "kind": firms.kind[i],
                   "x_km": float(firms.location_km[i, 0]), "y_km": float(firms.location_km[i, 1]),
                   "input_t": float(input_t[i]), "output_t": float(output_t[i]),
                   "output_value": float(output_value[i]),
                   **({"label": labels[firms.entry[i]]} if firms.entry[i] in (labels or {}) else {})}
                  for i, fid in enumerate(firms.ids) if shown[i]],
        "links": [{"supplier": firms.ids[links.supplier[k]], "consumer": firms.ids[links.consumer[k]],
                   "material": mats.ids[links.material[k]], "label": mats.labels[links.material[k]],
                   "unit": mats.units[links.material[k]], "pipeline": bool(links.pipeline[k]),
                   "annual_quantity": float(annual[k])} for k in range(len(links))
                  if shown[links.supplier[k]] and shown[links.consumer[k]]],
    }


def _product_sales(result: RunResult) -> np.ndarray:
    """Sales of products by firm over the run (currency), from the ledger."""
    from .model.ledger import CATEGORIES

    ledger, firms = result.ledger, result.firms
    out = np.zeros(len(firms.ids))
    if not len(ledger):
        return out
    party_firm = np.array([firms.ids.index(p) if p in firms.ids else -1 for p in ledger.parties] or [-1])
    sale = CATEGORIES.index("product_sale")
    _, payee, amount = select_rows(lambda category, *_: category == sale, ledger.category, ledger.payee, ledger.amount)
    payee = party_firm[payee]
    np.add.at(out, payee[payee >= 0], amount[payee >= 0])
    return out


def firm_groups(result: RunResult) -> tuple[list[str], np.ndarray]:
    """Sankey nodes for firms: firm entries, or sectors, or kinds, whichever gives <= MAX_NODES."""
    for labels in (list(result.firms.entry), [s or e for s, e in zip(result.firms.sector, result.firms.entry)],
                   [f"{k} firms" for k in result.firms.kind]):
        names = list(dict.fromkeys(labels))
        if len(names) <= MAX_NODES:
            break
    return names, np.array([names.index(label) for label in labels], dtype=np.int64)


def sankey_data(result: RunResult, labels: dict[str, str] | None = None) -> dict:
    """Material flows in tonnes over the run: virgin inputs -> firm groups -> products, disposal,
    losses and end-of-run stock; by-product exchanges and park product sales as loops between
    firm groups (firm entries named by their ``labels`` where given). Every firm node balances
    (mass balance of the run)."""
    t, mats = result.totals, result.materials
    mass = mats.mass_t
    names, group = firm_groups(result)
    n = len(names)
    by_entry = names == list(dict.fromkeys(result.firms.entry))
    nodes = [{"id": f"firm:{name}", "label": (labels or {}).get(name, name) if by_entry else name, "column": 1,
              "kind": "firm"} for name in names]
    flows: list[dict] = []

    def add(source: str, target: str, quantity: float, kind: str, material: str = "") -> None:
        if quantity > 1e-9:
            flows.append({"source": source, "target": target, "quantity": float(quantity), "kind": kind,
                          "material": material})

    def per_group(matrix: np.ndarray) -> np.ndarray:  # (firms, materials) tonnes -> (groups, materials)
        out = np.zeros((n, matrix.shape[1]))
        np.add.at(out, group, matrix * mass)
        return out

    virgin = per_group(t["purchased"] - t["bought_in_park"])
    totals = virgin.sum(axis=0)
    ranked = [m for m in np.argsort(-totals) if totals[m] > 0]
    shown, other = ranked[:MAX_SOURCES], ranked[MAX_SOURCES:]
    for m in shown:
        nodes.append({"id": f"in:{mats.ids[m]}", "label": mats.labels[m], "column": 0, "kind": "source"})
        for g in range(n):
            add(f"in:{mats.ids[m]}", f"firm:{names[g]}", virgin[g, m], "virgin", mats.labels[m])
    if other:
        nodes.append({"id": "in:other", "label": "other inputs", "column": 0, "kind": "source"})
        for g in range(n):
            add("in:other", f"firm:{names[g]}", virgin[g, other].sum(), "virgin", "other")
    sinks = {"products": "products sold", "disposal": "disposed (landfill, treatment)",
             "loss": "losses (emissions, moisture)", "stock": "stock at the end"}
    for key, label in sinks.items():
        nodes.append({"id": f"out:{key}", "label": label, "column": 2, "kind": "sink"})
    sold_out = per_group(t["sold"] - t["sold_in_park"]).sum(axis=1)
    disposed = per_group(t["disposed"]).sum(axis=1)
    stock = per_group(t["stock_end"]).sum(axis=1)
    loss = np.bincount(group, result.losses[:, 0], n)
    for g in range(n):
        node = f"firm:{names[g]}"
        add(node, "out:products", sold_out[g], "product")
        add(node, "out:disposal", disposed[g], "disposal")
        add(node, "out:loss", loss[g], "loss")
        add(node, "out:stock", stock[g], "stock")
    for (a, b, label), quantity in _loops(result, group, names).items():
        add(f"firm:{names[a]}", f"firm:{names[b]}", quantity, "exchange" if label != "products" else "product_loop",
            label)
    # material on trucks at the end left its supplier but has not reached its consumer
    transit = float(result.daily["in_transit"][-1] @ mass)
    if transit > 1e-9:
        nodes.append({"id": "out:transit", "label": "on trucks at the end", "column": 2, "kind": "sink"})
        _in_transit_flows(result, group, names, add)
    return {"unit": "t", "nodes": [nd for nd in nodes if _used(nd["id"], flows)], "flows": flows,
            "not_shown": _without_mass(result)}


def _without_mass(result: RunResult) -> list[dict]:
    """Materials that moved in the run but have no mass (steam in MWh, water in m3 without a
    declared mass per unit), so the Sankey in tonnes leaves them out: quantities over the run in
    their own unit, bought from outside, exchanged in the park and sold."""
    t, mats, links = result.totals, result.materials, result.links
    exchanged = np.zeros(len(mats.ids))
    np.add.at(exchanged, links.material, links.quantity)
    rows = []
    for m in np.flatnonzero(mats.mass_t <= 0):
        moved = {"purchased": float((t["purchased"] - t["bought_in_park"])[:, m].sum()),
                 "exchanged": float(exchanged[m]), "sold": float((t["sold"] - t["sold_in_park"])[:, m].sum())}
        if any(v > 1e-9 for v in moved.values()):
            rows.append({"material": mats.ids[m], "label": mats.labels[m], "unit": mats.units[m], **moved})
    return rows


def _used(node: str, flows: list[dict]) -> bool:
    return any(f["source"] == node or f["target"] == node for f in flows)


def _loops(result: RunResult, group: np.ndarray, names: list[str]) -> dict:
    """Tonnes moved between firm groups by material (supplier group, consumer group, material
    label): delivered by-products (links) and products bought in the park (one loop per pair,
    material "products"); flows inside one group are left out (they do not cross the group's
    boundary)."""
    mats, links = result.materials, result.links
    loops: dict[tuple[int, int, str], float] = {}

    def add(a: int, b: int, quantity: float, label: str) -> None:
        if a != b and quantity > 0:
            key = (int(a), int(b), label)
            loops[key] = loops.get(key, 0.0) + float(quantity)

    for k in range(len(links)):
        add(group[links.supplier[k]], group[links.consumer[k]], links.quantity[k] * mats.mass_t[links.material[k]],
            mats.labels[links.material[k]])
    flows = result.flows
    _, _, sources, targets, quantities, materials = select_rows(
        lambda kind, target, *_: (kind == "product") & (target >= 0),
        flows["kind"], flows["target"], flows["source"], flows["target"], flows["quantity"], flows["material"])
    for source, target, quantity, m in zip(sources, targets, quantities, materials):
        add(group[source], group[target], quantity * mats.mass_t[m], "products")
    pooled = result.pooled
    for member, owner, m, quantity in zip(pooled["firm"], pooled["owner"], pooled["material"], pooled["quantity"]):
        add(group[member], group[owner], quantity * mats.mass_t[m], mats.labels[m])
    return loops


def _in_transit_flows(result: RunResult, group: np.ndarray, names: list[str], add) -> None:
    links, mats, ship = result.links, result.materials, result.shipments
    _, link, quantity = select_rows(lambda arrival, *_: arrival >= result.horizon_days,
                                    ship["arrival_day"], ship["link"], ship["quantity"])
    per_group = np.zeros(len(names))
    np.add.at(per_group, group[links.supplier[link]], quantity * mats.mass_t[links.material[link]])
    for g, quantity in enumerate(per_group):
        add(f"firm:{names[g]}", "out:transit", quantity, "stock")


JOBS_WINDOW_DAYS = 30
SME_BLOCK_DAYS = 64
"""The SMEs' daily series are computed a multiple of this many days at a time (about
:data:`~simulator.storage.READ_BLOCK_BYTES` of one (days, SMEs) array); a run shorter than a
block (a year of 800 SMEs, or more of fewer) is one block."""


def firms_data(result: RunResult) -> dict:
    """SMEs over time: how many operate and how many are idle each day, the days SMEs enter, go
    idle, restart and exit, SME jobs on plots and active SME jobs (full-time equivalents over a trailing
    ``JOBS_WINDOW_DAYS``: employees x days worked / days open)."""
    smes = np.array(result.firms.kind) == "sme"
    present, idle = firm_status(result)
    present, idle = present[:, smes], idle[:, smes]
    staff = result.firms.employees[smes]
    series: dict[str, list] = {"operating": [], "idle": [], "jobs_on_plots": [], "jobs_active": []}
    # days worked and days open of each SME in a trailing window, a block of days at a time:
    # counted up to each day (the counts of the window's first days kept from the block before)
    counted = np.zeros((2, 1, int(smes.sum())), dtype=np.int64)  # worked, open; rows: days from `first`
    first = start = 0
    step = max(SME_BLOCK_DAYS, storage.READ_BLOCK_BYTES // (8 * max(len(staff), 1)) // SME_BLOCK_DAYS * SME_BLOCK_DAYS)
    for output, open_days in row_blocks(result.output, result.firms.open_days, rows=step):
        stop = start + len(output)
        counted = np.concatenate([counted, counted[:, -1:] + np.cumsum([output[:, smes] > 0, open_days[:, smes]], axis=1)],
                                 axis=1)
        end = np.arange(start + 1, stop + 1)
        begin = np.maximum(end - JOBS_WINDOW_DAYS, 0)
        days_worked, days_open = (counted[:, end - first] - counted[:, begin - first]).astype(float)
        share = np.divide(days_worked, days_open, out=np.zeros_like(days_worked), where=days_open > 0)
        here, still = present[start:stop], idle[start:stop]
        series["operating"] += (here & ~still).sum(axis=1).tolist()
        series["idle"] += (here & still).sum(axis=1).tolist()
        series["jobs_on_plots"] += (here @ staff).tolist()
        series["jobs_active"] += (share @ staff).tolist()
        keep = max(stop - JOBS_WINDOW_DAYS, 0)
        counted, first, start = counted[:, keep - first:], keep, stop
    events = result.firm_events
    sme_event = smes[events["firm"]] if len(events) else np.zeros(0, dtype=bool)
    return {"day": list(range(result.horizon_days)), "smes": int(smes.sum()),
            "jobs_window_days": JOBS_WINDOW_DAYS, **series,
            **{f"{kind}_days": events["time_days"][sme_event & (events["event"] == kind)].tolist()
               for kind in ("entry", "exit", "idle", "restart")}}


def economy_data(result: RunResult) -> dict:
    kinds = np.array(result.firms.kind)
    everyone = np.ones(len(kinds), dtype=bool)
    smes = kinds == "sme"
    data = {"lm3": {"park": list(lm3_rounds(result, everyone))}, "currency": result.currency}
    if smes.any():
        data["lm3"]["sme"] = list(lm3_rounds(result, smes))
    jobs = active_jobs(result)
    data["jobs"] = {kind: float(jobs[kinds == kind].sum()) for kind in dict.fromkeys(kinds)}
    table = io_table(result)
    park = slice(0, table.n_park)
    try:
        income = table.coefficients(table.household_income)
        parts = decompose_output_effects(table.A, income, table.household_consumption)
        values = multipliers(table)
        data["multipliers"] = {"sectors": list(table.sectors[park]),
                               **{k: [float(x) for x in parts[k][park]] for k in ("direct", "indirect", "induced")},
                               "income_type1": [float(x) for x in values["income_type1"][park]],
                               "income_type2": [float(x) for x in values["income_type2"][park]],
                               "final_demand": [float(x) for x in table.final_demand[park]]}
    except ValueError:
        data["multipliers"] = None  # no Leontief solution (see local_economy.economy_metrics)
    return data
