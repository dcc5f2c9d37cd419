# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the LiteLLM health checks in rounds until they all pass or a deadline passes.

The clock, the sleep function and the request function are parameters, so unit tests drive the
loop with a fake clock and canned responses.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
from dataclasses import dataclass

from ansible_collections.aigateway.litellm.plugins.module_utils.health_checks import evaluate, format_seconds

# A request made at or after the deadline still gets this many seconds, so the last round can pass.
MIN_REQUEST_TIMEOUT = 1.0


@dataclass
class PollOutcome:
    """Result of polling: whether the last round passed, how many rounds ran, and its results."""

    ok: bool
    attempts: int
    elapsed: float
    results: dict

    @property
    def failed(self):
        """The results of the checks that failed in the last round, in check order."""
        return [result for result in self.results.values() if not result.ok]


def run_round(specs, send, deadline, request_timeout, clock=time.monotonic):
    """Run every check once and return a dict of CheckResult by check name.

    ``send(spec, timeout)`` makes the check's request and returns an HttpResponse or a
    RequestFailure. Checks with the same request (readiness and db) share one request. The request
    timeout is ``request_timeout``, cut to the time left before ``deadline`` but never below
    MIN_REQUEST_TIMEOUT.
    """
    outcomes = {}
    results = {}
    for spec in specs:
        key = spec.request_key
        if key not in outcomes:
            timeout = max(MIN_REQUEST_TIMEOUT, min(request_timeout, deadline - clock()))
            started = clock()
            outcome = send(spec, timeout)
            outcomes[key] = (outcome, clock() - started)
        outcome, elapsed = outcomes[key]
        results[spec.name] = evaluate(spec, outcome, elapsed)
    return results


def poll_checks(run_once, timeout, interval, clock=time.monotonic, sleep=time.sleep):
    """Call ``run_once(deadline)`` until every check in a round passes or ``timeout`` seconds pass.

    All checks run in every round, so success means that they all passed at the same time.
    The loop never sleeps past the deadline, and the round that starts at the deadline is the
    last one. A timeout of 0 runs exactly one round. Returns a PollOutcome.
    """
    started = clock()
    deadline = started + timeout
    attempts = 0
    while True:
        attempts += 1
        results = run_once(deadline)
        if all(result.ok for result in results.values()):
            return PollOutcome(True, attempts, clock() - started, results)

        remaining = deadline - clock()
        if remaining <= 0:
            return PollOutcome(False, attempts, clock() - started, results)
        sleep(min(interval, remaining))


def format_failure(outcome, timeout):
    """Return the module's failure message: each failing check and what it last saw.

    Example: "2 of 3 LiteLLM health checks failed within 60 s (12 attempts): readiness: 503
    after 60 s, body: {...}; cache: connection refused after 60 s, GET http://..."
    """
    failed = outcome.failed
    descriptions = [
        "%s: %s" % (result.name, result.describe(waited=outcome.elapsed)) for result in failed
    ]
    return "%d of %d LiteLLM health checks failed within %s s (%d attempt%s): %s" % (
        len(failed),
        len(outcome.results),
        format_seconds(timeout),
        outcome.attempts,
        "" if outcome.attempts == 1 else "s",
        "; ".join(descriptions),
    )
