#!/usr/bin/env python
"""Measure how long after the proxy's first 200 from /health/liveliness litellm_health reports success.

Each run starts a fresh LiteLLM proxy against one local redis-server. A watcher thread requests
/health/liveliness every 10 ms to find the moment the proxy first returns 200. Meanwhile the
module's poll loop (health_poll.poll_checks with the URL transport, as the module runs it) polls
the same proxy from the moment the process starts. The latency is the time from the first 200 to
the poll loop's success. Expect up to one interval (2 s by default) plus the duration of the first
passing round, which is slower than later rounds while the proxy warms up.

Not part of the test run. Usage, from the repository root:

    .venv/bin/python benchmarks/health_poll_latency.py [--runs 5] [--interval 2] [--checks liveliness readiness metrics]
"""

import argparse
import importlib.metadata
import os
import platform
import statistics
import sys
import tempfile
import threading
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(REPO_ROOT, ".collections"), os.path.join(REPO_ROOT, "tests", "live")]

from ansible_collections.aigateway.litellm.plugins.module_utils.health_checks import (  # noqa: E402
    DEFAULT_CHECKS,
    build_check_specs,
)
from ansible_collections.aigateway.litellm.plugins.module_utils.health_http import (  # noqa: E402
    UrlTarget,
    master_key_headers,
)
from ansible_collections.aigateway.litellm.plugins.module_utils.health_poll import (  # noqa: E402
    poll_checks,
    run_round,
)
from processes import (  # noqa: E402
    MASTER_KEY,
    LiteLLMProxy,
    RedisServer,
    build_proxy_config,
    http_get,
    live_fragment,
    write_config,
)
from machine import machine_line  # noqa: E402

WATCH_INTERVAL = 0.01
POLL_TIMEOUT = 180


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--runs", type=int, default=5, help="number of proxy starts to measure (default 5)")
    parser.add_argument("--interval", type=float, default=2.0,
                        help="seconds between two rounds of checks, as the module's interval option (default 2)")
    parser.add_argument("--checks", nargs="+", default=list(DEFAULT_CHECKS),
                        help="checks to poll (default: %s)" % " ".join(DEFAULT_CHECKS))
    return parser.parse_args()


def describe_machine():
    """Return a few lines about the machine and the software versions measured."""
    return [
        machine_line(),
        "python %s, litellm %s" % (platform.python_version(), importlib.metadata.version("litellm")),
    ]


def watch_liveliness(url, stop, first_alive):
    """Record in first_alive[0] the monotonic time of the first 200 from /health/liveliness."""
    while not stop.is_set():
        if http_get(url + "/health/liveliness", timeout=1)[0] == 200:
            first_alive.append(time.monotonic())
            return
        time.sleep(WATCH_INTERVAL)


def measure_run(config_path, workdir, specs, interval):
    """Start one proxy and return (seconds to first liveliness, latency of the poll loop, attempts)."""
    started = time.monotonic()
    proxy = LiteLLMProxy(config_path, workdir, MASTER_KEY, wait=False)
    stop = threading.Event()
    first_alive = []
    watcher = threading.Thread(target=watch_liveliness, args=(proxy.url, stop, first_alive), daemon=True)
    watcher.start()
    try:
        target = UrlTarget(proxy.url, key_headers=master_key_headers(MASTER_KEY, "authorization"))
        outcome = poll_checks(lambda deadline: run_round(specs, target.send, deadline, 10), POLL_TIMEOUT, interval)
        reported = time.monotonic()
        watcher.join(timeout=5)
    finally:
        stop.set()
        proxy.stop()

    if not outcome.ok or not first_alive:
        failed = ", ".join(result.name for result in outcome.failed)
        raise RuntimeError("the proxy did not pass the checks within %d s (failing: %s); see %s"
                           % (POLL_TIMEOUT, failed, proxy.log_path))
    return first_alive[0] - started, reported - first_alive[0], outcome.attempts


def main():
    arguments = parse_arguments()
    specs = build_check_specs(arguments.checks)
    for line in describe_machine():
        print(line)
    print("checks: %s, interval %s s, %d runs" % (" ".join(arguments.checks), arguments.interval, arguments.runs))

    with tempfile.TemporaryDirectory(prefix="health-poll-bench-") as workdir:
        redis = RedisServer(workdir)
        try:
            result = build_proxy_config(redis.host, redis.port, [live_fragment(callbacks=())])
            if result.errors:
                raise SystemExit("the collection's settings do not merge: %s" % "; ".join(p.format() for p in result.errors))
            config_path = write_config(result.config, os.path.join(workdir, "proxy.yaml"))

            start_times, latencies, attempts = [], [], []
            for run in range(1, arguments.runs + 1):
                start_time, latency, rounds = measure_run(config_path, workdir, specs, arguments.interval)
                start_times.append(start_time)
                latencies.append(latency)
                attempts.append(rounds)
                print("run %d: first liveliness %.2f s after start, poll success %.3f s later, %d rounds"
                      % (run, start_time, latency, rounds))
        finally:
            redis.stop()

    print("median: first liveliness %.2f s after start, poll success %.3f s later (min %.3f, max %.3f), %g rounds"
          % (statistics.median(start_times), statistics.median(latencies), min(latencies), max(latencies),
             statistics.median(attempts)))


if __name__ == "__main__":
    main()
