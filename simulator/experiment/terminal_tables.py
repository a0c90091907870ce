"""Plain-text tables of an experiment for the terminal: means with sd and 95 % CIs, paired
differences, the uncertain assumptions that drive them, sweep points, Sobol indices and failures."""

from __future__ import annotations

from pathlib import Path

from ..metrics.registry import REGISTRY
from ..result_reader import ResultReader, read_table
from ..vocabulary import format_change, format_value
from .drivers import MOSTLY, SIGNIFICANCE, describe, is_driver, top_drivers

MAX_POINTS_SHOWN = 20
MAX_CAUSES_SHOWN = 5
MAX_ERROR_CHARS = 200
WIDE_SOBOL_CONF = 0.1
SUMMARY_COLUMNS = ("arm", "metric", "unit", "n", "mean", "sd", "ci_low", "ci_high", "half_width", "imprecise")


def _aligned(rows: list[list[str]], left: int = 1, right: int | None = None) -> list[str]:
    """Rows of cells as indented lines: the first ``left`` columns left-aligned, the others
    right-aligned up to column ``right`` (excluded), left-aligned again from there."""
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    right = len(widths) if right is None else right
    return [("  " + "  ".join(cell.ljust(width) if k < left or k >= right else cell.rjust(width)
                                for k, (cell, width) in enumerate(zip(row, widths)))).rstrip()
            for row in rows]


def experiment_table(experiment) -> str:
    """What the command line prints after an experiment: runs done, failures, then the results."""
    folder = experiment.folder
    lines = [f"{experiment.kind}: {experiment.runs_done} of {experiment.runs_total} runs done"]
    lines += _failure_lines(read_table(folder / "failures.csv"), experiment.runs_total)
    if experiment.kind == "compare":
        lines += _difference_lines(folder)
    elif experiment.kind == "sensitivity":
        lines += _sensitivity_lines(folder)
    else:
        lines += _summary_lines(folder)
    lines += [f"  Warning ({arm}): {text}" for arm, text in ResultReader(folder).plausibility()]
    return "\n".join(lines)


def _failure_lines(failures: list[dict], runs_total: int) -> list[str]:
    """How many runs failed, then each distinct error with its number of runs and one example run."""
    if not failures:
        return []
    causes: dict[str, list[dict]] = {}
    for row in failures:
        causes.setdefault(" ".join(str(row["error"] or "").split()), []).append(row)
    counts = f"{len(failures)} of {runs_total} runs failed ({len(causes)} distinct error(s)"
    lines = [f"{counts}; every failed run is in failures.csv):"]
    for error, rows in sorted(causes.items(), key=lambda cause: -len(cause[1]))[:MAX_CAUSES_SHOWN]:
        if len(error) > MAX_ERROR_CHARS:
            error = error[:MAX_ERROR_CHARS] + " ..."
        example = rows[0]
        params = ", ".join(f"{k}={v}" for k, v in example.items() if k not in ("run_id", "arm", "error"))
        lines.append(f"  {len(rows)} run(s): {error}")
        lines.append(f"      e.g. {example['run_id']} ({example['arm']}{': ' + params if params else ''})")
    if len(causes) > MAX_CAUSES_SHOWN:
        lines.append(f"  ... and {len(causes) - MAX_CAUSES_SHOWN} more distinct error(s) in failures.csv")
    return lines


def _difference_lines(folder: Path) -> list[str]:
    headline = [m for m, spec in REGISTRY.items() if spec.headline]
    diffs = [r for r in read_table(folder / "differences.csv") if r["metric"] in headline]
    drivers = read_table(folder / "drivers.csv")
    baseline = next((r["scope"].split(" - ", 1)[1] for r in drivers if " - " in r["scope"]), "")
    lines = []
    for variant in dict.fromkeys(r["variant"] for r in diffs):
        lines.append(f"\n{variant} vs baseline (paired differences, 95 % CI):")
        table = [["indicator", "baseline", "", variant, "difference", "95 % CI",
                  *(["difference driven by"] if drivers else [])]]
        for r in (r for r in diffs if r["variant"] == variant):
            unit = r["unit"]
            replicated = r["n"] > 1
            diff, low, high = format_change(r["diff_mean"], r["diff_ci_low"] if replicated else None,
                                            r["diff_ci_high"] if replicated else None, unit)
            table.append([REGISTRY[r["metric"]].label, format_value(r["baseline_mean"], unit), "->",
                          format_value(r["variant_mean"], unit), diff, f"[{low}, {high}]" if replicated else "",
                          *([describe(top_drivers(drivers, f"{variant} - {baseline}", r["metric"]))]
                            if drivers else [])])
        lines += _aligned(table, left=1, right=6)
    return lines + _driver_notes([r for r in drivers if " - " in r["scope"]], headline)


def _summary_lines(folder: Path) -> list[str]:
    headline = [m for m, spec in REGISTRY.items() if spec.headline]
    summary = read_table(folder / "summary.csv")
    arms = list(dict.fromkeys(r["arm"] for r in summary))
    every = read_table(folder / "drivers.csv")
    drivers = [r for r in every if r["scope"] in arms]   # a sweep's drivers are over all runs: notes only
    lines = []
    for arm in arms[:MAX_POINTS_SHOWN]:
        rows = [r for r in summary if r["arm"] == arm and r["metric"] in headline]
        params = {k: v for k, v in rows[0].items() if k not in SUMMARY_COLUMNS} if rows else {}
        title = arm + (" (" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")" if params else "")
        if rows and all(r["n"] == 0 for r in rows):
            lines.append(f"\n{title}: every run failed (see failures.csv)")
            continue
        if not any(r["n"] > 1 for r in rows):
            lines.append(f"\n{title}: one run")
            lines += _aligned([["indicator", "value"], *([REGISTRY[r["metric"]].label,
                                                          format_value(r["mean"], r["unit"])] for r in rows)])
            continue
        lines.append(f"\n{title}: mean, sd and 95 % CI over n replications; * = CI wider than 10 % of the mean")
        table = [["indicator", "mean", "sd", "95 % CI", "n", "", *(["driven by"] if drivers else [])]]
        for r in rows:
            unit = r["unit"]
            replicated = r["n"] > 1
            table.append([REGISTRY[r["metric"]].label, format_value(r["mean"], unit),
                          format_value(r["sd"], unit) if replicated else "",
                          f"[{format_value(r['ci_low'], unit)}, {format_value(r['ci_high'], unit)}]"
                          if replicated else "", str(r["n"]), "*" if r["imprecise"] is True else "",
                          *([describe(top_drivers(drivers, arm, r["metric"]))] if drivers else [])])
        lines += _aligned(table, left=1, right=6)
    if len(arms) > MAX_POINTS_SHOWN:
        lines.append(f"\n... {len(arms) - MAX_POINTS_SHOWN} more points in summary.csv")
    return lines + _driver_notes(every, headline, column=bool(drivers))


def _driver_notes(drivers: list[dict], headline: list[str], column: bool = True) -> list[str]:
    """What the "driven by" ``column`` means, and which indicators are mostly an assumption."""
    if not drivers:
        return []
    lines = [f"driven by: uncertain parameters whose sampled values move the indicator (Spearman rank correlation "
             f"rho across replications; only correlations that survive a Benjamini-Hochberg false discovery rate "
             f"of {SIGNIFICANCE:.0%} over all tests of the arm; all in drivers.csv)."] if column else []
    mostly = [(r["scope"], REGISTRY[r["metric"]].label, r["parameter"], r["rho"]) for r in drivers
              if r["metric"] in headline and r["rank"] == 1 and is_driver(r) and abs(r["rho"]) >= MOSTLY]
    for scope, label, parameter, rho in mostly:
        lines.append(f"  {label} ({scope}) is mostly driven by {parameter} (rho {rho:+.2f}): "
                     "most of its spread across runs follows that input, not the model's randomness.")
    return lines


def _sensitivity_lines(folder: Path) -> list[str]:
    """The Sobol indices or Morris measures of each indicator (the means of every parameter point
    are in summary.csv)."""
    rows = read_table(folder / "sensitivity.csv")
    if not rows:
        return []
    summary = read_table(folder / "summary.csv")
    points = len({r["arm"] for r in summary})
    units = {r["metric"]: r["unit"] for r in summary}
    if "mu_star" in rows[0]:
        lines = [f"\nMorris elementary effects from {points} parameter points (their means are in summary.csv):",
                 "mu*: mean absolute change of the indicator when the parameter moves across its range in steps "
                 "(ranks the parameters; ± the half-width of its 95 % CI); sigma: spread of those changes "
                 "(non-linear or interacting):"]
        return lines + _aligned(_index_table(rows, ("mu*", "sigma"), lambda r, unit: (
            f"{format_value(r['mu_star'], unit)} ± {format_value(r['mu_star_conf'], unit)}",
            format_value(r["sigma"], unit)), units, order="mu_star"), left=2)
    lines = [f"\nSobol indices from {points} parameter points (their means are in summary.csv),",
             "± the half-width of the 95 % CI; S1: the parameter alone, ST: with its interactions:"]
    lines += _aligned(_index_table(rows, ("S1", "ST"), lambda r, unit: (
        f"{r['S1']:.2f} ± {r['S1_conf']:.2f}", f"{r['ST']:.2f} ± {r['ST_conf']:.2f}"), units), left=2)
    if any(max(r["S1_conf"], r["ST_conf"]) > WIDE_SOBOL_CONF for r in rows if not r["note"]):
        lines.append(f"Some intervals are wider than ± {WIDE_SOBOL_CONF}: a larger --n narrows them.")
    return lines


def _index_table(rows: list[dict], titles: tuple[str, str], cells, units: dict[str, str],
                 order: str | None = None) -> list[list[str]]:
    """One line per indicator and parameter (``order``: a column to sort each indicator's
    parameters by, largest first), the two ``cells(row, unit)`` after the parameter."""
    table = [["indicator", "parameter", *titles]]
    for metric in dict.fromkeys(r["metric"] for r in rows):
        label = REGISTRY[metric].label if metric in REGISTRY else metric
        group = [r for r in rows if r["metric"] == metric]
        if group[0]["note"]:
            table.append([label, f"not computed: {group[0]['note']}", "", ""])
            continue
        if order:
            group.sort(key=lambda r: -r[order])
        for k, r in enumerate(group):
            table.append([label if k == 0 else "", r["parameter"], *cells(r, units.get(metric, ""))])
    return table
