"""Park network map: firms where they are, realised exchanges as lines whose width is the quantity."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..results import RunResult
from .style import KIND_MARKERS, colour_cycle, footer, new_figure

MAX_WIDTH_PT = 8.0
MAX_LABELLED_FIRMS = 40


def exchanged_per_link(result: RunResult) -> np.ndarray:
    """Quantity moved on each candidate link, per year of the run (material units per year)."""
    return result.links.quantity * 365.0 / result.horizon_days


def plot_network(result: RunResult, ax: Axes | None = None, replications: int = 1) -> Figure:
    """Firms placed by location (marker = kind, size = input mass), candidate links as faint
    dashed lines, realised exchanges coloured by material with width proportional to the
    annual quantity."""
    if ax is None:
        fig = new_figure(9.0, 7.5)
        ax = fig.subplots()
    fig = ax.figure
    firms, links, mats = result.firms, result.links, result.materials
    xy = firms.location_km
    annual = exchanged_per_link(result)
    realised = np.flatnonzero(annual > 0)
    idle = np.flatnonzero(annual <= 0)
    if len(idle):
        ax.add_collection(LineCollection(
            [(xy[links.supplier[i]], xy[links.consumer[i]]) for i in idle],
            colors="#bbbbbb", linewidths=0.6, linestyles="--", zorder=1))
    materials_used = sorted({int(links.material[i]) for i in realised})
    colours = dict(zip(materials_used, colour_cycle(len(materials_used))))
    handles = []
    if len(realised):
        # Quantities of different units are not comparable: widths scale within each unit.
        units = np.array([mats.units[m] for m in links.material[realised]])
        top = {u: annual[realised][units == u].max() for u in set(units)}
        widths = 0.8 + (MAX_WIDTH_PT - 0.8) * annual[realised] / np.array([top[u] for u in units])
        ax.add_collection(LineCollection(
            [(xy[links.supplier[i]], xy[links.consumer[i]]) for i in realised],
            colors=[colours[int(links.material[i])] for i in realised], linewidths=widths, alpha=0.8, zorder=2))
        for i in realised:  # arrowheads show the direction supplier -> consumer
            start, end = xy[links.supplier[i]], xy[links.consumer[i]]
            ax.annotate("", xy=start + 0.75 * (end - start), xytext=start + 0.7 * (end - start),
                        arrowprops=dict(arrowstyle="-|>", color=colours[int(links.material[i])], lw=0),
                        zorder=3)
        for m in materials_used:
            moved = annual[realised][links.material[realised] == m].sum()
            handles.append(Line2D([], [], color=colours[m], lw=3,
                                  label=f"{mats.labels[m]}: {moved:,.0f} {mats.units[m]}/yr"))
    mass_in = (result.totals["consumed"] * mats.mass_t).sum(axis=1)
    size = 30 + 400 * np.sqrt(mass_in / mass_in.max()) if mass_in.max() > 0 else np.full(len(xy), 60.0)
    for kind, marker in KIND_MARKERS.items():
        members = np.array([k == kind for k in firms.kind])
        if members.any():
            ax.scatter(xy[members, 0], xy[members, 1], s=size[members], marker=marker, c="white",
                       edgecolors="#222222", linewidths=1.2, zorder=4)
            handles.append(Line2D([], [], marker=marker, ls="", mfc="white", mec="#222222", ms=8,
                                  label=f"{kind} firm"))
    if len(set(firms.entry)) <= MAX_LABELLED_FIRMS:
        entries = list(firms.entry)
        for entry in dict.fromkeys(entries):  # one label per firm entry, at its first firm
            first, count = entries.index(entry), entries.count(entry)
            text = entry if count == 1 else f"{entry} ×{count}"
            ax.annotate(text, xy[first], xytext=(6, 6), textcoords="offset points", fontsize=7, zorder=5)
    handles.append(Line2D([], [], color="#bbbbbb", ls="--", label="candidate link, no exchange"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
              title="line width: quantity (scaled per unit)\nmarker size: input mass", title_fontsize=8)
    ax.set_aspect("equal", adjustable="datalim")
    ax.autoscale_view()
    ax.margins(0.08)
    ax.set_xlabel("east (km)")
    ax.set_ylabel("north (km)")
    ax.grid(alpha=0.25)
    ax.set_title(f"Park network and realised exchanges — {result.scenario_name}")
    footer(fig, result.scenario_name, result.seed, replications)
    return fig
