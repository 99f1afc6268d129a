"""Parse messages with a trained Rasa model (run with the Rasa virtualenv's Python).

    .venv-rasa/bin/python scripts/rasa_parse.py MODEL.tar.gz < texts.jsonl > parses.jsonl

Reads one JSON string per input line, writes one JSON object per line: {"text", "intent", "confidence",
"ranking": [[intent, confidence], ... top 3]}. Used by scripts/nlu_eval.py for sets that are labelled
with topics rather than intents (``rasa test nlu`` needs intents).
"""

from __future__ import annotations

import asyncio
import json
import sys

from rasa.core.agent import Agent


async def _parse_all(model: str) -> None:
    agent = Agent.load(model)
    for line in sys.stdin:
        text = json.loads(line)
        parsed = await agent.parse_message(text)
        intent = parsed.get("intent") or {}
        ranking = [[item["name"], round(float(item["confidence"]), 4)] for item in parsed.get("intent_ranking", [])[:3]]
        sys.stdout.write(json.dumps({"text": text, "intent": intent.get("name"),
                                     "confidence": round(float(intent.get("confidence") or 0.0), 4),
                                     "ranking": ranking}) + "\n")


if __name__ == "__main__":
    asyncio.run(_parse_all(sys.argv[1]))
