"""Link discovery over time: candidate links the firms know of, and those under contract, for one
or several scenario arms."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .compare import NumberFormatter, framed
from .style import colour_cycle, footer, label

LINE_STEP = 1.1
"""Extra line width (pt) of each arm drawn before another, so coinciding curves stay visible."""

LABELS = {
    "en": {"title": "Exchange links found and under contract over time — {scenario}",
           "title_plain": "Exchange links found and under contract over time",
           "known": "known (partners found each other)", "active": "active (under contract)",
           "candidate": "candidate links (physically possible): {n}", "candidate_arm": "candidate links",
           "day_axis": "day of the run (days)", "links_axis": "links (count)", "warmup": "warm-up",
           "arms": "scenario arm", "members": "platform members (firms, right axis)",
           "members_axis": "platform members (firms)"},
    "id": {"title": "Tautan pertukaran yang ditemukan dan berkontrak dari waktu ke waktu — {scenario}",
           "title_plain": "Tautan pertukaran yang ditemukan dan berkontrak dari waktu ke waktu",
           "known": "diketahui (mitra saling menemukan)", "active": "aktif (berkontrak)",
           "candidate": "tautan kandidat (mungkin secara fisik): {n}", "candidate_arm": "tautan kandidat",
           "day_axis": "hari simulasi (hari)", "links_axis": "tautan (jumlah)", "warmup": "pemanasan",
           "arms": "skenario", "members": "anggota platform (perusahaan, sumbu kanan)",
           "members_axis": "anggota platform (perusahaan)"},
}


def plot_discovery(series: dict[str, dict], meta: dict | None, lang: str = "en", *, ax: Axes | None = None) -> Figure:
    """Links known (solid) and active, i.e. under contract (dashed), per day, one colour per arm
    (``series``: arm label -> the ``"discovery"`` dict of its chart data, or the whole chart
    data), with a dotted horizontal line at the number of candidate links (one per arm when
    the arms differ), and platform members (dash-dot, right axis) when any arm has some. Earlier
    arms are drawn wider, so arms with identical curves stay visible."""
    if not series:
        raise ValueError("plot_discovery needs at least one series (arm label -> discovery data)")
    meta = meta or {}
    series = {str(k): (v["discovery"] if "discovery" in v else v) for k, v in series.items()}
    text = lambda key, **kw: label(LABELS, key, lang, **kw)  # noqa: E731
    if ax is None:
        fig, main = framed(9.0, 5.4)
        ax = main.subplots()
    fig = getattr(ax.figure, "figure", ax.figure)  # the root figure, also for axes in a sub-figure
    colours = dict(zip(series, colour_cycle(len(series))))
    candidates = {arm: int(d.get("links_candidate", 0) or 0) for arm, d in series.items()}
    same = len(set(candidates.values())) == 1
    arm_handles, top = [], 0
    members = {arm: np.asarray(d.get("platform_members", []), dtype=float) for arm, d in series.items()}
    right = ax.twinx() if any(m.size and m.max() > 0 for m in members.values()) else None
    for i, (arm, d) in enumerate(series.items()):
        # one more point at the end: each day's count holds until the next day (steps)
        days = np.append(np.asarray(d["day"], dtype=float), float(d["day"][-1]) + 1 if len(d["day"]) else [])
        known = np.asarray(d["links_known"], dtype=float)
        active = np.asarray(d["links_active"], dtype=float)
        known, active = np.append(known, known[-1:]), np.append(active, active[-1:])
        c = colours[arm]
        lw = 1.6 + LINE_STEP * (len(series) - 1 - i)  # earlier arms wider: identical curves stay visible
        ax.plot(days, known, color=c, lw=lw, ls="-", drawstyle="steps-post", zorder=2 + i)
        ax.plot(days, active, color=c, lw=lw, ls=(0, (4, 2)), drawstyle="steps-post", zorder=2 + i)
        if not same:
            ax.axhline(candidates[arm], color=c, lw=1.0, ls=":")
        if right is not None and members[arm].size:
            right.plot(days, np.append(members[arm], members[arm][-1:]), color=c, lw=lw, ls="-.",
                       drawstyle="steps-post")
        arm_handles.append(Line2D([], [], color=c, lw=3, label=arm))
        top = max(top, candidates[arm], known.max(initial=0), active.max(initial=0))
    style_handles = [Line2D([], [], color="#333333", lw=1.8, ls="-", label=text("known")),
                     Line2D([], [], color="#333333", lw=1.8, ls=(0, (4, 2)), label=text("active"))]
    if same:
        n = next(iter(candidates.values()))
        ax.axhline(n, color="#777777", lw=1.2, ls=":")
        style_handles.append(Line2D([], [], color="#777777", lw=1.2, ls=":", label=text("candidate", n=n)))
    else:
        style_handles.append(Line2D([], [], color="#333333", lw=1.0, ls=":", label=text("candidate_arm")))
    if right is not None:
        style_handles.append(Line2D([], [], color="#333333", lw=1.8, ls="-.", label=text("members")))
        right.set_ylim(0, max(m.max(initial=0) for m in members.values()) * 1.12)
        right.set_ylabel(text("members_axis"))
    if meta.get("warmup_days"):
        ax.axvspan(0, meta["warmup_days"], color="#999999", alpha=0.15, lw=0, label=text("warmup"))
    ax.set_ylim(0, max(top, 1) * 1.12)
    ax.set_xlim(left=0)
    ax.yaxis.set_major_formatter(NumberFormatter(lang))
    ax.set_xlabel(text("day_axis"))
    ax.set_ylabel(text("links_axis"))
    ax.grid(alpha=0.3)
    first = ax.legend(handles=style_handles, loc="lower right", fontsize=8, framealpha=0.9)
    if len(series) > 1:
        ax.add_artist(first)
        ax.legend(handles=arm_handles, loc="upper left", fontsize=8, framealpha=0.9, title=text("arms"),
                  title_fontsize=8)
    scenario = meta.get("scenario")
    title = text("title", scenario=scenario) if scenario else text("title_plain")
    ax.set_title(title)
    footer(fig, meta, lang)
    return fig
