"""Rasa's socket.io input channel with the persistent-session room join awaited.

Rasa 3.6.21 calls ``sio.enter_room(sid, session_id)`` without ``await`` (RasaHQ/rasa issue 13027): with
python-socketio 5 that call is a coroutine, so the socket never joins the room named after the session and,
with ``session_persistence: true``, every bot reply is emitted to a room nobody is in. This subclass keeps
Rasa's channel as it is and only replaces the ``session_request`` handler with one that awaits the join.

Loaded by Rasa (its own virtualenv, repository root on PYTHONPATH) from ``bot/credentials.yml``::

    bot.channels.socketio_fixed.SessionPersistentSocketIOInput:
      session_persistence: true

The channel keeps the name ``socketio``, so ``output_channel=socketio`` on Rasa's conversation API
(``trigger_intent``) still finds it and pushes the bot's messages into the open widget.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

logger = logging.getLogger(__name__)


class SessionPersistentSocketIOInput(SocketIOInput):
    """``SocketIOInput`` whose ``session_request`` handler awaits ``enter_room``."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        socketio_blueprint = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None  # set by the parent's blueprint()

        async def session_request(sid: str, data: dict | None) -> None:
            data = dict(data or {})
            if not data.get("session_id"):
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                # The fix: without the await the socket never joins the session's room.
                await sio.enter_room(sid, data["session_id"], namespace=self.namespace)
            await sio.emit("session_confirm", data["session_id"], room=sid, namespace=self.namespace)
            logger.debug(f"Socket {sid} joined session {data['session_id']}.")

        # Registering the same event again replaces the parent's handler.
        sio.on("session_request", handler=session_request, namespace=self.namespace)
        return socketio_blueprint
