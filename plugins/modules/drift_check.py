#!/usr/bin/python
# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: drift_check
short_description: Write the drift report of a run and fail on drift
version_added: 0.1.0
description:
  - Reads what the P(aigateway.litellm.drift_report#callback) callback recorded during the run, that is the
    Kubernetes objects that C(kubernetes.core.k8s) tasks changed or, in check mode, would change, and the
    field paths that differ.
  - Writes a JSON report to O(report) and fails when O(fail_on_drift=true) and an object differs. Without
    check mode the objects have been changed back by the time the report is written. The report's
    C(check_mode) field records which mode the run used.
  - Returns a short form of the report as the custom stat C(aigateway_drift), which AWX stores as the job's
    artifacts.
  - C(site.yml) runs it as its last task when C(aigateway_drift_report) is set or C(aigateway_fail_on_drift)
    is true.
options:
  report:
    description:
      - Path of the JSON report on the controller. Its directory must exist. An empty string writes no file.
    type: path
    default: ""
  fail_on_drift:
    description:
      - Fail the task, and with it the run, when at least one object differs. The message names every object
        and field.
    type: bool
    default: false
author:
  - aigateway maintainers (@aigateway)
notes:
  - The report never contains the values of Secret fields, nor anything from a task with C(no_log).
  - Values longer than 200 characters, such as the LiteLLM config in the ConfigMap, are cut in the report.
attributes:
  action:
    description: Runs on the controller as an action plugin, which reads the callback's records there.
    support: full
  check_mode:
    description: Writes the report in check mode too, because a check-mode run is how drift is detected.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
  platform:
    description: Runs on the controller only.
    support: full
    platforms: all
"""

EXAMPLES = r"""
- name: Write the drift report and fail when the cluster differs from the desired state
  aigateway.litellm.drift_check:
    report: /tmp/aigateway-drift.json
    fail_on_drift: true
"""

RETURN = r"""
drift:
  description: Whether at least one object differs.
  returned: when the report is on
  type: bool
  sample: true
summary:
  description: One line naming every object that differs and its field paths.
  returned: when the report is on
  type: str
  sample: "1 object differs from the desired state: Deployment litellm/litellm (spec.replicas)"
objects:
  description:
    - The objects that differ, as in the report file. C(change) is C(update), C(create) (the object is missing),
      C(delete) (the object exists but should not) or C(unknown) (the task's result is hidden by C(no_log)).
    - An C(update) has C(fields), a list of C(path) with C(before) and C(after), where a side that lacks the
      field has no key. C(fields) is null when the run had no C(--diff).
  returned: when the report is on
  type: list
  elements: dict
  sample:
    - apiVersion: apps/v1
      kind: Deployment
      namespace: litellm
      name: litellm
      change: update
      tasks: ["aigateway : Apply the objects with server-side apply"]
      fields:
        - {path: spec.replicas, before: 3, after: 1}
report:
  description: Path of the report file, or null when none was written.
  returned: when the report is on
  type: str
  sample: /tmp/aigateway-drift.json
"""
