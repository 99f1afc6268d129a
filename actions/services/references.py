"""Recognise what a customer typed as a serial number, an order number or an email address.

Formats come from ``reference_formats`` in ``bot/knowledge/warranty_policies.yml``. Customers type
references loosely ("as 2600-0101", "ord 260101"), so spaces and dashes are forgiven before matching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from actions.services.knowledge import Knowledge, get_knowledge

ReferenceKind = Literal["serial_number", "order_number"]

_SEPARATORS = re.compile(r"[\s\-_.#:/]+")
_ORDER_DIGITS = re.compile(r"^(?:ORD)?(\d+)$")


@dataclass(frozen=True)
class Reference:
    kind: ReferenceKind
    value: str  # canonical form, as stored in the registry


def _candidates(text: str) -> list[str]:
    """The whole text squeezed, then runs of up to three words ("my serial is AS 2600 0101")."""
    punctuation = ".,;!?\"'()[]"
    words = [word.strip(punctuation) for word in text.split()]
    candidates = [_SEPARATORS.sub("", text.strip().strip(punctuation)).upper()]
    for size in (3, 2, 1):
        for start in range(len(words) - size + 1):
            candidates.append(_SEPARATORS.sub("", "".join(words[start:start + size])).upper())
    return candidates


def parse_serial_number(text: str | None, knowledge: Knowledge | None = None) -> str | None:
    if not text:
        return None
    pattern = (knowledge or get_knowledge()).formats["serial_number"].pattern
    return next((candidate for candidate in _candidates(text) if pattern.fullmatch(candidate)), None)


def parse_order_number(text: str | None, knowledge: Knowledge | None = None) -> str | None:
    if not text:
        return None
    pattern = (knowledge or get_knowledge()).formats["order_number"].pattern
    for candidate in _candidates(text):
        digits = _ORDER_DIGITS.match(candidate)
        if digits and candidate.startswith("ORD"):
            canonical = f"ORD-{digits.group(1)}"
            if pattern.fullmatch(canonical):
                return canonical
    return None


def parse_reference(text: str | None, knowledge: Knowledge | None = None) -> Reference | None:
    """A serial number or an order number found in ``text`` (serial first), else None."""
    serial = parse_serial_number(text, knowledge)
    if serial:
        return Reference("serial_number", serial)
    order = parse_order_number(text, knowledge)
    if order:
        return Reference("order_number", order)
    return None


def parse_email(text: str | None, knowledge: Knowledge | None = None) -> str | None:
    """The email address in ``text`` (lower-cased domain), else None."""
    if not text:
        return None
    pattern = (knowledge or get_knowledge()).formats["email"].pattern
    for word in text.strip().split():
        candidate = word.strip(".,;!?\"'()[]<>")
        if pattern.fullmatch(candidate):
            local, _, domain = candidate.rpartition("@")
            return f"{local}@{domain.lower()}"
    return None


def format_hint(kind: str, knowledge: Knowledge | None = None) -> str:
    return (knowledge or get_knowledge()).formats[kind].hint
