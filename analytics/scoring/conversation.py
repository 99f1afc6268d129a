"""Scoring whole conversations: batches their turns through ``nlp.pipe`` and assembles the three dimensions.

``Scorer.score_many`` streams: it takes conversations from any iterable a chunk at a time, so memory stays
flat however many there are. ``score_conversation`` is the one-off convenience the reports use.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from analytics.scoring.deescalation import score_deescalation
from analytics.scoring.efficiency import score_efficiency
from analytics.scoring.marker_batch import SPEAKER_KEY
from analytics.scoring.politeness import score_politeness
from analytics.scoring.resources import scorer_version
from analytics.scoring.turns import analyze_docs
from analytics.scoring.types import ConversationInput, ConversationScores, TurnAnalysis, TurnInput

# Longer turns are scored on their first MAX_TURN_CHARS characters (a pasted log is not more polite).
MAX_TURN_CHARS = 20_000
CHUNK_CONVERSATIONS = 128


def clean_text(text: Any) -> str:
    """Any input as scorable text: str, lone surrogates replaced, NULs dropped, length capped."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if not text.isascii():  # only then can it hold a lone surrogate
        text = text.encode("utf-8", errors="replace").decode("utf-8")
    if "\x00" in text:
        text = text.replace("\x00", " ")
    return text[:MAX_TURN_CHARS]


def as_input(conversation: Any) -> ConversationInput:
    """Accepts a ConversationInput or anything shaped like one (e.g. an importer ConversationRecord)."""
    if isinstance(conversation, ConversationInput):
        return conversation
    turns = tuple(TurnInput(speaker=turn.speaker, text=turn.text, ts=getattr(turn, "ts", None),
                            agent_id=getattr(turn, "agent_id", None)) for turn in conversation.turns)
    resolved = getattr(conversation, "resolved_outcome", None)
    if resolved is None:
        resolved = getattr(conversation, "resolved", None)
    return ConversationInput(
        conversation_id=str(getattr(conversation, "conversation_id", None) or getattr(conversation, "id", "")),
        turns=turns,
        channel=getattr(conversation, "channel", None),
        started_at=getattr(conversation, "started_at", None),
        ended_at=getattr(conversation, "ended_at", None),
        resolved_outcome=resolved,
        first_contact_resolution=getattr(conversation, "first_contact_resolution", None),
    )


def assemble(conversation: ConversationInput, turns: list[TurnAnalysis]) -> ConversationScores:
    return ConversationScores(
        conversation_id=conversation.conversation_id,
        politeness=score_politeness(turns),
        efficiency=score_efficiency(conversation, turns),
        deescalation=score_deescalation(turns),
        scorer_version=scorer_version(),
    )


class Scorer:
    def __init__(self, nlp: Language | None = None, batch_size: int = 512) -> None:
        if nlp is None:
            from analytics.scoring.pipeline import build_pipeline

            nlp = build_pipeline(set_sentences=False)  # its Docs never leave the scorer
        self.nlp = nlp
        self.batch_size = batch_size

    def score_many(self, conversations: Iterable[Any]) -> Iterator[ConversationScores]:
        iterator = iter(conversations)
        while chunk := [as_input(item) for item in islice(iterator, CHUNK_CONVERSATIONS)]:
            yield from self.score_chunk(chunk)

    def score_chunk(self, chunk: list[ConversationInput]) -> list[ConversationScores]:
        # Every turn in order, as (turn, index in its conversation, cleaned text); nlp.pipe keeps the order.
        turns = [(turn, index, clean_text(turn.text)) for conversation in chunk
                 for index, turn in enumerate(conversation.turns)]
        docs = self.nlp.pipe((self._make_doc(text, turn.speaker) for turn, _, text in turns),
                             batch_size=self.batch_size)
        analyses = analyze_docs(docs, [turn for turn, _, _ in turns], [index for _, index, _ in turns],
                                [text for _, _, text in turns])
        results, position = [], 0
        for conversation in chunk:
            count = len(conversation.turns)
            results.append(assemble(conversation, analyses[position:position + count]))
            position += count
        return results

    def _make_doc(self, text: str, speaker: str) -> Doc:
        doc = self.nlp.make_doc(text)
        doc.user_data[SPEAKER_KEY] = speaker  # the components then compute only what applies
        return doc

    def score(self, conversation: Any) -> ConversationScores:
        return self.score_chunk([as_input(conversation)])[0]


# Young-generation threshold of a scoring process. Each turn allocates a few dozen short-lived containers
# (the Doc, dicts, tuples); at Python's default of 700 the collector runs every few turns and re-walks the
# batch in flight: ~10% of scoring time, measured. Cycles are still collected, only less often.
SCORING_GC_THRESHOLD = 50_000


def prepare_process_for_scoring() -> None:
    """For command-line and worker processes: move everything alive now (the pipeline, its ~60,000 phrase
    patterns) out of the garbage collector's view (its full collections otherwise re-scan them: ~8% of scoring
    time), and collect the young generation less often. Not done by the library itself: objects frozen here
    are never collected and the threshold is process-wide, which only suits a process that scores to the end."""
    import gc

    gc.collect()
    gc.freeze()
    young, middle, old = gc.get_threshold()
    if young:  # 0 means the collector is off: leave it so
        gc.set_threshold(max(young, SCORING_GC_THRESHOLD), middle, old)


_DEFAULT_SCORER: Scorer | None = None


def default_scorer() -> Scorer:
    global _DEFAULT_SCORER
    if _DEFAULT_SCORER is None:
        _DEFAULT_SCORER = Scorer()
    return _DEFAULT_SCORER


def score_conversation(conversation: Any, scorer: Scorer | None = None) -> ConversationScores:
    """Scores one conversation (a ConversationInput, or an object with ``turns`` of speaker/text/ts)."""
    return (scorer or default_scorer()).score(conversation)
