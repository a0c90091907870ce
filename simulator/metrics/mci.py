"""Material Circularity Indicator (MCI) of the Ellen MacArthur Foundation.

Pure functions implementing the product-level MCI of the 2015 methodology,
with the 2019 extensions (sustained-production input share ``F_S``,
composting ``C_C`` and energy-recovery ``C_E`` output shares) as optional
arguments defaulting to 0, which reproduces the 2015 formulas.

Notation (all masses per product unit, fractions of the product mass ``M``):

========  ===================================================================
``F_R``   share of feedstock from recycled sources
``F_U``   share of feedstock from reused sources
``F_S``   share of feedstock from sustained production (2019)
``C_R``   share of mass collected for recycling after use
``C_U``   share of mass going into component reuse
``C_C``   share of mass collected for composting (2019)
``C_E``   share of mass collected for energy recovery (2019)
``E_F``   efficiency of the recycling process producing the recycled feedstock
``E_C``   efficiency of the recycling process applied to the collected product
``X``     utility: (L / L_av) * (U / U_av), lifetime and intensity of use
          relative to the industry average
========  ===================================================================

References
----------
Ellen MacArthur Foundation & Granta Design (2015) *Circularity Indicators:
An Approach to Measuring Circularity. Methodology*, May 2015; revised 2019.
"""

import numpy as np

__all__ = [
    "linear_flow_index",
    "utility_factor",
    "material_circularity_indicator",
    "mci_components",
    "flow_weighted_mci",
]

# Slack for fractions that should sum to at most 1 but carry float rounding.
_SUM_TOLERANCE = 1e-12


def _finite(value, name):
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {number}")
    return number


def _positive(value, name):
    number = _finite(value, name)
    if number <= 0:
        raise ValueError(f"{name} must be positive, got {number}")
    return number


def _non_negative(value, name):
    number = _finite(value, name)
    if number < 0:
        raise ValueError(f"{name} must be non-negative, got {number}")
    return number


def _fraction(value, name):
    number = _finite(value, name)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"{name} must be a fraction in [0, 1], got {number}")
    return number


def _check_sum_at_most_one(shares, names):
    total = sum(shares)
    if total > 1.0 + _SUM_TOLERANCE:
        raise ValueError(f"{' + '.join(names)} must not exceed 1, got {total}")


def linear_flow_index(mass, virgin_feedstock, unrecoverable_waste,
                      feedstock_recycling_waste, collection_recycling_waste):
    """Linear Flow Index (LFI).

    .. math::

        W = W_0 + (W_F + W_C) / 2, \\qquad
        LFI = \\frac{V + W}{2M + (W_F - W_C) / 2}

    The share of material flowing linearly (from virgin sources and into
    unrecoverable waste): 1 for a fully linear product, 0 for a fully
    restorative one.

    Parameters
    ----------
    mass : float
        Product mass ``M`` (> 0).
    virgin_feedstock : float
        Virgin material ``V``.
    unrecoverable_waste : float
        Waste to landfill / incineration ``W_0``.
    feedstock_recycling_waste : float
        Waste from producing the recycled feedstock ``W_F``.
    collection_recycling_waste : float
        Waste from recycling the collected product ``W_C``.

    Returns
    -------
    float

    References
    ----------
    Ellen MacArthur Foundation & Granta Design (2015), Methodology,
    product-level MCI, eqs. for W and LFI.
    """
    M = _positive(mass, "mass")
    V = _non_negative(virgin_feedstock, "virgin_feedstock")
    W0 = _non_negative(unrecoverable_waste, "unrecoverable_waste")
    W_F = _non_negative(feedstock_recycling_waste, "feedstock_recycling_waste")
    W_C = _non_negative(collection_recycling_waste, "collection_recycling_waste")
    return (V + W0 + (W_F + W_C) / 2) / (2 * M + (W_F - W_C) / 2)


def utility_factor(x):
    """Utility factor of the MCI.

    .. math:: F(X) = 0.9 / X

    ``a = 0.9`` makes a fully linear product of average utility (X = 1)
    score MCI = 0.1.

    Parameters
    ----------
    x : float
        Utility ``X`` (> 0).

    Returns
    -------
    float

    References
    ----------
    Ellen MacArthur Foundation & Granta Design (2015), Methodology,
    utility factor F(X) = a / X with a = 0.9.
    """
    return 0.9 / _positive(x, "x")


def mci_components(mass, recycled_input_share, reused_input_share,
                   recycled_output_share, reused_output_share,
                   recycling_efficiency_feedstock=1.0,
                   recycling_efficiency_collection=1.0,
                   lifetime_ratio=1.0, intensity_ratio=1.0,
                   sustained_input_share=0.0, composted_output_share=0.0,
                   energy_recovery_output_share=0.0):
    """All intermediate quantities of the product-level MCI.

    .. math::

        V &= M (1 - F_R - F_U - F_S) \\\\
        W_0 &= M (1 - C_R - C_U - C_C - C_E) \\\\
        W_C &= M (1 - E_C) C_R \\\\
        W_F &= M (1 - E_F) F_R / E_F \\\\
        W &= W_0 + (W_F + W_C) / 2 \\\\
        LFI &= (V + W) / (2M + (W_F - W_C) / 2) \\\\
        X &= (L / L_{av}) (U / U_{av}), \\quad F(X) = 0.9 / X \\\\
        MCI &= \\max(0, 1 - LFI \\cdot F(X))

    ``MCI`` is also capped at 1 (only reachable with rounding error).

    Parameters
    ----------
    mass : float
        Product mass ``M`` (> 0).
    recycled_input_share, reused_input_share : float
        ``F_R`` and ``F_U``, fractions in [0, 1] with ``F_R + F_U + F_S <= 1``.
    recycled_output_share, reused_output_share : float
        ``C_R`` and ``C_U``, fractions in [0, 1] with
        ``C_R + C_U + C_C + C_E <= 1``.
    recycling_efficiency_feedstock : float, default 1.0
        ``E_F`` in (0, 1].
    recycling_efficiency_collection : float, default 1.0
        ``E_C`` in [0, 1].
    lifetime_ratio : float, default 1.0
        ``L / L_av`` (> 0).
    intensity_ratio : float, default 1.0
        ``U / U_av`` (> 0).
    sustained_input_share : float, default 0.0
        ``F_S`` (2019 methodology).
    composted_output_share, energy_recovery_output_share : float, default 0.0
        ``C_C`` and ``C_E`` (2019 methodology).

    Returns
    -------
    dict of float
        Keys ``V``, ``W0``, ``W_C``, ``W_F``, ``W``, ``LFI``, ``X``,
        ``F_X``, ``MCI_raw`` (``1 - LFI * F(X)``, unclipped) and ``MCI``.

    Raises
    ------
    ValueError
        If a share or efficiency is outside its range, the input or output
        shares sum to more than 1, or mass / utility ratios are not positive.

    References
    ----------
    Ellen MacArthur Foundation & Granta Design (2015) Circularity Indicators
    Methodology, product-level MCI; 2019 revision for F_S, C_C and C_E.
    """
    M = _positive(mass, "mass")
    F_R = _fraction(recycled_input_share, "recycled_input_share")
    F_U = _fraction(reused_input_share, "reused_input_share")
    F_S = _fraction(sustained_input_share, "sustained_input_share")
    C_R = _fraction(recycled_output_share, "recycled_output_share")
    C_U = _fraction(reused_output_share, "reused_output_share")
    C_C = _fraction(composted_output_share, "composted_output_share")
    C_E = _fraction(energy_recovery_output_share, "energy_recovery_output_share")
    E_F = _fraction(recycling_efficiency_feedstock, "recycling_efficiency_feedstock")
    if E_F == 0:
        raise ValueError("recycling_efficiency_feedstock must be in (0, 1], got 0")
    E_C = _fraction(recycling_efficiency_collection, "recycling_efficiency_collection")
    _check_sum_at_most_one(
        (F_R, F_U, F_S),
        ("recycled_input_share", "reused_input_share", "sustained_input_share"),
    )
    _check_sum_at_most_one(
        (C_R, C_U, C_C, C_E),
        ("recycled_output_share", "reused_output_share",
         "composted_output_share", "energy_recovery_output_share"),
    )
    X = _positive(lifetime_ratio, "lifetime_ratio") * _positive(intensity_ratio, "intensity_ratio")

    # max(0, .) drops the float-rounding slack allowed by the sum checks.
    V = M * max(0.0, 1 - F_R - F_U - F_S)
    W0 = M * max(0.0, 1 - C_R - C_U - C_C - C_E)
    W_C = M * (1 - E_C) * C_R
    W_F = M * (1 - E_F) * F_R / E_F
    LFI = linear_flow_index(M, V, W0, W_F, W_C)
    F_X = utility_factor(X)
    MCI_raw = 1 - LFI * F_X
    return {
        "V": V,
        "W0": W0,
        "W_C": W_C,
        "W_F": W_F,
        "W": W0 + (W_F + W_C) / 2,
        "LFI": LFI,
        "X": X,
        "F_X": F_X,
        "MCI_raw": MCI_raw,
        "MCI": min(1.0, max(0.0, MCI_raw)),
    }


def material_circularity_indicator(mass, recycled_input_share, reused_input_share,
                                   recycled_output_share, reused_output_share,
                                   recycling_efficiency_feedstock=1.0,
                                   recycling_efficiency_collection=1.0,
                                   lifetime_ratio=1.0, intensity_ratio=1.0,
                                   sustained_input_share=0.0,
                                   composted_output_share=0.0,
                                   energy_recovery_output_share=0.0):
    """Product-level Material Circularity Indicator, clipped to [0, 1].

    .. math:: MCI_P = \\max(0, 1 - LFI \\cdot F(X))

    See :func:`mci_components` for the parameters, the full set of formulas
    and the errors raised.

    Returns
    -------
    float

    References
    ----------
    Ellen MacArthur Foundation & Granta Design (2015) Circularity Indicators
    Methodology, product-level MCI; 2019 revision for F_S, C_C and C_E.
    """
    return mci_components(
        mass, recycled_input_share, reused_input_share,
        recycled_output_share, reused_output_share,
        recycling_efficiency_feedstock, recycling_efficiency_collection,
        lifetime_ratio, intensity_ratio,
        sustained_input_share, composted_output_share, energy_recovery_output_share,
    )["MCI"]


def flow_weighted_mci(values, weights):
    """Company- or park-level MCI: weighted mean of product MCIs.

    .. math:: MCI_C = \\sum_i MCI_{P,i} R_i / \\sum_i R_i

    Parameters
    ----------
    values : array_like, shape (k,)
        Product (or firm) MCIs, each in [0, 1].
    weights : array_like, shape (k,)
        Normalising factors ``R_i`` (mass or revenue), non-negative with a
        positive sum.

    Returns
    -------
    float

    References
    ----------
    Ellen MacArthur Foundation & Granta Design (2015) Circularity Indicators
    Methodology, company-level MCI.
    """
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"values must be a non-empty 1-D array, got shape {values.shape}")
    if weights.shape != values.shape:
        raise ValueError(f"weights must have the shape of values {values.shape}, got shape {weights.shape}")
    if not (np.all(np.isfinite(values)) and np.all(np.isfinite(weights))):
        raise ValueError("values and weights must contain only finite numbers (no NaN or inf)")
    if np.any((values < 0) | (values > 1)):
        raise ValueError("values must be MCIs in [0, 1]")
    if np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError("weights must be non-negative with a positive sum")
    return float(values @ weights / weights.sum())
