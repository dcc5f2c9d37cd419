"""Merge rules for LiteLLM settings fragments, without validation."""

import pytest

from ansible_collections.aigateway.litellm.plugins.module_utils.settings_merge import (
    check_fragment_shapes,
    merge_fragments,
)


def fragment(name, settings=None, remove=None):
    result = {"name": name, "settings": settings or {}}
    if remove is not None:
        result["remove"] = remove
    return result


def merge(*fragments):
    return merge_fragments(list(fragments))


def errors(result):
    return [p for p in result.problems if p.is_error]


def warnings(result):
    return [p for p in result.problems if not p.is_error]


MAPPINGS_AND_SCALARS = [
    (
        "nested mappings merge",
        [{"litellm_settings": {"cache": True, "cache_params": {"type": "redis", "port": 6379}}},
         {"litellm_settings": {"cache_params": {"host": "redis"}}}],
        {"litellm_settings": {"cache": True, "cache_params": {"type": "redis", "port": 6379, "host": "redis"}}},
    ),
    (
        "later scalar wins",
        [{"router_settings": {"redis_port": 6379}}, {"router_settings": {"redis_port": 6380}}],
        {"router_settings": {"redis_port": 6380}},
    ),
    (
        "later boolean false wins",
        [{"general_settings": {"store_model_in_db": True}}, {"general_settings": {"store_model_in_db": False}}],
        {"general_settings": {"store_model_in_db": False}},
    ),
    (
        "ordinary list is replaced",
        [{"router_settings": {"fallbacks": [{"a": ["b"]}]}}, {"router_settings": {"fallbacks": [{"c": ["d"]}]}}],
        {"router_settings": {"fallbacks": [{"c": ["d"]}]}},
    ),
    (
        "scalar replaces mapping",
        [{"litellm_settings": {"cache_params": {"type": "redis"}}}, {"litellm_settings": {"cache_params": None}}],
        {"litellm_settings": {"cache_params": None}},
    ),
    (
        "sections from different fragments combine",
        [{"litellm_settings": {"cache": True}}, {"general_settings": {"store_model_in_db": True}}],
        {"litellm_settings": {"cache": True}, "general_settings": {"store_model_in_db": True}},
    ),
]


@pytest.mark.parametrize("settings, expected", [case[1:] for case in MAPPINGS_AND_SCALARS],
                         ids=[case[0] for case in MAPPINGS_AND_SCALARS])
def test_merge_mappings_and_scalars(settings, expected):
    result = merge(*[fragment("f%d" % i, s) for i, s in enumerate(settings)])
    assert errors(result) == []
    assert result.config == expected


def test_merge_does_not_modify_inputs():
    first = fragment("a", {"litellm_settings": {"cache_params": {"type": "redis"}}})
    second = fragment("b", {"litellm_settings": {"cache_params": {"host": "redis"}}})
    merge(first, second)
    assert first["settings"] == {"litellm_settings": {"cache_params": {"type": "redis"}}}


SET_LISTS = [
    ("callbacks", "litellm_settings", ["prometheus"], ["generic_api", "prometheus"], ["prometheus", "generic_api"]),
    ("success_callback", "litellm_settings", ["s3_v2"], ["s3_v2", "langfuse"], ["s3_v2", "langfuse"]),
    ("failure_callback", "litellm_settings", ["a"], ["b", "a"], ["a", "b"]),
    ("optional_pre_call_checks", "router_settings", ["responses_api_deployment_check"],
     ["prompt_caching", "responses_api_deployment_check"], ["responses_api_deployment_check", "prompt_caching"]),
    ("allowed_routes", "general_settings", ["/chat/completions"], ["/chat/completions", "/embeddings"],
     ["/chat/completions", "/embeddings"]),
]


@pytest.mark.parametrize("key, section, first, second, expected", SET_LISTS, ids=[c[0] for c in SET_LISTS])
def test_merge_set_list_is_ordered_union(key, section, first, second, expected):
    result = merge(fragment("a", {section: {key: first}}), fragment("b", {section: {key: second}}))
    assert result.config[section][key] == expected


def test_merge_set_list_collapses_duplicates_within_fragment():
    result = merge(fragment("a", {"litellm_settings": {"callbacks": ["prometheus", "prometheus"]}}))
    assert result.config["litellm_settings"]["callbacks"] == ["prometheus"]


def test_merge_spend_tag_headers_lower_case_and_case_insensitive():
    result = merge(
        fragment("design", {"litellm_settings": {"extra_spend_tag_headers": ["X-OpenWebUI-User-Id", "X-OpenWebUI-User-Email"]}}),
        fragment("user", {"litellm_settings": {"extra_spend_tag_headers": ["x-openwebui-user-id", "X-OPENWEBUI-USER-NAME"]}}),
    )
    assert result.config["litellm_settings"]["extra_spend_tag_headers"] == [
        "x-openwebui-user-id", "x-openwebui-user-email", "x-openwebui-user-name"]


ID_MAPPING = {"header_name": "X-OpenWebUI-User-Id", "litellm_user_role": "internal_user"}
EMAIL_MAPPING = {"header_name": "X-OpenWebUI-User-Email", "litellm_user_role": "customer"}
NAME_MAPPING = {"header_name": "X-OpenWebUI-User-Name", "litellm_user_role": "customer"}


def mappings(*entries):
    return {"general_settings": {"user_header_mappings": list(entries)}}


def test_merge_identical_mappings_collapse():
    result = merge(fragment("a", mappings(ID_MAPPING, EMAIL_MAPPING)), fragment("b", mappings(ID_MAPPING)))
    assert errors(result) == []
    assert result.config["general_settings"]["user_header_mappings"] == [ID_MAPPING, EMAIL_MAPPING]


def test_merge_mapping_header_compares_case_insensitively():
    lower = {"header_name": "x-openwebui-user-id", "litellm_user_role": "internal_user"}
    result = merge(fragment("a", mappings(ID_MAPPING)), fragment("b", mappings(lower)))
    assert errors(result) == []
    assert result.config["general_settings"]["user_header_mappings"] == [ID_MAPPING]


def test_merge_rejects_conflicting_roles():
    as_customer = {"header_name": "x-openwebui-user-id", "litellm_user_role": "customer"}
    result = merge(fragment("design", mappings(ID_MAPPING)), fragment("team", mappings(as_customer)))
    assert len(errors(result)) == 1
    message = errors(result)[0].format()
    assert "general_settings.user_header_mappings[0].litellm_user_role" in message
    assert "fragment 'team'" in message
    assert "fragment 'design'" in message
    assert "'customer'" in message
    assert "'internal_user'" in message


def test_merge_rejects_second_internal_user():
    second = {"header_name": "X-OpenWebUI-User-Email", "litellm_user_role": "internal_user"}
    result = merge(fragment("design", mappings(ID_MAPPING)), fragment("team", mappings(second)))
    assert len(errors(result)) == 1
    message = errors(result)[0].format()
    assert "only ever uses the first" in message
    assert "'X-OpenWebUI-User-Id' (fragment 'design')" in message
    assert "'X-OpenWebUI-User-Email' (fragment 'team')" in message


def test_merge_keeps_customer_mapping_order():
    result = merge(fragment("a", mappings(NAME_MAPPING)), fragment("b", mappings(EMAIL_MAPPING, NAME_MAPPING)))
    headers = [m["header_name"] for m in result.config["general_settings"]["user_header_mappings"]]
    assert headers == ["X-OpenWebUI-User-Name", "X-OpenWebUI-User-Email"]


MODEL_A = {"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o", "api_key": "os.environ/KEY_A"}}
MODEL_B = {"model_name": "gpt", "litellm_params": {"model": "azure/gpt-4o", "api_key": "os.environ/KEY_B"}}
MODEL_C = {"model_name": "mini", "litellm_params": {"model": "openai/gpt-4o-mini"}}


def test_merge_model_list_keeps_order_and_load_balanced_entries():
    result = merge(fragment("a", {"model_list": [MODEL_A, MODEL_C]}), fragment("b", {"model_list": [MODEL_B]}))
    assert result.config["model_list"] == [MODEL_A, MODEL_C, MODEL_B]


def test_merge_model_list_collapses_exact_duplicates():
    result = merge(fragment("a", {"model_list": [MODEL_A]}), fragment("b", {"model_list": [MODEL_A, MODEL_C]}))
    assert result.config["model_list"] == [MODEL_A, MODEL_C]


REMOVALS = [
    (
        "whole key",
        {"litellm_settings": {"cache": True, "cache_params": {"type": "redis"}}},
        ["litellm_settings.cache_params"],
        {"litellm_settings": {"cache": True}},
    ),
    (
        "nested key",
        {"litellm_settings": {"cache_params": {"type": "redis", "host": "redis"}}},
        ["litellm_settings.cache_params.host"],
        {"litellm_settings": {"cache_params": {"type": "redis"}}},
    ),
    (
        "set list entry",
        {"litellm_settings": {"callbacks": ["prometheus", "generic_api"]}},
        ["litellm_settings.callbacks[prometheus]"],
        {"litellm_settings": {"callbacks": ["generic_api"]}},
    ),
    (
        "spend tag header in any case",
        {"litellm_settings": {"extra_spend_tag_headers": ["x-openwebui-user-id", "x-openwebui-user-name"]}},
        ["litellm_settings.extra_spend_tag_headers[X-OpenWebUI-User-Name]"],
        {"litellm_settings": {"extra_spend_tag_headers": ["x-openwebui-user-id"]}},
    ),
    (
        "mapping by header name",
        mappings(ID_MAPPING, EMAIL_MAPPING),
        ["general_settings.user_header_mappings[x-openwebui-user-email]"],
        mappings(ID_MAPPING),
    ),
    (
        "every model entry with a name",
        {"model_list": [MODEL_A, MODEL_C, MODEL_B]},
        ["model_list[gpt]"],
        {"model_list": [MODEL_C]},
    ),
    (
        "model name with dots",
        {"model_list": [{"model_name": "gpt-4.1", "litellm_params": {"model": "openai/gpt-4.1"}}, MODEL_C]},
        ["model_list[gpt-4.1]"],
        {"model_list": [MODEL_C]},
    ),
    (
        "whole section",
        {"router_settings": {"redis_host": "redis"}, "general_settings": {"store_model_in_db": True}},
        ["router_settings"],
        {"general_settings": {"store_model_in_db": True}},
    ),
]


@pytest.mark.parametrize("inherited, remove, expected", [c[1:] for c in REMOVALS], ids=[c[0] for c in REMOVALS])
def test_merge_remove_inherited(inherited, remove, expected):
    result = merge(fragment("base", inherited), fragment("user", remove=remove))
    assert errors(result) == []
    assert result.config == expected


def test_merge_remove_applies_before_own_settings():
    result = merge(
        fragment("design", mappings(ID_MAPPING)),
        fragment("team", mappings({"header_name": "X-OpenWebUI-User-Id", "litellm_user_role": "customer"}),
                 remove=["general_settings.user_header_mappings[X-OpenWebUI-User-Id]"]),
    )
    assert errors(result) == []
    assert result.config["general_settings"]["user_header_mappings"] == [
        {"header_name": "X-OpenWebUI-User-Id", "litellm_user_role": "customer"}]


def test_merge_remove_missing_path_warns():
    result = merge(fragment("base", {"litellm_settings": {"cache": True}}),
                   fragment("user", remove=["litellm_settings.cache_params"]))
    assert errors(result) == []
    assert len(warnings(result)) == 1
    assert "matches nothing" in warnings(result)[0].message


@pytest.mark.parametrize("path", ["", "litellm_settings..cache", "litellm_settings.callbacks[a].x", "a b"])
def test_merge_remove_rejects_malformed_path(path):
    result = merge(fragment("base", {"litellm_settings": {"cache": True}}), fragment("user", remove=[path]))
    assert len(errors(result)) == 1
    assert errors(result)[0].fragment == "user"


def test_merge_remove_entry_of_non_list_is_error():
    result = merge(fragment("base", {"litellm_settings": {"cache": True}}),
                   fragment("user", remove=["litellm_settings.cache[x]"]))
    assert len(errors(result)) == 1
    assert "not a list" in errors(result)[0].message


SHAPES = [
    ("not a mapping", ["just a string"], "must be a mapping"),
    ("missing name", [{"settings": {}}], "has no name"),
    ("empty name", [{"name": " ", "settings": {}}], "has no name"),
    ("duplicate name", [{"name": "a"}, {"name": "a"}], "two fragments are named 'a'"),
    ("unknown field", [{"name": "a", "setings": {}}], "unknown fragment field(s) setings"),
    ("settings not mapping", [{"name": "a", "settings": ["x"]}], "settings must be a mapping"),
    ("remove not list", [{"name": "a", "remove": "litellm_settings.cache"}], "remove must be a list"),
]


@pytest.mark.parametrize("fragments, expected", [c[1:] for c in SHAPES], ids=[c[0] for c in SHAPES])
def test_fragment_shape_errors(fragments, expected):
    problems = check_fragment_shapes(fragments)
    assert len(problems) == 1
    assert expected in problems[0].message
