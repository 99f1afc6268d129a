"""Our custom actions served on loopback: ``python -m bot.action_server [--host H] [--port P]``.

``rasa run actions`` (rasa_sdk's ``run``) listens on every interface. The actions read the product registry
and open handoff tickets, so they must not be reachable from the network: we build the same Sanic app with
``rasa_sdk.endpoint.create_app`` and bind it to 127.0.0.1 (``CXQA_ACTION_HOST``/``CXQA_ACTION_PORT``).
Runs in the main virtualenv (rasa-sdk 3.6, our storage layer); GET /health answers {"status": "ok"}.
"""

from __future__ import annotations

import argparse
import logging
import os

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5055
ACTIONS_PACKAGE = "actions"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve the cxqa custom actions (rasa_sdk) on loopback.")
    parser.add_argument("--host", default=os.environ.get("CXQA_ACTION_HOST", DEFAULT_HOST))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CXQA_ACTION_PORT", DEFAULT_PORT)))
    parser.add_argument("--actions", default=ACTIONS_PACKAGE, help="package to load the actions from")
    parser.add_argument("--log-level", default=os.environ.get("CXQA_LOG_LEVEL", "INFO"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Imported here so --help stays instant.
    from rasa_sdk.endpoint import create_app

    # Only the Rasa server calls this endpoint (server to server), so no browser origin needs CORS.
    app = create_app(args.actions, cors_origins=[])
    logging.getLogger(__name__).info("action server on http://%s:%s/webhook", args.host, args.port)
    app.run(host=args.host, port=args.port, workers=1, access_log=False, motd=False)


if __name__ == "__main__":
    main()
