"""Park network map: firms where they are, realised exchanges as lines whose width is the quantity."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .style import KIND_MARKERS, OKABE_ITO, colour_cycle, footer, label, new_figure

MAX_WIDTH_PT = 8.0
MAX_LABELLED_FIRMS = 40
DASHES = ("solid", (0, (4, 2)), (0, (1, 1.5)))
"""Line styles that tell apart materials beyond the eight colours of the palette."""

LABELS = {
    "en": {"title": "Park network and realised exchanges — {scenario}", "x": "east (km)", "y": "north (km)",
           "firm": "{kind} firm", "idle": "candidate link, no exchange",
           "legend": "line width: quantity (scaled per unit)\nmarker size: input mass", "per_year": "{unit}/yr"},
    "id": {"title": "Jaringan kawasan dan pertukaran yang terjadi — {scenario}", "x": "timur (km)",
           "y": "utara (km)", "firm": "perusahaan {kind}", "idle": "tautan kandidat, tanpa pertukaran",
           "legend": "lebar garis: kuantitas (per satuan)\nukuran penanda: massa input", "per_year": "{unit}/thn"},
}
KIND_NAMES = {"id": {"anchor": "jangkar", "sme": "IKM", "recycler": "daur ulang", "utility": "utilitas",
                     "service": "layanan"}}


def plot_network(data: dict, ax: Axes | None = None, lang: str = "en") -> Figure:
    """Firms placed by location (marker = kind, size = input mass), candidate links as faint
    dashed lines, realised exchanges coloured by material with width proportional to the
    annual quantity (scaled within each unit)."""
    if ax is None:
        fig = new_figure(9.0, 7.5)
        ax = fig.subplots()
    fig = ax.figure
    net, meta = data["network"], data["meta"]
    text = lambda key, **kw: label(LABELS, key, lang, **kw)  # noqa: E731
    firms = net["firms"]
    index = {f["id"]: i for i, f in enumerate(firms)}
    xy = np.array([(f["x_km"], f["y_km"]) for f in firms], dtype=float).reshape(-1, 2)
    links = net["links"]
    realised = [k for k in links if k["annual_quantity"] > 0]
    idle = [k for k in links if k["annual_quantity"] <= 0]
    ends = lambda k: (xy[index[k["supplier"]]], xy[index[k["consumer"]]])  # noqa: E731
    if idle:
        ax.add_collection(LineCollection([ends(k) for k in idle], colors="#bbbbbb", linewidths=0.6,
                                         linestyles="--", zorder=1))
    materials = list(dict.fromkeys(k["material"] for k in realised))
    colours = dict(zip(materials, colour_cycle(len(materials))))
    dashes = {m: DASHES[(k // len(OKABE_ITO)) % len(DASHES)] for k, m in enumerate(materials)}
    handles = []
    if realised:
        # quantities of different units are not comparable: widths scale within each unit
        top = {}
        for k in realised:
            top[k["unit"]] = max(top.get(k["unit"], 0.0), k["annual_quantity"])
        segments = [_offset(*ends(k), _rank(k, realised)) for k in realised]
        widths = [0.8 + (MAX_WIDTH_PT - 0.8) * k["annual_quantity"] / top[k["unit"]] for k in realised]
        ax.add_collection(LineCollection(segments, colors=[colours[k["material"]] for k in realised],
                                         linestyles=[dashes[k["material"]] for k in realised],
                                         linewidths=widths, alpha=0.8, zorder=2))
        for k, (start, end) in zip(realised, segments):  # arrowheads: supplier -> consumer
            ax.annotate("", xy=start + 0.75 * (end - start), xytext=start + 0.7 * (end - start),
                        arrowprops=dict(arrowstyle="-|>", color=colours[k["material"]], lw=0), zorder=3)
        for m in materials:
            members = [k for k in realised if k["material"] == m]
            moved = sum(k["annual_quantity"] for k in members)
            handles.append(Line2D([], [], color=colours[m], lw=3, ls=dashes[m],
                                  label=f"{members[0]['label']}: {moved:,.0f} {text('per_year', unit=members[0]['unit'])}"))
    mass_in = np.array([f["input_t"] for f in firms], dtype=float)
    size = 30 + 400 * np.sqrt(mass_in / mass_in.max()) if len(mass_in) and mass_in.max() > 0 else np.full(len(xy), 60.0)
    kinds = [f["kind"] for f in firms]
    for kind, marker in KIND_MARKERS.items():
        members = np.array([k == kind for k in kinds])
        if members.any():
            ax.scatter(xy[members, 0], xy[members, 1], s=size[members], marker=marker, c="white",
                       edgecolors="#222222", linewidths=1.2, zorder=4)
            handles.append(Line2D([], [], marker=marker, ls="", mfc="white", mec="#222222", ms=8,
                                  label=text("firm", kind=KIND_NAMES.get(lang, {}).get(kind, kind))))
    entries = [f["entry"] for f in firms]
    if len(set(entries)) <= MAX_LABELLED_FIRMS:
        for entry in dict.fromkeys(entries):  # one label per firm entry, at its first firm
            first, count = entries.index(entry), entries.count(entry)
            ax.annotate(entry if count == 1 else f"{entry} ×{count}", xy[first], xytext=(6, 6),
                        textcoords="offset points", fontsize=7, zorder=5)
    if idle:
        handles.append(Line2D([], [], color="#bbbbbb", ls="--", label=text("idle")))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
              title=text("legend"), title_fontsize=8)
    ax.set_aspect("equal", adjustable="datalim")
    ax.autoscale_view()
    ax.margins(0.08)
    ax.set_xlabel(text("x"))
    ax.set_ylabel(text("y"))
    ax.grid(alpha=0.25)
    ax.set_title(text("title", scenario=meta["scenario"]))
    footer(fig, meta, lang)
    return fig


def _rank(link: dict, realised: list[dict]) -> tuple[int, int]:
    """Position of a link among the realised links joining the same two firms, and their count."""
    pair = {link["supplier"], link["consumer"]}
    same = [k for k in realised if {k["supplier"], k["consumer"]} == pair]
    return same.index(link), len(same)


def _offset(start: np.ndarray, end: np.ndarray, rank: tuple[int, int]) -> np.ndarray:
    """Shift parallel links apart sideways so each stays visible."""
    k, n = rank
    if n == 1:
        return np.array([start, end])
    direction = end - start
    length = np.hypot(*direction) or 1.0
    normal = np.array([-direction[1], direction[0]]) / length
    shift = (k - (n - 1) / 2) * 0.04 * max(length, 0.5)
    return np.array([start + normal * shift, end + normal * shift])
