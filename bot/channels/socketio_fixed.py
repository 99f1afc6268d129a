"""Rasa's socket.io input channel, fixed and hardened for the website widget.

What differs from Rasa 3.6.21's ``SocketIOInput`` (this class builds the whole blueprint itself, with Rasa's
events and names):

* **The persistent-session room join is awaited.** Rasa calls ``sio.enter_room(sid, session_id)`` without
  ``await`` (RasaHQ/rasa issue 13027): with python-socketio 5 the socket never joins the room named after the
  session and, with ``session_persistence: true``, every bot reply goes to a room nobody is in.
* **The Origin is checked.** Rasa sets ``cors_allowed_origins=[]``, which turns Engine.IO's Origin check off:
  any web page could open a socket to the bot. Here the handshake (polling and WebSocket) is refused (400)
  unless its Origin is one of ``CXQA_SOCKETIO_ORIGINS`` (space-separated; the launcher passes the support
  page's origins) or the credentials' ``cors_allowed_origins``. With neither, only same-origin pages pass.
  Requests without an Origin header (not a browser) are let through, as Engine.IO does. The CORS response
  headers stay with Rasa's ``--cors`` (sanic-cors, every route); Engine.IO's own would duplicate them.
* **The message is capped** at ``CXQA_MAX_MESSAGE_CHARS`` characters (2,000; bot/channels/message_limits.py)
  before NLU, with one bot message telling the customer first; a ``user_uttered`` payload that is not an
  object with a string ``message`` is dropped with a warning (socket.io has no status code to answer with).

Loaded by Rasa (its own virtualenv, repository root on PYTHONPATH) from ``bot/credentials.yml``::

    bot.channels.socketio_fixed.SessionPersistentSocketIOInput:
      session_persistence: true

The channel keeps the name ``socketio``, so ``output_channel=socketio`` on Rasa's conversation API
(``trigger_intent``) still finds it and pushes the bot's messages into the open widget.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import engineio
import rasa.core.channels.channel
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.channels.message_limits import MAX_METADATA_CHARS, cap_text, describe_for_log, max_message_chars

logger = logging.getLogger(__name__)


def allowed_origins(
    configured: list[str] | str | None = None, environ: Mapping[str, str] | None = None
) -> list[str] | None:
    """The page origins allowed to open a socket; None means same-origin only (Engine.IO's default)."""
    env = os.environ if environ is None else environ
    if configured:
        origins = [configured] if isinstance(configured, str) else list(configured)
    else:
        origins = env.get("CXQA_SOCKETIO_ORIGINS", "").split()
    origins = [origin.rstrip("/") for origin in origins if origin]
    if "*" in origins:
        raise ValueError("socket.io origins: '*' would let every web page talk to the bot; list the page origins")
    return origins or None


class OriginCheckingEngineIOServer(engineio.AsyncServer):
    """Engine.IO that refuses foreign Origins but leaves the CORS headers to Rasa's ``--cors`` (sanic-cors)."""

    def _cors_headers(self, environ: dict) -> list:
        return []


class OriginCheckingSocketIOServer(AsyncServer):
    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        return OriginCheckingEngineIOServer


class SessionPersistentSocketIOInput(SocketIOInput):
    """``SocketIOInput`` with the room join awaited, the Origin checked and the message capped."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> SessionPersistentSocketIOInput:
        credentials = credentials or {}
        channel = super().from_credentials(credentials)
        assert isinstance(channel, cls)
        channel.origins = allowed_origins(credentials.get("cors_allowed_origins"))
        channel.max_chars = int(credentials.get("max_message_chars") or max_message_chars())
        return channel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.origins: list[str] | None = allowed_origins()
        self.max_chars = max_message_chars()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = OriginCheckingSocketIOServer(async_mode="sanic", cors_allowed_origins=self.origins)
        self.sio = sio  # get_output_channel() (trigger_intent with output_channel=socketio) uses it
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        namespace = self.namespace

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: str, _environ: dict, auth: dict | None) -> bool:
            if not self.jwt_key:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            payload = (
                rasa.core.channels.channel.decode_bearer_token(token, self.jwt_key, self.jwt_algorithm)
                if token
                else None
            )
            return bool(payload)

        @sio.on("disconnect", namespace=namespace)
        async def disconnect(sid: str) -> None:
            logger.debug(f"Socket {sid} disconnected.")

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: dict | None) -> None:
            data = dict(data) if isinstance(data, dict) else {}
            if not isinstance(data.get("session_id"), str) or not data["session_id"]:
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                # The fix: without the await the socket never joins the session's room.
                await sio.enter_room(sid, data["session_id"], namespace=namespace)
            await sio.emit("session_confirm", data["session_id"], room=sid, namespace=namespace)
            logger.debug(f"Socket {sid} joined session {data['session_id']}.")

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict) or not isinstance(data.get("message", ""), str):
                logger.warning(f"Socket {sid}: dropped a {self.user_message_evt} payload without a string message")
                return
            if self.session_persistence:
                sender_id = data.get("session_id")
                if not isinstance(sender_id, str) or not sender_id:
                    logger.warning(f"Socket {sid}: dropped a message without a session_id (send session_request)")
                    return
            else:
                sender_id = sid
            metadata = _metadata(data.get(self.metadata_key))
            if metadata is False:
                logger.warning(f"Socket {sid}: dropped a message whose metadata is not a small JSON object")
                return
            output_channel = SocketIOOutput(sio, self.bot_message_evt)
            capped = cap_text(data.get("message", ""), self.max_chars)
            if capped.truncated:
                logger.info(
                    "message from %s cut from %s to %s characters",
                    sender_id, f"{capped.original_chars:,}", f"{self.max_chars:,}",
                )
                await output_channel.send_text_message(sender_id, capped.notice())  # its room, as the replies
            message = UserMessage(
                capped.text,
                output_channel,
                sender_id,
                input_channel=self.name(),
                metadata=capped.metadata(metadata),
            )
            try:
                await on_new_message(message)
            except Exception:
                logger.exception("socket.io message from %s failed: %s", sender_id, describe_for_log(capped.text))

        return socketio_webhook


def _metadata(raw: Any) -> dict[str, Any] | None | bool:
    """The message's metadata as a dict (Rasa accepts a JSON string too); False when unusable."""
    if raw is None or raw == {}:
        return None if raw is None else {}
    if isinstance(raw, str):
        if len(raw) > MAX_METADATA_CHARS:
            return False
        try:
            raw = json.loads(raw)
        except ValueError:
            return False
    if not isinstance(raw, dict) or len(json.dumps(raw)) > MAX_METADATA_CHARS:
        return False
    return raw
