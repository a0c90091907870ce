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
    "en": {"footer": "eipsim {version} · scenario: {scenario} · replications: {replications} · seed: {seed}"},
    "id": {"footer": "eipsim {version} · skenario: {scenario} · replikasi: {replications} · seed: {seed}"},
}


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

    text = label(FOOTER, "footer", lang, version=__version__, scenario=meta.get("scenario", "?"),
                 replications=meta.get("replications", 1), seed=meta.get("seed", "?"))
    fig.text(0.995, 0.003, text, ha="right", va="bottom", fontsize=7, color="#555555")


def colour_cycle(n: int) -> list[str]:
    return [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n)]
