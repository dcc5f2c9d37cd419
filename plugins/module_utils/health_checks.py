# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health checks of a running LiteLLM proxy: what each check requests and how it judges the response.

Plain functions and data classes with no network access, so that unit tests call them directly.
The request side lives in health_http (a URL) and health_k8s (the Kubernetes API server's service
proxy); the polling loop lives in health_poll.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
from dataclasses import dataclass, field

CHECK_NAMES = ("liveliness", "readiness", "db", "cache", "metrics")
DEFAULT_CHECKS = ("liveliness", "readiness", "metrics")

# Ports of the proxy, by role. The container image serves /health/* on a second port when
# SEPARATE_HEALTH_APP=1. The pip package serves everything on the main port.
MAIN_PORT = "main"
HEALTH_PORT = "health"

LITELLM_METRIC_PREFIX = "litellm_"
MAX_BODY_CHARS = 300
FAMILY_NAMES_SHOWN = 5

# Sample name suffixes that the Prometheus and OpenMetrics text formats add to a family name.
_SAMPLE_SUFFIXES = ("_total", "_created", "_bucket", "_count", "_sum", "_info", "_gcount", "_gsum")
_METRIC_NAME = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)")


@dataclass(frozen=True)
class CheckSpec:
    """One check: the request it needs and the function that judges the response."""

    name: str
    port: str
    path: str
    authenticated: bool

    @property
    def request_key(self):
        """Key of the HTTP request. Checks with the same key share one request per round."""
        return (self.port, self.path, self.authenticated)


@dataclass
class HttpResponse:
    """An HTTP response as the checks use it: status, lower-case header names, decoded body.

    ``redirect_location`` is set when the server responded with a 3xx. A transport that cannot stop
    its HTTP library from following redirects puts the first redirect's status and Location here.
    """

    status: int
    headers: dict
    body: str
    redirect_location: str = None


@dataclass
class RequestFailure:
    """A request that got no HTTP response: connection refused, timed out, TLS failure."""

    reason: str
    url: str


@dataclass
class CheckResult:
    """Outcome of one check in one round."""

    name: str
    ok: bool
    status: int = None
    elapsed: float = 0.0
    fields: dict = field(default_factory=dict)
    problem: str = None
    body: str = None
    location: str = None
    failure: RequestFailure = None

    def as_dict(self):
        """Return the result as the module returns it: fixed keys first, then the body fields."""
        result = {"ok": self.ok, "status": self.status, "elapsed": round(self.elapsed, 3)}
        result.update(self.fields)
        if self.location is not None:
            result["location"] = self.location
        if not self.ok:
            result["problem"] = self.describe()
            if self.body is not None:
                result["body"] = truncate(self.body)
        return result

    def describe(self, waited=None):
        """Describe what the check saw, for example "503 after 60 s, body: {...}".

        ``waited`` is the number of seconds the poll loop waited. The text leaves it out when it is None.
        """
        if self.failure is not None:
            observation = self.failure.reason
            details = ["GET %s" % self.failure.url]
        elif self.location is not None:
            observation = "%s redirect to %s" % (self.status, self.location)
            details = [self.problem]
        else:
            observation = str(self.status)
            details = [self.problem] if self.problem else []
            if self.body is not None:
                details.append("body: %s" % truncate(self.body))

        if waited is not None:
            observation = "%s after %s s" % (observation, format_seconds(waited))
        return ", ".join([observation] + details)


def build_check_specs(names, metrics_auth=False):
    """Return the CheckSpec of each requested check, in the order of CHECK_NAMES."""
    paths = {
        "liveliness": (HEALTH_PORT, "/health/liveliness", False),
        "readiness": (HEALTH_PORT, "/health/readiness", False),
        # The database state is a field of the readiness body, so db shares the readiness request.
        "db": (HEALTH_PORT, "/health/readiness", False),
        "cache": (MAIN_PORT, "/cache/ping", True),
        # LiteLLM redirects /metrics to /metrics/ (307), so the module requests the final path directly.
        "metrics": (MAIN_PORT, "/metrics/", bool(metrics_auth)),
    }
    unknown = sorted(set(names) - set(CHECK_NAMES))
    if unknown:
        raise ValueError("unknown check name(s) %s, use %s" % (", ".join(unknown), ", ".join(CHECK_NAMES)))
    return [CheckSpec(name, *paths[name]) for name in CHECK_NAMES if name in names]


def validate_options(checks, master_key, metrics_auth):
    """Return a list of messages about option combinations that cannot work, empty when all is well."""
    problems = []
    if not checks:
        problems.append("checks is empty; give at least one of %s" % ", ".join(CHECK_NAMES))
    if "cache" in checks and not master_key:
        problems.append("the cache check calls /cache/ping, which needs the master key; set master_key")
    if metrics_auth and not master_key:
        problems.append("metrics_auth is true but master_key is not set; set master_key or metrics_auth: false")
    return problems


def evaluate(spec, outcome, elapsed=0.0):
    """Judge the outcome of a check's request and return a CheckResult.

    ``outcome`` is an HttpResponse or a RequestFailure. Redirects always fail the check, because
    the module requests each endpoint's final path and a redirect means the proxy is not serving
    that path as expected.
    """
    if isinstance(outcome, RequestFailure):
        return CheckResult(spec.name, ok=False, elapsed=elapsed, failure=outcome)

    if outcome.redirect_location is not None or 300 <= outcome.status < 400:
        location = outcome.redirect_location or outcome.headers.get("location", "")
        return CheckResult(
            spec.name,
            ok=False,
            status=outcome.status,
            elapsed=elapsed,
            location=location,
            problem="the module does not follow redirects; check the path or a proxy in between",
        )

    judge = _JUDGES[spec.name]
    ok, fields, problem = judge(outcome, spec)
    if ok:
        return CheckResult(spec.name, ok, outcome.status, elapsed, fields)

    error = litellm_error_message(outcome.body)
    if problem is None and error is not None:
        problem = "LiteLLM error: %s" % error
    return CheckResult(spec.name, ok, outcome.status, elapsed, fields, problem, outcome.body)


def _judge_liveliness(response, spec):
    message = _json_or_none(response.body)
    fields = {"message": message if message is not None else truncate(response.body)}
    if response.status != 200:
        return False, fields, None
    return True, fields, None


def _judge_readiness(response, spec):
    body = _json_object(response.body)
    fields = {"health": body.get("status"), "db": body.get("db")}
    if response.status != 200:
        return False, fields, None
    if body.get("status") != "healthy":
        return False, fields, "status is %s, expected 'healthy'" % _quote(body.get("status"))
    return True, fields, None


def _judge_db(response, spec):
    body = _json_object(response.body)
    fields = {"db": body.get("db")}
    if response.status != 200:
        return False, fields, None
    if body.get("db") != "connected":
        return False, fields, "db is %s, expected 'connected'" % _quote(body.get("db"))
    return True, fields, None


def _judge_cache(response, spec):
    body = _json_object(response.body)
    fields = {
        "health": body.get("status"),
        "cache_type": body.get("cache_type"),
        "ping_response": body.get("ping_response"),
    }
    if response.status != 200:
        return False, fields, None
    if body.get("status") != "healthy":
        return False, fields, "status is %s, expected 'healthy'" % _quote(body.get("status"))
    if body.get("ping_response") is not True:
        return False, fields, "ping_response is %s, expected true (cache_type %s)" % (
            _quote(body.get("ping_response")),
            _quote(body.get("cache_type")),
        )
    return True, fields, None


def _judge_metrics(response, spec):
    families = parse_metric_families(response.body) if response.status == 200 else []
    litellm_families = sorted(name for name in families if name.startswith(LITELLM_METRIC_PREFIX))
    fields = {"families": len(litellm_families), "family_names": litellm_families[:FAMILY_NAMES_SHOWN]}
    if response.status == 401 and not spec.authenticated:
        return False, fields, (
            "the proxy requires a key for /metrics/; set metrics_auth: true with master_key, or set "
            "litellm_settings.require_auth_for_metrics_endpoint: false"
        )
    if response.status != 200:
        return False, fields, None
    if not litellm_families:
        return False, fields, (
            "no %s metric families among %d; add prometheus to litellm_settings.callbacks"
            % (LITELLM_METRIC_PREFIX, len(families))
        )
    return True, fields, None


_JUDGES = {
    "liveliness": _judge_liveliness,
    "readiness": _judge_readiness,
    "db": _judge_db,
    "cache": _judge_cache,
    "metrics": _judge_metrics,
}


def parse_metric_families(text):
    """Return the sorted metric family names in a Prometheus or OpenMetrics text exposition.

    Families come from ``# TYPE`` lines. A sample without a TYPE line counts as its own family,
    named after the sample with any standard suffix (``_total``, ``_bucket``, ...) removed.
    """
    typed = set()
    sampled = set()
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split()
            if len(parts) >= 3 and parts[1] == "TYPE":
                typed.add(parts[2])
            continue
        match = _METRIC_NAME.match(line)
        if match:
            sampled.add(match.group(1))

    families = set(typed)
    for sample in sampled:
        if not any(_belongs_to(sample, family) for family in typed):
            families.add(_strip_sample_suffix(sample))
    return sorted(families)


def _belongs_to(sample, family):
    if sample == family:
        return True
    return sample.startswith(family) and sample[len(family):] in _SAMPLE_SUFFIXES


def _strip_sample_suffix(sample):
    for suffix in _SAMPLE_SUFFIXES:
        if sample.endswith(suffix) and len(sample) > len(suffix):
            return sample[: -len(suffix)]
    return sample


def litellm_error_message(text):
    """Return the message of a LiteLLM error body, or None when the body is not one.

    LiteLLM returns errors as ``{"error": {"message": ..., "type": ..., "code": ...}}``. Some
    routes, /cache/ping among them, put a JSON object with its own ``message`` into that message.
    """
    error = _json_object(text).get("error")
    if not isinstance(error, dict) or not isinstance(error.get("message"), str):
        return None
    message = error["message"]
    inner = _json_object(message).get("message")
    if isinstance(inner, str):
        message = inner
    if error.get("type"):
        return "%s (%s)" % (truncate(message, 120), error["type"])
    return truncate(message, 120)


def truncate(text, limit=MAX_BODY_CHARS):
    """Shorten ``text`` to ``limit`` characters, saying how many were cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return "%s... (%d more characters)" % (text[:limit], len(text) - limit)


def format_seconds(seconds):
    """Format a duration in seconds for messages: whole seconds from 10 s on or when whole, else one decimal."""
    rounded = round(float(seconds), 1)
    if rounded >= 10 or rounded.is_integer():
        return "%d" % round(seconds)
    return "%.1f" % rounded


def redact(text, secret):
    """Replace every occurrence of ``secret`` in ``text`` with asterisks."""
    if not secret or not text:
        return text
    return text.replace(secret, "********")


def _json_or_none(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


def _json_object(text):
    value = _json_or_none(text)
    return value if isinstance(value, dict) else {}


def _quote(value):
    if value is None:
        return "missing"
    return json.dumps(value)
