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
    """Mean of variant - baseline over replications where both are finite, with its 95 % CI."""
    a, b = np.asarray(baseline, dtype=float), np.asarray(variant, dtype=float)
    both = np.isfinite(a) & np.isfinite(b)
    d = summarise(b[both] - a[both])
    return {"n": d["n"], "baseline_mean": float(a[both].mean()) if both.any() else math.nan,
            "variant_mean": float(b[both].mean()) if both.any() else math.nan,
            "diff_mean": d["mean"], "diff_ci_low": d["ci_low"], "diff_ci_high": d["ci_high"]}
