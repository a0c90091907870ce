"""One run from scenario to result folder: simulate, compute indicators, draw, save atomically."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .chartdata import firm_labels, run_chart_data
from .compose import ComposedScenario, compose
from .config import Scenario
from .errors import EipsimError
from .export import io_table_csv, pymrio_files
from .loader import LoadedDocument, dump_yaml
from .metrics import compute_metrics
from .metrics.local_economy import io_table, sector_multipliers
from .metrics.plausibility import driving_parameters, plausibility_warnings
from .metrics.registry import describe
from .model.park import run_scenario
from .results import RunResult
from .scenario_warnings import run_warnings
from .storage import TABLE_CHUNK_ROWS, ResultFolder, check_table_format, digest, manifest, run_folder, utc_now
from .uncertainty import locate, sample
from .validation import sampled_scenario

if TYPE_CHECKING:
    from .plotting.saving import ChartProcesses

RESULTS_DIR = Path("results")


@dataclass(frozen=True)
class SavedRun:
    folder: Path
    metrics: dict[str, float]
    result: RunResult
    warnings: list[dict]
    """Plausibility warnings (:mod:`.metrics.plausibility`), also in the manifest."""
    notes: list[str]
    """Notes on the run (:func:`.scenario_warnings.run_warnings`: firms that produced nothing),
    also in the manifest."""
    tables: dict[str, tuple[str, str, int]]
    """Tables written: name -> (format asked for, format written, rows) (:attr:`.storage.ResultFolder.tables`)."""


def resolved_yaml(scenario: Scenario, document: LoadedDocument | None, drawn: dict[str, float] | None = None) -> str:
    """The fully merged scenario, as YAML, with where it came from in a header; ``drawn``: the
    values this run drew for its uncertain parameters (in place of the point values below)."""
    from . import __version__

    lines = [f"# Scenario as run by eipsim {__version__}: every default filled in, every override applied."]
    if document is not None:
        lines.append(f"# from: {' <- '.join(document.chain)}")
        if document.variant:
            lines.append(f"# variant: {document.variant}")
        for override in document.overrides:
            lines.append(f"# --set {override}")
    for path, value in (drawn or {}).items():
        lines.append(f"# drawn from uncertain: {path} = {value:.6g}")
    return "\n".join(lines) + "\n" + dump_yaml(scenario.model_dump(mode="json"))


def composed_yaml(composed: ComposedScenario) -> str:
    """The scenario the model ran, as YAML: the levers realised (IKM firms, linkage, the IKM
    centre) and every firm's place (``layout``), after extends, variants, ``--set``, archetypes and
    draws. For reading; ``scenario.resolved.yaml`` is the file to run again."""
    from . import __version__

    layout = [{"id": i.id, "entry": i.entry, "location_km": list(i.location_km)} for i in composed.instances]
    return (f"# Scenario as composed by eipsim {__version__} (simulator/compose.py): what the model ran.\n"
            "# For reading: run scenario.resolved.yaml to run it again.\n"
            + dump_yaml({**composed.model_dump(mode="json"), "layout": layout}))


def uncertain_record(scenario: Scenario, drawn: dict[str, float], replication: int | None) -> dict:
    """What a run did with the scenario's uncertain parameters (for its manifest)."""
    paths = [p for p, dist in scenario.uncertain.items() if dist is not None]
    if not paths:
        return {}
    if replication is None:
        return {"used": "point values", "values": {p: locate(scenario, p).value for p in sorted(paths)}}
    return {"used": f"values drawn for replication {replication}", "values": drawn}


def provenance(document: LoadedDocument | None) -> dict:
    if document is None:
        return {}
    return {"scenario_file": document.file, "extends_chain": document.chain, "variant": document.variant,
            "overrides": document.overrides}


def write_run_tables(folder: ResultFolder, result: RunResult, currency: str, *, figures: bool = True,
                     dpi: int = 150, replications: int = 1, geo_origin: tuple | None = None,
                     table_format: str = "auto", charts: ChartProcesses | None = None,
                     labels: dict[str, str] | None = None) -> None:
    """The tables (flows, stocks, ledger, links, events, IO table) and figures of one run into
    ``folder``; the tables of rows as CSV or Parquet by ``table_format`` (see
    :class:`simulator.storage.TableWriter`), the long ones (flows, stocks, ledger) in chunks of
    :data:`~simulator.storage.TABLE_CHUNK_ROWS` rows, the IO table as CSV (pymrio's layout);
    ``charts``: processes started to draw the figures (else they are drawn here); ``labels``: the
    firm entries' labels (:func:`simulator.chartdata.firm_labels`) the charts name them by."""
    # chart data and IO table first: their sums over a long run's ledger and series then come
    # before the tables' writers (pyarrow's buffers) have grown the process
    data = run_chart_data(result, replications, geo_origin, labels)
    table = io_table(result)
    trucks = None if result.shipment_period_days is None else result.truck_totals()  # run.record.shipments
    rows = len(result.flows) + (len(result.shipments) if trucks is None else len(trucks["link"]))
    folder.write_table("flows", result.flows_chunks(TABLE_CHUNK_ROWS, trucks), table_format, rows=rows)
    days, stores = result.slot_level.shape  # days, or periods (run.record.stocks)
    step = max(1, TABLE_CHUNK_ROWS // max(stores, 1))  # days of stocks a chunk
    folder.write_table("stocks", (result.stocks_table(range(d, min(d + step, days))) for d in range(0, days, step)),
                       table_format, rows=days * stores)
    rows = len(result.ledger)
    folder.write_table("ledger", (result.ledger_table(range(r, min(r + TABLE_CHUNK_ROWS, rows)))
                                  for r in range(0, max(rows, 1), TABLE_CHUNK_ROWS)), table_format, rows=rows)
    folder.write_table("links", result.links_table(), table_format)
    folder.write_table("events", result.events_chunks(TABLE_CHUNK_ROWS), table_format,
                       rows=len(result.firm_events) + len(result.link_events))
    folder.write_text("io_table.csv", io_table_csv(table))
    folder.write_table("io_multipliers", sector_multipliers(table), table_format)
    for name, text in pymrio_files(table, currency).items():
        folder.write_text(f"io/{name}", text)
    folder.write_json("chart_data.json", data)
    if figures:
        if charts is None:
            from .plotting.saving import draw_run_charts

            draw_run_charts(folder.tmp, data, dpi)
        else:
            charts.draw(folder.tmp, data, dpi)


def run_and_save(scenario: Scenario, document: LoadedDocument | None = None, *, out: str | Path = RESULTS_DIR,
                 argv: list[str] | None = None, figures: bool = True, dpi: int = 150,
                 replication: int | None = None, table_format: str = "auto",
                 charts: ChartProcesses | None = None) -> SavedRun:
    """Simulate ``scenario`` once (seed ``scenario.run.seed``; replication ``replication`` of an
    experiment when given, with the values that replication draws for the uncertain parameters;
    otherwise their point values) and write its result folder, its tables in ``table_format``
    (``auto``, ``csv`` or ``parquet``: :data:`simulator.storage.TABLE_FORMATS`); ``charts``: processes
    started (before the run) to draw its figures, else they are drawn in this process."""
    check_table_format(table_format)
    started = utc_now()
    drawn = sample(scenario, scenario.run.seed, replication) if replication is not None else {}
    text = resolved_yaml(scenario, document, drawn)
    scenario_digest = digest(text)
    try:
        simulated = compose(sampled_scenario(scenario, drawn))
    except ValueError as exc:
        raise EipsimError(str(exc)) from None
    with ResultFolder(run_folder(out, scenario.name, scenario_digest, started)) as folder:
        # the run streams its series to disk: memory stays bounded whatever the horizon
        result = run_scenario(simulated, replication=replication, sink=folder.series())
        values = compute_metrics(result)
        warnings = plausibility_warnings(values, simulated, driving_parameters(result, simulated))
        notes = [str(note) for note in run_warnings(result)]
        folder.write_text("scenario.resolved.yaml", text)
        folder.write_text("scenario.composed.yaml", composed_yaml(simulated))
        folder.write_json("metrics.json", describe(values, scenario.currency))
        write_run_tables(folder, result, scenario.currency, figures=figures, dpi=dpi,
                         geo_origin=scenario.park.geo_origin, table_format=table_format, charts=charts,
                         labels=firm_labels(scenario))
        folder.write_json("manifest.json", manifest(
            scenario_digest=scenario_digest, seed=result.seed, argv=argv or [], started=started,
            finished=utc_now(), sources=provenance(document),
            extra={"sim_events": result.sim_events, "replications": 1, "replication": replication,
                   "uncertain": uncertain_record(scenario, drawn, replication), "plausibility": warnings,
                   "notes": notes}))
        path = folder.commit()
    return SavedRun(folder=path, metrics=values, result=result, warnings=warnings, notes=notes,
                    tables=folder.tables)
