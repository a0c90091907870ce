"""From a loaded YAML document to a validated :class:`~simulator.config.Scenario`, or every problem.

Two passes, both gathered before anything is reported:

1. *structure*: pydantic checks types, ranges and unknown keys of the whole document;
2. *meaning*: references between materials, firms, exchanges and events, and recipe balances,
   checked on every part that passed the first pass.

Each problem carries the file, line and column of the offending value (from the loader's
source map), the dotted path of the field and, where possible, a hint such as ``did you mean``.
"""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path
from typing import Any, Iterable, Mapping

import pydantic
from pydantic import BaseModel

from . import config
from .config import BOUNDARY_NODES, CONSERVED_UNITS, LOSS_KEY, ExchangeSpec, FirmSpec, Material, Scenario
from .errors import Problem, ScenarioError, did_you_mean
from .compose import SENTRA_ID, composition_problems
from .layout import expand_firms
from .loader import LoadedDocument, SourceMap, deep_merge, format_path, load_document

MAX_IKM_PLOTS = 100_000
"""Most IKM firms the land lever may create (as ``count`` of one firm entry): beyond, composing the
park would take minutes and gigabytes."""
BALANCE_TOLERANCE = 1e-6
"""Relative tolerance for a recipe's balance (values are typed by hand with few decimals)."""


def load_scenario(path: str | Path, variant: str | None = None,
                  overrides: Iterable[str] = ()) -> tuple[Scenario, LoadedDocument]:
    """Read, compose and validate a scenario file.

    Returns
    -------
    (Scenario, LoadedDocument)
        The validated scenario and the document it came from (for provenance).

    Raises
    ------
    ScenarioError
        With every problem found, each naming file, line, column and field.
    """
    document = load_document(path, variant=variant, overrides=overrides, keep_going=True)
    return build_scenario(document), document


def build_scenario(document: LoadedDocument) -> Scenario:
    """Validate a loaded document; raise :class:`ScenarioError` listing all problems.

    The problems the loader kept (duplicate keys, an unknown variant, a bad override) are
    reported together with those found here.
    """
    data = copy.deepcopy(document.data)
    # A private copy: expanding archetypes adds marks that must not leak into the document.
    sources = SourceMap(dict(document.sources.marks), document.sources.default)
    problems = list(document.problems)
    orphans: set[str] = set()
    inherits: dict[str, str] = {}
    problems.extend(_expand_archetypes(data, sources, orphans, inherits))
    try:
        scenario = Scenario.model_validate(data)
    except pydantic.ValidationError as exc:
        problems.extend(p for p in _structure_problems(exc, data, sources)
                        # a firm whose archetype is unknown lacks what it would inherit: say it once
                        if not (p.message == "required field is missing"
                                and p.path.split(".")[:2] in (["firms", f] for f in orphans)))
        scenario = None
    if scenario is not None:
        materials, archetypes, firms = scenario.materials, scenario.archetypes, scenario.firms
        exchanges, events = list(enumerate(scenario.exchanges)), list(enumerate(scenario.events))
    else:
        materials = _valid_items(data.get("materials"), Material)
        archetypes = _valid_items(data.get("archetypes"), FirmSpec)
        firms = _valid_items(data.get("firms"), FirmSpec)
        exchanges = _valid_list(data.get("exchanges"), ExchangeSpec)
        events = _valid_list(data.get("events"), config.Event)
    declared = {
        section: set(data[section]) if isinstance(data.get(section), dict) else set()
        for section in ("materials", "firms")}
    found = meaning_problems(materials, archetypes, firms, exchanges, events, declared)
    if scenario is not None:
        found.extend(lever_problems(scenario))
        found.extend(uncertain_problems(scenario))
        if not found and not problems:  # the parts are sound: check the park they compose to
            found.extend(composition_problems(scenario))
    else:
        found.extend(uncertain_problems(_without_broken_uncertain(data)))
        cross, levers = _check_the_rest(data, sources, materials, archetypes, firms, exchanges, events)
        problems.extend(p for p in cross if (p.path, p.message) not in {(q.path, q.message) for q in problems})
        found.extend(levers)
    problems.extend(_with_marks(found, sources))
    problems = _drop_inherited(problems, inherits)
    if problems:
        raise ScenarioError(problems)
    return scenario


LEVER_SECTIONS = ("park", "policy", "sme", "sentra")
"""Sections the lever checks read: when one of them is broken, those checks wait for its fix."""


def _check_the_rest(data: dict, sources: SourceMap, materials, archetypes, firms, exchanges, events,
                    ) -> tuple[list[Problem], list[tuple[tuple, str, str]]]:
    """What a scenario with structural errors hides: the checks across fields (pydantic runs them
    only on a scenario whose fields all pass) and the lever checks, both made on its sound parts,
    the valid definitions and the other sections without their broken fields.

    Returns (cross-field problems, lever problems); a check that reads a field that was broken is
    left for after its fix.
    """
    rest = {**copy.deepcopy(data), "materials": dict(materials), "archetypes": dict(archetypes),
            "firms": dict(firms), "exchanges": [item for _, item in exchanges],
            "events": [item for _, item in events]}
    dropped: list[tuple] = []
    for _ in range(3):
        try:
            scenario = Scenario.model_validate(rest)
            break
        except pydantic.ValidationError as exc:
            failure = exc
        errors = failure.errors(include_url=False)
        fields = [_clean_loc(tuple(e["loc"])) for e in errors if e["type"] != "value_error"]
        if not fields:  # only checks across fields fail: those are problems of their own
            gone = [format_path(loc) for loc in dropped]
            cross = [p for p in _structure_problems(failure, rest, sources)
                     if not any(name in f"{p.path} {p.message}" for name in gone)]
            return cross, []
        if any(len(loc) < 2 or not isinstance(rest.get(loc[0]), dict) for loc in fields):
            return [], []
        for loc in fields:
            _drop_field(rest, loc)
            dropped.append(loc)
    else:
        return [], []
    if any(loc[0] in LEVER_SECTIONS for loc in dropped):
        return [], []
    declared = {name for section in ("archetypes", "firms") if isinstance(data.get(section), dict)
                for name in data[section]}
    return [], [(path, message, hint) for path, message, hint in lever_problems(scenario)
                if not (message.startswith("unknown ") and path[-1] in declared or
                        len(path) == 3 and path[:2] == ("sentra", "members") and
                        scenario.sentra.members[path[2]] in declared)]


def _drop_field(data: dict, loc: tuple) -> None:
    """Remove the deepest field of ``loc`` that exists in ``data`` (below its section)."""
    node, parent, key = data, None, None
    for part in loc:
        if not isinstance(node, (dict, list)) or (isinstance(node, dict) and part not in node) or (
                isinstance(node, list) and not (isinstance(part, int) and part < len(node))):
            break
        parent, key, node = node, part, node[part]
    if parent is not None and parent is not data:
        del parent[key]


def _drop_inherited(problems: list[Problem], inherits: Mapping[str, str]) -> list[Problem]:
    """Report a problem of an archetype once, not again for every firm that inherits it."""
    written = {(p.path, p.message) for p in problems}
    kept = []
    for problem in problems:
        parts = problem.path.split(".", 2)
        if len(parts) >= 2 and parts[0] == "firms" and parts[1] in inherits:
            same = ".".join(["archetypes", inherits[parts[1]], *parts[2:]])
            if (same, problem.message) in written:
                continue
        kept.append(problem)
    return kept


ESSENTIAL = {
    Material: ("unit", "category", "mass_t_per_unit", "hazardous", "storable"),
    FirmSpec: ("archetype", "count", "product", "inputs", "outputs", "b3_licence"),
    ExchangeSpec: ("supplier", "consumer", "material", "mode"),
}
"""Fields the meaning checks (references, balances, B3) read. A definition broken elsewhere (a
misspelt optional key, a negative wage) is still checked for meaning without the broken fields,
so that every problem is listed at once; one broken in these is skipped, not guessed at."""
_EVENT_ESSENTIAL = ("type", "firm", "material")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")


def _salvaged(value: Any, validate, essential: tuple[str, ...]):
    """``value`` validated, else validated without its broken fields outside ``essential``; None
    when that fails too (or a broken field, or an unknown key close to one, is essential)."""
    try:
        return validate(value)
    except pydantic.ValidationError as exc:
        if not isinstance(value, dict):
            return None
        broken = set()
        for error in exc.errors(include_url=False):
            loc = _clean_loc(tuple(error["loc"]))
            if not loc or loc[0] in essential or (
                    error["type"] == "extra_forbidden" and len(loc) == 1 and did_you_mean(loc[0], essential)):
                return None
            broken.add(loc[0])
    try:
        return validate({key: item for key, item in value.items() if key not in broken})
    except pydantic.ValidationError:
        return None


def _valid_items(section: Any, model: type[BaseModel]) -> dict:
    """Items of a mapping section that pass validation on their own, or without their broken
    non-essential fields (for partial checks); keys that are not valid names are left out."""
    valid = {}
    if isinstance(section, dict):
        for key, value in section.items():
            if not isinstance(key, str) or not _NAME.match(key):
                continue
            item = _salvaged(value, model.model_validate, ESSENTIAL.get(model, ()))
            if item is not None:
                valid[key] = item
    return valid


def _valid_list(section: Any, kind: Any) -> list:
    """Items of a list section that pass validation (as for :func:`_valid_items`), as (index, item) pairs."""
    adapter = pydantic.TypeAdapter(kind)
    essential = ESSENTIAL.get(kind, _EVENT_ESSENTIAL)
    valid = []
    if isinstance(section, list):
        for index, value in enumerate(section):
            item = _salvaged(value, adapter.validate_python, essential)
            if item is not None:
                valid.append((index, item))
    return valid


# --------------------------------------------------------------------------- archetypes


def _expand_archetypes(data: dict, sources: SourceMap, orphans: set[str] | None = None,
                       inherits: dict[str, str] | None = None) -> list[Problem]:
    """Merge each firm's archetype into it (the firm's own fields win), keeping source marks.

    Ids of firms naming an unknown archetype are added to ``orphans``; ``inherits`` receives
    firm id -> archetype name of the firms expanded.
    """
    orphans = set() if orphans is None else orphans
    inherits = {} if inherits is None else inherits
    problems: list[Problem] = []
    archetypes = data.get("archetypes") or {}
    firms = data.get("firms")
    if not isinstance(archetypes, dict) or not isinstance(firms, dict):
        return problems
    for name, archetype in archetypes.items():
        if isinstance(archetype, dict) and archetype.get("archetype") is not None:
            path = ("archetypes", name, "archetype")
            problems.append(Problem("an archetype cannot itself name an archetype",
                                    path=format_path(path), mark=sources.lookup(path)))
    for fid, firm in firms.items():
        if not isinstance(firm, dict) or firm.get("archetype") is None:
            continue
        name = firm["archetype"]
        base = archetypes.get(name) if isinstance(name, str) else None
        if not isinstance(base, dict):
            path = ("firms", fid, "archetype")
            known = ", ".join(sorted(archetypes)) or "none"
            problems.append(Problem(f"unknown archetype {name!r}", path=format_path(path),
                                    mark=sources.lookup(path),
                                    hint=did_you_mean(name, archetypes) or f"archetypes defined: {known}"))
            orphans.add(fid)
            continue
        merged = copy.deepcopy(base)
        merged.pop("archetype", None)
        deep_merge(merged, copy.deepcopy(firm))
        firms[fid] = merged
        _graft_inherited(sources, base, firm, ("archetypes", name), ("firms", fid))
        inherits[fid] = name
    return problems


def _graft_inherited(sources: SourceMap, base: dict, own: dict, base_path: tuple, own_path: tuple) -> None:
    """Marks of the fields a firm inherits from its archetype point into the archetype."""
    for key, value in base.items():
        if key not in own:
            sources.graft(sources, base_path + (key,), own_path + (key,))
        elif isinstance(value, dict) and isinstance(own[key], dict):
            _graft_inherited(sources, value, own[key], base_path + (key,), own_path + (key,))


# --------------------------------------------------------------------------- structure


def _structure_problems(exc: pydantic.ValidationError, data: dict, sources: SourceMap) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        loc = _clean_loc(tuple(error["loc"]))
        message, hint = _explain(error, loc)
        if error["type"] == "value_error":
            loc, message = _field_named_first(loc, message, data)
        problems.append(Problem(message, path=format_path(loc), mark=sources.lookup(loc), hint=hint))
    return problems


def _field_named_first(loc: tuple, message: str, data: Any) -> tuple[tuple, str]:
    """A check across fields says ``run.warmup_days (30) must be ...``: point at that field.

    The name is relative to the model that made the check (the whole scenario, or ``region``).

    Returns the location of the field and the message without its leading name (and value,
    which moves to the end as ``got ...``), when the field exists in the document.
    """
    match = re.match(r"(?P<path>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*) (?:\((?P<value>[^)]*)\) )?(?P<rest>.+)$",
                     message)
    if not match:
        return loc, message
    path = loc + tuple(match["path"].split("."))
    node = data
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return loc, message
        node = node[key]
    rest = match["rest"] + (f", got {match['value']}" if match["value"] is not None else "")
    return path, rest


def _clean_loc(loc: tuple) -> tuple:
    """Drop pydantic's union tags (event types, 'function-before') from an error location."""
    cleaned = []
    for i, part in enumerate(loc):
        if isinstance(part, str) and ("[" in part or part.startswith("function-")):
            continue
        if i == 2 and loc[0] == "events" and part in config.EVENT_TYPES:
            continue
        if i == 2 and loc[0] == "uncertain" and part in config.DISTRIBUTIONS:
            continue
        cleaned.append(part)
    return tuple(cleaned)


def _explain(error: dict, loc: tuple) -> tuple[str, str]:
    """Plain-words message and hint for one pydantic error."""
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx", {})
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        hint = did_you_mean(loc[-1], allowed) or (f"allowed here: {', '.join(allowed)}" if allowed else "")
        return f"unknown field '{loc[-1]}'", hint
    if kind == "missing":
        return "required field is missing", ""
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()))
        hint = "shares are fractions between 0 and 1: write 0.05 for 5%" if op.startswith("<") and bound == 1 else ""
        return f"must be {op} {bound}, got {value!r}", hint
    if kind == "finite_number":
        return f"must be a finite number, got {value!r}", ""
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
        whole = "a whole number" if kind.startswith("int") else "a number"
        return f"must be {whole}, got {value!r}", "true and false are not numbers" if value in ("true", "false") else ""
    if kind in ("bool_parsing", "bool_type"):
        return f"must be true or false, got {value!r}", ""
    if kind == "union_tag_invalid":
        expected = ctx.get("expected_tags", "")
        choices = [c.strip(" '") for c in str(expected).split(",")]
        return f"unknown type {ctx.get('tag')!r}; must be one of {expected}", did_you_mean(ctx.get("tag"), choices)
    if kind == "union_tag_not_found" and loc[:1] == ("uncertain",):
        return "missing `distribution`", f"one of {', '.join(config.DISTRIBUTIONS)}"
    if kind == "union_tag_not_found":
        return "missing `type` (what kind of event this is)", f"one of {', '.join(config.EVENT_TYPES)}"
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        choices = [c.strip(" '") for c in str(expected).replace(" or ", ",").split(",") if c.strip(" '")]
        return f"must be one of {expected}, got {value!r}", did_you_mean(value, choices)
    if kind == "string_pattern_mismatch":
        if loc[:1] == ("uncertain",):
            return (f"{value!r} is not a dotted path to a field",
                    "for example region.supplier_jobs_per_million or materials.coal.price_per_unit")
        if loc and loc[-1] == "currency":
            return f"{value!r} is not a currency code", "use the 3-letter ISO 4217 code in capitals, e.g. IDR or USD"
        return (f"{value!r} is not a valid name",
                "start with a letter or digit; use only letters, digits, '_' and '-'")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        if len(loc) == 4 and loc[0] in ("firms", "archetypes") and loc[2] == "inputs":
            return (f"must be a number (units per unit of product) or a mapping with `per_unit`, "
                    f"got {_kind_of(value)}", "for example `coal: 0.5` or `coal: {per_unit: 0.5}`")
        return f"must be a mapping of `key: value` entries, got {_kind_of(value)}", ""
    if kind in ("list_type", "tuple_type"):
        return f"must be a list, got {_kind_of(value)}", ""
    if kind in ("too_short", "too_long") and isinstance(value, (list, tuple)):
        return f"has {len(value)} item(s); expected {error['msg'].split('have ')[-1]}", ""
    if kind == "string_too_long":
        return f"must have at most {ctx.get('max_length')} characters, got {len(value):,}", ""
    if kind == "int_parsing_size":
        return f"must be a whole number of usable size, got {value!r}", ""
    if kind == "too_short":
        return "must not be empty", ""
    if kind == "string_type":
        return f"must be text, got {_kind_of(value)}", ""
    if kind == "value_error":
        return str(ctx.get("error", error["msg"])), ""
    return error["msg"], ""


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {dict: "a mapping", list: "a list", str: f"the text {value!r}", bool: f"{value}",
            int: f"the number {value}", float: f"the number {value}"}.get(type(value), type(value).__name__)


def _allowed_keys(loc: tuple) -> list[str]:
    """Field names allowed at ``loc`` of the scenario schema (for unknown-key hints)."""
    model: Any = Scenario
    for part in loc:
        model = _child_type(model, part)
        if model is None:
            return []
    return list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []


def _child_type(annotation: Any, part: Any) -> Any:
    import typing
    while True:
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part) if isinstance(part, str) else None
            return field.annotation if field else None
        if origin is typing.Annotated:
            annotation = args[0]
        elif origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            models = [a for a in args if a is not type(None)]
            if len(models) != 1:
                return None
            annotation = models[0]
        elif origin is dict:
            return args[1]
        elif origin in (list, tuple):
            return args[0]
        else:
            return None


# --------------------------------------------------------------------------- meaning


def meaning_problems(materials: Mapping[str, Material], archetypes: Mapping[str, FirmSpec],
                     firms: Mapping[str, FirmSpec], exchanges: list[tuple[int, ExchangeSpec]],
                     events: list[tuple[int, Any]], declared: Mapping[str, set] | None = None,
                     ) -> list[tuple[tuple, str, str]]:
    """Reference and balance problems as (path, message, hint); pure, usable on partial input.

    ``materials``, ``firms`` ... hold the parts that passed structural validation; ``declared``
    holds every material and firm id written, so a name whose definition is broken is not also
    reported as unknown.
    """
    declared = declared or {}
    materials = _Known(materials, declared.get("materials", set()))
    found: list[tuple[tuple, str, str]] = []
    for section, specs in (("archetypes", archetypes), ("firms", firms)):
        for fid, spec in specs.items():
            found.extend(_firm_problems((section, fid), spec, materials))
    for fid in firms:
        if fid in BOUNDARY_NODES:
            found.append((("firms", fid), f"'{fid}' is reserved for a boundary node",
                          f"boundary nodes are {', '.join(BOUNDARY_NODES)}; rename the firm"))
    instances = expand_firms(firms) if firms else []
    ids = {}
    for inst in instances:
        if inst.id in ids and ids[inst.id] != inst.entry:
            found.append((("firms", inst.entry), f"generates firm id '{inst.id}', which firm entry "
                          f"'{ids[inst.id]}' also uses", "rename one of the entries"))
        ids[inst.id] = inst.entry
    # a valid entry is known by the ids of its firms only: with a count, not by its own id
    by_id = _Known({inst.id: inst.spec for inst in instances}, declared.get("firms", set()) - set(firms))
    for index, exchange in exchanges:
        found.extend(_exchange_problems(("exchanges", index), exchange, materials, by_id, firms))
    for index, event in events:
        found.extend(_event_problems(("events", index), event, materials, firms, by_id))
    return found


def lever_problems(scenario: Scenario) -> list[tuple[tuple, str, str]]:
    """Problems of the SME (IKM) and IKM-centre levers of a structurally valid scenario."""
    found = []
    for field in ("landfill_tax_per_t", "exchange_subsidy_per_t"):  # levers: no schema ceiling (it sizes sliders)
        value = getattr(scenario.policy, field)
        if value > config.MAX_MONEY:
            found.append((("policy", field), f"must be <= {config.MAX_MONEY}, got {value!r}",
                          "1e15 currency per t is far above any real tax or subsidy"))
    sme = scenario.sme
    for name in sme.mix:
        if name not in scenario.archetypes:
            found.append((("sme", "mix", name), f"unknown archetype '{name}'",
                          did_you_mean(name, scenario.archetypes) or "declare it under `archetypes:`"))
    if sme.land_share > 0 and not sme.mix:
        found.append((("sme", "mix"), "IKM land is reserved but no archetype says what firms fill it",
                      "give a mix such as {paving_block_maker: 1}"))
    area = scenario.park.area_ha
    plots = area * sme.land_share / sme.plot_ha if area is not None else 0.0
    if plots > MAX_IKM_PLOTS:
        found.append((("sme", "plot_ha"), f"IKM land of {area * sme.land_share:,.6g} ha in plots of "
                      f"{sme.plot_ha:.6g} ha makes {plots:,.6g} IKM firms, more than the limit of {MAX_IKM_PLOTS:,}",
                      "IKM plots are typically 0.1 to 2 ha"))
    elif sme.land_share > 0 and area is not None and sme.land_share > max_land_share(scenario) + 1e-9:
        plots = _plots_ha(scenario)
        found.append((("sme", "land_share"),
                      f"IKM land ({area * sme.land_share:,.0f} ha) and the firms' plots ({plots:,.0f} ha) "
                      f"do not fit in park.area_ha ({area:,.0f} ha)",
                      f"at most {max_land_share(scenario):.2f} with these plots"))
    if scenario.sentra is not None:
        if SENTRA_ID in scenario.firms:
            found.append((("firms", SENTRA_ID), f"'{SENTRA_ID}' is the id of the IKM centre",
                          "rename this firm or remove `sentra:`"))
        if isinstance(scenario.sentra.members, list):
            ids = {inst.id for inst in expand_firms(scenario.firms)} | set(scenario.firms)
            for index, member in enumerate(scenario.sentra.members):
                if member not in ids:
                    found.append((("sentra", "members", index), f"unknown firm '{member}'",
                                  did_you_mean(member, ids)))
    return found


def max_land_share(scenario: Scenario) -> float:
    """The largest ``sme.land_share`` whose IKM land fits in ``park.area_ha`` beside the plots of
    the scenario's firms (0 without an area): the bound of the IKM land lever for this scenario."""
    area = scenario.park.area_ha
    if not area:
        return 0.0
    return max(0.0, 1 - _plots_ha(scenario) / area)


def _plots_ha(scenario: Scenario) -> float:
    return sum(spec.plot_ha * spec.count for spec in scenario.firms.values())


def sampled_scenario(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """``scenario`` with values drawn for its uncertain parameters, checked as a whole again;
    raises ``ValueError`` naming each problem."""
    from .uncertainty import apply_values, invalid

    sampled = apply_values(scenario, values)
    problems = [f"{format_path(path)}: {message}" for path, message, _ in lever_problems(sampled)]
    if problems:
        raise ValueError(invalid(values, problems))
    return sampled


def _without_broken_uncertain(data: dict) -> Scenario | None:
    """The scenario without the ``uncertain:`` entries that are broken themselves, if the rest is
    valid: so that the paths of the other entries are checked too."""
    entries = data.get("uncertain")
    if not isinstance(entries, dict):
        return None
    adapter = pydantic.TypeAdapter(dict[config.UncertainPath, config.Distribution | None])
    kept = {}
    for path, dist in entries.items():
        try:
            kept.update(adapter.validate_python({path: dist}))
        except pydantic.ValidationError:
            pass
    try:
        return Scenario.model_validate({**data, "uncertain": kept})
    except pydantic.ValidationError:
        return None


# How far out an unbounded end of a distribution is tried: beyond every bound of the schema except
# the money ceiling (config.MAX_MONEY, 1e15), which a distribution fitted to a real price never reaches,
# and at the factor ceiling (config.MAX_FACTOR, 1e12).
FAR = 1e12


def uncertain_problems(scenario: Scenario | None) -> list[tuple[tuple, str, str]]:
    """Problems of the ``uncertain:`` block: a path that leads nowhere or to something that is not
    a number, and a distribution that can draw values the field refuses."""
    from .uncertainty import PathError, locate, support, with_owner_value

    found = []
    if scenario is None:
        return found
    for path, dist in scenario.uncertain.items():
        here = ("uncertain", path)
        if dist is None:
            continue
        if path.split(".")[0] == "uncertain":
            found.append((here, "an uncertain parameter cannot be part of the `uncertain:` block itself", ""))
            continue
        try:
            located = locate(scenario, path)
        except PathError as exc:
            walked, message, choices = exc.args
            if message.endswith("is null in this scenario"):
                found.append((here, f"{message}, so '{path}' has no value to vary",
                              f"give `{walked}` a value first, in this file or in a variant"))
            else:
                missing = path.split(".")[len(walked.split(".")) if walked else 0]
                where = f" in '{walked}'" if walked else ""
                found.append((here, f"{message}{where}: '{path}' leads nowhere", did_you_mean(missing, choices)))
            continue
        value = located.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            found.append((here, f"'{path}' is {_kind_of(value)}, not a number: only numeric parameters can be "
                          "uncertain", "name a numeric field below it" if isinstance(value, (dict, list)) else
                          ("give it a point value above first" if value is None else "")))
            continue
        for end, bound in zip(("low", "high"), support(dist)):
            given = getattr(dist, end, None) is not None
            # an unbounded end is tried far out; a lognormal's open lower end just above 0
            trial = bound if given or dist.distribution in ("uniform", "triangular") else (
                1e-300 if bound == 0 else math.copysign(FAR, bound))
            if isinstance(value, int):
                trial = round(trial)
            try:
                with_owner_value(located, trial)
            except pydantic.ValidationError as exc:
                error = exc.errors(include_url=False)[0]
                refusal = _explain(error, tuple(error["loc"]))[0].split(", got")[0]
                if given:
                    found.append((here + (end,), f"{end} ({bound:g}) is a value '{path}' refuses: {refusal}", ""))
                else:
                    side = "upper" if end == "high" else "lower"
                    found.append((here, f"a {dist.distribution} distribution has no {side} bound, but "
                                        f"'{path}' {refusal}", f"truncate it with `{end}:`"))
    return found


class _Known(dict):
    """Validated definitions by id, plus ids that are declared but failed validation.

    ``name in known`` is true for both; ``known.get(name)`` returns None for a broken one, so
    checks skip it instead of calling it unknown.
    """

    def __init__(self, valid: Mapping, declared: set):
        super().__init__(valid)
        self.declared = set(declared)

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or name in self.declared


def _with_marks(found: list[tuple[tuple, str, str]], sources: SourceMap) -> list[Problem]:
    return [Problem(msg, path=format_path(path), mark=sources.lookup(path), hint=hint)
            for path, msg, hint in found]


def _unknown_material(path: tuple, name: str, materials: Mapping[str, Material]):
    return (path, f"unknown material '{name}'", did_you_mean(name, materials) or
            "declare it under `materials:`")


def _material(materials: Mapping[str, Material], name: str, path: tuple, found: list) -> Material | None:
    """The validated material ``name``; records 'unknown material' if it was never declared."""
    if name not in materials:
        found.append(_unknown_material(path, name, materials))
    return materials.get(name)


def _firm_problems(path: tuple, spec: FirmSpec, materials: Mapping[str, Material]):
    found: list = []
    product = _material(materials, spec.product.material, path + ("product", "material"), found)
    if product is not None and product.category not in ("product", "utility"):
        found.append((path + ("product", "material"),
                      f"'{spec.product.material}' is a {product.category} material; a firm's main product "
                      "must be of category product or utility", ""))
    usable: set[str] = set()
    for name, inp in spec.inputs.items():
        here = path + ("inputs", name)
        usable.add(name)
        _material(materials, name, here, found)
        if name == spec.product.material:
            found.append((here, "a firm cannot use its own product as an input", ""))
        material = materials.get(name)
        if inp.park_share > 0 and material is not None and material.category != "product":
            found.append((here + ("park_share",), f"only products can be bought from park firms; '{name}' is a "
                          f"{material.category} material", "set park_share only on inputs of category product"))
        for sub in inp.substitutes:
            usable.add(sub)
            sub_material = _material(materials, sub, here + ("substitutes", sub), found)
            if sub_material is not None and sub_material.category not in ("byproduct", "utility"):
                found.append((here + ("substitutes", sub),
                              f"'{sub}' is a {sub_material.category} material; substitutes are by-products "
                              "or utilities", ""))
    for name in spec.outputs:
        here = path + ("outputs", name)
        if name == LOSS_KEY or name.startswith(LOSS_KEY + "_"):
            unit = "t" if name == LOSS_KEY else name[len(LOSS_KEY) + 1:]
            if unit not in CONSERVED_UNITS:
                found.append((here, f"'{name}' is not a loss of a conserved unit",
                              "use `loss` (tonnes) or `loss_m3` (cubic metres)"))
            continue
        usable.add(name)
        material = _material(materials, name, here, found)
        if material is not None and material.category not in ("byproduct", "utility"):
            found.append((here, f"'{name}' is a {material.category} material; outputs are by-products, "
                                "wastes or utilities", "the main product goes under `product:`"))
    takes = set(spec.inputs) | {sub for inp in spec.inputs.values() for sub in inp.substitutes}
    for name in spec.output_materials:
        if name in takes:
            found.append((path + ("outputs", name), f"this firm both emits and can use '{name}'; reuse inside a "
                          "firm is not modelled", f"lower the output of '{name}' by what the firm reuses, and "
                          "remove it from the inputs"))
    known_usable = {name for name in usable if name in materials}
    for name in spec.storage:
        here = path + ("storage", name)
        material = _material(materials, name, here, found)
        if material is None:
            continue
        # with a misspelt material in the recipe, that error is the one to fix, not this follow-on
        if name not in usable and known_usable == usable:
            found.append((here, f"'{name}' is neither an output nor an input of this firm",
                          did_you_mean(name, usable)))
        elif not material.is_storable:
            found.append((here, f"'{name}' is not storable (steam and heat are used when produced)", ""))
    recipe = [spec.product.material, *spec.inputs, *spec.output_materials,
              *(s for i in spec.inputs.values() for s in i.substitutes)]
    if all(materials.get(m) is not None for m in recipe):
        found.extend(_balance_problems(path, spec, materials))
    return found


def _balance_problems(path: tuple, spec: FirmSpec, materials: Mapping[str, Material]):
    found = []
    inflow: dict[str, float] = {u: 0.0 for u in CONSERVED_UNITS}
    outflow: dict[str, float] = {u: 0.0 for u in CONSERVED_UNITS}
    for name, inp in spec.inputs.items():
        for unit, q in materials[name].conserved(inp.per_unit).items():
            inflow[unit] += q
    for unit, q in materials[spec.product.material].conserved(1.0).items():
        outflow[unit] += q
    for name in spec.output_materials:
        for unit, q in materials[name].conserved(spec.outputs[name]).items():
            outflow[unit] += q
    losses = spec.losses
    for unit in CONSERVED_UNITS:
        loss = losses.get(unit, 0.0)
        total_out = outflow[unit] + loss
        if abs(inflow[unit] - total_out) > BALANCE_TOLERANCE * max(inflow[unit], total_out, 1e-9):
            gap = inflow[unit] - total_out
            key = LOSS_KEY if unit == "t" else f"{LOSS_KEY}_{unit}"
            verb = f"set `{key}: {loss + gap:.6g}` in outputs" if key in spec.outputs else \
                f"add `{key}: {loss + gap:.6g}` to outputs"
            fix = (verb if gap > 0
                   else "inputs are smaller than outputs: raise the inputs or lower the outputs")
            found.append((path, f"recipe does not balance in {unit}: inputs {inflow[unit]:.6g} {unit} per "
                                f"unit of product, but product + outputs + {key} = {total_out:.6g} {unit}", fix))
            continue
        shortfall = 0.0
        for name, inp in spec.inputs.items():
            for sub, rule in inp.substitutes.items():
                replaced = inp.per_unit * rule.max_share
                delta = (materials[sub].conserved(replaced * rule.ratio).get(unit, 0.0)
                         - materials[name].conserved(replaced).get(unit, 0.0))
                shortfall += min(delta, 0.0)
        if loss + shortfall < -BALANCE_TOLERANCE * max(inflow[unit], 1e-9):
            key = LOSS_KEY if unit == "t" else f"{LOSS_KEY}_{unit}"
            found.append((path + ("inputs",), f"at their largest shares the substitutes bring "
                          f"{-shortfall:.6g} {unit} less input per unit than the inputs they replace, "
                          f"more than the declared {key} of {loss:.6g}",
                          f"declare `{key}` of at least {-shortfall:.6g} or raise the substitution ratio"))
    return found


def _exchange_problems(path: tuple, exchange: ExchangeSpec, materials: Mapping[str, Material],
                       by_id: Mapping[str, FirmSpec], entries: Mapping[str, FirmSpec]):
    found = []
    for role in ("supplier", "consumer"):
        fid = getattr(exchange, role)
        if fid not in by_id:
            hint = did_you_mean(fid, set(by_id) | by_id.declared)
            if fid in entries:
                hint = f"'{fid}' has count {entries[fid].count}: name one of its firms, e.g. '{fid}_1'"
            found.append((path + (role,), f"unknown firm '{fid}'", hint))
    material = _material(materials, exchange.material, path + ("material",), found)
    if material is None:
        return found
    supplier, consumer = by_id.get(exchange.supplier), by_id.get(exchange.consumer)
    if exchange.supplier == exchange.consumer:
        found.append((path, "a firm cannot exchange with itself", ""))
    if supplier is not None and exchange.material not in supplier.outputs:
        found.append((path + ("material",), f"supplier '{exchange.supplier}' does not output "
                      f"'{exchange.material}'", ""))
    if consumer is not None:
        uses = set(consumer.inputs) | {s for i in consumer.inputs.values() for s in i.substitutes}
        if exchange.material not in uses and all(name in materials for name in uses):
            found.append((path + ("material",), f"consumer '{exchange.consumer}' has no input or substitute "
                          f"'{exchange.material}'", "add it to the consumer's inputs or substitutes"))
        if material.hazardous and not consumer.b3_licence:
            found.append((path + ("consumer",), f"'{exchange.material}' is hazardous (B3) and consumer "
                          f"'{exchange.consumer}' has no b3_licence", "only licensed firms may receive B3 waste"))
    if exchange.mode == "truck" and not material.is_storable:
        found.append((path + ("mode",), f"'{exchange.material}' is not storable and cannot be trucked",
                      "use mode: pipeline"))
    return found


def _event_problems(path: tuple, event, materials: Mapping[str, Material],
                    entries: Mapping[str, FirmSpec], by_id: Mapping[str, FirmSpec]):
    found = []
    material = getattr(event, "material", None)
    if material is not None:
        _material(materials, material, path + ("material",), found)
    firm = getattr(event, "firm", None)
    if firm is not None and firm not in entries and firm not in by_id:
        found.append((path + ("firm",), f"unknown firm '{firm}'", did_you_mean(firm, {*entries, *by_id})))
    return found
