"""The explorer (``eipsim explore``): a local web page to move a scenario's levers, run the
comparison with the scenario as loaded, and read the numbers and charts.

Modules: :mod:`.controls` (the page's lever controls and the ``--set`` overrides they become),
:mod:`.catalogue` (bundled, given and uploaded scenarios), :mod:`.jobs` (experiments in a
background process, progress, cancel), :mod:`.panels` (KPIs, charts and the zip of a finished
experiment), :mod:`.app` (the Starlette routes) and ``static/`` (the page: HTML, CSS, JavaScript,
no build step and nothing loaded from the internet).

Its web server (Starlette and uvicorn) is installed with eipsim itself.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import tempfile
from pathlib import Path

def serve(host: str = "127.0.0.1", port: int = 8765, scenario: str | Path | None = None,
          out: str | Path = "results") -> int:
    """Serve the explorer on ``host:port`` until interrupted (Ctrl+C); returns the exit code.

    Parameters
    ----------
    host : the address to listen on; the default (loopback) keeps the page on this computer.
    scenario : a scenario file selected when the page opens (validated first: errors raise).
    out : folder for the experiments' results (``OUT/explorer/<run>/experiment``), kept after
        the explorer stops; default ``results`` of the current folder, as for the command line.
        Uploaded files go to a temporary folder removed on exit.

    Raises
    ------
    EipsimError
        The optional extra is missing or the address cannot be used.
    ScenarioError
        ``scenario`` is not a valid scenario.
    """
    from ..errors import EipsimError

    try:
        import uvicorn
        from .app import create_app
    except ImportError:
        raise EipsimError("the explorer's web server (Starlette, uvicorn) is missing from this Python environment: "
                          "reinstall eipsim in it, e.g. `.venv/bin/pip install -e .` in the eipsim folder") from None
    from .catalogue import Catalogue
    from .jobs import JobRunner

    uploads = Path(tempfile.mkdtemp(prefix="eipsim-explorer-uploads-"))
    results = Path(out)
    try:
        catalogue = Catalogue(uploads, selected=Path(scenario) if scenario is not None else None)
        try:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            listener = socket.create_server((host, port), family=family)
        except OSError as exc:
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise EipsimError(f"cannot listen on {host}:{port}: {reason} "
                              "(is another explorer running? try --port)") from None
        runner = JobRunner(results / "explorer")
        app = create_app(catalogue, runner, bind=host)
        shown = f"[{host}]" if family == socket.AF_INET6 else host
        print(f"eipsim explorer: http://{shown}:{listener.getsockname()[1]}  (results kept in "
              f"{results / 'explorer'}; Ctrl+C to stop)", flush=True)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        # uvicorn stops gracefully on Ctrl+C or SIGTERM and then raises the signal again: let a
        # SIGTERM end up as KeyboardInterrupt, like Ctrl+C, so the temporary folders are removed.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            server.run(sockets=[listener])
        except KeyboardInterrupt:
            print("eipsim explorer stopped.", flush=True)
        finally:
            signal.signal(signal.SIGTERM, previous)
            runner.close()
            listener.close()
    finally:
        shutil.rmtree(uploads, ignore_errors=True)
    return 0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
