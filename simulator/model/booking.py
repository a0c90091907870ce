"""Booking: the money of every day's physical flows, wages and fixed costs, in the ledger.

Each kind of daily flow has a ledger channel (payer, payee, category and material per row,
:meth:`.ledger.LedgerBook.channel`): inputs bought in the region and outside, products sold
outside the park and in the region, disposal fees of outputs, of spoiled stock and of utilities
vented (the gate fee to the landfill operator, the landfill tax to the government), the IKM centre's collection of pooled lots, wages to local and outside households, and
fixed costs paid locally and outside. Sales between park firms and the by-product exchanges are
booked when a money period closes.
"""

from __future__ import annotations

import numpy as np

from ..config import Scenario
from ..network import ParkNetwork
from .firm import FirmTable
from .ledger import (GOVERNMENT, LANDFILL, MARKET, OUTSIDE_HOUSEHOLDS, OUTSIDE_SUPPLIERS, REGION_BUYERS,
                     REGION_HOUSEHOLDS, REGION_SUPPLIERS, TRANSPORT, LedgerBook, LinkAccounts, parties)
from .production import RecipeTables, Slots

DAYS_PER_YEAR = 365.0


class Booking:
    """The run's ledger and the channels of the flows booked every day.

    Parameters
    ----------
    scenario, network : the realised scenario and its network.
    firms : the firm table (ids; who is present pays wages and fixed costs).
    recipes, slots : recipe tables and stores (who buys, emits and stores what).
    recorder : the recorder (which by-product entries are pooled into the IKM centre's store; its
        sink receives the ledger's rows).
    product_material : material index of each firm's product.
    prices : the market prices (read when booking).
    """

    def __init__(self, scenario: Scenario, network: ParkNetwork, firms: FirmTable, recipes: RecipeTables,
                 slots: Slots, recorder, product_material: np.ndarray, prices):
        region = scenario.region
        self.ledger = led = LedgerBook(parties(list(firms.ids), region.landfill_operator, region.transport_operator,
                                               region.tax_authority), scenario.run.ledger_period_days,
                                       recorder.sink)
        self.firms, self.recipes, self.slots, self.prices = firms, recipes, slots, prices
        self.product_material = product_material
        specs = [f.spec for f in network.firms]
        self.fixed_product_price = np.array(
            [np.nan if s.product.price_per_unit is None else s.product.price_per_unit for s in specs])
        r = recipes
        ids = np.array(firms.ids, dtype=object)
        self.ch_buy_region = led.channel(ids[r.in_firm], REGION_SUPPLIERS, "input_purchase", r.in_material)
        self.ch_buy_outside = led.channel(ids[r.in_firm], OUTSIDE_SUPPLIERS, "input_purchase", r.in_material)
        self.ch_sale_outside = led.channel(MARKET, ids, "product_sale", product_material)
        self.ch_sale_region = led.channel(REGION_BUYERS, ids, "product_sale", product_material)
        self.ch_dispose_out = led.channel(ids[r.out_firm], LANDFILL, "disposal_fee", r.out_material)
        self.ch_dispose_slot = led.channel(ids[slots.slot_firm], LANDFILL, "disposal_fee",
                                           np.array(slots.slot_material, dtype=np.int64))
        self.ch_dispose_point = led.channel(ids[slots.point_firm], LANDFILL, "disposal_fee",
                                            np.array(slots.point_material, dtype=np.int64))
        self.ch_tax_out = led.channel(ids[r.out_firm], GOVERNMENT, "tax", r.out_material)
        self.ch_tax_slot = led.channel(ids[slots.slot_firm], GOVERNMENT, "tax",
                                       np.array(slots.slot_material, dtype=np.int64))
        self.ch_tax_point = led.channel(ids[slots.point_firm], GOVERNMENT, "tax",
                                        np.array(slots.point_material, dtype=np.int64))
        self.ch_wage_local = led.channel(ids, REGION_HOUSEHOLDS, "wage", -1)
        self.ch_wage_outside = led.channel(ids, OUTSIDE_HOUSEHOLDS, "wage", -1)
        self.ch_fixed_local = led.channel(ids, REGION_SUPPLIERS, "fixed_cost", -1)
        self.ch_fixed_outside = led.channel(ids, OUTSIDE_SUPPLIERS, "fixed_cost", -1)
        wage_bill = np.array([s.employees * s.wage_per_year for s in specs]) / DAYS_PER_YEAR
        local_staff = np.array([s.local_staff_share for s in specs])
        fixed = np.array([s.fixed_cost_per_year for s in specs]) / DAYS_PER_YEAR
        fixed_local = np.array([s.fixed_cost_local_share for s in specs])
        self.daily_wage_local, self.daily_wage_outside = wage_bill * local_staff, wage_bill * (1 - local_staff)
        self.daily_fixed_local, self.daily_fixed_outside = fixed * fixed_local, fixed * (1 - fixed_local)
        self.sales_region_share = np.array([s.product.region_sales_share for s in specs])
        pooled = np.flatnonzero(recorder.pooled_entry)
        self.pooled_entries = pooled
        self.ch_collection = led.channel(ids[recorder.pool_owner[pooled]], REGION_SUPPLIERS, "handling",
                                         r.out_material[pooled])
        sentra = scenario.sentra
        self.collection_cost = sentra.collection_cost_per_unit if sentra is not None else 0.0
        platform = scenario.platform
        self.daily_platform_fee = platform.fee_per_year / DAYS_PER_YEAR if platform is not None else 0.0
        self.ch_platform_fee = led.channel(ids, REGION_SUPPLIERS, "fixed_cost", -1)

    def link_accounts(self, links, handling_per_unit: np.ndarray) -> LinkAccounts:
        """Accounts of the by-product exchanges on ``links``, booked into this ledger."""
        return LinkAccounts(self.ledger, links.supplier, links.consumer, links.material, handling_per_unit,
                            TRANSPORT, REGION_SUPPLIERS, GOVERNMENT)

    def book_day(self, f, members=None) -> None:
        """Book the money of a day's flows ``f`` (:class:`.production.DayFlows`); ``members`` are the
        platform's members (:class:`.platform.PlatformMembers`, None without a platform), who pay its fee."""
        r, price = self.recipes, self.prices.price
        fee, tax = self.prices.disposal, self.prices.tax_per_unit
        # bought from park producers: booked between the firms when the period closes
        from_suppliers = f.purchased - f.bought_in_park
        spend = from_suppliers * price[r.in_material]
        self.ch_buy_region.add(from_suppliers * r.in_local_share, spend * r.in_local_share)
        self.ch_buy_outside.add(from_suppliers * (1 - r.in_local_share), spend * (1 - r.in_local_share))
        unit_price = np.where(np.isnan(self.fixed_product_price), price[self.product_material],
                              self.fixed_product_price)
        sold_out = f.output - f.sold_in_park
        revenue = sold_out * unit_price
        share = self.sales_region_share
        self.ch_sale_outside.add(sold_out * (1 - share), revenue * (1 - share))
        self.ch_sale_region.add(sold_out * share, revenue * share)
        for (dispose, taxed), quantity, material in (
                ((self.ch_dispose_out, self.ch_tax_out), f.disposed, r.out_material),
                ((self.ch_dispose_slot, self.ch_tax_slot), f.spoiled, self.slots.slot_material),
                ((self.ch_dispose_point, self.ch_tax_point), f.vented_in, self.slots.point_material)):
            dispose.add(quantity, quantity * fee[material])
            taxed.add(quantity, quantity * tax[material])
        collected = f.stored[self.pooled_entries]
        self.ch_collection.add(collected, collected * self.collection_cost)
        present, staffed = self.firms.active(), self.firms.staffed()
        self.ch_wage_local.add(0.0, self.daily_wage_local * staffed)
        self.ch_wage_outside.add(0.0, self.daily_wage_outside * staffed)
        self.ch_fixed_local.add(0.0, self.daily_fixed_local * present)
        self.ch_fixed_outside.add(0.0, self.daily_fixed_outside * present)
        if members is not None and self.daily_platform_fee > 0:
            self.ch_platform_fee.add(0.0, self.daily_platform_fee * (members.member & present))

    def disposal(self, firm: int, material: int, quantity: float) -> None:
        """Book the disposal of ``quantity`` by ``firm``: the gate fee to the landfill operator, the
        landfill tax to the government."""
        payer = self.firms.ids[firm]
        self.ledger.book(payer, LANDFILL, "disposal_fee", material, quantity, quantity * self.prices.disposal[material])
        self.ledger.book(payer, GOVERNMENT, "tax", material, quantity, quantity * self.prices.tax_per_unit[material])

    def investment(self, firm: int, material: int, amount: float) -> None:
        """Book what ``firm`` pays regional contractors to build a link."""
        self.ledger.book(self.firms.ids[firm], REGION_SUPPLIERS, "investment", material, 0.0, amount)

    def close_period(self, start_day: int, park_sales, accounts: LinkAccounts) -> None:
        """Book sales between park firms ``(buyer, seller, material, quantity)`` at market prices
        and the exchange accounts' sums, then close the money period that began on ``start_day``."""
        buyer, seller, material, quantity = park_sales
        price = self.prices.price
        self.ledger.book_rows(buyer, seller, "product_sale", material, quantity, quantity * price[material])
        accounts.close()
        self.ledger.close_period(float(start_day))
