"""playbooks/awx_setup.yml against a stand-in for the AWX API (fake_awx.FakeAWX), not a real AWX.

The stand-in serves the endpoints that the awx.awx modules and the controller_api lookup call, and it
records every request. These tests check the exact payloads the playbook would send to AWX: names, job
types, diff mode, playbook paths, the links to the inventory, project, credential and execution
environment, the survey and the schedule's recurrence rule. They do not show that a real AWX accepts
the objects or that the jobs run.
"""

import json
import os

import pytest
import yaml

from awx.fake_awx import FakeAWX
from helpers.playbooks import REPO_ROOT, run_playbook

SETUP = os.path.join(REPO_ROOT, "playbooks", "awx_setup.yml")
TOKEN = "test-token-7f3e"
K8S_CREDENTIAL = "cluster-admin-token"
IMAGE = "registry.example.org/aigateway-litellm-ee:0.1.0"
INPUTS = {
    "aigateway_awx_scm_url": "https://git.example.org/platform/aigateway-litellm.git",
    "aigateway_awx_k8s_credential": K8S_CREDENTIAL,
    "aigateway_awx_execution_environment_image": IMAGE,
    "aigateway_awx_inventory_variables": {"openwebui_workload_kind": "Deployment", "litellm_replicas": 2},
    "aigateway_awx_drift_notification_templates": ["platform-alerts"],
}
AWX_ENVIRONMENT = ("CONTROLLER_HOST", "CONTROLLER_OAUTH_TOKEN", "CONTROLLER_USERNAME", "CONTROLLER_PASSWORD",
                   "CONTROLLER_VERIFY_SSL", "TOWER_HOST", "TOWER_OAUTH_TOKEN", "TOWER_USERNAME", "TOWER_PASSWORD",
                   "TOWER_VERIFY_SSL")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in AWX_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    # awx.awx also reads ~/.tower_cli.cfg; an empty home directory has none.
    monkeypatch.setenv("HOME", str(tmp_path))


def new_awx(kind="kubernetes_bearer_token"):
    awx = FakeAWX(TOKEN)
    awx.add("credentials", name=K8S_CREDENTIAL, kind=kind, credential_type=17, organization=1,
            inputs={"host": "https://k8s.example.org:6443", "bearer_token": "$encrypted$"})
    awx.add("notification_templates", name="platform-alerts", notification_type="email", organization=1)
    return awx


def run_setup(awx, inputs=None, names=("CONTROLLER_HOST", "CONTROLLER_OAUTH_TOKEN")):
    env = {names[0]: awx.url, names[1]: TOKEN}
    return run_playbook(SETUP, extra_vars=INPUTS if inputs is None else inputs, env=env, timeout=600)


def one(items):
    assert len(items) == 1, items
    return items[0]


@pytest.fixture(scope="module")
def configured():
    """One setup run against a fresh stand-in, then a second run against the same state."""
    with pytest.MonkeyPatch.context() as patch:
        for name in AWX_ENVIRONMENT:
            patch.delenv(name, raising=False)
        with new_awx() as awx:
            first = run_setup(awx)
            first_requests = list(awx.requests)
            second = run_setup(awx)
            second_requests = awx.requests[len(first_requests):]
    return awx, first, first_requests, second, second_requests


def test_setup_succeeds(configured):
    first = configured[1]
    assert first.returncode == 0, first.stdout[-4000:]


def test_setup_sends_token_on_every_request(configured):
    requests = configured[2]
    assert requests
    assert {request["authorization"] for request in requests} == {"Bearer %s" % TOKEN}


def test_setup_registers_execution_environment(configured):
    awx = configured[0]
    payload = one(awx.posts("/api/v2/execution_environments/"))
    assert payload["name"] == "aigateway.litellm"
    assert payload["image"] == IMAGE
    assert payload["pull"] == "missing"
    assert payload["organization"] == one(awx.find("organizations", name="Default"))["id"]


def test_setup_creates_project_and_waits(configured):
    awx, first, requests = configured[0], configured[1], configured[2]
    payload = one(awx.posts("/api/v2/projects/"))
    ee = one(awx.find("execution_environments", name="aigateway.litellm"))
    assert payload["name"] == "aigateway.litellm"
    assert payload["scm_type"] == "git"
    assert payload["scm_url"] == INPUTS["aigateway_awx_scm_url"]
    assert payload["scm_branch"] == "main"
    assert payload["scm_update_on_launch"] is True
    assert payload["default_environment"] == ee["id"]
    assert "credential" not in payload
    update_id = one(awx.find("projects"))["summary_fields"]["current_update"]["id"]
    assert any(r["method"] == "GET" and r["path"] == "/api/v2/project_updates/%d/" % update_id for r in requests)


def test_setup_inventory_has_stack_variables(configured):
    awx = configured[0]
    payload = one(awx.posts("/api/v2/inventories/"))
    assert payload["name"] == "aigateway.litellm"
    assert json.loads(payload["variables"]) == INPUTS["aigateway_awx_inventory_variables"]


def test_setup_localhost_uses_ee_python(configured):
    awx = configured[0]
    payload = one(awx.posts("/api/v2/hosts/"))
    with open(os.path.join(REPO_ROOT, "meta", "execution-environment.yml"), encoding="utf-8") as handle:
        python_path = yaml.safe_load(handle)["dependencies"]["python_interpreter"]["python_path"]
    assert payload["name"] == "localhost"
    assert payload["inventory"] == one(awx.find("inventories", name="aigateway.litellm"))["id"]
    assert payload["enabled"] is True
    assert json.loads(payload["variables"]) == {"ansible_connection": "local", "ansible_python_interpreter": python_path}


EXPECTED_TEMPLATES = {
    "Deploy LiteLLM stack": {"job_type": "run", "diff_mode": False, "playbook": "playbooks/site.yml",
                             "extra_vars": {}, "survey_enabled": False},
    "Check LiteLLM drift": {"job_type": "check", "diff_mode": True, "playbook": "playbooks/site.yml",
                            "extra_vars": {"aigateway_drift_report": "/tmp/aigateway-drift.json"},
                            "survey_enabled": True},
    "Verify LiteLLM health": {"job_type": "run", "diff_mode": False, "playbook": "playbooks/verify.yml",
                              "extra_vars": {}, "survey_enabled": False},
}


@pytest.mark.parametrize("name", sorted(EXPECTED_TEMPLATES))
def test_setup_job_template_fields(configured, name):
    awx = configured[0]
    payload = one([body for body in awx.posts("/api/v2/job_templates/") if body["name"] == name])
    expected = EXPECTED_TEMPLATES[name]
    assert payload["job_type"] == expected["job_type"]
    assert payload["diff_mode"] is expected["diff_mode"]
    assert payload["playbook"] == expected["playbook"]
    assert json.loads(payload["extra_vars"]) == expected["extra_vars"]
    assert payload["survey_enabled"] is expected["survey_enabled"]
    assert payload["allow_simultaneous"] is False
    assert payload["project"] == one(awx.find("projects", name="aigateway.litellm"))["id"]
    assert payload["inventory"] == one(awx.find("inventories", name="aigateway.litellm"))["id"]
    assert payload["execution_environment"] == one(awx.find("execution_environments", name="aigateway.litellm"))["id"]
    assert payload["organization"] == one(awx.find("organizations", name="Default"))["id"]


@pytest.mark.parametrize("name", sorted(EXPECTED_TEMPLATES))
def test_setup_job_template_gets_k8s_credential(configured, name):
    awx = configured[0]
    template = one(awx.find("job_templates", name=name))
    credential = one(awx.find("credentials", name=K8S_CREDENTIAL))
    assert awx.posts("/api/v2/job_templates/%d/credentials/" % template["id"]) == [{"id": credential["id"]}]


def test_setup_drift_template_notifies_on_error(configured):
    awx = configured[0]
    template = one(awx.find("job_templates", name="Check LiteLLM drift"))
    notification = one(awx.find("notification_templates", name="platform-alerts"))
    path = "/api/v2/job_templates/%d/notification_templates_error/" % template["id"]
    assert awx.posts(path) == [{"id": notification["id"]}]
    for name in ("Deploy LiteLLM stack", "Verify LiteLLM health"):
        other = one(awx.find("job_templates", name=name))
        assert awx.posts("/api/v2/job_templates/%d/notification_templates_error/" % other["id"]) == []


def test_setup_drift_survey_asks_fail_on_drift(configured):
    awx = configured[0]
    template = one(awx.find("job_templates", name="Check LiteLLM drift"))
    survey = one(awx.posts("/api/v2/job_templates/%d/survey_spec/" % template["id"]))
    question = one(survey["spec"])
    assert question["variable"] == "aigateway_fail_on_drift"
    assert question["type"] == "multiplechoice"
    assert question["choices"] == ["true", "false"]
    assert question["default"] == "true"
    assert question["required"] is True


def test_setup_schedules_drift_check(configured):
    awx = configured[0]
    payload = one(awx.posts("/api/v2/schedules/"))
    assert payload["name"] == "Check LiteLLM drift hourly"
    assert payload["rrule"] == "DTSTART:20260101T000000Z RRULE:FREQ=HOURLY;INTERVAL=1"
    assert payload["enabled"] is True
    assert payload["unified_job_template"] == one(awx.find("job_templates", name="Check LiteLLM drift"))["id"]


def test_setup_second_run_changes_nothing(configured):
    second, second_requests = configured[3], configured[4]
    assert second.returncode == 0, second.stdout[-4000:]
    assert second.stats.get("changed") == 0
    assert [r for r in second_requests if r["method"] != "GET"] == []


def test_setup_reads_older_tower_variables():
    with new_awx() as awx:
        run = run_setup(awx, names=("TOWER_HOST", "TOWER_OAUTH_TOKEN"))
    assert run.returncode == 0, run.stdout[-4000:]
    assert len(awx.posts("/api/v2/job_templates/")) == 3
    assert {request["authorization"] for request in awx.requests} == {"Bearer %s" % TOKEN}


def test_setup_schedule_rrule_from_input():
    rrule = "DTSTART;TZID=Europe/Stockholm:20260301T020000 RRULE:FREQ=DAILY;INTERVAL=1"
    with new_awx() as awx:
        run = run_setup(awx, dict(INPUTS, aigateway_awx_drift_schedule_rrule=rrule,
                                  aigateway_awx_drift_schedule_enabled=False))
    assert run.returncode == 0, run.stdout[-4000:]
    payload = one(awx.posts("/api/v2/schedules/"))
    assert payload["rrule"] == rrule
    assert payload["enabled"] is False


def test_setup_without_controller_host_fails():
    run = run_playbook(SETUP, extra_vars=INPUTS)
    assert run.returncode != 0
    assert "CONTROLLER_HOST and CONTROLLER_OAUTH_TOKEN" in run.stdout


@pytest.mark.parametrize("missing", ["aigateway_awx_scm_url", "aigateway_awx_k8s_credential",
                                     "aigateway_awx_execution_environment_image"])
def test_setup_missing_input_fails_before_requests(missing):
    inputs = {key: value for key, value in INPUTS.items() if key != missing}
    with new_awx() as awx:
        run = run_setup(awx, inputs)
    assert run.returncode != 0
    assert missing in run.stdout
    assert awx.requests == []


@pytest.mark.parametrize("name, value", [
    ("aigateway_awx_execution_environment_pull", "sometimes"),
    ("aigateway_awx_inventory_variables", ["litellm_replicas", 2]),
    ("aigateway_awx_drift_schedule_rrule", "every hour"),
])
def test_setup_invalid_input_fails_before_requests(name, value):
    with new_awx() as awx:
        run = run_setup(awx, dict(INPUTS, **{name: value}))
    assert run.returncode != 0
    assert name in run.stdout
    assert awx.requests == []


def test_setup_unknown_k8s_credential_fails_before_writes():
    with new_awx() as awx:
        run = run_setup(awx, dict(INPUTS, aigateway_awx_k8s_credential="no-such-credential"))
    assert run.returncode != 0
    assert "has 0 credential(s) named 'no-such-credential'" in run.stdout
    assert awx.writes() == []


def test_setup_wrong_credential_kind_fails_before_writes():
    with new_awx(kind="ssh") as awx:
        run = run_setup(awx)
    assert run.returncode != 0
    assert "of kind ssh" in run.stdout
    assert awx.writes() == []
