"""Plain-text tables of an experiment for the terminal: means with 95 % CIs, paired differences,
sweep points and failures."""

from __future__ import annotations

import csv
from pathlib import Path

from ..metrics.registry import REGISTRY

MAX_POINTS_SHOWN = 20


def _rows(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _num(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return float("nan")


def experiment_table(experiment) -> str:
    from ..cli import format_value

    folder = experiment.folder
    headline = [m for m, spec in REGISTRY.items() if spec.headline]
    lines = [f"{experiment.kind}: {experiment.runs_done} of {experiment.runs_total} runs done"]
    failures = _rows(folder / "failures.csv")
    if failures:
        lines.append(f"{len(failures)} run(s) failed, e.g. {failures[0]['arm']}: {failures[0]['error'][:200]}")
    summary = _rows(folder / "summary.csv")
    if experiment.kind == "compare":
        diffs = [r for r in _rows(folder / "differences.csv") if r["metric"] in headline]
        for variant in dict.fromkeys(r["variant"] for r in diffs):
            lines.append(f"\n{variant} vs baseline (paired differences, 95 % CI):")
            for r in (r for r in diffs if r["variant"] == variant):
                unit = r["unit"]
                label = REGISTRY[r["metric"]].label
                lines.append(f"  {label:<40} {format_value(_num(r['baseline_mean']), unit):>22} -> "
                             f"{format_value(_num(r['variant_mean']), unit):>22}   diff "
                             f"{format_value(_num(r['diff_mean']), unit)} "
                             f"[{format_value(_num(r['diff_ci_low']), unit)}, "
                             f"{format_value(_num(r['diff_ci_high']), unit)}]")
        return "\n".join(lines)
    arms = list(dict.fromkeys(r["arm"] for r in summary))
    for arm in arms[:MAX_POINTS_SHOWN]:
        rows = [r for r in summary if r["arm"] == arm and r["metric"] in headline]
        params = {k: v for k, v in rows[0].items() if k not in (
            "arm", "metric", "unit", "n", "mean", "sd", "ci_low", "ci_high", "half_width", "imprecise")} if rows else {}
        title = arm + (" (" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")" if params else "")
        if rows and all(r["n"] == "0" for r in rows):
            lines.append(f"\n{title}: every run failed (see failures.csv)")
            continue
        lines.append(f"\n{title}: mean [95 % CI] over n replications; * = CI wider than 10 % of the mean")
        for r in rows:
            unit, mean = r["unit"], _num(r["mean"])
            flag = " *" if r["imprecise"] == "True" else ""
            ci = (f" [{format_value(_num(r['ci_low']), unit)}, {format_value(_num(r['ci_high']), unit)}]"
                  if r["n"] not in ("0", "1") else "")
            lines.append(f"  {REGISTRY[r['metric']].label:<40} {format_value(mean, unit)}{ci} (n={r['n']}){flag}")
    if len(arms) > MAX_POINTS_SHOWN:
        lines.append(f"\n... {len(arms) - MAX_POINTS_SHOWN} more points in summary.csv")
    return "\n".join(lines)
