"""Values that the API server stores in another form do not make every run report a change.

The server stores the quantity 0.5 CPU as "500m" and 1024Mi as "1Gi". The roles convert replicas and
ports given as strings to integers. A second run with the same values must be clean.
"""

import pytest

from cluster_gateway import container

pytestmark = pytest.mark.cluster

NORMALISED_VARS = {
    "litellm_resources": {"requests": {"cpu": 0.5, "memory": "1024Mi"}, "limits": {"memory": "2Gi"}},
    "litellm_replicas": "2",
    "redis_port": "6379",
}


@pytest.fixture(scope="module")
def normalised(gateway):
    """Two runs with NORMALISED_VARS; the first may change the gateway from any earlier state."""
    gateway.reset_openwebui()
    if not gateway.prerequisites_present():
        gateway.create_prerequisites()
    gateway.state = "dirty"
    first = gateway.run_site(NORMALISED_VARS)
    versions = gateway.resource_versions()
    second = gateway.run_site(NORMALISED_VARS)
    return {"first": first, "second": second, "versions": versions,
            "versions_after_second": gateway.resource_versions()}


def test_normalised_values_first_run_succeeds(normalised):
    assert normalised["first"].returncode == 0, normalised["first"].stdout[-6000:]


def test_server_stores_normalised_quantities(gateway, normalised):
    deployment = gateway.get("Deployment", "litellm", "litellm")
    requests = container(deployment, "litellm")["resources"]["requests"]

    assert requests == {"cpu": "500m", "memory": "1Gi"}
    assert deployment["spec"]["replicas"] == 2


def test_normalised_values_second_run_is_clean(normalised):
    second = normalised["second"]

    assert second.returncode == 0, second.stdout[-4000:]
    assert second.stats["changed"] == 0, second.stdout[-6000:]
    assert normalised["versions_after_second"] == normalised["versions"]
