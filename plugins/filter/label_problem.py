# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Name the entry that makes a role variable an invalid map of Kubernetes labels."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aigateway.litellm.plugins.module_utils.kubernetes_labels import label_map_problem


def label_problem(value):
    """Return why a value is not a map of labels, naming the first invalid key or value, or '' when it is one."""
    return label_map_problem(value) or ""


class FilterModule:
    def filters(self):
        return {"label_problem": label_problem}
