"""The URL transport of the health checks against a small HTTP server on 127.0.0.1."""

import http.server
import json
import socket
import threading

import pytest

from ansible_collections.aigateway.litellm.plugins.module_utils.health_checks import (
    HttpResponse,
    RequestFailure,
    build_check_specs,
)
from ansible_collections.aigateway.litellm.plugins.module_utils.health_http import (
    UrlTarget,
    master_key_headers,
)


class FakeProxyHandler(http.server.BaseHTTPRequestHandler):
    """Serves the routes the checks request, and records the headers of every request."""

    requests = []

    def do_GET(self):
        self.requests.append((self.path, {name.lower(): value for name, value in self.headers.items()}))
        if self.path == "/metrics/":
            self.reply(307, b"", {"Location": "http://127.0.0.1:1/elsewhere/"})
        elif self.path == "/health/liveliness":
            self.reply(200, json.dumps("I'm alive!").encode(), {"Content-Type": "application/json"})
        elif self.path == "/cache/ping":
            body = json.dumps({"error": {"message": "Authentication Error, Received API Key = sk-secret"}})
            self.reply(401, body.encode(), {"Content-Type": "application/json"})
        elif self.path == "/health/readiness":
            self.reply(503, b"x" * 20000, {"Content-Type": "text/plain"})
        else:
            self.reply(404, b"not found", {})

    def reply(self, status, body, headers):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def fake_proxy():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeProxyHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def spec(name):
    return build_check_specs([name])[0]


def unused_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_master_key_in_authorization_header():
    assert master_key_headers("sk-1", "authorization") == {"Authorization": "Bearer sk-1"}


def test_master_key_in_litellm_header():
    assert master_key_headers("sk-1", "x-litellm-api-key") == {"x-litellm-api-key": "sk-1"}


def test_master_key_absent_sends_nothing():
    assert master_key_headers(None, "authorization") == {}


def test_master_key_unknown_header_rejected():
    with pytest.raises(ValueError, match="unknown master key header"):
        master_key_headers("sk-1", "x-api-key")


def test_url_get_returns_response(fake_proxy):
    outcome = UrlTarget(fake_proxy).send(spec("liveliness"), timeout=5)
    assert isinstance(outcome, HttpResponse)
    assert outcome.status == 200
    assert outcome.body == '"I\'m alive!"'
    assert outcome.headers["content-type"] == "application/json"


def test_url_redirect_not_followed(fake_proxy):
    outcome = UrlTarget(fake_proxy).send(spec("metrics"), timeout=5)
    assert outcome.status == 307
    assert outcome.redirect_location == "http://127.0.0.1:1/elsewhere/"


def test_url_error_status_keeps_body(fake_proxy):
    outcome = UrlTarget(fake_proxy).send(spec("readiness"), timeout=5)
    assert outcome.status == 503
    assert len(outcome.body) == 20000


def test_url_key_sent_only_to_authenticated_checks(fake_proxy):
    target = UrlTarget(fake_proxy, key_headers=master_key_headers("sk-secret", "authorization"))
    FakeProxyHandler.requests.clear()
    target.send(spec("liveliness"), timeout=5)
    target.send(spec("cache"), timeout=5)
    liveliness_headers = FakeProxyHandler.requests[0][1]
    cache_headers = FakeProxyHandler.requests[1][1]
    assert "authorization" not in liveliness_headers
    assert cache_headers["authorization"] == "Bearer sk-secret"


def test_url_body_has_key_redacted(fake_proxy):
    target = UrlTarget(fake_proxy, key_headers=master_key_headers("sk-secret", "authorization"), secret="sk-secret")
    outcome = target.send(spec("cache"), timeout=5)
    assert outcome.status == 401
    assert "sk-secret" not in outcome.body
    assert "Received API Key = ********" in outcome.body


def test_url_health_routes_use_health_url(fake_proxy):
    target = UrlTarget("http://127.0.0.1:1", health_url=fake_proxy)
    assert target.request_url(spec("liveliness")) == fake_proxy + "/health/liveliness"
    assert target.request_url(spec("cache")) == "http://127.0.0.1:1/cache/ping"


def test_url_trailing_slash_ignored():
    target = UrlTarget("http://127.0.0.1:4000/")
    assert target.request_url(spec("metrics")) == "http://127.0.0.1:4000/metrics/"


def test_url_connection_refused():
    url = "http://127.0.0.1:%d" % unused_port()
    outcome = UrlTarget(url).send(spec("liveliness"), timeout=5)
    assert isinstance(outcome, RequestFailure)
    assert outcome.reason == "connection refused"
    assert outcome.url == url + "/health/liveliness"


def test_url_read_timeout():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = "http://127.0.0.1:%d" % listener.getsockname()[1]
        outcome = UrlTarget(url).send(spec("liveliness"), timeout=0.3)
    assert isinstance(outcome, RequestFailure)
    assert outcome.reason == "timed out after 0.3 s waiting for a response"


def test_url_closed_without_response():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = "http://127.0.0.1:%d" % listener.getsockname()[1]

        def accept_and_close():
            connection = listener.accept()[0]
            connection.recv(1024)
            connection.close()

        thread = threading.Thread(target=accept_and_close)
        thread.start()
        outcome = UrlTarget(url).send(spec("liveliness"), timeout=5)
        thread.join()
    assert isinstance(outcome, RequestFailure)
    assert outcome.reason == "connection closed without a response"


def test_url_describe_names_both_urls():
    target = UrlTarget("http://127.0.0.1:4000", health_url="http://127.0.0.1:4001")
    assert target.describe() == "http://127.0.0.1:4000 (health routes at http://127.0.0.1:4001)"
