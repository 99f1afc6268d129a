"""Text a database cannot store: NUL characters (PostgreSQL refuses them) and lone surrogates (no UTF-8
encoding exists for them, so SQLite's and PostgreSQL's drivers both raise when they meet one).

Two policies, one definition of "unsafe":

- ``unsafe_text_problem``: what the transcript import uses to REJECT such text with its line and field
  (the user can fix the file).
- ``clean_text`` / ``clean_json``: what the live paths (the tracker sync, NPS answers from the chat, the
  actions' writes) use to CLEAN it: lone surrogates become U+FFFD, NULs are dropped (a customer cannot be
  asked to fix a chat message).

Python strings hold code points, so a JSON escape pair like ``"\\ud83d\\ude00"`` is already one character
(an emoji) once parsed; only surrogates without their partner remain, and those are what is replaced.
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT_CHARACTER = "\ufffd"
_UNSAFE = re.compile("[\x00\ud800-\udfff]")
# The same characters as JSON escapes (``ensure_ascii`` output, e.g. Rasa's event data), or a raw NUL.
_UNSAFE_IN_JSON = re.compile(r"\\u(?:0000|[dD][89a-fA-F])|\x00")


def unsafe_text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored ("a NUL character at position 3"), or None if it can."""
    found = _UNSAFE.search(text)
    if found is None:
        return None
    character = found.group()
    what = "a NUL character" if character == "\x00" else f"a lone surrogate (\\u{ord(character):04x})"
    return f"{what} at position {found.start() + 1}"


def clean_text(text: str) -> str:
    """``text`` without NULs, lone surrogates replaced by U+FFFD (a surrogate pair left by a careless
    writer becomes the character it encodes). Returns ``text`` itself when there is nothing to clean."""
    if _UNSAFE.search(text) is None:
        return text
    without_nul = text.replace("\x00", "")
    return without_nul.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def clean_optional(text: str | None) -> str | None:
    return None if text is None else clean_text(text)


def clean_json(value: Any) -> Any:
    """Every string of a parsed JSON value (keys too) cleaned; other values unchanged."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_json(key): clean_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    return value


def json_text_may_be_unsafe(raw: str) -> bool:
    """A cheap test on JSON text before parsing: False means no string in it can need ``clean_json``.

    True also for emoji (escaped as surrogate pairs) and escaped backslashes; those cost a walk, no change.
    """
    return _UNSAFE_IN_JSON.search(raw) is not None
