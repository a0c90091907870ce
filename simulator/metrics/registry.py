"""One registry of every reported indicator: name, unit, English and Indonesian label, definition.

The CLI's KPI table, ``metrics.json``, chart labels, the report, the explorer and
``docs/metrics.md`` all read from here, so an indicator is defined once. ``{currency}`` in a unit
is replaced by the scenario's currency.
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
    label_id: str = ""       # the label in Indonesian

    def text(self, lang: str = "en") -> str:
        """The indicator's label in ``lang`` (``en`` or ``id``)."""
        return self.label_id if lang == "id" and self.label_id else self.label


_METRICS = [
    # ---------------------------------------------------------------- material
    Metric("byproducts_generated_t", "t", "By-products generated",
           "Mass of by-products and wastes emitted by all firms (materials in t or with a mass per unit).",
           "material", True,
           label_id="Produk samping yang dihasilkan"),
    Metric("byproducts_exchanged_t", "t", "By-products exchanged",
           "Mass of by-products delivered to another firm of the park, by truck or pipe.", "material", True,
           label_id="Produk samping yang dipertukarkan"),
    Metric("byproducts_disposed_t", "t", "By-products disposed",
           "Mass of by-products landfilled or treated: no outlet, storage full, spoiled or vented.",
           "material", True,
           label_id="Produk samping yang dibuang"),
    Metric("byproducts_stockpiled_t", "t", "By-products in storage at the end",
           "Mass of by-products held in on-site storage on the last day (awaiting a truck or use).", "material",
           label_id="Produk samping tersimpan di akhir"),
    Metric("landfill_diversion_rate", "share", "Landfill diversion rate",
           "Exchanged / (exchanged + disposed) by-product mass: the share of by-products that left their "
           "emitter for a use instead of disposal.", "material", True,
           label_id="Tingkat pengalihan dari TPA"),
    Metric("byproduct_utilisation_rate", "share", "By-product utilisation rate",
           "Secondary material used in production / by-products generated (mass).", "material",
           label_id="Tingkat pemanfaatan produk samping"),
    Metric("virgin_material_purchased_t", "t", "Virgin material bought",
           "Mass of virgin inputs bought from outside the park.", "material",
           label_id="Bahan baku primer yang dibeli"),
    Metric("virgin_material_avoided_t", "t", "Virgin material avoided",
           "Mass of virgin inputs replaced by secondary materials (per the substitution ratios).",
           "material", True,
           label_id="Bahan baku primer yang dihindari"),
    Metric("circular_material_use_rate", "share", "Circular material use rate",
           "U / (DMC + U) by mass: U = secondary materials used in the park other than for energy "
           "recovery (R1); DMC = all material inputs bought from outside the park (virgin materials "
           "and products).", "material", True,
           "Eurostat circular material use rate (cei_srm030), applied to the park's firms",
           label_id="Tingkat penggunaan material sirkular"),
    Metric("energy_recovered_t", "t", "Secondary material burned for energy",
           "Mass of by-products used as fuel, in place of a fuel or being one (energy recovery, R1); "
           "not counted as circular use.", "material", False,
           "Waste Framework Directive 2008/98/EC, Annex II, operation R1",
           label_id="Material sekunder untuk energi"),
    Metric("co2e_avoided_t", "t CO2e", "CO2e avoided (net)",
           "Production emissions of the virgin inputs avoided + disposal emissions avoided by exchanged "
           "by-products - emissions of the truck-km driven for exchanges.", "material", True,
           label_id="CO2e yang dihindari (neto)"),
    Metric("transport_co2e_t", "t CO2e", "Transport CO2e", "Emissions of the truck-km driven for exchanges.",
           "material",
           label_id="CO2e transportasi"),
    Metric("water_reused_m3", "m3", "Water reused",
           "Volume of water-type materials (unit m3) delivered from one firm to another.", "material",
           label_id="Air yang digunakan ulang"),
    Metric("material_circularity_indicator", "index 0-1", "Material Circularity Indicator (park)",
           "Ellen MacArthur Foundation MCI applied to each firm's throughput, in one mass base M = its "
           "material inputs: F_R = secondary inputs / M, C_R = (by-products sent to other firms + product "
           "mass x eol_collection_rate) / M, W0 = M (1 - C_R), efficiencies 1, utility X = 1; averaged "
           "weighted by M.", "material", True,
           "Ellen MacArthur Foundation & Granta Design (2015, rev. 2019) Circularity Indicators: Methodology",
           label_id="Indikator Sirkularitas Material (kawasan)"),
    Metric("mass_balance_residual", "relative", "Mass balance residual",
           "Largest relative residual of any firm, material or park balance (inputs - outputs - losses - "
           "stock change); must be ~0.", "material",
           label_id="Residu neraca massa"),
    # ---------------------------------------------------------------- network and logistics
    Metric("links_candidate", "links", "Candidate links",
           "Supplier-consumer-material links that are physically possible.", "network",
           label_id="Tautan kandidat"),
    Metric("links_found", "links", "Links found", "Candidate links whose partners found each other.",
           "network",
           label_id="Tautan yang ditemukan"),
    Metric("links_contracted", "links", "Links with a contract",
           "Links that had a contract at some time in the run.", "network", True,
           label_id="Tautan dengan kontrak"),
    Metric("median_discovery_day", "day", "Median discovery day",
           "Median day on which candidate links that must be discovered (not existing ties) are found, "
           "counting a link not found within the run as found on its last day.", "network",
           label_id="Median hari penemuan"),
    Metric("link_operation_share", "share", "Explored links that reach operation",
           "Links found by discovery in the run (not existing ties) that delivered anything / all such links: "
           "the rest failed to agree, were still negotiating or being built, or never had stock to move "
           "(0 when no link was found).",
           "network", label_id="Tautan yang ditemukan dan beroperasi"),
    Metric("operating_link_distance_km", "km", "Mean distance of links in operation",
           "Mean road or pipe length of the explored links that delivered anything (0 when none did).", "network",
           label_id="Jarak rata-rata tautan yang beroperasi"),
    Metric("discovery_to_delivery_days", "days", "Discovery to first delivery",
           "Mean days from the discovery of an explored link to its first delivery (negotiation, "
           "construction and the wait for a first lot), over the links that delivered (0 when none did).",
           "network", label_id="Waktu dari penemuan ke pengiriman pertama"),
    Metric("negotiation_failure_share", "share", "Negotiations that fail",
           "Negotiations (first talks, talks after a lapse, renewals) in which a side would not gain more than "
           "its outside option / all negotiations.", "network", False,
           "generalised Nash bargaining (Nash 1950; Binmore, Rubinstein & Wolinsky 1986)",
           label_id="Negosiasi yang gagal"),
    Metric("link_investment", "{currency}", "Investment in links",
           "Pipelines and trucked-exchange set-ups paid for by consumers when they sign a new link.", "network",
           label_id="Investasi pada tautan"),
    Metric("platform_members", "firms", "Platform members at the end",
           "Firms on the digital exchange platform on the last day: connected firms join when the benefit they "
           "expect from the members who offer or seek their materials exceeds the fee (0 without a platform).",
           "network", label_id="Anggota platform di akhir"),
    Metric("connectance", "share", "Connectance",
           "Firm pairs that exchanged anything / all firm pairs n(n-1)/2.", "network", False,
           "network density; used for EIPs by Pojoh (2010), Bitung agro-EIP",
           label_id="Konektansi"),
    Metric("truck_trips", "trips", "Truck trips", "Loaded truck trips completed.", "network",
           label_id="Perjalanan truk"),
    Metric("truck_wait_hours_mean", "h", "Mean wait for a truck",
           "Mean time a dispatched lot waited for a free truck.", "network",
           label_id="Rata-rata waktu tunggu truk"),
    Metric("truck_utilisation", "share", "Truck fleet utilisation",
           "Truck-days in service / (trucks x days).", "network",
           label_id="Utilisasi armada truk"),
    # ---------------------------------------------------------------- economy
    Metric("revenue", "{currency}", "Revenue of park firms",
           "Product sales and by-product sales received by park firms (and subsidies).", "economy", True,
           label_id="Pendapatan perusahaan kawasan"),
    Metric("byproduct_revenue", "{currency}", "By-product revenue",
           "Payments received by suppliers for by-products.", "economy",
           label_id="Pendapatan produk samping"),
    Metric("disposal_cost", "{currency}", "Disposal cost paid",
           "Gate fees, treatment costs and landfill tax paid by park firms.", "economy",
           label_id="Biaya pembuangan yang dibayar"),
    Metric("disposal_cost_avoided", "{currency}", "Disposal cost avoided",
           "Disposal cost the exchanged by-products would have cost their emitters.", "economy", True,
           label_id="Biaya pembuangan yang dihindari"),
    Metric("virgin_cost_avoided", "{currency}", "Virgin input cost avoided",
           "Purchase cost of the virgin inputs replaced by secondary materials.", "economy",
           label_id="Biaya input primer yang dihindari"),
    Metric("jobs_total", "jobs", "Active jobs in the park",
           "Full-time equivalents of all firms: employees x share of their working days (calendar days open "
           "in the reporting window) on which they produced.", "economy",
           label_id="Lapangan kerja aktif di kawasan"),
    Metric("jobs_anchor", "jobs", "Active jobs in anchor firms", "Full-time equivalents of anchor tenants "
           "(as jobs_total).", "economy",
           label_id="Lapangan kerja aktif di perusahaan jangkar"),
    Metric("jobs_sme", "jobs", "Active jobs in SMEs (IKM)",
           "Full-time equivalents of small and medium firms (as jobs_total): a firm that holds a plot but "
           "produces nothing earns none.", "economy", True,
           label_id="Lapangan kerja aktif di IKM"),
    Metric("jobs_on_plots", "jobs", "Jobs on plots",
           "Employees of all firms in the park at the end, producing or not (idle firms included).", "economy",
           label_id="Lapangan kerja di kavling"),
    Metric("jobs_sme_on_plots", "jobs", "SME jobs on plots",
           "Employees of the SMEs in the park at the end, producing or not.", "economy",
           label_id="Lapangan kerja IKM di kavling"),
    Metric("firms_idle", "firms", "Idle firms", "Firms in the park at the end that have stopped for want of "
           "a margin (scenario `viability`).", "economy",
           label_id="Perusahaan yang berhenti beroperasi"),
    Metric("firms_exited", "firms", "Firms that exited", "Firms that left the park during the run (loss-making "
           "or scheduled).", "economy",
           label_id="Perusahaan yang keluar"),
    Metric("firms_entered", "firms", "Firms that entered", "Firms that started during the run (entrants on "
           "vacant plots or scheduled).", "economy",
           label_id="Perusahaan yang masuk"),
    Metric("firms_restarted", "firms", "Idle firm restarts", "Times an idle firm started again before exiting, "
           "when it expected a margin with the by-products its running contracts bring it (scenario `viability`).",
           "economy", label_id="Perusahaan yang beroperasi kembali"),
    Metric("sme_survival", "share", "SME survival",
           "Share of the SMEs in the park on day 0 that are still in the park at the end.", "economy", True,
           label_id="Kelangsungan hidup IKM"),
    Metric("sme_revenue", "{currency}", "SME revenue", "Sales of SMEs (IKM) to anyone.", "economy",
           label_id="Pendapatan IKM"),
    Metric("value_added", "{currency}", "Value added of park firms",
           "Sales - intermediate inputs (local and imported): all wages (wherever the staff live), taxes and surplus of park firms.",
           "economy",
           label_id="Nilai tambah perusahaan kawasan"),
    Metric("local_wages", "{currency}", "Wages to local households",
           "Wages park firms pay to staff living in the region.", "economy",
           label_id="Upah untuk rumah tangga lokal"),
    Metric("local_spending_share", "share", "Spending that stays local",
           "Share of park firms' spending (to payees outside the park's firms) paid in the park or region.",
           "economy",
           label_id="Belanja yang tetap lokal"),
    Metric("local_spending_share_sme", "share", "SME spending that stays local",
           "Share of SMEs' spending (to payees other than SMEs) paid in the park or region.", "economy",
           label_id="Belanja IKM yang tetap lokal"),
    Metric("lm3_park", "ratio 1-3", "LM3 of the park",
           "Local Multiplier 3 of the park's firms as one organisation: (R1 + R2 + R3) / R1 with R1 their "
           "income, R2 what they spend locally, R3 what local recipients re-spend locally.", "economy", True,
           "Sacks (2002) The Money Trail, New Economics Foundation",
           label_id="LM3 kawasan"),
    Metric("lm3_sme", "ratio 1-3", "LM3 of the SMEs (IKM)",
           "LM3 of the park's SMEs as one organisation (payments among SMEs not counted).", "economy", True,
           "Sacks (2002) The Money Trail, New Economics Foundation",
           label_id="LM3 IKM"),
    Metric("multiplier_output_type1", "ratio", "Output multiplier, Type I",
           "Local output (park sectors + regional suppliers) per unit of the park's final demand, "
           "direct + indirect effects; weighted by each park sector's final demand.", "economy", False,
           "Miller & Blair (2009) Input-Output Analysis, ch. 6",
           label_id="Pengganda output, Tipe I"),
    Metric("multiplier_output_type2", "ratio", "Output multiplier, Type II",
           "As Type I, plus the induced effect of local households spending their local wages.", "economy",
           True, "Miller & Blair (2009) Input-Output Analysis, ch. 6",
           label_id="Pengganda output, Tipe II"),
    Metric("multiplier_income_type1", "ratio", "Income multiplier, Type I",
           "Local household income (direct + indirect) per unit of direct local income of the park's "
           "final-demand mix.", "economy", False, "Miller & Blair (2009) Input-Output Analysis, ch. 6",
           label_id="Pengganda pendapatan, Tipe I"),
    Metric("multiplier_income_type2", "ratio", "Income multiplier, Type II",
           "As Type I, including the income induced by local household spending.", "economy", False,
           "Miller & Blair (2009) Input-Output Analysis, ch. 6",
           label_id="Pengganda pendapatan, Tipe II"),
    Metric("multiplier_employment_type1", "ratio", "Employment multiplier, Type I",
           "Local jobs (direct + indirect) per direct job of the park's final-demand mix.", "economy", False,
           "Miller & Blair (2009) Input-Output Analysis, ch. 6",
           label_id="Pengganda tenaga kerja, Tipe I"),
    Metric("multiplier_employment_type2", "ratio", "Employment multiplier, Type II",
           "As Type I, including jobs induced by local household spending.", "economy", False,
           "Miller & Blair (2009) Input-Output Analysis, ch. 6",
           label_id="Pengganda tenaga kerja, Tipe II"),
]

REGISTRY: dict[str, Metric] = {m.name: m for m in _METRICS}


def metric_label(name: str, lang: str = "en") -> str:
    """Label of indicator ``name`` in ``lang``; the name itself when it is not in the registry."""
    return REGISTRY[name].text(lang) if name in REGISTRY else name


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
