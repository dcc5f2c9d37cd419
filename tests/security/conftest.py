"""Fixtures of the security tier: one local control plane for the session, with the shared fixtures.

The tier stops and restarts control plane components, so give it a control plane of its own:
AIGATEWAY_CLUSTER_DIR=/tmp/aigw-security (any state dir that no other test run uses).
"""

import pytest

from restricted_gateways import deploy_restricted_gateways
from security_cluster import K8S_AUTH_VARIABLES, SecurityCluster


@pytest.fixture(scope="session")
def cluster():
    # K8S_AUTH_* variables of the calling shell would take precedence over the test kubeconfig.
    with pytest.MonkeyPatch.context() as patch:
        for name in K8S_AUTH_VARIABLES:
            patch.delenv(name, raising=False)
        control_plane = SecurityCluster.start()
        control_plane.create_prerequisites()
        yield control_plane


@pytest.fixture(scope="session")
def restricted_gateways(cluster):
    """Gateways deployed under the restricted Pod Security Standard (see restricted_gateways.py)."""
    return deploy_restricted_gateways(cluster)
