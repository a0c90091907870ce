"""Shared look of eipsim charts: colour-blind-safe palette, footers, labels in two languages.

Figures are built with ``matplotlib.figure.Figure`` (never pyplot), so plotting has no global
state and works on machines without a display. Each chart module keeps its own texts in a
``LABELS = {"en": {...}, "id": {...}}`` table and picks them with :func:`label`.
"""

from __future__ import annotations

from matplotlib.figure import Figure

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
"""Okabe & Ito (2008) palette, distinguishable with the common colour-vision deficiencies."""
FATE_COLOURS = {"exchanged": "#009E73", "disposed": "#D55E00", "stock": "#0072B2", "generated": "#000000"}
KIND_MARKERS = {"anchor": "s", "sme": "o", "recycler": "^", "utility": "D", "service": "P"}
LANGUAGES = ("en", "id")

FOOTER = {
    "en": {"footer": "eipsim {version} · scenario: {scenario} · replications: {replications} · seed: {seed}",
           "one": "eipsim {version} · scenario: {scenario} · replication {replication} · root seed: {seed}",
           "one_of": "eipsim {version} · scenario: {scenario} · replication {replication} of {replications}"
                     " · root seed: {seed}",
           "each_arm": "eipsim {version} · scenario: {scenario} · replication {replication} of {replications}"
                       " of each arm · root seed: {seed}"},
    "id": {"footer": "eipsim {version} · skenario: {scenario} · replikasi: {replications} · seed: {seed}",
           "one": "eipsim {version} · skenario: {scenario} · replikasi ke-{replication} · seed induk: {seed}",
           "one_of": "eipsim {version} · skenario: {scenario} · replikasi ke-{replication} dari {replications}"
                     " · seed induk: {seed}",
           "each_arm": "eipsim {version} · skenario: {scenario} · replikasi ke-{replication} dari {replications}"
                       " tiap skenario · seed induk: {seed}"},
}
"""Footer lines. A chart of one replication of an experiment (meta ``replication`` set) names it
and the experiment's root seed, so ``eipsim run FILE --seed S --replication I`` redraws it;
``replication_of_each_arm`` marks a chart that draws that replication of every arm."""


def label(table: dict, key: str, lang: str = "en", **values) -> str:
    """Text ``key`` of a chart's LABELS table in ``lang`` (English when missing), formatted."""
    text = table.get(lang, {}).get(key) or table["en"][key]
    return text.format(**values) if values else text


FOOTER_IN = 0.2
"""Height of the bottom strip (inches) the constrained layout leaves free for the footer line."""


def new_figure(width: float = 9.0, height: float = 5.5) -> Figure:
    """A figure with constrained layout that keeps the bottom strip free for :func:`footer`."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    bottom = FOOTER_IN / height
    return Figure(figsize=(width, height), layout=ConstrainedLayoutEngine(rect=(0, bottom, 1, 1 - bottom)))


def footer(fig: Figure, meta: dict, lang: str = "en") -> None:
    """Source line at the bottom of a figure: scenario, replications and seed (from chart meta)."""
    from .. import __version__

    replication, replications = meta.get("replication"), meta.get("replications", 1)
    if replication is None:
        key = "footer"
    elif meta.get("replication_of_each_arm"):
        key = "each_arm"
    else:
        key = "one_of" if replications and replications > 1 else "one"
    text = label(FOOTER, key, lang, version=__version__, scenario=meta.get("scenario", "?"),
                 replications=replications, replication=replication, seed=meta.get("seed", "?"))
    fig.text(0.995, 0.003, text, ha="right", va="bottom", fontsize=7, color="#555555", gid="footer")


def bottom_legend(fontsize: float = 8.0) -> dict:
    """Keyword arguments of a figure legend below the panels (``loc="outside lower center"``) that
    stays above the footer strip: the constrained layout keeps room for such a legend at the bottom
    of its rect, but matplotlib places the legend at the bottom of the figure, on the footer."""
    return {"loc": "outside lower center", "fontsize": fontsize,
            "borderaxespad": 0.5 + FOOTER_IN * 72 / fontsize}


def material_colours(materials) -> dict:
    """Colours of materials (labels or ids) in the order given, from the palette; with more than
    eight, colours repeat (charts then vary the line style or hatch)."""
    materials = list(dict.fromkeys(materials))
    return dict(zip(materials, colour_cycle(len(materials))))


def colour_cycle(n: int) -> list[str]:
    return [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n)]


BROKEN_AXIS = {"en": "≈ axis does not start at 0", "id": "≈ sumbu tidak mulai dari 0"}


def mark_broken_axis(ax, axis: str = "x") -> bool:
    """Mark the lower end of an axis whose range leaves out 0 with a ``≈`` (a zoomed axis makes a
    small change look steep); True when marked."""
    low, high = ax.get_xlim() if axis == "x" else ax.get_ylim()
    if low <= 0 <= high or high <= 0 <= low:
        return False
    ax.annotate("≈", (0.0, 0.0), xycoords="axes fraction", ha="center", va="center", fontsize=11, color="#222222",
                annotation_clip=False, bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none"})
    return True
