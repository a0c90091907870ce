"""Regenerate the results shown in the docs: the README charts and the scenario table.

    python docs/refresh_results.py

* ``docs/img/demo_sankey.png``, ``demo_network.png``: the demo park, one run with its seed;
* ``docs/img/kawasan_differences.png``: the kawasan estate against two of its variants,
  10 replications with common random numbers;
* the headline table of ``docs/scenarios.md`` (between its markers): every bundled scenario and
  variant, one 365-day run with the scenario's own seed, as ``eipsim run`` would give.

Results go to a temporary folder; only the PNGs and the table are kept.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import simulator
from simulator.vocabulary import format_value
from simulator.docgen import embed
from simulator.plotting.charts import experiment_figures, run_figures
from simulator.loader import read_yaml_file
from simulator.metrics import compute_metrics
from simulator.model.park import run_scenario
from simulator.single_run import run_and_save
from simulator.validation import load_scenario

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "img"
DPI = 100
BEGIN, END = "<!-- BEGIN SCENARIO RESULTS -->", "<!-- END SCENARIO RESULTS -->"
COLUMNS = (("landfill_diversion_rate", "landfill diversion"), ("virgin_material_avoided_t", "virgin avoided"),
           ("co2e_avoided_t", "CO2e avoided"), ("jobs_sme", "active SME jobs"),
           ("jobs_sme_on_plots", "SME jobs on plots"), ("sme_survival", "SME survival"), ("lm3_park", "LM3 park"),
           ("multiplier_output_type2", "output multiplier II"))


def images(tmp: str) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    scenario, document = load_scenario(ROOT / "scenarios/demo.yaml")
    saved = run_and_save(scenario, document, out=tmp, figures=False)
    data = json.loads((saved.folder / "chart_data.json").read_text())
    figures = run_figures(data, only=("sankey", "network"))
    figures["sankey"].savefig(IMAGES / "demo_sankey.png", dpi=DPI)
    figures["network"].savefig(IMAGES / "demo_network.png", dpi=DPI)
    experiment = simulator.compare(ROOT / "scenarios/kawasan_baseline.yaml", variants=["ikm10", "smart_eip"],
                                   replications=10, out=tmp, progress=False, figures=False)
    experiment_figures(experiment.folder, only=("differences",))["differences"].savefig(
        IMAGES / "kawasan_differences.png", dpi=DPI)


def scenario_table() -> str:
    header = "| file | variant | " + " | ".join(title for _, title in COLUMNS) + " |"
    lines = [BEGIN, "", header, "|---|---|" + "---|" * len(COLUMNS)]
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        own, _ = read_yaml_file(path)  # variants a file inherits through `extends` are its base's rows
        for variant in [None, *own.get("variants", {})]:
            scenario, _ = load_scenario(path, variant=variant)
            values = compute_metrics(run_scenario(scenario))
            cells = [format_value(values[name], unit) for name, unit in
                     ((n, _unit(n, scenario.currency)) for n, _ in COLUMNS)]
            lines.append(f"| `{path.name}` | {variant or '(base)'} | " + " | ".join(cells) + " |")
    return "\n".join([*lines, "", END])


def _unit(name: str, currency: str) -> str:
    from simulator.metrics.registry import unit_of

    return unit_of(name, currency)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        images(tmp)
    embed(ROOT / "docs/scenarios.md", BEGIN, END, scenario_table())
    for path in [*sorted(IMAGES.glob("*.png")), ROOT / "docs/scenarios.md"]:
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
