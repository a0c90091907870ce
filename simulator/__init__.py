"""eipsim: a discrete-event simulator of circular-economy material and money flows in
eco-industrial parks.

Importing the package does no work; the public functions load their modules on first use::

    from simulator import load_scenario, run_scenario
    scenario, _ = load_scenario("scenarios/demo.yaml")
    result = run_scenario(scenario, seed=1)
"""

__version__ = "0.1.0"

_PUBLIC = {
    "load_scenario": ("simulator.validation", "load_scenario"),
    "run_scenario": ("simulator.model.park", "run_scenario"),
    "compute_metrics": ("simulator.metrics", "compute_metrics"),
    "ScenarioError": ("simulator.errors", "ScenarioError"),
    "run": ("simulator.experiment.api", "run"),
    "compare": ("simulator.experiment.api", "compare"),
    "sweep": ("simulator.experiment.api", "sweep"),
    "sensitivity": ("simulator.experiment.api", "sensitivity"),
    "resume": ("simulator.experiment.api", "resume"),
    "read_table": ("simulator.experiment.api", "read_table"),
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str):
    if name in _PUBLIC:
        import importlib

        module, attribute = _PUBLIC[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")
