# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import tempfile

from ansible.plugins.action import ActionBase

from ansible_collections.aigateway.litellm.plugins.callback.drift_report import STATE_ENV

REPORT_VERSION = 1
CALLBACK_NAME = "aigateway.litellm.drift_report"


def object_key(record):
    return (record.get("apiVersion"), record.get("kind"), record.get("namespace"), record.get("name"), record.get("task")
            if record.get("name") is None else None)


def merge_records(records):
    """Merge the records of one object (for example a namespace that two components apply) into one entry each."""
    merged = {}
    for record in records:
        key = object_key(record)
        entry = merged.get(key)
        if entry is None:
            entry = {name: record.get(name) for name in ("apiVersion", "kind", "namespace", "name", "change")}
            entry["tasks"] = []
            merged[key] = entry
        if record.get("task") and record["task"] not in entry["tasks"]:
            entry["tasks"].append(record["task"])
        for name in ("reason", "values_hidden"):
            if record.get(name):
                entry[name] = record[name]
        if record.get("change") in ("create", "delete", "unknown"):
            entry["change"] = record["change"]
        if "fields" in record:
            _merge_fields(entry, record["fields"])
    for entry in merged.values():
        if entry["change"] != "update":
            entry.pop("fields", None)
    return list(merged.values())


def _merge_fields(entry, fields):
    if fields is None:
        entry.setdefault("fields", None)
        return
    known = entry.get("fields") or []
    paths = set(field["path"] for field in known)
    entry["fields"] = known + [field for field in fields if field["path"] not in paths]


def describe_object(entry):
    """Return "Deployment litellm/litellm" for a namespaced object and "Namespace litellm" for a cluster-scoped one."""
    if entry.get("name") is None:
        return "an object changed by task '%s'" % ", ".join(entry.get("tasks") or ["?"])
    if entry.get("namespace"):
        return "%s %s/%s" % (entry.get("kind"), entry["namespace"], entry["name"])
    return "%s %s" % (entry.get("kind"), entry["name"])


def describe_change(entry):
    change = entry.get("change")
    if change == "create":
        return "missing"
    if change == "delete":
        return "present but not wanted"
    if change == "update" and entry.get("fields"):
        return ", ".join(field["path"] for field in entry["fields"])
    return "fields unknown, run with --diff"


def summarize(objects, check_mode):
    """Return one line that names every object that differs and how, for the report and the failure message."""
    if not objects:
        return "No drift: every object matches the desired state."
    count = len(objects)
    noun = "object" if count == 1 else "objects"
    if check_mode:
        lead = "%d %s %s from the desired state" % (count, noun, "differs" if count == 1 else "differ")
    else:
        lead = "%d %s differed from the desired state and %s changed back" % (count, noun, "was" if count == 1 else "were")
    details = ["%s (%s)" % (describe_object(entry), describe_change(entry)) for entry in objects]
    return "%s: %s" % (lead, "; ".join(details))


def write_report(path, report):
    """Write the report atomically: a reader sees the old file or the complete new one."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".drift-", suffix=".json", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(report, stream, indent=2, sort_keys=False, default=str)
            stream.write("\n")
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    ARGUMENT_SPEC = dict(
        report=dict(type="path", default=""),
        fail_on_drift=dict(type="bool", default=False),
    )

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, params = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        report_path = params["report"] or ""
        fail_on_drift = params["fail_on_drift"]
        result["changed"] = False

        if not report_path and not fail_on_drift:
            result["msg"] = "The drift report is off: report is empty and fail_on_drift is false."
            return result

        state_path = os.environ.get(STATE_ENV)
        if not state_path:
            result["failed"] = True
            result["msg"] = (
                "The %s callback is not enabled, so no drift was recorded. Enable it with "
                "ANSIBLE_CALLBACKS_ENABLED=%s (the execution environment of meta/execution-environment.yml sets it) "
                "or callbacks_enabled in ansible.cfg, or set aigateway_drift_report to '' and "
                "aigateway_fail_on_drift to false." % (CALLBACK_NAME, CALLBACK_NAME))
            return result
        try:
            with open(state_path, encoding="utf-8") as handle:
                records = json.load(handle)["objects"]
        except (OSError, ValueError, KeyError) as error:
            result["failed"] = True
            result["msg"] = "Could not read the drift records of the %s callback from %s: %s" % (
                CALLBACK_NAME, state_path, error)
            return result

        check_mode = bool((task_vars or {}).get("ansible_check_mode", False))
        objects = merge_records(records)
        summary = summarize(objects, check_mode)
        report = {
            "report_version": REPORT_VERSION,
            "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "check_mode": check_mode,
            "drift": bool(objects),
            "object_count": len(objects),
            "summary": summary,
            "objects": objects,
        }

        if report_path:
            if not os.path.isdir(os.path.dirname(os.path.abspath(report_path))):
                result["failed"] = True
                result["msg"] = "report: the directory of %s does not exist; create it or choose another path" % report_path
                return result
            try:
                write_report(report_path, report)
            except OSError as error:
                result["failed"] = True
                result["msg"] = "report: could not write %s: %s" % (report_path, error)
                return result

        result.update(drift=report["drift"], objects=objects, summary=summary, report=report_path or None)
        # AWX stores these as the job's artifacts, so the summary outlives the job's container.
        result["ansible_stats"] = {
            "data": {"aigateway_drift": {
                "drift": report["drift"],
                "summary": summary,
                "objects": [{"object": describe_object(entry), "change": entry.get("change"),
                             "fields": [field["path"] for field in entry.get("fields") or []]} for entry in objects],
            }},
            "per_host": False,
            "aggregate": False,
        }
        result["msg"] = summary
        if objects and fail_on_drift:
            result["failed"] = True
            result["msg"] = "Drift found (aigateway_fail_on_drift is true). %s.%s" % (
                summary, (" Report: %s" % report_path) if report_path else "")
        return result
