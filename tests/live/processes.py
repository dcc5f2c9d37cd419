"""Start and stop the real servers of the live tier: redis-server, the LiteLLM proxy and a log receiver.

Plain functions and classes with no pytest dependency, shared by tests/live and benchmarks/.
Every server binds the address it is given (127.0.0.1 unless a test made a network namespace) and
runs in its own process group, so that stop() ends it with everything it started.
"""

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import yaml
from jinja2.nativetypes import NativeEnvironment

from ansible_collections.aigateway.litellm.plugins.module_utils.settings_build import build_config

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.dirname(sys.executable)
LITELLM = os.path.join(VENV_BIN, "litellm")
ROLE_DEFAULTS = os.path.join(REPO_ROOT, "roles", "litellm", "defaults", "main.yml")

# The proxy took about 5 to 6.5 s to answer /health/liveliness on a 2-core test machine
# (benchmarks/health_poll_latency.py). The generous limit keeps a loaded CI machine from failing the tier.
PROXY_START_TIMEOUT = 120
REDIS_START_TIMEOUT = 10
MASTER_KEY = "sk-live-tier-master-key"
MOCK_MODEL = "mock-gpt"
MOCK_REPLY = "This is a mock reply."


def free_port(host="127.0.0.1"):
    """Return a TCP port that was free on ``host`` a moment ago."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class ManagedProcess:
    """A server started in its own process group, with its output in a log file."""

    def __init__(self, name, command, log_path, env=None, netns=None):
        self.name = name
        self.log_path = log_path
        if netns:
            command = ["ip", "netns", "exec", netns] + list(command)
        self.command = command
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )

    @property
    def pid(self):
        return self.process.pid

    def running(self):
        return self.process.poll() is None

    def log_tail(self, lines=40):
        """Return the last lines of the process's output, for failure messages."""
        try:
            with open(self.log_path, "r", encoding="utf-8", errors="replace") as log:
                return "".join(log.readlines()[-lines:])
        except FileNotFoundError:
            return ""

    def kill(self):
        """Kill the whole process group at once (SIGKILL), as a crash would."""
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout=10):
        """Stop the process group with SIGTERM, then SIGKILL after ``timeout`` seconds."""
        if not self.running():
            self._signal_group(signal.SIGKILL)
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.process.wait(timeout=10)
        # Children that ignored SIGTERM or outlived the leader.
        self._signal_group(signal.SIGKILL)

    def _signal_group(self, signum):
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass


def wait_until(condition, timeout, interval=0.1, process=None, what="the condition"):
    """Call ``condition`` until it returns a true value and return that value.

    Raises RuntimeError when ``process`` exits first, with its log, and TimeoutError after
    ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if process is not None and not process.running():
            raise RuntimeError(
                "%s exited with code %s while waiting for %s; its output ends with:\n%s"
                % (process.name, process.process.returncode, what, process.log_tail())
            )
        if time.monotonic() > deadline:
            tail = process.log_tail() if process is not None else ""
            raise TimeoutError("timed out after %s s waiting for %s\n%s" % (timeout, what, tail))
        time.sleep(interval)


# ---- redis-server ----


class RedisServer(ManagedProcess):
    """redis-server without persistence, bound to one address.

    With ``password`` the server requires AUTH (``--requirepass``), and ping() and command_reply()
    authenticate first.
    """

    def __init__(self, workdir, host="127.0.0.1", port=None, netns=None, password=None):
        self.host = host
        self.port = port or free_port()
        self.password = password
        command = [
            "redis-server",
            "--port", str(self.port),
            "--bind", host,
            "--save", "",
            "--appendonly", "no",
            "--dir", workdir,
            "--protected-mode", "no",
        ]
        if password:
            command += ["--requirepass", password]
        super().__init__("redis-server", command, os.path.join(workdir, "redis-%d.log" % self.port), netns=netns)
        wait_until(self.ping, REDIS_START_TIMEOUT, process=self, what="redis-server to answer PING")

    def ping(self):
        """Return True when the server replies PONG to PING."""
        try:
            return self.command_reply(b"PING") == b"+PONG"
        except OSError:
            return False

    def command_reply(self, *words):
        """Send one command in the Redis protocol and return the first line of the reply.

        On a server with a password, a failed AUTH returns the AUTH error line instead.
        """
        commands = [words]
        if self.password:
            commands.insert(0, (b"AUTH", self.password.encode()))
        request = b"".join(_encode_command(command) for command in commands)
        with socket.create_connection((self.host, self.port), timeout=2) as sock:
            sock.sendall(request)
            replies = sock.makefile("rb")
            if self.password:
                auth_reply = replies.readline().rstrip(b"\r\n")
                if auth_reply != b"+OK":
                    return auth_reply
            return replies.readline().rstrip(b"\r\n")


def _encode_command(words):
    return b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(w), w) for w in words)


# ---- the LiteLLM proxy's config ----


def load_default_fragments(redis_host, redis_port):
    """Return the role's litellm_default_fragments with its Jinja values filled in.

    Only the variables the defaults use for the fragments are given (litellm_redis_host and
    litellm_redis_port). NativeEnvironment keeps "{{ x | int }}" an integer, as Ansible does.
    """
    with open(ROLE_DEFAULTS, "r", encoding="utf-8") as handle:
        defaults = yaml.safe_load(handle)
    variables = {"litellm_redis_host": redis_host, "litellm_redis_port": str(redis_port)}
    return _render_templates(defaults["litellm_default_fragments"], NativeEnvironment(), variables)


def _render_templates(value, environment, variables):
    if isinstance(value, dict):
        return {key: _render_templates(item, environment, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [_render_templates(item, environment, variables) for item in value]
    if isinstance(value, str) and "{{" in value:
        return environment.from_string(value).render(**variables)
    return value


def live_fragment(callbacks=("generic_api",)):
    """Return the fragment the live tier adds: a mock model and the generic_api logging callback."""
    return {
        "name": "live-test",
        "settings": {
            "model_list": [
                {"model_name": MOCK_MODEL, "litellm_params": {"model": "openai/" + MOCK_MODEL, "mock_response": MOCK_REPLY}}
            ],
            "litellm_settings": {"callbacks": list(callbacks)},
        },
    }


def build_proxy_config(redis_host, redis_port, extra_fragments=()):
    """Merge the role's default fragments and ``extra_fragments`` with the collection's merge code.

    Returns the BuildResult. Its ``errors`` list is empty when the merge module would accept the
    settings. The collection's defaults need a database (store_model_in_db); the live tier runs
    without one, which LiteLLM 1.108.0 accepts when DATABASE_URL is unset.
    """
    fragments = load_default_fragments(redis_host, redis_port) + list(extra_fragments)
    return build_config(None, fragments, strict=True)


def write_config(config, path):
    """Write a config mapping as YAML and return the path."""
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(config, handle, sort_keys=False)
    return path


# ---- the LiteLLM proxy ----


class LiteLLMProxy(ManagedProcess):
    """The pip-installed LiteLLM proxy, started with ``litellm --config``."""

    def __init__(self, config_path, workdir, master_key, host="127.0.0.1", port=None, env=None, netns=None,
                 wait=True):
        self.host = host
        self.port = port or free_port()
        self.master_key = master_key
        self.url = "http://%s:%d" % (host, self.port)
        command = [LITELLM, "--config", config_path, "--host", host, "--port", str(self.port)]
        super().__init__("litellm", command, os.path.join(workdir, "litellm-%d.log" % self.port),
                         env=proxy_environment(master_key, env), netns=netns)
        if wait:
            self.wait_until_alive()

    def wait_until_alive(self, timeout=PROXY_START_TIMEOUT):
        """Wait until /health/liveliness returns 200 and return the seconds waited."""
        started = time.monotonic()
        wait_until(self.alive, timeout, interval=0.1, process=self, what="the proxy to answer /health/liveliness")
        return time.monotonic() - started

    def alive(self):
        return http_get(self.url + "/health/liveliness")[0] == 200


def proxy_environment(master_key, extra=None):
    """Return the proxy's environment: this one without a database, plus the master key.

    LITELLM_LOCAL_MODEL_COST_MAP keeps the proxy from downloading its cost map. DATABASE_URL is
    removed because with it the proxy downloads Prisma engines at start-up and exits without network.
    The generic_api logger sends each logged request at once instead of in batches.
    """
    env = {name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "DIRECT_URL")}
    env.update(
        LITELLM_MASTER_KEY=master_key,
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        DEFAULT_BATCH_SIZE="1",
        DEFAULT_FLUSH_INTERVAL_SECONDS="1",
        NO_PROXY="*",
        no_proxy="*",
    )
    env.update(extra or {})
    return env


def http_get(url, headers=None, timeout=5):
    """GET ``url`` and return (status, body text). The status is None when the connection failed."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", errors="replace")
    except (urllib.error.URLError, OSError):
        return None, ""


# ---- the generic_api log receiver ----


class LogReceiver:
    """An HTTP server in a thread that stores every JSON body POSTed to it (the generic_api callback)."""

    def __init__(self, host="127.0.0.1"):
        self.payloads = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver._store(body)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.url = "http://%s:%d/log" % (host, self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, name="log-receiver", daemon=True)
        self.thread.start()

    def _store(self, body):
        try:
            value = json.loads(body)
        except ValueError:
            value = {"unparsed": body.decode("utf-8", errors="replace")}
        # The generic_api logger sends a JSON array of logged requests by default.
        entries = value if isinstance(value, list) else [value]
        with self._lock:
            self.payloads.extend(entries)

    def logged_requests(self):
        with self._lock:
            return list(self.payloads)

    def wait_for(self, predicate, timeout=20):
        """Return the first logged request for which ``predicate`` is true, waiting up to ``timeout`` s."""
        def find():
            return next((entry for entry in self.logged_requests() if predicate(entry)), None)

        return wait_until(find, timeout, interval=0.2, what="a matching request at the generic_api receiver")

    def close(self):
        self.server.shutdown()
        self.server.server_close()
