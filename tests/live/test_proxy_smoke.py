"""The real proxy starts with the collection's rendered default settings and a local Redis."""

import json
import os

import pytest
import yaml

from processes import MASTER_KEY, LiteLLMProxy, build_proxy_config, http_get, write_config

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def default_config(shared_redis):
    return build_proxy_config(shared_redis.host, shared_redis.port)


@pytest.fixture(scope="module")
def default_proxy(default_config, live_workdir):
    """The proxy with nothing but the role's default fragments."""
    config_path = write_config(default_config.config, os.path.join(live_workdir, "defaults.yaml"))
    proxy = LiteLLMProxy(config_path, live_workdir, MASTER_KEY)
    yield proxy
    proxy.stop()


def test_default_config_merges_without_problems(default_config):
    assert [problem.format() for problem in default_config.problems] == []


def test_default_config_points_cache_at_redis(default_config, shared_redis):
    rendered = yaml.safe_load(default_config.content)
    expected = {"type": "redis", "host": shared_redis.host, "port": shared_redis.port}
    assert rendered["litellm_settings"]["cache_params"] == expected
    assert rendered["router_settings"]["redis_port"] == shared_redis.port


def test_default_config_proxy_answers_liveliness(default_proxy):
    status, body = http_get(default_proxy.url + "/health/liveliness")
    assert status == 200
    assert json.loads(body) == "I'm alive!"


def test_default_config_proxy_reaches_redis(default_proxy):
    status, body = http_get(default_proxy.url + "/cache/ping", headers={"Authorization": "Bearer " + MASTER_KEY})
    assert status == 200, body
    assert json.loads(body)["ping_response"] is True
