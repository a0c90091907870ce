"""Warnings about a valid scenario: things that run, but probably not as the author meant.

Errors (:class:`~simulator.errors.ScenarioError`) stop a command; warnings do not. They are
:class:`~simulator.errors.Problem` objects like errors (file:line:col, field, message, hint),
printed by :func:`~simulator.errors.warnings_report` with exit code 0. Found on the composed park
and its candidate links (:mod:`simulator.network`):

- a firm that can never produce: an input that cannot be bought (a by-product or utility) reaches
  it over no candidate link;
- a by-product that nothing in the park can take (no candidate link leaves the firm with it);
- an isolated firm: no candidate link in or out;
- a firm without employees or wages in a park whose other firms have them (its jobs and wages are
  missing from LM3 and the multipliers).

Generated firms (``count``, IKM firms of the land lever) are reported once per entry or archetype.
Run-time notes on one run (:func:`run_warnings`) use the same form without a place in a file.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

import numpy as np

from .compose import ENTRANT_PREFIX, SENTRA_ID, compose
from .config import LOSS_KEY, Scenario
from .errors import Problem
from .loader import SourceMap, format_path
from .network import build_network
from .storage import row_blocks


def scenario_warnings(scenario: Scenario, sources: SourceMap | None = None) -> list[Problem]:
    """Warnings about a validated scenario, each with its place in the file when ``sources`` has it."""
    composed = compose(scenario)
    network = build_network(composed)
    firms, materials = network.firms, network.materials
    links = network.links
    incoming: dict[int, set[int]] = defaultdict(set)
    outgoing: dict[int, set[int]] = defaultdict(set)
    for s, c, m in zip(links.supplier.tolist(), links.consumer.tolist(), links.material.tolist()):
        outgoing[s].add(m)
        incoming[c].add(m)
    pooled = defaultdict(set)
    for member, m in network.pooled:
        pooled[member].add(m)
    index = {name: i for i, name in enumerate(materials)}
    used_anywhere = {name for f in firms for name in f.spec.inputs} | {
        sub for f in firms for inp in f.spec.inputs.values() for sub in inp.substitutes}
    staffed = any(f.spec.employees > 0 and f.spec.wage_per_year > 0 for f in firms)

    found: dict[tuple, tuple[str, str]] = {}  # (path, kind) -> (message, hint): once per entry
    for i, firm in enumerate(firms):
        if firm.id == SENTRA_ID or firm.id.startswith(ENTRANT_PREFIX):
            continue  # the centre is a service; dormant entrants only may enter
        path = _written_at(firm, scenario)
        name = firm.entry if path[0] == "firms" else f"the IKM firms of archetype '{path[1]}'"
        spec = firm.spec
        starved = [m for m in spec.inputs
                   if composed.materials[m].category in ("byproduct", "utility") and index[m] not in incoming[i]]
        for m in starved:
            found.setdefault((path + ("inputs", m), "starved"), (
                f"{_quote(name)} can never produce: its input '{m}' is a {composed.materials[m].category} "
                "that cannot be bought, and no firm in the park can deliver it",
                "add a firm that outputs it within reach, list an exchange, or make it a substitute"))
        if not incoming[i] and not outgoing[i] and not pooled[i] and not starved:
            found.setdefault((path, "isolated"), (
                f"{_quote(name)} has no candidate exchange link: it neither supplies nor takes any "
                "by-product in the park", "check its outputs, inputs and substitutes and network.max_distance_km"))
        elif incoming[i] or outgoing[i] or pooled[i]:
            for m in spec.output_materials:
                if m == LOSS_KEY or index[m] in outgoing[i] or index[m] in pooled[i]:
                    continue
                why = ("no firm in the park uses it" if m not in used_anywhere else
                       "the firms that use it are out of reach or may not receive it")
                found.setdefault((path + ("outputs", m), "untaken"), (
                    f"nothing can take the '{m}' of {_quote(name)} ({why}): all of it is disposed", ""))
        if staffed and (spec.employees <= 0 or spec.wage_per_year <= 0):
            missing = "employees" if spec.employees <= 0 else "wage_per_year"
            found.setdefault((path, "unstaffed"), (
                f"{_quote(name)} has no {missing}: its jobs and wages are missing from LM3, the jobs "
                "and the income multipliers, while other firms have them", f"give it `{missing}`"))
    return [Problem(message, path=format_path(path), mark=sources.lookup(path) if sources else None, hint=hint)
            for (path, _), (message, hint) in found.items()]


def _written_at(firm, scenario: Scenario) -> tuple:
    """Where a simulated firm was written: its firm entry, or the archetype of an IKM firm."""
    if firm.entry in scenario.firms:
        return ("firms", firm.entry)
    return ("archetypes", firm.spec.archetype) if firm.spec.archetype else ("firms", firm.entry)


def _quote(name: str) -> str:
    return name if name.startswith("the IKM firms") else f"'{name}'"


def run_warnings(result) -> list[Problem]:
    """Notes on one finished run (``notes`` of its manifest, one line each in the run's terminal
    table): firms in the park that produced nothing over the whole run."""
    info = result.firms
    present = np.asarray(info.present_at_start) | np.asarray(info.present_at_end)
    produced = np.zeros(len(info.ids), dtype=bool)  # produced anything (outputs are never negative)
    for output, in row_blocks(result.output):
        produced |= (output > 0).any(axis=0)
    silent = [fid for fid, here, made in zip(info.ids, present.tolist(), produced.tolist())
              if here and not made and fid != SENTRA_ID]
    if not silent:
        return []
    shown = ", ".join(silent[:10]) + (f" and {len(silent) - 10} more" if len(silent) > 10 else "")
    return [Problem(f"{len(silent)} firm(s) produced nothing in {result.horizon_days} days: {shown}",
                    hint="`eipsim validate` warns about firms that can never produce")]


def unique(problems: Iterable[Problem]) -> list[Problem]:
    """Problems without repeats, in their first order (the same warning from a file and its variants)."""
    return list(dict.fromkeys(problems))
