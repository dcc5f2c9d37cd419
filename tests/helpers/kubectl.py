"""kubectl calls shared by the test tiers that run against the local control plane."""

import json
import subprocess

KUBECTL_TIMEOUT = 120


class KubectlMixin:
    """kubectl as the ``ansible`` user of the test kubeconfig, for classes with ``kubectl_path`` and ``kubeconfig``.

    The kubeconfig's user is the one the playbooks run as, so the audit log records these requests
    too. A test that counts the playbooks' write requests sends none itself while it counts.
    """

    kubectl_path = None
    kubeconfig = None

    def kubectl_result(self, *args, stdin=None):
        """Run kubectl and return the CompletedProcess, whatever its exit code."""
        return subprocess.run(
            [self.kubectl_path, "--kubeconfig", self.kubeconfig, *args],
            input=stdin, capture_output=True, text=True, check=False, timeout=KUBECTL_TIMEOUT,
        )

    def kubectl(self, *args, stdin=None):
        """Run kubectl and return its stdout. Raise RuntimeError on a non-zero exit."""
        completed = self.kubectl_result(*args, stdin=stdin)
        if completed.returncode != 0:
            raise RuntimeError("kubectl %s failed: %s" % (" ".join(args), completed.stderr.strip()))
        return completed.stdout

    def get(self, kind, namespace, name):
        """Return the object as a dict, or None when it does not exist."""
        args = ["get", kind, name, "-o", "json", "--ignore-not-found"]
        if namespace:
            args += ["-n", namespace]
        output = self.kubectl(*args)
        return json.loads(output) if output.strip() else None

    def list_objects(self, kind, namespace, selector=None):
        """Return the objects of one kind in a namespace, optionally filtered by a label selector."""
        args = ["get", kind, "-n", namespace, "-o", "json"]
        if selector:
            args += ["-l", selector]
        return json.loads(self.kubectl(*args))["items"]
