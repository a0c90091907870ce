"""Fuzzing every bundled scenario: one random change at a time, never a crash.

Each case changes one place of a bundled scenario (a number, a type, a key, a reference: see
``MUTATIONS``) and validates the result: validation either refuses it with problems that each
name a field and say what is wrong (the command line prints them and exits 2), or accepts it,
and then a short run and its indicators complete without an exception. Cases come from a fixed
seed (``FUZZ_SEED``, so CI sees the same ones; set ``EIPSIM_FUZZ_SEED`` to explore others). The
YAML of each file is parsed once and the mutations act on the loaded document, which keeps the
whole test to a few seconds.
"""

from __future__ import annotations

import copy
import math
import os

import numpy as np
import pytest
from helpers import SCENARIOS

from simulator.errors import ScenarioError
from simulator.loader import LoadedDocument, load_document
from simulator.metrics import compute_metrics
from simulator.model.park import run_scenario
from simulator.validation import build_scenario

FUZZ_SEED = 20261203
CASES_PER_FILE = 25
SHORT_DAYS = 5
FILES = sorted(p.name for p in SCENARIOS.glob("*.yaml"))


def _paths(node, prefix=()):
    """Every place in a loaded document, as a tuple of keys and indices."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield prefix + (key,)
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield prefix + (index,)
            yield from _paths(value, prefix + (index,))


def _number(value, rng):
    return [-value, 0, value * 1e6 + 1, 1e308, -1e308, math.nan, math.inf, True, "ten", None, [value],
            {"x": value}, value / 3, int(rng.integers(-10, 1_000_000))]


def _text(value, rng, ids):
    return ["", "nope", 12, None, value + "x", value[:-1], str(rng.choice(ids)) if ids else value, [value]]


def _mutants(value, rng, ids):
    if isinstance(value, bool):
        return [1, "yes", None, not value, 0.5]
    if isinstance(value, (int, float)):
        return _number(value, rng)
    if isinstance(value, str):
        return _text(value, rng, ids)
    if isinstance(value, (dict, list)):
        return [[], {}, "text", None, 5]
    return [None]


MUTATIONS = ("value", "delete", "rename", "add", "duplicate")


def mutate(data: dict, rng: np.random.Generator) -> tuple[dict, str]:
    """A copy of ``data`` with one random change, and a description of it."""
    data = copy.deepcopy(data)
    paths = list(_paths(data))
    path = paths[int(rng.integers(len(paths)))]
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    ids = [*data.get("materials", {}), *data.get("firms", {})]
    kind = MUTATIONS[int(rng.integers(len(MUTATIONS)))]
    if kind == "delete":
        del parent[last]
    elif kind == "rename" and isinstance(parent, dict):
        parent[f"{last}x" if rng.random() < 0.5 else str(rng.choice(ids))] = parent.pop(last)
    elif kind == "add" and isinstance(parent, dict):
        parent[str(rng.choice(["extra", *ids]))] = 1
    elif kind == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[last]))
    else:
        choices = _mutants(parent[last], rng, ids)
        kind = "value"
        parent[last] = choices[int(rng.integers(len(choices)))]
    shown = "" if kind in ("delete", "rename", "add", "duplicate") else f" = {parent[last]!r}"
    return data, f"{kind} {'.'.join(map(str, path))}{shown}"


@pytest.fixture(scope="module")
def documents():
    return {name: load_document(SCENARIOS / name) for name in FILES}


@pytest.mark.parametrize("name", FILES)
def test_mutated_scenarios_are_refused_with_problems_or_run(documents, name):
    seed = int(os.environ.get("EIPSIM_FUZZ_SEED", FUZZ_SEED))
    rng = np.random.default_rng([seed, FILES.index(name)])
    document = documents[name]
    outcomes = {"refused": 0, "ran": 0}
    for _ in range(CASES_PER_FILE):
        data, change = mutate(document.data, rng)
        mutated = LoadedDocument(data=data, sources=document.sources, file=document.file, chain=document.chain)
        try:
            scenario = build_scenario(mutated)
        except ScenarioError as exc:
            assert exc.problems, change
            for problem in exc.problems:
                assert problem.message and (problem.mark or problem.path), (change, str(problem))
            outcomes["refused"] += 1
            continue
        except Exception as exc:  # noqa: BLE001 - the point of the test
            pytest.fail(f"{name}: {change}: validation raised {type(exc).__name__}: {exc}")
        short = scenario.model_copy(update={"run": scenario.run.model_copy(
            update={"horizon_days": min(scenario.run.horizon_days, SHORT_DAYS), "warmup_days": 0})})
        try:
            compute_metrics(run_scenario(short))
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"{name}: {change}: accepted, but the run raised {type(exc).__name__}: {exc}")
        outcomes["ran"] += 1
    assert outcomes["refused"] and outcomes["ran"], outcomes  # the mutations reach both outcomes
