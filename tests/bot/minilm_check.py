"""Run by tests/bot/test_minilm.py with the Rasa virtualenv's Python: prints one JSON object of findings.

The reference is a second, deliberately naive forward pass: float64, weights read straight from the
safetensors file (torch's (out, in) layout used as is), one attention head and one position at a time,
``math.erf`` for GELU. It shares nothing with bot.nlu.minilm but the tokenizer, which is checked apart.
Sockets are disabled before anything loads: the model must come from the installed package alone.
"""

from __future__ import annotations

import json
import math
import socket
import sys
import time


def _no_network(*args: object, **kwargs: object) -> None:
    raise OSError("network access during the MiniLM check")


socket.socket.connect = _no_network  # type: ignore[method-assign]
socket.create_connection = _no_network  # type: ignore[assignment]

import numpy as np  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402

from bot.nlu.minilm import load_encoder, packaged_model_dir  # noqa: E402


def slow_reference(weights: dict[str, np.ndarray], ids: list[int], layers: int = 6, heads: int = 12,
                   eps: float = 1e-12) -> np.ndarray:
    """Mean-pooled, normalised sentence embedding of one unpadded input, the slow way."""
    def p(name: str) -> np.ndarray:
        return weights[name].astype(np.float64)

    def linear(x: np.ndarray, name: str) -> np.ndarray:
        return np.array([p(name + ".weight") @ row + p(name + ".bias") for row in x])

    def norm(x: np.ndarray, name: str) -> np.ndarray:
        out = []
        for row in x:
            mean = sum(row) / len(row)
            var = sum((v - mean) ** 2 for v in row) / len(row)
            out.append((row - mean) / math.sqrt(var + eps) * p(name + ".weight") + p(name + ".bias"))
        return np.array(out)

    n = len(ids)
    x = np.array([p("embeddings.word_embeddings.weight")[t] + p("embeddings.position_embeddings.weight")[i]
                  + p("embeddings.token_type_embeddings.weight")[0] for i, t in enumerate(ids)])
    x = norm(x, "embeddings.LayerNorm")
    size = x.shape[1] // heads
    for layer in range(layers):
        pre = f"encoder.layer.{layer}."
        q, k, v = (linear(x, pre + f"attention.self.{part}") for part in ("query", "key", "value"))
        context = np.zeros_like(x)
        for h in range(heads):
            cols = slice(h * size, (h + 1) * size)
            for i in range(n):
                scores = [float(q[i, cols] @ k[j, cols]) / math.sqrt(size) for j in range(n)]
                top = max(scores)
                exps = [math.exp(s - top) for s in scores]
                total = sum(exps)
                context[i, cols] = sum(e / total * v[j, cols] for j, e in enumerate(exps))
        x = norm(x + linear(context, pre + "attention.output.dense"), pre + "attention.output.LayerNorm")
        inner = linear(x, pre + "intermediate.dense")
        inner = np.vectorize(lambda a: 0.5 * a * (1.0 + math.erf(a / math.sqrt(2.0))))(inner)
        x = norm(x + linear(inner, pre + "output.dense"), pre + "output.LayerNorm")
    pooled = x.mean(axis=0)
    return pooled / np.linalg.norm(pooled)


def main() -> None:
    out: dict[str, object] = {}
    started = time.perf_counter()
    encoder = load_encoder()
    out["load_seconds"] = time.perf_counter() - started
    out["same_object_on_second_load"] = load_encoder() is encoder

    tricky = {"empty": "", "accents": "Café naïve Ünïcödé", "emoji": "my speaker 🙂 is dead",
              "greek": "ΑΒΓ δέλτα", "long_word": "a" * 150, "punctuation": "E40?!...wifi-pairing",
              "long_text": "my router keeps dropping the connection " * 60}
    out["tokens"] = {name: encoder.tokenizer.encode(text).tokens for name, text in tricky.items()
                     if name != "long_text"}
    ids, offsets = encoder.tokenize(tricky["long_text"])
    out["long_text_pieces"] = len(ids)
    out["long_text_last"] = encoder.tokenizer.id_to_token(ids[-1])
    out["offsets_accents"] = [list(span) for span in encoder.tokenize(tricky["accents"])[1]]

    weights = load_file(str(packaged_model_dir() / "model.safetensors"))
    sentences = ["My Aura Speaker will not turn on.", "The speaker no longer powers up",
                 "What time do you open on Sunday?", "Ok"]
    batched = encoder.encode(sentences)  # padded together: the mask matters
    one_by_one = [encoder.encode([text])[0] for text in sentences]
    out["max_diff_reference"] = max(
        float(np.abs(batched[i].sentence - slow_reference(weights, encoder.tokenize(sentences[i])[0])).max())
        for i in (0, 1, 3))  # two sentences and the shortest input (more padding than words in the batch)
    out["max_diff_batched_vs_single"] = max(
        float(np.abs(a.token_vectors - b.token_vectors).max()) for a, b in zip(batched, one_by_one, strict=True))
    out["first_dims"] = [float(value) for value in batched[0].sentence[:6]]
    out["norms"] = [float(np.linalg.norm(item.sentence)) for item in batched]
    out["dtype"] = str(batched[0].sentence.dtype)
    out["empty_shape"] = list(encoder.encode([""])[0].token_vectors.shape)
    out["empty_is_finite"] = bool(np.isfinite(encoder.encode([""])[0].sentence).all())

    pairs = {"paraphrase_power": ("my speaker won't switch on", "the speaker does not power up"),
             "paraphrase_pairing": ("my earbuds won't connect to my phone", "I can't pair the buds with my phone"),
             "unrelated_1": ("my speaker won't switch on", "what is the capital of France"),
             "unrelated_2": ("I can't pair the buds with my phone", "I would like a recipe for pancakes")}
    out["cosines"] = {name: float(encoder.embed([a])[0] @ encoder.embed([b])[0]) for name, (a, b) in pairs.items()}

    timings = []
    message = "my aura speaker does not turn on any more, the light stays off, what can I do?"
    for _ in range(200):
        started = time.perf_counter()
        encoder.encode([message])
        timings.append(time.perf_counter() - started)
    out["median_ms"] = float(np.median(timings) * 1000)
    out["imported"] = sorted(name for name in ("rasa", "torch", "tensorflow", "transformers",
                                               "sentence_transformers", "huggingface_hub") if name in sys.modules)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
