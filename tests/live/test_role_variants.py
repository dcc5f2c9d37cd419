"""The real proxy runs each variant of the litellm role from the manifests that site.yml renders.

Every variant is one site.yml run in render mode with -e variables. The proxy reads the ConfigMap's
proxy_server_config.yaml unchanged, and its environment has the env entries of the rendered
Deployment, with test values where the Deployment reads a Secret. The only substitutions are
addresses, and the role's own variables make them. litellm_redis_host and litellm_redis_port point the
cache and the router at the test's redis-server. A settings fragment in litellm_settings_fragments
adds the mock models, whose api_base is a closed loopback port. For cold storage, a second fragment
sets s3_callback_params.s3_endpoint_url to a loopback PUT recorder, which a test closes later.

What differs from the pod: the proxy runs from the pip package on 127.0.0.1 and a free port, so the
Deployment's SEPARATE_HEALTH_APP and SEPARATE_HEALTH_PORT are passed but unused (only the image's
start-up script reads them). DATABASE_URL stays unset: with it, LiteLLM 1.108.0 downloads Prisma
engines at start-up and exits without network, while it serves the designed settings without a
database. A few variants add test-only variables, listed with each variant.

One module fixture renders the variants two at a time in a background thread and starts each
variant's proxies as soon as its render is done, so the first tests run while later variants render.
"""

import base64
import json
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed

import pytest
import redis

from processes import (
    MASTER_KEY,
    MOCK_MODEL,
    MOCK_REPLY,
    PROXY_START_TIMEOUT,
    LiteLLMProxy,
    RedisServer,
    http_get,
    wait_until,
)
from rendered_role import ClosedPort, ObjectStoreReceiver, RenderedLiteLLM, open_secret_box, render_site

pytestmark = pytest.mark.live

# Each render is CPU-bound (12.6 s of wall time in one run on a 2-core machine), so two at a time keep
# both cores busy.
RENDER_WORKERS = 2
# Seconds a test waits for its variant's render, which may queue behind the other renders.
RENDER_TIMEOUT = 600

SALT_KEY = "live-tier-salt-key"
REDIS_PASSWORD = "live-tier-redis-password"
S3_BUCKET = "live-tier-cold-storage"
S3_REGION = "eu-north-1"
S3_ACCESS_KEY_ID = "AKIALIVETIERTEST0000"
# Test values for every env var that the rendered Deployment fills from a Secret key.
SECRET_VALUES = {
    "LITELLM_MASTER_KEY": MASTER_KEY,
    "LITELLM_SALT_KEY": SALT_KEY,
    "REDIS_PASSWORD": REDIS_PASSWORD,
    "LITELLM_S3_BUCKET_NAME": S3_BUCKET,
    "LITELLM_S3_REGION_NAME": S3_REGION,
    "LITELLM_S3_ACCESS_KEY_ID": S3_ACCESS_KEY_ID,
    "LITELLM_S3_SECRET_ACCESS_KEY": "live-tier-secret-access-key",
}
LEFT_UNSET = ("DATABASE_URL",)

# A second mock model with a requests-per-minute limit, for the shared router state test.
LIMITED_MODEL = "mock-gpt-limited"
LIMITED_RPM = 3
HEALTH_CHECK_INTERVAL = 10
# The id of the result that LiteLLM 1.108.0 returns for a Responses API request on a model with
# mock_response (mock_responses_api_response in litellm/responses/main.py).
MOCK_RESPONSE_ID = "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b"
MANAGED_RESPONSE_ID_PREFIX = "litellm_proxy:responses_api:response_id:"


class Variant:
    """One role variant: the -e variables of its render, its rendered manifests and its proxies."""

    def __init__(self, name, extra_vars, extra_env=None):
        self.name = name
        self.extra_vars = extra_vars
        # Test-only variables added to the Deployment's environment, such as shorter flush intervals.
        self.extra_env = extra_env or {}
        self.rendered = None
        self.render_error = None
        self.proxies = []
        # Set once the render has finished and the proxies have been started (or the render failed).
        self.ready = threading.Event()

    def config_path(self, workdir):
        return os.path.join(workdir, "variant-%s.yaml" % self.name)

    def start_proxy(self, workdir, left_unset=LEFT_UNSET):
        """Start one proxy from the rendered config and the Deployment's environment, without waiting."""
        path = self.config_path(workdir)
        if not os.path.exists(path):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(self.rendered.config_text)
        env = self.rendered.proxy_env(SECRET_VALUES, left_unset=left_unset)
        env.update(self.extra_env)
        proxy = LiteLLMProxy(path, workdir, MASTER_KEY, env=env, wait=False)
        self.proxies.append(proxy)
        return proxy

    def wait_rendered(self):
        """Wait for the render and return the RenderedLiteLLM. Fail the test when site.yml failed."""
        assert self.ready.wait(RENDER_TIMEOUT), "variant %s was not rendered within %d s" % (self.name, RENDER_TIMEOUT)
        assert self.render_error is None, "rendering variant %s raised %r" % (self.name, self.render_error)
        assert self.rendered.ok, "site.yml failed to render variant %s:\n%s" % (self.name, self.rendered.failure())
        return self.rendered

    def started(self, index=0):
        """Return proxy ``index`` once its /health/liveliness returns 200."""
        self.wait_rendered()
        proxy = self.proxies[index]
        proxy.wait_until_alive()
        return proxy


def variant_plan(shared_redis, password_redis, closed_port, object_store):
    redis_address = {"litellm_redis_host": shared_redis.host, "litellm_redis_port": shared_redis.port}
    mock_models = {"name": "live-mock-models", "settings": {"model_list": [
        {"model_name": MOCK_MODEL,
         "litellm_params": {"model": "openai/" + MOCK_MODEL, "mock_response": MOCK_REPLY, "api_base": closed_port.url}},
        {"model_name": LIMITED_MODEL,
         "litellm_params": {"model": "openai/" + LIMITED_MODEL, "mock_response": MOCK_REPLY, "api_base": closed_port.url,
                            "rpm": LIMITED_RPM}},
    ]}}

    def with_fragments(*fragments, **extra_vars):
        variables = dict(redis_address, litellm_settings_fragments=[mock_models] + list(fragments))
        variables.update(extra_vars)
        return variables

    s3_endpoint = {"name": "live-s3-endpoint",
                   "settings": {"litellm_settings": {"s3_callback_params": {"s3_endpoint_url": object_store.url}}}}
    embedding_model = {"name": "live-embedding-model", "settings": {"model_list": [
        {"model_name": "mock-embedding",
         "litellm_params": {"model": "openai/text-embedding-3-small", "api_base": closed_port.url}}]}}
    return [
        # The role's defaults with background health checks on at a short interval, and two replicas.
        # LITELLM_LOG=INFO makes the proxy log the start of its background health check loop.
        Variant("defaults", with_fragments(litellm_background_health_checks=True,
                                           litellm_health_check_interval=HEALTH_CHECK_INTERVAL,
                                           litellm_replicas=2),
                extra_env={"LITELLM_LOG": "INFO"}),
        # Two independent settings share a render to keep the module's run time down. So do the next two.
        Variant("salt-key-redis-password",
                dict(with_fragments(litellm_salt_key_secret={"name": "litellm-salt", "key": "salt"},
                                    redis_password_secret={"name": "redis-auth", "key": "password"}),
                     litellm_redis_port=password_redis.port)),
        Variant("id-security-off-cache-none",
                with_fragments(litellm_disable_responses_id_security=True, litellm_cache_type="none")),
        # The S3 logger uploads every request at once instead of every 10 s in batches of 512.
        Variant("cold-storage", with_fragments(s3_endpoint, litellm_cold_storage=True),
                extra_env={"DEFAULT_S3_FLUSH_INTERVAL_SECONDS": "1", "DEFAULT_S3_BATCH_SIZE": "1",
                           "AWS_EC2_METADATA_DISABLED": "true"}),
        Variant("qdrant-semantic", with_fragments(embedding_model, litellm_cache_type="qdrant-semantic",
                                                  litellm_qdrant_api_base=closed_port.url,
                                                  litellm_qdrant_embedding_model="mock-embedding")),
    ]


class DeployedVariants:
    """The planned variants and the servers they share, rendered and started in a background thread."""

    def __init__(self, variants, shared_redis, object_store):
        self.by_name = {variant.name: variant for variant in variants}
        self.shared_redis = shared_redis
        self.object_store = object_store

    def __getitem__(self, name):
        return self.by_name[name]

    def render_and_start(self, workdir):
        """Render every variant, RENDER_WORKERS at a time, and start its proxies as soon as it is rendered.

        The Deployment's replica count is the number of proxies. A variant whose Deployment reads
        REDIS_PASSWORD gets one more proxy without it.
        """
        with ThreadPoolExecutor(max_workers=RENDER_WORKERS) as pool:
            renders = {
                pool.submit(render_site, self._render_dir(workdir, variant), variant.extra_vars): variant
                for variant in self.by_name.values()
            }
            for future in as_completed(renders):
                variant = renders[future]
                try:
                    variant.rendered = RenderedLiteLLM(self._render_dir(workdir, variant), future.result())
                    if variant.rendered.ok:
                        for _replica in range(variant.rendered.replicas):
                            variant.start_proxy(workdir)
                        if "REDIS_PASSWORD" in variant.rendered.secret_env_names():
                            variant.start_proxy(workdir, left_unset=LEFT_UNSET + ("REDIS_PASSWORD",))
                except Exception as error:  # noqa: BLE001  # The variant's tests report it.
                    variant.render_error = error
                finally:
                    variant.ready.set()

    @staticmethod
    def _render_dir(workdir, variant):
        return os.path.join(workdir, "render-" + variant.name)

    def stop(self):
        for variant in self.by_name.values():
            for proxy in variant.proxies:
                proxy.stop()


@pytest.fixture(scope="module")
def variants(live_workdir, shared_redis):
    """The role variants; tests start while later variants are still rendering."""
    password_redis = RedisServer(live_workdir, password=REDIS_PASSWORD)
    closed_port = ClosedPort()
    object_store = ObjectStoreReceiver()
    deployed = DeployedVariants(variant_plan(shared_redis, password_redis, closed_port, object_store),
                                shared_redis, object_store)
    starter = threading.Thread(target=deployed.render_and_start, args=(live_workdir,), name="render-variants")
    starter.start()
    try:
        yield deployed
    finally:
        # No proxy may start after the teardown, so the renders finish first.
        starter.join()
        deployed.stop()
        object_store.close()
        closed_port.close()
        password_redis.stop()


# ---- requests ----


def post_json(url, payload, timeout=30):
    """POST ``payload`` as JSON with the master key and return (status, parsed body or text)."""
    request = urllib.request.Request(url, data=json.dumps(payload).encode("utf-8"), method="POST", headers={
        "Content-Type": "application/json", "Authorization": "Bearer " + MASTER_KEY})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, text = response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode("utf-8", errors="replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def chat(proxy, content=None, model=MOCK_MODEL):
    """Send one chat completion with a prompt unique to this call unless ``content`` is given."""
    content = content or "Hello %s" % uuid.uuid4().hex
    return post_json(proxy.url + "/chat/completions", {"model": model, "messages": [{"role": "user", "content": content}]})


def create_response(proxy):
    return post_json(proxy.url + "/v1/responses", {"model": MOCK_MODEL, "input": "Hello %s" % uuid.uuid4().hex})


def get_json(proxy, path):
    status, body = http_get(proxy.url + path, headers={"Authorization": "Bearer " + MASTER_KEY}, timeout=15)
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


def assert_serves(proxy):
    """Check readiness and one chat completion on the mock model."""
    status, readiness = get_json(proxy, "/health/readiness")
    assert status == 200, readiness
    assert readiness["status"] == "healthy"

    status, reply = chat(proxy)
    assert status == 200, reply
    assert reply["choices"][0]["message"]["content"] == MOCK_REPLY


def log_text(proxy):
    with open(proxy.log_path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def wait_for_log(proxy, text, timeout=30):
    wait_until(lambda: text in log_text(proxy), timeout, interval=0.5, what="%r in %s" % (text, proxy.log_path))


def plain_base64(value):
    """Decode standard base64 that may lack its padding. Return None when ``value`` is not base64 text."""
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("utf-8")
    except ValueError:
        return None


# ---- defaults: throughput settings and two replicas ----


def test_defaults_config_carries_throughput_settings(variants):
    rendered = variants["defaults"].wait_rendered()
    config = rendered.config

    assert config["router_settings"]["routing_strategy"] == "usage-based-routing-v2"
    assert config["general_settings"]["database_connection_pool_limit"] == 10
    assert config["general_settings"]["background_health_checks"] is True
    assert config["general_settings"]["health_check_interval"] == HEALTH_CHECK_INTERVAL
    assert config["litellm_settings"]["cache_params"] == {
        "type": "redis", "host": variants.shared_redis.host, "port": variants.shared_redis.port}
    assert rendered.replicas == 2
    assert sorted(rendered.secret_env_names()) == ["DATABASE_URL", "LITELLM_MASTER_KEY"]


def test_defaults_replicas_start_and_serve(variants):
    variant = variants["defaults"]
    for index in range(2):
        assert_serves(variant.started(index))


def test_defaults_background_health_checks_run(variants):
    proxy = variants["defaults"].started(0)
    # The loop logs the interval it read from general_settings.health_check_interval when it starts.
    wait_for_log(proxy, "background_health_check_loop_started interval_seconds=%d" % HEALTH_CHECK_INTERVAL)

    status, health = get_json(proxy, "/health")
    assert status == 200, health
    assert MOCK_MODEL in [endpoint["model"].split("/")[-1] for endpoint in health["healthy_endpoints"]]


def rpm_counters(client):
    """Return the usage-based-routing-v2 request counters of the limited model: {key: count}.

    The router of LiteLLM 1.108.0 also keeps its own per-minute count under global_router:<id>:...,
    which reaches Redis sooner. The routing strategy reads only the key without that prefix.
    """
    counters = {}
    for key in client.scan_iter(match="*:openai/%s:rpm:*" % LIMITED_MODEL):
        name = key.decode()
        if not name.startswith("global_router:"):
            counters[name] = int(client.get(key) or 0)
    return counters


def test_replicas_share_rpm_limit_through_redis(variants):
    """A replica that has served nothing turns a request away because of the other replica's usage.

    usage-based-routing-v2 counts requests per deployment and UTC minute in memory, pushes the
    increments to Redis about once a second and reads a counter from Redis when it has none in
    memory. In LiteLLM 1.108.0 it picks a deployment only while its count + 1 < rpm, so a limit of 3
    admits 2.
    """
    first = variants["defaults"].started(0)
    second = variants["defaults"].started(1)
    client = redis.Redis(host=variants.shared_redis.host, port=variants.shared_redis.port)
    # Start early in a minute so that every request lands in one counter window. No other test
    # uses the limited model, so the window starts at zero.
    seconds = time.gmtime().tm_sec
    if seconds > 40:
        time.sleep(61 - seconds)

    admitted = LIMITED_RPM - 1
    for _request in range(admitted):
        status, reply = chat(first, model=LIMITED_MODEL)
        assert status == 200, reply
    wait_until(lambda: admitted in rpm_counters(client).values(), 15, interval=0.2,
               what="the first replica's request count in Redis")

    # Without num_retries 0 the router retries the rejected request, and in a trial run the reply took
    # longer than the client's 30 s timeout.
    status, reply = post_json(second.url + "/chat/completions", {
        "model": LIMITED_MODEL, "num_retries": 0,
        "messages": [{"role": "user", "content": "Hello %s" % uuid.uuid4().hex}]})
    assert status == 429, reply
    assert "No deployments available" in json.dumps(reply)
    # The reply shortens the message, so the count comes from the replica's log, which has it in full.
    count_pattern = re.compile(r"'current_rpm': ([0-9.]+), 'rpm_limit': %d" % LIMITED_RPM)
    seen = wait_until(lambda: count_pattern.findall(log_text(second)), 10, interval=0.2,
                      what="the second replica's log of the rpm count")
    assert float(seen[-1]) == admitted


def test_replicas_share_response_cache(variants):
    first = variants["defaults"].started(0)
    second = variants["defaults"].started(1)
    prompt = "cached across replicas %s" % uuid.uuid4().hex
    client = redis.Redis(host=variants.shared_redis.host, port=variants.shared_redis.port)

    status, first_reply = chat(first, content=prompt)
    assert status == 200, first_reply

    def cached():
        return any(first_reply["id"].encode() in (client.get(key) or b"")
                   for key in client.scan_iter(count=1000) if client.type(key) == b"string")

    wait_until(cached, 15, interval=0.2, what="the first replica's answer in the Redis cache")
    status, second_reply = chat(second, content=prompt)
    assert status == 200, second_reply
    assert second_reply["id"] == first_reply["id"]


# ---- Responses API ID security and the salt key ----


def managed_response_id(response_id, key):
    """Decrypt a proxy response id with ``key`` and return the text, or None when the key does not fit."""
    assert response_id.startswith("resp_"), response_id
    return open_secret_box(response_id[len("resp_"):], key)


def assert_managed_id_wraps_mock_id(plaintext):
    # litellm_proxy:responses_api:response_id:<routing id>;user_id:<user>;team_id:<team>, where the
    # routing id is resp_ and base64 of the provider, the deployment and the provider's response id.
    assert plaintext.startswith(MANAGED_RESPONSE_ID_PREFIX), plaintext
    routing_id = plaintext[len(MANAGED_RESPONSE_ID_PREFIX):].split(";")[0]
    assert MOCK_RESPONSE_ID in plain_base64(routing_id[len("resp_"):])


def test_response_id_encrypted_with_master_key(variants):
    variant = variants["defaults"]
    proxy = variant.started(0)
    assert variant.rendered.config["general_settings"]["disable_responses_id_security"] is False

    status, response = create_response(proxy)
    assert status == 200, response
    assert response["output"][0]["content"][0]["text"] == MOCK_REPLY
    response_id = response["id"]
    assert MOCK_RESPONSE_ID not in response_id
    # Not the readable routing id that the proxy returns with the security off.
    assert plain_base64(response_id[len("resp_"):]) is None

    plaintext = managed_response_id(response_id, MASTER_KEY)
    assert plaintext is not None, "the response id does not decrypt with the master key: %s" % response_id
    assert_managed_id_wraps_mock_id(plaintext)


def test_salt_key_encrypts_response_ids(variants):
    variant = variants["salt-key-redis-password"]
    proxy = variant.started()
    assert "LITELLM_SALT_KEY" in variant.rendered.secret_env_names()
    assert_serves(proxy)

    status, response = create_response(proxy)
    assert status == 200, response
    response_id = response["id"]
    assert managed_response_id(response_id, MASTER_KEY) is None
    plaintext = managed_response_id(response_id, SALT_KEY)
    assert plaintext is not None, "the response id does not decrypt with LITELLM_SALT_KEY: %s" % response_id
    assert_managed_id_wraps_mock_id(plaintext)


def test_id_security_off_leaves_id_readable(variants):
    variant = variants["id-security-off-cache-none"]
    proxy = variant.started()
    assert variant.rendered.config["general_settings"]["disable_responses_id_security"] is True
    assert any("response ID security is off" in warning for warning in variant.rendered.merge_warnings())
    assert_serves(proxy)

    status, response = create_response(proxy)
    assert status == 200, response
    response_id = response["id"]
    assert managed_response_id(response_id, MASTER_KEY) is None
    # Only the router's base64 routing id remains, and it carries the provider's id in clear text.
    routing = plain_base64(response_id[len("resp_"):])
    assert routing is not None, response_id
    assert "response_id:" + MOCK_RESPONSE_ID in routing


# ---- cold storage ----


def test_cold_storage_logger_stores_request(variants):
    variant = variants["cold-storage"]
    proxy = variant.started()
    settings = variant.rendered.config["litellm_settings"]
    assert settings["cold_storage_custom_logger"] == "s3_v2"
    assert "s3_v2" in settings["callbacks"]
    assert_serves(proxy)

    prompt = "cold storage %s" % uuid.uuid4().hex
    status, reply = chat(proxy, content=prompt)
    assert status == 200, reply

    def stored():
        return next((r for r in variants.object_store.stored_requests() if prompt.encode() in r["body"]), None)

    upload = wait_until(stored, 30, interval=0.2, what="the S3 logger's PUT of the request")
    bucket_prefix = "/%s/" % S3_BUCKET
    assert upload["path"].startswith(bucket_prefix)
    credential = "Credential=%s/" % S3_ACCESS_KEY_ID
    assert credential in upload["headers"]["authorization"]
    assert "/%s/s3/aws4_request" % S3_REGION in upload["headers"]["authorization"]
    payload = json.loads(upload["body"])
    assert payload["id"] == reply["id"]
    # LiteLLM computes this key only while litellm.cold_storage_custom_logger is set, and s3_v2
    # stores the object under it only while that logger is s3_v2.
    object_key = urllib.parse.unquote(upload["path"][len(bucket_prefix):])
    assert payload["metadata"]["cold_storage_object_key"] == object_key


def test_cold_storage_unreachable_store_not_fatal(variants):
    proxy = variants["cold-storage"].started()
    # From here on the endpoint's port refuses connections.
    variants.object_store.close()

    status, reply = chat(proxy)
    assert status == 200, reply
    wait_for_log(proxy, "Error uploading to s3")
    assert proxy.running()
    assert_serves(proxy)


# ---- Redis password ----


def test_redis_password_reaches_cache(variants):
    variant = variants["salt-key-redis-password"]
    proxy = variant.started(0)
    config = variant.rendered.config
    assert config["litellm_settings"]["cache_params"]["password"] == "os.environ/REDIS_PASSWORD"
    assert config["router_settings"]["redis_password"] == "os.environ/REDIS_PASSWORD"
    assert "REDIS_PASSWORD" in variant.rendered.secret_env_names()
    assert_serves(proxy)

    status, ping = get_json(proxy, "/cache/ping")
    assert status == 200, ping
    assert ping["ping_response"] is True


def test_redis_password_missing_env_fails_ping(variants):
    assert "REDIS_PASSWORD" not in os.environ, "the test process's REDIS_PASSWORD would reach the proxy"
    proxy = variants["salt-key-redis-password"].started(1)
    # The proxy still serves, because LiteLLM logs the Redis errors and responds without the cache.
    assert_serves(proxy)

    status, ping = get_json(proxy, "/cache/ping")
    assert status == 503, ping
    assert "Service Unhealthy" in json.dumps(ping)
    assert "redis.exceptions.AuthenticationError" in log_text(proxy)


# ---- cache types ----


def test_cache_none_ping_reports_no_cache(variants):
    variant = variants["id-security-off-cache-none"]
    proxy = variant.started()
    assert variant.rendered.config["litellm_settings"]["cache"] is False
    assert_serves(proxy)

    status, ping = get_json(proxy, "/cache/ping")
    assert status == 503, ping
    assert "Cache not initialized. litellm.cache is None" in json.dumps(ping)


def test_qdrant_unreachable_stops_startup(variants):
    """LiteLLM 1.108.0 checks the Qdrant collection while it loads the config and exits when that fails."""
    variant = variants["qdrant-semantic"]
    assert variant.wait_rendered().config["litellm_settings"]["cache_params"]["type"] == "qdrant-semantic"
    proxy = variant.proxies[0]

    wait_until(lambda: not proxy.running(), PROXY_START_TIMEOUT, interval=0.5, what="the qdrant-semantic proxy to exit")
    assert proxy.process.returncode != 0
    log = log_text(proxy)
    assert "qdrant_semantic_cache.py" in log
    assert "Connection refused" in log
    assert "Application startup failed. Exiting." in log
    assert not proxy.alive()
