"""The lever catalogue: the what-if settings of a park, each defined once.

A lever is a field (or an optional section) of the scenario that a policy maker can move. Its
entry here says where it sits (``path``, the ``--set PATH=VALUE`` of the command line), what kind
of value it takes, its bounds (read from the schema, so there is one bound), its unit, its
English and Indonesian texts, how the simulation realises it and what checks it. The explorer's
controls, the sweep charts' axis labels, the report's scenario summary and
``docs/architecture.md`` read it from here; the schema (:mod:`simulator.config`) holds the field
itself and its default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .config import Scenario, field_at, field_bounds, field_unit
from .vocabulary import format_value, number


@dataclass(frozen=True)
class Lever:
    """One lever of the catalogue.

    ``kind`` is ``switch`` (an optional section or block: present or not), ``share`` (a fraction,
    shown in per cent), ``days`` (a day of the run), ``money`` (in the scenario's currency, per
    the unit the schema declares) or ``number``; the run settings (:data:`RUN_SETTINGS`) are also
    ``count`` and ``seed``. ``needs`` names what must hold for the lever to matter: ``platform``
    (the platform is on), ``sme`` (the park has SMEs or IKM land), ``linkage`` (park SMEs make
    something anchors buy), ``viability`` (the scenario has a viability block) or ``uncertain``
    (it has uncertain assumptions). ``summary``: the report's and sweep's short list of the
    levers a scenario uses (:func:`active`) names it when set. ``label``, ``unit``
    and ``help`` are ``{"en": ..., "id": ...}``; ``{currency}`` in a unit is the scenario's
    currency. ``realised`` and ``checked`` name the code that gives the lever its effect and
    guards its values; ``event`` is the event type that changes the lever later in a run, if any.
    """

    key: str
    path: str
    kind: str
    label: dict[str, str]
    unit: dict[str, str]
    help: dict[str, str]
    step: float
    realised: str
    checked: str
    needs: str = ""
    event: str = ""
    summary: bool = True

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """Lowest and highest value the schema allows (None where unbounded; switches: None, None)."""
        return field_bounds(self.path) if self.kind != "switch" else (None, None)

    @property
    def schema_unit(self) -> str:
        """The unit the schema declares for the field ("" for switches)."""
        return field_unit(self.path) if self.kind != "switch" else ""

    def value(self, scenario: Scenario) -> Any:
        """The lever's value in ``scenario``: for a switch whether its section is on, else the field's
        value (its schema default when the section it sits in is off)."""
        node: Any = scenario
        for part in self.path.split("."):
            node = getattr(node, part) if node is not None else None
        if self.kind == "switch":
            return bool(node)               # a section that is there, a block that is not empty
        return field_at(self.path).default if node is None else node

    def text(self, part: str, lang: str = "en") -> str:
        """``label``, ``unit`` or ``help`` in ``lang`` (English when there is no translation)."""
        texts = getattr(self, part)
        return texts.get(lang) or texts["en"]

    def value_text(self, value: Any, currency: str, lang: str = "en") -> str:
        """A value of the lever as people read it: ``on``/``off``, ``12.5 %``, ``200,000 IDR/t``, a
        day as its number."""
        if self.kind == "switch":
            return SWITCH_WORDS[bool(value)].get(lang, SWITCH_WORDS[bool(value)]["en"])
        if self.kind == "share":
            return f"{number(100 * value, lang, 1, trim=True)} %"
        if self.kind == "days":
            return number(value, lang, 0)
        unit = self.text("unit", lang)
        if self.kind == "money":
            return f"{format_value(value, currency, lang)}{unit.replace('{currency}', '')}"
        return f"{number(value, lang, trim=True)} {unit}".strip()


SWITCH_WORDS = {True: {"en": "on", "id": "ada"}, False: {"en": "off", "id": "tidak ada"}}

LEVERS: tuple[Lever, ...] = (
    Lever("land_share", "sme.land_share", "share",
          {"en": "IKM land", "id": "Lahan IKM"},
          {"en": "% of the estate's area", "id": "% luas kawasan"},
          {"en": "Estate land reserved for small industry (PP 20/2024); each plot becomes an IKM firm.",
           "id": "Lahan kawasan untuk industri kecil (PP 20/2024); tiap kavling menjadi satu IKM."},
          0.01, realised="compose.realise: IKM firms of the sme.mix on floor(area x share / plot) plots",
          checked="validation.lever_problems: needs sme.mix and park.area_ha; IKM land and plots fit the estate"),
    Lever("sentra", "sentra", "switch",
          {"en": "IKM centre (sentra)", "id": "Sentra IKM"},
          {"en": "on / off", "id": "ada / tidak"},
          {"en": "A shared store pooling SMEs' small by-product lots, shared trucks and a facilitator.",
           "id": "Gudang bersama untuk lot kecil produk samping IKM, truk bersama, dan fasilitator."},
          1.0, needs="sme",
          realised="compose.realise: the centre as a service firm with a shared store, members' "
                   "exchanges supplied from it; model.discovery: facilitator_multiplier",
          checked="validation.lever_problems: the id 'sentra' is free, members exist"),
    Lever("platform", "platform", "switch",
          {"en": "Digital exchange platform", "id": "Platform pertukaran digital"},
          {"en": "on / off", "id": "ada / tidak"},
          {"en": "An online by-product market firms choose to join: members find each other sooner and pay less to deal.",
           "id": "Pasar daring produk samping yang dipilih perusahaan: anggota lebih cepat bertemu mitra, biaya lebih rendah."},
          1.0, realised="model.platform: firms join when the benefit they expect exceeds the fee; model.discovery: "
                        "faster discovery and negotiation, lower handling cost between members",
          checked="config.Platform"),
    Lever("platform_coverage", "platform.coverage", "share",
          {"en": "Platform coverage", "id": "Cakupan platform"},
          {"en": "% of firms connected", "id": "% perusahaan terhubung"},
          {"en": "Share of firms that can connect to the platform (telecom coverage); who joins is their choice.",
           "id": "Porsi perusahaan yang dapat terhubung ke platform (jaringan telekomunikasi); bergabung atau tidak "
                 "adalah pilihan mereka."},
          0.05, needs="platform", realised="model.platform: which firms can connect (deterministic)",
          checked="config.Platform"),
    Lever("platform_opens_day", "platform.opens_day", "days",
          {"en": "Platform opens on day", "id": "Platform dibuka hari ke-"},
          {"en": "day", "id": "hari"},
          {"en": "Day of the run on which the platform starts working.",
           "id": "Hari simulasi saat platform mulai bekerja."},
          1.0, needs="platform", realised="model.platform: firms first weigh joining on this day",
          checked="config.Platform"),
    Lever("landfill_tax_per_t", "policy.landfill_tax_per_t", "money",
          {"en": "Landfill tax", "id": "Pajak TPA"},
          {"en": "{currency}/t", "id": "{currency}/t"},
          {"en": "Paid on every tonne disposed, on top of the gate fee, from day 0.",
           "id": "Dibayar per ton yang dibuang, di atas tarif masuk TPA, sejak hari 0."},
          1.0, realised="model: booked with each disposal and counted in the exchange market's net benefit",
          checked="config.Policy", event="landfill_tax"),
    Lever("linkage", "sme.linkage", "share",
          {"en": "Supply linkage", "id": "Keterkaitan pasokan"},
          {"en": "% of anchors' purchases", "id": "% pembelian perusahaan jangkar"},
          {"en": "Share of anchors' purchases of SME-made products (e.g. components) bought from park SMEs.",
           "id": "Porsi pembelian jangkar atas produk buatan IKM (mis. komponen) yang dibeli dari IKM kawasan."},
          0.05, needs="linkage", realised="compose.realise: park_share of anchors' inputs that park SMEs make",
          checked="config.Sme"),
    Lever("exchange_subsidy_per_t", "policy.exchange_subsidy_per_t", "money",
          {"en": "Exchange subsidy", "id": "Subsidi pertukaran"},
          {"en": "{currency}/t", "id": "{currency}/t"},
          {"en": "Paid to the receiving firm for every tonne of by-product exchanged, from day 0.",
           "id": "Dibayar ke perusahaan penerima untuk tiap ton produk samping yang dipertukarkan, sejak hari 0."},
          1.0, realised="model: paid by the government with each delivery and counted in the exchange market's "
                        "net benefit", checked="config.Policy", event="exchange_subsidy"),
    Lever("platform_fee_per_year", "platform.fee_per_year", "money",
          {"en": "Platform fee", "id": "Biaya platform"},
          {"en": "{currency}/year", "id": "{currency}/tahun"},
          {"en": "Membership fee a firm pays to join the platform; it joins when it expects more benefit than this "
                 "(a subsidised platform charges less).",
           "id": "Iuran anggota platform per perusahaan; perusahaan bergabung bila manfaat yang diharapkan melebihi "
                 "iuran ini (platform bersubsidi lebih murah)."},
          1.0, needs="platform", realised="model.platform: each firm weighs its expected benefit against the fee",
          checked="config.Platform"),
    Lever("truck_link_setup_cost", "link_economics.truck_link_setup_cost", "money",
          {"en": "Set-up cost of a trucked exchange", "id": "Biaya awal pertukaran via truk"},
          {"en": "{currency}/link", "id": "{currency}/tautan"},
          {"en": "Investment to start a trucked exchange (storage, pre-treatment, testing); a grant lowers it.",
           "id": "Investasi untuk memulai pertukaran via truk (penyimpanan, pra-olah, uji); hibah menurunkannya."},
          1.0, realised="model.deals: weighed in each side's net present value before signing",
          checked="config.LinkEconomics", summary=False),
    Lever("pipeline_cost_per_km", "link_economics.pipeline_cost_per_km", "money",
          {"en": "Pipeline cost per km", "id": "Biaya pipa per km"},
          {"en": "{currency}/km", "id": "{currency}/km"},
          {"en": "Investment per km of pipeline: with the fixed cost, it decides how far a pipeline pays.",
           "id": "Investasi per km pipa: bersama biaya tetap, menentukan sejauh mana pipa masih menguntungkan."},
          1.0, realised="model.deals: weighed in each side's net present value before signing",
          checked="config.LinkEconomics", summary=False),
    Lever("margin_threshold", "viability.margin_threshold", "number",
          {"en": "Viability threshold", "id": "Ambang kelayakan"},
          {"en": "× wage and fixed-cost bill", "id": "× biaya upah dan tetap"},
          {"en": "A firm is in distress while its rolling margin is below this multiple of its wage and fixed-cost "
                 "bill (0: while it makes a loss); in distress long enough, it goes idle and exits.",
           "id": "Perusahaan tertekan selama marginnya di bawah kelipatan biaya upah dan tetapnya ini (0: selama "
                 "merugi); bila cukup lama, perusahaan berhenti lalu keluar."},
          0.05, needs="viability", realised="model.viability: distress, idle and exit of loss-making firms",
          checked="config.Viability", summary=False),
)

RUN_SETTINGS: tuple[Lever, ...] = (
    Lever("horizon_days", "run.horizon_days", "days",
          {"en": "Simulated period", "id": "Periode simulasi"},
          {"en": "days", "id": "hari"},
          {"en": "Days simulated, for the baseline and your settings alike.",
           "id": "Jumlah hari yang disimulasikan, sama untuk baseline dan pengaturan Anda."},
          1.0, realised="run.horizon_days of both arms of a comparison", checked="config.RunSpec"),
    Lever("replications", "--replications", "count",
          {"en": "Replications", "id": "Replikasi"},
          {"en": "runs per arm", "id": "run per sisi"},
          {"en": "Independent runs per arm; more runs give narrower confidence intervals.",
           "id": "Run independen per sisi; makin banyak run, makin sempit selang kepercayaan."},
          1.0, realised="experiment: replications per arm", checked="cli: --replications"),
    Lever("seed", "--seed", "seed",
          {"en": "Seed", "id": "Benih acak"},
          {"en": "", "id": ""},
          {"en": "The same seed and settings give the same numbers, here and on the command line.",
           "id": "Benih dan pengaturan yang sama memberi angka yang sama, di sini dan di baris perintah."},
          1.0, realised="experiment: the root SeedSequence of every replication", checked="cli: --seed"),
    Lever("uncertain", "uncertain", "switch",
          {"en": "Uncertain assumptions", "id": "Asumsi tidak pasti"},
          {"en": "on / off", "id": "ada / tidak"},
          {"en": "On: each replication draws the scenario's uncertain assumptions (its uncertain: block), the same "
                 "draws in both arms, so the intervals include them. Off: every replication uses the point values.",
           "id": "Ada: tiap replikasi menarik asumsi tidak pasti skenario (blok uncertain:), sama di kedua sisi, "
                 "sehingga selang mencakupnya. Tidak: tiap replikasi memakai nilai titik."},
          1.0, needs="uncertain", realised="experiment: replications sample scenario.uncertain (simulator.uncertain)",
          checked="config.Scenario"),
)
"""Settings of a run rather than of the park (both arms of a comparison share them): the
explorer's run controls, with their texts here beside the levers'."""

BY_PATH: dict[str, Lever] = {lever.path: lever for lever in LEVERS}
BY_KEY: dict[str, Lever] = {lever.key: lever for lever in LEVERS}


def active(scenario: Scenario, lang: str = "en") -> list[str]:
    """The levers a scenario uses, as short texts (``IKM land 5 %``, ``Digital exchange platform``)
    for summaries; a platform's coverage and a tax or subsidy that an event sets are included."""
    texts = []
    for lever in LEVERS:
        value = lever.value(scenario)
        if not lever.summary or lever.needs == "platform" or not value:
            if not lever.event or not any(e.type == lever.event for e in scenario.events):
                continue
        text = lever.text("label", lang)
        if lever.kind == "share":
            text += f" {lever.value_text(value, scenario.currency, lang)}"
        if lever.key == "platform":
            coverage = BY_KEY["platform_coverage"]
            text += (f" ({coverage.text('label', lang).lower()} "
                     f"{coverage.value_text(coverage.value(scenario), scenario.currency, lang)})")
        texts.append(text)
    return texts
