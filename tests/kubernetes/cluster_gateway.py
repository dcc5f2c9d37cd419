"""Run the collection against the local control plane and read the objects it manages.

Plain functions and classes with no pytest dependency, shared by tests/kubernetes and benchmarks/.
Edits that tests make as a user would go through kubectl, so kubectl becomes the owner of the edited
fields, as it would on a real cluster.
"""

import os
import tempfile
import time

import yaml

from cluster.cluster_env import audit_events, audit_log_end, ensure_cluster
from helpers.kubectl import KubectlMixin
from helpers.playbooks import REPO_ROOT, run_playbook

SITE = os.path.join(REPO_ROOT, "site.yml")
PREREQUISITES = os.path.join(REPO_ROOT, "tests", "fixtures", "prerequisites.yml")
OPENWEBUI_FIXTURE = os.path.join(REPO_ROOT, "tests", "fixtures", "openwebui.yaml")

# Pods are simulated, so the health checks after the rollout would never pass.
DEFAULT_VARS = {"litellm_verify": "none", "litellm_rollout_timeout": 180}
ROLLOUT_TIMEOUT = 100

OPENWEBUI = ("StatefulSet", "open-webui", "open-webui")
# What tests/fixtures/prerequisites.yml creates.
PREREQUISITE_OBJECTS = [
    ("Secret", "litellm", "litellm-master-key"),
    ("Secret", "litellm", "litellm-database"),
    OPENWEBUI,
]
OPENWEBUI_CONTAINER = "open-webui"
OPENWEBUI_FLAG = {"name": "ENABLE_FORWARD_USER_INFO_HEADERS", "value": "true"}

APPLY_TASK = "Apply the objects with server-side apply"
PORT_REPAIR_TASK = "Put back the ports whose number was edited by hand"
WOULD_CREATE_TASK = "Report the objects that would be created in namespaces that do not exist yet"
OPENWEBUI_TASK = "Apply the ENABLE_FORWARD_USER_INFO_HEADERS env entry to Open WebUI"

WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}
NAMESPACE_DELETE_TIMEOUT = 180


def object_id(kind, namespace, name):
    """Return the label the roles' loops give an object, such as ``Deployment litellm/redis``."""
    return "%s %s/%s" % (kind, namespace or "", name)


def render_objects(extra_vars=None):
    """Return (kind, namespace, name) of every object that render mode writes for these settings.

    Apply mode creates the same objects, unless a setting depends on the cluster: with
    litellm_metrics_scrape=servicemonitor and no Prometheus Operator CRD, apply mode falls back to
    annotations. The Open WebUI patch is not among them. Runs site.yml in render mode, which
    contacts no cluster.
    """
    variables = dict(extra_vars or {})
    with tempfile.TemporaryDirectory() as directory:
        variables.update({"aigateway_mode": "render", "aigateway_render_dir": directory})
        run = run_playbook(SITE, extra_vars=variables)
        assert run.returncode == 0, "render mode failed:\n" + run.stdout[-4000:]

        objects = []
        for component in _kustomization_resources(directory):
            for filename in _kustomization_resources(os.path.join(directory, component)):
                with open(os.path.join(directory, component, filename), encoding="utf-8") as handle:
                    manifest = yaml.safe_load(handle)
                metadata = manifest["metadata"]
                objects.append((manifest["kind"], metadata.get("namespace"), metadata["name"]))
    return objects


def _kustomization_resources(directory):
    with open(os.path.join(directory, "kustomization.yaml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["resources"]


def fixture_openwebui_env():
    """Return the env list of the Open WebUI container in tests/fixtures/openwebui.yaml."""
    with open(OPENWEBUI_FIXTURE, encoding="utf-8") as handle:
        documents = list(yaml.safe_load_all(handle))
    statefulset = next(document for document in documents if document["kind"] == "StatefulSet")
    return statefulset["spec"]["template"]["spec"]["containers"][0]["env"]


def container(workload, name):
    """Return the container called ``name`` of a Deployment or StatefulSet."""
    return next(item for item in workload["spec"]["template"]["spec"]["containers"] if item["name"] == name)


def changed_items(run, task):
    """Return the labels of the loop items that task ``task`` reported as changed, in run order."""
    labels = []
    for result in run.task_results(task):
        for item in result.get("results", []):
            if item.get("changed"):
                labels.append(item.get("_ansible_item_label") or object_id(
                    item["item"]["kind"], item["item"]["metadata"].get("namespace"), item["item"]["metadata"]["name"]))
    return labels


def all_messages(run):
    """Return every ``msg`` that any task or loop item of the run reported, as strings."""
    messages = []
    for play in run.report.get("plays", []):
        for task in play.get("tasks", []):
            for result in task["hosts"].values():
                for entry in [result] + result.get("results", []):
                    if "msg" in entry:
                        messages.append(str(entry["msg"]))
    return messages


class GatewayCluster(KubectlMixin):
    """The local control plane with the collection's prerequisites, and the runs against it.

    ``state`` records what the last step left: ``converged`` (the default settings applied and
    nothing edited since), ``removed`` (aigateway_state=absent with the namespaces removed) or
    ``dirty``. Tests that change the cluster set it to ``dirty`` before they start changing it.
    """

    def __init__(self, connection):
        self.kubeconfig = connection["kubeconfig"]
        self.kubectl_path = connection["kubectl"]
        self.audit_log = connection["audit_log"]
        self.state_dir = connection["state_dir"]
        self.state = "dirty"
        self._default_objects = None

    @property
    def default_objects(self):
        """(kind, namespace, name) of the objects the collection creates with the default settings."""
        if self._default_objects is None:
            self._default_objects = render_objects()
        return self._default_objects

    @classmethod
    def start(cls):
        """Start the control plane (or reuse it) with tests/cluster/up.sh."""
        return cls(ensure_cluster(REPO_ROOT))

    def resource_versions(self, objects=None):
        """Return {object id: resourceVersion} of the collection's objects and the Open WebUI StatefulSet."""
        versions = {}
        for kind, namespace, name in objects or self.default_objects + [OPENWEBUI]:
            found = self.get(kind, namespace, name)
            versions[object_id(kind, namespace, name)] = found["metadata"]["resourceVersion"] if found else None
        return versions

    def wait_for_rollouts(self, timeout=ROLLOUT_TIMEOUT):
        """Wait until every Deployment and StatefulSet of the gateway has finished its rollout.

        The controllers keep updating a workload's status, and so its resourceVersion, while a rollout
        runs, so tests that compare resourceVersions wait for this first.
        """
        for kind, namespace, name in self.default_objects + [OPENWEBUI]:
            if kind in ("Deployment", "StatefulSet"):
                self.kubectl("rollout", "status", "%s/%s" % (kind.lower(), name), "-n", namespace,
                             "--timeout=%ds" % timeout)

    def wait_for_namespace_deletion(self, name, timeout=NAMESPACE_DELETE_TIMEOUT):
        deadline = time.monotonic() + timeout
        while self.get("Namespace", None, name) is not None:
            if time.monotonic() > deadline:
                raise TimeoutError("namespace %s still exists %d s after its deletion" % (name, timeout))
            time.sleep(1)

    # ---- audit log ----

    def audit_offset(self):
        return audit_log_end(self.audit_log)

    def write_requests(self, since_offset):
        """Return the completed write requests of the ``ansible`` user logged after ``since_offset``."""
        events = audit_events(self.audit_log, since_offset)[0]
        return [
            event for event in events
            if event["stage"] == "ResponseComplete" and event["verb"] in WRITE_VERBS
            and event["user"]["username"] == "ansible"
        ]

    # ---- playbook runs ----

    def run_site(self, extra_vars=None, check=False, diff=False, env=None, use_kubeconfig=True):
        """Run site.yml in apply mode with DEFAULT_VARS plus ``extra_vars``."""
        variables = dict(DEFAULT_VARS)
        variables.update(extra_vars or {})
        run_env = {"KUBECONFIG": self.kubeconfig} if use_kubeconfig else {}
        run_env.update(env or {})
        return run_playbook(SITE, extra_vars=variables, check=check, diff=diff, env=run_env)

    def create_prerequisites(self):
        run = run_playbook(PREREQUISITES, env={"KUBECONFIG": self.kubeconfig})
        assert run.returncode == 0, "creating the prerequisites failed:\n" + run.stdout[-4000:]

    def reset_openwebui(self):
        """Delete the Open WebUI StatefulSet when its env list is no longer the fixture's, so that
        create_prerequisites creates it again."""
        statefulset = self.get(*OPENWEBUI)
        if statefulset is None:
            return
        env = [entry for entry in container(statefulset, OPENWEBUI_CONTAINER).get("env", [])
               if entry["name"] != OPENWEBUI_FLAG["name"]]
        if env != fixture_openwebui_env():
            self.kubectl("delete", "statefulset", OPENWEBUI[2], "-n", OPENWEBUI[1], "--wait=true")

    def prerequisites_present(self):
        return all(self.get(kind, namespace, name) is not None for kind, namespace, name in PREREQUISITE_OBJECTS)

    def converge(self):
        """Bring the cluster to the ``converged`` state: prerequisites plus a run with the default settings."""
        self.reset_openwebui()
        if not self.prerequisites_present():
            self.create_prerequisites()
        run = self.run_site()
        assert run.returncode == 0, "site.yml failed:\n" + run.stdout[-6000:]
        self.state = "converged"
        return run

    def remove(self):
        """Bring the cluster to the ``removed`` state: aigateway_state=absent and the namespaces deleted."""
        run = self.run_site({"aigateway_state": "absent", "aigateway_remove_namespaces": True})
        assert run.returncode == 0, "site.yml with aigateway_state=absent failed:\n" + run.stdout[-6000:]
        self.wait_for_namespace_deletion("litellm")
        self.state = "removed"
        return run
