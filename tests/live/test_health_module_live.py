"""The litellm_health module, run through ansible-playbook, against the real proxy and Redis."""

import re

import pytest

from ansible_collections.aigateway.litellm.plugins.module_utils.health_checks import MAIN_PORT, CheckSpec
from ansible_collections.aigateway.litellm.plugins.module_utils.health_http import UrlTarget
from helpers.playbooks import run_playbook
from processes import MASTER_KEY, build_proxy_config, live_fragment

pytestmark = pytest.mark.live

TASK = "Check the LiteLLM proxy"
ALL_BUT_DB = ["liveliness", "readiness", "cache", "metrics"]


def run_health(module_args, check=False):
    """Run litellm_health in a one-task playbook and return the task's result."""
    task = {"name": TASK, "aigateway.litellm.litellm_health": module_args, "register": "health"}
    if check:
        task["check_mode"] = True
    play = {"name": "Run litellm_health", "hosts": "localhost", "connection": "local", "gather_facts": False,
            "tasks": [task]}
    run = run_playbook([play])
    return run.task_result(TASK)


def designed_config(redis, *extra_fragments):
    result = build_proxy_config(redis.host, redis.port, [live_fragment()] + list(extra_fragments))
    assert result.errors == [], [problem.format() for problem in result.errors]
    return result.config


def test_health_passes_on_running_proxy(designed_proxy):
    result = run_health({"url": designed_proxy.url, "master_key": MASTER_KEY, "checks": ALL_BUT_DB, "timeout": 30})

    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is False
    assert sorted(result["checks"]) == sorted(ALL_BUT_DB)
    assert all(check["ok"] for check in result["checks"].values())
    assert result["checks"]["liveliness"]["message"] == "I'm alive!"
    assert result["checks"]["readiness"]["health"] == "healthy"
    assert result["checks"]["readiness"]["db"] == "Not connected"
    assert result["checks"]["cache"]["cache_type"] == "redis"
    assert result["checks"]["cache"]["ping_response"] is True
    assert result["checks"]["metrics"]["families"] > 0
    assert all(name.startswith("litellm_") for name in result["checks"]["metrics"]["family_names"])


def test_health_passes_in_check_mode(designed_proxy):
    result = run_health({"url": designed_proxy.url, "timeout": 30}, check=True)

    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is False
    assert sorted(result["checks"]) == ["liveliness", "metrics", "readiness"]


def test_health_db_fails_without_database(designed_proxy):
    result = run_health({"url": designed_proxy.url, "checks": ["db"], "timeout": 0})

    assert result["failed"] is True
    assert result["msg"].startswith("1 of 1 LiteLLM health checks failed within 0 s (1 attempt): db: 200 after ")
    assert "db is \"Not connected\", expected 'connected'" in result["msg"]


def test_health_cache_fails_when_redis_stopped(start_redis, start_proxy):
    redis = start_redis()
    proxy = start_proxy(designed_config(redis), name="redis-stopped")
    args = {"url": proxy.url, "master_key": MASTER_KEY, "checks": ["liveliness", "readiness", "cache"],
            "timeout": 3, "interval": 1}
    assert run_health(args).get("failed") is not True

    redis.stop()
    result = run_health(args)

    assert result["failed"] is True
    assert result["msg"].startswith("1 of 3 LiteLLM health checks failed within 3 s (")
    assert re.search(r"cache: 503 after 3(\.\d)? s, LiteLLM error: Service Unhealthy \(cache_ping_error\), body: ",
                     result["msg"]), result["msg"]
    assert result["checks"]["liveliness"]["ok"] is True
    assert result["checks"]["readiness"]["ok"] is True
    assert result["checks"]["cache"]["status"] == 503


def test_health_liveliness_fails_when_proxy_killed(shared_redis, start_proxy):
    proxy = start_proxy(designed_config(shared_redis), name="killed")
    proxy.kill()

    result = run_health({"url": proxy.url, "timeout": 2, "interval": 1})

    assert result["failed"] is True
    assert result["msg"].startswith("3 of 3 LiteLLM health checks failed within 2 s (")
    expected = r"liveliness: connection refused after 2(\.\d)? s, GET %s/health/liveliness;" % re.escape(proxy.url)
    assert re.search(expected, result["msg"]), result["msg"]
    assert result["checks"]["liveliness"]["status"] is None


def test_health_metrics_fails_without_key(shared_redis, start_proxy):
    key_required = {"name": "metrics-need-key", "settings": {"litellm_settings": {"require_auth_for_metrics_endpoint": True}}}
    proxy = start_proxy(designed_config(shared_redis, key_required), name="metrics-key")

    result = run_health({"url": proxy.url, "checks": ["metrics"], "timeout": 1, "interval": 1})

    assert result["failed"] is True
    assert result["msg"].startswith("1 of 1 LiteLLM health checks failed within 1 s (")
    expected = r"metrics: 401 after 1(\.\d)? s, the proxy requires a key for /metrics/; set metrics_auth: true"
    assert re.search(expected, result["msg"]), result["msg"]
    assert "Unauthorized access to metrics endpoint" in result["msg"]

    with_key = run_health({"url": proxy.url, "checks": ["metrics"], "metrics_auth": True, "master_key": MASTER_KEY,
                           "timeout": 5})
    assert with_key.get("failed") is not True, with_key.get("msg")
    assert with_key["checks"]["metrics"]["families"] > 0


def test_health_needs_master_key_for_cache(designed_proxy):
    result = run_health({"url": designed_proxy.url, "checks": ["cache"]})

    assert result["failed"] is True
    assert result["msg"] == "the cache check calls /cache/ping, which needs the master key; set master_key"


def test_real_metrics_path_redirects(designed_proxy):
    # The module requests /metrics/ because the proxy redirects /metrics there.
    outcome = UrlTarget(designed_proxy.url).send(CheckSpec("metrics", MAIN_PORT, "/metrics", False), timeout=5)

    assert outcome.status == 307
    assert outcome.redirect_location == designed_proxy.url + "/metrics/"
