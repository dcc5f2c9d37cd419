# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A short rendering of a role variable's value for error messages."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json

from ansible_collections.aigateway.litellm.plugins.module_utils.settings_problems import describe_value

DEFAULT_LIMIT = 80


def _json_default(value):
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    return str(value)


def brief(value, limit=DEFAULT_LIMIT, shape_only=False):
    """Render a value for a message, cut to ``limit`` characters with the full length noted.

    Strings are quoted, mappings and lists are written as compact JSON. With ``shape_only`` a mapping
    is described by its keys, and a list or string by its length, for values that may hold credentials.
    """
    if shape_only and isinstance(value, (dict, list)):
        return describe_value(value)
    if shape_only and isinstance(value, str):
        return "a string of %d characters" % len(value)
    quoted = isinstance(value, (str, datetime.date, datetime.datetime))
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, (int, float)):
        text = repr(value)
    elif isinstance(value, (dict, list)):
        text = json.dumps(value, default=_json_default, separators=(", ", ": "))
    elif isinstance(value, (datetime.date, datetime.datetime)):
        text = value.isoformat()
    else:
        text = str(value)
    if len(text) > limit:
        cut = "%s..." % text[:limit]
        return "%s (%d characters)" % ("'%s'" % cut if quoted else cut, len(text))
    return "'%s'" % text if quoted else text


class FilterModule:
    def filters(self):
        return {"brief": brief}
