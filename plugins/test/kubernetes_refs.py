# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for role variables that reference Kubernetes objects."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import decimal
import ipaddress
import re

from ansible_collections.aigateway.litellm.plugins.module_utils.kubernetes_labels import (
    LABEL_NAME,
    label_map_problem,
)

# A Secret name is a DNS subdomain; a data key is letters, digits, '-', '_' and '.'.
SECRET_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")
PEER_FIELDS = frozenset(["podSelector", "namespaceSelector", "ipBlock"])
RESOURCE_FIELDS = frozenset(["limits", "requests", "claims"])
# Resources a container can request without an extended-resource prefix (example.com/gpu).
STANDARD_RESOURCES = frozenset(["cpu", "memory", "ephemeral-storage"])
TOLERATION_FIELDS = frozenset(["key", "operator", "value", "effect", "tolerationSeconds"])
TOLERATION_EFFECTS = frozenset(["", "NoSchedule", "PreferNoSchedule", "NoExecute"])
_QUANTITY_SUFFIXES = {
    "n": "1e-9", "u": "1e-6", "m": "1e-3", "": "1", "k": "1e3", "M": "1e6", "G": "1e9", "T": "1e12", "P": "1e15",
    "E": "1e18", "Ki": "1024", "Mi": "1048576", "Gi": "1073741824", "Ti": "1099511627776",
    "Pi": "1125899906842624", "Ei": "1152921504606846976",
}
QUANTITY = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$")


def secret_key_ref(value):
    """Return whether a value is {name: <Secret name>, key: <data key>} and nothing else."""
    if not isinstance(value, dict) or set(value) != {"name", "key"}:
        return False
    name, key = value["name"], value["key"]
    return isinstance(name, str) and isinstance(key, str) and bool(SECRET_NAME.match(name)) and bool(SECRET_KEY.match(key))


def _cidr(value):
    """Return whether a value is a CIDR with an explicit prefix length, such as 10.0.0.0/8."""
    if not isinstance(value, str) or "/" not in value:
        return False
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def _ip_block(block):
    if not isinstance(block, dict) or not set(block) <= {"cidr", "except"} or not _cidr(block.get("cidr")):
        return False
    excepted = block.get("except", [])
    if not isinstance(excepted, list) or not all(_cidr(entry) for entry in excepted):
        return False
    # The API server accepts only exceptions inside the block, of the same address family.
    network = ipaddress.ip_network(block["cidr"], strict=False)
    for entry in excepted:
        inner = ipaddress.ip_network(entry, strict=False)
        if inner.version != network.version or not inner.subnet_of(network) or inner == network:
            return False
    return True


def label_map(value):
    """Return whether a value is a mapping of valid Kubernetes label keys to valid label values."""
    return label_map_problem(value) is None


def _quantity_value(amount):
    """Return a Kubernetes quantity such as 500m, 1Gi or 1e3 as a Decimal."""
    text = str(amount)
    number = re.match(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", text).group(0)
    return decimal.Decimal(number) * decimal.Decimal(_QUANTITY_SUFFIXES[text[len(number):]])


def _resource_name(name):
    return isinstance(name, str) and (
        name in STANDARD_RESOURCES or name.startswith("hugepages-") or ("/" in name and LABEL_NAME.match(name.rpartition("/")[2])))


def resource_requirements(value):
    """Return whether a value is a container's resources: requests and limits of quantities, and optional claims."""
    if not isinstance(value, dict) or not set(value) <= RESOURCE_FIELDS:
        return False
    if not isinstance(value.get("claims", []), list):
        return False
    for field in ("limits", "requests"):
        amounts = value.get(field, {})
        if not isinstance(amounts, dict):
            return False
        for resource, amount in amounts.items():
            if not _resource_name(resource) or isinstance(amount, bool):
                return False
            if not isinstance(amount, (int, float, str)) or not QUANTITY.match(str(amount)):
                return False
    # The API server rejects a request above its limit.
    requests, limits = value.get("requests", {}), value.get("limits", {})
    return all(_quantity_value(requests[name]) <= _quantity_value(limits[name]) for name in requests if name in limits)


def tolerations(value):
    """Return whether a value is a list of pod tolerations that the API server accepts."""
    if not isinstance(value, list):
        return False
    for toleration in value:
        if not isinstance(toleration, dict) or not set(toleration) <= TOLERATION_FIELDS:
            return False
        operator = toleration.get("operator", "Equal")
        if operator not in ("Equal", "Exists") or toleration.get("effect", "") not in TOLERATION_EFFECTS:
            return False
        if operator == "Exists" and toleration.get("value", ""):
            return False
        if not toleration.get("key") and operator != "Exists":
            return False
        seconds = toleration.get("tolerationSeconds")
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int)
                                    or toleration.get("effect") != "NoExecute"):
            return False
        if any(not isinstance(toleration.get(field, ""), str) for field in ("key", "value")):
            return False
    return True


def _label_selector(selector):
    """Return whether a value is a label selector: matchLabels and matchExpressions only."""
    if not isinstance(selector, dict) or not set(selector) <= {"matchLabels", "matchExpressions"}:
        return False
    expressions = selector.get("matchExpressions", [])
    return label_map(selector.get("matchLabels", {})) and isinstance(expressions, list) and all(
        isinstance(expression, dict) and isinstance(expression.get("key"), str)
        and expression.get("operator") in ("In", "NotIn", "Exists", "DoesNotExist") for expression in expressions)


def network_policy_peers(value):
    """Return whether a value is a list of NetworkPolicy peers (podSelector, namespaceSelector or ipBlock)."""
    if not isinstance(value, list):
        return False
    for peer in value:
        if not isinstance(peer, dict) or not peer or not set(peer) <= PEER_FIELDS:
            return False
        if "ipBlock" in peer and (len(peer) != 1 or not _ip_block(peer["ipBlock"])):
            return False
        for field in ("podSelector", "namespaceSelector"):
            if field in peer and not _label_selector(peer[field]):
                return False
    return True


class TestModule:
    def tests(self):
        return {
            "secret_key_ref": secret_key_ref,
            "network_policy_peers": network_policy_peers,
            "label_map": label_map,
            "resource_requirements": resource_requirements,
            "tolerations": tolerations,
        }
