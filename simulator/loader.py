"""The only YAML reader of eipsim: safe loading that remembers where every value was written.

``load_document`` reads a scenario file, follows its ``extends:`` chain (deep merge, the child
wins), applies a named variant and ``--set dotted.path=value`` overrides, and returns plain
Python data plus a :class:`SourceMap` from dotted paths to ``file:line:col`` marks, so that the
validator can point at the exact place of every problem.

Limits protect against hostile or accidental input: a file larger than ``MAX_FILE_BYTES`` and a
document that expands (through YAML aliases) to more than ``MAX_NODES`` values are refused with a
clear message instead of exhausting memory ("billion laughs").
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from .errors import Problem, ScenarioError, SourceMark, did_you_mean

MAX_FILE_BYTES = 5_000_000
MAX_NODES = 1_000_000
RESERVED_KEYS = ("extends", "variants")

Path_ = tuple  # a path into the document: ('firms', 'cement', 'inputs', 0)


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads ``1e6`` (no decimal point) as a float, as people expect."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


class SourceMap:
    """Marks (file, line, column) of the values of a document, keyed by path tuples."""

    def __init__(self, marks: dict[Path_, SourceMark] | None = None, default: SourceMark | None = None):
        self.marks: dict[Path_, SourceMark] = dict(marks or {})
        self.default = default

    def lookup(self, path: Iterable) -> SourceMark | None:
        """Mark of ``path`` or of its closest written ancestor."""
        path = tuple(path)
        while True:
            mark = self.marks.get(path)
            if mark is not None or not path:
                return mark or self.default
            path = path[:-1]

    def drop(self, prefix: Path_) -> None:
        """Forget the marks at and below ``prefix`` (the value there was replaced)."""
        n = len(prefix)
        for key in [k for k in self.marks if k[:n] == prefix]:
            del self.marks[key]

    def graft(self, other: "SourceMap", source_prefix: Path_, target_prefix: Path_) -> None:
        """Copy ``other``'s marks under ``source_prefix`` to sit under ``target_prefix``."""
        n = len(source_prefix)
        for key, mark in other.marks.items():
            if key[:n] == source_prefix:
                self.marks[target_prefix + key[n:]] = mark


@dataclass
class LoadedDocument:
    """A scenario document after ``extends``, variant and overrides, before validation."""

    data: dict
    sources: SourceMap
    file: str
    chain: list[str] = field(default_factory=list)  # files merged, base first
    variant: str | None = None
    overrides: list[str] = field(default_factory=list)
    variants: dict = field(default_factory=dict)  # name -> overrides, as written


def format_path(path: Iterable) -> str:
    """``('firms', 'cement', 'inputs', 0)`` -> ``firms.cement.inputs[0]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


# --------------------------------------------------------------------------- reading one file


def read_yaml_text(text: str, name: str) -> tuple[Any, SourceMap]:
    """Parse YAML ``text`` (reported as ``name``) into plain data and its source map."""
    if len(text.encode("utf-8", errors="replace")) > MAX_FILE_BYTES:
        raise ScenarioError([Problem(
            f"file is larger than the {MAX_FILE_BYTES // 1_000_000} MB limit for scenarios",
            mark=SourceMark(name, 1, 1),
            hint="generate many firms with an archetype and `count` instead of listing them")])
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([_syntax_problem(exc, name)]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML raises marked errors for text
        raise ScenarioError([Problem(f"YAML error: {exc}", mark=SourceMark(name, 1, 1))]) from None
    finally:
        loader.dispose()
    sources = SourceMap(default=SourceMark(name, 1, 1))
    if node is None:
        return None, sources
    builder = _Builder(loader, name, sources)
    try:
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([_syntax_problem(exc, name)]) from None
    if builder.problems:
        raise ScenarioError(builder.problems)
    return data, sources


def read_yaml_file(path: str | Path) -> tuple[Any, SourceMap]:
    """Read and parse a YAML file; problems name the file as the user gave it."""
    path = Path(path)
    name = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ScenarioError([Problem("file not found", mark=SourceMark(name, 1, 1))]) from None
    except OSError as exc:
        raise ScenarioError([Problem(f"cannot read file: {exc.strerror}", mark=SourceMark(name, 1, 1))]) from None
    if path.is_dir():
        raise ScenarioError([Problem("is a folder, not a scenario file", mark=SourceMark(name, 1, 1))])
    if size > MAX_FILE_BYTES:
        raise ScenarioError([Problem(
            f"file is {size / 1e6:.1f} MB, above the {MAX_FILE_BYTES // 1_000_000} MB limit for scenarios",
            mark=SourceMark(name, 1, 1),
            hint="generate many firms with an archetype and `count` instead of listing them")])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(f"file is not UTF-8 text ({exc.reason} at byte {exc.start})",
                                     mark=SourceMark(name, 1, 1))]) from None
    return read_yaml_text(text, name)


def _syntax_problem(exc: yaml.MarkedYAMLError, name: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    where = SourceMark(name, mark.line + 1, mark.column + 1) if mark else SourceMark(name, 1, 1)
    what = " ".join(part for part in (exc.context, exc.problem) if part)
    return Problem(f"YAML syntax error: {what}", mark=where,
                   hint="check indentation, colons and quotes on this line or the one above")


class _Builder:
    """Turns a composed YAML node tree into plain data, recording marks and refusing alias bombs."""

    def __init__(self, loader: yaml.SafeLoader, name: str, sources: SourceMap):
        self.loader = loader
        self.name = name
        self.sources = sources
        self.nodes = 0
        self.problems: list[Problem] = []

    def mark(self, node: yaml.Node) -> SourceMark:
        return SourceMark(self.name, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ScenarioError([Problem(
                f"document expands to more than {MAX_NODES:,} values (YAML aliases nested too deeply?)",
                mark=self.mark(node), hint="remove the repeated `*alias` references")])
        if isinstance(node, yaml.MappingNode):
            return self.build_mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.sources.marks[path + (index,)] = self.mark(item)
                items.append(self.build(item, path + (index,)))
            return items
        return self.loader.construct_object(node, deep=True)

    def build_mapping(self, node: yaml.MappingNode, path: Path_) -> dict:
        seen: dict[str, yaml.Node] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    first = seen[key_node.value].start_mark.line + 1
                    self.problems.append(Problem(
                        f"duplicate key '{key_node.value}' (first written on line {first}); "
                        "YAML would silently keep only the last one",
                        path=format_path(path + (key_node.value,)), mark=self.mark(key_node)))
                seen[key_node.value] = key_node
        self.loader.flatten_mapping(node)
        result: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(Problem("a key must be a plain name, not a list or mapping",
                                             path=format_path(path), mark=self.mark(key_node)))
                continue
            key = str(key_node.value)
            self.sources.marks[path + (key,)] = self.mark(key_node)
            result[key] = self.build(value_node, path + (key,))
        return result


# --------------------------------------------------------------------------- composition


def load_document(path: str | Path, variant: str | None = None,
                  overrides: Iterable[str] = ()) -> LoadedDocument:
    """Load a scenario with its ``extends`` chain, a variant and ``--set`` overrides.

    Raises
    ------
    ScenarioError
        With every problem found (syntax, limits, missing base files, cycles, bad overrides).
    """
    data, sources, chain = _load_with_bases(Path(path), ())
    if not isinstance(data, dict):
        mark = sources.default or SourceMark(str(path), 1, 1)
        if data is None:
            raise ScenarioError([Problem(
                "the file is empty", mark=mark,
                hint="a scenario is a mapping with at least `name`, `materials` and `firms`; "
                     "see scenarios/demo.yaml")])
        raise ScenarioError([Problem(
            f"the document must be a mapping of `key: value` lines, not a {_type_name(data)}",
            mark=mark, hint="start from scenarios/demo.yaml")])
    variants = data.pop("variants", None) or {}
    sources.drop(("extends",))
    problems: list[Problem] = []
    if not isinstance(variants, dict):
        problems.append(Problem("must be a mapping of variant name -> overrides", path="variants",
                                mark=sources.lookup(("variants",))))
        variants = {}
    variant_sources = SourceMap({k: v for k, v in sources.marks.items() if k[:1] == ("variants",)})
    sources.drop(("variants",))
    if variant is not None:
        if variant not in variants:
            known = ", ".join(sorted(variants)) or "none defined"
            problems.append(Problem(
                f"unknown variant '{variant}' (variants in this scenario: {known})",
                mark=SourceMark(str(path), 1, 1), hint=did_you_mean(variant, variants)))
        elif not isinstance(variants[variant], dict):
            problems.append(Problem("a variant must be a mapping of overrides",
                                    path=f"variants.{variant}",
                                    mark=variant_sources.lookup(("variants", variant))))
        else:
            patch_sources = SourceMap()
            patch_sources.graft(variant_sources, ("variants", variant), ())
            data = _merge(data, sources, copy.deepcopy(variants[variant]), patch_sources, ())
            if "name" not in variants[variant] and isinstance(data.get("name"), str):
                data["name"] = f"{data['name']}-{variant}"
    overrides = list(overrides)
    for text in overrides:
        try:
            dotted, value, value_sources = parse_override(text)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        data = _apply_override(data, sources, dotted, value, value_sources, problems)
    if problems:
        raise ScenarioError(problems)
    return LoadedDocument(data=data, sources=sources, file=str(path), chain=chain,
                          variant=variant, overrides=overrides, variants=variants)


def _load_with_bases(path: Path, seen: tuple[Path, ...]) -> tuple[Any, SourceMap, list[str]]:
    resolved = path.resolve()
    data, sources = read_yaml_file(path)
    if not isinstance(data, dict) or "extends" not in data:
        return data, sources, [str(path)]
    bases = data.pop("extends")
    base_list = [bases] if isinstance(bases, str) else bases
    if not isinstance(base_list, list) or not all(isinstance(b, str) for b in base_list):
        raise ScenarioError([Problem("must be a file name or a list of file names",
                                     path="extends", mark=sources.lookup(("extends",)))])
    merged: dict = {}
    merged_sources = SourceMap(default=sources.default)
    chain: list[str] = []
    for index, base in enumerate(base_list):
        base_path = (path.parent / base)
        mark = sources.lookup(("extends", index) if isinstance(bases, list) else ("extends",))
        if base_path.resolve() in seen + (resolved,):
            cycle = " -> ".join(str(p) for p in seen + (resolved, base_path.resolve()))
            raise ScenarioError([Problem(f"`extends` forms a cycle: {cycle}", path="extends", mark=mark,
                                         hint="a scenario cannot extend itself, directly or indirectly")])
        if not base_path.is_file():
            raise ScenarioError([Problem(f"base file '{base}' not found (looked for {base_path})",
                                         path="extends", mark=mark,
                                         hint="paths in `extends` are relative to the scenario file")])
        base_data, base_sources, base_chain = _load_with_bases(base_path, seen + (resolved,))
        if not isinstance(base_data, dict):
            raise ScenarioError([Problem(f"base file '{base}' is not a scenario mapping",
                                         path="extends", mark=mark)])
        merged = _merge(merged, merged_sources, base_data, base_sources, ())
        chain.extend(base_chain)
    sources.drop(("extends",))
    merged = _merge(merged, merged_sources, data, sources, ())
    chain.append(str(path))
    return merged, merged_sources, chain


def _merge(base: dict, base_sources: SourceMap, patch: dict, patch_sources: SourceMap, path: Path_) -> dict:
    """Deep-merge ``patch`` into ``base`` (mappings merge, anything else replaces), with marks."""
    for key, value in patch.items():
        here = path + (key,)
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            if here in patch_sources.marks:
                base_sources.marks[here] = patch_sources.marks[here]
            _merge(base[key], base_sources, value, patch_sources, here)
        else:
            base_sources.drop(here)
            base_sources.graft(patch_sources, here, here)
            base[key] = value
    return base


def parse_override(text: str) -> tuple[str, Any, SourceMap]:
    """Parse ``dotted.path=value`` (value in YAML syntax: ``90``, ``null``, ``[1, 2]``)."""
    mark = SourceMark("--set", 1, 1)
    if "=" not in text:
        raise ScenarioError([Problem(f"'{text}' is not of the form dotted.path=value", mark=mark,
                                     hint="for example --set run.horizon_days=90")])
    dotted, _, raw = text.partition("=")
    dotted = dotted.strip()
    if not re.fullmatch(r"[A-Za-z_][\w\-]*(\.[\w\-]+)*", dotted):
        raise ScenarioError([Problem(f"'{dotted}' is not a dotted path of field names", mark=mark,
                                     hint="for example --set firms.cement.product.capacity_per_day=2000")])
    try:
        value, _ = read_yaml_text(raw, "--set")
    except ScenarioError as exc:
        raise ScenarioError([Problem(f"value of '{dotted}': {exc.problems[0].message}", mark=mark)]) from None
    return dotted, value, SourceMap(default=mark)


def _apply_override(data: dict, sources: SourceMap, dotted: str, value: Any,
                    value_sources: SourceMap, problems: list[Problem]) -> dict:
    keys = dotted.split(".")
    node = data
    for depth, key in enumerate(keys[:-1]):
        child = node.get(key)
        if child is None:
            child = node[key] = {}
        if not isinstance(child, dict):
            problems.append(Problem(f"cannot set '{dotted}': '{'.'.join(keys[:depth + 1])}' is not a mapping",
                                    mark=value_sources.default))
            return data
        node = child
    node[keys[-1]] = value
    target = tuple(keys)
    sources.drop(target)
    sources.marks[target] = value_sources.default
    return data


def _type_name(value: Any) -> str:
    return {list: "list", str: "text", int: "number", float: "number", bool: "true/false"}.get(
        type(value), type(value).__name__)


def dump_yaml(data: Any) -> str:
    """Serialise plain data as readable YAML (block style, key order kept)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
