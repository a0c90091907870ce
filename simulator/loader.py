"""The only YAML reader of eipsim: safe loading that remembers where every value was written.

``load_document`` reads a scenario file, follows its ``extends:`` chain (deep merge, the child
wins), applies a named variant and ``--set dotted.path=value`` overrides (a path set so is no
longer ``uncertain:``), and returns plain
Python data plus a :class:`SourceMap` from dotted paths to ``file:line:col`` marks, so that the
validator can point at the exact place of every problem.

Limits protect against hostile or accidental input: a file larger than ``MAX_FILE_BYTES`` and a
document that expands (through YAML aliases) to more than ``MAX_NODES`` values are refused with a
clear message instead of exhausting memory ("billion laughs"); the expansion is measured on
the composed node graph (aliases are shared nodes) before anything is built, so refusing a bomb
takes milliseconds. Aliases that refer to the node containing them and nesting deeper than
``MAX_DEPTH`` are refused the same way. Only regular files are read (not a device such as
``/dev/zero``, a FIFO or a folder), and the size limit holds while reading, so a file that grows
cannot get past it.
"""

from __future__ import annotations

import copy
import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from .errors import Problem, ScenarioError, SourceMark, did_you_mean

MAX_FILE_BYTES = 5_000_000
MAX_NODES = 1_000_000
MAX_DEPTH = 100
"""Deepest nesting of mappings and lists accepted; a scenario needs fewer than ten levels."""
MAX_NAME_CHARS = 255
"""Longest base file name in ``extends:`` (the usual limit of file systems)."""
RESERVED_KEYS = ("extends", "variants")

_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE

Path_ = tuple  # a path into the document: ('firms', 'cement', 'inputs', 0)


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads ``1e6`` (no decimal point) as a float, as people expect.

    It also refuses nesting deeper than ``MAX_DEPTH`` while composing, before PyYAML's recursive
    composer runs out of Python stack.
    """

    _depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(None, None, f"mappings and lists are nested more than {MAX_DEPTH} levels deep",
                               self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _TooDeep(yaml.composer.ComposerError):
    """Nesting beyond ``MAX_DEPTH`` (a limit, not a syntax error)."""


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
        for key, mark in list(other.marks.items()):  # ``other`` may be ``self``
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
    problems: list[Problem] = field(default_factory=list)
    """Problems that left usable data (duplicate keys, an unknown variant, a bad override), kept
    by ``load_document(..., keep_going=True)`` so validation can report them with all the others."""


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


def read_yaml_text(text: str, name: str, problems: list[Problem] | None = None) -> tuple[Any, SourceMap]:
    """Parse YAML ``text`` (reported as ``name``) into plain data and its source map.

    Problems that leave usable data (a duplicate key: the last one is kept) are appended to
    ``problems`` when a list is given, so that validation can go on and report everything at
    once; without a list they are raised. Anything else wrong raises :class:`ScenarioError`.
    """
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_FILE_BYTES:
        raise ScenarioError([_size_problem(size, name)])
    special = _NON_PRINTABLE.search(text)
    if special is not None:
        line = text.count("\n", 0, special.start()) + 1
        col = special.start() - (text.rfind("\n", 0, special.start()) + 1) + 1
        code = ord(special.group())
        what = "a NUL byte" if code == 0 else f"the control character U+{code:04X}"
        raise ScenarioError([Problem(f"the file contains {what}; YAML allows only printable text",
                                     mark=SourceMark(name, line, col),
                                     hint="is this a binary file? save the scenario as plain UTF-8 text")])
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except _TooDeep as exc:
        mark = exc.problem_mark
        raise ScenarioError([Problem(exc.problem, mark=SourceMark(name, mark.line + 1, mark.column + 1),
                                     hint="a scenario needs fewer than ten levels; is a bracket not closed?")]
                            ) from None
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([_syntax_problem(exc, name)]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML raises marked errors for text
        raise ScenarioError([Problem(f"YAML error: {exc}", mark=SourceMark(name, 1, 1))]) from None
    finally:
        loader.dispose()
    sources = SourceMap(default=SourceMark(name, 1, 1))
    if node is None:
        return None, sources
    _check_expansion(node, name)
    builder = _Builder(loader, name, sources)
    try:
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([_syntax_problem(exc, name)]) from None
    if builder.problems:
        if problems is None:
            raise ScenarioError(builder.problems)
        problems.extend(builder.problems)
    return data, sources


def _size_problem(size: int, name: str) -> Problem:
    return Problem(
        f"file is {size / 1e6:.1f} MB ({size:,} bytes), above the limit of {MAX_FILE_BYTES:,} bytes "
        f"({MAX_FILE_BYTES / 1e6:g} MB) for scenarios",
        mark=SourceMark(name, 1, 1),
        hint="generate many firms with an archetype and `count` instead of listing them")


class _Refused(Exception):
    def __init__(self, message: str, node: yaml.Node, path: Path_, hint: str):
        self.message, self.node, self.path, self.hint = message, node, path, hint


def _check_expansion(root: yaml.Node, name: str) -> None:
    """Refuse alias bombs, self-referring aliases and deep alias chains before building anything.

    Aliases are shared nodes in the composed graph, so the expanded size of every node is
    computed once (memoised by identity): the cost is that of the text, not of its expansion.
    """
    sizes: dict[int, int] = {}
    heights: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node, path: Path_) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _Refused("a YAML alias (*name) refers to the mapping or list that contains it, "
                           "so the value would never end", node, path,
                           "write the value out, or point the alias at a value defined before it")
        active.add(key)
        total, height = 1, 0
        if isinstance(node, yaml.MappingNode):
            # in the order written: an alias then always meets a node already measured (or an
            # ancestor, a loop), so this recursion is no deeper than the text's nesting
            children = [pair for k, v in node.value for pair in (
                (k, path), (v, path + (k.value if isinstance(k, yaml.ScalarNode) else "?",)))]
        elif isinstance(node, yaml.SequenceNode):
            children = [(item, path + (index,)) for index, item in enumerate(node.value)]
        else:
            children = []
        for child, child_path in children:
            total += size(child, child_path)
            height = max(height, heights[id(child)] + 1)
        if height > MAX_DEPTH:  # reached through aliases: the composer only sees the text's nesting
            raise _Refused(f"YAML aliases (*name) nest values more than {MAX_DEPTH} levels deep", node, path,
                           "a scenario needs fewer than ten levels; follow the `*alias` references from here")
        active.discard(key)
        heights[key] = height
        sizes[key] = total = min(total, MAX_NODES + 1)  # keep the numbers small
        return total

    try:
        total = size(root, ())
    except _Refused as refused:
        raise ScenarioError([Problem(
            refused.message, path=format_path(refused.path),
            mark=SourceMark(name, refused.node.start_mark.line + 1, refused.node.start_mark.column + 1),
            hint=refused.hint)]) from None
    if total <= MAX_NODES:
        return
    # Point at the outermost mapping key whose value is too big (the bomb's last line, usually).
    node, path, mark = root, (), SourceMark(name, 1, 1)
    while isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and sizes[id(value_node)] > MAX_NODES:
                node, path = value_node, path + (key_node.value,)
                mark = SourceMark(name, key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                break
        else:
            break
    raise ScenarioError([Problem(
        f"YAML aliases (*name) expand this value to more than {MAX_NODES:,} values, "
        "the limit for scenarios", path=format_path(path), mark=mark,
        hint="remove the repeated `*alias` references; this looks like a \"billion laughs\" document")])


def read_yaml_file(path: str | Path, problems: list[Problem] | None = None) -> tuple[Any, SourceMap]:
    """Read and parse a YAML file; problems name the file as the user gave it.

    ``problems``: as in :func:`read_yaml_text`.
    """
    name = str(path)
    data = read_scenario_bytes(path, name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(f"file is not UTF-8 text ({exc.reason} at byte {exc.start})",
                                     mark=SourceMark(name, 1, 1))]) from None
    return read_yaml_text(text, name, problems)


def read_scenario_bytes(path: str | Path, name: str) -> bytes:
    """The bytes of a regular file of at most ``MAX_FILE_BYTES`` (counted while reading).

    Opened without blocking (a FIFO does not hang) and checked on the open descriptor, so what
    is read is what was checked. Raises :class:`ScenarioError` naming ``name`` otherwise.
    """
    def refuse(message: str, hint: str | None = None) -> ScenarioError:
        return ScenarioError([Problem(message, mark=SourceMark(_short(name), 1, 1), hint=hint)])

    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise refuse("file not found") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise refuse("symbolic link loop: the link never reaches a file") from None
        if exc.errno == errno.ENAMETOOLONG:
            raise refuse(f"file name too long ({len(str(path)):,} characters)") from None
        if exc.errno == errno.ENXIO:  # a socket, or a device with nothing behind it
            raise refuse("is not a regular file (a device, FIFO or socket)",
                         hint="give a scenario file (.yaml)") from None
        raise refuse(f"cannot read file: {exc.strerror}") from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        if stat.S_ISDIR(mode):
            raise refuse("is a folder, not a scenario file")
        raise refuse("is not a regular file (a device, FIFO or socket)", hint="give a scenario file (.yaml)")
    with os.fdopen(descriptor, "rb") as handle:
        try:
            data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise refuse(f"cannot read file: {exc.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError([_size_problem(max(len(data), _size_of(path)), _short(name))])
    return data


def _size_of(path: str | Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _short(name: str, limit: int = 200) -> str:
    """A file name as shown in a message (an absurdly long one shortened in the middle)."""
    return name if len(name) <= limit else f"{name[:limit // 2]}...{name[-limit // 2:]}"


def _syntax_problem(exc: yaml.MarkedYAMLError, name: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    where = SourceMark(name, mark.line + 1, mark.column + 1) if mark else SourceMark(name, 1, 1)
    if isinstance(exc, yaml.constructor.ConstructorError) and "merging" in str(exc.problem):
        return Problem(f"unsupported YAML value: {exc.problem}", mark=where,
                       hint="`<<: *name` merges a mapping: the anchor `&name` must be written on a mapping")
    if isinstance(exc, yaml.constructor.ConstructorError):
        return Problem(f"unsupported YAML value: {exc.problem}", mark=where,
                       hint="scenarios hold plain numbers, text, lists and mappings: remove the `!` tag")
    if isinstance(exc, yaml.composer.ComposerError) and "another document" in str(exc.problem):
        return Problem("the file holds a second YAML document (after `---`)", mark=where,
                       hint="a scenario is one document: remove the `---` line and what follows, or make it "
                            "another file")
    if isinstance(exc, yaml.composer.ComposerError):
        what = exc.problem
        if exc.context and "duplicate anchor" in exc.context and exc.context_mark is not None:
            what = (exc.context.split(";")[0] + f" (first defined at line {exc.context_mark.line + 1}, "
                                                f"column {exc.context_mark.column + 1})")
        return Problem(f"YAML alias error: {what}", mark=where,
                       hint="an alias `*name` needs an anchor `&name` written before it; use each anchor name once")
    context = exc.context or ""
    started = exc.context_mark
    if context and started is not None and exc.problem_mark is not None and (
            (started.line, started.column) != (exc.problem_mark.line, exc.problem_mark.column)):
        context += f" (started at line {started.line + 1}, column {started.column + 1})"
    what = ": ".join(part for part in (context, exc.problem) if part)
    return Problem(f"YAML syntax error: {what}", mark=where,
                   hint="check indentation, colons and quotes on this line or the one above")


_MAP_TAG, _SEQ_TAG = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_BINARY_TAG, _TIMESTAMP_TAG = "tag:yaml.org,2002:binary", "tag:yaml.org,2002:timestamp"


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
        if isinstance(node, yaml.CollectionNode) and node.tag not in (_MAP_TAG, _SEQ_TAG):
            # SafeLoader would build sets and ordered maps; a scenario holds plain data only
            raise yaml.constructor.ConstructorError(
                None, None, f"the tag {node.tag!r} is not supported", node.start_mark)
        if isinstance(node, yaml.MappingNode):
            return self.build_mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.sources.marks[path + (index,)] = self.mark(item)
                items.append(self.build(item, path + (index,)))
            return items
        if node.tag == _BINARY_TAG:
            raise yaml.constructor.ConstructorError(None, None, "the tag '!!binary' is not supported",
                                                    node.start_mark)
        if node.tag == _TIMESTAMP_TAG:  # 2024-01-01 stays text as written; no field holds a date
            return node.value
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
                  overrides: Iterable[str] = (), *, keep_going: bool = False) -> LoadedDocument:
    """Load a scenario with its ``extends`` chain, a variant and ``--set`` overrides.

    Parameters
    ----------
    keep_going : if true, problems that leave usable data (duplicate keys, an unknown variant,
        a bad override) are kept in ``LoadedDocument.problems`` instead of raised, so that the
        validator reports them together with everything else.

    Raises
    ------
    ScenarioError
        With every problem found (syntax, limits, missing base files, cycles, bad overrides).
    """
    problems: list[Problem] = []
    data, sources, chain = _load_with_bases(Path(path), (), problems)
    if not isinstance(data, dict):
        mark = sources.default or SourceMark(str(path), 1, 1)
        if data is None:
            problems.append(Problem(
                "the file is empty", mark=mark,
                hint="a scenario is a mapping with at least `name`, `materials` and `firms`; "
                     "see scenarios/demo.yaml"))
        else:
            problems.append(Problem(
                f"the document must be a mapping of `key: value` lines, not {_type_name(data)}",
                mark=mark, hint="start from scenarios/demo.yaml"))
        raise ScenarioError(problems)
    variants = data.pop("variants", None) or {}
    sources.drop(("extends",))
    if not isinstance(variants, dict):
        problems.append(Problem("must be a mapping of variant name -> overrides", path="variants",
                                mark=sources.lookup(("variants",))))
        variants = {}
    variant_sources = SourceMap({k: v for k, v in sources.marks.items() if k[:1] == ("variants",)})
    sources.drop(("variants",))
    if variant is not None:
        if variant not in variants:
            known = ", ".join(sorted(variants))
            message = (f"unknown variant '{variant}'; this scenario defines: {known}" if known
                       else f"unknown variant '{variant}'; this scenario defines no variants")
            mark = variant_sources.lookup(("variants",)) or sources.default or SourceMark(str(path), 1, 1)
            problems.append(Problem(message, path="variants", mark=mark,
                                    hint=did_you_mean(variant, variants)))
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
    for number, text in enumerate(overrides, start=1):
        try:
            dotted, value, value_sources = parse_override(text, number)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        data = _apply_override(data, sources, dotted, value, value_sources, problems)
        if isinstance(data.get("uncertain"), dict):  # a value set on the command line is not uncertain
            data["uncertain"].pop(dotted, None)
    if problems and not keep_going:
        raise ScenarioError(problems)
    return LoadedDocument(data=data, sources=sources, file=str(path), chain=chain,
                          variant=variant, overrides=overrides, variants=variants, problems=problems)


def _load_with_bases(path: Path, seen: tuple[Path, ...],
                     problems: list[Problem]) -> tuple[Any, SourceMap, list[str]]:
    data, sources = read_yaml_file(path, problems)
    resolved = _real(path)
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
        if len(base) > MAX_NAME_CHARS or "\x00" in base:
            raise ScenarioError([Problem(f"base file name is not usable ({len(base):,} characters"
                                         f"{', with a NUL byte' if chr(0) in base else ''})", path="extends",
                                         mark=mark, hint=f"file names have at most {MAX_NAME_CHARS} characters")])
        if _real(base_path) in seen + (resolved,):
            cycle = " -> ".join(str(p) for p in seen + (resolved, _real(base_path)))
            raise ScenarioError([Problem(f"`extends` forms a cycle: {cycle}", path="extends", mark=mark,
                                         hint="a scenario cannot extend itself, directly or indirectly")])
        if not os.path.lexists(base_path):
            raise ScenarioError([Problem(f"base file '{base}' not found (looked for {base_path})",
                                         path="extends", mark=mark,
                                         hint="paths in `extends` are relative to the scenario file")])
        base_data, base_sources, base_chain = _load_with_bases(base_path, seen + (resolved,), problems)
        if not isinstance(base_data, dict):
            raise ScenarioError([Problem(f"base file '{base}' is not a scenario mapping",
                                         path="extends", mark=mark)])
        merged = _merge(merged, merged_sources, base_data, base_sources, ())
        chain.extend(base_chain)
    sources.drop(("extends",))
    merged = _merge(merged, merged_sources, data, sources, ())
    chain.append(str(path))
    return merged, merged_sources, chain


def _real(path: Path) -> Path:
    """``path`` with symbolic links resolved (a link loop stays as far as it resolves, no error)."""
    return Path(os.path.realpath(path))


def deep_merge(base: dict, patch: dict, visit: Callable[[Path_, bool], None] | None = None,
               path: Path_ = ()) -> dict:
    """Deep-merge ``patch`` into ``base`` in place and return it: mappings merge, anything else
    replaces (how ``extends``, variants, overrides and archetypes combine). ``visit(path, replaced)``
    is called for each key of the patch before it is applied."""
    for key, value in patch.items():
        here = path + (key,)
        merging = isinstance(value, dict) and isinstance(base.get(key), dict)
        if visit is not None:
            visit(here, not merging)
        if merging:
            deep_merge(base[key], value, visit, here)
        else:
            base[key] = value
    return base


def _merge(base: dict, base_sources: SourceMap, patch: dict, patch_sources: SourceMap, path: Path_) -> dict:
    """:func:`deep_merge` that keeps the source marks: a replaced value's marks come from the patch."""
    def marks(here: Path_, replaced: bool) -> None:
        if replaced:
            base_sources.drop(here)
            base_sources.graft(patch_sources, here, here)
        elif here in patch_sources.marks:
            base_sources.marks[here] = patch_sources.marks[here]

    return deep_merge(base, patch, marks, path)


def parse_override(text: str, number: int = 1) -> tuple[str, Any, SourceMap]:
    """Parse ``dotted.path=value`` (value in YAML syntax: ``90``, ``null``, ``[1, 2]``).

    Problems and later validation errors of the value are marked ``--set:N:COL``: the N-th
    ``--set`` option of the command, at column COL of its text (the value starts after ``=``).
    """
    mark = SourceMark("--set", number, 1)
    if "=" not in text:
        raise ScenarioError([Problem(f"'{text}' is not of the form dotted.path=value", mark=mark,
                                     hint="for example --set run.horizon_days=90")])
    dotted, _, raw = text.partition("=")
    value_mark = SourceMark("--set", number, len(dotted) + 2)
    dotted = dotted.strip()
    if not re.fullmatch(r"[A-Za-z_][\w\-]*(\.[\w\-]+)*", dotted):
        raise ScenarioError([Problem(f"'{dotted}' is not a dotted path of field names", mark=mark,
                                     hint="for example --set firms.cement.product.capacity_per_day=2000")])
    try:
        value, _ = read_yaml_text(raw, "--set")
    except ScenarioError as exc:
        problem = exc.problems[0].message.removeprefix("YAML syntax error: ")
        raise ScenarioError([Problem(f"the value is not valid YAML: {problem}", path=dotted,
                                     mark=value_mark, hint="quote text with spaces or brackets: "
                                     f"--set '{dotted}=\"...\"'")]) from None
    return dotted, value, SourceMap(default=value_mark)


def _apply_override(data: dict, sources: SourceMap, dotted: str, value: Any,
                    value_sources: SourceMap, problems: list[Problem]) -> dict:
    keys = dotted.split(".")
    node = data
    for depth, key in enumerate(keys[:-1]):
        child = node.get(key)
        if child is None:
            child = node[key] = {}
            sources.drop(tuple(keys[:depth + 1]))
            sources.marks[tuple(keys[:depth + 1])] = value_sources.default
        if not isinstance(child, dict):
            problems.append(Problem(f"cannot set '{dotted}': '{'.'.join(keys[:depth + 1])}' is "
                                    f"{_type_name(child)}, not a mapping", path=dotted,
                                    mark=value_sources.default))
            return data
        node = child
    node[keys[-1]] = value
    target = tuple(keys)
    sources.drop(target)
    sources.marks[target] = value_sources.default
    return data


def _type_name(value: Any) -> str:
    return {list: "a list", str: "text", int: "a number", float: "a number", bool: "true/false"}.get(
        type(value), type(value).__name__)


def dump_yaml(data: Any) -> str:
    """Serialise plain data as readable YAML (block style, key order kept)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
