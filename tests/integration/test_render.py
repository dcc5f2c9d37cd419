"""site.yml in render mode: manifests on disk, valid against the Kubernetes schema, buildable by kustomize."""

import glob
import os
import shutil
import subprocess

import kubernetes_validate
import pytest
import yaml

from helpers.playbooks import REPO_ROOT, run_playbook

SITE = os.path.join(REPO_ROOT, "site.yml")
KUBERNETES_VERSION = "1.34"
# Render mode must not contact a cluster: these point at nothing, so any API call would fail the run.
NO_CLUSTER_ENV = {"KUBECONFIG": "/nonexistent/kubeconfig", "K8S_AUTH_HOST": "https://127.0.0.1:9"}


def render(directory, extra_vars=None, check=False, diff=False):
    variables = {"aigateway_mode": "render", "aigateway_render_dir": str(directory)}
    variables.update(extra_vars or {})
    return run_playbook(SITE, extra_vars=variables, check=check, diff=diff, env=NO_CLUSTER_ENV)


def load_manifests(directory):
    manifests = {}
    for path in sorted(glob.glob(os.path.join(str(directory), "*", "*.yaml"))):
        with open(path, encoding="utf-8") as handle:
            manifests[os.path.relpath(path, str(directory))] = yaml.safe_load(handle)
    return manifests


def find_kubectl():
    kubectl = os.environ.get("AIGATEWAY_KUBECTL") or shutil.which("kubectl")
    assert kubectl, "kubectl is needed for kustomize builds; run make cluster (it builds one) or set AIGATEWAY_KUBECTL"
    return kubectl


def kustomize(directory):
    completed = subprocess.run([find_kubectl(), "kustomize", str(directory)], capture_output=True, text=True,
                               check=False)
    assert completed.returncode == 0, completed.stderr
    return list(yaml.safe_load_all(completed.stdout))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    directory = tmp_path_factory.mktemp("render")
    run = render(directory)
    assert run.returncode == 0, run.stdout[-4000:]
    return directory, run


def test_render_writes_one_file_per_object(rendered):
    directory = rendered[0]
    assert sorted(load_manifests(directory)) == [
        "litellm/configmap-litellm-config.yaml",
        "litellm/deployment-litellm.yaml",
        "litellm/kustomization.yaml",
        "litellm/networkpolicy-litellm.yaml",
        "litellm/service-litellm.yaml",
        "openwebui/kustomization.yaml",
        "openwebui/patch-statefulset-open-webui.yaml",
        "redis/deployment-redis.yaml",
        "redis/kustomization.yaml",
        "redis/namespace-litellm.yaml",
        "redis/networkpolicy-redis.yaml",
        "redis/service-redis.yaml",
    ]


def test_render_manifests_match_kubernetes_schema(rendered):
    directory = rendered[0]
    checked = 0
    for name, manifest in load_manifests(directory).items():
        if manifest["kind"] in ("Kustomization", "Component") or name.startswith("openwebui/"):
            continue
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        checked += 1
    assert checked == 8


@pytest.mark.parametrize("component", ["redis", "litellm"])
def test_render_component_builds_alone(rendered, component):
    directory = rendered[0]
    kinds = sorted(o["kind"] for o in kustomize(directory / component))
    expected = {"redis": ["Deployment", "Namespace", "NetworkPolicy", "Service"],
                "litellm": ["ConfigMap", "Deployment", "NetworkPolicy", "Service"]}
    assert kinds == expected[component]


def test_render_top_level_kustomization_has_no_duplicates(rendered):
    directory = rendered[0]
    objects = kustomize(directory)
    keys = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects]
    assert len(keys) == len(set(keys)) == 8


def test_render_configmap_holds_merge_module_output(rendered):
    directory, run = rendered
    configmap = load_manifests(directory)["litellm/configmap-litellm-config.yaml"]
    merged = run.task_result("Merge and validate the LiteLLM settings fragments")
    assert configmap["data"]["proxy_server_config.yaml"] == merged["content"]


def test_render_deployment_carries_config_checksum(rendered):
    directory, run = rendered
    deployment = load_manifests(directory)["litellm/deployment-litellm.yaml"]
    merged = run.task_result("Merge and validate the LiteLLM settings fragments")
    assert deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"] == merged["checksum"]


def test_render_design_settings_in_config(rendered):
    directory = rendered[0]
    config = yaml.safe_load(load_manifests(directory)["litellm/configmap-litellm-config.yaml"]["data"][
        "proxy_server_config.yaml"])
    assert config["litellm_settings"]["callbacks"] == ["prometheus"]
    assert config["litellm_settings"]["cache"] is True
    assert config["litellm_settings"]["cache_params"] == {
        "type": "redis", "host": "redis.litellm.svc.cluster.local", "port": 6379}
    assert config["litellm_settings"]["require_auth_for_metrics_endpoint"] is False
    assert config["litellm_settings"]["extra_spend_tag_headers"] == [
        "x-openwebui-user-id", "x-openwebui-user-email", "x-openwebui-user-name"]
    assert config["router_settings"] == {"redis_host": "redis.litellm.svc.cluster.local", "redis_port": 6379,
                                         "optional_pre_call_checks": ["responses_api_deployment_check"],
                                         "routing_strategy": "usage-based-routing-v2"}
    assert config["general_settings"]["store_model_in_db"] is True
    assert config["general_settings"]["store_prompts_in_spend_logs"] is True
    assert config["general_settings"]["disable_responses_id_security"] is False
    assert config["general_settings"]["database_connection_pool_limit"] == 10
    assert config["general_settings"]["background_health_checks"] is False
    assert config["general_settings"]["health_check_interval"] == 300
    assert config["general_settings"]["user_header_mappings"] == [
        {"header_name": "X-OpenWebUI-User-Id", "litellm_user_role": "internal_user"},
        {"header_name": "X-OpenWebUI-User-Email", "litellm_user_role": "customer"}]


def test_render_config_holds_no_secret(rendered):
    directory = rendered[0]
    text = load_manifests(directory)["litellm/configmap-litellm-config.yaml"]["data"]["proxy_server_config.yaml"]
    assert "master_key" not in text
    assert "database_url" not in text


def container(manifest):
    return manifest["spec"]["template"]["spec"]["containers"][0]


def test_render_deployment_wiring(rendered):
    directory = rendered[0]
    deployment = load_manifests(directory)["litellm/deployment-litellm.yaml"]
    proxy = container(deployment)
    env = {e["name"]: e for e in proxy["env"]}
    assert env["LITELLM_MASTER_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "litellm-master-key", "key": "master-key"}
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "litellm-database", "key": "database-url"}
    assert env["SEPARATE_HEALTH_APP"]["value"] == "1"
    assert env["SEPARATE_HEALTH_PORT"]["value"] == "4001"
    assert env["DISABLE_RESPONSES_ID_SECURITY"]["value"] == "false"
    assert proxy["volumeMounts"][0]["mountPath"] == "/app/proxy_server_config.yaml"
    assert proxy["livenessProbe"]["httpGet"] == {"path": "/health/liveliness", "port": "health"}
    assert proxy["startupProbe"]["httpGet"] == {"path": "/health/liveliness", "port": "health"}
    assert proxy["readinessProbe"]["httpGet"] == {"path": "/health/readiness", "port": 4000}
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}


def test_render_scrape_annotations(rendered):
    directory = rendered[0]
    annotations = load_manifests(directory)["litellm/deployment-litellm.yaml"]["spec"]["template"]["metadata"][
        "annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics/"
    assert annotations["prometheus.io/port"] == "4000"


def test_render_openwebui_patch_applies_to_user_kustomization(rendered, tmp_path):
    directory = rendered[0]
    env = [{"name": "VAR_%02d" % i, "value": str(i)} for i in range(22)]
    statefulset = {
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "open-webui", "namespace": "open-webui"},
        "spec": {"serviceName": "open-webui", "selector": {"matchLabels": {"app": "open-webui"}},
                 "template": {"metadata": {"labels": {"app": "open-webui"}},
                              "spec": {"containers": [{"name": "open-webui", "image": "ghcr.io/open-webui/open-webui:main",
                                                       "env": env}]}}},
    }
    user = tmp_path / "user"
    user.mkdir()
    (user / "statefulset.yaml").write_text(yaml.safe_dump(statefulset))
    (user / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": ["statefulset.yaml"], "components": [os.path.relpath(str(directory / "openwebui"), str(user))]}))

    built = kustomize(user)[0]
    kubernetes_validate.validate(built, KUBERNETES_VERSION, strict=True)
    built_env = container(built)["env"]
    flag = {"name": "ENABLE_FORWARD_USER_INFO_HEADERS", "value": "true"}
    assert [e for e in built_env if e != flag] == env
    assert built_env.count(flag) == 1


def test_render_second_run_changes_nothing(rendered):
    directory = rendered[0]
    run = render(directory)
    assert run.returncode == 0
    assert run.stats["changed"] == 0


def test_render_check_mode_writes_nothing(tmp_path):
    run = render(tmp_path / "out", check=True, diff=True)
    assert run.returncode == 0, run.stdout[-3000:]
    assert run.stats["changed"] > 0
    assert not (tmp_path / "out").exists()


def test_render_removes_files_of_dropped_objects(tmp_path):
    assert render(tmp_path, {"litellm_metrics_scrape": "servicemonitor"}).returncode == 0
    assert (tmp_path / "litellm" / "servicemonitor-litellm.yaml").exists()
    assert render(tmp_path, {"litellm_metrics_scrape": "annotations"}).returncode == 0
    assert not (tmp_path / "litellm" / "servicemonitor-litellm.yaml").exists()
    assert "servicemonitor-litellm.yaml" not in (tmp_path / "litellm" / "kustomization.yaml").read_text()


@pytest.mark.parametrize("scrape, kind, endpoints", [
    ("podmonitor", "PodMonitor", "podMetricsEndpoints"),
    ("servicemonitor", "ServiceMonitor", "endpoints"),
])
def test_render_follows_scrape_variable(tmp_path, scrape, kind, endpoints):
    assert render(tmp_path, {"litellm_metrics_scrape": scrape}).returncode == 0
    manifests = load_manifests(tmp_path)
    monitor = manifests["litellm/%s-litellm.yaml" % scrape]
    assert monitor["kind"] == kind
    assert monitor["spec"][endpoints] == [{"port": "http", "path": "/metrics/"}]
    annotations = manifests["litellm/deployment-litellm.yaml"]["spec"]["template"]["metadata"]["annotations"]
    assert "prometheus.io/scrape" not in annotations


def test_render_string_numbers_become_integers(tmp_path):
    run = render(tmp_path, {"litellm_replicas": "2", "redis_port": "6380", "litellm_port": "4000"})
    assert run.returncode == 0, run.stdout[-3000:]
    manifests = load_manifests(tmp_path)
    assert manifests["litellm/deployment-litellm.yaml"]["spec"]["replicas"] == 2
    assert manifests["redis/service-redis.yaml"]["spec"]["ports"][0]["port"] == 6380
    config = yaml.safe_load(manifests["litellm/configmap-litellm-config.yaml"]["data"]["proxy_server_config.yaml"])
    assert config["router_settings"]["redis_port"] == 6380


def test_render_cluster_domain_reaches_redis_host(tmp_path):
    assert render(tmp_path, {"aigateway_cluster_domain": "kube.pc-tips.se"}).returncode == 0
    config = yaml.safe_load(load_manifests(tmp_path)["litellm/configmap-litellm-config.yaml"]["data"][
        "proxy_server_config.yaml"])
    assert config["litellm_settings"]["cache_params"]["host"] == "redis.litellm.svc.kube.pc-tips.se"
    assert config["router_settings"]["redis_host"] == "redis.litellm.svc.kube.pc-tips.se"


def test_render_user_fragment_merges_after_defaults(tmp_path):
    fragment = {"name": "models", "settings": {"model_list": [
        {"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o", "api_key": "os.environ/OPENAI_API_KEY"}}]},
        "remove": ["general_settings.user_header_mappings[X-OpenWebUI-User-Email]"]}
    run = render(tmp_path, {"litellm_settings_fragments": [fragment], "litellm_env_from_secrets": ["provider-keys"]})
    assert run.returncode == 0, run.stdout[-3000:]
    manifests = load_manifests(tmp_path)
    config = yaml.safe_load(manifests["litellm/configmap-litellm-config.yaml"]["data"]["proxy_server_config.yaml"])
    assert config["model_list"][0]["litellm_params"]["api_key"] == "os.environ/OPENAI_API_KEY"
    assert [m["header_name"] for m in config["general_settings"]["user_header_mappings"]] == ["X-OpenWebUI-User-Id"]
    assert container(manifests["litellm/deployment-litellm.yaml"])["envFrom"] == [{"secretRef": {"name": "provider-keys"}}]


def test_render_bad_fragment_writes_nothing(tmp_path):
    fragment = {"name": "team", "settings": {"litellm_settings": {"extra_spend_tags_headers": ["x-a"]}}}
    run = render(tmp_path / "out", {"litellm_settings_fragments": [fragment]})
    assert run.returncode != 0
    assert "did you mean 'extra_spend_tag_headers'?" in run.stdout
    assert not (tmp_path / "out").exists()


def test_render_bad_openwebui_variable_stops_before_redis(tmp_path):
    run = render(tmp_path / "out", {"openwebui_workload_kind": "DaemonSet"})
    assert run.returncode != 0
    assert "openwebui_workload_kind: 'DaemonSet' is not a supported kind" in run.stdout
    assert not (tmp_path / "out").exists()


def test_render_database_settings_need_database_secret(tmp_path):
    run = render(tmp_path / "out", {"litellm_database_url_secret": {}})
    assert run.returncode != 0
    assert "general_settings.store_model_in_db, general_settings.store_prompts_in_spend_logs need a database" in run.stdout


def test_render_without_database_settings_drops_database_url(tmp_path):
    fragment = {"name": "no-db", "settings": {"general_settings": {
        "store_model_in_db": False, "store_prompts_in_spend_logs": False}}}
    run = render(tmp_path, {"litellm_database_url_secret": {}, "litellm_settings_fragments": [fragment]})
    assert run.returncode == 0, run.stdout[-3000:]
    env = container(load_manifests(tmp_path)["litellm/deployment-litellm.yaml"])["env"]
    assert "DATABASE_URL" not in [e["name"] for e in env]


def test_render_readiness_on_health_port(tmp_path):
    assert render(tmp_path, {"litellm_readiness_port": 4001}).returncode == 0
    probe = container(load_manifests(tmp_path)["litellm/deployment-litellm.yaml"])["readinessProbe"]
    assert probe["httpGet"]["port"] == 4001
