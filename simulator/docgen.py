"""Reference tables generated from the code, embedded in the docs between markers.

* the scenario field reference (field, type, unit, default, meaning) from the schema (units as
  each field declares them):
  ``eipsim schema --markdown`` prints it, ``scenarios/README.md`` embeds it;
* the indicator reference from the metric registry, embedded in ``docs/metrics.md``;
* the archetype library's tables (archetypes, coefficients and sources), in ``docs/archetypes.md``.

Tests check the embedded copies are current; ``python -m simulator.docgen`` refreshes them.
"""

from __future__ import annotations

import typing
from types import UnionType
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from . import config

BEGIN, END = "<!-- BEGIN FIELD REFERENCE -->", "<!-- END FIELD REFERENCE -->"

def declared_unit(field) -> str:
    """The unit a schema field declares (:func:`simulator.config.Field`'s ``unit``), "" if none."""
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    return extra.get("unit", "")


def _type_text(annotation: Any) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_text(args[0])
    if origin in (typing.Union, UnionType):
        parts = list(dict.fromkeys(_type_text(a) for a in args if a is not type(None)))
        text = " or ".join(parts)
        return f"{text} or null" if type(None) in args else text
    if origin is Literal:
        return "one of " + ", ".join(str(a) for a in args)
    if origin is dict:
        return f"mapping id -> {_type_text(args[1])}"
    if origin is list:
        return f"list of {_type_text(args[0])}"
    if origin is tuple:
        return "[x, y]"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    return {float: "number", int: "integer", str: "text", bool: "true/false"}.get(annotation, str(annotation))


def _default_text(field) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            return "(see below)"
        return repr(value) if value not in ({}, []) else "empty"
    if field.default is PydanticUndefined:
        return ""
    return "null" if field.default is None else repr(field.default)


def _rows(model: type[BaseModel], prefix: str, seen: set) -> list[tuple[str, ...]]:
    rows = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = field.annotation
        description = (field.description or "").replace("|", "\\|")
        rows.append((f"`{path}`", _type_text(annotation), declared_unit(field), _default_text(field),
                     description))
        for child, suffix in _children(annotation):
            if child not in seen or child in (config.Substitute,):
                rows.extend(_rows(child, f"{path}{suffix}.", seen | {child}))
    return rows


def _children(annotation: Any) -> list[tuple[type[BaseModel], str]]:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, "")]
    if origin is typing.Annotated:
        return _children(args[0])
    if origin in (typing.Union, UnionType):
        found = []
        for arg in args:
            for child, suffix in _children(arg):
                key = next((k for k in ("type", "distribution") if k in child.model_fields), None)
                label = typing.get_args(child.model_fields[key].annotation)[0] if key else None
                tagged = label and f"({key}:" not in suffix  # a union nested in a union is tagged once
                found.append((child, f"{suffix}({key}: {label})" if tagged else suffix))
        return found
    if origin is dict:
        return [(c, f".<id>{s}") for c, s in _children(args[1])]
    if origin is list:
        return [(c, f"[]{s}") for c, s in _children(args[0])]
    return []


def _line(cells) -> str:
    return "| " + " | ".join(cells) + " |"


def field_reference() -> str:
    """Markdown tables of every scenario field: top-level fields, then one table per section."""
    header = ["| field | type | unit | default | meaning |", "|---|---|---|---|---|"]
    lines = [BEGIN, "", "### Top level", "", *header]
    sections = []
    for name, field in config.Scenario.model_fields.items():
        row = (f"`{name}`", _type_text(field.annotation), declared_unit(field), _default_text(field),
               (field.description or "").replace("|", "\\|"))
        children = _children(field.annotation)
        if children:
            sections.append((name, row, children))
        else:
            lines.append(_line(row))
    for name, row, children in sections:
        lines.extend(["", f"### `{name}`", "", *header, _line(row)])
        if name == "archetypes":
            lines.append(_line(("`archetypes.<id>.*`", "", "", "", "the same fields as `firms.<id>`")))
            continue
        for child, suffix in children:
            lines.extend(_line(r) for r in _rows(child, f"{name}{suffix}.", {child}))
    lines.extend(["", "Event types (`events[].type`): " + ", ".join(f"`{t}`" for t in config.EVENT_TYPES) + ".",
                  "", END])
    return "\n".join(lines)


def embed(path, begin: str, end: str, text: str) -> bool:
    """Replace the block between ``begin`` and ``end`` of file ``path``; True if it changed."""
    from pathlib import Path

    target = Path(path)
    current = target.read_text(encoding="utf-8")
    start, stop = current.index(begin), current.index(end) + len(end)
    updated = current[:start] + text + current[stop:]
    if updated != current:
        target.write_text(updated, encoding="utf-8")
    return updated != current


def refresh(root=".") -> dict[str, bool]:
    """Regenerate every embedded reference under ``root``; file -> whether it changed."""
    from pathlib import Path

    from .metrics import registry
    from .tenants import library

    root = Path(root)
    return {
        "docs/archetypes.md": embed(root / "docs/archetypes.md", library.BEGIN, library.END,
                                    library.markdown_reference()),
        "scenarios/README.md": embed(root / "scenarios/README.md", BEGIN, END, field_reference()),
        "docs/metrics.md": embed(root / "docs/metrics.md", registry.BEGIN, registry.END,
                                 registry.markdown_reference()),
    }


if __name__ == "__main__":  # python -m simulator.docgen  (from the repository root)
    for name, changed in refresh().items():
        print(f"{name}: {'updated' if changed else 'already current'}")
