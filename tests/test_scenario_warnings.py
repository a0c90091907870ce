"""Warnings beside errors: a scenario that validates but will not run as its author meant.

Each warning names file:line:col and field like an error, is printed by ``validate`` and ``run``
on stderr, and leaves the exit code 0; the run's table says when a firm produced nothing.
"""

from __future__ import annotations

import json

import pytest
from conftest import MINI_SCENARIO, position, replace_once

from simulator.cli import main
from simulator.scenario_warnings import scenario_warnings
from simulator.validation import load_scenario

PULP = "  pulp: {category: byproduct}\n  paper: {category: product, price_per_unit: 1.0e6}\n  fly_ash: {category"
PAPER_MILL = """\
  paper_mill:
    location_km: [2.0, 0.0]
    product: {material: paper, capacity_per_day: 10}
    inputs: {pulp: 1.0}
exchanges:
"""
LONELY = """\
  lonely:
    location_km: [3.0, 0.0]
    product: {material: paper, capacity_per_day: 10}
    inputs: {coal: 1.0}
exchanges:
"""


def scenario_with(*replacements) -> str:
    text = MINI_SCENARIO
    for old, new in replacements:
        text = replace_once(text, old, new)
    return text


def warning_lines(path) -> list[str]:
    scenario, document = load_scenario(path)
    return sorted(str(w) for w in scenario_warnings(scenario, document.sources))


def test_the_minimal_scenario_has_no_warnings(mini_scenario):
    assert warning_lines(mini_scenario) == []


def test_a_firm_whose_input_nobody_can_deliver_can_never_produce(write_yaml):
    text = scenario_with(("  fly_ash: {category", PULP), ("exchanges:\n", PAPER_MILL))
    path = write_yaml("w.yaml", text)
    line, col = position(text, "pulp: 1.0")
    assert warning_lines(path) == [
        f"{path}:{line}:{col}: firms.paper_mill.inputs.pulp: 'paper_mill' can never produce: its input 'pulp' is "
        "a byproduct that cannot be bought, and no firm in the park can deliver it (add a firm that outputs it "
        "within reach, list an exchange, or make it a substitute)"]


def test_an_isolated_firm_and_a_by_product_nobody_takes(write_yaml):
    text = scenario_with(("exchanges:\n", LONELY),
                         ("  fly_ash: {category", "  paper: {category: product}\n  slag: {category: byproduct}\n"
                                                  "  fly_ash: {category"),
                         ("{fly_ash: 0.05, loss: 0.45}", "{fly_ash: 0.05, slag: 0.05, loss: 0.4}"))
    path = write_yaml("w.yaml", text)
    lonely, slag = position(text, "lonely:"), position(text, "slag: 0.05")
    assert warning_lines(path) == [
        f"{path}:{slag[0]}:{slag[1]}: firms.power_plant.outputs.slag: nothing can take the 'slag' of "
        "'power_plant' (no firm in the park uses it): all of it is disposed",
        f"{path}:{lonely[0]}:{lonely[1]}: firms.lonely: 'lonely' has no candidate exchange link: it neither "
        "supplies nor takes any by-product in the park (check its outputs, inputs and substitutes and "
        "network.max_distance_km)",
    ]


def test_a_firm_out_of_reach_is_isolated(write_yaml):
    text = scenario_with(("location_km: [1.0, 0.0]", "location_km: [900.0, 0.0]"),
                         ("exchanges:\n  - {supplier: power_plant, consumer: cement_works, material: fly_ash, "
                          "known_from_day: 0}\n", ""))
    lines = warning_lines(write_yaml("w.yaml", text))
    assert len(lines) == 2
    assert "firms.power_plant: 'power_plant' has no candidate exchange link" in lines[0]
    assert "firms.cement_works: 'cement_works' has no candidate exchange link" in lines[1]


def test_a_firm_without_staff_in_a_park_whose_other_firms_have_them(write_yaml):
    text = scenario_with(("    kind: anchor\n    location_km: [0.0", "    kind: anchor\n    employees: 50\n"
                                                                      "    wage_per_year: 6.0e7\n    location_km: [0.0"))
    path = write_yaml("w.yaml", text)
    line, col = position(text, "cement_works:")
    assert warning_lines(path) == [
        f"{path}:{line}:{col}: firms.cement_works: 'cement_works' has no employees: its jobs and wages are missing "
        "from LM3, the jobs and the income multipliers, while other firms have them (give it `employees`)"]


def test_a_warning_for_firms_with_a_count_is_given_once(write_yaml):
    text = scenario_with(("  fly_ash: {category", PULP), ("exchanges:\n", PAPER_MILL.replace(
        "    location_km: [2.0, 0.0]\n", "    count: 3\n")))
    lines = warning_lines(write_yaml("w.yaml", text))
    assert len(lines) == 1 and "firms.paper_mill.inputs.pulp: 'paper_mill' can never produce" in lines[0]


def test_validate_and_run_print_warnings_and_exit_0(write_yaml, tmp_path, capsys):
    text = scenario_with(("  fly_ash: {category", PULP), ("exchanges:\n", PAPER_MILL))
    path = write_yaml("w.yaml", text)
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{path}: OK (3 firm entries, 7 materials)\n"
    line, col = position(text, "pulp: 1.0")
    assert err.splitlines() == [
        f"{path}:{line}:{col}: warning: firms.paper_mill.inputs.pulp: 'paper_mill' can never produce: its input "
        "'pulp' is a byproduct that cannot be bought, and no firm in the park can deliver it (add a firm that "
        "outputs it within reach, list an exchange, or make it a substitute)", "1 warning."]
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--no-figures"]) == 0
    out, err = capsys.readouterr()
    assert f"{path}:{line}:{col}: warning: firms.paper_mill.inputs.pulp" in err
    note = "1 firm(s) produced nothing in 30 days: paper_mill (`eipsim validate` warns about firms that can never produce)"
    assert f"  Warning: {note}" in out.splitlines()
    manifest = json.loads(next((tmp_path / "out").glob("*/*/manifest.json")).read_text())
    assert manifest["notes"] == [note]   # the table prints the notes the manifest keeps
    # a sector without output has no multipliers (not 1.00 and an income multiplier of 0)
    assert "    paper_mill n/a / n/a" in out.splitlines()
    from simulator.result_reader import read_table

    (row,) = [r for r in read_table(next((tmp_path / "out").glob("*/*/io_multipliers.csv")))
              if r["sector"] == "paper_mill"]
    assert all(row[k] is None for k in row if k != "sector"), row


def test_quiet_run_prints_no_warnings(write_yaml, tmp_path, capsys):
    path = write_yaml("w.yaml", scenario_with(("  fly_ash: {category", PULP), ("exchanges:\n", PAPER_MILL)))
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--no-figures", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert "warning" not in out + err


@pytest.mark.parametrize("name", ["demo.yaml", "kalundborg.yaml", "kawasan_baseline.yaml"])
def test_bundled_scenarios_warn_only_about_waste_nobody_takes(name):
    from helpers import SCENARIOS

    for line in warning_lines(SCENARIOS / name):
        assert "nothing can take the" in line, line
