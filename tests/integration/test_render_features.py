"""Role options rendered by site.yml: Responses API, caches, throughput, publishing and network policies."""

import kubernetes_validate
import pytest
import yaml

from test_render import KUBERNETES_VERSION, container, load_manifests, render


def config_of(manifests):
    return yaml.safe_load(manifests["litellm/configmap-litellm-config.yaml"]["data"]["proxy_server_config.yaml"])


def env_of(manifests, name="litellm/deployment-litellm.yaml"):
    return {entry["name"]: entry for entry in container(manifests[name]).get("env", [])}


def rendered(tmp_path, extra_vars):
    run = render(tmp_path, extra_vars)
    assert run.returncode == 0, run.stdout[-4000:]
    return load_manifests(tmp_path), run


def manifests_of(tmp_path, extra_vars):
    return rendered(tmp_path, extra_vars)[0]


def failed(tmp_path, extra_vars):
    run = render(tmp_path / "out", extra_vars)
    assert run.returncode != 0
    assert not (tmp_path / "out").exists()
    return run.stdout


def test_default_pre_call_check_merges_with_user_checks(tmp_path):
    fragment = {"name": "routing", "settings": {"router_settings": {"optional_pre_call_checks": ["prompt_caching"]}}}
    manifests = manifests_of(tmp_path, {"litellm_settings_fragments": [fragment]})
    assert config_of(manifests)["router_settings"]["optional_pre_call_checks"] == [
        "responses_api_deployment_check", "prompt_caching"]


def test_cold_storage_settings_and_env(tmp_path):
    manifests, run = rendered(tmp_path, {"litellm_cold_storage": True})
    settings = config_of(manifests)["litellm_settings"]
    assert settings["callbacks"] == ["prometheus", "s3_v2"]
    assert settings["cold_storage_custom_logger"] == "s3_v2"
    assert settings["s3_callback_params"] == {
        "s3_bucket_name": "os.environ/LITELLM_S3_BUCKET_NAME",
        "s3_region_name": "os.environ/LITELLM_S3_REGION_NAME",
        "s3_aws_access_key_id": "os.environ/LITELLM_S3_ACCESS_KEY_ID",
        "s3_aws_secret_access_key": "os.environ/LITELLM_S3_SECRET_ACCESS_KEY",
    }
    assert config_of(manifests)["general_settings"]["store_prompts_in_cold_storage"] is True
    env = env_of(manifests)
    assert env["LITELLM_S3_BUCKET_NAME"]["valueFrom"]["secretKeyRef"] == {"name": "litellm-s3-secret", "key": "bucket_name"}
    assert env["LITELLM_S3_SECRET_ACCESS_KEY"]["valueFrom"]["secretKeyRef"] == {
        "name": "litellm-s3-secret", "key": "secret_access_key"}
    merged = run.task_result("Merge and validate the LiteLLM settings fragments")
    assert any("store_prompts_in_cold_storage" in w and "does not read this key" in w for w in merged["warnings"])


def test_cold_storage_endpoint_for_compatible_store(tmp_path):
    manifests = manifests_of(tmp_path, {"litellm_cold_storage": True,
                             "litellm_cold_storage_endpoint_url": "http://minio.minio.svc:9000"})
    params = config_of(manifests)["litellm_settings"]["s3_callback_params"]
    assert params["s3_endpoint_url"] == "http://minio.minio.svc:9000"


def test_cold_storage_switch_accepts_command_line_string(tmp_path):
    manifests = manifests_of(tmp_path, {"litellm_cold_storage": "false"})
    assert "cold_storage_custom_logger" not in config_of(manifests)["litellm_settings"]


def test_response_id_security_stays_on_by_default(tmp_path):
    manifests = manifests_of(tmp_path, {})
    assert config_of(manifests)["general_settings"]["disable_responses_id_security"] is False
    assert env_of(manifests)["DISABLE_RESPONSES_ID_SECURITY"]["value"] == "false"


def test_response_id_security_off_renders_boolean_and_warns(tmp_path):
    manifests, run = rendered(tmp_path, {"litellm_disable_responses_id_security": True})
    assert config_of(manifests)["general_settings"]["disable_responses_id_security"] is True
    assert env_of(manifests)["DISABLE_RESPONSES_ID_SECURITY"]["value"] == "true"
    merged = run.task_result("Merge and validate the LiteLLM settings fragments")
    assert any("response ID security is off" in w for w in merged["warnings"])


def test_response_id_security_rejects_quoted_words(tmp_path):
    assert "litellm_disable_responses_id_security: 'maybe' is not true or false" in failed(
        tmp_path, {"litellm_disable_responses_id_security": "maybe"})


def test_salt_key_from_one_secret(tmp_path):
    manifests = manifests_of(tmp_path, {"litellm_salt_key_secret": {"name": "litellm-salt", "key": "salt"},
                             "litellm_replicas": 3})
    assert env_of(manifests)["LITELLM_SALT_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "litellm-salt", "key": "salt"}


QDRANT = {
    "litellm_cache_type": "qdrant-semantic",
    "litellm_qdrant_api_base": "http://qdrant.qdrant.svc:6333",
    "litellm_qdrant_embedding_model": "openai/text-embedding-3-small",
    "litellm_qdrant_api_key_secret": {"name": "qdrant", "key": "api-key"},
}


def test_semantic_cache_replaces_redis_cache(tmp_path):
    manifests = manifests_of(tmp_path, QDRANT)
    settings = config_of(manifests)["litellm_settings"]
    assert settings["cache"] is True
    assert settings["cache_params"] == {
        "type": "qdrant-semantic",
        "qdrant_api_base": "http://qdrant.qdrant.svc:6333",
        "qdrant_collection_name": "litellm-semantic-cache",
        "qdrant_semantic_cache_embedding_model": "openai/text-embedding-3-small",
        "similarity_threshold": 0.8,
        "qdrant_api_key": "os.environ/QDRANT_API_KEY",
    }
    assert env_of(manifests)["QDRANT_API_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "qdrant", "key": "api-key"}
    assert config_of(manifests)["router_settings"]["redis_host"] == "redis.litellm.svc.cluster.local"


@pytest.mark.parametrize("setting, value, message", [
    ("litellm_qdrant_api_base", "", "is not an http(s) URL"),
    ("litellm_qdrant_embedding_model", "", "is not a model"),
    ("litellm_qdrant_similarity_threshold", 1.5, "is not a similarity threshold"),
    ("litellm_qdrant_similarity_threshold", "high", "is not a similarity threshold"),
    ("litellm_qdrant_api_key_secret", {"name": "qdrant"}, "does not name a Secret key"),
])
def test_semantic_cache_rejects_incomplete_settings(tmp_path, setting, value, message):
    output = failed(tmp_path, dict(QDRANT, **{setting: value}))
    assert "%s: " % setting in output
    assert message in output


def test_cache_off_removes_cache_params(tmp_path):
    manifests = manifests_of(tmp_path, {"litellm_cache_type": "none"})
    settings = config_of(manifests)["litellm_settings"]
    assert settings["cache"] is False
    assert "cache_params" not in settings


def test_throughput_settings(tmp_path):
    manifests = manifests_of(tmp_path, {
        "litellm_routing_strategy": "latency-based-routing",
        "litellm_database_connection_pool_limit": "50",
        "litellm_background_health_checks": True,
        "litellm_health_check_interval": 60,
    })
    config = config_of(manifests)
    assert config["router_settings"]["routing_strategy"] == "latency-based-routing"
    assert config["general_settings"]["database_connection_pool_limit"] == 50
    assert config["general_settings"]["background_health_checks"] is True
    assert config["general_settings"]["health_check_interval"] == 60


@pytest.mark.parametrize("setting, value, message", [
    ("litellm_routing_strategy", "round-robin", "is not a routing strategy"),
    ("litellm_database_connection_pool_limit", 0, "is not a pool size"),
    ("litellm_database_connection_pool_limit", 5000, "is not a pool size"),
    ("litellm_health_check_interval", 5, "is not an interval"),
    ("litellm_background_health_checks", "sometimes", "is not true or false"),
])
def test_throughput_ranges(tmp_path, setting, value, message):
    output = failed(tmp_path, {setting: value})
    assert "%s: " % setting in output
    assert message in output


def test_several_replicas_get_disruption_budget(tmp_path):
    manifests = manifests_of(tmp_path, {"litellm_replicas": 2})
    budget = manifests["litellm/poddisruptionbudget-litellm.yaml"]
    kubernetes_validate.validate(budget, KUBERNETES_VERSION, strict=True)
    assert budget["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": {
        "app.kubernetes.io/name": "litellm", "app.kubernetes.io/instance": "litellm"}}}


def test_one_replica_has_no_disruption_budget(tmp_path):
    manifests = manifests_of(tmp_path, {})
    assert "litellm/poddisruptionbudget-litellm.yaml" not in manifests


def test_several_replicas_need_redis_router_state(tmp_path):
    fragment = {"name": "no-router-redis", "remove": ["router_settings.redis_host", "router_settings.redis_port"]}
    output = failed(tmp_path, {"litellm_replicas": 2, "litellm_settings_fragments": [fragment]})
    assert "litellm_replicas: 2 replicas need shared router state" in output


def test_ingress(tmp_path):
    manifests = manifests_of(tmp_path, {"litellm_expose": "ingress", "litellm_expose_host": "llm.example.org",
                             "litellm_expose_tls_secret": "llm-tls", "litellm_ingress_class_name": "nginx"})
    ingress = manifests["litellm/ingress-litellm.yaml"]
    kubernetes_validate.validate(ingress, KUBERNETES_VERSION, strict=True)
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [{"hosts": ["llm.example.org"], "secretName": "llm-tls"}]
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"] == {"service": {"name": "litellm",
                                                                                      "port": {"name": "http"}}}
    policy = manifests["litellm/networkpolicy-litellm.yaml"]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}} in \
        policy["spec"]["ingress"][0]["from"]


def test_httproute(tmp_path):
    manifests = manifests_of(tmp_path, {"litellm_expose": "httproute", "litellm_expose_host": "llm.example.org",
                             "litellm_httproute_parent_refs": [{"name": "public", "namespace": "gateway"}]})
    route = manifests["litellm/httproute-litellm.yaml"]
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert route["spec"]["parentRefs"] == [{"name": "public", "namespace": "gateway"}]
    assert route["spec"]["hostnames"] == ["llm.example.org"]
    assert route["spec"]["rules"][0]["backendRefs"] == [{"name": "litellm", "port": 4000}]


@pytest.mark.parametrize("extra_vars, message", [
    ({"litellm_expose": "ingress"}, "litellm_expose_host: '' is not a host name"),
    ({"litellm_expose": "httproute", "litellm_expose_host": "llm.example.org"},
     "litellm_httproute_parent_refs: [] does not name a Gateway"),
    ({"litellm_expose": "loadbalancer"}, "litellm_expose: 'loadbalancer' is not a way to publish the proxy"),
])
def test_expose_rejects_incomplete_settings(tmp_path, extra_vars, message):
    assert message in failed(tmp_path, extra_vars)


def test_not_exposed_by_default(tmp_path):
    manifests = manifests_of(tmp_path, {})
    assert not [name for name in manifests if "ingress-" in name or "httproute-" in name]


def test_network_policies_admit_only_designed_peers(tmp_path):
    manifests = manifests_of(tmp_path, {"litellm_network_policy_apiserver_peers": [{"ipBlock": {"cidr": "10.0.0.1/32"}}]})
    redis_policy = manifests["redis/networkpolicy-redis.yaml"]
    assert redis_policy["spec"]["ingress"] == [{
        "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "litellm"}},
                  "podSelector": {"matchLabels": {"app.kubernetes.io/name": "litellm"}}}],
        "ports": [{"port": "redis", "protocol": "TCP"}]}]
    proxy_policy = manifests["litellm/networkpolicy-litellm.yaml"]
    assert proxy_policy["spec"]["ingress"][0]["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "open-webui"}}},
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]
    assert proxy_policy["spec"]["ingress"][1] == {
        "from": [{"ipBlock": {"cidr": "10.0.0.1/32"}}],
        "ports": [{"port": "http", "protocol": "TCP"}, {"port": "health", "protocol": "TCP"}]}


def test_network_policies_can_be_switched_off(tmp_path):
    manifests = manifests_of(tmp_path, {"litellm_network_policy": False, "redis_network_policy": "no"})
    assert not [name for name in manifests if "networkpolicy" in name]


def test_network_policy_rejects_malformed_peer(tmp_path):
    output = failed(tmp_path, {"litellm_network_policy_scraper_peers": [{"namespace": "monitoring"}]})
    assert "litellm_network_policy_scraper_peers: " in output
    assert "is not a list of NetworkPolicy peers" in output


def test_label_error_names_entry_beyond_preview(tmp_path):
    # The value preview stops at 80 characters, so the message names the bad entry on its own.
    selector = {"pool-%02d" % number: "gateway" for number in range(8)}
    selector["zone"] = "eu west"

    output = failed(tmp_path, {"litellm_node_selector": selector})

    assert "litellm_node_selector: " in output
    assert "the value of 'zone', 'eu west', is invalid" in output


def test_redis_password_reaches_both_sides(tmp_path):
    manifests = manifests_of(tmp_path, {"redis_password_secret": {"name": "redis-auth", "key": "password"}})
    redis = container(manifests["redis/deployment-redis.yaml"])
    position = redis["args"].index("--requirepass")
    assert redis["args"][position + 1] == "$(REDIS_PASSWORD)"
    assert redis["env"] == [{"name": "REDIS_PASSWORD", "valueFrom": {"secretKeyRef": {
        "name": "redis-auth", "key": "password"}}}]
    config = config_of(manifests)
    assert config["router_settings"]["redis_password"] == "os.environ/REDIS_PASSWORD"
    assert config["litellm_settings"]["cache_params"]["password"] == "os.environ/REDIS_PASSWORD"
    assert env_of(manifests)["REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "redis-auth", "key": "password"}


def test_scheduling_settings(tmp_path):
    manifests = manifests_of(tmp_path, {
        "litellm_node_selector": {"pool": "llm"},
        "litellm_tolerations": [{"key": "llm", "operator": "Exists"}],
        "redis_node_selector": {"pool": "cache"},
    })
    proxy = manifests["litellm/deployment-litellm.yaml"]["spec"]["template"]["spec"]
    assert proxy["nodeSelector"] == {"pool": "llm"}
    assert proxy["tolerations"] == [{"key": "llm", "operator": "Exists"}]
    assert manifests["redis/deployment-redis.yaml"]["spec"]["template"]["spec"]["nodeSelector"] == {"pool": "cache"}


def test_all_features_match_kubernetes_schema(tmp_path):
    manifests = manifests_of(tmp_path, dict(QDRANT, litellm_replicas=2, litellm_cold_storage=True,
                             litellm_expose="ingress", litellm_expose_host="llm.example.org",
                             redis_password_secret={"name": "redis-auth", "key": "password"}))
    for name, manifest in manifests.items():
        if manifest["kind"] in ("Kustomization", "Component") or name.startswith("openwebui/"):
            continue
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
