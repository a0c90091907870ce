"""The command line on bad input: every problem, exit code 2, no traceback, no result folder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import position

from simulator.cli import main
from simulator.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[1]

# Four problems in four places, one of each kind.
BREAKS = (
    ("  horizon_days: 30", "  horizon_dayz: 30"),                 # unknown key
    ("price_per_unit: 9.0e5", "price_per_unit: -9.0e5"),          # negative
    ("max_share: 0.3", "max_share: 3"),                           # share > 1
    ("supplier: power_plant", "supplier: power_plnt"),            # undefined firm
)


def expected_lines(path, text) -> list[str]:
    def at(needle):
        line, col = position(text, needle)
        return f"{path}:{line}:{col}"

    return [
        f"{at('horizon_dayz')}: run.horizon_dayz: unknown field 'horizon_dayz' (did you mean 'horizon_days'?)",
        f"{at('price_per_unit: -9')}: materials.clinker.price_per_unit: must be >= 0.0, got -900000.0",
        f"{at('max_share')}: firms.cement_works.inputs.clinker.substitutes.fly_ash.max_share: must be <= 1.0, "
        "got 3 (shares are fractions between 0 and 1: write 0.05 for 5%)",
        f"{at('supplier')}: exchanges[0].supplier: unknown firm 'power_plnt' (did you mean 'power_plant'?)",
        "4 problems found.",
    ]


@pytest.fixture
def broken(broken_scenario):
    return broken_scenario(*BREAKS)


def test_validate_prints_every_problem_and_exits_2(broken, capsys):
    path, text = broken
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == expected_lines(path, text)
    assert "Traceback" not in err


def test_validate_good_file_exits_0(mini_scenario, capsys):
    assert main(["validate", str(mini_scenario)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{mini_scenario}: OK (2 firm entries, 5 materials)\n"
    assert err == ""


def test_validate_several_files_reports_each(broken, mini_scenario, capsys):
    path, text = broken
    assert main(["validate", str(mini_scenario), str(path)]) == 2
    out, err = capsys.readouterr()
    assert out.startswith(f"{mini_scenario}: OK")
    assert err.splitlines() == expected_lines(path, text)


def test_validate_checks_every_variant(write_yaml, scenario_text, capsys):
    text = scenario_text + "variants:\n  good: {run: {seed: 3}}\n  bad:\n    run: {seed: -3}\n"
    path = write_yaml("v.yaml", text)
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    line, col = position(text, "seed: -3")
    assert out == ""
    assert err.splitlines() == [f"{path}:{line}:{col}: run.seed: must be >= 0, got -3", "1 problem found."]


@pytest.fixture
def saves(monkeypatch):
    """Record calls of ``run_and_save`` (which simulates and writes the folder) instead of running."""
    import simulator.single_run

    calls = []

    def fake_run_and_save(scenario, document=None, *, out, **kwargs):
        calls.append((scenario, Path(out)))
        folder = Path(out) / scenario.name / "run"
        folder.mkdir(parents=True)
        return SimpleNamespace(folder=folder, metrics={})

    monkeypatch.setattr(simulator.single_run, "run_and_save", fake_run_and_save)
    return calls


def test_validate_checks_variants_of_a_file_with_duplicate_keys(write_yaml, scenario_text, capsys):
    text = scenario_text.replace("firms:\n", "  coal: {category: virgin}\nfirms:\n")
    path = write_yaml("v.yaml", text + "variants:\n  bad:\n    run: {seed: -3}\n")
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err.endswith("2 problems found.\n")


def test_run_on_a_broken_scenario_writes_nothing(broken, tmp_path, capsys, saves):
    path, text = broken
    out_dir = tmp_path / "results"
    out_dir.mkdir()
    assert main(["run", str(path), "--out", str(out_dir), "--no-figures"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == expected_lines(path, text)  # not even the "Running ..." line
    assert saves == []  # never got as far as simulating
    assert list(out_dir.iterdir()) == []


def test_run_on_a_valid_scenario_gets_to_saving(mini_scenario, tmp_path, capsys, saves):
    """The contrast to the tests above: the same command on good input reaches the writer."""
    out_dir = tmp_path / "results"
    assert main(["run", str(mini_scenario), "--out", str(out_dir), "--quiet", "--set", "run.horizon_days=5"]) == 0
    ((scenario, out),) = saves
    assert (scenario.run.horizon_days, out) == (5, out_dir)
    assert capsys.readouterr().out == f"{out_dir / 'mini' / 'run'}\n"


@pytest.mark.parametrize("options, message", [
    (["--variant", "platfrom"], "variants: unknown variant 'platfrom'; this scenario defines: platform "
                                "(did you mean 'platform'?)"),
    (["--set", "run.horizon_days"], "'run.horizon_days' is not of the form dotted.path=value"),
    (["--set", "run.horizon_days=[90"], "run.horizon_days: the value is not valid YAML"),
    (["--set", "run.horizon_days=-5"], "--set:1:18: run.horizon_days: must be >= 1, got -5"),
    (["--set", "firms.cement_works.kindd=sme"], "firms.cement_works.kindd: unknown field 'kindd' "
                                                "(did you mean 'kind'?)"),
])
def test_run_with_bad_variant_or_override_exits_2(write_yaml, scenario_text, tmp_path, capsys, saves,
                                                  options, message):
    path = write_yaml("v.yaml", scenario_text + "variants:\n  platform: {platform: {opens_day: 60}}\n")
    out_dir = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out_dir), "--no-figures", *options]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert message in err
    assert err.endswith("1 problem found.\n")
    assert not out_dir.exists() and saves == []


def test_run_reports_variant_and_override_and_file_problems_together(broken, tmp_path, capsys):
    path, _ = broken
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--variant", "x", "--set", "oops"]) == 2
    err = capsys.readouterr().err
    assert err.endswith("6 problems found.\n")
    assert "unknown variant 'x'" in err and "'oops' is not of the form" in err


@pytest.mark.parametrize("name, make, message", [
    ("empty.yaml", lambda p: p.write_text(""), ":1:1: the file is empty"),
    ("list.yaml", lambda p: p.write_text("- a\n"), ":1:1: the document must be a mapping"),
    ("syntax.yaml", lambda p: p.write_text("name: x\nrun: {seed: 1\n"), ":3:1: YAML syntax error"),
    ("missing.yaml", lambda p: None, ":1:1: file not found"),
    ("cycle.yaml", lambda p: p.write_text("extends: cycle.yaml\n"), "`extends` forms a cycle"),
    ("base.yaml", lambda p: p.write_text("extends: nowhere.yaml\n"), "base file 'nowhere.yaml' not found"),
    # files that are not regular files, bytes that are not text, names that are not names
    ("zero.yaml", lambda p: p.symlink_to("/dev/zero"), ":1:1: is not a regular file"),
    ("fifo.yaml", lambda p: os.mkfifo(p), ":1:1: is not a regular file"),
    ("loop.yaml", lambda p: p.symlink_to(p.name), ":1:1: symbolic link loop"),
    ("folder.yaml", lambda p: p.mkdir(), ":1:1: is a folder, not a scenario file"),
    ("nul.yaml", lambda p: p.write_bytes(b"name: x\nrun: {seed: 1}\x00\n"), ":2:15: the file contains a NUL byte"),
    ("utf16.yaml", lambda p: p.write_text("name: x\n", encoding="utf-16"), ":1:1: file is not UTF-8 text"),
    ("long.yaml", lambda p: p.write_text("extends: " + "b" * 5000 + ".yaml\n"),
     ":1:1: extends: base file name is not usable (5,005 characters)"),
    ("tolink.yaml", lambda p: (p.parent / "z.yaml").symlink_to("/dev/zero") or p.write_text("extends: z.yaml\n"),
     "z.yaml:1:1: is not a regular file"),
])
def test_unreadable_scenarios_exit_2(tmp_path, capsys, name, make, message):
    path = tmp_path / name
    make(path)
    out_dir = tmp_path / "out"
    for command in (["validate", str(path)], ["run", str(path), "--out", str(out_dir)]):
        assert main(command) == 2
        out, err = capsys.readouterr()
        assert out == "" and message in err and "Traceback" not in err
    assert not out_dir.exists()


def test_alias_bomb_and_oversized_file_exit_2_quickly(write_yaml, tmp_path, capsys):
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for prev, name in zip("abcdefgh", "bcdefghi"):
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
    bomb = write_yaml("bomb.yaml", text)
    huge = tmp_path / "huge.yaml"
    huge.write_text("name: huge\nmaterials:\n" + "  m: {category: virgin}\n" * 240_000)
    assert huge.stat().st_size > 5_000_000
    for path, message in ((bomb, "1,000,000 values"), (huge, "above the limit of 5,000,000 bytes")):
        started = time.perf_counter()
        assert main(["validate", str(path)]) == 2
        assert time.perf_counter() - started < 2.0
        out, err = capsys.readouterr()
        assert out == "" and message in err and err.endswith("1 problem found.\n")


def test_debug_reraises_for_run(broken, tmp_path):
    path, _ = broken
    with pytest.raises(ScenarioError) as excinfo:
        main(["run", str(path), "--out", str(tmp_path / "out"), "--debug"])
    assert len(excinfo.value.problems) == 4
    assert not (tmp_path / "out").exists()


def test_debug_reraises_for_validate(broken):
    path, _ = broken
    with pytest.raises(ScenarioError):
        main(["validate", "--debug", str(path)])


def test_debug_before_the_command(broken, tmp_path):
    path, _ = broken
    with pytest.raises(ScenarioError):
        main(["--debug", "run", str(path), "--out", str(tmp_path / "out")])


# --------------------------------------------------------------------------- a real process


def _python(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "simulator", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_subprocess_validate_and_run_exit_2_without_traceback(broken, tmp_path):
    path, text = broken
    result = _python("validate", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == expected_lines(path, text)
    result = _python("run", str(path), "--no-figures", cwd=tmp_path)  # default --out: ./results
    assert (result.returncode, result.stdout) == (2, "")
    assert "Traceback" not in result.stderr and result.stderr.endswith("4 problems found.\n")
    assert list(tmp_path.iterdir()) == [path]  # no results/ folder appeared


def test_subprocess_debug_shows_the_traceback(broken, tmp_path):
    path, _ = broken
    result = _python("run", "--debug", str(path), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback (most recent call last)" in result.stderr
    assert "simulator.errors.ScenarioError" in result.stderr
    assert "4 problems found." in result.stderr
    assert not (tmp_path / "out").exists()


# Inputs that validation used to accept and the run then crashed on (or turned into inf/null):
# each is now refused at validation, with its place, before anything is simulated.
COUNTED = ("  cement_works:\n    kind: anchor", "  cement_works:\n    count: 2\n    kind: anchor")
HARD_INPUTS = [
    # an exchange naming a firm entry with a count (KeyError at the end of the run)
    ((COUNTED,), "consumer", "exchanges[0].consumer: unknown firm 'cement_works' "
                             "('cement_works' has count 2: name one of its firms, e.g. 'cement_works_1')"),
    ((COUNTED, ("supplier: power_plant", "supplier: cement_works")), "supplier",
     "exchanges[0].supplier: unknown firm 'cement_works'"),
    # yes/no values where a number is expected (true was read as 1)
    ((("horizon_days: 30", "horizon_days: true"),), "horizon_days",
     "run.horizon_days: must be a whole number, got 'true' (true and false are not numbers)"),
    ((("seed: 7", "seed: false"),), "seed", "run.seed: must be a whole number, got 'false'"),
    ((("max_share: 0.3", "max_share: true"),), "max_share", "max_share: must be a number, got 'true'"),
    ((("location_km: [0.0, 0.0]", "location_km: [true, 0.0]"),), "true, 0.0",
     "firms.power_plant.location_km[0]: must be a number, got 'true'"),
    ((("storage: {fly_ash: 50}", "storage: {fly_ash: true}"),), "fly_ash: true",
     "firms.cement_works.storage.fly_ash: must be a number, got 'true'"),
    ((("known_from_day: 0}", "known_from_day: false}"),), "known_from_day",
     "exchanges[0].known_from_day: must be a number, got 'false'"),
    # magnitudes that overflowed inside the run
    ((("capacity_per_day: 100}\n    inputs: {coal", "capacity_per_day: 1.0e300}\n    inputs: {coal"),),
     "capacity_per_day", "firms.power_plant.product.capacity_per_day: must be <= 1000000000.0, got 1e+300"),
    ((("price_per_unit: 1.2e6}", "price_per_unit: 1.0e300}"),), "price_per_unit: 1.0e300",
     "materials.coal.price_per_unit: must be <= 1000000000000000.0, got 1e+300"),
    ((("disposal_cost_per_unit: 3.0e5", "disposal_cost_per_unit: 1.0e308"),), "disposal_cost_per_unit",
     "materials.fly_ash.disposal_cost_per_unit: must be <= 1000000000000000.0"),
    ((("location_km: [0.0, 0.0]", "location_km: [1.0e308, 0.0]"),), "1.0e308",
     "firms.power_plant.location_km[0]: must be <= 20000.0"),
    ((("location_km: [1.0, 0.0]", "location_km: [1.0, -1.0e308]"),), "-1.0e308",
     "firms.cement_works.location_km[1]: must be >= -20000.0"),
    ((("kind: anchor\n    location_km: [0.0", "kind: anchor\n    plot_ha: 1.0e308\n    location_km: [0.0"),),
     "plot_ha", "firms.power_plant.plot_ha: must be <= 1000000.0"),
    ((COUNTED, ("kind: anchor\n    location_km: [1.0", "kind: anchor\n    plot_ha: 1.0e308\n    location_km: [1.0")),
     "plot_ha", "firms.cement_works.plot_ha: must be <= 1000000.0"),
    ((("kind: anchor\n    location_km: [0.0", "kind: anchor\n    employees: 10\n    wage_per_year: 1.0e308\n"
       "    location_km: [0.0"),), "wage_per_year", "firms.power_plant.wage_per_year: must be <= 1000000000000000.0"),
    ((("known_from_day: 0}", "known_from_day: 0, capacity_per_day: 1.0e308}"),), "capacity_per_day: 1.0e308",
     "exchanges[0].capacity_per_day: must be <= 1000000000.0"),
    ((("known_from_day: 0}", "known_from_day: 0, distance_km: 1.0e308}"),), "distance_km",
     "exchanges[0].distance_km: must be <= 40000.0"),
    # region shares with which no money leaves the region: (I - A) singular, inf and null multipliers
    ((("firms:\n", "region: {supplier_local_respend_share: 1, supplier_wage_share: 0}\nfirms:\n"),), "region",
     "region: with these shares no money ever leaves the region"),
    ((("firms:\n", "region: {household_local_spending_share: 1, supplier_local_respend_share: 1}\nfirms:\n"),),
     "region", "the input-output multipliers are infinite"),
]


@pytest.mark.parametrize("breaks, needle, message", HARD_INPUTS)
def test_inputs_the_run_cannot_handle_are_refused_at_validation(broken_scenario, tmp_path, capsys, saves,
                                                                breaks, needle, message):
    path, text = broken_scenario(*breaks)
    line, col = position(text, needle)
    out_dir = tmp_path / "out"
    for command in (["validate", str(path)], ["run", str(path), "--out", str(out_dir), "--no-figures"]):
        assert main(command) == 2
        out, err = capsys.readouterr()
        assert out == "" and "Traceback" not in err
        assert f"{path}:{line}:{col}: " in err and message in err, err
    assert not out_dir.exists() and saves == []


def test_exchange_may_name_one_firm_of_an_entry_with_a_count(broken_scenario, capsys):
    path, _ = broken_scenario(COUNTED, ("consumer: cement_works", "consumer: cement_works_2"))
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err


# --------------------------------------------------------------------------- command-line values


DEMO = ROOT / "scenarios" / "demo.yaml"


@pytest.mark.parametrize("options, message", [
    (["--replications", "1e9"], "argument --replications: 1,000,000,000 is outside 1 to 100,000"),
    (["--replications", "1000000000"], "argument --replications: 1,000,000,000 is outside 1 to 100,000"),
    (["--replications", "1e400"], "argument --replications: '1e400' is not a whole number"),
    (["--replications", "0"], "argument --replications: 0 is outside 1 to 100,000"),
    (["--replications", "2.5"], "argument --replications: '2.5' is not a whole number"),
    (["--replications", "ten"], "argument --replications: 'ten' is not a whole number"),
    (["--replication", "-1"], "argument --replication: -1 is outside 0 to 100,000"),
    (["--jobs", "-1"], "argument --jobs: -1 is outside 1 to 1,024"),
    (["--jobs", "0"], "argument --jobs: 0 is outside 1 to 1,024"),
    (["--jobs", "100000"], "argument --jobs: 100,000 is outside 1 to 1,024"),
    (["--out", str(DEMO)], f"eipsim: --out {DEMO}: is a file, not a folder"),
    (["--out", str(DEMO / "sub")], f"eipsim: --out {DEMO / 'sub'}: {DEMO} is a file, not a folder"),
    (["--replications", "2", "--out", str(DEMO)], f"eipsim: --out {DEMO}: is a file, not a folder"),
    (["--replications", "2", "--scheduler", "tcp://127.0.0.1:1"],
     "eipsim: no Dask scheduler at tcp://127.0.0.1:1 (connection refused); start one with `dask scheduler`"),
    (["--replications", "2", "--scheduler", "tcp://nowhere"],
     "eipsim: --scheduler 'tcp://nowhere' is not an address of the form tcp://HOST:PORT"),
    (["--replications", "2", "--scheduler", "tcp://host:99999"],
     "eipsim: --scheduler 'tcp://host:99999' is not an address of the form tcp://HOST:PORT"),
])
def test_bad_command_line_values_exit_2_at_once(tmp_path, capsys, options, message):
    """Refused before anything is allocated, loaded or written (1e9 replications took 3.8 GB)."""
    out_dir = tmp_path / "out"
    command = ["run", str(DEMO), "--out", str(out_dir), "--engine", "serial", *options]
    started = time.perf_counter()
    assert main(command) == 2
    assert time.perf_counter() - started < 5.0
    out, err = capsys.readouterr()
    assert out == "" and message in err and "Traceback" not in err
    assert not out_dir.exists()


@pytest.mark.parametrize("command, message", [
    (["sweep", str(DEMO), "--lhs", "0", "--range", "platform.coverage=0:1"], "argument --lhs: 0 is outside 1"),
    (["sweep", str(DEMO), "--grid", "platform.coverage=" + ",".join(["0.5"] * 2000), "--replications", "1000"],
     "2,000 configurations x 1,000 replications = 2,000,000 runs, above the limit of 1,000,000 runs"),
    (["sensitivity", str(DEMO), "--n", "-8", "--range", "platform.coverage=0:1"], "argument --n: -8 is outside 1"),
    (["sensitivity", str(DEMO), "--n", "1e6", "--range", "platform.coverage=0:1"],
     "3,000,000 configurations x 1 replications = 3,000,000 runs"),
    (["compare", str(DEMO), str(DEMO), "--replications", "-5"], "argument --replications: -5 is outside 1"),
    (["explore", "--port", "70000"], "argument --port: 70,000 is outside 0 to 65,535"),
])
def test_bad_experiment_sizes_exit_2_at_once(tmp_path, capsys, command, message):
    out_dir = tmp_path / "out"
    started = time.perf_counter()
    assert main([*command, "--out", str(out_dir)] if command[0] != "explore" else command) == 2
    assert time.perf_counter() - started < 5.0
    out, err = capsys.readouterr()
    assert out == "" and message in err and "Traceback" not in err
    assert not out_dir.exists()


def test_single_run_says_it_is_one_replication(mini_scenario, tmp_path, capsys):
    assert main(["run", str(mini_scenario), "--out", str(tmp_path / "out"), "--no-figures"]) == 0
    err = capsys.readouterr().err
    assert "This is one replication: one draw of the random events" in err and "--replications 30" in err


def test_a_closed_stdout_ends_quietly(tmp_path):
    """`eipsim schema | head -c 10`: no "bug in eipsim", no traceback, the exit code of SIGPIPE."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen([sys.executable, "-m", "simulator", "schema"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader went away before the first line
    err = process.stderr.read().decode()
    assert (process.wait(timeout=60), err) == (141, "")
