"""Sobol indices of a sensitivity analysis (``sensitivity.csv``): which parameter drives each indicator.

One panel per indicator: for each parameter, its first-order index S1 (the share of the
indicator's variance it causes alone) and its total index ST (including its interactions), as bars
with their 95 % bootstrap confidence intervals (Saltelli et al. 2010). Indicators without variation
or with failed runs have no indices; their number is said below the panels.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..metrics.registry import metric_label
from .compare import as_rows, framed, num
from .style import bottom_legend, footer, label
from .sweep import parameter_text

LABELS = {
    "en": {"title": "Sobol sensitivity indices with 95 % CI", "title_of": "{title} — {scenario}",
           "s1": "first order S1 (the parameter alone)", "st": "total ST (with its interactions)",
           "share": "share of the variance", "none": "{n} other indicators have no indices (no variation or failed runs; see sensitivity.csv)"},
    "id": {"title": "Indeks sensitivitas Sobol dengan SK 95 %", "title_of": "{title} — {scenario}",
           "s1": "orde pertama S1 (parameter itu sendiri)", "st": "total ST (dengan interaksinya)",
           "share": "bagian dari varians", "none": "{n} indikator lain tanpa indeks (tanpa variasi atau run gagal; lihat sensitivity.csv)"},
}
S1_COLOUR, ST_COLOUR = "#1f77b4", "#ff7f0e"


def plot_sobol(sensitivity_rows, meta: dict | None, lang: str = "en") -> Figure:
    """The Sobol indices of ``sensitivity.csv`` rows (metric, parameter, S1, S1_conf, ST, ST_conf)."""
    rows = as_rows(sensitivity_rows)
    meta = meta or {}
    metrics = list(dict.fromkeys(r["metric"] for r in rows))
    drawn = [m for m in metrics if any(math.isfinite(num(r["ST"])) for r in rows if r["metric"] == m)]
    text = lambda key, **kw: label(LABELS, key, lang, **kw)  # noqa: E731
    parameters = list(dict.fromkeys(r["parameter"] for r in rows))
    if not drawn:
        raise ValueError("plot_sobol needs rows with Sobol indices; every indicator has none "
                         "(no variation or failed runs)")
    fig, main = framed(9.0, 1.8 + (0.45 * len(parameters) + 0.9) * len(drawn))
    axes = np.atleast_1d(main.subplots(len(drawn), 1, sharex=True, squeeze=False)).ravel()
    names = [parameter_text(p, lang)[0] for p in parameters]
    y = np.arange(len(parameters))
    for ax, metric in zip(axes, drawn):
        cells = {r["parameter"]: r for r in rows if r["metric"] == metric}
        for offset, key, colour in ((-0.2, "S1", S1_COLOUR), (0.2, "ST", ST_COLOUR)):
            values = np.array([num(cells.get(p, {}).get(key)) for p in parameters])
            conf = np.array([num(cells.get(p, {}).get(f"{key}_conf")) for p in parameters])
            ax.barh(y + offset, np.nan_to_num(values), height=0.38, color=colour,
                    xerr=np.where(np.isfinite(conf), conf, 0), error_kw={"ecolor": "#333333", "lw": 1, "capsize": 2})
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.axvline(0, color="#333333", lw=0.8)
        ax.set_title(metric_label(metric, lang), loc="left", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    skipped = len(metrics) - len(drawn)
    axes[-1].set_xlabel(text("share") + (f"\n{text('none', n=skipped)}" if skipped else ""))
    axes[-1].set_xlim(min(-0.05, axes[-1].get_xlim()[0]), max(1.05, axes[-1].get_xlim()[1]))
    handles = [Patch(color=S1_COLOUR, label=text("s1")), Patch(color=ST_COLOUR, label=text("st"))]
    main.legend(handles=handles, ncols=2, frameon=False, **bottom_legend(8))
    title = text("title")
    main.suptitle(text("title_of", title=title, scenario=meta["scenario"]) if meta.get("scenario") else title)
    footer(fig, meta, lang)
    return fig
