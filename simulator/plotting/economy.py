"""The park's local economy: LM3 re-spending rounds, input-output output multipliers by sector
and jobs by firm kind, from a run's chart data (``data["economy"]``)."""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure

from ..vocabulary import KIND_NAMES, number
from .compare import NumberFormatter, framed, scale_for
from .style import OKABE_ITO, footer, label

ROUND_COLOURS = {"r1": "#0072B2", "r2": "#E69F00", "r3": "#009E73", "total": "#555555"}
EFFECT_COLOURS = {"direct": "#0072B2", "indirect": "#56B4E9", "induced": "#E69F00"}
KIND_COLOURS = {"anchor": "#CC79A7", "sme": "#D55E00", "recycler": "#009E73", "utility": "#56B4E9",
                "service": "#000000"}
SECTOR_LABEL_CHARS = 30

LABELS = {
    "en": {"title": "Local economy of the park — {scenario}",
           "lm3_title": "A  Local Multiplier 3: where the park's income is re-spent",
           "r1": "R1\nincome", "r2": "+ R2\nspent\nlocally", "r3": "+ R3\nre-spent\nlocally",
           "total": "= LM3\ntotal", "ratio": "LM3\n=\n{value}", "park": "all park firms", "sme": "SMEs (IKM)",
           "money_axis": "{unit} over {days} days", "no_income": "no income in the window",
           "multipliers_title": "B  Output multipliers by park sector (input-output, Leontief)",
           "direct": "direct (the sale itself)", "indirect": "indirect (local suppliers, Type I)",
           "induced": "induced (local household spending, Type II)",
           "multiplier_axis": "local output per unit of final demand ({currency}/{currency})",
           "no_leontief": "no Leontief solution\n(a sector's local inputs cost as much as its sales,\n"
                          "so I − A cannot be inverted: no multipliers)",
           "no_sectors": "no park sector in the input-output table",
           "jobs_title": "C  Jobs by firm kind", "jobs_axis": "active jobs (full-time equivalents, days worked)",
           "no_jobs": "no firms"},
    "id": {"title": "Ekonomi lokal kawasan — {scenario}",
           "lm3_title": "A  Local Multiplier 3: ke mana pendapatan kawasan dibelanjakan kembali",
           "r1": "R1\npendapatan", "r2": "+ R2\ndibelanjakan\nlokal", "r3": "+ R3\ndibelanjakan\nulang lokal",
           "total": "= total\nLM3", "ratio": "LM3\n=\n{value}", "park": "seluruh perusahaan kawasan", "sme": "IKM",
           "money_axis": "{unit} selama {days} hari", "no_income": "tidak ada pendapatan dalam periode",
           "multipliers_title": "B  Pengganda output per sektor kawasan (input-output, Leontief)",
           "direct": "langsung (penjualan itu sendiri)", "indirect": "tidak langsung (pemasok lokal, Tipe I)",
           "induced": "terinduksi (belanja rumah tangga lokal, Tipe II)",
           "multiplier_axis": "output lokal per satuan permintaan akhir ({currency}/{currency})",
           "no_leontief": "tidak ada solusi Leontief\n(input lokal suatu sektor sebesar penjualannya,\n"
                          "sehingga I − A tidak dapat diinvers: tanpa pengganda)",
           "no_sectors": "tidak ada sektor kawasan dalam tabel input-output",
           "jobs_title": "C  Lapangan kerja per jenis perusahaan",
           "jobs_axis": "lapangan kerja aktif (setara penuh waktu, hari kerja)", "no_jobs": "tidak ada perusahaan"},
}


def plot_local_economy(data: dict, lang: str = "en") -> Figure:
    """Three panels: (A) LM3 as a waterfall per group (all park firms; SMEs when there are any):
    R1 income, + R2 spent locally, + R3 re-spent locally, = the LM3 total, in the currency over
    the run's window, the LM3 ratio written on the total; (B) each park sector's Type II output
    multiplier split into direct, indirect (Type I) and induced (Type II) effects, or a note when
    the IO table has no Leontief solution; (C) jobs by firm kind."""
    economy, meta = data["economy"], data["meta"]
    text = lambda key, **kw: label(LABELS, key, lang, **kw)  # noqa: E731
    sectors = (economy.get("multipliers") or {}).get("sectors") or []
    lower = 1.6 + 0.3 * max(len(sectors), 3) if sectors else 1.4
    fig, main = framed(11.0, 5.0 + lower)
    top, bottom = main.subfigures(2, 1, height_ratios=[4.4, lower])
    lm3_fig, jobs_fig = top.subfigures(1, 2, width_ratios=[2.6, 1])
    groups = [g for g in ("park", "sme") if g in economy.get("lm3", {})]
    lm3_axes = np.atleast_1d(lm3_fig.subplots(1, max(len(groups), 1), squeeze=False)).ravel()
    days = int(meta.get("horizon_days", 0)) - int(meta.get("warmup_days", 0) or 0)
    for ax, group in zip(lm3_axes, groups):
        _waterfall(ax, economy["lm3"][group], text(group), economy.get("currency", meta.get("currency", "")), days,
                   lang)
    lm3_fig.suptitle(text("lm3_title"), x=0.01, ha="left", fontsize=11)
    _multipliers(bottom, economy.get("multipliers"), economy.get("currency", ""), lang)
    _jobs(jobs_fig.subplots(), economy.get("jobs", {}), lang)
    main.suptitle(text("title", scenario=meta.get("scenario", "?")), fontsize=13)
    footer(fig, meta, lang)
    return fig


def _waterfall(ax, rounds, title: str, currency: str, days: int, lang: str) -> None:
    text = lambda key, **kw: label(LABELS, key, lang, **kw)  # noqa: E731
    r1, r2, r3 = (float(v) for v in rounds)
    total = r1 + r2 + r3
    divisor, unit = scale_for([total, r1], currency, lang)
    heights = np.array([r1, r2, r3, total]) / divisor
    bottoms = np.array([0.0, r1, r1 + r2, 0.0]) / divisor
    colours = [ROUND_COLOURS[k] for k in ("r1", "r2", "r3", "total")]
    x = np.arange(4)
    bars = ax.bar(x, heights, bottom=bottoms, color=colours, width=0.62, edgecolor="white", linewidth=0.8)
    for k in range(3):  # connectors: the top of one bar to the base of the next
        level = (bottoms[k] + heights[k])
        ax.plot([x[k] + 0.31, x[k + 1] - 0.31], [level, level], color="#999999", lw=0.8, ls=":")
    top = heights.max()
    decimals = 0 if top >= 100 else 1 if top >= 10 else 2
    for bar, value, base in zip(bars, heights, bottoms):
        ax.annotate(number(value, lang, decimals), (bar.get_x() + bar.get_width() / 2, base + value), xytext=(0, 3),
                    textcoords="offset points", ha="center", va="bottom", fontsize=8)
    if r1 > 0:
        ax.annotate(text("ratio", value=number(total / r1, lang, 2)), (x[3], heights[3] / 2), ha="center",
                    va="center", fontsize=10, fontweight="bold", color="white", linespacing=1.4)
    else:
        ax.text(0.5, 0.5, text("no_income"), transform=ax.transAxes, ha="center", va="center", fontsize=9)
    ax.set_xticks(x, [text(k) for k in ("r1", "r2", "r3", "total")], fontsize=8)
    ax.set_ylabel(text("money_axis", unit=unit, days=days) if days > 0 else unit)
    ax.yaxis.set_major_formatter(NumberFormatter(lang))
    ax.set_ylim(0, max(heights.max(), 1e-12) * 1.12)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)


def _multipliers(panel, multipliers: dict | None, currency: str, lang: str) -> None:
    text = lambda key, **kw: label(LABELS, key, lang, **kw)  # noqa: E731
    ax = panel.subplots()
    ax.set_title(text("multipliers_title"), loc="left", fontsize=11)
    if not multipliers or not multipliers.get("sectors"):
        ax.text(0.5, 0.5, text("no_leontief" if multipliers is None else "no_sectors"), transform=ax.transAxes,
                ha="center", va="center", fontsize=11, color="#444444")
        ax.set_xticks([])
        ax.set_yticks([])
        return
    sectors = multipliers["sectors"]
    y = np.arange(len(sectors))
    left = np.zeros(len(sectors))
    for effect in ("direct", "indirect", "induced"):
        values = np.array([float(v) for v in multipliers[effect]])
        ax.barh(y, values, left=left, height=0.66, color=EFFECT_COLOURS[effect], label=text(effect),
                edgecolor="white", linewidth=0.6)
        left += values
    for j, total in enumerate(left):
        ax.annotate(number(total, lang, 2), (total, j), xytext=(4, 0), textcoords="offset points", va="center",
                    fontsize=8)
    ax.set_yticks(y, ["\n".join(textwrap.wrap(s, SECTOR_LABEL_CHARS)) for s in sectors], fontsize=8)
    ax.set_ylim(len(sectors) - 0.5, -0.5)
    ax.set_xlim(0, left.max() * 1.08)
    ax.axvline(1.0, color="#222222", lw=0.8, ls=":")
    ax.set_xlabel(text("multiplier_axis", currency=currency or "¤"))
    ax.xaxis.set_major_formatter(NumberFormatter(lang))
    ax.xaxis.set_major_locator(ticker.MaxNLocator(8, steps=[1, 2, 2.5, 5, 10]))
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    panel.legend(loc="outside lower center", ncols=3, fontsize=8, frameon=False)


def _jobs(ax, jobs: dict, lang: str) -> None:
    text = lambda key, **kw: label(LABELS, key, lang, **kw)  # noqa: E731
    ax.set_title("\n".join(textwrap.wrap(text("jobs_title"), 30)), loc="left", fontsize=11)
    kinds = list(jobs)
    if not kinds:
        ax.text(0.5, 0.5, text("no_jobs"), transform=ax.transAxes, ha="center", va="center")
        return
    values = np.array([float(jobs[k]) for k in kinds])
    spare = [c for c in OKABE_ITO if c not in KIND_COLOURS.values()]
    colours = [KIND_COLOURS.get(k) or spare[i % len(spare)] for i, k in enumerate(kinds)]
    bars = ax.bar(np.arange(len(kinds)), values, color=colours, width=0.6)
    for bar, value in zip(bars, values):
        ax.annotate(number(value, lang, 0), (bar.get_x() + bar.get_width() / 2, value), xytext=(0, 3),
                    textcoords="offset points", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(np.arange(len(kinds)), [KIND_NAMES.get(lang, {}).get(k, k) for k in kinds])
    ax.set_ylabel(text("jobs_axis"))
    ax.yaxis.set_major_formatter(NumberFormatter(lang))
    ax.set_ylim(0, max(values.max(), 1.0) * 1.12)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
