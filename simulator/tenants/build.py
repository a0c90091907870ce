"""Tenants -> firms scaled from archetypes -> a commented scenario that validates.

Scaling (per tenant): capacity per day = capacity per year / operating days (365, or 365 x 6/7
for archetypes closed one day a week); recipe coefficients are per unit of product and do not
scale; employees, when the table gives none, = jobs per 1,000 units x capacity / 1,000; fixed
costs = cost per unit x capacity. With employees but no capacity, capacity = employees / jobs
per 1,000 units x 1,000; with neither, the archetype's typical size. ``loss`` closes each mass
balance (tonnes, and cubic metres for water). Firm kind: from the table, else from employees
(BPS: fewer than 100 workers is small or medium industry, IKM), else the archetype's.

Every number taken from an archetype carries a comment with its source key or ``illustrative``
and its range; what had to be guessed is listed at the end of the file and returned.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import geo
from ..config import CONSERVED_UNITS
from ..errors import Problem, ScenarioError, did_you_mean
from .columns import locate, parse_kind, parse_mapping, parse_number, parse_unit, split_quantity
from .library import ILLUSTRATIVE, Coef, Library, as_coef, load_library
from .table import Table, read_table

SME_MAX_EMPLOYEES = 100
FUEL_NOTE = ("fuel: a secondary material in its place is energy recovery, not recycling (Waste Framework "
             "Directive 2008/98/EC, Annex II R1 and Art. 3(17))")
"""BPS size classes of manufacturing: large industry from 100 workers; below, small and medium (IKM)."""
GRID_SPACING_KM = 0.3
"""Spacing of tenants without a location, laid out on a grid (illustrative)."""
LAT_LON_DECIMALS = 6


@dataclass
class Tenant:
    row: int
    name: str
    code: str                      # archetype KBLI code used
    matched: str                   # how the code was matched, for the comment
    capacity: float | None         # product units per year
    capacity_note: str
    employees: float | None
    kind: str | None
    plot_ha: float | None
    xy: tuple[float, float] | None = None
    lat_lon: tuple[float, float] | None = None
    product_note: str = ""


@dataclass(frozen=True)
class Imported:
    """What ``eipsim import`` produced: the scenario text and what it had to guess."""

    text: str
    firms: int
    guesses: tuple[str, ...]
    notes: tuple[str, ...]
    origin: tuple[float, float] | None


@dataclass
class _Context:
    library: Library
    table: Table
    columns: dict[str, int]
    header_units: dict[str, str]
    problems: list[Problem] = field(default_factory=list)
    guesses: list[str] = field(default_factory=list)
    plots: dict[str, tuple[str, tuple[float, float]]] | None = None
    """plot id -> ("lat_lon" or "xy", coordinates), from the --plots table."""


def import_tenants(path: str | Path, *, estate: str, area_ha: float | None = None, sheet: str | None = None,
                   columns: str | None = None, archetypes: list[str | Path] = (), output_name: str = "scenario.yaml",
                   horizon_days: int = 365, plots: str | Path | None = None) -> Imported:
    """Read a tenant table and build a validated scenario (raises ScenarioError with every problem).
    ``plots``: a table of plot ids and their coordinates, for tenants located by plot id."""
    from ..loader import LoadedDocument, read_yaml_text
    from ..validation import build_scenario

    if area_ha is not None and not (math.isfinite(area_ha) and area_ha > 0):
        raise ScenarioError([Problem(f"--area-ha must be a number of hectares above 0, got {area_ha}")])
    library = load_library(list(archetypes))
    table = read_table(path, sheet)
    cols, header_units, problems, unused = locate(table, parse_mapping(columns))
    if problems:
        raise ScenarioError(problems)
    ctx = _Context(library, table, cols, header_units)
    if plots is not None:
        ctx.plots = _plot_table(plots)
    tenants = [t for t in (_tenant(ctx, row, cells) for row, cells in table.rows) if t is not None]
    origin = _place(ctx, tenants)
    if ctx.problems:
        raise ScenarioError(ctx.problems)
    notes = [f"column '{h}' is not used" for h in unused]
    text = _scenario_text(ctx, tenants, estate=estate, area_ha=area_ha, origin=origin, source=Path(path).name,
                          horizon_days=horizon_days)
    data, marks = read_yaml_text(text, output_name)
    variants = data.pop("variants", None) or {}
    build_scenario(LoadedDocument(data=data, sources=marks, file=output_name, chain=[output_name], variants=variants))
    return Imported(text, len(tenants), tuple(ctx.guesses), tuple(notes), origin)


# --------------------------------------------------------------------------- rows


def _tenant(ctx: _Context, row: int, cells: tuple) -> Tenant | None:
    table, cols = ctx.table, ctx.columns
    before = len(ctx.problems)

    def cell(name: str):
        return cells[cols[name]] if name in cols else ""

    def blank(name: str) -> bool:
        return str(cell(name)).strip() == ""

    def bad(name: str, message: str, hint: str = "") -> None:
        ctx.problems.append(table.problem(row, cols.get(name), message, hint))

    name = str(cell("name")).strip()
    if not name:
        bad("name", "no tenant name")
    code, matched = _archetype(ctx, row, cells)
    kind = None
    if not blank("kind"):
        try:
            kind = parse_kind(cell("kind"))
        except KeyError:
            bad("kind", f"unknown kind '{cell('kind')}'", "anchor/besar, sme/IKM/kecil/menengah, recycler, utility")
    employees = _number(ctx, row, cells, "employees", "employees")
    plot_ha = _number(ctx, row, cells, "plot_ha", "plot area")
    xy = lat_lon = None
    if "lat" in cols and not (blank("lat") and blank("lon")):
        lat, lon = _number(ctx, row, cells, "lat", "latitude", signed=True), \
            _number(ctx, row, cells, "lon", "longitude", signed=True)
        if lat is None or lon is None:
            bad("lat" if lat is None else "lon", "latitude and longitude must both be given (or both left empty)")
        elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
            bad("lat", f"latitude {lat} / longitude {lon} is not a place on earth",
                "latitude in -90..90, longitude in -180..180 (Java: about -6 to -8, 105 to 115)")
        else:
            lat_lon = (lat, lon)
    if lat_lon is None and "x_km" in cols and not (blank("x_km") and blank("y_km")):
        x, y = _number(ctx, row, cells, "x_km", "x", signed=True), _number(ctx, row, cells, "y_km", "y", signed=True)
        if x is None or y is None:
            bad("x_km" if x is None else "y_km", "x and y must both be given (or both left empty)")
        else:
            xy = (x, y)
    if lat_lon is None and xy is None and not blank("plot"):
        plot = _plot_id(cell("plot"))
        if ctx.plots is None:
            bad("plot", f"plot '{plot}' but no plot table", "give the plots' coordinates with --plots FILE")
        elif plot not in ctx.plots:
            bad("plot", f"plot '{plot}' is not in the plot table",
                did_you_mean(plot, ctx.plots) or f"{len(ctx.plots)} plots are listed there")
        else:
            form, point = ctx.plots[plot]
            lat_lon, xy = (point, None) if form == "lat_lon" else (None, point)
    capacity, capacity_note = (None, "")
    if code is not None:
        capacity, capacity_note = _capacity(ctx, row, cells, code)
    if len(ctx.problems) > before:
        return None
    product = str(cell("product")).strip()
    return Tenant(row, name, code, matched, capacity, capacity_note, employees, kind, plot_ha, xy, lat_lon,
                  product_note=product)


def _plot_id(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _plot_table(path: str | Path) -> dict[str, tuple[str, tuple[float, float]]]:
    """Plot id -> ("lat_lon" | "xy", coordinates) from a plot table; every problem at once."""
    table = read_table(path)
    cols, _, problems, _ = locate(table, {}, required=("plot",))
    if not problems and "lat" not in cols and "x_km" not in cols:
        problems.append(table.problem(table.header_row, None, "the plot table has no location columns",
                                      "latitude/longitude (Lintang/Bujur) or x (km)/y (km)"))
    if problems:
        raise ScenarioError(problems)
    ctx = _Context(Library(), table, cols, {})
    found: dict[str, tuple[str, tuple[float, float]]] = {}
    names = ("lat", "lon", "lat_lon") if "lat" in cols else ("x_km", "y_km", "xy")
    for row, cells in table.rows:
        plot = _plot_id(cells[cols["plot"]])
        if not plot:
            ctx.problems.append(table.problem(row, cols["plot"], "no plot id"))
            continue
        if plot in found:
            ctx.problems.append(table.problem(row, cols["plot"], f"plot '{plot}' is listed twice"))
            continue
        before = len(ctx.problems)
        a = _number(ctx, row, cells, names[0], names[0], signed=True)
        b = _number(ctx, row, cells, names[1], names[1], signed=True)
        if a is None or b is None:
            if len(ctx.problems) == before:  # empty cells (a cell that is not a number said so already)
                ctx.problems.append(table.problem(row, cols[names[0]], f"plot '{plot}' has no {names[2]}"))
            continue
        if names[2] == "lat_lon" and not (-90 <= a <= 90 and -180 <= b <= 180):
            ctx.problems.append(table.problem(row, cols["lat"], f"latitude {a} / longitude {b} is not a place on earth"))
            continue
        found[plot] = (names[2], (a, b))
    if ctx.problems:
        raise ScenarioError(ctx.problems)
    return found


def _number(ctx: _Context, row: int, cells: tuple, name: str, what: str, signed: bool = False) -> float | None:
    if name not in ctx.columns or str(cells[ctx.columns[name]]).strip() == "":
        return None
    raw = cells[ctx.columns[name]]
    try:
        value = parse_number(raw)
    except ValueError:
        ctx.problems.append(ctx.table.problem(row, ctx.columns[name], f"'{raw}' is not a number ({what})"))
        return None
    if not math.isfinite(value):
        ctx.problems.append(ctx.table.problem(row, ctx.columns[name], f"{what} must be a finite number"))
        return None
    if value < 0 and not signed:
        ctx.problems.append(ctx.table.problem(row, ctx.columns[name], f"negative {what}: {raw}",
                                              "sizes are 0 or more; leave the cell empty if unknown"))
        return None
    return value


def _archetype(ctx: _Context, row: int, cells: tuple) -> tuple[str | None, str]:
    """KBLI code of the archetype for a row and how it was matched."""
    library, cols = ctx.library, ctx.columns
    name = "kbli" if "kbli" in cols and str(cells[cols["kbli"]]).strip() else ("isic" if "isic" in cols else "kbli")
    raw = cells[cols[name]] if name in cols else ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    digits = re.sub(r"^[A-Za-z]\s*", "", text).replace(".", "").replace(" ", "")
    label = "KBLI" if name == "kbli" else "ISIC"

    def bad(message: str, hint: str = "") -> tuple[None, str]:
        ctx.problems.append(ctx.table.problem(row, cols.get(name), message, hint))
        return None, ""

    if not text:
        return bad(f"no {label} code", "give the KBLI 2020 code (5 digits) or the ISIC Rev.4 class (4 digits)")
    if not digits.isdigit() or len(digits) not in (4, 5):
        return bad(f"'{text}' is not a KBLI 2020 code (5 digits) or an ISIC Rev.4 class (4 digits)")
    if len(digits) == 5 and digits in library.archetypes:
        return digits, f"KBLI {digits}"
    isic = digits[:4]
    candidates = library.by_isic(isic)
    if not candidates:
        known = ", ".join(sorted({a["isic"] for a in library.archetypes.values()}))
        return bad(f"unknown {label} code '{text}': no archetype of KBLI {digits if len(digits) == 5 else ''}"
                   f"{' / ' if len(digits) == 5 else ''}ISIC class {isic} in the library",
                   f"add an archetype with --archetypes my.yaml (docs/archetypes.md); ISIC classes known: {known}")
    chosen = candidates[0]
    what = f"KBLI {digits} is not in the library" if len(digits) == 5 else f"ISIC class {isic}"
    others = f" (also of this class: {', '.join(candidates[1:])})" if len(candidates) > 1 else ""
    if len(digits) == 5 or len(candidates) > 1:
        ctx.guesses.append(f"row {row} ({_cell_text(cells, cols, 'name')}): {what}: used archetype {chosen} "
                           f"{library.archetypes[chosen]['label']} of ISIC class {isic}{others}")
    return chosen, f"{label} {text} -> ISIC {isic}"


def _cell_text(cells: tuple, cols: dict, name: str) -> str:
    return str(cells[cols[name]]).strip() if name in cols else ""


def _capacity(ctx: _Context, row: int, cells: tuple, code: str) -> tuple[float | None, str]:
    """Yearly capacity in the archetype's product unit, and how it was read."""
    cols, library = ctx.columns, ctx.library
    if "capacity" not in cols or str(cells[cols["capacity"]]).strip() == "":
        return None, ""
    col = cols["capacity"]
    raw = cells[col]
    try:
        value, inline = split_quantity(raw)
    except ValueError:
        ctx.problems.append(ctx.table.problem(row, col, f"'{raw}' is not a quantity (capacity per year)"))
        return None, ""
    if value < 0:
        ctx.problems.append(ctx.table.problem(row, col, f"negative capacity: {raw}",
                                              "sizes are 0 or more; leave the cell empty if unknown"))
        return None, ""
    if value == 0:
        ctx.problems.append(ctx.table.problem(row, col, "capacity 0: a firm that makes nothing",
                                              "leave the cell empty if the capacity is unknown"))
        return None, ""
    archetype = library.archetypes[code]
    product_unit = library.materials[archetype["product"]].get("unit", "t")
    unit_text = inline or (_cell_text(cells, cols, "unit") or None) or ctx.header_units.get("capacity")
    if unit_text is None:
        ctx.guesses.append(f"row {row} ({_cell_text(cells, cols, 'name')}): capacity {raw} has no unit: read as "
                           f"{product_unit} of {archetype['product']} per year")
        return value, f"{_fmt(value)} {product_unit}/yr (unit guessed)"
    try:
        unit, factor = parse_unit(unit_text)
    except KeyError:
        where = cols.get("unit", col) if not inline and "unit" in cols and _cell_text(cells, cols, "unit") else col
        ctx.problems.append(ctx.table.problem(row, where, f"unknown unit '{unit_text}'",
                                              "t, kg, kt, MWh, GWh, m3, liter, pcs (per year)"))
        return None, ""
    if unit == product_unit:
        return value * factor, f"{_fmt(value)} {unit_text}"
    if unit == "pcs" and product_unit == "t" and "piece_t" in archetype:
        piece = float(archetype["piece_t"])
        ctx.guesses.append(f"row {row} ({_cell_text(cells, cols, 'name')}): {_human(value)} pieces read as "
                           f"{_human(value * factor * piece)} t at {piece * 1000:g} kg per piece (illustrative)")
        return value * factor * piece, f"{_fmt(value)} {unit_text} x {piece * 1000:g} kg"
    ctx.problems.append(ctx.table.problem(
        row, col, f"capacity in {unit} but archetype {code} ({archetype['label']}) measures its product "
                  f"{archetype['product']} in {product_unit}", f"give the capacity in {product_unit} per year"))
    return None, ""


# --------------------------------------------------------------------------- locations


def _place(ctx: _Context, tenants: list[Tenant]) -> tuple[float, float] | None:
    """Project lat/lon to km around their centroid; lay tenants without a location on a grid."""
    with_ll = [t for t in tenants if t.lat_lon is not None]
    with_xy = [t for t in tenants if t.xy is not None]
    if with_ll and with_xy:
        first = with_xy[0]
        ctx.problems.append(ctx.table.problem(
            first.row, ctx.columns.get("x_km"), "some rows give latitude/longitude and others x/y in km: "
            "their relation is unknown", "give every location in one form"))
        return None
    origin = None
    if with_ll:
        lat0 = round(sum(t.lat_lon[0] for t in with_ll) / len(with_ll), LAT_LON_DECIMALS)
        lon0 = round(sum(t.lat_lon[1] for t in with_ll) / len(with_ll), LAT_LON_DECIMALS)
        origin = (lat0, lon0)
        for t in with_ll:
            t.xy = geo.to_km(*t.lat_lon, origin)
    placed = [t.xy for t in tenants if t.xy is not None]
    missing = [t for t in tenants if t.xy is None]
    if missing:
        if placed:
            x0 = max(p[0] for p in placed) + 2 * GRID_SPACING_KM
            y0 = min(p[1] for p in placed)
        else:
            x0 = y0 = 0.0
        side = math.ceil(math.sqrt(len(missing)))
        for k, t in enumerate(missing):
            t.xy = (x0 + (k % side) * GRID_SPACING_KM, y0 + (k // side) * GRID_SPACING_KM)
            ctx.guesses.append(f"row {t.row} ({t.name}): no location: placed at ({t.xy[0]:.2f}, {t.xy[1]:.2f}) km "
                               f"on a grid {'east of the located tenants' if placed else ''}".rstrip())
    return origin


# --------------------------------------------------------------------------- scenario text


def _fmt(value: float) -> str:
    """6 significant digits, or every digit when 6 would change the value (coordinates)."""
    if value == 0:
        return "0"
    text = format(float(value), ".6g")
    return text if float(text) == value else repr(float(value))


def _human(value: float) -> str:
    """A number for messages: 5,000,000 rather than 5e+06."""
    return f"{value:,.0f}" if abs(value) >= 100 else _fmt(value)


def _round(value: float) -> float:
    return float(_fmt(value))


def _yaml_scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _fmt(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml_scalar(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value), ensure_ascii=False)


class _Writer:
    def __init__(self):
        self.lines: list[str] = []

    def line(self, indent: int, key: str, value=None, comment: str = "") -> None:
        text = " " * indent + f"{key}:" + ("" if value is None else f" {_yaml_scalar(value)}")
        if comment:
            text += "  # " + comment.replace("\n", " ")
        self.lines.append(text)

    def comment(self, text: str = "", indent: int = 0) -> None:
        self.lines.append(" " * indent + ("# " + text if text else "#"))

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _slug(text: str, fallback: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:56].strip("_")
    if not slug or not slug[0].isalpha():
        slug = f"{fallback}_{slug}".strip("_")
    return slug


def _unit(library: Library, archetype: dict) -> str:
    return library.materials[archetype["product"]].get("unit", "t")


def scenario_name(estate: str) -> str:
    """The scenario name (and default file name) made from an estate's name."""
    return _slug(estate, "estate")


def _operating_days(archetype: dict) -> float:
    return 365.0 * (7 - len(archetype.get("closed_weekdays", []))) / 7


def _scenario_text(ctx: _Context, tenants: list[Tenant], *, estate: str, area_ha: float | None,
                   origin: tuple[float, float] | None, source: str, horizon_days: int) -> str:
    library = ctx.library
    out = _Writer()
    firms = _Writer()
    used_materials: dict[str, None] = {}
    used_sources: dict[str, None] = {}
    ids: set[str] = set()

    def note(coef: Coef) -> str:
        if coef.source != ILLUSTRATIVE:
            used_sources[coef.source] = None
        return coef.note(library.sources)

    for t in tenants:
        a = library.archetypes[t.code]
        fid = _slug(t.name, "tenant")
        base, n = fid, 2
        while fid in ids:
            fid, n = f"{base}_{n}", n + 1
        ids.add(fid)
        capacity, capacity_note = t.capacity, t.capacity_note
        jobs = as_coef(a["jobs_per_1000_units"])
        if capacity is None and t.employees:
            capacity = t.employees / jobs.value * 1000
            ctx.guesses.append(f"row {t.row} ({t.name}): no capacity: {_human(capacity)} {_unit(library, a)} of {a['product']} per year from "
                               f"{_fmt(t.employees)} employees at {jobs.value:g} jobs per 1,000 units ({note(jobs)})")
            capacity_note = f"from employees ({note(jobs)})"
        elif capacity is None:
            capacity = float(a["typical_per_year"])
            ctx.guesses.append(f"row {t.row} ({t.name}): no capacity or employees: typical size of archetype "
                               f"{t.code}, {_human(capacity)} {_unit(library, a)} of {a['product']} per year (illustrative)")
            capacity_note = "typical size of the archetype (illustrative)"
        employees, employees_note = t.employees, "table"
        if employees is None:
            employees = jobs.value * capacity / 1000
            employees_note = f"{jobs.value:g} jobs per 1,000 units: {note(jobs)}"
        if t.kind:
            kind, kind_note = t.kind, "table"
        elif a["kind"] in ("anchor", "sme") and t.employees is not None:
            kind = "sme" if t.employees < SME_MAX_EMPLOYEES else "anchor"
            kind_note = f"{_fmt(t.employees)} employees (BPS: IKM below {SME_MAX_EMPLOYEES})"
        else:
            kind, kind_note = a["kind"], f"archetype {t.code}"
        days = _operating_days(a)
        firms.comment(f"row {t.row}: {t.name} | {t.matched} -> archetype {t.code} {a['label']} (ISIC {a['isic']})"
                      + (f" | product in table: {t.product_note}" if t.product_note else ""), 2)
        firms.line(2, fid)
        firms.line(4, "label", t.name)
        firms.line(4, "kind", kind, kind_note)
        firms.line(4, "sector", f"{t.code} {a['label']}")
        firms.line(4, "location_km", [round(t.xy[0], 4), round(t.xy[1], 4)],
                   "projected from lat_lon" if t.lat_lon else "")
        if t.lat_lon:
            firms.line(4, "lat_lon", [round(t.lat_lon[0], LAT_LON_DECIMALS), round(t.lat_lon[1], LAT_LON_DECIMALS)])
        if t.plot_ha is not None:
            firms.line(4, "plot_ha", t.plot_ha, "table")
        used_materials[a["product"]] = None
        util = as_coef(a["utilisation"]) if "utilisation" in a else None
        product = {"material": a["product"], "capacity_per_day": _round(capacity / days)}
        pnote = f"capacity: {capacity_note or 'table'} / {days:.0f} operating days"
        if util:
            product["utilisation"] = util.value
            pnote += f"; utilisation: {note(util)}"
        if "region_sales_share" in a:
            share = as_coef(a["region_sales_share"])
            product["region_sales_share"] = share.value
            pnote += f"; region_sales_share: {note(share)}"
        firms.line(4, "product", product, pnote)
        recipe_in: dict[str, float] = {}
        firms.line(4, "inputs")
        for name, entry in a["inputs"].items():
            used_materials[name] = None
            per_unit = as_coef(entry)
            recipe_in[name] = per_unit.value
            if isinstance(entry, dict) and (entry.get("substitutes") or "park_share" in entry):
                firms.line(6, name)
                firms.line(8, "per_unit", per_unit.value, note(per_unit))
                if "park_share" in entry:
                    share = as_coef(entry["park_share"])
                    firms.line(8, "park_share", share.value, note(share))
                if entry.get("substitutes"):
                    firms.line(8, "substitutes")
                    for sub, rule in entry["substitutes"].items():
                        used_materials[sub] = None
                        ratio, cap = as_coef(rule["ratio"]), as_coef(rule["max_share"])
                        firms.line(10, sub, {"ratio": ratio.value, "max_share": cap.value},
                                   f"ratio {note(ratio)}; max_share {note(cap)}")
            else:
                firms.line(6, name, per_unit.value, note(per_unit))
        outputs = {name: as_coef(c) for name, c in (a.get("outputs") or {}).items()}
        losses = _losses(library, a["product"], recipe_in, {k: c.value for k, c in outputs.items()}, t.code)
        firms.line(4, "outputs", None if outputs or losses else {})
        for name, coef in outputs.items():
            used_materials[name] = None
            firms.line(6, name, coef.value, note(coef))
        for key, value in losses.items():
            firms.line(6, key, value, "closes the mass balance (emissions, evaporation, what the firm burns itself)")
        if "cv" in a:
            cv = as_coef(a["cv"])
            firms.line(4, "variability", {"distribution": "normal", "cv": cv.value}, f"cv {note(cv)}")
        if a.get("closed_weekdays"):
            firms.line(4, "calendar", {"closed_weekdays": a["closed_weekdays"]}, "illustrative")
        firms.line(4, "employees", _round(employees), employees_note)
        for key in ("wage_per_year", "local_staff_share", "local_purchase_share"):
            if key in a:
                coef = as_coef(a[key])
                firms.line(4, key, coef.value, note(coef))
        if "fixed_cost_per_unit" in a:
            coef = as_coef(a["fixed_cost_per_unit"])
            firms.line(4, "fixed_cost_per_year", _round(coef.value * capacity),
                       f"{_fmt(coef.value)} IDR per unit of capacity: {note(coef)}")
        if a.get("b3_licence"):
            firms.line(4, "b3_licence", True, "archetype")

    name = scenario_name(estate)
    out.comment(f"{estate}: scenario imported by `eipsim import` from {source} ({len(tenants)} tenants).")
    out.comment()
    out.comment("Every firm is an archetype of the eipsim library (simulator/data/archetypes.yaml, documented")
    out.comment("in docs/archetypes.md) scaled to the tenant's size. Each number taken from an archetype says")
    out.comment("where it comes from: a source key (full citations below) or `illustrative` with the range a")
    out.comment("study should vary. What the importer had to guess is listed at the end of this file.")
    if origin is not None:
        out.comment(f"Locations: {geo.describe(origin)}; each firm keeps its lat_lon.")
    out.comment()
    out.comment("Sources:")
    for key in used_sources:
        out.comment(f"  {key}: {library.sources[key]}")
    for key in {m.get("source"): None for mat, m in library.materials.items() if mat in used_materials}:
        if key and key not in used_sources:
            out.comment(f"  {key}: {library.sources[key]}")
    out.line(0, "schema_version", 1)
    out.line(0, "name", name)
    out.line(0, "description", f"{estate}, imported from the tenant list {source} ({len(tenants)} tenants).")
    out.line(0, "currency", "IDR")
    out.line(0, "run", {"horizon_days": horizon_days, "seed": 20241006})
    out.line(0, "park")
    if area_ha is not None:
        out.line(2, "area_ha", area_ha, "--area-ha")
    if origin is not None:
        out.line(2, "geo_origin", list(origin), "mean latitude/longitude of the tenants (projection origin)")
    out.line(2, "default_storage_days", 7, "eipsim default (illustrative)")
    out.line(0, "region", {"household_local_spending_share": 0.6, "supplier_local_respend_share": 0.4,
                           "supplier_wage_share": 0.3, "supplier_jobs_per_million": 0.01},
             "illustrative, as in scenarios/demo.yaml: one regional job per 100 million IDR of sales")
    out.line(0, "materials")
    for mat in library.materials:
        if mat not in used_materials:
            continue
        spec = {k: v for k, v in library.materials[mat].items() if k != "source"}
        src = library.materials[mat].get("source")
        note = f"{src}" if src else "prices and factors illustrative (IDR 2024)"
        if spec.get("fuel"):
            note += f"; {FUEL_NOTE}"
        out.line(2, mat, spec, note)
    out.line(0, "firms")
    out.lines.extend(firms.lines)
    out.line(0, "variants")
    out.line(2, "platform", {"platform": {"opens_day": 0, "coverage": 0.9, "discovery_multiplier": 4,
                                          "fee_per_year": 1.2e7}},
             "a digital by-product exchange; firms join when they expect more than the fee (IDR a year; illustrative)")
    out.comment()
    out.comment("-" * 94)
    if ctx.guesses:
        out.comment(f"What the importer guessed ({len(ctx.guesses)}): check these before relying on the results.")
        for guess in ctx.guesses:
            out.comment(f"  {guess}")
    else:
        out.comment("The importer guessed nothing: every tenant had a code in the library, a size and a location.")
    return out.text()


def _losses(library: Library, product: str, inputs: dict[str, float], outputs: dict[str, float],
            code: str) -> dict[str, float]:
    """``loss`` (t) and ``loss_m3`` that close the recipe's balances; a ScenarioError if it cannot close."""
    def conserved(material: str, quantity: float) -> dict[str, float]:
        spec = library.materials[material]
        unit = spec.get("unit", "t")
        if unit in CONSERVED_UNITS:
            return {unit: quantity}
        mass = spec.get("mass_t_per_unit", 0.0)
        return {"t": quantity * mass} if mass else {}

    balance = {u: 0.0 for u in CONSERVED_UNITS}
    for name, q in inputs.items():
        for unit, v in conserved(name, q).items():
            balance[unit] += v
    for name, q in [(product, 1.0), *outputs.items()]:
        for unit, v in conserved(name, q).items():
            balance[unit] -= v
    losses = {}
    for unit, gap in balance.items():
        if gap < -1e-9:
            raise ScenarioError([Problem(f"archetype {code}: inputs are {-gap:.6g} {unit} per unit smaller than the "
                                         "product and outputs; the recipe cannot balance",
                                         path=f"archetypes.{code}")])
        if gap > 1e-12:
            losses["loss" if unit == "t" else f"loss_{unit}"] = _round(gap)
    return losses
