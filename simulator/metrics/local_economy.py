"""The local economy of a run, from its money ledger: LM3, the local input-output table and its
Type I / Type II multipliers, value added, jobs.

The "local area" is the park plus its region. Payees are located (``park``, ``region`` or
``outside``) by :func:`simulator.model.ledger.parties`. Rows count when their accounting period starts
after the warm-up. Re-spending outside the park is not simulated: regional suppliers and
households re-spend the shares given in the scenario's ``region`` section.

LM3 (Sacks 2002, *The Money Trail*, New Economics Foundation), for a group of park firms G
(the whole park, or its SMEs) treated as one organisation (payments inside G are not counted):

* R1 = G's income from outside G;
* R2 = what G pays to local payees (park firms outside G, regional suppliers and services,
  local households through wages); what G keeps (its surplus) is not spent locally, so a group
  with high margins has a lower LM3 than one that spends what it earns;
* R3 = what those local payees re-spend locally: park firms at their own simulated local share,
  regional suppliers and service operators at ``supplier_local_respend_share``, local households
  at ``household_local_spending_share``, a regional government (taxes, ledger category ``tax``)
  at ``government_local_respend_share``;
* LM3 = (R1 + R2 + R3) / R1, in [1, 3].

A group whose spending S exceeds its income R1 (a loss, financed from reserves or loans) can
spend locally only what its income pays for: NEF's rounds follow the income, so R2 and R3 are
scaled by R1 / S (the group spends its income in the same local/outside proportions as all
its spending). LM3 then still lies in [1, 3] and equals 1 + (L / S)(1 + ...), with L / S the
group's local spending share.

Input-output table (Miller & Blair 2009, ch. 2 and 6): sectors are the park firms grouped by
``sector`` plus one regional-suppliers sector; households close the model for Type II. Park
sectors' outputs are their sales; intermediate flows are payments between sectors. The regional
sector's output solves its own accounting: it sells ``P`` to the park and ``h (W + w x)`` to local
households and buys ``(r - w) x`` from itself, so ``x = (P + h W) / (1 - (r - w) - h w)`` with
r the local re-spend share, w its wage share, h the households' local spending share and W the
park's local wages. Firms' investments in exchange links are capital formation, not intermediate
inputs (Miller & Blair 2009, sec. 2.2): they count in LM3's spending but not in the IO table.
Taxes (the landfill tax) belong to the payments sector: value added of the sector that pays them,
neither an intermediate input nor an import (Miller & Blair 2009, sec. 2.2, Table 2.2); the
government is exogenous final demand, so its re-spending is in neither the Type I nor the Type II
model (only households are closed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.ledger import CATEGORIES, GOVERNMENT, LANDFILL, REGION_HOUSEHOLDS, REGION_SUPPLIERS, TRANSPORT
from ..results import RunResult
from ..storage import select_rows
from . import economic

LOCAL = ("park", "region")
SALES = (CATEGORIES.index("product_sale"), CATEGORIES.index("byproduct_sale"))
INVESTMENT = CATEGORIES.index("investment")
WAGE = CATEGORIES.index("wage")
TAX = CATEGORIES.index("tax")
REGION_SECTOR = "regional suppliers"
DAYS_PER_YEAR = 365.0
MULTIPLIER_KEYS = ("output_type1", "output_type2", "income_type1", "income_type2", "employment_type1",
                   "employment_type2")


@dataclass(frozen=True)
class Ledger:
    """Ledger rows of the reporting window, with party attributes as arrays."""

    payer: np.ndarray
    payee: np.ndarray
    category: np.ndarray
    amount: np.ndarray
    is_firm: np.ndarray      # per party
    is_local: np.ndarray     # per party: located in the park or the region
    parties: tuple[str, ...]


def window_ledger(result: RunResult) -> Ledger:
    """The ledger rows of the reporting window, read block by block (:func:`~simulator.storage.select_rows`)."""
    led = result.ledger
    _, payer, payee, category, amount = select_rows(lambda time, *_: time >= result.warmup_days, led.time_days,
                                                    led.payer, led.payee, led.category, led.amount)
    firms = set(result.firms.ids)
    return Ledger(payer=payer, payee=payee, category=category, amount=amount, is_firm=np.array([p in firms for p in led.parties]),
                  is_local=np.array([loc in LOCAL for loc in led.locations]), parties=led.parties)


# --------------------------------------------------------------------------- LM3


def respend_shares(result: RunResult, ledger: Ledger) -> np.ndarray:
    """Share of what each party receives that it re-spends locally (see module docstring)."""
    region = result.region
    shares = np.zeros(len(ledger.parties))
    spend = np.bincount(ledger.payer, ledger.amount, len(ledger.parties))
    local = np.bincount(ledger.payer, ledger.amount * ledger.is_local[ledger.payee], len(ledger.parties))
    firm = ledger.is_firm
    shares[firm] = np.divide(local[firm], spend[firm], out=np.zeros(firm.sum()), where=spend[firm] > 0)
    index = {p: i for i, p in enumerate(ledger.parties)}
    shares[index[REGION_HOUSEHOLDS]] = region.household_local_spending_share
    for name in (REGION_SUPPLIERS, LANDFILL, TRANSPORT):
        if ledger.is_local[index[name]]:
            shares[index[name]] = region.supplier_local_respend_share
    if ledger.is_local[index[GOVERNMENT]]:
        shares[index[GOVERNMENT]] = region.government_local_respend_share
    return shares


def lm3_rounds(result: RunResult, members: np.ndarray, ledger: Ledger | None = None) -> tuple[float, float, float]:
    """(R1, R2, R3) of the group of firms ``members`` (boolean per firm), per the module docstring."""
    ledger = ledger or window_ledger(result)
    group = np.zeros(len(ledger.parties), dtype=bool)
    group[:len(members)] = members
    income = group[ledger.payee] & ~group[ledger.payer]
    spending = group[ledger.payer] & ~group[ledger.payee]
    r1 = float(ledger.amount[income].sum())
    local_rows = spending & ledger.is_local[ledger.payee]
    if r1 <= 0:
        return r1, 0.0, 0.0
    received = np.bincount(ledger.payee[local_rows], ledger.amount[local_rows], len(ledger.parties))
    spent = float(ledger.amount[spending].sum())
    if spent > r1:  # a loss: only the income's share of the spending belongs to the rounds
        received *= r1 / spent
    r2 = float(received.sum())
    r3 = float(received @ respend_shares(result, ledger))
    return r1, r2, r3


def lm3_of(result: RunResult, members: np.ndarray, ledger: Ledger | None = None) -> float:
    r1, r2, r3 = lm3_rounds(result, members, ledger)
    return economic.lm3(r1, r2, r3) if r1 > 0 else float("nan")


def local_spending_share(result: RunResult, members: np.ndarray, ledger: Ledger | None = None) -> float:
    """Share of the group's spending (to payees outside the group) paid in the park or the region."""
    ledger = ledger or window_ledger(result)
    group = np.zeros(len(ledger.parties), dtype=bool)
    group[:len(members)] = members
    spending = group[ledger.payer] & ~group[ledger.payee]
    total = ledger.amount[spending].sum()
    local = ledger.amount[spending & ledger.is_local[ledger.payee]].sum()
    return float(local / total) if total > 0 else 0.0


# --------------------------------------------------------------------------- input-output table


@dataclass(frozen=True)
class IOTable:
    """The local input-output table of a run (money in the scenario currency, over the window).

    Sectors: park sectors first, then the regional suppliers. ``Z[i, j]``: purchases of sector j
    from sector i. ``household_income``: wages paid to local households (the household row).
    """

    sectors: tuple[str, ...]
    Z: np.ndarray
    final_demand: np.ndarray
    output: np.ndarray
    imports: np.ndarray
    household_income: np.ndarray
    value_added: np.ndarray       # output - intermediate inputs - imports: all wages (local or not), taxes, surplus
    employment: np.ndarray        # jobs
    household_consumption: np.ndarray  # household spending per unit of household income, by sector
    n_park: int                   # park sectors are the first n_park

    @property
    def A(self) -> np.ndarray:
        return economic.technical_coefficients(self.Z, self.output)

    def coefficients(self, values: np.ndarray) -> np.ndarray:
        return np.divide(values, self.output, out=np.zeros_like(values, dtype=float), where=self.output > 0)


def sector_of_firms(result: RunResult) -> tuple[tuple[str, ...], np.ndarray]:
    """Sector names (firms grouped by ``sector``, else by firm entry) and each firm's sector index."""
    labels = [s or e for s, e in zip(result.firms.sector, result.firms.entry)]
    names = tuple(dict.fromkeys(labels))
    return names, np.array([names.index(label) for label in labels], dtype=np.int64)


def io_table(result: RunResult, ledger: Ledger | None = None) -> IOTable:
    """Build the local IO table from the ledger (module docstring)."""
    ledger = ledger or window_ledger(result)
    names, firm_sector = sector_of_firms(result)
    n_firms, n = len(result.firms.ids), len(names) + 1
    region_idx = n - 1
    party_sector = np.full(len(ledger.parties), -1, dtype=np.int64)
    party_sector[:n_firms] = firm_sector
    index = {p: i for i, p in enumerate(ledger.parties)}
    households = index[REGION_HOUSEHOLDS]
    for name in (REGION_SUPPLIERS, LANDFILL, TRANSPORT):   # the government is final demand, not a sector
        if ledger.is_local[index[name]]:
            party_sector[index[name]] = region_idx
    # sectors gathered for the rows each sum selects (not two int64 arrays over a long run's ledger)
    payer, payee = ledger.payer, ledger.payee
    from_park = ledger.is_firm[ledger.payer] & (ledger.category != INVESTMENT)
    Z = np.zeros((n, n))
    inter = from_park & (party_sector >= 0)[ledger.payee]
    np.add.at(Z, (party_sector[payee[inter]], party_sector[payer[inter]]), ledger.amount[inter])
    to_households = from_park & (ledger.payee == households)
    household_income = np.bincount(party_sector[payer[to_households]], ledger.amount[to_households], n).astype(float)
    # wages of staff living outside and taxes are value added of the park, not imports
    leaks = from_park & ~ledger.is_local[ledger.payee] & (ledger.category != WAGE) & (ledger.category != TAX)
    imports = np.bincount(party_sector[payer[leaks]], ledger.amount[leaks], n).astype(float)
    sales = ledger.is_firm[ledger.payee] & np.isin(ledger.category, SALES)
    output = np.bincount(party_sector[payee[sales]], ledger.amount[sales], n).astype(float)
    # the regional suppliers' own accounts (module docstring)
    region = result.region
    h, r, w = region.household_local_spending_share, region.supplier_local_respend_share, region.supplier_wage_share
    bought_from_region = Z[region_idx, :region_idx].sum()
    park_wages = household_income[:region_idx].sum()
    kept = 1.0 - (r - w) - h * w
    # Nothing leaks out of a region that re-spends everything locally: no finite solution.
    x_region = (bought_from_region + h * park_wages) / kept if kept > 0 else float("nan")
    output[region_idx] = x_region
    Z[region_idx, region_idx] = (r - w) * x_region
    household_income[region_idx] = w * x_region
    imports[region_idx] = (1.0 - r) * x_region
    final_demand = output - Z.sum(axis=1)
    value_added = output - Z.sum(axis=0) - imports
    employment = np.zeros(n)
    np.add.at(employment, firm_sector, result.firms.employees * result.firms.present_at_end)
    # jobs are head counts, sales are over the reporting window: annualise the sales
    window_years = (result.horizon_days - result.warmup_days) / DAYS_PER_YEAR
    employment[region_idx] = region.supplier_jobs_per_million * x_region / window_years / 1e6
    consumption = np.zeros(n)
    consumption[region_idx] = h
    return IOTable(sectors=names + (REGION_SECTOR,), Z=Z, final_demand=final_demand, output=output,
                   imports=imports, household_income=household_income, value_added=value_added,
                   employment=employment, household_consumption=consumption, n_park=len(names))


def multipliers(table: IOTable) -> dict[str, np.ndarray]:
    """Per-sector Type I and Type II output, income and employment multipliers.

    Type I: open model (households exogenous); Type II: households endogenous through their
    local income and local consumption (:func:`economic.close_households`).
    """
    A = table.A
    income = table.coefficients(table.household_income)
    jobs = table.coefficients(table.employment)
    t1 = economic.type1_multipliers(A, income, jobs)
    t2 = economic.type2_multipliers(A, income, table.household_consumption, jobs)
    return {"output_type1": t1["output"], "income_type1": t1["income"], "employment_type1": t1["employment"],
            "output_type2": t2["output"], "income_type2": t2["income"], "employment_type2": t2["employment"],
            "income_effect_type1": t1["income_effect"], "employment_effect_type1": t1["employment_effect"]}


def sector_multipliers(table: IOTable) -> dict[str, list]:
    """Type I and Type II output, income and employment multipliers of every sector, as columns
    (empty values when the table has no Leontief solution). A sector without output has none
    (not 1 and 0), nor has one without local income or jobs its income or employment multipliers:
    they are ratios to a direct effect of zero."""
    names = ("output_type1", "output_type2", "income_type1", "income_type2", "employment_type1",
             "employment_type2")
    try:
        values = multipliers(table)
    except ValueError:
        values = {name: np.full(len(table.sectors), np.nan) for name in names}
    idle = table.output <= 0
    undefined = {"output": idle, "income": idle | (table.coefficients(table.household_income) <= 0),
                 "employment": idle | (table.coefficients(table.employment) <= 0)}
    return {"sector": list(table.sectors),
            **{name: np.where(undefined[name.split("_")[0]], np.nan, values[name]).tolist() for name in names}}


def park_wide(table: IOTable, values: dict[str, np.ndarray]) -> dict[str, float]:
    """Multipliers of the park's final-demand mix: sector values weighted by what each park sector
    sells to final demand (ratio multipliers: total effect / direct effect of that mix)."""
    park = slice(0, table.n_park)
    f = np.maximum(table.final_demand[park], 0.0)
    if f.sum() <= 0:
        return {k: float("nan") for k in MULTIPLIER_KEYS}
    income = table.coefficients(table.household_income)[park]
    jobs = table.coefficients(table.employment)[park]
    out = {"output_type1": float(values["output_type1"][park] @ f / f.sum()),
           "output_type2": float(values["output_type2"][park] @ f / f.sum())}
    for name, direct in (("income", income), ("employment", jobs)):
        base = direct @ f
        for kind in ("type1", "type2"):
            total = (values[f"{name}_{kind}"][park] * direct) @ f
            out[f"{name}_{kind}"] = float(total / base) if base > 0 else float("nan")
    return out


# --------------------------------------------------------------------------- indicators


def _paid(ledger: Ledger, category: str, to_firms: bool | None = None, from_firms: bool | None = None) -> float:
    mask = ledger.category == CATEGORIES.index(category)
    if to_firms is not None:
        mask &= ledger.is_firm[ledger.payee] == to_firms
    if from_firms is not None:
        mask &= ledger.is_firm[ledger.payer] == from_firms
    return float(ledger.amount[mask].sum())


def economy_metrics(result: RunResult) -> dict[str, float]:
    """Revenue, by-product money, jobs, value added, LM3, local spending and IO multipliers."""
    ledger = window_ledger(result)
    kinds = np.array(result.firms.kind)
    everyone = np.ones(len(kinds), dtype=bool)
    smes = kinds == "sme"
    window = slice(result.warmup_days, None)
    table = io_table(result, ledger)
    try:
        wide = park_wide(table, multipliers(table))
    except ValueError:  # some sector's local inputs cost as much as its sales: no Leontief solution
        wide = {k: float("nan") for k in MULTIPLIER_KEYS}
    park = slice(0, table.n_park)
    sme_firm = np.zeros(len(ledger.parties), dtype=bool)
    sme_firm[:len(smes)] = smes
    sme_sales = sme_firm[ledger.payee] & np.isin(ledger.category, SALES)
    values = {
        "revenue": (_paid(ledger, "product_sale", to_firms=True) + _paid(ledger, "byproduct_sale", to_firms=True)
                    + _paid(ledger, "subsidy", to_firms=True)),
        "byproduct_revenue": _paid(ledger, "byproduct_sale", to_firms=True),
        "disposal_cost": _paid(ledger, "disposal_fee", from_firms=True) + _paid(ledger, "tax", from_firms=True),
        "disposal_cost_avoided": float(result.value_disposal_avoided[window].sum()),
        "virgin_cost_avoided": float(result.value_virgin_avoided[window].sum()),
        "sme_revenue": float(ledger.amount[sme_sales].sum()),
        "value_added": float(table.value_added[park].sum()),
        "local_wages": float(table.household_income[park].sum()),
        "local_spending_share": local_spending_share(result, everyone, ledger),
        "local_spending_share_sme": local_spending_share(result, smes, ledger) if smes.any() else float("nan"),
        "lm3_park": lm3_of(result, everyone, ledger),
        "lm3_sme": lm3_of(result, smes, ledger) if smes.any() else float("nan"),
    }
    for key, value in wide.items():
        values[f"multiplier_{key}"] = value
    return values
