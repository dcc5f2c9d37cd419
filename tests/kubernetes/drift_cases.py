"""Manual edits of the deployed gateway, made as a user would with kubectl, and how to read each back.

Each case edits one field of one object. ``read`` takes that field out of an object: the live object,
or the ``before`` or ``after`` part of a task's diff. kubernetes.core's diff holds only changed
fields, and of a list keyed by name (containers, env, ports) only the changed entries, so ``read``
selects entries by name rather than by position.
"""

import json
from dataclasses import dataclass
from typing import Callable

from cluster_gateway import (
    APPLY_TASK,
    OPENWEBUI,
    OPENWEBUI_CONTAINER,
    OPENWEBUI_FLAG,
    OPENWEBUI_TASK,
    PORT_REPAIR_TASK,
    container,
    object_id,
)

CONFIG_KEY = "proxy_server_config.yaml"
REMOVED_ENV = "SEPARATE_HEALTH_PORT"


@dataclass(frozen=True)
class DriftCase:
    """One manual edit: the kubectl command, the object it changes and the task that reports it."""

    kubectl: list
    kind: str
    namespace: str
    name: str
    read: Callable
    task: str
    # Prefix of the loop item label the task gives the object; None for a task without a loop.
    label: str = None

    def read_live(self, gateway):
        return self.read(gateway.get(self.kind, self.namespace, self.name))

    def diff(self, run):
        """Return the diff that the task reported for this case's object in ``run``."""
        # The apply task runs once per component, so look through every run of it.
        for result in run.task_results(self.task):
            if self.label is None and result.get("changed"):
                return result.get("diff") or {}
            for item in result.get("results", []):
                if item.get("_ansible_item_label", "").startswith(self.label or "") and item.get("changed"):
                    return item.get("diff") or {}
        raise AssertionError("task %r reported no change for %s" % (self.task, self.label or self.name))


def _json_patch(kind, namespace, name, operations):
    return ["patch", kind, name, "-n", namespace, "--type=json", "-p", json.dumps(operations)]


def _removed_env_entries(deployment):
    return [entry for entry in container(deployment, "litellm").get("env", []) if entry["name"] == REMOVED_ENV]


def _openwebui_flag_entries(statefulset):
    env = container(statefulset, OPENWEBUI_CONTAINER).get("env", [])
    return [entry for entry in env if entry["name"] == OPENWEBUI_FLAG["name"]]


LITELLM_DEPLOYMENT = object_id("Deployment", "litellm", "litellm")

DRIFT_CASES = {
    "configmap_key_edited": DriftCase(
        kubectl=["patch", "configmap", "litellm-config", "-n", "litellm", "--type=merge",
                 "-p", json.dumps({"data": {CONFIG_KEY: "edited: by hand\n"}})],
        kind="ConfigMap", namespace="litellm", name="litellm-config",
        read=lambda found: found["data"][CONFIG_KEY],
        task=APPLY_TASK, label=object_id("ConfigMap", "litellm", "litellm-config"),
    ),
    "litellm_env_var_removed": DriftCase(
        kubectl=["set", "env", "deployment/litellm", "-n", "litellm", REMOVED_ENV + "-"],
        kind="Deployment", namespace="litellm", name="litellm",
        read=_removed_env_entries,
        task=APPLY_TASK, label=LITELLM_DEPLOYMENT,
    ),
    "readiness_probe_changed": DriftCase(
        kubectl=_json_patch("deployment", "litellm", "litellm", [
            {"op": "replace", "path": "/spec/template/spec/containers/0/readinessProbe/periodSeconds", "value": 30},
        ]),
        kind="Deployment", namespace="litellm", name="litellm",
        read=lambda found: container(found, "litellm")["readinessProbe"]["periodSeconds"],
        task=APPLY_TASK, label=LITELLM_DEPLOYMENT,
    ),
    "redis_args_changed": DriftCase(
        kubectl=_json_patch("deployment", "litellm", "redis", [
            {"op": "replace", "path": "/spec/template/spec/containers/0/args",
             "value": ["--port", "6379", "--maxmemory", "1gb"]},
        ]),
        kind="Deployment", namespace="litellm", name="redis",
        read=lambda found: container(found, "redis")["args"],
        task=APPLY_TASK, label=object_id("Deployment", "litellm", "redis"),
    ),
    "service_port_changed": DriftCase(
        kubectl=_json_patch("service", "litellm", "litellm", [
            {"op": "replace", "path": "/spec/ports/0/port", "value": 4100},
        ]),
        kind="Service", namespace="litellm", name="litellm",
        read=lambda found: [port["port"] for port in found["spec"]["ports"] if port.get("name") == "http"],
        task=PORT_REPAIR_TASK, label=object_id("Service", "litellm", "litellm"),
    ),
    "container_port_changed": DriftCase(
        kubectl=_json_patch("deployment", "litellm", "litellm", [
            {"op": "replace", "path": "/spec/template/spec/containers/0/ports/0/containerPort", "value": 4100},
        ]),
        kind="Deployment", namespace="litellm", name="litellm",
        read=lambda found: [port["containerPort"] for port in container(found, "litellm")["ports"]
                            if port.get("name") == "http"],
        task=PORT_REPAIR_TASK, label=LITELLM_DEPLOYMENT,
    ),
    "openwebui_flag_removed": DriftCase(
        kubectl=["set", "env", "statefulset/open-webui", "-n", "open-webui", OPENWEBUI_FLAG["name"] + "-"],
        kind=OPENWEBUI[0], namespace=OPENWEBUI[1], name=OPENWEBUI[2],
        read=_openwebui_flag_entries,
        task=OPENWEBUI_TASK,
    ),
    "checksum_annotation_edited": DriftCase(
        kubectl=["patch", "deployment", "litellm", "-n", "litellm", "--type=merge", "-p",
                 json.dumps({"spec": {"template": {"metadata": {"annotations": {"checksum/config": "edited-by-hand"}}}}})],
        kind="Deployment", namespace="litellm", name="litellm",
        read=lambda found: found["spec"]["template"]["metadata"]["annotations"]["checksum/config"],
        task=APPLY_TASK, label=LITELLM_DEPLOYMENT,
    ),
    "replicas_changed": DriftCase(
        kubectl=["scale", "deployment/litellm", "-n", "litellm", "--replicas=3"],
        kind="Deployment", namespace="litellm", name="litellm",
        read=lambda found: found["spec"]["replicas"],
        task=APPLY_TASK, label=LITELLM_DEPLOYMENT,
    ),
}


def apply_drift(gateway):
    """Make every edit in DRIFT_CASES and return ``(original, edited)`` values per case name."""
    original = {name: case.read_live(gateway) for name, case in DRIFT_CASES.items()}
    for case in DRIFT_CASES.values():
        gateway.kubectl(*case.kubectl)
    edited = {name: case.read_live(gateway) for name, case in DRIFT_CASES.items()}
    return original, edited
