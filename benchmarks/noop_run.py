#!/usr/bin/env python
"""Measure a no-op run of site.yml against the local control plane.

Compares the wall time of ``ansible-playbook site.yml`` on an already converged cluster with
``kubectl apply --server-side`` of the same manifests (the render mode output, one apply per
component), both in this session and on the same cluster. kubectl applies with a field manager of
its own: apply mode adds a checksum/secrets pod annotation that render mode leaves out, so with the
roles' field managers each kubectl apply would remove it and roll the pods. Each
command runs once to warm up and then RUNS times, alternating, and the medians are compared. The
audit log of the control plane gives the number of API requests per managed object for one run of
each (every request of the ``ansible`` user: discovery, reads and writes).

Not part of the test run. Usage, from the repository root (starts the control plane with
tests/cluster/up.sh when it is not running; AIGATEWAY_CLUSTER_DIR chooses its state dir):

    .venv/bin/python benchmarks/noop_run.py [--runs 5]
"""

import argparse
import collections
import glob
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(REPO_ROOT, ".collections"), os.path.join(REPO_ROOT, "tests"),
                os.path.join(REPO_ROOT, "tests", "kubernetes")]

from cluster.cluster_env import audit_events  # noqa: E402
from cluster_gateway import GatewayCluster  # noqa: E402
from helpers.playbooks import run_playbook  # noqa: E402
from machine import machine_line  # noqa: E402

COMPONENTS = ["redis", "litellm", "openwebui"]
KUBECTL_FIELD_MANAGER = "noop-benchmark"


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each command (default 5)")
    return parser.parse_args()


def describe_machine(gateway):
    """Return a few lines about the machine, its load and the software versions measured."""
    ansible = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible"), "--version"],
                             capture_output=True, text=True, check=False).stdout.splitlines()[0]
    kubectl = gateway.kubectl("version", "--client", "-o", "yaml").split("gitVersion:")[1].split()[0]
    # Other processes on the machine slow ansible-playbook far more than kubectl, so report the load.
    load = ", ".join("%.1f" % value for value in os.getloadavg())
    return [
        "%s, load average %s at the end" % (machine_line(), load),
        "python %s, %s, kubectl %s" % (platform.python_version(), ansible, kubectl),
    ]


def render_manifests(directory):
    """Write the render mode output to ``directory`` and return {component: [manifest files]}."""
    run = run_playbook(os.path.join(REPO_ROOT, "site.yml"),
                       extra_vars={"aigateway_mode": "render", "aigateway_render_dir": directory})
    if run.returncode != 0:
        raise RuntimeError("render mode failed:\n" + run.stdout[-4000:])
    files = {}
    for component in COMPONENTS:
        paths = sorted(glob.glob(os.path.join(directory, component, "*.yaml")))
        files[component] = [path for path in paths if os.path.basename(path) != "kustomization.yaml"]
    return files


def kubectl_apply_command(gateway, paths):
    command = [gateway.kubectl_path, "--kubeconfig", gateway.kubeconfig, "apply", "--server-side",
               "--force-conflicts", "--field-manager", KUBECTL_FIELD_MANAGER]
    for path in paths:
        command += ["-f", path]
    return command


def time_site(gateway):
    started = time.monotonic()
    run = gateway.run_site()
    elapsed = time.monotonic() - started
    if run.returncode != 0 or run.stats.get("changed") != 0:
        raise RuntimeError("the site.yml run was not a clean no-op: %s\n%s" % (run.stats, run.stdout[-4000:]))
    return elapsed


def time_kubectl(gateway, manifests):
    started = time.monotonic()
    for paths in manifests.values():
        subprocess.run(kubectl_apply_command(gateway, paths), check=True, capture_output=True, text=True)
    return time.monotonic() - started


def count_requests(gateway, action):
    """Run ``action`` and return a Counter of the ``ansible`` user's requests by verb."""
    offset = gateway.audit_offset()
    action()
    events = audit_events(gateway.audit_log, offset)[0]
    return collections.Counter(
        event["verb"] for event in events
        if event["stage"] == "ResponseComplete" and event["user"]["username"] == "ansible"
    )


def describe_requests(name, counts, objects):
    total = sum(counts.values())
    by_verb = ", ".join("%s %d" % (verb, count) for verb, count in sorted(counts.items()))
    return "%-24s %4d requests, %5.1f per managed object (%s)" % (name, total, total / objects, by_verb)


def main():
    arguments = parse_arguments()
    gateway = GatewayCluster.start()
    gateway.converge()

    with tempfile.TemporaryDirectory() as directory:
        manifests = render_manifests(directory)
        collection_objects = len(gateway.default_objects)
        managed_objects = collection_objects + 1  # and the Open WebUI StatefulSet

        # Warm-up: caches of kubectl's discovery and of the collection loader.
        time_site(gateway)
        time_kubectl(gateway, manifests)

        site_times, kubectl_times = [], []
        while len(site_times) < arguments.runs:
            site_times.append(time_site(gateway))
            kubectl_times.append(time_kubectl(gateway, manifests))

        site_requests = count_requests(gateway, lambda: time_site(gateway))
        kubectl_requests = count_requests(gateway, lambda: time_kubectl(gateway, manifests))

    site_median = statistics.median(site_times)
    kubectl_median = statistics.median(kubectl_times)
    lines = describe_machine(gateway) + [
        "no-op run, %d objects managed (%d collection objects and the Open WebUI StatefulSet), "
        "median of %d runs:" % (managed_objects, collection_objects, arguments.runs),
        "  ansible-playbook site.yml        %6.2f s (runs: %s)" % (
            site_median, ", ".join("%.2f" % value for value in site_times)),
        "  kubectl apply --server-side      %6.2f s (runs: %s; one apply per component)" % (
            kubectl_median, ", ".join("%.2f" % value for value in kubectl_times)),
        "  ratio site.yml / kubectl apply   %6.1f" % (site_median / kubectl_median),
        "API requests of one run, from the audit log:",
        "  " + describe_requests("ansible-playbook site.yml", site_requests, managed_objects),
        "  " + describe_requests("kubectl apply", kubectl_requests, managed_objects),
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
