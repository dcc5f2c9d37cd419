"""Malformed inputs for site.yml: role variables and settings fragments that must stop the run.

Each case is YAML text that the test writes to a file and passes with ``-e @file``, so YAML 1.1
typing applies as it does to a user's vars file. ``on`` and ``no`` become booleans, ``0x10`` the
integer 16, ``2024-01-01`` a date and ``~`` null, while ``1e3`` stays a string.

``setting`` is what the failure message must name (a variable or a full config path). ``value`` lists
what the message may show of the value (any one, compared case-insensitively), or is None when the
value is secret or too large to repeat. ``hidden`` is text that must not appear anywhere in the output.
"""

import collections

Case = collections.namedtuple("Case", "id yaml setting value hidden")
Case.__new__.__defaults__ = (None,)

TEN_MB = 10 * 1024 * 1024
LONG_NAMESPACE = "a" * 300


def fragment(name, settings_yaml, remove=None):
    """Return the YAML of a one-fragment litellm_settings_fragments list."""
    lines = ["litellm_settings_fragments:", "  - name: %s" % name]
    if remove:
        lines.append("    remove:")
        lines.extend("      - %s" % path for path in remove)
    if settings_yaml:
        lines.append("    settings:")
        lines.extend("      " + line for line in settings_yaml.strip("\n").splitlines())
    return "\n".join(lines) + "\n"


QDRANT = "litellm_cache_type: qdrant-semantic\nlitellm_qdrant_embedding_model: openai/text-embedding-3-small\n"

CASES = [
    # ---- wrong types and out-of-range values of role variables ----
    Case("replicas-word", "litellm_replicas: two\n", "litellm_replicas", ("two",)),
    Case("replicas-yaml-on", "litellm_replicas: on\n", "litellm_replicas", ("on", "true")),
    # The API server keeps replicas in 32 bits, so without a bound 99999999999 became 1215752191 pods.
    Case("replicas-oversized", "litellm_replicas: 99999999999\n", "litellm_replicas", ("99999999999", "1000")),
    Case("run-as-user-beyond-int32", "litellm_run_as_user: 99999999999\n", "litellm_run_as_user",
         ("99999999999", "2147483647")),
    Case("port-out-of-range", "litellm_port: 70000\n", "litellm_port", ("70000",)),
    Case("redis-port-word", "redis_port: six\n", "redis_port", ("six",)),
    Case("redis-maxmemory-yaml-1e3", "redis_maxmemory: 1e3\n", "redis_maxmemory", ("1e3",)),
    Case("mode-unknown", "aigateway_mode: deploy\n", "aigateway_mode", ("deploy",)),
    Case("state-yaml-no", "aigateway_state: no\n", "aigateway_state", ("no", "false")),
    Case("run-as-root", "litellm_run_as_user: 0\n", "litellm_run_as_user", ("litellm_run_as_user: 0 ",)),
    Case("verify-url-without-scheme", "litellm_verify: url\nlitellm_verify_url: litellm.example.org\n",
         "litellm_verify_url", ("litellm.example.org",)),

    # ---- names and labels ----
    Case("namespace-300-characters", "litellm_namespace: %s\n" % LONG_NAMESPACE, "litellm_namespace",
         (LONG_NAMESPACE[:60],)),
    Case("namespace-yaml-null", "litellm_namespace: ~\n", "litellm_namespace", ("none", "null")),
    Case("openwebui-name-yaml-date", "openwebui_workload_name: 2024-01-01\n", "openwebui_workload_name",
         ("2024-01-01",)),
    Case("openwebui-container-yaml-hex", "openwebui_container_name: 0x10\n", "openwebui_container_name",
         ("16", "0x10")),
    Case("openwebui-container-absent", "openwebui_container_name: webui\n", "openwebui_container_name",
         ("webui",)),
    Case("namespace-labels-string", "aigateway_namespace_labels: pod-security.kubernetes.io/enforce=restricted\n",
         "aigateway_namespace_labels", ("pod-security.kubernetes.io/enforce=restricted",)),
    Case("namespace-label-value-invalid", "aigateway_namespace_labels: {team: platform team}\n",
         "aigateway_namespace_labels", ("platform team",)),
    Case("shared-namespace-label-conflict",
         "litellm_namespace_labels: {team: a}\nredis_namespace_labels: {team: b}\n", "litellm_namespace_labels",
         ("team",)),

    # ---- Secret references ----
    Case("master-key-without-key", "litellm_master_key_secret: {name: litellm-master-key}\n",
         "litellm_master_key_secret", ("litellm-master-key", "key")),
    Case("master-key-unknown-field",
         "litellm_master_key_secret: {name: litellm-master-key, key: master-key, namespace: litellm}\n",
         "litellm_master_key_secret", ("namespace",)),
    Case("master-key-secret-absent", "litellm_master_key_secret: {name: litellm-master-key-absent, key: master-key}\n",
         "litellm_master_key_secret", ("litellm-master-key-absent",)),
    Case("master-key-key-absent", "litellm_master_key_secret: {name: litellm-master-key, key: masterkey}\n",
         "litellm_master_key_secret", ("masterkey",)),
    Case("database-empty-but-needed", "litellm_database_url_secret: {}\n", "litellm_database_url_secret",
         ("store_model_in_db",)),
    Case("env-from-string", "litellm_env_from_secrets: litellm-provider-keys\n", "litellm_env_from_secrets",
         ("litellm-provider-keys",)),
    Case("redis-password-secret-absent", "redis_password_secret: {name: redis-auth-absent, key: password}\n",
         "redis_password_secret", ("redis-auth-absent",)),

    # ---- Kubernetes fields passed through ----
    Case("pull-secrets-as-objects", "litellm_image_pull_secrets: [{name: regcred}]\n", "litellm_image_pull_secrets",
         ("regcred",)),
    Case("toleration-operator-misspelled", "litellm_tolerations: [{key: gpu, operator: Exist}]\n", "litellm_tolerations",
         ("Exist",)),
    Case("requests-above-limits", "litellm_resources: {requests: {cpu: '2'}, limits: {cpu: '1'}}\n", "litellm_resources",
         ("requests",)),
    Case("redis-image-tag-yaml-float", "redis_image_tag: 7.40\n", "redis_image_tag", ("7.4",)),
    Case("redis-password-in-args", "redis_extra_args: [--requirepass, REDIS-ARG-PW-61f2]\n", "redis_extra_args", None,
         "REDIS-ARG-PW-61f2"),
    Case("node-selector-list-value", "litellm_node_selector: {pool: [a, b]}\n", "litellm_node_selector", ("pool",)),
    Case("resources-misspelled", "litellm_resources: {request: {cpu: 500m}}\n", "litellm_resources", ("request",)),
    Case("apiserver-peer-without-ipblock", "litellm_network_policy_apiserver_peers: [{cidr: 10.0.0.1/32}]\n",
         "litellm_network_policy_apiserver_peers", ("cidr",)),
    Case("apiserver-peer-cidr-without-prefix", "litellm_network_policy_apiserver_peers: [{ipBlock: {cidr: 10.0.0.1}}]\n",
         "litellm_network_policy_apiserver_peers", ("10.0.0.1",)),

    # ---- impossible combinations ----
    Case("ingress-without-host", "litellm_expose: ingress\n", "litellm_expose_host", ("ingress",)),
    Case("httproute-without-gateway-api",
         "litellm_expose: httproute\nlitellm_expose_host: litellm.example.org\n"
         "litellm_httproute_parent_refs: [{name: public, namespace: gateway}]\n",
         "litellm_expose", ("httproute",)),
    Case("qdrant-threshold-yaml-1e3",
         QDRANT + "litellm_qdrant_api_base: http://qdrant.qdrant.svc:6333\nlitellm_qdrant_similarity_threshold: 1e3\n",
         "litellm_qdrant_similarity_threshold", ("1e3", "1000")),
    Case("cold-storage-logger-not-a-callback",
         "litellm_cold_storage: true\n" + fragment("no-s3", None, remove=["litellm_settings.callbacks[s3_v2]"]),
         "litellm_settings.cold_storage_custom_logger", ("s3_v2",)),
    Case("replicas-without-shared-router-state",
         "litellm_replicas: 3\n" + fragment("no-router-redis", None,
                                            remove=["router_settings.redis_host", "router_settings.redis_port"]),
         "litellm_replicas", ("3",)),

    # ---- settings fragments ----
    Case("fragments-as-mapping", "litellm_settings_fragments: {name: team, settings: {}}\n",
         "litellm_settings_fragments", ("a mapping with keys name, settings",)),
    Case("fragment-without-name", "litellm_settings_fragments: [{settings: {litellm_settings: {cache: true}}}]\n",
         "fragment", None),
    Case("fragment-field-misspelled", "litellm_settings_fragments: [{name: team, setting: {litellm_settings: {cache: true}}}]\n",
         "litellm_settings_fragments", ("setting",)),
    Case("fragment-settings-null", "litellm_settings_fragments: [{name: team, settings: ~}]\n",
         "litellm_settings_fragments", ("null",)),
    Case("unknown-key", fragment("team", "litellm_settings:\n  extra_spend_tags_headers: [x-team]\n"),
         "litellm_settings.extra_spend_tags_headers", ("extra_spend_tags_headers",)),
    Case("key-in-wrong-section", fragment("team", "general_settings:\n  cache: true\n"),
         "general_settings.cache", ("cache",)),
    Case("header-name-with-space",
         fragment("team", "general_settings:\n  user_header_mappings:\n"
                          "    - {header_name: X-User Email, litellm_user_role: customer}\n"),
         "general_settings.user_header_mappings[0].header_name", ("X-User Email",)),
    Case("header-with-two-roles",
         fragment("team", "general_settings:\n  user_header_mappings:\n"
                          "    - {header_name: x-openwebui-user-id, litellm_user_role: customer}\n"),
         "general_settings.user_header_mappings", ("x-openwebui-user-id", "X-OpenWebUI-User-Id")),
    Case("two-internal-user-headers",
         fragment("team", "general_settings:\n  user_header_mappings:\n"
                          "    - {header_name: X-Team-User, litellm_user_role: internal_user}\n"),
         "general_settings.user_header_mappings", ("X-Team-User",)),
    Case("quoted-boolean", fragment("team", "litellm_settings:\n  cache: 'false'\n"), "litellm_settings.cache",
         ("'false'",)),
    Case("literal-master-key", fragment("team", "general_settings:\n  master_key: sk-LITERAL-MASTER-93c1\n"),
         "general_settings.master_key", None, "LITERAL-MASTER-93c1"),
    Case("literal-provider-key",
         fragment("models", "model_list:\n  - model_name: gpt-4o\n    litellm_params:\n"
                            "      model: openai/gpt-4o\n      api_key: sk-LITERAL-PROVIDER-5e2b\n"),
         "model_list[0].litellm_params.api_key", None, "LITERAL-PROVIDER-5e2b"),
    Case("quoted-boolean-loose-flag", fragment("team", "general_settings:\n  disable_spend_logs: 'false'\n"),
         "general_settings.disable_spend_logs", ("'false'",)),
    Case("password-in-api-base",
         fragment("models", "model_list:\n  - model_name: gpt-4o\n    litellm_params:\n"
                            "      model: openai/gpt-4o\n      api_base: https://svc:URL-PW-0b4e@llm.example.org/v1\n"),
         "model_list[0].litellm_params.api_base", None, "URL-PW-0b4e"),
    Case("redis-host-as-url", fragment("team", "router_settings:\n  redis_host: redis://redis.litellm.svc:6379\n"),
         "router_settings.redis_host", ("redis://redis.litellm.svc:6379",)),
    Case("key-yaml-on", fragment("team", "litellm_settings:\n  on: true\n"), "litellm_settings.true", ("true",)),
    Case("number-yaml-1e3", fragment("team", "litellm_settings:\n  request_timeout: 1e3\n"),
         "litellm_settings.request_timeout", ("1e3",)),
    Case("model-name-null",
         fragment("models", "model_list:\n  - model_name: ~\n    litellm_params: {model: openai/gpt-4o}\n"),
         "model_list[0].model_name", ("null",)),
]


def oversized_cases():
    """Return the cases with 10 MB values, which are built only when the corpus runs."""
    return [
        Case("expose-host-10-mb", "litellm_expose: ingress\nlitellm_expose_host: %s\n" % ("a" * TEN_MB),
             "litellm_expose_host", None),
        Case("spend-tag-header-10-mb",
             fragment("team", "litellm_settings:\n  extra_spend_tag_headers: ['%s']\n" % ("x y" * (TEN_MB // 3))),
             "litellm_settings.extra_spend_tag_headers[0]", None),
    ]
