"""The explorer's controls: the levers of the catalogue (:mod:`simulator.levers`) and the run
settings, which values they take, whether a scenario can use them, and how a set of values
becomes ``--set`` overrides of the scenario file.

A lever is a field of the scenario (``sme.land_share``, ``platform.coverage`` ...); its texts and
bounds come from the lever catalogue, its scenario-dependent limits from validation. The explorer
compares the scenario *as loaded* (the baseline) with the scenario with the lever values applied
(the variant); the run settings (horizon, replications, seed) apply to both arms alike. Only the
levers whose value differs from the scenario become overrides, so the command line shown on the
page is the shortest one that reproduces the run.

Nothing here reads or writes files except :func:`variant_yaml`, which loads the scenario file
through :func:`simulator.validation.load_scenario` like the command line does.
"""

from __future__ import annotations

import math
import shlex
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, StrictBool, ValidationError, create_model, field_validator

from ..config import Scenario
from ..levers import BY_KEY
from ..levers import LEVERS as CATALOGUE
from ..levers import RUN_SETTINGS
from ..validation import max_land_share
from ..vocabulary import LANGUAGES, number

HORIZON_RANGE = (30, 730)
REPLICATIONS_RANGE = (1, 30)
MAX_SEED = 2**53 - 1          # the largest integer a browser holds exactly
VARIANT_SUFFIX = "_explorer"


# --------------------------------------------------------------------------- definitions


@dataclass(frozen=True)
class Lever:
    """One control of the page.

    A lever of the catalogue (``path``, ``kind``, texts and ``needs`` as
    :class:`simulator.levers.Lever` defines them, ``low``/``high`` its schema bounds within the
    explorer's run limits), or a run setting: ``path`` is then the field or command-line option
    it sets (``run.horizon_days``, ``--replications``, ``--seed``) and ``kind`` ``days``,
    ``count`` or ``seed``.
    """

    key: str
    path: str
    kind: str
    label: dict[str, str]
    unit: dict[str, str]
    help: dict[str, str]
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0
    needs: str = ""
    run_setting: bool = False


def _control(lever, low: float | None, high: float | None, run_setting: bool = False) -> Lever:
    """The control of a lever or run setting of :mod:`simulator.levers` between ``low`` and ``high``."""
    return Lever(lever.key, lever.path, lever.kind, lever.label, lever.unit, lever.help,
                 low if low is not None else 0.0, high if high is not None else 1.0, lever.step, lever.needs,
                 run_setting)


RUN_RANGES = {"horizon_days": HORIZON_RANGE, "replications": REPLICATIONS_RANGE, "seed": (0, MAX_SEED),
              "uncertain": (None, None)}

LEVERS: tuple[Lever, ...] = (
    *(_control(lever, lever.bounds[0], lever.bounds[1] if lever.bounds[1] is not None or lever.kind != "days"
               else HORIZON_RANGE[1] - 1) for lever in CATALOGUE),
    *(_control(setting, *RUN_RANGES[setting.key], run_setting=True) for setting in RUN_SETTINGS),
)

REASONS = {
    "no_mix": {"en": "The scenario names no IKM archetypes (sme.mix), so no firm would fill the land. To try "
                     "this lever, pick a scenario that names them, such as kawasan_baseline.",
               "id": "Skenario tidak menyebut arketipe IKM (sme.mix), jadi tidak ada perusahaan yang mengisi "
                     "lahan. Untuk mencoba tuas ini, pilih skenario yang menyebutnya, misalnya kawasan_baseline."},
    "no_area": {"en": "The scenario gives no estate area (park.area_ha), so there is no land to reserve. To try "
                      "this lever, pick a scenario with an area and IKM archetypes, such as kawasan_baseline.",
                "id": "Skenario tidak memberi luas kawasan (park.area_ha), jadi tidak ada lahan yang bisa "
                      "dicadangkan. Untuk mencoba tuas ini, pilih skenario dengan luas dan arketipe IKM, misalnya "
                      "kawasan_baseline."},
    "no_sme": {"en": "The park has no SMEs and the scenario cannot add IKM land: an IKM centre would have no "
                     "members.",
               "id": "Kawasan tidak punya IKM dan skenario tidak bisa menambah lahan IKM: sentra tidak akan "
                     "punya anggota."},
    "needs_land": {"en": "The park has no SMEs yet: raise the IKM land first.",
                   "id": "Kawasan belum punya IKM: naikkan lahan IKM dulu."},
    "no_linkage": {"en": "No anchor buys a product that the park's SMEs make, or could make on IKM land.",
                   "id": "Tidak ada perusahaan jangkar yang membeli produk buatan IKM kawasan, juga yang bisa "
                         "dibuat di lahan IKM."},
    "linkage_needs_land": {"en": "Only the IKM firms make what anchors buy: raise the IKM land first.",
                           "id": "Hanya IKM di lahan IKM yang membuat barang yang dibeli perusahaan jangkar: "
                                 "naikkan lahan IKM dulu."},
    "needs_platform": {"en": "Switch the platform on first.", "id": "Nyalakan platform dulu."},
    "no_viability": {"en": "The scenario has no viability block: every firm stays the whole run.",
                     "id": "Skenario tidak punya blok viability: setiap perusahaan bertahan sepanjang run."},
    "no_uncertain": {"en": "The scenario gives no uncertain assumptions (no uncertain: block): every replication "
                           "uses its point values.",
                     "id": "Skenario tidak memberi asumsi tidak pasti (tidak ada blok uncertain:): setiap replikasi "
                           "memakai nilai titiknya."},
}


# --------------------------------------------------------------------------- values


def _setting(control: Lever) -> tuple[Any, Any]:
    """Type and bounds of one control's value (switches are JSON booleans, days whole numbers)."""
    if control.kind == "switch":
        return StrictBool, ...
    number = int if control.kind in ("days", "count", "seed") else float
    if control.kind == "money":  # unbounded above in the schema; :func:`check` applies the scenario's bound
        return number, Field(ge=control.low, allow_inf_nan=False)
    return number, Field(ge=control.low, le=control.high)


def _json_number(cls, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a number, got {value!r}")
    return value


LeverSettings = create_model(
    "LeverSettings", __config__=ConfigDict(extra="forbid"),
    __doc__="""Lever values sent by the page, one field per control of :data:`LEVERS` with the bounds
    every scenario shares (checked by pydantic); the bounds that depend on the scenario are
    checked by :func:`check`. Values must have their JSON type: switches ``true``/``false`` (not
    ``"yes"`` or ``1``), numbers JSON numbers (not strings or booleans).""",
    __validators__={"_json_number": field_validator(
        *(c.key for c in LEVERS if c.kind != "switch"), mode="before")(_json_number)},
    **{c.key: _setting(c) for c in LEVERS})


class LeverError(ValueError):
    """Lever values a scenario cannot take; ``problems`` are ``lever: message`` lines."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def parse_settings(data: Any) -> LeverSettings:
    """Validate lever values from a request; raise :class:`LeverError` with one line per problem."""
    try:
        return LeverSettings.model_validate(data)
    except ValidationError as exc:
        raise LeverError([_problem_text(error) for error in exc.errors(include_url=False)]) from None


def _problem_text(error: dict) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "levers"
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "missing":
        return f"{where}: missing"
    if kind == "extra_forbidden":
        return f"{where}: unknown lever (levers: {', '.join(LeverSettings.model_fields)})"
    bounds = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">", "less_than": "<"}
    if kind in bounds:
        return f"{where}: must be {bounds[kind]} {_plain(next(iter(ctx.values())))}, got {error['input']!r}"
    if kind == "bool_type":
        return f"{where}: must be true or false (a JSON boolean), got {error.get('input')!r}"
    if kind == "value_error":
        return f"{where}: {ctx.get('error', error['msg'])}"
    return f"{where}: {error['msg'].lower()}, got {error.get('input')!r}"


# --------------------------------------------------------------------------- what a scenario can use


@dataclass(frozen=True)
class ScenarioInfo:
    """What the page needs to know about a scenario to show its levers."""

    name: str
    description: str
    currency: str
    area_ha: float | None
    plot_ha: float
    has_smes: bool
    land_reason: str            # "" when the IKM land lever is usable, else a key of REASONS
    land_max: float             # the largest IKM land share that fits beside the firms' plots
    linkage_now: bool           # existing SMEs make something anchors buy
    linkage_ikm: bool           # archetypes of the IKM mix make something anchors buy
    has_viability: bool         # firms may go idle and exit (a viability block)
    uncertain: list[str]        # paths of the uncertain assumptions
    money_max: dict[str, float]  # top of each money lever's range (its step is 1 % of it)
    horizon_days: int
    warmup_days: int
    defaults: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict:
        return asdict(self)


def scenario_info(scenario: Scenario) -> ScenarioInfo:
    """Defaults and availability of every lever for ``scenario``."""
    land_reason = "no_area" if scenario.park.area_ha is None else "no_mix" if not scenario.sme.mix else ""
    anchor_inputs = {m for f in scenario.firms.values() if f.kind == "anchor" for m in f.inputs}
    sme_products = {f.product.material for f in scenario.firms.values() if f.kind == "sme"}
    ikm_products = {scenario.archetypes[a].product.material for a in scenario.sme.mix if a in scenario.archetypes}
    low, high = HORIZON_RANGE
    defaults = {lever.key: lever.value(scenario) for lever in CATALOGUE}
    defaults.update({lever.key: min(int(defaults[lever.key]), high - 1) for lever in CATALOGUE if lever.kind == "days"})
    defaults.update({
        "horizon_days": min(max(scenario.run.horizon_days, low, scenario.run.warmup_days + 1), high),
        "replications": 10, "seed": min(scenario.run.seed, MAX_SEED), "uncertain": bool(scenario.uncertain)})
    return ScenarioInfo(
        name=scenario.name, description=scenario.description.strip(), currency=scenario.currency,
        area_ha=scenario.park.area_ha, plot_ha=scenario.sme.plot_ha, has_smes=bool(sme_products),
        land_reason=land_reason, land_max=max_land_share(scenario), linkage_now=bool(sme_products & anchor_inputs),
        linkage_ikm=not land_reason and bool(ikm_products & anchor_inputs),
        has_viability=scenario.viability is not None, uncertain=list(scenario.uncertain),
        money_max=_money_max(scenario, defaults), horizon_days=scenario.run.horizon_days, warmup_days=scenario.run.warmup_days, defaults=defaults)


def _money_max(scenario: Scenario, defaults: dict[str, Any]) -> dict[str, float]:
    """Top of each money lever's range for ``scenario``, in its currency.

    Per tonne (taxes, subsidies): about twice the highest gate fee of a by-product, the same top
    for all of them so they compare. Other amounts (a fee per year, an investment): four times the
    scenario's value, and at least a year of disposing of one tonne a day at that gate fee. Never
    below the scenario's own value.
    """
    gate = max([m.disposal_cost_per_unit for m in scenario.materials.values()
                if m.category == "byproduct" and not m.hazardous] or [1.0])
    money = [lever for lever in CATALOGUE if lever.kind == "money"]
    per_tonne = [lever.key for lever in money if lever.schema_unit == "currency / t"]
    top = max([_nice_ceiling(2 * gate), *(_nice_ceiling(defaults[key]) for key in per_tonne)])
    return {lever.key: top if lever.key in per_tonne else _nice_ceiling(max(4 * defaults[lever.key], 365 * gate))
            for lever in money}


def _nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``value`` (and at least 1)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= value))


def check(info: ScenarioInfo, settings: LeverSettings) -> None:
    """Raise :class:`LeverError` for values this scenario cannot take (the page disables them)."""
    problems = []
    base = info.defaults
    land = settings.land_share > 0
    if info.land_reason and settings.land_share != base["land_share"]:
        problems.append(f"land_share: {REASONS[info.land_reason]['en']}")
    elif settings.land_share > info.land_max:
        problems.append(f"land_share: must be <= {_plain(info.land_max)} for this scenario (the IKM land and the "
                        f"firms' plots must fit in the estate), got {_plain(settings.land_share)}")
    if settings.sentra and not base["sentra"] and not (info.has_smes or land):
        problems.append(f"sentra: {REASONS['needs_land' if not info.land_reason else 'no_sme']['en']}")
    if settings.linkage != base["linkage"] and not (info.linkage_now or (info.linkage_ikm and land)):
        problems.append(f"linkage: {REASONS['linkage_needs_land' if info.linkage_ikm else 'no_linkage']['en']}")
    for lever in CATALOGUE:
        value = getattr(settings, lever.key)
        if lever.kind == "money" and value > info.money_max[lever.key]:
            problems.append(f"{lever.key}: must be <= {_plain(info.money_max[lever.key])} "
                            f"{lever.text('unit').replace('{currency}', info.currency)} for this scenario, "
                            f"got {_plain(value)}")
        if lever.needs == "viability" and not info.has_viability and value != base[lever.key]:
            problems.append(f"{lever.key}: {REASONS['no_viability']['en']}")
        if lever.kind == "days" and _switched_on(lever, settings) and value >= settings.horizon_days:
            problems.append(f"{lever.key}: must be before the end of the run (day {settings.horizon_days}), "
                            f"got {value}")
    if settings.uncertain and not info.uncertain:
        problems.append(f"uncertain: {REASONS['no_uncertain']['en']}")
    if settings.horizon_days <= info.warmup_days:
        problems.append(f"horizon_days: must be longer than the scenario's warm-up of {info.warmup_days} days, "
                        f"got {settings.horizon_days}")
    if problems:
        raise LeverError(problems)


# --------------------------------------------------------------------------- overrides and commands


@dataclass(frozen=True)
class Overrides:
    """``--set`` overrides: ``common`` apply to both arms (run settings), ``variant`` to yours."""

    common: tuple[str, ...]
    variant: tuple[str, ...]


def overrides(info: ScenarioInfo, settings: LeverSettings) -> Overrides:
    """The overrides of the levers whose value differs from the scenario, in the order of LEVERS."""
    base = info.defaults
    variant = []
    for lever in CATALOGUE:
        value, was = getattr(settings, lever.key), base[lever.key]
        switch = BY_KEY.get(lever.needs)
        if lever.kind == "switch":
            # switched on: written as PATH={} unless the levers inside it write its fields
            if value != was and not (value and any(d.needs == lever.key for d in CATALOGUE)):
                variant.append(f"{lever.path}={{}}" if value else f"{lever.path}=null")
        elif switch is None:
            if value != was:
                variant.append(_set(lever.path, value))
        elif getattr(settings, switch.key) and (value != was or not base[switch.key]):
            variant.append(_set(lever.path, value))
    common = [] if settings.horizon_days == info.horizon_days else [_set("run.horizon_days", settings.horizon_days)]
    if base["uncertain"] and not settings.uncertain:
        common.append("uncertain={}")                   # both arms on the point values
    return Overrides(tuple(common), tuple(variant))


def setting_texts(info: ScenarioInfo, settings: LeverSettings) -> dict[str, list[dict[str, str]]]:
    """The levers set away from the scenario (:func:`changed`) as ``{"label", "value"}`` texts in
    each language, the values written by :meth:`simulator.levers.Lever.value_text`."""
    return {lang: [{"label": BY_KEY[key].text("label", lang),
                    "value": BY_KEY[key].value_text(getattr(settings, key), info.currency, lang)}
                   for key in changed(info, settings)] for lang in LANGUAGES}


def derived(info: ScenarioInfo, settings: LeverSettings) -> dict[str, dict[str, str]]:
    """What a lever's value amounts to in this scenario, in each language: the IKM land in
    hectares and firms (``= 25 ha → 25 IKM firms``), as :mod:`simulator.compose` lays it out."""
    if info.land_reason or not info.area_ha:
        return {}
    hectares = info.area_ha * settings.land_share
    firms = math.floor(hectares / info.plot_ha + 1e-9)
    words = {"en": "IKM firms", "id": "IKM"}
    return {"land_share": {lang: f"= {number(hectares, lang, 1, trim=True)} ha → {number(firms, lang, 0)} "
                                 f"{words[lang]}" for lang in LANGUAGES}}


def changed(info: ScenarioInfo, settings: LeverSettings) -> list[str]:
    """Keys of the levers set away from the scenario's values (run settings and the platform's
    details while it is off excluded)."""
    base = info.defaults
    return [lever.key for lever in CATALOGUE
            if getattr(settings, lever.key) != base[lever.key] and _switched_on(lever, settings)]


def _switched_on(lever, settings: LeverSettings) -> bool:
    """False when the lever sits inside a switch (``needs`` names it) that is off."""
    return lever.needs not in BY_KEY or bool(getattr(settings, lever.needs))


def _set(path: str, value: float) -> str:
    return f"{path}={_plain(value)}"


def _plain(value: float) -> str:
    """A number as YAML reads it back exactly: ``200000`` rather than ``200000.0``, ``0.05``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def variant_name(info: ScenarioInfo) -> str:
    """Name of the variant arm (and stem of its YAML file): ``<scenario>_explorer``."""
    return f"{info.name[:80 - len(VARIANT_SUFFIX)]}{VARIANT_SUFFIX}"


def commands(display_path: str, info: ScenarioInfo, settings: LeverSettings) -> dict[str, str]:
    """The command lines that reproduce a run of the page.

    ``compare``: the baseline against the downloaded YAML of the lever settings (what the page
    runs); ``run``: your settings alone as ``--set`` overrides (the variant arm's numbers).
    """
    sets = overrides(info, settings)
    tail = ["--replications", str(settings.replications), "--seed", str(settings.seed)]
    common = [part for o in sets.common for part in ("--set", o)]
    variant = [part for o in sets.variant for part in ("--set", o)]
    yaml_file = f"{variant_name(info)}.yaml"
    return {"compare": shlex.join(["eipsim", "compare", display_path, yaml_file, *common, *tail]),
            "run": shlex.join(["eipsim", "run", display_path, *common, *variant, *tail]),
            "yaml_file": yaml_file}


def compare_argv(display_path: str, info: ScenarioInfo, settings: LeverSettings) -> list[str]:
    """The ``eipsim compare`` command as an argument list (recorded in the experiment manifest)."""
    return shlex.split(commands(display_path, info, settings)["compare"])


def variant_yaml(path: Path, display_path: str, info: ScenarioInfo, settings: LeverSettings) -> str:
    """The complete scenario of the lever settings (loadable by ``eipsim run``), as resolved YAML.

    Raises :class:`simulator.errors.ScenarioError` when the combination is not a valid scenario.
    """
    from ..single_run import resolved_yaml
    from ..validation import load_scenario

    sets = overrides(info, settings)
    scenario, document = load_scenario(path, overrides=[*sets.common, *sets.variant,
                                                        f"name={variant_name(info)}"])
    return resolved_yaml(scenario, document).replace(str(path), display_path)
