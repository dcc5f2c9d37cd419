"""Removal: aigateway_state=absent, namespace removal, switched-off features, and check mode after removal."""

import pytest

from cluster_gateway import (
    APPLY_TASK,
    OPENWEBUI,
    OPENWEBUI_CONTAINER,
    OPENWEBUI_FLAG,
    OPENWEBUI_TASK,
    WOULD_CREATE_TASK,
    all_messages,
    changed_items,
    container,
    fixture_openwebui_env,
    object_id,
)

pytestmark = pytest.mark.cluster

# A minimal Prometheus Operator CRD: enough for the API server to store ServiceMonitor objects.
SERVICE_MONITOR_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: servicemonitors.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names:
    kind: ServiceMonitor
    listKind: ServiceMonitorList
    plural: servicemonitors
    singular: servicemonitor
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
"""
POD_MONITOR_CRD = SERVICE_MONITOR_CRD.replace("servicemonitor", "podmonitor").replace("ServiceMonitor", "PodMonitor")
SECRETS = ["litellm-master-key", "litellm-database"]


@pytest.fixture
def monitor_crds(gateway):
    gateway.kubectl("apply", "-f", "-", stdin=SERVICE_MONITOR_CRD + "\n---\n" + POD_MONITOR_CRD)
    gateway.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                    "crd/servicemonitors.monitoring.coreos.com", "crd/podmonitors.monitoring.coreos.com")
    yield
    gateway.kubectl("delete", "crd", "servicemonitors.monitoring.coreos.com", "podmonitors.monitoring.coreos.com",
                    "--ignore-not-found")


def test_switched_off_monitor_removed(converged, monitor_crds):
    converged.state = "dirty"

    with_monitor = converged.run_site({"litellm_metrics_scrape": "servicemonitor"})
    created = converged.get("ServiceMonitor", "litellm", "litellm")
    without_monitor = converged.run_site({"litellm_metrics_scrape": "annotations"})

    assert with_monitor.returncode == 0, with_monitor.stdout[-6000:]
    assert created is not None
    assert without_monitor.returncode == 0, without_monitor.stdout[-6000:]
    assert converged.get("ServiceMonitor", "litellm", "litellm") is None
    # The last run used the default settings, and without the CRDs the next run applies the same objects.
    converged.state = "converged"


def namespaced(objects):
    return [entry for entry in objects if entry[0] != "Namespace"]


def namespaces(objects):
    return [entry[2] for entry in objects if entry[0] == "Namespace"]


@pytest.fixture(scope="module")
def removal(gateway):
    """The converged gateway after a run with aigateway_state=absent, and then after one that also
    sets aigateway_remove_namespaces=true, with what each left."""
    if gateway.state != "converged":
        gateway.converge()
    gateway.state = "dirty"
    objects = gateway.default_objects

    absent = gateway.run_site({"aigateway_state": "absent"})
    after_absent = {
        "remaining": [entry for entry in namespaced(objects) if gateway.get(*entry) is not None],
        "namespaces": [name for name in namespaces(objects) if gateway.get("Namespace", None, name) is not None],
        "secrets": [name for name in SECRETS if gateway.get("Secret", "litellm", name) is not None],
        "openwebui": gateway.get(*OPENWEBUI),
    }

    with_namespaces = gateway.run_site({"aigateway_state": "absent", "aigateway_remove_namespaces": True})
    for name in namespaces(objects):
        gateway.wait_for_namespace_deletion(name)
    gateway.state = "removed"
    return {"objects": objects, "absent": absent, "after_absent": after_absent, "with_namespaces": with_namespaces}


def test_absent_run_succeeds(removal):
    assert removal["absent"].returncode == 0, removal["absent"].stdout[-6000:]


def test_absent_removes_every_namespaced_object(removal):
    assert removal["after_absent"]["remaining"] == []


def test_absent_keeps_namespace_and_secrets(removal):
    assert removal["after_absent"]["namespaces"] == namespaces(removal["objects"])
    assert removal["after_absent"]["secrets"] == SECRETS


def test_absent_removes_only_the_openwebui_flag(removal):
    statefulset = removal["after_absent"]["openwebui"]

    assert container(statefulset, OPENWEBUI_CONTAINER)["env"] == fixture_openwebui_env()
    assert statefulset["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "fixture"


def test_namespace_removal_run_succeeds(removal):
    assert removal["with_namespaces"].returncode == 0, removal["with_namespaces"].stdout[-6000:]


def test_namespace_removal_deletes_namespaces(gateway, removal):
    assert [name for name in namespaces(removal["objects"]) if gateway.get("Namespace", None, name)] == []


def test_namespace_removal_keeps_openwebui(gateway, removal):
    assert gateway.get(*OPENWEBUI) is not None


@pytest.fixture(scope="module")
def checked_after_removal(gateway, removal):
    """A run of site.yml --check --diff on the cluster after removal, with the audit log of its writes."""
    if gateway.state != "removed":
        gateway.remove()
    offset = gateway.audit_offset()
    run = gateway.run_site(check=True, diff=True)
    return {"run": run, "writes": gateway.write_requests(offset)}


def test_empty_check_run_succeeds(checked_after_removal):
    assert checked_after_removal["run"].returncode == 0, checked_after_removal["run"].stdout[-6000:]


def test_empty_check_reports_objects(gateway, checked_after_removal):
    run = checked_after_removal["run"]
    reported = changed_items(run, WOULD_CREATE_TASK)

    assert sorted(reported) == sorted(object_id(*entry) for entry in namespaced(gateway.default_objects))
    assert [name for name in namespaces(gateway.default_objects)
            if object_id("Namespace", None, name) not in changed_items(run, APPLY_TASK)] == []


def test_empty_check_reports_openwebui_flag(checked_after_removal):
    result = checked_after_removal["run"].task_result(OPENWEBUI_TASK)

    assert result.get("changed") is True


def test_empty_check_warns_about_secrets(checked_after_removal):
    messages = all_messages(checked_after_removal["run"])

    assert [name for name in SECRETS if not any(name in message for message in messages)] == []


def test_empty_check_creates_nothing(gateway, checked_after_removal):
    stored = [(event["verb"], event["requestURI"]) for event in checked_after_removal["writes"]
              if "dryRun=All" not in event["requestURI"]]

    assert [name for name in namespaces(gateway.default_objects) if gateway.get("Namespace", None, name)] == []
    assert stored == []
    assert OPENWEBUI_FLAG not in container(gateway.get(*OPENWEBUI), OPENWEBUI_CONTAINER)["env"]
