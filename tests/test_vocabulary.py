"""One home for words, units and numbers: the units table, format_value, metric labels in two
languages, units declared by the schema, and the lever catalogue every view reads."""

from __future__ import annotations

import typing
from pathlib import Path
from types import UnionType

import pytest
from helpers import SCENARIOS
from pydantic import BaseModel

import simulator
from simulator import config, levers
from simulator.docgen import field_reference
from simulator.metrics.registry import REGISTRY, metric_label
from simulator.vocabulary import format_value, number, unit_text


@pytest.mark.parametrize("value, unit, en, id_", [
    (1234567.5, "t", "1,234,568 t", "1.234.568 t"),
    (0.1234, "share", "12.3 %", "12,3 %"),
    (1.5e9, "IDR", "1.50 billion IDR", "1,50 miliar IDR"),
    (-2.5e6, "USD", "-2.50 million USD", "−2,50 juta USD"),
    (250_000, "IDR", "250,000 IDR", "250.000 IDR"),
    (2.5, "ratio", "2.50", "2,50"),
    (0.1234, "index 0-1", "0.123", "0,123"),
    (12.5, "h", "12.5 h", "12,5 jam"),
    (3.0, "jobs", "3 jobs", "3 pekerjaan"),
    (float("nan"), "t", "n/a", "t/a"),
    (None, "t", "n/a", "t/a"),
])
def test_one_formatter_writes_values_in_both_languages(value, unit, en, id_):
    assert format_value(value, unit) == format_value(value, unit, "en") == en
    assert format_value(value, unit, "id") == id_


@pytest.mark.parametrize("value, unit, en, id_", [
    (0.0006895, "ratio 1-3", "+0.000690", "+0,000690"),          # issue 14: not +0.0006895, not 0.00
    (0.0022, "ratio", "+0.00220", "+0,00220"),
    (-0.0123, "share", "−1.23 pp", "−1,23 poin %"),            # a change of a rate is in points
    (0.000123, "share", "+0.0123 pp", "+0,0123 poin %"),
    (1.5e6, "IDR", "+1.50 million IDR", "+1,50 juta IDR"),
    (-2.345e9, "IDR", "−2.35 billion IDR", "−2,35 miliar IDR"),
    (12.34, "t", "+12.3 t", "+12,3 t"),
    (1234.4, "t", "+1,234 t", "+1.234 t"),
    (3.0, "jobs", "+3 jobs", "+3 pekerjaan"),
    (0.0, "t", "0 t", "0 t"),
    (None, "share", "n/a", "t/a"),
])
def test_changes_keep_three_significant_digits_and_their_sign(value, unit, en, id_):
    assert format_value(value, unit, change=True) == en
    assert format_value(value, unit, "id", change=True) == id_


def test_numbers_group_thousands_the_language_way():
    assert number(1234.5, "en", 1) == "1,234.5"
    assert number(1234.5, "id", 1) == "1.234,5"
    assert number(-0.0001, "en", 2) == "0.00"                 # no negative zero
    assert number(-3, "en", 0) == "−3"                        # typographic minus


def test_the_command_line_and_the_report_use_the_one_formatter():
    from simulator import cli
    from simulator.experiment import terminal_tables

    assert cli.format_value is format_value and terminal_tables.format_value is format_value


def test_every_indicator_has_an_english_and_an_indonesian_label():
    for name, metric in REGISTRY.items():
        assert metric.label_id and metric.label_id != metric.label, name
        assert metric_label(name, "id") == metric.label_id and metric_label(name) == metric.label
    assert metric_label("not_a_metric", "id") == "not_a_metric"


def test_units_translate_in_indonesian_only():
    assert unit_text("days", "id") == "hari" and unit_text("days", "en") == "days"
    assert unit_text("t CO2e", "id") == "t CO2e"


def _numeric(annotation) -> bool:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _numeric(args[0])
    if origin in (typing.Union, UnionType):
        return any(_numeric(a) for a in args if a is not type(None))
    if origin is tuple:
        return all(_numeric(a) for a in args)
    if origin is dict:
        return _numeric(args[1])
    return annotation is float


def test_every_numeric_scenario_field_declares_its_unit():
    """Units are metadata of the schema, never guessed from names (``_per_year`` is not money)."""
    missing = [f"{model.__name__}.{name}"
               for model in vars(config).values()
               if isinstance(model, type) and issubclass(model, BaseModel) and model.__module__ == config.__name__
               for name, field in model.model_fields.items()
               if _numeric(field.annotation) and not (field.json_schema_extra or {}).get("unit")]
    assert missing == []


def test_the_field_reference_shows_declared_units():
    rows = {line.split("|")[1].strip(): line.split("|")[3].strip()
            for line in field_reference().splitlines() if line.startswith("| `")}
    assert rows["`firms.<id>.wage_per_year`"] == "currency / year"
    assert rows["`firms.<id>.fixed_cost_per_year`"] == "currency / year"
    assert rows["`sentra.wage_per_year`"] == "currency / year"
    assert rows["`events[](type: disposal_cost).per_unit`"] == "currency / unit"
    assert rows["`firms.<id>.inputs.<id>.per_unit`"] == "input units / product unit"
    assert rows["`discovery.base_rate_per_year`"] == "per year"
    assert rows["`sme.linkage`"] == "fraction 0-1"
    assert config.json_schema()["$defs"]["FirmSpec"]["properties"]["wage_per_year"]["unit"] == "currency / year"


def test_field_paths_resolve_through_mappings_and_optional_sections():
    assert config.field_unit("firms.kiln.inputs.coal.per_unit") == "input units / product unit"
    assert config.field_unit("sentra.truck_fleet.cost_per_km") == "currency / km"
    assert config.field_bounds("sme.land_share") == (0, 1)
    assert config.field_bounds("run.horizon_days") == (1, 36_500)
    assert config.field_bounds("policy.landfill_tax_per_t") == (0, None)
    assert config.field_at("sme.no_such_field") is None


# --------------------------------------------------------------------------- the lever catalogue


@pytest.mark.parametrize("lever", levers.LEVERS, ids=lambda lever: lever.key)
def test_each_lever_is_a_schema_field_with_the_schemas_bounds_and_unit(lever):
    field = config.field_at(lever.path)
    assert field is not None, lever.path
    assert set(lever.label) == set(lever.unit) == set(lever.help) == {"en", "id"}
    if lever.kind == "money":                 # in the scenario's currency, per what the schema says
        assert lever.schema_unit.startswith("currency") and lever.unit["en"].startswith("{currency}")
    elif lever.kind != "number":
        assert lever.schema_unit == {"share": "fraction 0-1", "days": "day", "switch": ""}[lever.kind]
    if lever.kind == "share":
        assert lever.bounds == (0, 1)
    assert lever.realised and lever.checked


def test_the_explorer_shows_the_catalogue_levers_with_their_texts_and_bounds():
    from simulator.explorer.controls import LEVERS as CONTROLS

    shown = {c.key: c for c in CONTROLS if not c.run_setting}
    assert list(shown) == [lever.key for lever in levers.LEVERS]
    for lever in levers.LEVERS:
        control = shown[lever.key]
        assert (control.path, control.kind, control.label, control.unit, control.help) == \
            (lever.path, lever.kind, lever.label, lever.unit, lever.help)
        low, high = lever.bounds
        assert control.low == (low or 0.0) and (high is None or control.high == high)
    assert shown["land_share"].high == 1      # no cap of the explorer's own: the scenario's plots bound it
    run = {c.key: c for c in CONTROLS if c.run_setting}
    assert list(run) == [setting.key for setting in levers.RUN_SETTINGS]     # run settings: texts in the catalogue
    assert run["horizon_days"].label == levers.RUN_SETTINGS[0].label


@pytest.mark.parametrize("key, value, en, id_", [
    ("land_share", 0.125, "12.5 %", "12,5 %"), ("platform", True, "on", "ada"), ("sentra", False, "off", "tidak ada"),
    ("landfill_tax_per_t", 200000.0, "200,000 IDR/t", "200.000 IDR/t"), ("platform_opens_day", 30, "30", "30"),
])
def test_a_lever_value_is_written_once_for_people(key, value, en, id_):
    lever = levers.BY_KEY[key]
    assert lever.value_text(value, "IDR") == en and lever.value_text(value, "IDR", "id") == id_


def test_active_levers_are_summarised_from_the_catalogue():
    from simulator.validation import load_scenario

    base, _ = load_scenario(SCENARIOS / "kawasan_smart_eip.yaml")
    texts = levers.active(base)
    assert "IKM land 20 %" in texts and "IKM centre (sentra)" in texts
    assert any(t.startswith("Digital exchange platform (platform coverage") for t in texts), texts
    assert any(t.startswith("Lahan IKM ") for t in levers.active(base, "id"))
    demo, _ = load_scenario(SCENARIOS / "demo.yaml")
    assert not any(t.startswith("IKM land") for t in levers.active(demo))


def test_the_missing_value_text_has_one_home():
    """'n/a' (Indonesian 't/a') is written only by simulator/vocabulary.py; the report and the
    command line ask it (issue 11)."""
    package = Path(simulator.__file__).parent
    homes = {p.relative_to(package).as_posix() for p in package.rglob("*") if p.suffix in (".py", ".j2")
             and any(text in p.read_text(encoding="utf-8") for text in ('"n/a"', '"t/a"', "'n/a'", "'t/a'"))}
    assert homes == {"vocabulary.py"}
    assert format_value(None, "t", "id") == "t/a" and format_value(float("nan"), "share") == "n/a"


@pytest.mark.parametrize("value, low, high, unit, texts", [
    (0.0022, 0.0020, 0.0024, "ratio", ("+0.0022", "+0.0020", "+0.0024")),   # LM3: was 0.00 [0.00, 0.00]
    (0.02584, -0.00076, 0.05244, "ratio", ("+0.026", "−0.001", "+0.052")),
    (-0.15, None, None, "ratio 1-3", ("−0.15", "n/a", "n/a")),
    (0.083, 0.065, 0.101, "share", ("+8.3 pp", "+6.5 pp", "+10.1 pp")),      # a change of a rate: pp
    (0.0004, None, None, "share", ("+0.040 pp", "n/a", "n/a")),
    (-0.12, -0.2, -0.04, "share", ("−12.0 pp", "−20.0 pp", "−4.0 pp")),
    (1150.0, 717.0, 1583.0, "t", ("+1,150 t", "+717 t", "+1,583 t")),
    (-2.5, None, None, "jobs", ("−2.5 jobs", "n/a", "n/a")),
    (0.0, 0.0, 0.0, "t", ("0 t", "0 t", "0 t")),
    (1.5e9, 1.0e9, 2.0e9, "IDR", ("+1.50 billion IDR", "+1 billion IDR", "+2 billion IDR")),
    (-2.5e6, -3.5e6, -1.5e6, "IDR", ("−2.50 million IDR", "−3.50 million IDR", "−1.50 million IDR")),
    (float("nan"), None, None, "share", ("n/a", "n/a", "n/a")),
])
def test_differences_are_signed_with_their_significant_digits(value, low, high, unit, texts):
    from simulator.vocabulary import format_change

    assert format_change(value, low, high, unit) == texts


def test_a_difference_in_indonesian():
    from simulator.vocabulary import format_change, format_difference

    assert format_difference(0.0833, "share", "id") == "+8,33 poin %"
    assert format_change(0.0833, 0.07, 0.09, "share", "id") == ("+8,3 poin %", "+7,0 poin %", "+9,0 poin %")
    assert format_difference(1234.5, "t", "id") == "+1.234 t"
