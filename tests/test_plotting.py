"""Charts of runs and experiments: what each figure shows (titles, units, one mark per datum, legends,
Indonesian texts), from small synthetic data and from short real demo runs; figures save as PNG and SVG."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from helpers import SCENARIOS
from matplotlib.collections import PolyCollection
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.text import Text

import simulator
from simulator.chartdata import run_chart_data
from simulator.model.park import run_scenario
from simulator.plotting.compare import plot_comparison, plot_differences
from simulator.vocabulary import number
from simulator.plotting.discovery_chart import plot_discovery
from simulator.plotting.economy import plot_local_economy
from simulator.plotting.sweep import plot_sweep
from simulator.result_reader import ResultReader
from simulator.validation import load_scenario

META = {"scenario": "synthetic", "seed": 7, "replications": 3, "currency": "IDR", "horizon_days": 100,
        "warmup_days": 10}


# --------------------------------------------------------------------------- inspecting figures


def texts(fig: Figure) -> list[str]:
    """Every text drawn: titles, labels, ticks, legends, annotations, footers (also in sub-figures)."""
    fig.draw_without_rendering()  # tick labels exist once drawn
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def titles(fig: Figure) -> list[str]:
    """Figure and sub-figure titles, and axes titles."""
    found = [f._suptitle.get_text() for f in [fig, *fig.findobj(lambda a: hasattr(a, "subfigs"))]
             if getattr(f, "_suptitle", None) is not None]
    found += [t for ax in fig.axes for t in (ax.get_title(), ax.get_title("left")) if t]
    return found


def data_axes(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_visible()]


def errorbars(ax) -> list[ErrorbarContainer]:
    return [c for c in ax.containers if isinstance(c, ErrorbarContainer)]


def bars(ax) -> list[BarContainer]:
    return [c for c in ax.containers if isinstance(c, BarContainer)]


def legend_texts(fig: Figure) -> list[str]:
    legends = [leg for f in [fig, *fig.subfigs, *[s for f in fig.subfigs for s in f.subfigs]] for leg in f.legends]
    legends += [child for ax in fig.axes for child in ax.get_children() if type(child).__name__ == "Legend"]
    return [t.get_text() for leg in legends for t in leg.get_texts()]


def saves(fig: Figure, path) -> None:
    fig.savefig(path.with_suffix(".png"), dpi=60)
    fig.savefig(path.with_suffix(".svg"))
    assert path.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in path.with_suffix(".svg").read_bytes()[:1000]


# --------------------------------------------------------------------------- synthetic data


def economy_data(multipliers=True, sme=True, scale=1.0) -> dict:
    economy = {"lm3": {"park": [100.0 * scale, 30.0 * scale, 10.0 * scale]}, "currency": "IDR",
               "jobs": {"anchor": 120.0, "sme": 35.0, "recycler": 4.0}}
    if sme:
        economy["lm3"]["sme"] = [10.0, 8.0, 4.0]
    economy["multipliers"] = {"sectors": ["C2394 cement", "C1040 vegetable oils"], "direct": [1.0, 1.0],
                              "indirect": [0.2, 0.9], "induced": [0.05, 0.3], "income_type1": [2.0, 3.0],
                              "income_type2": [2.5, 3.5], "final_demand": [1e9, 2e9]} if multipliers else None
    return {"meta": dict(META), "economy": economy}


def summary_row(arm, metric, unit, mean, half, n=3, imprecise=False, **params):
    return {"arm": arm, **params, "metric": metric, "unit": unit, "n": str(n), "mean": repr(mean), "sd": "1",
            "ci_low": repr(mean - half), "ci_high": repr(mean + half), "half_width": repr(half),
            "imprecise": str(imprecise)}


ARMS = ("base", "platform", "tax")
SUMMARY = [summary_row(arm, "landfill_diversion_rate", "share", 0.2 + 0.05 * i, 0.02, imprecise=(i == 1))
           for i, arm in enumerate(ARMS)]
SUMMARY += [summary_row(arm, "revenue", "IDR", 3.0e12 + 1e10 * i, 5e9) for i, arm in enumerate(ARMS)]
SUMMARY += [summary_row(arm, "truck_trips", "trips", 100.0 + i, 3.0) for i, arm in enumerate(ARMS)]


def difference_row(variant, metric, unit, base, diff, low, high):
    return {"variant": variant, "metric": metric, "unit": unit, "baseline_mean": str(base),
            "variant_mean": str(base + diff), "diff_mean": str(diff), "diff_ci_low": str(low),
            "diff_ci_high": str(high), "n": "3"}


DIFFERENCES = [difference_row("platform", "byproducts_exchanged_t", "t", 200.0, 20.0, 10.0, 30.0),
               difference_row("tax", "byproducts_exchanged_t", "t", 200.0, -2.0, -6.0, 2.0),
               difference_row("platform", "lm3_park", "ratio 1-3", 1.5, 0.015, 0.01, 0.02),
               difference_row("tax", "lm3_park", "ratio 1-3", 1.5, 0.0, 0.0, 0.0),
               difference_row("platform", "jobs_sme", "jobs", 0.0, 0.0, 0.0, 0.0),
               difference_row("tax", "jobs_sme", "jobs", 0.0, 0.0, 0.0, 0.0)]


def sweep_rows(values=("0.1", "0.05", "0.2"), other=None):
    rows = []
    for k, v in enumerate(values):
        extra = {"sme.land_share": v, **({"platform.coverage": other[k]} if other else {})}
        rows.append(summary_row(f"p{k:03d}", "landfill_diversion_rate", "share", 0.1 + float(v), 0.03, **extra))
        rows.append(summary_row(f"p{k:03d}", "lm3_park", "ratio 1-3", 1.4 + float(v) / 10, 0.01, **extra))
    return rows


def discovery(days=50, candidate=12, shift=0):
    day = list(range(days))
    return {"day": day, "links_known": [min(candidate, 2 + (d + shift) // 5) for d in day],
            "links_active": [min(candidate, (d + shift) // 8) for d in day], "links_candidate": candidate}


# --------------------------------------------------------------------------- local economy


def test_economy_waterfall_bars_are_the_lm3_rounds(tmp_path):
    data = economy_data()
    fig = plot_local_economy(data)
    park, sme = [ax for ax in data_axes(fig) if ax.get_title() in ("all park firms", "SMEs (IKM)")]
    for ax, (r1, r2, r3) in ((park, data["economy"]["lm3"]["park"]), (sme, data["economy"]["lm3"]["sme"])):
        (container,) = bars(ax)
        heights = [p.get_height() for p in container]
        bottoms = [p.get_y() for p in container]
        assert heights == pytest.approx([r1, r2, r3, r1 + r2 + r3])
        assert bottoms == pytest.approx([0.0, r1, r1 + r2, 0.0])  # each round stands on the previous ones
        assert "IDR" in ax.get_ylabel() and "90 days" in ax.get_ylabel()  # horizon 100 - warm-up 10
    all_text = texts(fig)
    assert "LM3\n=\n1.40" in all_text and "LM3\n=\n2.20" in all_text  # (100 + 30 + 10) / 100, 22 / 10
    assert "Local economy of the park — synthetic" in titles(fig)
    assert any(t.startswith("eipsim") and "synthetic" in t for t in all_text)  # footer
    saves(fig, tmp_path / "economy")


def test_economy_multiplier_segments_and_jobs():
    data = economy_data()
    fig = plot_local_economy(data)
    (multipliers,) = [ax for ax in data_axes(fig) if "Output multipliers" in ax.get_title("left")]
    segments = bars(multipliers)
    assert len(segments) == 3 and sum(len(c) for c in segments) == 2 * 3  # sectors x (direct, indirect, induced)
    m = data["economy"]["multipliers"]
    for container, effect, start in zip(segments, ("direct", "indirect", "induced"),
                                        ([0, 0], m["direct"], np.add(m["direct"], m["indirect"]))):
        assert [p.get_width() for p in container] == pytest.approx(m[effect])
        assert [p.get_x() for p in container] == pytest.approx(start)
    assert "IDR/IDR" in multipliers.get_xlabel()
    assert [t.get_text() for t in multipliers.get_yticklabels()] == m["sectors"]
    assert {"direct (the sale itself)", "indirect (local suppliers, Type I)",
            "induced (local household spending, Type II)"} <= set(legend_texts(fig))
    (jobs,) = [ax for ax in data_axes(fig) if "Jobs by firm kind" in ax.get_title("left")]
    (container,) = bars(jobs)
    assert [p.get_height() for p in container] == [120.0, 35.0, 4.0]
    assert "jobs" in jobs.get_ylabel()


def test_economy_without_leontief_solution_or_smes_and_in_indonesian():
    fig = plot_local_economy(economy_data(multipliers=False, sme=False), lang="id")
    all_text = texts(fig)
    assert any(t.startswith("tidak ada solusi Leontief") for t in all_text)
    waterfalls = [ax for ax in data_axes(fig) if ax.get_title() == "seluruh perusahaan kawasan"]
    assert len(waterfalls) == 1 and not any(ax.get_title() == "IKM" for ax in data_axes(fig))
    assert "Ekonomi lokal kawasan — synthetic" in titles(fig)
    assert "selama 90 hari" in waterfalls[0].get_ylabel()
    assert any("skenario: synthetic" in t for t in all_text)  # Indonesian footer
    plain = plot_local_economy(economy_data(multipliers=False))
    assert any(t.startswith("no Leontief solution") for t in texts(plain))


def test_economy_scales_large_sums_into_the_axis_unit():
    fig = plot_local_economy(economy_data(scale=1e10))  # R1 = 1e12
    (park,) = [ax for ax in data_axes(fig) if ax.get_title() == "all park firms"]
    assert park.get_ylabel().startswith("trillion IDR")
    assert [p.get_height() for p in bars(park)[0]] == pytest.approx([1.0, 0.3, 0.1, 1.4])
    fig = plot_local_economy(economy_data(scale=1e10), lang="id")
    (park,) = [ax for ax in data_axes(fig) if ax.get_title() == "seluruh perusahaan kawasan"]
    assert park.get_ylabel().startswith("triliun IDR")


# --------------------------------------------------------------------------- comparison


def test_comparison_one_errorbar_per_arm_and_headline_indicator(tmp_path):
    fig = plot_comparison(SUMMARY, META)
    panels = [ax for ax in data_axes(fig) if errorbars(ax)]
    assert len(panels) == 2  # headline indicators only: truck_trips is not one
    for ax in panels:
        assert len(errorbars(ax)) == len(ARMS)
    share, money = panels
    assert share.get_title() == "Landfill diversion rate (%)"
    assert money.get_title() == "Revenue of park firms (trillion IDR)"
    means = [c.lines[0].get_xdata()[0] for c in errorbars(share)]
    assert means == pytest.approx([20.0, 25.0, 30.0])  # shares in per cent
    assert [c.lines[0].get_ydata()[0] for c in errorbars(share)] == [0, 1, 2]  # arms on the y axis
    assert [t.get_text() for t in share.get_yticklabels()] == list(ARMS)
    assert [c.lines[0].get_markerfacecolor() for c in errorbars(share)][1] == "white"  # imprecise mean
    assert "mean of the replications" in legend_texts(fig)
    assert "Indicators by scenario arm: mean and 95 % CI — synthetic" in titles(fig)
    saves(fig, tmp_path / "comparison")


def test_comparison_chosen_indicators_numbers_and_indonesian():
    numeric = [{k: (float(v) if k in ("mean", "ci_low", "ci_high", "n") else v) for k, v in row.items()}
               for row in SUMMARY]
    fig = plot_comparison(numeric, META, metrics=["truck_trips"], lang="id")
    (panel,) = [ax for ax in data_axes(fig) if errorbars(ax)]
    assert panel.get_title() == "Perjalanan truk (perjalanan)"
    assert any(t.startswith("Indikator per skenario") for t in titles(fig))
    with pytest.raises(ValueError, match="not_a_metric"):
        plot_comparison(SUMMARY, META, metrics=["not_a_metric"])
    with pytest.raises(ValueError, match="no summary rows|got none"):
        plot_comparison([], META)


def test_comparison_of_one_arm_and_of_failed_runs():
    one = [row for row in SUMMARY if row["arm"] == "base"]
    fig = plot_comparison(one, META)
    # one panel, one row per indicator (CI as % of its mean), no baseline to cite (issue 14, item 8)
    assert [len(errorbars(ax)) for ax in data_axes(fig) if errorbars(ax)] == [2]
    assert not any("baseline" in t for t in texts(fig))
    failed = [{**row, "mean": "nan", "ci_low": "", "ci_high": ""} for row in SUMMARY]
    fig = plot_comparison(failed, META)  # a figure that says why it is empty, not an error
    assert any("failures.csv" in t for t in texts(fig))
    failed = [{**row, "diff_mean": "nan"} for row in DIFFERENCES]
    assert any("failures.csv" in t for t in texts(plot_differences(failed, META, lang="id")))


def test_comparison_takes_a_dataframe():
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame(SUMMARY).astype({"mean": float, "ci_low": float, "ci_high": float, "n": int})
    fig = plot_comparison(frame, META)
    assert [len(errorbars(ax)) for ax in data_axes(fig) if errorbars(ax)] == [3, 3]


def test_differences_in_percent_of_the_baseline(tmp_path):
    fig = plot_differences(DIFFERENCES, {**META, "baseline": "base"})
    (ax,) = data_axes(fig)
    marks = errorbars(ax)
    assert len(marks) == 2 * 2  # variants x indicators with a non-zero baseline (jobs_sme has 0)
    pct = sorted(c.lines[0].get_xdata()[0] for c in marks)
    assert pct == pytest.approx(sorted([10.0, -1.0, 1.0, 0.0]))
    assert ax.get_xlabel() == "variant − baseline (% of baseline)"
    assert any(line.get_xdata()[0] == 0 and line.get_linestyle() == "-" for line in ax.get_lines())  # zero line
    hollow = {round(c.lines[0].get_xdata()[0], 6): c.lines[0].get_markerfacecolor() == "white" for c in marks}
    assert hollow[10.0] is False and hollow[-1.0] is True  # CI [-6, 2] t includes 0
    all_text = texts(fig)
    assert "+20 t" in all_text and "+0.015" in all_text  # change in the indicator's own unit
    assert any("Active jobs in SMEs (IKM)" in t.replace("\n", " ") and t.startswith("not shown") for t in all_text)
    assert {"platform", "tax"} <= set(legend_texts(fig))
    assert "Change against the baseline (base): paired differences with 95 % CI — synthetic" in titles(fig)
    saves(fig, tmp_path / "differences")
    fig = plot_differences(DIFFERENCES, META, lang="id")
    assert data_axes(fig)[0].get_xlabel() == "varian − skenario dasar (% dari skenario dasar)"
    assert any(t.startswith("Perubahan terhadap skenario dasar") for t in titles(fig))


# --------------------------------------------------------------------------- sweep


def test_sweep_panels_sorted_means_and_ci_bands(tmp_path):
    fig = plot_sweep(sweep_rows(), "sme.land_share", META)
    panels = data_axes(fig)
    assert len(panels) == 2
    share, lm3 = panels
    line = share.get_lines()[0]
    assert list(line.get_xdata()) == pytest.approx([5, 10, 20])  # sorted by the parameter, a share in per cent
    assert list(line.get_ydata()) == pytest.approx([15.0, 20.0, 30.0])  # per cent
    assert len([c for c in share.collections if isinstance(c, PolyCollection)]) == 1  # the CI band
    assert share.get_ylabel() == "%" and lm3.get_ylabel() == "ratio 1-3"
    assert share.get_title("left") == "Landfill diversion rate"
    assert lm3.get_xlabel() == "IKM land (% of the estate's area)"  # the explorer's lever texts
    assert "mean of 3 replications" in legend_texts(fig)
    assert "Response to IKM land: mean and 95 % CI — synthetic" in titles(fig)
    saves(fig, tmp_path / "sweep")
    fig = plot_sweep(sweep_rows(), "sme.land_share", META, lang="id")
    fig.draw_without_rendering()
    assert any("," in t.get_text() for t in data_axes(fig)[1].get_yticklabels())  # 1,42: decimal comma
    assert [t.get_text() for t in data_axes(fig)[1].get_xticklabels()] == ["5", "10", "20"]
    assert data_axes(fig)[1].get_xlabel() == "Lahan IKM (% luas kawasan)"
    assert data_axes(fig)[0].get_title("left") == "Tingkat pengalihan dari TPA"
    assert data_axes(fig)[1].get_ylabel() == "rasio 1-3"
    assert any(t.startswith("Respons terhadap Lahan IKM") for t in titles(fig))


def test_sweep_refuses_rows_that_are_not_a_one_parameter_sweep():
    with pytest.raises(ValueError, match="also vary platform.coverage"):
        plot_sweep(sweep_rows(other=("0.5", "0.9", "0.5")), "sme.land_share", META)
    constant = plot_sweep(sweep_rows(other=("0.5", "0.5", "0.5")), "sme.land_share", META)
    assert len(data_axes(constant)) == 2
    with pytest.raises(ValueError, match="no column for parameter 'park.area_ha'"):
        plot_sweep(sweep_rows(), "park.area_ha", META)
    with pytest.raises(ValueError, match="several rows"):
        plot_sweep(sweep_rows(values=("0.1", "0.1")), "sme.land_share", META)
    tax = "policy.landfill_tax_per_t"  # the currency of its unit comes from the revenue rows
    money = [summary_row(f"p{k}", metric, unit, 1.0, 0.1, **{tax: v}) for k, v in enumerate(("0", "5e4"))
             for metric, unit in (("landfill_diversion_rate", "share"), ("lm3_park", "ratio 1-3"), ("revenue", "IDR"))]
    fig = plot_sweep(money, tax, {k: v for k, v in META.items() if k != "currency"})
    assert data_axes(fig)[-1].get_xlabel() == "Landfill tax (IDR/t)"
    with pytest.raises(ValueError, match="jobs_sme"):
        plot_sweep(sweep_rows(), "sme.land_share", META, metrics=["jobs_sme"])


# --------------------------------------------------------------------------- discovery


def test_discovery_known_solid_active_dashed_one_colour_per_arm(tmp_path):
    series = {"base": discovery(), "platform": discovery(shift=20)}
    fig = plot_discovery(series, META)
    (ax,) = data_axes(fig)
    curves = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
    assert len(curves) == 2 * len(series)
    assert [line.get_linestyle() for line in curves] == ["-", "--", "-", "--"]
    assert curves[0].get_color() == curves[1].get_color() != curves[2].get_color()
    assert list(curves[0].get_ydata()[:-1]) == series["base"]["links_known"]
    assert list(curves[3].get_ydata()[:-1]) == series["platform"]["links_active"]
    candidate = [line for line in ax.get_lines() if len(set(line.get_ydata())) == 1 and line.get_ydata()[0] == 12]
    assert len(candidate) == 1  # one line: both arms have 12 candidate links
    assert ax.get_xlabel() == "day of the run (days)" and "links" in ax.get_ylabel()
    legend = legend_texts(fig)
    assert {"base", "platform", "active (under contract)", "candidate links (physically possible): 12"} <= set(legend)
    assert ax.get_title() == "Exchange links found and under contract over time — synthetic"
    saves(fig, tmp_path / "discovery")
    fig = plot_discovery({"a": discovery(candidate=12), "b": discovery(candidate=9)}, META, lang="id")
    (ax,) = data_axes(fig)
    assert ax.get_xlabel() == "hari simulasi (hari)"
    assert ax.get_title().startswith("Tautan pertukaran")
    flat = {line.get_ydata()[0] for line in ax.get_lines() if len(set(line.get_ydata())) == 1}
    assert {12, 9} <= flat  # one candidate line per arm when they differ


def test_number_formats_follow_the_language():
    assert number(1234.5, "en", 1) == "1,234.5" and number(1234.5, "id", 1) == "1.234,5"
    assert number(-0.0001, "en", 2) == "0.00" and number(-2.5, "en", 1) == "−2.5"
    assert number(20.0, "en", sign=True) == "+20.0" and number(0.0, sign=True) == "0"
    assert number(20.0, sign=True, trim=True) == "+20" and number(0.250, "id", 3, trim=True) == "0,25"
    assert number(math.nan) == "–"


# --------------------------------------------------------------------------- real demo runs


@pytest.fixture(scope="module")
def demo_chart():
    scenario, _ = load_scenario(SCENARIOS / "demo.yaml", overrides=["run.horizon_days=60"])
    return run_chart_data(run_scenario(scenario))


@pytest.fixture(scope="module")
def demo_experiments(tmp_path_factory):
    out = tmp_path_factory.mktemp("experiments")
    short = {"overrides": ["run.horizon_days=40"], "engine": "serial", "out": out, "progress": False,
             "figures": False}
    compared = simulator.compare(SCENARIOS / "demo.yaml", variants=["platform", "landfill_tax"], replications=2,
                                 **short)
    swept = simulator.sweep(SCENARIOS / "demo.yaml", grid=["discovery.base_rate_per_year=1,4"], replications=2,
                            **short)
    return compared.folder, swept.folder


def read_csv(path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_demo_run_economy_and_discovery(demo_chart, tmp_path):
    economy = demo_chart["economy"]
    fig = plot_local_economy(demo_chart)
    (park,) = [ax for ax in data_axes(fig) if ax.get_title() == "all park firms"]
    heights = [p.get_height() for p in bars(park)[0]]
    divisor = sum(economy["lm3"]["park"]) / heights[3]
    assert np.array(heights[:3]) * divisor == pytest.approx(economy["lm3"]["park"])
    assert "IDR" in park.get_ylabel()
    if economy["multipliers"] is not None:
        (multipliers,) = [ax for ax in data_axes(fig) if "Output multipliers" in ax.get_title("left")]
        assert sum(len(c) for c in bars(multipliers)) == 3 * len(economy["multipliers"]["sectors"])
    (jobs,) = [ax for ax in data_axes(fig) if "Jobs" in ax.get_title("left")]
    assert [p.get_height() for p in bars(jobs)[0]] == list(economy["jobs"].values())
    saves(fig, tmp_path / "economy")
    fig = plot_discovery({"demo": demo_chart}, demo_chart["meta"], lang="id")  # whole chart data works too
    (ax,) = data_axes(fig)
    assert max(ax.get_lines()[0].get_xdata()) == 60  # the last day's count held to the horizon
    saves(fig, tmp_path / "discovery")


def test_demo_experiment_tables(demo_experiments, tmp_path):
    compared, swept = demo_experiments
    meta = {"scenario": "demo", "replications": 2, "seed": 20241006}
    summary = read_csv(compared / "summary.csv")
    fig = plot_comparison(summary, meta)
    panels = [ax for ax in data_axes(fig) if errorbars(ax)]
    assert panels and all(len(errorbars(ax)) == 3 for ax in panels)  # demo, platform, landfill_tax
    fig.savefig(tmp_path / "comparison.png", dpi=60)
    differences = read_csv(compared / "differences.csv")
    fig = plot_differences(differences, {**meta, "baseline": "demo"}, lang="id")
    (ax,) = data_axes(fig)
    assert 0 < len(errorbars(ax)) <= 2 * len(panels)
    fig = plot_sweep(read_csv(swept / "summary.csv"), "discovery.base_rate_per_year", meta)
    assert [list(ax.get_lines()[0].get_xdata()) for ax in data_axes(fig)] == [[1.0, 4.0]] * 2
    assert data_axes(fig)[-1].get_xlabel() == "discovery.base_rate_per_year (per year)"
    series = {arm: ResultReader(compared).chart_data(arm)["discovery"]
              for arm in ("demo", "platform", "landfill_tax")}
    fig = plot_discovery(series, meta)
    assert len([line for line in data_axes(fig)[0].get_lines() if len(line.get_xdata()) > 2]) == 6
    fig.savefig(tmp_path / "discovery_arms.png", dpi=60)


def test_a_zoomed_axis_is_marked_as_not_starting_at_zero():
    """Issue 14, item 8: LM3 zoomed to 1.153-1.158 made +0.004 look steep; the axis now says so."""
    fig = plot_comparison(SUMMARY, META)
    assert any("≈" in t for t in texts(fig))  # the mark on a zoomed panel and its legend entry


def test_charts_name_firm_entries_by_their_label_else_their_id(write_yaml, tmp_path):
    """A firm's ``label:`` reaches the charts that name firms (the network map, the Sankey);
    a firm without one keeps its id."""
    from conftest import MINI_SCENARIO

    from simulator.cli import main
    from simulator.plotting.charts import run_figures

    text = MINI_SCENARIO.replace("  power_plant:\n", "  power_plant:\n    label: PLTU Suralaya\n", 1)
    assert main(["run", str(write_yaml("labelled.yaml", text)), "--no-figures", "--quiet", "--out",
                 str(tmp_path)]) == 0
    data = ResultReader(next(tmp_path.glob("mini/*"))).chart_data()
    labels = {f["entry"]: f.get("label") for f in data["network"]["firms"]}
    assert labels["power_plant"] == "PLTU Suralaya" and labels["cement_works"] is None
    nodes = {n["id"]: n["label"] for n in data["sankey"]["nodes"]}
    assert nodes["firm:power_plant"] == "PLTU Suralaya" and nodes["firm:cement_works"] == "cement_works"
    figures = run_figures(data, only=("network", "sankey"))
    for name, figure in figures.items():
        shown = " ".join(texts(figure))
        assert "PLTU Suralaya" in shown and "power plant" not in shown.lower().replace("_", " "), name
        assert "cement works" in shown.lower().replace("_", " "), name
