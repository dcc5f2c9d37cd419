"""The service proxy transport of the health checks, against a fake API server on 127.0.0.1.

The fake responds like kube-apiserver does: it proxies nothing, but returns what the real one
returns for the paths the checks use, including a rewritten redirect and a Status object.
A real control plane is exercised by tests/live/test_health_service_proxy.py.
"""

import http.server
import json
import threading

import pytest

from ansible_collections.aigateway.litellm.plugins.module_utils.health_checks import (
    HttpResponse,
    RequestFailure,
    build_check_specs,
    evaluate,
)
from ansible_collections.aigateway.litellm.plugins.module_utils.health_http import master_key_headers
from ansible_collections.aigateway.litellm.plugins.module_utils.health_k8s import (
    ServiceTarget,
    create_api_client,
    service_port_ref,
    service_proxy_name,
)
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC

PROXY_PREFIX = "/api/v1/namespaces/litellm/services/litellm:4000/proxy"
HEALTH_PREFIX = "/api/v1/namespaces/litellm/services/litellm:health/proxy"
API_TOKEN = "api-server-token"


class FakeApiServerHandler(http.server.BaseHTTPRequestHandler):
    requests = []

    def do_GET(self):
        self.requests.append((self.path, {name.lower(): value for name, value in self.headers.items()}))
        if self.path == PROXY_PREFIX + "/metrics/":
            # kube-apiserver rewrites a backend's Location into its own proxy path.
            self.reply(307, "", {"Location": PROXY_PREFIX + "/metrics/page/"})
        elif self.path == PROXY_PREFIX + "/metrics/page/":
            self.reply(200, "# TYPE litellm_x counter\nlitellm_x_total 1\n", {})
        elif self.path == HEALTH_PREFIX + "/health/liveliness":
            self.reply(200, json.dumps("I'm alive!"), {"Content-Type": "application/json"})
        elif self.path == HEALTH_PREFIX + "/health/readiness":
            self.reply(503, json.dumps({"status": "shutting_down"}), {"Content-Type": "application/json"})
        elif self.path == PROXY_PREFIX + "/cache/ping":
            status = {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "message": 'no endpoints available for service "litellm"',
                "reason": "ServiceUnavailable",
                "code": 503,
            }
            self.reply(503, json.dumps(status), {"Content-Type": "application/json"})
        else:
            self.reply(404, "404 page not found", {})

    def reply(self, status, body, headers):
        data = body.encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def api_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeApiServerHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def target(api_server):
    params = {name: None for name in AUTH_ARG_SPEC}
    params.update(host=api_server, api_key=API_TOKEN)
    api_client = create_api_client(params)
    return ServiceTarget(
        api_client,
        "litellm",
        "litellm",
        "4000",
        health_port="health",
        key_headers=master_key_headers("sk-master", "x-litellm-api-key"),
    )


def spec(name):
    return build_check_specs([name])[0]


# ---- service port references ----


@pytest.mark.parametrize("value, expected", [(4000, "4000"), ("4001", "4001"), ("http", "http"), ("health-1", "health-1")])
def test_port_ref_accepts_number_or_name(value, expected):
    assert service_port_ref(value, "service.port") == expected


@pytest.mark.parametrize("value", [0, 70000, "Health", "-http", "a-very-long-port-name", "4000/TCP", "a--b"])
def test_port_ref_rejects_invalid(value):
    with pytest.raises(ValueError, match="^service.port: "):
        service_port_ref(value, "service.port")


def test_proxy_name_plain_http():
    assert service_proxy_name("http", "litellm", "4000") == "litellm:4000"


def test_proxy_name_with_https():
    assert service_proxy_name("https", "litellm", "4000") == "https:litellm:4000"


# ---- client configuration ----


def test_client_from_environment(monkeypatch):
    monkeypatch.setenv("K8S_AUTH_HOST", "https://127.0.0.1:6443/")
    monkeypatch.setenv("K8S_AUTH_API_KEY", "env-token")
    monkeypatch.setenv("K8S_AUTH_VERIFY_SSL", "no")
    api_client = create_api_client({name: None for name in AUTH_ARG_SPEC})
    assert api_client.configuration.host == "https://127.0.0.1:6443"
    assert api_client.configuration.api_key == {"authorization": "Bearer env-token"}
    assert api_client.configuration.verify_ssl is False


def test_client_options_override_environment(monkeypatch):
    monkeypatch.setenv("K8S_AUTH_HOST", "https://127.0.0.1:6443")
    monkeypatch.setenv("K8S_AUTH_API_KEY", "env-token")
    params = {name: None for name in AUTH_ARG_SPEC}
    params.update(host="https://127.0.0.1:7443", api_key="option-token")
    api_client = create_api_client(params)
    assert api_client.configuration.host == "https://127.0.0.1:7443"
    assert api_client.configuration.api_key == {"authorization": "Bearer option-token"}


def test_client_impersonation_headers():
    params = {name: None for name in AUTH_ARG_SPEC}
    params.update(host="https://127.0.0.1:6443", api_key="t", impersonate_user="alice")
    api_client = create_api_client(params)
    assert api_client.default_headers["Impersonate-User"] == "alice"


# ---- requests through the fake API server ----


def test_service_health_route_uses_health_port(target):
    outcome = target.send(spec("liveliness"), timeout=5)
    assert isinstance(outcome, HttpResponse)
    assert outcome.status == 200
    assert outcome.body == '"I\'m alive!"'


def test_service_sends_key_in_litellm_header(target):
    FakeApiServerHandler.requests.clear()
    target.send(spec("cache"), timeout=5)
    headers = FakeApiServerHandler.requests[0][1]
    assert headers["x-litellm-api-key"] == "sk-master"
    assert headers["authorization"] == "Bearer " + API_TOKEN


def test_service_unauthenticated_check_sends_no_key(target):
    FakeApiServerHandler.requests.clear()
    target.send(spec("liveliness"), timeout=5)
    headers = FakeApiServerHandler.requests[0][1]
    assert "x-litellm-api-key" not in headers


def test_service_proxy_error_status_is_response(target):
    outcome = target.send(spec("readiness"), timeout=5)
    assert isinstance(outcome, HttpResponse)
    assert outcome.status == 503
    assert json.loads(outcome.body) == {"status": "shutting_down"}


def test_service_api_server_status_is_failure(target):
    outcome = target.send(spec("cache"), timeout=5)
    assert isinstance(outcome, RequestFailure)
    assert outcome.reason == 'API server answered 503: no endpoints available for service "litellm"'
    assert outcome.url.endswith(PROXY_PREFIX + "/cache/ping")


def test_service_followed_redirect_reported(target):
    FakeApiServerHandler.requests.clear()
    outcome = target.send(spec("metrics"), timeout=5)
    result = evaluate(spec("metrics"), outcome)
    assert outcome.status == 307
    assert outcome.redirect_location == PROXY_PREFIX + "/metrics/page/"
    assert not result.ok
    assert len(FakeApiServerHandler.requests) == 2


def test_service_unreachable_api_server():
    params = {name: None for name in AUTH_ARG_SPEC}
    params.update(host="http://127.0.0.1:1", api_key="t")
    unreachable = ServiceTarget(create_api_client(params), "litellm", "litellm", "4000")
    outcome = unreachable.send(spec("liveliness"), timeout=2)
    assert isinstance(outcome, RequestFailure)
    assert outcome.reason == "no response from the API server: connection refused"


def test_service_describe_names_ports(target, api_server):
    assert target.describe() == (
        "Service litellm/litellm port 4000 (health routes on health) through the API server at " + api_server
    )
