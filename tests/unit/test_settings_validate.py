"""Validation of settings fragments against the catalog of the pinned LiteLLM release."""

import pytest

from ansible_collections.aigateway.litellm.plugins.module_utils.settings_validate import Catalog, validate_fragment

CATALOG = Catalog()


def problems_of(settings, strict=True):
    return validate_fragment("team", settings, CATALOG, strict)


def errors_of(settings, strict=True):
    return [p for p in problems_of(settings, strict) if p.is_error]


def warnings_of(settings, strict=True):
    return [p for p in problems_of(settings, strict) if not p.is_error]


DESIGN = {
    "litellm_settings": {
        "callbacks": ["prometheus"],
        "cache": True,
        "cache_params": {"type": "redis", "host": "redis.litellm.svc.cluster.local", "port": 6379},
        "require_auth_for_metrics_endpoint": False,
        "extra_spend_tag_headers": ["x-openwebui-user-id", "x-openwebui-user-email", "x-openwebui-user-name"],
    },
    "router_settings": {
        "redis_host": "redis.litellm.svc.cluster.local",
        "redis_port": 6379,
        "optional_pre_call_checks": ["responses_api_deployment_check"],
    },
    "general_settings": {
        "store_model_in_db": True,
        "store_prompts_in_spend_logs": True,
        "disable_responses_id_security": False,
        "user_header_mappings": [
            {"header_name": "X-OpenWebUI-User-Id", "litellm_user_role": "internal_user"},
            {"header_name": "X-OpenWebUI-User-Email", "litellm_user_role": "customer"},
        ],
    },
    "model_list": [
        {"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o", "api_key": "os.environ/OPENAI_API_KEY"}},
    ],
}


def test_validate_accepts_design_settings():
    assert problems_of(DESIGN) == []


# (case id, settings, path the error names, text the message contains, text the fix contains)
ERRORS = [
    ("misspelled spend tag key", {"litellm_settings": {"extra_spend_tags_headers": ["x-a"]}},
     "litellm_settings.extra_spend_tags_headers", "silently ignore", "did you mean 'extra_spend_tag_headers'?"),
    ("misspelled mappings key", {"general_settings": {"user_header_mapings": []}},
     "general_settings.user_header_mapings", "unknown key", "did you mean 'user_header_mappings'?"),
    ("misspelled root section", {"litellm_setting": {}},
     "litellm_setting", "unknown key", "did you mean 'litellm_settings'?"),
    ("cache params at root", {"cache_params": {"type": "redis"}},
     "cache_params", "from litellm_settings, not from the top level", "move it to litellm_settings"),
    ("spend tags in general settings", {"general_settings": {"extra_spend_tag_headers": ["x-a"]}},
     "general_settings.extra_spend_tag_headers", "from litellm_settings", "move it to litellm_settings"),
    ("mappings in litellm settings", {"litellm_settings": {"user_header_mappings": []}},
     "litellm_settings.user_header_mappings", "from general_settings", "move it to general_settings"),
    ("redis host in general settings", {"general_settings": {"redis_host": "redis"}},
     "general_settings.redis_host", "router_settings", "move it to"),
    ("quoted false flag", {"general_settings": {"store_model_in_db": "false"}},
     "general_settings.store_model_in_db", "'false' is a string", "write false without quotes"),
    ("quoted true flag", {"litellm_settings": {"cache": "true"}},
     "litellm_settings.cache", "'true' is a string", "write true without quotes"),
    ("response id security as string", {"general_settings": {"disable_responses_id_security": "false"}},
     "general_settings.disable_responses_id_security", "must be a boolean", "counts as true"),
    ("integer flag", {"general_settings": {"store_model_in_db": 1}},
     "general_settings.store_model_in_db", "is an integer", "boolean"),
    ("quoted redis port", {"router_settings": {"redis_port": "6379"}},
     "router_settings.redis_port", "'6379' is a string", "write 6379 without quotes"),
    ("quoted cache port", {"litellm_settings": {"cache_params": {"port": "6379"}}},
     "litellm_settings.cache_params.port", "must be an integer", "without quotes"),
    ("port zero", {"router_settings": {"redis_port": 0}}, "router_settings.redis_port", "outside 1-65535", "6379"),
    ("port too large", {"litellm_settings": {"cache_params": {"port": 70000}}},
     "litellm_settings.cache_params.port", "outside 1-65535", "6379"),
    ("boolean port", {"router_settings": {"redis_port": True}}, "router_settings.redis_port", "must be an integer", ""),
    ("callbacks not list", {"litellm_settings": {"callbacks": "prometheus"}},
     "litellm_settings.callbacks", "must be a list", "write a list"),
    ("callback entry not string", {"litellm_settings": {"callbacks": [{"name": "x"}]}},
     "litellm_settings.callbacks[0]", "entries of this list are names", "string"),
    ("unknown pre-call check", {"router_settings": {"optional_pre_call_checks": ["responses_api_check"]}},
     "router_settings.optional_pre_call_checks[0]", "not an allowed value", "responses_api_deployment_check"),
    ("unknown cache type", {"litellm_settings": {"cache_params": {"type": "memcached"}}},
     "litellm_settings.cache_params.type", "not an allowed value", "'redis'"),
    ("unknown routing strategy", {"router_settings": {"routing_strategy": "round-robin"}},
     "router_settings.routing_strategy", "not an allowed value", "usage-based-routing"),
    ("header name with space", {"litellm_settings": {"extra_spend_tag_headers": ["X OpenWebUI"]}},
     "litellm_settings.extra_spend_tag_headers[0]", "not a valid HTTP header name", "RFC 9110"),
    ("header name with colon", {"general_settings": {"user_header_mappings": [
        {"header_name": "X-User:", "litellm_user_role": "customer"}]}},
     "general_settings.user_header_mappings[0].header_name", "not a valid HTTP header name", "RFC 9110"),
    ("header name not string", {"litellm_settings": {"extra_spend_tag_headers": [42]}},
     "litellm_settings.extra_spend_tag_headers[0]", "not a header name", "string"),
    ("empty header name", {"general_settings": {"user_header_mappings": [
        {"header_name": "", "litellm_user_role": "customer"}]}},
     "general_settings.user_header_mappings[0].header_name", "not a valid HTTP header name", ""),
    ("admin role", {"general_settings": {"user_header_mappings": [
        {"header_name": "X-OpenWebUI-User-Id", "litellm_user_role": "proxy_admin"}]}},
     "general_settings.user_header_mappings[0].litellm_user_role", "'proxy_admin' is not a role",
     "'internal_user' (the request's user) or 'customer'"),
    ("role in wrong case", {"general_settings": {"user_header_mappings": [
        {"header_name": "X-A", "litellm_user_role": "Customer"}]}},
     "general_settings.user_header_mappings[0].litellm_user_role", "'Customer' is not a role", "'customer'"),
    ("second mapping bad role", {"general_settings": {"user_header_mappings": [
        {"header_name": "X-A", "litellm_user_role": "customer"}, {"header_name": "X-B", "litellm_user_role": "user"}]}},
     "general_settings.user_header_mappings[1].litellm_user_role", "'user' is not a role", "customer"),
    ("mapping extra field", {"general_settings": {"user_header_mappings": [
        {"header_name": "X-A", "litellm_user_role": "customer", "header": "X-B"}]}},
     "general_settings.user_header_mappings[0].header", "unknown field 'header'", "header_name"),
    ("mapping without role", {"general_settings": {"user_header_mappings": [{"header_name": "X-A"}]}},
     "general_settings.user_header_mappings[0].litellm_user_role", "no litellm_user_role", "add litellm_user_role"),
    ("mapping not mapping", {"general_settings": {"user_header_mappings": ["X-A"]}},
     "general_settings.user_header_mappings[0]", "not a mapping", "header_name"),
    ("mappings not list", {"general_settings": {"user_header_mappings": {"X-A": "customer"}}},
     "general_settings.user_header_mappings", "must be a list", "list"),
    ("literal master key", {"general_settings": {"master_key": "sk-1234"}},
     "general_settings.master_key", "literal value (value hidden)", "litellm_master_key_secret"),
    ("literal database url", {"general_settings": {"database_url": "postgresql://u:p@db/litellm"}},
     "general_settings.database_url", "literal value (value hidden)", "litellm_database_url_secret"),
    ("literal provider key", {"model_list": [
        {"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o", "api_key": "sk-live"}}]},
     "model_list[0].litellm_params.api_key", "literal value", "os.environ/NAME"),
    ("literal redis password", {"router_settings": {"redis_password": "hunter2"}},
     "router_settings.redis_password", "literal value", "os.environ/NAME"),
    ("literal cache password", {"litellm_settings": {"cache_params": {"password": "hunter2"}}},
     "litellm_settings.cache_params.password", "literal value", "os.environ/NAME"),
    ("literal s3 secret", {"litellm_settings": {"s3_callback_params": {"s3_aws_secret_access_key": "abc"}}},
     "litellm_settings.s3_callback_params.s3_aws_secret_access_key", "literal value", "os.environ/NAME"),
    ("literal env variable secret", {"environment_variables": {"OPENAI_API_KEY": "sk-live"}},
     "environment_variables.OPENAI_API_KEY", "literal value", "os.environ/NAME"),
    ("malformed env reference", {"general_settings": {"master_key": "os.environ/MASTER-KEY"}},
     "general_settings.master_key", "not a valid environment variable reference", "os.environ/NAME"),
    ("redis url with password", {"router_settings": {"redis_url": "redis://:pw@redis:6379"}},
     "router_settings.redis_url", "credentials in plain text", "os.environ/NAME"),
    ("redis host with scheme", {"router_settings": {"redis_host": "redis://redis.litellm"}},
     "router_settings.redis_host", "not a bare host name", "only the host name"),
    ("redis host with port", {"litellm_settings": {"cache_params": {"host": "redis:6379"}}},
     "litellm_settings.cache_params.host", "not a bare host name", "port setting"),
    ("redis host with path", {"router_settings": {"redis_host": "redis.litellm/0"}},
     "router_settings.redis_host", "not a bare host name", ""),
    ("model entry without name", {"model_list": [{"litellm_params": {"model": "openai/gpt-4o"}}]},
     "model_list[0].model_name", "no model_name", "name the model"),
    ("model entry without params", {"model_list": [{"model_name": "gpt"}]},
     "model_list[0].litellm_params", "no litellm_params", "model: provider/model"),
    ("model entry without model", {"model_list": [{"model_name": "gpt", "litellm_params": {}}]},
     "model_list[0].litellm_params.model", "no model string", "openai/gpt-4o"),
    ("model entry not mapping", {"model_list": ["gpt"]}, "model_list[0]", "not a model entry", "model_name"),
    ("section not mapping", {"general_settings": ["store_model_in_db"]},
     "general_settings", "must be a mapping", "mapping"),
    ("boolean key", {"general_settings": {True: 1}}, "general_settings.True", "is a boolean, not a string", "quote"),
    ("ignored router argument", {"router_settings": {"model_list": []}},
     "router_settings.model_list", "has no effect in router_settings", "remove it"),
    ("quoted false of loose flag", {"general_settings": {"disable_spend_logs": "false"}},
     "general_settings.disable_spend_logs", "is a quoted boolean", "write false without quotes"),
    ("quoted no of loose flag", {"general_settings": {"enforce_user_param": "no"}},
     "general_settings.enforce_user_param", "is a quoted boolean", "write false without quotes"),
    ("quoted false of credentials flag", {"general_settings": {"allow_client_side_credentials": "False"}},
     "general_settings.allow_client_side_credentials", "is a quoted boolean", "write false without quotes"),
    ("azure ad token", {"model_list": [{"model_name": "gpt", "litellm_params": {
        "model": "azure/gpt-4o", "azure_ad_token": "eyJ0eXAi"}}]},
     "model_list[0].litellm_params.azure_ad_token", "literal value", "os.environ/NAME"),
    ("authorization header", {"model_list": [{"model_name": "gpt", "litellm_params": {
        "model": "openai/gpt-4o", "extra_headers": {"Authorization": "Bearer abc"}}}]},
     "model_list[0].litellm_params.extra_headers.Authorization", "literal value", "os.environ/NAME"),
    ("api key header", {"model_list": [{"model_name": "gpt", "litellm_params": {
        "model": "openai/gpt-4o", "extra_headers": {"X-Api-Key": "abc"}}}]},
     "model_list[0].litellm_params.extra_headers.X-Api-Key", "literal value", "os.environ/NAME"),
    ("password in api base", {"model_list": [{"model_name": "gpt", "litellm_params": {
        "model": "openai/gpt-4o", "api_base": "https://user:pass@llm.example.org/v1"}}]},
     "model_list[0].litellm_params.api_base", "carries a password", "os.environ/NAME"),
    ("slack webhook by alert type", {"general_settings": {"alert_to_webhook_url": {
        "llm_exceptions": "https://hooks.slack.example/services/T0/B0/x"}}},
     "general_settings.alert_to_webhook_url.llm_exceptions", "literal value", "os.environ/NAME"),
    ("slack webhook in list", {"general_settings": {"alert_to_webhook_url": {
        "budget_alerts": ["os.environ/SLACK_A", "https://hooks.slack.example/services/T0/B0/y"]}}},
     "general_settings.alert_to_webhook_url.budget_alerts[1]", "literal value", "os.environ/NAME"),
]


@pytest.mark.parametrize("settings, path, message, fix", [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_validate_reports_error(settings, path, message, fix):
    errors = errors_of(settings)
    assert len(errors) == 1, [e.format() for e in errors]
    assert errors[0].path == path
    assert message in errors[0].message
    assert fix in (errors[0].fix or "")
    assert errors[0].fragment == "team"


def test_validate_accepts_url_without_password():
    settings = {"model_list": [{"model_name": "gpt", "litellm_params": {
        "model": "openai/gpt-4o", "api_base": "https://llm.example.org:8443/v1?user=a@b"}}]}
    assert errors_of(settings) == []


def test_validate_accepts_webhook_references():
    settings = {"general_settings": {"alert_to_webhook_url": {
        "llm_exceptions": "os.environ/SLACK_WEBHOOK_URL", "budget_alerts": ["os.environ/SLACK_A"]}}}
    assert errors_of(settings) == []


@pytest.mark.parametrize("settings", [
    {"general_settings": {"master_key": "sk-1234"}},
    {"general_settings": {"database_url": "postgresql://user:pw@db/litellm"}},
    {"model_list": [{"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o", "api_key": "sk-live-1"}}]},
], ids=["master key", "database url", "provider key"])
def test_validate_never_echoes_secret(settings):
    text = errors_of(settings)[0].format()
    assert "sk-1234" not in text
    assert "pw@" not in text
    assert "sk-live-1" not in text


def test_validate_collects_every_error():
    settings = {
        "litellm_settings": {"extra_spend_tags_headers": [], "cache": "true"},
        "general_settings": {"user_header_mappings": [{"header_name": "X-A", "litellm_user_role": "admin"}]},
        "router_settings": {"redis_port": "6379"},
    }
    assert len(errors_of(settings)) == 4


def test_validate_unknown_key_warns_when_not_strict():
    settings = {"litellm_settings": {"extra_spend_tags_headers": []}}
    assert errors_of(settings, strict=False) == []
    assert len(warnings_of(settings, strict=False)) == 1
    assert "did you mean 'extra_spend_tag_headers'?" in warnings_of(settings, strict=False)[0].fix


def test_validate_wrong_section_is_error_when_not_strict():
    assert len(errors_of({"cache_params": {}}, strict=False)) == 1


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
def test_validate_design_only_key_warns(strict):
    settings = {"general_settings": {"store_prompts_in_cold_storage": True}}
    assert errors_of(settings, strict) == []
    warnings = warnings_of(settings, strict)
    assert len(warnings) == 1
    assert "LiteLLM 1.108.0 does not read this key" in warnings[0].message


def test_validate_design_only_key_still_type_checked():
    errors = errors_of({"general_settings": {"store_prompts_in_cold_storage": "true"}})
    assert len(errors) == 1
    assert "must be a boolean" in errors[0].message


def test_validate_open_section_unknown_key_warns():
    settings = {"litellm_settings": {"cache_params": {"type": "redis", "ssl": True}}}
    assert errors_of(settings) == []
    assert "passes it on unchecked" in warnings_of(settings)[0].message


@pytest.mark.parametrize("value", [
    "os.environ/OPENAI_API_KEY", "os.environ/_KEY2", None,
], ids=["reference", "underscore", "null"])
def test_validate_accepts_secret_reference(value):
    assert errors_of({"general_settings": {"master_key": value}}) == []


@pytest.mark.parametrize("host", [
    "redis", "redis.litellm.svc.cluster.local", "10.0.0.5", "fd00::5", "redis-master.cache",
])
def test_validate_accepts_bare_host(host):
    assert errors_of({"router_settings": {"redis_host": host}}) == []


@pytest.mark.parametrize("header", ["X-OpenWebUI-User-Id", "x-openwebui-user-email", "X_Custom.Header", "a!#$%&'*+^`|~"])
def test_validate_accepts_header_token(header):
    assert errors_of({"litellm_settings": {"extra_spend_tag_headers": [header]}}) == []


def test_validate_accepts_float_for_integer_or_float_setting():
    assert errors_of({"router_settings": {"timeout": 30}}) == []
    assert errors_of({"router_settings": {"timeout": 2.5}}) == []
