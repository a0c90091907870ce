"""Shared look of eipsim charts: colour-blind-safe palette, footers, labels in two languages.

Figures are built with ``matplotlib.figure.Figure`` (never pyplot), so plotting has no global
state and works on machines without a display.
"""

from __future__ import annotations

from matplotlib.figure import Figure

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
"""Okabe & Ito (2008) palette, distinguishable with the common colour-vision deficiencies."""
FATE_COLOURS = {"exchanged": "#009E73", "disposed": "#D55E00", "stock": "#0072B2", "generated": "#000000"}
KIND_MARKERS = {"anchor": "s", "sme": "o", "recycler": "^", "utility": "D", "service": "P"}


def new_figure(width: float = 9.0, height: float = 5.5) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig


def footer(fig: Figure, scenario: str, seed: int | str, replications: int = 1) -> None:
    """Source line at the bottom of a figure: scenario, replications and seed."""
    from .. import __version__

    text = f"eipsim {__version__} · scenario: {scenario} · replications: {replications} · seed: {seed}"
    fig.text(0.995, 0.003, text, ha="right", va="bottom", fontsize=7, color="#555555")


def colour_cycle(n: int) -> list[str]:
    return [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n)]
