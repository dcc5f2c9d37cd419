"""site.yml reaches the cluster with only the K8S_AUTH_* environment variables and no kubeconfig.

That is how an AWX job or a CI runner passes credentials. The cluster's k8s-auth.env contains the three
variables for the ansible user.
"""

import os

import pytest

from cluster.cluster_env import read_env_file

pytestmark = pytest.mark.cluster

AUTH_VARIABLES = ["K8S_AUTH_HOST", "K8S_AUTH_API_KEY", "K8S_AUTH_SSL_CA_CERT"]


def test_cluster_dir_has_k8s_auth_env(gateway):
    values = read_env_file(os.path.join(gateway.state_dir, "k8s-auth.env"))

    assert sorted(values) == sorted(AUTH_VARIABLES)


def test_auth_variables_without_kubeconfig(converged, tmp_path, monkeypatch):
    values = read_env_file(os.path.join(converged.state_dir, "k8s-auth.env"))
    empty_home = tmp_path / "home"
    empty_home.mkdir()
    # No KUBECONFIG and an empty HOME, so neither $KUBECONFIG nor ~/.kube/config can name the cluster.
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(empty_home))
    for name in AUTH_VARIABLES:
        monkeypatch.setenv(name, values[name])

    run = converged.run_site(use_kubeconfig=False)

    assert run.returncode == 0, run.stdout[-6000:]
    assert run.stats["changed"] == 0, run.stdout[-6000:]
    assert not (empty_home / ".kube").exists()
