"""roles/*/meta/argument_specs.yml: every role variable is described and typed, with defaults that match.

site.yml checks all four specifications in its first task, and each role checks its own when it starts.
A variable missing here goes unchecked, and a spec default that differs from defaults/main.yml would
document a value the role does not use.
"""

import os

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from helpers.playbooks import REPO_ROOT

ROLES = ("aigateway", "redis", "litellm", "openwebui")
# Play-wide variables that site.yml reads with a default of its own and no role default sets.
SPEC_ONLY = {}
TYPES = {"str", "int", "float", "bool", "list", "dict", "path", "raw"}


def load(role, name):
    with open(os.path.join(REPO_ROOT, "roles", role, *name.split("/")), encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def options(role):
    return load(role, "meta/argument_specs.yml")["argument_specs"]["main"]["options"]


def is_templated(value):
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, dict):
        return any(is_templated(item) for item in value.values())
    if isinstance(value, list):
        return any(is_templated(item) for item in value)
    return False


@pytest.mark.parametrize("role", ROLES)
def test_spec_covers_every_default(role):
    missing = sorted(set(load(role, "defaults/main.yml")) - set(options(role)))
    assert missing == [], "add these variables to roles/%s/meta/argument_specs.yml" % role


@pytest.mark.parametrize("role", ROLES)
def test_spec_has_no_unknown_variables(role):
    unknown = set(options(role)) - set(load(role, "defaults/main.yml")) - SPEC_ONLY.get(role, set())
    assert sorted(unknown) == []


@pytest.mark.parametrize("role", ROLES)
def test_role_checks_every_spec_option(role):
    # When the specification fails, site.yml runs these checks for the message, so a variable
    # without one would leave only the specification's terse message.
    checked = {item["setting"] for item in load(role, "tasks/check_variables.yml")[0]["vars"]["_%s_checks" % role]}
    assert sorted(set(options(role)) - checked) == []


@pytest.mark.parametrize("role", ROLES)
def test_spec_options_are_prefixed(role):
    assert [name for name in options(role) if not name.startswith(role + "_")] == []


def test_spec_options_unique_across_roles():
    names = [name for role in ROLES for name in options(role)]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("role", ROLES)
def test_spec_options_typed_and_described(role):
    for name, option in options(role).items():
        assert option.get("type") in TYPES, name
        assert option.get("description"), name
        if option["type"] == "list":
            assert option.get("elements") in TYPES, name


@pytest.mark.parametrize("role", ROLES)
def test_spec_defaults_match_role_defaults(role):
    defaults = load(role, "defaults/main.yml")
    for name, option in options(role).items():
        if name not in defaults:
            continue
        if is_templated(defaults[name]):
            # The validation would type-check the template string itself.
            assert "default" not in option, "%s: a templated default is described, not given" % name
        else:
            assert option.get("default") == defaults[name], name


@pytest.mark.parametrize("role", ROLES)
def test_role_defaults_pass_own_spec(role):
    defaults = {name: value for name, value in load(role, "defaults/main.yml").items() if not is_templated(value)}
    result = ArgumentSpecValidator(options(role)).validate(defaults)
    assert result.error_messages == []


@pytest.mark.parametrize("name, value", [
    ("litellm_replicas", "2"),
    ("litellm_qdrant_similarity_threshold", "0.5"),
    ("openwebui_required", "false"),
    ("redis_maxmemory", 1024),
])
def test_spec_converts_survey_strings(name, value):
    role = name.split("_", 1)[0]
    result = ArgumentSpecValidator(options(role)).validate({name: value})
    assert result.error_messages == []


@pytest.mark.parametrize("name, value, message", [
    ("openwebui_workload_kind", "DaemonSet", "must be one of"),
    ("openwebui_required", "maybe", "unable to convert to bool"),
    ("litellm_replicas", "two", "unable to convert to int"),
    ("litellm_master_key_secret", {"name": "litellm-master-key"}, "missing required arguments: key"),
    ("litellm_database_url_secret", {"name": "litellm-database"}, "parameters are required together"),
    ("litellm_verify_checks", ["liveliness", "uptime"], "Got no match for: uptime"),
    ("aigateway_fail_on_drift", "sometimes", "unable to convert to bool"),
])
def test_spec_rejects(name, value, message):
    role = name.split("_", 1)[0]
    result = ArgumentSpecValidator(options(role)).validate({name: value})
    assert any(message in error for error in result.error_messages), result.error_messages
