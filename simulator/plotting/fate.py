"""Material fate over time: by-products generated, exchanged, disposed and held in storage."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..results import RunResult
from .style import FATE_COLOURS, footer, new_figure

SMOOTH_DAYS = 7
DIVERSION_WINDOW_DAYS = 30


def rolling_mean(values: np.ndarray, days: int) -> np.ndarray:
    """Trailing mean over ``days`` (shorter at the start)."""
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    index = np.arange(1, len(values) + 1)
    start = np.maximum(index - days, 0)
    return (cumulative[index] - cumulative[start]) / (index - start)


def fate_series(result: RunResult) -> dict[str, np.ndarray]:
    """Daily by-product tonnes: generated, exchanged, disposed, and end-of-day stock."""
    mass = result.materials.mass_t
    return {name: result.daily[name] @ mass for name in ("generated", "exchanged", "disposed", "stock")}


def plot_material_fate(result: RunResult, axes: list[Axes] | None = None, replications: int = 1) -> Figure:
    """Three aligned panels: daily flows (stacked exchanged + disposed, generated as a line),
    tonnes held in storage, and the landfill diversion rate over a trailing 30-day window."""
    series = fate_series(result)
    days = np.arange(result.horizon_days)
    if axes is None:
        fig = new_figure(9.0, 7.0)
        axes = fig.subplots(3, 1, sharex=True, height_ratios=[3, 1.4, 1.4])
    fig = axes[0].figure
    flows, stock, diversion = axes
    smooth = {k: rolling_mean(v, SMOOTH_DAYS) for k, v in series.items()}
    stored = np.maximum(smooth["generated"] - smooth["exchanged"] - smooth["disposed"], 0.0)
    flows.stackplot(days, smooth["exchanged"], smooth["disposed"], stored,
                    labels=["exchanged to other firms", "disposed (landfill, treatment)", "added to storage"],
                    colors=[FATE_COLOURS["exchanged"], FATE_COLOURS["disposed"], FATE_COLOURS["stock"]],
                    alpha=0.85)
    flows.plot(days, smooth["generated"], color=FATE_COLOURS["generated"], lw=1.4, ls="--",
               label="generated")
    flows.set_ylabel(f"by-products (t/day, {SMOOTH_DAYS}-day mean)")
    flows.legend(loc="lower left", fontsize=8, ncols=4, framealpha=0.9)
    flows.set_ylim(bottom=0)
    stock.fill_between(days, series["stock"], color=FATE_COLOURS["stock"], alpha=0.6, lw=0,
                       label="held in on-site storage")
    stock.set_ylabel("stockpiled (t)")
    stock.set_ylim(bottom=0)
    stock.legend(loc="upper left", fontsize=8, frameon=False)
    exchanged = rolling_mean(series["exchanged"], DIVERSION_WINDOW_DAYS)
    disposed = rolling_mean(series["disposed"], DIVERSION_WINDOW_DAYS)
    total = exchanged + disposed
    rate = np.divide(exchanged, total, out=np.full_like(total, np.nan), where=total > 0)
    diversion.plot(days, 100 * rate, color=FATE_COLOURS["exchanged"], lw=1.6)
    diversion.set_ylim(-2, 102)
    diversion.set_ylabel(f"diversion (%, {DIVERSION_WINDOW_DAYS}-day)")
    diversion.set_xlabel("day of the run (days)")
    for ax in axes:
        ax.grid(alpha=0.3)
        if result.warmup_days:
            ax.axvspan(0, result.warmup_days, color="#999999", alpha=0.15, lw=0)
    flows.set_title(f"By-product fate over time — {result.scenario_name}")
    footer(fig, result.scenario_name, result.seed, replications)
    return fig
