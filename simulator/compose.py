"""The compose stage: a validated scenario made into the one the model runs, once, before the model.

The loader applies ``extends``, variants and ``--set`` overrides and validation merges archetypes
into firms; :func:`compose` then realises the levers and lays out the firms, and checks the
result as a whole. The :class:`ComposedScenario` it returns is frozen; :class:`ParkModel
<simulator.model.park.ParkModel>` accepts nothing else, and an experiment composes each arm once
for all its replications (an arm with ``uncertain:`` parameters once per draw).

:func:`realise` returns a scenario in which

* the IKM land (``sme.land_share`` of ``park.area_ha``, ``sme.plot_ha`` per firm) is filled with
  SME firms of the archetype mix, placed on a grid in the IKM zone, leaving ``sme.vacant_share``
  of the plots vacant (spread evenly);
* with ``viability.entry``, ``candidates_per_archetype`` dormant entrants of each archetype of the
  mix wait in the zone (on the vacant plots first): the model lets one in when it takes a plot;
* anchors buy ``sme.linkage`` of the products that park SMEs make from those SMEs;
* an IKM centre (``sentra``) is a firm of its own (kind ``service``): it employs the facilitator
  and store staff, runs the shared store into which members' by-products are pooled, and its
  members' fixed costs shrink by the shared-facility saving.

Everything is deterministic (no random numbers): every replication and variant of a scenario
sees the same firms and the same layout, so the user's scenario (what the result folder records
as ``scenario.resolved.yaml``) composes to the same park again.
"""

from __future__ import annotations

import math

from pydantic import PrivateAttr

from .config import FirmSpec, Material, Scenario
from .errors import Problem, ScenarioError
from .layout import FirmInstance, expand_firms, grid_offsets, plot_spacing_km

SENTRA_ID = "sentra"
SENTRA_SERVICE = "sentra_services"
IKM_PREFIX = "ikm"
ENTRANT_PREFIX = "ikm_entrant_"
"""Ids of dormant entrants: firms of the IKM mix that may take a vacant plot during a run."""
ZONE_OFFSET_KM = 1.0


class ComposedScenario(Scenario):
    """A scenario with its levers realised (IKM firms, linkage, the IKM centre) and its firms laid
    out (:attr:`instances`): what the model runs. Made only by :func:`compose`."""

    _instances: tuple[FirmInstance, ...] = PrivateAttr(default=())

    @property
    def instances(self) -> tuple[FirmInstance, ...]:
        """Every simulated firm with its place, in scenario order (:func:`layout.expand_firms`)."""
        return self._instances


def compose(scenario: Scenario) -> ComposedScenario:
    """The scenario as simulated: levers realised, firms laid out, checked as a whole.

    A composed scenario is returned as it is (composing twice changes nothing).

    Raises
    ------
    ScenarioError
        When the realised park is inconsistent (a generated firm id already taken).
    """
    if isinstance(scenario, ComposedScenario):
        return scenario
    problems = composition_problems(scenario)
    if problems:
        raise ScenarioError([Problem(msg, path=".".join(map(str, path)), hint=hint) for path, msg, hint in problems])
    realised = realise(scenario)
    composed = ComposedScenario.model_construct(realised.model_fields_set, **dict(realised))
    composed._instances = tuple(expand_firms(composed.firms))
    return composed


def composition_problems(scenario: Scenario) -> list[tuple[tuple, str, str]]:
    """Problems of the realised park of a scenario whose parts are valid, as (path, message, hint):
    ids of IKM firms created on the IKM land that the scenario's firms already use."""
    if scenario.sme.land_share <= 0 or scenario.park.area_ha is None:
        return []
    taken = {fid: fid for fid in scenario.firms}
    taken.update((inst.id, inst.entry) for inst in expand_firms(scenario.firms))
    zone = scenario.sme.zone_km or _default_zone(dict(scenario.firms))
    return [(("sme", "mix", spec.archetype), f"the IKM firm '{fid}' created on the IKM land has the id of a firm "
             f"of entry '{taken[fid]}'", f"rename firm entry '{taken[fid]}'")
            for fid, spec in _ikm_firms(scenario, zone).items() if fid in taken]


def ikm_firm_counts(land_ha: float, plot_ha: float, mix: dict[str, float]) -> dict[str, int]:
    """Number of IKM firms per archetype: floor(land / plot) firms split by the mix weights
    (largest-remainder rounding, ties to the archetype listed first)."""
    return _split(math.floor(land_ha / plot_ha + 1e-9), mix)


def vacant_plot_numbers(plots: int, vacant_share: float) -> list[int]:
    """Which of ``plots`` IKM plots (0-based, in grid order) are vacant on day 0: round(plots x
    share) of them, spread evenly over the zone."""
    vacant = round(plots * vacant_share)
    return [k for k in range(plots) if (k + 1) * vacant // plots > k * vacant // plots]


def vacant_plots(scenario: Scenario) -> list[str]:
    """Identities of the IKM plots vacant on day 0 (``ikm_plot_K``, K from 1 in grid order)."""
    sme = scenario.sme
    if sme.land_share <= 0:
        return []
    plots = math.floor(scenario.park.area_ha * sme.land_share / sme.plot_ha + 1e-9)
    return [f"{IKM_PREFIX}_plot_{k + 1}" for k in vacant_plot_numbers(plots, sme.vacant_share)]


def _split(total: int, mix: dict[str, float]) -> dict[str, int]:
    if total <= 0 or not mix:
        return {name: 0 for name in mix}
    weight = sum(mix.values())
    quotas = {name: total * w / weight for name, w in mix.items()}
    counts = {name: math.floor(q) for name, q in quotas.items()}
    order = sorted(mix, key=lambda name: (-(quotas[name] - counts[name]), list(mix).index(name)))
    for name in order[:total - sum(counts.values())]:
        counts[name] += 1
    return counts


def realise(scenario: Scenario) -> Scenario:
    """The scenario as simulated: levers expanded into firms and shares (module docstring)."""
    firms = dict(scenario.firms)
    zone = scenario.sme.zone_km or _default_zone(firms)
    if scenario.sme.land_share > 0:
        firms.update(_ikm_firms(scenario, zone))
    if scenario.sme.linkage > 0:
        firms = _with_linkage(scenario, firms)
    materials = dict(scenario.materials)
    exchanges = list(scenario.exchanges)
    if scenario.sentra is not None:
        members = sentra_members(scenario.sentra, firms)
        firms = _with_sentra(scenario, firms, members, zone if scenario.sme.land_share > 0 else None)
        materials[SENTRA_SERVICE] = Material(label="IKM centre services", unit="pcs", category="product")
        if scenario.sentra.pooling:
            # a member's listed exchange of a pooled by-product is supplied from the centre's store
            exchanges = [ex.model_copy(update={"supplier": SENTRA_ID})
                         if ex.supplier in members and materials[ex.material].is_poolable else ex
                         for ex in exchanges]
    return scenario.model_copy(update={"firms": firms, "materials": materials, "exchanges": exchanges})


def _default_zone(firms: dict[str, FirmSpec]) -> tuple[float, float]:
    located = [f.location_km for f in firms.values() if f.location_km is not None]
    if not located:
        return (0.0, 0.0)
    xs, ys = [p[0] for p in located], [p[1] for p in located]
    return (max(xs) + ZONE_OFFSET_KM, (min(ys) + max(ys)) / 2)


def _ikm_firms(scenario: Scenario, zone: tuple[float, float]) -> dict[str, FirmSpec]:
    """IKM firms on the occupied plots, then the dormant entrants (module docstring)."""
    sme = scenario.sme
    plots = math.floor(scenario.park.area_ha * sme.land_share / sme.plot_ha + 1e-9)
    vacant = set(vacant_plot_numbers(plots, sme.vacant_share))
    counts = _split(plots - len(vacant), sme.mix)
    names = [name for name, n in counts.items() for _ in range(n)]
    offsets = grid_offsets(plots, plot_spacing_km(sme.plot_ha))
    occupied = [offsets[k] for k in range(plots) if k not in vacant]
    created, serial = {}, {name: 0 for name in counts}

    def place(fid: str, name: str, offset: tuple[float, float]) -> None:
        created[fid] = scenario.archetypes[name].model_copy(update={
            "archetype": name, "count": 1, "plot_ha": sme.plot_ha,
            "location_km": (zone[0] + offset[0], zone[1] + offset[1])})

    for name, offset in zip(names, occupied):
        serial[name] += 1
        place(f"{IKM_PREFIX}_{name}_{serial[name]}", name, offset)
    entry = scenario.viability.entry if scenario.viability is not None else None
    if entry is not None and plots > 0:
        # entrants wait on the vacant plots first; a plot vacated later is one of these places
        places = [offsets[k] for k in sorted(vacant)] or offsets
        pool = [(name, k) for name in sme.mix for k in range(1, entry.candidates_per_archetype + 1)]
        for j, (name, k) in enumerate(pool):
            place(f"{ENTRANT_PREFIX}{name}_{k}", name, places[j % len(places)])
    return created


def _with_linkage(scenario: Scenario, firms: dict[str, FirmSpec]) -> dict[str, FirmSpec]:
    sme_products = {f.product.material for f in firms.values() if f.kind == "sme"}
    linked = {}
    for fid, spec in firms.items():
        if spec.kind == "anchor" and any(m in sme_products for m in spec.inputs):
            inputs = {m: (inp.model_copy(update={"park_share": max(inp.park_share, scenario.sme.linkage)})
                          if m in sme_products else inp) for m, inp in spec.inputs.items()}
            spec = spec.model_copy(update={"inputs": inputs})
        linked[fid] = spec
    return linked


def sentra_members(sentra, firms: dict[str, FirmSpec]) -> set[str]:
    """Ids of the firm entries that belong to the IKM centre."""
    if sentra.members == "all_sme":
        return {fid for fid, spec in firms.items() if spec.kind == "sme"}
    return {fid for fid in firms if fid in sentra.members}


def _with_sentra(scenario: Scenario, firms: dict[str, FirmSpec], members: set[str],
                 zone: tuple[float, float] | None) -> dict[str, FirmSpec]:
    sentra = scenario.sentra
    place = sentra.location_km or zone or _centroid([firms[m] for m in members]) or (0.0, 0.0)
    updated = {fid: (spec.model_copy(update={"fixed_cost_per_year": spec.fixed_cost_per_year
                                             * (1 - sentra.fixed_cost_sharing)}) if fid in members else spec)
               for fid, spec in firms.items()}
    updated[SENTRA_ID] = FirmSpec(
        label="IKM centre (sentra)", kind="service", sector="N8299 IKM centre", location_km=place,
        product={"material": SENTRA_SERVICE, "capacity_per_day": 1.0},
        employees=sentra.staff, wage_per_year=sentra.wage_per_year, local_staff_share=1.0,
        fixed_cost_per_year=sentra.fixed_cost_per_year, fixed_cost_local_share=1.0)
    return updated


def _centroid(specs: list[FirmSpec]) -> tuple[float, float] | None:
    located = [s.location_km for s in specs if s.location_km is not None]
    if not located:
        return None
    return (sum(p[0] for p in located) / len(located), sum(p[1] for p in located) / len(located))
