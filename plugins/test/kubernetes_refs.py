# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for role variables that reference Kubernetes objects."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

# A Secret name is a DNS subdomain; a data key is letters, digits, '-', '_' and '.'.
SECRET_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")
PEER_FIELDS = frozenset(["podSelector", "namespaceSelector", "ipBlock"])
# A label key is an optional DNS subdomain prefix and a name. A value is empty or has the form of a name.
LABEL_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
RESOURCE_FIELDS = frozenset(["limits", "requests", "claims"])
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
    return isinstance(excepted, list) and all(_cidr(entry) for entry in excepted)


def label_map(value):
    """Return whether a value is a mapping of valid Kubernetes label keys to valid label values."""
    if not isinstance(value, dict):
        return False
    for key, label in value.items():
        if not isinstance(key, str) or not isinstance(label, str):
            return False
        prefix, slash, name = key.rpartition("/")
        if (slash and not LABEL_PREFIX.match(prefix)) or not LABEL_NAME.match(name):
            return False
        if label and not LABEL_NAME.match(label):
            return False
    return True


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
            if not isinstance(resource, str) or isinstance(amount, bool):
                return False
            if not isinstance(amount, (int, float, str)) or not QUANTITY.match(str(amount)):
                return False
    return True


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
            if field in peer and not isinstance(peer[field], dict):
                return False
    return True


class TestModule:
    def tests(self):
        return {
            "secret_key_ref": secret_key_ref,
            "network_policy_peers": network_policy_peers,
            "label_map": label_map,
            "resource_requirements": resource_requirements,
        }
