"""A one-parameter sweep: how indicators respond to a lever, mean and 95 % CI per setting.

Reads the rows of a sweep's ``summary.csv`` (dicts of strings or numbers): one row per arm and
indicator with the arm's parameter value in a column named after the parameter (dicts of strings
or numbers, or a pandas DataFrame).
"""

from __future__ import annotations

import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..config import field_unit
from ..levers import BY_PATH
from ..metrics.registry import metric_label
from ..vocabulary import display_unit, number, share_factor, unit_text
from .compare import SUMMARY_COLUMNS, NumberFormatter, as_rows, exact_decimals, flag, framed, num, scale_for
from .style import BROKEN_AXIS, bottom_legend, colour_cycle, footer, label, mark_broken_axis

LOG_SPAN = 10.0
"""Positive settings spanning at least this factor are placed on a logarithmic axis."""
MAX_TICKS_AT_SETTINGS = 12

LABELS = {
    "en": {"title": "Response to {parameter}: mean and 95 % CI", "title_of": "{title} — {scenario}",
           "mean": "mean of {n} replications", "mean_range": "mean of {low}–{high} replications",
           "ci": "95 % confidence interval", "imprecise": "hollow: imprecise (CI half-width > 10 % of the mean)",
           "unit_less": "value"},
    "id": {"title": "Respons terhadap {parameter}: rata-rata dan SK 95 %", "title_of": "{title} — {scenario}",
           "mean": "rata-rata {n} replikasi", "mean_range": "rata-rata {low}–{high} replikasi",
           "ci": "selang kepercayaan (SK) 95 %",
           "imprecise": "kosong: kurang presisi (setengah lebar SK > 10 % rata-rata)",
           "unit_less": "nilai"},
}


def parameter_unit(parameter: str, currency: str = "") -> str:
    """Unit the schema declares for a scenario field, "" when it has none."""
    unit = field_unit(parameter) if parameter else ""
    return unit.replace("currency", currency or "currency").replace(" / ", "/")


def parameter_text(parameter: str, lang: str = "en", currency: str = "") -> tuple[str, str, float]:
    """Name, unit and display factor of a swept scenario field: the lever catalogue's texts when
    the field is a lever (``sme.land_share`` -> "IKM land", "% of the estate's area", 100), else
    the field's dotted path and its declared unit (factor 1)."""
    lever = BY_PATH.get(parameter)
    if lever is not None:
        unit = lever.text("unit", lang).replace("{currency}", currency or "¤")
        return lever.text("label", lang), unit, 100.0 if lever.kind == "share" else 1.0
    return parameter, unit_text(parameter_unit(parameter, currency), lang), 1.0


def _setting(value):
    x = num(value)
    return x if np.isfinite(x) and str(value).strip().lower() not in ("true", "false") else str(value)


def plot_sweep(summary_rows, parameter: str, meta: dict | None,
               metrics=("landfill_diversion_rate", "lm3_park"), lang: str = "en") -> Figure:
    """One panel per indicator, stacked with a shared x axis (the swept ``parameter``): the mean
    over replications as a line with markers, its 95 % CI as a shaded band, settings sorted.
    Numeric settings spanning a factor >= 10 get a log axis; non-numeric settings are categories
    in the order of the rows. Rows must come from a one-parameter sweep (other parameter columns,
    if any, constant), else ValueError."""
    rows = as_rows(summary_rows)
    if not rows:
        raise ValueError("plot_sweep needs summary rows (summary.csv of a sweep); got none")
    meta = meta or {}
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    if not metrics:
        raise ValueError("plot_sweep needs at least one indicator (metrics)")
    columns = list(dict.fromkeys(k for r in rows for k in r))
    parameters = [c for c in columns if c not in SUMMARY_COLUMNS]
    if parameter not in parameters:
        raise ValueError(f"the rows have no column for parameter {parameter!r}; parameter columns: "
                         f"{', '.join(parameters) or 'none (not a sweep)'}")
    varying = [p for p in parameters if p != parameter
               and len({str(r.get(p)) for r in rows if r.get(p) not in (None, "")}) > 1]
    if varying:
        raise ValueError(f"plot_sweep draws a one-parameter sweep, but besides {parameter!r} the rows also vary "
                         f"{', '.join(varying)}; keep the rows of one setting of those (or sweep one parameter)")
    present = {r["metric"] for r in rows}
    missing = [m for m in metrics if m not in present]
    if missing:
        raise ValueError(f"indicator(s) {', '.join(missing)} not in the rows; they have: "
                         f"{', '.join(dict.fromkeys(r['metric'] for r in rows))}")
    settings = list(dict.fromkeys(_setting(r[parameter]) for r in rows if r.get(parameter) not in (None, "")))
    numeric = all(isinstance(s, float) for s in settings)
    if numeric:
        settings.sort()
    currency = meta.get("currency") or next((r.get("unit") for r in rows if r["metric"] == "revenue"), "")
    name, name_unit, factor = parameter_text(parameter, lang, currency)
    position = {s: (s * factor if numeric else i) for i, s in enumerate(settings)}
    text = lambda key, **kw: label(LABELS, key, lang, **kw)  # noqa: E731
    fig, main = framed(8.0, 1.6 + 2.4 * len(metrics))
    axes = np.atleast_1d(main.subplots(len(metrics), 1, sharex=True, squeeze=False)).ravel()
    colours = colour_cycle(len(metrics))
    counts = []
    for ax, metric, colour in zip(axes, metrics, colours):
        cells: dict = {}
        for r in rows:
            if r["metric"] != metric or r.get(parameter) in (None, ""):
                continue
            key = _setting(r[parameter])
            if key in cells:
                raise ValueError(f"several rows for {metric} at {parameter} = {key}: not a one-parameter sweep")
            cells[key] = r
        keys = [s for s in settings if s in cells]
        unit = cells[keys[0]].get("unit", "") if keys else ""
        f = share_factor(unit)
        x = np.array([position[s] for s in keys], dtype=float)
        mean = np.array([num(cells[s]["mean"]) for s in keys]) * f
        low = np.array([num(cells[s].get("ci_low")) for s in keys]) * f
        high = np.array([num(cells[s].get("ci_high")) for s in keys]) * f
        counts += [int(num(cells[s].get("n"))) for s in keys if np.isfinite(num(cells[s].get("n")))]
        divisor, unit_text = scale_for(np.concatenate([mean, low, high]), display_unit(unit, lang), lang)
        mean, low, high = mean / divisor, low / divisor, high / divisor
        band = np.isfinite(low) & np.isfinite(high)
        ax.fill_between(x, np.where(band, low, mean), np.where(band, high, mean), color=colour, alpha=0.22, lw=0)
        ax.plot(x, mean, "-", color=colour, lw=1.8, zorder=2)
        hollow = np.array([flag(cells[s].get("imprecise")) for s in keys], dtype=bool)
        ax.plot(x[~hollow], mean[~hollow], "o", color=colour, ms=6, zorder=3)
        ax.plot(x[hollow], mean[hollow], "o", mfc="white", mec=colour, mew=1.5, ms=6, zorder=3)
        ax.set_title(metric_label(metric, lang), loc="left", fontsize=10)
        ax.set_ylabel(unit_text or text("unit_less"))
        ax.yaxis.set_major_formatter(NumberFormatter(lang))
        ax.grid(alpha=0.3)
        ax.margins(x=0.04, y=0.12)
    bottom = axes[-1]
    xs = np.array([position[s] for s in settings], dtype=float)
    if numeric and len(xs) and xs.min() > 0 and xs.max() / xs.min() >= LOG_SPAN:
        bottom.set_xscale("log")
        bottom.xaxis.set_minor_formatter(ticker.NullFormatter())
    if not numeric:
        bottom.set_xticks(xs, [str(s) for s in settings])
    elif len(xs) <= MAX_TICKS_AT_SETTINGS:
        bottom.set_xticks(xs, [number(x, lang, exact_decimals([x])) for x in xs])
        bottom.xaxis.set_minor_locator(ticker.NullLocator())
    else:
        bottom.xaxis.set_major_formatter(NumberFormatter(lang))
    bottom.set_xlabel(f"{name} ({name_unit})" if name_unit else name)
    n_text = (text("mean", n=min(counts)) if counts and min(counts) == max(counts)
              else text("mean_range", low=min(counts), high=max(counts)) if counts else text("mean", n="?"))
    handles = [Line2D([], [], marker="o", color="#333333", label=n_text),
               Patch(color="#333333", alpha=0.22, lw=0, label=text("ci")),
               Line2D([], [], marker="o", ls="", mfc="white", mec="#333333", label=text("imprecise"))]
    if any([mark_broken_axis(ax, "y") for ax in axes]):  # a zoomed axis makes a small change look steep
        handles.append(Line2D([], [], ls="", label=BROKEN_AXIS.get(lang, BROKEN_AXIS["en"])))
    main.legend(handles=handles, ncols=2 if len(handles) > 3 else 3, frameon=False, **bottom_legend(8))
    title = text("title", parameter=name)
    main.suptitle(text("title_of", title=title, scenario=meta["scenario"]) if meta.get("scenario") else title)
    footer(fig, meta, lang)
    return fig



POINTS_LABELS = {
    "en": {"title": "Indicators over the sampled settings: mean and 95 % CI per setting",
           "title_of": "{title} — {scenario}", "points": "{n} settings"},
    "id": {"title": "Indikator pada setelan sampel: rata-rata dan SK 95 % per setelan",
           "title_of": "{title} — {scenario}", "points": "{n} setelan"},
}


def plot_sweep_points(summary_rows, parameters, meta: dict | None,
                      metrics=("landfill_diversion_rate", "lm3_park"), lang: str = "en") -> Figure:
    """A sweep over several parameters (a Latin hypercube, or the points of a Sobol design): a grid
    of panels, one row per indicator and one column per parameter, each setting's mean as a dot
    (its 95 % CI as a bar when it has several replications) against that parameter's value."""
    rows = as_rows(summary_rows)
    meta = meta or {}
    parameters = list(parameters)
    metrics = [m for m in ([metrics] if isinstance(metrics, str) else metrics) if any(r["metric"] == m for r in rows)]
    if not rows or not parameters or not metrics:
        raise ValueError("plot_sweep_points needs summary rows of a sweep, its parameters and indicators they hold")
    currency = meta.get("currency") or next((r.get("unit") for r in rows if r["metric"] == "revenue"), "")
    text = lambda key, **kw: label(POINTS_LABELS, key, lang, **kw)  # noqa: E731
    fig, main = framed(3.2 * len(parameters) + 1.4, 1.6 + 2.6 * len(metrics))
    axes = main.subplots(len(metrics), len(parameters), sharex="col", sharey="row", squeeze=False)
    colours = colour_cycle(len(metrics))
    for i, (metric, colour) in enumerate(zip(metrics, colours)):
        cells = [r for r in rows if r["metric"] == metric]
        unit = cells[0].get("unit", "") if cells else ""
        f = share_factor(unit)
        mean = np.array([num(r["mean"]) for r in cells]) * f
        low = np.array([num(r.get("ci_low")) for r in cells]) * f
        high = np.array([num(r.get("ci_high")) for r in cells]) * f
        divisor, shown_unit = scale_for(np.concatenate([mean, low, high]), display_unit(unit, lang), lang)
        mean, low, high = mean / divisor, low / divisor, high / divisor
        for j, parameter in enumerate(parameters):
            ax = axes[i][j]
            name, name_unit, factor = parameter_text(parameter, lang, currency)
            x = np.array([num(r.get(parameter)) for r in cells]) * factor
            band = np.isfinite(low) & np.isfinite(high)
            if band.any():
                ax.errorbar(x[band], mean[band], yerr=[mean[band] - low[band], high[band] - mean[band]], fmt="none",
                            ecolor=colour, alpha=0.45, lw=1)
            ax.plot(x, mean, "o", color=colour, ms=4.5, alpha=0.85)
            ax.grid(alpha=0.3)
            ax.yaxis.set_major_formatter(NumberFormatter(lang))
            ax.xaxis.set_major_formatter(NumberFormatter(lang))
            if i == len(metrics) - 1:
                ax.set_xlabel(f"{name} ({name_unit})" if name_unit else name, fontsize=9)
            if j == 0:
                ax.set_ylabel(shown_unit or "", fontsize=9)
                ax.set_title(metric_label(metric, lang), loc="left", fontsize=10)
    settings = len({tuple(str(r.get(p)) for p in parameters) for r in rows})
    title = f"{text('title')} ({text('points', n=settings)})"
    main.suptitle(text("title_of", title=title, scenario=meta["scenario"]) if meta.get("scenario") else title)
    footer(fig, meta, lang)
    return fig
