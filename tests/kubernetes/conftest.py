"""Fixtures of the cluster tier: the local control plane with the collection's prerequisites.

One control plane serves the whole session: tests/cluster/up.sh starts it or reuses the running one,
with the state dir that AIGATEWAY_CLUSTER_DIR names. Tests share one converged gateway. A test that
changes the cluster marks it dirty first, and the next test that needs a converged gateway runs
site.yml again, so a failed test does not leak its edits into the next.
"""

import pytest

from cluster_gateway import GatewayCluster


@pytest.fixture(scope="session")
def gateway():
    # K8S_AUTH_* variables of the calling shell would take precedence over the test kubeconfig.
    with pytest.MonkeyPatch.context() as patch:
        for name in ("K8S_AUTH_HOST", "K8S_AUTH_API_KEY", "K8S_AUTH_SSL_CA_CERT", "K8S_AUTH_KUBECONFIG",
                     "K8S_AUTH_CONTEXT"):
            patch.delenv(name, raising=False)
        cluster = GatewayCluster.start()
        cluster.create_prerequisites()
        yield cluster


@pytest.fixture
def converged(gateway):
    """The gateway with the default settings applied and nothing edited since."""
    if gateway.state != "converged":
        gateway.converge()
    return gateway
