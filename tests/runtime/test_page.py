"""The support page: escaping, Content-Security-Policy, the offline-safe widget bundle, the server's routes."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from bot.web.page_config import PageConfig, content_security_policy, read_catalog, render_page, validated_http_url
from bot.web.server import WIDGET_PATH, make_server
from bot.web.widget_bundle import WIDGET_BUNDLE, load_widget_bundle, strip_external_css_imports
from tests.support.rasa_servers import REPO_ROOT, free_port

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


# --- hardening: headers on errors, idle connections, clients that go away ------------------------------

SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy")


def raw_exchange(base_url: str, request: bytes, timeout: float = 10) -> bytes:
    """Send ``request`` as it is (httpx would refuse to send malformed ones) and read the whole answer."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def head_of(answer: bytes) -> tuple[int, dict[str, str]]:
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    fields = dict(line.split(":", 1) for line in head[1:])
    return int(head[0].split()[1]), {name.strip().lower(): value.strip() for name, value in fields.items()}


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n", 404),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405),
        (b"DELETE /static/chat.js HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET / HTTP/9.9\r\n\r\n", 505),
        (b"BREW / HTTP/1.1\r\nHost: x\r\n\r\n", 501),
        (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
    ],
)
def test_error_responses_carry_the_security_headers(page_server, request_bytes, status):
    code, headers = head_of(raw_exchange(page_server, request_bytes))
    assert code == status
    for name in SECURITY_HEADERS:
        assert name in headers, (status, headers)
    assert headers["content-security-policy"].startswith("default-src 'self'")
    assert headers["cache-control"] == "no-store"
    if status == 405:
        assert headers["allow"] == "GET, HEAD"


def test_an_internal_error_is_a_500_with_the_security_headers_and_one_log_line(caplog):
    """Fault injection: a route table that raises, standing in for any bug in a handler."""
    from bot.web.page_config import security_headers
    from bot.web.server import SupportPageServer, make_handler

    class ExplodingRoutes(dict):
        def get(self, *_args):
            raise RuntimeError("the route table broke")

    server = SupportPageServer(("127.0.0.1", 0), make_handler(ExplodingRoutes(), security_headers(PageConfig())))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level("ERROR", logger="bot.web"):
            response = httpx.get(f"http://127.0.0.1:{server.server_address[1]}/", timeout=10)
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 500
    assert "the route table broke" not in response.text  # the client learns nothing about the inside
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["x-frame-options"] == "DENY"
    assert any("the route table broke" in record.getMessage() or record.exc_info for record in caplog.records)


@pytest.fixture(scope="module")
def page_process(tmp_path_factory):
    """``python -m bot.web.server`` as the launcher runs it, with a 2 s idle timeout and its log in a file."""
    if not WIDGET_BUNDLE.is_file():
        pytest.skip("node_modules/rasa-webchat is not installed (npm ci)")
    log_path = tmp_path_factory.mktemp("page-process") / "web.log"
    port = free_port()
    env = {**os.environ, "CXQA_WEB_IDLE_TIMEOUT_SECONDS": "2", "PYTHONUNBUFFERED": "1"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.web.server", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.2)
    yield base, log_path
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.parametrize("sent", [b"", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"], ids=["nothing", "half a request"])
def test_an_idle_connection_is_closed_by_the_server(page_process, sent):
    base, _log = page_process
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(sent)
        opened = time.monotonic()
        try:
            closed = connection.recv(1024) == b""
        except TimeoutError:
            closed = False  # still open after 10 s: a slowloris holds a server thread forever
        waited = time.monotonic() - opened
    assert closed, "the server kept an idle connection open for 10 s"
    assert 1.5 < waited < 6, waited


def test_a_client_that_goes_away_mid_response_leaves_no_traceback_in_the_log(page_process):
    base, log_path = page_process
    host, port = base.removeprefix("http://").split(":")
    for _ in range(5):
        connection = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        connection.connect((host, int(port)))
        connection.sendall(f"GET {WIDGET_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        assert connection.recv(1024).startswith(b"HTTP/1.0 200")
        # Close with a reset (linger 0) while ~700 KB are still to be sent, as a browser tab closing does.
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
    time.sleep(1.0)
    assert httpx.get(base + "/", timeout=10).status_code == 200  # the server is fine
    log = log_path.read_text()
    for noise in ("Traceback", "BrokenPipeError", "ConnectionResetError", "Exception occurred"):
        assert noise not in log, log[-3000:]
