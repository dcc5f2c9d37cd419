"""Helpers that run the real proxy from the ConfigMap and Deployment that site.yml renders.

render_site() runs site.yml in render mode. RenderedLiteLLM reads the LiteLLM ConfigMap and Deployment
it wrote and builds the proxy's environment from the Deployment's env entries: literal values are
copied and every Secret reference gets a test value. The loopback stand-ins for S3 (a PUT recorder
and a closed port) and the decryption of response IDs are here as well.
"""

import base64
import hashlib
import http.server
import os
import socket
import threading

import nacl.exceptions
import nacl.secret
import yaml

from helpers.playbooks import REPO_ROOT, run_playbook

SITE = os.path.join(REPO_ROOT, "site.yml")
# Render mode must not contact a cluster: these point at nothing, so any API call would fail the run.
NO_CLUSTER_ENV = {"KUBECONFIG": "/nonexistent/kubeconfig", "K8S_AUTH_HOST": "https://127.0.0.1:9"}
CONFIG_MAP = "litellm/configmap-litellm-config.yaml"
DEPLOYMENT = "litellm/deployment-litellm.yaml"
MERGE_TASK = "Merge and validate the LiteLLM settings fragments"


def render_site(directory, extra_vars):
    """Run site.yml in render mode into ``directory`` and return the PlaybookRun."""
    variables = {"aigateway_mode": "render", "aigateway_render_dir": str(directory)}
    variables.update(extra_vars)
    return run_playbook(SITE, extra_vars=variables, env=NO_CLUSTER_ENV)


class RenderedLiteLLM:
    """The LiteLLM ConfigMap and Deployment of one site.yml render."""

    def __init__(self, directory, run):
        self.directory = str(directory)
        self.run = run
        self.config_text = None
        self.config = None
        self.deployment = None
        if run.returncode == 0:
            config_map = _load_yaml(os.path.join(self.directory, CONFIG_MAP))
            self.config_text = config_map["data"]["proxy_server_config.yaml"]
            self.config = yaml.safe_load(self.config_text)
            self.deployment = _load_yaml(os.path.join(self.directory, DEPLOYMENT))

    @property
    def ok(self):
        return self.run.returncode == 0

    def failure(self):
        """Return the end of the playbook output, for assertion messages."""
        return self.run.stdout[-4000:] + self.run.stderr[-2000:]

    @property
    def replicas(self):
        return self.deployment["spec"]["replicas"]

    @property
    def container(self):
        return self.deployment["spec"]["template"]["spec"]["containers"][0]

    def env_entries(self):
        return self.container.get("env", [])

    def secret_env_names(self):
        """Return the names of the env vars that the Deployment fills from Secret keys."""
        return [entry["name"] for entry in self.env_entries() if "valueFrom" in entry]

    def merge_warnings(self):
        return self.run.task_result(MERGE_TASK).get("warnings", [])

    def proxy_env(self, secret_values, left_unset=()):
        """Return the environment the Deployment gives the proxy container, with test values for Secrets.

        Literal ``value`` entries are copied. A Secret-sourced entry gets ``secret_values[name]``, or is
        left out when its name is in ``left_unset``. A Secret-sourced entry with neither raises KeyError,
        so a Secret reference that the role adds later cannot be skipped without a decision.
        """
        assert not self.container.get("envFrom"), "envFrom Secrets are not supported by this helper"
        env = {}
        for entry in self.env_entries():
            name = entry["name"]
            if "value" in entry:
                env[name] = entry["value"]
            elif name in left_unset:
                continue
            elif name in secret_values:
                env[name] = secret_values[name]
            else:
                raise KeyError("no test value for %s, which the Deployment fills from %s; add one to "
                               "secret_values or name it in left_unset" % (name, entry["valueFrom"]))
        return env


def _load_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


class ClosedPort:
    """A loopback TCP port that refuses connections.

    The socket is bound, so no other process gets the port. It never listens, so Linux rejects every
    connection attempt with a reset (ECONNREFUSED).
    """

    def __init__(self, host="127.0.0.1"):
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((host, 0))
        self.host = host
        self.port = self._socket.getsockname()[1]
        self.url = "http://%s:%d" % (host, self.port)

    def close(self):
        self._socket.close()


class ObjectStoreReceiver:
    """An HTTP server in a thread that stores every PUT request and returns 200, as S3 does.

    Each stored request is a dict with ``path``, ``headers`` (names in lower case) and ``body``.
    After close() the port refuses connections.
    """

    def __init__(self, host="127.0.0.1"):
        self.requests = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_PUT(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                with receiver._lock:
                    receiver.requests.append({"path": self.path, "headers": headers, "body": body})
                self.send_response(200)
                self.send_header("ETag", '"%s"' % hashlib.md5(body).hexdigest())
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.host = host
        self.port = self.server.server_address[1]
        self.url = "http://%s:%d" % (host, self.port)
        self.thread = threading.Thread(target=self.server.serve_forever, name="object-store", daemon=True)
        self.thread.start()
        self._closed = False

    def stored_requests(self):
        with self._lock:
            return list(self.requests)

    def close(self):
        if self._closed:
            return
        self._closed = True
        self.server.shutdown()
        self.server.server_close()


def open_secret_box(ciphertext, key):
    """Return the text that LiteLLM 1.108.0 encrypted under ``key``, or None when ``key`` does not open it.

    With general_settings.encryption_algorithm unset, LiteLLM 1.108.0 encrypts with NaCl's SecretBox
    (XSalsa20-Poly1305) under the SHA-256 digest of the salt key (LITELLM_SALT_KEY, else the master
    key) and writes the result as URL-safe base64 (litellm/proxy/common_utils/encrypt_decrypt_utils.py).
    """
    box = nacl.secret.SecretBox(hashlib.sha256(key.encode("utf-8")).digest())
    try:
        return box.decrypt(base64.urlsafe_b64decode(ciphertext)).decode("utf-8")
    except (nacl.exceptions.CryptoError, ValueError):
        return None
