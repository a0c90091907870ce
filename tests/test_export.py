"""`eipsim export`: the Excel workbook and the GeoJSON layer of a run and of an experiment."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from helpers import SCENARIOS
from simulator import geo
from simulator.cli import main
from simulator.loader import read_yaml_file

# RFC 7946 essentials: a FeatureCollection of Features with Point / LineString geometries whose
# positions are arrays of 2-3 numbers; properties an object or null; ids strings or numbers.
POSITION = {"type": "array", "minItems": 2, "maxItems": 3, "items": {"type": "number"}}
GEOJSON_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"const": "FeatureCollection"},
        "bbox": {"type": "array", "minItems": 4, "items": {"type": "number"}},
        "features": {"type": "array", "items": {
            "type": "object",
            "required": ["type", "geometry", "properties"],
            "properties": {
                "type": {"const": "Feature"},
                "id": {"type": ["string", "number"]},
                "properties": {"type": ["object", "null"]},
                "geometry": {"oneOf": [
                    {"type": "object", "required": ["type", "coordinates"],
                     "properties": {"type": {"const": "Point"}, "coordinates": POSITION}},
                    {"type": "object", "required": ["type", "coordinates"],
                     "properties": {"type": {"const": "LineString"},
                                    "coordinates": {"type": "array", "minItems": 2, "items": POSITION}}}]}}}},
    },
}


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A 90-day run of the imported example estate (with lat/lon) and of the demo (km only)."""
    out = tmp_path_factory.mktemp("export")
    folders = {}
    for name in ("kawasan_contoh", "demo"):
        code = main(["run", str(SCENARIOS / f"{name}.yaml"), "--set", "run.horizon_days=90", "--out", str(out),
                     "--quiet", "--no-figures"])
        assert code == 0
        folders[name] = next((out / name).iterdir())
    return folders


def test_workbook_sheets_headers_formats_and_values(runs, tmp_path, capsys):
    folder = runs["kawasan_contoh"]
    target = tmp_path / "report.xlsx"
    code, out, err = run_cli(capsys, "export", folder, "--xlsx", target)
    assert code == 0, err
    book = load_workbook(target)
    assert book.sheetnames == ["Indicators", "Flows by link", "Flows by material", "Ledger", "IO table", "Multipliers"]
    metrics = json.loads((folder / "metrics.json").read_text())
    ws = book["Indicators"]
    assert [c.value for c in ws[1]][:4] == ["indicator", "value", "unit", "definition"]
    assert ws["A1"].font.bold and ws.freeze_panes == "A2"
    rows = {r[4]: r for r in ws.iter_rows(min_row=2, max_row=len(metrics) + 1, values_only=True)}
    assert set(rows) == set(metrics)
    for name, m in metrics.items():
        assert rows[name][1] == pytest.approx(m["value"]) and rows[name][2] == m["unit"]
        assert rows[name][3] == m["definition"]
    share_row = next(i for i, r in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2) if r[2] == "share")
    assert ws.cell(share_row, 2).number_format == "0.0%"
    # flows by link: realised exchanges sum to what links.csv says
    links = [r for r in book["Flows by link"].iter_rows(min_row=2, values_only=True)]
    import csv
    with (folder / "links.csv").open() as handle:
        expected = sum(float(r["quantity"]) for r in csv.DictReader(handle))
    assert sum(r[5] or 0 for r in links) == pytest.approx(expected)
    assert book["Flows by link"].cell(2, 8).number_format == "#,##0"
    # ledger: the total row is the sum of the ledger's amounts
    with (folder / "ledger.csv").open() as handle:
        total = sum(float(r["amount"]) for r in csv.DictReader(handle))
    ledger = list(book["Ledger"].iter_rows(values_only=True))
    assert ledger[-1][0] == "total" and ledger[-1][-1] == pytest.approx(total)
    # multipliers: one row per sector, Type I <= Type II
    mult = list(book["Multipliers"].iter_rows(min_row=2, values_only=True))
    sectors = [r for r in mult if isinstance(r[1], float)]
    assert sectors and all(r[1] <= r[2] + 1e-12 for r in sectors)
    assert book["IO table"]["A1"].value == "region"


def test_geojson_in_wgs84_round_trips_the_tenants_coordinates(runs, tmp_path, capsys):
    jsonschema = pytest.importorskip("jsonschema")
    folder = runs["kawasan_contoh"]
    target = tmp_path / "park.geojson"
    code, _, err = run_cli(capsys, "export", folder, "--geojson", target)
    assert code == 0, err
    data = json.loads(target.read_text())
    jsonschema.validate(data, GEOJSON_SCHEMA)
    assert "crs" not in data                                  # RFC 7946: WGS84 longitude, latitude
    scenario, _ = read_yaml_file(folder / "scenario.resolved.yaml")
    points = [f for f in data["features"] if f["geometry"]["type"] == "Point"]
    assert len(points) == len(scenario["firms"]) == 41
    for feature in points:
        lon, lat = feature["geometry"]["coordinates"]
        expected_lat, expected_lon = scenario["firms"][feature["id"]]["lat_lon"]
        assert (lat, lon) == pytest.approx((expected_lat, expected_lon), abs=2e-6)   # < 0.25 m
        assert {"kind", "sector", "output_t", "byproducts_sent", "byproducts_received"} <= set(feature["properties"])
    lines = [f for f in data["features"] if f["geometry"]["type"] == "LineString"]
    assert lines and all(f["properties"]["quantity"] > 0 and f["properties"]["mode"] in ("truck", "pipeline")
                         for f in lines)
    ends = {tuple(f["geometry"]["coordinates"]) for f in points}
    assert all(tuple(p) in ends for f in lines for p in f["geometry"]["coordinates"])
    sent = sum(sum(f["properties"]["byproducts_sent"].values()) for f in points)
    assert sent == pytest.approx(sum(f["properties"]["quantity"] for f in lines))


def test_geojson_without_coordinates_declares_a_local_metric_crs(runs, tmp_path, capsys):
    jsonschema = pytest.importorskip("jsonschema")
    target = tmp_path / "demo.geojson"
    assert run_cli(capsys, "export", runs["demo"], "--geojson", target)[0] == 0
    data = json.loads(target.read_text())
    jsonschema.validate(data, GEOJSON_SCHEMA)
    assert data["crs"]["properties"]["name"] == "urn:ogc:def:crs:eipsim::local-metres"
    chart = json.loads((runs["demo"] / "chart_data.json").read_text())
    firm = chart["network"]["firms"][0]
    feature = next(f for f in data["features"] if f["id"] == firm["id"])
    assert feature["geometry"]["coordinates"] == pytest.approx([firm["x_km"] * 1000, firm["y_km"] * 1000], abs=0.01)


def test_experiment_workbook_has_summary_and_differences(tmp_path, capsys):
    code, out, err = run_cli(capsys, "compare", SCENARIOS / "demo.yaml", "--variant", "platform", "--replications", "2",
                             "--set", "run.horizon_days=30", "--engine", "serial", "--out", tmp_path, "--quiet",
                             "--no-figures")
    assert code == 0, err
    folder = Path(out.strip().splitlines()[-1])
    target = tmp_path / "exp.xlsx"
    assert run_cli(capsys, "export", folder, "--xlsx", target)[0] == 0
    book = load_workbook(target)
    assert {"Indicators", "Summary", "Differences"} <= set(book.sheetnames)
    header = [c.value for c in book["Differences"][1]]
    assert "metric" in header and any("ci" in str(h) for h in header)
    assert book["Summary"].max_row > 10
    indicators = [c.value for c in book["Indicators"][1]]
    assert indicators[1] == "mean" and {"ci_low", "ci_high", "replications"} <= set(indicators)
    layer = tmp_path / "exp.geojson"
    assert run_cli(capsys, "export", folder, "--geojson", layer)[0] == 0
    assert json.loads(layer.read_text())["crs"]["properties"]["name"].endswith("local-metres")


def test_export_errors_write_nothing(tmp_path, capsys):
    code, _, err = run_cli(capsys, "export", tmp_path, "--xlsx", tmp_path / "x.xlsx")
    assert code == 2 and "not an eipsim result folder" in err
    code, _, err = run_cli(capsys, "export", tmp_path)
    assert code == 2 and "--xlsx FILE and/or --geojson FILE" in err
    assert list(tmp_path.iterdir()) == []


def test_libreoffice_opens_the_workbook(runs, tmp_path, capsys):
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        pytest.skip("LibreOffice is not installed")
    target = tmp_path / "report.xlsx"
    assert run_cli(capsys, "export", runs["kawasan_contoh"], "--xlsx", target)[0] == 0
    subprocess.run([office, "--headless", "--convert-to", "csv", "--outdir", str(tmp_path), str(target)],
                   check=True, timeout=120, capture_output=True)
    assert "By-products generated" in (tmp_path / "report.csv").read_text(errors="replace")


def test_network_map_draws_a_scale_bar_and_names_the_geo_origin(runs):
    from simulator.plotting.network_map import plot_network

    chart = json.loads((runs["kawasan_contoh"] / "chart_data.json").read_text())
    assert chart["meta"]["geo_origin"] == pytest.approx([-6.388029, 107.300202])
    fig = plot_network(chart)
    ax = fig.axes[0]
    bar = [line for line in ax.lines if line.get_gid() == "scale-bar"][0]
    (x0, x1), _ = bar.get_data()
    label = [t for t in ax.texts if t.get_gid() == "scale-bar-label"][0].get_text()
    assert float(label.split()[0]) == pytest.approx(x1 - x0)
    span = ax.get_xlim()[1] - ax.get_xlim()[0]
    assert span / 10 <= x1 - x0 <= span / 4
    assert any("6.3880°S 107.3002°E" in t.get_text() for t in ax.texts if t.get_gid() == "geo-origin")
    # the firms sit where their latitude/longitude project to
    scenario, _ = read_yaml_file(runs["kawasan_contoh"] / "scenario.resolved.yaml")
    firm = chart["network"]["firms"][0]
    lat, lon = scenario["firms"][firm["entry"]]["lat_lon"]
    assert (firm["x_km"], firm["y_km"]) == pytest.approx(geo.to_km(lat, lon, chart["meta"]["geo_origin"]), abs=1e-4)
