"""Statistics of replications: means with t-based 95 % confidence intervals, paired differences.

Replications of a stochastic simulation are independent samples of each indicator, so the mean's
95 % confidence interval is mean +/- t(0.975, n-1) s / sqrt(n) (Law 2015, Simulation Modeling and
Analysis, 5th ed., section 9.4.1). Comparisons use common random numbers: replication i of every
scenario uses the same seed, so the paired differences d_i = variant_i - baseline_i have a much
smaller variance than two independent samples, and their mean gets the same t interval
(Law 2015, section 10.2.1, the paired-t confidence interval).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
PRECISION_FLAG = 0.10
"""A mean whose CI half-width exceeds this share of its absolute value is flagged: run more
replications before trusting its digits."""


def summarise(values) -> dict[str, float]:
    """n, mean, sd, 95 % CI of the mean, and whether it is imprecise, ignoring NaN values."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return {"n": 0, "mean": math.nan, "sd": math.nan, "ci_low": math.nan, "ci_high": math.nan,
                "half_width": math.nan, "imprecise": False}
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if n > 1 else math.nan
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * sd / math.sqrt(n)) if n > 1 else math.nan
    if n > 1 and sd == 0.0:
        half = 0.0
    imprecise = bool(n > 1 and half > PRECISION_FLAG * abs(mean) and half > 0)
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half,
            "half_width": half, "imprecise": imprecise}


def paired_difference(baseline, variant) -> dict[str, float]:
    """Mean of variant - baseline over the replications where both are finite, with its 95 % CI.

    The arm means are over those same replications, so that diff_mean = variant_mean - baseline_mean.
    When no replication defines both (an indicator undefined in one arm, such as the LM3 of SMEs in a
    park without SMEs), each arm's mean is over its own finite values and the difference is NaN.
    """
    a, b = np.asarray(baseline, dtype=float), np.asarray(variant, dtype=float)
    both = np.isfinite(a) & np.isfinite(b)
    d = summarise(b[both] - a[both])
    compared = (a[both], b[both]) if both.any() else (a, b)
    return {"n": d["n"], "baseline_mean": _finite_mean(compared[0]), "variant_mean": _finite_mean(compared[1]),
            "diff_mean": d["mean"], "diff_ci_low": d["ci_low"], "diff_ci_high": d["ci_high"]}


def _finite_mean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else math.nan
