"""Survey throttling: a customer surveyed recently is not asked again."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analytics.storage.models import NpsResponse

THROTTLE_DAYS_ENV = "CXQA_NPS_THROTTLE_DAYS"
DEFAULT_THROTTLE_DAYS = 30


def throttle_days() -> int:
    """``CXQA_NPS_THROTTLE_DAYS`` (a whole number of days, 0 turns throttling off), default 30."""
    raw = os.environ.get(THROTTLE_DAYS_ENV, "").strip()
    if not raw:
        return DEFAULT_THROTTLE_DAYS
    try:
        days = int(raw)
    except ValueError:
        raise ValueError(f"{THROTTLE_DAYS_ENV} must be a whole number of days, got {raw!r}") from None
    if days < 0:
        raise ValueError(f"{THROTTLE_DAYS_ENV} must not be negative, got {days}")
    return days


def recently_surveyed(session: Session, customer_id: str, now: datetime, days: int | None = None) -> bool:
    """Was this customer surveyed (answered, declined or abandoned) within ``days`` before ``now``?

    A throttled row means the survey was *not* shown, so it does not count. The survey time is when it was
    asked, or when it was recorded if the ask time is unknown. ``days`` defaults to ``throttle_days()``.
    """
    window = throttle_days() if days is None else days
    if not customer_id or window <= 0:
        return False
    since = now - timedelta(days=window)
    surveyed_at = func.coalesce(NpsResponse.asked_at, NpsResponse.responded_at)
    found = session.scalar(
        select(NpsResponse.id)
        .where(
            NpsResponse.customer_id == customer_id,
            NpsResponse.status != "throttled",
            surveyed_at.between(since, now),
        )
        .limit(1)
    )
    return found is not None
