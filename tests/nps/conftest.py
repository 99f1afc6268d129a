"""Builders shared by the NPS tests (real rows in the real test databases), offered as fixtures."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from analytics.storage.models import Agent, Conversation, Customer, Touchpoint, Turn


def add_conversation(
    session: Session,
    external_id: str,
    *,
    source: str = "import",
    channel: str = "phone",
    touchpoint: str | None = "warranty",
    customer_id: str | None = "cust-1",
    segment: str | None = "consumer",
    agents: tuple[str, ...] = ("agent-a",),
    started_at: datetime = datetime(2026, 11, 2, 9, 0),
) -> Conversation:
    touchpoint_row = None
    if touchpoint:
        touchpoint_row = session.query(Touchpoint).filter_by(name=touchpoint).one_or_none() or Touchpoint(
            name=touchpoint
        )
    if customer_id and session.get(Customer, customer_id) is None:
        session.add(Customer(id=customer_id, segment=segment))
    for agent in agents:
        if session.get(Agent, agent) is None:
            session.add(Agent(id=agent, name=agent.title()))
    session.flush()
    conversation = Conversation(
        source=source, external_id=external_id, channel=channel, touchpoint=touchpoint_row,
        customer_id=customer_id, started_at=started_at,
    )
    conversation.turns.append(Turn(seq=0, speaker="customer", text="Hello", ts=started_at))
    for seq, agent in enumerate(agents, start=1):
        conversation.turns.append(Turn(seq=seq, speaker="agent", agent_id=agent, text="Hi, how can I help?"))
    session.add(conversation)
    session.flush()
    return conversation


@pytest.fixture
def conversation_builder() -> Callable[..., Conversation]:
    return add_conversation


# --- a TCP relay: a database "goes down" when the relay stops and "comes back" when it starts -------------
# The client keeps one URL (the relay's port) throughout, like a bot whose database host restarts.
class TcpRelay:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()  # the port stays closed (connection refused) until start()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        """Refuse new connections and cut the open ones, like a server going away."""
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (close alone does not)
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, destination: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                destination.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                destination.shutdown(socket.SHUT_WR)


@pytest.fixture
def tcp_relay() -> type[TcpRelay]:
    return TcpRelay
