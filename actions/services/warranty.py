"""Warranty status of registered units: coverage dates (pure) and registry lookups (database).

Coverage ends ``warranty_months`` (the product line's standard warranty, seeded from
``warranty_policies.yml``) plus any extended months after the purchase date, and includes that last day.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.services.references import Reference
from analytics.storage.models import Product, Registration


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later; the 31st becomes the last day of a shorter month."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class UnitWarranty:
    serial_number: str
    order_number: str | None
    product_id: str
    product_name: str
    purchase_date: date
    standard_months: int
    extended_months: int

    @property
    def covered_until(self) -> date:
        return add_months(self.purchase_date, self.standard_months + self.extended_months)

    def is_covered_on(self, day: date) -> bool:
        return day <= self.covered_until


def find_units(session: Session, reference: Reference) -> list[UnitWarranty]:
    """The registered units behind a serial number (zero or one) or an order number (zero or more)."""
    query = select(Registration, Product).join(Product, Registration.product_id == Product.id)
    if reference.kind == "serial_number":
        query = query.where(Registration.serial_number == reference.value)
    else:
        query = query.where(Registration.order_number == reference.value)
    rows = session.execute(query.order_by(Registration.serial_number)).all()
    return [
        UnitWarranty(
            serial_number=registration.serial_number, order_number=registration.order_number,
            product_id=product.id, product_name=product.name, purchase_date=registration.purchase_date,
            standard_months=product.warranty_months, extended_months=registration.extended_warranty_months or 0,
        )
        for registration, product in rows
    ]


def is_registered(session: Session, serial_number: str) -> bool:
    return session.get(Registration, serial_number) is not None
