# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes label syntax, shared by the test and filter plugins that check role variables."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# A label key is an optional DNS subdomain prefix and a name. A value is empty or has the form of a name.
LABEL_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")


_TYPE_NAMES = {type(None): "null", bool: "a boolean", int: "an integer", float: "a number", str: "a string",
               list: "a list", dict: "a mapping"}


def _type_name(value):
    """Return the YAML type of a value with its article, such as 'an integer'."""
    return _TYPE_NAMES.get(type(value), "a %s" % type(value).__name__)


def label_map_problem(value):
    """Return what makes a value an invalid map of labels, naming the first bad entry, or None when it is valid."""
    if not isinstance(value, dict):
        return "it is %s, not a mapping" % _type_name(value)
    for key, label in value.items():
        if not isinstance(key, str):
            return "the key %r is %s, not text" % (key, _type_name(key))
        prefix, slash, name = key.rpartition("/")
        if slash and not LABEL_PREFIX.match(prefix):
            return "the key %r has an invalid prefix %r, which must be a lower-case DNS subdomain" % (key, prefix)
        if not LABEL_NAME.match(name):
            return ("the key %r is invalid: its name must be 1 to 63 letters, digits, '-', '_' and '.', "
                    "starting and ending with a letter or digit" % key)
        if not isinstance(label, str):
            return "the value of %r is %s; quote it so that it is text" % (key, _type_name(label))
        if label and not LABEL_NAME.match(label):
            return ("the value of %r, %r, is invalid: use at most 63 letters, digits, '-', '_' and '.', "
                    "starting and ending with a letter or digit" % (key, label))
    return None
