"""Throttling: a customer surveyed in the last N days (default 30) is not asked again."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from analytics.nps.recording import record_survey
from analytics.nps.throttle import THROTTLE_DAYS_ENV, recently_surveyed, throttle_days

NOW = datetime(2026, 11, 30, 12, 0)


def _record(session, key: str, status: str, days_ago: float, customer: str = "cust-1", asked: bool = True) -> None:
    when = NOW - timedelta(days=days_ago)
    record_survey(session, source="rasa", survey_key=key, status=status, score=8 if status == "answered" else None,
                  customer_id=customer, responded_at=when, asked_at=when if asked else None)


@pytest.mark.parametrize("status", ["answered", "declined", "abandoned"])
def test_a_survey_within_the_window_throttles(session_factory, status) -> None:
    with session_factory.begin() as session:
        _record(session, "k", status, days_ago=29.9)
        assert recently_surveyed(session, "cust-1", NOW) is True
        assert recently_surveyed(session, "cust-1", NOW, days=29) is False
        assert recently_surveyed(session, "someone-else", NOW) is False


def test_throttled_rows_and_old_surveys_do_not_count(session_factory) -> None:
    with session_factory.begin() as session:
        _record(session, "old", "answered", days_ago=30.1)
        _record(session, "skipped", "throttled", days_ago=1)
        assert recently_surveyed(session, "cust-1", NOW) is False


def test_responded_at_is_used_when_ask_time_unknown(session_factory) -> None:
    with session_factory.begin() as session:
        _record(session, "k", "answered", days_ago=2, asked=False)
        assert recently_surveyed(session, "cust-1", NOW) is True
        assert recently_surveyed(session, "cust-1", NOW - timedelta(days=3)) is False  # later than "now"


def test_window_from_environment(session_factory, monkeypatch) -> None:
    with session_factory.begin() as session:
        _record(session, "k", "answered", days_ago=10)
        monkeypatch.setenv(THROTTLE_DAYS_ENV, "7")
        assert recently_surveyed(session, "cust-1", NOW) is False
        monkeypatch.setenv(THROTTLE_DAYS_ENV, "14")
        assert recently_surveyed(session, "cust-1", NOW) is True
        monkeypatch.setenv(THROTTLE_DAYS_ENV, "0")  # throttling off
        assert recently_surveyed(session, "cust-1", NOW) is False


def test_throttle_days_default_and_errors(monkeypatch) -> None:
    monkeypatch.delenv(THROTTLE_DAYS_ENV, raising=False)
    assert throttle_days() == 30
    monkeypatch.setenv(THROTTLE_DAYS_ENV, "a month")
    with pytest.raises(ValueError, match="CXQA_NPS_THROTTLE_DAYS must be a whole number of days, got 'a month'"):
        throttle_days()
    monkeypatch.setenv(THROTTLE_DAYS_ENV, "-3")
    with pytest.raises(ValueError, match="must not be negative"):
        throttle_days()
