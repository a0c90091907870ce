"""Input-output multipliers and the Local Multiplier 3 (LM3).

Pure numpy functions for demand-driven (Leontief) input-output analysis of a
park or regional economy with ``n`` producing sectors (firms), plus the LM3
local-spending indicator.  Notation follows Miller & Blair (2009):

=========  ==================================================================
``Z``      n x n inter-sector transactions, ``z_ij`` = sales of i to j
``x``      length-n total output of each sector
``A``      n x n technical (direct requirements) coefficients
``L``      n x n Leontief inverse (total requirements), ``(I - A)^-1``
``v``      length-n direct coefficients of some effect per unit of output
           (labour income, employment, emissions, ...)
=========  ==================================================================

References
----------
Miller, R.E. & Blair, P.D. (2009) *Input-Output Analysis: Foundations and
Extensions*, 2nd ed., Cambridge University Press. Ch. 2 (the Leontief model),
ch. 6 (multipliers, closure with respect to households).

Sacks, J. (2002) *The Money Trail: Measuring your impact on the local economy
using LM3*. New Economics Foundation & The Countryside Agency, London.
"""

import numpy as np

__all__ = [
    "technical_coefficients",
    "leontief_inverse",
    "output_multipliers",
    "effect_multipliers",
    "ratio_multipliers",
    "close_households",
    "type1_multipliers",
    "type2_multipliers",
    "decompose_output_effects",
    "lm3",
]

# Above this condition number the solve of (I - A) loses essentially all
# significant digits, so the economy is treated as singular.
_MAX_CONDITION_NUMBER = 1e12

_SINGULAR_MESSAGE = (
    "I - A is singular: the economy cannot be solved (some sector's inputs "
    "per unit of output sum to 1 or more)"
)


def _finite_array(value, name):
    array = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite numbers (no NaN or inf)")
    return array


def _finite_scalar(value, name):
    array = _finite_array(value, name)
    if array.ndim != 0:
        raise ValueError(f"{name} must be a scalar, got shape {array.shape}")
    return float(array)


def _square_matrix(value, name):
    matrix = _finite_array(value, name)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{name} must be a square 2-D matrix, got shape {matrix.shape}")
    return matrix


def _vector(value, name, n):
    vector = _finite_array(value, name)
    if vector.shape != (n,):
        raise ValueError(f"{name} must be a 1-D array of shape ({n},), got shape {vector.shape}")
    return vector


def _ratio(effect, coeffs):
    """``effect / coeffs`` elementwise, 0 where ``coeffs`` is 0."""
    return np.divide(effect, coeffs, out=np.zeros_like(effect), where=coeffs != 0)


def technical_coefficients(Z, x):
    """Technical (direct input) coefficients matrix ``A``.

    .. math:: a_{ij} = z_{ij} / x_j

    Sectors with zero total output get a zero column (they buy nothing).

    Parameters
    ----------
    Z : array_like, shape (n, n)
        Inter-sector transactions, ``Z[i, j]`` = sales from sector i to j.
    x : array_like, shape (n,)
        Total output of each sector.

    Returns
    -------
    A : numpy.ndarray, shape (n, n)

    References
    ----------
    Miller & Blair (2009), eq. 2.4.
    """
    Z = _square_matrix(Z, "Z")
    x = _vector(x, "x", Z.shape[0])
    return _ratio(Z, x[np.newaxis, :])


def leontief_inverse(A):
    """Leontief inverse (total requirements matrix).

    .. math:: L = (I - A)^{-1}

    ``L[i, j]`` is the output of sector i needed, directly and indirectly,
    to deliver one unit of sector j's product to final demand.

    Parameters
    ----------
    A : array_like, shape (n, n)
        Technical coefficients.

    Returns
    -------
    L : numpy.ndarray, shape (n, n)

    Raises
    ------
    ValueError
        If ``A`` is not a finite square matrix, or if ``I - A`` is singular
        or numerically ill-conditioned (condition number above 1e12).

    References
    ----------
    Miller & Blair (2009), eq. 2.11, section 2.3.
    """
    A = _square_matrix(A, "A")
    I_minus_A = np.eye(A.shape[0]) - A
    if np.linalg.cond(I_minus_A) > _MAX_CONDITION_NUMBER:
        raise ValueError(_SINGULAR_MESSAGE)
    try:
        return np.linalg.inv(I_minus_A)
    except np.linalg.LinAlgError as error:
        raise ValueError(_SINGULAR_MESSAGE) from error


def output_multipliers(A):
    """Type I simple output multipliers.

    .. math:: m_j = \\sum_i l_{ij}

    Total output of all sectors generated per unit of final demand for
    sector j (direct + indirect effects).

    Parameters
    ----------
    A : array_like, shape (n, n)
        Technical coefficients.

    Returns
    -------
    m : numpy.ndarray, shape (n,)
        Column sums of the Leontief inverse.

    References
    ----------
    Miller & Blair (2009), section 6.2.1, eq. 6.1.
    """
    return leontief_inverse(A).sum(axis=0)


def effect_multipliers(coeffs, A):
    """Total (direct + indirect) effect per unit of final demand.

    .. math:: e = v L

    With ``v`` = labour income per unit of output this is the "household
    income multiplier" / income effect; with ``v`` = jobs per unit of output,
    the employment effect; with value-added coefficients it is 1 for every
    sector.

    Parameters
    ----------
    coeffs : array_like, shape (n,)
        Direct effect coefficients ``v`` (effect per unit of output).
    A : array_like, shape (n, n)
        Technical coefficients.

    Returns
    -------
    numpy.ndarray, shape (n,)

    References
    ----------
    Miller & Blair (2009), sections 6.2.2 (eq. 6.5) and 6.2.3.
    """
    L = leontief_inverse(A)
    return _vector(coeffs, "coeffs", L.shape[0]) @ L


def ratio_multipliers(coeffs, A):
    """Type I ratio multipliers (e.g. income or employment multipliers).

    .. math:: r_j = (v L)_j / v_j

    Total effect per unit of *direct* effect in sector j; 0 where
    ``v_j = 0``.

    Parameters
    ----------
    coeffs : array_like, shape (n,)
        Direct effect coefficients ``v``.
    A : array_like, shape (n, n)
        Technical coefficients.

    Returns
    -------
    numpy.ndarray, shape (n,)

    References
    ----------
    Miller & Blair (2009), section 6.2.2, eq. 6.7 (Type I income
    multipliers) and section 6.2.3 (employment).
    """
    L = leontief_inverse(A)
    v = _vector(coeffs, "coeffs", L.shape[0])
    return _ratio(v @ L, v)


def close_households(A, income_coeffs, consumption_coeffs):
    """Technical coefficients closed with respect to households.

    .. math::

        \\bar{A} = \\begin{pmatrix} A & h_c \\\\ h_r & 0 \\end{pmatrix}

    The household sector is endogenised as sector n+1: its row ``h_r`` is
    labour income paid per unit of each sector's output, its column ``h_c``
    is household consumption of each sector's product per unit of household
    income.

    Parameters
    ----------
    A : array_like, shape (n, n)
        Technical coefficients.
    income_coeffs : array_like, shape (n,)
        Labour income per unit of output, ``h_r``.
    consumption_coeffs : array_like, shape (n,)
        Household consumption per unit of household income, ``h_c``
        (e.g. household consumption / total labour income).

    Returns
    -------
    A_closed : numpy.ndarray, shape (n + 1, n + 1)
        With ``A_closed[n, n] = 0``.

    References
    ----------
    Miller & Blair (2009), section 2.5 (eq. 2.19) and section 6.2.2.
    """
    A = _square_matrix(A, "A")
    n = A.shape[0]
    closed = np.zeros((n + 1, n + 1))
    closed[:n, :n] = A
    closed[n, :n] = _vector(income_coeffs, "income_coeffs", n)
    closed[:n, n] = _vector(consumption_coeffs, "consumption_coeffs", n)
    return closed


def type1_multipliers(A, income_coeffs, employment_coeffs=None):
    """Type I (open model) output, income and employment multipliers.

    .. math::

        m_j = \\sum_i l_{ij}, \\quad
        \\text{income effect} = w L, \\quad
        \\text{income}_j = (w L)_j / w_j

    and likewise for employment coefficients ``e``.

    Parameters
    ----------
    A : array_like, shape (n, n)
        Technical coefficients.
    income_coeffs : array_like, shape (n,)
        Labour income per unit of output ``w``.
    employment_coeffs : array_like, shape (n,), optional
        Jobs per unit of output ``e``.

    Returns
    -------
    dict of numpy.ndarray, each shape (n,)
        ``"output"``, ``"income"`` (ratio, 0 where ``w_j = 0``),
        ``"income_effect"`` (``w L``) and, when ``employment_coeffs`` is
        given, ``"employment"`` (ratio) and ``"employment_effect"``
        (``e L``).

    References
    ----------
    Miller & Blair (2009), section 6.2 (eqs. 6.1, 6.5, 6.7).
    """
    L = leontief_inverse(A)
    n = L.shape[0]
    w = _vector(income_coeffs, "income_coeffs", n)
    result = {
        "output": L.sum(axis=0),
        "income_effect": w @ L,
    }
    result["income"] = _ratio(result["income_effect"], w)
    if employment_coeffs is not None:
        e = _vector(employment_coeffs, "employment_coeffs", n)
        result["employment_effect"] = e @ L
        result["employment"] = _ratio(result["employment_effect"], e)
    return result


def type2_multipliers(A, income_coeffs, consumption_coeffs, employment_coeffs=None):
    """Type II multipliers from the model closed with respect to households.

    With :math:`\\bar{L} = (I - \\bar{A})^{-1}` of the closed model
    (see :func:`close_households`), for the producing sectors j = 1..n:

    .. math::

        \\text{output}_j = \\sum_{i \\le n} \\bar{l}_{ij}, \\quad
        \\text{output\\_with\\_households}_j = \\sum_{i \\le n+1} \\bar{l}_{ij},

        \\text{income}_j = \\bar{l}_{n+1, j} / w_j, \\quad
        \\text{employment}_j = (e \\bar{L}_{1..n, 1..n})_j / e_j

    Ratios are 0 where the direct coefficient is 0.

    Parameters
    ----------
    A : array_like, shape (n, n)
        Technical coefficients.
    income_coeffs : array_like, shape (n,)
        Labour income per unit of output ``w``.
    consumption_coeffs : array_like, shape (n,)
        Household consumption per unit of household income.
    employment_coeffs : array_like, shape (n,), optional
        Jobs per unit of output ``e``.

    Returns
    -------
    dict of numpy.ndarray, each shape (n,)
        ``"output"``, ``"output_with_households"``, ``"income"`` and, when
        ``employment_coeffs`` is given, ``"employment"``.

    References
    ----------
    Miller & Blair (2009), section 6.2.1 (Type II output multipliers,
    eq. 6.3), section 6.2.2 (Type II income multipliers, eq. 6.9) and
    section 6.2.3 (employment).
    """
    A_closed = close_households(A, income_coeffs, consumption_coeffs)
    n = A_closed.shape[0] - 1
    L_closed = leontief_inverse(A_closed)
    w = A_closed[n, :n]
    result = {
        "output": L_closed[:n, :n].sum(axis=0),
        "output_with_households": L_closed[:, :n].sum(axis=0),
        "income": _ratio(L_closed[n, :n], w),
    }
    if employment_coeffs is not None:
        e = _vector(employment_coeffs, "employment_coeffs", n)
        result["employment"] = _ratio(e @ L_closed[:n, :n], e)
    return result


def decompose_output_effects(A, income_coeffs, consumption_coeffs):
    """Split each sector's Type II output multiplier into its three effects.

    .. math::

        \\text{direct} = 1, \\quad
        \\text{indirect} = m^{I} - 1, \\quad
        \\text{induced} = m^{II} - m^{I}

    where :math:`m^{I}` is the Type I output multiplier and :math:`m^{II}`
    the Type II output multiplier over producing sectors (household row
    excluded), so ``direct + indirect + induced = m^{II}``.

    Parameters
    ----------
    A : array_like, shape (n, n)
        Technical coefficients.
    income_coeffs : array_like, shape (n,)
        Labour income per unit of output.
    consumption_coeffs : array_like, shape (n,)
        Household consumption per unit of household income.

    Returns
    -------
    dict of numpy.ndarray, each shape (n,)
        ``"direct"``, ``"indirect"`` and ``"induced"`` output per unit of
        final demand for each sector.

    References
    ----------
    Miller & Blair (2009), section 6.2.1 (initial, direct, indirect and
    induced effects).
    """
    type1 = output_multipliers(A)
    type2 = type2_multipliers(A, income_coeffs, consumption_coeffs)["output"]
    return {
        "direct": np.ones_like(type1),
        "indirect": type1 - 1.0,
        "induced": type2 - type1,
    }


def lm3(round1, round2, round3):
    """Local Multiplier 3 of the New Economics Foundation.

    .. math:: LM3 = (R_1 + R_2 + R_3) / R_1

    ``R1`` is the income of the organisation studied, ``R2`` the part of it
    spent within the local area, ``R3`` the part of ``R2`` re-spent locally
    by its recipients.  LM3 ranges from 1 (nothing spent locally) to 3
    (everything re-spent locally twice); with a constant local share ``p``,
    LM3 = 1 + p + p^2.

    Parameters
    ----------
    round1, round2, round3 : float
        Money in the three rounds; ``R1 > 0`` and ``R1 >= R2 >= R3 >= 0``.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If a round is not finite, ``R1 <= 0``, a round is negative, or a
        round exceeds the previous one.

    References
    ----------
    Sacks, J. (2002) *The Money Trail*, New Economics Foundation.
    """
    r1 = _finite_scalar(round1, "round1")
    r2 = _finite_scalar(round2, "round2")
    r3 = _finite_scalar(round3, "round3")
    if r1 <= 0:
        raise ValueError(f"round1 must be positive (the income studied), got {r1}")
    if r2 < 0 or r3 < 0:
        raise ValueError(f"round2 and round3 must be non-negative, got {r2} and {r3}")
    if r2 > r1:
        raise ValueError(f"round2 ({r2}) cannot exceed round1 ({r1}): only part of R1 can be spent locally")
    if r3 > r2:
        raise ValueError(f"round3 ({r3}) cannot exceed round2 ({r2}): only part of R2 can be re-spent locally")
    return (r1 + r2 + r3) / r1
