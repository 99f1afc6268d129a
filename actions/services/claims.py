"""Open warranty claims in the database."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.storage.models import Claim
from analytics.text_safety import clean_optional, clean_text

CLAIM_PREFIX = "CLM-"
# Letters and digits a customer cannot confuse when reading a claim number out (no 0/O, 1/I).
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference(prefix: str, length: int = 8) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def open_claim(session: Session, *, serial_number: str, problem: str, contact_email: str, sender_id: str | None,
               now: datetime) -> Claim:
    """Insert an open claim with a fresh claim number (unique: re-drawn on the rare clash)."""
    claim_number = new_reference(CLAIM_PREFIX)
    while session.scalar(select(Claim.id).where(Claim.claim_number == claim_number)) is not None:
        claim_number = new_reference(CLAIM_PREFIX)
    # The customer's words, cleaned: no NUL or lone surrogate may reach the database (it would refuse the row).
    claim = Claim(claim_number=claim_number, serial_number=clean_text(serial_number), problem=clean_text(problem),
                  contact_email=clean_text(contact_email), sender_id=clean_optional(sender_id), status="open",
                  created_at=now)
    session.add(claim)
    session.flush()
    return claim
