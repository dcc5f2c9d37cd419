"""litellm_health through the Kubernetes API server's service proxy, against the real proxy.

kube-apiserver rejects proxying to loopback addresses, and it proxies only to Endpoints addresses
that belong to a Pod with that IP. So the test runs redis-server and the proxy in a network
namespace of its own, reached over a veth pair. A Pod that never runs (its node selector matches
no node) carries the namespace's address in its status, and a selector-less Service with
Endpoints pointing at that Pod leads to the proxy.

Needs root (for the network namespace) and the local control plane of tests/cluster, which the
test starts with tests/cluster/up.sh when it is not running.
"""

import ipaddress
import os
import re
import shutil
import subprocess
import uuid

import pytest

from ansible_collections.aigateway.litellm.plugins.module_utils.health_checks import HttpResponse, build_check_specs
from ansible_collections.aigateway.litellm.plugins.module_utils.health_http import master_key_headers
from ansible_collections.aigateway.litellm.plugins.module_utils.health_k8s import ServiceTarget, create_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from cluster.cluster_env import ensure_cluster
from helpers.playbooks import run_playbook
from processes import MASTER_KEY, REPO_ROOT, LiteLLMProxy, RedisServer, build_proxy_config, live_fragment, write_config

pytestmark = [pytest.mark.live, pytest.mark.cluster]

TASK = "Check the proxy through the API server"
# Private range for the test's veth pairs. Each run takes the first free /30 in it.
VETH_RANGE = ipaddress.ip_network("10.231.0.0/16")
PROXY_PORT = 4000
REDIS_PORT = 6379
CLUSTER_START_TIMEOUT = 1800


def run_command(*command):
    subprocess.run(command, check=True, capture_output=True, text=True)


def free_subnet():
    """Return the first /30 of VETH_RANGE that no interface on this host uses."""
    output = subprocess.run(["ip", "-o", "-4", "addr", "show"], check=True, capture_output=True, text=True).stdout
    used = [ipaddress.ip_interface(match).network for match in re.findall(r"inet (\S+)", output)]
    for subnet in VETH_RANGE.subnets(new_prefix=30):
        if not any(subnet.overlaps(network) for network in used):
            return subnet
    raise RuntimeError("no free /30 left in %s" % VETH_RANGE)


class NetworkNamespace:
    """A network namespace joined to the host by a veth pair: host side .1, namespace side .2 of a /30."""

    def __init__(self):
        suffix = uuid.uuid4().hex[:6]
        self.name = "aigw-health-" + suffix
        self.host_link = "aigw%sh" % suffix
        self.ns_link = "aigw%sn" % suffix
        subnet = free_subnet()
        self.host_address, self.address = [str(host) for host in subnet.hosts()]

        run_command("ip", "netns", "add", self.name)
        try:
            run_command("ip", "link", "add", self.host_link, "type", "veth", "peer", "name", self.ns_link)
            run_command("ip", "link", "set", self.ns_link, "netns", self.name)
            run_command("ip", "addr", "add", "%s/30" % self.host_address, "dev", self.host_link)
            run_command("ip", "link", "set", self.host_link, "up")
            run_command("ip", "netns", "exec", self.name, "ip", "addr", "add", "%s/30" % self.address, "dev", self.ns_link)
            run_command("ip", "netns", "exec", self.name, "ip", "link", "set", self.ns_link, "up")
            run_command("ip", "netns", "exec", self.name, "ip", "link", "set", "lo", "up")
        except subprocess.CalledProcessError:
            self.delete()
            raise

    def delete(self):
        # Deleting the namespace deletes the veth end inside it, and with it the host end.
        subprocess.run(["ip", "netns", "delete", self.name], capture_output=True, check=False)
        subprocess.run(["ip", "link", "delete", self.host_link], capture_output=True, check=False)


@pytest.fixture(scope="module")
def cluster():
    if os.geteuid() != 0:
        pytest.skip("creating a network namespace needs root; run the cluster tests as root")
    if shutil.which("ip") is None:
        pytest.skip("the ip command (Debian package iproute2) is not installed")
    try:
        return ensure_cluster(REPO_ROOT, timeout=CLUSTER_START_TIMEOUT)
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as error:
        pytest.skip("the local control plane could not be started (tests/cluster/up.sh): %s" % error)


@pytest.fixture(scope="module")
def netns():
    namespace = NetworkNamespace()
    yield namespace
    namespace.delete()


@pytest.fixture(scope="module")
def netns_proxy(netns, live_workdir):
    """redis-server and the proxy inside the network namespace, bound to its address."""
    redis = RedisServer(live_workdir, host=netns.address, port=REDIS_PORT, netns=netns.name)
    proxy = None
    try:
        # No generic_api callback: its receiver listens on the host's loopback, out of reach.
        result = build_proxy_config(netns.address, REDIS_PORT, [live_fragment(callbacks=())])
        assert result.errors == [], [problem.format() for problem in result.errors]
        config_path = write_config(result.config, os.path.join(live_workdir, "netns.yaml"))
        proxy = LiteLLMProxy(config_path, live_workdir, MASTER_KEY, host=netns.address, port=PROXY_PORT,
                             netns=netns.name)
        yield proxy
    finally:
        if proxy is not None:
            proxy.stop()
        redis.stop()


@pytest.fixture(scope="module")
def litellm_service(cluster, netns):
    """A namespace with a Service whose endpoint is the proxy in the network namespace."""
    import kubernetes

    api_client = kubernetes.config.new_client_from_config(config_file=cluster["kubeconfig"])
    core = kubernetes.client.CoreV1Api(api_client)
    namespace = "aigw-health-" + uuid.uuid4().hex[:6]
    core.create_namespace({"metadata": {"name": namespace}})
    try:
        core.create_namespaced_pod(namespace, {
            "metadata": {"name": "litellm-outside"},
            "spec": {
                # No node has this label, so the Pod stays Pending and nothing overwrites its status.
                "nodeSelector": {"aigateway.test/no-such-node": "true"},
                "containers": [{"name": "litellm", "image": "ghcr.io/berriai/litellm-non_root:v1.108.0"}],
            },
        })
        core.patch_namespaced_pod_status("litellm-outside", namespace, {
            "status": {"podIP": netns.address, "podIPs": [{"ip": netns.address}]},
        })
        core.create_namespaced_service(namespace, {
            "metadata": {"name": "litellm"},
            "spec": {"ports": [
                {"name": "http", "port": 4000, "targetPort": PROXY_PORT},
                {"name": "health", "port": 4001, "targetPort": PROXY_PORT},
            ]},
        })
        # The pip-installed proxy serves /health/* on its main port, so both Service ports lead there.
        target = {"kind": "Pod", "name": "litellm-outside", "namespace": namespace}
        core.create_namespaced_endpoints(namespace, {
            "metadata": {"name": "litellm"},
            "subsets": [{
                "addresses": [{"ip": netns.address, "targetRef": target}],
                "ports": [{"name": "http", "port": PROXY_PORT}, {"name": "health", "port": PROXY_PORT}],
            }],
        })
        yield {"namespace": namespace, "name": "litellm", "kubeconfig": cluster["kubeconfig"], "cluster": cluster}
    finally:
        core.delete_namespace(namespace)
        api_client.close()


def run_health(module_args, env=None):
    task = {"name": TASK, "aigateway.litellm.litellm_health": module_args}
    play = {"name": "Run litellm_health", "hosts": "localhost", "connection": "local", "gather_facts": False,
            "tasks": [task]}
    return run_playbook([play], env=env).task_result(TASK)


def service_args(service, **extra):
    args = {
        "service": {"namespace": service["namespace"], "name": service["name"], "port": 4000, "health_port": "health"},
        "kubeconfig": service["kubeconfig"],
        "master_key": MASTER_KEY,
        "checks": ["liveliness", "readiness", "cache", "metrics"],
        "timeout": 30,
    }
    args.update(extra)
    return args


def test_service_proxy_health_passes(netns_proxy, litellm_service):
    result = run_health(service_args(litellm_service))

    assert result.get("failed") is not True, result.get("msg")
    assert all(check["ok"] for check in result["checks"].values())
    assert result["checks"]["cache"]["ping_response"] is True
    assert result["checks"]["metrics"]["families"] > 0
    assert result["target"].startswith("Service %s/litellm port 4000 (health routes on health)" % litellm_service["namespace"])


def test_service_proxy_auth_from_environment(netns_proxy, litellm_service):
    cluster = litellm_service["cluster"]
    env = {
        "K8S_AUTH_HOST": cluster["host"],
        "K8S_AUTH_API_KEY": cluster["token"],
        "K8S_AUTH_SSL_CA_CERT": cluster["ca_cert"],
        "KUBECONFIG": "/nonexistent",
    }
    args = service_args(litellm_service)
    del args["kubeconfig"]

    result = run_health(args, env=env)

    assert result.get("failed") is not True, result.get("msg")


def test_service_proxy_rejects_authorization_header(litellm_service):
    result = run_health(service_args(litellm_service, master_key_header="authorization"))

    assert result["failed"] is True
    assert result["msg"].startswith("master_key_header: authorization does not work with service")


@pytest.fixture(scope="module")
def client_certificate(cluster, tmp_path_factory):
    """A client certificate for the group system:masters, signed by the test cluster's CA."""
    directory = tmp_path_factory.mktemp("client-cert")
    key, request, certificate = (str(directory / name) for name in ("client.key", "client.csr", "client.crt"))
    ca_key = os.path.join(cluster["state_dir"], "pki", "ca.key")
    run_command("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", request,
                "-subj", "/CN=aigw-health-test/O=system:masters")
    run_command("openssl", "x509", "-req", "-in", request, "-CA", cluster["ca_cert"], "-CAkey", ca_key,
                "-CAcreateserial", "-CAserial", str(directory / "ca.srl"), "-days", "1", "-out", certificate)
    return certificate, key


@pytest.mark.parametrize("header, reaches_proxy", [("authorization", False), ("x-litellm-api-key", True)])
def test_service_proxy_forwards_only_litellm_header(
        header, reaches_proxy, netns_proxy, litellm_service, client_certificate):
    # With a client certificate the Authorization header is free for the master key. The API server
    # still removes it, so the proxy handles /cache/ping as if no key was sent.
    cluster = litellm_service["cluster"]
    params = {name: None for name in AUTH_ARG_SPEC}
    params.update(host=cluster["host"], ca_cert=cluster["ca_cert"],
                  client_cert=client_certificate[0], client_key=client_certificate[1])
    target = ServiceTarget(create_api_client(params), litellm_service["namespace"], "litellm", "4000",
                           key_headers=master_key_headers(MASTER_KEY, header))

    outcome = target.send(build_check_specs(["cache"])[0], timeout=10)

    assert isinstance(outcome, HttpResponse), outcome
    assert (outcome.status == 200) is reaches_proxy, (outcome.status, outcome.body[:300])


def test_service_proxy_reports_api_server_error(netns, netns_proxy, litellm_service):
    # Runs last in this file: it stops the proxy the other tests share.
    netns_proxy.stop()

    result = run_health(service_args(litellm_service, checks=["liveliness"], timeout=2, interval=1))

    assert result["failed"] is True
    assert re.search(
        r"liveliness: API server answered 503: error trying to reach service: .*%s:%d.*connection refused after 2"
        % (re.escape(netns.address), PROXY_PORT),
        result["msg"],
    ), result["msg"]
