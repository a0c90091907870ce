"""Jobs by activity and what became of the firms: jobs on plots, active jobs, idle, exits, survival.

A firm's *active jobs* are full-time equivalents earned by working: its employees times the share
of its working days (days its calendar opens in the reporting window) on which it produced
anything. A firm that holds a plot but makes nothing -- no input all year, idle, not yet entered
-- keeps its *jobs on plots* and earns no active jobs.
"""

from __future__ import annotations

import numpy as np

from ..results import RunResult
from ..storage import row_blocks


def active_jobs(result: RunResult) -> np.ndarray:
    """Full-time-equivalent jobs of each firm over the reporting window (after warm-up)."""
    worked = np.zeros(len(result.firms.ids), dtype=np.int64)
    days = np.zeros(len(result.firms.ids), dtype=np.int64)
    for output, open_days in row_blocks(result.after_warmup(result.output), result.after_warmup(result.firms.open_days)):
        worked += (output > 0).sum(axis=0)
        days += open_days.sum(axis=0)
    share = np.divide(worked, days, out=np.zeros(len(days)), where=days > 0)
    return result.firms.employees * np.minimum(share, 1.0)


def ever_present(result: RunResult) -> np.ndarray:
    """Firms that were in the park at some time of the run (on day 0 or entered later)."""
    present = result.firms.present_at_start.copy()
    events = result.firm_events
    present[events["firm"][events["event"] == "entry"]] = True
    return present


def firm_status(result: RunResult) -> tuple[np.ndarray, np.ndarray]:
    """(days, firms) booleans: in the park that day, and idle that day, from day-0 presence and
    the firms' entry, idle, restart and exit events (a change on day t holds from day t)."""
    h = result.horizon_days
    present = np.tile(result.firms.present_at_start, (h, 1))
    idle = np.zeros_like(present)
    events = result.firm_events
    for time, firm, event in zip(events["time_days"], events["firm"], events["event"]):
        day = min(int(np.ceil(time)), h)
        if event == "entry":
            present[day:, firm] = True
        elif event == "exit":
            present[day:, firm] = False
            idle[day:, firm] = False
        elif event == "idle":
            idle[day:, firm] = True
        elif event == "restart":
            idle[day:, firm] = False
    return present, idle


def jobs_metrics(result: RunResult) -> dict[str, float]:
    """Active jobs (the headline job figures), jobs on plots, idle, exited, entered and restarted
    firms, SME survival."""
    firms = result.firms
    kinds = np.array(firms.kind)
    smes = kinds == "sme"
    active = active_jobs(result)
    on_plots = firms.employees * firms.present_at_end
    events = result.firm_events["event"]
    started = smes & firms.present_at_start
    return {
        "jobs_total": float(active.sum()),
        "jobs_anchor": float(active[kinds == "anchor"].sum()),
        "jobs_sme": float(active[smes].sum()),
        "jobs_on_plots": float(on_plots.sum()),
        "jobs_sme_on_plots": float(on_plots[smes].sum()),
        "firms_idle": float(np.count_nonzero(firms.idle_at_end)),
        "firms_exited": float(np.count_nonzero(events == "exit")),
        "firms_entered": float(np.count_nonzero(events == "entry")),
        "firms_restarted": float(np.count_nonzero(events == "restart")),
        "sme_survival": (float(np.count_nonzero(started & firms.present_at_end) / np.count_nonzero(started))
                         if started.any() else float("nan")),
    }
