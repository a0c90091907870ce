"""SMEs over time: firms operating and idle, entries, restarts and exits, jobs on plots and active jobs."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .style import footer, label, new_figure

COLOURS = {"operating": "#009E73", "idle": "#E69F00", "entry": "#0072B2", "exit": "#D55E00", "restart": "#56B4E9",
           "on_plots": "#777777", "active": "#009E73"}

LABELS = {
    "en": {"title": "SMEs (IKM) over time — {scenario}", "firms_axis": "SMEs in the park (firms)",
           "operating": "operating", "idle": "idle (no production, no staff)", "entry": "entries",
           "exit": "exits", "restart": "restarts", "jobs_axis": "SME jobs", "on_plots": "jobs on plots (employees of SMEs in the park)",
           "active": "active jobs (full-time equivalents, days worked / days open, {days}-day window)",
           "day_axis": "day of the run (days)", "none": "no SMEs (IKM) in this park", "warmup": "warm-up"},
    "id": {"title": "IKM dari waktu ke waktu — {scenario}", "firms_axis": "IKM di kawasan (perusahaan)",
           "operating": "beroperasi", "idle": "berhenti (tanpa produksi, tanpa pekerja)", "entry": "masuk",
           "exit": "keluar", "restart": "beroperasi kembali", "jobs_axis": "lapangan kerja IKM",
           "on_plots": "lapangan kerja di kavling (karyawan IKM di kawasan)",
           "active": "lapangan kerja aktif (setara penuh waktu, hari kerja / hari buka, jendela {days} hari)",
           "day_axis": "hari simulasi (hari)", "none": "tidak ada IKM di kawasan ini", "warmup": "pemanasan"},
}


def plot_firms(data: dict, axes: list[Axes] | None = None, lang: str = "en") -> Figure:
    """Two aligned panels from chart data (``data["firms"]``): SMEs operating and idle (stacked)
    with the days SMEs entered (up triangles), restarted after being idle (diamonds) and exited
    (down triangles); SME jobs on plots and active SME jobs."""
    firms, meta = data["firms"], data["meta"]
    text = lambda key, **kw: label(LABELS, key, lang, **kw)  # noqa: E731
    if axes is None:
        fig = new_figure(9.0, 6.0)
        axes = fig.subplots(2, 1, sharex=True)
    fig = axes[0].figure
    count, jobs = axes
    days = np.asarray(firms["day"])
    if not firms["smes"]:
        count.text(0.5, 0.5, text("none"), ha="center", va="center", transform=count.transAxes)
    else:
        count.stackplot(days, firms["operating"], firms["idle"], labels=[text("operating"), text("idle")],
                        colors=[COLOURS["operating"], COLOURS["idle"]], alpha=0.8, step="post")
        top = max(max(np.add(firms["operating"], firms["idle"])), 1)
        for kind, marker, y in (("entry", "^", 1.04), ("restart", "D", 1.04), ("exit", "v", 1.04)):
            when = firms.get(f"{kind}_days", [])
            if when:
                count.scatter(when, np.full(len(when), top * y), marker=marker, s=28, color=COLOURS[kind],
                              label=f"{text(kind)} ({len(when)})", zorder=3, clip_on=False)
        count.set_ylim(0, top * 1.12)
        count.legend(loc="lower left", fontsize=8, ncols=4, framealpha=0.9)
        jobs.step(days, firms["jobs_on_plots"], where="post", color=COLOURS["on_plots"], lw=1.4, ls="--",
                  label=text("on_plots"))
        jobs.plot(days, firms["jobs_active"], color=COLOURS["active"], lw=1.8,
                  label=text("active", days=firms["jobs_window_days"]))
        jobs.set_ylim(bottom=0)
        jobs.legend(loc="lower left", fontsize=8, framealpha=0.9)
    count.set_ylabel(text("firms_axis"))
    jobs.set_ylabel(text("jobs_axis"))
    jobs.set_xlabel(text("day_axis"))
    for ax in axes:
        ax.grid(alpha=0.3)
        if meta.get("warmup_days"):
            ax.axvspan(0, meta["warmup_days"], color="#999999", alpha=0.15, lw=0)
    count.set_title(text("title", scenario=meta["scenario"]))
    footer(fig, meta, lang)
    return fig
