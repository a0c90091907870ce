"""Which column holds what: English and Indonesian headers, ``--columns`` mappings, cell values.

Fields of a tenant row: ``name``, ``kbli`` (KBLI 2020, 5 digits) or ``isic`` (ISIC Rev.4 class,
4 digits), ``product``, ``capacity`` (per year) and its ``unit``, ``employees``, ``kind``,
``plot_ha``, and a location: ``x_km``/``y_km``, ``lat``/``lon``, or a ``plot`` id whose
coordinates are in a plot table (``--plots``: columns ``plot`` and a location). A header is matched after
lower-casing and dropping punctuation; a unit in brackets (``Kapasitas (ton/tahun)``) becomes
the default unit of the column.
"""

from __future__ import annotations

import re

from ..errors import EipsimError, Problem, did_you_mean
from .table import Table

FIELDS = {
    "name": ("name", "tenant", "tenant name", "company", "company name", "firm", "nama", "nama perusahaan",
             "perusahaan", "nama tenant", "nama usaha"),
    "kbli": ("kbli", "kbli 2020", "kode kbli", "kbli code", "kbli2020"),
    "isic": ("isic", "isic rev4", "isic rev 4", "isic code", "kode isic"),
    "product": ("product", "main product", "produk", "produk utama", "komoditas", "jenis produk"),
    "capacity": ("capacity", "capacity per year", "annual capacity", "output", "output per year", "annual output",
                 "production", "kapasitas", "kapasitas per tahun", "kapasitas produksi", "produksi",
                 "produksi per tahun", "kapasitas terpasang"),
    "unit": ("unit", "capacity unit", "satuan", "satuan kapasitas", "units"),
    "employees": ("employees", "workers", "jobs", "staff", "headcount", "tenaga kerja", "jumlah tenaga kerja",
                  "karyawan", "jumlah karyawan", "pekerja", "jumlah pekerja", "tk"),
    "kind": ("kind", "type", "scale", "jenis", "skala", "skala usaha", "kategori"),
    "plot_ha": ("plot ha", "area ha", "area", "land ha", "luas", "luas ha", "luas lahan", "luas kavling", "plot area"),
    "plot": ("plot", "plot id", "kavling", "no kavling", "nomor kavling", "blok", "lot", "lot id"),
    "x_km": ("x km", "x", "east km", "easting km"),
    "y_km": ("y km", "y", "north km", "northing km"),
    "lat": ("lat", "latitude", "lintang"),
    "lon": ("lon", "lng", "long", "longitude", "bujur"),
}
DESCRIPTIONS = {"plot": "plot id", "name": "tenant name", "kbli": "KBLI 2020 code", "isic": "ISIC Rev.4 class",
                "capacity": "capacity or output per year", "employees": "number of employees"}

# unit words -> (canonical unit, factor to it)
UNITS = {
    "t": ("t", 1.0), "ton": ("t", 1.0), "tons": ("t", 1.0), "tonne": ("t", 1.0), "tonnes": ("t", 1.0),
    "tpa": ("t", 1.0), "kg": ("t", 0.001), "kt": ("t", 1000.0), "ribu ton": ("t", 1000.0),
    "thousand t": ("t", 1000.0), "thousand tonnes": ("t", 1000.0), "kilo ton": ("t", 1000.0),
    "mwh": ("mwh", 1.0), "kwh": ("mwh", 0.001), "gwh": ("mwh", 1000.0),
    "m3": ("m3", 1.0), "m³": ("m3", 1.0), "meter kubik": ("m3", 1.0), "liter": ("m3", 0.001), "l": ("m3", 0.001),
    "pcs": ("pcs", 1.0), "pieces": ("pcs", 1.0), "piece": ("pcs", 1.0), "buah": ("pcs", 1.0), "unit": ("pcs", 1.0),
    "units": ("pcs", 1.0), "pairs": ("pcs", 1.0), "pasang": ("pcs", 1.0), "potong": ("pcs", 1.0),
    "lembar": ("pcs", 1.0),
}
_PER_YEAR = re.compile(r"\s*(/|per)\s*(year|yr|y|annum|a|tahun|thn|th)\s*$")
KINDS = {"anchor": "anchor", "large": "anchor", "besar": "anchor", "industri besar": "anchor",
         "sme": "sme", "ikm": "sme", "umkm": "sme", "small": "sme", "medium": "sme", "kecil": "sme",
         "menengah": "sme", "industri kecil": "sme", "recycler": "recycler", "daur ulang": "recycler",
         "utility": "utility", "utilitas": "utility", "service": "service", "jasa": "service"}


def normalise(header: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z³]+", " ", str(header).lower()).split())


def split_header(header: str) -> tuple[str, str | None]:
    """``'Kapasitas (ton/tahun)'`` -> (``'kapasitas'``, ``'ton/tahun'``)."""
    match = re.match(r"^(.*?)\s*[\(\[](.*)[\)\]]\s*$", str(header))
    if match:
        return normalise(match.group(1)), match.group(2).strip()
    return normalise(header), None


def parse_mapping(text: str | None) -> dict[str, str]:
    """``--columns name=Nama,kbli=KBLI`` -> {field: header}; unknown fields are an error."""
    mapping = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        field, sep, header = part.partition("=")
        field = field.strip()
        if not sep or not header.strip():
            raise EipsimError(f"--columns: '{part.strip()}' is not FIELD=HEADER (e.g. kbli=\"Kode KBLI\")")
        if field not in FIELDS:
            hint = did_you_mean(field, FIELDS)
            raise EipsimError(f"--columns: unknown field '{field}'{' (' + hint + ')' if hint else ''}; "
                              f"fields: {', '.join(FIELDS)}")
        mapping[field] = header.strip()
    return mapping


def locate(table: Table, mapping: dict[str, str], required: tuple[str, ...] = ("name", "kbli")
           ) -> tuple[dict[str, int], dict[str, str], list[Problem], list[str]]:
    """Column index of every field found, default units from headers, problems, unused headers.
    ``required``: fields whose column must exist (``kbli`` is satisfied by an ISIC column)."""
    columns: dict[str, int] = {}
    header_units: dict[str, str] = {}
    problems: list[Problem] = []
    row = table.header_row
    names = [h for h in table.headers]
    for field, header in mapping.items():
        matches = [i for i, h in enumerate(names) if h == header or normalise(h) == normalise(header)]
        if not matches:
            problems.append(table.problem(row, None, f"--columns {field}={header}: no column '{header}'",
                                          did_you_mean(header, [h for h in names if h]) or
                                          f"the headers are: {', '.join(h for h in names if h)}"))
            continue
        columns[field] = matches[0]
    for i, header in enumerate(names):
        if not header or i in columns.values():
            continue
        base, unit = split_header(header)
        for field, words in FIELDS.items():
            if field in columns or field in mapping:
                continue
            if base in words:
                columns[field] = i
                if unit is not None:
                    header_units[field] = unit
                break
    for field in required:
        if field not in columns and not (field == "kbli" and "isic" in columns):
            problems.append(_missing(table, field))
    for a, b in (("x_km", "y_km"), ("lat", "lon")):
        if (a in columns) != (b in columns):
            have, lack = (a, b) if a in columns else (b, a)
            problems.append(table.problem(row, columns[have], f"a '{have}' column without a '{lack}' column",
                                          f"add the {lack} column or map it with --columns {lack}=HEADER"))
    unused = [h for i, h in enumerate(names) if h and i not in columns.values()]
    return columns, header_units, problems, unused


def _missing(table: Table, field: str) -> Problem:
    words = ", ".join(f"'{w}'" for w in FIELDS[field][:4])
    headers = ", ".join(f"'{h}'" for h in table.headers if h)
    extra = " (or an ISIC Rev.4 column)" if field == "kbli" else ""
    return table.problem(table.header_row, None,
                         f"missing column: {DESCRIPTIONS[field]}{extra}; no header is one of {words} ...; "
                         f"the headers are {headers}",
                         f"name the column with --columns {field}=HEADER")


def parse_number(value) -> float:
    """A cell as a number: 120000, '120,000', '120.000' (Indonesian), '1.5e3'; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", text):     # 1.234.567,5
        return float(text.replace(".", "").replace(",", "."))
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text):     # 1,234,567.5
        return float(text.replace(",", ""))
    if re.fullmatch(r"-?\d+,\d+", text):                       # 12,5
        return float(text.replace(",", "."))
    return float(text)


def split_quantity(value) -> tuple[float, str | None]:
    """``'120000 t/yr'`` -> (120000.0, ``'t/yr'``); a bare number -> (number, None)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value), None
    text = str(value).strip()
    match = re.match(r"^(-?[\d.,\s]*\d(?:[eE][-+]?\d+)?)\s*([^\d\s].*)?$", text)
    if not match:
        raise ValueError(text)
    return parse_number(match.group(1)), (match.group(2) or None)


def parse_unit(text: str) -> tuple[str, float]:
    """``'ton/tahun'`` -> (``'t'``, 1.0), ``'GWh per year'`` -> (``'mwh'``, 1000.0); KeyError if unknown."""
    word = _PER_YEAR.sub("", str(text).strip().lower()).strip()
    word = " ".join(word.replace("/", " ").split()) if word not in UNITS else word
    return UNITS[word]


def parse_kind(text: str) -> str:
    return KINDS[normalise(text)]
