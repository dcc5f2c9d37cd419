"""The API server admits every pod of the collection in namespaces that enforce the restricted standard.

The PodSecurity admission plugin of the real kube-apiserver checks each pod when the ReplicaSet or
StatefulSet controller creates it, so a rejected pod shows up as a missing pod, a ReplicaFailure
condition and a FailedCreate event. kwok only simulates the pods after admission. A privileged pod
created by hand in the same namespaces is rejected, which shows that enforcement is on.
"""

import json

import pytest

from restricted_gateways import GATEWAYS, OPENWEBUI_NAMESPACE, RESTRICTED_LABELS
from security_cluster import container

pytestmark = pytest.mark.cluster

SETTLE_TIMEOUT = 90
OPENWEBUI_FLAG = {"name": "ENABLE_FORWARD_USER_INFO_HEADERS", "value": "true"}
NONCOMPLIANT_POD = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "privileged-probe"},
    "spec": {"containers": [{"name": "probe", "image": "docker.io/library/busybox:1.36"}]},
}


def deployment_rolled_out(cluster, namespace, name):
    deployment = cluster.get("Deployment", namespace, name)
    if deployment is None:
        return None
    status = deployment.get("status", {})
    replicas = deployment["spec"]["replicas"]
    done = (status.get("observedGeneration") == deployment["metadata"]["generation"]
            and status.get("updatedReplicas") == replicas and status.get("availableReplicas") == replicas
            and status.get("replicas") == replicas)
    return deployment if done else None


def openwebui_pod_updated(cluster):
    statefulset = cluster.get("StatefulSet", OPENWEBUI_NAMESPACE, "open-webui")
    pod = cluster.get("Pod", OPENWEBUI_NAMESPACE, "open-webui-0")
    if not pod or pod["metadata"].get("deletionTimestamp"):
        return None
    revision = pod["metadata"]["labels"].get("controller-revision-hash")
    return pod if revision == statefulset["status"].get("updateRevision") else None


def settle(cluster, description, condition):
    """Wait for ``condition`` and return its value, or None on a timeout, so that the test's assertion explains."""
    try:
        return cluster.wait_for(description, condition, timeout=SETTLE_TIMEOUT)
    except TimeoutError:
        return None


@pytest.fixture(scope="module")
def restricted(cluster, restricted_gateways):
    """The restricted gateways, and the state of their workloads once the rollouts have finished.

    site.yml waits for the LiteLLM rollout only, so this waits for Redis and Open WebUI too. The
    state is read here, as soon as the rollouts finish, because later test modules change the cluster.
    """
    state = {"deployments": {}, "replica_sets": {}, "pods": {}, "events": {}}
    for gateway in restricted_gateways.values():
        namespace = gateway["namespace"]
        for name in ("redis", "litellm"):
            state["deployments"][namespace, name] = settle(
                cluster, "Deployment %s/%s rolled out" % (namespace, name),
                lambda namespace=namespace, name=name: deployment_rolled_out(cluster, namespace, name))
    state["openwebui_pod"] = settle(cluster, "Open WebUI pod recreated", lambda: openwebui_pod_updated(cluster))
    for namespace in namespaces(restricted_gateways):
        state["replica_sets"][namespace] = cluster.list_objects("ReplicaSet", namespace)
        state["pods"][namespace] = cluster.list_objects("Pod", namespace)
        state["events"][namespace] = cluster.list_objects("Event", namespace)
    return dict(restricted_gateways, state=state)


def namespaces(gateways):
    return [gateways[name]["namespace"] for name in GATEWAYS] + [OPENWEBUI_NAMESPACE]


@pytest.mark.parametrize("gateway", list(GATEWAYS))
def test_restricted_run_succeeds(restricted, gateway):
    run = restricted[gateway]["run"]

    assert run.returncode == 0, run.stdout[-6000:]


@pytest.mark.parametrize("gateway", list(GATEWAYS))
def test_namespace_gets_restricted_labels(cluster, restricted, gateway):
    labels = cluster.get("Namespace", None, restricted[gateway]["namespace"])["metadata"].get("labels", {})

    assert {key: labels.get(key) for key in RESTRICTED_LABELS} == RESTRICTED_LABELS


@pytest.mark.parametrize("gateway", list(GATEWAYS))
@pytest.mark.parametrize("deployment", ["redis", "litellm"])
def test_deployment_rolls_out(cluster, restricted, gateway, deployment):
    namespace = restricted[gateway]["namespace"]

    assert restricted["state"]["deployments"][namespace, deployment], cluster.kubectl(
        "get", "deployment,replicaset,pod", "-n", namespace, "-o", "wide")


@pytest.mark.parametrize("gateway", list(GATEWAYS))
def test_every_replica_set_has_its_pods(restricted, gateway):
    namespace = restricted[gateway]["namespace"]
    pods = restricted["state"]["pods"][namespace]

    for replica_set in restricted["state"]["replica_sets"][namespace]:
        owned = [pod for pod in pods
                 if any(owner["uid"] == replica_set["metadata"]["uid"] for owner in pod["metadata"].get("ownerReferences", []))]
        failures = [condition for condition in replica_set.get("status", {}).get("conditions", [])
                    if condition["type"] == "ReplicaFailure"]
        assert failures == [], replica_set["metadata"]["name"]
        assert len(owned) == replica_set["spec"]["replicas"], replica_set["metadata"]["name"]


def test_litellm_replicas_all_exist(restricted):
    namespace = restricted["redis-password-3-replicas"]["namespace"]
    pods = [pod for pod in restricted["state"]["pods"][namespace]
            if pod["metadata"]["labels"].get("app.kubernetes.io/name") == "litellm"
            and not pod["metadata"].get("deletionTimestamp")]

    assert len(pods) == 3


def test_redis_password_reaches_redis_pod(restricted):
    namespace = restricted["redis-password-3-replicas"]["namespace"]
    pod = next(pod for pod in restricted["state"]["pods"][namespace]
               if pod["metadata"]["labels"].get("app.kubernetes.io/name") == "redis")
    redis = container(pod, "redis")

    assert "$(REDIS_PASSWORD)" in redis["args"]
    assert redis["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "redis-auth"


def test_no_pod_creation_rejected(restricted):
    for namespace, events in restricted["state"]["events"].items():
        rejected = [event["message"] for event in events if event.get("reason") == "FailedCreate"]
        assert rejected == [], namespace


def test_openwebui_pod_recreated_with_flag(cluster, restricted):
    pod = restricted["state"]["openwebui_pod"]

    assert pod is not None, cluster.kubectl("get", "statefulset,pod", "-n", OPENWEBUI_NAMESPACE, "-o", "wide")
    assert OPENWEBUI_FLAG in container(pod, "open-webui")["env"]


@pytest.mark.parametrize("gateway", list(GATEWAYS))
def test_run_output_has_no_pod_security_warning(restricted, gateway):
    run = restricted[gateway]["run"]

    assert "violate PodSecurity" not in run.stdout + run.stderr


def test_restricted_namespaces_reject_privileged_pod(cluster, restricted):
    for namespace in namespaces(restricted):
        result = cluster.kubectl_result("create", "--dry-run=server", "-n", namespace, "-f", "-",
                                        stdin=json.dumps(NONCOMPLIANT_POD))
        assert result.returncode != 0, namespace
        assert 'violates PodSecurity "restricted:latest"' in result.stderr, result.stderr
