# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the shape of a list of settings fragments before it is passed to the merge module."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aigateway.litellm.plugins.module_utils.settings_merge import check_fragment_shapes
from ansible_collections.aigateway.litellm.plugins.module_utils.settings_problems import describe_shape


def fragment_problems(fragments):
    """Return one message per shape problem of a fragment list: a missing name, an unknown field, a wrong type.

    The merge module checks the same shapes, but only after Ansible's own check of its arguments, whose
    messages name neither the fragment nor the fix.
    """
    if not isinstance(fragments, list):
        return ["%s is not a list; give a list of {name: ..., settings: {...}} entries" % describe_shape(fragments)]
    problems = []
    for problem in check_fragment_shapes(fragments):
        where = "entry '%s'" % problem.fragment if not problem.fragment.startswith("fragments[") else (
            "entry %s" % problem.fragment[len("fragments["):-1])
        problems.append("%s: %s; %s" % (where, problem.message, problem.fix))
    return problems


class FilterModule:
    def filters(self):
        return {"fragment_problems": fragment_problems}
