"""Field paths and records of the drift_report callback and the summary of the drift_check action.

The inputs are shaped like kubernetes.core.k8s results: its diff contains only the fields that differ, and
lists keyed by name (containers, env) hold only the entries that differ, each with its name.
"""

from types import SimpleNamespace

import pytest

from ansible_collections.aigateway.litellm.plugins.action.drift_check import merge_records, summarize
from ansible_collections.aigateway.litellm.plugins.callback.drift_report import (
    CallbackModule,
    STATE_ENV,
    describe_k8s_result,
    field_changes,
    shorten,
)


def deployment_diff(before_spec, after_spec, before_meta=None, after_meta=None):
    return {"before": {"metadata": before_meta or {}, "spec": before_spec},
            "after": {"metadata": after_meta or {}, "spec": after_spec}}


def k8s_result(diff, kind="Deployment", name="litellm", namespace="litellm", method="apply"):
    return {"changed": True, "method": method, "diff": diff,
            "result": {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": namespace}}}


def test_fields_scalar_path():
    assert field_changes({"spec": {"replicas": 3}}, {"spec": {"replicas": 1}}) == [
        {"path": "spec.replicas", "before": 3, "after": 1}]


def test_fields_named_list_entries():
    before = {"spec": {"template": {"spec": {"containers": [{"name": "litellm", "env": [{"name": "FOO", "value": "9"}]}]}}}}
    after = {"spec": {"template": {"spec": {"containers": [{"name": "litellm", "env": [{"name": "FOO", "value": "1"}]}]}}}}
    assert field_changes(before, after) == [
        {"path": "spec.template.spec.containers[litellm].env[FOO].value", "before": "9", "after": "1"}]


def test_fields_added_entry_has_no_before():
    before = {"env": [{"name": "A", "value": "1"}]}
    after = {"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}
    assert field_changes(before, after) == [{"path": "env[B]", "after": {"name": "B", "value": "2"}}]


def test_fields_removed_entry_has_no_after():
    assert field_changes({"env": [{"name": "B", "value": "2"}]}, {"env": []}) == [
        {"path": "env[B]", "before": {"name": "B", "value": "2"}}]


def test_fields_service_ports_by_port():
    before = {"spec": {"ports": [{"port": 4000, "targetPort": 4000}]}}
    after = {"spec": {"ports": [{"port": 4000, "targetPort": 4001}]}}
    assert field_changes(before, after) == [{"path": "spec.ports[4000].targetPort", "before": 4000, "after": 4001}]


def test_fields_plain_list_reported_whole():
    assert field_changes({"args": ["--port", "6379"]}, {"args": ["--port", "6380"]}) == [
        {"path": "args", "before": ["--port", "6379"], "after": ["--port", "6380"]}]


def test_fields_quote_keys_with_dots():
    before = {"metadata": {"annotations": {"checksum/config": "a", "prometheus.io/port": "4000"}}}
    after = {"metadata": {"annotations": {"checksum/config": "b", "prometheus.io/port": "4000"}}}
    assert field_changes(before, after) == [{"path": 'metadata.annotations["checksum/config"]', "before": "a", "after": "b"}]


@pytest.mark.parametrize("noise", [
    {"metadata": {"managedFields": [{"manager": "kubectl"}]}},
    {"metadata": {"resourceVersion": "12"}},
    {"metadata": {"generation": 4}},
    {"metadata": {"creationTimestamp": "2026-01-01T00:00:00Z"}},
    {"metadata": {"uid": "1234"}},
    {"status": {"replicas": 3}},
])
def test_fields_exclude_noise(noise):
    assert field_changes(noise, {}) == []


def test_record_update_with_fields():
    record = describe_k8s_result(k8s_result(deployment_diff({"replicas": 3}, {"replicas": 1},
                                                            {"generation": 3}, {"generation": 4})))
    assert record["change"] == "update"
    assert (record["kind"], record["namespace"], record["name"]) == ("Deployment", "litellm", "litellm")
    assert record["fields"] == [{"path": "spec.replicas", "before": 3, "after": 1}]


def test_record_only_noise_is_no_drift():
    diff = {"before": {"metadata": {"generation": 3, "managedFields": []}},
            "after": {"metadata": {"generation": 4, "managedFields": [{"manager": "aigateway-litellm-litellm"}]}}}
    assert describe_k8s_result(k8s_result(diff)) is None


def test_record_missing_object_is_create():
    diff = {"before": {}, "after": {"metadata": {"name": "litellm"}, "spec": {"replicas": 1}}}
    record = describe_k8s_result(k8s_result(diff))
    assert record["change"] == "create"
    assert "fields" not in record


def test_record_delete():
    result = {"changed": True, "method": "delete", "result": {},
              "invocation": {"module_args": {"api_version": "monitoring.coreos.com/v1", "kind": "PodMonitor",
                                             "name": "litellm", "namespace": "litellm"}}}
    record = describe_k8s_result(result)
    assert record["change"] == "delete"
    assert (record["kind"], record["name"]) == ("PodMonitor", "litellm")


def test_record_without_diff_has_unknown_fields():
    result = k8s_result(None)
    del result["diff"]
    assert describe_k8s_result(result)["fields"] is None


def test_record_secret_hides_values():
    diff = {"before": {"data": {"token": "b2xk"}}, "after": {"data": {"token": "bmV3"}}}
    record = describe_k8s_result(k8s_result(diff, kind="Secret", name="api"))
    assert record["fields"] == [{"path": "data.token"}]
    assert record["values_hidden"] is True


def test_shorten_cuts_long_strings():
    value = shorten({"config": "x" * 500})
    assert value["config"].startswith("x" * 200 + "... (500 characters in all)")
    assert len(value["config"]) < 250


class FakeTask:
    def __init__(self, action, name="task"):
        self.resolved_action = action
        self.name = name

    def get_name(self):
        return self.name


def recorded(callback, action, data):
    callback._record(SimpleNamespace(task=FakeTask(action), result=data))
    return callback._objects


@pytest.fixture
def callback(monkeypatch, tmp_path):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.delenv(STATE_ENV, raising=False)
    plugin = CallbackModule()
    plugin.v2_playbook_on_start(None)
    yield plugin
    plugin.v2_playbook_on_stats(None)


def test_callback_records_k8s_change(callback):
    objects = recorded(callback, "kubernetes.core.k8s", k8s_result(deployment_diff({"replicas": 3}, {"replicas": 1})))
    assert [record["fields"] for record in objects] == [[{"path": "spec.replicas", "before": 3, "after": 1}]]


def test_callback_ignores_unchanged(callback):
    data = dict(k8s_result(deployment_diff({"replicas": 3}, {"replicas": 1})), changed=False)
    assert recorded(callback, "kubernetes.core.k8s", data) == []


def test_callback_ignores_other_modules(callback):
    assert recorded(callback, "ansible.builtin.copy", {"changed": True, "diff": {"before": "a", "after": "b"}}) == []


def test_callback_hidden_result_records_no_values(callback):
    objects = recorded(callback, "kubernetes.core.k8s", {"changed": True, "_ansible_no_log": True,
                                                         "censored": "the output has been hidden"})
    assert objects == [{"apiVersion": None, "kind": None, "namespace": None, "name": None, "change": "unknown",
                        "reason": "the task's result is hidden by no_log", "task": "task"}]


def test_callback_debug_of_manifest_is_create(callback):
    manifest = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "litellm", "namespace": "litellm"}}
    objects = recorded(callback, "ansible.builtin.debug", {"changed": True, "item": manifest, "msg": "Would create"})
    assert [(record["kind"], record["change"]) for record in objects] == [("Service", "create")]


def test_callback_publishes_and_removes_state(monkeypatch, tmp_path):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    plugin = CallbackModule()
    plugin.v2_playbook_on_start(None)
    import os
    path = os.environ[STATE_ENV]
    assert os.path.isfile(path)
    plugin.v2_playbook_on_stats(None)
    assert STATE_ENV not in os.environ
    assert not os.path.exists(path)


def test_merge_joins_records_of_one_object():
    records = [
        {"apiVersion": "v1", "kind": "Namespace", "namespace": None, "name": "litellm", "change": "update",
         "fields": [{"path": "metadata.labels.team", "before": "a", "after": "b"}], "task": "redis"},
        {"apiVersion": "v1", "kind": "Namespace", "namespace": None, "name": "litellm", "change": "update",
         "fields": [{"path": "metadata.labels.team", "before": "a", "after": "b"}], "task": "litellm"},
    ]
    merged = merge_records(records)
    assert len(merged) == 1
    assert merged[0]["tasks"] == ["redis", "litellm"]
    assert [field["path"] for field in merged[0]["fields"]] == ["metadata.labels.team"]


def test_summary_check_mode_names_objects():
    objects = merge_records([
        {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "litellm", "name": "litellm", "change": "update",
         "fields": [{"path": "spec.replicas"}], "task": "t"},
        {"apiVersion": "v1", "kind": "Namespace", "namespace": None, "name": "litellm", "change": "create", "task": "t"},
    ])
    assert summarize(objects, True) == ("2 objects differ from the desired state: Deployment litellm/litellm "
                                        "(spec.replicas); Namespace litellm (missing)")


def test_summary_apply_mode_says_changed_back():
    objects = merge_records([{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "litellm", "name": "litellm",
                              "change": "update", "fields": None, "task": "t"}])
    assert summarize(objects, False) == ("1 object differed from the desired state and was changed back: "
                                         "Deployment litellm/litellm (fields unknown, run with --diff)")


def test_summary_without_drift():
    assert summarize([], True) == "No drift: every object matches the desired state."
