"""Validation of whole scenarios: every problem at once, each with file:line:col, path and hint."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import position, replace_once

from simulator.config import Scenario
from simulator.errors import ScenarioError
from simulator.validation import load_scenario

DEMO = Path(__file__).resolve().parents[1] / "scenarios" / "demo.yaml"


def report_lines(path, **kwargs) -> list[str]:
    """The problem lines of the report for ``path`` (without the final count line)."""
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(path, **kwargs)
    lines = excinfo.value.report().splitlines()
    count = len(excinfo.value.problems)
    assert lines[-1] == f"{count} problem{'s' if count != 1 else ''} found."
    assert len(lines) == count + 1
    return lines[:-1]


def at(path, text, needle, nth=1) -> str:
    """``FILE:LINE:COL`` of the ``nth`` ``needle`` in ``text`` written to ``path``."""
    line, col = position(text, needle, nth)
    return f"{path}:{line}:{col}"


# --------------------------------------------------------------------------- valid input


def test_minimal_scenario_is_valid(mini_scenario):
    scenario, document = load_scenario(mini_scenario)
    assert isinstance(scenario, Scenario)
    assert set(scenario.firms) == {"power_plant", "cement_works"}
    assert scenario.materials["coal"].price_per_unit == 1.2e6
    assert scenario.firms["cement_works"].inputs["clinker"].substitutes["fly_ash"].max_share == 0.3
    assert document.problems == []


def test_demo_scenario_and_its_variants_are_valid():
    scenario, document = load_scenario(DEMO)
    assert scenario.name == "demo"
    for variant in document.variants:
        assert load_scenario(DEMO, variant=variant)[0].name == f"demo-{variant}"


# --------------------------------------------------------------------------- structure


def test_unknown_keys_with_suggestions(broken_scenario):
    path, text = broken_scenario(
        ("  horizon_days: 30", "  horizon_dayz: 30"),
        ("    kind: anchor\n    location_km: [1.0", "    kinde: anchor\n    location_km: [1.0"),
        ("{ratio: 1.0, max_share: 0.3}", "{ratio: 1.0, max_shares: 0.3}"),
        ("currency: IDR\n", "currency: IDR\nflavour: sweet\n"),
    )
    assert report_lines(path) == [
        f"{at(path, text, 'flavour')}: flavour: unknown field 'flavour' (allowed here: "
        f"{', '.join(Scenario.model_fields)})",
        f"{at(path, text, 'horizon_dayz')}: run.horizon_dayz: unknown field 'horizon_dayz' "
        "(did you mean 'horizon_days'?)",
        f"{at(path, text, 'kinde')}: firms.cement_works.kinde: unknown field 'kinde' (did you mean 'kind'?)",
        f"{at(path, text, 'max_shares')}: firms.cement_works.inputs.clinker.substitutes.fly_ash.max_shares: "
        "unknown field 'max_shares' (did you mean 'max_share'?)",
    ]


def test_wrong_types(broken_scenario):
    path, text = broken_scenario(
        ("capacity_per_day: 100}\n    inputs: {coal", "capacity_per_day: lots}\n    inputs: {coal"),
        ("inputs: {coal: 0.5}", "inputs: {coal: half}"),
        ("  power_plant:\n    kind: anchor", "  power_plant:\n    kind: anchr"),
        ("location_km: [1.0, 0.0]", "location_km: [1.0, 0.0, 2.0]"),
        ("  seed: 7", "  seed: 7.5"),
    )
    assert report_lines(path) == [
        f"{at(path, text, 'seed')}: run.seed: must be a whole number, got 7.5",
        f"{at(path, text, 'kind')}: firms.power_plant.kind: must be one of 'anchor', 'sme', 'recycler', "
        "'utility' or 'service', got 'anchr' (did you mean 'anchor'?)",
        f"{at(path, text, 'capacity_per_day')}: firms.power_plant.product.capacity_per_day: "
        "must be a number, got 'lots'",
        f"{at(path, text, 'coal: half')}: firms.power_plant.inputs.coal: must be a number (units per unit of "
        "product) or a mapping with `per_unit`, got the text 'half' "
        "(for example `coal: 0.5` or `coal: {per_unit: 0.5}`)",
        f"{at(path, text, 'location_km', 2)}: firms.cement_works.location_km: has 3 item(s); "
        "expected at most 2 items after validation, not 3",
    ]


def test_negative_quantities(broken_scenario):
    path, text = broken_scenario(
        ("price_per_unit: 9.0e5", "price_per_unit: -9.0e5"),
        ("{fly_ash: 0.05, loss: 0.45}", "{fly_ash: -0.05, loss: 0.55}"),
        ("storage: {fly_ash: 50}", "storage: {fly_ash: 0}"),
    )
    lines = report_lines(path)
    assert lines == [
        f"{at(path, text, 'price_per_unit', 2)}: materials.clinker.price_per_unit: must be >= 0.0, got -900000.0",
        f"{at(path, text, 'fly_ash: -0.05')}: firms.power_plant.outputs.fly_ash: must be >= 0.0, got -0.05",
        f"{at(path, text, 'fly_ash: 0}')}: firms.cement_works.storage.fly_ash: must be > 0.0, got 0",
    ]


@pytest.mark.parametrize("written", [".nan", ".NaN", ".inf", "-.inf"])
def test_nan_and_infinity_are_refused(broken_scenario, written):
    path, text = broken_scenario(("disposal_cost_per_unit: 3.0e5", f"disposal_cost_per_unit: {written}"))
    (line,) = report_lines(path)
    assert line.startswith(f"{at(path, text, 'disposal_cost_per_unit')}: "
                           "materials.fly_ash.disposal_cost_per_unit: must be a finite number, got ")


def test_shares_outside_zero_one(broken_scenario):
    path, text = broken_scenario(
        ("max_share: 0.3", "max_share: 30"),
        ("    storage: {fly_ash: 50}\n", "    storage: {fly_ash: 50}\n    local_staff_share: -0.1\n"),
    )
    hint = "(shares are fractions between 0 and 1: write 0.05 for 5%)"
    assert report_lines(path) == [
        f"{at(path, text, 'max_share')}: firms.cement_works.inputs.clinker.substitutes.fly_ash.max_share: "
        f"must be <= 1.0, got 30 {hint}",
        f"{at(path, text, 'local_staff_share')}: firms.cement_works.local_staff_share: must be >= 0.0, got -0.1",
    ]


def test_warmup_longer_than_horizon_points_at_warmup(broken_scenario):
    path, text = broken_scenario(("  seed: 7", "  seed: 7\n  warmup_days: 30"))
    (line,) = report_lines(path)
    assert line == (f"{at(path, text, 'warmup_days')}: run.warmup_days: must be shorter than "
                    "run.horizon_days (30), got 30")


def test_missing_required_sections(write_yaml):
    path = write_yaml("bare.yaml", "name: bare\n")
    assert report_lines(path) == [
        f"{path}:1:1: firms: required field is missing",
        f"{path}:1:1: materials: required field is missing",
    ]


# --------------------------------------------------------------------------- meaning


def test_undefined_materials_and_firms(broken_scenario):
    path, text = broken_scenario(
        ("inputs: {coal: 0.5}", "inputs: {cole: 0.5}"),
        ("supplier: power_plant", "supplier: power_plnt"),
        ("consumer: cement_works", "consumer: steel_mill"),
        ("fly_ash: {ratio: 1.0", "slag: {ratio: 1.0"),
    )
    assert report_lines(path) == [
        f"{at(path, text, 'cole')}: firms.power_plant.inputs.cole: unknown material 'cole' (did you mean 'coal'?)",
        f"{at(path, text, 'slag')}: firms.cement_works.inputs.clinker.substitutes.slag: unknown material "
        "'slag' (declare it under `materials:`)",
        # no follow-on about storing fly ash or the fly-ash exchange: the unknown 'slag' is what to fix
        f"{at(path, text, 'supplier')}: exchanges[0].supplier: unknown firm 'power_plnt' "
        "(did you mean 'power_plant'?)",
        f"{at(path, text, 'consumer')}: exchanges[0].consumer: unknown firm 'steel_mill'",
    ]


def test_a_misspelt_substitute_is_reported_once_and_never_suggested(broken_scenario):
    path, text = broken_scenario(("fly_ash: {ratio: 1.0", "flyash: {ratio: 1.0"))
    assert report_lines(path) == [
        f"{at(path, text, 'flyash')}: firms.cement_works.inputs.clinker.substitutes.flyash: unknown material "
        "'flyash' (did you mean 'fly_ash'?)",
    ]


def test_storing_a_material_the_firm_neither_makes_nor_uses(broken_scenario):
    path, text = broken_scenario(("storage: {fly_ash: 50}", "storage: {fly_ash: 50, coal: 10}"))
    assert report_lines(path) == [
        f"{at(path, text, 'coal: 10')}: firms.cement_works.storage.coal: 'coal' is neither an output nor an "
        "input of this firm",
    ]


def test_a_broken_definition_is_not_also_reported_as_unknown(broken_scenario):
    path, text = broken_scenario(("  coal: {category: virgin,", "  coal: {category: fossil,"))
    (line,) = report_lines(path)
    assert line.startswith(f"{at(path, text, 'category')}: materials.coal.category: must be one of")
    assert "unknown material" not in line


def test_unbalanced_recipes(broken_scenario):
    path, text = broken_scenario(
        ("{fly_ash: 0.05, loss: 0.45}", "{fly_ash: 0.05, loss: 0.4}"),
        ("        per_unit: 1.0", "        per_unit: 0.9"),
    )
    assert report_lines(path) == [
        f"{at(path, text, 'power_plant:')}: firms.power_plant: recipe does not balance in t: inputs 0.5 t per "
        "unit of product, but product + outputs + loss = 0.45 t (set `loss: 0.45` in outputs)",
        f"{at(path, text, 'cement_works:')}: firms.cement_works: recipe does not balance in t: inputs 0.9 t "
        "per unit of product, but product + outputs + loss = 1 t "
        "(inputs are smaller than outputs: raise the inputs or lower the outputs)",
    ]


def test_missing_loss_is_suggested(broken_scenario):
    path, _ = broken_scenario(("{fly_ash: 0.05, loss: 0.45}", "{fly_ash: 0.05}"))
    (line,) = report_lines(path)
    assert line.endswith("(add `loss: 0.45` to outputs)")


def test_every_problem_is_reported_at_once_in_file_order(broken_scenario):
    path, text = broken_scenario(
        ("  horizon_days: 30", "  horizon_days: -30"),                       # range
        ("price_per_unit: 1.3e6", "price_per_unit: .nan"),                    # NaN
        ("inputs: {coal: 0.5}", "inputs: {coal: 0.5, limestone: 0.1}"),      # undefined material
        ("    kind: anchor\n    location_km: [1.0", "    knid: anchor\n    location_km: [1.0"),  # unknown key
        ("max_share: 0.3", "max_share: 1.3"),                                 # share
        ("material: fly_ash, known", "material: flyash, known"),              # undefined material
    )
    lines = report_lines(path)
    assert len(lines) == 6
    assert [line.split(": ")[1] for line in lines] == [
        "run.horizon_days", "materials.cement.price_per_unit", "firms.power_plant.inputs.limestone",
        "firms.cement_works.knid", "firms.cement_works.inputs.clinker.substitutes.fly_ash.max_share",
        "exchanges[0].material"]
    marks = [tuple(int(n) for n in line.split(": ")[0].rsplit(":", 2)[1:]) for line in lines]
    assert marks == sorted(marks)
    assert lines[5].endswith("unknown material 'flyash' (did you mean 'fly_ash'?)")


def test_duplicate_ids_are_reported_with_the_other_problems(broken_scenario):
    path, text = broken_scenario(
        ("firms:\n", "  coal: {category: virgin, price_per_unit: 1.0e6}\nfirms:\n"),
        ("  seed: 7", "  seed: -7"),
    )
    lines = report_lines(path)
    assert len(lines) == 2
    assert lines[0] == f"{at(path, text, 'seed')}: run.seed: must be >= 0, got -7"
    assert lines[1] == (f"{at(path, text, 'coal:', 2)}: materials.coal: duplicate key 'coal' "
                        "(first written on line 8); YAML would silently keep only the last one")


# --------------------------------------------------------------------------- extends, variants, --set


def test_problems_point_to_the_base_or_the_child(write_yaml, scenario_text):
    base = write_yaml("base.yaml", replace_once(scenario_text, "  seed: 7", "  seed: 7\n  sede: 8"))
    child = write_yaml("child.yaml", "name: child\nextends: base.yaml\nfirms:\n  cement_works:\n"
                                     "    storage: {fly_ash: -1}\n")
    lines = report_lines(child)
    assert lines == [
        f"{base}:7:3: run.sede: unknown field 'sede' (did you mean 'seed'?)",
        f"{child}:5:15: firms.cement_works.storage.fly_ash: must be > 0.0, got -1",
    ]


def test_variant_values_are_validated_where_written(write_yaml, scenario_text):
    path = write_yaml("v.yaml", scenario_text + "variants:\n  tax:\n    policy: {landfill_tax_per_t: -5}\n")
    load_scenario(path)  # the base is fine
    (line,) = report_lines(path, variant="tax")
    n = scenario_text.count("\n") + 3
    assert line == f"{path}:{n}:14: policy.landfill_tax_per_t: must be >= 0.0, got -5"


def test_override_values_are_validated_at_the_option(mini_scenario):
    scenario, document = load_scenario(mini_scenario, overrides=["run.horizon_days=90",
                                                                  "materials.coal.price_per_unit=1e6"])
    assert scenario.run.horizon_days == 90
    assert scenario.materials["coal"].price_per_unit == 1e6
    assert report_lines(mini_scenario, overrides=["run.horizon_days=ninety", "run.horizn_days=3"]) == [
        "--set:1:18: run.horizon_days: must be a whole number, got 'ninety'",
        "--set:2:17: run.horizn_days: unknown field 'horizn_days' (did you mean 'horizon_days'?)",
    ]


def test_unknown_variant_and_bad_file_reported_together(write_yaml, scenario_text):
    path = write_yaml("v.yaml", replace_once(scenario_text, "kind: anchor\n    location_km: [0.0",
                                             "kind: ancor\n    location_km: [0.0")
                      + "variants:\n  tax: {policy: {landfill_tax_per_t: 5}}\n")
    lines = report_lines(path, variant="taxes", overrides=["run.seed"])
    assert len(lines) == 3
    assert lines[0].startswith("--set:1:1: 'run.seed' is not of the form")
    assert "firms.power_plant.kind: must be one of" in lines[1]
    assert lines[2].endswith("variants: unknown variant 'taxes'; this scenario defines: tax (did you mean 'tax'?)")


# --------------------------------------------------------------------------- archetypes


ARCHETYPES = """\
name: blocks
materials:
  sand: {category: virgin, price_per_unit: 1.0e5}
  block: {category: product, price_per_unit: 9.0e5}
archetypes:
  block_maker:
    kind: sme
    product: {material: block, capacity_per_day: 10, utilisation: 0.8}
    inputs: {sand: 1.0}
    employees: 5
firms:
  maker:
    archetype: block_maker
    count: 3
    product: {capacity_per_day: 20}
  big_maker:
    archetype: block_maker
    kind: anchor
    employees: 50
"""


def test_archetype_fields_merge_into_firms(write_yaml):
    scenario, _ = load_scenario(write_yaml("a.yaml", ARCHETYPES))
    maker, big = scenario.firms["maker"], scenario.firms["big_maker"]
    assert (maker.count, maker.kind, maker.employees) == (3, "sme", 5)
    assert (maker.product.material, maker.product.capacity_per_day, maker.product.utilisation) == ("block", 20, 0.8)
    assert maker.inputs["sand"].per_unit == 1.0
    assert (big.kind, big.employees, big.product.capacity_per_day) == ("anchor", 50, 10)


def test_unknown_archetype_is_reported_once(write_yaml):
    text = replace_once(ARCHETYPES, "archetype: block_maker\n    kind", "archetype: blok_maker\n    kind")
    path = write_yaml("a.yaml", text)
    # no second problem about the product it would have inherited
    assert report_lines(path) == [f"{path}:17:5: firms.big_maker.archetype: unknown archetype 'blok_maker' "
                                  "(did you mean 'block_maker'?)"]
    path = write_yaml("b.yaml", text.replace("blok_maker", "furniture"))
    assert report_lines(path)[0].endswith("unknown archetype 'furniture' (archetypes defined: block_maker)")


def test_problems_of_an_archetype_are_reported_once_where_written(write_yaml):
    text = replace_once(ARCHETYPES, "inputs: {sand: 1.0}", "inputs: {sand: 1.2}\n    storage: {sandd: 5}")
    text = replace_once(text, "    employees: 50\n", "    employees: -50\n")
    path = write_yaml("a.yaml", text)
    assert report_lines(path) == [
        f"{path}:6:3: archetypes.block_maker: recipe does not balance in t: inputs 1.2 t per unit of product, "
        "but product + outputs + loss = 1 t (add `loss: 0.2` to outputs)",
        f"{path}:10:15: archetypes.block_maker.storage.sandd: unknown material 'sandd' (did you mean 'sand'?)",
        f"{path}:20:5: firms.big_maker.employees: must be >= 0.0, got -50",
    ]


def test_inherited_value_wrong_for_one_firm_points_into_the_archetype(write_yaml):
    # the archetype alone is fine (no storage), the firm overrides the recipe badly
    text = replace_once(ARCHETYPES, "    count: 3\n", "    count: 3\n    inputs: {sand: 2.0}\n")
    path = write_yaml("a.yaml", text)
    (line,) = report_lines(path)
    assert line.startswith(f"{path}:12:3: firms.maker: recipe does not balance in t: inputs 2 t")


def test_archetype_cannot_name_an_archetype(write_yaml):
    path = write_yaml("a.yaml", replace_once(ARCHETYPES, "    kind: sme\n", "    kind: sme\n    archetype: other\n"))
    lines = report_lines(path)
    assert lines == [f"{path}:8:5: archetypes.block_maker.archetype: an archetype cannot itself name an archetype"]


def test_ikm_land_must_fit_in_the_estate_with_the_firms_plots():
    path = DEMO.parent / "kawasan_baseline.yaml"
    load_scenario(path, overrides=["sme.land_share=0.45"])  # 225 ha + 258 ha of plots fit in 500 ha
    (line,) = report_lines(path, overrides=["sme.land_share=0.9"])
    assert "sme.land_share: IKM land (450 ha) and the firms' plots (258 ha) do not fit in park.area_ha (500 ha)" in line
    assert line.startswith("--set:1:")


# --------------------------------------------------------------------------- every problem at once (issue 14)


@pytest.mark.parametrize("breaks, hidden", [
    # a misspelt key beside an unbalanced recipe: the balance was reported only after the key was fixed
    ((("    kind: anchor\n    location_km: [1.0", "    knid: anchor\n    location_km: [1.0"),
      ("        per_unit: 1.0", "        per_unit: 0.9")), "firms.cement_works: recipe does not balance in t"),
    # B3 to an unlicensed firm beside a broken field of the exchange, of the consumer, of the material
    ((("disposal_cost_per_unit: 3.0e5}", "disposal_cost_per_unit: 3.0e5, hazardous: true}"),
      ("known_from_day: 0}", "known_from_day: -1}")), "'fly_ash' is hazardous (B3)"),
    ((("disposal_cost_per_unit: 3.0e5}", "disposal_cost_per_unit: 3.0e5, hazardous: true}"),
      ("storage: {fly_ash: 50}", "storage: {fly_ash: 50}\n    employees: -3")), "'fly_ash' is hazardous (B3)"),
    ((("disposal_cost_per_unit: 3.0e5}", "disposal_cost_per_unit: -3.0e5, hazardous: true}"),),
     "'fly_ash' is hazardous (B3)"),
    # a check across fields and a lever check beside a broken field elsewhere
    ((("  seed: 7", "  seed: -7\n  warmup_days: 40"),), "run.warmup_days: must be shorter than run.horizon_days"),
    ((("  seed: 7", "  seed: -7"), ("exchanges:", "region: {supplier_local_respend_share: 1, "
                                                  "supplier_wage_share: 0}\nexchanges:")),
     "region: with these shares no money ever leaves the region"),
    ((("  seed: 7", "  seed: -7"), ("exchanges:", "park: {area_ha: 100}\nsme: {land_share: 0.1}\nexchanges:")),
     "sme.mix: IKM land is reserved but no archetype says what firms fill it"),
    ((("  seed: 7", "  seed: -7"), ("exchanges:", "sentra: {members: [power_plant, nobody]}\nexchanges:")),
     "sentra.members[1]: unknown firm 'nobody'"),
])
def test_problems_behind_a_structure_error_are_listed_with_it(broken_scenario, breaks, hidden):
    path, _ = broken_scenario(*breaks)
    lines = report_lines(path)
    assert len(lines) == 2 and any(hidden in line for line in lines), lines


def test_a_misspelt_essential_field_is_not_guessed_at(broken_scenario):
    """`ouputs` is not dropped and the recipe checked without outputs (a false 'add loss' problem)."""
    path, text = broken_scenario(("outputs: {fly_ash: 0.05, loss: 0.45}", "ouputs: {fly_ash: 0.05, loss: 0.45}"))
    lines = report_lines(path)
    assert lines == [f"{at(path, text, 'ouputs')}: firms.power_plant.ouputs: unknown field 'ouputs' "
                     "(did you mean 'outputs' or 'inputs'?)"]


def test_a_rejected_material_name_is_never_suggested(broken_scenario):
    path, text = broken_scenario(("  fly_ash: {category", "  fly ash: {category"))
    lines = report_lines(path)
    assert lines[0].endswith("materials.fly ash: 'fly ash' is not a valid name (start with a letter or digit; "
                             "use only letters, digits, '_' and '-')")
    assert all("did you mean 'fly ash'" not in line for line in lines)
    assert lines[1].endswith("firms.power_plant.outputs.fly_ash: unknown material 'fly_ash' "
                             "(declare it under `materials:`)")
