"""Experiments at a glance: indicators of each scenario arm with their 95 % confidence intervals,
and the paired differences of each variant against the baseline.

Both charts read the rows of an experiment's tables (``summary.csv``, ``differences.csv``), as
dicts of strings (``csv.DictReader``) or of numbers (``ExperimentOutcome.summary``), or a
pandas DataFrame (``Experiment.summary``). Shares are
shown in per cent; large values are scaled (million, billion ...) with the scale in the unit.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..metrics.registry import REGISTRY, metric_label
from ..vocabulary import SHARE_UNITS, UNITLESS, display_unit, number, scale_word, share_factor
from ..vocabulary import format_value
from .style import BROKEN_AXIS, bottom_legend, colour_cycle, footer, label, mark_broken_axis, new_figure

LABELS = {
    "en": {"title": "Indicators by scenario arm: mean and 95 % CI", "title_of": "{title} — {scenario}",
           "mean": "mean of the replications", "ci": "95 % confidence interval",
           "imprecise": "hollow: imprecise (CI half-width > 10 % of the mean)",
           "baseline_line": "mean of the baseline ({arm})",
           "one_title": "Indicators: mean and 95 % CI over the replications",
           "one_axis": "95 % CI around the mean (% of the mean)",
           "diff_title": "Change against the baseline: paired differences with 95 % CI",
           "diff_title_base": "Change against the baseline ({arm}): paired differences with 95 % CI",
           "diff_axis": "variant − baseline (% of baseline)",
           "not_zero": "filled: 95 % CI excludes 0", "maybe_zero": "hollow: 95 % CI includes 0 (no clear change)",
           "absolute": "labels: change in the indicator's own unit",
           "no_base": "not shown (baseline mean 0 or missing): {names}",
           "no_values": "no indicator has a finite mean\n(did every run fail? see failures.csv)",
           "no_differences": "no indicator has a finite difference and a non-zero baseline mean\n"
                             "(did every run fail? see failures.csv)"},
    "id": {"title": "Indikator per skenario: rata-rata dan SK 95 %", "title_of": "{title} — {scenario}",
           "mean": "rata-rata replikasi", "ci": "selang kepercayaan (SK) 95 %",
           "imprecise": "kosong: kurang presisi (setengah lebar SK > 10 % rata-rata)",
           "baseline_line": "rata-rata skenario dasar ({arm})",
           "one_title": "Indikator: rata-rata dan SK 95 % atas replikasi",
           "one_axis": "SK 95 % di sekitar rata-rata (% dari rata-rata)",
           "diff_title": "Perubahan terhadap skenario dasar: selisih berpasangan dengan SK 95 %",
           "diff_title_base": "Perubahan terhadap skenario dasar ({arm}): selisih berpasangan dengan SK 95 %",
           "diff_axis": "varian − skenario dasar (% dari skenario dasar)",
           "not_zero": "terisi: SK 95 % tidak memuat 0",
           "maybe_zero": "kosong: SK 95 % memuat 0 (tak ada perubahan jelas)",
           "absolute": "label: perubahan dalam satuan indikator",
           "no_base": "tidak ditampilkan (rata-rata skenario dasar 0 atau kosong): {names}",
           "no_values": "tidak ada indikator dengan rata-rata terhingga\n(apakah semua run gagal? lihat failures.csv)",
           "no_differences": "tidak ada indikator dengan selisih terhingga dan rata-rata skenario dasar bukan 0\n"
                             "(apakah semua run gagal? lihat failures.csv)"},
}

SUMMARY_COLUMNS = ("arm", "metric", "unit", "n", "mean", "sd", "ci_low", "ci_high", "half_width", "imprecise")
BASELINE_GREY = "#777777"


# --------------------------------------------------------------------------- shared helpers


def num(value) -> float:
    """A table cell as a float: numbers as they are, strings converted, empty or None as NaN."""
    if value is None or value == "":
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def as_rows(table) -> list[dict]:
    """Table rows as dicts: a list of dicts (csv.DictReader, ExperimentOutcome) or a DataFrame
    (``Experiment.summary`` with pandas)."""
    if hasattr(table, "to_dict") and not isinstance(table, dict):
        return table.to_dict("records")
    return [dict(r) for r in table]


def flag(value) -> bool:
    """A boolean table cell (True, "True", "true", "1")."""
    return value is True or str(value).strip().lower() in ("true", "1", "yes")


def scale_for(values, unit: str, lang: str = "en") -> tuple[float, str]:
    """Divisor and unit text for values: millions and more are scaled ("billion IDR")."""
    finite = np.abs(np.asarray([v for v in values if np.isfinite(v)], dtype=float))
    factor, word = scale_word(finite.max() if len(finite) else 0.0, lang)
    return factor, f"{word} {unit}".strip()


class NumberFormatter(ticker.Formatter):
    """Tick labels with grouped thousands in the language's convention, decimals per tick step."""

    def __init__(self, lang: str = "en", suffix: str = ""):
        self.lang, self.suffix, self.decimals = lang, suffix, None

    def __call__(self, x, pos=None):
        return number(x, self.lang, self.decimals if self.decimals is not None else None) + self.suffix

    def format_ticks(self, values):
        finite = [v for v in values if np.isfinite(v)]
        self.decimals = exact_decimals(finite)
        try:
            return [self(v, i) for i, v in enumerate(values)]
        finally:
            self.decimals = None


def exact_decimals(values, most: int = 6) -> int:
    """Fewest decimals (up to ``most``) that write every value exactly (to a millionth of its size)."""
    values = [float(v) for v in values]
    size = max((abs(v) for v in values), default=0.0) or 1.0
    for d in range(most + 1):
        if all(abs(round(v, d) - v) <= 1e-6 * size for v in values):
            return d
    return most


"""Height (inches) of the strip at the bottom kept for the footer."""


def framed(width: float, height: float) -> tuple[Figure, Figure]:
    """A figure and the area to draw in (the figure itself: :func:`style.new_figure` already
    keeps the footer's strip free)."""
    fig = new_figure(width, height)
    return fig, fig


def headline_metrics(present) -> list[str]:
    """Headline indicators of the registry among ``present``, in registry order."""
    present = set(present)
    return [name for name, m in REGISTRY.items() if m.headline and name in present]


def _title(key: str, meta: dict, lang: str, **values) -> str:
    title = label(LABELS, key, lang, **values)
    scenario = (meta or {}).get("scenario")
    return label(LABELS, "title_of", lang, title=title, scenario=scenario) if scenario else title


def _choose(rows: list[dict], metrics, value_key: str) -> list[str]:
    present = list(dict.fromkeys(r["metric"] for r in rows))
    if metrics is None:
        finite = {r["metric"] for r in rows if np.isfinite(num(r[value_key]))}
        chosen = [m for m in headline_metrics(present) if m in finite]
        return chosen or [m for m in present if m in finite]
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    missing = [m for m in metrics if m not in present]
    if missing:
        raise ValueError(f"indicator(s) {', '.join(missing)} not in the rows; they have: {', '.join(present)}")
    return metrics


def _message_figure(title: str, message: str, meta: dict, lang: str) -> Figure:
    """A titled figure that says why there is nothing to draw (e.g. every run failed)."""
    fig, main = framed(9.0, 3.0)
    ax = main.subplots()
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=11, color="#444444")
    ax.set_xticks([])
    ax.set_yticks([])
    main.suptitle(title)
    footer(fig, meta, lang)
    return fig


# --------------------------------------------------------------------------- arms side by side


def plot_comparison(summary_rows, meta: dict | None, metrics=None, lang: str = "en") -> Figure:
    """Small multiples, one panel per indicator (default: the registry's headline indicators in
    the rows), each arm's mean as a dot with its 95 % CI as whiskers, arms on the y axis (first
    arm, the baseline, on top, its mean as a dashed reference line). Imprecise means (CI
    half-width > 10 % of the mean) are hollow."""
    rows = as_rows(summary_rows)
    if not rows:
        raise ValueError("plot_comparison needs summary rows (summary.csv); got none")
    meta = meta or {}
    metrics = _choose(rows, metrics, "mean")
    if not metrics:
        return _message_figure(_title("title", meta, lang), label(LABELS, "no_values", lang), meta, lang)
    arms = list(dict.fromkeys(str(r["arm"]) for r in rows))
    if len(arms) == 1:
        return _plot_one_arm(rows, metrics, arms[0], meta, lang)
    colours = dict(zip(arms, colour_cycle(len(arms))))
    by_key = {(str(r["arm"]), r["metric"]): r for r in rows}
    ncols = min(3, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    panel_h = 0.9 + 0.32 * len(arms)
    fig, main = framed(4.0 * ncols + 1.2, 1.5 + panel_h * nrows)
    axes = np.atleast_1d(main.subplots(nrows, ncols, sharey=True, squeeze=False)).ravel()
    text = lambda key, **kw: label(LABELS, key, lang, **kw)  # noqa: E731
    y = np.arange(len(arms))
    for ax, metric in zip(axes, metrics):
        cells = [by_key.get((arm, metric)) for arm in arms]
        unit = next((c.get("unit", "") for c in cells if c), "")
        f = share_factor(unit)
        values = [(num(c["mean"]) * f, num(c.get("ci_low")) * f, num(c.get("ci_high")) * f) if c else
                  (math.nan,) * 3 for c in cells]
        divisor, unit_text = scale_for([v for triple in values for v in triple], display_unit(unit, lang), lang)
        for i, (arm, (mean, low, high), cell) in enumerate(zip(arms, values, cells)):
            if not np.isfinite(mean):
                continue
            mean, low, high = mean / divisor, low / divisor, high / divisor
            err = [[mean - low if np.isfinite(low) else 0.0], [high - mean if np.isfinite(high) else 0.0]]
            hollow = flag(cell.get("imprecise"))
            ax.errorbar([mean], [i], xerr=err, fmt="o", color=colours[arm], mfc="white" if hollow else colours[arm],
                        mec=colours[arm], mew=1.5, ms=6, capsize=3, elinewidth=1.5, zorder=3)
        base = values[0][0] / divisor
        if np.isfinite(base):
            ax.axvline(base, color=BASELINE_GREY, ls="--", lw=0.9, zorder=1)
        title = metric_label(metric, lang) + (f" ({unit_text})" if unit_text else "")
        ax.set_title("\n".join(textwrap.wrap(title, 52)), fontsize=9.5)
        ax.xaxis.set_major_formatter(NumberFormatter(lang))
        ax.xaxis.set_major_locator(ticker.MaxNLocator(5))
        ax.tick_params(labelsize=8)
        ax.grid(axis="x", alpha=0.3)
        ax.margins(x=0.12)
    broken = [mark_broken_axis(ax) for ax in axes[:len(metrics)]]
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    axes[0].set_yticks(y, arms)
    axes[0].set_ylim(len(arms) - 0.5, -0.5)
    handles = [Line2D([], [], marker="o", ls="", color="#333333", label=text("mean")),
               Line2D([], [], marker="|", ms=12, ls="-", color="#333333", label=text("ci")),
               Line2D([], [], marker="o", ls="", mfc="white", mec="#333333", label=text("imprecise")),
               Line2D([], [], ls="--", color=BASELINE_GREY, label=text("baseline_line", arm=arms[0]))]
    if any(broken):
        handles.append(Line2D([], [], ls="", label=BROKEN_AXIS.get(lang, BROKEN_AXIS["en"])))
    main.legend(handles=handles, ncols=min(len(handles), 3), frameon=False, **bottom_legend(8))
    main.suptitle(_title("title", meta, lang))
    footer(fig, meta, lang)
    return fig


def _plot_one_arm(rows: list[dict], metrics: list[str], arm: str, meta: dict, lang: str) -> Figure:
    """The replications of one scenario: per indicator, its 95 % CI around the mean as % of the
    mean (so indicators of different units share one axis, and the width reads as precision),
    with the mean and CI in the indicator's own unit written beside it. No baseline: there is
    nothing to compare with."""
    text = lambda key, **kw: label(LABELS, key, lang, **kw)  # noqa: E731
    by_metric = {r["metric"]: r for r in rows}
    fig, main = framed(10.0, 1.7 + 0.36 * len(metrics))
    ax = main.subplots()
    extent = [0.0]
    for j, metric in enumerate(metrics):
        row = by_metric[metric]
        mean, low, high = num(row["mean"]), num(row.get("ci_low")), num(row.get("ci_high"))
        unit = row.get("unit", "")
        relative = np.isfinite(mean) and mean != 0 and np.isfinite(low) and np.isfinite(high)
        err = [[(mean - low) * 100 / abs(mean)], [(high - mean) * 100 / abs(mean)]] if relative else [[0.0], [0.0]]
        hollow = flag(row.get("imprecise"))
        ax.errorbar([0.0], [j], xerr=err, fmt="o", color="#0072B2", mfc="white" if hollow else "#0072B2",
                    mec="#0072B2", mew=1.5, ms=6, capsize=3, elinewidth=1.5, zorder=3)
        extent += [-err[0][0], err[1][0]]
        shown = format_value(mean, unit, lang)
        if np.isfinite(low) and np.isfinite(high):
            shown += f"  [{format_value(low, unit, lang)}, {format_value(high, unit, lang)}]"
        ax.annotate(shown, (err[1][0], j), xytext=(6, 0), textcoords="offset points", va="center", fontsize=7.5,
                    color="#333333")
    ax.axvline(0, color="#222222", lw=0.8, zorder=1)
    ax.set_yticks(np.arange(len(metrics)), ["\n".join(textwrap.wrap(metric_label(m, lang), 40)) for m in metrics],
                  fontsize=8.5)
    ax.set_ylim(len(metrics) - 0.5, -0.5)
    reach = max(abs(v) for v in extent) or 1.0
    ax.set_xlim(-1.15 * reach, 3.2 * reach)  # room for the values right of the whiskers
    ax.xaxis.set_major_formatter(NumberFormatter(lang, suffix=" %"))
    ax.set_xlabel(text("one_axis"))
    ax.grid(axis="x", alpha=0.3)
    handles = [Line2D([], [], marker="o", ls="", color="#333333", label=text("mean")),
               Line2D([], [], marker="|", ms=12, ls="-", color="#333333", label=text("ci")),
               Line2D([], [], marker="o", ls="", mfc="white", mec="#333333", label=text("imprecise"))]
    main.legend(handles=handles, ncols=3, frameon=False, **bottom_legend(8))
    main.suptitle(_title("one_title", {"scenario": arm, **meta}, lang))
    footer(fig, meta, lang)
    return fig


# --------------------------------------------------------------------------- paired differences


def plot_differences(difference_rows, meta: dict | None, metrics=None, lang: str = "en") -> Figure:
    """Paired differences of each variant against the baseline, as % of the baseline mean (so
    indicators of different units share one axis): a dot and 95 % CI whiskers per variant and
    indicator, a zero line, the change in the indicator's own unit written next to each dot.
    Dots whose CI includes 0 are hollow. Indicators with a baseline mean of 0 are left out (named
    in a note)."""
    rows = as_rows(difference_rows)
    if not rows:
        raise ValueError("plot_differences needs difference rows (differences.csv); got none")
    meta = meta or {}
    metrics = _choose(rows, metrics, "diff_mean")
    variants = list(dict.fromkeys(str(r["variant"]) for r in rows))
    colours = dict(zip(variants, colour_cycle(len(variants) + 1)[1:]))  # first colour: the baseline elsewhere
    by_key = {(str(r["variant"]), r["metric"]): r for r in rows}
    shown, dropped = [], []
    for metric in metrics:
        bases = [num(by_key[(v, metric)]["baseline_mean"]) for v in variants if (v, metric) in by_key]
        (shown if any(np.isfinite(b) and b != 0 for b in bases) else dropped).append(metric)
    baseline = meta.get("baseline")
    title = _title("diff_title_base" if baseline else "diff_title", meta, lang, arm=baseline)
    if not shown:
        return _message_figure(title, label(LABELS, "no_differences", lang), meta, lang)
    text = lambda key, **kw: label(LABELS, key, lang, **kw)  # noqa: E731
    fig, main = framed(10.0, 1.6 + len(shown) * (0.2 + 0.17 * len(variants)))
    ax = main.subplots()
    width = 0.7
    offsets = (np.arange(len(variants)) - (len(variants) - 1) / 2) * (width / max(len(variants), 1))
    extent = [0.0]
    for j, metric in enumerate(shown):
        for k, variant in enumerate(variants):
            row = by_key.get((variant, metric))
            if row is None:
                continue
            base, diff = num(row["baseline_mean"]), num(row["diff_mean"])
            if not (np.isfinite(base) and base != 0 and np.isfinite(diff)):
                continue
            scale = 100.0 / abs(base)
            low, high = num(row.get("diff_ci_low")), num(row.get("diff_ci_high"))
            pct = diff * scale
            err = [[(diff - low) * scale if np.isfinite(low) else 0.0],
                   [(high - diff) * scale if np.isfinite(high) else 0.0]]
            includes_zero = not (np.isfinite(low) and np.isfinite(high)) or low <= 0 <= high
            c = colours[variant]
            ax.errorbar([pct], [j + offsets[k]], xerr=err, fmt="o", color=c, mec=c, mew=1.5, ms=6, capsize=2.5,
                        mfc="white" if includes_zero else c, elinewidth=1.4, zorder=3)
            right = pct + err[1][0]
            extent += [pct - err[0][0], right]
            unit = row.get("unit", "")
            f = share_factor(unit)
            divisor, unit_text = scale_for([diff * f], display_unit(unit, lang), lang)
            if unit in SHARE_UNITS:
                unit_text = "pp" if lang == "en" else "poin %"
            elif unit in UNITLESS:
                unit_text = ""
            change = f"{number(diff * f / divisor, lang, sign=True, trim=True)} {unit_text}".strip()
            ax.annotate(change, (right, j + offsets[k]), xytext=(5, 0), textcoords="offset points", va="center",
                        fontsize=7, color="#444444")
    ax.axvline(0, color="#222222", lw=1.0, zorder=2)
    ax.set_yticks(np.arange(len(shown)), ["\n".join(textwrap.wrap(metric_label(m, lang), 34)) for m in shown],
                  fontsize=8.5)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    for j in range(1, len(shown)):
        ax.axhline(j - 0.5, color="#dddddd", lw=0.6, zorder=0)
    low, high = min(extent), max(extent)
    pad = 0.08 * (high - low or 1.0)
    ax.set_xlim(low - pad, high + 3.5 * pad)  # room for the labels right of the whiskers
    ax.xaxis.set_major_formatter(NumberFormatter(lang, suffix=" %"))
    ax.set_xlabel(text("diff_axis"))
    ax.grid(axis="x", alpha=0.3)
    handles = [Line2D([], [], marker="o", ls="-", color=colours[v], label=v) for v in variants]
    handles += [Line2D([], [], marker="o", ls="", color="#333333", label=text("not_zero")),
                Line2D([], [], marker="o", ls="", mfc="white", mec="#333333", label=text("maybe_zero"))]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
              title=text("absolute"), title_fontsize=8)
    if dropped:
        note = textwrap.wrap(text("no_base", names=", ".join(metric_label(m, lang) for m in dropped)), 48)
        ax.text(1.02, 0.0, "\n".join(note), transform=ax.transAxes, ha="left", va="bottom", fontsize=7,
                color="#555555")
    main.suptitle(title)
    footer(fig, meta, lang)
    return fig
