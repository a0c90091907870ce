"""Experiments: replications with confidence intervals, paired comparisons, sweeps and
sensitivity analysis, on a serial, multi-process or Dask engine (see :mod:`.api`)."""
