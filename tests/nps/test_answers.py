"""The NPS answer parser, table-driven: every example from the issue, plus the edges we decided on."""

from __future__ import annotations

import dataclasses

import pytest

from analytics.nps.answers import REJECTION_REASONS, NpsAnswer, parse_nps_answer

ACCEPTED = [
    # The examples.
    ("9", 9),
    ("nine", 9),
    ("9/10", 9),
    ("10 out of 10", 10),
    ("I'd say an 8", 8),
    ("8!", 8),
    (" 7 ", 7),
    ("a solid 9", 9),
    ("zero", 0),
    # Our additions.
    ("0", 0),
    ("10", 10),
    ("NINE", 9),
    ("I’d give it a 6", 6),  # typographic apostrophe
    ("8 of 10", 8),
    ("ten out of ten", 10),
    ("10/10!!", 10),
    ("8.0", 8),  # a whole number written with a decimal point
    ("08", 8),
    ("８", 8),  # full-width digit (NFKC)
    ("9\ufe0f\u20e3", 9),  # keycap emoji 9️⃣
    ("🔟", 10),
    ("8, yes 8", 8),  # the same number twice
    ("no one helped me, 3", 3),  # "one" is ordinary English next to a digit
    ("I would say 9th... I mean 9", 9),
    ("nil", 0),
]

REJECTED = [
    # The examples.
    ("11", "out_of_range"),
    ("-1", "out_of_range"),
    ("5 or 6", "several_numbers"),
    ("5-6", "several_numbers"),
    ("good", "no_number"),
    ("", "empty"),
    ("10/5", "wrong_scale"),  # a score of 10 on a 5-point scale: not ours, ask again rather than rescale
    # Our additions.
    ("   ", "empty"),
    ("5 - 6", "several_numbers"),
    ("5 to 6", "several_numbers"),
    ("between 7 and 8", "several_numbers"),
    ("7.5", "not_whole"),
    ("7,5", "not_whole"),
    ("4 out of 5", "wrong_scale"),
    ("80%", "wrong_scale"),
    ("80 percent", "wrong_scale"),
    ("11/10", "out_of_range"),
    ("eleven", "out_of_range"),
    ("twenty-one", "out_of_range"),
    ("minus one", "out_of_range"),
    ("I give it a -5", "out_of_range"),
    ("100", "out_of_range"),
    ("no thanks", "no_number"),
    ("👍", "no_number"),
]


@pytest.mark.parametrize(("text", "score"), ACCEPTED)
def test_accepts(text: str, score: int) -> None:
    answer = parse_nps_answer(text)
    assert answer == NpsAnswer(score=score)
    assert answer.ok and answer.hint is None


@pytest.mark.parametrize(("text", "reason"), REJECTED)
def test_rejects_with_hint(text: str, reason: str) -> None:
    answer = parse_nps_answer(text)
    assert answer.score is None
    assert answer.reason == reason
    assert answer.hint and "0" in answer.hint and "10" in answer.hint  # every hint names the scale
    assert not answer.ok


def test_every_reason_has_a_distinct_purpose_and_hint() -> None:
    reasons = {reason for _, reason in REJECTED}
    assert reasons == set(REJECTION_REASONS)


def test_answer_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse_nps_answer("9").score = 3  # type: ignore[misc]


def test_long_input_is_handled() -> None:
    assert parse_nps_answer("very " * 10_000 + "good, 9").score == 9
