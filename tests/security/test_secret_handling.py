"""Secret values stay in their Secrets: no run output, no ConfigMap and no other object carries them.

Every Secret the collection can reference gets a recognisable value (SENTINEL-...), and every
feature that references a Secret is on. site.yml runs at -vvvv in apply and check mode, with
--diff, with the default and the ansible.posix.json stdout callbacks, and with health verification
through the API server's service proxy. A rotated master key has to roll the pods once, through the
checksum/secrets annotation.

Health verification cannot pass here, because no proxy runs in the simulated pods. The pod
addresses are not on this machine, so the API server must not forward a request to one. The
verification runs therefore happen while kube-controller-manager is stopped and the Service's
Endpoints object is deleted. The API server then returns 'endpoints not found' without connecting
anywhere.

The second part reads the roles' task files and checks which tasks hide their output (no_log).
"""

import concurrent.futures
import glob
import hashlib
import json
import os
import re

import pytest
import yaml

from security_cluster import REPO_ROOT, encoded_forms, gateway_vars, save_outputs

pytestmark = pytest.mark.cluster

NAMESPACE = "sec-sentinel"
REDIS_NAMESPACE = "sec-sentinel-redis"
SENTINEL_MARK = "SENTINEL-"
ROTATED_MASTER_KEY = "SENTINEL-MASTER-7f3a-rotated"
# {(namespace, Secret name): {key: value}}
SECRETS = {
    (NAMESPACE, "litellm-master-key"): {"master-key": "SENTINEL-MASTER-7f3a"},
    (NAMESPACE, "litellm-database"): {
        "database-url": "postgresql://litellm:SENTINEL-DBURL-2c9e@postgres.invalid:5432/litellm"},
    (NAMESPACE, "litellm-s3-secret"): {
        "bucket_name": "SENTINEL-S3-BUCKET-81d0", "region_name": "SENTINEL-S3-REGION-81d0",
        "access_key_id": "SENTINEL-S3-KEYID-81d0", "secret_access_key": "SENTINEL-S3-SECRET-81d0"},
    (NAMESPACE, "litellm-salt"): {"salt-key": "SENTINEL-SALT-4b6d"},
    (NAMESPACE, "qdrant-auth"): {"api-key": "SENTINEL-QDRANT-a51e"},
    (NAMESPACE, "redis-auth"): {"password": "SENTINEL-REDIS-0e77"},
    (REDIS_NAMESPACE, "redis-auth"): {"password": "SENTINEL-REDIS-0e77"},
    (NAMESPACE, "litellm-provider-keys"): {"OPENAI_API_KEY": "SENTINEL-PROVIDER-d13c"},
}
ALL_VALUES = [value for values in SECRETS.values() for value in values.values()] + [ROTATED_MASTER_KEY]

VARIABLES = gateway_vars(
    NAMESPACE, REDIS_NAMESPACE,
    redis_password_secret={"name": "redis-auth", "key": "password"},
    litellm_cold_storage=True,
    litellm_salt_key_secret={"name": "litellm-salt", "key": "salt-key"},
    litellm_cache_type="qdrant-semantic",
    litellm_qdrant_api_base="http://qdrant.invalid:6333",
    litellm_qdrant_embedding_model="openai/text-embedding-3-small",
    litellm_qdrant_api_key_secret={"name": "qdrant-auth", "key": "api-key"},
    litellm_env_from_secrets=["litellm-provider-keys"],
    litellm_settings_fragments=[{"name": "models", "settings": {"model_list": [
        {"model_name": "gpt-4o", "litellm_params": {"model": "openai/gpt-4o", "api_key": "os.environ/OPENAI_API_KEY"}},
    ]}}],
)
SERVICE_PROXY_VARIABLES = dict(VARIABLES, litellm_verify="service-proxy", litellm_verify_timeout=10)
VERBOSE = ("-vvvv",)
RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)
# kube-apiserver 1.34 reports the missing Endpoints object of a Service this way.
ENDPOINTS_NOT_FOUND = 'API server answered 404: services "litellm" not found'


def annotations(cluster):
    return cluster.get("Deployment", NAMESPACE, "litellm")["spec"]["template"]["metadata"]["annotations"]


def current_replica_set(cluster, deployment):
    """Return the name of the ReplicaSet of the Deployment's current revision, or None."""
    revision = deployment["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision")
    for item in cluster.list_objects("ReplicaSet", NAMESPACE, "app.kubernetes.io/name=litellm"):
        if item["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision") == revision:
            return item["metadata"]["name"]
    return None


def deployment_snapshot(cluster):
    deployment = cluster.get("Deployment", NAMESPACE, "litellm")
    return {"annotations": deployment["spec"]["template"]["metadata"]["annotations"],
            "generation": deployment["metadata"]["generation"],
            "replica_set": current_replica_set(cluster, deployment)}


def recap_changed(run):
    """Return the changed count of the default callback's PLAY RECAP."""
    found = RECAP.findall(run.stdout)
    assert found, "no PLAY RECAP in the output:\n" + run.stdout[-3000:]
    return int(found[-1][1])


def parse_verbose_json_report(run):
    """Parse the ansible.posix.json report that follows the -vvvv header lines on stdout."""
    match = re.search(r"^\{$", run.stdout, re.MULTILINE)
    assert match, "no JSON report on stdout:\n" + run.stdout[:2000]
    run.report = json.JSONDecoder().raw_decode(run.stdout[match.start():])[0]
    return run


def delete_endpoints_without_controllers(cluster):
    """Stop kube-controller-manager and delete the LiteLLM Service's Endpoints so nothing recreates them."""
    from cluster.cluster_env import stop_component

    stop_component(cluster.state_dir, "kube-controller-manager")
    cluster.kubectl("delete", "endpoints", "litellm", "-n", NAMESPACE, "--ignore-not-found")
    assert cluster.get("Endpoints", NAMESPACE, "litellm") is None


@pytest.fixture(scope="module")
def sentinel_runs(cluster, tmp_path_factory):
    """Deploy with every Secret-backed feature, rotate the master key, and run in every output mode.

    Returns {"runs": {label: PlaybookRun}, "snapshots": {label: deployment state after that step}}.
    The outputs are also saved in a pytest temporary directory named sentinel-runs.
    """
    for namespace in (NAMESPACE, REDIS_NAMESPACE):
        cluster.create_namespace(namespace)
    for (namespace, name), values in SECRETS.items():
        cluster.put_secret(namespace, name, values)

    runs, snapshots = {}, {}
    runs["apply-diff-default"] = cluster.run_site(VARIABLES, diff=True, args=VERBOSE, callback="default")
    assert runs["apply-diff-default"].returncode == 0, runs["apply-diff-default"].stdout[-6000:]
    snapshots["deployed"] = deployment_snapshot(cluster)

    cluster.put_secret(NAMESPACE, "litellm-master-key", {"master-key": ROTATED_MASTER_KEY})
    runs["check-diff-default"] = cluster.run_site(VARIABLES, check=True, diff=True, args=VERBOSE, callback="default")
    snapshots["checked"] = deployment_snapshot(cluster)
    runs["apply-diff-json"] = parse_verbose_json_report(cluster.run_site(VARIABLES, diff=True, args=VERBOSE))
    snapshots["rotated"] = deployment_snapshot(cluster)

    delete_endpoints_without_controllers(cluster)
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            rerun = pool.submit(cluster.run_site, SERVICE_PROXY_VARIABLES, args=VERBOSE, callback="default")
            check = pool.submit(cluster.run_site, SERVICE_PROXY_VARIABLES, check=True, diff=True, args=VERBOSE)
            runs["apply-service-proxy-default"] = rerun.result()
            runs["check-diff-service-proxy-json"] = parse_verbose_json_report(check.result())
        snapshots["rerun"] = deployment_snapshot(cluster)
    finally:
        cluster.restart_stopped_components()
        save_outputs(str(tmp_path_factory.mktemp("sentinel-runs")), runs)
    return {"runs": runs, "snapshots": snapshots}


def cluster_objects_except_secrets(cluster):
    """Return every object of every listable resource in the cluster, Secrets excepted, as JSON text."""
    resources = [name for name in cluster.kubectl("api-resources", "--verbs=list", "-o", "name").split()
                 if name != "secrets" and name != "componentstatuses"]
    texts = []
    for resource in resources:
        result = cluster.kubectl_result("get", resource, "--all-namespaces", "-o", "json")
        assert result.returncode == 0, "listing %s failed: %s" % (resource, result.stderr)
        texts.append(result.stdout)
    return resources, "\n".join(texts)


def leaked_values(text):
    """Return the sentinel values, or the base64 forms of secret values, that occur in ``text``."""
    found = [value for value in ALL_VALUES for form in encoded_forms(value) if form in text]
    if SENTINEL_MARK in text:
        found.append(text[text.index(SENTINEL_MARK) - 80:text.index(SENTINEL_MARK) + 80])
    return found


# ---- the runs ----

def test_sentinel_runs_end_as_expected(sentinel_runs):
    runs = sentinel_runs["runs"]

    for label in ("apply-diff-default", "check-diff-default", "apply-diff-json"):
        assert runs[label].returncode == 0, "%s failed:\n%s" % (label, runs[label].stdout[-6000:])
    for label in ("apply-service-proxy-default", "check-diff-service-proxy-json"):
        assert runs[label].returncode != 0, "%s passed health verification in simulated pods" % label


def test_verification_stopped_at_missing_endpoints(sentinel_runs):
    # The API server returned the error from its own data, so it never connected to a pod address.
    for label in ("apply-service-proxy-default", "check-diff-service-proxy-json"):
        output = sentinel_runs["runs"][label].stdout.replace('\\"', '"')
        assert ENDPOINTS_NOT_FOUND in output, label
        assert "error trying to reach service" not in output, label
        assert "dial tcp" not in output, label


@pytest.mark.parametrize("label", ["apply-diff-default", "check-diff-default", "apply-diff-json",
                                   "apply-service-proxy-default", "check-diff-service-proxy-json"])
def test_no_secret_value_in_run_output(sentinel_runs, label):
    run = sentinel_runs["runs"][label]

    assert leaked_values(run.stdout) == []
    assert leaked_values(run.stderr) == []


def test_no_secret_value_in_json_report(sentinel_runs):
    for label in ("apply-diff-json", "check-diff-service-proxy-json"):
        report = sentinel_runs["runs"][label].report
        assert report, "%s wrote no JSON report" % label
        assert leaked_values(json.dumps(report)) == []


def test_no_secret_value_in_config_maps(cluster, sentinel_runs):
    config_maps = cluster.kubectl("get", "configmaps", "--all-namespaces", "-o", "json")

    assert leaked_values(config_maps) == []


def test_no_secret_value_outside_secrets(cluster, sentinel_runs):
    resources, text = cluster_objects_except_secrets(cluster)

    assert {"configmaps", "deployments.apps", "replicasets.apps", "pods", "events"} <= set(resources)
    assert leaked_values(text) == []


def test_collection_leaves_secrets_alone(cluster, sentinel_runs):
    for (namespace, name), values in SECRETS.items():
        secret = cluster.get("Secret", namespace, name)
        managers = {entry["manager"] for entry in secret["metadata"].get("managedFields", [])}
        assert not any(manager.startswith("aigateway-litellm") for manager in managers), (namespace, name, managers)


# ---- rotation ----

def test_rotation_changes_secrets_checksum(sentinel_runs):
    snapshots = sentinel_runs["snapshots"]

    assert snapshots["rotated"]["annotations"]["checksum/secrets"] != snapshots["deployed"]["annotations"]["checksum/secrets"]


def test_rotation_keeps_config_checksum(sentinel_runs):
    snapshots = sentinel_runs["snapshots"]

    assert snapshots["rotated"]["annotations"]["checksum/config"] == snapshots["deployed"]["annotations"]["checksum/config"]


def test_rotation_rolls_to_new_replica_set(sentinel_runs):
    snapshots = sentinel_runs["snapshots"]

    assert snapshots["rotated"]["replica_set"] is not None
    assert snapshots["rotated"]["replica_set"] != snapshots["deployed"]["replica_set"]


def test_check_mode_reports_rotation_without_rolling(sentinel_runs):
    snapshots = sentinel_runs["snapshots"]

    assert recap_changed(sentinel_runs["runs"]["check-diff-default"]) > 0
    assert snapshots["checked"] == snapshots["deployed"]


def test_rerun_after_rotation_changes_nothing(sentinel_runs):
    snapshots = sentinel_runs["snapshots"]

    # kube-controller-manager was stopped during this run, so the generation (which the API server
    # raises on any pod template change) is what shows that no rollout was started.
    assert recap_changed(sentinel_runs["runs"]["apply-service-proxy-default"]) == 0
    assert snapshots["rerun"] == snapshots["rotated"]


def test_secrets_checksum_is_no_single_value_digest(sentinel_runs):
    checksum = sentinel_runs["snapshots"]["rotated"]["annotations"]["checksum/secrets"]
    single_digests = {hashlib.sha256(form.encode()).hexdigest() for value in ALL_VALUES for form in encoded_forms(value)}

    assert re.fullmatch(r"[0-9a-f]{64}", checksum)
    assert checksum not in single_digests


# ---- no_log in the roles' task files ----

TASK_KEYWORDS = {
    "name", "when", "loop", "loop_control", "register", "vars", "no_log", "check_mode", "changed_when",
    "failed_when", "tags", "block", "rescue", "always", "notify", "become", "delegate_to", "ignore_errors",
    "until", "retries", "delay", "environment", "diff", "args", "run_once", "listen", "with_items",
    "any_errors_fatal", "module_defaults", "throttle", "timeout", "collections", "connection", "debugger",
}
HEALTH_MODULE = "aigateway.litellm.litellm_health"


def role_tasks():
    """Yield (file relative to roles/, task) for every task of roles/*/tasks/*.yml, blocks included."""
    def walk(tasks, path):
        for task in tasks or []:
            for section in ("block", "rescue", "always"):
                yield from walk(task.get(section), path)
            if not any(section in task for section in ("block", "rescue", "always")):
                yield path, task

    for path in sorted(glob.glob(os.path.join(REPO_ROOT, "roles", "*", "tasks", "*.yml"))):
        with open(path, encoding="utf-8") as handle:
            yield from walk(yaml.safe_load(handle), os.path.relpath(path, os.path.join(REPO_ROOT, "roles")))


def module_of(task):
    names = [key for key in task if key not in TASK_KEYWORDS]
    return names[0] if names else None


def reads_secret(task):
    module = module_of(task) or ""
    arguments = task.get(module) or {}
    return module.split(".")[-1] == "k8s_info" and isinstance(arguments, dict) and arguments.get("kind") == "Secret"


def writes_secret(task):
    module = module_of(task) or ""
    arguments = task.get(module) or {}
    definition = arguments.get("definition") if isinstance(arguments, dict) else None
    return module.split(".")[-1] == "k8s" and (
        arguments.get("kind") == "Secret" or (isinstance(definition, dict) and definition.get("kind") == "Secret"))


def secret_data_tasks():
    """Return (id, task) of each task that reads or writes Secret data or uses a registered Secret lookup."""
    tasks = list(role_tasks())
    registered = {task["register"] for path, task in tasks if reads_secret(task) and "register" in task}
    selected = []
    for path, task in tasks:
        body = yaml.safe_dump({key: value for key, value in task.items() if key != "name"})
        uses_lookup = any(re.search(r"\b%s\b" % re.escape(name), body) for name in registered)
        if reads_secret(task) or writes_secret(task) or uses_lookup:
            selected.append(("%s::%s" % (path, task.get("name")), task))
    return selected


def secret_data_params():
    return [pytest.param(task, id=task_id) for task_id, task in secret_data_tasks()]


def test_secret_data_tasks_found():
    modules = [module_of(task) for task_id, task in secret_data_tasks()]

    assert modules.count("kubernetes.core.k8s_info") >= 3
    assert HEALTH_MODULE in modules


@pytest.mark.parametrize("task", secret_data_params())
def test_task_with_secret_data_is_no_log(task):
    assert task.get("no_log") is True


def test_apply_of_secret_references_keeps_diff():
    apply_tasks = [(path, task) for path, task in role_tasks()
                   if module_of(task) == "kubernetes.core.k8s" and (task[module_of(task)] or {}).get("apply")]

    assert {path for path, task in apply_tasks} >= {"aigateway/tasks/objects_apply.yml", "openwebui/tasks/apply.yml"}
    for path, task in apply_tasks:
        assert task.get("no_log") is not True, "%s::%s" % (path, task["name"])
        assert task.get("diff") is not False, "%s::%s" % (path, task["name"])


def test_deployment_references_secrets_by_name_only(cluster, sentinel_runs):
    deployment = cluster.get("Deployment", NAMESPACE, "litellm")
    litellm = deployment["spec"]["template"]["spec"]["containers"][0]
    references = {(entry["valueFrom"]["secretKeyRef"]["name"], entry["valueFrom"]["secretKeyRef"]["key"])
                  for entry in litellm["env"] if "valueFrom" in entry}

    assert references == {(name, key) for (namespace, name), values in SECRETS.items()
                          if namespace == NAMESPACE and name != "litellm-provider-keys" for key in values}
    assert litellm["envFrom"] == [{"secretRef": {"name": "litellm-provider-keys"}}]
