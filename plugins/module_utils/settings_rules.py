# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules that span several settings of the merged configuration.

Each rule looks at the merged result, because the settings it combines often come from different
fragments. A problem names the fragment that last set the setting it is about.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.aigateway.litellm.plugins.module_utils.settings_problems import (
    ERROR,
    WARNING,
    Problem,
    describe_value,
)

# Keys LiteLLM 1.108.0 needs in cache_params for each semantic cache type. The Qdrant address may also
# come from the QDRANT_API_BASE environment variable, so it is not listed.
SEMANTIC_CACHE_KEYS = {
    "qdrant-semantic": ("qdrant_collection_name", "qdrant_semantic_cache_embedding_model", "similarity_threshold"),
    "redis-semantic": ("redis_semantic_cache_embedding_model", "similarity_threshold"),
}
EMAIL_HEADER = re.compile(r"e-?mail", re.IGNORECASE)


def check_merged(config, origins):
    """Return the problems of settings that only make sense together."""
    problems = []
    litellm_settings = _section(config, "litellm_settings")
    general_settings = _section(config, "general_settings")

    problems.extend(_check_cold_storage(litellm_settings, origins))
    problems.extend(_check_semantic_cache(litellm_settings, origins))
    problems.extend(_check_response_id_security(general_settings, origins))
    problems.extend(_check_email_on_metrics(litellm_settings, general_settings, origins))
    return problems


def _section(config, name):
    value = config.get(name)
    return value if isinstance(value, dict) else {}


def _origin(origins, path):
    """Return the fragment that set `path`, or the nearest parent that a fragment set."""
    while path:
        if path in origins:
            return origins[path]
        path = path.rpartition(".")[0]
    return "?"


def _check_cold_storage(litellm_settings, origins):
    logger = litellm_settings.get("cold_storage_custom_logger")
    if not isinstance(logger, str) or not logger:
        return []

    problems = []
    path = "litellm_settings.cold_storage_custom_logger"
    active = []
    for key in ("callbacks", "success_callback"):
        if isinstance(litellm_settings.get(key), list):
            active.extend(litellm_settings[key])
    if logger not in active:
        problems.append(Problem(
            ERROR, path, _origin(origins, path),
            "cold storage uses logger %s, but that logger is not in litellm_settings.callbacks; LiteLLM looks "
            "the logger up among the active callbacks and stores nothing without it" % describe_value(logger),
            "add '%s' to litellm_settings.callbacks" % logger,
        ))

    params = litellm_settings.get("s3_callback_params")
    if logger == "s3_v2" and not (isinstance(params, dict) and params.get("s3_bucket_name")):
        problems.append(Problem(
            ERROR, "litellm_settings.s3_callback_params.s3_bucket_name", _origin(origins, path),
            "cold storage logger 's3_v2' has no bucket",
            "set litellm_settings.s3_callback_params.s3_bucket_name, for example to os.environ/LITELLM_S3_BUCKET_NAME",
        ))
    return problems


def _check_semantic_cache(litellm_settings, origins):
    params = litellm_settings.get("cache_params")
    if not isinstance(params, dict):
        return []
    cache_type = params.get("type")
    required = SEMANTIC_CACHE_KEYS.get(cache_type)
    if not required:
        return []

    problems = []
    base = "litellm_settings.cache_params"
    for key in required:
        if params.get(key) in (None, ""):
            problems.append(Problem(
                ERROR, "%s.%s" % (base, key), _origin(origins, base + ".type"),
                "cache type '%s' needs %s, which is not set" % (cache_type, key),
                "set %s.%s" % (base, key),
            ))

    threshold = params.get("similarity_threshold")
    is_number = isinstance(threshold, (int, float)) and not isinstance(threshold, bool)
    if is_number and not 0 < threshold <= 1:
        path = base + ".similarity_threshold"
        problems.append(Problem(
            ERROR, path, _origin(origins, path),
            "similarity threshold %s is outside (0, 1]" % describe_value(threshold),
            "use a cosine similarity such as 0.8; 1 caches only identical prompts",
        ))
    return problems


def _check_response_id_security(general_settings, origins):
    path = "general_settings.disable_responses_id_security"
    if general_settings.get("disable_responses_id_security") is not True:
        return []
    return [Problem(
        WARNING, path, _origin(origins, path),
        "response ID security is off: any caller with a key can fetch the stored responses of every other "
        "user by ID, which is unsafe when several teams or tenants share the proxy",
        "keep it false unless every caller may read every response",
    )]


def _check_email_on_metrics(litellm_settings, general_settings, origins):
    """Warn when e-mail addresses end up as an unauthenticated Prometheus label.

    LiteLLM 1.108.0 fills the end_user label of its request metrics only when
    enable_end_user_cost_tracking_prometheus_only is true; otherwise the label is "None".
    """
    mappings = general_settings.get("user_header_mappings")
    if not isinstance(mappings, list):
        return []
    email_headers = [
        m.get("header_name") for m in mappings
        if isinstance(m, dict) and m.get("litellm_user_role") == "customer"
        and isinstance(m.get("header_name"), str) and EMAIL_HEADER.search(m["header_name"])
    ]
    callbacks = litellm_settings.get("callbacks") if isinstance(litellm_settings.get("callbacks"), list) else []
    if not email_headers or "prometheus" not in callbacks:
        return []
    if litellm_settings.get("require_auth_for_metrics_endpoint") is True:
        return []
    if litellm_settings.get("enable_end_user_cost_tracking_prometheus_only") is not True:
        return []

    path = "litellm_settings.enable_end_user_cost_tracking_prometheus_only"
    return [Problem(
        WARNING, path, _origin(origins, path),
        "header %s maps e-mail addresses to the end user, and /metrics/ is served without a key, so anyone who "
        "can reach the proxy's port can read those addresses from the end_user label"
        % ", ".join("'%s'" % h for h in email_headers),
        "set litellm_settings.require_auth_for_metrics_endpoint: true (and give Prometheus the key), or keep "
        "the NetworkPolicy so that only the metrics scraper and Open WebUI reach the port",
    )]
