"""The litellm_config module run through ansible-playbook: results, dest file, check and diff modes."""

import hashlib

import pytest
import yaml

from helpers.playbooks import run_playbook

FRAGMENTS = [
    {"name": "defaults", "settings": {
        "litellm_settings": {"callbacks": ["prometheus"], "extra_spend_tag_headers": ["X-OpenWebUI-User-Id"]},
        "router_settings": {"redis_port": 6379},
        "general_settings": {"store_model_in_db": True},
    }},
    {"name": "team", "settings": {
        "litellm_settings": {"callbacks": ["generic_api"]},
        "general_settings": {"store_prompts_in_cold_storage": True},
    }},
]


def module_play(module_args, check=False):
    task = {"name": "Merge the settings", "aigateway.litellm.litellm_config": module_args, "register": "merged"}
    if check:
        task["check_mode"] = True
    return [{"name": "Run litellm_config", "hosts": "localhost", "connection": "local", "gather_facts": False,
             "tasks": [task]}]


def test_module_returns_merged_config():
    run = run_playbook(module_play({"fragments": FRAGMENTS}))
    assert run.returncode == 0, run.stdout[-3000:]
    result = run.task_result("Merge the settings")
    assert result["config"]["litellm_settings"]["callbacks"] == ["prometheus", "generic_api"]
    assert result["config"]["litellm_settings"]["extra_spend_tag_headers"] == ["x-openwebui-user-id"]
    assert result["changed"] is False


def test_module_content_keeps_yaml_types():
    result = run_playbook(module_play({"fragments": FRAGMENTS})).task_result("Merge the settings")
    parsed = yaml.safe_load(result["content"])
    assert parsed["router_settings"]["redis_port"] == 6379
    assert parsed["general_settings"]["store_model_in_db"] is True
    assert "redis_port: 6379\n" in result["content"]


def test_module_checksum_is_sha256_of_content():
    result = run_playbook(module_play({"fragments": FRAGMENTS})).task_result("Merge the settings")
    assert result["checksum"] == hashlib.sha256(result["content"].encode("utf-8")).hexdigest()


def test_module_reports_design_only_warning():
    result = run_playbook(module_play({"fragments": FRAGMENTS})).task_result("Merge the settings")
    assert any("store_prompts_in_cold_storage" in w and "does not read this key" in w for w in result["warnings"])
    assert result["setting_warnings"] == result["warnings"]


def test_module_fails_with_every_error():
    bad = FRAGMENTS + [{"name": "broken", "settings": {
        "litellm_settings": {"extra_spend_tags_headers": ["x-a"]},
        "general_settings": {"user_header_mappings": [{"header_name": "X-A", "litellm_user_role": "proxy_admin"}]},
    }}]
    run = run_playbook(module_play({"fragments": bad}))
    result = run.task_result("Merge the settings")
    assert run.returncode != 0
    assert result["failed"] is True
    assert "2 invalid LiteLLM setting(s); nothing was applied" in result["msg"]
    assert "litellm_settings.extra_spend_tags_headers (fragment 'broken')" in result["msg"]
    assert "general_settings.user_header_mappings[0].litellm_user_role (fragment 'broken')" in result["msg"]
    assert len(result["errors"]) == 2


def test_module_rejects_fragment_without_name():
    run = run_playbook(module_play({"fragments": FRAGMENTS + [{"settings": {}}]}))
    assert run.returncode != 0
    message = run.task_result("Merge the settings")["msg"]
    assert "fragments[2]" in message
    assert "the fragment has no name" in message
    assert "give every fragment a non-empty string name" in message


def test_module_masks_literal_credentials_in_its_whole_result():
    leaky = FRAGMENTS + [{"name": "leaky", "settings": {
        "general_settings": {"master_key": "sk-LITERAL-5d1e"},
        "model_list": [{"model_name": "m", "litellm_params": {"model": "openai/m", "api_key": "sk-PROVIDER-77a0"}}],
    }}]
    run = run_playbook(module_play({"fragments": leaky}))
    assert run.returncode != 0
    result = run.task_result("Merge the settings")
    assert "general_settings.master_key (fragment 'leaky')" in result["msg"]
    # The echoed module arguments carry the fragments; the values are masked there too.
    assert result["invocation"]["module_args"]["fragments"][2]["settings"]["general_settings"]["master_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    for value in ("sk-LITERAL-5d1e", "sk-PROVIDER-77a0"):
        assert value not in run.stdout + run.stderr


def test_module_base_merges_first():
    args = {"base": {"router_settings": {"redis_port": 6380, "num_retries": 2}}, "fragments": FRAGMENTS}
    result = run_playbook(module_play(args)).task_result("Merge the settings")
    assert result["config"]["router_settings"] == {"redis_port": 6379, "num_retries": 2}


def test_module_lenient_mode_warns_on_unknown_key():
    fragments = [{"name": "team", "settings": {"litellm_settings": {"extra_spend_tags_headers": []}}}]
    run = run_playbook(module_play({"fragments": fragments, "strict": False}))
    assert run.returncode == 0
    assert any("did you mean 'extra_spend_tag_headers'?" in w
               for w in run.task_result("Merge the settings")["warnings"])


@pytest.fixture
def dest(tmp_path):
    return str(tmp_path / "proxy_server_config.yaml")


def test_module_writes_dest_once(dest):
    first = run_playbook(module_play({"fragments": FRAGMENTS, "dest": dest, "mode": "0640"}))
    second = run_playbook(module_play({"fragments": FRAGMENTS, "dest": dest, "mode": "0640"}))
    assert first.task_result("Merge the settings")["changed"] is True
    assert second.task_result("Merge the settings")["changed"] is False
    with open(dest, encoding="utf-8") as handle:
        assert handle.read() == first.task_result("Merge the settings")["content"]


def test_module_check_mode_writes_nothing(dest):
    run = run_playbook(module_play({"fragments": FRAGMENTS, "dest": dest}, check=True), diff=True)
    result = run.task_result("Merge the settings")
    assert result["changed"] is True
    assert result["diff"]["before"] == ""
    assert "callbacks" in result["diff"]["after"]
    with pytest.raises(FileNotFoundError):
        open(dest, encoding="utf-8").close()


def test_module_diff_shows_changed_setting(dest):
    run_playbook(module_play({"fragments": FRAGMENTS, "dest": dest}))
    changed = [dict(FRAGMENTS[0], settings={"router_settings": {"redis_port": 6380}})] + FRAGMENTS[1:]
    result = run_playbook(module_play({"fragments": changed, "dest": dest}), diff=True).task_result("Merge the settings")
    assert result["changed"] is True
    assert "redis_port: 6379" in result["diff"]["before"]
    assert "redis_port: 6380" in result["diff"]["after"]


def test_module_failure_leaves_dest_untouched(dest):
    run_playbook(module_play({"fragments": FRAGMENTS, "dest": dest}))
    with open(dest, encoding="utf-8") as handle:
        before = handle.read()
    bad = [{"name": "broken", "settings": {"general_settings": {"store_model_in_db": "false"}}}]
    run = run_playbook(module_play({"fragments": bad, "dest": dest}))
    assert run.returncode != 0
    with open(dest, encoding="utf-8") as handle:
        assert handle.read() == before
