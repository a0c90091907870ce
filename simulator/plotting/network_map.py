"""Park network map: firms where they are, realised exchanges as lines whose width is the quantity.

The map keeps one km scale on both axes. A firm far from all the others (a cement works 200 km
away would shrink the rest of the park to a dot) is not drawn at its place: it sits on the edge
of the frame in its true direction, hollow, with its distance and direction in its label, and its
exchanges run to it there.

For whoever tests the chart: the firm markers are scatter collections with ``gid="firms:<kind>"``
(one point per firm), realised exchanges one LineCollection ``gid="exchanges"`` (one segment and
one width per exchange, in the order of ``data["network"]["links"]``), candidate links without an
exchange one LineCollection ``gid="candidates"``, firm labels texts with ``gid="firm-label"``, the
scale bar a line ``gid="scale-bar"`` with a text ``gid="scale-bar-label"``. Positions are km east and
north; for an imported estate (``meta.geo_origin``) they are real places, projected from latitude and
longitude around that origin, which the map names.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..vocabulary import KIND_NAMES, number, readable, unit_name
from .style import KIND_MARKERS, OKABE_ITO, footer, label, material_colours, new_figure

MAX_WIDTH_PT = 8.0
MAX_LABELLED_FIRMS = 24
"""Firm entries labelled at most, largest output first (labels that would overlap are left out)."""
FAR_FACTOR, FAR_MIN_KM = 4.0, 5.0
"""A firm is 'far' (drawn at the frame's edge) when it is more than FAR_FACTOR times the typical
distance of the firms from the park's centre (75th percentile) and more than FAR_MIN_KM away."""
DASHES = ("solid", (0, (4, 2)), (0, (1, 1.5)))
"""Line styles that tell apart materials beyond the eight colours of the palette."""
COMPASS = ("E", "NE", "N", "NW", "W", "SW", "S", "SE")
COMPASS_ID = {"E": "T", "NE": "TL", "N": "U", "NW": "BL", "W": "B", "SW": "BD", "S": "S", "SE": "TG"}

LABELS = {
    "en": {"title": "Park network and realised exchanges — {scenario}", "x": "east (km)", "y": "north (km)",
           "firm": "{kind} firm", "idle": "candidate link, no exchange",
           "legend": "line width: quantity (scaled per unit)\nmarker area: {size}",
           "size_t": "product output (t)", "size_value": "product sales ({currency})", "size_input": "input mass (t)",
           "per_year": "{unit}/yr", "far": "{entry}\n{km} km {direction}, off the map",
           "far_legend": "hollow at the edge: firm far away (distance in label)",
           "geo": "(0, 0) = {lat} {lon}, local equirectangular projection"},
    "id": {"title": "Jaringan kawasan dan pertukaran yang terjadi — {scenario}", "x": "timur (km)",
           "y": "utara (km)", "firm": "perusahaan {kind}", "idle": "tautan kandidat, tanpa pertukaran",
           "legend": "lebar garis: kuantitas (per satuan)\nluas penanda: {size}",
           "size_t": "output produk (t)", "size_value": "penjualan produk ({currency})",
           "size_input": "massa input (t)", "per_year": "{unit}/thn",
           "far": "{entry}\n{km} km ke {direction}, di luar peta",
           "far_legend": "kosong di tepi: perusahaan jauh (jarak pada label)",
           "geo": "(0, 0) = {lat} {lon}, proyeksi ekuirektangular lokal"},
}


def firm_sizes(firms: list[dict]) -> tuple[np.ndarray, str]:
    """What the marker areas show and its key in LABELS: the mass of the firms' products when every
    producing firm's products have a mass, else their sales value (old chart data: input mass)."""
    if firms and "output_t" in firms[0]:
        mass = np.array([f.get("output_t", 0.0) for f in firms], dtype=float)
        value = np.array([f.get("output_value", 0.0) for f in firms], dtype=float)
        if np.any((mass <= 0) & (value > 0)):
            return value, "size_value"
        return mass, "size_t"
    return np.array([f.get("input_t", 0.0) for f in firms], dtype=float), "size_input"


def far_firms(xy: np.ndarray) -> np.ndarray:
    """Which firms are far from the rest (see FAR_FACTOR), as a boolean mask."""
    if len(xy) < 3:
        return np.zeros(len(xy), dtype=bool)
    centre = np.median(xy, axis=0)
    distance = np.hypot(*(xy - centre).T)
    typical = max(float(np.percentile(distance, 75)), 0.5)
    return (distance > FAR_FACTOR * typical) & (distance > FAR_MIN_KM)


def plot_network(data: dict, ax: Axes | None = None, lang: str = "en") -> Figure:
    """Firms placed by location (marker = kind, area = product output), candidate links as faint
    dashed lines, realised exchanges coloured by material with width proportional to the
    annual quantity (scaled within each unit); far-away firms at the frame's edge (see the module
    docstring); the largest firms labelled where their labels do not overlap."""
    net, meta = data["network"], data["meta"]
    firms = net["firms"]
    xy_true = np.array([(f["x_km"], f["y_km"]) for f in firms], dtype=float).reshape(-1, 2)
    far = far_firms(xy_true)
    near = xy_true[~far] if (~far).any() else xy_true
    low, high = near.min(axis=0), near.max(axis=0)
    span = np.maximum(high - low, 0.5)
    pad = 0.08 * span.max()
    x0, x1, y0, y1 = low[0] - pad, high[0] + pad, low[1] - pad, high[1] + pad
    if ax is None:
        # the figure takes the map's shape (one km scale on both axes) and the legend's height
        aspect = (y1 - y0) / (x1 - x0)
        map_w = 7.5 if aspect < 0.6 else 6.5 if aspect < 1 else max(6.5 / aspect, 4.5)
        rows = 3 + len({k["material"] for k in net["links"] if k["annual_quantity"] > 0}) \
            + len({f["kind"] for f in firms}) + bool(far.any()) + any(k["annual_quantity"] <= 0 for k in net["links"])
        height = max(map_w * aspect + 1.4, 1.0 + 0.19 * rows)
        fig = new_figure(map_w + 4.6, float(np.clip(height, 3.8, 9.0)))
        ax = fig.subplots()
    fig = ax.figure
    text = lambda key, **kw: label(LABELS, key, lang, **kw)  # noqa: E731
    index = {f["id"]: i for i, f in enumerate(firms)}
    xy = xy_true.copy()
    if far.any():
        centre = (near.min(axis=0) + near.max(axis=0)) / 2
        for i in np.flatnonzero(far):
            xy[i] = _to_edge(centre, xy_true[i], (x0, x1, y0, y1), inset=0.35 * pad)
    links = net["links"]
    realised = [k for k in links if k["annual_quantity"] > 0]
    idle = [k for k in links if k["annual_quantity"] <= 0]
    ends = lambda k: (xy[index[k["supplier"]]], xy[index[k["consumer"]]])  # noqa: E731
    if idle:
        ax.add_collection(LineCollection([ends(k) for k in idle], colors="#bbbbbb", linewidths=0.6,
                                         linestyles="--", zorder=1, gid="candidates"))
    materials = list(dict.fromkeys(k["material"] for k in realised))
    colours = material_colours(materials)
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
                                         linewidths=widths, alpha=0.8, zorder=2, gid="exchanges"))
        for k, (start, end) in zip(realised, segments):  # arrowheads: supplier -> consumer
            ax.annotate("", xy=start + 0.75 * (end - start), xytext=start + 0.7 * (end - start),
                        arrowprops=dict(arrowstyle="-|>", color=colours[k["material"]], lw=0), zorder=3)
        for m in materials:
            members = [k for k in realised if k["material"] == m]
            moved = sum(k["annual_quantity"] for k in members)
            unit = text("per_year", unit=unit_name(members[0]["unit"]))
            handles.append(Line2D([], [], color=colours[m], lw=3, ls=dashes[m],
                                  label=f"{members[0]['label']}: {number(moved, lang, 0)} {unit}"))
    amount, size_key = firm_sizes(firms)
    size = (30 + 400 * np.sqrt(np.clip(amount, 0, None) / amount.max()) if len(amount) and amount.max() > 0
            else np.full(len(xy), 60.0))
    kinds = [f["kind"] for f in firms]
    for kind, marker in KIND_MARKERS.items():
        for distant in (False, True):
            members = np.array([k == kind for k in kinds]) & (far == distant)
            if members.any():
                ax.scatter(xy[members, 0], xy[members, 1], s=size[members], marker=marker,
                           c="white", edgecolors="#222222" if not distant else "#777777",
                           linewidths=1.2 if not distant else 1.0, linestyles="-" if not distant else "--",
                           zorder=4, gid=f"firms:{kind}", clip_on=False)
        if any(k == kind for k in kinds):
            handles.append(Line2D([], [], marker=marker, ls="", mfc="white", mec="#222222", ms=8,
                                  label=text("firm", kind=KIND_NAMES.get(lang, {}).get(kind, kind))))
    if far.any():
        handles.append(Line2D([], [], marker="o", ls="", mfc="white", mec="#777777", ms=8,
                              label=text("far_legend")))
    if idle:
        handles.append(Line2D([], [], color="#bbbbbb", ls="--", label=text("idle")))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel(text("x"))
    ax.set_ylabel(text("y"))
    ax.grid(alpha=0.25)
    ax.set_title(text("title", scenario=meta["scenario"]))
    size_text = text(size_key, currency=meta.get("currency") or "¤")
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
              title=text("legend", size=size_text), title_fontsize=8, alignment="left")
    _scale_bar(ax, (x0, x1, y0, y1), lang)
    if meta.get("geo_origin"):
        lat0, lon0 = meta["geo_origin"]
        ax.text(0.99, 0.01, text("geo", lat=f"{abs(lat0):.4f}°{'S' if lat0 < 0 else 'N'}",
                                 lon=f"{abs(lon0):.4f}°{'W' if lon0 < 0 else 'E'}"),
                transform=ax.transAxes, ha="right", va="bottom", fontsize=6.5, color="#555555", gid="geo-origin")
    footer(fig, meta, lang)
    _label_firms(ax, firms, xy, xy_true, far, size, amount, lang, text)
    return fig


def _label_firms(ax: Axes, firms: list[dict], xy: np.ndarray, xy_true: np.ndarray, far: np.ndarray,
                 size: np.ndarray, amount: np.ndarray, lang: str, text) -> None:
    """Labels of firm entries, by their ``label`` or id (several firms of one entry: one label
    ``entry ×n`` at the firm nearest their centre), largest output first, each at the first of
    eight places around its marker where it overlaps neither a placed label nor a marker; left
    out where there is none.
    Far firms are always labelled, with their true distance and direction."""
    fig = ax.figure
    fig.draw_without_rendering()  # lay the figure out: labels are placed in display space
    to_px = ax.transData.transform
    scale = fig.dpi / 72
    points = to_px(xy)
    radius = np.sqrt(size) / 2 * scale  # marker half-size in pixels (s is in points squared)
    entries = [f["entry"] for f in firms]
    groups = {}
    for i, entry in enumerate(entries):
        groups.setdefault(entry, []).append(i)
    order = sorted(groups, key=lambda e: (not far[groups[e]].any(), -amount[groups[e]].sum()))
    centre = (xy[~far].min(axis=0) + xy[~far].max(axis=0)) / 2 if (~far).any() else xy.mean(axis=0)
    placed: list[tuple] = []
    box = ax.get_window_extent()
    labelled = 0
    fontsize = 7.0
    for entry in order:
        members = groups[entry]
        is_far = bool(far[members].any())
        if labelled >= MAX_LABELLED_FIRMS and not is_far:
            break
        mid = xy[members].mean(axis=0)
        at = members[int(np.argmin(np.hypot(*(xy[members] - mid).T)))]
        name = firms[at].get("label") or readable(entry)  # the entry's label, else its id
        words = name if len(members) == 1 else f"{name} ×{len(members)}"
        if is_far:
            dx, dy = xy_true[at] - centre
            km = number(float(np.hypot(dx, dy)), lang, 0)
            direction = COMPASS[round(np.degrees(np.arctan2(dy, dx)) / 45) % 8]
            if lang == "id":
                direction = COMPASS_ID[direction]
            words = text("far", entry=words, km=km, direction=direction)
        lines = words.split("\n")
        w = max(len(s) for s in lines) * 0.58 * fontsize * scale
        h = len(lines) * 1.25 * fontsize * scale
        px, py = points[at]
        r = radius[at] + 2 * scale
        free = []  # (inside the frame, clear of markers, place) of the places no label takes
        inward = np.sign(centre - xy[at]) if is_far else np.zeros(2)
        for sx, sy in _places(inward):
            left = px + (r if sx > 0 else -r - w if sx < 0 else -w / 2)
            bottom = py + (r if sy > 0 else -r - h if sy < 0 else -h / 2)
            rect = (left, bottom, left + w, bottom + h)
            if any(_hits(rect, other) for other in placed):
                continue
            inside = box.x0 <= rect[0] and rect[2] <= box.x1 and box.y0 <= rect[1] and rect[3] <= box.y1
            clear = not any(_hits(rect, (qx - q, qy - q, qx + q, qy + q))
                            for j, ((qx, qy), q) in enumerate(zip(points, radius)) if j != at)
            free.append((inside, clear, rect))
        # the first place inside the frame and clear of markers; a far firm is always labelled,
        # at the first place clear of markers, else the first free one
        best = sorted(free, key=lambda place: (not (place[0] and place[1]), not place[1]))
        spot = best[0][2] if best and (is_far or (best[0][0] and best[0][1])) else None
        if spot is None:
            continue
        placed.append(spot)
        labelled += 1
        offset = ((spot[0] - px) / scale, (spot[1] - py) / scale)
        t = ax.annotate(words, xy[at], xytext=offset, textcoords="offset points", fontsize=fontsize, ha="left",
                        va="bottom", zorder=5, gid="firm-label", annotation_clip=False,
                        bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7})
        t.set_in_layout(False)


def _scale_bar(ax: Axes, frame: tuple, lang: str) -> None:
    """A scale bar of a round length (1, 2 or 5 x 10^k km, about a fifth of the map's width) in the
    lower left corner; ``gid="scale-bar"`` (its length in km is the text's number)."""
    x0, x1, y0, y1 = frame
    target = (x1 - x0) / 5
    length = min((m * 10.0 ** k for k in range(-3, 5) for m in (1, 2, 5) if m * 10.0 ** k <= target),
                 key=lambda v: target - v, default=target)
    left, bottom = x0 + 0.04 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    ax.plot([left, left + length], [bottom, bottom], color="#222222", lw=2.5, solid_capstyle="butt",
            zorder=6, gid="scale-bar")
    words = f"{number(length, lang, 0 if length >= 1 else 1)} km" if length >= 0.1 else f"{length * 1000:g} m"
    ax.text(left + length / 2, bottom + 0.015 * (y1 - y0), words, ha="center", va="bottom", fontsize=7,
            zorder=6, gid="scale-bar-label")


def _places(inward: np.ndarray) -> list[tuple[int, int]]:
    """Label positions around a marker (x, y sides), upper right first; towards ``inward`` first
    for firms at the frame's edge."""
    places = [(1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1)]
    if inward.any():
        places.sort(key=lambda p: -(p[0] * inward[0] + p[1] * inward[1]))
    return places


def _hits(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _to_edge(centre: np.ndarray, point: np.ndarray, frame: tuple, inset: float) -> np.ndarray:
    """Where the ray from ``centre`` towards ``point`` leaves the frame (x0, x1, y0, y1), moved
    ``inset`` inwards."""
    x0, x1, y0, y1 = frame
    d = point - centre
    steps = []
    for k, (lo, hi) in enumerate(((x0 + inset, x1 - inset), (y0 + inset, y1 - inset))):
        if d[k] > 0:
            steps.append((hi - centre[k]) / d[k])
        elif d[k] < 0:
            steps.append((lo - centre[k]) / d[k])
    return centre + d * min(steps) if steps else point.copy()


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
