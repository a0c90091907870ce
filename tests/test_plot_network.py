"""Content of the network map and the material-fate chart (not only that a file is written), the
footers of experiment charts, and the dpi check."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import SCENARIOS
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.text import Text

from simulator.chartdata import firm_labels, run_chart_data
from simulator.errors import EipsimError
from simulator.plotting.charts import check_dpi
from simulator.model.park import run_scenario
from simulator.plotting.compare import plot_comparison
from simulator.plotting.fate import plot_material_fate
from simulator.plotting.network_map import firm_sizes, plot_network
from simulator.plotting.style import footer, new_figure
from simulator.validation import load_scenario


def chart_data(name: str) -> dict:
    scenario, _ = load_scenario(SCENARIOS / f"{name}.yaml")
    return run_chart_data(run_scenario(scenario))


@pytest.fixture(scope="module")
def demo() -> dict:
    return chart_data("demo")


@pytest.fixture(scope="module")
def kalundborg() -> dict:
    return chart_data("kalundborg")


def by_gid(ax, kind, prefix: str) -> list:
    return [c for c in ax.collections if isinstance(c, kind) and (c.get_gid() or "").startswith(prefix)]


def drawn_texts(fig) -> list[str]:
    fig.draw_without_rendering()
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


# --------------------------------------------------------------------------- network map


@pytest.mark.parametrize("name", ["demo", "kalundborg"])
def test_network_nodes_edges_and_widths(name, request):
    data = request.getfixturevalue(name)
    fig = plot_network(data)
    ax = fig.axes[0]
    firms = data["network"]["firms"]
    markers = by_gid(ax, PathCollection, "firms:")
    assert sum(len(c.get_offsets()) for c in markers) == len(firms)  # one marker a firm
    realised = [k for k in data["network"]["links"] if k["annual_quantity"] > 0]
    (exchanges,) = by_gid(ax, LineCollection, "exchanges")
    assert len(exchanges.get_segments()) == len(realised)  # one line a realised exchange
    widths = np.asarray(exchanges.get_linewidths(), dtype=float)
    for unit in {k["unit"] for k in realised}:  # widths ordered like the quantities, within a unit
        same = [i for i, k in enumerate(realised) if k["unit"] == unit]
        quantity = np.array([realised[i]["annual_quantity"] for i in same])
        order = np.argsort(quantity, kind="stable")
        assert np.all(np.diff(widths[same][order]) >= -1e-9)
        assert widths[same][order[-1]] == pytest.approx(8.0)
    assert ax.get_title() == f"Park network and realised exchanges — {data['meta']['scenario']}"
    assert ax.get_xlabel() == "east (km)" and ax.get_ylabel() == "north (km)"
    assert ax.get_aspect() == 1.0  # one km scale on both axes
    assert any(t.startswith("eipsim ") and "seed" in t for t in drawn_texts(fig))


def test_network_units_sizes_and_numbers(demo):
    fig = plot_network(demo)
    legend = fig.axes[0].get_legend()
    entries = [t.get_text() for t in legend.get_texts()]
    assert any(e.startswith("Process steam: ") and e.endswith(" MWh/yr") for e in entries)  # not "mwh/yr"
    assert "marker area: product sales (IDR)" in legend.get_title().get_text()  # output, and which measure
    amount, key = firm_sizes(demo["network"]["firms"])
    assert key == "size_value" and amount.max() > 0
    fig = plot_network(demo, lang="id")
    entries = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    steam = next(e for e in entries if e.startswith("Process steam: "))
    assert steam.endswith(" MWh/thn") and "." in steam and "," not in steam  # 95.349: Indonesian grouping


def test_network_far_firm_at_the_edge_and_labels_do_not_overlap(kalundborg):
    fig = plot_network(kalundborg)
    ax = fig.axes[0]
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    assert x1 - x0 < 50 and y1 - y0 < 50  # the cement works 200 km away does not set the frame
    labels = [t for t in ax.texts if t.get_gid() == "firm-label"]
    words = [t.get_text() for t in labels]
    assert any(w.startswith("Cement\n") and "km" in w and "off the map" in w for w in words)
    assert {"Asnaes", "Statoil", "Novo", "Gyproc", "Farms"} <= {w.split("\n")[0] for w in words}
    fig.draw_without_rendering()
    boxes = [t.get_window_extent() for t in labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)
    (exchanges,) = by_gid(ax, LineCollection, "exchanges")
    inside = [seg for seg in exchanges.get_segments()
              if np.all((seg[:, 0] >= x0) & (seg[:, 0] <= x1) & (seg[:, 1] >= y0) & (seg[:, 1] <= y1))]
    assert len(inside) == len(exchanges.get_segments())  # every exchange is on the map


def test_network_labels_largest_firms_of_a_crowded_park():
    data = chart_data("kawasan_ikm10")
    fig = plot_network(data)
    labels = [t for t in fig.axes[0].texts if t.get_gid() == "firm-label"]
    assert len(labels) >= 5
    fig.draw_without_rendering()
    boxes = [t.get_window_extent() for t in labels]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


# --------------------------------------------------------------------------- material fate


def test_material_fate_stacked_areas_diversion_share_and_units(demo):
    fig = plot_material_fate(demo)
    flows, stock, diversion = fig.axes[:3]
    areas = [c for c in flows.collections if isinstance(c, PolyCollection)]
    assert len(areas) >= 3  # exchanged, disposed, added to storage: stacked
    assert flows.get_ylabel().startswith("by-products (t/day")
    assert stock.get_ylabel() == "stockpiled (t)"
    assert diversion.get_ylabel().startswith("diversion (%")
    low, high = diversion.get_ylim()
    assert low <= 0 and 100 <= high <= 105  # a share axis in per cent
    rate = diversion.get_lines()[0].get_ydata()
    assert np.nanmin(rate) >= 0 and np.nanmax(rate) <= 100
    assert diversion.get_xlabel() == "day of the run (days)"
    assert flows.get_title().startswith("By-product fate over time — demo")
    assert flows.get_legend() is not None


# --------------------------------------------------------------------------- footers


def test_footer_of_one_replication_names_it_and_the_root_seed():
    fig = new_figure()
    footer(fig, {"scenario": "demo", "seed": 20241006, "replications": 4, "replication": 0})
    text = next(t.get_text() for t in fig.texts if t.get_gid() == "footer")
    assert "replication 0 of 4" in text and "root seed: 20241006" in text and "replications:" not in text
    fig = new_figure()
    footer(fig, {"scenario": "demo", "seed": 5, "replications": 1, "replication": 0})
    assert "replication 0 · root seed: 5" in fig.texts[-1].get_text()
    fig = new_figure()
    footer(fig, {"scenario": "x", "seed": 5, "replications": 4, "replication": 0, "replication_of_each_arm": True},
           lang="id")
    assert "replikasi ke-0 dari 4 tiap skenario" in fig.texts[-1].get_text()


def test_footer_does_not_cover_the_legend_below_the_panels():
    rows = [{"arm": arm, "metric": "landfill_diversion_rate", "unit": "share", "n": 3, "mean": m,
             "ci_low": m - 0.01, "ci_high": m + 0.01, "imprecise": False} for arm, m in (("a", 0.2), ("b", 0.3))]
    fig = plot_comparison(rows, {"scenario": "s", "seed": 1, "replications": 3})
    fig.draw_without_rendering()
    note = next(t for t in fig.texts if t.get_gid() == "footer").get_window_extent()
    for legend in fig.legends:
        assert legend.get_window_extent().y0 >= note.y1 - 0.5


# --------------------------------------------------------------------------- dpi


@pytest.mark.parametrize("dpi", [0, -5, "x", float("nan")])
def test_invalid_dpi_is_a_user_error(dpi):
    with pytest.raises(EipsimError, match="dpi"):
        check_dpi(dpi)


def test_valid_dpi_passes():
    assert check_dpi(150) == 150


def test_the_demo_map_is_not_stretched_by_its_far_brickworks(demo):
    """Issue 14, item 8: the brickworks 12 km east squeezed the park so that labels overlapped; and
    firms were named by their ids (power_plant) instead of words."""
    fig = plot_network(demo)
    ax = fig.axes[0]
    x0, x1 = ax.get_xlim()
    assert x1 - x0 < 6
    words = [t.get_text() for t in ax.texts if t.get_gid() == "firm-label"]
    assert "Power plant" in words and not any("_" in w for w in words)
    assert any(w.startswith("Brickworks\n") and "off the map" in w for w in words)


def test_a_far_firms_label_covers_no_marker_and_stays_in_the_frame():
    """The demo's brickworks, named by its long label, was written over the paper mill's marker:
    a far firm's label now takes the first place clear of markers inside the frame."""
    scenario, _ = load_scenario(SCENARIOS / "demo.yaml")
    fig = plot_network(run_chart_data(run_scenario(scenario), labels=firm_labels(scenario)))
    ax = fig.axes[0]
    fig.draw_without_rendering()
    (far,) = [t for t in ax.texts if t.get_gid() == "firm-label" and "off the map" in t.get_text()]
    box = far.get_window_extent()
    frame = ax.get_window_extent()
    assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
    scale = fig.dpi / 72
    for markers in [c for c in ax.collections if (c.get_gid() or "").startswith("firms:")]:
        points = ax.transData.transform(markers.get_offsets())
        for (x, y), area in zip(points, np.broadcast_to(markers.get_sizes(), len(points))):
            half = np.sqrt(area) / 2 * scale
            assert not (box.x0 < x + half and x - half < box.x1 and box.y0 < y + half and y - half < box.y1)
