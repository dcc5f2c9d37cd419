"""Two gateways deployed into namespaces that enforce the restricted Pod Security Standard.

Shared by the Pod Security and NetworkPolicy tests. The namespaces get their labels from
aigateway_namespace_labels. The Open WebUI workload is a copy of the StatefulSet in
tests/fixtures/openwebui.yaml with the security context that the restricted standard requires,
because the fixture's own pod template (no securityContext) would be rejected there.

The default namespace gets an EndpointSlice for the ``kubernetes`` Service with the documentation
address API_SERVER_ADDRESS: the control plane runs with --endpoint-reconciler-type=none, so without it
the roles would find no API server address to admit. Nothing connects to that address.
"""

import concurrent.futures
import copy

from security_cluster import fixture_openwebui_statefulset, gateway_vars

RESTRICTED_LABELS = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted",
}
OPENWEBUI_NAMESPACE = "sec-psa-webui"
API_SERVER_ADDRESS = "203.0.113.7"
EXTRA_API_SERVER_PEER = {"ipBlock": {"cidr": "198.51.100.0/24"}}
REDIS_PASSWORD_SECRET = {"name": "redis-auth", "key": "password"}

# Name, namespace and variables of each gateway.
GATEWAYS = {
    "defaults": ("sec-psa-defaults", {}),
    "redis-password-3-replicas": ("sec-psa-ha", {
        "redis_password_secret": REDIS_PASSWORD_SECRET,
        "litellm_replicas": 3,
        "litellm_network_policy_apiserver_peers": [EXTRA_API_SERVER_PEER],
    }),
}


def restricted_openwebui():
    """Return the fixture's Open WebUI StatefulSet in OPENWEBUI_NAMESPACE, made to meet the restricted standard."""
    statefulset = copy.deepcopy(fixture_openwebui_statefulset())
    statefulset["metadata"]["namespace"] = OPENWEBUI_NAMESPACE
    pod_spec = statefulset["spec"]["template"]["spec"]
    pod_spec["securityContext"] = {
        "runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    for item in pod_spec["containers"]:
        item["securityContext"] = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    return statefulset


def api_server_endpoint_slice():
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "kubernetes-security-tests",
            "namespace": "default",
            "labels": {"kubernetes.io/service-name": "kubernetes",
                       "endpointslice.kubernetes.io/managed-by": "aigateway-security-tests"},
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": [API_SERVER_ADDRESS], "conditions": {"ready": True}}],
        "ports": [{"name": "https", "port": 443, "protocol": "TCP"}],
    }


def deploy_restricted_gateways(cluster):
    """Deploy every gateway of GATEWAYS at once and return {name: {"namespace", "vars", "run"}}."""
    cluster.apply(api_server_endpoint_slice())
    cluster.create_namespace(OPENWEBUI_NAMESPACE, RESTRICTED_LABELS)
    cluster.apply(restricted_openwebui())

    gateways = {}
    for name, (namespace, extra) in GATEWAYS.items():
        cluster.create_gateway_prerequisites(namespace, "sk-restricted-" + name, "postgresql://litellm@postgres.invalid/litellm")
        if "redis_password_secret" in extra:
            cluster.put_secret(namespace, REDIS_PASSWORD_SECRET["name"], {REDIS_PASSWORD_SECRET["key"]: "redis-" + name})
        variables = gateway_vars(namespace, aigateway_namespace_labels=RESTRICTED_LABELS,
                                 openwebui_namespace=OPENWEBUI_NAMESPACE, **extra)
        gateways[name] = {"namespace": namespace, "vars": variables}

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(gateways)) as pool:
        runs = {name: pool.submit(cluster.run_site, gateway["vars"]) for name, gateway in gateways.items()}
        for name, future in runs.items():
            gateways[name]["run"] = future.result()
    return gateways
