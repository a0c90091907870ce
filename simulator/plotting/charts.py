"""Which charts a result folder gets, built from what the folder holds.

A run folder holds ``chart_data.json``; an experiment folder holds ``summary.csv``,
``differences.csv`` (comparisons) and the chart data of each arm's representative run in its run
folder ``runs/<run_id>/``. ``eipsim plot`` redraws from these files, in either language and at any
resolution, without re-running anything; ``eipsim report`` embeds the charts saved in the folder
(each SVG titled with its :func:`figure_caption`) and draws only those not saved in its language.
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


CAPTIONS = {
    "en": {"material_fate": "By-product fate over time", "network": "Park network and realised exchanges",
           "sankey": "Material flows over the run", "local_economy": "Local economy of the park",
           "discovery": "Exchange links found and under contract over time",
           "comparison": "Indicators by scenario arm: mean and 95 % CI",
           "differences": "Change against the baseline: paired differences with 95 % CI",
           "sweep": "Indicators along the swept parameter"},
    "id": {"material_fate": "Nasib produk samping dari waktu ke waktu",
           "network": "Jaringan kawasan dan pertukaran yang terjadi",
           "sankey": "Aliran material selama simulasi", "local_economy": "Ekonomi lokal kawasan",
           "discovery": "Tautan pertukaran yang ditemukan dan berkontrak dari waktu ke waktu",
           "comparison": "Indikator per skenario: rata-rata dan SK 95 %",
           "differences": "Perubahan terhadap skenario dasar: selisih berpasangan dengan SK 95 %",
           "sweep": "Indikator sepanjang parameter yang disapu"},
}
"""The caption of each chart kind in each language, for a figure with no title of its own."""


def figure_caption(figure, name: str, captions: dict | None = None) -> str:
    """The caption of a chart: the figure's overall title (suptitle) when it has one, else the
    title of its only titled panel, else the fixed caption of the chart ``name``, else ``name``."""
    title = figure.get_suptitle() if hasattr(figure, "get_suptitle") else ""
    if not title.strip():
        titles = [text for ax in figure.axes for loc in ("center", "left", "right")
                  if (text := ax.get_title(loc=loc)).strip()]
        title = titles[0] if len(titles) == 1 else ""
    if not title.strip():
        title = (captions or {}).get(name) or name.replace("_", " ")
    return " ".join(title.split())


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


def experiment_charts(folder: Path) -> tuple[str, ...]:
    """The names of the charts of an experiment folder, in :data:`EXPERIMENT_CHARTS` order: those
    its kind supports (Sobol indices only where ``sensitivity.csv`` has them, not for Morris
    screening; discovery only when its arms' representative runs were kept)."""
    reader = ResultReader(folder)
    plan = reader.plan()
    kind, parameters = plan["kind"], len(plan.get("parameters") or ())
    names = []
    if kind in ("replications", "compare"):
        names.append("comparison")
    if kind == "compare":
        names.append("differences")
    if kind == "sweep" and parameters == 1:
        names.append("sweep")
    if kind == "sweep" and parameters > 1 or kind == "sensitivity":  # a Latin hypercube or a Sobol design
        names.append("sweep_points")
    if kind == "sensitivity" and any(row.get("ST") is not None for row in reader.table("sensitivity.csv")):
        names.append("sobol")
    if reader.arms_with_charts():
        names.append("discovery")
    return tuple(names)


def experiment_figures(folder: Path, lang: str = "en", only: tuple[str, ...] | None = None) -> dict:
    """The figures of an experiment folder, by name (those its kind supports)."""
    from . import compare, discovery_chart, sobol, sweep

    reader = ResultReader(folder)
    plan = reader.plan()
    meta = {"scenario": plan["name"], "seed": plan["root_seed"], "replications": plan["replications"]}
    names = [name for name in experiment_charts(folder) if only is None or name in only]
    summary = reader.table("summary.csv") if set(names) & {"comparison", "sweep", "sweep_points"} else []
    figures = {}
    for name in names:
        if name == "comparison":
            figures[name] = compare.plot_comparison(summary, meta, lang=lang)
        elif name == "differences":
            figures[name] = compare.plot_differences(reader.table("differences.csv"), meta, lang=lang)
        elif name == "sweep":
            figures[name] = sweep.plot_sweep(summary, plan["parameters"][0], meta, lang=lang)
        elif name == "sweep_points":  # each setting's mean against each parameter
            figures[name] = sweep.plot_sweep_points(summary, plan["parameters"], meta, lang=lang)
        elif name == "sobol":
            figures[name] = sobol.plot_sobol(reader.table("sensitivity.csv"), meta, lang=lang)
        elif name == "discovery":
            # each arm's chart data is its representative run: replication 0 of the experiment
            series = {label: reader.chart_data(label)["discovery"] for label in reader.arms_with_charts()}
            drawn = {**meta, "replication": 0, "replication_of_each_arm": True}
            figures[name] = discovery_chart.plot_discovery(series, drawn, lang=lang)
    return figures


def folder_charts(folder: Path) -> tuple[str, ...]:
    """The names of the charts of a run or experiment folder (none for a run kept without its tables)."""
    reader = ResultReader(folder)
    if reader.is_run:
        return RUN_CHARTS if reader.has_tables() else ()
    return experiment_charts(folder)


def folder_figures(folder: Path, lang: str = "en", only: tuple[str, ...] | None = None) -> dict:
    """All figures of a run or experiment folder."""
    reader = ResultReader(folder)
    if reader.is_run:  # a replication of an experiment kept without its tables has no charts
        return run_figures(reader.chart_data(), lang, only) if reader.has_tables() else {}
    return experiment_figures(folder, lang, only)
