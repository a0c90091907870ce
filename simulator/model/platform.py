"""Who is on the digital exchange platform: firms join when what they expect from it exceeds its fee.

From the day the platform opens, and every ``review_days`` after, each connected firm that is
not yet a member weighs a year on the platform (currency per year):

    expected benefit = sum over its candidate links l with a connected partner of
                       w(partner) x own share x V_l x gain_l

    gain_l = handling saving s                       for a link already found, if it pays
           = (P(found in a year | members) - P(found in a year | not)) x (S_l + s - i_l)+
                                                     for a link not yet found

with ``w = 1`` for a partner that is already a member and ``launch_expectation`` for a connected
one that is not (so the benefit grows with the members who offer or seek the firm's materials),
own share the firm's bargaining share (``supplier_surplus_share`` as supplier, the rest as
consumer), ``V_l`` the link's volume per year, ``S_l`` its net benefit per unit at the full
handling cost, ``s = handling_cost_per_unit x (1 - handling_cost_factor)`` the saving per unit,
``i_l`` the link's investment per unit (:mod:`model.deals`), and the chance of finding the partner
within a year ``1 - exp(-rate)`` at the link's discovery rate per year, multiplied by
``discovery_multiplier`` between members. Firms whose expected benefit exceeds ``fee_per_year``
join; members stay. What the platform does (faster discovery, shorter negotiation, cheaper
handling) acts only on links between two members, from the day both are members.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ..config import Platform
from .exchange import UNKNOWN, Contracts

DAYS_PER_YEAR = 365.0


def platform_connected(firm_ids: list[str], coverage: float) -> np.ndarray:
    """Which firms can connect to the platform: a stable pseudo-random draw from each firm's id.

    The same firm is connected in every run and variant, and raising ``coverage`` only adds
    firms, so comparisons between coverage levels are not blurred by who happens to connect.
    """
    u = np.array([int.from_bytes(hashlib.sha256(fid.encode()).digest()[:8], "big") / 2 ** 64
                  for fid in firm_ids])
    return u < coverage


class PlatformMembers:
    """Membership of the platform and each firm's expected benefit from it (module docstring).

    Parameters
    ----------
    spec : the scenario's platform.
    firm_ids : ids of the park's firms.
    contracts : the candidate links and their economics.
    rate_per_day : each link's discovery rate without the platform (per day).
    """

    def __init__(self, spec: Platform, firm_ids: list[str], contracts: Contracts, rate_per_day: np.ndarray,
                 handling_per_unit: float, bargaining_power: float):
        self.spec = spec
        self.connected = platform_connected(firm_ids, spec.coverage)
        self.member = np.zeros(len(firm_ids), dtype=bool)
        self.joined_day = np.full(len(firm_ids), np.nan)
        self.contracts = contracts
        rate = rate_per_day * DAYS_PER_YEAR
        self.uplift = np.exp(-rate) - np.exp(-rate * spec.discovery_multiplier)
        self.saving = handling_per_unit * (1.0 - spec.handling_cost_factor)
        self.base_handling = handling_per_unit
        self.power = bargaining_power

    def both(self) -> np.ndarray:
        """Per link: are both its firms members?"""
        links = self.contracts.links
        return self.member[links.supplier] & self.member[links.consumer]

    def expected_benefit(self) -> np.ndarray:
        """Per firm: what a year on the platform is expected to bring it (currency per year)."""
        c = self.contracts
        links = c.links
        with np.errstate(divide="ignore", invalid="ignore"):
            per_unit = np.where(c.built | (c.volume <= 0), 0.0, c.investment / (c.annuity * c.volume))
        surplus = c.benefit + c.handling - self.base_handling + self.saving - per_unit
        found = c.state != UNKNOWN
        gain = c.volume * np.where(found, self.saving * (surplus > 0), self.uplift * np.maximum(surplus, 0.0))
        weight = np.where(self.member, 1.0, np.where(self.connected, self.spec.launch_expectation, 0.0))
        n = len(self.member)
        as_supplier = np.bincount(links.supplier, self.power * gain * weight[links.consumer], n)
        as_consumer = np.bincount(links.consumer, (1.0 - self.power) * gain * weight[links.supplier], n)
        return as_supplier + as_consumer

    def review(self, now: float, present: np.ndarray) -> np.ndarray:
        """Connected, present non-members whose expected benefit exceeds the fee join now; returns them."""
        joins = np.flatnonzero(self.connected & present & ~self.member & (self.expected_benefit() > self.spec.fee_per_year))
        self.member[joins] = True
        self.joined_day[joins] = now
        return joins
