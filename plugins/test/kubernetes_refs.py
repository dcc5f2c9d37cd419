# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for role variables that reference Kubernetes objects."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# A Secret name is a DNS subdomain; a data key is letters, digits, '-', '_' and '.'.
SECRET_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")
PEER_FIELDS = frozenset(["podSelector", "namespaceSelector", "ipBlock"])


def secret_key_ref(value):
    """Return whether a value is {name: <Secret name>, key: <data key>} and nothing else."""
    if not isinstance(value, dict) or set(value) != {"name", "key"}:
        return False
    name, key = value["name"], value["key"]
    return isinstance(name, str) and isinstance(key, str) and bool(SECRET_NAME.match(name)) and bool(SECRET_KEY.match(key))


def network_policy_peers(value):
    """Return whether a value is a list of NetworkPolicy peers (podSelector, namespaceSelector or ipBlock)."""
    if not isinstance(value, list):
        return False
    for peer in value:
        if not isinstance(peer, dict) or not peer or not set(peer) <= PEER_FIELDS:
            return False
        if "ipBlock" in peer and (len(peer) != 1 or not isinstance(peer["ipBlock"], dict) or "cidr" not in peer["ipBlock"]):
            return False
        for field in ("podSelector", "namespaceSelector"):
            if field in peer and not isinstance(peer[field], dict):
                return False
    return True


class TestModule:
    def tests(self):
        return {"secret_key_ref": secret_key_ref, "network_policy_peers": network_policy_peers}
