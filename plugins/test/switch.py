# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The spellings Ansible's bool filter converts; extra variables given as -e name=value arrive as strings.
SWITCH_WORDS = frozenset(["true", "false", "yes", "no", "on", "off", "1", "0", "y", "n", "t", "f"])


def switch(value):
    """Return whether a role variable is a boolean or a string that Ansible's bool filter converts."""
    if isinstance(value, bool):
        return True
    return isinstance(value, str) and value.strip().lower() in SWITCH_WORDS


class TestModule:
    def tests(self):
        return {"switch": switch}
