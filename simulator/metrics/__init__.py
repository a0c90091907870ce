"""Indicators of a run: material (resource efficiency), network and economy (ledger-based)."""

from __future__ import annotations

from ..results import RunResult


def compute_metrics(result: RunResult) -> dict[str, float]:
    """Every indicator of the registry for one run, as ``{name: value}``."""
    from .employment import jobs_metrics
    from .local_economy import economy_metrics
    from .material import material_metrics, network_metrics

    values: dict[str, float] = {}
    values.update(material_metrics(result))
    values.update(network_metrics(result))
    values.update(economy_metrics(result))
    values.update(jobs_metrics(result))
    return values
