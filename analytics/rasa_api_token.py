"""The token of Rasa's HTTP API (``rasa run --auth-token``), shared by the launcher, the scheduler and our tools.

Rasa's API (conversations, tracker events, model) is on the same port as the channels the widget uses, so it
always runs with a token. The token is ``CXQA_RASA_TOKEN`` when set; otherwise the launcher generates one on
its first start into ``var/rasa_api_token`` (``CXQA_RASA_TOKEN_FILE``; mode 0600) and reuses it. Clients pass
it as ``?token=...`` (the only way Rasa 3.6 accepts it, besides JWT).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TOKEN_FILE = PROJECT_ROOT / "var" / "rasa_api_token"
TOKEN_BYTES = 32


class RasaTokenError(RuntimeError):
    """The token file exists but cannot be used; the message says why."""


def token_file(environ: Mapping[str, str] | None = None) -> Path:
    """``CXQA_RASA_TOKEN_FILE`` (relative paths from the repository root), else var/rasa_api_token."""
    env = os.environ if environ is None else environ
    raw = env.get("CXQA_RASA_TOKEN_FILE")
    return (PROJECT_ROOT / raw).resolve() if raw else DEFAULT_TOKEN_FILE


def read_rasa_token(environ: Mapping[str, str] | None = None, path: Path | None = None) -> str | None:
    """The configured token (``CXQA_RASA_TOKEN``) or the one in the token file; None when there is neither."""
    env = os.environ if environ is None else environ
    if env.get("CXQA_RASA_TOKEN"):
        return env["CXQA_RASA_TOKEN"]
    path = path or token_file(env)
    try:
        token = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise RasaTokenError(f"cannot read Rasa's API token from {path}: {exc}") from exc
    if not token:
        raise RasaTokenError(f"{path} is empty: delete it (a new token is generated) or set CXQA_RASA_TOKEN")
    return token


def ensure_rasa_token(environ: Mapping[str, str] | None = None, path: Path | None = None) -> str:
    """The token as :func:`read_rasa_token` finds it, generating the token file (0600) when there is none."""
    env = os.environ if environ is None else environ
    found = read_rasa_token(env, path)
    if found:
        return found
    path = path or token_file(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another launcher was faster: use its token
        return read_rasa_token(env, path) or token
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(token + "\n")
    return token
