# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find port numbers edited by hand, which server-side apply cannot put back on its own.

Server-side apply merges a Service's ports by port number and protocol, and a container's ports by
container port and protocol. After someone changes the number of a named port, an apply adds the
collection's entry again beside the edited one, and the API server rejects the object because two
ports share a name. A strategic merge patch that deletes the edited entries and sends the expected
ones repairs the object first, and keeps every port that has a name of its own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.errors import AnsibleFilterError

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


def _port_key(port, number_field):
    return "%s/%s" % (port.get(number_field), port.get("protocol") or "TCP")


def _edited_ports(expected_ports, live_ports, number_field):
    """Return the live ports that carry an expected port's name under another number or protocol."""
    expected_keys = set(_port_key(port, number_field) for port in expected_ports)
    expected_names = set(port["name"] for port in expected_ports if port.get("name"))
    return [port for port in live_ports or []
            if port.get("name") in expected_names and _port_key(port, number_field) not in expected_keys]


def _port_lists(manifest, live):
    """Yield (container name or None, number field, manifest ports, live ports) for each port list.

    A Service has one list, keyed by port. Each container of a workload has its own, keyed by
    container port. Other kinds have none.
    """
    if manifest["kind"] == "Service":
        yield None, "port", (manifest.get("spec") or {}).get("ports") or [], (live.get("spec") or {}).get("ports")
    elif manifest["kind"] in WORKLOAD_KINDS:
        live_pod_spec = ((live.get("spec") or {}).get("template") or {}).get("spec") or {}
        live_containers = dict((item.get("name"), item) for item in live_pod_spec.get("containers") or [])
        for container in manifest["spec"]["template"]["spec"].get("containers") or []:
            live_ports = (live_containers.get(container["name"]) or {}).get("ports")
            yield container["name"], "containerPort", container.get("ports") or [], live_ports


def port_repair_patch(expected, live):
    """Return the strategic merge patch body that repairs ports edited by hand, or {} when none are.

    ``expected`` is the manifest the collection applies and ``live`` the object in the cluster
    (None when it does not exist yet). Services and the containers of Deployments, StatefulSets and
    DaemonSets are checked. Other kinds never need a repair.
    """
    if not isinstance(expected, dict) or not expected.get("kind"):
        raise AnsibleFilterError("port_repair_patch needs a manifest with a kind, got %r" % (expected,))
    if not live:
        return {}

    container_patches = []
    for container_name, number_field, expected_ports, live_ports in _port_lists(expected, live):
        deletions = [{number_field: port.get(number_field), "$patch": "delete"}
                     for port in _edited_ports(expected_ports, live_ports, number_field)]
        if not deletions:
            continue
        if container_name is None:
            return {"spec": {"ports": deletions + expected_ports}}
        container_patches.append({"name": container_name, "ports": deletions + expected_ports})

    if container_patches:
        return {"spec": {"template": {"spec": {"containers": container_patches}}}}
    return {}


def without_edited_ports(expected, live):
    """Return a copy of the manifest without the ports whose number was edited by hand.

    Check mode sends the port repair patch as a dry run, so the server keeps the edited numbers. A dry
    run of the manifest itself would then fail on two ports with one name. A dry run of this copy
    leaves the edited entries to their current owner, so it reports every other difference and no
    change of field ownership.
    """
    if not live or not port_repair_patch(expected, live):
        return expected

    manifest = copy.deepcopy(expected)
    for _container_name, number_field, expected_ports, live_ports in _port_lists(manifest, live):
        edited_names = set(port.get("name") for port in _edited_ports(expected_ports, live_ports, number_field))
        # The list is the manifest copy's own, so removing entries in place changes the copy.
        expected_ports[:] = [port for port in expected_ports if port.get("name") not in edited_names]
    return manifest


def edited_port_numbers(patch):
    """Return the port numbers that a patch from port_repair_patch deletes, for task labels."""
    if "ports" in patch.get("spec", {}):
        port_lists = [patch["spec"]["ports"]]
    else:
        port_lists = [item["ports"] for item in patch.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])]
    return [entry.get("port", entry.get("containerPort")) for ports in port_lists for entry in ports if "$patch" in entry]


class FilterModule:
    def filters(self):
        return {
            "port_repair_patch": port_repair_patch,
            "without_edited_ports": without_edited_ports,
            "edited_port_numbers": edited_port_numbers,
        }
