"""Rasa's REST channel with a checked request body and the message length cap (bot/channels/message_limits.py).

``POST /webhooks/rest/webhook`` takes ``{"sender": "...", "message": "...", "metadata": {...}}`` as Rasa's
channel does. What Rasa 3.6 does not do, this one does:

* a body that is not a JSON object with a string ``sender`` (1-128 characters) and a string ``message``
  (an empty string is a message; metadata, if any, an object of at most 10,000 characters as JSON) gets
  ``400 {"error": "<reason>"}`` instead of a 500 (empty body, JSON array) or a 200 with no reply;
* the message is cut to ``CXQA_MAX_MESSAGE_CHARS`` characters (2,000) before NLU, and the reply starts with
  one bot message saying so;
* a message that fails is logged with its length, never its text.

Registered in ``bot/credentials.yml`` by module path; its name stays ``rest`` (same URL).
"""

from __future__ import annotations

import json
import logging
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.utils.endpoints import bool_arg
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from bot.channels.message_limits import (
    MAX_METADATA_CHARS,
    MAX_SENDER_CHARS,
    CappedText,
    cap_text,
    describe_for_log,
    max_message_chars,
)

logger = logging.getLogger(__name__)
MAX_INPUT_CHANNEL_CHARS = 64


class BadRequestBody(ValueError):
    """The webhook's body is not what it takes; the message is the reason sent back with the 400."""


@dataclass(frozen=True)
class RestRequest:
    sender: str
    message: CappedText
    metadata: dict[str, Any] | None
    input_channel: str | None


def parse_body(body: bytes, limit: int) -> RestRequest:
    """The webhook's JSON body, checked; raises :class:`BadRequestBody` with the reason."""
    if not body or not body.strip():
        raise BadRequestBody('the body is empty: send a JSON object {"sender": "...", "message": "..."}')
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequestBody('the body is not valid JSON: send {"sender": "...", "message": "..."}') from None
    if not isinstance(data, dict):
        raise BadRequestBody(f'the body is a JSON {_json_type(data)}, not an object {{"sender": ..., "message": ...}}')
    sender = data.get("sender")
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequestBody(f'"sender" must be a non-empty string (got {_json_type(sender)})')
    if len(sender) > MAX_SENDER_CHARS:
        raise BadRequestBody(f'"sender" is longer than {MAX_SENDER_CHARS} characters')
    message = data.get("message")
    if not isinstance(message, str):
        raise BadRequestBody(f'"message" must be a string (got {_json_type(message)})')
    metadata = data.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise BadRequestBody(f'"metadata" must be an object (got {_json_type(metadata)})')
        if len(json.dumps(metadata)) > MAX_METADATA_CHARS:
            raise BadRequestBody(f'"metadata" is longer than {MAX_METADATA_CHARS:,} characters as JSON')
    input_channel = data.get("input_channel")
    too_long = isinstance(input_channel, str) and len(input_channel) > MAX_INPUT_CHANNEL_CHARS
    if input_channel is not None and (not isinstance(input_channel, str) or too_long):
        raise BadRequestBody(f'"input_channel" must be a string of at most {MAX_INPUT_CHANNEL_CHARS} characters')
    return RestRequest(sender, cap_text(message, limit), metadata, input_channel or None)


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "nothing" if value is None else names.get(type(value), type(value).__name__)


class LimitedRestInput(RestInput):
    """``RestInput`` whose webhook checks the body and caps the message; same name and URL (``rest``)."""

    def __init__(self, max_chars: int | None = None) -> None:
        self.max_chars = max_chars or max_message_chars()

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> LimitedRestInput:
        credentials = credentials or {}
        return cls(credentials.get("max_message_chars"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> ResponseStream | HTTPResponse:
            try:
                parsed = parse_body(request.body, self.max_chars)
            except BadRequestBody as exc:
                return response.json({"error": str(exc)}, status=400)
            text = parsed.message.text
            metadata = parsed.message.metadata(parsed.metadata)
            input_channel = parsed.input_channel or self.name()
            if parsed.message.truncated:
                logger.info(
                    "message from %s cut from %s to %s characters",
                    parsed.sender, f"{parsed.message.original_chars:,}", f"{self.max_chars:,}",
                )
            notice = parsed.message.notice() if parsed.message.truncated else None

            if bool_arg(request, "stream", default=False):
                stream = self.stream_response(on_new_message, text, parsed.sender, input_channel, metadata)

                async def stream_with_notice(resp: Any) -> None:
                    if notice:
                        await resp.write(json.dumps({"recipient_id": parsed.sender, "text": notice}) + "\n")
                    await stream(resp)

                return response.stream(stream_with_notice, content_type="text/event-stream")

            collector = CollectingOutputChannel()
            if notice:
                await collector.send_text_message(parsed.sender, notice)
            try:
                await on_new_message(
                    UserMessage(text, collector, parsed.sender, input_channel=input_channel, metadata=metadata)
                )
            except CancelledError:
                logger.error("REST message from %s timed out: %s", parsed.sender, describe_for_log(text))
            except Exception:
                logger.exception("REST message from %s failed: %s", parsed.sender, describe_for_log(text))
            return response.json(collector.messages)

        return webhook
