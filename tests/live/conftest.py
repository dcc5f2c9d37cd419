"""Fixtures of the live tier: real redis-server and LiteLLM proxy processes on 127.0.0.1.

One proxy with the designed settings is shared by the whole session. Tests that stop Redis, kill
the proxy or need other settings start their own through the start_redis and start_proxy
factories, which stop what they started when the test ends.
"""

import os

import pytest

from processes import (
    MASTER_KEY,
    LiteLLMProxy,
    LogReceiver,
    RedisServer,
    build_proxy_config,
    live_fragment,
    write_config,
)


@pytest.fixture(scope="session")
def live_workdir(tmp_path_factory):
    """Directory for configs and server logs. pytest keeps the directories of the last runs for reading."""
    return str(tmp_path_factory.mktemp("live"))


@pytest.fixture(scope="session")
def shared_redis(live_workdir):
    server = RedisServer(live_workdir)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def log_receiver():
    receiver = LogReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="session")
def designed_proxy(live_workdir, shared_redis, log_receiver):
    """The proxy with the role's default fragments, a mock model and the generic_api callback."""
    result = build_proxy_config(shared_redis.host, shared_redis.port, [live_fragment()])
    assert result.errors == [], [problem.format() for problem in result.errors]
    config_path = write_config(result.config, os.path.join(live_workdir, "designed.yaml"))
    proxy = LiteLLMProxy(config_path, live_workdir, MASTER_KEY, env={"GENERIC_LOGGER_ENDPOINT": log_receiver.url})
    yield proxy
    proxy.stop()


@pytest.fixture
def start_redis(live_workdir):
    """Factory for a redis-server that belongs to one test."""
    started = []

    def start():
        server = RedisServer(live_workdir)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def start_proxy(live_workdir, log_receiver):
    """Factory for a proxy that belongs to one test, started from a config mapping."""
    started = []

    def start(config, name="proxy"):
        config_path = write_config(config, os.path.join(live_workdir, "%s-%d.yaml" % (name, len(started))))
        proxy = LiteLLMProxy(
            config_path, live_workdir, MASTER_KEY, env={"GENERIC_LOGGER_ENDPOINT": log_receiver.url}, wait=False
        )
        started.append(proxy)
        proxy.wait_until_alive()
        return proxy

    yield start
    for proxy in started:
        proxy.stop()
