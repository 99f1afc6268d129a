"""Copy the catalog and the demo product registry from ``bot/knowledge`` into the database.

Idempotent: rows are inserted or updated by primary key, so a support lead can edit the YAML and seed again.
Registrations that are no longer in the file are left alone (the live registry is filled by the shop).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from analytics.bot_data.knowledge import Knowledge
from analytics.storage.models import Product, Registration


@dataclass(frozen=True)
class SeedResult:
    products: int
    registrations: int


def seed_knowledge(session: Session, knowledge: Knowledge) -> SeedResult:
    """Upsert every product line and registry entry in the caller's transaction."""
    for product in knowledge.products.values():
        session.merge(Product(
            id=product.id, name=product.name, warranty_months=knowledge.policies[product.id].warranty_months,
        ))
    session.flush()  # products first: registrations refer to them
    for entry in knowledge.registry:
        session.merge(Registration(
            serial_number=entry.serial_number, order_number=entry.order_number, product_id=entry.product_id,
            purchase_date=entry.purchase_date, extended_warranty_months=entry.extended_warranty_months,
            customer_email=entry.customer_email,
        ))
    session.flush()
    return SeedResult(products=len(knowledge.products), registrations=len(knowledge.registry))
