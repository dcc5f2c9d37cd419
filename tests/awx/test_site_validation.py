"""site.yml's first task: every role's argument specification, checked before any role writes.

Render mode writes files and contacts no cluster, so an empty render directory shows that nothing was
written. test_drift_cluster.py checks the same for apply mode through the API server's audit log.
"""

import os

import pytest
import yaml

from helpers.playbooks import REPO_ROOT, run_playbook

SITE = os.path.join(REPO_ROOT, "site.yml")
# Render mode must not contact a cluster: these point at nothing, so any API call would fail the run.
NO_CLUSTER_ENV = {"KUBECONFIG": "/nonexistent/kubeconfig", "K8S_AUTH_HOST": "https://127.0.0.1:9"}
SPEC_TASK = "Validate the variables against roles/*/meta/argument_specs.yml"
STOP_TASK = "Stop on the variables that are not valid"


@pytest.fixture(autouse=True)
def no_drift_callback(monkeypatch):
    monkeypatch.delenv("ANSIBLE_CALLBACKS_ENABLED", raising=False)


def render(directory, extra_vars=None, playbook=SITE, env=None):
    variables = {"aigateway_mode": "render", "aigateway_render_dir": str(directory)}
    variables.update(extra_vars or {})
    return run_playbook(playbook, extra_vars=variables, env=dict(NO_CLUSTER_ENV, **(env or {})))


def written_files(directory):
    return sorted(os.path.relpath(os.path.join(root, name), str(directory))
                  for root, dummy, names in os.walk(str(directory)) for name in names)


@pytest.mark.parametrize("name, value, message", [
    ("openwebui_workload_kind", "DaemonSet", "openwebui_workload_kind: 'DaemonSet' is not a supported kind"),
    ("openwebui_required", "maybe", "openwebui_required: 'maybe' is not true or false"),
])
def test_bad_openwebui_variable_writes_nothing(tmp_path, name, value, message):
    run = render(tmp_path / "out", {name: value})
    assert run.returncode != 0
    assert message in run.stdout
    assert run.task_result(SPEC_TASK).get("censored")
    assert written_files(tmp_path) == []


def test_spec_failure_output_is_short(tmp_path):
    run = render(tmp_path / "out", {"aigateway_fail_on_drift": "sometimes", "litellm_replicas": "two"})
    assert run.returncode != 0
    # The specification's own result (the whole specification, about 20 KB) is hidden.
    assert run.task_result(SPEC_TASK).get("censored")
    assert "argument_spec_data" not in run.stdout
    assert "aigateway_fail_on_drift: 'sometimes' is not true or false" in run.stdout
    # Only the roles' own checks explain the mistake: the specification's message is not printed too.
    assert "unable to convert" not in run.stdout
    # Nor is any description from the specification, which the module returns on failure.
    assert "DNS suffix of Services in the cluster" not in run.stdout
    assert written_files(tmp_path) == []


def test_mistakes_of_all_roles_reported_together(tmp_path):
    run = render(tmp_path / "out", {"aigateway_fail_on_drift": "sometimes", "redis_port": 70000,
                                    "litellm_replicas": 0, "openwebui_required": "maybe"})
    assert run.returncode != 0
    message = run.task_result(STOP_TASK)["msg"]
    assert "aigateway_fail_on_drift: 'sometimes' is not true or false" in message
    assert "redis_port: 70000 is not a TCP port" in message
    assert "litellm_replicas: 0 is not a replica count" in message
    assert "openwebui_required: 'maybe' is not true or false" in message
    assert written_files(tmp_path) == []


def test_misspelled_variable_gets_warning(tmp_path):
    run = render(tmp_path / "out", {"litellm_replica": 3})
    assert run.returncode == 0, run.stdout[-4000:]
    message = run.task_result("Warn about variables that no role reads")["msg"]
    assert "no role reads litellm_replica (did you mean litellm_replicas?)" in message


def test_string_numbers_pass(tmp_path):
    run = render(tmp_path / "out", {"litellm_replicas": "2", "redis_port": "6380", "openwebui_required": "true"})
    assert run.returncode == 0, run.stdout[-4000:]
    with open(str(tmp_path / "out" / "litellm" / "deployment-litellm.yaml"), encoding="utf-8") as handle:
        assert yaml.safe_load(handle)["spec"]["replicas"] == 2


def test_collection_playbook_finds_specs(tmp_path):
    # The specification task reads the four spec files; it passes only when it finds them.
    good = render(tmp_path / "good", playbook="aigateway.litellm.site")
    assert good.returncode == 0, good.stdout[-4000:]
    assert good.task_result(STOP_TASK).get("skipped") is True

    bad = render(tmp_path / "bad", {"openwebui_workload_kind": "Job"}, playbook="aigateway.litellm.site")
    assert bad.returncode != 0
    assert bad.task_result(STOP_TASK)["failed"] is True
    assert "openwebui_workload_kind: 'Job' is not a supported kind" in bad.stdout
    assert not os.path.exists(str(tmp_path / "bad"))


def test_drift_report_without_callback_fails(tmp_path):
    # The checkout's ansible.cfg enables the callback, so this run uses a configuration without it.
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\ncollections_path = %s\n" % os.path.join(REPO_ROOT, ".collections"))
    run = render(tmp_path / "out", {"aigateway_drift_report": str(tmp_path / "drift.json")},
                 env={"ANSIBLE_CONFIG": str(config)})
    assert run.returncode != 0
    message = run.task_result("Write the drift report and stop on drift")["msg"]
    assert "aigateway.litellm.drift_report callback is not enabled" in message
    assert "ANSIBLE_CALLBACKS_ENABLED=aigateway.litellm.drift_report" in message


def test_drift_report_off_by_default(tmp_path):
    run = render(tmp_path / "out")
    assert run.returncode == 0, run.stdout[-4000:]
    assert run.task_result("Write the drift report and stop on drift").get("skipped") is True


def test_render_mode_drift_report_is_empty(tmp_path):
    report = tmp_path / "drift.json"
    run = render(tmp_path / "out", {"aigateway_drift_report": str(report), "aigateway_fail_on_drift": True},
                 env={"ANSIBLE_CALLBACKS_ENABLED": "aigateway.litellm.drift_report",
                      "ANSIBLE_SHOW_CUSTOM_STATS": "true"})
    assert run.returncode == 0, run.stdout[-4000:]
    with open(str(report), encoding="utf-8") as handle:
        content = yaml.safe_load(handle)
    assert content["drift"] is False
    assert content["objects"] == []
    assert run.report["global_custom_stats"]["aigateway_drift"]["drift"] is False
