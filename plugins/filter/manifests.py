# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for writing Kubernetes manifests in render mode."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

import yaml

from ansible.errors import AnsibleFilterError


def manifest_filename(manifest):
    """Return the file name render mode uses for a manifest: <kind>-<name>.yaml, lower case."""
    try:
        kind = manifest["kind"]
        name = manifest["metadata"]["name"]
    except (KeyError, TypeError):
        raise AnsibleFilterError("manifest_filename needs a manifest with kind and metadata.name, got %r" % (manifest,))
    return "%s-%s.yaml" % (str(kind).lower(), name)


class _ManifestDumper(yaml.SafeDumper):
    """A YAML dumper that writes multi-line strings, such as ConfigMap files, as literal blocks."""


def _represent_str(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ManifestDumper.add_representer(str, _represent_str)


def _plain(value):
    # Ansible hands filters its own str, dict and list subclasses; SafeDumper only knows the builtins.
    if isinstance(value, dict):
        return dict((str(key), _plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    raise AnsibleFilterError("manifest_yaml cannot write a value of type %s: %r" % (type(value).__name__, value))


def manifest_yaml(manifest):
    """Return a manifest as block-style YAML, keeping key order and writing multi-line strings as literal blocks."""
    return yaml.dump(_plain(manifest), Dumper=_ManifestDumper, default_flow_style=False, sort_keys=False,
                     allow_unicode=True, width=4096, indent=2)


def ip_block_peers(addresses):
    """Return NetworkPolicy peers that admit exactly these IP addresses (a /32 or /128 ipBlock each)."""
    peers = []
    for address in addresses:
        try:
            network = ipaddress.ip_network(str(address))
        except ValueError:
            raise AnsibleFilterError("ip_block_peers needs IP addresses, got %r" % (address,))
        peers.append({"ipBlock": {"cidr": str(network)}})
    return peers


class FilterModule:
    def filters(self):
        return {
            "manifest_filename": manifest_filename,
            "manifest_yaml": manifest_yaml,
            "ip_block_peers": ip_block_peers,
        }
