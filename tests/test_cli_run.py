"""End-to-end: the CLI runs the bundled demo and writes a complete, reproducible result folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import jsonschema
import pytest
from helpers import ROOT, SCENARIOS

from simulator.cli import main
from simulator.loader import read_yaml_file
from simulator.docgen import BEGIN, END, field_reference

SHORT = ["--set", "run.horizon_days=120"]


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def the_run_folder(out_dir):
    folders = [p for p in out_dir.glob("*/*") if p.is_dir()]
    assert len(folders) == 1, folders
    return folders[0]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    code = main(["run", str(SCENARIOS / "demo.yaml"), "--out", str(out), "--quiet", *SHORT])
    assert code == 0
    return the_run_folder(out)


def test_run_folder_is_complete(demo_run):
    names = {p.relative_to(demo_run).as_posix() for p in demo_run.rglob("*") if p.is_file()}
    expected = {"scenario.resolved.yaml", "manifest.json", "metrics.json", "flows.csv", "stocks.csv",
                "ledger.csv", "links.csv", "figures/material_fate.png", "figures/material_fate.svg",
                "figures/network.png", "figures/network.svg"}
    assert expected <= names
    assert demo_run.parent.name == "demo"
    assert not list(demo_run.parent.glob(".*"))  # no temporary folder left behind


def test_manifest_has_provenance_without_user_names(demo_run):
    manifest = json.loads((demo_run / "manifest.json").read_text())
    for key in ("eipsim_version", "dependencies", "scenario_sha256", "root_seed", "argv", "started_utc",
                "finished_utc", "duration_s", "git_commit", "git_modified"):
        assert key in manifest
    assert manifest["root_seed"] == 20241006
    assert manifest["dependencies"]["simpy"]
    assert demo_run.name.endswith(manifest["scenario_sha256"][:8])
    import getpass
    import socket
    text = (demo_run / "manifest.json").read_text()
    assert socket.gethostname() not in text
    assert f"/{getpass.getuser()}/" not in text or getpass.getuser() == "root"


def test_metrics_json_has_value_unit_definition(demo_run):
    metrics = json.loads((demo_run / "metrics.json").read_text())
    assert metrics["landfill_diversion_rate"]["unit"] == "share"
    assert metrics["revenue"]["unit"] == "IDR"
    for entry in metrics.values():
        assert set(entry) >= {"value", "unit", "label", "definition"}
    assert metrics["mass_balance_residual"]["value"] < 1e-9


def test_csv_headers(demo_run):
    assert (demo_run / "flows.csv").read_text().splitlines()[0] == \
        "time_days,source,target,material,quantity,unit,value,kind"
    assert (demo_run / "stocks.csv").read_text().splitlines()[0] == "day,firm,material,level,unit,capacity"
    assert (demo_run / "ledger.csv").read_text().splitlines()[0] == \
        "time_days,payer,payee,payee_location,category,material,quantity,amount"


def test_same_seed_identical_files_and_resolved_scenario_reruns(demo_run, tmp_path, capsys):
    # Run the resolved scenario itself: same seed, same scenario -> byte-identical tables.
    code, _, _ = run_cli(capsys, "run", str(demo_run / "scenario.resolved.yaml"), "--out", str(tmp_path), "--quiet",
                         "--no-figures")
    assert code == 0
    again = the_run_folder(tmp_path)
    for name in ("metrics.json", "flows.csv", "stocks.csv", "ledger.csv", "links.csv"):
        assert (again / name).read_bytes() == (demo_run / name).read_bytes(), name


def test_seed_and_overrides(tmp_path, capsys):
    code, out, err = run_cli(capsys, "run", str(SCENARIOS / "demo.yaml"), "--seed", "7", "--set",
                             "run.horizon_days=60", "--out", str(tmp_path), "--no-figures")
    assert code == 0
    folder = the_run_folder(tmp_path)
    assert str(folder) in out
    assert "Landfill diversion rate" in out and "%" in out
    resolved, _ = read_yaml_file(folder / "scenario.resolved.yaml")
    assert resolved["run"]["seed"] == 7 and resolved["run"]["horizon_days"] == 60
    assert "# --set run.horizon_days=60" in (folder / "scenario.resolved.yaml").read_text()


def test_variant_is_applied_and_named(tmp_path, capsys):
    code, _, _ = run_cli(capsys, "run", str(SCENARIOS / "demo.yaml"), "--variant", "platform", *SHORT,
                         "--out", str(tmp_path), "--quiet", "--no-figures")
    assert code == 0
    folder = the_run_folder(tmp_path)
    assert folder.parent.name == "demo-platform"
    resolved, _ = read_yaml_file(folder / "scenario.resolved.yaml")
    assert resolved["platform"]["opens_day"] == 60


def test_existing_folder_is_never_overwritten(tmp_path, capsys):
    for _ in range(2):
        assert main(["run", str(SCENARIOS / "demo.yaml"), "--set", "run.horizon_days=5", "--out", str(tmp_path),
                     "--quiet", "--no-figures"]) == 0
    capsys.readouterr()
    assert len([p for p in (tmp_path / "demo").iterdir()]) == 2


def test_schema_validates_bundled_scenarios(capsys):
    code, out, _ = run_cli(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in sorted(SCENARIOS.glob("*.yaml")):
        data, _ = read_yaml_file(path)
        jsonschema.validate(data, schema)


def test_validate_bundled_scenarios(capsys):
    code, out, _ = run_cli(capsys, "validate", *map(str, sorted(SCENARIOS.glob("*.yaml"))))
    assert code == 0
    assert out.count(": OK") == len(list(SCENARIOS.glob("*.yaml")))


def test_field_reference_in_scenarios_readme_is_current():
    text = (SCENARIOS / "README.md").read_text()
    embedded = text[text.index(BEGIN):text.index(END) + len(END)]
    assert embedded == field_reference(), "run `python -m simulator.docgen`"


def test_metric_reference_in_docs_is_current():
    from simulator.metrics import registry
    text = (ROOT / "docs/metrics.md").read_text()
    embedded = text[text.index(registry.BEGIN):text.index(registry.END) + len(registry.END)]
    assert embedded == registry.markdown_reference(), "run `python -m simulator.docgen`"


def test_python_dash_m_is_the_same_cli(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "simulator", "validate", str(SCENARIOS / "demo.yaml")],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "OK" in proc.stdout


def test_resolved_scenarios_with_archetypes_reload(tmp_path, capsys):
    assert main(["run", str(SCENARIOS / "kawasan_baseline.yaml"), "--set", "run.horizon_days=5", "--out",
                 str(tmp_path), "--quiet", "--no-figures"]) == 0
    resolved = next(tmp_path.glob("*/*/scenario.resolved.yaml"))
    assert main(["validate", str(resolved)]) == 0


@pytest.mark.parametrize("stop, code, said", [
    ("sigterm", 143, "eipsim: stopped by SIGTERM; nothing half-written was kept."),
    ("ctrl-c", 130, "eipsim: interrupted; nothing half-written was kept."),
])
def test_a_stopped_run_leaves_no_partial_folder(tmp_path, capsys, monkeypatch, stop, code, said):
    import simulator.single_run

    def stopped_while_writing(folder, *args, **kwargs):
        folder.write_text("flows.csv", "partial")
        if stop == "ctrl-c":
            raise KeyboardInterrupt
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)  # the handler interrupts the sleep

    monkeypatch.setattr(simulator.single_run, "write_run_tables", stopped_while_writing)
    before = signal.getsignal(signal.SIGTERM)
    got = main(["run", str(SCENARIOS / "demo.yaml"), "--set", "run.horizon_days=5", "--out", str(tmp_path),
                "--no-figures"])
    assert (got, capsys.readouterr().err.splitlines()[-1]) == (code, said)
    assert [p for p in tmp_path.rglob("*") if p.is_file() or p.name.startswith(".")] == []
    assert signal.getsignal(signal.SIGTERM) == before  # main restores the handler it replaced


def test_quiet_is_an_option_of_every_experiment_command():
    from simulator.cli import build_parser

    for command in (["run", "x.yaml"], ["compare", "x.yaml"], ["sweep", "x.yaml"], ["sensitivity", "x.yaml"]):
        assert build_parser().parse_args([*command, "--quiet"]).quiet


def test_a_broken_mass_balance_stops_the_run_with_exit_1_and_no_folder(tmp_path, monkeypatch, capsys):
    import simulator.model.assembly as assembly

    monkeypatch.setattr(assembly, "MASS_BALANCE_TOLERANCE", -1.0)  # every residual now counts as broken
    code = main(["run", str(SCENARIOS / "demo.yaml"), "--set", "run.horizon_days=5", "--out", str(tmp_path),
                 "--quiet", "--no-figures"])
    assert code == 1
    err = capsys.readouterr().err
    assert "mass balance does not close" in err and "Traceback" not in err
    assert not any(tmp_path.rglob("*.csv")) and not any(tmp_path.rglob(".*"))


def test_run_with_loss_making_smes_completes(tmp_path, capsys):
    """Issue 12: few, loss-making IKM firms once crashed LM3 ("round2 cannot exceed round1")."""
    code, out, err = run_cli(capsys, "run", str(SCENARIOS / "kawasan_baseline.yaml"), "--out", str(tmp_path),
                             "--no-figures", "--set", "sme.land_share=0.02",
                             "--set", 'sme.mix={"textile_crafter":3,"brick_maker":1}')
    assert code == 0, err
    metrics = json.loads((the_run_folder(tmp_path) / "metrics.json").read_text())
    assert 1.0 <= metrics["lm3_sme"]["value"] <= 3.0
    # the run table says what became of the firms, right after SME survival, as metrics.json counts it
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if "Firms idle / exited / entered / restarted" in line)
    assert "SME survival" in lines[at - 1]
    counts = [metrics[f"firms_{kind}"]["value"] for kind in ("idle", "exited", "entered", "restarted")]
    assert counts[1] > 0
    assert lines[at].split()[-8:] == " / ".join(f"{c:.0f}" for c in counts).split() + ["firms"]


def test_run_folder_records_the_composed_scenario(tmp_path, capsys):
    """The IKM firms the land-share lever creates are in scenario.composed.yaml with their places,
    not in the user's scenario.resolved.yaml (issue 11: the run folder shows exactly what ran)."""
    code, _, _ = run_cli(capsys, "run", str(SCENARIOS / "kawasan_ikm10.yaml"), "--out", str(tmp_path), "--quiet",
                         "--no-figures", "--set", "run.horizon_days=10")
    assert code == 0
    folder = the_run_folder(tmp_path)
    resolved = read_yaml_file(folder / "scenario.resolved.yaml")[0]
    composed = read_yaml_file(folder / "scenario.composed.yaml")[0]
    generated = set(composed["firms"]) - set(resolved["firms"])
    assert generated and all(f.startswith("ikm") for f in generated)
    laid_out = {row["entry"] for row in composed["layout"]}
    assert laid_out == set(composed["firms"])
    assert all(len(row["location_km"]) == 2 for row in composed["layout"])
