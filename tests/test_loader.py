"""The YAML loader: source marks, limits, ``extends``, variants and ``--set`` overrides.

Every problem must read ``FILE:LINE:COL: path: message (hint)`` and point at the exact place.
"""

from __future__ import annotations

import textwrap
import time

import pytest

from simulator.errors import ScenarioError, SourceMark
from simulator.loader import MAX_FILE_BYTES, load_document, parse_override, read_yaml_file, read_yaml_text


def problems_of(excinfo) -> list:
    return list(excinfo.value.problems)


def only_problem(excinfo):
    problems = problems_of(excinfo)
    assert len(problems) == 1, excinfo.value.report()
    return problems[0]


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# --------------------------------------------------------------------------- reading and marks


def test_marks_point_at_each_key(mini_scenario, scenario_text, locate):
    document = load_document(mini_scenario)
    marks = document.sources
    for path, needle, nth in [
        (("run", "seed"), "seed", 1),
        (("materials", "fly_ash", "disposal_cost_per_unit"), "disposal_cost_per_unit", 1),
        (("firms", "cement_works", "inputs", "clinker", "substitutes", "fly_ash", "max_share"), "max_share", 1),
        (("firms", "cement_works", "storage", "fly_ash"), "fly_ash: 50", 1),
    ]:
        line, col = locate(scenario_text, needle, nth)
        assert marks.lookup(path) == SourceMark(str(mini_scenario), line, col), path
    # list items are marked at the item; a path never written falls back to its closest ancestor
    assert marks.lookup(("exchanges", 0)) == SourceMark(str(mini_scenario), *locate(scenario_text, "{supplier"))
    assert marks.lookup(("firms", "power_plant", "nowhere", "deeper")) == SourceMark(str(mini_scenario), 14, 3)


@pytest.mark.parametrize("written, value", [
    ("1e6", 1_000_000.0), ("1.2e6", 1_200_000.0), ("-2E3", -2000.0), ("+1e-3", 0.001),
    ("1_000", 1000), ("'1e6'", "1e6"), ("12", 12), ("1.5", 1.5),
])
def test_numbers_in_scientific_notation_are_floats(written, value):
    data, _ = read_yaml_text(f"x: {written}\n", "t.yaml")
    assert data["x"] == value
    assert type(data["x"]) is type(value)


def test_yaml_syntax_error_names_line_column_and_where_it_started(broken_scenario, locate):
    path, text = broken_scenario(("  clinker: {category: virgin, price_per_unit: 9.0e5}\n",
                                  "  clinker: {category: virgin, price_per_unit: 9.0e5\n"))
    with pytest.raises(ScenarioError) as excinfo:
        load_document(path)
    problem = only_problem(excinfo)
    # PyYAML notices the missing '}' at the ':' after `electricity` on the next line
    assert str(problem).startswith(f"{path}:10:14: YAML syntax error: while parsing a flow mapping "
                                   "(started at line 9, column 12): expected ',' or '}', but got ':'")
    assert "check indentation" in problem.hint


def test_bad_indentation_is_a_syntax_error_on_its_line(write_yaml):
    path = write_yaml("indent.yaml", "name: x\nrun:\n  horizon_days: 30\n   seed: 7\n")
    with pytest.raises(ScenarioError) as excinfo:
        load_document(path)
    problem = only_problem(excinfo)
    assert (problem.mark.line, problem.mark.col) == (4, 8)
    assert "mapping values are not allowed here" in problem.message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "null\n"])
def test_empty_file(write_yaml, text):
    path = write_yaml("empty.yaml", text)
    with pytest.raises(ScenarioError) as excinfo:
        load_document(path)
    problem = only_problem(excinfo)
    assert str(problem).startswith(f"{path}:1:1: the file is empty (a scenario is a mapping")


@pytest.mark.parametrize("text, kind", [
    ("- name: x\n- firms: {}\n", "a list"), ("just some words\n", "text"), ("42\n", "a number"),
])
def test_document_that_is_not_a_mapping(write_yaml, text, kind):
    path = write_yaml("flat.yaml", text)
    with pytest.raises(ScenarioError) as excinfo:
        load_document(path)
    assert str(only_problem(excinfo)) == (
        f"{path}:1:1: the document must be a mapping of `key: value` lines, not {kind} "
        "(start from scenarios/demo.yaml)")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ScenarioError) as excinfo:
        load_document(tmp_path / "nope.yaml")
    assert str(only_problem(excinfo)) == f"{tmp_path / 'nope.yaml'}:1:1: file not found"
    with pytest.raises(ScenarioError) as excinfo:
        load_document(tmp_path)
    assert "is a folder" in only_problem(excinfo).message


def test_duplicate_keys_are_all_reported(broken_scenario, locate):
    path, text = broken_scenario(
        ("  cement: {category: product, price_per_unit: 1.3e6}\n",
         "  cement: {category: product, price_per_unit: 1.3e6}\n  coal: {category: virgin}\n"),
        ("exchanges:\n", "  power_plant: {product: {material: electricity, capacity_per_day: 5}}\nexchanges:\n"))
    with pytest.raises(ScenarioError) as excinfo:
        load_document(path)
    first, second = problems_of(excinfo)
    line, col = locate(text, "  coal: {category: virgin}")
    assert str(first) == (f"{path}:{line}:3: materials.coal: duplicate key 'coal' (first written on line 8); "
                          "YAML would silently keep only the last one")
    line, _ = locate(text, "power_plant:", 2)
    assert (second.path, second.mark.line, second.mark.col) == ("firms.power_plant", line, 3)
    assert f"first written on line {locate(text, 'power_plant:')[0]}" in second.message
    # keep_going: the problems travel with the document (the last value won) for the validator
    document = load_document(path, keep_going=True)
    assert len(document.problems) == 2
    assert document.data["materials"]["coal"] == {"category": "virgin"}


def test_alias_bomb_is_refused_quickly(write_yaml):
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for prev, name in zip("abcdefgh", "bcdefghi"):
        text += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    path = write_yaml("bomb.yaml", text)  # expands to 9**9 (387 million) strings
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as excinfo:
        load_document(path)
    assert time.perf_counter() - started < 2.0
    problem = only_problem(excinfo)
    # g is the first key whose value (9**7 values) is over the limit
    assert str(problem).startswith(f"{path}:7:1: g: YAML aliases (*name) expand this value to more than "
                                   "1,000,000 values, the limit for scenarios")
    assert "billion laughs" in problem.hint


@pytest.mark.parametrize("text, path, where", [
    ("a: &a [1, *a]\n", "a[1]", (1, 4)),
    ("firms: &f {x: {y: *f}}\n", "firms.x.y", (1, 8)),
])
def test_alias_that_contains_itself_is_refused(write_yaml, text, path, where):
    with pytest.raises(ScenarioError) as excinfo:
        load_document(write_yaml("loop.yaml", text))
    problem = only_problem(excinfo)
    assert (problem.path, (problem.mark.line, problem.mark.col)) == (path, where)
    assert "refers to the mapping or list that contains it" in problem.message


def test_deep_nesting_is_refused_not_a_crash(write_yaml):
    # 1000 levels used to exhaust the Python stack inside PyYAML's composer (exit code 1, "crashed")
    path = write_yaml("deep.yaml", "a: " + "[" * 1000 + "]" * 1000 + "\n")
    with pytest.raises(ScenarioError) as excinfo:
        load_document(path)
    assert "nested more than 100 levels deep" in only_problem(excinfo).message


def test_long_alias_chain_is_refused_not_a_crash(write_yaml):
    # 1200 nested single-item lists: fewer values than the size limit, but deeper than the stack
    lines = ["a0: &a0 [1]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, 1200)]
    with pytest.raises(ScenarioError) as excinfo:
        load_document(write_yaml("chain.yaml", "\n".join(lines) + "\n"))
    assert "more than 100 levels deep" in only_problem(excinfo).message


def test_ordinary_anchors_and_merge_keys_still_work(write_yaml):
    path = write_yaml("anchors.yaml", dedent("""
        defaults: &small {kind: sme, plot_ha: 0.5}
        firms:
          a: {<<: *small, label: A}
          b: {<<: *small, kind: recycler}
    """))
    data = load_document(path).data
    assert data["firms"]["a"] == {"kind": "sme", "plot_ha": 0.5, "label": "A"}
    assert data["firms"]["b"] == {"kind": "recycler", "plot_ha": 0.5}


def test_undefined_alias_and_python_tags(write_yaml):
    with pytest.raises(ScenarioError) as excinfo:
        load_document(write_yaml("alias.yaml", "name: x\nrun: *settings\n"))
    assert str(only_problem(excinfo)).startswith(f"{excinfo.value.problems[0].mark.file}:2:6: "
                                                 "YAML alias error: found undefined alias 'settings'")
    with pytest.raises(ScenarioError) as excinfo:
        load_document(write_yaml("tag.yaml", "name: !!python/object/apply:os.system ['echo hi']\n"))
    problem = only_problem(excinfo)
    assert problem.message.startswith("unsupported YAML value")
    assert (problem.mark.line, problem.mark.col) == (1, 7)


def test_oversized_file_is_refused_quickly(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("name: huge\n# " + "x" * (MAX_FILE_BYTES + 10) + "\n", encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as excinfo:
        load_document(path)
    assert time.perf_counter() - started < 1.0
    problem = only_problem(excinfo)
    assert str(problem.mark) == f"{path}:1:1"
    assert "above the limit of 5,000,000 bytes (5 MB) for scenarios" in problem.message
    assert "archetype" in problem.hint
    # the same limit applies to text handed over directly
    with pytest.raises(ScenarioError, match="above the limit"):
        read_yaml_text("x" * (MAX_FILE_BYTES + 1), "big.yaml")


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(ScenarioError) as excinfo:
        read_yaml_file(path)
    assert "not UTF-8" in only_problem(excinfo).message


def _not_regular(tmp_path, kind):
    import os

    path = tmp_path / f"{kind}.yaml"
    if kind == "zero":
        path.symlink_to("/dev/zero")      # endless: grew to 7 GB before this was refused
    elif kind == "fifo":
        os.mkfifo(path)                   # nobody writes: reading used to hang forever
    elif kind == "loop":
        path.symlink_to(path.name)        # a link to itself
    elif kind == "dangling":
        path.symlink_to("nowhere.yaml")
    elif kind == "folder":
        path.mkdir()
    return path


@pytest.mark.parametrize("kind, message", [
    ("zero", "is not a regular file (a device, FIFO or socket)"),
    ("fifo", "is not a regular file (a device, FIFO or socket)"),
    ("loop", "symbolic link loop: the link never reaches a file"),
    ("dangling", "file not found"),
    ("folder", "is a folder, not a scenario file"),
])
def test_only_regular_files_are_read(tmp_path, kind, message):
    path = _not_regular(tmp_path, kind)
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as excinfo:
        load_document(path)
    assert time.perf_counter() - started < 2.0
    problem = only_problem(excinfo)
    assert (str(problem.mark), problem.message) == (f"{path}:1:1", message)


@pytest.mark.parametrize("text, where, what", [
    ("name: x\x00\n", (1, 8), "a NUL byte"),
    ("name: x\nrun:\n  seed: 1\x00\x00\n", (3, 10), "a NUL byte"),
    ("name: \x07bell\n", (1, 7), "the control character U+0007"),
    ("\x00", (1, 1), "a NUL byte"),
])
def test_nul_bytes_and_control_characters_are_marked(tmp_path, text, where, what):
    path = tmp_path / "binary.yaml"
    path.write_bytes(text.encode())
    with pytest.raises(ScenarioError) as excinfo:
        load_document(path)
    problem = only_problem(excinfo)
    assert ((problem.mark.line, problem.mark.col), problem.message) == (
        where, f"the file contains {what}; YAML allows only printable text")
    assert "plain UTF-8 text" in problem.hint


def test_scenario_that_extends_itself_through_a_symlink_loop(tmp_path):
    (tmp_path / "loop.yaml").symlink_to("loop.yaml")
    path = tmp_path / "child.yaml"
    path.write_text("extends: loop.yaml\n")
    with pytest.raises(ScenarioError) as excinfo:
        load_document(path)
    problem = only_problem(excinfo)
    assert (str(problem.mark), problem.message) == (f"{tmp_path / 'loop.yaml'}:1:1",
                                                    "symbolic link loop: the link never reaches a file")


@pytest.mark.parametrize("base, shown", [
    ("a" * 5000, "5,000 characters"),
    ('"a\\0b.yaml"', "8 characters, with a NUL byte"),
])
def test_extends_with_an_unusable_file_name(write_yaml, base, shown):
    # 5,000 characters used to crash with "OSError: File name too long"
    with pytest.raises(ScenarioError) as excinfo:
        load_document(write_yaml("long.yaml", f"extends: {base}\n"))
    problem = only_problem(excinfo)
    assert (problem.path, problem.message) == ("extends", f"base file name is not usable ({shown})")
    assert (problem.mark.line, problem.mark.col) == (1, 1)


# --------------------------------------------------------------------------- extends


BASE = """\
name: base
run:
  horizon_days: 30
  seed: 7
park:
  truck_fleet: {trucks: 2, load: 20}
firms:
  kiln:
    location_km: [1.0, 2.0]
    outputs: {ash: 0.2, loss: 0.1}
"""


def test_extends_deep_merges_child_wins_lists_replace(write_yaml):
    write_yaml("base.yaml", BASE)
    child = write_yaml("child.yaml", dedent("""
        extends: base.yaml
        name: child
        run: {horizon_days: 90}
        park: {truck_fleet: {trucks: 5}}
        firms:
          kiln:
            location_km: [3.0]
            outputs: {loss: 0.3}
          mill: {kind: sme}
    """))
    document = load_document(child)
    assert document.data == {
        "name": "child",
        "run": {"horizon_days": 90, "seed": 7},                     # nested mappings merge
        "park": {"truck_fleet": {"trucks": 5, "load": 20}},
        "firms": {"kiln": {"location_km": [3.0],                    # lists replace
                           "outputs": {"ash": 0.2, "loss": 0.3}},   # the child wins
                  "mill": {"kind": "sme"}},
    }
    assert document.chain == [str(child.parent / "base.yaml"), str(child)]
    assert "extends" not in document.data


def test_marks_after_extends_point_to_the_file_that_wrote_the_value(write_yaml):
    base = write_yaml("base.yaml", BASE)
    child = write_yaml("child.yaml", "extends: base.yaml\nrun: {horizon_days: 90}\nfirms:\n  kiln:\n"
                                     "    location_km: [3.0, 4.0]\n")
    marks = load_document(child).sources
    assert marks.lookup(("run", "seed")) == SourceMark(str(base), 4, 3)
    assert marks.lookup(("run", "horizon_days")) == SourceMark(str(child), 2, 7)
    assert marks.lookup(("firms", "kiln", "outputs", "ash")) == SourceMark(str(base), 10, 15)
    assert marks.lookup(("firms", "kiln", "location_km")) == SourceMark(str(child), 5, 5)
    # the replaced list keeps no marks of the base's items
    assert marks.lookup(("firms", "kiln", "location_km", 1)) == SourceMark(str(child), 5, 24)


def test_extends_several_bases_later_wins(write_yaml):
    write_yaml("a.yaml", "name: a\nrun: {horizon_days: 10, seed: 1}\n")
    write_yaml("sub/b.yaml", "name: b\nrun: {seed: 2}\n")
    child = write_yaml("c.yaml", "extends: [a.yaml, sub/b.yaml]\ndescription: c\n")
    document = load_document(child)
    assert document.data == {"name": "b", "run": {"horizon_days": 10, "seed": 2}, "description": "c"}
    assert [p.split("/")[-1] for p in document.chain] == ["a.yaml", "b.yaml", "c.yaml"]


def test_extends_itself(write_yaml):
    path = write_yaml("self.yaml", "name: x\nextends: self.yaml\n")
    with pytest.raises(ScenarioError) as excinfo:
        load_document(path)
    problem = only_problem(excinfo)
    assert (str(problem.mark), problem.path) == (f"{path}:2:1", "extends")
    assert "`extends` forms a cycle" in problem.message
    assert "cannot extend itself" in problem.hint


def test_extends_cycle_through_two_files(write_yaml):
    first = write_yaml("one.yaml", "# one\nextends: two.yaml\nname: one\n")
    second = write_yaml("two.yaml", "name: two\nextends: [base.yaml, one.yaml]\n")
    write_yaml("base.yaml", "description: fine\n")
    with pytest.raises(ScenarioError) as excinfo:
        load_document(first)
    problem = only_problem(excinfo)
    # reported where the cycle closes: the second item of two.yaml's list
    assert str(problem.mark) == f"{second}:2:22"
    assert problem.message.endswith(f"{first.resolve()} -> {second.resolve()} -> {first.resolve()}")


def test_extends_missing_base_file(write_yaml):
    child = write_yaml("child.yaml", "# a child\nextends: bsae.yaml\nname: c\n")
    with pytest.raises(ScenarioError) as excinfo:
        load_document(child)
    problem = only_problem(excinfo)
    assert str(problem) == (
        f"{child}:2:1: extends: base file 'bsae.yaml' not found (looked for {child.parent / 'bsae.yaml'}) "
        "(paths in `extends` are relative to the scenario file)")


def test_extends_of_the_wrong_type(write_yaml):
    with pytest.raises(ScenarioError) as excinfo:
        load_document(write_yaml("c.yaml", "name: c\nextends: {file: base.yaml}\n"))
    problem = only_problem(excinfo)
    assert (problem.path, problem.mark.line, problem.message) == (
        "extends", 2, "must be a file name or a list of file names")


def test_problem_in_a_base_file_names_the_base(write_yaml):
    base = write_yaml("base.yaml", "name: b\nrun: {seed: 1\n")
    child = write_yaml("child.yaml", "extends: base.yaml\n")
    with pytest.raises(ScenarioError) as excinfo:
        load_document(child)
    assert only_problem(excinfo).mark.file == str(base)


# --------------------------------------------------------------------------- variants


VARIANTS = """\
variants:
  long_run:
    run: {horizon_days: 365}
  platform:
    platform: {opens_day: 60}
    name: with-platform
"""


def test_variant_is_merged_and_renames_the_scenario(write_yaml, scenario_text):
    path = write_yaml("v.yaml", scenario_text + VARIANTS)
    document = load_document(path, variant="long_run")
    assert document.data["run"] == {"horizon_days": 365, "seed": 7}
    assert document.data["name"] == "mini-long_run"
    assert "variants" not in document.data
    assert set(document.variants) == {"long_run", "platform"}
    line = scenario_text.count("\n") + 3
    assert str(document.sources.lookup(("run", "horizon_days"))) == f"{path}:{line}:11"
    assert load_document(path, variant="platform").data["name"] == "with-platform"
    assert load_document(path).data["run"]["horizon_days"] == 30


def test_unknown_variant_suggests_the_closest(write_yaml, scenario_text):
    path = write_yaml("v.yaml", scenario_text + VARIANTS)
    with pytest.raises(ScenarioError) as excinfo:
        load_document(path, variant="long-run")
    line = scenario_text.count("\n") + 1
    assert str(only_problem(excinfo)) == (
        f"{path}:{line}:1: variants: unknown variant 'long-run'; this scenario defines: long_run, platform "
        "(did you mean 'long_run'?)")


def test_unknown_variant_when_none_is_defined(mini_scenario):
    with pytest.raises(ScenarioError) as excinfo:
        load_document(mini_scenario, variant="fast")
    problem = only_problem(excinfo)
    assert problem.message == "unknown variant 'fast'; this scenario defines no variants"
    assert str(problem.mark) == f"{mini_scenario}:1:1"


def test_variant_that_is_not_a_mapping(write_yaml, scenario_text):
    path = write_yaml("v.yaml", scenario_text + "variants:\n  quick: 30\n")
    with pytest.raises(ScenarioError) as excinfo:
        load_document(path, variant="quick")
    problem = only_problem(excinfo)
    assert (problem.path, problem.message) == ("variants.quick", "a variant must be a mapping of overrides")
    assert problem.mark.line == scenario_text.count("\n") + 2


# --------------------------------------------------------------------------- --set overrides


@pytest.mark.parametrize("text, path, value", [
    ("run.horizon_days=90", ("run", "horizon_days"), 90),
    ("materials.coal.price_per_unit=1e6", ("materials", "coal", "price_per_unit"), 1_000_000.0),
    ("run.seed='7'", ("run", "seed"), "7"),
    ("name=other", ("name",), "other"),
    ("platform=null", ("platform",), None),
    ("platform={opens_day: 3, coverage: 0.5}", ("platform",), {"opens_day": 3, "coverage": 0.5}),
    ("firms.power_plant.location_km=[5, 6.5]", ("firms", "power_plant", "location_km"), [5, 6.5]),
    ("firms.cement_works.b3_licence=true", ("firms", "cement_works", "b3_licence"), True),
])
def test_override_values_are_typed_yaml(mini_scenario, text, path, value):
    data = load_document(mini_scenario, overrides=[text]).data
    for key in path:
        data = data[key]
    assert data == value and type(data) is type(value)


def test_override_marks_name_the_option_and_column(mini_scenario):
    document = load_document(mini_scenario, overrides=["run.seed=1", "policy.landfill_tax_per_t=5e4"])
    assert document.overrides == ["run.seed=1", "policy.landfill_tax_per_t=5e4"]
    assert str(document.sources.lookup(("run", "seed"))) == "--set:1:10"
    # a mapping created by the override is marked too, not the top of the file
    assert str(document.sources.lookup(("policy",))) == "--set:2:27"
    assert str(document.sources.lookup(("run", "horizon_days"))) == f"{mini_scenario}:5:3"


def test_bad_overrides_are_all_reported(mini_scenario):
    with pytest.raises(ScenarioError) as excinfo:
        load_document(mini_scenario, overrides=["run.seed", "run..seed=1", "name=[unclosed", "name.first=x"])
    assert excinfo.value.report().splitlines() == [
        "--set:1:1: 'run.seed' is not of the form dotted.path=value (for example --set run.horizon_days=90)",
        "--set:2:1: 'run..seed' is not a dotted path of field names "
        "(for example --set firms.cement.product.capacity_per_day=2000)",
        "--set:3:6: name: the value is not valid YAML: while parsing a flow sequence (started at line 1, "
        "column 1): expected ',' or ']', but got '<stream end>' "
        "(quote text with spaces or brackets: --set 'name=\"...\"')",
        "--set:4:12: name.first: cannot set 'name.first': 'name' is text, not a mapping",
        "4 problems found.",
    ]


def test_override_and_variant_problems_together(write_yaml, scenario_text):
    path = write_yaml("v.yaml", scenario_text + VARIANTS)
    with pytest.raises(ScenarioError) as excinfo:
        load_document(path, variant="platfrom", overrides=["oops"])
    assert [p.path for p in excinfo.value.problems] == ["", "variants"]
    assert "did you mean 'platform'?" in excinfo.value.report()


def test_parse_override_alone():
    dotted, value, sources = parse_override("run.horizon_days = 90", number=3)
    assert (dotted, value) == ("run.horizon_days", 90)
    assert sources.default == SourceMark("--set", 3, 19)
