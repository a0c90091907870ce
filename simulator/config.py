"""The scenario schema: what a park, its materials, firms, levers and run settings are.

Every field is typed, documented with its unit and given a default that is either cited or
marked *illustrative*. A validated :class:`Scenario` is frozen: the model never changes it.
Turning a YAML document into a Scenario (and reporting problems with file:line) is the job of
:mod:`simulator.validation`; the JSON Schema for editors is :func:`json_schema`.

Units: quantities are in the unit each material declares (``t``, ``m3``, ``mwh`` ...), money in
the scenario's ``currency``, time in days, distance in km, land in hectares. Each quantity
declares its unit as field metadata (``Field(..., unit="currency / year")``); the field
reference, the JSON Schema and the charts read it from there (:func:`field_unit`).
"""

from __future__ import annotations

import functools
import types
import typing
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic import Field as _Field
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

SCHEMA_VERSION = 1


def Field(default: Any = PydanticUndefined, *, unit: str | None = None, **kwargs: Any) -> Any:  # noqa: N802
    """pydantic's ``Field``, plus the unit of the quantity (``currency`` stands for the scenario's
    currency, ``fraction 0-1`` for shares), kept as ``json_schema_extra["unit"]``."""
    if unit is not None:
        kwargs["json_schema_extra"] = {"unit": unit}
    return _Field(default, **kwargs)

BOUNDARY_NODES = ("environment", "market", "region")
"""Boundary nodes of the park graph: virgin supply, landfill and emissions (`environment`),
product buyers outside the park (`market`), local suppliers and households (`region`)."""

CONSERVED_UNITS = ("t", "m3")
"""Units whose quantities are conserved: recipes and runs must balance in each of them."""
UNITS = CONSERVED_UNITS + ("mwh", "gj", "pcs", "m2")
LOSS_KEY = "loss"
"""Reserved output key: mass (t) leaving a recipe as emissions or evaporation; ``loss_m3`` etc.
close the balance of other conserved units."""

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", max_length=64)]
NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Share = Annotated[float, Field(ge=0, le=1)]
Day = Annotated[float, Field(ge=0)]

# Magnitude ceilings: far beyond any real park, yet low enough that the run's sums over firms,
# days and replications stay finite (a float overflows near 1.8e308; 1e300 capacities and 1e308
# prices or coordinates did, deep inside a run). Schema bounds, so validation refuses them.
MAX_PER_DAY = 1e9   # units a day: the largest plants make about 1e5 t or MWh a day
MAX_MONEY = 1e15    # currency per unit or per year: 1e15 IDR is about 60 billion USD
MAX_KM = 2e4        # km from the park's origin: half the Earth's circumference
MAX_HA = 1e6        # ha (10,000 km2): about a hundred times the largest estates
MAX_JOBS = 1e7      # jobs in one firm entry
MAX_FACTOR = 1e12   # t or t CO2e per unit, ratios, multipliers, circuity: any real one is below 1e4; at
                    # 1e12 an open-ended uncertain distribution still passes (validation.FAR)
MAX_STOCK = 1e12    # units of storage: ten thousand years of the largest plant's daily output
Coordinate = Annotated[float, Field(ge=-MAX_KM, le=MAX_KM)]


class Strict(BaseModel):
    """Base: unknown keys, NaN and infinity are errors; validated objects are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_boolean_numbers(cls, data: Any) -> Any:
        """Refuse ``true``/``false`` where a number is expected (pydantic would read 1 and 0): they
        are passed on as the text the file holds, which the number field then refuses in place."""
        if not isinstance(data, dict):
            return data
        return {key: (_as_text(value) if _numeric_field(cls, key) else value) for key, value in data.items()}


def _as_text(value: Any) -> Any:
    """``value`` with every boolean in it written as YAML text (``true``, ``false``)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return type(value)(_as_text(v) for v in value)
    if isinstance(value, dict):
        return {k: _as_text(v) for k, v in value.items()}
    return value


@functools.cache
def _numeric_field(model: type[BaseModel], name: str) -> bool:
    field = model.model_fields.get(name)
    return field is not None and _numbers_only(field.annotation)


def _numbers_only(annotation: Any) -> bool:
    """Whether the type holds numbers and neither booleans nor models (which check their own fields)."""
    def walk(a: Any) -> set[str]:
        if a is bool or (isinstance(a, type) and issubclass(a, BaseModel)):
            return {"other"}
        if a in (int, float):
            return {"number"}
        return set().union(*(walk(arg) for arg in typing.get_args(a)))
    return walk(annotation) == {"number"}


# --------------------------------------------------------------------------- materials


class Material(Strict):
    """A material, product, by-product or utility, with its prices and emission factors."""

    label: str | None = Field(None, description="Human-readable name for tables and charts.")
    unit: Literal["t", "m3", "mwh", "gj", "pcs", "m2"] = Field(
        "t", description="Unit of every quantity of this material (t = tonnes).")
    category: Literal["virgin", "product", "byproduct", "utility"] = Field(
        description="virgin: bought from outside the park; product: what firms make and sell; "
                    "byproduct: waste or by-product a firm emits; utility: steam, heat, water by pipe.")
    price_per_unit: NonNegative = Field(
        0.0, le=MAX_MONEY, description="Purchase price of a virgin material or market price of a product "
                         "(currency per unit; at most 1e15, a ceiling no real price reaches).",
        unit="currency / unit")
    disposal_cost_per_unit: NonNegative = Field(
        0.0, le=MAX_MONEY, description="Landfill gate fee or treatment cost paid by the emitter (currency per unit; "
                                       "at most 1e15, a ceiling no real fee reaches).",
        unit="currency / unit")
    co2e_t_per_unit: NonNegative = Field(
        0.0, le=MAX_FACTOR, description="Emissions caused by using one unit of the virgin material: cradle-to-gate "
                         "production, plus combustion for fuels (t CO2e per unit); avoided when a "
                         "secondary material replaces it.",
        unit="t CO2e / unit")
    disposal_co2e_t_per_unit: NonNegative = Field(
        0.0, le=MAX_FACTOR, description="Emissions of disposing one unit (t CO2e per unit, e.g. landfill methane).",
        unit="t CO2e / unit")
    hazardous: bool = Field(
        False, description="Hazardous waste (Indonesian limbah B3): only firms with `b3_licence` may receive it.")
    storable: bool | None = Field(
        None, description="Whether the material can be stored and trucked; default true, false for utilities "
                          "(steam and heat must be used when produced).")
    shelf_life_days: Positive | None = Field(
        None, description="Longest time a lot may be stored before it spoils and is disposed (days).",
        unit="days")
    mass_t_per_unit: NonNegative | None = Field(
        None, le=MAX_FACTOR, description="Mass of one unit in tonnes, for products counted in pieces or m2 "
                          "(default 1 for t, 0 otherwise).",
        unit="t / unit")

    fuel: bool = Field(
        False, description="Burned for its energy (coal, firewood, gas): a secondary material used in "
                           "its place, or a secondary material that is itself a fuel, is energy "
                           "recovery (Eurostat/Waste Framework Directive operation R1), not circular use.")
    eol_collection_rate: Share = Field(
        0.0, description="Share of a product's mass collected for recycling or reuse after its use "
                         "(the Ellen MacArthur Foundation MCI's C_R + C_U of the product); default 0: "
                         "what happens after sale is not modelled, so the product counts as waste "
                         "after use, as the EMF methodology does when nothing is known.",
        unit="share")

    @property
    def is_storable(self) -> bool:
        return self.storable if self.storable is not None else self.category != "utility"

    @property
    def is_poolable(self) -> bool:
        """Can an IKM centre collect it into its shared store? Storable by-products only, and
        never hazardous (B3) ones: the centre holds no B3 licence."""
        return self.is_storable and self.category == "byproduct" and not self.hazardous

    @property
    def mass_t(self) -> float:
        """Tonnes per unit (1 for materials measured in t)."""
        if self.mass_t_per_unit is not None:
            return self.mass_t_per_unit
        return 1.0 if self.unit == "t" else 0.0

    def conserved(self, quantity: float) -> dict[str, float]:
        """``quantity`` of this material expressed in the conserved units it counts in."""
        if self.unit in CONSERVED_UNITS:
            return {self.unit: quantity}
        if self.mass_t:
            return {"t": quantity * self.mass_t}
        return {}


# --------------------------------------------------------------------------- firms


class Substitute(Strict):
    """A secondary material that may replace part of a recipe input."""

    ratio: Positive = Field(1.0, le=MAX_FACTOR, description="Units of the secondary material per unit of the input it "
                                             "replaces (1.0 for FGD gypsum replacing natural gypsum).",
        unit="secondary units / replaced unit")
    max_share: Share = Field(1.0, description="Largest share of the input's need it may replace "
                                              "(0.3 for fly ash replacing clinker).",
        unit="fraction 0-1")


class InputSpec(Strict):
    """One recipe input: how much per unit of product, and what may replace it."""

    per_unit: NonNegative = Field(le=MAX_FACTOR, description="Units of this input per unit of product.",
        unit="input units / product unit")
    substitutes: dict[Identifier, Substitute] = Field(
        default_factory=dict, description="Secondary materials that may replace part of this input.")
    local_share: Share | None = Field(
        None, description="Share of what is bought outside the park that comes from regional suppliers "
                          "(default: the firm's local_purchase_share).",
        unit="fraction 0-1")
    park_share: Share = Field(
        0.0, description="Share of this input bought from park firms that make it, as far as their output "
                         "allows (supply-chain linkage; inputs of category product only).",
        unit="fraction 0-1")


class ProductSpec(Strict):
    """The main product of a firm and its capacity."""

    material: Identifier = Field(description="Material id of the product.")
    capacity_per_day: Positive = Field(le=MAX_PER_DAY, description="Largest output per operating day (product "
                                       "units; at most 1e9, ten thousand times the largest plants).",
        unit="units / day")
    utilisation: Share = Field(1.0, description="Mean share of capacity used on an operating day.",
        unit="fraction 0-1")
    price_per_unit: NonNegative | None = Field(
        None, le=MAX_MONEY, description="Selling price (currency per unit, at most 1e15); default: the material's "
                                        "price_per_unit.",
        unit="currency / unit")
    region_sales_share: Share = Field(
        0.0, description="Share of sales to buyers in the region (the rest goes to the outside market).",
        unit="fraction 0-1")


class Variability(Strict):
    """Day-to-day variation of output around the planned level."""

    distribution: Literal["none", "normal", "lognormal", "uniform"] = Field(
        "none", description="none: exactly the planned output; normal (truncated at 0) and lognormal have "
                            "mean 1 and coefficient of variation `cv`; uniform spans 1 +/- cv*sqrt(3).")
    cv: NonNegative = Field(0.0, le=1.0, description="Coefficient of variation of daily output.",
        unit="fraction 0-1")


class Breakdowns(Strict):
    """Random failures: exponential time between failures and to repair (days)."""

    mtbf_days: Positive = Field(description="Mean operating time between failures (days).",
        unit="days")
    mttr_days: Positive = Field(description="Mean time to repair (days).",
        unit="days")


class Shutdown(Strict):
    """A planned stop."""

    start_day: Day = Field(description="First day of the shutdown (day of the run).",
        unit="day")
    days: Positive = Field(description="Length (days).",
        unit="days")


class Calendar(Strict):
    """When a firm operates."""

    closed_weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=list, description="Days of the week without production, 0 = first day of the run.",
        unit="weekday 0-6")
    shutdowns: list[Shutdown] = Field(default_factory=list, description="Planned maintenance stops.")


class FirmSpec(Strict):
    """A firm (or, with `count`, several identical firms) and its production recipe."""

    archetype: Identifier | None = Field(
        None, description="Archetype whose fields this firm inherits (fields given here win).")
    count: int = Field(1, ge=1, le=100_000, description="Number of identical firms generated from this entry "
                                                         "(ids get a suffix _1, _2 ...).",
        unit="firms")
    label: str | None = Field(None, description="Human-readable name for tables and charts.")
    kind: Literal["anchor", "sme", "recycler", "utility", "service"] = Field(
        "anchor", description="anchor: large tenant; sme: small or medium industry (IKM); recycler; utility; service.")
    sector: str = Field("", description="Sector code or name (ISIC/KBLI), used to group the input-output table.")
    location_km: tuple[Coordinate, Coordinate] | None = Field(
        None, description="Position in the park (km east, km north; each within 20,000 km, half the Earth's "
                          "circumference); firms with a count are laid out on a grid around it.",
        unit="km")
    lat_lon: tuple[Annotated[float, Field(ge=-90, le=90)], Annotated[float, Field(ge=-180, le=180)]] | None = Field(
        None, description="Latitude and longitude (WGS84 degrees) that location_km was projected from "
                          "(`eipsim import`); kept to map results back. Needs park.geo_origin.",
        unit="degrees")
    plot_ha: NonNegative = Field(0.0, le=MAX_HA, description="Land the firm occupies (ha; at most 1e6, "
                                                           "a hundred times the largest estates).",
        unit="ha")
    product: ProductSpec = Field(description="Main product and capacity.")
    inputs: dict[Identifier, InputSpec] = Field(
        default_factory=dict, description="Inputs per unit of product; a number is shorthand for {per_unit: n}.")
    outputs: dict[str, Annotated[NonNegative, Field(le=MAX_FACTOR)]] = Field(
        default_factory=dict, description="By-products and wastes per unit of product; `loss` (t) and "
                                          "`loss_m3` close the mass and water balances.",
        unit="units / product unit")
    storage: dict[Identifier, Annotated[Positive, Field(le=MAX_STOCK)]] = Field(
        default_factory=dict, description="On-site storage capacity per material (material units); "
                                          "what does not fit is disposed.",
        unit="material units")
    variability: Variability = Field(default_factory=Variability, description="Day-to-day variation of output.")
    breakdowns: Breakdowns | None = Field(None, description="Random failures; null for none.")
    calendar: Calendar = Field(default_factory=Calendar, description="Closed weekdays and planned shutdowns.")
    b3_licence: bool = Field(False, description="Licensed to receive hazardous (B3) materials.")
    employees: NonNegative = Field(
        0.0, le=MAX_JOBS, description="Jobs (full-time equivalents, at most 1e7). Default 0: no jobs counted; "
                                      "give real figures.",
        unit="jobs")
    wage_per_year: NonNegative = Field(
        0.0, le=MAX_MONEY, description="Mean wage per employee (currency per year, at most 1e15). Default 0: "
                                       "no wages booked.",
        unit="currency / year")
    local_staff_share: Share = Field(
        1.0, description="Share of staff living in the region (their wages count as local spending). "
                         "Default 1 (illustrative: estate workers mostly live nearby).",
        unit="fraction 0-1")
    local_purchase_share: Share = Field(
        0.0, description="Default share of purchased inputs bought from regional suppliers. Default 0 "
                         "(conservative, illustrative: every input imported unless stated).",
        unit="fraction 0-1")
    fixed_cost_per_year: NonNegative = Field(
        0.0, le=MAX_MONEY, description="Fixed costs other than wages (maintenance, services; currency per year, "
                                       "at most 1e15). "
                         "Default 0: none booked.",
        unit="currency / year")
    fixed_cost_local_share: Share = Field(
        0.0, description="Share of fixed costs spent in the region. Default 0 (conservative, illustrative).",
        unit="fraction 0-1")

    @property
    def output_materials(self) -> list[str]:
        """Materials among the outputs (without the ``loss`` entries)."""
        return [k for k in self.outputs if not (k == LOSS_KEY or k.startswith(LOSS_KEY + "_"))]

    @property
    def losses(self) -> dict[str, float]:
        """Declared loss per unit of product, by conserved unit (``loss`` is tonnes)."""
        losses = {}
        for key, value in self.outputs.items():
            if key == LOSS_KEY:
                losses["t"] = value
            elif key.startswith(LOSS_KEY + "_"):
                losses[key[len(LOSS_KEY) + 1:]] = value
        return losses

    @field_validator("inputs", mode="before")
    @classmethod
    def _number_is_per_unit(cls, value):
        if isinstance(value, dict):
            return {k: ({"per_unit": v} if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
                    for k, v in value.items()}
        return value


# --------------------------------------------------------------------------- park, network, market


class TruckFleet(Strict):
    """The trucks that carry by-products between firms (a shared SimPy resource)."""

    trucks: int = Field(4, ge=1, le=10_000, description="Number of trucks (illustrative).",
        unit="trucks")
    load: Positive = Field(20.0, le=MAX_PER_DAY, description="Payload per trip in the material's unit; 20 t is a common "
                                              "Indonesian dump-truck payload (illustrative).",
        unit="material units")
    speed_km_per_h: Positive = Field(30.0, description="Mean speed on park and regional roads (illustrative).",
        unit="km / h")
    cost_per_km: NonNegative = Field(0.0, le=MAX_MONEY, description="Cost per km driven, loaded or empty (currency per km).",
        unit="currency / km")
    cost_per_trip: NonNegative = Field(
        0.0, le=MAX_MONEY, description="Fixed cost of every trip, full or part-loaded: dispatch, weighing, paperwork "
                         "(currency per trip; depends on the currency, so no general default).",
        unit="currency / trip")
    cost_per_hour: NonNegative = Field(
        0.0, le=MAX_MONEY, description="Cost of each hour a truck is out on a trip, driving or loading and unloading: driver "
                         "and hire (currency per hour; depends on the currency, so no general default).",
        unit="currency / h")
    loading_hours: NonNegative = Field(1.0, description="Hours to load and unload one trip (illustrative).",
        unit="h")
    min_load_share: Annotated[float, Field(gt=0, le=1)] = Field(
        1.0, description="A lot is shipped only when it fills at least this share of a truck.",
        unit="fraction 0-1")
    co2e_kg_per_km: NonNegative = Field(
        0.9, le=MAX_FACTOR, description="Emissions per truck-km driven (kg CO2e); ~0.9 for an average laden diesel HGV "
                         "(UK DESNZ/DEFRA GHG conversion factors 2023), illustrative for Indonesia.",
        unit="kg CO2e / km")


class Park(Strict):
    """The estate as a whole."""

    area_ha: Positive | None = Field(None, le=MAX_HA, description="Gross area of the estate (ha, at most 1e6).",
        unit="ha")
    truck_fleet: TruckFleet = Field(default_factory=TruckFleet)
    geo_origin: tuple[Annotated[float, Field(ge=-90, le=90)], Annotated[float, Field(ge=-180, le=180)]] | None = Field(
        None, description="Latitude and longitude (WGS84 degrees) of location_km (0, 0): km east and north "
                          "are a local equirectangular projection around it (see docs/import.md); null: "
                          "locations are not tied to the map.",
        unit="degrees")
    default_storage_days: NonNegative = Field(
        7.0, description="Storage for an exchanged material when a firm declares none: days of its "
                         "nominal flow, and at least one truckload (illustrative).",
        unit="days")


class NetworkSpec(Strict):
    """How candidate exchange links are generated from compatibility and distance."""

    generate: bool = Field(True, description="Generate candidate links wherever a firm emits what "
                                             "another can use, within the distances below.")
    max_distance_km: NonNegative = Field(25.0, le=2 * MAX_KM, description="Longest road distance for a trucked exchange "
                                                           "(illustrative).",
        unit="km")
    pipeline_max_distance_km: NonNegative | None = Field(
        None, le=2 * MAX_KM, description="Search radius for pipeline candidates (non-storable utilities); default: "
                          "max_distance_km. Whether a pipeline is built is decided by its investment "
                          "(link_economics), so its length is limited by economics, not by this radius.",
        unit="km")
    road_factor: Annotated[float, Field(ge=1, le=MAX_FACTOR)] = Field(
        1.3, description="Road distance / straight-line distance (circuity; 1.2-1.4 is typical: "
                         "Ballou, Rahardja & Sakai 2002, Transp. Res. A 36:843).",
        unit="ratio")
    pipeline_cost_per_unit_km: NonNegative = Field(
        0.0, le=MAX_MONEY, description="Cost of moving one unit one km by pipeline (currency per unit per km).",
        unit="currency / (unit km)")
    known_from_day: Day | None = Field(
        None, description="Day all generated links are known (existing ties); left out: each link is "
                          "found by discovery.",
        unit="day")


class ExchangeSpec(Strict):
    """An explicit candidate link: supplier -> consumer for one material."""

    supplier: Identifier = Field(description="Firm that emits the material.")
    consumer: Identifier = Field(description="Firm that can use it.")
    material: Identifier = Field(description="The by-product or utility exchanged.")
    mode: Literal["truck", "pipeline"] | None = Field(
        None, description="Default: pipeline for non-storable materials, truck otherwise.")
    distance_km: NonNegative | None = Field(None, le=2 * MAX_KM, description="Road or pipe length (at most "
                                                      "40,000 km); default from locations.",
        unit="km")
    capacity_per_day: Positive | None = Field(None, le=MAX_PER_DAY, description="Most that can flow per day "
                                                    "(material units, at most 1e9).",
        unit="units / day")
    known_from_day: Day | None = Field(
        None, description="Day the partners know each other (existing tie); left out: found by discovery.",
        unit="day")
    price_per_unit: float | None = Field(
        None, ge=-MAX_MONEY, le=MAX_MONEY, description="Fixed contract price paid by the consumer (negative: a "
                          "gate fee paid by the supplier; within 1e15 either way); default: the surplus-sharing rule.",
        unit="currency / unit")


class Discovery(Strict):
    """How partners find each other, negotiate and contract."""

    base_rate_per_year: NonNegative = Field(
        1.0, description="Rate at which the two ends of a candidate link find each other without help "
                         "(per year; illustrative).",
        unit="per year")
    negotiation_days: NonNegative = Field(30.0, description="Delay from discovery to a signed contract "
                                                            "(days; illustrative).",
        unit="days")
    contract_days: Positive = Field(365.0, description="Contract duration (days).",
        unit="days")
    renewal_probability: Share = Field(0.8, description="Chance a contract is renewed at its end "
                                                        "(illustrative).",
        unit="fraction 0-1")
    renegotiation_days: NonNegative = Field(
        90.0, description="Pause before partners whose contract lapsed negotiate again (days; illustrative).",
        unit="days")
    supplier_surplus_share: Share = Field(
        0.5, description="The supplier's bargaining power: its share of the surplus above both sides' outside "
                         "options (0.5: symmetric Nash bargaining, Nash 1950).",
        unit="fraction 0-1")
    handling_cost_per_unit: NonNegative = Field(
        0.0, le=MAX_MONEY, description="Handling, testing and paperwork per unit exchanged (currency per unit).",
        unit="currency / unit")


class LinkEconomics(Strict):
    """What a link costs to set up and how two firms decide to sign (see docs/concepts.md)."""

    pipeline_fixed_cost: NonNegative = Field(
        0.0, le=MAX_MONEY, description="Investment in a pipeline regardless of length: connections, pumps, metering "
                         "(currency; depends on the currency, so no general default).",
        unit="currency")
    pipeline_cost_per_km: NonNegative = Field(
        0.0, le=MAX_MONEY, description="Investment per km of pipeline (currency per km; no general default).",
        unit="currency / km")
    truck_link_setup_cost: NonNegative = Field(
        0.0, le=MAX_MONEY, description="Investment to start a trucked exchange: storage, pre-treatment, testing "
                         "(currency per link; no general default).",
        unit="currency")
    pipeline_lead_days: NonNegative = Field(
        180.0, description="Construction time of a pipeline between signing and first delivery (days; "
                           "illustrative).",
        unit="days")
    truck_link_lead_days: NonNegative = Field(
        30.0, description="Time to set up a trucked exchange between signing and first delivery (days; "
                          "illustrative).",
        unit="days")
    pipeline_life_years: Positive = Field(
        30.0, le=200, description="Service life over which firms weigh a pipeline's investment, counting on each "
                                  "contract renewal with discovery.renewal_probability (years; EN 253 designs "
                                  "pre-insulated district-heating pipes for 30 years of continuous operation; "
                                  "illustrative for steam mains).",
        unit="years")
    truck_link_life_years: Positive = Field(
        5.0, le=200, description="Service life over which firms weigh a trucked exchange's set-up investment "
                                 "(bins, a covered bay, pre-treatment), counting on renewals likewise (years; "
                                 "illustrative).",
        unit="years")
    discount_rate_per_year: NonNegative = Field(
        0.10, description="Discount rate of the net present value over the link's life (per year; illustrative, "
                          "of the order of Indonesian commercial lending rates).",
        unit="per year")
    decision: Literal["npv", "payback"] = Field(
        "npv", description="Sign when each side's expected net present value over the link's life is positive (`npv`), "
                           "or also require the investment to pay back within payback_limit_years (`payback`).")
    payback_limit_years: Positive = Field(
        3.0, description="Longest simple payback firms accept (years); 2-3 years is typical of industrial "
                         "firms (DeCanio 1993, Energy Policy 21:906).",
        unit="years")
    bargaining: Literal["nash", "fixed_share"] = Field(
        "nash", description="How the gain of a link is split: Nash bargaining from each side's outside option "
                            "(`nash`), or discovery.supplier_surplus_share of it ignoring outside options "
                            "(`fixed_share`).")


class Platform(Strict):
    """A digital by-product exchange platform (the 'smart EIP' lever) that firms choose to join."""

    opens_day: Day = Field(0.0, description="Day the platform opens.",
        unit="day")
    coverage: Share = Field(1.0, description="Share of firms that can connect and so may join (depends on "
                                             "telecom coverage).",
        unit="fraction 0-1")
    discovery_multiplier: Annotated[float, Field(ge=1, le=MAX_FACTOR)] = Field(
        4.0, description="Discovery rate multiplier for links between two members (illustrative).",
        unit="multiplier")
    negotiation_factor: Share = Field(
        0.5, description="Negotiation delay multiplier for links between two members (illustrative).",
        unit="fraction 0-1")
    handling_cost_factor: Share = Field(
        0.5, description="Handling and transaction cost multiplier for links between two members "
                         "(illustrative).",
        unit="fraction 0-1")
    fee_per_year: NonNegative = Field(
        0.0, le=MAX_MONEY, description="Membership fee a firm pays to join (currency per year; depends on the currency, so no "
                         "general default).",
        unit="currency / year")
    review_days: Positive = Field(
        30.0, description="How often connected firms that are not members reconsider joining (days; "
                          "illustrative).",
        unit="days")
    launch_expectation: Share = Field(
        0.5, description="Chance a firm gives that a connected partner who is not yet a member will join, when "
                         "it weighs its expected benefit; members count fully (illustrative).",
        unit="fraction 0-1")


class Sme(Strict):
    """Small and medium industry (IKM) in the estate: land reserved for it and supply linkage."""

    land_share: Share = Field(
        0.0, description="Share of the estate's area (park.area_ha) reserved for IKM plots; Government "
                         "Regulation PP 20/2024 obliges Indonesian estates to provide such land (the share "
                         "is a lever, not a constant).",
        unit="fraction 0-1")
    plot_ha: Positive = Field(0.5, description="Land per IKM firm (ha; illustrative).",
        unit="ha")
    mix: dict[Identifier, Positive] = Field(
        default_factory=dict, description="Archetype -> weight of the IKM firms created on the reserved land "
                                          "(weights are normalised).",
        unit="weight")
    zone_km: tuple[Coordinate, Coordinate] | None = Field(
        None, description="Centre of the IKM zone (km); default: 1 km east of the other firms.",
        unit="km")
    linkage: Share = Field(
        0.0, description="Share of anchors' purchases of products that park SMEs make (components) bought "
                         "from those SMEs (supply-chain integration).",
        unit="fraction 0-1")
    vacant_share: Share = Field(
        0.0, description="Share of the IKM plots that are vacant on day 0 (spread evenly over the zone); "
                         "entrants may take them (`viability.entry`).",
        unit="fraction 0-1")


class Sentra(Strict):
    """An IKM centre (sentra IKM): shared storage, pooling, shared trucks, a facilitator."""

    location_km: tuple[Coordinate, Coordinate] | None = Field(
        None, description="Where the centre and its shared store are (default: the IKM zone centre, else the "
                          "members' centroid).",
        unit="km")
    members: Literal["all_sme"] | list[Identifier] = Field(
        "all_sme", description="Member firms: every SME (`all_sme`) or a list of firm or firm-entry ids.")
    facilitator_multiplier: Annotated[float, Field(ge=1, le=MAX_FACTOR)] = Field(
        3.0, description="Discovery rate multiplier for links with a member at either end (illustrative).",
        unit="multiplier")
    pooling: bool = Field(
        True, description="Members' storable by-products are collected into the centre's shared store and "
                          "shipped from it in truckloads.")
    storage_per_material: Positive = Field(
        200.0, le=MAX_STOCK, description="Capacity of the shared store for each pooled material (material units).",
        unit="material units")
    collection_cost_per_unit: NonNegative = Field(
        0.0, le=MAX_MONEY, description="Cost of collecting members' small lots, paid by the centre to regional services "
                         "(currency per unit).",
        unit="currency / unit")
    truck_fleet: TruckFleet | None = Field(
        None, description="The centre's own trucks for exchanges of its members; null: the park fleet.")
    staff: NonNegative = Field(3.0, le=MAX_JOBS, description="Facilitator and store staff (jobs).",
        unit="jobs")
    wage_per_year: NonNegative = Field(0.0, le=MAX_MONEY, description="Wage per staff member (currency per "
                                                                      "year, at most 1e15).",
        unit="currency / year")
    fixed_cost_per_year: NonNegative = Field(0.0, le=MAX_MONEY, description="Running cost of the shared facilities "
                                                              "(currency per year, spent in the region).",
        unit="currency / year")
    fixed_cost_sharing: Share = Field(
        0.0, description="Share of members' own fixed costs saved by using shared facilities (illustrative).",
        unit="fraction 0-1")


class Entry(Strict):
    """Entrants on vacant plots: firms of the IKM archetype mix that take a plot when they expect
    to be viable."""

    search_days: NonNegative = Field(
        60.0, description="Time a plot stays vacant before an entrant can take it: finding a tenant, permits "
                          "and fitting out (days; illustrative).", unit="days")
    estate_plots: bool = Field(
        False, description="Plots of exiting firms outside the IKM land (anchors, when `viability.kinds` lists "
                           "them) also become vacant plots for IKM entrants.")
    planning_days: Positive = Field(
        365.0, description="Horizon over which an entrant weighs its expected margin: by-products reach it only "
                           "after the expected time to find, negotiate and build the links that bring them, and "
                           "it pays its wages and fixed costs meanwhile (days; illustrative: a first year).",
        unit="days")
    candidates_per_archetype: int = Field(
        2, ge=0, le=1000, description="Most entrants of each archetype of the mix over a run (each is prepared "
                                      "as a dormant firm in the IKM zone; illustrative).", unit="firms")


class Viability(Strict):
    """Firms that keep an operating margin and leave when they cannot cover their costs."""

    kinds: list[Literal["anchor", "sme", "recycler", "utility", "service"]] = Field(
        default_factory=lambda: ["sme"],
        description="Kinds of firm that go idle and exit when loss-making (default: SMEs only; anchors' "
                    "exit decisions are outside the model).")
    margin_window_days: Positive = Field(
        90.0, description="Length of the rolling operating margin (income - variable costs - wages - fixed "
                          "costs, from the money each firm books), in days; reviewed when an accounting period "
                          "closes (illustrative: a quarter).", unit="days")
    margin_threshold: float = Field(
        0.0, ge=-10, le=10, description="A firm is in distress while its rolling margin is below this multiple "
                                       "of its wage and fixed-cost bill over the window (0: while it makes a "
                                       "loss; illustrative).", unit="x wage and fixed-cost bill")
    startup_grace_days: NonNegative = Field(
        120.0, description="Days after a firm enters during which losses do not count: time to find suppliers "
                           "and buyers (illustrative).", unit="days")
    distress_days: NonNegative = Field(
        90.0, description="A firm in distress this long goes idle: it stops producing and lays off its staff "
                          "(days; illustrative).", unit="days")
    idle_days: NonNegative = Field(
        60.0, description="An idle firm exits after this long unless it restarts first (when it expects a margin "
                          "above the threshold with the by-products its running contracts bring it): its plot "
                          "becomes vacant and its contracts end (days; illustrative).", unit="days")
    entry: Entry | None = Field(
        None, description="Entrants on vacant IKM plots; null: a vacant plot stays vacant.")


class Policy(Strict):
    """Policy levers from day 0 (change them later with events)."""

    landfill_tax_per_t: NonNegative = Field(
        0.0, description="Tax on every tonne disposed, on top of the gate fee (currency per t).",
        unit="currency / t")
    exchange_subsidy_per_t: NonNegative = Field(
        0.0, description="Subsidy paid to the consumer per tonne of by-product exchanged (currency per t).",
        unit="currency / t")


REFERENCE_TABLE = ("Netherlands 2000 national input-output table, 6 sectors (D'Hernoncourt, Cordier & Hadley 2011, "
                   "Input-Output Multipliers: Specification sheet, Spicosa, Table 1)")


class ReferenceMultipliers(Strict):
    """Highest plausible park-wide multipliers and LM3: a local (sub-national) multiplier above the
    national one is a warning sign, since a region imports more than its country (Miller & Blair
    2009, ch. 3). A run above a value gets a warning naming the parameters that drive it."""

    output_type1: Positive = Field(
        1.90, description=f"Type I output multiplier: the highest sector's of the {REFERENCE_TABLE} (computed "
                          "from the published table, 1.22-1.90).", unit="ratio")
    output_type2: Positive = Field(
        2.66, description="Type II output multiplier: the highest sector's of the same table with households "
                          "closed (1.38-2.66; household consumption over compensation of employees).", unit="ratio")
    income_type1: Positive = Field(
        2.47, description="Type I income multiplier: the highest sector's of the same table (published: "
                          "1.42-2.47).", unit="ratio")
    income_type2: Positive = Field(
        3.68, description="Type II income multiplier: the highest sector's of the same table (2.11-3.68).",
        unit="ratio")
    employment_type1: Positive = Field(
        2.47, description="Type I employment multiplier (illustrative: the reference table has no jobs; ratio "
                          "multipliers of jobs and of income are equal when jobs per unit of wages are the "
                          "same in every sector, so the income value stands in).", unit="ratio")
    employment_type2: Positive = Field(
        3.68, description="Type II employment multiplier (illustrative, as employment_type1).", unit="ratio")
    lm3: Positive = Field(
        2.34, description="LM3 (park and SMEs): 1 + p + p^2 with p = 0.76, the highest local re-spend share "
                          "of NEF's Northumberland LM3 study (local suppliers; NEF press release, 7 March "
                          "2005); by definition LM3 <= 3.", unit="ratio")


class Region(Strict):
    """The local economy around the park (for the local multiplier)."""

    household_local_spending_share: Share = Field(
        0.6, description="Share of local households' income spent in the region (illustrative).",
        unit="fraction 0-1")
    supplier_local_respend_share: Share = Field(
        0.4, description="Share of regional suppliers' receipts re-spent in the region, local wages included "
                         "(illustrative; NEF's Northumberland study found 0.76 for local suppliers).",
        unit="fraction 0-1")
    supplier_wage_share: Share = Field(
        0.3, description="Part of regional suppliers' receipts paid as wages to local households "
                         "(illustrative; at most supplier_local_respend_share).",
        unit="fraction 0-1")
    supplier_jobs_per_million: NonNegative = Field(
        0.0, le=MAX_FACTOR, description="Jobs in regional suppliers per million currency units of their yearly sales. Default 0: "
                         "employment multipliers then count park jobs only; no general default exists "
                         "(it depends on the currency and the region).",
        unit="jobs / million currency")
    landfill_operator: Literal["region", "outside"] = Field(
        "region", description="Where disposal fees go (default: a regional operator, illustrative).")
    transport_operator: Literal["region", "outside"] = Field(
        "region", description="Where transport payments go (default: regional hauliers, illustrative).")
    tax_authority: Literal["region", "outside"] = Field(
        "region", description="Government that collects taxes (the landfill tax) and pays exchange subsidies: "
                              "the regional one (default: in Indonesia waste-service charges are regional "
                              "levies, retribusi daerah, Law 1/2022 on central-regional fiscal relations) or one "
                              "outside the region (its taxes then leave the local economy).")
    government_local_respend_share: Share = Field(
        0.5, description="Share of the taxes a regional government collects that it re-spends in the region "
                         "(payroll, local procurement) (illustrative; range 0.3-0.8). Counts in LM3's third "
                         "round only: government spending is exogenous final demand of the input-output model.",
        unit="fraction 0-1")
    reference_multipliers: ReferenceMultipliers = Field(
        default_factory=ReferenceMultipliers,
        description="Highest plausible park-wide multipliers and LM3; a run above one is flagged in its "
                    "run table and report with the parameters that drive it.")

    @model_validator(mode="after")
    def _wages_are_part_of_local_respend(self):
        if self.supplier_wage_share > self.supplier_local_respend_share:
            raise ValueError(
                f"supplier_wage_share ({self.supplier_wage_share}) is part of what regional suppliers re-spend "
                f"locally and cannot exceed supplier_local_respend_share ({self.supplier_local_respend_share})")
        h, r, w = self.household_local_spending_share, self.supplier_local_respend_share, self.supplier_wage_share
        # the share of each currency unit reaching regional suppliers that leaves the region (directly
        # or through their staff); with none, the rounds of re-spending never end: (I - A) is singular
        if (1 - r) + w * (1 - h) < 1e-9:
            raise ValueError(
                "with these shares no money ever leaves the region (supplier_local_respend_share "
                f"{r:g}, supplier_wage_share {w:g}, household_local_spending_share {h:g}), so the rounds of "
                "local re-spending never end and the input-output multipliers are infinite; real regions "
                "import: set supplier_local_respend_share below 1 (NEF found 0.76 for local suppliers)")
        return self


# --------------------------------------------------------------------------- events


class _Event(Strict):
    day: Day = Field(description="Day of the run the change happens.",
        unit="day")


class LandfillTaxEvent(_Event):
    type: Literal["landfill_tax"] = Field(description="Event kind.")
    per_t: NonNegative = Field(le=MAX_MONEY, description="New landfill tax (currency per t, at most 1e15).",
        unit="currency / t")


class DisposalCostEvent(_Event):
    type: Literal["disposal_cost"]
    material: Identifier
    per_unit: NonNegative = Field(le=MAX_MONEY, description="New gate fee or treatment cost (currency per unit, "
                                                         "at most 1e15).",
        unit="currency / unit")


class PriceEvent(_Event):
    type: Literal["price"]
    material: Identifier
    factor: Positive = Field(le=MAX_FACTOR, description="Multiplier on the material's price (1.5 = +50%).",
        unit="multiplier")


class FirmEntryEvent(_Event):
    type: Literal["firm_entry"]
    firm: Identifier = Field(description="Firm (or firm entry with a count) that starts operating on `day`.")


class FirmExitEvent(_Event):
    type: Literal["firm_exit"]
    firm: Identifier = Field(description="Firm (or firm entry with a count) that closes on `day`.")


class SubsidyEvent(_Event):
    type: Literal["exchange_subsidy"]
    per_t: NonNegative = Field(le=MAX_MONEY, description="New subsidy per tonne exchanged (currency per t, "
                                                      "at most 1e15).",
        unit="currency / t")


Event = Annotated[
    Union[LandfillTaxEvent, DisposalCostEvent, PriceEvent, FirmEntryEvent, FirmExitEvent, SubsidyEvent],
    Field(discriminator="type"),
]
EVENT_TYPES = ("landfill_tax", "disposal_cost", "price", "firm_entry", "firm_exit", "exchange_subsidy")


# --------------------------------------------------------------------------- uncertain assumptions


PARAMETER_UNIT = "unit of the parameter"
"""The unit of a distribution's values: that of the field it varies."""


class _Distribution(Strict):
    source: str = Field("", description="Where the range comes from (a citation), or `illustrative`.")


def _ordered(*pairs: tuple[str, float | None]) -> None:
    """Raise when named values are out of order, e.g. ``low (5) must not exceed high (3)``."""
    given = [(name, value) for name, value in pairs if value is not None]
    for (a, x), (b, y) in zip(given, given[1:]):
        if x > y:
            raise ValueError(f"{a} ({x:g}) must not exceed {b} ({y:g})")


class UniformDist(_Distribution):
    """Every value between ``low`` and ``high`` equally likely."""

    distribution: Literal["uniform"] = Field(description="Distribution family.")
    low: float = Field(description="Smallest value.", unit=PARAMETER_UNIT)
    high: float = Field(description="Largest value.", unit=PARAMETER_UNIT)

    @model_validator(mode="after")
    def _order(self):
        _ordered(("low", self.low), ("high", self.high))
        return self


class TriangularDist(_Distribution):
    """Triangular between ``low`` and ``high`` with its peak at ``mode``."""

    distribution: Literal["triangular"] = Field(description="Distribution family.")
    low: float = Field(description="Smallest value.", unit=PARAMETER_UNIT)
    mode: float = Field(description="Most likely value.", unit=PARAMETER_UNIT)
    high: float = Field(description="Largest value.", unit=PARAMETER_UNIT)

    @model_validator(mode="after")
    def _order(self):
        _ordered(("low", self.low), ("mode", self.mode), ("high", self.high))
        return self


class NormalDist(_Distribution):
    """Normal with ``mean`` and ``sd``, optionally truncated to [``low``, ``high``]."""

    distribution: Literal["normal"] = Field(description="Distribution family.")
    mean: float = Field(description="Mean (before truncation).", unit=PARAMETER_UNIT)
    sd: Positive = Field(description="Standard deviation (before truncation).", unit=PARAMETER_UNIT)
    low: float | None = Field(None, description="Truncate below this value (needed for fields that must be >= 0).",
                              unit=PARAMETER_UNIT)
    high: float | None = Field(None, description="Truncate above this value.", unit=PARAMETER_UNIT)

    @model_validator(mode="after")
    def _order(self):
        _ordered(("low", self.low), ("high", self.high))
        return self


class LognormalDist(_Distribution):
    """Lognormal with the ``mean`` and ``sd`` of the value itself (not of its logarithm), optionally
    truncated to [``low``, ``high``]; always positive."""

    distribution: Literal["lognormal"] = Field(description="Distribution family.")
    mean: Positive = Field(description="Mean of the value (before truncation).", unit=PARAMETER_UNIT)
    sd: Positive = Field(description="Standard deviation of the value (before truncation).",
                         unit=PARAMETER_UNIT)
    low: NonNegative | None = Field(None, description="Truncate below this value.", unit=PARAMETER_UNIT)
    high: Positive | None = Field(None, description="Truncate above this value (needed for shares).",
                                  unit=PARAMETER_UNIT)

    @model_validator(mode="after")
    def _order(self):
        _ordered(("low", self.low), ("high", self.high))
        return self


Distribution = Annotated[Union[UniformDist, TriangularDist, NormalDist, LognormalDist],
                         Field(discriminator="distribution")]
DISTRIBUTIONS = ("uniform", "triangular", "normal", "lognormal")
UncertainPath = Annotated[str, Field(pattern=r"^[A-Za-z_][\w\-]*(\.[\w\-]+)+$", max_length=300)]


# --------------------------------------------------------------------------- run and scenario


class Record(Strict):
    """What a run keeps of its two longest tables, and at which resolution (the indicators and
    charts are the same whatever is chosen: they read full-resolution series and totals)."""

    stocks: Literal["daily", "period", "yearly"] = Field(
        "daily", description="Stock of every store: `daily` (its level at the end of each day), `period` (per "
                             "accounting period: its level at the period's end, and the mean and largest "
                             "end-of-day level over the period) or `yearly` (the same per model year of 365 "
                             "days). Default daily: every level, as eipsim wrote them before this setting.")
    shipments: Literal["each", "daily", "period", "yearly"] = Field(
        "each", description="Truck deliveries in the flows table: `each` (a row per truck), or summed per link "
                            "and `daily`, `period` (accounting period) or `yearly` (365 days): trips, "
                            "quantity, value, mean wait. Default each: every truck, as eipsim wrote them "
                            "before this setting.")


class RunSpec(Strict):
    horizon_days: int = Field(365, ge=1, le=36_500, description="Simulated days.",
        unit="days")
    warmup_days: int = Field(0, ge=0, description="Days excluded from the reported indicators "
                                                  "(mass balance covers the whole run).",
        unit="days")
    seed: int = Field(20241006, ge=0, description="Root seed; same scenario and seed give identical results.")
    matching_interval_days: int = Field(1, ge=1, description="Days between exchange-market rounds.",
        unit="days")
    ledger_period_days: int = Field(
        30, ge=1, description="Length of an accounting period: ledger and boundary-flow rows are summed per "
                              "period (1 = daily rows).",
        unit="days")
    record: Record = Field(default_factory=Record,
                           description="Resolution of the stocks table and of the truck rows of the flows "
                                       "table: daily or each, or summed per accounting period or year (a "
                                       "long run writes far fewer rows).")


class Scenario(Strict):
    """A whole park scenario, validated and frozen."""

    schema_version: Literal[1] = Field(1, description="Version of this scenario format.")
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=80)] = Field(
        description="Short name; used for the results folder.")
    description: str = Field("", description="What the scenario represents and which question it answers.")
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = Field(
        "IDR", description="ISO 4217 code of all money amounts.")
    run: RunSpec = Field(default_factory=RunSpec, description="Length, warm-up, seed and bookkeeping of a run.")
    park: Park = Field(default_factory=Park, description="The estate: area, trucks, default storage.")
    materials: dict[Identifier, Material] = Field(
        min_length=1, description="Every material, product, by-product and utility, by id.")
    archetypes: dict[Identifier, FirmSpec] = Field(
        default_factory=dict, description="Reusable firm definitions (firms name one with `archetype`).")
    firms: dict[Identifier, FirmSpec] = Field(min_length=1, description="The firms of the park, by id.")
    network: NetworkSpec = Field(default_factory=NetworkSpec,
                                 description="How candidate exchange links are generated.")
    exchanges: list[ExchangeSpec] = Field(default_factory=list,
                                          description="Candidate links written explicitly (existing ties, "
                                                      "pipelines, fixed prices).")
    discovery: Discovery = Field(default_factory=Discovery,
                                 description="Discovery of partners, negotiation and contracts.")
    link_economics: LinkEconomics = Field(
        default_factory=LinkEconomics, description="Investment, lead times, decision rule and bargaining of links.")
    platform: Platform | None = Field(None, description="Digital exchange platform; null for none.")
    sme: Sme = Field(default_factory=Sme, description="IKM land, archetype mix and supply linkage.")
    sentra: Sentra | None = Field(None, description="IKM centre with shared facilities; null for none.")
    viability: Viability | None = Field(
        None, description="Firms that go idle and exit when loss-making, and entrants on vacant plots; null: "
                          "every firm stays the whole run.")
    policy: Policy = Field(default_factory=Policy, description="Landfill tax and exchange subsidy.")
    region: Region = Field(default_factory=Region,
                           description="The local economy around the park (local multiplier inputs).")
    events: list[Event] = Field(default_factory=list, description="Scheduled changes on a given day.")
    uncertain: dict[UncertainPath, Distribution | None] = Field(
        default_factory=dict,
        description="Distributions of numeric parameters, by dotted path (e.g. "
                    "`region.supplier_jobs_per_million`): replications of an experiment sample them, "
                    "the same values in every arm; a single run uses the point values written above. "
                    "null fixes a parameter that a base file made uncertain.")

    @model_validator(mode="after")
    def _warmup_inside_horizon(self):
        if self.sme.land_share > 0 and self.park.area_ha is None:
            raise ValueError("sme.land_share needs park.area_ha: the IKM land is a share of the estate's area")
        if self.park.geo_origin is None and any(f.lat_lon is not None for f in self.firms.values()):
            raise ValueError("firms with lat_lon need park.geo_origin: the point their location_km is measured from")
        if self.run.warmup_days >= self.run.horizon_days:
            raise ValueError(f"run.warmup_days ({self.run.warmup_days}) must be shorter than "
                             f"run.horizon_days ({self.run.horizon_days})")
        return self


def json_schema() -> dict:
    """JSON Schema of the scenario format as written in a file, for editors and other tools.

    It adds what the loader resolves before validation: ``extends`` (base files), ``variants``
    (named overrides) and the shorthand of a bare number for a recipe input.
    """
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "eipsim scenario"
    properties = schema["properties"]
    properties["extends"] = {
        "description": "Base scenario file(s), relative to this file; this file's values win.",
        "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    properties["variants"] = {
        "description": "Named overrides, selected with --variant NAME.",
        "anyOf": [{"type": "object", "additionalProperties": {"type": "object"}}, {"type": "null"}]}
    # a file that extends a base may leave out what the base gives
    schema["if"] = {"required": ["extends"]}
    schema["then"] = {}
    schema["else"] = {"required": schema.pop("required", [])}
    inputs = schema["$defs"]["FirmSpec"]["properties"]["inputs"]["patternProperties"]
    for pattern, spec in inputs.items():
        inputs[pattern] = {"anyOf": [{"type": "number", "minimum": 0}, spec]}
    # Firms that name an archetype inherit their required fields from it.
    schema["$defs"]["FirmSpec"].pop("required", None)
    return schema


# --------------------------------------------------------------------------- field metadata


def _unwrap(annotation: Any) -> Any:
    """The type inside ``Annotated[...]`` and ``X | None`` (a union of several models stays as is)."""
    while True:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is Annotated:
            annotation = args[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in args if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def field_at(path: str, model: type[BaseModel] | None = None) -> FieldInfo | None:
    """The schema field at a dotted path (``sme.land_share``, ``firms.kiln.wage_per_year``: the
    ids of mappings are parts of the path, list items are not), or None when there is none."""
    annotation: Any = model or Scenario
    info, parts = None, path.split(".")
    while parts:
        annotation = _unwrap(annotation)
        origin = typing.get_origin(annotation)
        if origin is dict:
            annotation = typing.get_args(annotation)[1]
            parts.pop(0)  # an id
            continue
        if origin is list:
            annotation = typing.get_args(annotation)[0]
            continue
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)) \
                or parts[0] not in annotation.model_fields:
            return None
        info = annotation.model_fields[parts.pop(0)]
        annotation = info.annotation
    return info


def field_unit(path: str, model: type[BaseModel] = None) -> str:
    """The declared unit of the field at ``path`` ("" when it has none or does not exist)."""
    info = field_at(path, model)
    extra = info.json_schema_extra if info is not None and isinstance(info.json_schema_extra, dict) else {}
    return extra.get("unit", "")


def field_bounds(path: str) -> tuple[float | None, float | None]:
    """Lowest and highest value the schema allows at ``path`` (None where unbounded)."""
    info = field_at(path)
    if info is None:
        return None, None
    metadata = list(info.metadata)
    annotation = info.annotation
    while typing.get_origin(annotation) in (Annotated, Union, types.UnionType):  # Share | None ...
        args = typing.get_args(annotation)
        if typing.get_origin(annotation) is Annotated:
            metadata += [m for a in args[1:] for m in getattr(a, "metadata", [a])]
            annotation = args[0]
        else:
            annotation = next(a for a in args if a is not type(None))
    low = high = None
    for item in metadata:
        low = getattr(item, "ge", getattr(item, "gt", low))
        high = getattr(item, "le", getattr(item, "lt", high))
    return low, high
