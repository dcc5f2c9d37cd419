"""Faults during a run: the API server goes away, Open WebUI or a CRD is missing, pods never schedule.

Each fault gets namespaces of its own. The API server test stops kube-apiserver in the middle of a
run, and then kube-controller-manager and kube-scheduler too, so that tests/cluster/up.sh starts
them fresh: after a longer outage their watches would otherwise reconnect with up to a minute of
backoff. kwok keeps running and reconnects by itself, well within the rollout timeout.
"""

import concurrent.futures
import re
import threading
import time
import uuid

import pytest

from cluster.cluster_env import stop_apiserver, stop_component
from security_cluster import all_messages, failed_results, failure_messages, gateway_vars, save_outputs

pytestmark = pytest.mark.cluster

# A namespace of its own for each session, so that the interrupted run always leaves work for the
# next one, also on a control plane that an earlier session left running.
FAULT_NAMESPACE = "sec-fault-%s" % uuid.uuid4().hex[:8]
WARN_NAMESPACE = "sec-warn"
UNSCHEDULABLE_NAMESPACE = "sec-unscheduled"
MISSING_WORKLOAD = "open-webui-absent"
ROLLOUT_TIMEOUT = 20
REDIS_PATCH_TIMEOUT = 300
SERVICE_MONITOR_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "servicemonitors.monitoring.coreos.com"},
    "spec": {
        "group": "monitoring.coreos.com",
        "names": {"kind": "ServiceMonitor", "listKind": "ServiceMonitorList", "plural": "servicemonitors",
                  "singular": "servicemonitor"},
        "scope": "Namespaced",
        "versions": [{"name": "v1", "served": True, "storage": True,
                      "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}],
    },
}


def prepare_namespace(cluster, namespace):
    cluster.create_gateway_prerequisites(namespace, "sk-fault-" + namespace, "postgresql://litellm@postgres.invalid/litellm")


def fatal_message(run):
    failures = failed_results(run)
    assert failures, "no task failed; output:\n" + run.stdout[-3000:]
    return " | ".join(failure_messages(failures[-1][1]))


def template_annotations(cluster, namespace):
    return cluster.get("Deployment", namespace, "litellm")["spec"]["template"]["metadata"].get("annotations", {})


# ---- the API server stops in the middle of a run ----

def wait_for_redis_patch(cluster, start, run_done):
    """Wait until the audit log shows the run's Redis Deployment patch. Raise AssertionError when the run ends first."""
    offset = start
    deadline = time.monotonic() + REDIS_PATCH_TIMEOUT
    while time.monotonic() < deadline and not run_done.is_set():
        end = cluster.audit_offset()
        for event in cluster.audit_events_between(offset, end):
            reference = event.get("objectRef", {})
            if (event["stage"] == "ResponseComplete" and event["verb"] == "patch"
                    and reference.get("resource") == "deployments" and reference.get("name") == "redis"
                    and reference.get("namespace") == FAULT_NAMESPACE):
                return
        offset = end
        time.sleep(0.1)
    raise AssertionError("the run sent no Redis Deployment patch before it ended or within %d s" % REDIS_PATCH_TIMEOUT)


@pytest.fixture(scope="module")
def api_server_outage(cluster, tmp_path_factory):
    """Runs around an API server outage: the interrupted one, the next and the one after.

    The outputs are also saved in a pytest temporary directory named api-server-outage.
    """
    prepare_namespace(cluster, FAULT_NAMESPACE)
    variables = gateway_vars(FAULT_NAMESPACE)
    host = cluster.connection["host"]

    start = cluster.audit_offset()
    run_done = threading.Event()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(cluster.run_site, variables)
            future.add_done_callback(lambda finished: run_done.set())
            try:
                wait_for_redis_patch(cluster, start, run_done)
                stop_apiserver(cluster.state_dir)
                stopped_at = cluster.audit_offset()
            finally:
                for name in ("kube-controller-manager", "kube-scheduler"):
                    stop_component(cluster.state_dir, name)
            interrupted = future.result()
    finally:
        cluster.restart_stopped_components()

    written_before_stop = cluster.write_requests(start, stopped_at)
    recovered = cluster.run_site(variables)
    rerun = cluster.run_site(variables)
    save_outputs(str(tmp_path_factory.mktemp("api-server-outage")),
                 {"interrupted": interrupted, "recovered": recovered, "rerun": rerun})
    return {"host": host, "interrupted": interrupted, "written_before_stop": written_before_stop,
            "recovered": recovered, "rerun": rerun}


def test_outage_stops_run_after_redis(api_server_outage):
    written = {(event["objectRef"]["resource"], event["objectRef"].get("name")) for event in api_server_outage["written_before_stop"]}

    assert api_server_outage["interrupted"].returncode != 0
    assert ("deployments", "redis") in written
    assert ("deployments", "litellm") not in written


def test_outage_error_names_api_server_connection(api_server_outage):
    message = fatal_message(api_server_outage["interrupted"])
    address = re.sub(r"^https?://", "", api_server_outage["host"])
    host, port = address.rsplit(":", 1)

    assert host in message, message
    assert port in message, message
    assert "connection refused" in message.lower(), message


def test_run_after_outage_converges(cluster, api_server_outage):
    recovered = api_server_outage["recovered"]
    deployment = cluster.get("Deployment", FAULT_NAMESPACE, "litellm")

    assert recovered.returncode == 0, recovered.stdout[-6000:]
    assert recovered.stats["changed"] > 0
    assert deployment["status"].get("availableReplicas") == deployment["spec"]["replicas"]


def test_second_run_after_outage_changes_nothing(api_server_outage):
    rerun = api_server_outage["rerun"]

    assert rerun.returncode == 0, rerun.stdout[-6000:]
    assert rerun.stats["changed"] == 0


# ---- Open WebUI missing, ServiceMonitor CRD missing or present, pods that never schedule ----

@pytest.fixture(scope="module")
def degraded_runs(cluster):
    """Runs with a missing Open WebUI workload, a missing CRD and unschedulable pods, then one with the CRD."""
    for namespace in (WARN_NAMESPACE, UNSCHEDULABLE_NAMESPACE):
        prepare_namespace(cluster, namespace)
    warn_variables = gateway_vars(WARN_NAMESPACE, openwebui_workload_name=MISSING_WORKLOAD, openwebui_required=False,
                                  litellm_metrics_scrape="servicemonitor")
    runs = {}

    start = cluster.audit_offset()
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        required = pool.submit(cluster.run_site, {"openwebui_workload_name": MISSING_WORKLOAD,
                                                  "aigateway_field_manager": "fault-openwebui-required"})
        optional = pool.submit(cluster.run_site, warn_variables)
        unschedulable = pool.submit(cluster.run_site, gateway_vars(
            UNSCHEDULABLE_NAMESPACE, litellm_node_selector={"pool": "nowhere"}, litellm_rollout_timeout=ROLLOUT_TIMEOUT))
        runs = {"required": required.result(), "optional": optional.result(), "unschedulable": unschedulable.result()}
    writes = cluster.write_requests(start, cluster.audit_offset())
    runs["required_writes"] = [event for event in writes if "fieldManager=fault-openwebui-required" in event["requestURI"]]
    runs["annotations_without_crd"] = template_annotations(cluster, WARN_NAMESPACE)

    cluster.apply(SERVICE_MONITOR_CRD)
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                    "customresourcedefinition/servicemonitors.monitoring.coreos.com")
    try:
        runs["with_crd"] = cluster.run_site(warn_variables)
        runs["service_monitor"] = cluster.get("ServiceMonitor", WARN_NAMESPACE, "litellm")
        runs["annotations_with_crd"] = template_annotations(cluster, WARN_NAMESPACE)
    finally:
        cluster.kubectl("delete", "customresourcedefinition", "servicemonitors.monitoring.coreos.com", "--ignore-not-found")
    return runs


def test_missing_openwebui_names_workload_and_switch(degraded_runs):
    run = degraded_runs["required"]
    message = fatal_message(run)

    assert run.returncode != 0
    assert "StatefulSet open-webui/%s" % MISSING_WORKLOAD in message
    assert "openwebui_required" in message


def test_missing_openwebui_stops_before_writing(degraded_runs):
    assert degraded_runs["required_writes"] == []


def test_optional_openwebui_missing_gives_warning(degraded_runs):
    run = degraded_runs["optional"]

    assert run.returncode == 0, run.stdout[-6000:]
    assert run.stats["failures"] == 0
    warning = "open-webui/%s was not found, so ENABLE_FORWARD_USER_INFO_HEADERS was not set." % MISSING_WORKLOAD
    assert any(warning in message for message in all_messages(run))


def test_missing_service_monitor_crd_gives_warning(degraded_runs):
    run = degraded_runs["optional"]

    assert run.returncode == 0, run.stdout[-6000:]
    assert any("no servicemonitors.monitoring.coreos.com CRD" in message for message in all_messages(run))


def test_missing_service_monitor_crd_falls_back_to_annotations(degraded_runs):
    annotations = degraded_runs["annotations_without_crd"]

    assert annotations.get("prometheus.io/scrape") == "true"
    assert annotations.get("prometheus.io/path") == "/metrics/"


def test_service_monitor_created_with_crd(degraded_runs):
    run = degraded_runs["with_crd"]
    service_monitor = degraded_runs["service_monitor"]

    assert run.returncode == 0, run.stdout[-6000:]
    assert service_monitor is not None
    assert service_monitor["spec"]["endpoints"] == [{"port": "http", "path": "/metrics/"}]
    assert not any("no servicemonitors.monitoring.coreos.com CRD" in message for message in all_messages(run))


def test_service_monitor_replaces_scrape_annotations(degraded_runs):
    assert "prometheus.io/scrape" not in degraded_runs["annotations_with_crd"]


def test_unschedulable_pods_explain_failed_rollout(degraded_runs):
    run = degraded_runs["unschedulable"]
    message = fatal_message(run)

    assert run.returncode != 0
    assert "Deployment %s/litellm did not become available within %d s" % (UNSCHEDULABLE_NAMESPACE, ROLLOUT_TIMEOUT) in message
    assert "PodScheduled=False" in message
    assert "0/1 nodes are available" in message
    assert "didn't match Pod's node affinity/selector" in message
