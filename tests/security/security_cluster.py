"""The local control plane of the security tier, and site.yml runs against it.

Plain functions and classes with no pytest dependency. Each test deploys the gateway into namespaces
of its own (``gateway_vars``), so that tests do not depend on each other's state and a failed test
leaves nothing that the next one trips over. The Open WebUI fixture of tests/fixtures stays in
namespace open-webui and is shared.

kubectl runs as the ``ansible`` user, like the playbooks, so the audit log records the tests' own
requests too. A test that counts write requests sends none itself while it counts.
"""

import base64
import json
import os
import time

import yaml

from cluster.cluster_env import audit_log_end, ensure_cluster
from helpers.kubectl import KubectlMixin
from helpers.playbooks import REPO_ROOT, run_playbook

SITE = os.path.join(REPO_ROOT, "site.yml")
PREREQUISITES = os.path.join(REPO_ROOT, "tests", "fixtures", "prerequisites.yml")
OPENWEBUI_FIXTURE = os.path.join(REPO_ROOT, "tests", "fixtures", "openwebui.yaml")

# kwok only simulates the pods and no proxy runs in them, so health verification after a rollout would fail.
DEFAULT_VARS = {"litellm_verify": "none", "litellm_rollout_timeout": 120}
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}
K8S_AUTH_VARIABLES = ("K8S_AUTH_HOST", "K8S_AUTH_API_KEY", "K8S_AUTH_SSL_CA_CERT", "K8S_AUTH_KUBECONFIG",
                      "K8S_AUTH_CONTEXT", "K8S_AUTH_TOKEN")


def fixture_openwebui_statefulset():
    """Return the Open WebUI StatefulSet of tests/fixtures/openwebui.yaml as a dict."""
    with open(OPENWEBUI_FIXTURE, encoding="utf-8") as handle:
        documents = list(yaml.safe_load_all(handle))
    return next(document for document in documents if document["kind"] == "StatefulSet")


def container(workload, name):
    """Return the container called ``name`` of a workload or pod."""
    spec = workload["spec"]["template"]["spec"] if "template" in workload["spec"] else workload["spec"]
    return next(item for item in spec["containers"] if item["name"] == name)


def failed_results(run):
    """Return the failed task results of a JSON-callback run, in run order, as (task name, result) pairs.

    A failure that a rescue section handled is listed too. The last entry is the one that stopped the run.
    """
    failures = []
    for play in run.report.get("plays", []):
        for task in play.get("tasks", []):
            for result in task["hosts"].values():
                if result.get("failed"):
                    failures.append((task["task"]["name"], result))
    return failures


def failure_messages(result):
    """Return the individual failure messages of one failed task result.

    A loop reports one message per failed item, the settings merge module one per invalid setting
    (``errors``) and validate_argument_spec one per invalid argument (``argument_errors``).
    """
    if result.get("results"):
        return [str(item.get("msg", "")) for item in result["results"] if item.get("failed")]
    if result.get("errors"):
        return [str(error) for error in result["errors"]]
    if result.get("argument_errors"):
        return [str(error) for error in result["argument_errors"]]
    return [str(result.get("msg", ""))]


def all_messages(run):
    """Return every ``msg`` of every task and loop item of a JSON-callback run, as strings."""
    messages = []
    for play in run.report.get("plays", []):
        for task in play.get("tasks", []):
            for result in task["hosts"].values():
                for entry in [result] + list(result.get("results", [])):
                    if isinstance(entry, dict) and "msg" in entry:
                        messages.append(str(entry["msg"]))
    return messages


def save_outputs(directory, runs):
    """Write each run's stdout and stderr to ``directory`` as <label>.stdout and <label>.stderr."""
    for label, run in runs.items():
        for stream in ("stdout", "stderr"):
            with open(os.path.join(directory, "%s.%s" % (label, stream)), "w", encoding="utf-8") as handle:
                handle.write(getattr(run, stream))


def encoded_forms(value):
    """Return the ways a secret value can appear in output: as text and base64-encoded."""
    return [value, base64.b64encode(value.encode()).decode()]


class SecurityCluster(KubectlMixin):
    """The local control plane with the collection's prerequisites, and site.yml runs against it."""

    def __init__(self, connection):
        self.connection = connection
        self.kubeconfig = connection["kubeconfig"]
        self.kubectl_path = connection["kubectl"]
        self.audit_log = connection["audit_log"]
        self.state_dir = connection["state_dir"]

    @classmethod
    def start(cls):
        """Start the control plane named by AIGATEWAY_CLUSTER_DIR, or reuse it, with tests/cluster/up.sh."""
        return cls(ensure_cluster(REPO_ROOT))

    def restart_stopped_components(self):
        """Start every component that is not running again (up.sh restarts only those)."""
        self.connection = ensure_cluster(REPO_ROOT)

    # ---- kubectl ----

    def apply(self, *objects):
        """Create or update objects with client-side kubectl apply."""
        self.kubectl("apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)}))

    def create_namespace(self, name, labels=None):
        self.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}})

    def put_secret(self, namespace, name, values):
        """Create the Secret, or replace its data, with ``values`` (a dict of text values).

        create and replace send the object as it is, whereas kubectl apply would also copy the values
        into the last-applied-configuration annotation.
        """
        data = {key: base64.b64encode(value.encode()).decode() for key, value in values.items()}
        secret = json.dumps({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                             "metadata": {"name": name, "namespace": namespace}, "data": data})
        created = self.kubectl_result("create", "-f", "-", stdin=secret)
        if created.returncode != 0:
            if "AlreadyExists" not in created.stderr:
                raise RuntimeError("creating Secret %s/%s failed: %s" % (namespace, name, created.stderr.strip()))
            self.kubectl("replace", "-f", "-", stdin=secret)

    def create_gateway_prerequisites(self, namespace, master_key, database_url):
        """Create the namespace and the master key and database URL Secrets that site.yml checks for."""
        self.create_namespace(namespace)
        self.put_secret(namespace, "litellm-master-key", {"master-key": master_key})
        self.put_secret(namespace, "litellm-database", {"database-url": database_url})

    def wait_for(self, description, condition, timeout=120, interval=1.0):
        """Poll ``condition`` until it returns a true value, and return that value or raise TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError("timed out after %d s waiting for %s" % (timeout, description))
            time.sleep(interval)

    # ---- audit log ----

    def audit_offset(self):
        return audit_log_end(self.audit_log)

    def audit_events_between(self, start, end=None):
        """Return the complete audit events logged between byte offsets ``start`` and ``end``."""
        with open(self.audit_log, "rb") as log:
            log.seek(start)
            data = log.read() if end is None else log.read(max(0, end - start))
        complete = data[: data.rfind(b"\n") + 1]
        return [json.loads(line) for line in complete.splitlines() if line.strip()]

    def write_requests(self, start, end=None):
        """Return the completed write requests of the ``ansible`` user between two offsets, dry runs excluded."""
        return [
            event for event in self.audit_events_between(start, end)
            if event["stage"] == "ResponseComplete" and event["verb"] in WRITE_VERBS
            and event["user"]["username"] == "ansible" and "dryRun=All" not in event.get("requestURI", "")
        ]

    # ---- playbook runs ----

    def run_site(self, extra_vars=None, check=False, diff=False, args=(), callback="json", env=None,
                 timeout=900):
        """Run site.yml in apply mode with DEFAULT_VARS plus ``extra_vars``.

        ``callback`` is ``json`` (ansible.posix.json, parsed into ``run.report``) or ``default``.
        """
        variables = dict(DEFAULT_VARS)
        variables.update(extra_vars or {})
        run_env = {"KUBECONFIG": self.kubeconfig}
        if callback == "default":
            run_env["ANSIBLE_STDOUT_CALLBACK"] = "default"
        run_env.update(env or {})
        return run_playbook(SITE, extra_vars=variables, check=check, diff=diff, env=run_env, args=args,
                            timeout=timeout)

    def create_prerequisites(self):
        """Create the shared fixtures: namespace litellm with its Secrets and the Open WebUI StatefulSet."""
        run = run_playbook(PREREQUISITES, env={"KUBECONFIG": self.kubeconfig})
        assert run.returncode == 0, "creating the prerequisites failed:\n" + run.stdout[-4000:]


def gateway_vars(namespace, redis_namespace=None, **more):
    """Return the variables that deploy the gateway into ``namespace`` (Redis too, unless given)."""
    variables = {"litellm_namespace": namespace, "redis_namespace": redis_namespace or namespace}
    variables.update(more)
    return variables
