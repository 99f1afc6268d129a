"""The one call the scheduler makes to Rasa: trigger an intent in a conversation (Rasa's HTTP API)."""

from __future__ import annotations

from urllib.parse import quote

import httpx


class RasaUnavailable(RuntimeError):
    """Rasa did not answer, or refused the trigger; the message says which and why."""


def trigger_intent(
    rasa_url: str,
    sender_id: str,
    intent: str,
    *,
    entities: dict[str, str] | None = None,
    output_channel: str = "socketio",
    token: str | None = None,
    timeout: float = 10.0,
    client: httpx.Client | None = None,
) -> dict:
    """POST /conversations/<sender>/trigger_intent; the bot's reply goes out on ``output_channel`` (the
    open widget for "socketio") and into the tracker. Returns Rasa's JSON answer."""
    params = {"output_channel": output_channel}
    if token:
        params["token"] = token
    url = f"{rasa_url.rstrip('/')}/conversations/{quote(sender_id, safe='')}/trigger_intent"
    body: dict = {"name": intent}
    if entities:
        body["entities"] = entities
    owned = client is None
    http = client or httpx.Client(timeout=timeout)
    try:
        response = http.post(url, params=params, json=body)
    except httpx.HTTPError as exc:
        raise RasaUnavailable(f"Rasa at {rasa_url} did not answer: {type(exc).__name__}: {exc}") from exc
    finally:
        if owned:
            http.close()
    if response.status_code != 200:
        raise RasaUnavailable(
            f"Rasa refused {intent} for {sender_id}: HTTP {response.status_code} {response.text[:300]}"
        )
    return response.json()
