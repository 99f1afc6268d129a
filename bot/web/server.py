"""Serve the support page: ``python -m bot.web.server [--host 127.0.0.1] [--port 8000]``.

A small standard-library server (ThreadingHTTPServer): the page, its stylesheet and script, and the
rasa-webchat bundle from node_modules. Everything is loaded into memory at start-up from a fixed list, so no
request path ever reaches the file system.

- Every response, errors included (400, 404, 405, 414, 500, 501, 505), carries the security headers
  (a strict Content-Security-Policy, nosniff, no framing, no referrer): they are added in ``end_headers``,
  which every response goes through. Error bodies are one line of plain text and say nothing about the inside.
- Each connection's socket has a timeout (``CXQA_WEB_IDLE_TIMEOUT_SECONDS``, 15 s): a client that connects and
  sends nothing, or half a request, is disconnected when a read waits that long (a slowloris cannot keep a
  thread forever). It is a per-read timeout: a client that trickles one byte every few seconds is not cut
  short; a reverse proxy in front of the page should bound the whole request.
- A client that goes away mid-response (a closed tab: BrokenPipe, ConnectionReset) is a debug line, not a
  traceback in the log; any other exception is logged once, with its traceback, through ``logging``.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from bot.web.page_config import PageConfig, render_page, security_headers
from bot.web.widget_bundle import WidgetBundleMissing, load_widget_bundle

WEB_DIR = Path(__file__).resolve().parent
STATIC_FILES = {
    "/static/support.css": ("support.css", "text/css; charset=utf-8"),
    "/static/chat.js": ("chat.js", "text/javascript; charset=utf-8"),
    "/static/logo.svg": ("logo.svg", "image/svg+xml"),
    "/favicon.ico": ("logo.svg", "image/svg+xml"),
}
WIDGET_PATH = "/vendor/rasa-webchat.js"
ALLOWED_METHODS = "GET, HEAD"
IDLE_TIMEOUT_ENV = "CXQA_WEB_IDLE_TIMEOUT_SECONDS"
DEFAULT_IDLE_TIMEOUT_SECONDS = 15.0
# The client went away (closed tab, dropped network) or stopped reading: nothing to report.
CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)

logger = logging.getLogger("bot.web")


@dataclass(frozen=True)
class Resource:
    body: bytes
    content_type: str
    cache_seconds: int = 0


def build_resources(config: PageConfig) -> dict[str, Resource]:
    """Every URL the server answers, rendered once."""
    page = render_page((WEB_DIR / "templates" / "index.html").read_text(encoding="utf-8"), config)
    resources = {"/": Resource(page.encode("utf-8"), "text/html; charset=utf-8")}
    for url, (name, content_type) in STATIC_FILES.items():
        resources[url] = Resource((WEB_DIR / "static" / name).read_bytes(), content_type, 300)
    bundle, removed = load_widget_bundle()
    logger.info("widget bundle: %d bytes, %d external CSS imports removed", len(bundle), removed)
    resources[WIDGET_PATH] = Resource(bundle, "text/javascript; charset=utf-8", 3600)
    resources["/healthz"] = Resource(b'{"status": "ok"}', "application/json")
    return resources


def make_handler(
    resources: dict[str, Resource], headers: dict[str, str], idle_timeout_seconds: float = DEFAULT_IDLE_TIMEOUT_SECONDS
) -> type[BaseHTTPRequestHandler]:
    class SupportPageHandler(BaseHTTPRequestHandler):
        server_version = "SupportPage"
        sys_version = ""
        # A request too broken to name its version is answered as HTTP/1.0 (status line and headers), never
        # as an HTTP/0.9 "simple response", which has no headers at all.
        default_request_version = "HTTP/1.0"
        timeout = idle_timeout_seconds  # socket timeout of every read and write on the connection
        error_content_type = "text/plain; charset=utf-8"
        error_message_format = "%(code)d %(message)s\n"
        cache_control = "no-store"
        extra_headers: dict[str, str] = {}

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._respond(include_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._respond(include_body=False)

        def _method_not_allowed(self) -> None:
            self.extra_headers = {"Allow": ALLOWED_METHODS}
            self.send_error(HTTPStatus.METHOD_NOT_ALLOWED)

        do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _method_not_allowed  # noqa: N815

        def _respond(self, include_body: bool) -> None:
            try:
                path = urlsplit(self.path).path
                if path == "/index.html":
                    path = "/"
                resource = resources.get(path)
            except Exception:
                logger.exception("support page: error while answering %r", self.path[:200])
                self.send_error(HTTPStatus.INTERNAL_SERVER_ERROR)
                return
            if resource is None:
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", resource.content_type)
            self.send_header("Content-Length", str(len(resource.body)))
            self.cache_control = f"max-age={resource.cache_seconds}" if resource.cache_seconds else "no-store"
            self.end_headers()
            if include_body:
                try:
                    self.wfile.write(resource.body)
                except CLIENT_GONE as exc:
                    logger.debug("%s went away during %s (%s)", self.address_string(), path, type(exc).__name__)
                    self.close_connection = True

        def end_headers(self) -> None:
            """Every response (ours and http.server's errors) ends its headers here: add ours."""
            self.send_header("Cache-Control", self.cache_control)
            for name, value in {**headers, **self.extra_headers}.items():
                self.send_header(name, value)
            self.cache_control = "no-store"
            self.extra_headers = {}
            super().end_headers()

        def log_message(self, format: str, *args) -> None:  # noqa: A002 (signature of the base class)
            logger.debug("%s %s", self.address_string(), format % args)

    return SupportPageHandler


class SupportPageServer(ThreadingHTTPServer):
    """One thread per connection (daemon threads); errors go to ``logging``, not to stderr."""

    daemon_threads = True

    def handle_error(self, request: socket.socket | tuple, client_address: tuple) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, CLIENT_GONE):
            logger.debug("%s went away (%s)", client_address[0], type(error).__name__)
            return
        logger.exception("support page: unexpected error with a request from %s", client_address[0])


def make_server(
    host: str, port: int, config: PageConfig, idle_timeout_seconds: float = DEFAULT_IDLE_TIMEOUT_SECONDS
) -> ThreadingHTTPServer:
    handler = make_handler(build_resources(config), security_headers(config), idle_timeout_seconds)
    return SupportPageServer((host, port), handler)


def idle_timeout_from_environment(environ: dict[str, str] | None = None) -> float:
    raw = (os.environ if environ is None else environ).get(IDLE_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_IDLE_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 3600:  # also false for nan
        raise ValueError(f"{IDLE_TIMEOUT_ENV}={raw!r} is not a number of seconds between 0 and 3600")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve the support page with the chat widget.")
    parser.add_argument("--host", default=os.environ.get("CXQA_WEB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CXQA_WEB_PORT", "8000")))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("CXQA_LOG_LEVEL", "INFO").upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        config = PageConfig.from_environment()
        server = make_server(args.host, args.port, config, idle_timeout_from_environment())
    except (WidgetBundleMissing, ValueError, OSError) as exc:
        print(f"support page: {exc}", file=sys.stderr)
        return 2
    logger.info("support page on http://%s:%s/ (chat via %s)", args.host, args.port, config.socket_url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
