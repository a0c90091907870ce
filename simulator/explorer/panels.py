"""What the page shows of a finished experiment, read from its folder: the KPI numbers, the charts
of the variant's representative run, and the folder packed as a zip.

The numbers are those of ``summary.csv`` and ``differences.csv``, exactly as ``eipsim compare``
writes them; the charts are drawn by :func:`simulator.plotting.charts.run_figures` from the arm's
``chart_data.json`` in the language asked for. Matplotlib figures are drawn one at a time (the
server answers on several threads).
"""

from __future__ import annotations

import io
import math
import threading
from functools import lru_cache
from pathlib import Path

from ..metrics.registry import REGISTRY
from ..result_reader import ResultReader
from ..storage import write_zip
from ..vocabulary import LANGUAGES, display_unit, format_value

KPIS = ("landfill_diversion_rate", "virgin_material_avoided_t", "co2e_avoided_t", "lm3_park",
        "multiplier_output_type2", "jobs_sme", "sme_survival", "sme_revenue", "lm3_sme")
CHARTS = {"sankey": {"en": "Material flows (Sankey)", "id": "Aliran material (Sankey)"},
          "network": {"en": "Network map", "id": "Peta jaringan"},
          "material_fate": {"en": "Fate of by-products", "id": "Nasib produk samping"}}
CHART_DPI = 120
CURRENCY = {"en": "currency", "id": "mata uang"}   # a unit of the scenario's currency, before one is chosen

_DRAWING = threading.Lock()


def kpi_meta() -> list[dict]:
    """Label and unit (English, Indonesian), definition and source of each KPI (the metric registry)."""
    return [{"metric": name, "label": {lang: REGISTRY[name].text(lang) for lang in LANGUAGES},
             "unit": REGISTRY[name].unit,
             "unit_text": {lang: display_unit(REGISTRY[name].unit, lang).replace("{currency}", CURRENCY[lang])
                           for lang in LANGUAGES},
             "definition": REGISTRY[name].definition, "source": REGISTRY[name].source}
            for name in KPIS]


def arms(folder: Path) -> tuple[str, str]:
    """Labels of the baseline and the variant arm of a comparison folder."""
    plan = ResultReader(folder).plan()
    return plan["arms"][0]["label"], plan["arms"][1]["label"]


def kpi_values(folder: Path) -> list[dict]:
    """Per KPI: unit, the variant's and the baseline's mean with 95 % CI and n, and the paired
    difference variant - baseline with its 95 % CI (None where a value is not finite); ``text``:
    the same numbers as people read them in each language (:func:`simulator.vocabulary.format_value`,
    the one formatter), keyed ``variant``, ``baseline`` and ``difference`` like the numbers."""
    baseline, variant = arms(folder)
    reader = ResultReader(folder)
    summary = {(row["arm"], row["metric"]): row for row in reader.table("summary.csv")}
    differences = {row["metric"]: row for row in reader.table("differences.csv") if row["variant"] == variant}
    values = []
    for name in KPIS:
        stats = {}
        for key, arm in (("variant", variant), ("baseline", baseline)):
            row = summary.get((arm, name), {})
            stats[key] = {k: _number(row.get(k)) for k in ("mean", "ci_low", "ci_high")}
            stats[key]["n"] = int(_number(row.get("n")) or 0)
        diff = differences.get(name, {})
        stats["difference"] = {k: _number(diff.get(f"diff_{k}")) for k in ("mean", "ci_low", "ci_high")}
        unit = summary.get((variant, name), {}).get("unit", REGISTRY[name].unit)
        values.append({"metric": name, "unit": unit, **stats, "text": {lang: _texts(stats, unit, lang) for lang in LANGUAGES}})
    return values


def _texts(stats: dict, unit: str, lang: str) -> dict:
    return {key: {k: format_value(v, unit, lang, change=key == "difference") for k, v in numbers.items() if k != "n"}
            for key, numbers in stats.items()}


def changes(current: list[dict], pinned: list[dict]) -> dict[str, dict[str, str]]:
    """Per KPI, the change of the variant's mean from a pinned result to ``current`` (both as
    :func:`kpi_values` gives them), in each language."""
    before = {kpi["metric"]: kpi["variant"]["mean"] for kpi in pinned}
    texts = {}
    for kpi in current:
        now, was = kpi["variant"]["mean"], before.get(kpi["metric"])
        change = None if now is None or was is None else now - was
        texts[kpi["metric"]] = {lang: format_value(change, kpi["unit"], lang, change=True) for lang in LANGUAGES}
    return texts


def _number(value) -> float | None:
    """A table cell as a finite float, or None (missing, NaN or infinite)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return float(value) if math.isfinite(value) else None


def chart_png(folder: Path, arm: str, name: str, lang: str) -> bytes:
    """PNG of chart ``name`` of ``arm``'s representative run, labelled in ``lang``."""
    if name not in CHARTS or lang not in LANGUAGES:
        raise KeyError(name)
    return _chart_png(str(folder), arm, name, lang)


@lru_cache(maxsize=64)
def _chart_png(folder: str, arm: str, name: str, lang: str) -> bytes:
    from ..plotting.charts import run_figures

    data = ResultReader(folder).chart_data(arm)
    with _DRAWING:
        figure = run_figures(data, lang, only=(name,))[name]
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=CHART_DPI, metadata={"Software": "eipsim"})
    return buffer.getvalue()


def package(folder: Path, lang: str) -> Path:
    """The experiment folder as a zip, with every chart (PNG and SVG) and the HTML report in ``lang``
    added first, as ``eipsim plot`` and ``eipsim report`` would write them. Built once per language."""
    suffix = "" if lang == "en" else f"_{lang}"
    target = folder.parent / f"{folder.name}{suffix}.zip"
    with _DRAWING:
        if not target.is_file():
            _draw_all(folder, lang, suffix)
            write_zip(folder, target)
    return target


def _draw_all(folder: Path, lang: str, suffix: str) -> None:
    from ..plotting.charts import experiment_figures, run_figures
    from ..plotting.saving import save_figures
    from ..report import build_report
    from ..storage import write_atomic

    save_figures(folder, experiment_figures(folder, lang), lang=lang)
    reader = ResultReader(folder)
    for arm in reader.arms_with_charts():
        save_figures(reader.arm_run(arm), run_figures(reader.chart_data(arm), lang), lang=lang)
    write_atomic(folder / f"report{suffix}.html", build_report(folder, lang))
