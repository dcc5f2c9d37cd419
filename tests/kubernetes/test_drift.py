"""Manual edits: check mode reports each with a diff and writes nothing, then one run puts them back.

The edits are made together with kubectl, as a user would (client-side patch, set env, scale), so
kubectl owns each edited field. Server-side apply with force_conflicts takes those fields back. In
check mode every change is sent as a server-side dry run: the API server validates it and stores
nothing, and the audit log shows dryRun=All in the URI of each such request.
"""

import pytest

from drift_cases import DRIFT_CASES, apply_drift

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def drifted(gateway):
    """The converged gateway after all DRIFT_CASES edits, with the values before and after them."""
    if gateway.state != "converged":
        gateway.converge()
    gateway.state = "dirty"
    original, edited = apply_drift(gateway)
    # Several edits change pod templates or replicas. Let those rollouts finish, so that the status
    # updates of the controllers do not move resourceVersions during the check run.
    gateway.wait_for_rollouts()
    return {"original": original, "edited": edited}


@pytest.fixture(scope="module")
def checked(gateway, drifted):
    """One run of site.yml --check --diff on the drifted gateway, with what it wrote."""
    versions = gateway.resource_versions()
    offset = gateway.audit_offset()

    run = gateway.run_site(check=True, diff=True)

    return {
        "run": run,
        "versions_before": versions,
        "versions_after": gateway.resource_versions(),
        "writes": gateway.write_requests(offset),
        "values_after": {name: case.read_live(gateway) for name, case in DRIFT_CASES.items()},
    }


@pytest.fixture(scope="module")
def corrected(gateway, drifted, checked):
    """One run of site.yml --diff after the check run, and the values it left."""
    run = gateway.run_site(diff=True)
    return {"run": run, "values_after": {name: case.read_live(gateway) for name, case in DRIFT_CASES.items()}}


@pytest.mark.parametrize("case_name", list(DRIFT_CASES))
def test_drift_edit_took_effect(drifted, case_name):
    assert drifted["edited"][case_name] != drifted["original"][case_name]


def test_check_run_succeeds(checked):
    assert checked["run"].returncode == 0, checked["run"].stdout[-6000:]


@pytest.mark.parametrize("case_name", list(DRIFT_CASES))
def test_check_reports_drift_diff(drifted, checked, case_name):
    case = DRIFT_CASES[case_name]

    diff = case.diff(checked["run"])

    assert case.read(diff["before"]) == drifted["edited"][case_name]
    assert case.read(diff["after"]) == drifted["original"][case_name]


@pytest.mark.parametrize("case_name", list(DRIFT_CASES))
def test_check_leaves_drift(drifted, checked, case_name):
    assert checked["values_after"][case_name] == drifted["edited"][case_name]


def test_check_moves_no_resource_version(checked):
    assert checked["versions_after"] == checked["versions_before"]


def test_check_sends_only_dry_runs(checked):
    writes = checked["writes"]
    stored = [(event["verb"], event["requestURI"]) for event in writes if "dryRun=All" not in event["requestURI"]]

    assert writes, "the check run sent no write request at all, so the audit check proves nothing"
    assert stored == []


def test_drift_run_succeeds(corrected):
    assert corrected["run"].returncode == 0, corrected["run"].stdout[-6000:]


@pytest.mark.parametrize("case_name", list(DRIFT_CASES))
def test_drift_reported_with_diff(drifted, corrected, case_name):
    case = DRIFT_CASES[case_name]

    diff = case.diff(corrected["run"])

    assert case.read(diff["before"]) == drifted["edited"][case_name]
    assert case.read(diff["after"]) == drifted["original"][case_name]


@pytest.mark.parametrize("case_name", list(DRIFT_CASES))
def test_drift_put_back(drifted, corrected, case_name):
    assert corrected["values_after"][case_name] == drifted["original"][case_name]


def test_run_after_correction_is_clean(gateway, corrected):
    before = gateway.resource_versions()

    run = gateway.run_site()

    assert run.returncode == 0, run.stdout[-4000:]
    assert run.stats["changed"] == 0, run.stdout[-6000:]
    assert gateway.resource_versions() == before
    gateway.state = "converged"
