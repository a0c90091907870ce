"""`eipsim import`: tenant tables -> scenarios that validate and run; malformed tables -> clear
problems naming row and column, and nothing written; the archetype library; coordinates."""

from __future__ import annotations

import math
import re

import pytest
from openpyxl import Workbook

from helpers import ROOT, SCENARIOS
from simulator import geo
from simulator.cli import main
from simulator.errors import ScenarioError
from simulator.loader import read_yaml_file
from simulator.model.park import run_scenario
from simulator.tenants.build import import_tenants
from simulator.tenants.library import BUNDLED, load_library
from simulator.validation import load_scenario

EXAMPLE = SCENARIOS / "data" / "example_tenants.csv"
IMPORTED = SCENARIOS / "kawasan_contoh.yaml"


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def example():
    return import_tenants(EXAMPLE, estate="Kawasan Contoh", area_ha=450, output_name="scenarios/kawasan_contoh.yaml")


# --------------------------------------------------------------------------- the bundled example


def test_bundled_imported_scenario_is_the_import_of_the_bundled_table(example):
    assert IMPORTED.read_text(encoding="utf-8") == example.text, (
        "regenerate: eipsim import scenarios/data/example_tenants.csv --estate 'Kawasan Contoh' --area-ha 450 "
        "-o scenarios/kawasan_contoh.yaml --force")


def test_example_table_is_labelled_fictitious_and_has_about_40_tenants():
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    assert "FICTITIOUS" in lines[0]
    assert 35 <= len(lines) - 2 <= 45


def test_imported_example_validates_runs_and_exchanges_by_products(example):
    scenario, _ = load_scenario(IMPORTED, overrides=["run.horizon_days=365"])
    assert len(scenario.firms) == example.firms == 41
    result = run_scenario(scenario, seed=3)
    assert result.links.quantity.sum() > 0          # some by-product finds a user
    kinds = set(result.firms.kind)
    assert {"anchor", "sme"} <= kinds
    load_scenario(IMPORTED, variant="platform")


def test_guesses_are_listed_at_the_end_and_name_their_rows(example):
    tail = example.text[example.text.index("What the importer guessed"):]
    assert len(example.guesses) == 4
    for guess in example.guesses:
        assert guess in tail
    assert any("row 5 (PT Tirta Kawasan): KBLI 36001 is not in the library" in g for g in example.guesses)
    assert any("row 42 (CV Kompos Organik): no capacity or employees" in g for g in example.guesses)
    assert any("row 34" in g and "from 25 employees" in g for g in example.guesses)
    assert any("pieces read as 1,500 t" in g for g in example.guesses)


def test_every_archetype_number_says_where_it_comes_from(example):
    """Recipe lines and the firm coefficients carry a comment: a source key or `illustrative`."""
    library = load_library()
    firms = example.text[example.text.index("\nfirms:"):example.text.index("\nvariants:")]
    keys = ("per_unit", "park_share", "wage_per_year", "local_staff_share", "local_purchase_share",
            "fixed_cost_per_year", "variability", "product")
    checked = 0
    section = None
    for line in firms.splitlines():
        stripped = line.strip()
        if stripped in ("inputs:", "outputs:", "substitutes:"):
            section = stripped
            continue
        key = stripped.split(":")[0]
        if line.startswith("    ") and not line.startswith("      "):
            section = None if key not in ("inputs", "outputs") else section
        numeric = re.match(r"^[a-z_0-9]+: ([\-0-9]|\{[a-z])", stripped)
        if numeric and (key in keys or section in ("inputs:", "outputs:", "substitutes:")):
            comment = line.split("#", 1)[1] if "#" in line else ""
            assert comment.strip(), line
            if not key.startswith("loss"):
                assert "illustrative" in comment or any(s in comment for s in library.sources) \
                    or "table" in comment, line
            checked += 1
    assert checked > 400


def test_coordinates_round_trip_through_the_scenario(example):
    data, _ = read_yaml_file(IMPORTED)
    origin = tuple(data["park"]["geo_origin"])
    rows = {}
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines()[2:]:
        cells = line.split(",")
        rows[cells[1]] = (float(cells[8]), float(cells[9]))
    for firm in data["firms"].values():
        lat, lon = geo.to_lat_lon(*firm["location_km"], origin)
        assert firm["lat_lon"] == pytest.approx(rows[firm["label"]], abs=1e-6)
        assert (lat, lon) == pytest.approx(rows[firm["label"]], abs=1e-5)   # km kept to 0.1 m


def test_projection_is_equirectangular_around_the_origin():
    origin = (-6.4, 107.3)
    x, y = geo.to_km(-6.4 + 0.01, 107.3 + 0.01, origin)
    assert y == pytest.approx(6371.0088 * math.radians(0.01))          # 1.112 km per 0.01 degree
    assert x == pytest.approx(y * math.cos(math.radians(-6.4)))
    assert geo.to_lat_lon(x, y, origin) == pytest.approx((-6.39, 107.31))
    # against the haversine distance: within 0.1 % over 5 km near the equator
    lat, lon = -6.43, 107.34
    x, y = geo.to_km(lat, lon, origin)
    p1, p2, dl = math.radians(origin[0]), math.radians(lat), math.radians(lon - origin[1])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    assert math.hypot(x, y) == pytest.approx(2 * 6371.0088 * math.asin(math.sqrt(h)), rel=1e-3)


# --------------------------------------------------------------------------- other tables


def write_xlsx(path, rows, sheet="Tenants", merge=None, extra_sheet=True):
    book = Workbook()
    ws = book.active
    if extra_sheet:
        ws.title = "Cover"
        ws["A1"] = "Tenant list of Kawasan X"
        ws = book.create_sheet(sheet)
    else:
        ws.title = sheet
    for row in rows:
        ws.append(row)
    if merge:
        ws.merge_cells(merge)
    book.save(path)
    return path


ENGLISH = [["Tenant", "Code", "Capacity (t/yr)", "Workers", "x (km)", "y (km)"],
           ["Alpha Cement", 23941, 500000, 200, 0.0, 0.0],
           ["Beta Power", 35101, "400,000 MWh", 120, 1.0, 0.5],
           ["Gamma Blocks", "C2395", None, 12, 0.5, 1.0]]


def test_excel_sheet_and_column_mapping(tmp_path, capsys):
    table = write_xlsx(tmp_path / "tenants.xlsx", ENGLISH)
    out = tmp_path / "x.yaml"
    code, stdout, err = run_cli(capsys, "import", table, "--estate", "Kawasan X", "--sheet", "Tenants",
                                "--columns", "name=Tenant,kbli=Code", "-o", out)
    assert code == 0, err
    scenario, _ = load_scenario(out)
    firms = scenario.firms
    assert firms["alpha_cement"].product.capacity_per_day == pytest.approx(500000 / 365, rel=1e-5)
    assert firms["beta_power"].product.capacity_per_day == pytest.approx(400000 / 365, rel=1e-5)
    assert firms["alpha_cement"].location_km == (0.0, 0.0) and firms["alpha_cement"].lat_lon is None
    assert firms["gamma_blocks"].kind == "sme" and firms["gamma_blocks"].sector.startswith("23951")
    assert "ISIC class 2395" not in err  # one archetype of the class: a match, not a guess
    assert "no capacity: " in err and "from 12 employees" in err


def test_first_sheet_is_read_by_default_and_sheet_names_are_listed(tmp_path, capsys):
    table = write_xlsx(tmp_path / "t.xlsx", ENGLISH)
    code, _, err = run_cli(capsys, "import", table, "--estate", "X", "--sheet", "Tenantz", "-o", tmp_path / "o.yaml")
    assert code == 2 and "no sheet named 'Tenantz'; the sheets are: Cover, Tenants" in err
    code, _, err = run_cli(capsys, "import", table, "--estate", "X", "-o", tmp_path / "o.yaml")
    assert code == 2 and "has a header row but no tenant rows" in err    # the cover sheet
    assert not (tmp_path / "o.yaml").exists()


MALFORMED = {
    "missing_columns": ("csv", "Nama Perusahaan,Produk\nPT A,Semen\n",
                        [r"t\.csv:1:1: missing column: KBLI 2020 code", r"--columns kbli=HEADER"]),
    "unknown_kbli": ("csv", "Nama,KBLI,Kapasitas,Satuan\nPT A,23941,1000,ton\nPT B,99999,10,ton\n",
                     [r"t\.csv:3:2: column 'KBLI': unknown KBLI code '99999'"]),
    "negative_size": ("csv", "Nama,KBLI,Kapasitas,Satuan,Tenaga Kerja\nPT A,23941,-5,ton,10\nPT B,23941,10,ton,-3\n",
                      [r"t\.csv:2:3: column 'Kapasitas': negative capacity: -5",
                       r"t\.csv:3:5: column 'Tenaga Kerja': negative employees: -3"]),
    "not_a_number": ("csv", "Nama,KBLI,Kapasitas\nPT A,23941,banyak\n",
                     [r"t\.csv:2:3: column 'Kapasitas': 'banyak' is not a quantity"]),
    "wrong_unit": ("csv", "Nama,KBLI,Kapasitas,Satuan\nPT A,35101,1000,ton\n",
                   [r"t\.csv:2:3: column 'Kapasitas': capacity in t but archetype 35101"]),
    "half_a_location": ("csv", "Nama,KBLI,Lintang,Bujur\nPT A,23941,-6.3,\n",
                        [r"t\.csv:2:4: column 'Bujur': latitude and longitude must both be given"]),
    "empty_csv": ("csv", "\n\n", [r"t\.csv:1:1: the file is empty"]),
    "wrong_file_type": ("pdf", "%PDF-1.4", [r"t\.pdf:1:1: wrong file type"]),
    "binary_csv": ("csv", "\x00\x01\x02", [r"t\.csv:1:1: this is not a text \(CSV\) file"]),
    "fake_xlsx": ("xlsx", "Nama,KBLI\n", [r"t\.xlsx:1:1: cannot be read as an Excel workbook"]),
    "old_excel": ("xls", "x", [r"t\.xls:1:1: the old Excel format \.xls is not read"]),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_tables_give_a_clear_message_and_write_nothing(tmp_path, capsys, case):
    suffix, text, patterns = MALFORMED[case]
    table = tmp_path / f"t.{suffix}"
    table.write_text(text, encoding="utf-8")
    out = tmp_path / "out.yaml"
    code, stdout, err = run_cli(capsys, "import", table, "--estate", "X", "-o", out)
    assert code == 2, err
    assert "Traceback" not in err and stdout == ""
    for pattern in patterns:
        assert re.search(pattern, err), (pattern, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == [table.name]


def test_merged_cells_and_empty_sheet_in_excel(tmp_path, capsys):
    rows = [["Nama", "KBLI", "Kapasitas"], ["PT A", 23941, 1000], ["PT B", None, 2000], ["PT C", 23951, 300]]
    table = write_xlsx(tmp_path / "m.xlsx", rows, merge="B2:B3", extra_sheet=False)
    code, _, err = run_cli(capsys, "import", table, "--estate", "X", "-o", tmp_path / "o.yaml")
    assert code == 2 and re.search(r"m\.xlsx:2:2: cells B2:B3 are merged.*unmerge them", err), err
    empty = write_xlsx(tmp_path / "e.xlsx", [], extra_sheet=False)
    code, _, err = run_cli(capsys, "import", empty, "--estate", "X", "-o", tmp_path / "o.yaml")
    assert code == 2 and "e.xlsx:1:1: sheet 'Tenants' is empty" in err
    assert not (tmp_path / "o.yaml").exists()


def test_excel_problems_name_the_cell(tmp_path, capsys):
    rows = [["Nama", "KBLI", "Kapasitas"], ["PT A", 23941, -1]]
    table = write_xlsx(tmp_path / "c.xlsx", rows, extra_sheet=False)
    code, _, err = run_cli(capsys, "import", table, "--estate", "X", "-o", tmp_path / "o.yaml")
    assert code == 2 and "c.xlsx:2:3: column 'Kapasitas' (cell C2): negative capacity" in err


def test_unknown_column_mapping_and_existing_output(tmp_path, capsys):
    table = tmp_path / "t.csv"
    table.write_text("Nama,KBLI\nPT A,23941\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "import", table, "--estate", "X", "--columns", "kbil=KBLI", "-o", tmp_path / "o.yaml")
    assert code == 2 and "unknown field 'kbil' (did you mean 'kbli'?)" in err
    code, _, err = run_cli(capsys, "import", table, "--estate", "X", "--columns", "kbli=Kode", "-o", tmp_path / "o.yaml")
    assert code == 2 and "no column 'Kode'" in err
    (tmp_path / "o.yaml").write_text("keep me", encoding="utf-8")
    code, _, err = run_cli(capsys, "import", table, "--estate", "X", "-o", tmp_path / "o.yaml")
    assert code == 2 and "exists" in err and (tmp_path / "o.yaml").read_text() == "keep me"


# --------------------------------------------------------------------------- the archetype library


def test_library_has_at_least_30_archetypes_keyed_by_kbli_with_isic_class():
    library = load_library()
    assert len(library.archetypes) >= 30
    for code, archetype in library.archetypes.items():
        assert len(code) == 5 and code.isdigit() and len(archetype["isic"]) == 4
    divisions = {a["isic"][:2] for a in library.archetypes.values()}
    # food, textiles, garments, wood, paper, chemicals, rubber/plastics, minerals, metals, metal products,
    # electronics, automotive, power and steam, water, waste
    assert {"10", "13", "14", "16", "17", "20", "22", "23", "24", "25", "26", "29", "35", "36", "38"} <= divisions
    assert sum(a["kind"] == "sme" for a in library.archetypes.values()) >= 8
    published = [s for s in library.sources if any(f", {s}]" in line for line in BUNDLED.read_text().splitlines())]
    assert len(published) >= 8


def test_every_archetype_imports_into_a_valid_scenario(tmp_path):
    library = load_library()
    lines = ["Name,KBLI"] + [f"Firm {code},{code}" for code in library.archetypes]
    table = tmp_path / "all.csv"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    imported = import_tenants(table, estate="All archetypes")
    assert imported.firms == len(library.archetypes)


def test_a_user_library_overrides_the_bundled_one(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text('archetypes:\n  "23941":\n    label: My cement\n    isic: "2394"\n    kind: anchor\n'
                    '    product: cement\n    typical_per_year: 1000\n    jobs_per_1000_units: [1, 0.5, 2]\n'
                    '    wage_per_year: [1.0e8, 9.0e7, 1.1e8]\n    inputs:\n      clinker: [0.9, 0.8, 1.0]\n'
                    '      limestone: [0.2, 0.1, 0.3]\n', encoding="utf-8")
    table = tmp_path / "t.csv"
    table.write_text("Nama,KBLI,Kapasitas\nPT A,23941,1000\n", encoding="utf-8")
    imported = import_tenants(table, estate="X", archetypes=[mine])
    assert "My cement" in imported.text and "clinker: 0.9  # illustrative, range 0.8-1" in imported.text
    mine.write_text('archetypes:\n  "23941":\n    label: Broken\n    isic: "2394"\n    kind: anchor\n'
                    '    product: cemnt\n    typical_per_year: 1000\n    jobs_per_1000_units: [1, 2]\n'
                    '    wage_per_year: [1.0e8, 9.0e7, 1.1e8, nobody]\n    inputs: {}\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        import_tenants(table, estate="X", archetypes=[mine])
    report = info.value.report()
    assert re.search(r"mine\.yaml:6:\d+: archetypes\.23941\.product: unknown material 'cemnt' \(did you mean 'cement'", report)
    assert "jobs_per_1000_units: a coefficient is [value, low, high]" in report
    assert "unknown source 'nobody'" in report


def test_archetype_tables_in_the_docs_are_current():
    from simulator.tenants.library import BEGIN, END, markdown_reference

    text = (ROOT / "docs" / "archetypes.md").read_text(encoding="utf-8")
    embedded = text[text.index(BEGIN):text.index(END) + len(END)]
    assert embedded == markdown_reference(), "run `python -m simulator.docgen`"


def test_tenants_located_by_plot_id_take_the_plot_tables_coordinates(tmp_path, capsys):
    tenants = tmp_path / "tenants.csv"
    tenants.write_text("Nama,KBLI,Kapasitas,Satuan,Kavling\nPT Semen,23941,500000,ton,A-1\n"
                       "CV Paving,23951,9000,ton,B-7\n", encoding="utf-8")
    plots = tmp_path / "plots.csv"
    plots.write_text("Kavling,Lintang,Bujur\nA-1,-6.3800,107.3000\nB-7,-6.3900,107.3100\nC-2,-6.4,107.32\n",
                     encoding="utf-8")
    out = tmp_path / "x.yaml"
    code, _, err = run_cli(capsys, "import", tenants, "--estate", "X", "--plots", plots, "-o", out)
    assert code == 0, err
    scenario, _ = load_scenario(out)
    assert scenario.firms["pt_semen"].lat_lon == (-6.38, 107.3)
    assert scenario.firms["cv_paving"].lat_lon == (-6.39, 107.31)
    x, y = scenario.firms["cv_paving"].location_km
    assert geo.to_lat_lon(x, y, scenario.park.geo_origin) == pytest.approx((-6.39, 107.31), abs=1e-5)
    # an unknown plot id, and a plot id without a plot table: row and column named, nothing written
    tenants.write_text("Nama,KBLI,Kavling\nPT Semen,23941,A-2\n", encoding="utf-8")
    out.unlink()
    code, _, err = run_cli(capsys, "import", tenants, "--estate", "X", "--plots", plots, "-o", out)
    assert code == 2 and "tenants.csv:2:3: column 'Kavling': plot 'A-2' is not in the plot table" in err
    code, _, err = run_cli(capsys, "import", tenants, "--estate", "X", "-o", out)
    assert code == 2 and "plot 'A-2' but no plot table" in err and "--plots FILE" in err
    plots.write_text("Kavling,Lintang,Bujur\nA-2,-6.38,\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "import", tenants, "--estate", "X", "--plots", plots, "-o", out)
    assert code == 2 and "plots.csv:2:2: column 'Lintang': plot 'A-2' has no lat_lon" in err
    assert not out.exists()


def test_library_fuels_are_marked_in_the_imported_scenario(example):
    """Coal, gas and firewood are burned, wood chips are made into fuel pellets: a secondary
    material in their place is energy recovery (R1), not circular use (issue 12)."""
    from simulator.validation import load_scenario

    sc, _ = load_scenario(IMPORTED)
    assert {m for m, spec in sc.materials.items() if spec.fuel} == {"coal", "natural_gas", "firewood", "wood_chips"}
    assert "Art. 3(17)" in example.text
