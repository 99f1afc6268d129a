"""Serve the support page: ``python -m bot.web.server [--host 127.0.0.1] [--port 8000]``.

A small standard-library server (ThreadingHTTPServer): the page, its stylesheet and script, and the
rasa-webchat bundle from node_modules. Everything is loaded into memory at start-up from a fixed list, so no
request path ever reaches the file system. Every response carries a strict Content-Security-Policy.
"""

from __future__ import annotations

import argparse
import logging
import os
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


def make_handler(resources: dict[str, Resource], headers: dict[str, str]) -> type[BaseHTTPRequestHandler]:
    class SupportPageHandler(BaseHTTPRequestHandler):
        server_version = "SupportPage"
        sys_version = ""

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._respond(include_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._respond(include_body=False)

        def _respond(self, include_body: bool) -> None:
            path = urlsplit(self.path).path
            if path == "/index.html":
                path = "/"
            resource = resources.get(path)
            if resource is None:
                resource = Resource(b"Not found\n", "text/plain; charset=utf-8")
                status = HTTPStatus.NOT_FOUND
            else:
                status = HTTPStatus.OK
            self.send_response(status)
            self.send_header("Content-Type", resource.content_type)
            self.send_header("Content-Length", str(len(resource.body)))
            cache = f"max-age={resource.cache_seconds}" if resource.cache_seconds else "no-store"
            self.send_header("Cache-Control", cache)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if include_body:
                self.wfile.write(resource.body)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 (signature of the base class)
            logger.debug("%s %s", self.address_string(), format % args)

    return SupportPageHandler


def make_server(host: str, port: int, config: PageConfig) -> ThreadingHTTPServer:
    handler = make_handler(build_resources(config), security_headers(config))
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


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
        server = make_server(args.host, args.port, config)
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
