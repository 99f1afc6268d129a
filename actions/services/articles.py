"""Which troubleshooting guide fits a problem the customer described in their own words.

The NLU pipeline ranks the guides by sentence-embedding similarity (bot/nlu/article_retriever.py) and puts
the ranking into the parsed message as ``cxqa_articles``; when a model has no retriever, the guides are
ranked here by word overlap with their symptom descriptions. Either way ``decide`` turns the ranking into
one of three answers, with the thresholds of ``bot/knowledge/troubleshooting.yml`` (retrieval):
found (send that guide), ambiguous (ask which of the two), none (hand over to a person).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from analytics.bot_data.knowledge import Knowledge, RetrievalThresholds

STOPWORDS_FILE = Path(__file__).with_name("stopwords.yml")
WORD = re.compile(r"[a-z0-9']+")
SUFFIXES = ("ing", "ed", "es", "s")
FOUND, AMBIGUOUS, NONE = "found", "ambiguous", "none"


@dataclass(frozen=True)
class ArticleMatch:
    issue: str
    score: float


@dataclass(frozen=True)
class ArticleDecision:
    outcome: str  # FOUND | AMBIGUOUS | NONE
    issues: tuple[str, ...]  # the chosen issue, or the two to choose from


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    return frozenset(yaml.safe_load(STOPWORDS_FILE.read_text(encoding="utf-8"))["stopwords"])


def _stem(word: str) -> str:
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> frozenset[str]:
    """Lower-cased, crudely stemmed words that can tell one problem from another."""
    stopwords = _stopwords()
    return frozenset(_stem(word) for word in WORD.findall(text.lower()) if word not in stopwords)


def rank_by_words(text: str, knowledge: Knowledge, product_id: str | None = None) -> list[ArticleMatch]:
    """Guides ranked by the best word overlap (cosine of word sets) of the text with a symptom or title."""
    wanted = content_words(text)
    matches = []
    for issue, symptoms in knowledge.symptoms.items():
        if not knowledge.issue_applies(issue, product_id) or not wanted:
            continue
        best = 0.0
        for description in (*symptoms, knowledge.issue_titles.get(issue, "")):
            words = content_words(description)
            if words:
                best = max(best, len(wanted & words) / math.sqrt(len(wanted) * len(words)))
        matches.append(ArticleMatch(issue, best))
    return sorted(matches, key=lambda match: -match.score)


def rank_from_nlu(articles: Iterable[Mapping[str, Any]], knowledge: Knowledge,
                  product_id: str | None = None) -> list[ArticleMatch]:
    """The NLU retriever's ranking, one entry per known issue that exists for the product line."""
    best: dict[str, float] = {}
    for article in articles:
        issue, score = article.get("issue"), article.get("score")
        if not isinstance(issue, str) or issue not in knowledge.guides or not isinstance(score, int | float):
            continue
        if knowledge.issue_applies(issue, product_id):
            best[issue] = max(float(score), best.get(issue, -1.0))
    return [ArticleMatch(issue, score) for issue, score in sorted(best.items(), key=lambda item: -item[1])]


def decide(ranked: list[ArticleMatch], thresholds: RetrievalThresholds) -> ArticleDecision:
    if not ranked or ranked[0].score < thresholds.min_score:
        return ArticleDecision(NONE, ())
    if len(ranked) > 1 and ranked[0].score - ranked[1].score < thresholds.ambiguity_margin \
            and ranked[1].score >= thresholds.min_score:
        return ArticleDecision(AMBIGUOUS, (ranked[0].issue, ranked[1].issue))
    return ArticleDecision(FOUND, (ranked[0].issue,))


def find_article(text: str, nlu_articles: Any, knowledge: Knowledge, product_id: str | None) -> ArticleDecision:
    """The decision for a described problem: the NLU ranking when the model gave one, else word overlap."""
    if isinstance(nlu_articles, list) and nlu_articles:
        return decide(rank_from_nlu(nlu_articles, knowledge, product_id), knowledge.retrieval["embedding"])
    return decide(rank_by_words(text, knowledge, product_id), knowledge.retrieval["lexical"])
