"""Give Rasa's calls to the action server a timeout of a few seconds (``CXQA_ACTION_TIMEOUT_SECONDS``, default 5).

Rasa 3.6's ``RemoteAction.run`` posts to the action server with ``timeout=DEFAULT_REQUEST_TIMEOUT``, a
constant of 300 s that no endpoint setting changes. An action server that accepts connections but does not
answer (frozen, deadlocked, swapping; measured with SIGSTOP) therefore held a customer's turn for minutes.
``install()`` wraps ``RemoteAction.run`` (custom actions and form validations both go through it) in
``asyncio.wait_for``; when the time is up the call is cancelled and a ``RasaException`` is raised, the same
exception Rasa raises when it cannot connect at all. Rasa's processor then logs it, records the action with
no events, and ``ActionServerGuardPolicy`` (bot/policies/action_server_guard.py) answers with the
"can't look that up right now" reply: a slow action server is handled exactly like a dead one.

Installed by ``bot.tracker_store`` (which Rasa imports when it starts the server from bot/endpoints.yml), next
to ``bot.remote_action_validation``; this module runs in Rasa's virtualenv.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from rasa.core.actions.action import RemoteAction
from rasa.shared.exceptions import RasaException

TIMEOUT_ENV = "CXQA_ACTION_TIMEOUT_SECONDS"
DEFAULT_TIMEOUT_SECONDS = 5.0
_INSTALLED_FLAG = "_cxqa_action_call_timeout"

logger = logging.getLogger(__name__)


class ActionCallTimedOut(RasaException):
    """The action server did not answer in time (handled by Rasa like an unreachable action server)."""


def timeout_seconds(environ: Mapping[str, str] | None = None) -> float:
    """``CXQA_ACTION_TIMEOUT_SECONDS`` as a number of seconds > 0; ValueError naming the setting otherwise."""
    raw = (os.environ if environ is None else environ).get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 300:  # also false for nan
        raise ValueError(f"{TIMEOUT_ENV}={raw!r} is not a number of seconds between 0 and 300")
    return value


def with_timeout(run: Callable[..., Any], seconds: float) -> Callable[..., Any]:
    """``RemoteAction.run`` that gives up after ``seconds``."""

    @functools.wraps(run)
    async def run_with_timeout(self: RemoteAction, *args: Any, **kwargs: Any) -> Any:
        try:
            return await asyncio.wait_for(run(self, *args, **kwargs), timeout=seconds)
        except asyncio.TimeoutError:
            url = self.action_endpoint.url if self.action_endpoint else "(no endpoint)"
            logger.error(
                "Custom action '%s': the action server at %s did not answer within %.1f s (%s)",
                self.name(), url, seconds, TIMEOUT_ENV,
            )  # fmt: skip
            raise ActionCallTimedOut(
                f"Failed to execute custom action '{self.name()}': no answer from the action server at {url} "
                f"within {seconds:.1f} s"
            ) from None

    return run_with_timeout


def install(environ: Mapping[str, str] | None = None) -> float:
    """Wrap ``RemoteAction.run`` (idempotent); returns the timeout in seconds."""
    seconds = timeout_seconds(environ)
    if not getattr(RemoteAction, _INSTALLED_FLAG, False):
        RemoteAction.run = with_timeout(RemoteAction.run, seconds)  # type: ignore[method-assign]
        setattr(RemoteAction, _INSTALLED_FLAG, seconds)
    return float(getattr(RemoteAction, _INSTALLED_FLAG))
