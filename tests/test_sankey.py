"""The material-flow Sankey with loops: one rectangle per node and one ribbon per flow, widths and
heights proportional to tonnes with one factor, firm nodes balanced, exchanges drawn as loops from
the supplier's right edge to the consumer's left edge, readable labels, two languages, PNG and SVG."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest
from helpers import SCENARIOS
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.text import Text

from simulator.chartdata import run_chart_data
from simulator.model.park import run_scenario
from simulator.plotting.sankey import LOOP_KINDS, NODE_WIDTH, plot_sankey, spread_labels
from simulator.validation import load_scenario

META = {"scenario": "synthetic", "seed": 7, "replications": 1}


@pytest.fixture(scope="module")
def demo() -> dict:
    scenario, _ = load_scenario(SCENARIOS / "demo.yaml")
    return run_chart_data(run_scenario(scenario))


@pytest.fixture(scope="module")
def demo_figure(demo) -> Figure:
    return plot_sankey(demo)


def synthetic(firms: int = 26) -> dict:
    """A balanced park of ``firms`` firm nodes fed by 4 sources over a 1:1000 range of sizes, with
    by-product loops, park product sales and a tiny stock flow (0.5 t)."""
    names = [f"firm_{i:02d}" for i in range(firms)]
    nodes = [{"id": f"firm:{n}", "label": n, "column": 1, "kind": "firm"} for n in names]
    nodes += [{"id": f"in:m{k}", "label": f"material {k}", "column": 0, "kind": "source"} for k in range(4)]
    nodes += [{"id": f"out:{k}", "label": k, "column": 2, "kind": "sink"}
              for k in ("products", "disposal", "loss", "stock")]
    flows, received, sent = [], defaultdict(float), defaultdict(float)

    def add(source, target, quantity, kind, material=""):
        flows.append({"source": source, "target": target, "quantity": quantity, "kind": kind, "material": material})

    virgin = [1000.0 * (1 + i) ** 2 / 2 for i in range(firms)]
    for i in range(firms):
        add(f"in:m{i % 4}", f"firm:{names[i]}", virgin[i], "virgin", f"material {i % 4}")
        if i % 4 == 0:
            j = (i + 3) % firms
            add(f"firm:{names[i]}", f"firm:{names[j]}", 0.05 * virgin[i], "exchange", "ash")
            sent[i] += 0.05 * virgin[i]
            received[j] += 0.05 * virgin[i]
        if i % 7 == 1:
            j = (i + 1) % firms
            add(f"firm:{names[i]}", f"firm:{names[j]}", 0.03 * virgin[i], "product_loop", "products")
            sent[i] += 0.03 * virgin[i]
            received[j] += 0.03 * virgin[i]
    for i in range(firms):
        rest = virgin[i] + received[i] - sent[i] - 0.5
        node = f"firm:{names[i]}"
        add(node, "out:products", 0.7 * rest, "product")
        add(node, "out:disposal", 0.1 * rest, "disposal")
        add(node, "out:loss", 0.2 * rest, "loss")
        add(node, "out:stock", 0.5, "stock")
    return {"meta": META, "sankey": {"unit": "t", "nodes": nodes, "flows": flows}}


@pytest.fixture(scope="module")
def crowded() -> dict:
    return synthetic()


@pytest.fixture(scope="module")
def crowded_figure(crowded) -> Figure:
    return plot_sankey(crowded)


# --------------------------------------------------------------------------- inspecting the figure


def bands(fig: Figure) -> dict[str, PathPatch]:
    return {p.get_gid(): p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("band:")}


def nodes(fig: Figure) -> dict[str, Rectangle]:
    return {p.get_gid()[5:]: p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("node:")}


def texts(fig: Figure) -> list[str]:
    fig.draw_without_rendering()
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def legend_texts(fig: Figure) -> list[str]:
    ax = fig.axes[0]
    legends = [a for a in ax.get_children() if type(a).__name__ == "Legend"]
    return [t.get_text() for leg in legends for t in [leg.get_title(), *leg.get_texts()]]


def band_id(flow: dict) -> str:
    loop = flow["kind"] in LOOP_KINDS
    return f"band:{flow['source']}->{flow['target']}" + (f" [{flow['material']}]" if loop else "")


def outline(patch: PathPatch):
    """Vertices of a band's path without the closing vertex."""
    path = patch.get_path()
    return path.vertices[path.codes != Path.CLOSEPOLY]


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("case", ["demo", "crowded"])
def test_one_rectangle_per_node_one_band_per_flow(case, request):
    data, fig = request.getfixturevalue(case), request.getfixturevalue(f"{case}_figure")
    assert sorted(nodes(fig)) == sorted(nd["id"] for nd in data["sankey"]["nodes"])
    assert sorted(bands(fig)) == sorted(band_id(f) for f in data["sankey"]["flows"])
    assert len(data["sankey"]["flows"]) == len({band_id(f) for f in data["sankey"]["flows"]})


@pytest.mark.parametrize("case", ["demo", "crowded"])
def test_band_widths_and_node_heights_share_one_factor(case, request):
    data, fig = request.getfixturevalue(case), request.getfixturevalue(f"{case}_figure")
    scale = fig.axes[0].sankey_scale
    drawn = bands(fig)
    for flow in data["sankey"]["flows"]:
        patch = drawn[band_id(flow)]
        assert patch.quantity == flow["quantity"]
        assert patch.flow_width == pytest.approx(flow["quantity"] * scale, rel=1e-9)
        # the drawn geometry has that width at the source end: first vertex and last before closing
        vertices = outline(patch)
        assert vertices[0][1] - vertices[-1][1] == pytest.approx(patch.flow_width, rel=1e-9)
        assert vertices[0][0] == pytest.approx(vertices[-1][0])
    inflow, outflow = defaultdict(float), defaultdict(float)
    for flow in data["sankey"]["flows"]:
        outflow[flow["source"]] += flow["quantity"]
        inflow[flow["target"]] += flow["quantity"]
    for node, rect in nodes(fig).items():
        throughput = max(inflow[node], outflow[node])
        assert rect.throughput == pytest.approx(throughput, rel=1e-12)
        assert rect.get_height() == pytest.approx(throughput * scale, rel=1e-9)
        assert rect.get_width() == pytest.approx(NODE_WIDTH)


@pytest.mark.parametrize("case", ["demo", "crowded"])
def test_firm_nodes_balance(case, request):
    data, fig = request.getfixturevalue(case), request.getfixturevalue(f"{case}_figure")
    width_in, width_out = defaultdict(float), defaultdict(float)
    for flow in data["sankey"]["flows"]:
        patch = bands(fig)[band_id(flow)]
        width_out[flow["source"]] += patch.flow_width
        width_in[flow["target"]] += patch.flow_width
    firms = [nd["id"] for nd in data["sankey"]["nodes"] if nd["column"] == 1]
    assert firms
    for firm in firms:
        assert width_in[firm] == pytest.approx(width_out[firm], rel=1e-9)
        assert nodes(fig)[firm].get_height() == pytest.approx(width_in[firm], rel=1e-9)


@pytest.mark.parametrize("case", ["demo", "crowded"])
def test_exchanges_are_loops_from_supplier_right_edge_to_consumer_left_edge(case, request):
    data, fig = request.getfixturevalue(case), request.getfixturevalue(f"{case}_figure")
    rects, drawn = nodes(fig), bands(fig)
    firm_bottom = min(r.get_y() for n, r in rects.items() if n.startswith("firm:"))
    loops = [f for f in data["sankey"]["flows"] if f["kind"] in LOOP_KINDS]
    assert loops and any(f["kind"] == "exchange" for f in loops)
    for flow in data["sankey"]["flows"]:
        patch, vertices = drawn[band_id(flow)], outline(drawn[band_id(flow)])
        supplier, consumer = rects[flow["source"]], rects[flow["target"]]
        right, left = supplier.get_x() + supplier.get_width(), consumer.get_x()
        # starts on the supplier's right edge, inside its height
        assert vertices[0][0] == pytest.approx(right)
        top = supplier.get_y() + supplier.get_height()
        assert supplier.get_y() - 1e-12 <= vertices[-1][1] < vertices[0][1] <= top + 1e-12
        # reaches the consumer's left edge, inside its height
        ends = vertices[abs(vertices[:, 0] - left) < 1e-12]
        assert len(ends) >= 2
        assert consumer.get_y() - 1e-12 <= ends[:, 1].min()
        assert ends[:, 1].max() <= consumer.get_y() + consumer.get_height() + 1e-12
        assert ends[:, 1].max() - ends[:, 1].min() == pytest.approx(patch.flow_width, rel=1e-9)
        if flow["kind"] in LOOP_KINDS:
            assert patch.loop
            assert right == pytest.approx(left + NODE_WIDTH)  # both in the firm column
            assert vertices[:, 0].max() > right + patch.flow_width   # out to the right of the column,
            assert vertices[:, 0].min() < left - patch.flow_width    # round to its left
            assert vertices[:, 1].min() < firm_bottom - patch.flow_width  # below it
        else:
            assert not patch.loop
            assert right < left  # left to right, never outside the two columns
            assert vertices[:, 0].min() == pytest.approx(right) and vertices[:, 0].max() == pytest.approx(left)


def test_loops_look_different_from_straight_bands(demo_figure):
    drawn = list(bands(demo_figure).values())
    loop = next(p for p in drawn if p.loop)
    straight = next(p for p in drawn if not p.loop and p.kind == "product")
    assert loop.get_facecolor()[3] > straight.get_facecolor()[3]
    assert loop.get_edgecolor()[3] > straight.get_edgecolor()[3]
    assert loop.get_zorder() > straight.get_zorder()


def sink_total(data: dict, node: str) -> float:
    """Tonnes flowing into a sink node of the chart data."""
    return sum(f["quantity"] for f in data["sankey"]["flows"] if f["target"] == node)


def test_title_legends_labels_and_footer(demo, demo_figure):
    ax = demo_figure.axes[0]
    assert ax.get_title() == "Material flows (t) over the run — demo"
    legend = legend_texts(demo_figure)
    assert "Flow kinds (band width ∝ tonnes)" in legend
    for key in ("virgin inputs", "products sold", "by-product exchange (loop, colour: material)", "disposed"):
        assert key in legend
    assert any(t.startswith("power_plant → cement_works: ") for t in legend)  # the largest loop, named
    drawn = texts(demo_figure)
    assert f"products sold  {sink_total(demo, 'out:products'):,.0f} t" in drawn
    assert any(t.startswith("Coal  ") and t.endswith(" t") for t in drawn)
    assert any(t.startswith("eipsim ") and "scenario: demo" in t for t in drawn)
    assert "inputs from outside" in drawn and "firms in the park" in drawn


def test_indonesian_labels(demo):
    fig = plot_sankey(demo, lang="id")
    assert fig.axes[0].get_title() == "Aliran material (t) selama simulasi — demo"
    legend = legend_texts(fig)
    assert "pertukaran produk samping (loop, warna: material)" in legend and "bahan baku primer" in legend
    drawn = texts(fig)
    dotted = lambda value: f"{value:,.0f}".replace(",", ".")  # noqa: E731 - Indonesian thousands separator
    assert f"produk terjual  {dotted(sink_total(demo, 'out:products'))} t" in drawn
    assert f"dibuang (TPA, pengolahan)  {dotted(sink_total(demo, 'out:disposal'))} t" in drawn
    assert any("skenario: demo" in t for t in drawn)
    assert not any(t.startswith("products sold") for t in drawn)


def test_firm_groups_by_kind_are_translated():
    data = synthetic(3)
    for node in data["sankey"]["nodes"]:
        if node["id"] == "firm:firm_00":
            node["label"] = "anchor firms"
    assert any(t.startswith("perusahaan jangkar  ") for t in texts(plot_sankey(data, lang="id")))


def test_labels_of_a_crowded_column_do_not_overlap(crowded_figure):
    crowded_figure.draw_without_rendering()
    labels = [t for t in crowded_figure.axes[0].texts if (t.get_gid() or "").startswith("label:")]
    assert len(labels) == len(nodes(crowded_figure))
    boxes = [(t.get_gid(), t.get_window_extent()) for t in labels]
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            assert not box_a.overlaps(box_b), (a, b)
    figure_box = crowded_figure.bbox
    assert all(figure_box.x0 <= box.x0 and box.x1 <= figure_box.x1 for _, box in boxes)


def test_spread_labels_keeps_the_spacing_and_moves_as_little_as_possible():
    assert spread_labels([1.0, 0.5, 0.0], 0.1) == [1.0, 0.5, 0.0]
    placed = spread_labels([1.0, 0.99, 0.98, 0.5], 0.1)
    assert placed[0] - placed[1] == pytest.approx(0.1) and placed[1] - placed[2] == pytest.approx(0.1)
    assert sum(placed[:3]) / 3 == pytest.approx(0.99)  # the crowded three stay centred where they were
    assert placed[3] == 0.5


def test_draws_into_a_given_axes(demo):
    fig = Figure(figsize=(10, 6))
    ax = fig.subplots()
    assert plot_sankey(demo, ax=ax) is fig
    assert isinstance(ax, Axes) and len(bands(fig)) == len(demo["sankey"]["flows"])


def test_no_flows_gives_a_note_not_an_error():
    fig = plot_sankey({"meta": META, "sankey": {"unit": "t", "nodes": [], "flows": []}})
    assert "no material flows in tonnes in this run" in texts(fig)


def test_saves_png_and_svg(demo_figure, tmp_path):
    for suffix in ("png", "svg"):
        path = tmp_path / f"sankey.{suffix}"
        demo_figure.savefig(path)
        assert path.stat().st_size > 10_000
    svg = (tmp_path / "sankey.svg").read_text()
    assert '<g id="band:firm:power_plant-&gt;firm:cement_works [Fly ash]">' in svg  # gids survive as SVG ids
    assert '<g id="node:firm:cement_works">' in svg
    assert math.isfinite(demo_figure.axes[0].sankey_scale)


def test_loops_are_coloured_by_material_like_the_network_map(demo, demo_figure):
    from simulator.plotting.style import material_colours

    loops = [p for p in bands(demo_figure).values() if p.loop and p.kind == "exchange"]
    by_material = {}
    for patch in loops:
        material = patch.get_gid().rsplit(" [", 1)[1].rstrip("]")
        by_material.setdefault(material, set()).add(tuple(np.round(patch.get_edgecolor(), 3)))
    assert len(by_material) > 2 and all(len(c) == 1 for c in by_material.values())  # one colour a material
    assert len({next(iter(c)) for c in by_material.values()}) == len(by_material)  # ... and its own
    realised = [k for k in demo["network"]["links"] if k["annual_quantity"] > 0]
    network = material_colours([k["label"] for k in realised])
    for material, colours in by_material.items():
        assert next(iter(colours))[:3] == tuple(np.round(to_rgba(network[material]), 3))[:3]


def test_flows_not_in_tonnes_are_named_in_a_note(demo, demo_figure):
    steam = [row for row in demo["sankey"]["not_shown"] if row["material"] == "steam"]
    assert steam and steam[0]["exchanged"] > 0 and steam[0]["unit"].lower() == "mwh"
    note = [t for t in texts(demo_figure) if t.startswith("Not in tonnes, not shown:")]
    assert note and f"Process steam {steam[0]['exchanged']:,.0f} MWh exchanged" in note[0].replace("\n", " ")


def test_legends_do_not_overlap_on_kalundborg():
    scenario, _ = load_scenario(SCENARIOS / "kalundborg.yaml")
    fig = plot_sankey(run_chart_data(run_scenario(scenario)))
    fig.draw_without_rendering()
    legends = [a for a in fig.axes[0].get_children() if type(a).__name__ == "Legend"]
    assert len(legends) == 2
    a, b = (leg.get_window_extent() for leg in legends)
    assert not (a.x1 > b.x0 + 1 and b.x1 > a.x0 + 1 and a.y1 > b.y0 + 1 and b.y1 > a.y0 + 1)
    footer = next(t for t in fig.texts if t.get_gid() == "footer").get_window_extent()
    for box in (a, b):
        assert box.y0 >= footer.y1 - 1
