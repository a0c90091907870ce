"""Experiments in the background: one at a time, each in a child process, with progress and cancel.

An experiment is a call of :func:`simulator.compare` (the code behind ``eipsim compare``) with the
serial engine in a child process of its own, so the page stays responsive while it runs and a
cancel stops it at once: the process is terminated and its half-written folder removed. Progress
is the number of run folders the experiment store has published (``runs/<run_id>/``: one per
finished run, each renamed into place when complete), which needs no hook in the runner.
"""

from __future__ import annotations

import multiprocessing
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..storage import write_atomic

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class ExperimentSpec:
    """What to compare: the baseline file against the variant YAML (written into the job folder)."""

    baseline: str
    variant_file: str
    variant_yaml: str
    overrides: tuple[str, ...]      # --set of both arms (the run settings)
    replications: int
    seed: int
    argv: tuple[str, ...]           # the equivalent command line, recorded in the manifest

    @property
    def runs_total(self) -> int:
        return 2 * self.replications


class Busy(RuntimeError):
    """An experiment is already running; ``job`` is that one."""

    def __init__(self, job: "Job"):
        self.job = job
        super().__init__(f"an experiment is already running ({job.runs_done} of {job.spec.runs_total} runs "
                         "done): cancel it or wait for it to finish")


@dataclass
class Job:
    """One experiment and where it stands. ``meta`` is whatever the caller wants to keep with it."""

    id: str
    spec: ExperimentSpec
    folder: Path
    meta: dict[str, Any] = field(default_factory=dict)
    state: str = QUEUED
    runs_done: int = 0
    error: str = ""
    experiment: Path | None = None
    cancel_requested: bool = False
    process: Any = None

    def snapshot(self) -> dict:
        return {"id": self.id, "state": self.state, "runs_done": self.runs_done,
                "runs_total": self.spec.runs_total, "error": self.error}


class JobRunner:
    """Starts experiments under ``root`` (one folder per job), at most one at a time."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._jobs: dict[str, Job] = {}
        self._active: Job | None = None
        self._lock = threading.Lock()
        self._context = multiprocessing.get_context("spawn")  # no fork of a threaded server

    def submit(self, spec: ExperimentSpec, meta: dict | None = None) -> Job:
        """Start ``spec`` in the background; raise :class:`Busy` if another one is running."""
        with self._lock:
            if self._active is not None and self._active.state not in FINISHED:
                raise Busy(self._active)
            job_id = uuid.uuid4().hex[:12]
            folder = self.root / job_id
            folder.mkdir(parents=True)
            job = Job(job_id, spec, folder, dict(meta or {}))
            self._jobs[job_id] = job
            self._active = job
        thread = threading.Thread(target=self._supervise, args=(job,), name=f"explorer-job-{job_id}", daemon=True)
        thread.start()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        """Stop a queued or running job (its state becomes ``cancelled`` shortly after)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state in FINISHED:
                return job
            job.cancel_requested = True
            process = job.process
        if process is not None and process.is_alive():
            process.terminate()
        return job

    def close(self) -> None:
        """Cancel the running job and wait for it to stop (server shutdown)."""
        with self._lock:
            active = self._active
        if active is not None and active.state not in FINISHED:
            self.cancel(active.id)
            if active.process is not None:
                active.process.join(timeout=10)

    def _supervise(self, job: Job) -> None:
        try:
            self._run(job)
        except Exception as exc:  # never leave a job "running" behind a dead thread
            with self._lock:
                job.state, job.error = FAILED, f"the explorer could not run the experiment: {exc}"

    def _run(self, job: Job) -> None:
        variant = job.folder / job.spec.variant_file
        write_atomic(variant, job.spec.variant_yaml)
        receiver, sender = self._context.Pipe(duplex=False)
        process = self._context.Process(target=run_experiment, args=(job.spec, str(variant),
                                                                     str(job.folder / "experiment"), sender),
                                        name=f"eipsim-explorer-{job.id}", daemon=True)
        with self._lock:
            if job.cancel_requested:
                job.state = CANCELLED
                shutil.rmtree(job.folder, ignore_errors=True)
                return
            job.process = process
            job.state = RUNNING
            process.start()
        sender.close()
        message = None
        while message is None:
            if receiver.poll(POLL_SECONDS):
                try:
                    message = receiver.recv()
                except EOFError:  # the process ended without a word (terminated or killed)
                    break
            elif not process.is_alive() and not receiver.poll(0):
                break
            job.runs_done = _runs_written(job.folder)
        process.join()
        receiver.close()
        with self._lock:
            job.runs_done = _runs_written(job.folder)
            job.process = None
            if job.cancel_requested:
                job.state = CANCELLED
                shutil.rmtree(job.folder, ignore_errors=True)
            elif message is not None and message[0] == DONE:
                job.state, job.experiment = DONE, Path(message[1])
            else:
                job.state = FAILED
                job.error = message[1] if message else (f"the experiment process stopped unexpectedly "
                                                        f"(exit code {process.exitcode})")


def _runs_written(folder: Path) -> int:
    return sum(1 for _ in folder.glob("experiment/*/*/runs/*/manifest.json"))


def run_experiment(spec: ExperimentSpec, variant: str, out: str, sender) -> None:
    """The child process: ``simulator.compare`` of the two arms; sends ``(state, folder or error)``."""
    import simulator
    from ..errors import EipsimError, ScenarioError
    from ..experiment.executors import die_with_parent

    die_with_parent()  # a killed explorer leaves no experiment running
    try:
        experiment = simulator.compare([spec.baseline, variant], replications=spec.replications,
                                       overrides=list(spec.overrides), seed=spec.seed, out=out, engine="serial",
                                       progress=False, figures=False, argv=list(spec.argv))
        sender.send((DONE, str(experiment.folder)))
    except ScenarioError as exc:
        sender.send((FAILED, exc.report()))
    except EipsimError as exc:
        sender.send((FAILED, f"eipsim: {exc}"))
    except Exception as exc:  # a bug: say so as the command line does
        sender.send((FAILED, f"eipsim crashed: {type(exc).__name__}: {exc}"))
    finally:
        sender.close()
