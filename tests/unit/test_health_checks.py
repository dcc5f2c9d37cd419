"""How the LiteLLM health checks judge responses: bodies, status codes, redirects, metrics text."""

import json

import pytest

from ansible_collections.aigateway.litellm.plugins.module_utils.health_checks import (
    CHECK_NAMES,
    HEALTH_PORT,
    MAIN_PORT,
    HttpResponse,
    RequestFailure,
    build_check_specs,
    evaluate,
    format_seconds,
    parse_metric_families,
    redact,
    truncate,
    validate_options,
)

# An excerpt of what LiteLLM 1.108.0 serves at /metrics/ with the prometheus callback.
METRICS_TEXT = """\
# HELP python_gc_objects_collected_total Objects collected during gc
# TYPE python_gc_objects_collected_total counter
python_gc_objects_collected_total{generation="0"} 1596.0
# HELP litellm_proxy_total_requests_metric_total Total number of requests made to the proxy server
# TYPE litellm_proxy_total_requests_metric_total counter
litellm_proxy_total_requests_metric_total{end_user="None",route="/chat/completions",user="u-123"} 1.0
# HELP litellm_proxy_total_requests_metric_created Total number of requests made to the proxy server
# TYPE litellm_proxy_total_requests_metric_created gauge
litellm_proxy_total_requests_metric_created{end_user="None",user="u-123"} 1.79e+09
# HELP litellm_request_total_latency_metric Total latency (seconds) for a request to LiteLLM
# TYPE litellm_request_total_latency_metric histogram
litellm_request_total_latency_metric_bucket{le="0.005",model="mock-gpt"} 0.0
litellm_request_total_latency_metric_bucket{le="+Inf",model="mock-gpt"} 1.0
litellm_request_total_latency_metric_count{model="mock-gpt"} 1.0
litellm_request_total_latency_metric_sum{model="mock-gpt"} 0.02
# HELP litellm_active_users Number of billable users
# TYPE litellm_active_users gauge
litellm_active_users 0.0
"""


def spec(name, metrics_auth=False):
    return build_check_specs([name], metrics_auth)[0]


def response(status, body, headers=None):
    text = body if isinstance(body, str) else json.dumps(body)
    return HttpResponse(status, headers or {}, text)


# ---- which requests the checks make ----


def test_specs_follow_check_order():
    specs = build_check_specs(["metrics", "liveliness", "cache"])
    assert [s.name for s in specs] == ["liveliness", "cache", "metrics"]


def test_specs_health_routes_use_health_port():
    specs = {s.name: s for s in build_check_specs(CHECK_NAMES)}
    assert specs["liveliness"].port == HEALTH_PORT
    assert specs["readiness"].port == HEALTH_PORT
    assert specs["db"].port == HEALTH_PORT
    assert specs["cache"].port == MAIN_PORT
    assert specs["metrics"].port == MAIN_PORT


def test_specs_readiness_and_db_share_request():
    specs = {s.name: s for s in build_check_specs(["readiness", "db"])}
    assert specs["readiness"].request_key == specs["db"].request_key


def test_specs_metrics_path_is_final():
    assert spec("metrics").path == "/metrics/"


def test_specs_metrics_auth_is_optional():
    assert spec("metrics").authenticated is False
    assert spec("metrics", metrics_auth=True).authenticated is True


def test_specs_cache_is_authenticated():
    assert spec("cache").authenticated is True


def test_specs_reject_unknown_check():
    with pytest.raises(ValueError, match="unknown check name"):
        build_check_specs(["liveness"])


# ---- option combinations ----


def test_options_cache_needs_master_key():
    problems = validate_options(["cache"], None, False)
    assert len(problems) == 1
    assert "master_key" in problems[0]


def test_options_metrics_auth_needs_master_key():
    problems = validate_options(["metrics"], "", True)
    assert len(problems) == 1
    assert "metrics_auth" in problems[0]


def test_options_empty_checks_rejected():
    assert validate_options([], "sk-1", False) == ["checks is empty; give at least one of " + ", ".join(CHECK_NAMES)]


def test_options_defaults_need_no_key():
    assert validate_options(["liveliness", "readiness", "metrics"], None, False) == []


# ---- liveliness ----


def test_liveliness_passes_on_200():
    result = evaluate(spec("liveliness"), response(200, '"I\'m alive!"'), 0.01)
    assert result.ok
    assert result.fields["message"] == "I'm alive!"
    assert result.elapsed == 0.01


def test_liveliness_message_of_plain_text_body():
    result = evaluate(spec("liveliness"), response(200, "ok\n"))
    assert result.fields["message"] == "ok"


def test_liveliness_fails_on_503():
    result = evaluate(spec("liveliness"), response(503, {"status": "shutting_down"}))
    assert not result.ok
    assert result.status == 503


# ---- readiness and db ----


def test_readiness_passes_when_healthy():
    result = evaluate(spec("readiness"), response(200, {"status": "healthy", "db": "Not connected"}))
    assert result.ok
    assert result.fields == {"health": "healthy", "db": "Not connected"}


def test_readiness_fails_on_503_with_body():
    result = evaluate(spec("readiness"), response(503, {"status": "healthy", "db": "disconnected"}))
    assert not result.ok
    assert result.describe() == '503, body: {"status": "healthy", "db": "disconnected"}'


def test_readiness_fails_when_status_not_healthy():
    result = evaluate(spec("readiness"), response(200, {"status": "shutting_down"}))
    assert not result.ok
    assert result.problem == "status is \"shutting_down\", expected 'healthy'"


def test_readiness_fails_on_non_json_body():
    result = evaluate(spec("readiness"), response(200, "<html>gateway</html>"))
    assert not result.ok
    assert result.problem == "status is missing, expected 'healthy'"
    assert result.fields["health"] is None


def test_db_passes_when_connected():
    result = evaluate(spec("db"), response(200, {"status": "healthy", "db": "connected"}))
    assert result.ok
    assert result.fields == {"db": "connected"}


def test_db_fails_without_database():
    result = evaluate(spec("db"), response(200, {"status": "healthy", "db": "Not connected"}))
    assert not result.ok
    assert result.problem == "db is \"Not connected\", expected 'connected'"


# ---- cache ----


def test_cache_passes_on_redis_ping():
    body = {"status": "healthy", "cache_type": "redis", "ping_response": True, "set_cache_response": "success"}
    result = evaluate(spec("cache"), response(200, body))
    assert result.ok
    assert result.fields == {"health": "healthy", "cache_type": "redis", "ping_response": True}


def test_cache_fails_without_ping_response():
    result = evaluate(spec("cache"), response(200, {"status": "healthy", "cache_type": "local"}))
    assert not result.ok
    assert result.problem == 'ping_response is missing, expected true (cache_type "local")'


def test_cache_fails_on_503_when_redis_down():
    inner = json.dumps({"message": "Service Unhealthy", "litellm_cache_params": "{}"})
    body = {"error": {"message": inner, "type": "cache_ping_error", "param": "cache_ping", "code": "503"}}
    result = evaluate(spec("cache"), response(503, body))
    assert not result.ok
    assert result.status == 503
    assert result.problem == "LiteLLM error: Service Unhealthy (cache_ping_error)"


def test_error_message_of_plain_litellm_error():
    body = {"error": {"message": "No connected db.", "type": "no_db_connection", "param": None, "code": "400"}}
    result = evaluate(spec("cache"), response(400, body))
    assert result.describe().startswith("400, LiteLLM error: No connected db. (no_db_connection), body: ")


def test_error_message_absent_for_other_bodies():
    result = evaluate(spec("liveliness"), response(500, "Internal Server Error"))
    assert result.problem is None


# ---- metrics ----


def test_metrics_counts_litellm_families():
    result = evaluate(spec("metrics"), response(200, METRICS_TEXT))
    assert result.ok
    assert result.fields["families"] == 4
    assert result.fields["family_names"] == [
        "litellm_active_users",
        "litellm_proxy_total_requests_metric_created",
        "litellm_proxy_total_requests_metric_total",
        "litellm_request_total_latency_metric",
    ]


def test_metrics_fails_without_litellm_families():
    text = "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1.0\n"
    result = evaluate(spec("metrics"), response(200, text))
    assert not result.ok
    assert result.problem == "no litellm_ metric families among 1; add prometheus to litellm_settings.callbacks"


def test_metrics_401_explains_both_fixes():
    body = '"Unauthorized access to metrics endpoint: Authentication Error, No api key passed in."'
    result = evaluate(spec("metrics"), response(401, body))
    assert not result.ok
    assert "set metrics_auth: true with master_key" in result.problem
    assert "require_auth_for_metrics_endpoint: false" in result.problem
    assert "Unauthorized access to metrics endpoint" in result.describe()


def test_metrics_401_with_key_has_no_hint():
    result = evaluate(spec("metrics", metrics_auth=True), response(401, '"Invalid proxy server token"'))
    assert not result.ok
    assert result.problem is None


def test_metric_families_from_type_lines():
    assert parse_metric_families(METRICS_TEXT) == [
        "litellm_active_users",
        "litellm_proxy_total_requests_metric_created",
        "litellm_proxy_total_requests_metric_total",
        "litellm_request_total_latency_metric",
        "python_gc_objects_collected_total",
    ]


def test_metric_families_from_untyped_samples():
    text = 'litellm_spend_metric_total{user="a"} 1.0\nlitellm_latency_bucket{le="1"} 2\nlitellm_latency_sum 3\n'
    assert parse_metric_families(text) == ["litellm_latency", "litellm_spend_metric"]


def test_metric_families_ignore_comments_and_blank_lines():
    text = "# HELP litellm_x help text\n\n# EOF\n"
    assert parse_metric_families(text) == []


def test_metric_families_of_openmetrics_counter():
    text = "# TYPE litellm_requests counter\nlitellm_requests_total 1\nlitellm_requests_created 1.7e9\n"
    assert parse_metric_families(text) == ["litellm_requests"]


# ---- redirects and failures ----


def test_redirect_fails_with_location():
    redirect = response(307, "", headers={"location": "http://127.0.0.1:4000/metrics/"})
    result = evaluate(spec("metrics"), redirect)
    assert not result.ok
    assert result.status == 307
    assert result.location == "http://127.0.0.1:4000/metrics/"
    assert result.describe().startswith("307 redirect to http://127.0.0.1:4000/metrics/, the module does not follow")


def test_redirect_recorded_by_transport_fails():
    followed = HttpResponse(307, {}, "", redirect_location="/api/v1/namespaces/ns/services/l:4000/proxy/metrics/")
    result = evaluate(spec("liveliness"), followed)
    assert not result.ok
    assert result.as_dict()["location"] == "/api/v1/namespaces/ns/services/l:4000/proxy/metrics/"


def test_request_failure_fails_check():
    failure = RequestFailure("connection refused", "http://127.0.0.1:4000/cache/ping")
    result = evaluate(spec("cache"), failure, 0.002)
    assert not result.ok
    assert result.status is None
    assert result.describe() == "connection refused, GET http://127.0.0.1:4000/cache/ping"


def test_describe_with_wait_time():
    result = evaluate(spec("readiness"), response(503, {"status": "shutting_down"}))
    assert result.describe(waited=60.2) == '503 after 60 s, body: {"status": "shutting_down"}'


# ---- result dicts ----


def test_result_dict_of_passed_check():
    result = evaluate(spec("readiness"), response(200, {"status": "healthy", "db": "Not connected"}), 0.0123)
    assert result.as_dict() == {"ok": True, "status": 200, "elapsed": 0.012, "health": "healthy", "db": "Not connected"}


def test_result_dict_of_failed_check():
    result = evaluate(spec("liveliness"), response(500, "Internal Server Error"))
    as_dict = result.as_dict()
    assert as_dict["problem"] == "500, body: Internal Server Error"
    assert as_dict["body"] == "Internal Server Error"


def test_result_dict_body_is_truncated():
    result = evaluate(spec("liveliness"), response(500, "x" * 1000))
    assert result.as_dict()["body"] == "x" * 300 + "... (700 more characters)"


# ---- helpers ----


def test_truncate_keeps_short_text():
    assert truncate("  short \n") == "short"


def test_truncate_says_how_much_was_cut():
    assert truncate("abcdef", limit=4) == "abcd... (2 more characters)"


def test_redact_hides_secret():
    assert redact("Received API Key = sk-secret", "sk-secret") == "Received API Key = ********"


def test_redact_without_secret_keeps_text():
    assert redact("text", None) == "text"


@pytest.mark.parametrize(
    "seconds, text",
    [(0.04, "0"), (2.5, "2.5"), (3.0, "3"), (9.96, "10"), (60.2, "60"), (125.7, "126")],
)
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text
