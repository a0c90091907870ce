"""Engines that run experiment tasks: serial, a local process pool, or a Dask cluster.

All take the same calls and yield records as runs finish (in any order). The process pool and
Dask (through its ``concurrent.futures`` executor, ``Client.get_executor``) share one
:func:`bounded_map`: at most a few tasks per worker are in flight, so memory stays flat however
many runs an experiment has. Results do not depend on the engine: every run's random streams
come from its own seed.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from functools import partial

from ..errors import EipsimError, SimulationError

ENGINES = ("serial", "process", "dask")
IN_FLIGHT_PER_WORKER = 2
SCHEDULER_TIMEOUT_S = 10
PARENT_CHECK_S = 1.0
_frozen = False


def _in_worker(fn: Callable, *args):
    """Call ``fn`` in a worker process of an engine.

    The first call in a process moves the objects that exist before any run (imported modules,
    the engine's own machinery: about 115,000 in a Dask worker) to the garbage collector's
    permanent generation, so the collections during each run scan only that run's objects. On
    ``demo.yaml`` Dask runs took 0.193 s each without it and 0.172 s with it. Not done by the
    serial engine, which runs in the caller's own process.
    """
    global _frozen
    if not _frozen:
        gc.freeze()
        _frozen = True
    return fn(*args)


class EngineLost(SimulationError):
    """The engine itself failed (a worker process killed, the Dask scheduler gone), not a run."""


def _engine_results(results: Iterator) -> Iterator:
    """The records of ``results``; a failure of the engine (not of a run) as :class:`EngineLost`."""
    try:
        yield from results
    except Exception as exc:  # execute() reports a run's own errors in its record: this is the engine
        raise EngineLost(f"the engine stopped working ({type(exc).__name__}: {exc or 'no details'})") from exc


def die_with_parent() -> None:
    """End this worker process within ``PARENT_CHECK_S`` once the process that started it is gone.

    A SIGKILLed experiment cannot stop its workers; without this they ran on (still there after
    60 s). A daemon thread compares the parent's process id with the one at the start.
    """
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="eipsim-parent-watch", daemon=True).start()


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def bounded_map(executor: Executor, fn: Callable, calls: Iterable[tuple], in_flight: int) -> Iterator:
    """``fn(*args)`` for each ``args`` of ``calls`` on ``executor``, yielded as each finishes, with
    at most ``in_flight`` calls submitted and not yet yielded (``calls`` is read lazily)."""
    calls = iter(calls)
    pending = set()
    while True:
        while len(pending) < in_flight:
            args = next(calls, None)
            if args is None:
                break
            pending.add(executor.submit(fn, *args))
        if not pending:
            return
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            yield future.result()


class SerialEngine:
    jobs = 1

    def imap(self, fn: Callable, calls: Iterable[tuple]) -> Iterator:
        for args in calls:
            yield fn(*args)

    def close(self) -> None:
        pass


class ProcessEngine:
    """A pool of local worker processes."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self.pool = ProcessPoolExecutor(max_workers=jobs, initializer=die_with_parent)

    def imap(self, fn: Callable, calls: Iterable[tuple]) -> Iterator:
        return _engine_results(bounded_map(self.pool, partial(_in_worker, fn), calls, self.jobs * IN_FLIGHT_PER_WORKER))

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskEngine:
    """A Dask distributed cluster: an existing scheduler (``tcp://HOST:PORT``) or a local one."""

    def __init__(self, jobs: int, scheduler: str | None = None):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise EipsimError("the Dask engine needs the optional extra: pip install 'eipsim[distributed]'") from None
        self.cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
            except (OSError, TimeoutError) as exc:
                raise EipsimError(f"no Dask scheduler answers at {scheduler} within {SCHEDULER_TIMEOUT_S:g} s "
                                  f"({type(exc).__name__}); start one with `dask scheduler`, or leave out "
                                  "--scheduler to run on this computer") from None
        else:
            self.cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                        dashboard_address=None)
            self.client = Client(self.cluster)
        self.jobs = max(1, len(self.client.scheduler_info().get("workers", {})) or jobs)

    def imap(self, fn: Callable, calls: Iterable[tuple]) -> Iterator:
        return _engine_results(bounded_map(self.client.get_executor(pure=False), partial(_in_worker, fn), calls,
                           self.jobs * IN_FLIGHT_PER_WORKER))

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_engine(engine: str, jobs: int | None = None, scheduler: str | None = None):
    jobs = jobs or default_jobs()
    if scheduler and engine != "dask":
        engine = "dask"
    if engine == "serial" or (engine == "process" and jobs == 1):
        return SerialEngine()
    if engine == "process":
        return ProcessEngine(jobs)
    if engine == "dask":
        return DaskEngine(jobs, scheduler)
    raise EipsimError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
