# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: drift_report
type: aggregate
short_description: Collect which Kubernetes objects and fields a run changes or would change
version_added: 0.1.0
description:
  - Records the result of every C(kubernetes.core.k8s) task (and loop item) that changed or, in check mode,
    would change an object, with the field paths that differ and their values before and after.
  - The M(aigateway.litellm.drift_check) task at the end of C(site.yml) reads what this callback recorded,
    writes the JSON drift report and, with C(aigateway_fail_on_drift), fails the run on drift. The callback passes its records
    through a temporary file whose path it puts in the C(AIGATEWAY_DRIFT_STATE) environment variable of the
    C(ansible-playbook) process, which the task inherits. The file is removed when the playbook ends.
  - Field paths come from the C(diff) that C(kubernetes.core.k8s) returns, so run with C(--diff) (AWX
    job templates with diff mode on) to get them. Without a diff the report names the object only.
  - Changes of C(metadata.managedFields), C(metadata.resourceVersion), C(metadata.generation),
    C(metadata.creationTimestamp), C(metadata.uid) and C(status) are not drift and are left out.
  - Values of Secret fields are never recorded, nor anything from a task with C(no_log).
  - A changed C(ansible.builtin.debug) result whose loop item is a Kubernetes manifest is recorded as an object
    that would be created. The collection reports objects in namespaces that do not exist yet this way,
    because a check-mode dry run of those objects fails.
requirements:
  - Enable it, for example with C(ANSIBLE_CALLBACKS_ENABLED=aigateway.litellm.drift_report). The execution
    environment of C(meta/execution-environment.yml) sets that variable.
author:
  - aigateway maintainers (@aigateway)
"""

import json
import os
import re
import tempfile
from collections.abc import Mapping

from ansible.plugins.callback import CallbackBase

# Name of the environment variable that contains the path of this callback's records file. The
# drift_check action reads it.
STATE_ENV = "AIGATEWAY_DRIFT_STATE"

K8S_ACTIONS = frozenset(("kubernetes.core.k8s", "k8s"))
DEBUG_ACTIONS = frozenset(("ansible.builtin.debug", "ansible.legacy.debug", "debug"))

# Fields that the API server or a controller changes on its own. A difference there is not drift.
NOISE_PATHS = (
    ("metadata", "managedFields"),
    ("metadata", "resourceVersion"),
    ("metadata", "generation"),
    ("metadata", "creationTimestamp"),
    ("metadata", "uid"),
    ("metadata", "selfLink"),
    ("status",),
)

# List entries are named by the first of these keys that every entry has: containers and env entries
# by name, Service ports by port when they have no name.
LIST_IDENTITY_KEYS = ("name", "port", "type")

MAX_VALUE_LENGTH = 200
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_MISSING = object()


def _map_key_segment(key):
    """Return a path segment for a mapping key: .key, or ["key"] for keys with dots, slashes and the like."""
    if _PLAIN_KEY.match(key):
        return "." + key
    return "[%s]" % json.dumps(key)


def _join(path, segment):
    if path:
        return path + segment
    return segment.lstrip(".")


def _identity_key(before, after):
    """Return the key that names every entry of both lists, or None when the lists are plain values."""
    entries = list(before) + list(after)
    if not entries or not all(isinstance(entry, dict) for entry in entries):
        return None
    for key in LIST_IDENTITY_KEYS:
        if all(key in entry for entry in entries):
            return key
    return None


def _is_noise(path_keys):
    return any(tuple(path_keys[:len(noise)]) == noise for noise in NOISE_PATHS)


def field_changes(before, after):
    """Return the fields that differ between two objects, as [{path, before, after}], noise excluded.

    Lists whose entries all carry a name (containers, env, volumes) or a port (Service ports) are compared
    entry by entry, so a path reads spec.template.spec.containers[litellm].env[FOO].value. A side that lacks
    the field has no "before" or "after" key.
    """
    changes = []
    _collect(before, after, "", [], changes)
    return changes


def _collect(before, after, path, path_keys, changes):
    if _is_noise(path_keys):
        return
    # A mapping that one side lacks is compared key by key too, so that noise inside it stays out.
    before_map = before if isinstance(before, dict) else None
    after_map = after if isinstance(after, dict) else None
    if before is _MISSING and after_map is not None:
        before_map = {}
    if after is _MISSING and before_map is not None:
        after_map = {}
    if before_map is not None and after_map is not None:
        for key in sorted(set(before_map) | set(after_map), key=str):
            _collect(before_map.get(key, _MISSING), after_map.get(key, _MISSING),
                     _join(path, _map_key_segment(str(key))), path_keys + [str(key)], changes)
        return
    if isinstance(before, list) and isinstance(after, list):
        identity = _identity_key(before, after)
        if identity is not None:
            before_entries = {str(entry[identity]): entry for entry in before}
            after_entries = {str(entry[identity]): entry for entry in after}
            names = list(before_entries) + [name for name in after_entries if name not in before_entries]
            for name in names:
                entry_path = "%s[%s]" % (path, name)
                if name in before_entries and name in after_entries:
                    _collect(before_entries[name], after_entries[name], entry_path, path_keys + ["[%s]" % name], changes)
                else:
                    # An added or removed entry is reported whole, with its name.
                    _append(changes, entry_path, before_entries.get(name, _MISSING), after_entries.get(name, _MISSING))
            return
    _append(changes, path, before, after)


def _append(changes, path, before, after):
    if before is _MISSING and after is _MISSING or before == after:
        return
    change = {"path": path}
    if before is not _MISSING:
        change["before"] = before
    if after is not _MISSING:
        change["after"] = after
    changes.append(change)


def shorten(value):
    """Return the value with every string longer than MAX_VALUE_LENGTH characters cut, for the report."""
    if isinstance(value, str):
        if len(value) > MAX_VALUE_LENGTH:
            return "%s... (%d characters in all)" % (value[:MAX_VALUE_LENGTH], len(value))
        return value
    if isinstance(value, dict):
        return {str(key): shorten(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shorten(item) for item in value]
    return value


def object_identity(result):
    """Return (apiVersion, kind, namespace, name) of the object a kubernetes.core.k8s result is about."""
    candidates = [result.get("result"), (result.get("invocation") or {}).get("module_args", {}).get("definition")]
    for candidate in candidates:
        if isinstance(candidate, dict) and candidate.get("kind") and (candidate.get("metadata") or {}).get("name"):
            metadata = candidate["metadata"]
            return candidate.get("apiVersion"), candidate["kind"], metadata.get("namespace"), metadata["name"]
    args = (result.get("invocation") or {}).get("module_args") or {}
    if args.get("kind") and args.get("name"):
        return args.get("api_version"), args["kind"], args.get("namespace"), args["name"]
    return None


def is_manifest(value):
    return (isinstance(value, dict) and isinstance(value.get("kind"), str)
            and isinstance((value.get("metadata") or {}).get("name"), str))


def describe_k8s_result(result):
    """Return the drift record of one changed kubernetes.core.k8s result, or None when only noise changed."""
    identity = object_identity(result)
    record = {"apiVersion": None, "kind": None, "namespace": None, "name": None}
    if identity is not None:
        record.update(zip(("apiVersion", "kind", "namespace", "name"), identity))

    if result.get("method") == "delete":
        record["change"] = "delete"
        return record
    if result.get("method") == "create":
        record["change"] = "create"
        return record

    diff = result.get("diff")
    if not isinstance(diff, dict) or "before" not in diff:
        record["change"] = "update"
        record["fields"] = None
        return record
    # kubernetes.core's diff contains only the fields that differ, so an object that does not exist yet
    # has an empty before side.
    if not diff.get("before"):
        record["change"] = "create"
        return record

    fields = field_changes(diff.get("before") or {}, diff.get("after") or {})
    if not fields:
        return None
    if record["kind"] == "Secret":
        fields = [{"path": field["path"]} for field in fields]
        record["values_hidden"] = True
    else:
        fields = [shorten(field) for field in fields]
    record["change"] = "update"
    record["fields"] = fields
    return record


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "aigateway.litellm.drift_report"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._state_path = None
        self._objects = []

    def v2_playbook_on_start(self, playbook):
        self._remove_state()
        handle, self._state_path = tempfile.mkstemp(prefix="aigateway-drift-", suffix=".json")
        os.close(handle)
        self._objects = []
        self._write_state()
        os.environ[STATE_ENV] = self._state_path

    def v2_playbook_on_stats(self, stats):
        self._remove_state()

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_item_on_ok(self, result):
        self._record(result)

    def _record(self, task_result):
        task, data = _task_and_data(task_result)
        if "results" in data or not data.get("changed"):
            return
        action = getattr(task, "resolved_action", None) or getattr(task, "action", None)
        task_name = task.get_name() if hasattr(task, "get_name") else str(task)

        if data.get("_ansible_no_log") or "censored" in data:
            if action in K8S_ACTIONS:
                self._add({"apiVersion": None, "kind": None, "namespace": None, "name": None, "change": "unknown",
                           "reason": "the task's result is hidden by no_log"}, task_name)
            return

        if action in K8S_ACTIONS:
            record = describe_k8s_result(data)
        elif action in DEBUG_ACTIONS and is_manifest(data.get("item")):
            item = data["item"]
            record = {"apiVersion": item.get("apiVersion"), "kind": item["kind"],
                      "namespace": item["metadata"].get("namespace"), "name": item["metadata"]["name"],
                      "change": "create", "reason": str(data.get("msg", ""))}
        else:
            return
        if record is not None:
            self._add(record, task_name)

    def _add(self, record, task_name):
        record["task"] = task_name
        self._objects.append(record)
        self._write_state()

    def _write_state(self):
        if self._state_path is None:
            return
        with open(self._state_path, "w", encoding="utf-8") as handle:
            json.dump({"objects": self._objects}, handle, default=str)

    def _remove_state(self):
        if self._state_path is not None:
            try:
                os.unlink(self._state_path)
            except FileNotFoundError:
                pass
            self._state_path = None
        if os.environ.get(STATE_ENV):
            del os.environ[STATE_ENV]


def _task_and_data(task_result):
    """Return the task and the result data.

    ansible-core 2.19 names them task and result, and older releases _task and _result.
    """
    task = getattr(task_result, "task", None)
    if task is None:
        task = task_result._task
    data = getattr(task_result, "result", None)
    if not isinstance(data, Mapping):
        data = task_result._result
    return task, data
