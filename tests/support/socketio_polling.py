"""A minimal socket.io client over Engine.IO v4 long-polling (what rasa-webchat speaks first), on httpx.

Enough to open a session the way the widget does, send ``user_uttered`` and read ``bot_uttered``, with any
``Origin`` header, without a browser or python-socketio in our virtualenv::

    with PollingSocket(rasa_url, origin=page_origin) as sock:
        sock.request_session("session-1")
        sock.emit("user_uttered", {"message": "hello", "session_id": "session-1"})
        texts = sock.bot_texts(until=lambda texts: len(texts) >= 1)
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

import httpx

RECORD_SEPARATOR = "\x1e"


class PollingSocket:
    def __init__(self, rasa_url: str, *, origin: str | None, path: str = "/socket.io/") -> None:
        self.url = f"{rasa_url.rstrip('/')}{path}"
        self.http = httpx.Client(headers={"Origin": origin} if origin else {}, timeout=40)
        self.sid: str | None = None
        self.events: list[tuple[str, Any]] = []
        self.connected = False

    def handshake(self) -> httpx.Response:
        """The Engine.IO open request; on 200 the socket.io namespace is connected too."""
        response = self.http.get(self.url, params={"EIO": "4", "transport": "polling"})
        if response.status_code == 200:
            opened = json.loads(response.text[1:])
            self.sid = opened["sid"]
            self._post("40")
            self._wait_for(lambda: self.connected, timeout=10)
        return response

    def request_session(self, session_id: str) -> None:
        self.emit("session_request", {"session_id": session_id})
        self._wait_for(lambda: any(name == "session_confirm" for name, _ in self.events), timeout=20)

    def emit(self, event: str, data: Any) -> None:
        self._post("42" + json.dumps([event, data]))

    def bot_texts(self, until: Callable[[list[str]], bool], timeout: float = 60) -> list[str]:
        """The texts of the ``bot_uttered`` events so far, polling until ``until(texts)`` or the timeout."""

        def texts() -> list[str]:
            return [data.get("text", "") for name, data in self.events if name == "bot_uttered"]

        self._wait_for(lambda: until(texts()), timeout=timeout)
        return texts()

    # -- Engine.IO ---------------------------------------------------------------------------------------
    def _post(self, packet: str) -> None:
        response = self.http.post(self.url, params=self._params(), content=packet.encode("utf-8"))
        response.raise_for_status()

    def _params(self) -> dict[str, str]:
        return {"EIO": "4", "transport": "polling", "sid": self.sid or ""}

    def _poll(self) -> None:
        response = self.http.get(self.url, params=self._params())
        response.raise_for_status()
        for packet in response.text.split(RECORD_SEPARATOR):
            if packet == "2":  # ping: answer pong or the server closes the socket
                self._post("3")
            elif packet.startswith("40"):
                self.connected = True
            elif packet.startswith("42"):
                name, *args = json.loads(packet[2:])
                self.events.append((name, args[0] if args else None))

    def _wait_for(self, condition: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"socket.io: nothing expected arrived in {timeout:.0f} s; events {self.events}")
            self._poll()

    def close(self) -> None:
        if self.sid:
            with contextlib.suppress(httpx.HTTPError):
                self._post("1")
        self.http.close()

    def __enter__(self) -> PollingSocket:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()
