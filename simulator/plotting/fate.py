"""Material fate over time: by-products generated, exchanged, disposed and held in storage."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .style import FATE_COLOURS, footer, label, new_figure

SMOOTH_DAYS = 7
DIVERSION_WINDOW_DAYS = 30

LABELS = {
    "en": {"title": "By-product fate over time — {scenario}", "exchanged": "exchanged to other firms",
           "disposed": "disposed (landfill, treatment)", "stored": "added to storage", "generated": "generated",
           "flows_axis": "by-products (t/day, {days}-day mean)", "stock": "held in on-site storage",
           "stock_axis": "stockpiled (t)", "diversion_axis": "diversion (%, {days}-day)",
           "day_axis": "day of the run (days)", "warmup": "warm-up"},
    "id": {"title": "Nasib produk samping dari waktu ke waktu — {scenario}",
           "exchanged": "dipertukarkan ke perusahaan lain", "disposed": "dibuang (TPA, pengolahan)",
           "stored": "ditambahkan ke penyimpanan", "generated": "dihasilkan",
           "flows_axis": "produk samping (t/hari, rata-rata {days} hari)", "stock": "disimpan di lokasi",
           "stock_axis": "ditimbun (t)", "diversion_axis": "pengalihan (%, {days} hari)",
           "day_axis": "hari simulasi (hari)", "warmup": "pemanasan"},
}


def rolling_mean(values, days: int) -> np.ndarray:
    """Trailing mean over ``days`` (shorter at the start)."""
    values = np.asarray(values, dtype=float)
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    index = np.arange(1, len(values) + 1)
    start = np.maximum(index - days, 0)
    return (cumulative[index] - cumulative[start]) / (index - start)


def plot_material_fate(data: dict, axes: list[Axes] | None = None, lang: str = "en") -> Figure:
    """Three aligned panels from chart data: daily flows (stacked exchanged + disposed + added to
    storage, generated as a line), tonnes in storage, and the landfill diversion rate over a
    trailing 30-day window."""
    fate, meta = data["fate"], data["meta"]
    days = np.asarray(fate["day"])
    if axes is None:
        fig = new_figure(9.0, 7.0)
        axes = fig.subplots(3, 1, sharex=True, height_ratios=[3, 1.4, 1.4])
    fig = axes[0].figure
    flows, stock, diversion = axes
    text = lambda key, **kw: label(LABELS, key, lang, **kw)  # noqa: E731
    smooth = {k: rolling_mean(fate[f"{k}_t"], SMOOTH_DAYS) for k in ("generated", "exchanged", "disposed")}
    stored = np.maximum(smooth["generated"] - smooth["exchanged"] - smooth["disposed"], 0.0)
    flows.stackplot(days, smooth["exchanged"], smooth["disposed"], stored,
                    labels=[text("exchanged"), text("disposed"), text("stored")],
                    colors=[FATE_COLOURS["exchanged"], FATE_COLOURS["disposed"], FATE_COLOURS["stock"]],
                    alpha=0.85)
    flows.plot(days, smooth["generated"], color=FATE_COLOURS["generated"], lw=1.4, ls="--", label=text("generated"))
    flows.set_ylabel(text("flows_axis", days=SMOOTH_DAYS))
    flows.legend(loc="lower left", fontsize=8, ncols=4, framealpha=0.9)
    flows.set_ylim(bottom=0)
    stock.fill_between(days, fate["stock_t"], color=FATE_COLOURS["stock"], alpha=0.6, lw=0, label=text("stock"))
    stock.set_ylabel(text("stock_axis"))
    stock.set_ylim(bottom=0)
    stock.legend(loc="upper left", fontsize=8, frameon=False)
    exchanged = rolling_mean(fate["exchanged_t"], DIVERSION_WINDOW_DAYS)
    disposed = rolling_mean(fate["disposed_t"], DIVERSION_WINDOW_DAYS)
    total = exchanged + disposed
    rate = np.divide(exchanged, total, out=np.full_like(total, np.nan), where=total > 0)
    diversion.plot(days, 100 * rate, color=FATE_COLOURS["exchanged"], lw=1.6)
    diversion.set_ylim(-2, 102)
    diversion.set_ylabel(text("diversion_axis", days=DIVERSION_WINDOW_DAYS))
    diversion.set_xlabel(text("day_axis"))
    for ax in axes:
        ax.grid(alpha=0.3)
        if meta.get("warmup_days"):
            ax.axvspan(0, meta["warmup_days"], color="#999999", alpha=0.15, lw=0)
    flows.set_title(text("title", scenario=meta["scenario"]))
    footer(fig, meta, lang)
    return fig
