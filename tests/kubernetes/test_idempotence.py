"""A converged gateway: a second run changes nothing, and Open WebUI keeps its own env entries."""

import pytest

from cluster_gateway import OPENWEBUI, OPENWEBUI_CONTAINER, OPENWEBUI_FLAG, container, fixture_openwebui_env

pytestmark = pytest.mark.cluster

HAND_ADDED_ENV = {"name": "HAND_ADDED_SETTING", "value": "set-by-hand"}


def test_second_run_changes_nothing(converged):
    before = converged.resource_versions()

    run = converged.run_site()

    assert run.returncode == 0, run.stdout[-4000:]
    assert run.stats["changed"] == 0, run.stdout[-6000:]
    assert None not in before.values()
    assert converged.resource_versions() == before


def test_openwebui_env_order_unchanged(converged):
    statefulset = converged.get(*OPENWEBUI)
    env = container(statefulset, OPENWEBUI_CONTAINER)["env"]

    assert [entry for entry in env if entry["name"] == OPENWEBUI_FLAG["name"]] == [OPENWEBUI_FLAG]
    assert [entry for entry in env if entry["name"] != OPENWEBUI_FLAG["name"]] == fixture_openwebui_env()


def test_hand_added_env_var_is_kept(converged):
    """An env var added by hand to the LiteLLM container stays, and the run reports no change.

    Decision: server-side apply manages only the fields that the collection's field manager set.
    kubectl alone owns the added entry, so the run neither removes nor reports it. The same holds
    for any other field that only another manager owns. Fields the collection sets are still taken
    back when edited (test_drift.py).
    """
    converged.state = "dirty"
    converged.kubectl("set", "env", "deployment/litellm", "-n", "litellm",
                      "%s=%s" % (HAND_ADDED_ENV["name"], HAND_ADDED_ENV["value"]))
    before = converged.resource_versions()

    run = converged.run_site()

    env = container(converged.get("Deployment", "litellm", "litellm"), "litellm")["env"]
    assert run.returncode == 0, run.stdout[-4000:]
    assert run.stats["changed"] == 0, run.stdout[-6000:]
    assert HAND_ADDED_ENV in env
    assert converged.resource_versions() == before

    # Removing the entry again leaves every field the collection set as the converge left it.
    converged.kubectl("set", "env", "deployment/litellm", "-n", "litellm", HAND_ADDED_ENV["name"] + "-")
    converged.state = "converged"
