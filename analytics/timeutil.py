"""Time conventions: parse ISO 8601 at the edges, keep naive UTC inside."""

from __future__ import annotations

from datetime import datetime, timezone

UTC = timezone.utc


def parse_timestamp(value: str) -> datetime:
    """Parse an ISO 8601 timestamp ("2026-11-02T09:15:00Z", "+01:00" offsets, or naive = UTC) to naive UTC."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        return datetime.fromisoformat(text[:-1])  # already UTC; the common case, kept cheap
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
            raise ValueError(f"{value!r} is out of range once converted to UTC") from None
    return parsed


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def iso_utc(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat() + "Z"
