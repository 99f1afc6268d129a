"""The politeness model's lexical component: n-grams over a closed, domain-general vocabulary.

Each token becomes its lower-case form when that form is in ``data/vocabulary.yml`` (function words,
courtesy, hedges, praise, reproach, a few punctuation marks), else a placeholder: ``_w_`` (any other word),
``_n_`` (a number) or ``_p_`` (other punctuation). Sentences are framed by ``<s>`` and ``</s>``, so
"<s> could you _w_" is one trigram. Topic words never reach the model, which keeps it portable from
Wikipedia talk pages to support chats.

The token attributes come from the Doc in one ``to_array`` call; each n-gram is packed into one integer, so
a turn's features are a small set of ints (measured faster than numpy for turns of a few dozen tokens).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from spacy.attrs import IS_PUNCT, LIKE_NUM, LOWER, SENT_START
from spacy.strings import hash_string
from spacy.tokens import Doc

WORD, NUMBER, PUNCT, START, END = "_w_", "_n_", "_p_", "<s>", "</s>"
SPECIALS = (WORD, NUMBER, PUNCT, START, END)
MAX_ORDER = 3


class NgramEncoder:
    """Turns a Doc into the sorted, unique integer codes of its uni-, bi- and trigrams."""

    def __init__(self, vocabulary: Sequence[str]) -> None:
        self.symbols: tuple[str, ...] = tuple(vocabulary) + SPECIALS
        self.index = {symbol: position for position, symbol in enumerate(self.symbols)}
        self.base = len(self.symbols) + 1  # 0 is kept for "no token", so codes of different orders never clash
        # Ids are stored +1 so that 0 means "no token" in the packed n-gram codes.
        self._id_of = {hash_string(word): position + 1 for position, word in enumerate(vocabulary)}
        self._word, self._number, self._punct, self._start, self._end = (
            self.index[symbol] + 1 for symbol in (WORD, NUMBER, PUNCT, START, END))

    def token_ids(self, doc: Doc) -> list[int]:
        """Vocabulary ids (+1, so 0 never occurs) of the tokens, with sentence frames inserted."""
        get = self._id_of.get
        word, number, punct = self._word, self._number, self._punct
        start, end = self._start, self._end
        ids = [start]
        # One row per token: LOWER hash, IS_PUNCT, LIKE_NUM, SENT_START (1 at a sentence start).
        for position, (lower, is_punct, like_num, sent_start) in enumerate(
                doc.to_array([LOWER, IS_PUNCT, LIKE_NUM, SENT_START]).tolist()):
            if sent_start == 1 and position:
                ids.append(end)
                ids.append(start)
            ids.append(get(lower) or (number if like_num else punct if is_punct else word))
        ids.append(end)
        return ids

    def codes(self, doc: Doc) -> set[int]:
        """The distinct codes of the turn's uni-, bi- and trigrams."""
        ids = self.token_ids(doc)
        base = self.base
        bigrams = [a * base + b for a, b in zip(ids, ids[1:], strict=False)]
        result = set(ids)
        result.update(bigrams)
        result.update(ab * base + c for ab, c in zip(bigrams, ids[2:], strict=False))
        return result

    def encode(self, ngram: str) -> int:
        """The code of an n-gram written as space-separated symbols, e.g. ``"could you _w_"``."""
        code = 0
        for symbol in ngram.split(" "):
            code = code * self.base + self.index[symbol] + 1
        return code

    def decode(self, code: int) -> str:
        symbols: list[str] = []
        code = int(code)
        while code:
            code, digit = divmod(code, self.base)
            symbols.append(self.symbols[digit - 1])
        return " ".join(reversed(symbols))

    def decode_all(self, codes: Iterable[int]) -> list[str]:
        return [self.decode(code) for code in codes]
