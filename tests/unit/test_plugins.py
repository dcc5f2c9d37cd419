"""Filter and test plugins used by the roles."""

import pytest
import yaml

from ansible.errors import AnsibleFilterError
import datetime

from ansible_collections.aigateway.litellm.plugins.filter.brief import brief
from ansible_collections.aigateway.litellm.plugins.filter.fragment_problems import fragment_problems
from ansible_collections.aigateway.litellm.plugins.filter.manifests import (
    ip_block_peers,
    manifest_filename,
    manifest_yaml,
)
from ansible_collections.aigateway.litellm.plugins.filter.label_problem import label_problem
from ansible_collections.aigateway.litellm.plugins.filter.pod_status_summary import pod_status_summary
from ansible_collections.aigateway.litellm.plugins.filter.port_repair_patch import (
    edited_port_numbers,
    port_repair_patch,
    without_edited_ports,
)
from ansible_collections.aigateway.litellm.plugins.filter.unknown_variables import unknown_variables
from ansible_collections.aigateway.litellm.plugins.test.kubernetes_refs import (
    label_map,
    network_policy_peers,
    resource_requirements,
    secret_key_ref,
)
from ansible_collections.aigateway.litellm.plugins.test.switch import switch


def test_manifest_filename_lower_case_kind():
    assert manifest_filename({"kind": "ConfigMap", "metadata": {"name": "litellm-config"}}) == \
        "configmap-litellm-config.yaml"


def test_manifest_filename_rejects_manifest_without_name():
    with pytest.raises(AnsibleFilterError):
        manifest_filename({"kind": "ConfigMap", "metadata": {}})


def test_manifest_yaml_writes_multiline_string_as_block():
    text = manifest_yaml({"kind": "ConfigMap", "data": {"file.yaml": "a: 1\nb: true\n"}})
    assert "file.yaml: |\n    a: 1\n    b: true\n" in text
    assert yaml.safe_load(text) == {"kind": "ConfigMap", "data": {"file.yaml": "a: 1\nb: true\n"}}


def test_manifest_yaml_keeps_key_order_and_quotes_ambiguous_strings():
    text = manifest_yaml({"metadata": {"name": "x"}, "apiVersion": "v1", "value": "true", "port": 4000})
    assert text.splitlines()[0] == "metadata:"
    assert yaml.safe_load(text)["value"] == "true"
    assert yaml.safe_load(text)["port"] == 4000


@pytest.mark.parametrize("addresses, cidrs", [
    (["10.0.0.1"], ["10.0.0.1/32"]),
    (["fd00::1", "192.168.1.2"], ["fd00::1/128", "192.168.1.2/32"]),
    ([], []),
])
def test_ip_block_peers(addresses, cidrs):
    assert ip_block_peers(addresses) == [{"ipBlock": {"cidr": cidr}} for cidr in cidrs]


def test_ip_block_peers_rejects_host_name():
    with pytest.raises(AnsibleFilterError):
        ip_block_peers(["kubernetes.default"])


def test_pod_status_summary_names_unready_reasons():
    pod = {
        "metadata": {"name": "litellm-1"},
        "status": {
            "phase": "Pending",
            "conditions": [
                {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                 "message": "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."},
                {"type": "Initialized", "status": "True"},
            ],
            "containerStatuses": [{"name": "litellm", "restartCount": 3,
                                   "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}}}],
        },
    }
    summary = pod_status_summary(pod)
    assert summary.startswith("litellm-1: phase Pending")
    assert "PodScheduled=False (0/1 nodes are available" in summary
    assert "Initialized" not in summary
    assert "container litellm waiting: CrashLoopBackOff (back-off 40s)" in summary
    assert "container litellm restarted 3 times" in summary


@pytest.mark.parametrize("value, expected", [
    ({"name": "litellm-master-key", "key": "master-key"}, True),
    ({"name": "s3", "key": "secret_access_key"}, True),
    ({"name": "Upper", "key": "k"}, False),
    ({"name": "ok"}, False),
    ({"name": "ok", "key": "k", "optional": True}, False),
    ({"name": "ok", "key": "bad key"}, False),
    ("litellm-master-key", False),
    ({}, False),
])
def test_secret_key_ref(value, expected):
    assert secret_key_ref(value) is expected


@pytest.mark.parametrize("value, expected", [
    ([], True),
    ([{"namespaceSelector": {"matchLabels": {"a": "b"}}, "podSelector": {}}], True),
    ([{"ipBlock": {"cidr": "10.0.0.0/8"}}], True),
    ([{"ipBlock": {"cidr": "fd00::/64", "except": ["fd00::1/128"]}}], True),
    ([{"ipBlock": {"cidr": "10.0.0.1"}}], False),
    ([{"ipBlock": {"cidr": "10.0.0.300/32"}}], False),
    ([{"ipBlock": {"cidr": "10.0.0.0/8", "except": "10.1.0.0/16"}}], False),
    ([{"ipBlock": {"cidr": "10.0.0.0/8", "expect": []}}], False),
    ([{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}], False),
    ([{"ipBlock": {}}], False),
    ([{"namespace": "monitoring"}], False),
    ([{}], False),
    ({"podSelector": {}}, False),
    ([{"podSelector": "app=x"}], False),
])
def test_network_policy_peers(value, expected):
    assert network_policy_peers(value) is expected


@pytest.mark.parametrize("value, expected", [
    (True, True), (False, True), ("true", True), ("False", True), ("yes", True), ("0", True),
    ("maybe", False), (1, False), (None, False), ("", False),
])
def test_switch(value, expected):
    assert switch(value) is expected


@pytest.mark.parametrize("value, expected", [
    ({}, True),
    ({"team": "platform", "example.com/tier": "", "pod-security.kubernetes.io/enforce": "restricted"}, True),
    ({"team": "platform team"}, False),
    ({"team": "a" * 64}, False),
    ({"team": ["a", "b"]}, False),
    ({"team": 1}, False),
    ({"Example.com/team": "a"}, False),
    ({"-team": "a"}, False),
    ("team=platform", False),
])
def test_label_map(value, expected):
    assert label_map(value) is expected


@pytest.mark.parametrize("value, expected", [
    ({}, True),
    ({"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi", "cpu": 2}}, True),
    ({"requests": {"cpu": 0.5, "ephemeral-storage": "1e3"}}, True),
    ({"claims": [{"name": "gpu"}]}, True),
    ({"request": {"cpu": "500m"}}, False),
    ({"requests": {"cpu": "half"}}, False),
    ({"requests": {"cpu": True}}, False),
    ({"requests": ["cpu"]}, False),
    ({"claims": "gpu"}, False),
    ("500m", False),
])
def test_resource_requirements(value, expected):
    assert resource_requirements(value) is expected


@pytest.mark.parametrize("value, expected", [
    ("litellm", "'litellm'"),
    (0, "0"),
    (True, "true"),
    (None, "null"),
    (datetime.date(2024, 1, 1), "'2024-01-01'"),
    ({"name": "litellm-master-key"}, '{"name": "litellm-master-key"}'),
    ([1, 2], "[1, 2]"),
])
def test_brief(value, expected):
    assert brief(value) == expected


def test_brief_cuts_long_values_and_gives_their_length():
    assert brief("a" * 10000) == "'" + "a" * 80 + "...' (10000 characters)"
    assert brief("abcdefgh", limit=5) == "'abcde...' (8 characters)"
    assert brief(list(range(100)), limit=10) == "[0, 1, 2, ... (390 characters)"


def test_brief_shape_only_hides_content():
    text = brief([{"name": "team", "settings": {"general_settings": {"master_key": "sk-1"}}}], shape_only=True)
    assert "sk-1" not in text
    assert text == "a list of 1 item(s)"
    assert brief("api_key:sk-1", shape_only=True) == "a string of 12 characters"


def test_unknown_variables_suggests_close_name():
    names = ["litellm_replica", "litellm_replicas", "redis_port", "aigateway_mod", "redisx", "other_var", "litellm_zzz"]
    known = ["litellm_replicas", "redis_port", "aigateway_mode"]
    assert unknown_variables(names, known, ["aigateway", "redis", "litellm"]) == [
        "aigateway_mod (did you mean aigateway_mode?)",
        "litellm_replica (did you mean litellm_replicas?)",
        "litellm_zzz",
    ]


def test_unknown_variables_empty_when_all_known():
    assert unknown_variables(["litellm_replicas", "ansible_check_mode"], ["litellm_replicas"], ["litellm"]) == []


@pytest.mark.parametrize("fragments, expected", [
    ([{"name": "team", "settings": {}}, {"name": "models"}], []),
    ({"name": "team"}, ["a mapping with keys name is not a list"]),
    ([{"name": 2024, "settings": {}}], ["entry 0: the fragment has no name (name: 2024)", "in quotes where YAML"]),
    ([{"name": "team", "setting": {}}], ["entry 'team': unknown fragment field(s) setting"]),
    ([{"name": "team", "settings": None}], ["entry 'team': settings must be a mapping, got null"]),
    ([{"name": "team"}, {"name": "team"}], ["two fragments are named 'team'"]),
    ("sk-pasted-key-1234", ["a string of 18 characters is not a list"]),
    ([{"name": "team", "settings": "sk-pasted-key-1234"}], ["settings must be a mapping, got a string of 18 characters"]),
    ([{"name": "team", "remove": "sk-pasted-key-1234"}], ["remove must be a list of paths, got a string of 18 characters"]),
    (["sk-pasted-key-1234"], ["a fragment must be a mapping, got a string of 18 characters"]),
])
def test_fragment_problems(fragments, expected):
    text = " | ".join(fragment_problems(fragments))
    for part in expected:
        assert part in text
    # A string where a list or mapping belongs may be a pasted credential, so its text is never shown.
    assert "sk-pasted" not in text
    if not expected:
        assert text == ""


SERVICE = {
    "apiVersion": "v1", "kind": "Service", "metadata": {"name": "litellm", "namespace": "litellm"},
    "spec": {"ports": [{"name": "http", "port": 4000, "targetPort": "http", "protocol": "TCP"},
                       {"name": "health", "port": 4001, "targetPort": "health", "protocol": "TCP"}]},
}


def _deployment(ports):
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "litellm", "namespace": "litellm"},
        "spec": {"template": {"spec": {"containers": [
            {"name": "litellm", "image": "proxy", "ports": ports},
            {"name": "sidecar", "image": "sidecar"},
        ]}}},
    }


DEPLOYMENT_PORTS = [{"name": "http", "containerPort": 4000, "protocol": "TCP"},
                    {"name": "health", "containerPort": 4001, "protocol": "TCP"}]


def test_port_repair_patch_empty_without_live_object():
    assert port_repair_patch(SERVICE, None) == {}


def test_port_repair_patch_empty_when_ports_match():
    live = {"spec": {"ports": [dict(port, nodePort=30000) for port in SERVICE["spec"]["ports"]]}}
    assert port_repair_patch(SERVICE, live) == {}


def test_port_repair_patch_deletes_edited_service_port():
    live = {"spec": {"ports": [{"name": "http", "port": 4100, "protocol": "TCP"}, SERVICE["spec"]["ports"][1]]}}

    patch = port_repair_patch(SERVICE, live)

    assert patch["spec"]["ports"][0] == {"port": 4100, "$patch": "delete"}
    assert patch["spec"]["ports"][1:] == SERVICE["spec"]["ports"]
    assert edited_port_numbers(patch) == [4100]


def test_port_repair_patch_keeps_ports_with_other_names():
    live = {"spec": {"ports": SERVICE["spec"]["ports"] + [{"name": "debug", "port": 9000, "protocol": "TCP"}]}}
    assert port_repair_patch(SERVICE, live) == {}


def test_port_repair_patch_treats_protocol_change_as_edit():
    live = {"spec": {"ports": [{"name": "http", "port": 4000, "protocol": "UDP"}, SERVICE["spec"]["ports"][1]]}}
    patch = port_repair_patch(SERVICE, live)
    assert edited_port_numbers(patch) == [4000]


def test_port_repair_patch_deletes_edited_container_port():
    live = _deployment([{"name": "http", "containerPort": 4100, "protocol": "TCP"}, DEPLOYMENT_PORTS[1]])

    patch = port_repair_patch(_deployment(DEPLOYMENT_PORTS), live)

    containers = patch["spec"]["template"]["spec"]["containers"]
    assert [container["name"] for container in containers] == ["litellm"]
    assert containers[0]["ports"][0] == {"containerPort": 4100, "$patch": "delete"}
    assert containers[0]["ports"][1:] == DEPLOYMENT_PORTS
    assert edited_port_numbers(patch) == [4100]


def test_port_repair_patch_ignores_kinds_without_ports():
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}}
    assert port_repair_patch(config_map, {"data": {"x": "y"}}) == {}


def test_port_repair_patch_rejects_manifest_without_kind():
    with pytest.raises(AnsibleFilterError, match="manifest with a kind"):
        port_repair_patch({"metadata": {}}, {})


def test_without_edited_ports_drops_only_edited_entries():
    expected = _deployment(DEPLOYMENT_PORTS)
    live = _deployment([{"name": "http", "containerPort": 4100, "protocol": "TCP"}, DEPLOYMENT_PORTS[1]])

    manifest = without_edited_ports(expected, live)

    assert manifest["spec"]["template"]["spec"]["containers"][0]["ports"] == [DEPLOYMENT_PORTS[1]]
    assert expected["spec"]["template"]["spec"]["containers"][0]["ports"] == DEPLOYMENT_PORTS


def test_without_edited_ports_keeps_unedited_manifest():
    assert without_edited_ports(SERVICE, SERVICE) is SERVICE


@pytest.mark.parametrize("value, expected", [
    ({"team": "platform"}, ""),
    ({}, ""),
    ({"team": ""}, ""),
    ("team=platform", "it is a string, not a mapping"),
    (None, "it is null, not a mapping"),
    ({1: "a"}, "the key 1 is an integer, not text"),
    ({"Example.com/team": "a"}, "the key 'Example.com/team' has an invalid prefix 'Example.com'"),
    ({"team name": "a"}, "the key 'team name' is invalid"),
    ({"replicas": 2}, "the value of 'replicas' is an integer; quote it"),
    ({"team": "platform team"}, "the value of 'team', 'platform team', is invalid"),
    ({"team": "-platform"}, "the value of 'team', '-platform', is invalid"),
])
def test_label_problem_names_entry(value, expected):
    problem = label_problem(value)
    assert problem.startswith(expected)
    assert (problem == "") is label_map(value)
