"""What the support page needs to know at run time, read from the environment, and the headers it is served with.

Pure functions (no I/O) so the escaping and the Content-Security-Policy can be tested on their own.
"""

from __future__ import annotations

import html
import json
import os
import string
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

# The bot's product catalog (owned by the bot's knowledge): the page shows the same brand and products.
CATALOG_PATH = Path(__file__).resolve().parents[1] / "knowledge" / "products.yml"


@dataclass(frozen=True)
class PageConfig:
    # Where the browser reaches Rasa's socket.io channel (the widget connects there directly).
    socket_url: str = "http://127.0.0.1:5005"
    socket_path: str = "/socket.io/"
    # Sent by the widget when a new conversation opens (the bot greets first); empty: the widget sends an
    # empty message, which the bot answers as such.
    init_payload: str = "/greet"
    brand: str = "Acme"
    products: tuple[str, ...] = field(default_factory=tuple)

    @property
    def title(self) -> str:
        return f"{self.brand} Support"

    @property
    def subtitle(self) -> str:
        return "Warranty and technical help, day and night"

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None, catalog_path: Path = CATALOG_PATH) -> PageConfig:
        env = os.environ if environ is None else environ
        rasa_url = env.get("CXQA_RASA_PUBLIC_URL") or (
            f"http://{env.get('CXQA_RASA_HOST', '127.0.0.1')}:{env.get('CXQA_RASA_PORT', '5005')}"
        )
        brand, products = read_catalog(catalog_path)
        return cls(
            socket_url=validated_http_url(rasa_url),
            init_payload=env.get("CXQA_WIDGET_INIT_PAYLOAD", cls.init_payload),
            brand=env.get("CXQA_BRAND") or brand,
            products=products,
        )

    def widget_props_json(self) -> str:
        """The widget's settings as JSON (read by chat.js from a data attribute)."""
        props = {
            "socketUrl": self.socket_url,
            "socketPath": self.socket_path,
            "title": self.title,
            "subtitle": self.subtitle,
            "inputTextFieldHint": "Type your question…",
            # sessionStorage keeps the session id across reloads; Rasa keeps the conversation (our socket fix).
            "params": {"storage": "session"},
        }
        if self.init_payload:
            props["initPayload"] = self.init_payload
        return json.dumps(props, ensure_ascii=False)


def read_catalog(path: Path) -> tuple[str, tuple[str, ...]]:
    """(brand, product names) from the bot's catalog; ("Acme", ()) when it is missing or unreadable."""
    try:
        catalog = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return "Acme", ()
    if not isinstance(catalog, dict):
        return "Acme", ()
    brand = str(catalog.get("brand") or "Acme").strip() or "Acme"
    products = tuple(
        str(item["name"]) for item in catalog.get("products") or [] if isinstance(item, dict) and item.get("name")
    )
    return brand, products


def validated_http_url(url: str) -> str:
    """An http(s) URL with a host and nothing after it but an optional path; raise ValueError otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"not a plain http(s) URL: {url!r} (expected e.g. http://127.0.0.1:5005)")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def socket_origins(socket_url: str) -> list[str]:
    """The origins the page may connect to: socket.io polls over http(s) and upgrades to ws(s)."""
    parts = urlsplit(socket_url)
    websocket_scheme = "wss" if parts.scheme == "https" else "ws"
    return [f"{parts.scheme}://{parts.netloc}", f"{websocket_scheme}://{parts.netloc}"]


def content_security_policy(config: PageConfig) -> str:
    """Everything from our own origin, plus the Rasa socket; nothing else (no CDN, no web font)."""
    connect = " ".join(["'self'", *socket_origins(config.socket_url)])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            # The widget injects its CSS as <style> elements and sets inline styles.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            # The widget's carousel embeds its icon font as a data: URI (no network involved).
            "font-src 'self' data:",
            f"connect-src {connect}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers(config: PageConfig) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(config),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }


def render_page(template_text: str, config: PageConfig) -> str:
    """Fill the page template; every value is HTML-escaped (attribute-safe)."""
    values = {
        "brand": config.brand,
        "title": config.title,
        "widget_props": config.widget_props_json(),
    }
    escaped = {key: html.escape(value, quote=True) for key, value in values.items()}
    items = "\n".join(f"          <li>{html.escape(name)}</li>" for name in config.products)
    escaped["product_items"] = items or "          <li>Find my product's manual</li>"
    return string.Template(template_text).substitute(escaped)
