"""Which charts a result folder gets, built from what the folder holds.

A run folder holds ``chart_data.json``; an experiment folder holds ``summary.csv``,
``differences.csv`` (comparisons) and the chart data of each arm's representative run in its run
folder ``runs/<run_id>/``. ``eipsim plot`` and ``eipsim report`` redraw from these files, in either
language and at any resolution, without re-running anything.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..errors import EipsimError
from ..result_reader import ResultReader

RUN_CHARTS = ("material_fate", "network", "sankey", "local_economy", "discovery", "firms")
EXPERIMENT_CHARTS = ("comparison", "differences", "sweep", "sweep_points", "sobol", "discovery")
MIN_DPI, MAX_DPI = 10, 2400
"""Resolutions of PNG charts accepted by :func:`check_dpi`."""


def check_dpi(dpi) -> int:
    """``dpi`` as a resolution for PNG charts, or an EipsimError that says what is wrong
    (matplotlib would fail deep inside with a ValueError)."""
    try:
        value = float(dpi)
    except (TypeError, ValueError):
        raise EipsimError(f"the resolution of PNG charts (dpi) must be a number, got {dpi!r}") from None
    if math.isnan(value) or value < MIN_DPI or value > MAX_DPI:
        raise EipsimError(f"the resolution of PNG charts (dpi) must be between {MIN_DPI} and {MAX_DPI}, got {dpi!r}")
    return int(value) if value == int(value) else value


def run_chart(name: str, data: dict, lang: str):
    """One chart of a run from its chart data."""
    from . import discovery_chart, economy, fate, firms, network_map, sankey

    if name == "material_fate":
        return fate.plot_material_fate(data, lang=lang)
    if name == "network":
        return network_map.plot_network(data, lang=lang)
    if name == "sankey":
        return sankey.plot_sankey(data, lang=lang)
    if name == "local_economy":
        return economy.plot_local_economy(data, lang=lang)
    if name == "discovery":
        return discovery_chart.plot_discovery({data["meta"]["scenario"]: data["discovery"]}, data["meta"], lang=lang)
    if name == "firms":
        return firms.plot_firms(data, lang=lang)
    raise KeyError(name)


def run_figures(data: dict, lang: str = "en", only: tuple[str, ...] | None = None) -> dict:
    """The figures of a single run, by name."""
    return {name: run_chart(name, data, lang) for name in RUN_CHARTS if only is None or name in only}


def experiment_figures(folder: Path, lang: str = "en", only: tuple[str, ...] | None = None) -> dict:
    """The figures of an experiment folder, by name (those its kind supports)."""
    from . import compare, discovery_chart, sobol, sweep

    reader = ResultReader(folder)
    plan = reader.plan()
    summary = reader.table("summary.csv")
    meta = {"scenario": plan["name"], "seed": plan["root_seed"], "replications": plan["replications"]}
    wanted = lambda name: only is None or name in only  # noqa: E731
    figures = {}
    if plan["kind"] in ("replications", "compare") and wanted("comparison"):
        figures["comparison"] = compare.plot_comparison(summary, meta, lang=lang)
    if plan["kind"] == "compare" and wanted("differences"):
        figures["differences"] = compare.plot_differences(reader.table("differences.csv"), meta, lang=lang)
    if plan["kind"] == "sweep" and len(plan["parameters"]) == 1 and wanted("sweep"):
        figures["sweep"] = sweep.plot_sweep(summary, plan["parameters"][0], meta, lang=lang)
    if ((plan["kind"] == "sweep" and len(plan["parameters"]) > 1 or plan["kind"] == "sensitivity")
            and wanted("sweep_points")):
        # a Latin hypercube or a Sobol design: each setting's mean against each parameter
        figures["sweep_points"] = sweep.plot_sweep_points(summary, plan["parameters"], meta, lang=lang)
    sobol_rows = reader.table("sensitivity.csv") if plan["kind"] == "sensitivity" else []
    if any(row.get("ST") is not None for row in sobol_rows) and wanted("sobol"):  # Morris screening has none
        figures["sobol"] = sobol.plot_sobol(sobol_rows, meta, lang=lang)
    series = {label: reader.chart_data(label)["discovery"] for label in reader.arms_with_charts()}
    if series and wanted("discovery"):
        # each arm's chart data is its representative run: replication 0 of the experiment
        drawn = {**meta, "replication": 0, "replication_of_each_arm": True}
        figures["discovery"] = discovery_chart.plot_discovery(series, drawn, lang=lang)
    return figures


def folder_figures(folder: Path, lang: str = "en", only: tuple[str, ...] | None = None) -> dict:
    """All figures of a run or experiment folder."""
    reader = ResultReader(folder)
    if reader.is_run:  # a replication of an experiment kept without its tables has no charts
        return run_figures(reader.chart_data(), lang, only) if reader.has_tables() else {}
    return experiment_figures(folder, lang, only)
