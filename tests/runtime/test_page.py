"""The support page: escaping, Content-Security-Policy, the offline-safe widget bundle, the server's routes."""

from __future__ import annotations

import json
import threading
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from bot.web.page_config import PageConfig, content_security_policy, read_catalog, render_page, validated_http_url
from bot.web.server import WIDGET_PATH, make_server
from bot.web.widget_bundle import WIDGET_BUNDLE, load_widget_bundle, strip_external_css_imports

TEMPLATE = (Path(__file__).resolve().parents[2] / "bot" / "web" / "templates" / "index.html").read_text()


class _WidgetProps(HTMLParser):
    props: dict | None = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if "data-widget-props" in values:
            self.props = json.loads(values["data-widget-props"])


def test_dynamic_values_are_escaped():
    hostile = '<script>alert("x")</script>&"'
    config = PageConfig(brand=hostile, products=(hostile,), init_payload=hostile)
    page = render_page(TEMPLATE, config)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    parser = _WidgetProps()
    parser.feed(page)
    # The JSON survives the attribute escaping intact: the widget gets exactly the configured values.
    assert parser.props["title"] == f"{hostile} Support"
    assert parser.props["initPayload"] == hostile
    assert parser.props["params"] == {"storage": "session"}


def test_brand_and_products_come_from_the_catalog(tmp_path):
    catalog = tmp_path / "products.yml"
    catalog.write_text("brand: Zenith\nproducts:\n  - {id: a, name: Alpha Lamp}\n  - {id: b}\n")
    assert read_catalog(catalog) == ("Zenith", ("Alpha Lamp",))
    assert read_catalog(tmp_path / "missing.yml") == ("Acme", ())
    (tmp_path / "broken.yml").write_text("brand: [unclosed")
    assert read_catalog(tmp_path / "broken.yml") == ("Acme", ())
    config = PageConfig.from_environment({"CXQA_RASA_PORT": "5999"}, catalog_path=catalog)
    assert config.title == "Zenith Support"
    assert config.socket_url == "http://127.0.0.1:5999"


def test_csp_allows_only_our_origin_and_the_rasa_socket():
    policy = content_security_policy(PageConfig(socket_url="https://chat.example.test:8443"))
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self' https://chat.example.test:8443 wss://chat.example.test:8443"
    assert "http:" not in policy.replace("https:", "")  # no scheme-wide allowance


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "ftp://x", "http://", "http://h:5005/?q=1", "5005"])
def test_rasa_url_must_be_a_plain_http_url(bad):
    with pytest.raises(ValueError, match="not a plain http"):
        validated_http_url(bad)


def test_external_css_imports_are_removed_from_the_bundle():
    text, removed = strip_external_css_imports(
        'a.push([e.i,"@import url(https://fonts.googleapis.com/css?family=Inter:400,500,700&display=swap);",""]);'
        ".x{background:url(data:image/png;base64,AA==)}"
    )
    assert removed == 1
    assert "googleapis" not in text and "data:image/png" in text


@pytest.fixture(scope="module")
def page_server():
    if not WIDGET_BUNDLE.is_file():
        pytest.skip("node_modules/rasa-webchat is not installed (npm ci)")
    config = PageConfig(socket_url="http://127.0.0.1:5005", brand="Lumio", products=("Aura Speaker",))
    server = make_server("127.0.0.1", 0, config)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_server_serves_the_page_with_security_headers(page_server):
    response = httpx.get(page_server + "/")
    assert response.status_code == 200
    assert "Lumio Support" in response.text and "<li>Aura Speaker</li>" in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["x-content-type-options"] == "nosniff"


def test_server_serves_the_installed_widget_without_web_fonts(page_server):
    response = httpx.get(page_server + WIDGET_PATH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "fonts.googleapis" not in response.text
    assert len(response.content) == len(load_widget_bundle()[0])


@pytest.mark.parametrize("path", ["/../pyproject.toml", "/static/../server.py", "/node_modules/x", "/static/"])
def test_server_answers_only_its_fixed_routes(page_server, path):
    response = httpx.get(page_server + path)
    assert response.status_code == 404
