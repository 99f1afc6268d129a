"""Run by tests/bot/test_dense_nlu.py with the Rasa virtualenv's Python; prints one JSON object.

    python tests/bot/dense_nlu_check.py components KNOWLEDGE_DIR   # real tokenizer + featurizer + retriever
    python tests/bot/dense_nlu_check.py model MODEL.tar.gz          # a trained model, parse and tracker

Sockets to anything but the loopback are refused: the model must come from the installed package alone.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
from typing import Any

_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: Any) -> Any:
    if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1", "localhost"):
        raise OSError(f"network access to {address} during the dense NLU check")
    return _connect(self, address)


socket.socket.connect = _loopback_only  # type: ignore[method-assign]

# Symptom descriptions written for this test (not from any evaluation file), with the guide they need.
SYMPTOMS = {
    "the little speaker is totally dead, no light even when it is plugged into the wall": "power/aura-speaker",
    "my earbuds keep dropping the bluetooth link with my phone every few minutes": "connectivity/pulse-buds",
    "the router update has been stuck at 40 percent for an hour": "firmware/nimbus-router",
    "my watch used to last three days and now it is empty by lunchtime": "battery/orbit-watch",
    "the camera will not join my home wifi network": "connectivity/vista-cam",
    "the earbud case does not charge any more": "battery/pulse-buds",
}


def components(knowledge_dir: str) -> dict[str, Any]:
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message

    import bot.nlu.minilm as minilm
    from bot.nlu.article_retriever import ArticleRetriever, load_articles
    from bot.nlu.featurizer import MiniLMFeaturizer

    context = ExecutionContext(graph_schema=None, node_name="featurizer")  # type: ignore[arg-type]
    storage = LocalModelStorage("/tmp/unused-model-storage")
    tokenizer = WhitespaceTokenizer.create(WhitespaceTokenizer.get_default_config(), storage,
                                           Resource("tokenizer"), context)
    featurizer = MiniLMFeaturizer.create(MiniLMFeaturizer.get_default_config(), storage, Resource("f"), context)
    started = time.perf_counter()
    retriever = ArticleRetriever.create({"knowledge_dir": knowledge_dir}, storage, Resource("r"), context)
    index_seconds = time.perf_counter() - started

    # Count forward passes: the retriever must reuse the featurizer's sentence vector.
    calls = {"forward": 0}
    forward = minilm.MiniLMEncoder.forward

    def counting(self: minilm.MiniLMEncoder, *args: Any) -> Any:
        calls["forward"] += 1
        return forward(self, *args)

    minilm.MiniLMEncoder.forward = counting  # type: ignore[method-assign]
    out: dict[str, Any] = {"index_seconds": index_seconds, "articles": [a.key for a in load_articles(
        __import__("pathlib").Path(knowledge_dir))], "ranked": {}, "shapes": {}}
    for text, expected in SYMPTOMS.items():
        message = Message(data={TEXT: text})
        tokenizer.process([message])
        featurizer.process([message])
        before = calls["forward"]
        retriever.process([message])
        sequence, sentence = message.get_dense_features(TEXT, ["minilm"])
        out["ranked"][text] = {"expected": expected, "got": message.get("cxqa_articles"),
                               "forward_passes_in_retriever": calls["forward"] - before,
                               "in_output": "cxqa_articles" in message.as_dict(only_output_properties=True)}
        out["shapes"][text] = [len(message.get("text_tokens")), list(sequence.features.shape),
                               list(sentence.features.shape)]
    # A message whose tokens the piece cut does not reach: those rows are zeros, the others are not.
    long_message = Message(data={TEXT: "speaker " * 400})
    tokenizer.process([long_message])
    featurizer.process([long_message])
    rows = long_message.get_dense_features(TEXT, ["minilm"])[0].features
    out["long_rows_nonzero"] = [int((abs(rows).sum(axis=1) > 0).sum()), int(rows.shape[0])]
    return out


async def model(model_path: str) -> dict[str, Any]:
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage
    from rasa.shared.core.events import Event
    from rasa_sdk import Tracker

    agent = Agent.load(model_path)
    text = "my pulse buds case will not charge at all"
    parse = await agent.parse_message(text)
    await agent.processor.log_message(UserMessage(text, sender_id="dense-check"))
    tracker = await agent.tracker_store.retrieve("dense-check")
    state = tracker.current_state()
    event = [e for e in tracker.events if e.as_dict()["event"] == "user"][-1]
    restored = Event.from_parameters(json.loads(json.dumps(event.as_dict())))
    sdk_tracker = Tracker.from_dict(state)
    return {"parse": parse.get("cxqa_articles"), "intent": parse["intent"]["name"],
            "latest_message": state["latest_message"].get("cxqa_articles"),
            "restored": restored.parse_data.get("cxqa_articles"),
            "sdk": sdk_tracker.latest_message.get("cxqa_articles")}


if __name__ == "__main__":
    mode, argument = sys.argv[1], sys.argv[2]
    result = components(argument) if mode == "components" else asyncio.run(model(argument))
    print(json.dumps(result))
