"""Charts redrawn from saved results, and the self-contained HTML report."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest
from helpers import SCENARIOS

from simulator.cli import main

CHROMIUM = shutil.which("chromium")


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    assert main(["run", str(SCENARIOS / "demo.yaml"), "--set", "run.horizon_days=90", "--out", str(out), "--quiet",
                 "--no-figures"]) == 0
    return next(out.glob("demo/*"))


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
    assert len(parser.images) == 5
    assert all(img["src"].startswith("data:image/svg+xml;base64,") and img.get("alt") for img in parser.images)
    assert "http://" not in text.replace("http://www.w3.org", "") and "<script" not in text
    metrics = json.loads((run_folder / "metrics.json").read_text())
    body = " ".join(parser.text)
    for name, entry in metrics.items():
        assert f"def-{name}" in parser.anchors and f"#def-{name}" in parser.links, name
        assert entry["label"] in body and entry["unit"] in body, name


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


def test_experiment_report_has_differences(tmp_path, capsys):
    assert main(["compare", str(SCENARIOS / "demo.yaml"), "--variant", "platform", "--replications", "2", "--set",
                 "run.horizon_days=60", "--engine", "serial", "--out", str(tmp_path)]) == 0
    folder = next(tmp_path.glob("compare-demo/*"))
    assert {p.name for p in (folder / "figures").glob("*.png")} >= {"comparison.png", "differences.png",
                                                                     "discovery.png"}
    assert main(["report", str(folder)]) == 0
    text = (folder / "report.html").read_text()
    assert "Differences from the baseline" in text and "platform" in text
    rows = np.array([line.count("<tr>") for line in text.splitlines()]).sum()
    assert rows > 20
