"""End to end with the action server down: Rasa must still answer, not fall silent.

Rasa 3.6 logs a failed custom action and carries on as if it had run; our ActionServerGuardPolicy
(bot/policies/action_server_guard.py) notices and apologises with contact details. This module's bot is the
launcher's stack with ``--no-actions`` (nothing listens on the action port).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.bot.conftest import require_rasa
from tests.bot.test_e2e import say, texts
from tests.support.rasa_servers import RuntimeStack, started

pytestmark = pytest.mark.rasa


@pytest.fixture(scope="module")
def bot_without_actions(trained_model, tmp_path_factory) -> Iterator[RuntimeStack]:
    """Rasa whose action server is down (nothing listens on its action port)."""
    require_rasa()
    stack = RuntimeStack(tmp_path_factory.mktemp("bot-no-actions"), trained_model, web=False, scheduler=False,
                         actions=False)
    with started(stack):
        yield stack


def test_action_server_down_the_bot_says_so_instead_of_silence(bot_without_actions):
    customer = f"e2e-down-{uuid.uuid4().hex[:8]}"
    assert "Lumio support assistant" in texts(say(bot_without_actions, customer, "hello"))
    reply = texts(say(bot_without_actions, customer, "is AS26000101 still under warranty?"))
    assert "can't look that up right now" in reply and "support@lumio.example" in reply
    # The conversation goes on: a response that needs no action server still works.
    assert "I'm a bot" in texts(say(bot_without_actions, customer, "are you a bot?"))
    # A form whose validation cannot run is closed with the same apology, not asked into the void.
    assert "can't look that up right now" in texts(say(bot_without_actions, customer, "I want to make a claim"))
    assert "I'm a bot" in texts(say(bot_without_actions, customer, "are you a bot?"))
