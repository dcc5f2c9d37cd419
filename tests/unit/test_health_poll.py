"""The health poll loop, driven by a fake clock, and the failure message it produces."""

import json

from ansible_collections.aigateway.litellm.plugins.module_utils.health_checks import (
    HttpResponse,
    RequestFailure,
    build_check_specs,
)
from ansible_collections.aigateway.litellm.plugins.module_utils.health_poll import (
    MIN_REQUEST_TIMEOUT,
    format_failure,
    poll_checks,
    run_round,
)

HEALTHY = HttpResponse(200, {}, json.dumps({"status": "healthy", "db": "Not connected"}))
ALIVE = HttpResponse(200, {}, json.dumps("I'm alive!"))


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps or a request takes time."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class ScriptedProxy:
    """Fake transport that returns, for each path, the next outcome of a list. The last outcome repeats."""

    def __init__(self, clock, scripts, request_seconds=0.0):
        self.clock = clock
        self.scripts = scripts
        self.request_seconds = request_seconds
        self.calls = []

    def send(self, spec, timeout):
        self.calls.append((spec.path, timeout))
        self.clock.now += self.request_seconds
        script = self.scripts[spec.path]
        return script.pop(0) if len(script) > 1 else script[0]


def poll(proxy, clock, names, timeout, interval, request_timeout=10):
    specs = build_check_specs(names)
    return poll_checks(
        lambda deadline: run_round(specs, proxy.send, deadline, request_timeout, clock=clock),
        timeout,
        interval,
        clock=clock,
        sleep=clock.sleep,
    )


def test_poll_passes_on_first_round():
    clock = FakeClock()
    proxy = ScriptedProxy(clock, {"/health/liveliness": [ALIVE], "/health/readiness": [HEALTHY]})
    outcome = poll(proxy, clock, ["liveliness", "readiness"], timeout=60, interval=2)
    assert outcome.ok
    assert outcome.attempts == 1
    assert clock.sleeps == []


def test_poll_waits_until_readiness_passes():
    clock = FakeClock()
    refused = RequestFailure("connection refused", "http://127.0.0.1:4000/health/readiness")
    starting = HttpResponse(503, {}, json.dumps({"status": "starting"}))
    proxy = ScriptedProxy(clock, {"/health/liveliness": [ALIVE], "/health/readiness": [refused, starting, HEALTHY]})
    outcome = poll(proxy, clock, ["liveliness", "readiness"], timeout=60, interval=2)
    assert outcome.ok
    assert outcome.attempts == 3
    assert clock.sleeps == [2, 2]
    assert outcome.elapsed == 4


def test_poll_runs_every_check_each_round():
    clock = FakeClock()
    starting = HttpResponse(503, {}, "{}")
    proxy = ScriptedProxy(clock, {"/health/liveliness": [ALIVE], "/health/readiness": [starting, HEALTHY]})
    poll(proxy, clock, ["liveliness", "readiness"], timeout=60, interval=2)
    paths = [call[0] for call in proxy.calls]
    assert paths == ["/health/liveliness", "/health/readiness", "/health/liveliness", "/health/readiness"]


def test_poll_needs_all_checks_in_same_round():
    clock = FakeClock()
    down = HttpResponse(503, {}, "{}")
    proxy = ScriptedProxy(
        clock,
        {"/health/liveliness": [ALIVE, down, ALIVE], "/health/readiness": [down, HEALTHY, HEALTHY]},
    )
    outcome = poll(proxy, clock, ["liveliness", "readiness"], timeout=60, interval=1)
    assert outcome.ok
    assert outcome.attempts == 3


def test_poll_gives_up_at_deadline():
    clock = FakeClock()
    down = HttpResponse(503, {}, json.dumps({"status": "shutting_down"}))
    proxy = ScriptedProxy(clock, {"/health/readiness": [down]})
    outcome = poll(proxy, clock, ["readiness"], timeout=10, interval=3)
    assert not outcome.ok
    assert clock.sleeps == [3, 3, 3, 1]
    assert outcome.attempts == 5
    assert outcome.elapsed == 10


def test_poll_never_sleeps_past_deadline():
    clock = FakeClock()
    proxy = ScriptedProxy(clock, {"/health/readiness": [HttpResponse(503, {}, "{}")]}, request_seconds=0.5)
    outcome = poll(proxy, clock, ["readiness"], timeout=4, interval=2)
    assert not outcome.ok
    assert clock.sleeps == [2, 1]
    assert outcome.attempts == 3
    assert outcome.elapsed == 4.5


def test_poll_zero_timeout_runs_once():
    clock = FakeClock()
    proxy = ScriptedProxy(clock, {"/health/readiness": [HttpResponse(503, {}, "{}")]})
    outcome = poll(proxy, clock, ["readiness"], timeout=0, interval=2)
    assert not outcome.ok
    assert outcome.attempts == 1
    assert clock.sleeps == []


def test_round_shares_readiness_request_with_db():
    clock = FakeClock()
    connected = HttpResponse(200, {}, json.dumps({"status": "healthy", "db": "connected"}))
    proxy = ScriptedProxy(clock, {"/health/readiness": [connected]}, request_seconds=0.25)
    results = run_round(build_check_specs(["readiness", "db"]), proxy.send, clock.now + 60, 10, clock=clock)
    assert len(proxy.calls) == 1
    assert results["readiness"].ok
    assert results["db"].ok
    assert results["db"].elapsed == 0.25


def test_round_cuts_request_timeout_to_deadline():
    clock = FakeClock()
    proxy = ScriptedProxy(clock, {"/health/liveliness": [ALIVE]})
    run_round(build_check_specs(["liveliness"]), proxy.send, clock.now + 3, 10, clock=clock)
    assert proxy.calls == [("/health/liveliness", 3)]


def test_round_keeps_minimum_request_timeout_at_deadline():
    clock = FakeClock()
    proxy = ScriptedProxy(clock, {"/health/liveliness": [ALIVE]})
    run_round(build_check_specs(["liveliness"]), proxy.send, clock.now - 5, 10, clock=clock)
    assert proxy.calls == [("/health/liveliness", MIN_REQUEST_TIMEOUT)]


def test_failure_message_names_each_failing_check():
    clock = FakeClock()
    proxy = ScriptedProxy(
        clock,
        {
            "/health/liveliness": [ALIVE],
            "/health/readiness": [HttpResponse(503, {}, json.dumps({"status": "shutting_down"}))],
            "/cache/ping": [RequestFailure("connection refused", "http://127.0.0.1:4000/cache/ping")],
        },
    )
    outcome = poll(proxy, clock, ["liveliness", "readiness", "cache"], timeout=60, interval=20)
    assert format_failure(outcome, 60) == (
        "2 of 3 LiteLLM health checks failed within 60 s (4 attempts): "
        'readiness: 503 after 60 s, body: {"status": "shutting_down"}; '
        "cache: connection refused after 60 s, GET http://127.0.0.1:4000/cache/ping"
    )


def test_failure_message_truncates_long_body():
    clock = FakeClock()
    proxy = ScriptedProxy(clock, {"/health/liveliness": [HttpResponse(500, {}, "E" * 5000)]})
    outcome = poll(proxy, clock, ["liveliness"], timeout=0, interval=1)
    message = format_failure(outcome, 0)
    assert message.endswith("E" * 300 + "... (4700 more characters)")
    assert "(1 attempt)" in message


def test_failure_message_shows_redirect():
    clock = FakeClock()
    redirect = HttpResponse(307, {"location": "http://127.0.0.1:4000/metrics/"}, "")
    proxy = ScriptedProxy(clock, {"/metrics/": [redirect]})
    outcome = poll(proxy, clock, ["metrics"], timeout=0, interval=1)
    assert "metrics: 307 redirect to http://127.0.0.1:4000/metrics/ after 0 s, the module does not follow" in (
        format_failure(outcome, 0)
    )
