"""Words, units and numbers as people read them: one units table and one number formatter.

The command line, the HTML report, the charts and the explorer all write values through
:func:`format_value` (and its building block :func:`number`), changes through
:func:`format_difference` and :func:`format_change` (percentage points for shares), and units through
:func:`unit_text`, so ``1,234.5 million IDR`` and ``1.234,5 juta IDR`` have one definition.
Indicator names live in :mod:`simulator.metrics.registry`; scenario fields declare their unit
in :mod:`simulator.config`; lever texts live in :mod:`simulator.levers`.

Units are the strings the registry and the schema use (``t``, ``share``, ``{currency}`` ...);
a 3-letter upper-case unit is a currency (ISO 4217). Languages: ``en`` and ``id`` (Indonesian).
"""

from __future__ import annotations

import math

LANGUAGES = ("en", "id")

UNITS_ID: dict[str, str] = {
    "share": "pangsa", "links": "tautan", "jobs": "pekerjaan", "ratio 1-3": "rasio 1-3", "ratio": "rasio",
    "index 0-1": "indeks 0-1", "day": "hari", "days": "hari", "trips": "perjalanan", "h": "jam",
    "relative": "relatif", "per year": "per tahun", "fraction 0-1": "fraksi 0-1", "firms": "perusahaan",
}
"""The units table: each unit that reads differently in Indonesian; any other unit (``t``,
``m3``, ``t CO2e``, a currency) is written the same in both languages."""

UNIT_NAMES: dict[str, str] = {"t": "t", "kg": "kg", "mwh": "MWh", "kwh": "kWh", "gwh": "GWh", "gj": "GJ",
                              "mj": "MJ", "m3": "m³", "l": "L", "pcs": "pcs", "n": "n"}
"""How units of materials, written in a scenario in any case, are spelled in charts."""

SCALES: tuple[tuple[float, dict[str, str]], ...] = (
    (1e12, {"en": "trillion", "id": "triliun"}), (1e9, {"en": "billion", "id": "miliar"}),
    (1e6, {"en": "million", "id": "juta"}))
"""Words for large amounts of money (and large chart axes), largest first."""

NOT_AVAILABLE = {"en": "n/a", "id": "t/a"}
POINTS = {"en": "pp", "id": "poin %"}
"""A change of a share, in percentage points."""
KIND_NAMES = {"id": {"anchor": "jangkar", "sme": "IKM", "recycler": "daur ulang", "utility": "utilitas",
                     "service": "layanan"}}
"""Names of the kinds of firm by language (English: the kind itself)."""
DAY_OF_RUN = {"en": "day {}", "id": "hari ke-{}"}
"""A day of the run (unit ``day``), not a duration (unit ``days``)."""


def not_available(lang: str = "en") -> str:
    """What a person reads where a value is missing or undefined (the one home of "n/a")."""
    return NOT_AVAILABLE.get(lang, NOT_AVAILABLE["en"])


SHARE_UNITS = ("share",)
UNITLESS = ("ratio", "ratio 1-3", "index 0-1", "relative")


def readable(name: str) -> str:
    """An id as people read it where no label was given: ``power_plant`` -> ``Power plant``
    (a name with spaces or capitals is someone's label and stays as written)."""
    name = str(name)
    if " " in name or name != name.lower():
        return name
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def is_currency(unit: str) -> bool:
    """A 3-letter upper-case unit is an ISO 4217 currency code."""
    return len(unit) == 3 and unit.isupper()


def unit_text(unit: str, lang: str = "en") -> str:
    """A unit as tables write it (translated in Indonesian)."""
    return UNITS_ID.get(unit, unit) if lang == "id" else unit


def unit_name(unit: str) -> str:
    """A unit as written in a scenario (``mwh``, ``M3``) in its usual spelling (``MWh``, ``m³``)."""
    return UNIT_NAMES.get(str(unit).strip().lower(), str(unit))


def display_unit(unit: str, lang: str = "en") -> str:
    """A unit as charts show it: shares in per cent, other units as :func:`unit_text`."""
    unit = unit or ""
    return "%" if unit in SHARE_UNITS else unit_text(unit, lang)


def share_factor(unit: str) -> float:
    """100 for shares (shown in per cent), 1 otherwise."""
    return 100.0 if unit in SHARE_UNITS else 1.0


def scale_word(value: float, lang: str = "en") -> tuple[float, str]:
    """Divisor and word (``million`` / ``juta`` ...) for an amount of size ``value``; (1, "") below a million."""
    for factor, words in SCALES:
        if abs(value) >= factor:
            return factor, words.get(lang, words["en"])
    return 1.0, ""


def number(x: float, lang: str = "en", decimals: int | None = None, sign: bool = False, trim: bool = False) -> str:
    """A number with grouped thousands, in the language's convention (1,234.5 or 1.234,5) and a
    typographic minus; ``decimals`` by default from the size (about 3 significant digits), ``trim``
    drops trailing zeros of the decimals."""
    if not math.isfinite(x):
        return "–"
    if decimals is None:
        size = abs(x)
        decimals = 0 if size >= 100 or size == 0 else 1 if size >= 10 else 2 if size >= 0.1 else 3
    text = f"{x:{'+' if sign else ''},.{decimals}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    if text.lstrip("+-").strip("0.,") == "":  # -0.00 -> 0.00
        text = text.lstrip("+-")
    if lang == "id":
        text = _swap_marks(text)
    return text.replace("-", "−")


def format_value(value: float | None, unit: str, lang: str = "en", change: bool = False) -> str:
    """A value in its unit for people: shares as %, money in millions/billions/trillions, grouped
    thousands, about three significant digits for small amounts.

    English is written as the command line prints it (``1,234.57 million IDR``, ``12.3 %``),
    Indonesian the Indonesian way with the unit translated (``1.234,57 juta IDR``, ``12,3 %``).
    ``change``: the value is a difference, written with its sign, a share's in percentage points
    (``+1.23 pp``, ``+1,23 poin %``), and three significant digits however small it is
    (``+0.00221``, not ``0.00``; a whole number as such: ``+3 jobs``).
    """
    if value is None or math.isnan(value):
        return not_available(lang)
    if change:
        return _format_change(value, unit, lang)
    if unit == "day":  # a day of the run, not a duration: "day 152" (a duration's unit is "days")
        return DAY_OF_RUN.get(lang, DAY_OF_RUN["en"]).format(number(value, lang, 0))
    if lang != "en":
        return _format_local(value, unit, lang)
    if unit in SHARE_UNITS:
        return f"{100 * value:.1f} %"
    if unit in ("ratio", "ratio 1-3"):
        return f"{value:.2f}"
    if unit in ("index 0-1", "relative"):
        return f"{value:.3g}"
    if is_currency(unit):
        divisor, word = scale_word(value, lang)
        return f"{value / divisor:,.2f} {word} {unit}" if word else f"{value:,.0f} {unit}"
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f} {unit}"
    return f"{value:,.3g} {unit}"


MAX_DECIMALS = 12


def _digits(size: float, significant: int) -> int:
    """Decimals that show ``significant`` digits of ``size`` (> 0)."""
    return significant - 1 - math.floor(math.log10(size))


def difference_decimals(value: float | None, low: float | None = None, high: float | None = None,
                        minimum: int = 0) -> int:
    """Decimals of a difference: two significant digits of the difference, and one of the half-width
    of its CI (``low``, ``high``), whichever needs more; so +0.0022 [+0.0020, +0.0024] is not
    written 0.00 [0.00, 0.00]."""
    needed = [minimum]
    if value is not None and math.isfinite(value) and value != 0:
        needed.append(_digits(abs(value), 2))
    if low is not None and high is not None and math.isfinite(low) and math.isfinite(high) and high > low:
        needed.append(_digits((high - low) / 2, 1))
    return min(MAX_DECIMALS, max(needed))


def format_difference(value: float | None, unit: str, lang: str = "en", decimals: int | None = None) -> str:
    """A change of a value, always signed, a share's in percentage points: with ``decimals`` given
    (:func:`format_change`, so that a difference and its CI are written alike), else as
    ``format_value(..., change=True)`` writes it; money always in its scale word."""
    if decimals is None or is_currency(unit) or value is None or not math.isfinite(value):
        return format_value(value if value is None or math.isfinite(value) else math.nan, unit, lang, change=True)
    if unit in SHARE_UNITS:
        shown = POINTS.get(lang, POINTS["en"])
    else:
        shown = "" if unit in UNITLESS else unit_text(unit, lang)
    return f"{number(value * share_factor(unit), lang, decimals, sign=True)} {shown}".strip()


def format_change(value: float | None, low: float | None, high: float | None, unit: str,
                  lang: str = "en") -> tuple[str, str, str]:
    """A difference and the bounds of its CI, written alike (:func:`format_difference`)."""
    scale = 100.0 if unit in SHARE_UNITS else 1.0
    shown = [None if v is None else scale * v for v in (value, low, high)]
    places = difference_decimals(*shown, minimum=1 if unit in SHARE_UNITS else 0)
    return tuple(format_difference(v, unit, lang, places) for v in (value, low, high))


def _format_local(value: float, unit: str, lang: str) -> str:
    if unit in SHARE_UNITS:
        return f"{number(100 * value, lang, 1)} %"
    if unit in ("ratio", "ratio 1-3"):
        return number(value, lang, 2)
    if unit in ("index 0-1", "relative"):
        return _swap_marks(f"{value:.3g}").replace("-", "−")
    if is_currency(unit):
        divisor, word = scale_word(value, lang)
        return f"{number(value / divisor, lang, 2)} {word} {unit}" if word else f"{number(value, lang, 0)} {unit}"
    shown = unit_text(unit, lang)
    if abs(value) >= 100 or value == int(value):
        return f"{number(value, lang, 0)} {shown}".strip()
    return f"{_swap_marks(f'{value:,.3g}').replace('-', '−')} {shown}".strip()


def _format_change(value: float, unit: str, lang: str) -> str:
    x = value * share_factor(unit)
    if unit in SHARE_UNITS:
        shown = POINTS[lang] if lang in POINTS else POINTS["en"]
    elif is_currency(unit):
        divisor, word = scale_word(x, lang)
        x, shown = x / divisor, f"{word} {unit}".strip()
    else:
        shown = "" if unit in UNITLESS else unit_text(unit, lang)
    size = abs(x)
    decimals = 0 if size >= 100 or size == 0 or not math.isfinite(x) else min(2 - math.floor(math.log10(size)), 12)
    return f"{number(x, lang, decimals, sign=True, trim=x == round(x))} {shown}".strip()


def _swap_marks(text: str) -> str:
    """English number marks (``1,234.5``) the Indonesian way (``1.234,5``)."""
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
