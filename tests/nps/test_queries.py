"""NPS aggregation in SQL on SQLite and PostgreSQL: overall, by group (agents from the JSON list), by week."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from analytics.nps.queries import (
    FollowupError,
    SurveyFilter,
    detractor_followups,
    nps_summary,
    update_followup,
    weekly_trend,
)
from analytics.nps.recording import record_survey
from analytics.storage.models import NpsResponse

MONDAY_W45 = datetime(2026, 11, 2, 9, 0)
SUNDAY_W45_LATE = datetime(2026, 11, 8, 23, 30)  # still ISO week 45
MONDAY_W46 = datetime(2026, 11, 9, 0, 0)

# (key, status, score, touchpoint, channel, agents, segment, responded_at)
SURVEYS = [
    ("w1", "answered", 10, "warranty", "web_chat", ["a1"], "consumer", MONDAY_W45),
    ("w2", "answered", 9, "warranty", "web_chat", ["a1"], "consumer", MONDAY_W45 + timedelta(days=2)),
    ("w3", "answered", 7, "warranty", "web_chat", ["a1"], "consumer", SUNDAY_W45_LATE),
    ("w4", "answered", 3, "warranty", "web_chat", ["a1"], "consumer", SUNDAY_W45_LATE),
    ("w5", "declined", None, "warranty", "web_chat", ["a1"], "consumer", MONDAY_W45),
    ("w6", "abandoned", None, "warranty", "web_chat", ["a1"], "consumer", MONDAY_W45),
    ("w7", "throttled", None, "warranty", "web_chat", ["a1"], "consumer", MONDAY_W45),
    ("t1", "answered", 9, "technical", "phone", ["a1", "a2"], "business", MONDAY_W46),
    ("t2", "answered", 6, "technical", "phone", ["a1", "a2"], "business", MONDAY_W46 + timedelta(days=1)),
    ("t3", "answered", 0, "technical", "phone", ["a1", "a2"], "business", MONDAY_W46 + timedelta(days=1)),
    ("b1", "answered", 8, "technical", "web_chat", [], None, MONDAY_W46 + timedelta(days=3)),
]


@pytest.fixture
def surveyed(session_factory):
    with session_factory.begin() as session:
        for key, status, score, touchpoint, channel, agents, segment, responded_at in SURVEYS:
            record_survey(session, source="import", survey_key=key, status=status, score=score,
                          comment=f"comment {key}", customer_id=f"c-{key}", touchpoint=touchpoint, channel=channel,
                          agent_ids=agents, segment=segment, responded_at=responded_at)
    return session_factory


def _by_group(rows) -> dict:
    return {row.group: row.to_json() for row in rows}


def test_overall(surveyed) -> None:
    with surveyed() as session:
        (overall,) = nps_summary(session)
    data = overall.to_json()
    # answered 10 9 7 3 9 6 0 8: promoters 10, 9, 9 = 3; passives 7, 8 = 2; detractors 3, 6, 0 = 3; n = 8
    # NPS = (3 - 3) / 8 = 0; response rate = 8 / (8 + 1 declined + 1 abandoned) = 80% (throttled excluded)
    assert {k: data[k] for k in ("responses", "nps", "promoters", "passives", "detractors", "declined",
                                 "abandoned", "throttled", "response_rate")} == {
        "responses": 8, "nps": 0.0, "promoters": 3, "passives": 2, "detractors": 3, "declined": 1,
        "abandoned": 1, "throttled": 1, "response_rate": 80.0}
    low, high = data["ci95"]
    assert -100 <= low < 0 < high <= 100


def test_by_touchpoint_channel_segment(surveyed) -> None:
    with surveyed() as session:
        touchpoints = _by_group(nps_summary(session, "touchpoint"))
        channels = _by_group(nps_summary(session, "channel"))
        segments = _by_group(nps_summary(session, "segment"))
    # warranty: 10 9 7 3 -> (2 - 1) / 4 = 25; technical: 9 6 0 8 -> (1 - 2) / 4 = -25
    assert (touchpoints["warranty"]["nps"], touchpoints["technical"]["nps"]) == (25.0, -25.0)
    # web_chat: 10 9 7 3 8 -> (2 - 1) / 5 = 20; phone: 9 6 0 -> (1 - 2) / 3 = -33.3
    assert (channels["web_chat"]["nps"], channels["phone"]["nps"]) == (20.0, -33.3)
    assert (channels["web_chat"]["responses"], channels["phone"]["responses"]) == (5, 3)
    # the bot-only survey has no segment: its own group
    assert segments[None]["responses"] == 1 and segments["consumer"]["responses"] == 4


def test_by_agent_counts_a_survey_for_each_agent(surveyed) -> None:
    with surveyed() as session:
        agents = _by_group(nps_summary(session, "agent"))
    # a1: 10 9 7 3 9 6 0 -> P 3, Pa 1, D 3 -> 0; plus the declined, abandoned and throttled surveys
    assert {k: agents["a1"][k] for k in ("responses", "promoters", "passives", "detractors", "nps", "declined",
                                         "throttled")} == {
        "responses": 7, "promoters": 3, "passives": 1, "detractors": 3, "nps": 0.0, "declined": 1, "throttled": 1}
    # a2: 9 6 0 -> (1 - 2) / 3 = -33.3
    assert (agents["a2"]["responses"], agents["a2"]["nps"]) == (3, -33.3)
    # no agent (the bot alone): 8 -> passive
    assert (agents[None]["responses"], agents[None]["passives"]) == (1, 1)
    assert list(agents) == ["a1", "a2", None]  # largest first, the no-agent group last among equals


def test_by_week_iso_weeks_monday_to_sunday(surveyed) -> None:
    with surveyed() as session:
        weeks = nps_summary(session, "week")
    assert [(w.group, w.week_start, w.summary.counts.responses) for w in weeks] == [
        ("2026-W45", date(2026, 11, 2), 4), ("2026-W46", date(2026, 11, 9), 4)]
    assert weeks[0].to_json()["week_start"] == "2026-11-02"


def test_weekly_trend_fills_gaps_and_reports_changes(surveyed) -> None:
    with surveyed.begin() as session:  # one more answer in week 48: week 47 has none
        record_survey(session, source="import", survey_key="late", status="answered", score=10,
                      responded_at=datetime(2026, 11, 25, 12, 0))
    with surveyed() as session:
        trend = weekly_trend(session)
        last_two = weekly_trend(session, weeks=2)
    assert [t.week.group for t in trend] == ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]
    assert [t.week.summary.nps for t in trend] == [25.0, -25.0, None, 100.0]
    assert trend[1].change == -50.0 and trend[1].significant is False  # 4 answers a week: noise
    assert trend[2].change is None
    assert trend[3].change == 125.0  # compared with the last week that had answers (W46)
    assert [t.week.group for t in last_two] == ["2026-W47", "2026-W48"]


def test_filters(surveyed) -> None:
    with surveyed() as session:
        (week46,) = nps_summary(session, survey_filter=SurveyFilter(since=MONDAY_W46))
        (nothing,) = nps_summary(session, survey_filter=SurveyFilter(source="rasa"))
    assert week46.summary.counts.responses == 4
    assert nothing.summary.nps is None and nothing.to_json()["ci95"] is None


def test_unknown_grouping(surveyed) -> None:
    with surveyed() as session, pytest.raises(ValueError, match="group by one of touchpoint"):
        nps_summary(session, "colour")


def test_detractor_followups_and_closing_the_loop(surveyed) -> None:
    now = MONDAY_W46 + timedelta(days=2)  # t2 and t3 answered a day before: due tomorrow
    with surveyed() as session:
        open_items = detractor_followups(session, now)
    # detractors: w4 (3), t2 (6), t3 (0); the most urgent first; w4 is overdue (due Tue 10 Nov 23:30)
    assert [(f.score, f.overdue) for f in open_items] == [(3, True), (6, False), (0, False)]
    assert open_items[0].due == SUNDAY_W45_LATE + timedelta(hours=48)
    with surveyed() as session:
        assert [f.score for f in detractor_followups(session, now, overdue_only=True)] == [3]
    with surveyed.begin() as session:
        update_followup(session, open_items[0].id, owner="maria", status="closed")
        update_followup(session, open_items[1].id, owner="li")
    with surveyed() as session:
        remaining = detractor_followups(session, now)
        everything = detractor_followups(session, now, include_closed=True)
    assert [(f.score, f.owner, f.status) for f in remaining] == [(6, "li", "open"), (0, None, "open")]
    assert [(f.score, f.status, f.overdue) for f in everything][0] == (3, "closed", False)


@pytest.mark.parametrize(
    ("target", "kwargs", "message"),
    [
        ("w1", {"status": "closed"}, "is not a detractor"),
        ("w4", {"status": "done"}, "status must be one of open|in_progress|closed"),
        ("w4", {}, "give --owner and/or --status"),
        ("w4", {"owner": "  "}, "owner must not be empty"),
        (None, {"status": "closed"}, "no NPS response with id 999"),
    ],
)
def test_followup_errors(surveyed, target, kwargs, message) -> None:
    with surveyed.begin() as session:
        response_id = 999 if target is None else session.scalar(
            select(NpsResponse.id).where(NpsResponse.survey_key == target))
        with pytest.raises(FollowupError, match=message):
            update_followup(session, response_id, **kwargs)
