"""Charts redrawn from saved results, and the self-contained HTML report."""

from __future__ import annotations

import base64
import csv
import html
import re
import json
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest
from helpers import SCENARIOS, built_once

from simulator.cli import main
from simulator.result_reader import ResultReader

CHROMIUM = shutil.which("chromium")


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A 90-day run of the demo without its charts (its reports draw them)."""
    out = tmp_path_factory.mktemp("results")
    assert main(["run", str(SCENARIOS / "demo.yaml"), "--set", "run.horizon_days=90", "--out", str(out), "--quiet",
                 "--no-figures"]) == 0
    return next(out.glob("demo/*"))


FIGURE = re.compile(r'<figure id="fig-([\w-]+)"><img alt="([^"]*)" src="data:image/svg\+xml;base64,([^"]+)">')


def _shown(path) -> dict[str, tuple[str, bytes]]:
    """Each figure of a report by its anchor (without ``fig-``): its alt text and its SVG."""
    return {anchor: (html.unescape(alt), base64.b64decode(svg)) for anchor, alt, svg in FIGURE.findall(path.read_text())}


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.images: list[dict] = []
        self.anchors: set[str] = set()
        self.links: set[str] = set()
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs)
        if "id" in attrs:
            self.anchors.add(attrs["id"])
        if tag == "a" and "href" in attrs:
            self.links.add(attrs["href"])
        if tag not in ("img", "meta", "br", "link"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_plot_redraws_selected_charts_in_indonesian(run_folder, capsys):
    assert main(["plot", str(run_folder), "--only", "sankey,network", "--lang", "id", "--dpi", "72"]) == 0
    written = capsys.readouterr().out.split()
    assert sorted(p.split("/")[-1] for p in written) == ["network_id.png", "network_id.svg", "sankey_id.png",
                                                          "sankey_id.svg"]
    assert "Jaringan kawasan" in (run_folder / "figures/network_id.svg").read_text()


def test_plot_rejects_unknown_chart(run_folder, capsys):
    assert main(["plot", str(run_folder), "--only", "pie"]) == 2
    assert "unknown chart(s) pie" in capsys.readouterr().err


def test_report_is_valid_self_contained_and_complete(run_folder, capsys):
    assert main(["report", str(run_folder)]) == 0
    path = run_folder / "report.html"
    text = path.read_text()
    parser = _Collector()
    parser.feed(text)
    parser.close()
    assert parser.stack == ["html"] or parser.stack == []
    assert len(parser.images) == 6   # the run charts (RUN_CHARTS)
    assert all(img["src"].startswith("data:image/svg+xml;base64,") and img.get("alt") for img in parser.images)
    assert "http://" not in text.replace("http://www.w3.org", "") and "<script" not in text
    metrics = json.loads((run_folder / "metrics.json").read_text())
    body = " ".join(parser.text)
    for name, entry in metrics.items():
        assert f"def-{name}" in parser.anchors and f"#def-{name}" in parser.links, name
        assert entry["label"] in body and entry["unit"] in body, name


def test_implausible_multipliers_are_flagged_in_the_manifest_and_the_report(run_folder):
    """The demo's employment multiplier (about 6.6 / 8.6) is above the reference (2.47 / 3.68): the
    manifest and the report say it is mostly an assumption of supplier_jobs_per_million and the
    palm-oil mill's local purchases; the output multiplier (1.3) is not flagged."""
    warnings = {w["title"]: w for w in json.loads((run_folder / "manifest.json").read_text())["plausibility"]}
    employment = warnings["Employment multipliers"]
    assert employment["indicators"] == ["multiplier_employment_type1", "multiplier_employment_type2"]
    assert employment["values"][1] > employment["references"][1] == 3.68
    assert employment["parameters"][0] == "region.supplier_jobs_per_million = 0.01"
    assert any("firms.palm_oil_mill" in p for p in employment["parameters"])
    assert "Output multipliers" not in warnings and "LM3 of the park" not in warnings
    assert main(["report", str(run_folder)]) == 0
    text = (run_folder / "report.html").read_text()
    assert 'id="plausibility"' in text and "mostly an assumption of region.supplier_jobs_per_million" in text


def test_report_in_indonesian(run_folder):
    assert main(["report", str(run_folder), "--lang", "id"]) == 0
    text = (run_folder / "report_id.html").read_text()
    assert '<html lang="id">' in text and "Indikator" in text and "Gambar" in text


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium(run_folder, tmp_path):
    from matplotlib.image import imread

    main(["report", str(run_folder)])
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,2400",
                    (run_folder / "report.html").as_uri()], capture_output=True, timeout=120, check=False)
    image = imread(shot)
    assert image.shape[0] >= 2000
    grey = image[..., :3].mean(axis=2)
    assert grey.std() > 0.05            # not a blank page
    assert (grey < 0.5).mean() > 0.005  # some dark text and lines


def _compare_with_reports(out):
    assert main(["compare", str(SCENARIOS / "demo.yaml"), "--variant", "platform", "--replications", "2", "--set",
                 "run.horizon_days=60", "--engine", "serial", "--out", str(out), "--quiet"]) == 0
    for lang in ("en", "id"):
        assert main(["report", str(next(out.glob("compare-demo/*"))), "--lang", lang]) == 0


@pytest.fixture(scope="module")
def compare_reports(tmp_path_factory):
    """A comparison with its reports in English (report.html) and Indonesian (report_id.html),
    built once per session for the tests that read them."""
    return next(built_once(tmp_path_factory, "compare-reports", _compare_with_reports).glob("compare-demo/*"))


def test_experiment_flags_each_arms_mean_multipliers(compare_reports, capsys):
    """A comparison checks each arm's mean multipliers (names from its representative run): the
    table printed after it and its report carry the warnings, one per arm."""
    from simulator.experiment.terminal_tables import experiment_table
    from simulator.result_reader import ResultReader

    compare_folder = compare_reports
    found = json.loads((compare_folder / "plausibility.json").read_text())
    assert set(found) == {"demo", "platform"}
    summary = {(r["arm"], r["metric"]): float(r["mean"]) for r in csv.DictReader(open(compare_folder / "summary.csv"))}
    employment = next(w for w in found["platform"] if w["title"] == "Employment multipliers")
    assert employment["values"] == pytest.approx([summary[("platform", m)] for m in employment["indicators"]], rel=1e-9)
    assert employment["parameters"][0] == "region.supplier_jobs_per_million = 0.01"
    experiment = type("E", (), {"folder": compare_folder, "kind": "compare", "runs_done": 4, "runs_total": 4})()
    # each warning once, with the arms that have it (the same text in both arms here)
    shown = ResultReader(compare_folder).plausibility()
    arms = next(arms.split(", ") for arms, text in shown if text == employment["text"])
    assert "platform" in arms and len(shown) == len({text for _, text in shown})
    assert f"  Warning ({', '.join(arms)}): Employment multipliers, Type I / Type II" in experiment_table(experiment)
    assert "platform: Employment multipliers" in (compare_folder / "report.html").read_text()


def _parsed(path) -> _Collector:
    parser = _Collector()
    parser.feed(path.read_text())
    parser.close()
    return parser


def test_report_shows_the_saved_charts_and_draws_only_those_not_saved(compare_reports, tmp_path):
    """The report embeds each chart's SVG file as saved (the experiment's and each arm's), captioned
    with the title saved in it; a chart not saved (here the differences chart, its file removed) is
    drawn, with the caption and SVG header it has when saved."""
    from simulator.result_reader import saved_chart

    folder = tmp_path / "compare"
    shutil.copytree(compare_reports, folder, ignore=shutil.ignore_patterns("report*.html"))
    differences_svg, differences_caption = saved_chart(folder, "differences")
    (folder / "figures/differences.svg").unlink()
    arm = ResultReader(folder).arm_run("platform")
    marker = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">\n <title>A &amp; saved</title></svg>'
    (arm / "figures/sankey.svg").write_bytes(marker)
    assert main(["report", str(folder)]) == 0
    shown = _shown(folder / "report.html")
    assert shown["platform-sankey"] == ("A & saved", marker)
    assert shown["comparison"] == saved_chart(folder, "comparison")[::-1]
    alt, drawn = shown["differences"]
    assert alt == differences_caption and drawn.startswith(differences_svg[:differences_svg.index(b"<defs>")])


def test_experiment_report_has_differences(compare_reports):
    folder = compare_reports
    assert {p.name for p in (folder / "figures").glob("*.png")} >= {"comparison.png", "differences.png",
                                                                     "discovery.png"}
    text = (folder / "report.html").read_text()
    assert "Differences from the baseline" in text and "platform" in text
    rows = np.array([line.count("<tr>") for line in text.splitlines()]).sum()
    assert rows > 20


def test_experiment_report_embeds_the_figures_of_every_arm_under_its_heading(compare_reports):
    compare_folder = compare_reports
    path = compare_folder / "report.html"
    parser = _parsed(path)
    arms = sorted(ResultReader(compare_folder).arms_with_charts())
    assert arms == ["demo", "platform"]
    charts = ("material_fate", "network", "sankey", "local_economy", "discovery", "firms")
    for arm in arms:
        assert f"arm-{arm}" in parser.anchors
        assert {f"fig-{arm}-{chart}" for chart in charts} <= parser.anchors, arm
    assert {"fig-comparison", "fig-differences", "fig-discovery"} <= parser.anchors
    assert len(parser.images) == 3 + 6 * len(arms)
    shown = _shown(path)  # the charts the comparison saved, as saved
    reader = ResultReader(compare_folder)
    for anchor, folder, chart in [(name, compare_folder, name) for name in ("comparison", "differences", "discovery")] + [
            (f"{arm}-{chart}", reader.arm_run(arm), chart) for arm in arms for chart in charts]:
        assert shown[anchor][1] == (folder / "figures" / f"{chart}.svg").read_bytes(), anchor
    text = path.read_text()
    # each arm's charts follow its heading, before the next arm's
    order = [text.index(f'id="{anchor}"') for anchor in ("arm-demo", "fig-demo-sankey", "arm-platform",
                                                         "fig-platform-sankey")]
    assert order == sorted(order)
    assert path.stat().st_size < 6_000_000


@pytest.mark.parametrize("lang", ["en", "id"])
def test_every_figure_has_a_caption_and_alt_text_of_its_own(run_folder, compare_reports, lang):
    expected = {"en": ("Local economy of the park", "Indicators by scenario arm",
                       "Change against the baseline"),
                "id": ("Ekonomi lokal kawasan", "Indikator per skenario", "Perubahan terhadap skenario dasar")}[lang]
    name = "report.html" if lang == "en" else "report_id.html"
    captions = []
    assert main(["report", str(run_folder), "--lang", lang]) == 0
    for folder in (run_folder, compare_reports):
        text = (folder / name).read_text()
        parser = _parsed(folder / name)
        assert parser.images
        for img in parser.images:
            alt = img.get("alt", "")
            assert alt.strip(), img.get("src", "")[:40]
            assert f"<figcaption>{alt}</figcaption>" in html.unescape(text)  # the caption is the alt text
        captions += [img["alt"] for img in parser.images]
    assert not any(c in ("all park firms", "seluruh perusahaan kawasan", "") for c in captions)
    for start in expected:
        assert any(c.startswith(start) for c in captions), (start, captions)


def test_caption_prefers_the_suptitle_then_a_single_panel_title_then_the_chart_kind():
    from matplotlib.figure import Figure

    from simulator.plotting.charts import CAPTIONS, figure_caption

    fig = Figure()
    left, right = fig.subplots(1, 2)
    left.set_title("panel A")
    right.set_title("panel B")
    assert figure_caption(fig, "sweep", CAPTIONS["en"]) == "Indicators along the swept parameter"
    fig.suptitle("Overall\ntitle")
    assert figure_caption(fig, "sweep", CAPTIONS["en"]) == "Overall title"
    single = Figure()
    single.subplots().set_title("only panel", loc="left")
    assert figure_caption(single, "x") == "only panel"
    assert figure_caption(Figure(), "local_economy") == "local economy"


def test_indonesian_report_translates_tables_units_and_numbers(compare_reports):
    from simulator.vocabulary import format_value

    compare_folder = compare_reports
    parser = _parsed(compare_folder / "report_id.html")
    body = " ".join(parser.text)
    for word in ("skenario", "deskripsi", "perusahaan", "periode", "tuas kebijakan", "60 hari", "jangkar",
                 "Produk samping yang dihasilkan", "Lapangan kerja aktif di IKM", "pekerjaan", "pangsa",
                 "Gambar tiap skenario", "Skenario: platform", "ditulis dalam bahasa Inggris"):
        assert word in body, word
    text = (compare_folder / "report_id.html").read_text()
    for word in ("<th>description</th>", " days</td>", "<th>horizon</th>", "By-products generated",
                 "all park firms"):
        assert word not in text, word
    metrics = json.loads((compare_folder / "metrics.json").read_text())
    jobs = metrics["jobs_total"]["value"]
    assert jobs >= 1000 and format_value(jobs, "jobs", "id") in body
    assert format_value(1234567.5, "t", "id") == "1.234.568 t"
    assert format_value(0.1234, "share", "id") == "12,3 %"
    assert format_value(1.5e9, "IDR", "id") == "1,50 miliar IDR"
    assert format_value(2.5, "ratio", "id") == "2,50"
    assert format_value(12.5, "h", "id") == "12,5 jam"
    assert format_value(float("nan"), "t", "id") == "t/a"
    assert format_value(1234567.5, "t", "en") == "1,234,568 t"   # English as the command line prints it


def test_compare_report_shows_each_arm_with_its_own_indicators(compare_reports):
    """Before, an experiment report showed the first arm's indicators only, without saying so."""
    from simulator.result_reader import read_table
    from simulator.vocabulary import format_value

    compare_folder = compare_reports
    text = (compare_folder / "report.html").read_text()
    start = text.index("<h2>Indicators")
    table = text[start:text.index("</table>", start)]
    assert "Arm: demo (n = 2)" in table and "Arm: platform (n = 2)" in table
    means = {(r["arm"], r["metric"]): r for r in read_table(compare_folder / "summary.csv")}
    row = table[table.index('href="#def-links_contracted"'):]
    row = row[:row.index("</tr>")]
    for arm in ("demo", "platform"):
        assert format_value(means[(arm, "links_contracted")]["mean"], "links") in row
    summary = _parsed(compare_folder / "report.html")
    assert "platform" in " ".join(summary.text)


def _designs(out):
    ranges = ["--range", "discovery.base_rate_per_year=0.5:4", "--range", "policy.landfill_tax_per_t=0:500000"]
    common = ["--set", "run.horizon_days=60", "--engine", "serial", "--out", str(out), "--quiet"]
    assert main(["sweep", str(SCENARIOS / "demo.yaml"), "--lhs", "5", *ranges, *common]) == 0
    assert main(["sensitivity", str(SCENARIOS / "demo.yaml"), "--n", "4", *ranges, *common]) == 0
    assert main(["sensitivity", str(SCENARIOS / "demo.yaml"), "--method", "morris", "--n", "4", *ranges, *common,
                 "--out", str(out / "morris")]) == 0


@pytest.fixture(scope="module")
def design_folders(tmp_path_factory):
    """An LHS sweep, a Sobol and a Morris sensitivity analysis over two parameters (short runs),
    with figures, built once per session."""
    pytest.importorskip("SALib")
    out = built_once(tmp_path_factory, "designs", _designs)
    return (next(out.glob("demo/*_sweep_*")), next(out.glob("demo/*_sensitivity_*")),
            next((out / "morris").glob("demo/*_sensitivity_*")))


def test_lhs_sweeps_and_sensitivity_write_charts_and_plot_draws_them(design_folders, capsys):
    """Before, both left figures/ empty and `eipsim plot` printed nothing with exit code 0."""
    sweep, sensitivity, morris = design_folders
    assert {p.stem for p in (morris / "figures").iterdir()} == {"sweep_points"}  # no Sobol indices to draw
    assert {p.name for p in (sweep / "figures").iterdir()} == {"sweep_points.png", "sweep_points.svg"}
    assert {p.stem for p in (sensitivity / "figures").iterdir()} == {"sweep_points", "sobol"}
    capsys.readouterr()
    assert main(["plot", str(sensitivity), "--lang", "id"]) == 0
    assert sorted(p.split("/")[-1] for p in capsys.readouterr().out.split()) == [
        "sobol_id.png", "sobol_id.svg", "sweep_points_id.png", "sweep_points_id.svg"]
    assert main(["plot", str(sweep), "--only", "network"]) == 2
    assert "no chart to draw among network" in capsys.readouterr().err


def test_sweeps_and_sensitivity_analyses_check_each_points_multipliers(design_folders):
    """Before, only replications and comparisons checked their multipliers against the reference:
    a sweep printed no plausibility warning. Each point's mean multipliers are checked now, with
    the parameters that drive them in its first replication; the table shows each warning once."""
    from simulator.experiment.terminal_tables import experiment_table

    for folder in design_folders[:2]:
        found = json.loads((folder / "plausibility.json").read_text())
        points = [arm["label"] for arm in ResultReader(folder).plan()["arms"]]
        summary = {(r["arm"], r["metric"]): float(r["mean"]) for r in csv.DictReader(open(folder / "summary.csv"))}
        assert set(found) == set(points)   # the demo's employment multipliers are implausible at every point
        for point, warnings in found.items():
            employment = next(w for w in warnings if w["title"] == "Employment multipliers")
            assert employment["values"] == pytest.approx([summary[(point, m)] for m in employment["indicators"]])
            assert employment["parameters"][0] == "region.supplier_jobs_per_million = 0.01"
        kind = ResultReader(folder).kind
        experiment = type("E", (), {"folder": folder, "kind": kind, "runs_done": 1, "runs_total": 1})()
        lines = [line for line in experiment_table(experiment).splitlines() if "Employment multipliers" in line]
        assert 1 <= len(lines) <= 4 and all(line.startswith("  Warning (") for line in lines)


def test_a_warning_of_many_points_is_shown_once_with_their_count(tmp_path):
    (tmp_path / "plan.json").write_text(json.dumps({"kind": "sweep", "arms": [{"label": f"p{k}"} for k in range(6)]}))
    warning = {"title": "LM3 of the park", "text": "LM3 of the park {} is above 2.20"}
    found = {f"p{k}": [{**warning, "text": warning["text"].format(2.5 + k / 10)}] for k in range(5)}
    found["p5"] = found["p4"]
    (tmp_path / "plausibility.json").write_text(json.dumps(found))
    assert ResultReader(tmp_path).plausibility() == [("6 of 6 points, e.g. p0", "LM3 of the park 2.5 is above 2.20")]
    del found["p0"], found["p1"]
    (tmp_path / "plausibility.json").write_text(json.dumps(found))
    assert ResultReader(tmp_path).plausibility() == [(f"p{k}", f"LM3 of the park {2.5 + k / 10} is above 2.20")
                                                     for k in (2, 3)] + [("p4, p5", "LM3 of the park 2.9 is above 2.20")]


def test_sensitivity_report_has_sobol_indices_and_figures(design_folders):
    from simulator.result_reader import read_table

    _, sensitivity, morris = design_folders
    assert main(["report", str(morris)]) == 0
    assert "<th>mu_star</th><th>sigma</th>" in (morris / "report.html").read_text()
    assert main(["report", str(sensitivity)]) == 0
    parser = _parsed(sensitivity / "report.html")
    assert {"sobol", "fig-sobol", "fig-sweep_points"} <= parser.anchors
    text = (sensitivity / "report.html").read_text()
    table = text[text.index('id="sobol"'):]
    table = table[:table.index("</table>")]
    rows = read_table(sensitivity / "sensitivity.csv")
    with_indices = [r for r in rows if r["ST"] is not None]
    assert with_indices
    assert table.count("<tr>") == len(rows) + 1 and "<th>S1</th><th>ST</th>" in table
    assert len(re.findall(r'<td class="num">[\d.,−-]+ ± [\d.,]+</td>', table)) == 2 * len(with_indices)
    assert "The first 6 of 16 configurations" in text
