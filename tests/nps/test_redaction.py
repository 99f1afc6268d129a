"""The shared redaction of personal data in report output (analytics/redaction.py)."""

from __future__ import annotations

import pytest

from analytics.redaction import display_text, luhn_valid, redact, strip_control_characters

CASES = [
    ("mail me at jane.doe+x@example.co.uk please", "mail me at [email] please"),
    ("JOE@EXAMPLE.COM", "[email]"),
    ("call +44 20 7946 0958 or (020) 7946-0958", "call [phone] or [phone]"),
    ("my number is 555-1234", "my number is [phone]"),
    ("0049 30 1234567", "[phone]"),
    ("card 4111 1111 1111 1111 thanks", "card [card] thanks"),
    ("4111-1111-1111-1111", "[card]"),
    ("4111111111111111", "[card]"),
    ("4222222222222", "[card]"),  # 13 digits passing the Luhn check
    ("1234 5678 9012 3456", "[card]"),  # 16 digits: masked even without a valid checksum
    ("IBAN DE89 3704 0044 0532 0130 00", "IBAN [iban]"),
    # Not personal data: kept.
    ("bought on 2026-11-02 at 10:30, 9/10", "bought on 2026-11-02 at 10:30, 9/10"),
    ("delivered 12/11/2026", "delivered 12/11/2026"),
    ("order 12345 was late", "order 12345 was late"),
    ("serial SN12345678X", "serial SN12345678X"),
    ("AB5-2026-00417 stopped", "AB5-2026-00417 stopped"),
    ("price 1,299.00 EUR", "price 1,299.00 EUR"),
    ("", ""),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_redact(text, expected) -> None:
    assert redact(text) == expected


def test_none_passes_through() -> None:
    assert redact(None) is None
    assert display_text(None) == ""


def test_control_characters_and_length() -> None:
    assert strip_control_characters("a\x1b[31mb\u202ec\x00") == "a [31mb c "
    assert display_text("  many\n\nlines\tand jo@example.com  ") == "many lines and [email]"
    assert display_text("x" * 50, max_length=10) == "x" * 9 + "…"


def test_luhn() -> None:
    # 4111 1111 1111 1111 read from the right: 8 undoubled 1s give 8; the doubled ones are seven 1s and the 4,
    # 7*2 + 4*2 = 22; 8 + 22 = 30, a multiple of 10 -> valid
    assert luhn_valid("4111 1111 1111 1111")
    assert not luhn_valid("4111 1111 1111 1112")
    assert not luhn_valid("")
