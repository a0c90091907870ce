"""Material-flow Sankey diagram of a run, with loops: where the park's tonnes come from, which firms
they pass through, where they leave, and which by-products and products go back into the park.

Three columns, from the run's chart data (``data["sankey"]``, see
:func:`simulator.chartdata.sankey_data`): virgin inputs (column 0) -> firm nodes (column 1) ->
sinks (column 2: products sold, disposed, losses, stock at the end, on trucks at the end). Flows
between two firm nodes (by-product exchanges, park product sales) are drawn as *loops*: they leave
the supplier's right edge, run down the right of the firm column, under it, up its left side
and re-enter the consumer's left edge.

Geometry, for whoever tests or extends the chart (all in data units of the axes, equal aspect):

* the columns fit between y = 0 and 1, the firm column hanging from y = 1; loops run below y = 0;
* every node's height and every band's width is its tonnage times one factor, ``scale``
  (data units per tonne; ``ax.sankey_scale``); a node is as tall as the larger of its inflow and
  outflow;
* node rectangles carry ``gid="node:<id>"`` and ``throughput`` (tonnes); band patches carry
  ``gid="band:<source>-><target>"`` (loops, one per material: ``"band:<source>-><target> [<material>]"``)
  and the attributes ``flow_width`` (the band's width in data
  units, exactly ``quantity * scale``), ``quantity`` (tonnes), ``kind`` and ``loop`` (bool);
* a band's path starts at its source end: the first vertex is the top of its slot on the source
  node's right edge; the band's outline then follows its upper (for loops: outer) edge to the
  target node's left edge.

Minimum drawn width: no band or node is widened to stay visible — the geometry stays exactly
proportional. Instead every band is outlined with a stroke of :data:`MIN_BAND_PT` points (loops:
:data:`MIN_LOOP_PT`, opaque) and every node with :data:`MIN_NODE_PT`, so a flow of a few tonnes
next to one of a million still shows as a hairline of that thickness.

Colours: straight bands by flow kind (:data:`KIND_COLOURS`); loops by material, in the colours the
network map gives the same materials (:func:`loop_styles`), with a hatch once the eight colours
of the palette are used up. Materials without a mass (steam in MWh, ...) cannot be drawn in
tonnes; a note under the diagram lists them with their quantities (``sankey["not_shown"]``).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path

from ..vocabulary import KIND_NAMES, number
from ..vocabulary import unit_name
from .style import OKABE_ITO, footer, label, new_figure

LOOP_KINDS = ("exchange", "product_loop")
KIND_COLOURS = {"virgin": "#56B4E9", "product": "#E69F00", "exchange": "#009E73", "product_loop": "#CC79A7",
                "disposal": "#D55E00", "loss": "#000000", "stock": "#0072B2"}
"""Band colours by flow kind, from the Okabe-Ito palette (style.OKABE_ITO); stock and disposal as in
the material-fate chart."""
BAND_ALPHA = {"straight": 0.45, "loop": 0.8}
FIRM_COLOUR = "#444444"
SINK_KINDS = {"out:products": "product", "out:disposal": "disposal", "out:loss": "loss", "out:stock": "stock",
              "out:transit": "stock"}

MIN_BAND_PT = 0.5
"""Outline (points) of every straight band: the thinnest a band can look."""
MIN_LOOP_PT = 0.6
"""Outline (points) of every loop band, opaque (straight bands: 60 % opaque)."""
MIN_NODE_PT = 0.6
"""Outline (points) of every node rectangle."""

NODE_WIDTH = 0.022        # node rectangle width (data units; the firm column is 1 tall)
MAX_GAP = 0.06            # largest gap between two nodes of a column
GAP_SHARE = 0.4           # share of the height the gaps of the most crowded column may take
LOOP_CLEARANCE = 0.05     # from the firm column's edges (sides and bottom) to the innermost loop
LOOP_RADIUS = 0.03        # inner corner radius of the innermost loop
LOOP_GAPS = (0.012, 0.15)  # between two nested loops: at most the first, all gaps at most the second
MAX_LISTED_LOOPS = 8      # loops named in the loop legend, largest first
LABEL_PAD = 0.012         # from a node's edge to its label
LABEL_CHARS = 34          # node names longer than this are wrapped
HATCHES = (None, "////", "....", "xxxx")
"""Hatches of loop materials beyond the eight palette colours (and of park product sales)."""

LABELS = {
    "en": {"title": "Material flows ({unit}) over the run — {scenario}",
           "column0": "inputs from outside", "column1": "firms in the park",
           "column2": "leaving the park, or left at the end",
           "virgin": "virgin inputs", "product": "products sold", "exchange": "by-product exchange (loop, colour: material)",
           "product_loop": "product sold inside the park (loop)", "disposal": "disposed",
           "loss": "losses (emissions, moisture)", "stock": "stock at the end, on trucks",
           "legend": "Flow kinds (band width ∝ tonnes)", "empty": "no material flows in tonnes in this run",
           "loops_title": "Loops around the firms: back into the park (largest first)",
           "more_loops": "… {count} more loops, {total} {unit}",
           "several_materials": "several materials", "products": "products", "group": "{kind} firms",
           "in:other": "other inputs", "out:products": "products sold",
           "out:disposal": "disposed (landfill, treatment)", "out:loss": "losses (emissions, moisture)",
           "out:stock": "stock at the end", "out:transit": "on trucks at the end",
           "not_shown": "Not in tonnes, not shown: {items}", "purchased": "bought", "exchanged": "exchanged",
           "sold": "sold"},
    "id": {"title": "Aliran material ({unit}) selama simulasi — {scenario}",
           "column0": "input dari luar", "column1": "perusahaan di kawasan",
           "column2": "keluar kawasan, atau sisa di akhir",
           "virgin": "bahan baku primer", "product": "produk terjual", "exchange": "pertukaran produk samping (loop, warna: material)",
           "product_loop": "produk dijual di dalam kawasan (loop)", "disposal": "dibuang",
           "loss": "kehilangan (emisi, uap air)", "stock": "stok di akhir, di truk",
           "legend": "Jenis aliran (lebar pita ∝ ton)",
           "empty": "tidak ada aliran material dalam ton pada simulasi ini",
           "loops_title": "Loop mengitari perusahaan: kembali ke kawasan (terbesar dahulu)",
           "more_loops": "… {count} loop lainnya, {total} {unit}",
           "several_materials": "beberapa material", "products": "produk", "group": "perusahaan {kind}",
           "in:other": "input lainnya", "out:products": "produk terjual",
           "out:disposal": "dibuang (TPA, pengolahan)", "out:loss": "kehilangan (emisi, uap air)",
           "out:stock": "stok di akhir", "out:transit": "di truk di akhir",
           "not_shown": "Bukan dalam ton, tidak digambar: {items}", "purchased": "dibeli",
           "exchanged": "dipertukarkan", "sold": "dijual"},
}
"""Texts by language; keys ``in:other`` and ``out:...`` name the fixed nodes of the chart data."""
KAPPA = 0.5523  # cubic Bezier control distance for a quarter circle (per unit radius)


@dataclass
class SankeyNode:
    """A node of the laid-out diagram: column, x of its centre, y from ``bottom`` to ``top``."""

    id: str
    label: str
    column: int
    kind: str
    inflow: float = 0.0
    outflow: float = 0.0
    x: float = 0.0
    bottom: float = 0.0
    top: float = 0.0
    ins: list = field(default_factory=list)
    outs: list = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return max(self.inflow, self.outflow)

    @property
    def centre(self) -> float:
        return (self.bottom + self.top) / 2


@dataclass
class SankeyBand:
    """A flow with its width and its slots: (bottom, top) on the source's right edge and on the
    target's left edge; loops also have their nesting offset from the firm column and their lane."""

    flow: dict
    source: SankeyNode
    target: SankeyNode
    width: float
    loop: bool
    source_slot: tuple = (0.0, 0.0)
    target_slot: tuple = (0.0, 0.0)
    offset: float = 0.0       # loops: x distance from the firm column to the inner edge of the side runs
    lane: float = 0.0         # loops: y of the upper edge of the run under the column
    radius: float = 0.0       # loops: inner corner radius under the column


@dataclass
class SankeyLayout:
    """Nodes and bands placed in data units (firm column from y = 0 to 1)."""

    nodes: list
    bands: list
    scale: float              # data units per tonne
    column_x: tuple
    bottom: float             # lowest y used (the outermost loop)
    corridor: float           # x width beside the firm column taken by the loops' side runs


def layout_sankey(sankey: dict, spacing: float = 1.0) -> SankeyLayout:
    """Place nodes and bands of ``sankey`` (chart data) with columns ``spacing`` apart."""
    nodes = {nd["id"]: SankeyNode(nd["id"], nd["label"], nd["column"], nd["kind"]) for nd in sankey["nodes"]}
    bands = []
    for flow in sankey["flows"]:
        source, target = nodes[flow["source"]], nodes[flow["target"]]
        source.outflow += flow["quantity"]
        target.inflow += flow["quantity"]
        loop = source.column == target.column
        band = SankeyBand(flow, source, target, 0.0, loop)
        source.outs.append(band)
        target.ins.append(band)
        bands.append(band)
    columns = [[nd for nd in nodes.values() if nd.column == c] for c in range(3)]
    columns[0] = _sources_in_order(columns[0], columns[1])
    crowd = max(len(col) for col in columns)
    gap = min(MAX_GAP, GAP_SHARE / max(crowd - 1, 1))
    totals = [sum(nd.throughput for nd in col) for col in columns]
    scale = min(((1.0 - gap * (len(col) - 1)) / total for col, total in zip(columns, totals) if total > 0),
                default=1.0)
    xs = (0.0, spacing, 2 * spacing)
    for c, col in enumerate(columns):
        spread = min(MAX_GAP * 1.5, (1.0 - scale * totals[c]) / (len(col) - 1)) if len(col) > 1 else 0.0
        height = scale * totals[c] + spread * (len(col) - 1)
        y = 0.5 + height / 2 if c != 1 else 1.0
        for nd in col:
            nd.x, nd.top, nd.bottom = xs[c], y, y - scale * nd.throughput
            y = nd.bottom - spread
    for band in bands:
        band.width = band.flow["quantity"] * scale
    loops = sorted((b for b in bands if b.loop), key=lambda b: b.source.centre + b.target.centre)
    loop_gap = min(LOOP_GAPS[0], LOOP_GAPS[1] / max(len(loops), 1))
    offset, lane = LOOP_CLEARANCE, -LOOP_CLEARANCE
    for band in loops:  # innermost first: the lowest loops stay closest to the column
        band.offset, band.lane, band.radius = offset, lane, LOOP_RADIUS + offset - LOOP_CLEARANCE
        offset += band.width + loop_gap
        lane -= band.width + loop_gap
    for nd in nodes.values():
        _slots(nd.outs, nd.top, lambda b: b.target, "source_slot")
        _slots(nd.ins, nd.top, lambda b: b.source, "target_slot")
    corridor = max((b.offset + b.width for b in loops), default=0.0)
    return SankeyLayout(list(nodes.values()), bands, scale, xs, min(lane, 0.0), corridor)


def _sources_in_order(sources: list, firms: list) -> list:
    """Sources ordered by the mean position of the firms they feed (fewer crossings), 'other' last."""
    rank = {nd.id: i for i, nd in enumerate(firms)}

    def centre(nd):
        weights = [(rank[b.target.id], b.flow["quantity"]) for b in nd.outs if b.target.id in rank]
        total = sum(w for _, w in weights)
        return (nd.id == "in:other", sum(r * w for r, w in weights) / total if total else 0.0)

    return sorted(sources, key=centre)


def _slots(bands: list, top: float, other, attribute: str) -> None:
    """Stack ``bands`` on one edge of a node from its top: straight bands in the order of the node
    at their other end (top first), then loops, outer loops (larger offset) higher."""
    order = sorted(bands, key=lambda b: (b.loop, -b.offset if b.loop else -other(b).centre))
    y = top
    for band in order:
        setattr(band, attribute, (y - band.width, y))
        y -= band.width


# --------------------------------------------------------------------------- paths


def straight_path(band: SankeyBand, half: float = NODE_WIDTH / 2) -> Path:
    """An S-shaped ribbon from the source's right edge to the target's left edge."""
    x0, x1 = band.source.x + half, band.target.x - half
    (s0, s1), (t0, t1) = band.source_slot, band.target_slot
    xm = (x0 + x1) / 2
    vertices = [(x0, s1), (xm, s1), (xm, t1), (x1, t1), (x1, t0), (xm, t0), (xm, s0), (x0, s0), (x0, s1)]
    codes = [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4, Path.LINETO, Path.CURVE4, Path.CURVE4,
             Path.CURVE4, Path.CLOSEPOLY]
    return Path(vertices, codes)


def loop_path(band: SankeyBand, half: float = NODE_WIDTH / 2) -> Path:
    """A ribbon from the supplier's right edge, down the right of the firm column, left under it,
    up its left side and into the consumer's left edge, with rounded corners. Nested loops share
    corner centres (concentric), so they never overlap each other under the column."""
    w, d = band.width, band.offset
    right, left = band.source.x + half + d, band.target.x - half - d   # inner edges of the side runs
    (s0, s1), (t0, t1) = band.source_slot, band.target_slot
    low, high = band.lane - w, band.lane                               # the run under the column
    bottom = min(band.radius, (min(s0, t0) - high) / 2)
    top_s, top_t = min(bottom, s0 - high - bottom), min(bottom, t0 - high - bottom)
    outer = _rounded([(right - d, s1), (right + w, s1), (right + w, low), (left - w, low), (left - w, t1),
                      (left + d, t1)], [top_s + w, bottom + w, bottom + w, top_t + w])
    inner = _rounded([(left + d, t0), (left, t0), (left, high), (right, high), (right, s0), (right - d, s0)],
                     [top_t, bottom, bottom, top_s])
    vertices = outer[0] + inner[0] + [outer[0][0]]
    codes = outer[1] + [Path.LINETO] + inner[1][1:] + [Path.CLOSEPOLY]
    return Path(vertices, codes)


def _rounded(points: list, radii: list) -> tuple[list, list]:
    """A polyline whose inner corners are quarter-circle-like cubic Beziers of the given radii
    (shrunk when a segment is too short for them)."""
    p = np.asarray(points, dtype=float)
    lengths = np.hypot(*np.diff(p, axis=0).T)
    vertices, codes = [tuple(p[0])], [Path.MOVETO]
    for i, radius in enumerate(radii, start=1):
        before = lengths[i - 1] if i == 1 else lengths[i - 1] / 2
        after = lengths[i] if i == len(radii) else lengths[i] / 2
        r = max(0.0, min(radius, before, after))
        into = (p[i] - p[i - 1]) / (lengths[i - 1] or 1.0)
        out = (p[i + 1] - p[i]) / (lengths[i] or 1.0)
        a, b = p[i] - r * into, p[i] + r * out
        vertices += [tuple(a), tuple(a + KAPPA * r * into), tuple(b - KAPPA * r * out), tuple(b)]
        codes += [Path.LINETO, Path.CURVE4, Path.CURVE4, Path.CURVE4]
    vertices.append(tuple(p[-1]))
    codes.append(Path.LINETO)
    return vertices, codes


# --------------------------------------------------------------------------- drawing


def plot_sankey(data: dict, ax: Axes | None = None, lang: str = "en") -> Figure:
    """Material-flow Sankey of a run in tonnes, with loops (see the module docstring): virgin
    inputs -> firm nodes -> products sold, disposal, losses and stock; by-product exchanges and
    park product sales as loops back into the park, the largest of them named in a second
    legend. Nodes are labelled with their name and tonnes; bands are coloured by flow kind.
    Returns the Figure; never shows or saves it.

    The diagram is drawn twice: once with column spacing estimated from the figure size, then,
    once the layout engine has sized the axes, again with the spacing that fills them."""
    sankey, meta = data["sankey"], data["meta"]
    text = partial(label, LABELS, lang=lang)
    crowd = max([sum(nd["column"] == c for nd in sankey["nodes"]) for c in range(3)] + [1])
    fontsize = 8.0 if crowd <= 14 else 7.0 if crowd <= 24 else 6.5
    if ax is None:
        fig = new_figure(13.0, float(np.clip(4.2 + 0.22 * crowd, 7.0, 13.0)))
        fig.get_layout_engine().set(rect=(0, 0.02, 1, 0.98))  # room for the footer
        ax = fig.subplots()
    fig = ax.figure
    footer(fig, meta, lang)
    title = text("title", unit=sankey.get("unit", "t"), scenario=meta.get("scenario", "?"))
    if not sankey["flows"]:
        ax.set_axis_off()
        ax.set_title(title, fontsize=12)
        ax.text(0.5, 0.5, text("empty"), ha="center", va="center", transform=ax.transAxes)
        return fig
    names = {nd["id"]: _node_label(nd, text, lang) for nd in sankey["nodes"]}
    # first guess: the labels of columns 0 and 2 sit outside the drawing, so their width (about
    # 0.6 em a character) comes off the axes first
    loops = sum(f["kind"] in LOOP_KINDS for f in sankey["flows"])
    width_in, height_in = _axes_inches(ax, max(4, min(loops, MAX_LISTED_LOOPS + 1)) if loops else 4)
    chars = [max([_label_chars(names[nd["id"]]) + 12 for nd in sankey["nodes"] if nd["column"] == c]
                 + [1.1 * len(text(f"column{c}"))]) for c in (0, 2)]
    width_in = max(width_in - sum(chars) * 0.6 * fontsize / 72, 2.0)
    y_range = 1.12 - layout_sankey(sankey).bottom
    spacing = float(np.clip((width_in / height_in * y_range - NODE_WIDTH) / 2, 0.6, 1.6))
    points_per_unit = 72 * min(width_in / (2 * spacing + NODE_WIDTH), height_in / y_range)
    styles = loop_styles(sankey, data.get("network"))
    legends = _draw(ax, sankey, names, spacing, points_per_unit, fontsize, lang, text, title, 2, styles)
    # second pass with the axes as the layout engine sized them; the loop legend in one column
    # if two collide with the legend of flow kinds
    fig.draw_without_rendering()
    box = ax.get_window_extent()
    spacing = float(np.clip((box.width / box.height * y_range - NODE_WIDTH) / 2, 0.6, 1.6))
    points_per_unit = 72 / fig.dpi * min(box.width / (2 * spacing + NODE_WIDTH), box.height / y_range)
    columns = 1 if len(legends) == 2 and _overlap(*legends) else 2
    ax.cla()
    legends = _draw(ax, sankey, names, spacing, points_per_unit, fontsize, lang, text, title, columns, styles)
    if len(legends) == 2:
        fig.draw_without_rendering()
        if _overlap(*legends):  # still side by side too wide: the loops under the flow kinds
            kinds = legends[0].get_window_extent().transformed(ax.transAxes.inverted())
            legends[1].set_loc("upper left")
            legends[1].set_bbox_to_anchor((0.0, kinds.y0 - 0.02), transform=ax.transAxes)
    return fig


def _overlap(first, second) -> bool:
    """Whether two legends' boxes overlap (with a small margin)."""
    a, b = first.get_window_extent(), second.get_window_extent()
    return a.x1 + 6 > b.x0 and b.x1 + 6 > a.x0 and a.y1 > b.y0 and b.y1 > a.y0


def _label_chars(name: str) -> int:
    return max(len(line) for line in _wrap(name).split("\n"))


def _wrap(name: str) -> str:
    return "\n".join(textwrap.wrap(name, LABEL_CHARS)) if len(name) > LABEL_CHARS else name


def loop_styles(sankey: dict, network: dict | None = None) -> dict:
    """Colour and hatch of each loop material: materials in the order the network map colours
    them (realised exchanges, in the order of the links), so both charts give a material the same
    colour, then the other loop materials, largest first; park product sales in their kind's
    colour, hatched."""
    loops = [f for f in sankey["flows"] if f["kind"] in LOOP_KINDS]
    mapped = [k["label"] for k in (network or {}).get("links", []) if k.get("annual_quantity", 0) > 0]
    mapped = list(dict.fromkeys(mapped))
    by_size = sorted({f.get("material") or "" for f in loops if f["kind"] == "exchange"},
                     key=lambda m: -sum(f["quantity"] for f in loops if f.get("material") == m))
    order = list(dict.fromkeys(mapped + [m for m in by_size if m not in mapped]))
    styles = {m: (OKABE_ITO[i % len(OKABE_ITO)], HATCHES[(i // len(OKABE_ITO)) % len(HATCHES)])
              for i, m in enumerate(order)}
    styles["products"] = (KIND_COLOURS["product_loop"], HATCHES[3])
    styles["several materials"] = ("#999999", HATCHES[1])
    return styles


def _draw(ax: Axes, sankey: dict, names: dict, spacing: float, points_per_unit: float, fontsize: float, lang: str,
          text, title: str, loop_columns: int, styles: dict) -> list:
    """Everything inside the axes: bands, nodes, labels, column headings, legends (returned)."""
    unit = sankey.get("unit", "t")
    layout = layout_sankey(sankey, spacing)
    ax.set_axis_off()
    note = not_shown_note(sankey, lang, text)
    lines = note.count("\n") + 1 if note else 0
    ax.set_title(title, fontsize=12, pad=6 + 1.35 * 8 * lines)
    if note:  # under the title: what the diagram in tonnes leaves out
        ax.annotate(note, (0.5, 1.0), xycoords="axes fraction", xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=8, color="#444444", style="italic", gid="not-shown")
    ax.sankey_scale = layout.scale
    _draw_bands(ax, layout, styles)
    _draw_nodes(ax, layout)
    _draw_labels(ax, layout, names, unit, lang, fontsize, points_per_unit)
    for c in range(3):
        x = layout.column_x[c] + (NODE_WIDTH / 2, 0.0, -NODE_WIDTH / 2)[c]
        ax.text(x, 1.06, text(f"column{c}"), ha=("right", "center", "left")[c], va="bottom", fontsize=fontsize + 1,
                fontweight="bold", color="#333333")
    # the data limits hold the drawing and the headings; equal aspect widens them to fill the axes
    ax.update_datalim([(-NODE_WIDTH, layout.bottom - 0.02), (2 * spacing + NODE_WIDTH, 1.1)])
    ax.margins(0)
    ax.set_aspect("equal", adjustable="datalim")
    ax.autoscale_view()
    return _legends(ax, sankey, names, unit, lang, text, loop_columns, styles)


def _node_label(node: dict, text, lang: str) -> str:
    """The node's name in ``lang``: fixed sources and sinks from LABELS, firm kinds translated."""
    if node["id"] in LABELS["en"]:
        return text(node["id"])
    name = node["label"]
    if node["kind"] == "firm" and name.endswith(" firms"):
        kind = name[: -len(" firms")]
        return text("group", kind=KIND_NAMES.get(lang, {}).get(kind, kind))
    return name


def _axes_inches(ax: Axes, legend_rows: int) -> tuple[float, float]:
    """Rough size in inches of the axes' drawing area before layout: the figure less margins when
    the axes is alone in a constrained-layout figure (else its current box), less the title, the
    column headings and ``legend_rows`` rows of legend below."""
    fig = ax.figure
    fig_w, fig_h = fig.get_size_inches()
    box = ax.get_position()
    if len(fig.axes) == 1 and fig.get_constrained_layout():
        width, height = fig_w - 0.2, fig_h * 0.96 - 0.1
    else:
        width, height = box.width * fig_w, box.height * fig_h
    return max(width - 0.1, 1.0), max(height - 0.8 - 0.35 - 0.17 * legend_rows, 1.0)


def band_gid(flow: dict) -> str:
    """The gid of a flow's band: source and target, and for loops the material."""
    loop = flow["kind"] in LOOP_KINDS
    return f"band:{flow['source']}->{flow['target']}" + (f" [{flow.get('material') or ''}]" if loop else "")


def _draw_bands(ax: Axes, layout: SankeyLayout, styles: dict) -> None:
    """One PathPatch per flow (straight S-ribbons, loops on top of them)."""
    for band in sorted(layout.bands, key=lambda b: (b.loop, -b.width)):  # thin ones over wide ones
        kind = band.flow["kind"]
        colour = KIND_COLOURS.get(kind, "#999999")
        if band.loop:
            colour, hatch = styles.get(band.flow.get("material") or "", (colour, None))
            patch = PathPatch(loop_path(band), facecolor=to_rgba(colour, BAND_ALPHA["loop"]),
                              edgecolor=to_rgba(colour, 1.0), lw=MIN_LOOP_PT, zorder=3, hatch=hatch)
        else:
            patch = PathPatch(straight_path(band), facecolor=to_rgba(colour, BAND_ALPHA["straight"]),
                              edgecolor=to_rgba(colour, 0.6), lw=MIN_BAND_PT, zorder=2)
        patch.set_gid(band_gid(band.flow))
        patch.flow_width, patch.quantity, patch.kind, patch.loop = band.width, band.flow["quantity"], kind, band.loop
        ax.add_patch(patch)


def _draw_nodes(ax: Axes, layout: SankeyLayout) -> None:
    """One Rectangle per node: firms dark grey, sources in the virgin colour, sinks in their kind's."""
    for nd in layout.nodes:
        colour = (FIRM_COLOUR if nd.kind == "firm" else KIND_COLOURS["virgin"] if nd.kind == "source"
                  else KIND_COLOURS[SINK_KINDS.get(nd.id, "stock")])
        rect = Rectangle((nd.x - NODE_WIDTH / 2, nd.bottom), NODE_WIDTH, nd.top - nd.bottom, facecolor=colour,
                         edgecolor=colour, lw=MIN_NODE_PT, zorder=4)
        rect.set_gid(f"node:{nd.id}")
        rect.throughput = nd.throughput
        ax.add_patch(rect)


def _draw_labels(ax: Axes, layout: SankeyLayout, names: dict, unit: str, lang: str, fontsize: float,
                 points_per_unit: float) -> None:
    """Name and tonnes of every node: left of the sources, right of firms (beyond the loops' side
    runs) and of the sinks, pushed apart where nodes are too close; a thin leader line joins a
    label that is not beside its node."""
    spacing = 1.35 * fontsize / points_per_unit
    for c in range(3):
        column = sorted((nd for nd in layout.nodes if nd.column == c), key=lambda nd: -nd.centre)
        placed = spread_labels([nd.centre for nd in column], spacing)
        side = -1 if c == 0 else 1
        away = layout.corridor + LABEL_PAD if c == 1 and layout.corridor else LABEL_PAD
        for nd, y in zip(column, placed):
            edge = nd.x + side * NODE_WIDTH / 2
            moved = abs(y - nd.centre) > spacing / 4
            tx = edge + side * (away + (0.03 if moved else 0.0))
            box = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8} if c == 1 else None
            words = f"{_wrap(names[nd.id])}  {number(nd.throughput, lang, trim=True)} {unit}"
            ax.text(tx, y, words, ha="right" if side < 0 else "left", va="center", fontsize=fontsize, zorder=6,
                    bbox=box, gid=f"label:{nd.id}")
            if moved or away > LABEL_PAD:
                bend = edge + side * (away if not moved else away + 0.01)
                ax.add_line(Line2D([edge, bend, tx - side * 0.003], [nd.centre, nd.centre, y], lw=0.5,
                                   color="#888888", ls=":" if not moved else "-", zorder=5))


def spread_labels(wanted: list, spacing: float) -> list:
    """Label y positions as close as possible (least squares) to ``wanted`` (top to bottom) with at
    least ``spacing`` between neighbours. With q_i = y_i + i * spacing the condition is that q does
    not increase: an isotonic regression, solved by pooling adjacent violators."""
    blocks = []  # [sum of q, count] of runs of labels that move together
    for i, y in enumerate(wanted):
        blocks.append([y + i * spacing, 1])
        while len(blocks) > 1 and blocks[-1][0] / blocks[-1][1] > blocks[-2][0] / blocks[-2][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    placed = []
    for total, count in blocks:
        placed += [total / count] * count
    return [q - i * spacing for i, q in enumerate(placed)]


def _legends(ax: Axes, sankey: dict, names: dict, unit: str, lang: str, text, loop_columns: int,
             styles: dict) -> list:
    """Under the diagram: the flow kinds present and what is not in tonnes (left), and the largest
    loops by name, in their material's colour (right, in ``loop_columns`` columns when there are
    more than four)."""
    kinds = [k for k in KIND_COLOURS if any(f["kind"] == k for f in sankey["flows"])]
    handles = [_legend_handle(k, text(k)) for k in kinds]
    kinds_legend = ax.legend(handles=handles, loc="upper left",
                             bbox_to_anchor=(0.0, -0.005), ncols=2, fontsize=8, frameon=False, title=text("legend"),
                             title_fontsize=8, alignment="left")
    loops = sorted((f for f in sankey["flows"] if f["kind"] in LOOP_KINDS), key=lambda f: -f["quantity"])
    if not loops:
        return [kinds_legend]
    ax.add_artist(kinds_legend)
    kinds_legend.set_clip_on(False)  # add_artist clips to the axes, which hides it from the layout engine
    handles = [_legend_handle(f["kind"], f"{names[f['source']]} → {names[f['target']]}: "
                                         f"{_material(f, text)}, {number(f['quantity'], lang, trim=True)} {unit}",
                              styles.get(f.get("material") or ""))
               for f in loops[:MAX_LISTED_LOOPS]]
    rest = loops[MAX_LISTED_LOOPS:]
    if rest:
        total = number(sum(f["quantity"] for f in rest), lang, trim=True)
        handles.append(Patch(color="none", label=text("more_loops", count=len(rest), total=total, unit=unit)))
    loop_legend = ax.legend(handles=handles, loc="upper right", bbox_to_anchor=(1.0, -0.005),
                            ncols=loop_columns if len(handles) > 4 else 1, fontsize=7.5, frameon=False,
                            title=text("loops_title"), title_fontsize=8, alignment="left")
    return [kinds_legend, loop_legend]


def _material(flow: dict, text) -> str:
    material = flow.get("material") or ""
    return text(material.replace(" ", "_")) if material in ("several materials", "products") else material


def not_shown_note(sankey: dict, lang: str, text) -> str:
    """"Not in tonnes, not shown: Process steam 95,349 MWh exchanged" for the materials without a
    mass that moved in the run (quantities over the run, in their own units), "" when none."""
    items = []
    for row in sankey.get("not_shown", []):
        unit = unit_name(row.get("unit", ""))
        parts = [f"{number(row[key], lang, trim=True)} {unit} {text(key)}"
                 for key in ("exchanged", "purchased", "sold") if row.get(key, 0) > 1e-9]
        items.append(f"{row['label']} " + ", ".join(parts))
    if not items:
        return ""
    return "\n".join(textwrap.wrap(text("not_shown", items="; ".join(items)), 150))


def _legend_handle(kind: str, text: str, style: tuple | None = None) -> Patch:
    colour = KIND_COLOURS[kind]
    if kind == "exchange" and style is None:  # the kind in general: its loops are coloured by material
        return Patch(facecolor="white", edgecolor="#333333", lw=MIN_LOOP_PT, label=text)
    if kind in LOOP_KINDS:
        colour, hatch = style or (colour, HATCHES[3] if kind == "product_loop" else None)
        return Patch(facecolor=to_rgba(colour, BAND_ALPHA["loop"]), edgecolor=colour, lw=MIN_LOOP_PT,
                     label=text, hatch=hatch)
    return Patch(facecolor=to_rgba(colour, BAND_ALPHA["straight"]), edgecolor=to_rgba(colour, 0.6), label=text)
