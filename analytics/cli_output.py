"""What a support lead sees: every ``cxqa`` command prints stored or imported values through this module.

Values in the database are untrusted (customer turns and comments, imported agent ids, segments, touchpoints):

- ``show_id`` for identifiers and labels (agent, customer, segment, touchpoint, channel, ticket number, owner):
  kept as they are, but every control, format (bidi override, zero-width) or surrogate character is shown as
  a visible escape (``\\x1b``, ``\\u202e``), so two different ids stay different and nothing reaches the terminal.
- ``show_text`` for free text (turns, NPS comments, ticket summaries): ``display_text``, i.e. personal data
  redacted, control characters removed, whitespace collapsed, optionally shortened.
- ``id_cell`` / ``text_cell``: the same as Rich ``Text``, never parsed as markup (``[/red]``, ``[link=...]``).
- ``SafeConsole`` (``out``, ``err``): no emoji codes, and a last line of defence that escapes any such
  character in printed text that a command forgot to pass through the functions above.
- ``echo_json``: JSON with every such character written as a ``\\uXXXX`` escape: valid JSON, ids verbatim once
  parsed, no raw control character in the output.
- ``plot_labels``: matplotlib draws ids literally (no mathtext for ``$\\foo$``, no TeX).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.segment import Segment
from rich.text import Text

from analytics.redaction import display_text

# Control (C0, DEL, C1), format (bidi overrides, zero-width, tags), surrogates, line/paragraph separators.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _unsafe(character: str) -> bool:
    return unicodedata.category(character) in _UNSAFE_CATEGORIES


def _visible(character: str) -> str:
    code = ord(character)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def show_id(value: object) -> str:
    """An identifier or label as text, with every unsafe character shown as a visible escape."""
    if value is None:
        return ""
    text = str(value)
    if not any(_unsafe(character) for character in text):
        return text
    return "".join(_visible(character) if _unsafe(character) else character for character in text)


def show_text(value: str | None, max_length: int | None = None) -> str:
    """Free text from customers: personal data redacted, no control characters, one line."""
    return display_text(value, max_length=max_length)


def id_cell(value: object, default: str = "–") -> Text:
    """A table cell for an identifier; shown literally (Rich markup in it is not interpreted)."""
    shown = show_id(value)
    return Text(shown if shown else default)


def text_cell(value: str | None, max_length: int | None = None, default: str = "") -> Text:
    """A table cell for free text: redacted and shown literally."""
    return Text(show_text(value, max_length) or default)


def terminal_safe(text: str) -> str:
    """``text`` for a terminal: unsafe characters escaped, except the newline and tab Rich lays out with."""
    if not any(_unsafe(character) and character not in "\n\t" for character in text):
        return text
    return "".join(_visible(c) if _unsafe(c) and c not in "\n\t" else c for c in text)


class SafeConsole(Console):
    """A Rich console for untrusted values: no ``:emoji:`` codes, and no control character in printed text.

    Rich's own escape sequences (colours, cursor moves of a progress bar) are kept: they are styles and control
    segments, rendered after this filter. Only the text of ordinary segments is filtered.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("emoji", False)
        super().__init__(*args, **kwargs)

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            segment if segment.control else Segment(terminal_safe(segment.text), segment.style)
            for segment in buffer
        )


out = SafeConsole()
err = SafeConsole(stderr=True)


def json_text(data: Any, indent: int | None = 2) -> str:
    """``data`` as JSON text (non-ASCII letters kept readable) with every unsafe character ``\\u``-escaped."""
    text = json.dumps(data, indent=indent, ensure_ascii=False, default=str)  # C0 controls: escaped by json
    # Outside strings JSON has only ASCII punctuation and the indent's newlines, so every unsafe character left
    # is inside a string, where its \\u escape (a surrogate pair for astral ones) stands for the same value.
    if not any(_unsafe(character) and character != "\n" for character in text):
        return text
    return "".join(json.dumps(c)[1:-1] if _unsafe(c) and c != "\n" else c for c in text)


def echo_json(data: Any, indent: int | None = 2) -> None:
    """Print ``data`` as JSON on standard output (see ``json_text``)."""
    typer.echo(json_text(data, indent))


@contextmanager
def plot_labels() -> Iterator[None]:
    """Inside: matplotlib draws every text literally (``$\\foo$`` is not mathtext, TeX is off)."""
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        yield
