"""The length cap on customer messages, shared by our REST and socket.io channels (runs inside Rasa).

Rasa's NLU pipeline grows with the square of a message's length (a 40 KB message took 26 s and 12.6 GB;
docs/security.md): every channel cuts the text to ``CXQA_MAX_MESSAGE_CHARS`` characters (default 2,000)
before the ``UserMessage`` is built, tells the customer in one bot message first, and records the original
length in the message's metadata (``cxqa_truncated``), so the tracker keeps only the cut text.

Logs never carry a customer's text: :func:`describe_for_log` gives its length only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128
MAX_METADATA_CHARS = 10_000
TRUNCATION_METADATA_KEY = "cxqa_truncated"


def max_message_chars(environ: Mapping[str, str] | None = None) -> int:
    """``CXQA_MAX_MESSAGE_CHARS`` (a positive whole number), else 2,000."""
    raw = (os.environ if environ is None else environ).get("CXQA_MAX_MESSAGE_CHARS", "")
    if not raw:
        return DEFAULT_MAX_MESSAGE_CHARS
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"CXQA_MAX_MESSAGE_CHARS={raw!r} is not a positive whole number of characters")
    return int(raw)


@dataclass(frozen=True)
class CappedText:
    text: str
    original_chars: int
    limit: int

    @property
    def truncated(self) -> bool:
        return self.original_chars > self.limit

    def notice(self) -> str:
        """The bot message that tells the customer, sent before the reply."""
        return (
            f"Your message was long, so I read only its first {self.limit:,} characters. "
            "If something important came after that, please send it in a shorter message."
        )

    def metadata(self, metadata: dict[str, Any] | None) -> dict[str, Any] | None:
        """The message's metadata, with the original length when the text was cut."""
        if not self.truncated:
            return metadata
        return {**(metadata or {}), TRUNCATION_METADATA_KEY: {"original_chars": self.original_chars,
                                                               "kept_chars": self.limit}}


def cap_text(text: str, limit: int) -> CappedText:
    return CappedText(text[:limit], len(text), limit)


def describe_for_log(text: str | None) -> str:
    """What our logs say about a customer's message: its length, never its words."""
    return "no text" if text is None else f"{len(text):,} characters (text not logged)"
