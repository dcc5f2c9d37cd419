"""Malformed inputs stop site.yml before its first write, with one message that names the setting and the fix.

Every case of bad_input_cases runs site.yml in apply mode against the local control plane, with the
fixtures of tests/fixtures in place, so a case that slipped through validation changes the cluster.
The audit log shows whether the run sent any write request.

Runs go several at a time. Each case gets its own aigateway_field_manager, which every server-side
apply request carries in its URL, so a write is charged to the run that sent it. A write without a
field manager (a delete, for example) logged while runs overlapped could come from any of them, so
those cases run again alone, and that run decides.
"""

import concurrent.futures
import os
import re

import pytest

from bad_input_cases import CASES, oversized_cases
from security_cluster import failed_results, failure_messages

pytestmark = pytest.mark.cluster

PARALLEL_RUNS = 3
# A message longer than this repeats a value instead of describing it.
MAX_MESSAGE_CHARS = 2000
# Words and phrases that tell the user what to write instead.
FIX = re.compile(
    r"\bfix:|\b(use|give|write|set|add|remove|create|move|quote|choose|keep|install|put|turn|start with|"
    r"such as|did you mean|must be one of|supported parameters include)\b",
    re.IGNORECASE,
)

ALL_CASES = CASES + oversized_cases()


def field_manager(index):
    return "bad-input-%02d" % index


def run_case(cluster, workdir, index, case):
    path = os.path.join(workdir, case.id + ".yml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(case.yaml)
    start = cluster.audit_offset()
    # The case's own file comes last, so a case may set aigateway_field_manager itself.
    run = cluster.run_site({"aigateway_field_manager": field_manager(index)}, args=("-e", "@" + path))
    return {"run": run, "start": start, "end": cluster.audit_offset()}


def charge_writes(cluster, outcomes):
    """Add to each outcome the writes logged in its window that carry its field manager or none."""
    for index, case in enumerate(ALL_CASES):
        outcome = outcomes[case.id]
        own, unknown = [], []
        for event in cluster.write_requests(outcome["start"], outcome["end"]):
            managers = re.findall(r"fieldManager=([^&]+)", event["requestURI"])
            if not managers:
                unknown.append(event)
            elif managers[0].startswith(field_manager(index) + "-"):
                own.append(event)
        outcome["writes"] = own
        outcome["unattributed_writes"] = unknown


@pytest.fixture(scope="module")
def corpus(cluster, tmp_path_factory):
    """Run site.yml once per case and return {case id: {"run": PlaybookRun, "writes": [audit events]}}."""
    workdir = str(tmp_path_factory.mktemp("bad-input"))
    with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        futures = {case.id: pool.submit(run_case, cluster, workdir, index, case)
                   for index, case in enumerate(ALL_CASES)}
        outcomes = {case_id: future.result() for case_id, future in futures.items()}
    charge_writes(cluster, outcomes)

    for index, case in enumerate(ALL_CASES):
        if outcomes[case.id]["unattributed_writes"]:
            alone = run_case(cluster, workdir, index, case)
            alone["writes"] = cluster.write_requests(alone["start"], alone["end"])
            outcomes[case.id] = alone
    return outcomes


def describe_writes(writes):
    return ["%s %s" % (event["verb"], event["requestURI"]) for event in writes]


def fatal_failure_message(run):
    """Return the one message of the failure that stopped the run, and fail the test when there are several."""
    failures = failed_results(run)
    assert failures, "no task failed; output:\n%s" % run.stdout[-3000:]
    assert run.stats.get("failures") == 1, "%s tasks failed: %s" % (
        run.stats.get("failures"), [failure[0] for failure in failures])
    messages = failure_messages(failures[-1][1])
    assert len(messages) == 1, "expected one failure message, got %d: %s" % (
        len(messages), [message[:300] for message in messages])
    return messages[0]


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in ALL_CASES])
def test_bad_input_stops_before_writing(corpus, case):
    outcome = corpus[case.id]
    run = outcome["run"]

    assert run.returncode != 0, "site.yml accepted %s; output:\n%s" % (case.id, run.stdout[-3000:])
    assert outcome["writes"] == [], "write requests before the failure: %s" % describe_writes(outcome["writes"])

    message = fatal_failure_message(run)
    message_start = message[:MAX_MESSAGE_CHARS]
    assert case.setting in message, "message does not name %s: %s" % (case.setting, message_start)
    if case.value is not None:
        assert any(value.lower() in message.lower() for value in case.value), (
            "message shows none of %s: %s" % (case.value, message_start))
    assert FIX.search(message), "message gives no fix: %s" % message_start
    assert len(message) <= MAX_MESSAGE_CHARS, "message of %d characters: %s..." % (len(message), message[:300])
    if case.hidden:
        assert case.hidden not in run.stdout + run.stderr, "the hidden value %r is in the output" % case.hidden
