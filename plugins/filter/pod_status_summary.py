# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def pod_status_summary(pod):
    """Summarise why a pod is not ready: phase, false conditions and waiting or failed containers."""
    metadata = pod.get("metadata") or {}
    status = pod.get("status") or {}
    parts = ["phase %s" % status.get("phase", "unknown")]

    for condition in status.get("conditions") or []:
        if condition.get("status") == "True":
            continue
        detail = condition.get("message") or condition.get("reason") or ""
        parts.append("%s=%s%s" % (condition.get("type"), condition.get("status"), " (%s)" % detail if detail else ""))

    for container in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        state = container.get("state") or {}
        for kind in ("waiting", "terminated"):
            if kind in state:
                reason = state[kind].get("reason") or ""
                message = state[kind].get("message") or ""
                parts.append("container %s %s: %s%s" % (container.get("name"), kind, reason,
                                                        " (%s)" % message if message else ""))
        if container.get("restartCount"):
            parts.append("container %s restarted %d times" % (container.get("name"), container["restartCount"]))

    return "%s: %s" % (metadata.get("name", "?"), ", ".join(parts))


class FilterModule:
    def filters(self):
        return {"pod_status_summary": pod_status_summary}
