"""The ``eipsim`` command line.

Errors are for people: bad input prints every problem as ``FILE:LINE:COL: field: message`` and
exits with code 2, without a traceback (``--debug`` shows it); so do command-line values out of
their range (``--replications`` at most 100,000, ``--jobs`` at most 1024), an ``--out`` that is a
file or not writable and a ``--scheduler`` where nothing answers within 5 s, all before any work.
A crash, or an experiment with failed runs, exits with code 1; a closed stdout (``| head``) ends
quietly with 141. Ctrl-C exits with 130 and SIGTERM with 143, both after the
same cleanup: no half-written result is kept, and an interrupted experiment says how to resume.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
from pathlib import Path

from .errors import EipsimError, ScenarioError, SimulationError, warnings_report
from .storage import AUTO_PARQUET_ROWS, TABLE_FORMATS, check_table_format, long_csv_warnings
from .vocabulary import format_value

EXIT_OK, EXIT_CRASH, EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a command killed by a closed pipe (`eipsim sweep ... | head`)
MAX_JOBS = 1024
SCHEDULER_TIMEOUT_S = 5.0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse printed the problem with the usage (2) or the help (0)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    args.debug = getattr(args, "debug", False)
    with SigtermAsInterrupt() as sigterm:
        try:
            return args.handler(args, argv)
        except BrokenPipeError:  # the reader of stdout went away (`| head`): nothing more to say
            _silence_stdout()
            return EXIT_BROKEN_PIPE
        except ScenarioError as exc:
            if args.debug:
                raise
            print(exc.report(), file=sys.stderr)
            return EXIT_BAD_INPUT
        except SimulationError as exc:
            if args.debug:
                raise
            print(f"eipsim: {exc}", file=sys.stderr)
            return EXIT_CRASH
        except EipsimError as exc:
            if args.debug:
                raise
            print(f"eipsim: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except KeyboardInterrupt as exc:
            print(f"\neipsim: {'stopped by SIGTERM' if sigterm.received else 'interrupted'}; "
                  f"{_kept_after_interrupt(exc, args.command)}", file=sys.stderr)
            return EXIT_TERMINATED if sigterm.received else EXIT_INTERRUPTED
        except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
            if args.debug:
                raise
            print(f"eipsim crashed: {type(exc).__name__}: {exc}\n"
                  "This is a bug in eipsim; run again with --debug for the traceback and report it.",
                  file=sys.stderr)
            return EXIT_CRASH


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that flushing it at exit raises no second BrokenPipeError."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


class SigtermAsInterrupt:
    """While active, SIGTERM raises KeyboardInterrupt as Ctrl-C does, so the same cleanup runs
    (hidden partial folders are removed); ``received`` tells that it was SIGTERM."""

    def __enter__(self) -> SigtermAsInterrupt:
        self.received = False
        self.pid = os.getpid()
        self.previous = signal.signal(signal.SIGTERM, self._interrupt)
        return self

    def __exit__(self, *exc_info) -> None:
        signal.signal(signal.SIGTERM, self.previous)

    def _interrupt(self, signum, frame) -> None:
        if os.getpid() != self.pid:  # a worker process forked by an engine: end as SIGTERM always did
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self.received = True
        raise KeyboardInterrupt


def _kept_after_interrupt(exc: KeyboardInterrupt, command: str) -> str:
    """What an interrupt kept: nothing half-written, or an experiment's finished runs and how to go on."""
    folder = getattr(exc, "folder", None)  # set by runner.ExperimentInterrupted
    if folder is None:
        return "nothing half-written was kept."
    return (f"the finished runs are kept in {folder}\n"
            f"Run the others and write the tables with: eipsim {command} --resume {shlex.quote(str(folder))}")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's default must not undo `eipsim --debug COMMAND`
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback of any error")
    parser = argparse.ArgumentParser(
        prog="eipsim", parents=[common],
        description="Simulate circular-economy material and money flows in an eco-industrial park.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    validate = commands.add_parser("validate", parents=[common], help="check scenario files (all problems at once)")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    validate.set_defaults(handler=cmd_validate)

    run = commands.add_parser("run", parents=[common], help="run a scenario (once or replicated)")
    run.add_argument("file", type=Path, metavar="FILE", nargs="?")
    _scenario_options(run)
    run.add_argument("--replication", type=count_arg(0, "MAX_REPLICATIONS"), metavar="I",
                     help="run replication I of an experiment alone (its seeds: SeedSequence(seed).spawn(n)[I])")
    _experiment_options(run, replications=1)
    run.add_argument("--dpi", type=dpi_arg, default=150, help="resolution of PNG charts (default 150)")
    run.set_defaults(handler=cmd_run)

    compare = commands.add_parser("compare", parents=[common],
                                  help="compare scenarios or variants with common random numbers")
    compare.add_argument("files", type=Path, nargs="*", metavar="FILE", help="baseline first")
    compare.add_argument("--variant", dest="variants", action="append", default=[], metavar="NAME",
                         help="a variant of the first file to compare with it (repeatable)")
    compare.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                         help="override a field in every scenario compared (repeatable)")
    _experiment_options(compare, replications=10)
    compare.set_defaults(handler=cmd_compare)

    sweep = commands.add_parser("sweep", parents=[common], help="sweep parameters (grid or Latin hypercube)")
    sweep.add_argument("file", type=Path, metavar="FILE", nargs="?")
    _scenario_options(sweep)
    sweep.add_argument("--grid", action="append", default=[], metavar="PATH=V1,V2,...",
                       help="values of a parameter; several --grid make a full factorial")
    sweep.add_argument("--lhs", type=count_arg(1, "MAX_RUNS"), metavar="N", help="N Latin-hypercube points over the --range bounds")
    sweep.add_argument("--range", dest="ranges", action="append", default=[], metavar="PATH=LOW:HIGH")
    _experiment_options(sweep, replications=1)
    sweep.set_defaults(handler=cmd_sweep)

    sens = commands.add_parser("sensitivity", parents=[common],
                               help="Sobol indices or Morris screening with SALib (optional extra)")
    sens.add_argument("file", type=Path, metavar="FILE", nargs="?")
    _scenario_options(sens)
    sens.add_argument("--method", default="sobol", choices=["sobol", "morris"],
                      help="sobol: variance shares (N (D + 2) runs); morris: elementary-effects screening "
                           "(N (D + 1) runs, N of 10-20 is usual)")
    sens.add_argument("--n", type=count_arg(1, "MAX_RUNS"), default=256,
                      help="Sobol: base sample size N (power of 2); Morris: trajectories")
    sens.add_argument("--range", dest="ranges", action="append", default=[], metavar="PATH=LOW:HIGH",
                      help="a parameter and its range (repeatable; default: the scenario's uncertain: parameters)")
    sens.add_argument("--outcome", dest="outcomes", action="append", default=None, metavar="METRIC",
                      help="indicator to analyse (repeatable; default: the headline indicators)")
    _experiment_options(sens, replications=1)
    sens.set_defaults(handler=cmd_sensitivity)

    plot = commands.add_parser("plot", parents=[common], help="redraw the charts of a result folder")
    plot.add_argument("folder", type=Path, metavar="RESULT_DIR")
    plot.add_argument("--only", help="comma-separated chart names (default: all of the folder)")
    plot.add_argument("--dpi", type=dpi_arg, default=150, help="resolution of PNG charts (default 150)")
    plot.add_argument("--lang", choices=["en", "id"], default="en", help="labels in English or Indonesian")
    plot.set_defaults(handler=cmd_plot)

    report = commands.add_parser("report", parents=[common], help="write a self-contained HTML report")
    report.add_argument("folder", type=Path, metavar="RESULT_DIR")
    report.add_argument("--lang", choices=["en", "id"], default="en", help="report in English or Indonesian")
    report.set_defaults(handler=cmd_report)

    schema = commands.add_parser("schema", parents=[common], help="print the JSON Schema of scenario files")
    schema.add_argument("--markdown", action="store_true",
                        help="print the field reference (field, type, unit, default, meaning) as Markdown")
    schema.set_defaults(handler=cmd_schema)

    export = commands.add_parser("export", parents=[common],
                                 help="write a result folder as an Excel workbook and/or GeoJSON map layer")
    export.add_argument("folder", type=Path, metavar="RESULT_DIR")
    export.add_argument("--xlsx", type=Path, metavar="FILE", help="workbook: indicators, flows, ledger, IO table ...")
    export.add_argument("--geojson", type=Path, metavar="FILE", help="firms as points, realised exchanges as lines")
    export.set_defaults(handler=cmd_export)

    imp = commands.add_parser("import", parents=[common],
                              help="turn a tenant list (CSV or Excel) into a scenario built from industry archetypes")
    imp.add_argument("table", type=Path, metavar="TABLE", help="tenant list: .csv or .xlsx, one row per tenant")
    imp.add_argument("--estate", required=True, help="name of the estate (the scenario's name is made from it)")
    imp.add_argument("--area-ha", type=float, help="gross area of the estate (ha)")
    imp.add_argument("-o", "--output", type=Path, help="scenario file to write (default: NAME.yaml here)")
    imp.add_argument("--sheet", help="Excel sheet to read (default: the first)")
    imp.add_argument("--columns", metavar="FIELD=HEADER,...",
                     help="columns whose headers are not recognised, e.g. name=Tenant,kbli=\"Kode KBLI\"")
    imp.add_argument("--plots", type=Path, metavar="FILE",
                     help="plot table (plot id + latitude/longitude or x/y km) for tenants located by plot id")
    imp.add_argument("--archetypes", action="append", default=[], type=Path, metavar="FILE",
                     help="your archetype library, over the bundled one (repeatable)")
    imp.add_argument("--force", action="store_true", help="replace the output file if it exists")
    imp.set_defaults(handler=cmd_import)

    explore = commands.add_parser("explore", parents=[common],
                                  help="open the explorer: levers, runs and charts in a web page (optional extra)")
    explore.add_argument("--host", default="127.0.0.1",
                         help="address to listen on (default 127.0.0.1: this computer only; 0.0.0.0 opens it)")
    explore.add_argument("--port", type=count_arg(0, 65535), default=8765, help="port (default 8765)")
    explore.add_argument("--scenario", type=Path, metavar="FILE", help="scenario selected when the page opens")
    explore.add_argument("--out", type=Path, default=Path("results"),
                         help="results folder; runs are kept in OUT/explorer (default: results)")
    explore.set_defaults(handler=cmd_explore)
    return parser


def _experiment_options(parser: argparse.ArgumentParser, replications: int) -> None:
    parser.add_argument("--replications", type=count_arg(1, "MAX_REPLICATIONS"), default=replications,
                        help=f"independent replications (default {replications}; at most 100,000)")
    parser.add_argument("--seed", type=int, help="root seed (default: run.seed of the scenario)")
    parser.add_argument("--jobs", type=count_arg(1, MAX_JOBS), default=None,
                        help=f"parallel workers (default: all cores; at most {MAX_JOBS})")
    parser.add_argument("--engine", choices=["serial", "process", "dask"], default="process",
                        help="where runs execute (default: local processes)")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="an existing Dask scheduler (implies dask)")
    parser.add_argument("--out", type=Path, default=Path("results"), help="results folder (default: results)")
    parser.add_argument("--resume", type=Path, metavar="DIR", help="finish an interrupted experiment in DIR")
    parser.add_argument("--no-figures", action="store_true", help="skip the charts (faster)")
    parser.add_argument("--format", choices=TABLE_FORMATS, default="auto",
                        help="result tables (flows, stocks, ledger, links, events, io_multipliers) as csv or "
                             "parquet; auto (default): parquet for a table of more than "
                             f"{AUTO_PARQUET_ROWS:,} rows when pyarrow is installed, else csv")
    parser.add_argument("--quiet", action="store_true",
                        help="print only the result folder (no tables, no progress bar); errors still show")


def _scenario_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--variant", help="apply a named variant of the scenario")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                        help="override a field, e.g. --set run.horizon_days=90 (repeatable)")


# --------------------------------------------------------------------------- commands


def cmd_validate(args, argv) -> int:
    from .validation import load_scenario
    from .loader import load_document
    from .scenario_warnings import scenario_warnings, unique

    failed = 0
    for path in args.files:
        problems, warnings = [], []
        try:
            scenario, document = load_scenario(path)
            variants = list(document.variants)
            warnings.extend(scenario_warnings(scenario, document.sources))
        except ScenarioError as exc:
            if args.debug:
                raise
            problems.extend(exc.problems)
            variants = _variants_of(path, load_document)
        for name in variants:
            try:
                variant, document = load_scenario(path, variant=name)
                warnings.extend(scenario_warnings(variant, document.sources))
            except ScenarioError as exc:
                problems.extend(p for p in exc.problems if p not in problems)
        if problems:
            failed += 1
            print(ScenarioError(problems).report(), file=sys.stderr)
        else:
            extra = f" and {len(variants)} variant(s)" if variants else ""
            print(f"{path}: OK ({len(scenario.firms)} firm entries, {len(scenario.materials)} materials{extra})")
            if warnings:
                print(warnings_report(unique(warnings)), file=sys.stderr)
    return EXIT_BAD_INPUT if failed else EXIT_OK


def _variants_of(path, load_document) -> list[str]:
    try:
        return list(load_document(path, keep_going=True).variants)
    except ScenarioError:
        return []


def cmd_run(args, argv) -> int:
    if args.replications < 1:
        raise EipsimError(f"--replications must be at least 1, got {args.replications}")
    if args.resume or args.replications > 1:
        from .experiment import api

        if args.resume:
            experiment = api.resume(args.resume, **_engine(args, argv, with_out=False))
        else:
            experiment = api.run(_need_file(args.file), replications=args.replications, variant=args.variant,
                                 overrides=args.overrides, seed=args.seed, **_engine(args, argv))
        return _report(experiment, args)
    from .plotting.saving import ChartProcesses
    from .scenario_warnings import scenario_warnings
    from .single_run import run_and_save
    from .validation import load_scenario

    # forked once the modules of a run are imported: a helper imports matplotlib while the scenario
    # loads and runs, then draws the charts with a copy of itself (simulator/plotting/saving.py)
    with ChartProcesses(start=not args.no_figures) as charts:
        overrides = list(args.overrides) + ([f"run.seed={args.seed}"] if args.seed is not None else [])
        scenario, document = load_scenario(_need_file(args.file), variant=args.variant, overrides=overrides)
        check_out(args.out)
        check_table_format(args.format)
        if not args.quiet:
            which = f", replication {args.replication}" if args.replication is not None else ""
            print(f"Running {scenario.name}: {scenario.run.horizon_days} days, seed {scenario.run.seed}{which} ...\n"
                  "This is one replication: one draw of the random events. For a mean with its 95 % confidence "
                  "interval, run it with --replications 30.", file=sys.stderr)
            uncertain = sum(dist is not None for dist in scenario.uncertain.values())
            if uncertain:
                used = ("the values replication {} draws".format(args.replication) if args.replication is not None
                        else "their point values (--replications N samples them)")
                print(f"  {uncertain} uncertain parameter(s): this run uses {used}", file=sys.stderr)
            if warnings := scenario_warnings(scenario, document.sources):
                print(warnings_report(warnings), file=sys.stderr)
        saved = run_and_save(scenario, document, out=args.out, argv=["eipsim", *argv], figures=not args.no_figures,
                             dpi=args.dpi, replication=args.replication, table_format=args.format, charts=charts)
    if not args.quiet:
        print(kpi_table(saved.metrics, scenario.currency))
        print(sector_multiplier_table(saved.folder / "io_multipliers.csv"))
        for warning in saved.warnings:
            print(f"  Warning: {warning['text']}")
        for note in saved.notes:
            print(f"  Warning: {note}")
        for note in long_csv_warnings(saved.tables):
            print(f"  Warning: {note}")
        if args.format == "auto" and (parquet := sorted(p.name for p in saved.folder.glob("*.parquet"))):
            print(f"  Tables of more than {AUTO_PARQUET_ROWS:,} rows, too long for Excel, are Parquet files "
                  f"(pandas.read_parquet, DuckDB; `eipsim export --xlsx` sums them): {', '.join(parquet)}")
    print(saved.folder)
    return EXIT_OK


def cmd_compare(args, argv) -> int:
    from .experiment import api

    if args.resume:
        return _report(api.resume(args.resume, **_engine(args, argv, with_out=False)), args)
    if not args.files:
        raise EipsimError("compare needs at least one scenario FILE (the baseline)")
    experiment = api.compare(args.files, variants=args.variants, replications=args.replications,
                             overrides=args.overrides, seed=args.seed, **_engine(args, argv))
    return _report(experiment, args)


def cmd_sweep(args, argv) -> int:
    from .experiment import api

    if args.resume:
        return _report(api.resume(args.resume, **_engine(args, argv, with_out=False)), args)
    experiment = api.sweep(_need_file(args.file), grid=args.grid, lhs=args.lhs, ranges=args.ranges,
                           replications=args.replications, variant=args.variant, overrides=args.overrides,
                           seed=args.seed, **_engine(args, argv))
    return _report(experiment, args)


def cmd_sensitivity(args, argv) -> int:
    from .experiment import api

    if args.resume:
        return _report(api.resume(args.resume, **_engine(args, argv, with_out=False)), args)
    experiment = api.sensitivity(_need_file(args.file), ranges=args.ranges, n=args.n, method=args.method,
                                 outcomes=args.outcomes, replications=args.replications, variant=args.variant,
                                 overrides=args.overrides, seed=args.seed, **_engine(args, argv))
    return _report(experiment, args)


def _need_file(path):
    if path is None:
        raise EipsimError("give a scenario FILE (or --resume DIR)")
    return path


def _engine(args, argv, with_out: bool = True) -> dict:
    if args.scheduler:
        check_scheduler(args.scheduler)
    if with_out:
        check_out(args.out)
    options = {"engine": args.engine, "jobs": args.jobs, "scheduler": args.scheduler,
               "figures": not args.no_figures, "progress": False if args.quiet else None,
               "table_format": check_table_format(args.format)}
    if with_out:
        options.update(out=args.out, argv=["eipsim", *argv])
    return options


def check_out(out: Path) -> None:
    """Refuse at once a results folder that is a file or cannot be written (EipsimError)."""
    from .storage import unwritable_reason

    reason = unwritable_reason(out)
    if reason:
        raise EipsimError(f"--out {out}: {reason}")


def check_scheduler(address: str) -> None:
    """Refuse at once a Dask scheduler address that is malformed or where nothing answers."""
    import socket
    from urllib.parse import urlsplit

    hint = "start one with `dask scheduler`, or leave out --scheduler to run on this computer"
    try:
        parts = urlsplit(address if "://" in address else f"tcp://{address}")
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host or not port:
        raise EipsimError(f"--scheduler {address!r} is not an address of the form tcp://HOST:PORT")
    try:
        with socket.create_connection((host, port), timeout=SCHEDULER_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = (f"no answer within {SCHEDULER_TIMEOUT_S:g} s" if isinstance(exc, TimeoutError)
                  else (exc.strerror or str(exc)).lower())
        raise EipsimError(f"no Dask scheduler at {address} ({reason}); {hint}") from None


def _report(experiment, args) -> int:
    """Print the experiment's tables and its folder; exit with 1 when any run failed (said on
    stderr, so that ``--quiet`` shows it too)."""
    from .experiment.terminal_tables import experiment_table

    if not args.quiet:
        print(experiment_table(experiment))
    print(experiment.folder)
    failures = experiment.folder / "failures.csv"
    if experiment.runs_failed == experiment.runs_total:
        print(f"eipsim: every run failed; the errors are in {failures}", file=sys.stderr)
        return EXIT_CRASH
    if experiment.runs_failed:
        print(f"eipsim: {experiment.runs_failed:,} of {experiment.runs_total:,} runs failed; the errors are in "
              f"{failures}", file=sys.stderr)
        return EXIT_CRASH
    return EXIT_OK


def cmd_plot(args, argv) -> int:
    from .plotting.charts import RUN_CHARTS, EXPERIMENT_CHARTS, folder_figures
    from .plotting.saving import save_figures

    only = tuple(n.strip() for n in args.only.split(",")) if args.only else None
    known = set(RUN_CHARTS) | set(EXPERIMENT_CHARTS)
    if only and not set(only) <= known:
        unknown = ", ".join(sorted(set(only) - known))
        raise EipsimError(f"unknown chart(s) {unknown}; charts: {', '.join(sorted(known))}")
    figures = folder_figures(args.folder, args.lang, only)
    if not figures:
        asked = f" among {', '.join(only)}" if only else ""
        raise EipsimError(f"{args.folder} has no chart to draw{asked} (a run folder has {', '.join(RUN_CHARTS)}; "
                          "an experiment those of its kind: comparison and differences, sweep or sweep_points, "
                          "sobol, and discovery when its arms' representative runs were kept)")
    for path in save_figures(args.folder, figures, dpi=args.dpi, lang=args.lang):
        print(path)
    return EXIT_OK


def cmd_report(args, argv) -> int:
    from .report import build_report
    from .storage import write_atomic

    name = "report.html" if args.lang == "en" else f"report_{args.lang}.html"
    target = args.folder / name
    write_atomic(target, build_report(args.folder, args.lang))
    print(target)
    return EXIT_OK


def cmd_schema(args, argv) -> int:
    if args.markdown:
        from .docgen import field_reference

        print(field_reference())
        return EXIT_OK
    from .config import json_schema

    print(json.dumps(json_schema(), indent=2))
    return EXIT_OK


def cmd_export(args, argv) -> int:
    """Build every requested file first, then write them (atomically): an error writes nothing."""
    from .export_geojson import geojson_text
    from .export_xlsx import workbook_bytes
    from .storage import write_atomic, write_bytes_atomic

    if not (args.xlsx or args.geojson):
        raise EipsimError("say what to export: --xlsx FILE and/or --geojson FILE")
    if not args.folder.is_dir():
        raise EipsimError(f"{args.folder} is not a folder")
    workbook = workbook_bytes(args.folder) if args.xlsx else None
    layer = geojson_text(args.folder) if args.geojson else None
    if workbook is not None:
        write_bytes_atomic(args.xlsx, workbook)
        print(args.xlsx)
    if layer is not None:
        write_atomic(args.geojson, layer)
        print(args.geojson)
    return EXIT_OK


def cmd_import(args, argv) -> int:
    """Write the scenario built from a tenant table; print what was guessed. Nothing is written on error."""
    from .storage import write_atomic
    from .tenants.build import import_tenants, scenario_name

    output = args.output or Path(f"{scenario_name(args.estate)}.yaml")
    if output.exists() and not args.force:
        raise EipsimError(f"{output} exists; choose another --output or add --force to replace it")
    imported = import_tenants(args.table, estate=args.estate, area_ha=args.area_ha, sheet=args.sheet,
                              columns=args.columns, archetypes=args.archetypes, output_name=str(output),
                              plots=args.plots)
    write_atomic(output, imported.text)
    for line in imported.notes:
        print(f"note: {line}", file=sys.stderr)
    if imported.guesses:
        print(f"Guessed ({len(imported.guesses)}; also listed at the end of {output}):", file=sys.stderr)
        for line in imported.guesses:
            print(f"  {line}", file=sys.stderr)
    print(f"{output}: {imported.firms} firms; check it with: eipsim validate {output}", file=sys.stderr)
    print(output)
    return EXIT_OK


def cmd_explore(args, argv) -> int:
    """Serve the explorer page until Ctrl+C (imported here: it needs the optional extra)."""
    from . import explorer

    check_out(args.out)
    return explorer.serve(host=args.host, port=args.port, scenario=args.scenario, out=args.out)


# --------------------------------------------------------------------------- output


FIRM_MOVES = ("idle", "exited", "entered", "restarted")
"""What became of firms, in the order the run table lists them (indicators ``firms_<kind>``)."""


def kpi_table(values: dict[str, float], currency: str) -> str:
    """The headline indicators as an aligned text table with units."""
    from .metrics.registry import REGISTRY, unit_of

    rows = [(m.label, format_value(values[name], unit_of(name, currency)))
            for name, m in REGISTRY.items() if m.headline and name in values]
    moves = [values.get(f"firms_{kind}", 0.0) for kind in FIRM_MOVES]
    if any(moves):   # firms decided (viability) or scheduled entries and exits: say what happened
        at = next((i + 1 for i, (label, _) in enumerate(rows) if label == REGISTRY["sme_survival"].label), len(rows))
        rows.insert(at, ("Firms idle / exited / entered / restarted",
                         " / ".join(format_value(v, "").strip() for v in moves) + " firms"))
    pairs = [(kind, values.get(f"multiplier_{kind}_type1"), values.get(f"multiplier_{kind}_type2"))
             for kind in ("output", "income", "employment")]
    if all(a is not None and b is not None for _, a, b in pairs):
        rows.append(("Multipliers, Type I / Type II", ", ".join(
            f"{kind} {format_value(a, 'ratio')} / {format_value(b, 'ratio')}" for kind, a, b in pairs)))
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"  {label:<{width}}  {value}" for label, value in rows)


def sector_multiplier_table(path: Path) -> str:
    """Output multipliers (Type I / Type II) of every sector of the local input-output table, from
    a run's ``io_multipliers.csv`` (which also holds the income and employment multipliers)."""
    from .result_reader import read_table

    cells = [f"{row['sector']} {format_value(row['output_type1'], 'ratio')} / "
             f"{format_value(row['output_type2'], 'ratio')}" for row in read_table(path)]
    return (f"  Output multipliers by sector, Type I / Type II ({path.name} has income and employment):\n"
            + "\n".join(f"    {cell}" for cell in cells))


def count_arg(minimum: int, maximum: int | str):
    """An argparse type: a whole number from ``minimum`` to ``maximum`` (``1e3`` is read as 1000).

    ``maximum`` may name a limit of :mod:`simulator.experiment.plan` (imported only when used).
    """
    def parse(text: str) -> int:
        upper = maximum
        if isinstance(upper, str):
            from .experiment import plan

            upper = getattr(plan, upper)
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not value.is_integer():
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
        if not minimum <= value <= upper:
            shown = f"{int(value):,}" if abs(value) < 1e30 else text
            raise argparse.ArgumentTypeError(f"{shown} is outside {minimum:,} to {upper:,}")
        return int(value)

    parse.__name__ = "count"  # argparse names the type in its messages
    return parse


def dpi_arg(text: str) -> int | float:
    """``--dpi`` checked when the command line is read (argparse reports it with the usage)."""
    from .plotting.charts import check_dpi

    try:
        return check_dpi(text)
    except EipsimError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
