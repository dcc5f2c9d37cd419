"""The drift check, the apply-mode validation and the k8s action group against the local control plane.

Every playbook here connects the way an AWX job with an "OpenShift or Kubernetes API Bearer Token"
credential does: through the K8S_AUTH_* environment variables only, with no kubeconfig. The stack goes
into namespaces of its own (aigw-drift, aigw-drift-webui) with litellm_verify=none, because the
control plane's pods are simulated and nothing listens behind a Service.

Needs the control plane of tests/cluster, which the tests start with tests/cluster/up.sh (set
AIGATEWAY_CLUSTER_DIR to use a state directory of your own).
"""

import base64
import json
import os
import subprocess

import pytest
import yaml

from cluster.cluster_env import audit_events, audit_log_end, ensure_cluster
from helpers.playbooks import REPO_ROOT, run_playbook

pytestmark = pytest.mark.cluster

SITE = os.path.join(REPO_ROOT, "site.yml")
VERIFY = os.path.join(REPO_ROOT, "playbooks", "verify.yml")
NAMESPACE = "aigw-drift"
WEBUI_NAMESPACE = "aigw-drift-webui"
MASTER_KEY = "sk-drift-test-4c1f0a9e77d2"
DATABASE_URL = "postgresql://litellm:drift-db-password-93b1@db.example.org:5432/litellm"
STACK_VARS = {"litellm_namespace": NAMESPACE, "redis_namespace": NAMESPACE, "openwebui_namespace": WEBUI_NAMESPACE,
              "litellm_verify": "none"}
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}
NOISE_PREFIXES = ("metadata.managedFields", "metadata.resourceVersion", "metadata.generation", "status")
CLUSTER_START_TIMEOUT = 1800

OPEN_WEBUI = {
    "apiVersion": "apps/v1", "kind": "StatefulSet",
    "metadata": {"name": "open-webui", "namespace": WEBUI_NAMESPACE},
    "spec": {"serviceName": "open-webui", "selector": {"matchLabels": {"app": "open-webui"}},
             "template": {"metadata": {"labels": {"app": "open-webui"}},
                          "spec": {"containers": [{"name": "open-webui", "image": "ghcr.io/open-webui/open-webui:main",
                                                   "env": [{"name": "WEBUI_NAME", "value": "drift test"}]}]}}},
}


@pytest.fixture(scope="module")
def cluster(empty_home):
    try:
        started = ensure_cluster(REPO_ROOT, timeout=CLUSTER_START_TIMEOUT)
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as error:
        pytest.skip("the local control plane could not be started (tests/cluster/up.sh): %s" % error)
    return dict(started, home=empty_home)


@pytest.fixture(scope="module", autouse=True)
def credential_environment():
    """Leave only what an AWX job has: no kubeconfig in the environment (HOME is replaced per run)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("KUBECONFIG", "K8S_AUTH_KUBECONFIG", "K8S_AUTH_CONTEXT", "ANSIBLE_CALLBACKS_ENABLED"):
            patch.delenv(name, raising=False)
        yield


@pytest.fixture(scope="module")
def empty_home(tmp_path_factory):
    """A home directory without ~/.kube/config, for the playbook runs only: up.sh keeps its binary cache in HOME."""
    return str(tmp_path_factory.mktemp("home"))


def awx_credential_env(cluster, callback=True):
    """The variables AWX injects for a bearer token credential with verify_ssl and a CA certificate."""
    env = {"K8S_AUTH_HOST": cluster["host"], "K8S_AUTH_API_KEY": cluster["token"],
           "K8S_AUTH_VERIFY_SSL": "True", "K8S_AUTH_SSL_CA_CERT": cluster["ca_cert"], "HOME": cluster["home"]}
    if callback:
        env["ANSIBLE_CALLBACKS_ENABLED"] = "aigateway.litellm.drift_report"
    return env


def kubectl(cluster, *args, stdin=None):
    completed = subprocess.run([cluster["kubectl"], "--kubeconfig", cluster["kubeconfig"], *args], input=stdin,
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def get(cluster, kind, namespace, name):
    return json.loads(kubectl(cluster, "-n", namespace, "get", kind, name, "-o", "json"))


def run_site(cluster, extra_vars=None, check=False, diff=True, callback=True):
    variables = dict(STACK_VARS, **(extra_vars or {}))
    return run_playbook(SITE, extra_vars=variables, check=check, diff=diff, env=awx_credential_env(cluster, callback))


def read_report(path):
    with open(str(path), encoding="utf-8") as handle:
        return json.load(handle)


def objects_by_kind(report):
    return {entry["kind"]: entry for entry in report["objects"]}


@pytest.fixture(scope="module")
def deployed(cluster):
    """The stack applied to fresh namespaces with the Secrets and the Open WebUI workload it needs."""
    for namespace in (NAMESPACE, WEBUI_NAMESPACE):
        kubectl(cluster, "apply", "-f", "-", stdin=kubectl(cluster, "create", "namespace", namespace,
                                                           "--dry-run=client", "-o", "yaml"))
    for name, key, value in (("litellm-master-key", "master-key", MASTER_KEY),
                             ("litellm-database", "database-url", DATABASE_URL)):
        manifest = kubectl(cluster, "-n", NAMESPACE, "create", "secret", "generic", name,
                           "--from-literal=%s=%s" % (key, value), "--dry-run=client", "-o", "yaml")
        kubectl(cluster, "apply", "-f", "-", stdin=manifest)
    kubectl(cluster, "apply", "-f", "-", stdin=yaml.safe_dump(OPEN_WEBUI))

    run = run_site(cluster, diff=False, callback=False)
    assert run.returncode == 0, run.stdout[-4000:]
    yield cluster
    kubectl(cluster, "delete", "namespace", NAMESPACE, WEBUI_NAMESPACE, "--wait=false", "--ignore-not-found")


def test_clean_cluster_reports_no_drift(deployed, tmp_path):
    report_path = tmp_path / "drift.json"
    run = run_site(deployed, {"aigateway_drift_report": str(report_path), "aigateway_fail_on_drift": True}, check=True)
    assert run.returncode == 0, run.stdout[-4000:]
    report = read_report(report_path)
    assert report["drift"] is False
    assert report["objects"] == []
    assert report["check_mode"] is True


@pytest.fixture(scope="module")
def drifted(deployed, tmp_path_factory):
    """Two fields edited by hand, then the drift check as AWX runs it: check mode, diff, fail on drift."""
    kubectl(deployed, "-n", NAMESPACE, "scale", "deployment", "litellm", "--replicas=3")
    kubectl(deployed, "-n", WEBUI_NAMESPACE, "set", "env", "statefulset/open-webui",
            "ENABLE_FORWARD_USER_INFO_HEADERS=false")
    report_path = tmp_path_factory.mktemp("drift") / "drift.json"
    run = run_site(deployed, {"aigateway_drift_report": str(report_path), "aigateway_fail_on_drift": "true"},
                   check=True)
    return run, report_path


def test_drift_fails_naming_objects(drifted):
    run, report_path = drifted
    assert run.returncode != 0
    message = run.task_result("Write the drift report and stop on drift")["msg"]
    assert "Drift found" in message
    assert "Deployment %s/litellm (spec.replicas)" % NAMESPACE in message
    assert ("StatefulSet %s/open-webui (spec.template.spec.containers[open-webui].env[ENABLE_FORWARD_USER_INFO_HEADERS]"
            ".value)" % WEBUI_NAMESPACE) in message
    assert str(report_path) in message


def test_drift_report_lists_two_fields(drifted):
    report = read_report(drifted[1])
    assert report["drift"] is True
    assert report["check_mode"] is True
    assert report["object_count"] == 2
    objects = objects_by_kind(report)
    assert sorted(objects) == ["Deployment", "StatefulSet"]
    assert (objects["Deployment"]["namespace"], objects["Deployment"]["name"]) == (NAMESPACE, "litellm")
    assert objects["Deployment"]["fields"] == [{"path": "spec.replicas", "before": 3, "after": 1}]
    assert objects["StatefulSet"]["fields"] == [{
        "path": "spec.template.spec.containers[open-webui].env[ENABLE_FORWARD_USER_INFO_HEADERS].value",
        "before": "false", "after": "true"}]


def test_drift_report_excludes_noise(drifted):
    paths = [field["path"] for entry in read_report(drifted[1])["objects"] for field in entry.get("fields") or []]
    assert [path for path in paths if path.startswith(NOISE_PREFIXES)] == []


def test_drift_check_changes_nothing(drifted, deployed):
    assert get(deployed, "deployment", NAMESPACE, "litellm")["spec"]["replicas"] == 3
    env = get(deployed, "statefulset", WEBUI_NAMESPACE, "open-webui")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "ENABLE_FORWARD_USER_INFO_HEADERS", "value": "false"} in env


def test_drift_report_has_no_secret_values(drifted):
    with open(str(drifted[1]), encoding="utf-8") as handle:
        text = handle.read()
    for value in (MASTER_KEY, DATABASE_URL):
        assert value not in text
        assert base64.b64encode(value.encode()).decode() not in text


@pytest.fixture(scope="module")
def corrected(drifted, deployed, tmp_path_factory):
    """An apply run after the drift check: it takes the fields back and reports what it changed."""
    report_path = tmp_path_factory.mktemp("corrected") / "drift.json"
    run = run_site(deployed, {"aigateway_drift_report": str(report_path)})
    return run, report_path


def test_apply_reports_corrections(corrected):
    run, report_path = corrected
    assert run.returncode == 0, run.stdout[-4000:]
    report = read_report(report_path)
    assert report["check_mode"] is False
    assert "changed back" in report["summary"]
    assert sorted(objects_by_kind(report)) == ["Deployment", "StatefulSet"]


def test_apply_restores_fields(corrected, deployed):
    assert get(deployed, "deployment", NAMESPACE, "litellm")["spec"]["replicas"] == 1
    env = get(deployed, "statefulset", WEBUI_NAMESPACE, "open-webui")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "ENABLE_FORWARD_USER_INFO_HEADERS", "value": "true"} in env
    assert {"name": "WEBUI_NAME", "value": "drift test"} in env


def test_no_drift_after_correction(corrected, deployed, tmp_path):
    report_path = tmp_path / "drift.json"
    run = run_site(deployed, {"aigateway_drift_report": str(report_path), "aigateway_fail_on_drift": True}, check=True)
    assert run.returncode == 0, run.stdout[-4000:]
    assert read_report(report_path)["drift"] is False


def test_secret_drift_lists_paths_without_values(deployed, tmp_path):
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "aigw-drift-token", "namespace": NAMESPACE},
              "stringData": {"token": "first-token-value-5d1e"}}
    kubectl(deployed, "apply", "--server-side", "--field-manager=aigw-test", "-f", "-", stdin=yaml.safe_dump(secret))
    report_path = tmp_path / "drift.json"
    play = [{"name": "Check a Secret for drift", "hosts": "localhost", "connection": "local", "gather_facts": False,
             "tasks": [
                 {"name": "Apply the Secret", "kubernetes.core.k8s": {
                     "definition": dict(secret, stringData={"token": "second-token-value-8a2c"}), "apply": True,
                     "server_side_apply": {"field_manager": "aigw-test", "force_conflicts": True}}},
                 {"name": "Write the drift report", "aigateway.litellm.drift_check": {"report": str(report_path)}}]}]
    run = run_playbook(play, check=True, diff=True, env=awx_credential_env(deployed))
    assert run.returncode == 0, run.stdout[-4000:]
    entry = objects_by_kind(read_report(report_path))["Secret"]
    assert entry["values_hidden"] is True
    assert {"path": "data.token"} in entry["fields"]
    assert all(set(field) == {"path"} for field in entry["fields"])
    with open(str(report_path), encoding="utf-8") as handle:
        text = handle.read()
    for value in ("first-token-value-5d1e", "second-token-value-8a2c"):
        assert value not in text
        assert base64.b64encode(value.encode()).decode() not in text


def test_bad_openwebui_variable_apply_writes_nothing(deployed):
    offset = audit_log_end(deployed["audit_log"])
    run = run_site(deployed, {"openwebui_workload_kind": "DaemonSet"}, callback=False)
    assert run.returncode != 0
    assert "openwebui_workload_kind: 'DaemonSet' is not a supported kind" in run.stdout
    events = audit_events(deployed["audit_log"], offset)[0]
    writes = [event["verb"] + " " + event["requestURI"] for event in events if event["verb"] in WRITE_VERBS]
    assert writes == []


GROUP_PLAY_TASKS = [
    {"name": "Read a namespace", "kubernetes.core.k8s_info": {"kind": "Namespace", "name": "kube-system"},
     "register": "namespace_lookup"},
    {"name": "Check a Service that does not exist", "aigateway.litellm.litellm_health": {
        "service": {"namespace": NAMESPACE, "name": "aigw-no-such-service", "port": 80}, "timeout": 0},
     "ignore_errors": True},
]


def group_play(module_defaults):
    play = {"name": "Connect through module_defaults", "hosts": "localhost", "connection": "local",
            "gather_facts": False, "tasks": GROUP_PLAY_TASKS}
    if module_defaults is not None:
        play["module_defaults"] = {"group/aigateway.litellm.k8s": module_defaults}
    return [play]


def test_module_defaults_group_reaches_k8s_and_health(deployed):
    offset = audit_log_end(deployed["audit_log"])
    run = run_playbook(group_play({"host": deployed["host"], "api_key": deployed["token"],
                                   "ca_cert": deployed["ca_cert"]}), env={"HOME": deployed["home"]})
    assert run.returncode == 0, run.stdout[-4000:]
    assert run.task_result("Read a namespace")["resources"][0]["metadata"]["name"] == "kube-system"
    health = run.task_result("Check a Service that does not exist")
    assert health["target"].endswith("through the API server at %s" % deployed["host"])
    assert 'API server answered 404: services "aigw-no-such-service" not found' in health["msg"]
    events = audit_events(deployed["audit_log"], offset)[0]
    proxied = [event for event in events
               if "/services/aigw-no-such-service:80/proxy/health/liveliness" in event["requestURI"]]
    assert proxied
    assert {event["user"]["username"] for event in proxied} == {"ansible"}


def test_without_module_defaults_nothing_connects(deployed):
    run = run_playbook(group_play(None), env={"HOME": deployed["home"]})
    assert run.returncode != 0
    assert run.task_result("Read a namespace").get("failed") is True


def test_verify_playbook_uses_service_proxy(deployed):
    # No Service in this namespace, so the API server returns 404 itself and proxies nothing.
    run = run_playbook(VERIFY, extra_vars={"litellm_namespace": "aigw-verify-none", "litellm_verify_timeout": 1,
                                           "litellm_verify_checks": ["liveliness", "readiness"]},
                       env=awx_credential_env(deployed, callback=False))
    assert run.returncode != 0
    # The check itself is no_log; the task after it repeats the module's message.
    assert run.task_result("Check that the LiteLLM proxy answers its health checks").get("censored")
    result = run.task_result("Stop when a health check failed")
    assert "/api/v1/namespaces/aigw-verify-none/services/litellm:http/proxy/health/liveliness" in result["msg"]
    assert 'API server answered 404: services "litellm" not found' in result["msg"]
