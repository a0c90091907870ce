"""A run's charts saved as PNG and SVG files, drawn by two processes at once.

A run's six charts cost several times its simulation (the demo: about 4.5 s of drawing against
0.5 s of simulating, 3 December 2026), and importing matplotlib alone about 1 s. So
:class:`ChartProcesses` forks a helper process when the run starts: it imports matplotlib and the
chart modules while the model runs, then receives the chart data, forks once more (the copy keeps
the imports) and the two processes draw the charts, each taking the next one (costliest first)
from a shared counter and writing its files atomically (:func:`simulator.storage.save_figures`)
into the run's temporary folder. Where fork is unsafe or unavailable (Windows, macOS), on one
core, or when the caller runs threads, the charts are drawn in the calling process instead.

Either way the PNGs are the same bytes (fixed metadata) and the SVGs the same drawing: their
element ids are hashed from their content with a fixed salt (matplotlib salts them with a random
UUID by default), though a layout solved in another process may differ in the last bits of a
coordinate, and so the id of a clip path hashed from it. A chart that cannot be drawn raises
:class:`ChartError` naming it; the helper's traceback is its cause.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import traceback
from pathlib import Path

from .. import storage
from .charts import CAPTIONS, RUN_CHARTS, figure_caption, run_chart

SVG_SALT = "eipsim"
"""``svg.hashsalt``: SVG element ids derived from their content only (not a random salt per file)."""
COSTLIEST_FIRST = ("local_economy", "sankey", "network", "material_fate", "firms", "discovery")
"""Run charts in the order the processes take them: by drawing time in the demo (PNG and SVG,
1.9, 1.6, 0.8, 0.7, 0.4 and 0.3 s under load), so the two processes finish close together."""


class ChartError(RuntimeError):
    """A chart could not be drawn (a bug in eipsim, not bad input); the message names the chart."""


class _DrawingTraceback(Exception):
    """The traceback of a chart that failed in a helper process, as the cause of a ChartError."""

    def __str__(self) -> str:
        return self.args[0]


def save_figures(folder: str | Path, figures: dict, dpi: float = 150, lang: str = "en") -> list[Path]:
    """:func:`simulator.storage.save_figures` with the fixed SVG salt, each SVG titled with its
    caption (:func:`simulator.plotting.charts.figure_caption`) in ``lang``, the language the
    figures are drawn in."""
    from matplotlib import rc_context

    captions = {name: figure_caption(figure, name, CAPTIONS.get(lang)) for name, figure in figures.items()}
    with rc_context({"svg.hashsalt": SVG_SALT}):
        return storage.save_figures(folder, figures, dpi, lang, captions)


def svg_text(figure, caption: str) -> bytes:
    """The SVG of a figure as :func:`save_figures` writes it (titled ``caption``), not saved."""
    import io

    from matplotlib import rc_context

    buffer = io.BytesIO()
    with rc_context({"svg.hashsalt": SVG_SALT}):
        figure.savefig(buffer, format="svg", metadata=storage.figure_metadata("svg", caption))
    return buffer.getvalue()


def draw_run_charts(folder: str | Path, data: dict, dpi: float = 150) -> list[Path]:
    """Draw and save the charts of a run (chart data ``data``) in this process, one at a time;
    returns the files written, in :data:`RUN_CHARTS` order."""
    written = []
    for name in RUN_CHARTS:
        try:
            figure = run_chart(name, data, "en")
            written += save_figures(folder, {name: figure}, dpi)
        except Exception as exc:
            raise ChartError(f"chart {name!r} could not be drawn: {type(exc).__name__}: {exc}") from exc
    return written


def can_fork() -> bool:
    """Whether charts can be drawn by forked processes here: a platform where fork is safe
    (Linux and other Unixes but macOS), at least two usable cores, and no other thread running
    in this process (a forked child would inherit its locks, held)."""
    if sys.platform in ("win32", "darwin") or "fork" not in multiprocessing.get_all_start_methods():
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores >= 2 and threading.active_count() == 1


class ChartProcesses:
    """The processes that draw a run's charts, started before the run (see the module docstring).

    Use as a context manager around the run; :meth:`draw` once its chart data is known. Leaving
    the context stops the helper and its copy, whatever happened (an error, Ctrl-C).
    """

    def __init__(self, start: bool = True) -> None:
        """``start``: start the helper (when :func:`can_fork`); False draws in this process."""
        self._process = None
        if not (start and can_fork()):
            return
        context = multiprocessing.get_context("fork")
        self._conn, theirs = context.Pipe()
        self._process = context.Process(target=_helper, args=(theirs, self._conn), name="eipsim-charts",
                                        daemon=False)
        self._process.start()
        theirs.close()

    @property
    def parallel(self) -> bool:
        """Whether a helper process draws the charts (False: :meth:`draw` draws them here)."""
        return self._process is not None

    def draw(self, folder: str | Path, data: dict, dpi: float = 150) -> list[Path]:
        """Draw and save the run's charts into ``folder`` (see :func:`draw_run_charts`)."""
        if self._process is None:
            return draw_run_charts(folder, data, dpi)
        try:
            self._conn.send((str(folder), data, dpi))
            written, failure = self._conn.recv()
        except (EOFError, OSError):
            self._process.join(5.0)
            raise ChartError(f"the process drawing the charts ended unexpectedly (exit code "
                             f"{self._process.exitcode})") from None
        except BaseException:  # Ctrl-C: stop the drawing before the caller removes the folder
            self.close()
            raise
        if failure is not None:
            name, message, text = failure
            raise ChartError(f"chart {name!r} could not be drawn: {message}") from _DrawingTraceback(text)
        order = {name: k for k, name in enumerate(RUN_CHARTS)}
        return [Path(p) for _, paths in sorted(written, key=lambda w: order[w[0]]) for p in paths]

    def close(self) -> None:
        """Stop the helper and its copy (their process group), once."""
        if self._process is None:
            return
        process, self._process = self._process, None
        self._conn.close()
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):  # not yet in its own group, or gone
            pass
        process.kill()
        process.join()

    def __enter__(self) -> "ChartProcesses":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _helper(conn, parents_end) -> None:
    """The helper process: import and warm up matplotlib, then draw one run's charts with a copy."""
    parents_end.close()
    os.setpgid(0, 0)  # its own process group: ChartProcesses.close stops it and its copy together
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _warm_up()
    try:
        folder, data, dpi = conn.recv()
    except EOFError:  # the caller stopped before its charts
        return
    conn.send(_draw_in_two(folder, data, dpi))


def _warm_up() -> None:
    """Import what drawing needs and draw a small text to PNG and SVG (fonts loaded, caches filled),
    so that both drawing processes start warm."""
    import io

    from matplotlib.figure import Figure

    from . import discovery_chart, economy, fate, firms, network_map, sankey  # noqa: F401

    figure = Figure(figsize=(1, 1), layout="constrained")
    figure.add_subplot().set_title("eipsim")
    for ext in ("png", "svg"):
        figure.savefig(io.BytesIO(), format=ext, dpi=30)


def _draw_in_two(folder: str, data: dict, dpi: float) -> tuple[list, tuple | None]:
    """Draw the charts in this process and a forked copy; the charts written and the first failure."""
    context = multiprocessing.get_context("fork")
    counter = context.Value("i", 0)
    receive, send = context.Pipe(duplex=False)
    partner = context.Process(target=_partner, args=(counter, folder, data, dpi, send, receive))
    partner.start()
    send.close()
    written, failure = _take_charts(counter, folder, data, dpi)
    try:
        theirs, their_failure = receive.recv()
    except EOFError:
        theirs, their_failure = [], (None, f"the second process drawing charts ended unexpectedly (exit code "
                                           f"{partner.exitcode})", "")
    partner.join()
    return written + theirs, failure or their_failure


def _partner(counter, folder: str, data: dict, dpi: float, send, receive) -> None:
    receive.close()
    send.send(_take_charts(counter, folder, data, dpi))


def _take_charts(counter, folder: str, data: dict, dpi: float) -> tuple[list, tuple | None]:
    """Draw the next chart not yet taken until none is left (or one failed): the charts written
    as ``(name, [paths])`` and the failure as ``(name, message, traceback)``, or None."""
    written = []
    while True:
        with counter.get_lock():
            k = counter.value
            counter.value += 1
        if k >= len(COSTLIEST_FIRST):
            return written, None
        name = COSTLIEST_FIRST[k]
        try:
            paths = save_figures(folder, {name: run_chart(name, data, "en")}, dpi)
        except Exception as exc:
            with counter.get_lock():
                counter.value = len(COSTLIEST_FIRST)  # the other process stops after its chart
            return written, (name, f"{type(exc).__name__}: {exc}", traceback.format_exc())
        written.append((name, [str(p) for p in paths]))
