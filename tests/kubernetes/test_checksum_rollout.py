"""A settings change rolls the LiteLLM pods through the checksum/config annotation; a rerun does not."""

import pytest

pytestmark = pytest.mark.cluster

TEAM_FRAGMENT = {
    "litellm_settings_fragments": [
        {"name": "team-tags", "settings": {"litellm_settings": {"extra_spend_tag_headers": ["x-team"]}}},
    ],
}


def checksum(gateway):
    deployment = gateway.get("Deployment", "litellm", "litellm")
    return deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"]


def rollout(gateway):
    """Return the Deployment's revision and the names of the ReplicaSets that have replicas.

    A rollout back to an earlier pod template revives that template's old ReplicaSet under a new
    revision number, so the revision, not the ReplicaSet name, shows that a rollout happened.
    """
    deployment = gateway.get("Deployment", "litellm", "litellm")
    revision = int(deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
    items = gateway.list_objects("ReplicaSet", "litellm", "app.kubernetes.io/name=litellm")
    return revision, {item["metadata"]["name"] for item in items if item["spec"].get("replicas")}


@pytest.fixture(scope="module")
def changed_settings(gateway):
    """Checksums and ReplicaSets before a run with a user fragment, after it, and after a rerun."""
    if gateway.state != "converged":
        gateway.converge()
    gateway.state = "dirty"
    states = {"before": (checksum(gateway), rollout(gateway))}

    first = gateway.run_site(TEAM_FRAGMENT)
    states["changed"] = (checksum(gateway), rollout(gateway))
    versions = gateway.resource_versions()

    rerun = gateway.run_site(TEAM_FRAGMENT)
    states["rerun"] = (checksum(gateway), rollout(gateway))
    return {"first": first, "rerun": rerun, "states": states, "versions": versions,
            "versions_after_rerun": gateway.resource_versions()}


def test_settings_change_run_succeeds(changed_settings):
    assert changed_settings["first"].returncode == 0, changed_settings["first"].stdout[-6000:]


def test_settings_change_gives_new_checksum(changed_settings):
    states = changed_settings["states"]

    assert states["changed"][0] != states["before"][0]


def test_settings_change_rolls_out_pods(changed_settings):
    before_revision, before_replica_sets = changed_settings["states"]["before"][1]
    changed_revision, changed_replica_sets = changed_settings["states"]["changed"][1]

    assert changed_revision == before_revision + 1
    assert len(changed_replica_sets) == 1
    assert changed_replica_sets.isdisjoint(before_replica_sets)


def test_unchanged_rerun_reports_no_change(changed_settings):
    rerun = changed_settings["rerun"]

    assert rerun.returncode == 0, rerun.stdout[-4000:]
    assert rerun.stats["changed"] == 0, rerun.stdout[-6000:]


def test_rerun_keeps_checksum_and_pods(changed_settings):
    states = changed_settings["states"]

    assert states["rerun"] == states["changed"]
    assert changed_settings["versions_after_rerun"] == changed_settings["versions"]
