"""A REST channel whose bot always fails, served by Sanic in Rasa's virtualenv (for the log redaction test).

``.venv-rasa/bin/python -m tests.support.failing_channel_server CLASS PORT`` serves ``CLASS`` (e.g.
``rasa.core.channels.rest.RestInput`` or ``bot.channels.rest_limited.LimitedRestInput``) on 127.0.0.1:PORT
under ``/webhooks/rest/``, with a message handler that raises, as Rasa's would when NLU runs out of memory.
Logs (Python logging and Rasa's structlog) go to stdout.
"""

from __future__ import annotations

import importlib
import logging
import sys

from rasa.core.channels.channel import UserMessage
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse


async def failing_handler(_message: UserMessage) -> None:
    raise RuntimeError("the bot failed (test)")


def main(class_path: str, port: int) -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stdout)
    module, _, name = class_path.rpartition(".")
    channel = getattr(importlib.import_module(module), name).from_credentials({})
    app = Sanic("failing_channel")
    app.blueprint(channel.blueprint(failing_handler), url_prefix="/webhooks/rest")

    @app.get("/ready")
    async def ready(_request: Request) -> HTTPResponse:
        return response.text("ok")

    app.run(host="127.0.0.1", port=port, access_log=False, workers=1)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
