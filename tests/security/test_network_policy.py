"""The LiteLLM NetworkPolicy admits the API server addresses that health verification comes from.

NOTE: the local control plane has no network plugin, so the API server stores NetworkPolicies but
nothing enforces them. These tests check only the policy's content. Whether health verification
through the API server's service proxy gets past the policy on a real cluster is not tested here.
"""

import os

import pytest
import yaml

from restricted_gateways import API_SERVER_ADDRESS, EXTRA_API_SERVER_PEER

pytestmark = pytest.mark.cluster

DISCOVERED_PEER = {"ipBlock": {"cidr": API_SERVER_ADDRESS + "/32"}}
BOTH_PORTS = [{"port": "http", "protocol": "TCP"}, {"port": "health", "protocol": "TCP"}]


def api_server_rule(policy):
    """Return the ingress rule that opens the health port, or None."""
    for rule in policy["spec"]["ingress"]:
        if any(port["port"] == "health" for port in rule.get("ports", [])):
            return rule
    return None


def stored_policy(cluster, gateways, name):
    return cluster.get("NetworkPolicy", gateways[name]["namespace"], "litellm")


@pytest.fixture(scope="module")
def rendered_policy(cluster, tmp_path_factory):
    """The LiteLLM NetworkPolicy that render mode writes with an extra API server peer."""
    render_dir = str(tmp_path_factory.mktemp("render"))
    run = cluster.run_site({"aigateway_mode": "render", "aigateway_render_dir": render_dir,
                            "litellm_network_policy_apiserver_peers": [EXTRA_API_SERVER_PEER]})
    assert run.returncode == 0, run.stdout[-4000:]
    with open(os.path.join(render_dir, "litellm", "networkpolicy-litellm.yaml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_applied_policy_admits_given_and_discovered_peers(cluster, restricted_gateways):
    rule = api_server_rule(stored_policy(cluster, restricted_gateways, "redis-password-3-replicas"))

    assert rule is not None
    assert rule["from"] == [EXTRA_API_SERVER_PEER, DISCOVERED_PEER]
    assert rule["ports"] == BOTH_PORTS


def test_applied_policy_admits_discovered_peer_by_default(cluster, restricted_gateways):
    rule = api_server_rule(stored_policy(cluster, restricted_gateways, "defaults"))

    assert rule is not None
    assert rule["from"] == [DISCOVERED_PEER]


def test_applied_policy_keeps_health_port_closed_to_clients(cluster, restricted_gateways):
    policy = stored_policy(cluster, restricted_gateways, "redis-password-3-replicas")
    client_rules = [rule for rule in policy["spec"]["ingress"] if rule is not api_server_rule(policy)]

    assert [rule["ports"] for rule in client_rules] == [[{"port": "http", "protocol": "TCP"}]]
    assert EXTRA_API_SERVER_PEER not in client_rules[0]["from"]


def test_rendered_policy_admits_given_peer(rendered_policy):
    rule = api_server_rule(rendered_policy)

    # Render mode contacts no cluster, so only the given peer is there.
    assert rule is not None
    assert rule["from"] == [EXTRA_API_SERVER_PEER]
    assert rule["ports"] == BOTH_PORTS


def test_rendered_policy_selects_litellm_pods(rendered_policy):
    assert rendered_policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "litellm"
    assert rendered_policy["spec"]["policyTypes"] == ["Ingress"]
