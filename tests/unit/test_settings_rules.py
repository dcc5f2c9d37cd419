"""Rules across several merged settings: cold storage, semantic cache, response IDs, e-mail on metrics."""

import pytest

from ansible_collections.aigateway.litellm.plugins.module_utils.settings_build import build_config


def build(*settings):
    fragments = [{"name": "f%d" % index, "settings": item} for index, item in enumerate(settings)]
    return build_config(None, fragments)


def messages(result, errors=True):
    chosen = result.errors if errors else result.warnings
    return [problem.format() for problem in chosen]


COLD_STORAGE = {
    "litellm_settings": {
        "callbacks": ["s3_v2"],
        "cold_storage_custom_logger": "s3_v2",
        "s3_callback_params": {"s3_bucket_name": "os.environ/LITELLM_S3_BUCKET_NAME"},
    },
}


def test_cold_storage_complete_passes():
    assert build(COLD_STORAGE).errors == []


def test_cold_storage_logger_in_success_callback_passes():
    settings = {"litellm_settings": dict(COLD_STORAGE["litellm_settings"], callbacks=[], success_callback=["s3_v2"])}
    assert build(settings).errors == []


def test_cold_storage_logger_must_be_active():
    settings = {"litellm_settings": dict(COLD_STORAGE["litellm_settings"], callbacks=["prometheus"])}
    errors = messages(build(settings))
    assert len(errors) == 1
    assert errors[0].startswith("litellm_settings.cold_storage_custom_logger (fragment 'f0')")
    assert "add 's3_v2' to litellm_settings.callbacks" in errors[0]


def test_cold_storage_logger_found_across_fragments():
    first = {"litellm_settings": {"callbacks": ["s3_v2"]}}
    second = {"litellm_settings": {"cold_storage_custom_logger": "s3_v2",
                                   "s3_callback_params": {"s3_bucket_name": "os.environ/B"}}}
    assert build(first, second).errors == []


def test_cold_storage_s3_needs_bucket():
    settings = {"litellm_settings": dict(COLD_STORAGE["litellm_settings"], s3_callback_params={})}
    errors = messages(build(settings))
    assert len(errors) == 1
    assert "litellm_settings.s3_callback_params.s3_bucket_name" in errors[0]
    assert "has no bucket" in errors[0]


QDRANT = {
    "type": "qdrant-semantic",
    "qdrant_api_base": "https://qdrant.example.org:6333",
    "qdrant_collection_name": "litellm",
    "qdrant_semantic_cache_embedding_model": "text-embedding-3-small",
    "similarity_threshold": 0.8,
}


def test_semantic_cache_complete_passes():
    assert build({"litellm_settings": {"cache": True, "cache_params": QDRANT}}).errors == []


@pytest.mark.parametrize("missing", ["qdrant_collection_name", "qdrant_semantic_cache_embedding_model",
                                     "similarity_threshold"])
def test_semantic_cache_requires_key(missing):
    params = dict(QDRANT)
    del params[missing]
    errors = messages(build({"litellm_settings": {"cache_params": params}}))
    assert len(errors) == 1
    assert "litellm_settings.cache_params.%s" % missing in errors[0]
    assert "needs %s" % missing in errors[0]


def test_redis_semantic_cache_requires_embedding_model():
    errors = messages(build({"litellm_settings": {"cache_params": {"type": "redis-semantic",
                                                                   "similarity_threshold": 0.9}}}))
    assert len(errors) == 1
    assert "redis_semantic_cache_embedding_model" in errors[0]


@pytest.mark.parametrize("threshold", [0, 1.5, -0.2])
def test_semantic_cache_threshold_range(threshold):
    errors = messages(build({"litellm_settings": {"cache_params": dict(QDRANT, similarity_threshold=threshold)}}))
    assert len(errors) == 1
    assert "outside (0, 1]" in errors[0]


def test_plain_redis_cache_needs_no_semantic_keys():
    assert build({"litellm_settings": {"cache_params": {"type": "redis", "host": "redis"}}}).errors == []


def test_response_id_security_off_warns():
    result = build({"general_settings": {"disable_responses_id_security": True}})
    assert result.errors == []
    assert len(result.warnings) == 1
    assert "response ID security is off" in result.warnings[0].message


def test_response_id_security_on_is_quiet():
    assert build({"general_settings": {"disable_responses_id_security": False}}).warnings == []


EMAIL_ON_METRICS = {
    "litellm_settings": {"callbacks": ["prometheus"], "require_auth_for_metrics_endpoint": False,
                         "enable_end_user_cost_tracking_prometheus_only": True},
    "general_settings": {"user_header_mappings": [
        {"header_name": "X-OpenWebUI-User-Email", "litellm_user_role": "customer"}]},
}


def test_email_on_open_metrics_warns():
    warnings = messages(build(EMAIL_ON_METRICS), errors=False)
    assert len(warnings) == 1
    assert "'X-OpenWebUI-User-Email' maps e-mail addresses" in warnings[0]
    assert "require_auth_for_metrics_endpoint: true" in warnings[0]


@pytest.mark.parametrize("change", [
    {"require_auth_for_metrics_endpoint": True},
    {"enable_end_user_cost_tracking_prometheus_only": False},
    {"callbacks": ["generic_api"]},
], ids=["metrics need key", "end user label off", "no prometheus"])
def test_email_on_metrics_quiet_when_not_exposed(change):
    settings = {"litellm_settings": dict(EMAIL_ON_METRICS["litellm_settings"], **change),
                "general_settings": EMAIL_ON_METRICS["general_settings"]}
    assert messages(build(settings), errors=False) == []
