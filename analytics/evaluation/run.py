"""Scoring labelled items and handing the numbers to the pure figures (the I/O side of ``cxqa evaluate``)."""

from __future__ import annotations

from collections.abc import Sequence

from analytics.evaluation.figures import ConversationFigures, conversation_figures
from analytics.evaluation.labelled import LabelledConversation, LabelledText
from analytics.evaluation.short_texts import DetectorFigures, complaint_figures, politeness_figures


def evaluate_conversations(items: Sequence[LabelledConversation], worst: int = 5) -> ConversationFigures:
    from analytics.scoring.conversation import default_scorer
    from analytics.scoring.jsonl_io import first_contact_resolution, later_contacts, to_input

    records = [item.record for item in items]
    starts = later_contacts(records)
    inputs = [to_input(record, first_contact_resolution(record, starts)) for record in records]
    scores = {result.conversation_id: result for result in default_scorer().score_many(inputs)}
    return conversation_figures(items, scores, worst)


def _text_scores(texts: Sequence[str]) -> tuple[list[float], list[float]]:
    from analytics.scoring.conversation import clean_text
    from analytics.scoring.pipeline import build_pipeline

    nlp = build_pipeline()
    politeness, complaint = [], []
    for doc in nlp.pipe((clean_text(text) for text in texts), batch_size=256):
        politeness.append(float(doc._.cxqa_politeness))
        complaint.append(float(doc._.cxqa_complaint))
    return politeness, complaint


def evaluate_posts(items: Sequence[LabelledText]) -> dict[str, DetectorFigures]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    _, complaint = _text_scores([item.text for item in items])
    vader = SentimentIntensityAnalyzer()
    compound = [vader.polarity_scores(item.text)["compound"] for item in items]
    return complaint_figures(items, complaint, compound)


def evaluate_replies(items: Sequence[LabelledText]):  # noqa: ANN201 - dict of Estimate
    politeness, _ = _text_scores([item.text for item in items])
    return politeness_figures(items, politeness)
