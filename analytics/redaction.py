"""Mask personal data (emails, phone numbers, card numbers, IBANs) in untrusted text before it is reported.

Shared by every report that shows customer text. The patterns live in ``redaction_patterns.yml``.
``redact`` is pure; ``display_text`` also removes control characters (terminal escape sequences in a
customer comment must not reach an operator's terminal) and shortens long text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

PATTERNS_PATH = Path(__file__).with_name("redaction_patterns.yml")


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    replacement: str
    min_digits: int
    max_digits: int
    unless: re.Pattern[str] | None
    luhn_required_below: int


@lru_cache(maxsize=1)
def _rules() -> tuple[_Rule, ...]:
    raw = yaml.safe_load(PATTERNS_PATH.read_text(encoding="utf-8"))
    return tuple(
        _Rule(
            kind=str(item["kind"]),
            pattern=re.compile(item["pattern"]),
            replacement=str(item["replacement"]),
            min_digits=int(item.get("min_digits", 0)),
            max_digits=int(item.get("max_digits", 10**6)),
            unless=re.compile(item["unless"]) if item.get("unless") else None,
            luhn_required_below=int(item.get("luhn_required_below", 0)),
        )
        for item in raw
    )


def _replace(rule: _Rule, text: str) -> str:
    def substitute(match: re.Match[str]) -> str:
        found = match.group()
        digits = sum(character.isdigit() for character in found)
        if not rule.min_digits <= digits <= rule.max_digits:
            return found
        if rule.unless is not None and rule.unless.search(found.strip()):
            return found
        if digits < rule.luhn_required_below and not luhn_valid(found):
            return found
        return rule.replacement

    return rule.pattern.sub(substitute, text)


def luhn_valid(text: str) -> bool:
    """The payment-card checksum over the digits of ``text``."""
    digits = [int(character) for character in text if character.isdigit()]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return bool(digits) and total % 10 == 0


def redact(text: str | None) -> str | None:
    """The text with emails, IBANs, card-like and phone-like numbers replaced by ``[email]``, ``[card]``..."""
    if text is None:
        return None
    for rule in _rules():
        text = _replace(rule, text)
    return text


def strip_control_characters(text: str) -> str:
    """Replace control and format characters (ANSI escapes, bidi overrides, NUL...) by spaces."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)


def display_text(text: str | None, max_length: int | None = None) -> str:
    """Untrusted text made safe to show: redacted, without control characters, optionally shortened."""
    if not text:
        return ""
    shown = redact(strip_control_characters(text)) or ""
    shown = " ".join(shown.split())
    if max_length is not None and len(shown) > max_length:
        shown = shown[: max_length - 1] + "…"
    return shown
