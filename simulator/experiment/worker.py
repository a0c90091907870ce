"""One run of an experiment, as executed by any engine (serial, process pool, Dask worker).

``execute`` is a plain top-level function of picklable arguments returning a small record
(indicators, timing, the values drawn for the scenario's ``uncertain:`` parameters, for an arm's
representative run the parameters that drive its multipliers, or the error), so the same code runs in every engine and results do not depend on where they were
computed. Each worker process keeps the few networks it built last,
so replications of one arm do not rebuild the park graph. A run streams its series to a
temporary folder (:func:`simulator.storage.scratch_series`), so a worker holds one run's live
state, whatever the horizon; a kept result (an arm's representative run) is read back from the
memory map when it is sent to the parent, which writes its tables and drops it.
"""

from __future__ import annotations

import time
import traceback
from collections import OrderedDict

from ..compose import ComposedScenario, compose
from ..config import Scenario
from ..uncertainty import sample
from ..validation import sampled_scenario
from .plan import Task

_NETWORKS: OrderedDict = OrderedDict()
_CACHE_SIZE = 4


def _network(key: str, scenario: ComposedScenario):
    from ..model.park import park_network

    if key not in _NETWORKS:
        _NETWORKS[key] = park_network(scenario)
        while len(_NETWORKS) > _CACHE_SIZE:
            _NETWORKS.popitem(last=False)
    _NETWORKS.move_to_end(key)
    return _NETWORKS[key]


def execute(task: Task, scenario: Scenario, cache_key: str, keep_result: bool = False) -> dict:
    """Run one task; never raises: a failure comes back as a record with its error.

    ``scenario`` is the arm's scenario composed once by the caller, or, when it has ``uncertain:``
    parameters, as written: each draw is then a park of its own, composed here."""
    from ..metrics import compute_metrics
    from ..metrics.plausibility import driving_parameters
    from ..model.park import run_scenario
    from ..storage import scratch_series

    started = time.perf_counter()
    record = {"run_id": task.run_id, "arm": task.arm, "replication": task.replication,
              "root_seed": task.root_seed}
    arm_scenario = scenario
    try:
        values = sample(scenario, task.root_seed, task.replication)
        if values:
            record["uncertain"] = values
            scenario = compose(sampled_scenario(scenario, values))
            cache_key = f"{cache_key}:{sorted(values.items())}"
        with scratch_series() as sink:  # the run streams its series to disk: bounded memory
            result = run_scenario(scenario, seed=task.root_seed, network=_network(cache_key, scenario),
                                  replication=task.replication, sink=sink)
            record.update(status="ok", metrics=compute_metrics(result), sim_events=result.sim_events)
            if task.replication == 0:  # what drives each multiplier in the arm's representative run
                record["driving_parameters"] = driving_parameters(result, arm_scenario)
        if keep_result:
            record["result"] = result
    except Exception as exc:  # reported per run; the experiment goes on
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}",
                      traceback=traceback.format_exc(limit=5))
    record["duration_s"] = round(time.perf_counter() - started, 4)
    return record
