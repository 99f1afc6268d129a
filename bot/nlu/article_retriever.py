"""Rasa component: rank troubleshooting guides by how close their descriptions are to the message.

In config.yml, after bot.nlu.featurizer.MiniLMFeaturizer::

    - name: bot.nlu.article_retriever.ArticleRetriever

An article is one guide of bot/knowledge/troubleshooting.yml, ``guides.<issue>.default`` or
``guides.<issue>.products.<product id>``. It is described by its title ("the power problem on my Aura
Speaker (smart speaker)") and by the guide's ``symptoms:`` list when it has one (a guide may be a list of
steps, or a mapping with ``steps:`` and ``symptoms:``; ``guides.<issue>.symptoms`` applies to every guide of
the issue). An article's score is the highest cosine between the message and one of its descriptions.

Each parsed message gets ``cxqa_articles``: the top 3 issues, each by its best guide, as
``{"article": "<issue>/<product or default>", "issue", "product", "score"}``. It is an output property
(``Message.set(..., add_to_output=True)``), so Rasa 3.6 copies it into the parse data, the ``UserUttered``
event and the action server's ``tracker.latest_message["cxqa_articles"]`` (tests/bot/test_dense_nlu.py).

The message's vector is the sentence feature the featurizer already set (no second pass through the
encoder). The descriptions are embedded when the component is loaded, not at training time: so an edited
knowledge file is used at the next start without retraining (Rasa's training cache does not see that file),
and it is cheap (measured: see docs/bot.md, "Dense features"). Embeddings are cached per process by the
file's path, size and modification time.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.featurizer import DEFAULT_ALIAS, MiniLMFeaturizer
from bot.nlu.minilm import load_encoder

logger = logging.getLogger(__name__)

KNOWLEDGE_DIR = Path(__file__).resolve().parents[1] / "knowledge"
OUTPUT_KEY = "cxqa_articles"


@dataclass(frozen=True)
class Article:
    issue: str
    product: str  # a product id, or "default"
    descriptions: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.issue}/{self.product}"


def _symptoms(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [str(item) for item in node.get("symptoms") or [] if str(item).strip()]
    return []


def load_articles(knowledge_dir: Path = KNOWLEDGE_DIR) -> list[Article]:
    """Every guide of troubleshooting.yml with its title and symptom descriptions."""
    guides_file = yaml.safe_load((knowledge_dir / "troubleshooting.yml").read_text(encoding="utf-8")) or {}
    catalog = yaml.safe_load((knowledge_dir / "products.yml").read_text(encoding="utf-8")) or {}
    products = {str(item["id"]): item for item in catalog.get("products") or []}
    titles = guides_file.get("issue_titles") or {}
    articles = []
    for issue, item in (guides_file.get("guides") or {}).items():
        if not isinstance(item, dict):
            continue
        title = str(titles.get(issue) or str(issue).replace("_", " ") + " problem")
        shared = _symptoms(item)
        entries = [("default", item.get("default"))] + list((item.get("products") or {}).items())
        for product_id, guide in entries:
            if guide is None:
                continue
            product = products.get(str(product_id))
            heading = title if product is None else f"{title} on my {product['name']} ({product.get('category', '')})"
            descriptions = [heading.replace(" ()", ""), *shared, *_symptoms(guide)]
            articles.append(Article(str(issue), str(product_id), tuple(dict.fromkeys(descriptions))))
    return articles


@functools.lru_cache(maxsize=4)
def _embedded(knowledge_dir: str, _size: int, _mtime_ns: int, model_dir: str | None,
              ) -> tuple[tuple[Article, ...], np.ndarray, np.ndarray]:
    """(articles, description vectors, article index of each description), embedded in one batch."""
    articles = tuple(load_articles(Path(knowledge_dir)))
    texts = [text for article in articles for text in article.descriptions]
    owners = np.array([i for i, article in enumerate(articles) for _ in article.descriptions], dtype=np.int64)
    # An issue's symptoms describe each of its guides: embed every distinct text once.
    unique = list(dict.fromkeys(texts))
    where = {text: i for i, text in enumerate(unique)}
    return articles, load_encoder(model_dir).embed(unique)[[where[text] for text in texts]], owners


def rank(vector: np.ndarray, articles: tuple[Article, ...], vectors: np.ndarray, owners: np.ndarray,
         top: int = 3) -> list[dict[str, Any]]:
    """The ``top`` issues, each by its best guide: the article whose best description is closest to the
    (normalised) ``vector``; a tie (symptoms shared by all guides of an issue) goes to the closer title,
    which names the product line. One article per issue, so that a runner-up issue is always visible
    (the bot asks "which of the two?" when two issues score alike: actions/services/articles.py)."""
    if not articles:
        return []
    cosines = vectors @ (vector / max(float(np.linalg.norm(vector)), 1e-12))
    best = np.full(len(articles), -np.inf)
    np.maximum.at(best, owners, cosines)
    title = cosines[np.searchsorted(owners, np.arange(len(articles)))]  # each article's first text: its title
    ranked, seen = [], set()
    for i in np.lexsort((-title, -best)):
        if articles[i].issue in seen:
            continue
        seen.add(articles[i].issue)
        ranked.append({"article": articles[i].key, "issue": articles[i].issue, "product": articles[i].product,
                       "score": round(float(best[i]), 4)})
        if len(ranked) == top:
            break
    return ranked


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ArticleRetriever(GraphComponent):
    """Adds ``cxqa_articles`` (top 3 troubleshooting guides with cosine scores) to every message."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [MiniLMFeaturizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"featurizer_alias": DEFAULT_ALIAS, "knowledge_dir": None, "model_dir": None, "top": 3}

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = {**self.get_default_config(), **config}
        self.knowledge_dir = Path(self.config["knowledge_dir"] or KNOWLEDGE_DIR)

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> ArticleRetriever:
        retriever = cls(config)
        retriever.index()  # embed the descriptions when the model loads, not on the first message
        return retriever

    def index(self) -> tuple[tuple[Article, ...], np.ndarray, np.ndarray]:
        stat = (self.knowledge_dir / "troubleshooting.yml").stat()
        return _embedded(str(self.knowledge_dir), stat.st_size, stat.st_mtime_ns, self.config["model_dir"])

    def sentence_vector(self, message: Message) -> np.ndarray:
        """The featurizer's sentence feature of the text; encoded here only when the pipeline has none."""
        for features in message.features:
            if (features.attribute == TEXT and features.type == FEATURE_TYPE_SENTENCE
                    and features.origin == self.config["featurizer_alias"]):
                return np.asarray(features.features, dtype=np.float32).reshape(-1)
        logger.debug("no %s sentence feature on the message: encoding it here", self.config["featurizer_alias"])
        return load_encoder(self.config["model_dir"]).embed([message.get(TEXT)])[0]

    def process(self, messages: list[Message]) -> list[Message]:
        articles, vectors, owners = self.index()
        for message in messages:
            if not message.get(TEXT):
                continue
            ranked = rank(self.sentence_vector(message), articles, vectors, owners, int(self.config["top"]))
            message.set(OUTPUT_KEY, ranked, add_to_output=True)
        return messages
