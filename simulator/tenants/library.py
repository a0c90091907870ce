"""The archetype library: industries of Indonesian estates keyed by KBLI 2020, with ISIC Rev.4 class.

The bundled file is ``simulator/data/archetypes.yaml`` (its header explains the format); users
extend or override it with their own files (``--archetypes my.yaml``): archetypes, materials and
sources of a later file replace those of the same key. Every coefficient is ``[value, low,
high]`` (illustrative) or ``[value, low, high, SOURCE]`` with SOURCE a key of ``sources``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem, ScenarioError, did_you_mean
from ..loader import SourceMap, format_path, read_yaml_file

BUNDLED = Path(__file__).resolve().parent.parent / "data" / "archetypes.yaml"
ILLUSTRATIVE = "illustrative"
COEFFICIENTS = ("utilisation", "jobs_per_1000_units", "wage_per_year", "local_staff_share", "local_purchase_share",
                "fixed_cost_per_unit", "region_sales_share", "cv")
"""Firm-level coefficients an archetype may give (besides its recipe)."""
REQUIRED = ("label", "isic", "kind", "product", "typical_per_year", "inputs", "jobs_per_1000_units",
            "wage_per_year")
OPTIONAL = ("outputs", "piece_t", "closed_weekdays", "b3_licence", *COEFFICIENTS)
KINDS = ("anchor", "sme", "recycler", "utility", "service")
MATERIAL_KEYS = ("label", "unit", "category", "price_per_unit", "disposal_cost_per_unit", "co2e_t_per_unit",
                 "disposal_co2e_t_per_unit", "hazardous", "storable", "shelf_life_days", "mass_t_per_unit", "fuel", "source")


@dataclass(frozen=True)
class Coef:
    """A coefficient: the value used, its plausible range and its source (or ``illustrative``)."""

    value: float
    low: float
    high: float
    source: str = ILLUSTRATIVE

    def note(self, sources: dict[str, str]) -> str:
        """``source: citation`` or ``illustrative, range low-high`` for a YAML comment."""
        if self.source != ILLUSTRATIVE:
            return f"{self.source} (range {_num(self.low)}-{_num(self.high)})"
        return f"illustrative, range {_num(self.low)}-{_num(self.high)}"


@dataclass
class Library:
    """Materials, archetypes and sources of one or more library files (later files win)."""

    sources: dict[str, str] = field(default_factory=dict)
    materials: dict[str, dict] = field(default_factory=dict)
    archetypes: dict[str, dict] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    marks: dict[tuple[str, str], SourceMap] = field(default_factory=dict, repr=False)
    """(section, key) -> source map of the file that gave it, for problems with file:line."""

    def by_isic(self, isic: str) -> list[str]:
        """KBLI codes of the archetypes of ISIC class ``isic``, library order."""
        return [code for code, a in self.archetypes.items() if a["isic"] == isic]

    def coef(self, code: str, *keys: str) -> Coef | None:
        """A coefficient of archetype ``code`` at ``keys`` (``"inputs", "coal", "per_unit"``)."""
        node = self.archetypes[code]
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return as_coef(node)


def as_coef(node) -> Coef | None:
    if isinstance(node, dict):  # an input written as {per_unit: [...], substitutes: ...}
        node = node.get("per_unit")
    if isinstance(node, list) and len(node) in (3, 4):
        return Coef(float(node[0]), float(node[1]), float(node[2]), str(node[3]) if len(node) == 4 else ILLUSTRATIVE)
    return None


def load_library(extra: list[str | Path] = ()) -> Library:
    """The bundled library, then each file of ``extra`` over it; every problem of every file at once."""
    library, problems = Library(), []
    for path in [BUNDLED, *extra]:
        data, marks = read_yaml_file(path)
        found: list[Problem] = []
        if not isinstance(data, dict):
            found.append(Problem("an archetype library is a mapping with `archetypes:` (and `materials:`, "
                                 "`sources:`)", mark=marks.lookup(())))
            problems.extend(found)
            continue
        for key in ("sources", "materials", "archetypes"):
            section = data.get(key) or {}
            if not isinstance(section, dict):
                found.append(_problem(marks, (key,), f"`{key}` must be a mapping"))
                continue
            getattr(library, key).update({str(k): v for k, v in section.items()})
            library.marks.update({(key, str(k)): marks for k in section})
        library.files.append(str(path))
        problems.extend(found)
    if not problems:
        problems.extend(_check(library))
    if problems:
        raise ScenarioError(problems)
    return library


def _problem(marks: SourceMap, path: tuple, message: str, hint: str = "") -> Problem:
    return Problem(message, path=format_path(path), mark=marks.lookup(path), hint=hint)


def _check(library: Library) -> list[Problem]:
    """Structure of the merged library: fields, materials named, coefficients with a source or range."""
    problems = []

    def bad(path: tuple, message: str, hint: str = "") -> None:
        marks = library.marks.get(path[:2])
        problems.append(Problem(message, path=format_path(path), mark=marks.lookup(path) if marks else None,
                                hint=hint))

    for name, spec in library.materials.items():
        if not isinstance(spec, dict):
            bad(("materials", name), "a material is a mapping (label, category, price_per_unit ...)")
            continue
        for key in spec:
            if key not in MATERIAL_KEYS:
                bad(("materials", name, key), f"unknown material field '{key}'", did_you_mean(key, MATERIAL_KEYS))
        if spec.get("source") and spec["source"] not in library.sources:
            bad(("materials", name, "source"), f"unknown source '{spec['source']}'",
                did_you_mean(spec["source"], library.sources))
    for code, spec in library.archetypes.items():
        here = ("archetypes", code)
        if not (code.isdigit() and len(code) == 5):
            bad(here, f"'{code}' is not a 5-digit KBLI 2020 code", "quote the code: \"10431\"")
        if not isinstance(spec, dict):
            bad(here, "an archetype is a mapping (label, isic, kind, product, inputs ...)")
            continue
        for key in REQUIRED:
            if key not in spec:
                bad(here, f"missing field '{key}'")
        for key in spec:
            if key not in REQUIRED and key not in OPTIONAL:
                bad(here + (key,), f"unknown archetype field '{key}'", did_you_mean(key, REQUIRED + OPTIONAL))
        if not (isinstance(spec.get("isic"), str) and len(spec["isic"]) == 4 and spec["isic"].isdigit()):
            bad(here + ("isic",), "isic must be a 4-digit ISIC Rev.4 class, quoted (\"1040\")")
        if spec.get("kind") not in KINDS:
            bad(here + ("kind",), f"kind must be one of {', '.join(KINDS)}")
        if spec.get("product") not in library.materials:
            bad(here + ("product",), f"unknown material '{spec.get('product')}'",
                did_you_mean(str(spec.get("product")), library.materials))
        if not isinstance(spec.get("typical_per_year"), (int, float)) or spec.get("typical_per_year", 0) <= 0:
            bad(here + ("typical_per_year",), "typical_per_year must be a number above 0 (product units per year)")
        for key in COEFFICIENTS:
            if key in spec:
                _check_coef(spec[key], here + (key,), library, bad)
        for name, entry in (spec.get("inputs") or {}).items():
            _check_material(name, here + ("inputs", name), library, bad)
            if isinstance(entry, dict):
                _check_coef(entry.get("per_unit"), here + ("inputs", name, "per_unit"), library, bad)
                if "park_share" in entry:
                    _check_coef(entry["park_share"], here + ("inputs", name, "park_share"), library, bad)
                for sub, rule in (entry.get("substitutes") or {}).items():
                    _check_material(sub, here + ("inputs", name, "substitutes", sub), library, bad)
                    for part in ("ratio", "max_share"):
                        _check_coef((rule or {}).get(part), here + ("inputs", name, "substitutes", sub, part),
                                    library, bad)
            else:
                _check_coef(entry, here + ("inputs", name), library, bad)
        for name, entry in (spec.get("outputs") or {}).items():
            _check_material(name, here + ("outputs", name), library, bad)
            _check_coef(entry, here + ("outputs", name), library, bad)
    return problems


def _check_material(name: str, path: tuple, library: Library, bad) -> None:
    if name not in library.materials:
        bad(path, f"unknown material '{name}'", did_you_mean(name, library.materials) or "add it under `materials:`")


def _check_coef(node, path: tuple, library: Library, bad) -> None:
    ok = (isinstance(node, list) and len(node) in (3, 4)
          and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in node[:3]))
    if not ok:
        bad(path, "a coefficient is [value, low, high] (illustrative) or [value, low, high, SOURCE]")
        return
    value, low, high = node[:3]
    if not low <= value <= high:
        bad(path, f"value {value} is outside its range {low}-{high}")
    if len(node) == 4 and node[3] not in library.sources:
        bad(path, f"unknown source '{node[3]}'", did_you_mean(str(node[3]), library.sources) or
            "add it under `sources:` with its full citation")


def _num(value: float) -> str:
    return format(value, ",.6g") if abs(value) >= 1000 else format(value, ".6g")


BEGIN, END = "<!-- BEGIN ARCHETYPE TABLE -->", "<!-- END ARCHETYPE TABLE -->"


def coefficients(archetype: dict) -> list[tuple[str, Coef]]:
    """(name, coefficient) of every coefficient of an archetype, recipe first."""
    found = []
    for name, entry in archetype["inputs"].items():
        found.append((f"inputs.{name}", as_coef(entry)))
        if isinstance(entry, dict):
            if "park_share" in entry:
                found.append((f"inputs.{name}.park_share", as_coef(entry["park_share"])))
            for sub, rule in (entry.get("substitutes") or {}).items():
                for part in ("ratio", "max_share"):
                    found.append((f"inputs.{name}.substitutes.{sub}.{part}", as_coef(rule[part])))
    for name, entry in (archetype.get("outputs") or {}).items():
        found.append((f"outputs.{name}", as_coef(entry)))
    found.extend((key, as_coef(archetype[key])) for key in COEFFICIENTS if key in archetype)
    return found


def markdown_reference(library: Library | None = None) -> str:
    """docs/archetypes.md tables: every archetype, then every coefficient with its range and source."""
    library = library or load_library()
    lines = [BEGIN, "", "### Archetypes", "",
             "| KBLI 2020 | ISIC Rev.4 | archetype | kind | product (unit) | typical size per year | "
             "by-products and wastes per unit of product | published coefficients |",
             "|---|---|---|---|---|---|---|---|"]
    for code, a in library.archetypes.items():
        unit = library.materials[a["product"]].get("unit", "t")
        outputs = ", ".join(f"{name} {as_coef(c).value:g}" for name, c in (a.get("outputs") or {}).items()) or "-"
        cited = sorted({c.source for _, c in coefficients(a) if c.source != ILLUSTRATIVE})
        lines.append(f"| {code} | {a['isic']} | {a['label']} | {a['kind']} | {a['product']} ({unit}) | "
                     f"{a['typical_per_year']:,.0f} | {outputs} | {', '.join(cited) or 'none (illustrative)'} |")
    lines += ["", "### Coefficients", "",
              "Value used, the range a study should vary, and the source (`illustrative`: no published source).",
              "", "| KBLI | coefficient | value | range | source |", "|---|---|---|---|---|"]
    for code, a in library.archetypes.items():
        for name, c in coefficients(a):
            lines.append(f"| {code} | `{name}` | {c.value:g} | {c.low:g} - {c.high:g} | {c.source} |")
    lines += ["", "### Sources", ""]
    lines += [f"- `{key}`: {text}" for key, text in library.sources.items()]
    lines += ["", END]
    return "\n".join(lines)
