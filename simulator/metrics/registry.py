"""One registry of every reported indicator: name, unit, label and definition.

The CLI's KPI table, ``metrics.json``, chart labels and ``docs/metrics.md`` all read from here,
so an indicator is defined once. ``{currency}`` in a unit is replaced by the scenario's currency.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    label: str
    definition: str
    group: str               # "material", "network", "economy"
    headline: bool = False   # shown in the CLI's KPI table
    source: str = ""


_METRICS = [
    # ---------------------------------------------------------------- material
    Metric("byproducts_generated_t", "t", "By-products generated",
           "Mass of by-products and wastes emitted by all firms (materials in t or with a mass per unit).",
           "material", True),
    Metric("byproducts_exchanged_t", "t", "By-products exchanged",
           "Mass of by-products delivered to another firm of the park, by truck or pipe.", "material", True),
    Metric("byproducts_disposed_t", "t", "By-products disposed",
           "Mass of by-products landfilled or treated: no outlet, storage full, spoiled or vented.",
           "material", True),
    Metric("byproducts_stockpiled_t", "t", "By-products in storage at the end",
           "Mass of by-products held in on-site storage on the last day (awaiting a truck or use).", "material"),
    Metric("landfill_diversion_rate", "share", "Landfill diversion rate",
           "Exchanged / (exchanged + disposed) by-product mass: the share of by-products that left their "
           "emitter for a use instead of disposal.", "material", True),
    Metric("byproduct_utilisation_rate", "share", "By-product utilisation rate",
           "Secondary material used in production / by-products generated (mass).", "material"),
    Metric("virgin_material_purchased_t", "t", "Virgin material bought",
           "Mass of virgin inputs bought from outside the park.", "material"),
    Metric("virgin_material_avoided_t", "t", "Virgin material avoided",
           "Mass of virgin inputs replaced by secondary materials (per the substitution ratios).",
           "material", True),
    Metric("circular_input_rate", "share", "Circular input rate",
           "Secondary inputs / all material inputs of the park's firms (mass).", "material", True,
           "Eurostat circular material use rate, applied to the park's firms"),
    Metric("co2e_avoided_t", "t CO2e", "CO2e avoided (net)",
           "Production emissions of the virgin inputs avoided + disposal emissions avoided by exchanged "
           "by-products - emissions of the truck-km driven for exchanges.", "material", True),
    Metric("transport_co2e_t", "t CO2e", "Transport CO2e", "Emissions of the truck-km driven for exchanges.",
           "material"),
    Metric("water_reused_m3", "m3", "Water reused",
           "Volume of water-type materials (unit m3) delivered from one firm to another.", "material"),
    Metric("material_circularity_indicator", "index 0-1", "Material Circularity Indicator (park)",
           "Ellen MacArthur Foundation MCI applied to each firm (F_R = secondary share of its material inputs, "
           "C_R = share of its by-products sent to other firms, efficiencies 1, utility X = 1), averaged "
           "weighted by input mass.", "material", True,
           "Ellen MacArthur Foundation & Granta Design (2015, rev. 2019) Circularity Indicators: Methodology"),
    Metric("mass_balance_residual", "relative", "Mass balance residual",
           "Largest relative residual of any firm, material or park balance (inputs - outputs - losses - "
           "stock change); must be ~0.", "material"),
    # ---------------------------------------------------------------- network and logistics
    Metric("links_candidate", "links", "Candidate links",
           "Supplier-consumer-material links that are physically possible.", "network"),
    Metric("links_found", "links", "Links found", "Candidate links whose partners found each other.",
           "network"),
    Metric("links_contracted", "links", "Links with a contract",
           "Links that had a contract at some time in the run.", "network", True),
    Metric("median_discovery_day", "day", "Median discovery day",
           "Median day on which candidate links that must be discovered (not existing ties) are found, "
           "counting a link not found within the run as found on its last day.", "network"),
    Metric("connectance", "share", "Connectance",
           "Firm pairs that exchanged anything / all firm pairs n(n-1)/2.", "network", False,
           "network density; used for EIPs by Pojoh (2010), Bitung agro-EIP"),
    Metric("truck_trips", "trips", "Truck trips", "Loaded truck trips completed.", "network"),
    Metric("truck_wait_hours_mean", "h", "Mean wait for a truck",
           "Mean time a dispatched lot waited for a free truck.", "network"),
    Metric("truck_utilisation", "share", "Truck fleet utilisation",
           "Truck-days in service / (trucks x days).", "network"),
    # ---------------------------------------------------------------- economy
    Metric("revenue", "{currency}", "Revenue of park firms",
           "Product sales and by-product sales received by park firms (and subsidies).", "economy", True),
    Metric("byproduct_revenue", "{currency}", "By-product revenue",
           "Payments received by suppliers for by-products.", "economy"),
    Metric("disposal_cost", "{currency}", "Disposal cost paid",
           "Gate fees, treatment costs and landfill tax paid by park firms.", "economy"),
    Metric("disposal_cost_avoided", "{currency}", "Disposal cost avoided",
           "Disposal cost the exchanged by-products would have cost their emitters.", "economy", True),
    Metric("virgin_cost_avoided", "{currency}", "Virgin input cost avoided",
           "Purchase cost of the virgin inputs replaced by secondary materials.", "economy"),
    Metric("jobs_total", "jobs", "Jobs in the park", "Employees of all firms present at the end.", "economy"),
    Metric("jobs_anchor", "jobs", "Jobs in anchor firms", "Employees of anchor tenants.", "economy"),
    Metric("jobs_sme", "jobs", "Jobs in SMEs (IKM)", "Employees of small and medium firms.", "economy", True),
    Metric("sme_revenue", "{currency}", "SME revenue", "Sales of SMEs (IKM) to anyone.", "economy"),
    Metric("value_added", "{currency}", "Value added of park firms",
           "Sales - intermediate inputs (local and imported): wages, surplus and subsidies of park firms.",
           "economy"),
    Metric("local_wages", "{currency}", "Wages to local households",
           "Wages park firms pay to staff living in the region.", "economy"),
    Metric("local_spending_share", "share", "Spending that stays local",
           "Share of park firms' spending (to payees outside the park's firms) paid in the park or region.",
           "economy"),
    Metric("local_spending_share_sme", "share", "SME spending that stays local",
           "Share of SMEs' spending (to payees other than SMEs) paid in the park or region.", "economy"),
    Metric("lm3_park", "ratio 1-3", "LM3 of the park",
           "Local Multiplier 3 of the park's firms as one organisation: (R1 + R2 + R3) / R1 with R1 their "
           "income, R2 what they spend locally, R3 what local recipients re-spend locally.", "economy", True,
           "Sacks (2002) The Money Trail, New Economics Foundation"),
    Metric("lm3_sme", "ratio 1-3", "LM3 of the SMEs (IKM)",
           "LM3 of the park's SMEs as one organisation (payments among SMEs not counted).", "economy", True,
           "Sacks (2002) The Money Trail, New Economics Foundation"),
    Metric("multiplier_output_type1", "ratio", "Output multiplier, Type I",
           "Local output (park sectors + regional suppliers) per unit of the park's final demand, "
           "direct + indirect effects; weighted by each park sector's final demand.", "economy", False,
           "Miller & Blair (2009) Input-Output Analysis, ch. 6"),
    Metric("multiplier_output_type2", "ratio", "Output multiplier, Type II",
           "As Type I, plus the induced effect of local households spending their local wages.", "economy",
           True, "Miller & Blair (2009) Input-Output Analysis, ch. 6"),
    Metric("multiplier_income_type1", "ratio", "Income multiplier, Type I",
           "Local household income (direct + indirect) per unit of direct local income of the park's "
           "final-demand mix.", "economy", False, "Miller & Blair (2009) Input-Output Analysis, ch. 6"),
    Metric("multiplier_income_type2", "ratio", "Income multiplier, Type II",
           "As Type I, including the income induced by local household spending.", "economy", False,
           "Miller & Blair (2009) Input-Output Analysis, ch. 6"),
    Metric("multiplier_employment_type1", "ratio", "Employment multiplier, Type I",
           "Local jobs (direct + indirect) per direct job of the park's final-demand mix.", "economy", False,
           "Miller & Blair (2009) Input-Output Analysis, ch. 6"),
    Metric("multiplier_employment_type2", "ratio", "Employment multiplier, Type II",
           "As Type I, including jobs induced by local household spending.", "economy", False,
           "Miller & Blair (2009) Input-Output Analysis, ch. 6"),
]

REGISTRY: dict[str, Metric] = {m.name: m for m in _METRICS}


def unit_of(name: str, currency: str) -> str:
    return REGISTRY[name].unit.replace("{currency}", currency)


def describe(values: dict[str, float], currency: str) -> dict[str, dict]:
    """``{name: {value, unit, label, definition}}`` for metrics.json, in registry order."""
    described = {}
    for name, metric in REGISTRY.items():
        if name in values:
            described[name] = {"value": values[name], "unit": unit_of(name, currency), "label": metric.label,
                               "definition": metric.definition, "group": metric.group}
            if metric.source:
                described[name]["source"] = metric.source
    return described


BEGIN, END = "<!-- BEGIN METRIC REFERENCE -->", "<!-- END METRIC REFERENCE -->"


def markdown_reference() -> str:
    """Every indicator as a Markdown table (name, unit, label, definition, source), for docs/metrics.md."""
    lines = [BEGIN, "", "| name | unit | indicator | definition | source |", "|---|---|---|---|---|"]
    for m in REGISTRY.values():
        cells = [f"`{m.name}`", m.unit.replace("{currency}", "currency"), m.label + (" ★" if m.headline else ""),
                 m.definition, m.source]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    lines.extend(["", "★ shown in the command line's summary table.", "", END])
    return "\n".join(lines)
