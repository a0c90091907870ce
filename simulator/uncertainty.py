"""Uncertain assumptions: draw the values of a scenario's ``uncertain:`` parameters and apply them.

Replication ``i`` of an experiment draws parameter ``path`` from its own stream,
``SeedSequence(root_seed, spawn_key=(STREAM_TAG, i, crc32(path)))``, by inverse-transform
sampling: one uniform number ``u`` becomes the value ``F^-1(u)`` of the parameter's distribution.
The value depends only on the root seed, the replication and the path, so it is the same in every
arm of a comparison (paired), whatever the engine, the worker count or the other uncertain
parameters; arms that give the same parameter different ranges get values at the same quantile.

A single run without replications uses the point values written in the scenario.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from .config import Scenario

STREAM_TAG = 0x756E63
"""First spawn-key entry of the sampling streams ("unc"): the model's own streams have spawn keys
``(i, k)`` with small ``k``, so the two never share a stream."""


def uniform_draw(root_seed: int, replication: int, path: str) -> float:
    """The uniform number in [0, 1) behind the value of ``path`` in replication ``replication``."""
    seq = np.random.SeedSequence(root_seed, spawn_key=(STREAM_TAG, replication, zlib.crc32(path.encode())))
    return float(np.random.default_rng(seq).random())


def quantile(dist, u):
    """The value of ``dist`` at quantile ``u`` (a number or an array; truncated normal and
    lognormal: within their bounds).

    The lognormal's ``mean`` and ``sd`` are those of the value: sigma^2 = ln(1 + sd^2 / mean^2),
    mu = ln(mean) - sigma^2 / 2 (Law 2015, Simulation Modeling and Analysis, 5th ed., table 6.3).
    """
    from scipy import stats

    kind = dist.distribution
    if kind == "uniform":
        return dist.low + u * (dist.high - dist.low)
    if kind == "triangular":
        width = dist.high - dist.low
        if width == 0:
            return dist.low + 0 * u
        return stats.triang.ppf(u, (dist.mode - dist.low) / width, loc=dist.low, scale=width)
    if kind == "normal":
        frozen = stats.norm(dist.mean, dist.sd)
    else:
        sigma = math.sqrt(math.log1p((dist.sd / dist.mean) ** 2))
        frozen = stats.lognorm(sigma, scale=dist.mean * math.exp(-sigma ** 2 / 2))
    a = frozen.cdf(dist.low) if dist.low is not None else 0.0
    b = frozen.cdf(dist.high) if dist.high is not None else 1.0
    return frozen.ppf(a + u * (b - a))


def support(dist) -> tuple[float, float]:
    """Smallest and largest value ``dist`` can draw (infinite when unbounded; a lognormal's
    smallest is just above 0)."""
    if dist.distribution in ("uniform", "triangular"):
        return dist.low, dist.high
    floor = -math.inf if dist.distribution == "normal" else 0.0
    return (floor if dist.low is None else dist.low), (math.inf if dist.high is None else dist.high)


SCREENING_TAIL = 0.01
"""An unbounded distribution is screened between its 1 % and 99 % quantiles."""


def screening_ranges(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """The range over which a sensitivity design varies each uncertain parameter (sorted by path):
    a uniform's or triangular's bounds; a normal's or lognormal's truncation bounds where given,
    else its 1 % and 99 % quantiles."""
    ranges = {}
    for path in sorted(scenario.uncertain):
        dist = scenario.uncertain[path]
        if dist is None:
            continue
        if dist.distribution in ("uniform", "triangular"):
            ranges[path] = (dist.low, dist.high)
        else:
            ranges[path] = (dist.low if dist.low is not None else float(quantile(dist, SCREENING_TAIL)),
                            dist.high if dist.high is not None else float(quantile(dist, 1 - SCREENING_TAIL)))
    return ranges


def sample(scenario: Scenario, root_seed: int, replication: int) -> dict[str, float]:
    """The values of the uncertain parameters in replication ``replication`` (sorted by path;
    whole numbers for integer fields)."""
    values = {}
    for path in sorted(scenario.uncertain):
        dist = scenario.uncertain[path]
        if dist is None:
            continue
        value = float(quantile(dist, uniform_draw(root_seed, replication, path)))
        point = locate(scenario, path).value
        values[path] = round(value) if isinstance(point, int) and not isinstance(point, bool) else value
    return values


# --------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class Located:
    """Where a dotted path leads in a validated scenario."""

    value: Any
    owner: BaseModel
    """The innermost model (Region, Material, FirmSpec ...) that holds the field."""
    rest: tuple
    """Keys from ``owner`` to the value: the field name, then list or tuple indices."""


class PathError(LookupError):
    """A dotted path that leads nowhere; ``args``: (parts that exist, message, choices)."""


def split(path: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in path.split("."))


def locate(scenario: Scenario, path: str) -> Located:
    """Follow ``path`` (``region.supplier_jobs_per_million``, ``firms.mill.inputs.ffb.local_share``,
    ``firms.mill.location_km.0``) through the scenario; raise :class:`PathError` if it leads nowhere."""
    node: Any = scenario
    owner, rest = scenario, ()
    walked: list = []
    for part in split(path):
        if isinstance(node, BaseModel):
            owner, rest = node, ()
            fields = type(node).model_fields
            if part not in fields:
                raise PathError(".".join(map(str, walked)), f"unknown field '{part}'", list(fields))
            node = getattr(node, part)
        elif isinstance(node, dict):
            if part not in node:
                raise PathError(".".join(map(str, walked)), f"no entry '{part}'", list(node))
            node = node[part]
        elif isinstance(node, (list, tuple)) and isinstance(part, int):
            if part >= len(node):
                raise PathError(".".join(map(str, walked)), f"index {part} is past the end (length {len(node)})", [])
            node = node[part]
        elif node is None:
            raise PathError(".".join(map(str, walked)), f"'{'.'.join(map(str, walked))}' is null in this scenario",
                            [])
        else:
            raise PathError(".".join(map(str, walked)), f"'{'.'.join(map(str, walked))}' has no part '{part}'", [])
        walked.append(part)
        rest += (part,)
    return Located(node, owner, rest)


def _put(data: dict, keys: tuple, value: Any) -> None:
    """Set ``value`` at ``keys`` of dumped model data (tuples on the way become lists)."""
    node = data
    for key in keys[:-1]:
        if isinstance(node[key], tuple):
            node[key] = list(node[key])
        node = node[key]
    node[keys[-1]] = value


def with_owner_value(located: Located, value: float) -> BaseModel:
    """The owner model validated again with ``value`` at the located field (raises
    ``pydantic.ValidationError`` when the field or the owner's own checks refuse it)."""
    data = located.owner.model_dump()
    _put(data, located.rest, value)
    return type(located.owner).model_validate(data)


def apply_values(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """``scenario`` with the sampled ``values`` in place of its point values, validated again.

    A value of ``archetypes.NAME.field`` also goes to every firm entry built from that archetype.
    Raises ``ValueError`` naming each problem when the values break a field's own rules
    (:func:`simulator.validation.sampled_scenario` also checks the levers).
    """
    if not values:
        return scenario
    import pydantic

    data = scenario.model_dump()
    for path, value in values.items():
        keys = split(path)
        targets = [keys]
        if keys[0] == "archetypes" and len(keys) > 2:
            targets += [("firms", fid) + keys[2:] for fid, firm in data["firms"].items()
                        if firm.get("archetype") == keys[1]]
        for target in targets:
            _put(data, target, value)
    try:
        sampled = Scenario.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)]
        raise ValueError(invalid(values, problems)) from None
    return sampled


def invalid(values: dict[str, float], problems: list[str]) -> str:
    drawn = ", ".join(f"{k}={v:.6g}" for k, v in values.items())
    return f"the sampled values ({drawn}) make the scenario invalid: {'; '.join(problems)}"
